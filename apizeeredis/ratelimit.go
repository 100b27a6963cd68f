package apizeeredis

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/apizee-go/apizee"
	"github.com/redis/go-redis/v9"
	"golang.org/x/time/rate"
)

// ErrUnreachable is the error of Wait on a FailClosed limiter while the
// shared budget on Redis cannot be reached: the limiter refused the request
// itself, no request left.
var ErrUnreachable = errors.New("apizeeredis: the shared rate budget on Redis is unreachable")

// RateLimiter spends one budget of n requests per period across every
// limiter on the same Redis key: the replicas of a service, and any job that
// uses the same Apizee user. It implements apizee.RateLimiter and
// apizee.RateLimitFeedback; give it to apizee.WithRateLimiter. It is safe
// for concurrent use.
//
// The budget is a GCRA run by a Lua script on Redis's own clock (TIME), so
// that the replicas' clocks do not matter, and it spaces requests evenly,
// one every per/n with no burst: Apizee counts requests per window, and
// evenly spaced requests never put more than n in any window of length per.
//
// Priorities (apizee.PriorityFromContext) take two lanes, decided atomically
// by the script on Redis's clock:
//   - A call at apizee.PriorityNormal (the default) or apizee.PriorityHigh
//     reserves the next free slot and sleeps until it: these calls are
//     served in the order they asked, across the fleet.
//   - A call at apizee.PriorityLow (walks, downloads, nightly jobs) never
//     queues: it takes a slot only when one is free at that moment, and
//     otherwise sleeps, without reserving anything, until the next slot
//     could be free, and asks again.
//
// So bulk work at PriorityLow holds at most the one slot it is using, and a
// call at Normal or High waits at most one interval (per/n) for it, plus
// the Normal and High calls that asked before it, however many walks the
// fleet runs; with no such call waiting, Low calls use the whole budget.
// Redis does not order High before Normal (both queue first come, first
// served; apizee.NewRateLimiter does, within a process): mark bulk work Low.
// Low calls can starve while Normal and High calls ask for the whole budget;
// that is what the priority says.
//
// Wait refuses at once, with an *apizee.BudgetWaitError (which matches
// apizee.ErrBudgetWait and apizee.ErrRateLimited), a call whose slot would
// come after its context's deadline, and a call that a pause the server
// asked for (heard by any replica) would hold longer than its client's
// RetryPolicy.MaxRetryAfter (apizee.MaxRetryAfterFromContext): as the client
// refuses a wait it heard of itself.
//
// When Redis cannot be reached (or answers with an error), the limiter logs
// it once and falls back to a budget of its own, n divided by the replica
// count of WithReplicas (at least one request per period, spaced evenly,
// without priorities), or, with FailClosed, refuses with ErrUnreachable, at
// once in both cases. While it
// is down the limiter asks Redis again in the background, at most once a
// second, without holding any Wait; when Redis answers, it tells Redis of any
// pause it heard meanwhile, logs that Redis is back (once), and shares the
// budget again.
type RateLimiter struct {
	rdb        redis.UniversalClient
	key        string
	budgetKeys []string // the GCRA's theoretical arrival time, then the pause
	pauseKeys  []string // the pause alone
	per        time.Duration
	interval   time.Duration
	maxPause   time.Duration
	failClosed bool
	logger     *slog.Logger
	localN     int
	local      *rate.Limiter
	timeout    time.Duration // of each call to Redis
	probeEvery time.Duration // how often a degraded limiter asks Redis again

	mu          sync.Mutex
	degraded    bool
	probing     bool // a probe is running
	nextProbe   time.Time
	pausedUntil time.Time // the longest pause this limiter heard of, on this process's clock

	// onReserved, when set (by tests), is called each time Redis grants Wait
	// a slot, with the slot's start on Redis's clock and the wait until it.
	onReserved func(slot time.Time, wait time.Duration)
	// onBusy, when set (by tests), is called each time Redis tells a
	// PriorityLow Wait that no slot is free now, with the wait until the next.
	onBusy func(wait time.Duration)
}

var (
	_ apizee.RateLimiter       = (*RateLimiter)(nil)
	_ apizee.RateLimitFeedback = (*RateLimiter)(nil)
)

// LimiterOption configures a RateLimiter.
type LimiterOption func(*limiterOptions)

type limiterOptions struct {
	replicas   int
	failClosed bool
	logger     *slog.Logger
}

// WithReplicas gives the number of replicas that share the budget, so that
// each one's fallback budget while Redis is unreachable is n/replicas (at
// least one request per period), and the fleet together stays within n.
// Without it each replica falls back to the whole n. NewRateLimiter panics
// if replicas is below 1.
func WithReplicas(replicas int) LimiterOption {
	return func(o *limiterOptions) { o.replicas = replicas }
}

// FailClosed makes Wait refuse with ErrUnreachable while Redis cannot be
// reached, instead of falling back to a local budget: for a fleet where a
// 429 costs more than a refused call.
func FailClosed() LimiterOption {
	return func(o *limiterOptions) { o.failClosed = true }
}

// WithLogger sets where the limiter says that Redis became unreachable and
// that it is back (once each, not once per call); nil silences it. The
// default is slog.Default().
func WithLogger(l *slog.Logger) LimiterOption {
	return func(o *limiterOptions) {
		if l == nil {
			l = slog.New(slog.DiscardHandler)
		}
		o.logger = l
	}
}

// NewRateLimiter returns a limiter of n requests per period per, shared by
// every limiter on the same rdb and key (name the Apizee user in it, for
// example "apizee:budget:"+username). Give per a little more than Apizee's
// window, 61*time.Second for its minute: a request reaches Apizee some
// milliseconds after its slot, and a window opened by a late request could
// otherwise count an 11th. Its state lives in the Redis keys
// "{key}:tat" and "{key}:pause" (one Redis Cluster slot). A pause asked by
// the server is kept for at most max(per, 10 minutes), so that a hostile or
// broken reset header cannot stop the fleet for days.
//
// NewRateLimiter panics if rdb is nil, key is empty, n is below 1, per is
// not positive or WithReplicas is below 1: these are programming errors,
// found by the first run, as time.NewTicker panics on a bad period.
func NewRateLimiter(rdb redis.UniversalClient, key string, n int, per time.Duration, opts ...LimiterOption) *RateLimiter {
	o := limiterOptions{replicas: 1, logger: slog.Default()}
	for _, opt := range opts {
		opt(&o)
	}
	switch {
	case rdb == nil:
		panic("apizeeredis: NewRateLimiter: the Redis client is nil")
	case key == "":
		panic("apizeeredis: NewRateLimiter: the key is empty")
	case n < 1:
		panic(fmt.Sprintf("apizeeredis: NewRateLimiter: n must be at least 1, got %d", n))
	case per <= 0:
		panic(fmt.Sprintf("apizeeredis: NewRateLimiter: per must be positive, got %s", per))
	case o.replicas < 1:
		panic(fmt.Sprintf("apizeeredis: WithReplicas: must be at least 1, got %d", o.replicas))
	}
	tag := "{" + key + "}"
	localN := max(1, n/o.replicas)
	return &RateLimiter{
		rdb:        rdb,
		key:        key,
		per:        per,
		budgetKeys: []string{tag + ":tat", tag + ":pause"},
		pauseKeys:  []string{tag + ":pause"},
		// The script counts in microseconds: a rate above a million a
		// second is one a microsecond, never unlimited.
		interval:   max(per/time.Duration(n), time.Microsecond),
		maxPause:   max(per, 10*time.Minute),
		failClosed: o.failClosed,
		logger:     o.logger,
		localN:     localN,
		local:      rate.NewLimiter(rate.Every(max(per/time.Duration(localN), time.Microsecond)), 1),
		timeout:    callTimeout,
		probeEvery: time.Second,
	}
}

// reserveSlot is the GCRA. KEYS[1] holds the theoretical arrival time (TAT)
// and KEYS[2] the end of a pause, both in microseconds of Redis's clock;
// ARGV[1] is the interval between requests and ARGV[2] the longest wait the
// caller can afford (-1: any), in microseconds; ARGV[3] is the lane: "1"
// reserves the next free slot, "0" (PriorityLow) takes only a slot free now.
// It answers {status, wait, now}: status 1 the slot is reserved and starts in
// wait; 0 a pause has wait left and nothing was reserved; 2 the next slot is
// wait away, past the caller's deadline, and nothing was reserved; 3 (lane
// "0") no slot is free now, the next may be in wait, and nothing was
// reserved. Times are kept as integers formatted with %d: Lua's numbers are
// doubles, exact to 2^53 µs (year 2255), but tostring would cut them to 14
// digits.
var reserveSlot = redis.NewScript(`
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local pause = tonumber(redis.call('GET', KEYS[2]) or 0)
if pause > now then
	return {0, pause - now, now}
end
local tat = math.max(tonumber(redis.call('GET', KEYS[1]) or 0), now)
local wait = tat - now
local max_wait = tonumber(ARGV[2])
if max_wait >= 0 and wait > max_wait then
	return {2, wait, now}
end
if wait > 0 and ARGV[3] == '0' then
	return {3, wait, now}
end
local next_tat = tat + tonumber(ARGV[1])
redis.call('SET', KEYS[1], string.format('%d', next_tat), 'PX', math.ceil((next_tat - now) / 1000))
return {1, wait, now}
`)

// extendPause makes the pause in KEYS[1] last at least ARGV[1] microseconds
// from now on Redis's clock (0: only read it), never shortening a longer
// one, and answers how many microseconds are left of it (0: no pause).
var extendPause = redis.NewScript(`
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local pause = tonumber(redis.call('GET', KEYS[1]) or 0)
local want = now + tonumber(ARGV[1])
if pause >= want or tonumber(ARGV[1]) <= 0 then
	return math.max(pause - now, 0)
end
redis.call('SET', KEYS[1], string.format('%d', want), 'PX', math.ceil((want - now) / 1000))
return want - now
`)

// Wait blocks until the shared budget has room for one request, in the
// lane of the call's priority, and until a pause the server asked for
// (ServerAskedToWait, from any limiter on the key) is over. A wait that
// would pass ctx's deadline, or a pause longer than the client's
// MaxRetryAfter, returns at once an *apizee.BudgetWaitError and spends
// nothing; a ctx that ends while waiting returns its error.
func (l *RateLimiter) Wait(ctx context.Context) error {
	queue := apizee.PriorityFromContext(ctx) >= apizee.PriorityNormal
	for {
		if l.isDegraded() {
			l.probeInBackground() // before the pause, which the probe shares
		}
		if err := l.sleepThroughPause(ctx); err != nil {
			return err
		}
		if l.isDegraded() {
			return l.waitLocally(ctx)
		}
		status, wait, slot, err := l.reserve(ctx, queue)
		if err != nil {
			if ctx.Err() != nil {
				return contextErr(ctx)
			}
			l.unreachable(err)
			return l.waitLocally(ctx)
		}
		l.reachable()
		switch status {
		case statusPaused:
			l.pauseUntil(time.Now().Add(wait))
			continue
		case statusTooFar:
			return errPastDeadline(wait)
		case statusBusy:
			// A Low call: nothing reserved; the next slot may be free then.
			if l.onBusy != nil {
				l.onBusy(wait)
			}
			if err := sleep(ctx, wait); err != nil {
				return err
			}
			continue
		case statusReserved:
		default:
			return fmt.Errorf("apizeeredis: unexpected status %d from the rate limiter's script", status)
		}
		if l.onReserved != nil {
			l.onReserved(slot, wait)
		}
		if wait <= 0 {
			return nil
		}
		if err := sleep(ctx, wait); err != nil {
			return err
		}
		// The slot is ours, but a pause heard while we slept comes first.
		left, err := l.extendPause(ctx, 0)
		switch {
		case err != nil && ctx.Err() != nil:
			return contextErr(ctx)
		case err != nil:
			l.unreachable(err) // for the next call; this one holds a slot
			return nil
		case left <= 0:
			return nil
		}
		l.pauseUntil(time.Now().Add(left))
	}
}

// extendPause runs the script of that name: the pause of the key lasts at
// least wait from now (0: only read it); it returns what is left of it.
func (l *RateLimiter) extendPause(ctx context.Context, wait time.Duration) (left time.Duration, err error) {
	us, err := bounded(ctx, l.timeout, func(ctx context.Context) (int64, error) {
		return extendPause.Run(ctx, l.rdb, l.pauseKeys, micros(wait)).Int64()
	})
	return time.Duration(us) * time.Microsecond, err
}

const (
	statusPaused   = 0
	statusReserved = 1
	statusTooFar   = 2
	statusBusy     = 3
)

// reserve runs reserveSlot with the wait ctx's deadline allows, in the
// queueing lane or the free-now one, and returns its status, the wait, and
// when the slot starts on Redis's clock.
func (l *RateLimiter) reserve(ctx context.Context, queue bool) (status int64, wait time.Duration, slot time.Time, err error) {
	maxWait := int64(-1)
	if deadline, ok := ctx.Deadline(); ok {
		maxWait = max(time.Until(deadline).Microseconds(), 0)
	}
	reply, err := bounded(ctx, l.timeout, func(ctx context.Context) ([]int64, error) {
		lane := "0"
		if queue {
			lane = "1"
		}
		return reserveSlot.Run(ctx, l.rdb, l.budgetKeys, micros(l.interval), maxWait, lane).Int64Slice()
	})
	if err != nil {
		return 0, 0, time.Time{}, err
	}
	if len(reply) != 3 {
		return 0, 0, time.Time{}, fmt.Errorf("apizeeredis: unexpected reply of the rate limiter's script: %v", reply)
	}
	return reply[0], time.Duration(reply[1]) * time.Microsecond, time.UnixMicro(reply[2] + reply[1]), nil
}

// ServerAskedToWait pauses every limiter on the key until until, on Redis's
// clock (the wait left is sent, not the instant, so that this replica's clock
// does not matter), never shortening a longer pause, and for at most
// max(per, 10 minutes). It also pauses this limiter locally, so that the
// pause holds while Redis is unreachable. It waits at most half a second for
// Redis, even when ctx is about to end: the fleet must hear of the pause.
func (l *RateLimiter) ServerAskedToWait(ctx context.Context, until time.Time) {
	wait := min(time.Until(until), l.maxPause)
	if wait <= 0 {
		return
	}
	l.pauseUntil(time.Now().Add(wait))
	if l.isDegraded() {
		return // the probe that finds Redis back will tell it
	}
	if _, err := l.extendPause(context.WithoutCancel(ctx), wait); err != nil {
		l.unreachable(err)
	}
}

// sleepThroughPause sleeps until the pause this limiter heard of is over,
// or refuses at once a call the pause would hold past its deadline or longer
// than its client's MaxRetryAfter.
func (l *RateLimiter) sleepThroughPause(ctx context.Context) error {
	l.mu.Lock()
	wait := time.Until(l.pausedUntil)
	l.mu.Unlock()
	if wait <= 0 {
		return nil
	}
	if maxWait, ok := apizee.MaxRetryAfterFromContext(ctx); ok && wait > maxWait {
		return &apizee.BudgetWaitError{Wait: wait, Until: time.Now().Add(wait),
			Reason: fmt.Sprintf("the fleet's pause on Redis is longer than RetryPolicy.MaxRetryAfter (%s)", maxWait)}
	}
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
		return errPastDeadline(wait)
	}
	return sleep(ctx, wait)
}

// pauseUntil extends this limiter's own pause to until.
func (l *RateLimiter) pauseUntil(until time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if until.After(l.pausedUntil) {
		l.pausedUntil = until
	}
}

// waitLocally is Wait while Redis is unreachable: the fallback budget, or a
// refusal with FailClosed.
func (l *RateLimiter) waitLocally(ctx context.Context) error {
	if l.failClosed {
		return fmt.Errorf("%w (the limiter fails closed)", ErrUnreachable)
	}
	r := l.local.Reserve()
	wait := r.Delay()
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
		r.Cancel()
		return errPastDeadline(wait)
	}
	if err := sleep(ctx, wait); err != nil {
		r.Cancel()
		return err
	}
	return nil
}

// probeInBackground asks Redis, in a goroutine of its own, whether it is
// back, at most one probe at a time and one a probeEvery, so that no Wait
// pays for a Redis that is down. The probe tells Redis of the pause this
// limiter heard while it was gone.
func (l *RateLimiter) probeInBackground() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.probing || time.Now().Before(l.nextProbe) {
		return
	}
	l.probing = true
	pause := time.Until(l.pausedUntil)
	go func() {
		left, err := l.extendPause(context.Background(), max(pause, 0))
		l.mu.Lock()
		l.probing = false
		l.mu.Unlock()
		if err != nil {
			l.unreachable(err)
			return
		}
		l.pauseUntil(time.Now().Add(left))
		l.reachable()
	}()
}

func (l *RateLimiter) isDegraded() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.degraded
}

// unreachable records that Redis failed, and says so once per outage.
func (l *RateLimiter) unreachable(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.nextProbe = time.Now().Add(l.probeEvery)
	if l.degraded {
		return
	}
	l.degraded = true
	if l.failClosed {
		l.logger.Warn("apizeeredis: the shared rate budget on Redis is unreachable; refusing requests until it is back",
			"key", l.key, "error", err)
		return
	}
	l.logger.Warn("apizeeredis: the shared rate budget on Redis is unreachable; falling back to a local budget until it is back",
		"key", l.key, "local_budget", fmt.Sprintf("%d per %s", l.localN, l.per), "error", err)
}

// reachable records that Redis answered, and says so once after an outage.
func (l *RateLimiter) reachable() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.degraded {
		return
	}
	l.degraded = false
	l.logger.Info("apizeeredis: the shared rate budget on Redis is reachable again", "key", l.key)
}

// errPastDeadline is the refusal of a wait that would pass the context's
// deadline: the client's own kind of refusal, so that a caller tells it
// from the server's 429 the same way whichever limiter refused.
func errPastDeadline(wait time.Duration) error {
	return &apizee.BudgetWaitError{Wait: wait, Until: time.Now().Add(wait),
		Reason: "past the call's context deadline (the shared budget on Redis has room for it then)"}
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return contextErr(ctx)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return contextErr(ctx)
	}
}

// micros rounds d up to whole microseconds, the unit of the scripts.
func micros(d time.Duration) int64 {
	return int64((d + time.Microsecond - 1) / time.Microsecond)
}

// contextErr is ctx's error as an error of this package: its text starts
// with "apizeeredis: ", and errors.Is(err, context.Canceled) holds.
func contextErr(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("apizeeredis: %w", err)
	}
	return nil
}
