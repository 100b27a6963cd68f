package apizee_test

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee"
)

var fastReview = apizee.RetryPolicy{MaxRetries: 3, MinBackoff: time.Nanosecond, MaxBackoff: time.Microsecond}

// TestReviewUserRedirectRefusalIsNotRetried: a WithHTTPClient CheckRedirect
// that refuses a redirect refuses it for good. Retrying the GET only asks
// the same server for the same redirect, and refuses it again, after a
// backoff each time.
func TestReviewUserRedirectRefusalIsNotRetried(t *testing.T) {
	var hits atomic.Int32
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Redirect(w, r, "/api/elsewhere", http.StatusFound)
	})
	refused := errors.New("this application follows no redirect")
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return refused }}
	c, err := apizee.NewClient(apizee.WithBaseURL(s.base()), apizee.WithToken("tok"), apizee.WithHTTPClient(hc), apizee.WithRetryPolicy(fastReview))
	require.NoError(t, err)
	resp, err := c.Do(t.Context(), http.MethodGet, "/moved", nil, nil)
	require.ErrorIs(t, err, refused)
	assert.Equal(t, int32(1), hits.Load(), "refused once, not retried")
	assert.Equal(t, 1, resp.Attempts)

	// http.ErrUseLastResponse still hands the 3xx back, as an APIError.
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c, err = apizee.NewClient(apizee.WithBaseURL(s.base()), apizee.WithToken("tok"), apizee.WithHTTPClient(hc), apizee.WithRetryPolicy(fastReview))
	require.NoError(t, err)
	resp, err = c.Do(t.Context(), http.MethodGet, "/moved", nil, nil)
	var apiErr *apizee.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusFound, resp.StatusCode)
}

// TestReviewUserTransportThatReplacesTheContextKeepsTheCallsState: a user
// transport that gives its requests another context (tracing wrappers do,
// some drop the caller's) cannot lose the call's retry state, which the
// retry layer and the attempt transport read above it: retries, the 401
// replay, Attempts and the budget gate work as without it.
func TestReviewUserTransportThatReplacesTheContextKeepsTheCallsState(t *testing.T) {
	for name, replace := range map[string]func(context.Context) context.Context{
		"without cancel": context.WithoutCancel,
		"background":     func(context.Context) context.Context { return context.Background() },
	} {
		t.Run(name, func(t *testing.T) {
			var n atomic.Int32
			s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				switch n.Add(1) {
				case 1:
					w.WriteHeader(http.StatusBadGateway)
				case 2:
					w.WriteHeader(http.StatusUnauthorized)
				case 3:
					w.Header().Set("Retry-After", "3600")
					w.WriteHeader(http.StatusTooManyRequests)
				default:
					ok(w, r)
				}
			})
			hc := &http.Client{Transport: roundTripFunc(func(req *http.Request) (*http.Response, error) {
				return http.DefaultTransport.RoundTrip(req.WithContext(replace(req.Context())))
			})}
			c, err := apizee.NewClient(apizee.WithBaseURL(s.base()), apizee.WithCredentials("agent", "pw"), apizee.WithHTTPClient(hc),
				apizee.WithRetryPolicy(fastReview))
			require.NoError(t, err)
			resp, err := c.Do(t.Context(), http.MethodGet, "/x", nil, nil)
			require.ErrorIs(t, err, apizee.ErrRateLimited)
			assert.Equal(t, 3, resp.Attempts, "the 502, its retry answered 401, the replay answered 429")
			assert.Equal(t, int32(2), s.tokens.Load())
			_, err = c.Do(t.Context(), http.MethodGet, "/x", nil, nil)
			require.ErrorIs(t, err, apizee.ErrBudgetWait, "the budget heard the 429")
			assert.Equal(t, int32(3), n.Load())
		})
	}
}
