package apizeeredis

import (
	"net/http"
	"testing"
	"time"

	"github.com/apizee-go/apizee/apizeetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFleetUnderFaults runs the fleet of BenchmarkFleet sharing the Redis
// limiter and store for 8 reset windows while the server misbehaves as in
// the root package's soak: a create whose answer is lost, a create answered
// with an unreadable page, a 500 on a list, then a 429 asking for a 2 s
// pause, then every token expiring at once. The fleet creates each ticket
// and room once, fails no call, pauses as one (no replica sends while paused)
// and resumes at the budget's pace rather than all at once, and replaces the
// expired token with exactly one /token call. Redis gets 5 s per call, so
// that a machine loaded by the other tests does not make a replica go on
// without it (BenchmarkFleet measures the default 500 ms).
func TestFleetUnderFaults(t *testing.T) {
	srv := startRedis(t)
	const pauseAt, pause, expireAt = 4 * time.Second, 2 * time.Second, 9 * time.Second
	r := runFleet(t, srv, fleetPlan{shared: true, d: 8 * fleetWindow, redisTimeout: 5 * time.Second,
		faults: func(api *apizeetest.Server, start time.Time) {
			api.QueueFault(apizeetest.Fault{Method: http.MethodPost, Path: "/tickets", DropAfterProcessing: true})
			api.QueueFault(apizeetest.Fault{Method: http.MethodPost, Path: "/conferences", MalformedBody: true})
			api.QueueFault(apizeetest.Fault{Method: http.MethodGet, Path: "/tickets", Status: http.StatusInternalServerError})
			time.Sleep(time.Until(start.Add(pauseAt))) // the faults' schedule, not a synchronisation
			api.QueueFault(apizeetest.Fault{Method: http.MethodGet, Path: "/tickets", Status: http.StatusTooManyRequests,
				Header: http.Header{"X-RateLimit-Reset": {"2"}}})
			time.Sleep(time.Until(start.Add(expireAt)))
			api.ExpireTokens()
		}})
	t.Logf("fleet under faults, %s:\n%s", r.duration, fleetTable(r))

	require.Zero(t, r.fallbacks, "every replica kept Redis")
	assert.Zero(t, r.faultsLeft, "every fault was played")
	assert.Zero(t, r.failedRateLimited, "calls failed with ErrRateLimited")
	assert.Zero(t, r.failedOther, "calls failed otherwise: %v", r.firstErrors)
	assert.Zero(t, r.duplicates, "duplicate tickets and rooms")
	assert.Equal(t, r.pairs, r.pairsAgreed, "both calls of each pair returned the same object")
	assert.Equal(t, 2, r.tokenCalls, "one /token call at the start, one for the whole fleet once the tokens expired")

	var heard *attempt // the 429 of the fault
	for i, a := range r.attempts {
		if a.status == http.StatusTooManyRequests && !a.serverLimit {
			heard = &r.attempts[i]
			break
		}
	}
	require.NotNil(t, heard, "the 429 fault was answered")
	var duringPause, limitedAfter, limited int
	for _, a := range r.attempts {
		switch since := a.sent.Sub(heard.answered); {
		case since > 200*time.Millisecond && since < pause-200*time.Millisecond:
			duringPause++
		case a.serverLimit && since >= pause-200*time.Millisecond && since < pause+fleetWindow:
			limitedAfter++
		}
		if a.serverLimit {
			limited++
		}
	}
	assert.Zero(t, duringPause, "no replica sent a request while the fleet was paused")
	assert.LessOrEqual(t, limitedAfter, 1, "the fleet resumed at the budget's pace: no burst of 429s after the pause")
	assert.LessOrEqual(t, limited, r.windows, "at most one 429 of the server's own limit per window")
}
