package apizeetest_test

import (
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee/apizeetest"
)

func TestDefaults(t *testing.T) {
	srv := newServer(t)

	assert.True(t, strings.HasPrefix(srv.URL, "http://127.0.0.1:"), srv.URL)
	assert.True(t, strings.HasSuffix(srv.URL, apizeetest.DefaultPrefix), srv.URL)
	assert.Equal(t, apizeetest.DefaultUsername, srv.Username)
	assert.Equal(t, apizeetest.DefaultPassword, srv.Password)
	assert.Equal(t, apizeetest.DefaultEnterpriseID, srv.EnterpriseID)
	assert.Equal(t, 2, srv.TicketCount(), "seeded")
	assert.Equal(t, 2, srv.ConferenceCount(), "seeded")
}

func TestWithPrefix(t *testing.T) {
	tests := []struct{ prefix, wantSuffix string }{
		{"", ""},
		{"/api/v3", "/api/v3"},
		{"custom/", "/custom"},
	}
	for _, tt := range tests {
		t.Run(tt.prefix, func(t *testing.T) {
			srv := newServer(t, apizeetest.WithPrefix(tt.prefix))
			u, err := url.Parse(srv.URL)
			require.NoError(t, err)
			root := u.Scheme + "://" + u.Host

			assert.Equal(t, root+tt.wantSuffix, srv.URL)
			assert.Equal(t, http.StatusOK, get(t, srv, "/tickets/82070").Status, "the API is under the prefix")
			if tt.wantSuffix != "" {
				assert.Equal(t, http.StatusNotFound, send(t, http.MethodGet, root+"/tickets/82070", srv.IssueToken(), nil).Status,
					"and not at the root")
			}
			media := get(t, srv, "/conferences/842341/media").object(t)["data"].([]any)[0].(map[string]any)["url"].(string)
			assert.True(t, strings.HasPrefix(media, root+"/media/showVideo/"), "media files are at the root: %s", media)
			assert.Equal(t, http.StatusOK, send(t, http.MethodGet, media, srv.IssueToken(), nil).Status)

			reqs := srv.Requests()
			assert.Equal(t, "/tickets/82070", reqs[0].Path, "recorded relative to the prefix")
		})
	}
}

func TestUnknownRoutes(t *testing.T) {
	srv := newServer(t)
	tok := srv.IssueToken()

	notFound := send(t, http.MethodGet, srv.URL+"/nothing/here", tok, nil)
	requireAPIError(t, notFound, http.StatusNotFound, map[string]any{"message": `No route found for "GET /nothing/here"`})

	wrongMethod := send(t, http.MethodPut, srv.URL+"/tickets/82070", tok, nil)
	requireAPIError(t, wrongMethod, http.StatusMethodNotAllowed, nil)
	assert.Equal(t, "GET", wrongMethod.Header.Get("Allow"))
}

func TestRequestsAreRecorded(t *testing.T) {
	srv := newServer(t)
	tok := send(t, http.MethodPost, srv.URL+"/token", "", passwordForm(srv)).object(t)["access_token"].(string)
	send(t, http.MethodGet, srv.URL+"/tickets?limit=5&reference=r1", tok, nil)
	send(t, http.MethodGet, srv.URL+"/tickets/999999", tok, nil)
	srv.QueueFault(apizeetest.Fault{DropBeforeProcessing: true})
	// A POST: net/http would retry a GET dropped on a reused connection.
	_, err := do(http.MethodPost, srv.URL+"/conferences?participants=a%40b.c", tok, nil)
	require.Error(t, err)

	reqs := srv.Requests()

	require.Len(t, reqs, 4)
	assert.Equal(t, "POST", reqs[0].Method)
	assert.Equal(t, "/token", reqs[0].Path)
	assert.Equal(t, srv.Password, reqs[0].Form.Get("password"), "the form body is parsed")
	assert.Empty(t, reqs[0].Query)
	assert.Equal(t, http.StatusOK, reqs[0].Status)

	assert.Equal(t, "/tickets", reqs[1].Path)
	assert.Equal(t, url.Values{"limit": {"5"}, "reference": {"r1"}}, reqs[1].Query)
	assert.Equal(t, "Bearer "+tok, reqs[1].Header.Get("Authorization"))
	assert.Nil(t, reqs[1].Form)
	assert.Equal(t, http.StatusOK, reqs[1].Status)

	assert.Equal(t, http.StatusNotFound, reqs[2].Status)
	assert.Zero(t, reqs[3].Status, "dropped")

	assert.Equal(t, 2, srv.RequestCount("GET", "/tickets*"))
	assert.Equal(t, 1, srv.RequestCount("", "/tickets"))
	assert.Equal(t, 4, srv.RequestCount("", ""))
	assert.Equal(t, 1, srv.RequestCount("post", "/token"), "methods match in any case")
	assert.Zero(t, srv.RequestCount("DELETE", ""))
	assert.Equal(t, 2, srv.ConferenceCount(), "the dropped POST was not processed")
}

func TestRequestsReturnsACopy(t *testing.T) {
	srv := newServer(t)
	get(t, srv, "/tickets?limit=5")

	reqs := srv.Requests()
	reqs[0].Query.Set("limit", "99")
	reqs[0].Header.Set("Authorization", "changed")
	reqs[0].Path = "/changed"

	again := srv.Requests()[0]
	assert.Equal(t, "5", again.Query.Get("limit"))
	assert.NotEqual(t, "changed", again.Header.Get("Authorization"))
	assert.Equal(t, "/tickets", again.Path)
}

func TestResetRequests(t *testing.T) {
	srv := newServer(t)
	get(t, srv, "/tickets")

	srv.ResetRequests()

	assert.Empty(t, srv.Requests())
	assert.Zero(t, srv.RequestCount("", ""))
	get(t, srv, "/conferences")
	assert.Equal(t, 1, srv.RequestCount("GET", "/conferences"))
}

func TestWithRateLimit(t *testing.T) {
	clk := newClock("2024-03-01T10:00:00Z")
	srv := newServer(t, apizeetest.WithRateLimit(2, time.Minute), apizeetest.WithClock(clk.Now))
	tok, other := srv.IssueToken(), srv.IssueToken()

	assert.Equal(t, http.StatusOK, send(t, http.MethodGet, srv.URL+"/tickets", tok, nil).Status)
	clk.Advance(15 * time.Second)
	assert.Equal(t, http.StatusOK, send(t, http.MethodGet, srv.URL+"/conferences", tok, nil).Status, "every endpoint counts")
	limited := send(t, http.MethodGet, srv.URL+"/tickets/82070", tok, nil)

	requireAPIError(t, limited, http.StatusTooManyRequests, map[string]any{"error": "API rate limit exceeded"})
	assert.Equal(t, "45", limited.Header.Get("X-RateLimit-Reset"), "seconds until the window resets")
	assert.Equal(t, "0", limited.Header.Get("X-RateLimit-Remaining"))
	assert.Equal(t, http.StatusTooManyRequests, send(t, http.MethodGet, srv.URL+"/tickets", other, nil).Status,
		"the user's other token shares the budget")

	clk.Advance(45 * time.Second)
	assert.Equal(t, http.StatusOK, send(t, http.MethodGet, srv.URL+"/tickets", tok, nil).Status, "a new window")
}

// Apizee counts per user: a client that logs in again, a second replica, a
// token from the JWT-bearer grant all spend the same budget.
func TestWithRateLimitCountsPerUserAcrossTokensAndLogins(t *testing.T) {
	clk := newClock("2024-03-01T10:00:00Z")
	srv := newServer(t, apizeetest.WithRateLimit(3, time.Minute), apizeetest.WithClock(clk.Now))
	login := send(t, http.MethodPost, srv.URL+"/token", "", passwordForm(srv))
	require.Equal(t, http.StatusOK, login.Status)
	fromLogin := login.object(t)["access_token"].(string)
	jwt := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {"a.b.c"}}
	require.Equal(t, http.StatusOK, send(t, http.MethodPost, srv.URL+"/token", "", jwt).Status, "the second request of the window")
	issued := srv.IssueToken()

	assert.Equal(t, http.StatusOK, send(t, http.MethodGet, srv.URL+"/tickets", issued, nil).Status, "the third")
	assert.Equal(t, http.StatusTooManyRequests, send(t, http.MethodGet, srv.URL+"/tickets", fromLogin, nil).Status,
		"the fourth, whichever token carries it")
	assert.Equal(t, http.StatusTooManyRequests, send(t, http.MethodPost, srv.URL+"/token", "", passwordForm(srv)).Status,
		"logging in again spends the same budget")

	unknown := send(t, http.MethodGet, srv.URL+"/tickets", "not-a-token-of-this-server", nil)
	assert.Equal(t, http.StatusUnauthorized, unknown.Status, "a token the server never issued is no user's: refused, not limited")
}

func TestWithRateLimitCountsTokenCallsPerUsername(t *testing.T) {
	clk := newClock("2024-03-01T10:00:00Z")
	srv := newServer(t, apizeetest.WithRateLimit(1, time.Minute), apizeetest.WithClock(clk.Now))

	assert.Equal(t, http.StatusOK, send(t, http.MethodPost, srv.URL+"/token", "", passwordForm(srv)).Status)
	limited := send(t, http.MethodPost, srv.URL+"/token", "", passwordForm(srv))

	assert.Equal(t, http.StatusTooManyRequests, limited.Status)
	assert.Equal(t, "60", limited.Header.Get("X-RateLimit-Reset"))
	assert.Equal(t, 1, srv.TokensIssued())
}

func TestWithoutSeed(t *testing.T) {
	srv := newServer(t, apizeetest.WithoutSeed())

	assert.Zero(t, srv.TicketCount())
	assert.Zero(t, srv.ConferenceCount())
	for _, path := range []string{"/tickets", "/conferences", "/session"} {
		items, total := get(t, srv, path).data(t)
		assert.Empty(t, items, path)
		assert.Zero(t, total, path)
	}
	assert.Equal(t, "[]", string(get(t, srv, "/enterprises/1/tickets-stats").Body))
	assert.Equal(t, http.StatusNotFound, get(t, srv, "/tickets/82070").Status)
}

func TestWithListener(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := apizeetest.NewServer(apizeetest.WithListener(l))

	assert.Equal(t, "http://"+l.Addr().String()+apizeetest.DefaultPrefix, srv.URL, "the URL names the listener's address")
	a := get(t, srv, "/tickets/82070")
	assert.Equal(t, http.StatusOK, a.Status, "served on the listener, seeded: %s", a.Body)
	media := get(t, srv, "/enterprises/1/tickets/663614/medias").object(t)["medias"].([]any)[0].(map[string]any)
	assert.True(t, strings.HasPrefix(media["url"].(string), "http://"+l.Addr().String()+"/"), "media links too: %v", media["url"])

	srv.Close()
	_, err = net.Dial("tcp", l.Addr().String())
	assert.Error(t, err, "Close closes the listener")
}

func TestCloseDoesNotWaitForAbandonedDownloads(t *testing.T) {
	srv := apizeetest.NewServer()
	resp, err := do(http.MethodGet, srv.AddTicketMedia(663614, 1<<30), srv.IssueToken(), nil)
	require.NoError(t, err)
	defer resp.Body.Close()
	closed := make(chan struct{})

	go func() {
		srv.Close()
		close(closed)
	}()

	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close waits for a download nobody reads")
	}
	_, err = io.Copy(io.Discard, resp.Body)
	assert.Error(t, err, "the download is cut")
}
