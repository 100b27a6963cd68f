package apizee

import (
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The independent review of the budget gate: answers read on clocks that
// disagree.

// A Retry-After given as an HTTP date is a time on the server's clock. When
// the client's clock is off (it jumped back two hours, or the server's runs
// ahead), reading it against the client's own clock turns a 5 s wait into
// two hours: the call gives up and every call after it is held back for the
// hour the client remembers at most. The answer's own Date header says what
// time the server meant it from.
func TestReviewHTTPDateRetryAfterIsReadOnTheServersClock(t *testing.T) {
	for name, skew := range map[string]time.Duration{"server ahead": 2 * time.Hour, "server behind": -2 * time.Hour} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var attempts atomic.Int32
				serverNow := func() time.Time { return time.Now().Add(skew) }
				c := budgetClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Date", serverNow().UTC().Format(http.TimeFormat))
					if attempts.Add(1) == 1 {
						w.Header().Set("Retry-After", serverNow().Add(5*time.Second).UTC().Format(http.TimeFormat))
						w.WriteHeader(http.StatusTooManyRequests)
						fmt.Fprint(w, `{"error":"API rate limit exceeded"}`)
						return
					}
					fmt.Fprint(w, `{"ok":true}`)
				}))
				start := time.Now()
				require.NoError(t, ping(t.Context(), c))
				assert.Equal(t, 5*time.Second, time.Since(start), "the wait the server meant")
				require.NoError(t, ping(t.Context(), c), "nothing held back after the reset")
				assert.Equal(t, int32(3), attempts.Load())
			})
		})
	}
}

// Odd rate-limit answers: nothing panics, a held-back call is never sent,
// and nothing is held longer than the gate remembers (an hour).
func TestReviewOddRateLimitAnswers(t *testing.T) {
	for name, tt := range map[string]struct {
		status   int
		header   []string
		heldFor  time.Duration // how long the next call is held back (refused, not sent)
		waitNext time.Duration // how long the next call waits, then goes
	}{
		"negative Retry-After":           {429, []string{"Retry-After", "-5"}, 0, 0},
		"fractional Retry-After":         {429, []string{"Retry-After", "1.5"}, 0, 0},
		"exponent Retry-After":           {429, []string{"Retry-After", "1e3"}, 0, 0},
		"absurd Retry-After":             {429, []string{"Retry-After", "99999999999999999999"}, time.Hour, 0},
		"date long past":                 {429, []string{"Retry-After", "Mon, 01 Jan 1990 00:00:00 GMT"}, 0, 0},
		"remaining 0, no reset":          {200, []string{"X-RateLimit-Remaining", "0"}, 0, 0},
		"remaining 0, reset 5":           {200, []string{"X-RateLimit-Remaining", "0", "X-RateLimit-Reset", "5"}, 0, 5 * time.Second},
		"remaining 0, negative reset":    {200, []string{"X-RateLimit-Remaining", "0", "X-RateLimit-Reset", "-5"}, 0, 0},
		"remaining 00, reset 5":          {200, []string{"X-RateLimit-Remaining", "00", "X-RateLimit-Reset", "5"}, 0, 0},
		"remaining 1, reset 5":           {200, []string{"X-RateLimit-Remaining", "1", "X-RateLimit-Reset", "5"}, 0, 0},
		"control bytes in Retry-After":   {429, []string{"Retry-After", "5\x00"}, 0, 0},
		"two Retry-After, first is junk": {429, []string{"Retry-After", "soon", "Retry-After", "5"}, 0, 0},
	} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var attempts atomic.Int32
				c := budgetClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if attempts.Add(1) == 1 {
						for i := 0; i < len(tt.header); i += 2 {
							w.Header().Add(tt.header[i], tt.header[i+1])
						}
						w.WriteHeader(tt.status)
						fmt.Fprint(w, `{"error":"API rate limit exceeded"}`)
						return
					}
					fmt.Fprint(w, `{"ok":true}`)
				}), WithRetryPolicy(RetryPolicy{MaxRetries: 1, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond, MaxRetryAfter: time.Minute}))
				_ = ping(t.Context(), c)
				sent := attempts.Load()
				if tt.heldFor > 0 {
					err := ping(t.Context(), c)
					require.ErrorIs(t, err, ErrBudgetWait)
					assert.Equal(t, sent, attempts.Load(), "a held-back call is not sent")
					time.Sleep(tt.heldFor)
				}
				start := time.Now()
				require.NoError(t, ping(t.Context(), c))
				assert.Equal(t, tt.waitNext, time.Since(start))
			})
		})
	}
}
