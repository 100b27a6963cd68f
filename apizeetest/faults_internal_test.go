package apizeetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// The external tests cannot tell whether a fault's delay ended because the
// client went away or because the server closed: both end it.
func TestWaitEndsEarly(t *testing.T) {
	s := &Server{closing: make(chan struct{})}
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	assert.False(t, s.wait(gone, time.Hour), "the client went away")

	close(s.closing)
	assert.False(t, s.wait(context.Background(), time.Hour), "the server closed")

	assert.True(t, (&Server{closing: make(chan struct{})}).wait(context.Background(), time.Millisecond), "the delay passed")
}
