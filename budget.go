package apizee

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/apizee-go/apizee/internal/retry"
)

// ErrBudgetWait matches a call that the client itself held back without
// sending it: the server had said the rate-limit budget was spent until a
// reset (a 429 with Retry-After or X-RateLimit-Reset, or X-RateLimit-Remaining: 0
// with a reset), or the rate limiter's next free slot was too far, and the
// wait would have outlasted the call's context deadline or
// RetryPolicy.MaxRetryAfter. Such an error also matches ErrRateLimited, and
// errors.As finds its *BudgetWaitError; it is never an *APIError, which is
// the server's own answer.
var ErrBudgetWait = errors.New("apizee: call held back by the client to wait for the rate-limit budget")

// BudgetWaitError is a call the client held back without sending it,
// because the rate-limit budget opens again too late for it (see
// ErrBudgetWait). It matches ErrBudgetWait and ErrRateLimited.
type BudgetWaitError struct {
	Wait   time.Duration // how long the call would have had to wait
	Until  time.Time     // when the budget opens again for it
	Reason string        // why that is too long: the deadline, or RetryPolicy.MaxRetryAfter
}

// Error says plainly that the client, not the server, refused the call.
func (e *BudgetWaitError) Error() string {
	return fmt.Sprintf("apizee: held back by this client, not sent: the rate-limit budget opens again in %s (at %s), %s",
		e.Wait.Round(time.Millisecond), e.Until.UTC().Format(time.RFC3339), e.Reason)
}

// Is matches ErrBudgetWait and ErrRateLimited.
func (e *BudgetWaitError) Is(target error) bool {
	return target == ErrBudgetWait || target == ErrRateLimited
}

// longerThanMaxRetryAfter is the refusal of a call that a pause the server
// asked for would hold longer than the client's RetryPolicy.MaxRetryAfter.
func longerThanMaxRetryAfter(wait time.Duration, until time.Time, maxWait time.Duration) *BudgetWaitError {
	return &BudgetWaitError{Wait: wait, Until: until, Reason: fmt.Sprintf("longer than RetryPolicy.MaxRetryAfter (%s)", maxWait)}
}

// maxRememberedWait bounds how far ahead the client holds calls back on the
// server's word: a hostile or broken Retry-After of years must not silence
// the client until it restarts. Past it, one call asks the server again.
const maxRememberedWait = time.Hour

// budgetGate is the client's memory of the server's rate-limit answers. The
// attempt transport asks it before each attempt to the API host, and tells
// it every answer from that host: after a 429 with a wait, or an answer
// saying that no request is left until a reset, the client's other calls
// wait for the reset instead of each drawing a 429 of its own.
type budgetGate struct {
	onAPIHost    func(*url.URL) bool
	reportedPath func(*url.URL) string
	maxWait      time.Duration // RetryPolicy.MaxRetryAfter
	feedback     RateLimitFeedback
	logger       *slog.Logger

	mu    sync.Mutex
	until time.Time
}

func newBudgetGate(c *Client) *budgetGate {
	g := &budgetGate{onAPIHost: c.onAPIHost, reportedPath: c.reportedPath, maxWait: c.cfg.retry.withDefaults().MaxRetryAfter, logger: c.cfg.logger}
	g.feedback, _ = c.cfg.limiter.(RateLimitFeedback)
	return g
}

// opensAt returns when the budget opens again, as far as this client knows.
// A limiter that hears the server holds calls for the waits it heard from
// other clients itself, and refuses those it would hold past MaxRetryAfter
// (see MaxRetryAfterFromContext).
func (g *budgetGate) opensAt() time.Time {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.until
}

// wait holds the attempt until the budget opens, or refuses it with a
// *BudgetWaitError when that is past ctx's deadline or longer than
// MaxRetryAfter.
func (g *budgetGate) wait(ctx context.Context, u *url.URL) error {
	if !g.onAPIHost(u) {
		return nil
	}
	for {
		until := g.opensAt()
		now := time.Now()
		if !now.Before(until) {
			return nil
		}
		left := until.Sub(now)
		if left > g.maxWait {
			return longerThanMaxRetryAfter(left, until, g.maxWait)
		}
		if deadline, ok := ctx.Deadline(); ok && !until.Before(deadline) {
			return &BudgetWaitError{Wait: left, Until: until, Reason: "past the call's context deadline"}
		}
		if g.logger != nil {
			g.logger.LogAttrs(ctx, slog.LevelDebug, "apizee: waiting for the rate-limit reset the server asked for",
				slog.String("path", g.reportedPath(u)), slog.Duration("wait", left))
		}
		if err := sleep(ctx, left); err != nil {
			return err
		}
		// The reset may have moved meanwhile: look again.
	}
}

// heard reads an answer from the API host: a 429 with a wait, or any answer
// with X-RateLimit-Remaining: 0 and a reset, holds the client's calls until
// then, and tells a limiter that listens.
func (g *budgetGate) heard(ctx context.Context, u *url.URL, resp *http.Response) {
	spent := resp.StatusCode == http.StatusTooManyRequests || strings.TrimSpace(resp.Header.Get("X-RateLimit-Remaining")) == "0"
	if !spent || !g.onAPIHost(u) {
		return
	}
	now := time.Now()
	wait, ok := retry.ServerWait(resp.Header, now)
	if !ok || wait <= 0 {
		return
	}
	until := now.Add(min(wait, maxRememberedWait))
	g.mu.Lock()
	if until.After(g.until) {
		g.until = until
	}
	g.mu.Unlock()
	if g.feedback != nil {
		g.feedback.ServerAskedToWait(ctx, until)
	}
}
