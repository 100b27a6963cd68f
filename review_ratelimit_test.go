package apizee

import (
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
)

// The independent review of NewRateLimiter's priorities.

// A steady stream of high-priority calls that uses the whole budget must
// not starve a low-priority call forever: once it has waited a window, no
// later call goes before it.
func TestReviewLowPriorityIsNotStarvedByAStreamOfHighOnes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const per = 10 * time.Second
		l := NewRateLimiter(1, per)
		high := ContextWithPriority(t.Context(), PriorityHigh)
		start := time.Now()
		var wg sync.WaitGroup
		for range 2 { // two busy callers: one always queued
			wg.Go(func() {
				for range 30 {
					if err := l.Wait(high); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		synctest.Wait()
		var lowAt time.Duration
		wg.Go(func() {
			if err := l.Wait(ContextWithPriority(t.Context(), PriorityLow)); err != nil {
				t.Error(err)
			}
			lowAt = time.Since(start)
		})
		wg.Wait()
		assert.LessOrEqual(t, lowAt, 4*per, "the low call went after %s, behind the whole stream", lowAt)
	})
}

// Priorities outside the three named ones are ordered like any other, and
// change nothing of the budget.
func TestReviewOddPrioritiesKeepTheBudget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const per = 10 * time.Second
		l := NewRateLimiter(2, per)
		log := newGrantLog()
		var wg sync.WaitGroup
		for i, p := range []Priority{Priority(-1 << 62), PriorityLow, Priority(1 << 62), PriorityHigh, 7, -7} {
			wg.Go(func() { log.wait(t, l, ContextWithPriority(t.Context(), p), string(rune('a'+i))) })
			synctest.Wait()
		}
		wg.Wait()
		assert.Equal(t, 2, maxInWindow(log.times(), per))
		assert.Len(t, log.times(), 6)
	})
}
