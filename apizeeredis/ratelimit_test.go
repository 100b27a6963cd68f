package apizeeredis

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apizee-go/apizee"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"
)

// jitter is how much shorter than planned a test may see the time between
// two grants: the scheduler of a loaded machine wakes goroutines late, and a
// late first grant makes the next one look early.
const jitter = 50 * time.Millisecond

// TestLimiterSharesOneBudget: limiters on separate Redis connections, many
// goroutines each, spend one budget of n per period between them, spaced
// evenly on Redis's clock, use all of it, and each Wait returns no earlier
// than its slot.
func TestLimiterSharesOneBudget(t *testing.T) {
	srv := startRedis(t)
	const n, per, grants = 10, time.Second, 21
	interval := per / n

	var mu sync.Mutex
	var slots, returns []time.Time
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	var wg sync.WaitGroup
	for range 4 {
		l := NewRateLimiter(srv.Client(), "shared", n, per)
		l.onReserved = func(slot time.Time, _ time.Duration) {
			mu.Lock()
			defer mu.Unlock()
			slots = append(slots, slot)
		}
		for range 3 {
			wg.Go(func() {
				for l.Wait(ctx) == nil {
					returned := time.Now()
					mu.Lock()
					returns = append(returns, returned)
					if len(returns) == grants {
						stop()
					}
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	sortTimes := func(ts []time.Time) { slices.SortFunc(ts, func(a, b time.Time) int { return a.Compare(b) }) }
	sortTimes(slots)
	sortTimes(returns)
	require.GreaterOrEqual(t, len(returns), grants)
	require.GreaterOrEqual(t, len(slots), len(returns))

	// On Redis's clock, exactly: neighbours at least one interval apart, so
	// that no window of length per holds more than n.
	for i := 1; i < len(slots); i++ {
		require.GreaterOrEqual(t, slots[i].Sub(slots[i-1]), interval, "slots %d and %d", i-1, i)
	}
	// Every grant waited for its slot: the k-th return comes no earlier than
	// the k-th slot (Redis's TIME and time.Now read the same clock here).
	for i := range returns {
		require.False(t, returns[i].Before(slots[i].Add(-time.Millisecond)), "return %d is %s before slot %d", i, slots[i].Sub(returns[i]), i)
	}
	span := slots[grants-1].Sub(slots[0])
	assert.Less(t, span, (grants-1)*interval+100*time.Millisecond, "the budget is used, not wasted")
	var lateness []time.Duration
	for i := range grants {
		lateness = append(lateness, returns[i].Sub(slots[i]))
	}
	slices.Sort(lateness)
	t.Logf("%d grants over 4 limiters x 3 goroutines: %s on Redis's clock, %.3f per %s for %d configured; "+
		"Wait returned after its slot by %s (median), %s (max)",
		grants, span, float64(grants-1)/span.Seconds()*per.Seconds(), per, n,
		lateness[grants/2].Round(10*time.Microsecond), lateness[grants-1].Round(10*time.Microsecond))
}

// TestServerAskedToWaitPausesTheFleet: one limiter's 429 pauses every
// limiter on the key, on Redis's clock, and a pause is never shortened.
func TestServerAskedToWaitPausesTheFleet(t *testing.T) {
	srv := startRedis(t)
	ctx := context.Background()

	t.Run("another limiter waits", func(t *testing.T) {
		a, b := NewRateLimiter(srv.Client(), "pause", 100, time.Second), NewRateLimiter(srv.Client(), "pause", 100, time.Second)
		until := time.Now().Add(300 * time.Millisecond)
		a.ServerAskedToWait(ctx, until)
		require.NoError(t, b.Wait(ctx))
		assert.False(t, time.Now().Before(until.Add(-time.Millisecond)), "b went %s before the pause ended", time.Until(until))
		assert.Less(t, time.Since(until), 500*time.Millisecond)
	})

	t.Run("never shortened", func(t *testing.T) {
		a, b, c := NewRateLimiter(srv.Client(), "longest", 100, time.Second), NewRateLimiter(srv.Client(), "longest", 100, time.Second), NewRateLimiter(srv.Client(), "longest", 100, time.Second)
		long := time.Now().Add(400 * time.Millisecond)
		a.ServerAskedToWait(ctx, long)
		b.ServerAskedToWait(ctx, time.Now().Add(100*time.Millisecond))
		require.NoError(t, c.Wait(ctx))
		assert.False(t, time.Now().Before(long.Add(-time.Millisecond)), "a shorter pause cut a longer one")
	})

	t.Run("heard on a call whose context has ended", func(t *testing.T) {
		a, b := NewRateLimiter(srv.Client(), "ended", 100, time.Second), NewRateLimiter(srv.Client(), "ended", 100, time.Second)
		ended, cancel := context.WithCancel(ctx)
		cancel()
		until := time.Now().Add(200 * time.Millisecond)
		a.ServerAskedToWait(ended, until) // the 429 of a call that gave up: the fleet must hear it anyway
		require.NoError(t, b.Wait(ctx))
		assert.False(t, time.Now().Before(until.Add(-time.Millisecond)), "the pause was not shared")
	})

	t.Run("in the past", func(t *testing.T) {
		a := NewRateLimiter(srv.Client(), "past", 100, time.Second)
		a.ServerAskedToWait(ctx, time.Now().Add(-time.Minute))
		a.ServerAskedToWait(ctx, time.Time{})
		start := time.Now()
		require.NoError(t, a.Wait(ctx))
		assert.Less(t, time.Since(start), 100*time.Millisecond)
		n, err := srv.Client().Exists(ctx, "{past}:pause").Result()
		require.NoError(t, err)
		assert.Zero(t, n, "no pause was written")
	})

	t.Run("a slot already reserved waits for a pause heard meanwhile", func(t *testing.T) {
		a := NewRateLimiter(srv.Client(), "reserved", 1, 200*time.Millisecond)
		b := NewRateLimiter(srv.Client(), "reserved", 1, 200*time.Millisecond)
		require.NoError(t, b.Wait(ctx)) // the slot now; the next is in 200 ms
		reserved := make(chan struct{})
		b.onReserved = func(_ time.Time, wait time.Duration) {
			if wait > 0 {
				close(reserved)
			}
		}
		done := make(chan time.Time)
		go func() {
			assert.NoError(t, b.Wait(ctx))
			done <- time.Now()
		}()
		<-reserved
		until := time.Now().Add(500 * time.Millisecond)
		a.ServerAskedToWait(ctx, until)
		returned := <-done
		assert.False(t, returned.Before(until.Add(-time.Millisecond)), "b went %s before the pause ended", until.Sub(returned))
	})

	t.Run("a hostile reset is capped", func(t *testing.T) {
		a := NewRateLimiter(srv.Client(), "hostile", 10, time.Second)
		a.ServerAskedToWait(ctx, time.Now().Add(365*24*time.Hour))
		ttl, err := srv.Client().PTTL(ctx, "{hostile}:pause").Result()
		require.NoError(t, err)
		assert.Greater(t, ttl, 9*time.Minute)
		assert.LessOrEqual(t, ttl, 10*time.Minute, "a pause lasts at most max(per, 10 minutes)")
	})

	t.Run("a wait past the deadline returns at once", func(t *testing.T) {
		a, b := NewRateLimiter(srv.Client(), "deadline", 100, time.Second), NewRateLimiter(srv.Client(), "deadline", 100, time.Second)
		a.ServerAskedToWait(ctx, time.Now().Add(time.Minute))
		short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		defer cancel()
		start := time.Now()
		err := b.Wait(short)
		requireBudgetWait(t, err, "past the call's context deadline")
		assert.Less(t, time.Since(start), 100*time.Millisecond, "it did not sleep until the deadline")
	})
}

// requireBudgetWait checks that err is the client's own refusal, as the
// apizee client and its in-process limiter make it: a *BudgetWaitError that
// matches ErrBudgetWait and ErrRateLimited, saying why.
func requireBudgetWait(t *testing.T, err error, reason string) {
	t.Helper()
	var held *apizee.BudgetWaitError
	require.ErrorAs(t, err, &held)
	assert.ErrorIs(t, err, apizee.ErrBudgetWait)
	assert.ErrorIs(t, err, apizee.ErrRateLimited)
	assert.Contains(t, held.Reason, reason)
	assert.Contains(t, err.Error(), "held back by this client, not sent")
}

// TestWaitHonoursTheContext: a wait past the deadline is refused at once and
// spends no budget; a context that ends while waiting ends the wait.
func TestWaitHonoursTheContext(t *testing.T) {
	srv := startRedis(t)
	ctx := context.Background()
	const per = 300 * time.Millisecond
	l := NewRateLimiter(srv.Client(), "ctx", 1, per)

	first := time.Now()
	require.NoError(t, l.Wait(ctx))

	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	err := l.Wait(short)
	requireBudgetWait(t, err, "past the call's context deadline (the shared budget on Redis has room for it then)")
	var held *apizee.BudgetWaitError
	require.ErrorAs(t, err, &held)
	assert.Greater(t, held.Wait, per-100*time.Millisecond, "the wait it would have had")
	assert.Less(t, time.Since(first), 100*time.Millisecond, "refused at once, not at the deadline")

	require.NoError(t, l.Wait(ctx))
	assert.GreaterOrEqual(t, time.Since(first), per-jitter)
	assert.Less(t, time.Since(first), 2*per-jitter, "the refused call spent no slot")

	canceled, cancel := context.WithCancel(ctx)
	reserved := make(chan struct{})
	l.onReserved = func(_ time.Time, wait time.Duration) {
		if wait > 0 {
			close(reserved)
		}
	}
	done := make(chan error)
	go func() { done <- l.Wait(canceled) }()
	<-reserved
	start := time.Now()
	cancel()
	assert.ErrorIs(t, <-done, context.Canceled)
	assert.Less(t, time.Since(start), 100*time.Millisecond, "the sleep ended with the context")

	assert.ErrorIs(t, l.Wait(canceled), context.Canceled, "an ended context never waits")
}

// TestLimiterSurvivesARedisRestart stops the real Redis in the middle of a
// run: the limiter falls back to n/replicas (or refuses, FailClosed), says
// so once, and shares the budget again once Redis is back, saying that once.
func TestLimiterSurvivesARedisRestart(t *testing.T) {
	srv := startRedis(t)
	ctx := context.Background()
	const n, per, replicas = 10, 500 * time.Millisecond, 2
	openLog, closedLog := &lockedBuffer{}, &lockedBuffer{}
	open := NewRateLimiter(srv.Client(), "restart", n, per, WithReplicas(replicas), WithLogger(slog.New(slog.NewTextHandler(openLog, nil))))
	closed := NewRateLimiter(srv.Client(), "restart-closed", n, per, FailClosed(), WithLogger(slog.New(slog.NewTextHandler(closedLog, nil))))
	// Probe often, so that several probes fail while Redis is down.
	open.probeEvery, closed.probeEvery = 50*time.Millisecond, 50*time.Millisecond
	var fromRedis atomic.Int32 // slots that Redis granted
	open.onReserved = func(time.Time, time.Duration) { fromRedis.Add(1) }
	closed.onReserved = open.onReserved

	require.NoError(t, open.Wait(ctx))
	require.NoError(t, closed.Wait(ctx))
	require.Equal(t, int32(2), fromRedis.Load(), "the budget is on Redis")

	srv.Stop()

	// Fallback: 10 per 500 ms over 2 replicas is 5 per 500 ms here, one
	// every 100 ms (the shared rate would be one every 50 ms).
	const grants = 6
	var first, last time.Time
	for i := range grants {
		require.NoError(t, open.Wait(ctx)) // the first finds Redis gone, then takes the fallback's first slot
		if last = time.Now(); i == 0 {
			first = last
		}
	}
	assert.GreaterOrEqual(t, last.Sub(first), (grants-1)*per/(n/replicas)-jitter, "the fallback budget is n/replicas")
	assert.Less(t, last.Sub(first), 2*time.Second)

	// A pause heard while Redis is down still holds, locally.
	until := time.Now().Add(200 * time.Millisecond)
	open.ServerAskedToWait(ctx, until)
	require.NoError(t, open.Wait(ctx))
	assert.False(t, time.Now().Before(until), "a local pause holds while Redis is down")

	start := time.Now()
	err := closed.Wait(ctx) // finds Redis gone
	require.ErrorIs(t, err, ErrUnreachable)
	assert.Contains(t, err.Error(), "shared rate budget on Redis is unreachable")
	assert.Less(t, time.Since(start), callTimeout+300*time.Millisecond, "refused within the call timeout")
	start = time.Now()
	for range 20 {
		require.ErrorIs(t, closed.Wait(ctx), ErrUnreachable)
	}
	assert.Less(t, time.Since(start), 100*time.Millisecond, "refused at once while Redis is known down: probes run in the background")

	// A pause heard while Redis is down reaches the fleet once it is back.
	fleetPause := time.Now().Add(time.Second)
	open.ServerAskedToWait(ctx, fleetPause)

	srv.Restart()
	// The next Wait probes Redis in the background (sharing the pause),
	// then sleeps through the pause locally.
	paused := make(chan error)
	go func() { paused <- open.Wait(ctx) }()
	require.Eventually(t, func() bool { return strings.Contains(openLog.String(), "reachable again") }, 5*time.Second, 10*time.Millisecond,
		"the fallback limiter did not find Redis back within 5 s")
	other := NewRateLimiter(srv.Client(), "restart", n, per) // a replica that never saw the 429
	require.NoError(t, other.Wait(ctx))
	assert.False(t, time.Now().Before(fleetPause.Add(-time.Millisecond)), "the pause heard during the outage was shared on recovery")
	require.NoError(t, <-paused)

	// FailClosed refuses at once between probes: poll it.
	require.Eventually(t, func() bool { return closed.Wait(ctx) == nil }, 5*time.Second, 10*time.Millisecond,
		"the FailClosed limiter did not find Redis back within 5 s")
	fromRedis.Store(0)
	for range 3 {
		require.NoError(t, open.Wait(ctx))
		require.NoError(t, closed.Wait(ctx))
	}
	assert.Equal(t, int32(6), fromRedis.Load(), "both limiters spend the shared budget again")

	for _, c := range []struct {
		name string
		log  *lockedBuffer
		down string
	}{{"fallback", openLog, "falling back to a local budget"}, {"FailClosed", closedLog, "refusing requests"}} {
		lines := strings.Split(strings.TrimSpace(c.log.String()), "\n")
		require.Len(t, lines, 2, "%s: one line when Redis went, one when it came back:\n%s", c.name, c.log)
		assert.Contains(t, lines[0], "level=WARN")
		assert.Contains(t, lines[0], c.down)
		assert.Contains(t, lines[0], "key=restart")
		assert.Contains(t, lines[1], "level=INFO")
		assert.Contains(t, lines[1], "reachable again")
	}
	assert.Contains(t, openLog.String(), `local_budget="5 per 500ms"`)
}

// TestLimiterFallsBackWhenRedisHangs: a Redis that holds the connection and
// answers nothing costs one Wait the call timeout, not go-redis's 3 s read
// timeout, and the next ones nothing, even while probes of it are running.
func TestLimiterFallsBackWhenRedisHangs(t *testing.T) {
	srv := startRedis(t)
	ctx := context.Background()
	l := NewRateLimiter(srv.Client(), "hung", 100, time.Second, WithLogger(nil))
	l.probeEvery = 0 // a probe is due at every Wait: none may hold it
	require.NoError(t, l.Wait(ctx))

	srv.Freeze()
	start := time.Now()
	require.NoError(t, l.Wait(ctx))
	assert.Less(t, time.Since(start), callTimeout+300*time.Millisecond)
	start = time.Now()
	for range 5 {
		require.NoError(t, l.Wait(ctx))
	}
	assert.Less(t, time.Since(start), 300*time.Millisecond, "no Wait waits on the hung Redis again: probes run in the background")
	srv.Thaw()
}

func TestNewRateLimiterPanicsOnBadArguments(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}) // never dialled
	defer rdb.Close()
	for name, c := range map[string]struct {
		build func()
		want  string
	}{
		"nil client":  {func() { NewRateLimiter(nil, "k", 1, time.Second) }, "apizeeredis: NewRateLimiter: the Redis client is nil"},
		"empty key":   {func() { NewRateLimiter(rdb, "", 1, time.Second) }, "apizeeredis: NewRateLimiter: the key is empty"},
		"zero n":      {func() { NewRateLimiter(rdb, "k", 0, time.Second) }, "apizeeredis: NewRateLimiter: n must be at least 1, got 0"},
		"zero per":    {func() { NewRateLimiter(rdb, "k", 1, 0) }, "apizeeredis: NewRateLimiter: per must be positive, got 0s"},
		"negative":    {func() { NewRateLimiter(rdb, "k", 1, -time.Second) }, "apizeeredis: NewRateLimiter: per must be positive, got -1s"},
		"no replicas": {func() { NewRateLimiter(rdb, "k", 1, time.Second, WithReplicas(0)) }, "apizeeredis: WithReplicas: must be at least 1, got 0"},
	} {
		assert.PanicsWithValue(t, c.want, c.build, name)
	}
	assert.NotPanics(t, func() { NewRateLimiter(rdb, "k", 1, time.Nanosecond, WithReplicas(8), WithLogger(nil), FailClosed()) })
}

func TestFallbackBudgetIsAtLeastOnePerPeriod(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}) // never dialled
	defer rdb.Close()
	for _, c := range []struct{ n, replicas, want int }{{10, 1, 10}, {10, 2, 5}, {10, 3, 3}, {10, 8, 1}, {10, 20, 1}} {
		l := NewRateLimiter(rdb, "k", c.n, time.Minute, WithReplicas(c.replicas))
		assert.Equal(t, c.want, l.localN, "%d over %d replicas", c.n, c.replicas)
		assert.Equal(t, rate.Every(time.Minute/time.Duration(c.want)), l.local.Limit())
	}
}
