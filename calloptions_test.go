package apizee_test

import (
	"context"
	"io"
	"iter"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee"
)

// callEveryMethodTheOldWay calls every service method with the argument
// lists they had before CallOption: this file compiles only while existing
// callers do. It returns each call's error, by method.
func callEveryMethodTheOldWay(ctx context.Context, c *apizee.Client, ticketID, conferenceID int64) map[string]error {
	errs := map[string]error{}
	firstErr := func(seq iter.Seq2[*apizee.Ticket, error]) error {
		for _, err := range seq {
			return err
		}
		return nil
	}
	_, errs["Tickets.Create"] = c.Tickets.Create(ctx, supportCase("old-way-1"))
	_, errs["Tickets.CreateOnce"] = c.Tickets.CreateOnce(ctx, supportCase("old-way-2"))
	_, errs["Tickets.Get"] = c.Tickets.Get(ctx, ticketID)
	_, errs["Tickets.List"] = c.Tickets.List(ctx, nil)
	errs["Tickets.All"] = firstErr(c.Tickets.All(ctx, nil))
	_, errs["Tickets.FindByReference"] = c.Tickets.FindByReference(ctx, "old-way-1")
	_, errs["Conferences.Create"] = c.Conferences.Create(ctx, &apizee.CreateConferenceParams{Participants: []string{"+33612345678"}, Name: "old way"})
	_, errs["Conferences.Get"] = c.Conferences.Get(ctx, conferenceID)
	_, errs["Conferences.List"] = c.Conferences.List(ctx, nil)
	for _, err := range c.Conferences.All(ctx, nil) {
		errs["Conferences.All"] = err
		break
	}
	_, errs["Conferences.FindByName"] = c.Conferences.FindByName(ctx, "old way")
	_, errs["Conferences.CreateOnce"] = c.Conferences.CreateOnce(ctx, &apizee.CreateConferenceParams{Participants: []string{"+33612345678"}, Name: "old way once"})
	page, err := c.Media.ListForTicket(ctx, ticketID, nil)
	errs["Media.ListForTicket"] = err
	for _, err := range c.Media.AllForTicket(ctx, ticketID, nil) {
		errs["Media.AllForTicket"] = err
		break
	}
	_, errs["Media.ListForConference"] = c.Media.ListForConference(ctx, conferenceID, nil)
	for _, err := range c.Media.AllForConference(ctx, conferenceID, nil) {
		errs["Media.AllForConference"] = err
		break
	}
	if err == nil && len(page.Items) > 0 {
		body, err := c.Media.Open(ctx, &page.Items[0])
		if err == nil {
			body.Close()
		}
		errs["Media.Open"] = err
		_, errs["Media.Download"] = c.Media.Download(ctx, &page.Items[0], io.Discard)
	}
	_, errs["Stats.Tickets"] = c.Stats.Tickets(ctx, &apizee.TicketStatsParams{Since: time.Now().AddDate(0, 0, -1)})
	_, errs["Sessions.List"] = c.Sessions.List(ctx, nil)
	for _, err := range c.Sessions.All(ctx, nil) {
		errs["Sessions.All"] = err
		break
	}
	return errs
}

func TestExistingCallersCompileAndWorkUnchanged(t *testing.T) {
	srv, c := e2eServer(t)
	errs := callEveryMethodTheOldWay(t.Context(), c, 663614, 842341)
	assert.Len(t, errs, 21, "every service method")
	for method, err := range errs {
		assert.NoError(t, err, method)
	}
	assert.NotZero(t, srv.RequestCount(http.MethodGet, "/session"))
}

// TestEveryServiceMethodTakesResponseInto calls every service method with
// ResponseInto and checks that each filled its Response.
func TestEveryServiceMethodTakesResponseInto(t *testing.T) {
	_, c := e2eServer(t)
	ctx := t.Context()
	filled := map[string]*apizee.Response{}
	into := func(method string) apizee.CallOption {
		r := &apizee.Response{}
		filled[method] = r
		return apizee.ResponseInto(r)
	}
	params := supportCase("into-1")
	_, err := c.Tickets.Create(ctx, params, into("Tickets.Create"))
	require.NoError(t, err)
	_, err = c.Tickets.CreateOnce(ctx, supportCase("into-2"), into("Tickets.CreateOnce"))
	require.NoError(t, err)
	_, err = c.Tickets.Get(ctx, 82070, into("Tickets.Get"))
	require.NoError(t, err)
	_, err = c.Tickets.List(ctx, nil, into("Tickets.List"))
	require.NoError(t, err)
	for _, err := range c.Tickets.All(ctx, nil, into("Tickets.All")) {
		require.NoError(t, err)
	}
	_, err = c.Tickets.FindByReference(ctx, "into-1", into("Tickets.FindByReference"))
	require.NoError(t, err)
	conf, err := c.Conferences.Create(ctx, &apizee.CreateConferenceParams{Participants: []string{"+33612345678"}, Name: "into"}, into("Conferences.Create"))
	require.NoError(t, err)
	_, err = c.Conferences.Get(ctx, conf.ID, into("Conferences.Get"))
	require.NoError(t, err)
	_, err = c.Conferences.List(ctx, nil, into("Conferences.List"))
	require.NoError(t, err)
	for _, err := range c.Conferences.All(ctx, nil, into("Conferences.All")) {
		require.NoError(t, err)
	}
	_, err = c.Conferences.FindByName(ctx, "into", into("Conferences.FindByName"))
	require.NoError(t, err)
	_, err = c.Conferences.GetWith(ctx, conf.ID, &apizee.GetConferenceParams{SSO: true}, into("Conferences.GetWith"))
	require.NoError(t, err)
	_, err = c.Conferences.CreateOnce(ctx, &apizee.CreateConferenceParams{Participants: []string{"+33612345678"}, Name: "into once",
		IdempotencyKey: "into-once"}, into("Conferences.CreateOnce"))
	require.NoError(t, err)
	page, err := c.Media.ListForTicket(ctx, 663614, nil, into("Media.ListForTicket"))
	require.NoError(t, err)
	require.NotEmpty(t, page.Items)
	for _, err := range c.Media.AllForTicket(ctx, 663614, nil, into("Media.AllForTicket")) {
		require.NoError(t, err)
	}
	_, err = c.Media.ListForConference(ctx, 842341, nil, into("Media.ListForConference"))
	require.NoError(t, err)
	for _, err := range c.Media.AllForConference(ctx, 842341, nil, into("Media.AllForConference")) {
		require.NoError(t, err)
	}
	body, err := c.Media.Open(ctx, &page.Items[0], into("Media.Open"))
	require.NoError(t, err)
	require.NoError(t, body.Close())
	_, err = c.Media.Download(ctx, &page.Items[0], io.Discard, into("Media.Download"))
	require.NoError(t, err)
	_, err = c.Stats.Tickets(ctx, nil, into("Stats.Tickets"))
	require.NoError(t, err)
	_, err = c.Sessions.List(ctx, nil, into("Sessions.List"))
	require.NoError(t, err)
	for _, err := range c.Sessions.All(ctx, nil, into("Sessions.All")) {
		require.NoError(t, err)
	}
	require.NoError(t, c.Conferences.Delete(ctx, conf.ID, into("Conferences.Delete")))
	assert.Len(t, filled, 23)
	assert.Equal(t, http.StatusNoContent, filled["Conferences.Delete"].StatusCode)
	delete(filled, "Conferences.Delete")
	for method, r := range filled {
		assert.Equal(t, http.StatusOK, r.StatusCode, method)
		assert.Equal(t, 1, r.Attempts, method)
		assert.NotEmpty(t, r.Header.Get("Content-Type"), method)
	}
	assert.Equal(t, "video/mp4", filled["Media.Download"].Header.Get("Content-Type"), "the media file's own answer")
}
