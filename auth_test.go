package apizee

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The tests of this package that need to reach inside the client (the token
// cache's clock, the pipeline's call) run against fakeAPI, a small Apizee
// look-alike mounted under /api that issues random tokens, checks them, and
// records every request.

const (
	fakeUser     = "agent@example.com"
	fakePassword = "s3cr3t-P@ss"
)

var fastRetries = RetryPolicy{MaxRetries: 2, MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond}

type recorded struct {
	Method, Path, RawQuery, Auth, ContentType, UserAgent string
	Form                                                 url.Values
}

type fakeAPI struct {
	*httptest.Server
	t *testing.T

	// lifetime is the expires_in of the tokens issued; 0: none sent.
	lifetime int
	// tokenGate, when set, holds every /token answer until it is closed.
	tokenGate chan struct{}
	// tokenStatus, when set, is the status /token answers with, with
	// tokenBody as the body.
	tokenStatus int
	tokenBody   string
	// revokeStatus, when set, is the status /token/revoke answers with.
	revokeStatus int

	mu       sync.Mutex
	issued   []string
	valid    map[string]bool
	revoked  []string
	requests []recorded
	routes   map[string]http.HandlerFunc
}

func newFakeAPI(t *testing.T) *fakeAPI {
	f := &fakeAPI{t: t, lifetime: 3600, valid: map[string]bool{}, routes: map[string]http.HandlerFunc{}}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	f.route("/ping", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, `{"ok":true}`) })
	return f
}

// route serves path (relative to /api) with h, behind the bearer check.
func (f *fakeAPI) route(path string, h http.HandlerFunc) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.routes[path] = h
}

func (f *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	form, _ := url.ParseQuery(string(body))
	path := strings.TrimPrefix(r.URL.Path, "/api")
	f.mu.Lock()
	f.requests = append(f.requests, recorded{Method: r.Method, Path: path, RawQuery: r.URL.RawQuery, Auth: r.Header.Get("Authorization"),
		ContentType: r.Header.Get("Content-Type"), UserAgent: r.Header.Get("User-Agent"), Form: form})
	h := f.routes[path]
	f.mu.Unlock()

	if !strings.HasPrefix(r.URL.Path, "/api/") {
		http.NotFound(w, r)
		return
	}
	switch path {
	case "/token":
		f.serveToken(w, form)
		return
	case "/token/revoke":
		if f.revokeStatus != 0 {
			w.WriteHeader(f.revokeStatus)
			fmt.Fprint(w, `{"message":"cannot revoke"}`)
			return
		}
		tok := f.bearer(r)
		f.mu.Lock()
		f.revoked = append(f.revoked, tok)
		delete(f.valid, tok)
		f.mu.Unlock()
		fmt.Fprintf(w, `{"access_token":%q}`, tok)
		return
	}
	f.mu.Lock()
	ok := f.valid[f.bearer(r)]
	f.mu.Unlock()
	if !ok {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"message":"invalid or expired token"}`)
		return
	}
	if h == nil {
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"code":404,"message":"no route"}`)
		return
	}
	h(w, r)
}

func (f *fakeAPI) serveToken(w http.ResponseWriter, form url.Values) {
	if f.tokenGate != nil {
		select {
		case <-f.tokenGate:
		case <-time.After(10 * time.Second):
			f.t.Error("the token gate was never opened")
		}
	}
	if f.tokenStatus != 0 {
		w.WriteHeader(f.tokenStatus)
		fmt.Fprint(w, f.tokenBody)
		return
	}
	granted := (form.Get("grant_type") == grantPassword && form.Get("username") == fakeUser && form.Get("password") == fakePassword) ||
		(form.Get("grant_type") == grantJWT && form.Get("assertion") != "")
	if !granted {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"message":"Invalid credentials"}`)
		return
	}
	tok := f.issue()
	answer := map[string]any{"access_token": tok, "created_at": time.Now().Format(time.RFC3339)}
	if f.lifetime > 0 {
		answer["expires_in"] = f.lifetime
	}
	_ = json.NewEncoder(w).Encode(answer)
}

// issue makes a new valid token.
func (f *fakeAPI) issue() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	tok := "tok" + hex.EncodeToString(b)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.issued = append(f.issued, tok)
	f.valid[tok] = true
	return tok
}

func (f *fakeAPI) bearer(r *http.Request) string {
	return strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
}

// expireTokens makes every token issued so far answer 401.
func (f *fakeAPI) expireTokens() {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(f.valid)
}

func (f *fakeAPI) issuedTokens() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.issued...)
}

func (f *fakeAPI) revokedTokens() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.revoked...)
}

func (f *fakeAPI) recorded(method, path string) []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []recorded
	for _, r := range f.requests {
		if r.Method == method && r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

func (f *fakeAPI) count(method, path string) int { return len(f.recorded(method, path)) }

func (f *fakeAPI) total() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.requests)
}

// client returns a client with the fake's credentials and fast retries;
// opts come last and win.
func (f *fakeAPI) client(t *testing.T, opts ...Option) *Client {
	t.Helper()
	c, err := NewClient(append([]Option{WithBaseURL(f.URL + "/api"), WithCredentials(fakeUser, fakePassword), WithRetryPolicy(fastRetries)}, opts...)...)
	require.NoError(t, err)
	return c
}

func ping(ctx context.Context, c *Client) error {
	var out struct{ OK bool }
	return c.call(ctx, http.MethodGet, "/ping", nil, &out)
}

// fakeClock is the injected clock of the token cache.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

func TestTokenFetchedLazilyWithFormBody(t *testing.T) {
	f := newFakeAPI(t)
	c := f.client(t)
	assert.Zero(t, f.total(), "NewClient makes no request")

	require.NoError(t, ping(t.Context(), c))

	tokens := f.recorded(http.MethodPost, "/token")
	require.Len(t, tokens, 1)
	tr := tokens[0]
	assert.Empty(t, tr.RawQuery, "credentials never go in the URL")
	assert.Equal(t, "application/x-www-form-urlencoded", tr.ContentType)
	assert.Equal(t, url.Values{"grant_type": {"password"}, "username": {fakeUser}, "password": {fakePassword}}, tr.Form)
	assert.Empty(t, tr.Auth, "/token is not sent through the auth layer")

	pings := f.recorded(http.MethodGet, "/ping")
	require.Len(t, pings, 1)
	assert.Equal(t, "Bearer "+f.issuedTokens()[0], pings[0].Auth)
}

func TestJWTAssertionGrant(t *testing.T) {
	f := newFakeAPI(t)
	const assertion = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln"
	c := f.client(t, WithJWTAssertion(assertion))
	require.NoError(t, ping(t.Context(), c))

	tokens := f.recorded(http.MethodPost, "/token")
	require.Len(t, tokens, 1)
	assert.Empty(t, tokens[0].RawQuery)
	assert.Equal(t, url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {assertion}}, tokens[0].Form)
}

func TestTokenIsCached(t *testing.T) {
	f := newFakeAPI(t)
	c := f.client(t)
	for range 3 {
		require.NoError(t, ping(t.Context(), c))
	}
	assert.Equal(t, 1, f.count(http.MethodPost, "/token"))
	assert.Equal(t, 3, f.count(http.MethodGet, "/ping"))
}

func TestColdClientFetchesOneTokenForManyCallers(t *testing.T) {
	const callers = 1000
	f := newFakeAPI(t)
	// /token answers only once every caller has started: a client without
	// a shared fetch would have sent one /token per caller by then.
	f.tokenGate = make(chan struct{})
	var started atomic.Int32
	c := f.client(t)

	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for range callers {
		wg.Go(func() {
			if started.Add(1) == callers {
				close(f.tokenGate)
			}
			_, err := c.tokens.token(t.Context())
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	assert.Equal(t, 1, f.count(http.MethodPost, "/token"))
}

func TestColdClientCallsShareOneToken(t *testing.T) {
	// The same through the whole pipeline, with fewer callers.
	const callers = 50
	f := newFakeAPI(t)
	c := f.client(t)
	var wg sync.WaitGroup
	var failures atomic.Int32
	for range callers {
		wg.Go(func() {
			if ping(t.Context(), c) != nil {
				failures.Add(1)
			}
		})
	}
	wg.Wait()
	assert.Zero(t, failures.Load())
	assert.Equal(t, 1, f.count(http.MethodPost, "/token"))
	assert.Equal(t, callers, f.count(http.MethodGet, "/ping"))
}

func TestTokenRefreshedBeforeExpiry(t *testing.T) {
	start := time.Date(2030, 6, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		lifetime time.Duration
		margin   time.Duration // min(5 minutes, 10% of the lifetime)
	}{
		{"long-lived token: 5 minutes", 24 * time.Hour, 5 * time.Minute},
		{"one hour: 5 minutes", time.Hour, 5 * time.Minute},
		{"ten minutes: 10%", 10 * time.Minute, time.Minute},
		{"one minute: 10%", time.Minute, 6 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeAPI(t)
			f.lifetime = int(tt.lifetime / time.Second)
			c := f.client(t)
			clock := &fakeClock{now: start}
			c.tokens.now = clock.Now

			require.NoError(t, ping(t.Context(), c))
			require.Equal(t, 1, f.count(http.MethodPost, "/token"))
			first := f.issuedTokens()[0]

			// Just before the margin starts the token is still used.
			clock.Set(start.Add(tt.lifetime - tt.margin - time.Second))
			require.NoError(t, ping(t.Context(), c))
			assert.Equal(t, 1, f.count(http.MethodPost, "/token"), "refreshed too early")
			assert.Equal(t, "Bearer "+first, f.recorded(http.MethodGet, "/ping")[1].Auth)

			// Once less than the margin remains, a new one is fetched before
			// the call, and then cached.
			clock.Set(start.Add(tt.lifetime - tt.margin))
			require.NoError(t, ping(t.Context(), c))
			require.Equal(t, 2, f.count(http.MethodPost, "/token"), "not refreshed in time")
			second := f.issuedTokens()[1]
			assert.Equal(t, "Bearer "+second, f.recorded(http.MethodGet, "/ping")[2].Auth)
			require.NoError(t, ping(t.Context(), c))
			assert.Equal(t, 2, f.count(http.MethodPost, "/token"))
		})
	}
}

func TestTokenWithoutExpiryIsKept(t *testing.T) {
	f := newFakeAPI(t)
	f.lifetime = 0
	c := f.client(t)
	clock := &fakeClock{now: time.Date(2030, 6, 1, 12, 0, 0, 0, time.UTC)}
	c.tokens.now = clock.Now
	require.NoError(t, ping(t.Context(), c))
	clock.Set(clock.Now().Add(1000 * time.Hour))
	require.NoError(t, ping(t.Context(), c))
	assert.Equal(t, 1, f.count(http.MethodPost, "/token"), "a token without expires_in is used until a 401")
}

// tokenSource hands out the tokens of a fakeAPI (or fixed ones) and counts
// the calls.
type tokenSource struct {
	calls  atomic.Int32
	tokens func(n int) (*Token, error)
}

func (s *tokenSource) Token(ctx context.Context) (*Token, error) {
	n := int(s.calls.Add(1))
	return s.tokens(n)
}

func TestTokenSourceRefreshedBeforeExpiry(t *testing.T) {
	f := newFakeAPI(t)
	start := time.Date(2030, 6, 1, 12, 0, 0, 0, time.UTC)
	clock := &fakeClock{now: start}
	src := &tokenSource{tokens: func(int) (*Token, error) {
		return &Token{AccessToken: f.issue(), ExpiresAt: clock.Now().Add(10 * time.Minute)}, nil
	}}
	c := f.client(t, WithTokenSource(src))
	c.tokens.now = clock.Now

	require.NoError(t, ping(t.Context(), c))
	clock.Set(start.Add(8*time.Minute + 59*time.Second))
	require.NoError(t, ping(t.Context(), c))
	assert.Equal(t, int32(1), src.calls.Load())
	clock.Set(start.Add(9 * time.Minute))
	require.NoError(t, ping(t.Context(), c))
	assert.Equal(t, int32(2), src.calls.Load())
	assert.Zero(t, f.count(http.MethodPost, "/token"), "a token source replaces /token")
}

func TestUnauthorizedWithCachedTokenReplaysOnce(t *testing.T) {
	f := newFakeAPI(t)
	c := f.client(t)
	require.NoError(t, ping(t.Context(), c))
	f.expireTokens()

	require.NoError(t, ping(t.Context(), c), "the call succeeds with a new token")

	assert.Equal(t, 2, f.count(http.MethodPost, "/token"))
	pings := f.recorded(http.MethodGet, "/ping")
	require.Len(t, pings, 3)
	issued := f.issuedTokens()
	assert.Equal(t, "Bearer "+issued[0], pings[1].Auth, "the rejected attempt")
	assert.Equal(t, "Bearer "+issued[1], pings[2].Auth, "the replay carries the new token")

	require.NoError(t, ping(t.Context(), c))
	assert.Equal(t, 2, f.count(http.MethodPost, "/token"), "the new token is cached")
}

func TestAlwaysUnauthorizedStopsAfterTwoAttempts(t *testing.T) {
	f := newFakeAPI(t)
	var seen atomic.Int32
	f.route("/locked", func(w http.ResponseWriter, r *http.Request) {
		if seen.Add(1) > 2 {
			// A third try would get through (and a loop would end here,
			// failing the test rather than hanging it): none is made.
			fmt.Fprint(w, `{}`)
			return
		}
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"message":"token rejected"}`)
	})
	c := f.client(t)
	err := c.call(t.Context(), http.MethodGet, "/locked", nil, &struct{}{})

	require.ErrorIs(t, err, ErrUnauthorized)
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusUnauthorized, apiErr.StatusCode)
	assert.Equal(t, "token rejected", apiErr.Message)
	assert.Equal(t, 2, f.count(http.MethodGet, "/locked"), "one replay, no loop")
	assert.Equal(t, 2, f.count(http.MethodPost, "/token"))
	assert.Equal(t, 2, apiErr.Attempts)
}

func TestFixedTokenNeverFetchesNorReplays(t *testing.T) {
	f := newFakeAPI(t)
	tok := f.issue()
	c := f.client(t, WithToken(tok))

	require.NoError(t, ping(t.Context(), c))
	assert.Equal(t, "Bearer "+tok, f.recorded(http.MethodGet, "/ping")[0].Auth)

	f.expireTokens()
	err := ping(t.Context(), c)
	require.ErrorIs(t, err, ErrUnauthorized)
	assert.Equal(t, 2, f.count(http.MethodGet, "/ping"), "a fixed token's 401 is returned, not replayed")
	assert.Zero(t, f.count(http.MethodPost, "/token"))

	require.NoError(t, c.Close(t.Context()))
	assert.Zero(t, f.count(http.MethodPost, "/token/revoke"), "a given token is not revoked")
}

func TestTokenSourceAskedAgainOnceAfterUnauthorized(t *testing.T) {
	f := newFakeAPI(t)
	src := &tokenSource{tokens: func(n int) (*Token, error) {
		if n == 1 {
			return &Token{AccessToken: "stale-token"}, nil
		}
		return &Token{AccessToken: f.issue()}, nil
	}}
	c := f.client(t, WithTokenSource(src))

	require.NoError(t, ping(t.Context(), c))
	assert.Equal(t, int32(2), src.calls.Load())
	pings := f.recorded(http.MethodGet, "/ping")
	require.Len(t, pings, 2)
	assert.Equal(t, "Bearer stale-token", pings[0].Auth)
	assert.Zero(t, f.count(http.MethodPost, "/token"))

	require.NoError(t, c.Close(t.Context()))
	assert.Zero(t, f.count(http.MethodPost, "/token/revoke"), "a token source's token is not revoked")
}

func TestTokenSourceAlwaysRejected(t *testing.T) {
	f := newFakeAPI(t)
	src := &tokenSource{tokens: func(n int) (*Token, error) { return &Token{AccessToken: fmt.Sprintf("bad-%d", n)}, nil }}
	c := f.client(t, WithTokenSource(src))
	err := ping(t.Context(), c)
	require.ErrorIs(t, err, ErrUnauthorized)
	assert.Equal(t, int32(2), src.calls.Load())
	assert.Equal(t, 2, f.count(http.MethodGet, "/ping"))
}

func TestTokenSourceErrors(t *testing.T) {
	f := newFakeAPI(t)
	boom := errors.New("vault unreachable")
	for name, tokens := range map[string]func(int) (*Token, error){
		"error":     func(int) (*Token, error) { return nil, boom },
		"nil token": func(int) (*Token, error) { return nil, nil },
		"empty":     func(int) (*Token, error) { return &Token{}, nil },
	} {
		t.Run(name, func(t *testing.T) {
			c := f.client(t, WithTokenSource(&tokenSource{tokens: tokens}))
			before := f.total()
			err := ping(t.Context(), c)
			require.Error(t, err)
			if name == "error" {
				assert.ErrorIs(t, err, boom)
			}
			assert.Equal(t, before, f.total(), "no call is sent without a token")
		})
	}
}

func TestCloseRevokesTheFetchedToken(t *testing.T) {
	f := newFakeAPI(t)
	c := f.client(t)

	require.NoError(t, c.Close(t.Context()))
	assert.Zero(t, f.total(), "nothing to revoke before the first call")

	require.NoError(t, ping(t.Context(), c))
	require.NoError(t, c.Close(t.Context()))
	revokes := f.recorded(http.MethodPost, "/token/revoke")
	require.Len(t, revokes, 1)
	tok := f.issuedTokens()[0]
	assert.Equal(t, "Bearer "+tok, revokes[0].Auth)
	assert.Equal(t, []string{tok}, f.revokedTokens())

	require.NoError(t, c.Close(t.Context()))
	assert.Equal(t, 1, f.count(http.MethodPost, "/token/revoke"), "a token is revoked once")

	// The client still works: it fetches a new token.
	require.NoError(t, ping(t.Context(), c))
	assert.Equal(t, 2, f.count(http.MethodPost, "/token"))
}

func TestCloseReportsAFailedRevoke(t *testing.T) {
	f := newFakeAPI(t)
	c := f.client(t)
	require.NoError(t, ping(t.Context(), c))
	f.revokeStatus = http.StatusUnauthorized

	err := c.Close(t.Context())
	require.ErrorIs(t, err, ErrUnauthorized)
	assert.Contains(t, err.Error(), "revoking")
	assert.Equal(t, 1, f.count(http.MethodPost, "/token/revoke"), "a revoke is never replayed")
	assert.Equal(t, 1, f.count(http.MethodPost, "/token"), "no new token is fetched to revoke the old one")
}

func TestRefusedCredentialsFailEveryWaiter(t *testing.T) {
	const callers = 20
	f := newFakeAPI(t)
	f.tokenGate = make(chan struct{})
	// A server that quotes what it was sent in its error.
	f.tokenStatus = http.StatusUnauthorized
	f.tokenBody = `{"error":"invalid_grant","message":"wrong password ` + fakePassword + ` for ` + fakeUser + `"}`
	c := f.client(t)

	// The server answers once every caller but the leader waits on its
	// fetch: a caller arriving after the failure would rightly fetch again.
	var joined atomic.Int32
	c.tokens.testHookJoinedFlight = func() {
		if joined.Add(1) == callers-1 {
			close(f.tokenGate)
		}
	}
	// Without a shared fetch nobody joins, the gate stays shut, and the
	// deadline turns the hang into a failure.
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for range callers {
		wg.Go(func() { errs <- ping(ctx, c) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.Error(t, err)
		assert.ErrorIs(t, err, ErrUnauthorized)
		assert.Contains(t, err.Error(), "refused the credentials")
		for _, text := range []string{err.Error(), fmt.Sprintf("%v %+v %#v", err, err, err)} {
			assert.NotContains(t, text, fakePassword)
		}
		var apiErr *APIError
		if assert.ErrorAs(t, err, &apiErr) {
			assert.NotContains(t, apiErr.Message, fakePassword)
			assert.NotContains(t, string(apiErr.Body), fakePassword)
			assert.NotContains(t, fmt.Sprintf("%#v", apiErr), fakePassword)
		}
	}
	assert.Equal(t, 1, f.count(http.MethodPost, "/token"), "the waiters share the refused fetch")
	assert.Zero(t, f.count(http.MethodGet, "/ping"))
}

func TestTokenFetchFailures(t *testing.T) {
	tests := []struct {
		name         string
		status       int
		body         string
		unauthorized bool
	}{
		{"bad request", http.StatusBadRequest, `{"code":10,"message":"missing grant_type"}`, true},
		{"forbidden", http.StatusForbidden, `{"message":"account disabled"}`, true},
		{"server error", http.StatusInternalServerError, `oops`, false},
		{"no access_token", http.StatusOK, `{"expires_in":3600}`, false},
		{"not JSON", http.StatusOK, `<html>maintenance</html>`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeAPI(t)
			f.tokenStatus, f.tokenBody = tt.status, tt.body
			c := f.client(t)
			err := ping(t.Context(), c)
			require.Error(t, err)
			assert.Equal(t, tt.unauthorized, errors.Is(err, ErrUnauthorized), "%v", err)
			assert.Contains(t, err.Error(), "token")
			assert.Zero(t, f.count(http.MethodGet, "/ping"))
		})
	}
}

func TestTokenFetchIsNotRetriedOnServerError(t *testing.T) {
	// /token is a POST: a 5xx is not retried (and not an auth failure).
	f := newFakeAPI(t)
	f.tokenStatus, f.tokenBody = http.StatusBadGateway, "bad gateway"
	c := f.client(t)
	err := ping(t.Context(), c)
	require.ErrorIs(t, err, ErrServer)
	assert.NotErrorIs(t, err, ErrUnauthorized)
	assert.Equal(t, 1, f.count(http.MethodPost, "/token"))
}

// blockingSource is a token source whose first call blocks until its
// context ends; later calls return a token at once.
type blockingSource struct{ calls atomic.Int32 }

func (s *blockingSource) Token(ctx context.Context) (*Token, error) {
	if s.calls.Add(1) == 1 {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return &Token{AccessToken: "second"}, nil
}

func TestWaiterTakesOverWhenLeaderGivesUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &blockingSource{}
		c, err := NewClient(WithTokenSource(src))
		require.NoError(t, err)

		leaderCtx, cancelLeader := context.WithCancel(t.Context())
		var leaderErr, waiterErr error
		var waiterTok *Token
		done := make(chan struct{}, 2)
		go func() {
			_, leaderErr = c.tokens.token(leaderCtx)
			done <- struct{}{}
		}()
		synctest.Wait() // the leader is inside the fetch
		go func() {
			waiterTok, waiterErr = c.tokens.token(t.Context())
			done <- struct{}{}
		}()
		synctest.Wait() // the waiter waits on the leader's fetch
		require.Equal(t, int32(1), src.calls.Load())

		cancelLeader()
		<-done
		<-done
		assert.ErrorIs(t, leaderErr, context.Canceled)
		require.NoError(t, waiterErr, "the leader's cancellation says nothing about the waiter")
		assert.Equal(t, "second", waiterTok.AccessToken)
		assert.Equal(t, int32(2), src.calls.Load())
	})
}

// failingSource's first call fails with err after release closes.
type failingSource struct {
	calls   atomic.Int32
	release chan struct{}
	err     error
}

func (s *failingSource) Token(ctx context.Context) (*Token, error) {
	s.calls.Add(1)
	<-s.release
	return nil, s.err
}

func TestWaitersShareALeaderTimeout(t *testing.T) {
	// A fetch that timed out on its own (an http.Client.Timeout, while the
	// caller's context is alive) fails every waiter: they must not each
	// start a new fetch in turn.
	synctest.Test(t, func(t *testing.T) {
		src := &failingSource{release: make(chan struct{}), err: fmt.Errorf("fetch: %w", context.DeadlineExceeded)}
		c, err := NewClient(WithTokenSource(src))
		require.NoError(t, err)

		const waiters = 5
		errs := make(chan error, waiters+1)
		go func() {
			_, err := c.tokens.token(t.Context())
			errs <- err
		}()
		synctest.Wait()
		for range waiters {
			go func() {
				_, err := c.tokens.token(t.Context())
				errs <- err
			}()
		}
		synctest.Wait()
		close(src.release)
		for range waiters + 1 {
			assert.ErrorIs(t, <-errs, context.DeadlineExceeded)
		}
		assert.Equal(t, int32(1), src.calls.Load())
	})
}

func TestWaiterGivesUpWithItsOwnContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &failingSource{release: make(chan struct{}), err: errors.New("never")}
		c, err := NewClient(WithTokenSource(src))
		require.NoError(t, err)
		go func() { _, _ = c.tokens.token(t.Context()) }()
		synctest.Wait()

		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		_, err = c.tokens.token(ctx)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		close(src.release)
	})
}

func TestTokenPrintsRedacted(t *testing.T) {
	tok := Token{AccessToken: "abc123secret", ExpiresAt: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	for _, v := range []any{tok, &tok, []Token{tok}, map[string]Token{"k": tok}, struct{ T Token }{tok}} {
		s := fmt.Sprintf("%v %+v %#v %s %q", v, v, v, v, v)
		assert.NotContains(t, s, "abc123secret")
		assert.Contains(t, s, "2030-01-01T00:00:00Z")
	}
	assert.Contains(t, fmt.Sprint(Token{}), `AccessToken:""`, "an empty token shows as empty")
}

func TestFailedEarlyRefreshKeepsTheValidToken(t *testing.T) {
	f := newFakeAPI(t)
	start := time.Date(2030, 6, 1, 12, 0, 0, 0, time.UTC)
	clock := &fakeClock{now: start}
	var first string
	src := &tokenSource{tokens: func(n int) (*Token, error) {
		if n == 1 {
			first = f.issue()
			return &Token{AccessToken: first, ExpiresAt: clock.Now().Add(time.Hour)}, nil
		}
		return nil, errors.New("the token service is down")
	}}
	c := f.client(t, WithTokenSource(src))
	c.tokens.now = clock.Now
	require.NoError(t, ping(t.Context(), c))

	clock.Set(start.Add(58 * time.Minute)) // due for refresh, not expired
	require.NoError(t, ping(t.Context(), c), "the current token still works while its refresh fails")
	assert.Equal(t, int32(2), src.calls.Load(), "the refresh was tried")
	pings := f.recorded(http.MethodGet, "/ping")
	assert.Equal(t, "Bearer "+first, pings[len(pings)-1].Auth)

	clock.Set(start.Add(time.Hour)) // expired: nothing left to fall back on
	assert.Error(t, ping(t.Context(), c))
}

// panicSource panics on its first call and gives a token afterwards.
type panicSource struct {
	calls atomic.Int32
	token string
}

func (s *panicSource) Token(context.Context) (*Token, error) {
	if s.calls.Add(1) == 1 {
		panic("token source bug")
	}
	return &Token{AccessToken: s.token}, nil
}

func TestPanickingTokenSourceDoesNotWedgeTheClient(t *testing.T) {
	f := newFakeAPI(t)
	c := f.client(t, WithTokenSource(&panicSource{token: f.issue()}))
	assert.Panics(t, func() { _ = ping(t.Context(), c) }, "the panic reaches the caller")

	// Without the flight released, this call would wait for the first one forever.
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	assert.NoError(t, ping(ctx, c))
}

func TestClientValuePrintsNoPassword(t *testing.T) {
	c, err := NewClient(WithCredentials("bob", fakePassword))
	require.NoError(t, err)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		assert.NotContains(t, fmt.Sprintf(verb, *c), fakePassword, verb) //nolint:govet // printing the value is the point
	}
}

func TestTokenLifetime(t *testing.T) {
	longest := time.Duration(math.MaxInt64)
	tests := []struct {
		raw  string
		want time.Duration
	}{
		{`3600`, time.Hour},
		{`3599.5`, 3599500 * time.Millisecond},
		{`"3600"`, time.Hour},
		{`" 60 "`, time.Minute},
		{`1e30`, longest},
		{`99999999999999999999999`, longest},
		{`1e400`, longest}, // beyond float64: ParseFloat says ErrRange
		{`9223372036.854775807`, longest},
		{`1000000000`, 1e9 * time.Second},
		{`1e-400`, 0}, // below float64's precision: 0, not a lifetime
		{`0`, 0}, {`-1`, 0}, {`"NaN"`, 0}, {`"soon"`, 0}, {`null`, 0}, {`{}`, 0}, {`[]`, 0}, {``, 0},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, lifetime(json.RawMessage(tt.raw)), tt.raw)
	}
}
