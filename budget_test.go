package apizee

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// inProcess serves every attempt with h in the caller's goroutine, without
// a network, so that testing/synctest's clock governs every wait.
type inProcess struct{ h http.Handler }

func (p inProcess) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	p.h.ServeHTTP(rec, r)
	resp := rec.Result()
	resp.Request = r
	return resp, nil
}

// spentBudget is a server whose budget is spent until resetAt: it answers
// 429 with a wait to every request before then, counting them, and 200
// after.
type spentBudget struct {
	header string // the header that carries the wait: Retry-After or X-RateLimit-Reset

	mu       sync.Mutex
	resetAt  time.Time
	limited  int
	served   int
	servedAt []time.Duration // since start, of each request served
	start    time.Time
}

func newSpentBudget(header string, wait time.Duration) *spentBudget {
	now := time.Now()
	return &spentBudget{header: header, start: now, resetAt: now.Add(wait)}
}

func (s *spentBudget) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	if left := s.resetAt.Sub(now); left > 0 {
		s.limited++
		w.Header().Set(s.header, strconv.Itoa(int((left+time.Second-1)/time.Second)))
		w.WriteHeader(http.StatusTooManyRequests)
		fmt.Fprint(w, `{"error":"API rate limit exceeded"}`)
		return
	}
	s.served++
	s.servedAt = append(s.servedAt, now.Sub(s.start))
	fmt.Fprint(w, `{"ok":true}`)
}

func (s *spentBudget) counts() (limited, served int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.limited, s.served
}

func budgetClient(t *testing.T, h http.Handler, opts ...Option) *Client {
	t.Helper()
	c, err := NewClient(append([]Option{WithBaseURL("https://api.example.com/api"), WithToken("tok"),
		WithHTTPClient(&http.Client{Transport: inProcess{h}}),
		WithRetryPolicy(RetryPolicy{MaxRetries: 3, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond, MaxRetryAfter: time.Minute})},
		opts...)...)
	require.NoError(t, err)
	return c
}

// After one 429, the client's other calls wait for the reset instead of each
// drawing a 429 of its own (without the budget gate: 21 429s).
func TestOneRateLimitAnswerHoldsTheClientsOtherCalls(t *testing.T) {
	for _, header := range []string{"Retry-After", "X-RateLimit-Reset"} {
		t.Run(header, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv := newSpentBudget(header, 2*time.Second)
				c := budgetClient(t, srv)
				start := time.Now()
				var wg sync.WaitGroup
				errs := make(chan error, 21)
				wg.Go(func() { errs <- ping(t.Context(), c) })
				synctest.Wait() // the first call drew its 429 and waits to retry
				limited, _ := srv.counts()
				require.Equal(t, 1, limited)
				for range 20 {
					wg.Go(func() { errs <- ping(t.Context(), c) })
				}
				wg.Wait()
				close(errs)
				for err := range errs {
					assert.NoError(t, err)
				}
				limited, served := srv.counts()
				assert.Equal(t, 1, limited, "429s drawn")
				assert.Equal(t, 21, served)
				assert.Equal(t, 2*time.Second, time.Since(start), "every call went at the reset, none before")
			})
		})
	}
}

// The retry layer already waits out its own 429: the gate must not add its
// wait on top.
func TestRetryAfterA429IsNotDelayedTwice(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := newSpentBudget("Retry-After", 2*time.Second)
		c := budgetClient(t, srv)
		start := time.Now()
		require.NoError(t, ping(t.Context(), c))
		assert.Equal(t, 2*time.Second, time.Since(start))
		limited, served := srv.counts()
		assert.Equal(t, []int{1, 1}, []int{limited, served})
	})
}

// An answer that says no request is left until a reset holds the next call
// until then, whatever its status.
func TestRemainingZeroHoldsTheNextCallUntilTheReset(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		var mu sync.Mutex
		var seen []time.Duration
		c := budgetClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			seen = append(seen, time.Since(start))
			first := len(seen) == 1
			mu.Unlock()
			if first {
				w.Header().Set("X-RateLimit-Remaining", "0")
				w.Header().Set("X-RateLimit-Reset", "3")
			} else {
				w.Header().Set("X-RateLimit-Remaining", "9")
				w.Header().Set("X-RateLimit-Reset", "60")
			}
			fmt.Fprint(w, `{"ok":true}`)
		}))
		require.NoError(t, ping(t.Context(), c))
		require.NoError(t, ping(t.Context(), c))
		require.NoError(t, ping(t.Context(), c))
		assert.Equal(t, []time.Duration{0, 3 * time.Second, 3 * time.Second}, seen,
			"the second call waits for the reset; a reset with requests left holds nothing")
	})
}

// A wait longer than MaxRetryAfter, or past the call's deadline, is refused
// at once without sending: an error the caller can tell from the server's
// own 429.
func TestCallHeldBackPastItsDeadlineOrMaxRetryAfterIsNotSent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := newSpentBudget("Retry-After", 10*time.Second)
		c := budgetClient(t, srv, WithRetryPolicy(RetryPolicy{MaxRetries: 0, MaxRetryAfter: 5 * time.Second}))

		err := ping(t.Context(), c)
		var apiErr *APIError
		require.ErrorAs(t, err, &apiErr, "the server's own 429")
		assert.ErrorIs(t, err, ErrRateLimited)
		assert.NotErrorIs(t, err, ErrBudgetWait)

		start := time.Now()
		err = ping(t.Context(), c)
		assert.Zero(t, time.Since(start), "refused at once")
		assert.ErrorIs(t, err, ErrBudgetWait)
		assert.ErrorIs(t, err, ErrRateLimited)
		assert.False(t, errors.As(err, &apiErr), "not the server's answer: %v", err)
		var held *BudgetWaitError
		require.ErrorAs(t, err, &held)
		assert.Equal(t, 10*time.Second, held.Wait)
		assert.Equal(t, start.Add(10*time.Second), held.Until)
		assert.Contains(t, err.Error(), "held back by this client, not sent")
		assert.Contains(t, err.Error(), "MaxRetryAfter")
		limited, served := srv.counts()
		assert.Equal(t, []int{1, 0}, []int{limited, served}, "no request left")

		c = budgetClient(t, srv, WithRetryPolicy(RetryPolicy{MaxRetries: 0, MaxRetryAfter: time.Minute}))
		require.ErrorIs(t, ping(t.Context(), c), ErrRateLimited)
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		err = ping(ctx, c)
		assert.ErrorIs(t, err, ErrBudgetWait)
		assert.Contains(t, err.Error(), "deadline")
		assert.Zero(t, time.Since(start), "refused at once")

		ctx, cancel = context.WithTimeout(t.Context(), 20*time.Second)
		defer cancel()
		require.NoError(t, ping(ctx, c), "a wait within the deadline is waited")
		assert.Equal(t, 10*time.Second, time.Since(start))
		limited, served = srv.counts()
		assert.Equal(t, []int{2, 1}, []int{limited, served})
	})
}

// A 429 from another host (a CDN serving media) says nothing of the API's
// budget.
func TestRateLimitAnswerFromAnotherHostHoldsNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		api := newSpentBudget("Retry-After", 0)
		c := budgetClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Host == "cdn.example.com" {
				w.Header().Set("Retry-After", "30")
				w.WriteHeader(http.StatusTooManyRequests)
				return
			}
			api.ServeHTTP(w, r)
		}), WithRetryPolicy(RetryPolicy{MaxRetries: 0}))
		_, err := c.Media.Open(t.Context(), &Media{URL: "https://cdn.example.com/file.mp4"})
		require.ErrorIs(t, err, ErrRateLimited)
		start := time.Now()
		require.NoError(t, ping(t.Context(), c))
		assert.Zero(t, time.Since(start))
	})
}

// feedbackRecorder is a limiter that records what the server asked.
type feedbackRecorder struct {
	mu    sync.Mutex
	until []time.Time
}

func (l *feedbackRecorder) Wait(context.Context) error { return nil }

func (l *feedbackRecorder) ServerAskedToWait(_ context.Context, until time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.until = append(l.until, until)
}

func TestRateLimitFeedbackHearsTheServer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := newSpentBudget("X-RateLimit-Reset", 5*time.Second)
		limiter := &feedbackRecorder{}
		c := budgetClient(t, srv, WithRateLimiter(limiter))
		start := time.Now()
		require.NoError(t, ping(t.Context(), c))
		assert.Equal(t, []time.Time{start.Add(5 * time.Second)}, limiter.until)
	})
}

// Through a shared NewRateLimiter, one client's 429 holds the other
// clients' calls, and refuses at once those it would hold past their
// deadline.
func TestSharedLimiterCarriesTheServersWaitToOtherClients(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := newSpentBudget("Retry-After", 5*time.Second)
		limiter := NewRateLimiter(100, time.Second)
		a := budgetClient(t, srv, WithRateLimiter(limiter), WithRetryPolicy(RetryPolicy{MaxRetries: 0, MaxRetryAfter: time.Minute}))
		b := budgetClient(t, srv, WithRateLimiter(limiter))
		start := time.Now()
		require.ErrorIs(t, ping(t.Context(), a), ErrRateLimited)

		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
		defer cancel()
		err := ping(ctx, b)
		assert.ErrorIs(t, err, ErrBudgetWait)
		assert.Zero(t, time.Since(start), "refused at once")

		impatient := budgetClient(t, srv, WithRateLimiter(limiter), WithRetryPolicy(RetryPolicy{MaxRetryAfter: 2 * time.Second}))
		err = ping(t.Context(), impatient)
		assert.ErrorIs(t, err, ErrBudgetWait, "a wait longer than its MaxRetryAfter")
		assert.Contains(t, err.Error(), "MaxRetryAfter")
		assert.Zero(t, time.Since(start), "refused at once")

		require.NoError(t, ping(t.Context(), b))
		assert.Equal(t, 5*time.Second, time.Since(start), "the other client waited for the reset")
		limited, served := srv.counts()
		assert.Equal(t, []int{1, 1}, []int{limited, served}, "the other client drew no 429")
	})
}

// heldLimiter lets every call through at once, except calls whose context
// carries heldCall, which it holds until release is closed.
type heldLimiter struct{ release chan struct{} }

type heldCall struct{}

func (l heldLimiter) Wait(ctx context.Context) error {
	if ctx.Value(heldCall{}) != nil {
		<-l.release
	}
	return nil
}

// A call the limiter held while another call drew a 429 waits for the reset
// before it goes: the limiter, which does not hear the server, let it go too
// early.
func TestCallReleasedByTheLimiterStillWaitsForTheReset(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := newSpentBudget("Retry-After", 3*time.Second)
		limiter := heldLimiter{release: make(chan struct{})}
		c := budgetClient(t, srv, WithRateLimiter(limiter), WithRetryPolicy(RetryPolicy{MaxRetries: 0}))
		start := time.Now()
		held := make(chan error, 1)
		go func() { held <- ping(context.WithValue(t.Context(), heldCall{}, true), c) }()
		synctest.Wait()
		require.ErrorIs(t, ping(t.Context(), c), ErrRateLimited)
		close(limiter.release)
		require.NoError(t, <-held)
		assert.Equal(t, 3*time.Second, time.Since(start))
		limited, served := srv.counts()
		assert.Equal(t, []int{1, 1}, []int{limited, served})
	})
}
