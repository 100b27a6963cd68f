package apizee

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/apizee-go/apizee/internal/redact"
)

// TokenSource supplies access tokens, for callers that manage tokens
// themselves (a vault, another service). The client caches what it returns
// until shortly before ExpiresAt, and asks again after a 401.
type TokenSource interface {
	Token(ctx context.Context) (*Token, error)
}

// Token is a bearer token. It prints, logs and marshals to JSON with
// AccessToken masked (String, GoString, LogValue and MarshalJSON), alone or
// inside a slice or a map. To store a token, marshal UnmaskedToken(t).
type Token struct {
	AccessToken string
	ExpiresAt   time.Time // zero: unknown, the token is used until a 401
}

// UnmaskedToken is a Token that marshals to JSON with its AccessToken, for
// a TokenSource or a store that keeps tokens: json.Marshal(apizee.UnmaskedToken(t)).
// It decodes what it marshals, and converts back with apizee.Token(u). It
// has none of Token's masking methods: keep it out of logs.
type UnmaskedToken Token

// MarshalJSON writes the token as UnmaskedToken does, with AccessToken
// masked: slog's JSON handler marshals a []Token it is given, and nothing
// in that call would warn that the token goes to the log.
func (t Token) MarshalJSON() ([]byte, error) {
	u := UnmaskedToken(t)
	if u.AccessToken != "" {
		u.AccessToken = redact.Mask
	}
	return json.Marshal(u)
}

// String describes the token without revealing it.
func (t Token) String() string {
	return fmt.Sprintf("apizee.Token{AccessToken:%s, ExpiresAt:%s}", redact.Token(t.AccessToken), t.ExpiresAt.Format(time.RFC3339))
}

// GoString is String: %#v must not reveal the token either.
func (t Token) GoString() string { return t.String() }

// Format prints String with every verb (see printMasked).
func (t Token) Format(f fmt.State, verb rune) { printMasked(f, verb, t.String()) }

// LogValue logs the token's expiry, not the token.
func (t Token) LogValue() slog.Value {
	return slog.GroupValue(slog.String("access_token", redact.Token(t.AccessToken)), slog.Time("expires_at", t.ExpiresAt))
}

// Grant types of /token.
const (
	grantPassword = "password"
	grantJWT      = "urn:ietf:params:oauth:grant-type:jwt-bearer"
)

// maxRefreshMargin caps how long before expiry a token is renewed.
const maxRefreshMargin = 5 * time.Minute

// tokenCache holds the client's one token. Concurrent callers on a cold or
// expiring cache share one fetch (single flight); each waits with its own
// context.
type tokenCache struct {
	client *Client
	// fixed is the WithToken token: never renewed.
	fixed *Token
	// fetch gets a new token: from /token, or from the TokenSource.
	fetch func(ctx context.Context) (*Token, error)
	// ownsTokens is set when fetch calls /token, so Close revokes them.
	ownsTokens bool
	now        func() time.Time

	// shared is set with WithStore: fetch goes through the store.
	shared *sharedToken

	mu       sync.Mutex
	current  *Token
	obtained time.Time
	flight   *tokenFlight

	// testHookJoinedFlight, when set by a test, runs each time a caller
	// starts waiting on a fetch another caller leads.
	testHookJoinedFlight func()
}

// tokenFlight is one fetch in progress; done closes when tok or err is set.
type tokenFlight struct {
	done chan struct{}
	tok  *Token
	err  error
	// abandoned is set when the fetch failed because the context of the
	// caller that led it ended.
	abandoned bool
}

func newTokenCache(c *Client) *tokenCache {
	tc := &tokenCache{client: c, now: time.Now}
	switch {
	case c.cfg.token != "":
		tc.fixed = &Token{AccessToken: c.cfg.token}
	case c.cfg.tokenSource != nil:
		ts := c.cfg.tokenSource
		tc.fetch = func(ctx context.Context) (*Token, error) {
			tok, err := ts.Token(ctx)
			if err != nil {
				return nil, &tokenError{err: err}
			}
			return tok, nil
		}
	default:
		tc.fetch = c.fetchToken
		tc.ownsTokens = true
		if c.cfg.store != nil {
			tc.shared = newSharedToken(c, tc)
			tc.fetch = tc.shared.fetch
		}
	}
	return tc
}

// renewable reports whether a rejected token can be replaced.
func (tc *tokenCache) renewable() bool { return tc.fixed == nil }

// token returns a token valid for a while yet, fetching one if needed.
func (tc *tokenCache) token(ctx context.Context) (*Token, error) {
	if tc.fixed != nil {
		return tc.fixed, nil
	}
	for {
		tc.mu.Lock()
		if tc.current != nil && !tc.dueForRefresh() {
			tok := tc.current
			tc.mu.Unlock()
			return tok, nil
		}
		if tc.flight == nil {
			f := &tokenFlight{done: make(chan struct{})}
			tc.flight = f
			tc.mu.Unlock()
			tc.fly(ctx, f)
			return f.tok, f.err
		}
		f := tc.flight
		tc.mu.Unlock()
		if tc.testHookJoinedFlight != nil {
			tc.testHookJoinedFlight()
		}
		select {
		case <-f.done:
			// The caller that led the fetch gave up (its context ended):
			// that says nothing about this caller, who leads the next one.
			// A fetch that failed on its own (a timeout of the HTTP client)
			// fails every waiter: each retrying in turn would multiply it.
			if f.abandoned && ctx.Err() == nil {
				continue
			}
			return f.tok, f.err
		case <-ctx.Done():
			return nil, contextErr(ctx)
		}
	}
}

// fly runs the fetch of f and publishes its result.
func (tc *tokenCache) fly(ctx context.Context, f *tokenFlight) {
	var tok *Token
	err := errors.New("apizee: the token source panicked")
	// Published in a defer: a TokenSource that panics must not leave the
	// flight open, or every later call would wait on it for good.
	defer func() {
		tc.mu.Lock()
		defer tc.mu.Unlock()
		tc.flight = nil
		switch {
		case err == nil:
			tc.current, tc.obtained = tok, tc.now()
		case tc.current != nil && tc.now().Before(tc.current.ExpiresAt):
			// An early refresh failed: the current token still works until it
			// expires, and the next call tries the refresh again.
			tok, err = tc.current, nil
		}
		f.tok, f.err = tok, err
		f.abandoned = err != nil && ctx.Err() != nil
		close(f.done)
	}()
	tok, err = tc.fetch(ctx)
	if err == nil && (tok == nil || tok.AccessToken == "") {
		err = errors.New("apizee: the token source returned no token")
	}
}

// dueForRefresh reports whether the current token reached its refreshAt.
// Call with mu held.
func (tc *tokenCache) dueForRefresh() bool {
	exp := tc.current.ExpiresAt
	return !exp.IsZero() && !tc.now().Before(refreshAt(exp, tc.obtained))
}

// refreshAt is when a token obtained at obtained and expiring at expires is
// renewed: min(5 minutes, 10% of its lifetime) before it expires, and never
// after (a lifetime that is negative, from clocks that disagree, leaves no
// margin rather than one past the expiry).
func refreshAt(expires, obtained time.Time) time.Time {
	return expires.Add(-max(0, min(maxRefreshMargin, expires.Sub(obtained)/10)))
}

// invalidate drops the current token if it is still rejected, the one a
// call was made with (another caller may have renewed it meanwhile).
func (tc *tokenCache) invalidate(accessToken string) {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	if tc.current != nil && tc.current.AccessToken == accessToken {
		tc.current = nil
	}
	if tc.shared != nil {
		tc.shared.refuse(accessToken)
	}
}

// revoke revokes the token the client fetched itself, if any, and the one a
// fetch in flight lands: that fetch began before Close, and its token would
// otherwise stay valid for its whole lifetime (a day, at Apizee) with no one
// left to revoke it. It waits for that fetch within ctx.
func (tc *tokenCache) revoke(ctx context.Context) error {
	if !tc.ownsTokens {
		return nil
	}
	tc.mu.Lock()
	tok, flight := tc.current, tc.flight
	tc.current = nil
	tc.mu.Unlock()
	if tc.shared != nil {
		// A token shared through the store serves every other client on
		// it: revoking it would log them all out.
		return nil
	}
	var errs []error
	if tok != nil {
		errs = append(errs, tc.revokeToken(ctx, tok))
	}
	if flight == nil {
		return joinErrors(errs...)
	}
	select {
	case <-flight.done:
	case <-ctx.Done():
		return joinErrors(append(errs, errorf("apizee: a token fetch in flight did not land before the context ended, so its token was not revoked: %w", ctx.Err()))...)
	}
	tc.mu.Lock()
	landed := tc.current
	if landed != nil && landed == flight.tok {
		tc.current = nil
	} else {
		landed = nil // the fetch failed, or a newer token replaced it: not Close's
	}
	tc.mu.Unlock()
	if landed != nil {
		errs = append(errs, tc.revokeToken(ctx, landed))
	}
	return joinErrors(errs...)
}

// revokeToken calls POST /token/revoke with tok.
func (tc *tokenCache) revokeToken(ctx context.Context, tok *Token) error {
	c := tc.client
	// The token is named here rather than taken from the cache: it has just
	// left the cache so that no new call uses it.
	if err := c.exchange(ctx, request{method: http.MethodPost, url: c.endpoint("/token/revoke", nil), bearer: tok}, nil); err != nil {
		return errorf("apizee: revoking the access token: %w", err)
	}
	return nil
}

// tokenResponse is the answer of POST /token.
type tokenResponse struct {
	AccessToken string          `json:"access_token"`
	ExpiresIn   json.RawMessage `json:"expires_in"`
}

// lifetime reads expires_in: seconds as a JSON number or a numeric string,
// fractions included. The token is what the call is for; its lifetime only
// decides when to renew it early, so a lifetime that cannot be read (absent,
// not a number, zero or negative) is unknown (0: the token serves until a
// 401), and an absurd one (1e30, beyond int64 or float64) is the longest a
// Duration holds, rather than a failure of every call or an overflow into a
// past expiry that would fetch a token before each one.
func lifetime(raw json.RawMessage) time.Duration {
	var s flexString
	if len(raw) == 0 || s.UnmarshalJSON(raw) != nil {
		return 0
	}
	secs, err := strconv.ParseFloat(strings.TrimSpace(string(s)), 64)
	switch {
	case err != nil && !errors.Is(err, strconv.ErrRange), math.IsNaN(secs), secs <= 0:
		// ErrRange is a number beyond float64 (±Inf) or below its
		// precision (0): the sign and the test below sort them.
		return 0
	case secs >= float64(math.MaxInt64)/float64(time.Second):
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(secs * float64(time.Second))
}

// fetchToken calls POST /token with the configured grant, in a form body:
// a query string would put the password in every proxy's access log.
func (c *Client) fetchToken(ctx context.Context) (*Token, error) {
	form := url.Values{}
	if c.cfg.assertion != "" {
		form.Set("grant_type", grantJWT)
		form.Set("assertion", c.cfg.assertion)
	} else {
		form.Set("grant_type", grantPassword)
		form.Set("username", c.cfg.username)
		form.Set("password", c.cfg.password)
	}
	r := request{method: http.MethodPost, url: c.endpoint("/token", nil), form: form, noAuth: true}
	// The cache's clock, which decides when to refresh, dates the expiry.
	start := c.tokens.now()
	var tr tokenResponse
	if err := c.exchange(ctx, r, &tr); err != nil {
		return nil, &tokenError{err: err}
	}
	switch {
	case strings.TrimSpace(tr.AccessToken) == "":
		return nil, &tokenError{err: errors.New("the answer has no access_token")}
	case hasControl(tr.AccessToken):
		// net/http would refuse it in the Authorization header of every call.
		return nil, &tokenError{err: errors.New("the answer's access_token contains a control character")}
	}
	tok := &Token{AccessToken: tr.AccessToken}
	if d := lifetime(tr.ExpiresIn); d > 0 {
		// Our own clock from when we asked, not the server's created_at:
		// clocks differ, and a late token is worse than an early refresh.
		tok.ExpiresAt = start.Add(d)
	}
	return tok, nil
}

// tokenError is a failed token fetch. When /token answered 4xx it matches
// ErrUnauthorized: the credentials were refused. The password and the
// assertion, which some servers echo in their error message, are already
// masked in what it wraps: the pipeline masks what a call sent in the raw
// answer.
type tokenError struct{ err error }

func (e *tokenError) Error() string {
	if e.refused() {
		return "apizee: the token endpoint refused the credentials: " + causeText(e.err)
	}
	return "apizee: fetching an access token: " + causeText(e.err)
}

func (e *tokenError) Unwrap() error { return e.err }

func (e *tokenError) Is(target error) bool { return target == ErrUnauthorized && e.refused() }

func (e *tokenError) refused() bool {
	var apiErr *APIError
	return errors.As(e.err, &apiErr) && apiErr.StatusCode >= 400 && apiErr.StatusCode < 500 && apiErr.StatusCode != http.StatusTooManyRequests
}
