package apizee

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// recordingStore wraps a Store and records every key and value written to
// it, with the ttl of each Set and SetNX; onSetNX, when set, runs after each
// SetNX.
type recordingStore struct {
	Store
	onSetNX func(key string)

	mu     sync.Mutex
	writes []storeWrite
}

type storeWrite struct {
	op, key string
	value   []byte
	ttl     time.Duration
}

func (s *recordingStore) note(op, key string, value []byte, ttl time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes = append(s.writes, storeWrite{op, key, bytes.Clone(value), ttl})
}

func (s *recordingStore) Get(ctx context.Context, key string) ([]byte, bool, error) {
	s.note("Get", key, nil, 0)
	return s.Store.Get(ctx, key)
}

func (s *recordingStore) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	s.note("Set", key, value, ttl)
	return s.Store.Set(ctx, key, value, ttl)
}

func (s *recordingStore) SetNX(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	s.note("SetNX", key, value, ttl)
	set, err := s.Store.SetNX(ctx, key, value, ttl)
	if s.onSetNX != nil {
		s.onSetNX(key)
	}
	return set, err
}

func (s *recordingStore) CompareAndDelete(ctx context.Context, key string, value []byte) (bool, error) {
	s.note("CompareAndDelete", key, value, 0)
	return s.Store.CompareAndDelete(ctx, key, value)
}

func (s *recordingStore) recorded() []storeWrite {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]storeWrite(nil), s.writes...)
}

// distinctTokens returns the bearer tokens the fake saw on /ping.
func (f *fakeAPI) distinctTokens() map[string]bool {
	seen := map[string]bool{}
	for _, r := range f.recorded(http.MethodGet, "/ping") {
		seen[r.Auth] = true
	}
	return seen
}

// Eight clients on one store, cold, each with several calls at once: one
// /token call in all. The fetch is held until every client has tried the
// lock, so that all eight really are cold at the same time.
func TestSharedTokenOneFetchForEightColdClients(t *testing.T) {
	f := newFakeAPI(t)
	f.tokenGate = make(chan struct{})
	var lockTries atomic.Int32
	store := &recordingStore{Store: NewMemoryStore()}
	store.onSetNX = func(key string) {
		if strings.HasPrefix(key, tokenLockKeyPrefix) && lockTries.Add(1) == 8 {
			close(f.tokenGate)
		}
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 8*5)
	for range 8 {
		c := f.client(t, WithStore(store))
		for range 5 {
			wg.Go(func() {
				<-start
				errs <- ping(t.Context(), c)
			})
		}
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	assert.Equal(t, 1, f.count(http.MethodPost, "/token"), "one /token call for the whole fleet")
	assert.Len(t, f.distinctTokens(), 1, "every client used the shared token")
}

// The race of the double check: a client that found no token, then got the
// lock after the fetching client had shared its token and let the lock go,
// must read that token rather than fetch another.
func TestSharedTokenLookedAgainUnderTheLock(t *testing.T) {
	f := newFakeAPI(t)
	store := &missOnce{Store: NewMemoryStore()}
	first, late := f.client(t, WithStore(store)), f.client(t, WithStore(store))
	// late's first look finds nothing; before it goes on, first fetches,
	// shares its token and lets the lock go.
	store.before = func() { require.NoError(t, ping(t.Context(), first)) }
	require.NoError(t, ping(t.Context(), late))
	assert.Equal(t, 1, f.count(http.MethodPost, "/token"))
	assert.Len(t, f.distinctTokens(), 1)
}

// missOnce answers its first Get as a miss, after running before.
type missOnce struct {
	Store
	before func()
	missed atomic.Bool
}

func (m *missOnce) Get(ctx context.Context, key string) ([]byte, bool, error) {
	if m.missed.CompareAndSwap(false, true) {
		m.before()
		return nil, false, nil
	}
	return m.Store.Get(ctx, key)
}

func TestSharedTokenStoreHoldsNoSecret(t *testing.T) {
	const assertion = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJib3QifQ.c2lnbmF0dXJlLXNlY3JldA"
	f := newFakeAPI(t)
	store := &recordingStore{Store: NewMemoryStore()}
	for _, auth := range []Option{WithCredentials(fakeUser, fakePassword), WithJWTAssertion(assertion)} {
		c := f.client(t, WithStore(store), auth)
		require.NoError(t, ping(t.Context(), c))
		f.expireTokens()
		require.NoError(t, ping(t.Context(), c), "401, shared token replaced")
	}
	tokens := f.issuedTokens()
	require.Len(t, tokens, 4)
	writes := store.recorded()
	require.NotEmpty(t, writes)
	var tokenSets int
	for _, w := range writes {
		for _, secret := range []string{fakePassword, assertion, "c2lnbmF0dXJl"} {
			assert.NotContains(t, w.key, secret, "%s key", w.op)
			assert.NotContains(t, string(w.value), secret, "%s value of %s", w.op, w.key)
		}
		for _, tok := range tokens {
			assert.NotContains(t, w.key, tok, "a key never holds the token")
		}
		if w.op == "Set" && strings.HasPrefix(w.key, tokenKeyPrefix) {
			tokenSets++
			assert.LessOrEqual(t, w.ttl, time.Hour, "kept no longer than the token lives (expires_in 3600)")
			assert.Greater(t, w.ttl, 59*time.Minute)
		}
	}
	assert.Equal(t, 4, tokenSets)
}

func TestSharedTokenReplacedOnceAfterA401(t *testing.T) {
	f := newFakeAPI(t)
	store := NewMemoryStore()
	var clients []*Client
	for range 8 {
		c := f.client(t, WithStore(store))
		require.NoError(t, ping(t.Context(), c))
		clients = append(clients, c)
	}
	require.Equal(t, 1, f.count(http.MethodPost, "/token"))

	f.expireTokens()
	var wg sync.WaitGroup
	for _, c := range clients {
		wg.Go(func() { assert.NoError(t, ping(t.Context(), c)) })
	}
	wg.Wait()
	assert.Equal(t, 2, f.count(http.MethodPost, "/token"), "the refused token is replaced once for the fleet")

	// A client that learns late that the old token was refused must not
	// drop the new one: it reads it.
	a, b := f.client(t, WithStore(store)), f.client(t, WithStore(store))
	require.NoError(t, ping(t.Context(), a))
	require.NoError(t, ping(t.Context(), b))
	f.expireTokens()
	require.NoError(t, ping(t.Context(), a))
	require.Equal(t, 3, f.count(http.MethodPost, "/token"))
	require.NoError(t, ping(t.Context(), b), "401 with the old token, then the shared new one")
	assert.Equal(t, 3, f.count(http.MethodPost, "/token"), "only the token that failed is replaced")
}

// A token near its end is not handed on: the client that finds it renews it
// for everyone.
func TestSharedTokenNearItsExpiryIsRenewedOnce(t *testing.T) {
	f := newFakeAPI(t)
	clock := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	store := NewMemoryStore().(*memoryStore)
	store.now = clock.Now
	clocked := func() *Client {
		c := f.client(t, WithStore(store))
		c.tokens.now = clock.Now
		return c
	}
	a := clocked()
	require.NoError(t, ping(t.Context(), a))
	clock.Set(clock.Now().Add(56 * time.Minute)) // 4 minutes left: inside the 5-minute margin
	b := clocked()
	require.NoError(t, ping(t.Context(), b))
	assert.Equal(t, 2, f.count(http.MethodPost, "/token"), "b renews the token due for renewal")
	require.NoError(t, ping(t.Context(), a))
	assert.Equal(t, 2, f.count(http.MethodPost, "/token"), "a takes b's renewed token")
	assert.Len(t, f.distinctTokens(), 2)

	clock.Set(clock.Now().Add(2 * time.Hour))
	_, found, err := store.Get(t.Context(), tokenKeyPrefix+a.store.scope)
	require.NoError(t, err)
	assert.False(t, found, "the store keeps a token no longer than it lives")
}

func TestCloseLeavesASharedTokenValid(t *testing.T) {
	f := newFakeAPI(t)
	store := NewMemoryStore()
	a, b := f.client(t, WithStore(store)), f.client(t, WithStore(store))
	require.NoError(t, ping(t.Context(), a))
	require.NoError(t, a.Close(t.Context()))
	assert.Empty(t, f.revokedTokens(), "other replicas use it")
	require.NoError(t, ping(t.Context(), b))
	require.NoError(t, ping(t.Context(), a))
	assert.Equal(t, 1, f.count(http.MethodPost, "/token"))
}

// failingStore fails every call.
type failingStore struct{ calls atomic.Int32 }

var errStoreDown = errors.New("store down: dial tcp 10.0.0.7:6379: connection refused")

func (s *failingStore) Get(context.Context, string) ([]byte, bool, error) {
	s.calls.Add(1)
	return nil, false, errStoreDown
}
func (s *failingStore) Set(context.Context, string, []byte, time.Duration) error {
	s.calls.Add(1)
	return errStoreDown
}
func (s *failingStore) SetNX(context.Context, string, []byte, time.Duration) (bool, error) {
	s.calls.Add(1)
	return false, errStoreDown
}
func (s *failingStore) CompareAndDelete(context.Context, string, []byte) (bool, error) {
	s.calls.Add(1)
	return false, errStoreDown
}

func TestSharedTokenFallsBackWhenTheStoreFails(t *testing.T) {
	f := newFakeAPI(t)
	var logs strings.Builder
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	store := &failingStore{}
	c := f.client(t, WithStore(store), WithLogger(logger))
	require.NoError(t, ping(t.Context(), c))
	f.expireTokens()
	require.NoError(t, ping(t.Context(), c))
	assert.Positive(t, store.calls.Load())
	assert.Equal(t, 2, f.count(http.MethodPost, "/token"), "the client fetched its own tokens")
	assert.Equal(t, 1, strings.Count(logs.String(), "the store failed"), "said once: %s", logs.String())
	assert.Contains(t, logs.String(), "connection refused")
}

// hangingStore never answers, and ignores its context, until release is
// closed.
type hangingStore struct{ release chan struct{} }

func (s hangingStore) Get(context.Context, string) ([]byte, bool, error) {
	<-s.release
	return nil, false, nil
}
func (s hangingStore) Set(context.Context, string, []byte, time.Duration) error {
	<-s.release
	return nil
}
func (s hangingStore) SetNX(context.Context, string, []byte, time.Duration) (bool, error) {
	<-s.release
	return false, nil
}
func (s hangingStore) CompareAndDelete(context.Context, string, []byte) (bool, error) {
	<-s.release
	return false, nil
}

// tokenHandler serves /token and /ping in process, for synctest.
func tokenHandler(fetches *atomic.Int32) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/token") {
			fmt.Fprintf(w, `{"access_token":"tok-%d","expires_in":3600}`, fetches.Add(1))
			return
		}
		fmt.Fprint(w, `{"ok":true}`)
	})
}

func TestSharedTokenFallsBackWhenTheStoreHangs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := hangingStore{release: make(chan struct{})}
		defer close(store.release)
		var fetches atomic.Int32
		c, err := NewClient(WithBaseURL("https://api.example.com/api"), WithCredentials(fakeUser, fakePassword), WithStore(store),
			WithHTTPClient(&http.Client{Transport: inProcess{tokenHandler(&fetches)}}))
		require.NoError(t, err)
		start := time.Now()
		require.NoError(t, ping(t.Context(), c))
		assert.Equal(t, storeTimeout, time.Since(start), "one bounded wait on the store, then its own token")
		assert.Equal(t, int32(1), fetches.Load())
	})
}

func TestWithoutAStoreNothingIsShared(t *testing.T) {
	f := newFakeAPI(t)
	a, b := f.client(t), f.client(t)
	require.NoError(t, ping(t.Context(), a))
	require.NoError(t, ping(t.Context(), b))
	assert.Equal(t, 2, f.count(http.MethodPost, "/token"))
	require.NoError(t, a.Close(t.Context()))
	assert.Len(t, f.revokedTokens(), 1, "Close revokes a token of its own")
}
