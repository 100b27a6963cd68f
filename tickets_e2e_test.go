package apizee_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee"
	"github.com/apizee-go/apizee/apizeetest"
)

// e2eServer starts an apizeetest server (mounted under its /api prefix) and
// a client that logs in with its credentials and retries quickly.
func e2eServer(t *testing.T, opts ...apizeetest.Option) (*apizeetest.Server, *apizee.Client) {
	t.Helper()
	srv := apizeetest.NewServer(opts...)
	t.Cleanup(srv.Close)
	c, err := apizee.NewClient(apizee.WithBaseURL(srv.URL), apizee.WithCredentials(srv.Username, srv.Password),
		apizee.WithRetryPolicy(apizee.RetryPolicy{MaxRetries: 3, MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond}))
	require.NoError(t, err)
	return srv, c
}

func supportCase(reference string) *apizee.CreateTicketParams {
	return &apizee.CreateTicketParams{Agent: apizeetest.DefaultUsername, Phone: []string{"+33612345678"}, Invite: true, Reference: reference}
}

// lostAnswer is a POST /tickets that the server processes (the ticket is
// stored) and whose answer never reaches the client.
var lostAnswer = apizeetest.Fault{Method: http.MethodPost, Path: "/tickets", DropAfterProcessing: true}

func TestE2ECreateOnceSurvivesALostAnswer(t *testing.T) {
	srv, c := e2eServer(t)
	srv.QueueFault(lostAnswer)

	tk, err := c.Tickets.CreateOnce(t.Context(), supportCase("case-lost"))
	require.NoError(t, err)
	assert.Equal(t, 1, srv.TicketsWithReference("case-lost"), "exactly one ticket")
	assert.Equal(t, 1, srv.RequestCount(http.MethodPost, "/tickets"), "found, not created again")
	found, err := c.Tickets.FindByReference(t.Context(), "case-lost")
	require.NoError(t, err)
	assert.Equal(t, found.ID, tk.ID, "the call returns the ticket it created")
	assert.Equal(t, apizee.TicketInvited, tk.State)
}

func TestE2ECreateUnderALostAnswerFailsAndCreatesOne(t *testing.T) {
	srv, c := e2eServer(t)
	srv.QueueFault(lostAnswer)

	tk, err := c.Tickets.Create(t.Context(), supportCase("case-plain"))
	assert.Nil(t, tk)
	var reqErr *apizee.RequestError
	require.ErrorAs(t, err, &reqErr, "the answer was lost")
	assert.Equal(t, 1, srv.TicketsWithReference("case-plain"), "the server holds exactly one ticket: Create never sends a POST twice")
	assert.Equal(t, 1, srv.RequestCount(http.MethodPost, "/tickets"))
}

func TestE2ECreateOnceCreatesAgainAfterAnUnprocessedServerError(t *testing.T) {
	srv, c := e2eServer(t)
	srv.QueueFault(apizeetest.Fault{Method: http.MethodPost, Path: "/tickets", Status: http.StatusInternalServerError})

	tk, err := c.Tickets.CreateOnce(t.Context(), supportCase("case-500"))
	require.NoError(t, err)
	assert.Equal(t, 1, srv.TicketsWithReference("case-500"))
	assert.Equal(t, 2, srv.RequestCount(http.MethodPost, "/tickets"))
	found, err := c.Tickets.FindByReference(t.Context(), "case-500")
	require.NoError(t, err)
	assert.Equal(t, found.ID, tk.ID)
}

func TestE2ECreateOnceNeverReturnsAnOlderTicket(t *testing.T) {
	for name, fault := range map[string]apizeetest.Fault{
		"lost answer":        lostAnswer,
		"unprocessed 500":    {Method: http.MethodPost, Path: "/tickets", Status: http.StatusInternalServerError},
		"unprocessed 503 x2": {Method: http.MethodPost, Path: "/tickets", Status: http.StatusServiceUnavailable},
	} {
		t.Run(name, func(t *testing.T) {
			srv, c := e2eServer(t)
			older := srv.AddTickets(1, "case-old")
			srv.QueueFault(fault)
			if strings.HasSuffix(name, "x2") {
				srv.QueueFault(fault)
			}

			tk, err := c.Tickets.CreateOnce(t.Context(), supportCase("case-old"))
			require.NoError(t, err)
			assert.NotEqual(t, older[0], tk.ID, "the ticket that was there before is not ours")
			assert.Equal(t, 2, srv.TicketsWithReference("case-old"), "the older one and exactly one new one")
		})
	}
}

func TestE2ECreateOnceGivesUpWithinTheRetryBudget(t *testing.T) {
	srv, c := e2eServer(t)
	for range 5 {
		srv.QueueFault(apizeetest.Fault{Method: http.MethodPost, Path: "/tickets", Status: http.StatusBadGateway})
	}
	_, err := c.Tickets.CreateOnce(t.Context(), supportCase("case-down"))
	assert.ErrorIs(t, err, apizee.ErrServer)
	assert.Equal(t, 4, srv.RequestCount(http.MethodPost, "/tickets"), "one attempt and MaxRetries (3) more")
	assert.Zero(t, srv.TicketsWithReference("case-down"))
}

func TestE2ECreateOnceReturnsARefusalAtOnce(t *testing.T) {
	srv, c := e2eServer(t)
	srv.QueueFault(apizeetest.Fault{Method: http.MethodPost, Path: "/tickets", Status: http.StatusForbidden})
	_, err := c.Tickets.CreateOnce(t.Context(), supportCase("case-403"))
	assert.ErrorIs(t, err, apizee.ErrForbidden)
	assert.Equal(t, 1, srv.RequestCount(http.MethodPost, "/tickets"))
}

func TestE2ECreateGetAndFind(t *testing.T) {
	srv, c := e2eServer(t)
	p := supportCase("case-full")
	p.Email = []string{"jane@example.com"}
	p.SSO = true
	p.Name = "Jane Doe"

	tk, err := c.Tickets.Create(t.Context(), p)
	require.NoError(t, err)
	assert.Equal(t, apizee.TicketInvited, tk.State)
	assert.Equal(t, "case-full", tk.Reference)
	assert.Equal(t, apizeetest.DefaultUsername, tk.Agent)
	assert.Equal(t, "Jane Doe", tk.Name)
	assert.Equal(t, []string{"+33612345678"}, tk.Requestor.Phones)
	assert.Equal(t, []string{"jane@example.com"}, tk.Requestor.Emails)
	assert.Contains(t, tk.SSOURL, "access_token=")
	assert.Contains(t, tk.RequestorURL, "pwd=")
	assert.Equal(t, int64(223), tk.ButtonID)
	assert.Equal(t, tk.AgentURL+"/entrypoint/223/tickets/"+strconv.FormatInt(tk.ID, 10), tk.AgentTicketURL())
	assert.False(t, tk.Created.IsZero())

	got, err := c.Tickets.Get(t.Context(), tk.ID)
	require.NoError(t, err)
	assert.Equal(t, tk.ID, got.ID)
	assert.Equal(t, tk.Created, got.Created)

	_, err = c.Tickets.Get(t.Context(), 999999999)
	assert.ErrorIs(t, err, apizee.ErrNotFound)

	found, err := c.Tickets.FindByReference(t.Context(), "ref12345678")
	require.NoError(t, err)
	assert.Equal(t, int64(663614), found.ID, "the guide's seeded ticket")

	_, err = c.Tickets.FindByReference(t.Context(), "no-such-case")
	assert.ErrorIs(t, err, apizee.ErrNotFound)
	assert.Equal(t, 1, srv.TokensIssued(), "one token for the whole session")
}

func TestE2EAllWalksEveryPage(t *testing.T) {
	srv, c := e2eServer(t)
	ids := srv.AddTickets(230, "bulk")
	srv.ResetRequests()

	seen := map[int64]bool{}
	for tk, err := range c.Tickets.All(t.Context(), &apizee.ListTicketsParams{Reference: "bulk"}) {
		require.NoError(t, err)
		seen[tk.ID] = true
	}
	assert.Len(t, seen, len(ids))
	for _, id := range ids {
		assert.True(t, seen[id], "ticket %d", id)
	}
	assert.Equal(t, 3, srv.RequestCount(http.MethodGet, "/tickets"), "pages of 100")

	page, err := c.Tickets.List(t.Context(), &apizee.ListTicketsParams{Reference: "bulk", Limit: 10, Offset: 225})
	require.NoError(t, err)
	assert.Equal(t, 230, page.Total)
	assert.Len(t, page.Items, 5)
}

func TestE2ETicketMediaAndEnterpriseID(t *testing.T) {
	srv, c := e2eServer(t)
	page, err := c.Media.ListForTicket(t.Context(), 663614, nil)
	require.NoError(t, err)
	require.Len(t, page.Items, 2)
	var located int
	for _, m := range page.Items {
		if m.Location != nil {
			located++
			assert.InDelta(t, -3.5149756, m.Location.Lng, 1e-9, "location.lon")
		}
	}
	assert.Equal(t, 1, located)

	url := srv.AddTicketMedia(663614, 1000)
	var all []apizee.Media
	for m, err := range c.Media.AllForTicket(t.Context(), 663614, &apizee.ListMediaParams{Limit: 2}) {
		require.NoError(t, err)
		all = append(all, *m)
	}
	require.Len(t, all, 3)
	assert.Equal(t, 1, srv.RequestCount(http.MethodGet, "/users/me"), "the enterprise id is read once")

	var added *apizee.Media
	for i := range all {
		if all[i].URL == url {
			added = &all[i]
		}
	}
	require.NotNil(t, added)
	n, err := c.Media.Download(t.Context(), added, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, int64(1000), n)
}

func TestE2ETicketStats(t *testing.T) {
	srv, c := e2eServer(t, apizeetest.WithEnterpriseID(5))
	stats, err := c.Stats.Tickets(t.Context(), &apizee.TicketStatsParams{
		Since: time.Date(2023, 7, 13, 0, 0, 0, 0, time.UTC),
		Until: time.Date(2023, 7, 14, 0, 0, 0, 0, time.UTC),
	})
	require.NoError(t, err)
	require.NotEmpty(t, stats)
	var row *apizee.TicketStat
	for i := range stats {
		if stats[i].ID == 821793 {
			row = &stats[i]
		}
	}
	require.NotNil(t, row, "the guide's row")
	assert.Equal(t, 335*time.Second, row.CallDuration)
	assert.Equal(t, time.Date(2023, 7, 13, 18, 3, 13, 0, time.UTC), row.SessionStart)
	assert.False(t, row.Answered)
	assert.Equal(t, "Android 10", row.OS)
	assert.Equal(t, 1, srv.RequestCount(http.MethodGet, "/enterprises/5/tickets-stats"))
}

// onAttempt is a RateLimiter that runs do before the n-th HTTP attempt:
// a test uses it to queue a server fault for one request of a sequence.
type onAttempt struct {
	n, seen int
	do      func()
}

func (l *onAttempt) Wait(context.Context) error {
	l.seen++
	if l.seen == l.n {
		l.do()
	}
	return nil
}

func TestE2ECreateOnceListsAgainWhenTheLookUpIsUnreadable(t *testing.T) {
	srv := apizeetest.NewServer()
	t.Cleanup(srv.Close)
	srv.QueueFault(lostAnswer)
	// The listing before, the POST whose answer is lost, then the look-up,
	// answered with a proxy's HTML page.
	lookUp := &onAttempt{n: 3, do: func() {
		srv.QueueFault(apizeetest.Fault{Method: http.MethodGet, Path: "/tickets", MalformedBody: true})
	}}
	c, err := apizee.NewClient(apizee.WithBaseURL(srv.URL), apizee.WithToken(srv.IssueToken()), apizee.WithRateLimiter(lookUp),
		apizee.WithRetryPolicy(apizee.RetryPolicy{MaxRetries: 3, MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond}))
	require.NoError(t, err)

	tk, err := c.Tickets.CreateOnce(t.Context(), supportCase("case-unreadable"))
	require.NoError(t, err, "the ticket was created: the call must say so")
	assert.Equal(t, 1, srv.TicketsWithReference("case-unreadable"))
	assert.Equal(t, 1, srv.RequestCount(http.MethodPost, "/tickets"), "found, not created again")
	assert.Equal(t, 3, srv.RequestCount(http.MethodGet, "/tickets"), "the listing before, the unreadable look-up, the one that found it")
	assert.Equal(t, "case-unreadable", tk.Reference)
}

// The fake is no kinder than Apizee: a listed ticket has no agent_url,
// button_id or sso_url, so its deep link is empty, and Get brings it back.
func TestE2EListedTicketHasNoDeepLinkGetHasOne(t *testing.T) {
	srv, c := e2eServer(t)
	p := supportCase("case-listed")
	p.SSO = true
	created, err := c.Tickets.Create(t.Context(), p)
	require.NoError(t, err)
	require.NotEmpty(t, created.AgentTicketURL())
	require.NotEmpty(t, created.SSOURL)

	found, err := c.Tickets.FindByReference(t.Context(), "case-listed")
	require.NoError(t, err)
	assert.Equal(t, created.ID, found.ID)
	assert.Empty(t, found.AgentTicketURL(), "a list answer has no agent_url or button_id")
	assert.Empty(t, found.SSOURL)
	assert.Empty(t, found.Status)

	got, err := c.Tickets.Get(t.Context(), found.ID)
	require.NoError(t, err)
	assert.Equal(t, created.AgentTicketURL(), got.AgentTicketURL())
	assert.Empty(t, got.SSOURL, "only the create's own answer carries the single-sign-on link")
	assert.Equal(t, 1, srv.TicketsWithReference("case-listed"))
}

// TestE2EListAnswerWritesOnlyWhatTheGuidesListExampleWrites reads the fake's
// list answer raw: the keys Apizee leaves out of a list are absent, not
// empty, and the ones it writes are there.
func TestE2EListAnswerWritesOnlyWhatTheGuidesListExampleWrites(t *testing.T) {
	_, c := e2eServer(t)
	p := supportCase("case-raw-list")
	p.SSO, p.Name = true, "named"
	_, err := c.Tickets.Create(t.Context(), p)
	require.NoError(t, err)

	var page struct {
		Data []map[string]json.RawMessage `json:"data"`
	}
	_, err = c.Do(t.Context(), http.MethodGet, "/tickets", url.Values{"reference": {"case-raw-list"}}, &page)
	require.NoError(t, err)
	require.Len(t, page.Data, 1)
	for _, key := range []string{"agent_url", "sso_url", "status", "name", "button_id"} {
		assert.NotContains(t, page.Data[0], key, "a list answer has no %s", key)
	}
	for _, key := range []string{"id", "state", "reference", "created", "agent", "requestor", "service_key"} {
		assert.Contains(t, page.Data[0], key)
	}
}
