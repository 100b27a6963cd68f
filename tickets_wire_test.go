package apizee_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee"
)

// The service methods decode tickets through their wire form rather than
// Ticket.UnmarshalJSON (for speed): they must refuse what it refuses and
// decode what it decodes the same way.

func TestEveryTicketCallRefusesATicketWithoutID(t *testing.T) {
	c, mock := ticketsMockClient(t)
	noID := `{"state":"new","reference":"r1"}`
	mock.RegisterResponder(http.MethodGet, mockBase+"/tickets/7", httpmock.NewStringResponder(http.StatusOK, noID))
	mock.RegisterResponder(http.MethodPost, mockBase+"/tickets", httpmock.NewStringResponder(http.StatusOK, noID))
	mock.RegisterResponder(http.MethodGet, mockBase+"/tickets",
		httpmock.NewStringResponder(http.StatusOK, `{"total":2,"data":[{"id":1,"reference":"r1"},`+noID+`]}`))

	calls := map[string]func() error{
		"Get": func() error { _, err := c.Tickets.Get(t.Context(), 7); return err },
		"Create": func() error {
			_, err := c.Tickets.Create(t.Context(), &apizee.CreateTicketParams{Agent: "a", Phone: []string{"+33612345678"}})
			return err
		},
		"List": func() error { _, err := c.Tickets.List(t.Context(), nil); return err },
		"All": func() error {
			for _, err := range c.Tickets.All(t.Context(), nil) {
				if err != nil {
					return err
				}
			}
			return nil
		},
		"FindByReference": func() error { _, err := c.Tickets.FindByReference(t.Context(), "r1"); return err },
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			err := call()
			var decErr *apizee.DecodeError
			require.ErrorAs(t, err, &decErr, "a ticket without an id is not a ticket")
			assert.Contains(t, err.Error(), "no id")
			assert.Contains(t, decErr.Excerpt, `"state":"new"`, "the error quotes the answer")
		})
	}
}

func TestTicketCallsDecodeLikeTicketUnmarshalJSON(t *testing.T) {
	c, mock := ticketsMockClient(t)
	one, list := testdata(t, "ticket_create.json"), testdata(t, "tickets_list.json")
	mock.RegisterResponder(http.MethodGet, mockBase+"/tickets/82070", httpmock.NewBytesResponder(http.StatusOK, one))
	mock.RegisterResponder(http.MethodGet, mockBase+"/tickets", httpmock.NewBytesResponder(http.StatusOK, list))

	var want apizee.Ticket
	require.NoError(t, json.Unmarshal(one, &want))
	got, err := c.Tickets.Get(t.Context(), 82070)
	require.NoError(t, err)
	assert.Equal(t, want, *got)
	assert.Equal(t, []string{"+33612345678"}, got.Requestor.Phones)

	var wantList struct{ Data []apizee.Ticket }
	require.NoError(t, json.Unmarshal(list, &wantList))
	page, err := c.Tickets.List(t.Context(), nil)
	require.NoError(t, err)
	assert.Equal(t, wantList.Data, page.Items)
	require.NotNil(t, page.Items[0].Geoloc)
	assert.Equal(t, apizee.GeoPoint{Lat: 48.7, Lng: -3.5}, *page.Items[0].Geoloc)
}

// A position written twice merges as encoding/json merges the wire struct
// (the SDK decoded it so before the one-pass decoder): the latitude of the
// first stays, and a "lng" beats a later "lon". An empty PHP array under a
// key in another case is no object, as it was not.
func TestTicketPositionWrittenTwiceDecodesAsBefore(t *testing.T) {
	c, mock := ticketsMockClient(t)
	mock.RegisterResponder(http.MethodGet, mockBase+"/tickets/7",
		httpmock.NewStringResponder(http.StatusOK, `{"id":7,"geoloc":{"lat":48.7,"lng":-3.5},"geoloc":{"lon":2}}`))
	mock.RegisterResponder(http.MethodGet, mockBase+"/tickets",
		httpmock.NewStringResponder(http.StatusOK, `{"total":1,"data":[{"id":7,"geoloc":{"lat":48.7},"Geoloc":{"lon":2}}]}`))
	mock.RegisterResponder(http.MethodGet, mockBase+"/tickets/8",
		httpmock.NewStringResponder(http.StatusOK, `{"id":8,"Geoloc":[]}`))

	got, err := c.Tickets.Get(t.Context(), 7)
	require.NoError(t, err)
	assert.Equal(t, &apizee.GeoPoint{Lat: 48.7, Lng: -3.5}, got.Geoloc)
	page, err := c.Tickets.List(t.Context(), nil)
	require.NoError(t, err)
	require.Len(t, page.Items, 1)
	assert.Equal(t, &apizee.GeoPoint{Lat: 48.7, Lng: 2}, page.Items[0].Geoloc)
	_, err = c.Tickets.Get(t.Context(), 8)
	assert.ErrorContains(t, err, `field "geoloc" holds a JSON array where an object belongs`)
}
