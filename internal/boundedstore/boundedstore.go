// Package boundedstore bounds each call to a store of the caller's (an
// apizee.Store, often a Redis): a call that does not return within its
// timeout, even one to a store that ignores its context, is an error, and
// so is a panic of the store. The client (its token and CreateOnce records)
// and the webhook handler (its de-duplication) use it, so that a store that
// hangs or has a bug makes them go on without it rather than wait or crash.
package boundedstore

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Store has the methods of apizee.Store, which this package cannot import.
type Store interface {
	Get(ctx context.Context, key string) (value []byte, found bool, err error)
	Set(ctx context.Context, key string, value []byte, ttl time.Duration) error
	SetNX(ctx context.Context, key string, value []byte, ttl time.Duration) (set bool, err error)
	CompareAndDelete(ctx context.Context, key string, value []byte) (deleted bool, err error)
}

// Bounded wraps a Store: each of its calls returns within Timeout. With a
// Cooldown, a store that hung (two calls in a row did not answer within
// Timeout) is not asked again for Cooldown: every call fails at once, so
// that a hung store costs two bounded waits (and calls stuck in it) per
// cooldown, not one per call. One slow answer is not a hang.
type Bounded struct {
	Store    Store
	Timeout  time.Duration
	Cooldown time.Duration // zero: always ask

	mu       sync.Mutex
	timeouts int       // calls in a row that timed out
	hungAt   time.Time // when the store was last found hung; zero: never
}

// Uncooled returns the same store bounded the same way but asked even while
// b cools down: for a write that must be tried all the same.
func (b *Bounded) Uncooled() *Bounded { return &Bounded{Store: b.Store, Timeout: b.Timeout} }

// Get is Store.Get, bounded.
func (b *Bounded) Get(ctx context.Context, key string) ([]byte, bool, error) {
	type found struct {
		value []byte
		ok    bool
	}
	f, err := call(ctx, b, func(ctx context.Context) (found, error) {
		v, ok, err := b.Store.Get(ctx, key)
		return found{v, ok}, err
	})
	return f.value, f.ok, err
}

// Set is Store.Set, bounded.
func (b *Bounded) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	_, err := call(ctx, b, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, b.Store.Set(ctx, key, value, ttl)
	})
	return err
}

// SetNX is Store.SetNX, bounded.
func (b *Bounded) SetNX(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	return call(ctx, b, func(ctx context.Context) (bool, error) { return b.Store.SetNX(ctx, key, value, ttl) })
}

// CompareAndDelete is Store.CompareAndDelete, bounded.
func (b *Bounded) CompareAndDelete(ctx context.Context, key string, value []byte) (bool, error) {
	return call(ctx, b, func(ctx context.Context) (bool, error) { return b.Store.CompareAndDelete(ctx, key, value) })
}

// call runs op, bounded by b's timeout even if op ignores its context (op
// then finishes in the background), and turns a panic of op into an error.
// The caller's own context ending is returned as ctx.Err().
func call[T any](ctx context.Context, b *Bounded, op func(ctx context.Context) (T, error)) (T, error) {
	var zero T
	if err := ctx.Err(); err != nil {
		return zero, err
	}
	if b.cooling() {
		return zero, fmt.Errorf("the store did not answer within %s twice in a row: not asked again for %s", b.Timeout, b.Cooldown)
	}
	opCtx, cancel := context.WithTimeout(ctx, b.Timeout)
	defer cancel()
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		var r result
		defer func() {
			if p := recover(); p != nil {
				r.err = fmt.Errorf("the store panicked: %v", p)
			}
			done <- r
		}()
		r.v, r.err = op(opCtx)
	}()
	select {
	case r := <-done:
		b.answered()
		if r.err != nil && ctx.Err() != nil {
			return zero, ctx.Err()
		}
		return r.v, r.err
	case <-opCtx.Done():
		if err := ctx.Err(); err != nil {
			return zero, err
		}
		b.timedOut()
		return zero, fmt.Errorf("the store did not answer within %s", b.Timeout)
	}
}

func (b *Bounded) cooling() bool {
	if b.Cooldown <= 0 {
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return !b.hungAt.IsZero() && time.Since(b.hungAt) < b.Cooldown
}

func (b *Bounded) answered() {
	b.mu.Lock()
	b.timeouts = 0
	b.mu.Unlock()
}

func (b *Bounded) timedOut() {
	b.mu.Lock()
	if b.timeouts++; b.timeouts >= 2 {
		b.hungAt = time.Now()
	}
	b.mu.Unlock()
}
