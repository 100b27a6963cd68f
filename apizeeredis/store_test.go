package apizeeredis

import (
	"context"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apizee-go/apizee"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestStoreConformance runs one table of Store semantics against the
// reference, apizee.NewMemoryStore, and against the Redis store on a real
// redis-server: whatever the SDK relies on in one holds in the other.
func TestStoreConformance(t *testing.T) {
	t.Run("memory", func(t *testing.T) {
		testStoreConformance(t, func(*testing.T) apizee.Store { return apizee.NewMemoryStore() })
	})
	t.Run("redis", func(t *testing.T) {
		srv := startRedis(t)
		rdb := srv.Client()
		testStoreConformance(t, func(t *testing.T) apizee.Store { return NewStore(rdb, t.Name()+":") })
	})
}

func testStoreConformance(t *testing.T, newStore func(*testing.T) apizee.Store) {
	ctx := context.Background()

	t.Run("Get and Set", func(t *testing.T) {
		s := newStore(t)
		_, found, err := s.Get(ctx, "k")
		require.NoError(t, err)
		assert.False(t, found, "a missing key is not found, and not an error")

		value := []byte("v1")
		require.NoError(t, s.Set(ctx, "k", value, 0))
		value[0] = 'X' // the store keeps its own copy
		got, found, err := s.Get(ctx, "k")
		require.NoError(t, err)
		assert.True(t, found)
		assert.Equal(t, "v1", string(got))
		got[0] = 'Y' // and hands out copies
		got, _, _ = s.Get(ctx, "k")
		assert.Equal(t, "v1", string(got))

		require.NoError(t, s.Set(ctx, "k", []byte("v2"), time.Hour))
		got, _, _ = s.Get(ctx, "k")
		assert.Equal(t, "v2", string(got), "Set replaces")
	})

	t.Run("empty and binary values", func(t *testing.T) {
		s := newStore(t)
		require.NoError(t, s.Set(ctx, "empty", nil, 0))
		got, found, err := s.Get(ctx, "empty")
		require.NoError(t, err)
		assert.True(t, found, "an empty value is a value")
		assert.Empty(t, got)

		binary := make([]byte, 256)
		for i := range binary {
			binary[i] = byte(i)
		}
		require.NoError(t, s.Set(ctx, "binary", binary, 0))
		got, _, _ = s.Get(ctx, "binary")
		assert.Equal(t, binary, got)

		deleted, err := s.CompareAndDelete(ctx, "empty", nil)
		require.NoError(t, err)
		assert.True(t, deleted, "an empty value compares equal to nil")
	})

	t.Run("SetNX", func(t *testing.T) {
		s := newStore(t)
		set, err := s.SetNX(ctx, "k", []byte("first"), time.Minute)
		require.NoError(t, err)
		assert.True(t, set)
		set, err = s.SetNX(ctx, "k", []byte("second"), time.Minute)
		require.NoError(t, err)
		assert.False(t, set)
		got, _, _ := s.Get(ctx, "k")
		assert.Equal(t, "first", string(got), "SetNX never replaces")
	})

	t.Run("CompareAndDelete", func(t *testing.T) {
		s := newStore(t)
		require.NoError(t, s.Set(ctx, "k", []byte("mine"), time.Minute))

		deleted, err := s.CompareAndDelete(ctx, "k", []byte("theirs"))
		require.NoError(t, err)
		assert.False(t, deleted, "another value is not deleted")
		deleted, err = s.CompareAndDelete(ctx, "k", []byte("min"))
		require.NoError(t, err)
		assert.False(t, deleted, "a prefix of the value is another value")
		_, found, _ := s.Get(ctx, "k")
		assert.True(t, found)

		deleted, err = s.CompareAndDelete(ctx, "k", []byte("mine"))
		require.NoError(t, err)
		assert.True(t, deleted)
		_, found, _ = s.Get(ctx, "k")
		assert.False(t, found)

		for _, v := range [][]byte{nil, {}} {
			deleted, err = s.CompareAndDelete(ctx, "absent", v)
			require.NoError(t, err)
			assert.False(t, deleted, "an absent key is not deleted, even compared with %q", v)
		}
	})

	t.Run("expiry", func(t *testing.T) {
		s := newStore(t)
		const ttl = 300 * time.Millisecond
		start := time.Now()
		require.NoError(t, s.Set(ctx, "short", []byte("v"), ttl))
		require.NoError(t, s.Set(ctx, "forever", []byte("v"), 0))
		require.NoError(t, s.Set(ctx, "sub-millisecond", []byte("v"), time.Microsecond))
		require.NoError(t, s.Set(ctx, "longest", []byte("v"), math.MaxInt64))
		// A ttl below zero means no expiry too, and clears an earlier one.
		require.NoError(t, s.Set(ctx, "negative", []byte("v"), ttl))
		require.NoError(t, s.Set(ctx, "negative", []byte("v"), -time.Nanosecond))
		require.NoError(t, s.Set(ctx, "zero", []byte("v"), ttl))
		require.NoError(t, s.Set(ctx, "zero", []byte("v"), 0))
		set, err := s.SetNX(ctx, "nx-negative", []byte("v"), -time.Second)
		require.NoError(t, err)
		require.True(t, set)
		set, err = s.SetNX(ctx, "nx-short", []byte("v"), ttl)
		require.NoError(t, err)
		require.True(t, set)
		require.NoError(t, s.Set(ctx, "compared", []byte("v"), ttl))

		_, found, err := s.Get(ctx, "short")
		require.NoError(t, err)
		require.Less(t, time.Since(start), ttl, "the machine is too slow for this ttl")
		assert.True(t, found, "alive until its ttl has passed")

		// The expiry is what is measured: wait it out.
		time.Sleep(ttl - time.Since(start) + 20*time.Millisecond)
		for key, alive := range map[string]bool{
			"short": false, "sub-millisecond": false, "nx-short": false,
			"forever": true, "longest": true, "negative": true, "zero": true, "nx-negative": true,
		} {
			_, found, err := s.Get(ctx, key)
			require.NoError(t, err)
			assert.Equal(t, alive, found, "%s alive after %s", key, ttl)
		}
		deleted, err := s.CompareAndDelete(ctx, "compared", []byte("v"))
		require.NoError(t, err)
		assert.False(t, deleted, "an expired key holds nothing")
		set, err = s.SetNX(ctx, "short", []byte("again"), time.Minute)
		require.NoError(t, err)
		assert.True(t, set, "an expired key is absent for SetNX")
	})

	t.Run("SetNX is atomic", func(t *testing.T) {
		s := newStore(t)
		for round := range 10 {
			key := fmt.Sprint("claim-", round)
			var winners atomic.Int32
			together(64, func(int) {
				set, err := s.SetNX(ctx, key, []byte("me"), time.Minute)
				assert.NoError(t, err)
				if set {
					winners.Add(1)
				}
			})
			require.Equal(t, int32(1), winners.Load(), "round %d", round)
		}
	})

	t.Run("CompareAndDelete is atomic", func(t *testing.T) {
		s := newStore(t)
		for round := range 10 {
			key := fmt.Sprint("lock-", round)
			require.NoError(t, s.Set(ctx, key, []byte("holder"), time.Minute))
			var deletions atomic.Int32
			together(64, func(i int) {
				deleted, err := s.CompareAndDelete(ctx, key, []byte("holder"))
				assert.NoError(t, err)
				if deleted {
					deletions.Add(1)
				}
				// The next holder takes the key: a CompareAndDelete that
				// read "holder" before must not delete it.
				s.SetNX(ctx, key, []byte("next"), time.Minute)
			})
			require.Equal(t, int32(1), deletions.Load(), "round %d", round)
			got, found, _ := s.Get(ctx, key)
			assert.True(t, found)
			assert.Equal(t, "next", string(got), "the next holder's key survived")
		}
	})

	t.Run("context", func(t *testing.T) {
		s := newStore(t)
		canceled, cancel := context.WithCancel(ctx)
		cancel()
		expired, cancel := context.WithDeadline(ctx, time.Now().Add(-time.Second))
		defer cancel()
		for _, c := range []struct {
			ctx  context.Context
			want error
		}{{canceled, context.Canceled}, {expired, context.DeadlineExceeded}} {
			_, _, err := s.Get(c.ctx, "k")
			assert.ErrorIs(t, err, c.want)
			assert.ErrorIs(t, s.Set(c.ctx, "k", nil, 0), c.want)
			_, err = s.SetNX(c.ctx, "k", nil, 0)
			assert.ErrorIs(t, err, c.want)
			_, err = s.CompareAndDelete(c.ctx, "k", nil)
			assert.ErrorIs(t, err, c.want)
		}
		_, found, err := s.Get(ctx, "k")
		require.NoError(t, err)
		assert.False(t, found, "a call with an ended context wrote nothing")
	})
}

func TestStoreKeepsItsKeysUnderThePrefixOnRedisClock(t *testing.T) {
	srv := startRedis(t)
	rdb := srv.Client()
	ctx := context.Background()
	a, b := NewStore(rdb, "a:"), NewStore(rdb, "b:")

	require.NoError(t, a.Set(ctx, "k", []byte("va"), time.Minute))
	raw, err := rdb.Get(ctx, "a:k").Result()
	require.NoError(t, err)
	assert.Equal(t, "va", raw)
	_, found, err := b.Get(ctx, "k")
	require.NoError(t, err)
	assert.False(t, found, "another prefix is another store")

	// The expiry is Redis's own, not a time written by this process.
	ttl, err := rdb.PTTL(ctx, "a:k").Result()
	require.NoError(t, err)
	assert.Greater(t, ttl, 59*time.Second)
	assert.LessOrEqual(t, ttl, time.Minute)

	require.NoError(t, a.Set(ctx, "k", []byte("va"), -1)) // -1 is go-redis's KEEPTTL
	ttl, err = rdb.PTTL(ctx, "a:k").Result()
	require.NoError(t, err)
	assert.Equal(t, time.Duration(-1), ttl, "a ttl below zero clears the expiry (Redis answers -1 for none)")

	_, err = a.SetNX(ctx, "nx", []byte("v"), 1500*time.Microsecond)
	require.NoError(t, err)
	ttl, err = rdb.PTTL(ctx, "a:nx").Result()
	require.NoError(t, err)
	assert.LessOrEqual(t, ttl, 2*time.Millisecond, "a ttl is rounded up to the millisecond, not more")
}

func TestStoreIsAtomicAcrossConnections(t *testing.T) {
	srv := startRedis(t)
	stores := make([]apizee.Store, 8)
	for i := range stores {
		stores[i] = NewStore(srv.Client(), "fleet:")
	}
	for round := range 10 {
		key := fmt.Sprint("claim-", round)
		var winners atomic.Int32
		together(64, func(i int) {
			set, err := stores[i%len(stores)].SetNX(context.Background(), key, []byte{byte(i)}, time.Minute)
			assert.NoError(t, err)
			if set {
				winners.Add(1)
			}
		})
		require.Equal(t, int32(1), winners.Load(), "round %d: 64 SetNX over 8 connection pools, one winner", round)
	}
}

// together runs f in n goroutines released at the same moment, and waits
// for them.
func together(n int, f func(i int)) {
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			f(i)
		})
	}
	close(start)
	wg.Wait()
}

// TestStoreAnswersQuicklyWhenRedisIsDown: a Redis that is gone or hung costs
// a caller at most the call timeout, with an error it can tell from its own
// deadline, so that it falls back instead of hanging.
func TestStoreAnswersQuicklyWhenRedisIsDown(t *testing.T) {
	srv := startRedis(t)
	// The defaults of go-redis: reads wait 3 s and ignore ctx deadlines.
	rdb := srv.Client()
	s := NewStore(rdb, "down:")
	ctx := context.Background()
	require.NoError(t, s.Set(ctx, "k", []byte("v"), 0))
	secret := []byte("token-value-never-in-errors")

	t.Run("hung", func(t *testing.T) {
		srv.Freeze()
		defer srv.Thaw()
		start := time.Now()
		_, _, err := s.Get(ctx, "k")
		elapsed := time.Since(start)
		require.Error(t, err)
		assert.NotErrorIs(t, err, context.DeadlineExceeded, "the caller's context did not end: the error must not say it did")
		assert.Contains(t, err.Error(), "no answer from Redis within 500ms")
		assert.Less(t, elapsed, callTimeout+300*time.Millisecond)

		err = s.Set(ctx, "k", secret, 0)
		require.Error(t, err)
		assert.NotContains(t, err.Error(), string(secret))

		short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		_, err = s.SetNX(short, "k", secret, 0)
		assert.ErrorIs(t, err, context.DeadlineExceeded, "the caller's own deadline is reported as such")
	})

	t.Run("stopped, then restarted", func(t *testing.T) {
		srv.Stop()
		start := time.Now()
		_, err := s.CompareAndDelete(ctx, "k", secret)
		require.Error(t, err)
		assert.Less(t, time.Since(start), callTimeout+300*time.Millisecond)
		assert.NotContains(t, err.Error(), string(secret))
		assert.NotErrorIs(t, err, redis.Nil, "an outage is not a missing key")
		t.Logf("stopped Redis: %v after %s", err, time.Since(start))

		srv.Restart()
		require.NoError(t, s.Set(ctx, "k", []byte("back"), 0), "the same store works again once Redis is back")
		got, found, err := s.Get(ctx, "k")
		require.NoError(t, err)
		assert.True(t, found)
		assert.Equal(t, "back", string(got))
	})
}

func TestExpirationIsWholeMillisecondsRoundedUp(t *testing.T) {
	for ttl, want := range map[time.Duration]time.Duration{
		-time.Nanosecond:        0, // not go-redis's KEEPTTL (-1)
		0:                       0,
		time.Nanosecond:         time.Millisecond,     // expires, rather than being refused as PX 0
		1500 * time.Microsecond: 2 * time.Millisecond, // never before its ttl
		time.Second:             time.Second,
		math.MaxInt64:           math.MaxInt64 / time.Millisecond * time.Millisecond, // no overflow
	} {
		assert.Equal(t, want, expiration(ttl), "%s", ttl)
	}
}

func TestNewStorePanicsWithoutAClient(t *testing.T) {
	assert.PanicsWithValue(t, "apizeeredis: NewStore: the Redis client is nil", func() { NewStore(nil, "p:") })
}
