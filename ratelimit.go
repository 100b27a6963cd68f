package apizee

import (
	"context"
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
