package main

import (
	"context"
	"html"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee"
	"github.com/apizee-go/apizee/apizeetest"
)

// newTestServer returns the page's handler against a fresh fake, the fake,
// and a client of it for checks.
func newTestServer(t *testing.T, opts ...apizeetest.Option) (http.Handler, *apizeetest.Server, *apizee.Client) {
	t.Helper()
	fake := apizeetest.NewServer(opts...)
	t.Cleanup(fake.Close)
	client, err := apizee.NewClient(apizee.WithBaseURL(fake.URL), apizee.WithCredentials(fake.Username, fake.Password))
	require.NoError(t, err)
	s := &server{client: client, agent: fake.Username, log: slog.New(slog.DiscardHandler)}
	return s.handler(), fake, client
}

func post(h http.Handler, path string, form url.Values) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestHomeShowsBothForms(t *testing.T) {
	h, _, _ := newTestServer(t)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))

	assert.Equal(t, http.StatusOK, rec.Code)
	body := rec.Body.String()
	assert.Contains(t, body, `action="/assistance"`)
	assert.Contains(t, body, "Start video assistance")
	assert.Contains(t, body, `action="/meeting"`)
	assert.Contains(t, body, "Start meeting")
	assert.NotContains(t, body, "<iframe")
}

func TestStartAssistanceRedirectsTheAgentToTheTicketSignedIn(t *testing.T) {
	h, fake, client := newTestServer(t)
	rec := post(h, "/assistance", url.Values{"contact": {"+33 6 12 34 56 78"}, "reference": {"case-4711"}})

	require.Equal(t, http.StatusSeeOther, rec.Code, rec.Body.String())
	assert.Equal(t, 1, fake.TicketsWithReference("case-4711"))
	found, err := client.Tickets.FindByReference(context.Background(), "case-4711")
	require.NoError(t, err)
	assert.Equal(t, []string{"+33612345678"}, found.Requestor.Phones, "spaces typed in the phone are dropped")
	// A list answer has no agent_url or button_id: the ticket's own answer has.
	ticket, err := client.Tickets.Get(context.Background(), found.ID)
	require.NoError(t, err)

	location, err := url.Parse(rec.Header().Get("Location"))
	require.NoError(t, err)
	deep, err := url.Parse(ticket.AgentTicketURL())
	require.NoError(t, err)
	assert.Equal(t, deep.Host, location.Host)
	assert.Equal(t, deep.Path, location.Path, "the ticket's deep link")
	assert.NotEmpty(t, location.Query().Get("access_token"), "the SSO token signs the agent in")
}

func TestStartAssistanceWithAnEmail(t *testing.T) {
	h, fake, _ := newTestServer(t)
	rec := post(h, "/assistance", url.Values{"contact": {"customer@example.com"}, "reference": {"case-mail"}})

	assert.Equal(t, http.StatusSeeOther, rec.Code, rec.Body.String())
	assert.Equal(t, 1, fake.TicketsWithReference("case-mail"))
}

func TestStartAssistanceCreatesOneTicketWhenTheAnswerIsLost(t *testing.T) {
	h, fake, _ := newTestServer(t)
	fake.QueueFault(apizeetest.Fault{Method: http.MethodPost, Path: "/tickets", DropAfterProcessing: true})

	rec := post(h, "/assistance", url.Values{"contact": {"+33612345678"}, "reference": {"case-lost"}})

	assert.Equal(t, http.StatusSeeOther, rec.Code, rec.Body.String())
	assert.Equal(t, 1, fake.TicketsWithReference("case-lost"), "one ticket, one SMS")
	location, err := url.Parse(rec.Header().Get("Location"))
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(location.Path, "/entrypoint/223/tickets/"), "the deep link of the ticket CreateOnce found: %s", location)
	assert.Empty(t, location.Query().Get("access_token"), "the SSO link came only with the lost answer: the agent signs in on the portal")
}

func TestStartAssistanceRefusesBadInput(t *testing.T) {
	tests := []struct {
		name    string
		form    url.Values
		message string
	}{
		{"phone not international", url.Values{"contact": {"0612345678"}, "reference": {"case-1"}}, "Phone"},
		{"email without @ is a phone", url.Values{"contact": {"customer"}, "reference": {"case-1"}}, "Phone"},
		{"no reference", url.Values{"contact": {"+33612345678"}}, "Reference"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, fake, _ := newTestServer(t)
			rec := post(h, "/assistance", tt.form)

			assert.Equal(t, http.StatusBadRequest, rec.Code)
			assert.Contains(t, rec.Body.String(), tt.message)
			assert.Contains(t, html.UnescapeString(rec.Body.String()), `value="`+tt.form.Get("contact")+`"`, "the form keeps what was typed")
			assert.Equal(t, 0, fake.RequestCount(http.MethodPost, "/tickets"), "refused before any request")
		})
	}
}

func TestStartAssistanceReportsAnAPIFailure(t *testing.T) {
	h, fake, _ := newTestServer(t)
	fake.QueueFault(apizeetest.Fault{Method: http.MethodPost, Path: "/tickets", Status: http.StatusBadRequest})

	rec := post(h, "/assistance", url.Values{"contact": {"+33612345678"}, "reference": {"case-2"}})

	assert.Equal(t, http.StatusBadGateway, rec.Code)
	assert.Contains(t, rec.Body.String(), "could not start")
}

func TestStartMeetingEmbedsTheRoom(t *testing.T) {
	h, fake, _ := newTestServer(t)
	rec := post(h, "/meeting", url.Values{"participants": {"alice@example.com,\n+33612345678"}, "name": {"Case 4711"}})

	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	body := rec.Body.String()
	assert.Contains(t, body, `<iframe src="`)
	assert.Contains(t, body, `allow="microphone;camera;geolocation;display-capture"`)
	assert.Contains(t, body, "Case 4711")
	assert.Equal(t, 1, fake.RequestCount(http.MethodPost, "/conferences"))
	participants := fake.Requests()[len(fake.Requests())-1].Query.Get("participants")
	assert.Equal(t, "alice@example.com,+33612345678", participants)
}

func TestStartMeetingRefusesNoParticipants(t *testing.T) {
	h, fake, _ := newTestServer(t)
	rec := post(h, "/meeting", url.Values{"participants": {" , \n"}})

	assert.Equal(t, http.StatusBadRequest, rec.Code)
	assert.Contains(t, rec.Body.String(), "Participants")
	assert.NotContains(t, rec.Body.String(), "<iframe")
	assert.Equal(t, 0, fake.RequestCount(http.MethodPost, "/conferences"))
}

func TestStartMeetingOnAnAccountWithoutMeetings(t *testing.T) {
	h, _, _ := newTestServer(t, apizeetest.WithConferencesDisabled())
	rec := post(h, "/meeting", url.Values{"participants": {"alice@example.com"}})

	assert.Equal(t, http.StatusForbidden, rec.Code)
	assert.Contains(t, rec.Body.String(), "not allowed")
}

func TestCrossSiteFormPostsAreRefused(t *testing.T) {
	h, fake, _ := newTestServer(t)
	req := httptest.NewRequest(http.MethodPost, "/assistance", strings.NewReader("contact=%2B33612345678&reference=x"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)

	assert.Equal(t, http.StatusForbidden, rec.Code)
	assert.Equal(t, 0, fake.RequestCount(http.MethodPost, "/tickets"))
}

func TestAgentLink(t *testing.T) {
	ticket := func(agentURL, ssoURL string) *apizee.Ticket {
		return &apizee.Ticket{ID: 82070, ButtonID: 223, AgentURL: agentURL, SSOURL: ssoURL}
	}
	tests := []struct {
		name   string
		ticket *apizee.Ticket
		want   string
	}{
		{"deep link signed in", ticket("https://cloud.apizee.com", "https://cloud.apizee.com?access_token=tok"),
			"https://cloud.apizee.com/entrypoint/223/tickets/82070?access_token=tok"},
		{"no SSO: the deep link", ticket("https://cloud.apizee.com", ""),
			"https://cloud.apizee.com/entrypoint/223/tickets/82070"},
		{"SSO on another host: the token stays out", ticket("https://cloud.apizee.com", "https://evil.example?access_token=tok"),
			"https://cloud.apizee.com/entrypoint/223/tickets/82070"},
		{"no deep link: the SSO link", ticket("", "https://cloud.apizee.com?access_token=tok"),
			"https://cloud.apizee.com?access_token=tok"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, agentLink(tt.ticket))
		})
	}
}

func TestLogsCarryNoSecret(t *testing.T) {
	fake := apizeetest.NewServer()
	defer fake.Close()
	var logs strings.Builder
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	client, err := apizee.NewClient(apizee.WithBaseURL(fake.URL), apizee.WithCredentials(fake.Username, fake.Password), apizee.WithLogger(log))
	require.NoError(t, err)
	h := (&server{client: client, agent: fake.Username, log: log}).handler()

	rec := post(h, "/assistance", url.Values{"contact": {"+33612345678"}, "reference": {"case-log"}})
	require.Equal(t, http.StatusSeeOther, rec.Code)
	location, err := url.Parse(rec.Header().Get("Location"))
	require.NoError(t, err)
	token := location.Query()
	require.NotEmpty(t, token.Get("access_token"))

	assert.Contains(t, logs.String(), "assistance started")
	assert.NotContains(t, logs.String(), token.Get("access_token"))
	assert.NotContains(t, logs.String(), fake.Password)
}
