// Package apizee is a typed client for the Apizee video-engagement REST API:
// Video Assistance tickets (1-1 sessions between a support agent and a
// customer), Video Meeting conferences, their recorded media, and usage
// statistics.
//
// A Client fetches and caches its bearer token, retries what is safe to
// retry, never sends a create call twice when it may have reached the
// server, and keeps secrets out of logs and errors. The apizeetest package
// serves the whole API from memory for tests.
package apizee

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/apizee-go/apizee/internal/redact"
	"github.com/apizee-go/apizee/internal/retry"
)

// DefaultBaseURL is the production API.
const DefaultBaseURL = "https://cloud.apizee.com/api"

// Version is the SDK's version, sent in the User-Agent.
const Version = "0.2.0"

// userAgentBase is the SDK's own User-Agent product.
const userAgentBase = "apizee-go/" + Version

// maxRedirects bounds the redirects a call follows.
const maxRedirects = 10

// Client talks to the Apizee API. It is safe for concurrent use; create one
// per account and reuse it: it caches the token and the connection pool.
type Client struct {
	Tickets     *TicketsService
	Conferences *ConferencesService
	Media       *MediaService
	Stats       *StatsService
	Sessions    *SessionsService

	// cfg is a pointer so that fmt, printing a struct that holds a Client
	// (where the Client's String is not called), shows an address rather
	// than the password.
	cfg        *config
	httpClient *http.Client
	// retrying sends every call over httpClient, with each call's retry.Call.
	retrying *retryablehttp.Client
	policy   retry.Policy // cfg.retry with its defaults
	// userAgent is the User-Agent header of every request, built once.
	userAgentHeader []string
	// bearer caches the Authorization header of the last token sent. A
	// pointer: a Client prints as a value, which must not copy an atomic.
	bearer *atomic.Pointer[bearerHeader]
	tokens *tokenCache
	store  *clientStore
	// ownTransport is the transport the client built itself (no
	// WithHTTPClient transport): Close closes its idle connections.
	ownTransport *http.Transport

	// enterpriseLookup is a one-slot semaphore held while /users/me is
	// read: a mutex would keep a waiter past the end of its context.
	enterpriseLookup chan struct{}
	enterpriseID     int64 // resolved from /users/me when not configured; guarded by enterpriseLookup
}

// service is what every XxxService is: a handle on the client.
type service struct{ client *Client }

// config is what the options set. It prints redacted.
type config struct {
	baseURL      *url.URL
	username     string
	password     string
	assertion    string
	token        string
	tokenSource  TokenSource
	enterpriseID int64
	httpClient   *http.Client
	retry        RetryPolicy
	limiter      RateLimiter
	logger       *slog.Logger
	userAgent    string
	store        Store
	claimTTL     time.Duration // of CreateOnce's idempotency claims; zero: the default
}

// String describes the configuration without its secrets.
func (c config) String() string {
	return fmt.Sprintf("apizee.config{BaseURL:%q, Auth:%s, EnterpriseID:%d, Retry:%+v, RateLimiter:%t, Logger:%t, UserAgent:%q}",
		c.baseURLString(), c.authKind(), c.enterpriseID, c.retry, c.limiter != nil, c.logger != nil, c.userAgent)
}

// GoString is String: %#v must not print the password either.
func (c config) GoString() string { return c.String() }

// LogValue logs the configuration without its secrets.
func (c config) LogValue() slog.Value {
	return slog.GroupValue(slog.String("base_url", c.baseURLString()), slog.String("auth", c.authKind()),
		slog.Int64("enterprise_id", c.enterpriseID))
}

func (c config) baseURLString() string {
	if c.baseURL == nil {
		return ""
	}
	return c.baseURL.String()
}

// authKind names how the client authenticates; for humans, never a secret.
func (c config) authKind() string {
	switch {
	case c.tokenSource != nil:
		return "token source"
	case c.token != "":
		return "fixed token " + redact.Mask
	case c.assertion != "":
		return "jwt assertion " + redact.Mask
	case c.username != "":
		return fmt.Sprintf("password for %q %s", c.username, redact.Mask)
	}
	return "none"
}

// Option configures a Client. Options are checked when applied: NewClient
// returns the first error.
type Option func(*config) error

// WithBaseURL sets the API base URL, e.g. a staging host or a versioned
// prefix such as https://cloud.apizee.com/api/v3. It must be absolute and
// use https, except plain http to a loopback host (for tests).
func WithBaseURL(rawURL string) Option {
	return func(c *config) error {
		u, err := parseBaseURL(rawURL)
		if err != nil {
			return err
		}
		c.baseURL = u
		return nil
	}
}

// WithCredentials authenticates with a username and password: the client
// fetches a token from /token (password grant) on first use and refreshes it.
// It replaces any other way of authenticating set before it.
func WithCredentials(username, password string) Option {
	return func(c *config) error {
		switch {
		case strings.TrimSpace(username) == "":
			return invalid("Username", "is empty")
		case password == "":
			return invalid("Password", "is empty")
		}
		c.clearAuth()
		c.username, c.password = username, password
		return nil
	}
}

// WithJWTAssertion authenticates with a signed JWT: the client exchanges it
// at /token (urn:ietf:params:oauth:grant-type:jwt-bearer grant). It replaces
// any other way of authenticating set before it.
func WithJWTAssertion(assertion string) Option {
	return func(c *config) error {
		if strings.TrimSpace(assertion) == "" {
			return invalid("Assertion", "is empty")
		}
		c.clearAuth()
		c.assertion = assertion
		return nil
	}
}

// WithToken uses a fixed access token: no /token call is made, and a 401 is
// returned to the caller since the client cannot get another. It replaces
// any other way of authenticating set before it.
func WithToken(accessToken string) Option {
	return func(c *config) error {
		switch {
		case strings.TrimSpace(accessToken) == "":
			return invalid("Token", "is empty")
		case hasControl(accessToken):
			// net/http would refuse it in the Authorization header of every call.
			return invalid("Token", "contains a control character")
		}
		c.clearAuth()
		c.token = accessToken
		return nil
	}
}

// WithTokenSource gets tokens from ts. The client caches each token until
// shortly before its ExpiresAt and asks ts again after a 401. It replaces
// any other way of authenticating set before it.
func WithTokenSource(ts TokenSource) Option {
	return func(c *config) error {
		if ts == nil {
			return invalid("TokenSource", "is nil")
		}
		c.clearAuth()
		c.tokenSource = ts
		return nil
	}
}

func (c *config) clearAuth() {
	c.username, c.password, c.assertion, c.token, c.tokenSource = "", "", "", "", nil
}

// WithEnterpriseID sets the enterprise id that media and statistics paths
// need. Without it the client reads it once from GET /users/me.
func WithEnterpriseID(id int64) Option {
	return func(c *config) error {
		if id <= 0 {
			return invalid("EnterpriseID", "must be positive, got %d", id)
		}
		c.enterpriseID = id
		return nil
	}
}

// WithHTTPClient sets the HTTP client whose Transport carries every attempt:
// the SDK's retry, rate limiting and auth run above it, so a wrapping
// transport sees each attempt. Its Timeout (per attempt), Jar and
// CheckRedirect are kept; the client itself is not modified.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *config) error {
		if hc == nil {
			return invalid("HTTPClient", "is nil")
		}
		c.httpClient = hc
		return nil
	}
}

// WithRetryPolicy replaces DefaultRetryPolicy.
func WithRetryPolicy(p RetryPolicy) Option {
	return func(c *config) error {
		if err := p.validate(); err != nil {
			return err
		}
		c.retry = p
		return nil
	}
}

// WithRateLimiter makes every HTTP attempt (retries, pages and /token
// included) wait on l first. Apizee counts every endpoint against one
// per-user budget (10 requests a minute): NewRateLimiter(10, time.Minute)
// shared by the clients of a process, the Redis limiter of the apizeeredis
// module for several processes, or rate.NewLimiter(rate.Every(6*time.Second), 1)
// from golang.org/x/time/rate. A limiter that implements RateLimitFeedback
// also hears the server's rate-limit answers.
func WithRateLimiter(l RateLimiter) Option {
	return func(c *config) error {
		if l == nil {
			return invalid("RateLimiter", "is nil")
		}
		c.limiter = l
		return nil
	}
}

// WithLogger logs requests at debug level and retries at info level to l.
// Logs carry methods, paths (relative to the base URL, as in the errors:
// see RequestError.Path), statuses and timings, never query strings,
// bodies, tokens or passwords. Without it, or with nil, the client is silent.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		c.logger = l
		return nil
	}
}

// WithUserAgent prepends product (e.g. "crm-connector/2.1") to the SDK's own
// User-Agent.
func WithUserAgent(product string) Option {
	return func(c *config) error {
		product = strings.TrimSpace(product)
		if hasControl(product) {
			// A line break could add a header; net/http refuses any control
			// character in a header value, at every call, after retries.
			return invalid("UserAgent", "contains a control character")
		}
		c.userAgent = product
		return nil
	}
}

// RetryPolicy bounds retries. GET is retried on connection errors, 429 and
// 5xx (not 501); POST only when the request provably never reached the
// server (DNS, dial or TLS handshake failure) or was answered 429.
type RetryPolicy struct {
	MaxRetries    int           // taken as given: 0 disables retries (the default policy has 3)
	MinBackoff    time.Duration // zero: 500ms
	MaxBackoff    time.Duration // zero: 30s
	MaxRetryAfter time.Duration // longest server-requested wait honoured; zero: 60s
}

// DefaultRetryPolicy is what a client without WithRetryPolicy uses: 3
// retries, backoff from 500ms to 30s, server waits honoured up to 60s.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxRetries: 3, MinBackoff: 500 * time.Millisecond, MaxBackoff: 30 * time.Second, MaxRetryAfter: 60 * time.Second}
}

func (p RetryPolicy) validate() error {
	switch {
	case p.MaxRetries < 0:
		return invalid("RetryPolicy.MaxRetries", "must not be negative, got %d", p.MaxRetries)
	case p.MinBackoff < 0:
		return invalid("RetryPolicy.MinBackoff", "must not be negative, got %s", p.MinBackoff)
	case p.MaxBackoff < 0:
		return invalid("RetryPolicy.MaxBackoff", "must not be negative, got %s", p.MaxBackoff)
	case p.MaxRetryAfter < 0:
		return invalid("RetryPolicy.MaxRetryAfter", "must not be negative, got %s", p.MaxRetryAfter)
	case p.MaxBackoff > 0 && p.MinBackoff > p.MaxBackoff:
		return invalid("RetryPolicy.MinBackoff", "%s is above MaxBackoff %s", p.MinBackoff, p.MaxBackoff)
	}
	return nil
}

// withDefaults fills the zero durations.
func (p RetryPolicy) withDefaults() retry.Policy {
	d := DefaultRetryPolicy()
	out := retry.Policy{MaxRetries: p.MaxRetries, MinBackoff: p.MinBackoff, MaxBackoff: p.MaxBackoff, MaxRetryAfter: p.MaxRetryAfter}
	if out.MaxBackoff == 0 {
		out.MaxBackoff = d.MaxBackoff
	}
	if out.MinBackoff == 0 {
		out.MinBackoff = min(d.MinBackoff, out.MaxBackoff)
	}
	out.MaxBackoff = max(out.MaxBackoff, out.MinBackoff)
	if out.MaxRetryAfter == 0 {
		out.MaxRetryAfter = d.MaxRetryAfter
	}
	return out
}

// RateLimiter paces requests: NewRateLimiter returns one, and
// *rate.Limiter from golang.org/x/time/rate implements it. Wait may read
// the call's Priority with PriorityFromContext.
type RateLimiter interface {
	Wait(ctx context.Context) error
}

// NewClient returns a client configured by opts. It needs a way to
// authenticate (WithCredentials, WithJWTAssertion, WithToken or
// WithTokenSource) and makes no request until the first call.
func NewClient(opts ...Option) (*Client, error) {
	base, _ := url.Parse(DefaultBaseURL)
	cfg := config{baseURL: base, retry: DefaultRetryPolicy()}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&cfg); err != nil {
			return nil, err
		}
	}
	if cfg.authKind() == "none" {
		return nil, invalid("Credentials", "no way to authenticate: use WithCredentials, WithJWTAssertion, WithToken or WithTokenSource")
	}
	c := &Client{cfg: &cfg, enterpriseLookup: make(chan struct{}, 1)}
	c.httpClient = c.newHTTPClient()
	c.retrying = retry.NewClient(c.httpClient)
	c.policy = cfg.retry.withDefaults()
	c.userAgentHeader = []string{c.userAgent()}
	c.bearer = new(atomic.Pointer[bearerHeader])
	c.store = newClientStore(&cfg)
	c.tokens = newTokenCache(c)
	s := &service{client: c}
	c.Tickets = (*TicketsService)(s)
	c.Conferences = (*ConferencesService)(s)
	c.Media = (*MediaService)(s)
	c.Stats = (*StatsService)(s)
	c.Sessions = (*SessionsService)(s)
	return c, nil
}

// Environment variables read by NewClientFromEnv.
const (
	EnvBaseURL      = "APIZEE_BASE_URL"
	EnvUsername     = "APIZEE_USERNAME"
	EnvPassword     = "APIZEE_PASSWORD"
	EnvToken        = "APIZEE_TOKEN"
	EnvEnterpriseID = "APIZEE_ENTERPRISE_ID"
)

// NewClientFromEnv is NewClient configured from APIZEE_BASE_URL,
// APIZEE_USERNAME, APIZEE_PASSWORD, APIZEE_TOKEN and APIZEE_ENTERPRISE_ID
// (when set), then by opts, which win over the environment: a variable is
// not even read when an option sets what it would, so a stale or broken
// variable cannot fail a client configured explicitly. APIZEE_TOKEN wins
// over APIZEE_USERNAME/APIZEE_PASSWORD.
func NewClientFromEnv(opts ...Option) (*Client, error) {
	// What the options set; their errors are NewClient's to return.
	var explicit config
	for _, opt := range opts {
		if opt != nil {
			_ = opt(&explicit)
		}
	}
	var env []Option
	if v := os.Getenv(EnvBaseURL); v != "" && explicit.baseURL == nil {
		env = append(env, WithBaseURL(v))
	}
	if explicit.authKind() == "none" {
		if v := os.Getenv(EnvToken); v != "" {
			env = append(env, WithToken(v))
		} else if user, pass := os.Getenv(EnvUsername), os.Getenv(EnvPassword); user != "" || pass != "" {
			env = append(env, WithCredentials(user, pass))
		}
	}
	if v := os.Getenv(EnvEnterpriseID); v != "" && explicit.enterpriseID == 0 {
		id, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return nil, invalid("EnterpriseID", "%s is not an integer", EnvEnterpriseID)
		}
		env = append(env, WithEnterpriseID(id))
	}
	return NewClient(append(env, opts...)...)
}

// String describes the client without its secrets.
func (c Client) String() string { return "apizee.Client{" + c.cfg.String() + "}" }

// GoString is String: %#v must not print the password either.
func (c Client) GoString() string { return c.String() }

// LogValue logs the client without its secrets.
func (c Client) LogValue() slog.Value { return c.cfg.LogValue() }

// Close revokes the token this client fetched itself with its credentials
// or assertion, if any (never one given by WithToken or WithTokenSource),
// including the token of a fetch in flight when Close is called: Close
// waits for it to land, within ctx, and revokes it too. Then it closes the
// idle connections of the transport the client built for itself (a
// WithHTTPClient transport belongs to the caller and is left alone). The
// client can still be used afterwards: it fetches a new token and opens new
// connections.
//
// With WithStore the token is shared with every client on the store, and
// Close leaves it valid (revoking it would log out every other replica): it
// only forgets it. The token then expires on its own; to end it sooner,
// revoke it from the Apizee console or with a client without a store.
func (c *Client) Close(ctx context.Context) error {
	if ctx == nil {
		return errNilContext
	}
	err := c.tokens.revoke(ctx)
	if c.ownTransport != nil {
		c.ownTransport.CloseIdleConnections()
	}
	return err
}

// parseBaseURL checks that raw is an absolute https URL, or http to a
// loopback host, with no user info, query or fragment. Its messages quote
// raw with any user info masked, and never url.Parse's own error text, which
// quotes raw whole: "https://agent:pass word@host" fails on its password.
func parseBaseURL(raw string) (*url.URL, error) {
	raw = strings.TrimSpace(raw)
	shown := redact.String(redact.UserInfo(raw))
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		var urlErr *url.Error
		if _, err := url.Parse(redact.UserInfo(raw)); errors.As(err, &urlErr) {
			return nil, invalid("BaseURL", "%q does not parse: %s", shown, redact.String(urlErr.Err.Error()))
		}
		return nil, invalid("BaseURL", "%q does not parse: its user info is malformed (and a base URL must not carry any)", shown)
	case !u.IsAbs() || u.Host == "":
		return nil, invalid("BaseURL", "%q is not an absolute URL", shown)
	case u.User != nil:
		return nil, invalid("BaseURL", "must not carry user info")
	case u.RawQuery != "" || u.Fragment != "":
		return nil, invalid("BaseURL", "must not have a query or fragment")
	case u.Scheme == "http" && !isLoopback(u.Hostname()):
		return nil, invalid("BaseURL", "plain http is allowed only to a loopback host, got %q", u.Host)
	case u.Scheme != "https" && u.Scheme != "http":
		return nil, invalid("BaseURL", "scheme %q is not https", u.Scheme)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// newHTTPClient builds the http.Client under the retry layer: the user's
// transport (or a private clone of the default one) wrapped by the rate
// limiter and the attempt logger, and a redirect policy that keeps the token
// on the API host.
func (c *Client) newHTTPClient() *http.Client {
	var base http.RoundTripper
	var userClient http.Client
	if c.cfg.httpClient != nil {
		userClient = *c.cfg.httpClient
		base = userClient.Transport
	}
	if base == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		// Bound the wait for headers (a hung server), not the body (a large
		// media download may take minutes): callers bound the whole call with ctx.
		t.ResponseHeaderTimeout = 60 * time.Second
		base = t
		c.ownTransport = t
	}
	userRedirect := userClient.CheckRedirect
	return &http.Client{
		Transport: &attemptTransport{base: base, limiter: c.cfg.limiter, logger: c.cfg.logger, budget: newBudgetGate(c), reportedPath: c.reportedPath},
		Jar:       userClient.Jar,
		Timeout:   userClient.Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= maxRedirects {
				return &retry.PermanentError{Err: fmt.Errorf("stopped after %d redirects", maxRedirects)}
			}
			if via[0].ContentLength != 0 {
				// The one call with a body is /token, and its body is the
				// password or the assertion: a 307 or 308 would send it
				// wherever Location says, a 301, 302 or 303 would turn it into
				// a GET that cannot succeed. A token endpoint has no reason
				// to move; a base URL that needs a redirect is misconfigured.
				return &retry.PermanentError{Err: fmt.Errorf("refused to follow a %d redirect of a request with a body (the credentials) to %s: set WithBaseURL to the API's final address",
					req.Response.StatusCode, req.URL.Host)}
			}
			if !c.onAPIHost(req.URL) {
				req.Header.Del("Authorization")
			}
			// net/http sends the previous URL as Referer, query included: a
			// ticket list's reference, a create's phone numbers, a media
			// URL. No API call needs it, on any host.
			req.Header.Del("Referer")
			if userRedirect == nil {
				return nil
			}
			err := userRedirect(req, via)
			if err == nil || err == http.ErrUseLastResponse { // compared as net/http compares it
				return err
			}
			// The caller's policy refused the redirect: a retry would get the
			// same redirect and refuse it again.
			return &retry.PermanentError{Err: err}
		},
	}
}

// attemptTransport runs under the retry layer, so it sees every attempt:
// it waits for the rate-limit budget (the server's last word, then the rate
// limiter), logs the attempt, and tells the budget what the answer said.
type attemptTransport struct {
	base         http.RoundTripper
	limiter      RateLimiter
	logger       *slog.Logger
	budget       *budgetGate
	reportedPath func(*url.URL) string // Client.reportedPath
}

func (t *attemptTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := t.waitForBudget(req); err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		// Not a network failure: retrying would only ask the budget again.
		// A redirect's request is held back after the first one left.
		return nil, &retry.PermanentError{Err: err, HeldBack: req.Response == nil}
	}
	resp, err := t.send(req)
	if err == nil {
		t.budget.heard(req.Context(), req.URL, resp)
	}
	return resp, err
}

// waitForBudget waits until the server's rate-limit reset, if it asked for
// one, then on the rate limiter; and again for a reset the server announced
// meanwhile, so that a call released by the limiter does not draw a 429.
func (t *attemptTransport) waitForBudget(req *http.Request) error {
	ctx := req.Context()
	if err := t.budget.wait(ctx, req.URL); err != nil {
		return err
	}
	if t.limiter == nil {
		return nil
	}
	if err := t.limiter.Wait(context.WithValue(ctx, maxRetryAfterKey{}, t.budget.maxWait)); err != nil {
		return errorf("rate limiter: %w", err)
	}
	return t.budget.wait(ctx, req.URL)
}

// send makes the attempt, logged when the client has a logger.
func (t *attemptTransport) send(req *http.Request) (*http.Response, error) {
	if t.logger == nil {
		return t.base.RoundTrip(req)
	}
	start := time.Now()
	resp, err := t.base.RoundTrip(req)
	attrs := []slog.Attr{slog.String("method", req.Method), slog.String("host", req.URL.Host),
		slog.String("path", t.reportedPath(req.URL)), slog.Duration("elapsed", time.Since(start))}
	if err != nil {
		attrs = append(attrs, slog.String("error", retry.CallOf(req.Context()).Describe(err)))
	} else {
		attrs = append(attrs, slog.Int("status", resp.StatusCode))
	}
	t.logger.LogAttrs(req.Context(), slog.LevelDebug, "apizee: http attempt", attrs...)
	return resp, err
}

// reportedPath is the path of u as errors and logs report it (APIError,
// RequestError, DecodeError, the "path" attribute), secrets masked: relative
// to the base URL when u is below it, as Do, apizeetest's Fault.Path and
// Request.Path take it ("/tickets/82070" for https://cloud.apizee.com/api/tickets/82070);
// the absolute path of any other URL (a media file: "/media/showVideo/...").
func (c *Client) reportedPath(u *url.URL) string {
	if u == nil {
		return ""
	}
	p := u.EscapedPath()
	if base := c.cfg.baseURL.EscapedPath(); base != "" && c.onAPIHost(u) {
		switch {
		case p == base:
			p = "/"
		case strings.HasPrefix(p, base+"/"):
			p = p[len(base):]
		}
	}
	return redact.String(p)
}

// onAPIHost reports whether u is on the base URL's host, the only host that
// may receive the bearer token.
func (c *Client) onAPIHost(u *url.URL) bool {
	return equalFoldASCII(u.Scheme, c.cfg.baseURL.Scheme) && equalFoldASCII(u.Host, c.cfg.baseURL.Host)
}

// equalFoldASCII reports whether a and b are equal but for the case of
// their ASCII letters. strings.EqualFold folds Unicode too: "\u212Aiosk"
// (the Kelvin sign) would equal "kiosk", a host net/http dials by its
// punycode name, which is another domain.
func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range len(a) {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// endpoint returns the absolute URL of path (relative to the base URL, and
// unescaped: it is set as URL.Path, which escapes it) with query.
func (c *Client) endpoint(path string, query url.Values) *url.URL {
	u := *c.cfg.baseURL
	u.Path = c.cfg.baseURL.Path + path
	u.RawQuery = query.Encode()
	return &u
}

// request is one API call for send.
type request struct {
	method string
	url    *url.URL
	form   url.Values // an application/x-www-form-urlencoded body (only /token has one)
	// noAuth sends the call without a bearer token (the /token call itself).
	noAuth bool
	// bearer is sent instead of the cached token, and never renewed (the
	// revoke call, whose token has already left the cache).
	bearer *Token
	// accept overrides the Accept header (media files are not JSON).
	accept string
	// opts are the caller's CallOptions.
	opts []CallOption
	// noContentOK lets a 204 or 205 answer, which has no body, leave out
	// as it is (Do); a service method expects its JSON document.
	noContentOK bool
}

// response is a 2xx answer and the secrets of the call that got it, which
// an error quoting its body must mask.
type response struct {
	*http.Response
	secrets retry.Secrets
}

// call is the pipeline every service method uses: it sends method path?query
// and decodes the JSON answer into out (nil: the body is discarded).
func (c *Client) call(ctx context.Context, method, path string, query url.Values, out any, opts ...CallOption) error {
	return c.exchange(ctx, request{method: method, url: c.endpoint(path, query), opts: opts}, out)
}

// exchange sends r and decodes a 2xx JSON answer into out; out nil discards
// the body. It is the one function behind call and Do.
func (c *Client) exchange(ctx context.Context, r request, out any) error {
	resp, err := c.send(ctx, r)
	if err != nil {
		return err
	}
	noContent := resp.StatusCode == http.StatusNoContent || resp.StatusCode == http.StatusResetContent
	if out == nil || (r.noContentOK && noContent) {
		drain(resp.Response)
		return nil
	}
	return decodeJSON(resp.Response, r.method, c.reportedPath(r.url), out, resp.secrets[:]...)
}

// send makes one API call through the retry layer and returns a 2xx
// response with its body open for the caller to read and close. Any other
// outcome is an *APIError or *RequestError. The bearer token goes only to
// the API host; a 401 with a token the client can renew drops it and
// replays the call once with a new one. The Responses of ResponseInto are
// filled with the answer returned, whatever the outcome.
//
// send is where every call enters the pipeline, so it is where a nil
// context is refused: net/http would refuse it too, but the token cache and
// the rate limiter would panic on it first.
func (c *Client) send(ctx context.Context, r request) (response, error) {
	if ctx == nil {
		return response{}, errNilContext
	}
	opts := newCallOptions(r.opts)
	path := c.reportedPath(r.url)
	call := &retry.Call{Context: ctx, Policy: c.policy, Method: r.method, Path: path, Logger: c.cfg.logger}
	withToken := !r.noAuth && c.onAPIHost(r.url)
	// A nil interface, not a nil []byte: go-retryablehttp would give a
	// bodiless GET an empty body reader, which net/http then has to probe.
	var body any
	if r.form != nil {
		body = []byte(r.form.Encode())
	}
	for replayed := false; ; replayed = true {
		// The request's context is the call, which the retry layer reads
		// (see retry.Call). Its URL is r.url itself: formatting it for
		// NewRequest to parse again would only cost two copies.
		req, err := retryablehttp.NewRequestWithContext(call, r.method, "", body)
		if err != nil {
			opts.fill(nil, call.Attempts)
			return response{}, &RequestError{Method: r.method, Path: path, Err: err}
		}
		req.URL, req.Host = r.url, r.url.Host // Host as NewRequest sets it: transports may read it
		// Header values are shared, read-only slices: a RoundTripper must
		// not modify the request, and net/http copies the headers it changes.
		req.Header["Accept"] = acceptJSON
		if r.accept != "" {
			req.Header["Accept"] = []string{r.accept}
		}
		req.Header["User-Agent"] = c.userAgentHeader
		if r.form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		tok := r.bearer
		if withToken && tok == nil {
			if tok, err = c.tokens.token(ctx); err != nil {
				opts.fill(nil, call.Attempts)
				return response{}, err
			}
		}
		var accessToken string
		if withToken {
			accessToken = tok.AccessToken
			req.Header["Authorization"] = c.authorization(accessToken)
		}
		call.SetSecrets(c.secrets(tok))
		resp, err := c.retrying.Do(req)
		if err != nil {
			opts.fill(nil, call.Attempts)
			return response{}, &RequestError{Method: r.method, Path: path, Attempts: call.Attempts, Err: maskTransportError(err, call.Secrets())}
		}
		// Only the API can reject the token: a 401 from a host a redirect
		// led to (which got no token) says nothing of it, and dropping the
		// token for it would let any such host make the client fetch a new
		// one at every call.
		if resp.StatusCode == http.StatusUnauthorized && withToken && !replayed && r.bearer == nil && c.tokens.renewable() &&
			(resp.Request == nil || c.onAPIHost(resp.Request.URL)) {
			drain(resp)
			c.tokens.invalidate(accessToken)
			continue
		}
		secrets := call.Secrets()
		opts.fill(resp, call.Attempts, secrets[:]...)
		if resp.StatusCode < 200 || resp.StatusCode > 299 {
			return response{}, newAPIError(resp, r.method, path, call)
		}
		return response{Response: resp, secrets: secrets}, nil
	}
}

// secrets returns the secrets of a call that sent tok (nil: no token).
func (c *Client) secrets(tok *Token) retry.Secrets {
	s := retry.Secrets{c.cfg.password, c.cfg.assertion, c.cfg.token}
	if tok != nil {
		s[3] = tok.AccessToken
	}
	return s
}

// errNilContext is the error of every call given a nil context.
var errNilContext = invalid("Context", "is nil: pass context.Background() or the caller's context")

// contextErr is ctx.Err() as an error of the SDK (its text starts with
// "apizee: "; errors.Is(err, context.Canceled) holds), and errNilContext for
// a nil ctx: the check of the places that use a context outside the
// pipeline (the pager, the enterprise look-up, the memory store, the rate
// limiter, the waits of CreateOnce).
func contextErr(ctx context.Context) error {
	if ctx == nil {
		return errNilContext
	}
	if err := ctx.Err(); err != nil {
		return errorf("apizee: %w", err)
	}
	return nil
}

// acceptJSON is the Accept header of the API's calls.
var acceptJSON = []string{"application/json"}

// bearerHeader is an Authorization header value and the token it carries.
type bearerHeader struct {
	token string
	value []string
}

// authorization returns the Authorization header that carries token, built
// once per token rather than once per request.
func (c *Client) authorization(token string) []string {
	if b := c.bearer.Load(); b != nil && b.token == token {
		return b.value
	}
	b := &bearerHeader{token: token, value: []string{"Bearer " + token}}
	c.bearer.Store(b)
	return b.value
}

func (c *Client) userAgent() string {
	if c.cfg.userAgent == "" {
		return userAgentBase
	}
	return c.cfg.userAgent + " " + userAgentBase
}

// drain reads a little of a body we will not use, so the connection can be
// reused, and closes it.
func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
	resp.Body.Close()
}

// enterprise returns the enterprise id: the configured one, or the one read
// once from GET /users/me. A failed read is not cached.
func (c *Client) enterprise(ctx context.Context) (int64, error) {
	if c.cfg.enterpriseID > 0 {
		return c.cfg.enterpriseID, nil
	}
	if ctx == nil {
		return 0, errNilContext
	}
	select {
	case c.enterpriseLookup <- struct{}{}:
		defer func() { <-c.enterpriseLookup }()
	case <-ctx.Done():
		return 0, contextErr(ctx)
	}
	if c.enterpriseID > 0 {
		return c.enterpriseID, nil
	}
	var me struct {
		Enterprise *struct {
			ID flexInt64 `json:"id"`
		} `json:"enterprise"`
		EnterpriseID      flexInt64 `json:"enterprise_id"`
		EnterpriseIDCamel flexInt64 `json:"enterpriseId"`
	}
	if err := c.call(ctx, http.MethodGet, "/users/me", nil, &me); err != nil {
		return 0, errorf("apizee: reading the enterprise id from /users/me (or set WithEnterpriseID): %w", err)
	}
	id := int64(me.EnterpriseID)
	if me.Enterprise != nil && me.Enterprise.ID > 0 {
		id = int64(me.Enterprise.ID)
	}
	if id <= 0 {
		id = int64(me.EnterpriseIDCamel)
	}
	if id <= 0 {
		return 0, fmt.Errorf("apizee: GET /users/me did not name an enterprise id: set WithEnterpriseID")
	}
	c.enterpriseID = id
	return id, nil
}
