package apizeeredis

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The package's errors start with "apizeeredis: " once, like those of the
// module's other packages; the limiter's refusal to wait past a deadline is
// the client's *apizee.BudgetWaitError, which starts with "apizee: " once.
// A Redis on a port nothing listens on is enough: no redis-server needed.
func TestErrorTextsStartWithThePrefixOnce(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	rdb := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: time.Second})
	t.Cleanup(func() { _ = rdb.Close() })

	ended, cancel := context.WithCancel(t.Context())
	cancel()
	store := NewStore(rdb, "t:")
	quiet := WithLogger(slog.New(slog.DiscardHandler))
	closed := NewRateLimiter(rdb, "t:limit", 10, time.Minute, FailClosed(), quiet)
	open := NewRateLimiter(rdb, "t:limit", 1, time.Hour, quiet)
	require.NoError(t, open.Wait(t.Context()), "the local budget's first slot")
	soon, cancelSoon := context.WithTimeout(t.Context(), time.Minute)
	defer cancelSoon()

	for _, tc := range []struct {
		name, prefix string
		call         func() error
	}{
		{"Store.Get on a Redis that is down", "apizeeredis:", func() error { _, _, err := store.Get(t.Context(), "k"); return err }},
		{"Store.SetNX with an ended context", "apizeeredis:", func() error { _, err := store.SetNX(ended, "k", []byte("v"), time.Minute); return err }},
		{"Wait of a limiter that fails closed", "apizeeredis:", func() error { return closed.Wait(t.Context()) }},
		{"Wait with an ended context", "apizeeredis:", func() error { return open.Wait(ended) }},
		{"Wait past the deadline on the local budget", "apizee:", func() error { return open.Wait(soon) }},
	} {
		err := tc.call()
		require.Error(t, err, tc.name)
		text := err.Error()
		t.Log(text)
		assert.True(t, strings.HasPrefix(text, tc.prefix+" "), "%s: %q", tc.name, text)
		for _, prefix := range []string{"apizee:", "webhook:", "apizeeredis:", "apizeetest:"} {
			assert.LessOrEqual(t, strings.Count(text, prefix), 1, "%s: %q repeats %q", tc.name, text, prefix)
		}
	}
}
