package apizeeredis

import (
	"context"
	"fmt"
	"time"
)

// callTimeout bounds every call this package makes to Redis, shortened by
// the caller's context deadline. A Redis on the same network answers in a
// millisecond or two; a Redis that is down or hung must not hold a request to
// Apizee for longer than this before the store's callers fall back to working
// without it, or the limiter to its local budget.
const callTimeout = 500 * time.Millisecond

// errNoAnswer is the error of a call that Redis did not answer within
// callTimeout while the caller's own context was still alive. It does not
// match context.DeadlineExceeded, so that a caller can tell "Redis is slow or
// gone" (fall back) from "my own deadline passed" (give up).
type errNoAnswer struct{ timeout time.Duration }

func (e errNoAnswer) Error() string {
	return fmt.Sprintf("no answer from Redis within %s", e.timeout)
}

// bounded runs call with a context that ends after timeout (or with ctx),
// and returns when call does or that context ends, whichever comes first.
// The goroutine is what makes the bound hold: go-redis ignores context
// deadlines on reads unless the client was built with ContextTimeoutEnabled,
// and waits its ReadTimeout (3 s by default, or for ever) on a Redis that
// accepted the connection and went quiet. An abandoned call ends on its own
// when go-redis gives up.
func bounded[T any](ctx context.Context, timeout time.Duration, call func(context.Context) (T, error)) (T, error) {
	var zero T
	if err := ctx.Err(); err != nil {
		return zero, err
	}
	callCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	type result struct {
		value T
		err   error
	}
	done := make(chan result, 1)
	go func() {
		v, err := call(callCtx)
		done <- result{v, err}
	}()
	var err error
	select {
	case r := <-done:
		if r.err == nil {
			return r.value, nil
		}
		err = r.err
	case <-callCtx.Done():
	}
	switch {
	case ctx.Err() != nil:
		return zero, ctx.Err()
	case callCtx.Err() != nil:
		// Our bound, not the caller's deadline, whatever go-redis said.
		return zero, errNoAnswer{timeout}
	}
	return zero, err
}
