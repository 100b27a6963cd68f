package apizeeredis

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestBoundedTellsItsTimeoutFromTheCallersDeadline: a call that honours its
// context (go-redis with ContextTimeoutEnabled) and one that ignores it both
// end at the bound with errNoAnswer, never context.DeadlineExceeded, unless
// the caller's own deadline came first.
func TestBoundedTellsItsTimeoutFromTheCallersDeadline(t *testing.T) {
	honours := func(ctx context.Context) (int, error) {
		<-ctx.Done()
		return 0, ctx.Err()
	}
	hung := make(chan struct{})
	defer close(hung)
	ignores := func(context.Context) (int, error) {
		<-hung // a hung Redis, and go-redis without ContextTimeoutEnabled
		return 0, nil
	}
	// The call's answer and the bound race; either way the error is ours.
	for range 20 {
		_, err := bounded(context.Background(), time.Millisecond, honours)
		assert.True(t, errors.As(err, new(errNoAnswer)), "%v", err)
		assert.NotErrorIs(t, err, context.DeadlineExceeded)
	}
	_, err := bounded(context.Background(), time.Millisecond, ignores)
	assert.Equal(t, errNoAnswer{time.Millisecond}, err)

	short, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	_, err = bounded(short, time.Hour, honours)
	assert.ErrorIs(t, err, context.DeadlineExceeded, "the caller's own deadline")

	v, err := bounded(context.Background(), time.Hour, func(context.Context) (int, error) { return 7, nil })
	assert.NoError(t, err)
	assert.Equal(t, 7, v)
}
