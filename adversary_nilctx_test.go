package apizee_test

// Adversary tests, a nil context: every exported method that takes one
// returns an error for nil, never a panic, and sends nothing.

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee"
)

func TestAdversaryNilContextIsAnErrorEverywhere(t *testing.T) {
	var requests atomic.Int32
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		if r.URL.Path == "/api/token" {
			io.WriteString(w, `{"access_token":"tok_nil_ctx","expires_in":3600}`)
			return
		}
		io.WriteString(w, `{"id":1,"total":1,"data":[{"id":1,"reference":"r","name":"n"}],"enterprise_id":1}`)
	}))
	defer api.Close()

	var nilCtx context.Context // a nil interface, as a caller's bug passes it
	media := &apizee.Media{URL: api.URL + "/media/1"}
	ticket := &apizee.CreateTicketParams{Agent: "agent1", Phone: []string{"+33612345678"}, Reference: "r"}
	conference := &apizee.CreateConferenceParams{Participants: []string{"+33612345678"}, Name: "weekly review"}
	first := func(seq func(func(*apizee.Ticket, error) bool)) error {
		for _, err := range seq {
			return err
		}
		return nil
	}
	firstOf := func(err error, ok bool) error {
		if !ok {
			return fmt.Errorf("the iterator yielded nothing")
		}
		return err
	}
	calls := map[string]func(c *apizee.Client) error{
		"Tickets.Create":          func(c *apizee.Client) error { _, err := c.Tickets.Create(nilCtx, ticket); return err },
		"Tickets.CreateOnce":      func(c *apizee.Client) error { _, err := c.Tickets.CreateOnce(nilCtx, ticket); return err },
		"Tickets.Get":             func(c *apizee.Client) error { _, err := c.Tickets.Get(nilCtx, 1); return err },
		"Tickets.List":            func(c *apizee.Client) error { _, err := c.Tickets.List(nilCtx, nil); return err },
		"Tickets.All":             func(c *apizee.Client) error { return first(c.Tickets.All(nilCtx, nil)) },
		"Tickets.FindByReference": func(c *apizee.Client) error { _, err := c.Tickets.FindByReference(nilCtx, "r"); return err },
		"Conferences.Create":      func(c *apizee.Client) error { _, err := c.Conferences.Create(nilCtx, conference); return err },
		"Conferences.Get":         func(c *apizee.Client) error { _, err := c.Conferences.Get(nilCtx, 1); return err },
		"Conferences.List":        func(c *apizee.Client) error { _, err := c.Conferences.List(nilCtx, nil); return err },
		"Conferences.FindByName":  func(c *apizee.Client) error { _, err := c.Conferences.FindByName(nilCtx, "n"); return err },
		"Conferences.CreateOnce": func(c *apizee.Client) error {
			_, err := c.Conferences.CreateOnce(nilCtx, conference)
			return err
		},
		"Tickets.CreateOnce with a key": func(c *apizee.Client) error {
			keyed := *ticket
			keyed.IdempotencyKey = "nil-ctx-key"
			_, err := c.Tickets.CreateOnce(nilCtx, &keyed)
			return err
		},
		"Media.ListForTicket":     func(c *apizee.Client) error { _, err := c.Media.ListForTicket(nilCtx, 1, nil); return err },
		"Media.ListForConference": func(c *apizee.Client) error { _, err := c.Media.ListForConference(nilCtx, 1, nil); return err },
		"Media.Open":              func(c *apizee.Client) error { _, err := c.Media.Open(nilCtx, media); return err },
		"Media.Download":          func(c *apizee.Client) error { _, err := c.Media.Download(nilCtx, media, io.Discard); return err },
		"Stats.Tickets":           func(c *apizee.Client) error { _, err := c.Stats.Tickets(nilCtx, nil); return err },
		"Sessions.List":           func(c *apizee.Client) error { _, err := c.Sessions.List(nilCtx, nil); return err },
		"Client.Close":            func(c *apizee.Client) error { return c.Close(nilCtx) },
		"Store.Get":               func(*apizee.Client) error { _, _, err := apizee.NewMemoryStore().Get(nilCtx, "k"); return err },
		"Store.Set":               func(*apizee.Client) error { return apizee.NewMemoryStore().Set(nilCtx, "k", nil, 0) },
		"Store.SetNX":             func(*apizee.Client) error { _, err := apizee.NewMemoryStore().SetNX(nilCtx, "k", nil, 0); return err },
		"Store.CompareAndDelete": func(*apizee.Client) error {
			_, err := apizee.NewMemoryStore().CompareAndDelete(nilCtx, "k", nil)
			return err
		},
		"Conferences.All": func(c *apizee.Client) error {
			for _, err := range c.Conferences.All(nilCtx, nil) {
				return err
			}
			return firstOf(nil, false)
		},
		"Media.AllForTicket": func(c *apizee.Client) error {
			for _, err := range c.Media.AllForTicket(nilCtx, 1, nil) {
				return err
			}
			return firstOf(nil, false)
		},
		"Media.AllForConference": func(c *apizee.Client) error {
			for _, err := range c.Media.AllForConference(nilCtx, 1, nil) {
				return err
			}
			return firstOf(nil, false)
		},
		"Sessions.All": func(c *apizee.Client) error {
			for _, err := range c.Sessions.All(nilCtx, nil) {
				return err
			}
			return firstOf(nil, false)
		},
	}
	clients := map[string][]apizee.Option{
		// The enterprise id is looked up, and the token fetched, on first use.
		"credentials, no enterprise id": {apizee.WithCredentials("agent", "pw-Zq9")},
		"fixed token and enterprise id": {apizee.WithToken("tok_fixed_nil_ctx"), apizee.WithEnterpriseID(1)},
	}
	for clientName, opts := range clients {
		for name, call := range calls {
			t.Run(clientName+"/"+name, func(t *testing.T) {
				c := hostileClient(t, api.URL+"/api", opts...)
				// A client that already holds a token: Close would revoke it.
				_, err := c.Tickets.Get(t.Context(), 1)
				require.NoError(t, err)
				before := requests.Load()

				var panicked any
				func() {
					defer func() { panicked = recover() }()
					err = call(c)
				}()
				require.Nil(t, panicked, "a nil context panics")
				requireValidationError(t, err, "Context")
				assert.Equal(t, before, requests.Load(), "nothing is sent")
			})
		}
	}
}
