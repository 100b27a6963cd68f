package apizee

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// RateLimitFeedback is implemented by a RateLimiter that wants to hear the
// server: when an answer says the budget is spent (a 429 with Retry-After or
// X-RateLimit-Reset, or X-RateLimit-Remaining: 0 with a reset), the client
// calls ServerAskedToWait, so that every caller sharing that limiter
// (goroutines of one process, or replicas through Redis) waits until then
// instead of each spending an attempt on another 429.
type RateLimitFeedback interface {
	ServerAskedToWait(ctx context.Context, until time.Time)
}

// Priority orders the calls waiting on a rate limiter that honours it
// (NewRateLimiter's does, and so may a shared one): when calls queue for the
// budget, those of a higher priority go first. Set it on a call's context
// with ContextWithPriority; a context without one is PriorityNormal.
type Priority int

// Priorities, lowest first.
const (
	// PriorityLow is bulk work that can wait: walks, downloads, nightly jobs.
	PriorityLow Priority = -1
	// PriorityNormal is the default.
	PriorityNormal Priority = 0
	// PriorityHigh is a call someone is waiting for: the button of a live
	// support page.
	PriorityHigh Priority = 1
)

type priorityKey struct{}

// ContextWithPriority returns ctx carrying p: every HTTP attempt of a call
// made with it (token fetch and retries included) waits on the client's rate
// limiter at that priority.
func ContextWithPriority(ctx context.Context, p Priority) context.Context {
	return context.WithValue(ctx, priorityKey{}, p)
}

// PriorityFromContext returns the priority ContextWithPriority set on ctx,
// or PriorityNormal. Rate limiters read it in Wait.
func PriorityFromContext(ctx context.Context) Priority {
	p, _ := ctx.Value(priorityKey{}).(Priority)
	return p
}

type maxRetryAfterKey struct{}

// MaxRetryAfterFromContext returns the RetryPolicy.MaxRetryAfter of the
// client whose call ctx belongs to: a Client sets it on the context it
// passes to its RateLimiter's Wait, and ok is false on any other context.
//
// A limiter that hears the server (RateLimitFeedback) uses it to treat a
// pause it heard, maybe from another client or replica, as the client treats
// one it heard itself: a call the pause would hold longer than that is
// refused at once with a *BudgetWaitError (matching ErrBudgetWait and
// ErrRateLimited) instead of sleeping through it. NewRateLimiter's limiter
// does, and so does the Redis limiter of the apizeeredis module. It bounds
// only the pause the server asked for, not the limiter's own queue, which
// only the context's deadline bounds.
func MaxRetryAfterFromContext(ctx context.Context) (maxWait time.Duration, ok bool) {
	maxWait, ok = ctx.Value(maxRetryAfterKey{}).(time.Duration)
	return maxWait, ok
}

// NewRateLimiter returns an in-process limiter that lets at most n calls
// through in any window of length per (a sliding window: Apizee's "10
// requests a minute" is NewRateLimiter(10, time.Minute)), for
// WithRateLimiter. Share it between the clients of one process that use one
// Apizee user; for several processes, use the Redis limiter of the
// apizeeredis module.
//
// Waiting calls go in order of Priority, then of arrival, except that a call
// that has waited a whole window is passed by no call that comes after it:
// a stream of higher-priority calls delays a lower one by about a window
// plus the turns queued before it, never forever. Wait honours its context:
// a call whose turn would come after its deadline returns at once
// with an error matching ErrBudgetWait and ErrRateLimited, and a call that
// gives up frees its turn for the next. The limiter implements
// RateLimitFeedback: when the server says the budget is spent until a reset,
// no call goes before it, and a call that the reset would hold longer than
// its client's RetryPolicy.MaxRetryAfter (MaxRetryAfterFromContext) is
// refused at once, as the client refuses one itself.
//
// It keeps the times of the last n calls, so it suits budgets of a few
// thousand calls per window at most. It panics if n or per is not positive,
// as time.NewTicker does: a budget of nothing is a programming error.
func NewRateLimiter(n int, per time.Duration) RateLimiter {
	if n <= 0 {
		panic(fmt.Sprintf("apizee: NewRateLimiter needs a positive number of calls, got %d", n))
	}
	if per <= 0 {
		panic(fmt.Sprintf("apizee: NewRateLimiter needs a positive window, got %s", per))
	}
	return &rateLimiter{n: n, per: per, replanned: make(chan struct{})}
}

// rateLimiter is NewRateLimiter's limiter. Each waiting call holds a turn in
// queue; the plan gives each turn the earliest time at which it keeps at most
// n calls in any window of length per, after the server's hold. The plan is
// made again whenever a turn joins or leaves the queue or the hold moves,
// and the waiters are told (replanned closes), so that each sees its new
// time, and gives up at once when that is past its deadline.
type rateLimiter struct {
	n   int
	per time.Duration

	mu sync.Mutex
	// granted holds the times of the calls let through in the last window,
	// in order.
	granted []time.Time
	// queue holds the turns of the waiting calls, in the order they go.
	queue     []*turn
	hold      time.Time
	replanned chan struct{}
}

// turn is one waiting call's place in the queue.
type turn struct {
	priority Priority
	since    time.Time // when it joined the queue
	at       time.Time // when it may go, as last planned
}

// Wait blocks until the call may go, or returns an error: ctx's, or a
// *BudgetWaitError at once when its turn would come after ctx's deadline.
func (l *rateLimiter) Wait(ctx context.Context) error {
	if err := contextErr(ctx); err != nil {
		return err
	}
	maxHold, holdBounded := MaxRetryAfterFromContext(ctx)
	l.mu.Lock()
	now := time.Now()
	me := &turn{priority: PriorityFromContext(ctx), since: now}
	// After every turn of its priority or above, and after every turn that
	// has waited a whole window already, before the lower ones: a stream of
	// higher priorities delays a lower one, never starves it.
	from := 0
	for j, t := range l.queue {
		if now.Sub(t.since) >= l.per {
			from = j + 1
		}
	}
	i := slices.IndexFunc(l.queue[from:], func(t *turn) bool { return t.priority < me.priority })
	if i < 0 {
		i = len(l.queue) - from
	}
	l.queue = slices.Insert(l.queue, from+i, me)
	l.plan(now)
	for {
		if !now.Before(me.at) {
			l.leave(me)
			i, _ := slices.BinarySearchFunc(l.granted, me.at, time.Time.Compare)
			l.granted = slices.Insert(l.granted, i, me.at)
			l.mu.Unlock()
			return nil
		}
		var refused *BudgetWaitError
		if deadline, ok := ctx.Deadline(); ok && !me.at.Before(deadline) {
			refused = &BudgetWaitError{Wait: me.at.Sub(now), Until: me.at, Reason: "past the call's context deadline (the rate limiter's next turn for it)"}
		} else if held := l.hold.Sub(now); holdBounded && held > maxHold {
			refused = longerThanMaxRetryAfter(held, l.hold, maxHold)
		}
		if refused != nil {
			l.leave(me)
			l.plan(now)
			l.mu.Unlock()
			return refused
		}
		at, replanned := me.at, l.replanned
		l.mu.Unlock()
		timer := time.NewTimer(at.Sub(now))
		select {
		case <-timer.C:
		case <-replanned:
			timer.Stop()
		case <-ctx.Done():
			timer.Stop()
			l.mu.Lock()
			l.leave(me)
			l.plan(time.Now())
			l.mu.Unlock()
			return contextErr(ctx)
		}
		l.mu.Lock()
		now = time.Now()
	}
}

// ServerAskedToWait holds every call until until.
func (l *rateLimiter) ServerAskedToWait(_ context.Context, until time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if until.After(l.hold) {
		l.hold = until
		l.plan(time.Now())
	}
}

// leave takes t out of the queue. Call with mu held.
func (l *rateLimiter) leave(t *turn) {
	if i := slices.Index(l.queue, t); i >= 0 {
		l.queue = slices.Delete(l.queue, i, i+1)
	}
}

// plan gives each turn of the queue, in order, the earliest time that keeps
// at most n calls in any window of length per, counting the calls already
// let through and the turns before it, and not before the server's hold. It
// tells the waiters when a time changed. Call with mu held.
func (l *rateLimiter) plan(now time.Time) {
	// Calls let through a whole window ago no longer count.
	cut, _ := slices.BinarySearchFunc(l.granted, now.Add(-l.per), func(g, t time.Time) int {
		if g.After(t) {
			return 1
		}
		return -1
	})
	l.granted = slices.Delete(l.granted, 0, cut)
	times := slices.Clone(l.granted)
	changed := false
	for _, t := range l.queue {
		at := now
		if l.hold.After(at) {
			at = l.hold
		}
		if len(times) >= l.n {
			if free := times[len(times)-l.n].Add(l.per); free.After(at) {
				at = free
			}
		}
		if !at.Equal(t.at) {
			t.at, changed = at, true
		}
		times = append(times, at)
	}
	if changed {
		close(l.replanned)
		l.replanned = make(chan struct{})
	}
}
