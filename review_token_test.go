package apizee

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The independent review of the shared token: locks and records someone
// else left in the store, and 401s that arrive out of order.

// A token lock that never expires (a store that lost its TTL, a key someone
// else wrote) must not hold every call of every client forever: past the
// lock's TTL the client fetches a token itself.
func TestReviewTokenLockWithoutExpiryHoldsNoCallForever(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := NewMemoryStore()
		var fetches atomic.Int32
		c, err := NewClient(WithBaseURL("https://api.example.com/api"), WithCredentials(fakeUser, fakePassword), WithStore(store),
			WithHTTPClient(&http.Client{Transport: inProcess{tokenHandler(&fetches)}}))
		require.NoError(t, err)
		require.NoError(t, store.Set(t.Context(), tokenLockKeyPrefix+c.store.scope, []byte("stuck"), 0))
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Hour)
		defer cancel()
		start := time.Now()
		require.NoError(t, ping(ctx, c))
		assert.Less(t, time.Since(start), 3*tokenLockTTL)
		assert.Equal(t, int32(1), fetches.Load())
	})
}

// A shared record whose obtained_at is after its expires_at (written by a
// replica whose clock ran ahead, or by hand) is past its expiry: it must not
// be sent.
func TestReviewSharedTokenPastItsExpiryIsNotSent(t *testing.T) {
	f := newFakeAPI(t)
	store := NewMemoryStore()
	c := f.client(t, WithStore(store))
	now := time.Now()
	rec, err := json.Marshal(tokenRecord{AccessToken: "stale-token", ExpiresAt: now.Add(-time.Minute), ObtainedAt: now.Add(100 * 24 * time.Hour)})
	require.NoError(t, err)
	require.NoError(t, store.Set(t.Context(), tokenKeyPrefix+c.store.scope, rec, time.Hour))
	require.NoError(t, ping(t.Context(), c))
	for _, r := range f.recorded(http.MethodGet, "/ping") {
		assert.NotEqual(t, "Bearer stale-token", r.Auth, "an expired token was sent")
	}
	assert.Equal(t, 1, f.count(http.MethodPost, "/token"))
}

// orderedAPI issues tok-1, tok-2... and answers /ping and /slow (which
// waits for gate first) 200 for a valid token, 401 for another.
type orderedAPI struct {
	gate        chan struct{}
	slowArrived chan struct{}
	arrivedOnce sync.Once

	mu     sync.Mutex
	issued int
	valid  map[string]bool
}

func (a *orderedAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasSuffix(r.URL.Path, "/token") {
		a.mu.Lock()
		a.issued++
		tok := fmt.Sprintf("tok-%d", a.issued)
		a.valid[tok] = true
		a.mu.Unlock()
		fmt.Fprintf(w, `{"access_token":%q,"expires_in":3600}`, tok)
		return
	}
	if strings.HasSuffix(r.URL.Path, "/slow") {
		a.arrivedOnce.Do(func() { close(a.slowArrived) })
		<-a.gate
	}
	a.mu.Lock()
	ok := a.valid[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
	a.mu.Unlock()
	if !ok {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"message":"invalid token"}`)
		return
	}
	fmt.Fprint(w, `{"ok":true}`)
}

func (a *orderedAPI) revoke(tok string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.valid, tok)
}

// getHook runs before, once armed, before the next Get.
type getHook struct {
	Store
	armed  atomic.Bool
	before func()
}

func (h *getHook) Get(ctx context.Context, key string) ([]byte, bool, error) {
	if h.armed.CompareAndSwap(true, false) {
		h.before()
	}
	return h.Store.Get(ctx, key)
}

// A late 401 for an old token (a slow call sent with tok-1, refused after
// the client had moved to tok-2 and seen tok-2 refused too) must not make
// the client forget that tok-2 was refused: it must not take tok-2 from the
// store again, but replace it.
func TestReviewLate401OfAnOlderTokenKeepsTheNewerRefused(t *testing.T) {
	api := &orderedAPI{gate: make(chan struct{}), slowArrived: make(chan struct{}), valid: map[string]bool{}}
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	store := &getHook{Store: NewMemoryStore()}
	c, err := NewClient(WithBaseURL(srv.URL+"/api"), WithCredentials(fakeUser, fakePassword), WithStore(store), WithRetryPolicy(fastRetries))
	require.NoError(t, err)
	ctx := t.Context()
	require.NoError(t, ping(ctx, c)) // tok-1

	slow := make(chan error, 1)
	go func() { slow <- c.call(ctx, http.MethodGet, "/slow", nil, &struct{}{}) }()
	<-api.slowArrived // sent with tok-1, its answer held

	api.revoke("tok-1")
	require.NoError(t, ping(ctx, c)) // 401, then tok-2
	api.revoke("tok-2")
	joined := make(chan struct{})
	var joinOnce sync.Once
	c.tokens.testHookJoinedFlight = func() { joinOnce.Do(func() { close(joined) }) }
	store.before = func() {
		// While this client renews the refused tok-2, the slow call's 401
		// for tok-1 lands, and that call waits on the same renewal.
		close(api.gate)
		<-joined
	}
	store.armed.Store(true)
	assert.NoError(t, ping(ctx, c), "tok-2 was refused: the client renews it rather than send it again")
	assert.NoError(t, <-slow)
	api.mu.Lock()
	defer api.mu.Unlock()
	assert.Equal(t, 3, api.issued)
}

// quotingStore fails every Set with an error that quotes the value, as a
// store's "value too large" or "read-only replica" error may; panics, when
// set, instead.
type quotingStore struct {
	Store
	panics bool
}

func (s *quotingStore) Set(_ context.Context, key string, value []byte, _ time.Duration) error {
	if s.panics {
		panic(fmt.Sprintf("cannot write %s = %q", key, value))
	}
	return fmt.Errorf("READONLY You can't write against a read only replica (value %q)", value)
}

// A store whose error (or panic) quotes the token record it was given must
// not put the token in the client's log.
func TestReviewStoreErrorQuotingTheTokenIsMasked(t *testing.T) {
	for name, panics := range map[string]bool{"error": false, "panic": true} {
		t.Run(name, func(t *testing.T) {
			f := newFakeAPI(t)
			var logs strings.Builder
			logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
			c := f.client(t, WithStore(&quotingStore{Store: NewMemoryStore(), panics: panics}), WithLogger(logger))
			require.NoError(t, ping(t.Context(), c))
			tokens := f.issuedTokens()
			require.Len(t, tokens, 1)
			require.Contains(t, logs.String(), "the store failed", "the failure is said")
			assert.NotContains(t, logs.String(), tokens[0])
			assert.NotContains(t, logs.String(), fakePassword)
		})
	}
}
