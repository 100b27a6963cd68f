package apizee_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee"
)

type closedLimiter struct{}

func (closedLimiter) Wait(context.Context) error { return errors.New("limiter closed") }

// TestReviewAttemptsCountWhatWasSent: Attempts counts HTTP attempts. A call
// that the rate limiter or the budget gate held back sent nothing: 0, not
// 1. A retry, a 401 replay and a redirect hop count as the design says.
func TestReviewAttemptsCountWhatWasSent(t *testing.T) {
	t.Run("rate limiter refuses", func(t *testing.T) {
		var hits atomic.Int32
		s := newServer(t, func(w http.ResponseWriter, r *http.Request) { hits.Add(1); ok(w, r) })
		c, err := apizee.NewClient(apizee.WithBaseURL(s.base()), apizee.WithToken("tok"), apizee.WithRateLimiter(closedLimiter{}))
		require.NoError(t, err)
		resp, err := c.Do(t.Context(), http.MethodGet, "/x", nil, nil)
		require.ErrorContains(t, err, "limiter closed")
		assert.Zero(t, hits.Load())
		assert.Equal(t, 0, resp.Attempts, "nothing was sent")
		var reqErr *apizee.RequestError
		require.ErrorAs(t, err, &reqErr)
		assert.Equal(t, 0, reqErr.Attempts)
	})
	t.Run("budget holds the call back", func(t *testing.T) {
		var hits atomic.Int32
		s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
			hits.Add(1)
			w.Header().Set("Retry-After", "3600")
			w.WriteHeader(http.StatusTooManyRequests)
		})
		c, err := apizee.NewClient(apizee.WithBaseURL(s.base()), apizee.WithToken("tok"))
		require.NoError(t, err)
		resp, err := c.Do(t.Context(), http.MethodGet, "/x", nil, nil)
		require.ErrorIs(t, err, apizee.ErrRateLimited)
		assert.Equal(t, 1, resp.Attempts)
		resp, err = c.Do(t.Context(), http.MethodGet, "/x", nil, nil)
		require.ErrorIs(t, err, apizee.ErrBudgetWait)
		assert.Equal(t, int32(1), hits.Load(), "held back")
		assert.Equal(t, 0, resp.Attempts, "nothing was sent")
	})
	t.Run("retry, 401 replay and a redirect", func(t *testing.T) {
		var n atomic.Int32
		s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
			switch n.Add(1) {
			case 1:
				w.WriteHeader(http.StatusServiceUnavailable)
			case 2:
				w.WriteHeader(http.StatusUnauthorized)
			case 3:
				http.Redirect(w, r, "/api/y", http.StatusFound)
			default:
				ok(w, r)
			}
		})
		c, err := apizee.NewClient(apizee.WithBaseURL(s.base()), apizee.WithCredentials("agent", "pw"),
			apizee.WithRetryPolicy(apizee.RetryPolicy{MaxRetries: 3, MinBackoff: time.Nanosecond, MaxBackoff: time.Nanosecond}))
		require.NoError(t, err)
		resp, err := c.Do(t.Context(), http.MethodGet, "/x", nil, nil)
		require.NoError(t, err)
		assert.Equal(t, 3, resp.Attempts, "the 503, its retry answered 401, the replay (redirected once); not the two /token fetches")
		assert.Equal(t, int32(2), s.tokens.Load())
	})
}

// TestReviewCallStatePrintsNoSecret: a user's transport or CheckRedirect
// sees the request's context, which carries the call's retry state. Logged
// or printed, it must not show the password or the token.
func TestReviewCallStatePrintsNoSecret(t *testing.T) {
	const password = "pw-in-call-state-93b1"
	var printed strings.Builder
	var mu sync.Mutex
	logAll := func(req *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		printed.WriteString(everyWay(req.Context()))
	}
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/moved" {
			http.Redirect(w, r, "/api/x", http.StatusFound)
			return
		}
		ok(w, r)
	})
	hc := &http.Client{
		Transport: roundTripFunc(func(req *http.Request) (*http.Response, error) {
			logAll(req)
			return http.DefaultTransport.RoundTrip(req)
		}),
		CheckRedirect: func(req *http.Request, _ []*http.Request) error { logAll(req); return nil },
	}
	c, err := apizee.NewClient(apizee.WithBaseURL(s.base()), apizee.WithCredentials("agent", password), apizee.WithHTTPClient(hc))
	require.NoError(t, err)
	_, err = c.Do(t.Context(), http.MethodGet, "/moved", nil, nil)
	require.NoError(t, err)
	assertNotShown(t, printed.String(), password, "token-1")
}

// TestReviewConcurrentCallsNeverMixTheirState hammers one Client (one
// retrying client, one cached Authorization header, one token renewed under
// load) with calls that each need a different number of attempts, some
// replayed after a 401, some DELETEs that find no room after a lost first
// answer: every call's Response, error and decoded answer are its own.
func TestReviewConcurrentCallsNeverMixTheirState(t *testing.T) {
	const calls = 120
	var (
		mu       sync.Mutex
		seen     = map[int]int{}     // requests per item
		mayBe    = map[int]bool{}    // items answered in a way that may have been processed (503, lost)
		rejected = map[string]bool{} // tokens the server rejects once renewed
	)
	var tokens atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/token" {
			tok := "tok-" + strconv.Itoa(int(tokens.Add(1)))
			fmt.Fprintf(w, `{"access_token":%q,"expires_in":3600}`, tok)
			return
		}
		n, _ := strconv.Atoi(r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:])
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		mu.Lock()
		seen[n]++
		k := seen[n]
		// Every 10th item's first attempt rejects the first token, as if it
		// had been revoked: every call that carries it then renews it.
		reject := rejected[tok] || (n%10 == 0 && k == 1 && tok == "tok-1")
		if reject {
			rejected[tok] = true
		}
		lost := r.Method == http.MethodDelete && n%4 == 1 && k == 1
		if !reject && (k <= n%3 || lost) {
			mayBe[n] = true
		}
		mu.Unlock()
		w.Header().Set("X-Item", strconv.Itoa(n))
		w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(n))
		switch {
		case reject:
			w.WriteHeader(http.StatusUnauthorized)
		case k <= n%3:
			w.WriteHeader(http.StatusServiceUnavailable)
		case lost:
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close() // the room is deleted, the answer lost
		case r.Method == http.MethodDelete:
			w.WriteHeader(http.StatusNotFound)
		default:
			fmt.Fprintf(w, `{"id":%d}`, n)
		}
	}))
	defer srv.Close()
	c, err := apizee.NewClient(apizee.WithBaseURL(srv.URL+"/api"), apizee.WithCredentials("agent", "pw"),
		apizee.WithRetryPolicy(apizee.RetryPolicy{MaxRetries: 3, MinBackoff: time.Nanosecond, MaxBackoff: time.Microsecond}))
	require.NoError(t, err)

	type result struct {
		resp apizee.Response
		err  error
		id   int64
	}
	results := make([]result, calls)
	var wg sync.WaitGroup
	for n := range calls {
		wg.Go(func() {
			r := &results[n]
			if n%2 == 1 {
				r.err = c.Conferences.Delete(t.Context(), int64(n), apizee.ResponseInto(&r.resp))
				return
			}
			var out struct{ ID int64 }
			resp, err := c.Do(t.Context(), http.MethodGet, "/items/"+strconv.Itoa(n), nil, &out)
			r.err, r.id = err, out.ID
			if resp != nil {
				r.resp = *resp
			}
		})
	}
	wg.Wait()
	require.Greater(t, tokens.Load(), int32(1), "the token was renewed under load")
	for n, r := range results {
		mu.Lock()
		sent, ambiguous := seen[n], mayBe[n]
		mu.Unlock()
		assert.Equal(t, sent, r.resp.Attempts, "call %d: its attempts are the requests the server saw for it", n)
		assert.Equal(t, strconv.Itoa(n), r.resp.Header.Get("X-Item"), "call %d", n)
		assert.Equal(t, n, r.resp.RateLimit.Remaining, "call %d", n)
		if n%2 == 0 {
			assert.NoError(t, r.err, "call %d", n)
			assert.Equal(t, int64(n), r.id, "call %d", n)
			continue
		}
		if ambiguous {
			// A lost answer or a 503 before the 404: the room may be gone
			// by this call's own doing.
			assert.NoError(t, r.err, "call %d", n)
		} else {
			assert.ErrorIs(t, r.err, apizee.ErrNotFound, "call %d: a 404 to a DELETE that nothing may have processed", n)
		}
	}
}
