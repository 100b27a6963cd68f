package apizeeredis

import (
	"context"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/apizee-go/apizee"
	"github.com/apizee-go/apizee/apizeetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// slotRecorder collects the slots Redis grants one limiter, on Redis's
// clock, and signals each grant.
type slotRecorder struct {
	mu      sync.Mutex
	slots   []time.Time
	waits   []time.Duration
	granted chan struct{}
}

func recordSlots(l *RateLimiter) *slotRecorder {
	r := &slotRecorder{granted: make(chan struct{}, 1024)}
	l.onReserved = func(slot time.Time, wait time.Duration) {
		r.mu.Lock()
		r.slots = append(r.slots, slot)
		r.waits = append(r.waits, wait)
		r.mu.Unlock()
		r.granted <- struct{}{}
	}
	return r
}

func (r *slotRecorder) last() (time.Time, time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.slots[len(r.slots)-1], r.waits[len(r.waits)-1]
}

// TestLowPriorityTakesOnlyAFreeSlot: with the one slot of the period taken,
// a PriorityLow call reserves nothing, so a PriorityHigh call that asks after
// it gets the next slot, and the Low call the one after; a PriorityNormal
// call in the same place reserves the next slot before the High one. A Low
// call whose next chance is past its deadline is refused at once.
func TestLowPriorityTakesOnlyAFreeSlot(t *testing.T) {
	srv := startRedis(t)
	const per = time.Second // one slot a second
	for _, c := range []struct {
		name      string
		bulk      apizee.Priority
		highFirst bool
	}{
		{"Low gives way", apizee.PriorityLow, true},
		{"Normal queues", apizee.PriorityNormal, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			key := "lane-" + c.name
			first, bulk, high := NewRateLimiter(srv.Client(), key, 1, per), NewRateLimiter(srv.Client(), key, 1, per), NewRateLimiter(srv.Client(), key, 1, per)
			bulkSlots, highSlots := &slotRecorder{}, recordSlots(high)
			told := make(chan struct{}, 16) // the bulk call was told to wait
			bulk.onBusy = func(time.Duration) { told <- struct{}{} }
			bulk.onReserved = func(slot time.Time, wait time.Duration) {
				bulkSlots.mu.Lock()
				bulkSlots.slots, bulkSlots.waits = append(bulkSlots.slots, slot), append(bulkSlots.waits, wait)
				bulkSlots.mu.Unlock()
				told <- struct{}{}
			}

			require.NoError(t, first.Wait(ctx)) // the slot of now; the next is a second away
			bulkDone := make(chan error, 1)
			go func() { bulkDone <- bulk.Wait(apizee.ContextWithPriority(ctx, c.bulk)) }()
			<-told // Low: told no slot is free; Normal: reserved one
			require.NoError(t, high.Wait(apizee.ContextWithPriority(ctx, apizee.PriorityHigh)))
			require.NoError(t, <-bulkDone)

			highSlot, highWait := highSlots.last()
			bulkSlot, _ := bulkSlots.last()
			if c.highFirst {
				assert.True(t, highSlot.Before(bulkSlot), "the High call goes first")
				assert.LessOrEqual(t, highWait, per, "the High call waits at most one interval")
				assert.GreaterOrEqual(t, bulkSlot.Sub(highSlot), per, "then the Low call, one interval later")
			} else {
				assert.True(t, bulkSlot.Before(highSlot), "the Normal call had reserved the slot")
				assert.Greater(t, highWait, per, "the High call waits behind it")
			}
		})
	}

	t.Run("a Low call past its deadline", func(t *testing.T) {
		ctx := context.Background()
		first, low := NewRateLimiter(srv.Client(), "lane-deadline", 1, per), NewRateLimiter(srv.Client(), "lane-deadline", 1, per)
		lowSlots := recordSlots(low)
		require.NoError(t, first.Wait(ctx))
		short, cancel := context.WithTimeout(apizee.ContextWithPriority(ctx, apizee.PriorityLow), per/2)
		defer cancel()
		start := time.Now()
		requireBudgetWait(t, low.Wait(short), "past the call's context deadline")
		assert.Less(t, time.Since(start), per/4, "refused at once")
		assert.Empty(t, lowSlots.slots, "nothing reserved")

		// A Low call whose context ends while it waits for a free slot.
		canceled, cancel := context.WithCancel(apizee.ContextWithPriority(ctx, apizee.PriorityLow))
		low.onBusy = func(time.Duration) { cancel() }
		assert.ErrorIs(t, low.Wait(canceled), context.Canceled)
	})
}

// TestLowPriorityWalksNeverHoldAnInteractiveCall: twelve PriorityLow loops
// on three limiters spend the whole budget between them, evenly spaced; a
// PriorityHigh call from a fourth limiter, asked between their grants, is
// given a slot at most one interval away every time. With the loops at
// PriorityNormal, the same call waits behind their reservations, which is
// what the first part would catch if Low calls queued.
func TestLowPriorityWalksNeverHoldAnInteractiveCall(t *testing.T) {
	srv := startRedis(t)
	const n, per = 10, time.Second
	interval := per / n
	for _, c := range []struct {
		name    string
		bulk    apizee.Priority
		samples int
	}{
		{"Low loops", apizee.PriorityLow, 8},
		{"Normal loops", apizee.PriorityNormal, 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			key := "walks-" + c.name
			ctx, stop := context.WithCancel(apizee.ContextWithPriority(context.Background(), c.bulk))
			bulkGrants := make(chan time.Time, 4096)
			var bulkMu sync.Mutex
			var bulkSlots []time.Time
			var wg sync.WaitGroup
			for range 3 {
				l := NewRateLimiter(srv.Client(), key, n, per)
				l.onReserved = func(slot time.Time, _ time.Duration) {
					bulkMu.Lock()
					bulkSlots = append(bulkSlots, slot)
					bulkMu.Unlock()
					bulkGrants <- slot
				}
				for range 4 {
					wg.Go(func() {
						for l.Wait(ctx) == nil {
						}
					})
				}
			}
			high := NewRateLimiter(srv.Client(), key, n, per)
			highSlots := recordSlots(high)
			drainGrants := func(k int) {
				for range k {
					<-bulkGrants
				}
			}
			drainGrants(5) // the loops are running
			for range c.samples {
				drainGrants(2)
				require.NoError(t, high.Wait(apizee.ContextWithPriority(context.Background(), apizee.PriorityHigh)))
			}
			stop()
			wg.Wait()

			waits := slices.Clone(highSlots.waits)
			slices.Sort(waits)
			t.Logf("High waits on Redis's clock behind %s loops: %v", c.name, waits)
			if c.bulk == apizee.PriorityLow {
				assert.LessOrEqual(t, waits[len(waits)-1], interval, "never more than one interval")
				bulkMu.Lock()
				all := append(slices.Clone(bulkSlots), highSlots.slots...)
				bulkMu.Unlock()
				slices.SortFunc(all, time.Time.Compare)
				for i := 1; i < len(all); i++ {
					require.GreaterOrEqual(t, all[i].Sub(all[i-1]), interval, "slots %d and %d", i-1, i)
				}
				span := all[len(all)-1].Sub(all[0])
				used := float64(len(all)-1) * float64(interval) / float64(span)
				t.Logf("%d slots over %s: %.0f%% of the budget used", len(all), span.Round(time.Millisecond), 100*used)
				assert.Greater(t, used, 0.7, "the Low loops use the free budget")
			} else {
				assert.Greater(t, waits[len(waits)/2], 3*interval, "the reserving loops hold the High call back")
			}
		})
	}
}

// TestFleetPauseLongerThanMaxRetryAfterIsRefused: one replica draws a 429;
// another replica's call, through the shared limiter, is refused at once
// with ErrBudgetWait when the pause is longer than its MaxRetryAfter or
// passes its deadline, sends nothing, and otherwise waits for the reset.
func TestFleetPauseLongerThanMaxRetryAfterIsRefused(t *testing.T) {
	srv := startRedis(t)
	api := apizeetest.NewServer()
	defer api.Close()
	replica := func(policy apizee.RetryPolicy) *apizee.Client {
		c, err := apizee.NewClient(apizee.WithBaseURL(api.URL), apizee.WithToken(api.IssueToken()),
			apizee.WithRateLimiter(NewRateLimiter(srv.Client(), "maxretryafter", 100, time.Second)), apizee.WithRetryPolicy(policy))
		require.NoError(t, err)
		return c
	}
	ctx := context.Background()
	first := replica(apizee.RetryPolicy{MaxRetries: 0})
	api.QueueFault(apizeetest.Fault{Method: http.MethodGet, Path: "/tickets/82070", Status: http.StatusTooManyRequests,
		Header: http.Header{"X-RateLimit-Reset": {"2"}}})
	_, err := first.Tickets.Get(ctx, 82070)
	require.ErrorIs(t, err, apizee.ErrRateLimited)
	heard := time.Now()
	api.ResetRequests()

	impatient := replica(apizee.RetryPolicy{MaxRetries: 0, MaxRetryAfter: time.Second})
	_, err = impatient.Tickets.Get(ctx, 82070)
	requireBudgetWait(t, err, "longer than RetryPolicy.MaxRetryAfter (1s)")
	assert.Less(t, time.Since(heard), 500*time.Millisecond, "refused at once")

	patient := replica(apizee.RetryPolicy{MaxRetries: 0})
	short, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	_, err = patient.Tickets.Get(short, 82070)
	requireBudgetWait(t, err, "past the call's context deadline")
	assert.Less(t, time.Since(heard), 500*time.Millisecond, "refused at once")
	assert.Empty(t, api.Requests(), "the refused calls sent nothing")

	_, err = patient.Tickets.Get(ctx, 82070)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, time.Since(heard), 2*time.Second-jitter, "waited for the fleet's pause")
	assert.Equal(t, 1, api.RequestCount(http.MethodGet, "/tickets/82070"))
}
