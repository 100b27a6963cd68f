package apizee

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// clockedMemoryStore is a memory store on a clock the test moves.
func clockedMemoryStore() (*memoryStore, *fakeClock) {
	clock := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	s := NewMemoryStore().(*memoryStore)
	s.now = clock.Now
	return s, clock
}

func TestMemoryStoreGetSet(t *testing.T) {
	s, _ := clockedMemoryStore()
	ctx := context.Background()

	_, found, err := s.Get(ctx, "k")
	require.NoError(t, err)
	assert.False(t, found)

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

	require.NoError(t, s.Set(ctx, "k", []byte("v2"), 0))
	got, _, _ = s.Get(ctx, "k")
	assert.Equal(t, "v2", string(got), "Set replaces")
}

func TestMemoryStoreExpiry(t *testing.T) {
	s, clock := clockedMemoryStore()
	ctx := context.Background()
	require.NoError(t, s.Set(ctx, "short", []byte("v"), time.Minute))
	require.NoError(t, s.Set(ctx, "forever", []byte("v"), 0))

	clock.Set(clock.Now().Add(time.Minute - time.Nanosecond))
	_, found, _ := s.Get(ctx, "short")
	assert.True(t, found, "alive until its ttl has passed")

	clock.Set(clock.Now().Add(time.Nanosecond))
	_, found, _ = s.Get(ctx, "short")
	assert.False(t, found, "gone once its ttl has passed")
	_, found, _ = s.Get(ctx, "forever")
	assert.True(t, found, "a ttl of zero never expires")

	set, err := s.SetNX(ctx, "short", []byte("again"), time.Minute)
	require.NoError(t, err)
	assert.True(t, set, "an expired key is absent for SetNX")
}

func TestMemoryStoreSetNX(t *testing.T) {
	s, _ := clockedMemoryStore()
	ctx := context.Background()
	set, err := s.SetNX(ctx, "k", []byte("first"), time.Minute)
	require.NoError(t, err)
	assert.True(t, set)
	set, err = s.SetNX(ctx, "k", []byte("second"), time.Minute)
	require.NoError(t, err)
	assert.False(t, set)
	got, _, _ := s.Get(ctx, "k")
	assert.Equal(t, "first", string(got), "SetNX never replaces")
}

func TestMemoryStoreSetNXIsAtomic(t *testing.T) {
	s := NewMemoryStore()
	var winners atomic.Int32
	var wg sync.WaitGroup
	for range 64 {
		wg.Go(func() {
			if set, err := s.SetNX(context.Background(), "claim", []byte("me"), time.Minute); err == nil && set {
				winners.Add(1)
			}
		})
	}
	wg.Wait()
	assert.Equal(t, int32(1), winners.Load())
}

func TestMemoryStoreCompareAndDelete(t *testing.T) {
	s, clock := clockedMemoryStore()
	ctx := context.Background()
	require.NoError(t, s.Set(ctx, "k", []byte("mine"), time.Minute))

	deleted, err := s.CompareAndDelete(ctx, "k", []byte("theirs"))
	require.NoError(t, err)
	assert.False(t, deleted, "another value is not deleted")
	_, found, _ := s.Get(ctx, "k")
	assert.True(t, found)

	deleted, err = s.CompareAndDelete(ctx, "k", []byte("mine"))
	require.NoError(t, err)
	assert.True(t, deleted)
	_, found, _ = s.Get(ctx, "k")
	assert.False(t, found)

	deleted, err = s.CompareAndDelete(ctx, "absent", nil)
	require.NoError(t, err)
	assert.False(t, deleted, "an absent key is not deleted, even compared with nil")

	require.NoError(t, s.Set(ctx, "k", []byte("mine"), time.Minute))
	clock.Set(clock.Now().Add(time.Minute))
	deleted, err = s.CompareAndDelete(ctx, "k", []byte("mine"))
	require.NoError(t, err)
	assert.False(t, deleted, "an expired key holds nothing")
}

func TestMemoryStoreSweepsExpiredEntries(t *testing.T) {
	s, clock := clockedMemoryStore()
	ctx := context.Background()
	for i := range 1000 {
		require.NoError(t, s.Set(ctx, "dead-"+string(rune('a'+i%26))+string(rune(i)), []byte("v"), time.Second))
	}
	clock.Set(clock.Now().Add(time.Hour))
	// Writes of live keys only: the dead ones are never touched again, and
	// must still go.
	for i := range 2000 {
		require.NoError(t, s.Set(ctx, "live-"+string(rune(i)), []byte("v"), 0))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	assert.LessOrEqual(t, len(s.entries), 2*2000, "expired entries were swept")
	_, deadKept := s.entries["dead-a"+string(rune(0))]
	assert.False(t, deadKept, "an expired entry never touched again is gone")
}

func TestMemoryStoreHonoursTheContext(t *testing.T) {
	s := NewMemoryStore()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err := s.Get(ctx, "k")
	assert.ErrorIs(t, err, context.Canceled)
	assert.ErrorIs(t, s.Set(ctx, "k", nil, 0), context.Canceled)
	_, err = s.SetNX(ctx, "k", nil, 0)
	assert.ErrorIs(t, err, context.Canceled)
	_, err = s.CompareAndDelete(ctx, "k", nil)
	assert.ErrorIs(t, err, context.Canceled)
}

func TestWithStoreRefusesNil(t *testing.T) {
	_, err := NewClient(WithToken("t"), WithStore(nil))
	var ve *ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "Store", ve.Field)
}
