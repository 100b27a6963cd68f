package apizee_test

// Adversary tests, decoding: answers that are odd but legal JSON, which a
// client must read rather than fail every call on.

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee"
)

func TestAdversaryOddTokenLifetimesGiveAUsableToken(t *testing.T) {
	for _, expiresIn := range []string{
		`3599.5`, `"3599.5"`, `1e30`, `99999999999999999999999`, `"99999999999999999999999"`, `1e400`,
		`9223372036854775807`, `0.5e4`, `-1`, `0`, `null`, `"soon"`, `{}`, `[]`,
	} {
		t.Run(expiresIn, func(t *testing.T) {
			var tokenCalls atomic.Int32
			api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/api/token" {
					tokenCalls.Add(1)
					fmt.Fprintf(w, `{"access_token":"tok_odd_lifetime","expires_in":%s}`, expiresIn)
					return
				}
				if r.Header.Get("Authorization") != "Bearer tok_odd_lifetime" {
					w.WriteHeader(http.StatusUnauthorized)
					return
				}
				io.WriteString(w, `{"id":1}`)
			}))
			defer api.Close()
			c := hostileClient(t, api.URL+"/api", apizee.WithCredentials("agent", "pw-Zq9"))
			for range 3 {
				_, err := c.Tickets.Get(t.Context(), 1)
				require.NoError(t, err, "expires_in %s", expiresIn)
			}
			assert.Equal(t, int32(1), tokenCalls.Load(), "one token serves every call: its lifetime is neither refused nor read as already over")
		})
	}
}

func TestAdversaryCallDurationAtTheInt64EdgeIsNeverNegative(t *testing.T) {
	const column = "Durée totale des appels (secondes)"
	for _, secs := range []string{
		"9223372036.854775807", "9223372036.854775", "9223372036.8547754", "9223372036.854775806",
		`"9223372036.854775807"`, "9223372036854775807", "1e300", "9223372035",
	} {
		t.Run(secs, func(t *testing.T) {
			api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprintf(w, `[{"ID":1,%q:%s}]`, column, secs)
			}))
			defer api.Close()
			c := hostileClient(t, api.URL+"/api", apizee.WithEnterpriseID(1))
			stats, err := c.Stats.Tickets(t.Context(), nil)
			if err != nil {
				var decErr *apizee.DecodeError
				require.ErrorAs(t, err, &decErr)
				assert.Contains(t, err.Error(), "call duration", "the error names what is wrong")
				return
			}
			require.Len(t, stats, 1)
			assert.GreaterOrEqual(t, stats[0].CallDuration, time.Duration(0), "%s seconds decoded as %d", secs, stats[0].CallDuration)
		})
	}
}

func TestAdversaryEmptyObjectWrittenAsPHPArrayDecodesAsEmpty(t *testing.T) {
	// PHP's json_encode writes an empty associative array as []: wherever an
	// object is expected, [] is an empty object, not an error.
	tests := []struct {
		name, body string
		call       func(t *testing.T, c *apizee.Client) any
		want       any
	}{
		{"ticket requestor and geoloc", `{"id":82070,"requestor":[],"geoloc":[ ]}`,
			func(t *testing.T, c *apizee.Client) any {
				tk, err := c.Tickets.Get(t.Context(), 82070)
				require.NoError(t, err)
				return []any{tk.Requestor, tk.Geoloc}
			}, []any{apizee.Requestor{}, &apizee.GeoPoint{}}},
		{"ticket geoloc written with a space, alone", `{"id":82070,"geoloc":[ ]}`,
			func(t *testing.T, c *apizee.Client) any {
				tk, err := c.Tickets.Get(t.Context(), 82070)
				require.NoError(t, err)
				return tk.Geoloc
			}, &apizee.GeoPoint{}},
		{"ticket requestor after nested lists", `{"id":82070,"tags":[["a"]],"requestor":[]}`,
			func(t *testing.T, c *apizee.Client) any {
				tk, err := c.Tickets.Get(t.Context(), 82070)
				require.NoError(t, err)
				return tk.Requestor
			}, apizee.Requestor{}},
		{"ticket list", `{"total":1,"data":[{"id":82070,"reference":"r","requestor":[],"geoloc":[],"description":"[] stays []"}]}`,
			func(t *testing.T, c *apizee.Client) any {
				page, err := c.Tickets.List(t.Context(), nil)
				require.NoError(t, err)
				require.Len(t, page.Items, 1)
				return []any{page.Items[0].Requestor, page.Items[0].Geoloc, page.Items[0].Description}
			}, []any{apizee.Requestor{}, &apizee.GeoPoint{}, "[] stays []"}},
		{"conference organizer, created_by, moderator", `{"id":7,"organizer":[],"created_by":[],"moderator":[]}`,
			func(t *testing.T, c *apizee.Client) any {
				cf, err := c.Conferences.Get(t.Context(), 7)
				require.NoError(t, err)
				return []*apizee.Party{cf.Organizer, cf.CreatedBy, cf.Moderator}
			}, []*apizee.Party{{}, {}, {}}},
		{"session organizer, enterprise, service", `{"total":1,"data":[{"id":"s-1","organizer":[],"enterprise":[],"service":[]}]}`,
			func(t *testing.T, c *apizee.Client) any {
				page, err := c.Sessions.List(t.Context(), nil)
				require.NoError(t, err)
				require.Len(t, page.Items, 1)
				s := page.Items[0]
				return []any{s.Organizer, s.Enterprise, s.Service}
			}, []any{&apizee.Party{}, &apizee.Party{}, &apizee.EntryPoint{}}},
		{"media owner, geoloc, metadata.geoloc", `{"total":1,"data":[{"id":3,"owner":[],"geoloc":[],"metadata":{"geoloc":[]}}]}`,
			func(t *testing.T, c *apizee.Client) any {
				page, err := c.Media.ListForConference(t.Context(), 7, nil)
				require.NoError(t, err)
				require.Len(t, page.Items, 1)
				return []any{page.Items[0].Owner, page.Items[0].Location}
			}, []any{&apizee.Party{}, &apizee.GeoPoint{}}},
		{"media metadata.geoloc alone", `{"total":1,"data":[{"id":3,"metadata":{"geoloc":[]}}]}`,
			func(t *testing.T, c *apizee.Client) any {
				page, err := c.Media.ListForConference(t.Context(), 7, nil)
				require.NoError(t, err)
				require.Len(t, page.Items, 1)
				return page.Items[0].Location
			}, &apizee.GeoPoint{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, tt.body) }))
			defer api.Close()
			c := hostileClient(t, api.URL+"/api", apizee.WithEnterpriseID(1))
			assert.Equal(t, tt.want, tt.call(t, c))
		})
	}
}

func TestAdversaryEmptyObjectWrittenAsPHPArrayDecodesWithEncodingJSON(t *testing.T) {
	// The models' own UnmarshalJSON, for callers who decode stored or
	// forwarded API answers themselves.
	var tk apizee.Ticket
	require.NoError(t, json.Unmarshal([]byte(`{"id":1,"requestor":[],"geoloc":[]}`), &tk))
	assert.Equal(t, apizee.Requestor{}, tk.Requestor)
	var p apizee.Party
	require.NoError(t, json.Unmarshal([]byte(` [ ] `), &p))
	assert.Equal(t, apizee.Party{}, p)
	var g apizee.GeoPoint
	require.NoError(t, json.Unmarshal([]byte(`[]`), &g))
	var s apizee.Session
	require.NoError(t, json.Unmarshal([]byte(`{"id":"s","service":[],"organizer":[]}`), &s))
	var m apizee.Media
	require.NoError(t, json.Unmarshal([]byte(`{"id":1,"owner":[],"location":[]}`), &m))
	var cf apizee.Conference
	require.NoError(t, json.Unmarshal([]byte(`{"id":1,"moderator":[]}`), &cf))
	// A list that is not empty is still no object.
	require.Error(t, json.Unmarshal([]byte(`[1]`), &p))
	require.Error(t, json.Unmarshal([]byte(`{"id":1,"requestor":["+33612345678"]}`), &tk))
	assert.False(t, strings.Contains(tk.Reference, "["))
}
