package apizee_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee"
)

func TestTicketMediaStatusFilter(t *testing.T) {
	srv, c := e2eServer(t)
	ctx := t.Context()
	const ticket = 663614
	pending := srv.AddTicketMedia(ticket, 10)
	srv.SetTicketMediaStatus(pending, "pending")

	page, err := c.Media.ListForTicket(ctx, ticket, nil)
	require.NoError(t, err)
	completed := len(page.Items)
	require.Positive(t, completed)
	for _, m := range page.Items {
		assert.NotEqual(t, pending, m.URL, "the server's default lists completed media only")
	}
	reqs := srv.Requests()
	assert.False(t, reqs[len(reqs)-1].Query.Has("status"), "nothing sent by default")

	page, err = c.Media.ListForTicket(ctx, ticket, &apizee.ListMediaParams{Status: []string{"pending"}})
	require.NoError(t, err)
	require.Len(t, page.Items, 1)
	assert.Equal(t, pending, page.Items[0].URL)
	assert.Equal(t, "pending", page.Items[0].Status)

	var urls []string
	srv.ResetRequests()
	for m, err := range c.Media.AllForTicket(ctx, ticket, &apizee.ListMediaParams{Status: []string{apizee.MediaCompleted, "pending"}, Limit: 1}) {
		require.NoError(t, err)
		urls = append(urls, m.URL)
	}
	assert.Len(t, urls, completed+1)
	assert.Contains(t, urls, pending)
	for _, r := range srv.Requests() {
		assert.Equal(t, "completed,pending", r.Query.Get("status"), "every page keeps the filter")
	}
}

func TestMediaStatusValidation(t *testing.T) {
	srv, c := e2eServer(t)
	ctx := t.Context()
	for _, status := range [][]string{{""}, {"a,b"}, {"pending", "a b"}, {"en\tcours"}, {"terminé"}} {
		_, err := c.Media.ListForTicket(ctx, 663614, &apizee.ListMediaParams{Status: status})
		requireValidationError(t, err, "Status")
		for _, err := range c.Media.AllForTicket(ctx, 663614, &apizee.ListMediaParams{Status: status}) {
			requireValidationError(t, err, "Status")
		}
	}
	_, err := c.Media.ListForConference(ctx, 842341, &apizee.ListMediaParams{Status: []string{"completed"}})
	requireValidationError(t, err, "Status")
	for _, err := range c.Media.AllForConference(ctx, 842341, &apizee.ListMediaParams{Status: []string{"completed"}}) {
		requireValidationError(t, err, "Status")
	}
	assert.Zero(t, srv.RequestCount("", ""), "no request, not even /token")
}
