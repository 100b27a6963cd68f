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
