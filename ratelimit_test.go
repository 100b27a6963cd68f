package apizee

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// grantLog records when each call got through a limiter, relative to start.
type grantLog struct {
	start time.Time
	mu    sync.Mutex
	at    map[string]time.Duration
}

func newGrantLog() *grantLog { return &grantLog{start: time.Now(), at: map[string]time.Duration{}} }

func (g *grantLog) wait(t *testing.T, l RateLimiter, ctx context.Context, name string) {
	require.NoError(t, l.Wait(ctx), name)
	g.mu.Lock()
	defer g.mu.Unlock()
	g.at[name] = time.Since(g.start)
}

func (g *grantLog) times() []time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []time.Duration
	for _, d := range g.at {
		out = append(out, d)
	}
	return out
}

// maxInWindow is the largest number of times in any window [t, t+per).
func maxInWindow(times []time.Duration, per time.Duration) int {
	most := 0
	for _, from := range times {
		n := 0
		for _, t := range times {
			if t >= from && t < from+per {
				n++
			}
		}
		most = max(most, n)
	}
	return most
}

func TestRateLimiterAccuracy(t *testing.T) {
	t.Run("a burst", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			l := NewRateLimiter(10, time.Minute)
			log := newGrantLog()
			var wg sync.WaitGroup
			for i := range 35 {
				wg.Go(func() { log.wait(t, l, t.Context(), string(rune('a'+i))) })
			}
			wg.Wait()
			byTime := map[time.Duration]int{}
			for _, d := range log.times() {
				byTime[d]++
			}
			assert.Equal(t, map[time.Duration]int{0: 10, time.Minute: 10, 2 * time.Minute: 10, 3 * time.Minute: 5}, byTime)
		})
	})
	t.Run("a steady stream above the budget", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			// One call every 2 s for 10 minutes: 300 calls against a budget of
			// 10 a minute.
			l := NewRateLimiter(10, time.Minute)
			log := newGrantLog()
			var wg sync.WaitGroup
			for i := range 300 {
				wg.Go(func() { log.wait(t, l, t.Context(), string(rune(i))) })
				time.Sleep(2 * time.Second)
			}
			wg.Wait()
			times := log.times()
			require.Len(t, times, 300)
			assert.Equal(t, 10, maxInWindow(times, time.Minute), "never more than n in any window")
			last := time.Since(log.start)
			// The first ten go as they come, 2 s apart, the last at 18 s; a
			// sliding window repeats that pattern each minute: the 300th call
			// goes 29 minutes after the 10th. Not one turn is lost.
			assert.Equal(t, 29*time.Minute+18*time.Second, last, "the whole budget is used")
		})
	})
	t.Run("calls under the budget never wait", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			l := NewRateLimiter(10, time.Minute)
			start := time.Now()
			for range 50 {
				require.NoError(t, l.Wait(t.Context()))
				time.Sleep(6 * time.Second)
			}
			assert.Equal(t, 50*6*time.Second, time.Since(start))
		})
	})
}

func TestRateLimiterRefusesAtOnceAWaitPastTheDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := NewRateLimiter(2, 10*time.Second)
		start := time.Now()
		require.NoError(t, l.Wait(t.Context()))
		require.NoError(t, l.Wait(t.Context()))

		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		err := l.Wait(ctx)
		assert.Zero(t, time.Since(start), "refused at once")
		assert.ErrorIs(t, err, ErrBudgetWait)
		assert.ErrorIs(t, err, ErrRateLimited)
		var held *BudgetWaitError
		require.ErrorAs(t, err, &held)
		assert.Equal(t, 10*time.Second, held.Wait)

		require.NoError(t, l.Wait(t.Context()))
		assert.Equal(t, 10*time.Second, time.Since(start), "the refused call took no turn")

		done, cancel := context.WithCancel(t.Context())
		cancel()
		assert.ErrorIs(t, l.Wait(done), context.Canceled)
	})
}

func TestRateLimiterGivesAnAbandonedTurnToTheNext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := NewRateLimiter(1, 10*time.Second)
		log := newGrantLog()
		require.NoError(t, l.Wait(t.Context()))
		ctx, cancel := context.WithCancel(t.Context())
		gaveUp := make(chan error, 1)
		go func() { gaveUp <- l.Wait(ctx) }() // its turn: at 10 s
		synctest.Wait()
		var wg sync.WaitGroup
		wg.Go(func() { log.wait(t, l, t.Context(), "next") }) // behind it: at 20 s
		synctest.Wait()
		time.Sleep(time.Second)
		cancel()
		assert.ErrorIs(t, <-gaveUp, context.Canceled)
		wg.Wait()
		assert.Equal(t, 10*time.Second, log.at["next"])
	})
}

func TestRateLimiterHoldsEveryCallForTheServer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := NewRateLimiter(10, time.Minute)
		fb, ok := l.(RateLimitFeedback)
		require.True(t, ok, "NewRateLimiter's limiter hears the server")
		start := time.Now()

		// A waiter with a short deadline, queued behind a full window: told
		// at once when the server's hold makes its turn too late.
		for range 10 {
			require.NoError(t, l.Wait(t.Context()))
		}
		ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
		defer cancel()
		shortLived := make(chan error, 1)
		go func() { shortLived <- l.Wait(ctx) }()
		synctest.Wait()
		time.Sleep(5 * time.Second)
		fb.ServerAskedToWait(t.Context(), start.Add(2*time.Minute))
		err := <-shortLived
		assert.ErrorIs(t, err, ErrBudgetWait)
		assert.Equal(t, 5*time.Second, time.Since(start), "refused as soon as the hold arrived")

		require.NoError(t, l.Wait(t.Context()))
		assert.Equal(t, 2*time.Minute, time.Since(start), "no call before the server's reset")

		fb.ServerAskedToWait(t.Context(), start) // an older hold moves nothing
		require.NoError(t, l.Wait(t.Context()))
		assert.Equal(t, 2*time.Minute, time.Since(start))
	})
}

// A call whose client accepts shorter server waits than the hold is refused
// at once, when it asks and when the hold grows while it waits; a call
// without a bound, or within it, waits for the hold.
func TestRateLimiterRefusesAHoldLongerThanMaxRetryAfter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := NewRateLimiter(10, time.Minute)
		fb := l.(RateLimitFeedback)
		start := time.Now()
		patient := context.WithValue(t.Context(), maxRetryAfterKey{}, 30*time.Second)
		impatient := context.WithValue(t.Context(), maxRetryAfterKey{}, 5*time.Second)

		fb.ServerAskedToWait(t.Context(), start.Add(10*time.Second))
		err := l.Wait(impatient)
		assert.Zero(t, time.Since(start), "refused at once")
		assert.ErrorIs(t, err, ErrBudgetWait)
		assert.ErrorIs(t, err, ErrRateLimited)
		var held *BudgetWaitError
		require.ErrorAs(t, err, &held)
		assert.Equal(t, 10*time.Second, held.Wait)
		assert.Equal(t, start.Add(10*time.Second), held.Until)
		assert.Contains(t, err.Error(), "longer than RetryPolicy.MaxRetryAfter (5s)")

		waiting := make(chan error, 1)
		go func() { waiting <- l.Wait(patient) }()
		synctest.Wait()
		time.Sleep(time.Second)
		fb.ServerAskedToWait(t.Context(), start.Add(time.Minute)) // now 59 s away: past 30 s
		err = <-waiting
		assert.ErrorIs(t, err, ErrBudgetWait)
		assert.Equal(t, time.Second, time.Since(start), "refused as soon as the hold grew")

		require.NoError(t, l.Wait(t.Context()), "a call without a bound waits")
		assert.Equal(t, time.Minute, time.Since(start))
	})
}

// A client passes its RetryPolicy.MaxRetryAfter to its limiter's Wait, for
// limiters of any origin.
func TestClientTellsItsLimiterItsMaxRetryAfter(t *testing.T) {
	seen := make(chan time.Duration, 2)
	limiter := waitFunc(func(ctx context.Context) error {
		maxWait, ok := MaxRetryAfterFromContext(ctx)
		assert.True(t, ok)
		seen <- maxWait
		return nil
	})
	srv := newSpentBudget("Retry-After", 0)
	for _, c := range []struct {
		policy RetryPolicy
		want   time.Duration
	}{{DefaultRetryPolicy(), time.Minute}, {RetryPolicy{MaxRetryAfter: 7 * time.Second}, 7 * time.Second}} {
		client := budgetClient(t, srv, WithRateLimiter(limiter), WithRetryPolicy(c.policy))
		require.NoError(t, ping(t.Context(), client))
		assert.Equal(t, c.want, <-seen)
	}
	_, ok := MaxRetryAfterFromContext(t.Context())
	assert.False(t, ok, "not set outside a client's call")
}

// waitFunc is a RateLimiter made of a function.
type waitFunc func(ctx context.Context) error

func (f waitFunc) Wait(ctx context.Context) error { return f(ctx) }

func TestRateLimiterServesHigherPrioritiesFirst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := NewRateLimiter(1, 10*time.Second)
		log := newGrantLog()
		require.NoError(t, l.Wait(t.Context()))
		low := ContextWithPriority(t.Context(), PriorityLow)
		var wg sync.WaitGroup
		for _, name := range []string{"walk-1", "walk-2"} {
			wg.Go(func() { log.wait(t, l, low, name) })
			synctest.Wait()
		}
		wg.Go(func() { log.wait(t, l, t.Context(), "normal") })
		synctest.Wait()
		time.Sleep(time.Second)
		wg.Go(func() { log.wait(t, l, ContextWithPriority(t.Context(), PriorityHigh), "button") })
		wg.Wait()
		assert.Equal(t, map[string]time.Duration{
			"button": 10 * time.Second, "normal": 20 * time.Second, "walk-1": 30 * time.Second, "walk-2": 40 * time.Second,
		}, log.at)
		assert.Equal(t, PriorityNormal, PriorityFromContext(context.Background()))
	})
}

func TestNewRateLimiterRefusesAnEmptyBudget(t *testing.T) {
	assert.PanicsWithValue(t, "apizee: NewRateLimiter needs a positive number of calls, got 0", func() { NewRateLimiter(0, time.Second) })
	assert.PanicsWithValue(t, "apizee: NewRateLimiter needs a positive window, got -1s", func() { NewRateLimiter(1, -time.Second) })
}
