package apizee_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee"
	"github.com/apizee-go/apizee/apizeetest"
)

func TestDoDecodesAModelledAndAnUnmodelledAnswer(t *testing.T) {
	srv, c := e2eServer(t)
	var ticket struct {
		ID    int64  `json:"id"`
		State string `json:"state"`
	}
	resp, err := c.Do(t.Context(), http.MethodGet, "/tickets/82070", nil, &ticket)
	require.NoError(t, err)
	assert.Equal(t, int64(82070), ticket.ID)
	assert.Equal(t, "invited", ticket.State)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, 1, resp.Attempts, "the /token fetch is not counted")
	assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	assert.Equal(t, apizee.RateLimit{Remaining: -1}, resp.RateLimit, "the fake sends no budget headers")

	var page struct {
		Total int               `json:"total"`
		Data  []json.RawMessage `json:"data"`
	}
	_, err = c.Do(t.Context(), http.MethodGet, "/tickets", url.Values{"reference": {"1234"}, "limit": {"5"}}, &page)
	require.NoError(t, err)
	assert.Equal(t, 1, page.Total)
	reqs := srv.Requests()
	last := reqs[len(reqs)-1]
	assert.Equal(t, "/tickets", last.Path, "under the base URL's prefix")
	assert.Equal(t, url.Values{"reference": {"1234"}, "limit": {"5"}}, last.Query)
	assert.Equal(t, "application/json", last.Header.Get("Accept"))
	assert.True(t, strings.HasPrefix(last.Header.Get("Authorization"), "Bearer "))
}

func TestDoSendsThePathAsWrittenUnderThePrefix(t *testing.T) {
	var got atomic.Value
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		got.Store(r.URL.EscapedPath() + "?" + r.URL.RawQuery)
		ok(w, r)
	})
	c, err := apizee.NewClient(apizee.WithBaseURL(s.base()), apizee.WithToken("tok"))
	require.NoError(t, err)
	_, err = c.Do(t.Context(), http.MethodGet, "/users/jane%20doe/reports/a%2Fb", url.Values{"q": {"a b&c"}}, nil)
	require.NoError(t, err)
	assert.Equal(t, "/api/users/jane%20doe/reports/a%2Fb?q=a+b%26c", got.Load())
}

func TestDoRefusesPathsThatCouldLeaveThePrefix(t *testing.T) {
	var requests atomic.Int32
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) { requests.Add(1); ok(w, r) })
	c, err := apizee.NewClient(apizee.WithBaseURL(s.base()), apizee.WithCredentials("agent", "secret"))
	require.NoError(t, err)
	for _, path := range []string{
		"",
		"tickets",
		"https://evil.example/api/tickets",
		"http://127.0.0.1/x",
		"//evil.example/tickets",
		"/tickets?limit=1",
		"/tickets?",
		"/tickets#top",
		"/..",
		"/../admin",
		"/tickets/../../admin",
		"/tickets/..",
		"/./tickets",
		"/%2e%2e/admin",
		"/%2E%2e/admin",
		"/.%2e/admin",
		"/%2e./admin",
		"/tickets/%2e%2e%2f%2e%2e%2fadmin",
		"/a%2f..%2fb",
		"/%252e%252e/admin",
		"/%25252e%25252e/admin",
		"/tickets\\..\\admin",
		"/tickets/1\n",
		"/tickets/%zz",
	} {
		t.Run(strconv.Quote(path), func(t *testing.T) {
			resp, err := c.Do(t.Context(), http.MethodGet, path, nil, nil)
			requireValidationError(t, err, "Path")
			assert.Nil(t, resp)
		})
	}
	assert.Zero(t, requests.Load(), "no request, not even /token")
	assert.Zero(t, s.tokens.Load())
}

func TestDoRefusesABadMethod(t *testing.T) {
	s := newServer(t, ok)
	c, err := apizee.NewClient(apizee.WithBaseURL(s.base()), apizee.WithToken("tok"))
	require.NoError(t, err)
	for _, method := range []string{"", "GET /x", "GE\nT", "GÉT"} {
		_, err := c.Do(t.Context(), method, "/x", nil, nil)
		requireValidationError(t, err, "Method")
	}
}

func TestDoWithAndWithoutABody(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/no-content":
			w.WriteHeader(http.StatusNoContent)
		case "/api/empty":
			w.WriteHeader(http.StatusOK)
		case "/api/html":
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, "<html>maintenance</html>")
		default:
			ok(w, r)
		}
	})
	c, err := apizee.NewClient(apizee.WithBaseURL(s.base()), apizee.WithToken("tok"))
	require.NoError(t, err)
	ctx := t.Context()

	out := map[string]any{"kept": true}
	resp, err := c.Do(ctx, http.MethodDelete, "/no-content", nil, &out)
	require.NoError(t, err, "a 204 has nothing to decode")
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)
	assert.Equal(t, map[string]any{"kept": true}, out, "out is left as it is")

	for _, path := range []string{"/empty", "/html", "/no-content"} {
		_, err = c.Do(ctx, http.MethodPost, path, nil, nil)
		assert.NoError(t, err, "out nil discards whatever came: %s", path)
	}
	for _, path := range []string{"/empty", "/html"} {
		_, err = c.Do(ctx, http.MethodGet, path, nil, &out)
		var decErr *apizee.DecodeError
		assert.ErrorAs(t, err, &decErr, "a 200 that is not JSON is not a zero value: %s", path)
	}
}

func TestDoRefusesAJSONAnswerOverTheCap(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(40<<20))
		fmt.Fprint(w, `{"data":[`)
	})
	c, err := apizee.NewClient(apizee.WithBaseURL(s.base()), apizee.WithToken("tok"))
	require.NoError(t, err)
	var out any
	_, err = c.Do(t.Context(), http.MethodGet, "/huge", nil, &out)
	var decErr *apizee.DecodeError
	require.ErrorAs(t, err, &decErr)
	assert.Contains(t, err.Error(), "32 MiB")
}

func TestDoRetriesByMethod(t *testing.T) {
	for _, tc := range []struct {
		method   string
		attempts int
	}{
		{http.MethodGet, 2}, {http.MethodDelete, 2}, {http.MethodPut, 2}, {http.MethodHead, 2},
		{http.MethodPost, 1}, {http.MethodPatch, 1},
	} {
		t.Run(tc.method, func(t *testing.T) {
			var seen atomic.Int32
			s := newServer(t, failFirst(1, http.StatusBadGateway, func(w http.ResponseWriter, r *http.Request) { seen.Add(1); ok(w, r) }))
			c, err := apizee.NewClient(apizee.WithBaseURL(s.base()), apizee.WithToken("tok"), apizee.WithRetryPolicy(fastRetries))
			require.NoError(t, err)
			resp, err := c.Do(t.Context(), tc.method, "/thing", nil, nil)
			require.NotNil(t, resp)
			assert.Equal(t, tc.attempts, resp.Attempts)
			if tc.attempts == 1 {
				var apiErr *apizee.APIError
				require.ErrorAs(t, err, &apiErr, "a 5xx after sending is not retried: the call may have been processed")
				assert.True(t, errors.Is(err, apizee.ErrServer))
				assert.Equal(t, http.StatusBadGateway, resp.StatusCode, "the Response comes with the error")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, http.StatusOK, resp.StatusCode)
		})
	}
	t.Run("429 for every method", func(t *testing.T) {
		s := newServer(t, failFirst(1, http.StatusTooManyRequests, ok, "Retry-After", "0"))
		c, err := apizee.NewClient(apizee.WithBaseURL(s.base()), apizee.WithToken("tok"), apizee.WithRetryPolicy(fastRetries))
		require.NoError(t, err)
		resp, err := c.Do(t.Context(), http.MethodPost, "/thing", nil, nil)
		require.NoError(t, err)
		assert.Equal(t, 2, resp.Attempts)
	})
}

func TestDoRenewsTheTokenAfterA401AndCountsTheReplay(t *testing.T) {
	srv, c := e2eServer(t)
	_, err := c.Tickets.Get(t.Context(), 82070)
	require.NoError(t, err)
	srv.ExpireTokens()
	var out map[string]any
	resp, err := c.Do(t.Context(), http.MethodGet, "/tickets/82070", nil, &out)
	require.NoError(t, err)
	assert.Equal(t, 2, resp.Attempts, "the 401 and its replay; the /token fetch is not counted")
	assert.Equal(t, 2, srv.RequestCount(http.MethodPost, "/token"))
}

func TestDoMapsErrorsToTypedErrors(t *testing.T) {
	_, c := e2eServer(t)
	var out any
	resp, err := c.Do(t.Context(), http.MethodGet, "/tickets/999999", nil, &out)
	assert.ErrorIs(t, err, apizee.ErrNotFound)
	var apiErr *apizee.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "/tickets/999999", apiErr.Path, "relative to the base URL, as Do takes it")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)

	resp, err = c.Do(t.Context(), http.MethodGet, "/no/such/endpoint", nil, nil)
	assert.ErrorIs(t, err, apizee.ErrNotFound)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
}

func TestDoWaitsOnTheRateLimiter(t *testing.T) {
	s := newServer(t, failFirst(1, http.StatusServiceUnavailable, ok))
	limiter := &countingLimiter{}
	c, err := apizee.NewClient(apizee.WithBaseURL(s.base()), apizee.WithToken("tok"), apizee.WithRateLimiter(limiter), apizee.WithRetryPolicy(fastRetries))
	require.NoError(t, err)
	_, err = c.Do(t.Context(), http.MethodGet, "/x", nil, nil)
	require.NoError(t, err)
	assert.Equal(t, int32(2), limiter.waits.Load(), "every attempt waits")
}

func TestDoKeepsTheTokenOnTheAPIHostAcrossRedirects(t *testing.T) {
	var offHost atomic.Value
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		offHost.Store(r.Header.Get("Authorization"))
		ok(w, r)
	}))
	t.Cleanup(other.Close)
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/elsewhere", http.StatusFound)
	})
	c, err := apizee.NewClient(apizee.WithBaseURL(s.base()), apizee.WithToken("tok-secret"))
	require.NoError(t, err)
	var out any
	_, err = c.Do(t.Context(), http.MethodGet, "/moved", nil, &out)
	require.NoError(t, err)
	assert.Equal(t, "", offHost.Load(), "no Authorization off the API host")
}

// TestDoResponseHidesSecretsAHostileServerEchoes: the server echoes the
// bearer token in its headers (Authorization, a custom header, a cookie, a
// Location with access_token=): none of it reaches the Response, on a
// success or on a failure.
func TestDoResponseHidesSecretsAHostileServerEchoes(t *testing.T) {
	const token = "hostileEchoedToken-5f1e9a"
	echo := func(status int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			auth := r.Header.Get("Authorization")
			w.Header().Set("Authorization", auth)
			w.Header().Set("Proxy-Authorization", auth)
			w.Header().Set("X-Echo", "you sent "+auth)
			w.Header().Add("X-Echo", "raw "+token)
			w.Header().Set("Set-Cookie", "session="+token)
			w.Header().Set("Location", "https://cloud.apizee.com/?access_token=abc"+token)
			w.Header().Set("X-RateLimit-Remaining", "7")
			w.WriteHeader(status)
			fmt.Fprint(w, `{"ok":true}`)
		}
	}
	for _, status := range []int{http.StatusOK, http.StatusBadRequest} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			s := newServer(t, echo(status))
			c, err := apizee.NewClient(apizee.WithBaseURL(s.base()), apizee.WithToken(token))
			require.NoError(t, err)
			resp, err := c.Do(t.Context(), http.MethodGet, "/echo", nil, nil)
			if status != http.StatusOK {
				require.Error(t, err)
			}
			require.NotNil(t, resp)
			for _, name := range []string{"Authorization", "Proxy-Authorization", "Set-Cookie"} {
				assert.NotContains(t, resp.Header, name)
			}
			assert.Equal(t, []string{"you sent Bearer REDACTED", "raw REDACTED"}, resp.Header.Values("X-Echo"))
			assert.Equal(t, 7, resp.RateLimit.Remaining)
			printed := fmt.Sprintf("%v %+v %#v", resp, resp, resp)
			assert.NotContains(t, printed, token)
			assert.NotContains(t, printed, "access_token=abc")
		})
	}
}

func TestRateLimitIsReadFromTheAnswer(t *testing.T) {
	for _, tc := range []struct {
		name   string
		header []string
		want   apizee.RateLimit
	}{
		{"absent", nil, apizee.RateLimit{Remaining: -1}},
		{"both", []string{"X-RateLimit-Remaining", "3", "X-RateLimit-Reset", "42"}, apizee.RateLimit{Remaining: 3, Reset: 42 * time.Second}},
		{"none left", []string{"X-RateLimit-Remaining", "0"}, apizee.RateLimit{Remaining: 0}},
		{"unreadable", []string{"X-RateLimit-Remaining", "many", "X-RateLimit-Reset", "-5"}, apizee.RateLimit{Remaining: -1}},
		{"spaces", []string{"X-RateLimit-Remaining", " 9 ", "X-RateLimit-Reset", " 1 "}, apizee.RateLimit{Remaining: 9, Reset: time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				for i := 0; i+1 < len(tc.header); i += 2 {
					w.Header().Set(tc.header[i], tc.header[i+1])
				}
				if r.URL.Path == "/api/fail" {
					w.WriteHeader(http.StatusForbidden)
				}
				ok(w, r)
			})
			c, err := apizee.NewClient(apizee.WithBaseURL(s.base()), apizee.WithToken("tok"))
			require.NoError(t, err)
			resp, err := c.Do(t.Context(), http.MethodGet, "/ok", nil, nil)
			require.NoError(t, err)
			assert.Equal(t, tc.want, resp.RateLimit)
			_, err = c.Do(t.Context(), http.MethodGet, "/fail", nil, nil)
			var apiErr *apizee.APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, tc.want, apiErr.RateLimit, "an APIError carries the same budget")
		})
	}
}

func TestDoLogsAndErrorsMaskASecretInThePath(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusInternalServerError) })
	logger, logs := debugLogger()
	c, err := apizee.NewClient(apizee.WithBaseURL(s.base()), apizee.WithToken("tok"), apizee.WithLogger(logger), apizee.WithRetryPolicy(fastRetries))
	require.NoError(t, err)
	_, err = c.Do(t.Context(), http.MethodGet, "/links/access_token=sEcReT123", nil, nil)
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "sEcReT123")
	assert.NotContains(t, fmt.Sprintf("%#v", err), "sEcReT123")
	assert.NotContains(t, logs.String(), "sEcReT123")
	assert.Contains(t, logs.String(), "apizee: retrying request", "the GET was retried and logged")
}

// TestDoAndServicesShareThePipeline: a Do and a service method give the same
// error for the same answer, and send the same attempts.
func TestDoAndServicesShareThePipeline(t *testing.T) {
	rt := newRecordingTransport(t)
	srv, _ := e2eServer(t)
	c, err := apizee.NewClient(apizee.WithBaseURL(srv.URL), apizee.WithCredentials(srv.Username, srv.Password),
		apizee.WithHTTPClient(rt.client()), apizee.WithUserAgent("probe/1"))
	require.NoError(t, err)
	_, getErr := c.Tickets.Get(t.Context(), 424242)
	_, doErr := c.Do(t.Context(), http.MethodGet, "/tickets/424242", nil, &struct{}{})
	require.Error(t, getErr)
	assert.Equal(t, getErr.Error(), doErr.Error())
	seen := rt.attempts()
	require.Len(t, seen, 3, "one /token, then the same GET twice")
	assert.Equal(t, "/api/token", seen[0].Path)
	assert.Equal(t, seen[1], seen[2])
	assert.Equal(t, "probe/1 apizee-go/"+apizee.Version, seen[2].UserAgent)
}

// TestResponseIntoFillsEveryOutcome covers ResponseInto on service methods:
// a success, a refusal, a retried call, a call that got no answer, and a
// walk (the last page's).
func TestResponseIntoFillsEveryOutcome(t *testing.T) {
	srv, c := e2eServer(t)
	ctx := t.Context()

	var r apizee.Response
	tk, err := c.Tickets.Get(ctx, 82070, apizee.ResponseInto(&r))
	require.NoError(t, err)
	assert.Equal(t, int64(82070), tk.ID)
	assert.Equal(t, http.StatusOK, r.StatusCode)
	assert.Equal(t, 1, r.Attempts)
	assert.NotEmpty(t, r.Header.Get("Content-Length"))

	r = apizee.Response{}
	_, err = c.Tickets.Get(ctx, 999999, apizee.ResponseInto(&r))
	require.ErrorIs(t, err, apizee.ErrNotFound)
	assert.Equal(t, http.StatusNotFound, r.StatusCode, "a failed call fills r too")

	srv.QueueFault(apizeetest.Fault{Method: http.MethodGet, Path: "/conferences/*", Status: http.StatusBadGateway})
	r = apizee.Response{}
	_, err = c.Conferences.Get(ctx, 842341, apizee.ResponseInto(&r))
	require.NoError(t, err)
	assert.Equal(t, 2, r.Attempts, "the 502 and its retry")

	srv.QueueFault(apizeetest.Fault{Method: http.MethodGet, Path: "/tickets", Status: http.StatusTooManyRequests,
		Header: http.Header{"X-RateLimit-Reset": {"3600"}, "X-RateLimit-Remaining": {"0"}}})
	r = apizee.Response{}
	_, err = c.Tickets.List(ctx, nil, apizee.ResponseInto(&r))
	require.ErrorIs(t, err, apizee.ErrRateLimited)
	assert.Equal(t, apizee.RateLimit{Remaining: 0, Reset: time.Hour}, r.RateLimit)
	var apiErr *apizee.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, r.RateLimit, apiErr.RateLimit)

	// net/http replays a GET dropped on a reused connection once, on its
	// own: enough faults for every attempt and its replay.
	for range 10 {
		srv.QueueFault(apizeetest.Fault{Method: http.MethodGet, Path: "/session", DropBeforeProcessing: true})
	}
	r = apizee.Response{StatusCode: 999}
	_, err = c.Sessions.List(ctx, nil, apizee.ResponseInto(&r))
	var reqErr *apizee.RequestError
	require.ErrorAs(t, err, &reqErr)
	assert.Zero(t, r.StatusCode, "no answer came")
	assert.Nil(t, r.Header)
	assert.Equal(t, reqErr.Attempts, r.Attempts)
	assert.Equal(t, -1, r.RateLimit.Remaining)
	srv.ClearFaults()

	r = apizee.Response{StatusCode: 7}
	_, err = c.Tickets.Get(ctx, 0, apizee.ResponseInto(&r))
	requireValidationError(t, err, "ID")
	assert.Equal(t, 7, r.StatusCode, "a call refused before any request leaves r unchanged")
}

func TestResponseIntoOnAllHoldsTheLastPage(t *testing.T) {
	const tickets = 3
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		offset, _ := strconv.Atoi(r.URL.Query().Get("offset"))
		// Each page says how much budget is left: 9, then 8, then 7.
		w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(9-offset))
		fmt.Fprintf(w, `{"total":%d,"data":[{"id":%d}]}`, tickets, offset+1)
	})
	c, err := apizee.NewClient(apizee.WithBaseURL(s.base()), apizee.WithToken("tok"))
	require.NoError(t, err)
	var r, other apizee.Response
	walked := 0
	for _, err := range c.Tickets.All(t.Context(), &apizee.ListTicketsParams{Limit: 1}, apizee.ResponseInto(&r), apizee.ResponseInto(&other)) {
		require.NoError(t, err)
		walked++
		assert.Equal(t, 10-walked, r.RateLimit.Remaining, "r follows the pages as they come")
	}
	assert.Equal(t, tickets, walked)
	assert.Equal(t, 7, r.RateLimit.Remaining, "the last page's")
	assert.Equal(t, other, r, "every Response given is filled")
}
