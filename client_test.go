package apizee_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee"
)

var fastRetries = apizee.RetryPolicy{MaxRetries: 2, MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond}

// attempt is one request seen by recordingTransport.
type attempt struct {
	Method, Path, Query, Auth, UserAgent string
}

// recordingTransport is the base transport a user would wrap: it records
// every request that reaches it.
type recordingTransport struct {
	base http.RoundTripper
	mu   sync.Mutex
	seen []attempt
}

func newRecordingTransport(t *testing.T) *recordingTransport {
	base := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(base.CloseIdleConnections)
	return &recordingTransport{base: base}
}

func (rt *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	rt.mu.Lock()
	rt.seen = append(rt.seen, attempt{Method: req.Method, Path: req.URL.Path, Query: req.URL.RawQuery,
		Auth: req.Header.Get("Authorization"), UserAgent: req.Header.Get("User-Agent")})
	rt.mu.Unlock()
	return rt.base.RoundTrip(req)
}

func (rt *recordingTransport) attempts() []attempt {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return append([]attempt(nil), rt.seen...)
}

func (rt *recordingTransport) count(method, path string) int {
	n := 0
	for _, a := range rt.attempts() {
		if a.Method == method && a.Path == path {
			n++
		}
	}
	return n
}

func (rt *recordingTransport) client() *http.Client { return &http.Client{Transport: rt} }

// server is an httptest server under /api with a /token endpoint that
// issues "token-N", and handler for everything else.
type server struct {
	*httptest.Server
	tokens atomic.Int32
}

func newServer(t *testing.T, handler http.HandlerFunc) *server {
	s := &server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/token" {
			n := s.tokens.Add(1)
			fmt.Fprintf(w, `{"access_token":"token-%d","expires_in":86400}`, n)
			return
		}
		handler(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *server) base() string { return s.URL + "/api" }

// get fetches base+path through the client's pipeline (a media download is
// the one public call that takes any URL) and reads the body.
func get(ctx context.Context, c *apizee.Client, url string) (string, error) {
	rc, err := c.Media.Open(ctx, &apizee.Media{URL: url})
	if err != nil {
		return "", err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	return string(b), err
}

func ok(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, `{"ok":true}`) }

// failFirst answers the first n requests with status (and header pairs),
// then delegates to next.
func failFirst(n int32, status int, next http.HandlerFunc, header ...string) http.HandlerFunc {
	var seen atomic.Int32
	return func(w http.ResponseWriter, r *http.Request) {
		if seen.Add(1) <= n {
			for i := 0; i+1 < len(header); i += 2 {
				w.Header().Set(header[i], header[i+1])
			}
			w.WriteHeader(status)
			fmt.Fprintf(w, `{"message":"failure %d"}`, status)
			return
		}
		next(w, r)
	}
}

// dropFirst closes the connection of the first n requests after reading
// them whole: the server got the request, the client gets no answer.
func dropFirst(n int32, next http.HandlerFunc) http.HandlerFunc {
	var seen atomic.Int32
	return func(w http.ResponseWriter, r *http.Request) {
		if seen.Add(1) <= n {
			_, _ = io.Copy(io.Discard, r.Body)
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		next(w, r)
	}
}

func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

func requireValidationError(t *testing.T, err error, field string) {
	t.Helper()
	var ve *apizee.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, field, ve.Field, "%v", err)
}

type nilSafeLimiter struct{}

func (nilSafeLimiter) Wait(context.Context) error { return nil }

type nilSafeSource struct{}

func (nilSafeSource) Token(context.Context) (*apizee.Token, error) {
	return &apizee.Token{AccessToken: "x"}, nil
}

func TestNewClientWithEveryOption(t *testing.T) {
	rt := newRecordingTransport(t)
	logger, _ := debugLogger()
	for name, auth := range map[string]apizee.Option{
		"credentials":  apizee.WithCredentials("agent@example.com", "pw"),
		"assertion":    apizee.WithJWTAssertion("a.b.c"),
		"token":        apizee.WithToken("tok"),
		"token source": apizee.WithTokenSource(nilSafeSource{}),
	} {
		t.Run(name, func(t *testing.T) {
			c, err := apizee.NewClient(
				apizee.WithBaseURL("https://valid2.apizee.com/api/v3/"),
				auth,
				apizee.WithEnterpriseID(42),
				nil, // a nil option is ignored, not the ones after it
				apizee.WithHTTPClient(rt.client()),
				apizee.WithRetryPolicy(apizee.RetryPolicy{MaxRetries: 5, MinBackoff: time.Second, MaxBackoff: time.Minute, MaxRetryAfter: 2 * time.Minute}),
				apizee.WithRateLimiter(nilSafeLimiter{}),
				apizee.WithLogger(logger),
				apizee.WithUserAgent("crm-connector/2.1"),
			)
			require.NoError(t, err)
			require.NotNil(t, c.Tickets)
			require.NotNil(t, c.Conferences)
			require.NotNil(t, c.Media)
			require.NotNil(t, c.Stats)
			require.NotNil(t, c.Sessions)
			s := c.String()
			assert.Contains(t, s, `BaseURL:"https://valid2.apizee.com/api/v3"`, "the trailing slash is dropped")
			assert.Contains(t, s, "EnterpriseID:42")
			assert.Contains(t, s, "MaxRetries:5")
			assert.Contains(t, s, `UserAgent:"crm-connector/2.1"`)
			assert.Contains(t, s, "RateLimiter:true, Logger:true")
			assert.Empty(t, rt.attempts(), "NewClient makes no request")
		})
	}
}

func TestNewClientDefaults(t *testing.T) {
	c, err := apizee.NewClient(apizee.WithToken("tok"))
	require.NoError(t, err)
	assert.Contains(t, c.String(), `BaseURL:"`+apizee.DefaultBaseURL+`"`)
	assert.Contains(t, c.String(), "RateLimiter:false, Logger:false")
	assert.Equal(t, apizee.RetryPolicy{MaxRetries: 3, MinBackoff: 500 * time.Millisecond, MaxBackoff: 30 * time.Second, MaxRetryAfter: time.Minute}, apizee.DefaultRetryPolicy())
}

func TestNewClientRefusesBadOptions(t *testing.T) {
	auth := apizee.WithToken("tok")
	tests := []struct {
		name  string
		opts  []apizee.Option
		field string
	}{
		{"no way to authenticate", nil, "Credentials"},
		{"relative base URL", []apizee.Option{auth, apizee.WithBaseURL("/api")}, "BaseURL"},
		{"base URL without scheme", []apizee.Option{auth, apizee.WithBaseURL("cloud.apizee.com/api")}, "BaseURL"},
		{"empty base URL", []apizee.Option{auth, apizee.WithBaseURL("")}, "BaseURL"},
		{"base URL without host", []apizee.Option{auth, apizee.WithBaseURL("https:///api")}, "BaseURL"},
		{"plain http to a remote host", []apizee.Option{auth, apizee.WithBaseURL("http://cloud.apizee.com/api")}, "BaseURL"},
		{"plain http to a private address", []apizee.Option{auth, apizee.WithBaseURL("http://10.0.0.1/api")}, "BaseURL"},
		{"plain http to a look-alike of localhost", []apizee.Option{auth, apizee.WithBaseURL("http://localhost.example.com/api")}, "BaseURL"},
		{"other scheme", []apizee.Option{auth, apizee.WithBaseURL("ftp://cloud.apizee.com/api")}, "BaseURL"},
		{"user info", []apizee.Option{auth, apizee.WithBaseURL("https://bob:hunter2@cloud.apizee.com/api")}, "BaseURL"},
		{"query", []apizee.Option{auth, apizee.WithBaseURL("https://cloud.apizee.com/api?access_token=x")}, "BaseURL"},
		{"fragment", []apizee.Option{auth, apizee.WithBaseURL("https://cloud.apizee.com/api#top")}, "BaseURL"},
		{"unparsable", []apizee.Option{auth, apizee.WithBaseURL("https://cloud.apizee.com/%zz")}, "BaseURL"},
		{"empty username", []apizee.Option{apizee.WithCredentials(" ", "pw")}, "Username"},
		{"empty password", []apizee.Option{apizee.WithCredentials("bob", "")}, "Password"},
		{"empty assertion", []apizee.Option{apizee.WithJWTAssertion("")}, "Assertion"},
		{"empty token", []apizee.Option{apizee.WithToken(" ")}, "Token"},
		{"nil token source", []apizee.Option{apizee.WithTokenSource(nil)}, "TokenSource"},
		{"nil HTTP client", []apizee.Option{auth, apizee.WithHTTPClient(nil)}, "HTTPClient"},
		{"nil rate limiter", []apizee.Option{auth, apizee.WithRateLimiter(nil)}, "RateLimiter"},
		{"zero enterprise id", []apizee.Option{auth, apizee.WithEnterpriseID(0)}, "EnterpriseID"},
		{"negative enterprise id", []apizee.Option{auth, apizee.WithEnterpriseID(-3)}, "EnterpriseID"},
		{"line break in the user agent", []apizee.Option{auth, apizee.WithUserAgent("crm/1\r\nX-Evil: 1")}, "UserAgent"},
		{"negative MaxRetries", []apizee.Option{auth, apizee.WithRetryPolicy(apizee.RetryPolicy{MaxRetries: -1})}, "RetryPolicy.MaxRetries"},
		{"negative MinBackoff", []apizee.Option{auth, apizee.WithRetryPolicy(apizee.RetryPolicy{MinBackoff: -time.Second})}, "RetryPolicy.MinBackoff"},
		{"negative MaxBackoff", []apizee.Option{auth, apizee.WithRetryPolicy(apizee.RetryPolicy{MaxBackoff: -time.Second})}, "RetryPolicy.MaxBackoff"},
		{"negative MaxRetryAfter", []apizee.Option{auth, apizee.WithRetryPolicy(apizee.RetryPolicy{MaxRetryAfter: -time.Second})}, "RetryPolicy.MaxRetryAfter"},
		{"MinBackoff above MaxBackoff", []apizee.Option{auth, apizee.WithRetryPolicy(apizee.RetryPolicy{MinBackoff: 2 * time.Second, MaxBackoff: time.Second})}, "RetryPolicy.MinBackoff"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := apizee.NewClient(tt.opts...)
			assert.Nil(t, c)
			requireValidationError(t, err, tt.field)
			assert.NotContains(t, err.Error(), "hunter2")
		})
	}
}

func TestBaseURLLoopbackHTTP(t *testing.T) {
	for _, u := range []string{
		"https://cloud.apizee.com/api",
		"https://valid2.apizee.com/api/v3",
		"http://localhost/api",
		"http://LOCALHOST:8080/api",
		"http://127.0.0.1:8080/api",
		"http://127.0.0.2/api",
		"http://[::1]:9000/api",
	} {
		t.Run(u, func(t *testing.T) {
			_, err := apizee.NewClient(apizee.WithToken("tok"), apizee.WithBaseURL(u))
			assert.NoError(t, err)
		})
	}
}

func TestAuthOptionsReplaceEachOther(t *testing.T) {
	// The last way of authenticating wins: a token given after credentials
	// means no /token call.
	rt := newRecordingTransport(t)
	srv := newServer(t, ok)
	c, err := apizee.NewClient(apizee.WithBaseURL(srv.base()), apizee.WithHTTPClient(rt.client()),
		apizee.WithCredentials("bob", "pw"), apizee.WithToken("fixed"))
	require.NoError(t, err)
	_, err = get(t.Context(), c, srv.base()+"/x")
	require.NoError(t, err)
	assert.Zero(t, rt.count(http.MethodPost, "/api/token"))
	assert.Equal(t, "Bearer fixed", rt.attempts()[0].Auth)
}

func TestNewClientFromEnv(t *testing.T) {
	rt := newRecordingTransport(t)
	srv := newServer(t, ok)
	t.Setenv("APIZEE_BASE_URL", srv.base())
	t.Setenv("APIZEE_USERNAME", "env-user")
	t.Setenv("APIZEE_PASSWORD", "env-password")
	t.Setenv("APIZEE_TOKEN", "")
	t.Setenv("APIZEE_ENTERPRISE_ID", "777")

	c, err := apizee.NewClientFromEnv(apizee.WithHTTPClient(rt.client()))
	require.NoError(t, err)
	assert.Contains(t, c.String(), `BaseURL:"`+srv.base()+`"`)
	assert.Contains(t, c.String(), `"env-user"`)
	assert.Contains(t, c.String(), "EnterpriseID:777")
	_, err = get(t.Context(), c, srv.base()+"/x")
	require.NoError(t, err)
	assert.Equal(t, 1, rt.count(http.MethodPost, "/api/token"), "the env credentials are used")

	// APIZEE_TOKEN wins over the username and password.
	t.Setenv("APIZEE_TOKEN", "env-token")
	rt = newRecordingTransport(t)
	c, err = apizee.NewClientFromEnv(apizee.WithHTTPClient(rt.client()))
	require.NoError(t, err)
	_, err = get(t.Context(), c, srv.base()+"/x")
	require.NoError(t, err)
	assert.Zero(t, rt.count(http.MethodPost, "/api/token"))
	assert.Equal(t, "Bearer env-token", rt.attempts()[0].Auth)

	// Explicit options win over every variable.
	other := newServer(t, ok)
	rt = newRecordingTransport(t)
	c, err = apizee.NewClientFromEnv(apizee.WithHTTPClient(rt.client()), apizee.WithBaseURL(other.base()),
		apizee.WithToken("option-token"), apizee.WithEnterpriseID(9))
	require.NoError(t, err)
	assert.Contains(t, c.String(), `BaseURL:"`+other.base()+`"`)
	assert.Contains(t, c.String(), "EnterpriseID:9")
	_, err = get(t.Context(), c, other.base()+"/x")
	require.NoError(t, err)
	assert.Equal(t, "Bearer option-token", rt.attempts()[0].Auth)
	c, err = apizee.NewClientFromEnv(apizee.WithCredentials("option-user", "option-password"))
	require.NoError(t, err)
	assert.Contains(t, c.String(), `"option-user"`)
}

func TestNewClientFromEnvRefusesBadValues(t *testing.T) {
	t.Setenv("APIZEE_TOKEN", "tok")
	t.Setenv("APIZEE_ENTERPRISE_ID", "not-a-number")
	_, err := apizee.NewClientFromEnv()
	requireValidationError(t, err, "EnterpriseID")

	t.Setenv("APIZEE_ENTERPRISE_ID", "")
	t.Setenv("APIZEE_BASE_URL", "http://cloud.apizee.com/api")
	_, err = apizee.NewClientFromEnv()
	requireValidationError(t, err, "BaseURL")

	t.Setenv("APIZEE_BASE_URL", "")
	t.Setenv("APIZEE_TOKEN", "")
	t.Setenv("APIZEE_USERNAME", "")
	t.Setenv("APIZEE_PASSWORD", "")
	_, err = apizee.NewClientFromEnv()
	requireValidationError(t, err, "Credentials")

	// Half of a pair is a mistake to name, not the absence of both.
	t.Setenv("APIZEE_USERNAME", "agent@example.com")
	_, err = apizee.NewClientFromEnv()
	requireValidationError(t, err, "Password")
	t.Setenv("APIZEE_USERNAME", "")
	t.Setenv("APIZEE_PASSWORD", "pw")
	_, err = apizee.NewClientFromEnv()
	requireValidationError(t, err, "Username")
}

func TestUserAgent(t *testing.T) {
	srv := newServer(t, ok)
	for _, tt := range []struct {
		product, want string
	}{
		{"", "apizee-go/" + apizee.Version},
		{"crm-connector/2.1", "crm-connector/2.1 apizee-go/" + apizee.Version},
	} {
		rt := newRecordingTransport(t)
		c, err := apizee.NewClient(apizee.WithBaseURL(srv.base()), apizee.WithCredentials("bob", "pw"),
			apizee.WithHTTPClient(rt.client()), apizee.WithUserAgent(tt.product))
		require.NoError(t, err)
		_, err = get(t.Context(), c, srv.base()+"/x")
		require.NoError(t, err)
		seen := rt.attempts()
		require.Len(t, seen, 2)
		for _, a := range seen {
			assert.Equal(t, tt.want, a.UserAgent, "%s %s", a.Method, a.Path)
		}
	}
	assert.Equal(t, "0.2.0", apizee.Version)
}

func TestHTTPClientTransportSeesEveryAttempt(t *testing.T) {
	rt := newRecordingTransport(t)
	srv := newServer(t, failFirst(2, http.StatusServiceUnavailable, ok))
	c, err := apizee.NewClient(apizee.WithBaseURL(srv.base()), apizee.WithCredentials("bob", "pw"),
		apizee.WithHTTPClient(rt.client()), apizee.WithRetryPolicy(fastRetries))
	require.NoError(t, err)

	_, err = get(t.Context(), c, srv.base()+"/media/1")
	require.NoError(t, err)
	assert.Equal(t, []attempt{
		{Method: "POST", Path: "/api/token", UserAgent: "apizee-go/" + apizee.Version},
		{Method: "GET", Path: "/api/media/1", Auth: "Bearer token-1", UserAgent: "apizee-go/" + apizee.Version},
		{Method: "GET", Path: "/api/media/1", Auth: "Bearer token-1", UserAgent: "apizee-go/" + apizee.Version},
		{Method: "GET", Path: "/api/media/1", Auth: "Bearer token-1", UserAgent: "apizee-go/" + apizee.Version},
	}, rt.attempts())
}

func TestHTTPClientTimeoutBoundsEachAttempt(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	var hits atomic.Int32
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) == 1 {
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		ok(w, r)
	})
	c, err := apizee.NewClient(apizee.WithBaseURL(srv.base()), apizee.WithToken("tok"),
		apizee.WithHTTPClient(&http.Client{Timeout: 200 * time.Millisecond}), apizee.WithRetryPolicy(fastRetries))
	require.NoError(t, err)
	_, err = get(t.Context(), c, srv.base()+"/slow")
	require.NoError(t, err, "a GET that timed out is retried")
	assert.Equal(t, int32(2), hits.Load())
}

func TestHTTPClientJarKeepsTheServersCookies(t *testing.T) {
	// A load balancer's affinity cookie, set on the first answer, goes back
	// with every later call when the caller's client has a jar.
	var cookies []string
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		cookies = append(cookies, r.Header.Get("Cookie"))
		http.SetCookie(w, &http.Cookie{Name: "affinity", Value: "node-7", Path: "/"})
		ok(w, r)
	})
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	c, err := apizee.NewClient(apizee.WithBaseURL(srv.base()), apizee.WithToken("tok"), apizee.WithHTTPClient(&http.Client{Jar: jar}))
	require.NoError(t, err)
	for range 2 {
		_, err = get(t.Context(), c, srv.base()+"/x")
		require.NoError(t, err)
	}
	assert.Equal(t, []string{"", "affinity=node-7"}, cookies)
}

// countingLimiter counts its Wait calls and fails them with err when set.
type countingLimiter struct {
	waits atomic.Int32
	err   error
}

func (l *countingLimiter) Wait(ctx context.Context) error {
	l.waits.Add(1)
	return l.err
}

func TestRateLimiterWaitsBeforeEveryAttempt(t *testing.T) {
	rt := newRecordingTransport(t)
	srv := newServer(t, failFirst(2, http.StatusTooManyRequests, ok, "Retry-After", "0"))
	limiter := &countingLimiter{}
	c, err := apizee.NewClient(apizee.WithBaseURL(srv.base()), apizee.WithCredentials("bob", "pw"),
		apizee.WithHTTPClient(rt.client()), apizee.WithRetryPolicy(fastRetries), apizee.WithRateLimiter(limiter))
	require.NoError(t, err)

	_, err = get(t.Context(), c, srv.base()+"/x")
	require.NoError(t, err)
	_, err = get(t.Context(), c, srv.base()+"/y")
	require.NoError(t, err)
	require.Len(t, rt.attempts(), 5, "/token, three attempts at /x, one at /y")
	assert.Equal(t, int32(5), limiter.waits.Load())
}

func TestRateLimiterErrorAbortsTheCall(t *testing.T) {
	rt := newRecordingTransport(t)
	srv := newServer(t, ok)
	boom := errors.New("limiter closed")
	limiter := &countingLimiter{err: boom}
	c, err := apizee.NewClient(apizee.WithBaseURL(srv.base()), apizee.WithToken("tok"),
		apizee.WithHTTPClient(rt.client()), apizee.WithRetryPolicy(fastRetries), apizee.WithRateLimiter(limiter))
	require.NoError(t, err)

	_, err = get(t.Context(), c, srv.base()+"/x")
	require.ErrorIs(t, err, boom)
	assert.Equal(t, int32(1), limiter.waits.Load(), "a limiter that refuses is not asked again")
	assert.Empty(t, rt.attempts(), "no request is sent")
}

func TestGETRetries(t *testing.T) {
	tests := []struct {
		name     string
		handler  http.HandlerFunc
		attempts int
		succeeds bool
	}{
		{"429", failFirst(1, 429, ok), 2, true},
		{"500", failFirst(1, 500, ok), 2, true},
		{"502", failFirst(1, 502, ok), 2, true},
		{"503", failFirst(1, 503, ok), 2, true},
		{"504", failFirst(1, 504, ok), 2, true},
		{"dropped connection", dropFirst(1, ok), 2, true},
		{"501 is not retried", failFirst(1, 501, ok), 1, false},
		{"400 is not retried", failFirst(1, 400, ok), 1, false},
		{"401 is not retried", failFirst(1, 401, ok), 1, false},
		{"403 is not retried", failFirst(1, 403, ok), 1, false},
		{"404 is not retried", failFirst(1, 404, ok), 1, false},
		{"409 is not retried", failFirst(1, 409, ok), 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt := newRecordingTransport(t)
			srv := newServer(t, tt.handler)
			c, err := apizee.NewClient(apizee.WithBaseURL(srv.base()), apizee.WithToken("tok"),
				apizee.WithHTTPClient(rt.client()), apizee.WithRetryPolicy(fastRetries))
			require.NoError(t, err)
			_, err = get(t.Context(), c, srv.base()+"/x")
			assert.Equal(t, tt.succeeds, err == nil, "%v", err)
			assert.Equal(t, tt.attempts, rt.count(http.MethodGet, "/api/x"))
		})
	}
}

// The only POST of the foundation is /token: it follows the POST policy.
func TestPOSTRetries(t *testing.T) {
	tests := []struct {
		name     string
		token    http.HandlerFunc
		attempts int
		succeeds bool
	}{
		{"429 is retried", failFirst(1, 429, issueToken), 2, true},
		{"500 is not retried", failFirst(1, 500, issueToken), 1, false},
		{"502 is not retried", failFirst(1, 502, issueToken), 1, false},
		{"503 is not retried", failFirst(1, 503, issueToken), 1, false},
		{"a connection dropped after sending is not retried", dropFirst(1, issueToken), 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt := newRecordingTransport(t)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/api/token" {
					tt.token(w, r)
					return
				}
				ok(w, r)
			}))
			defer srv.Close()
			c, err := apizee.NewClient(apizee.WithBaseURL(srv.URL+"/api"), apizee.WithCredentials("bob", "pw"),
				apizee.WithHTTPClient(rt.client()), apizee.WithRetryPolicy(fastRetries))
			require.NoError(t, err)
			_, err = get(t.Context(), c, srv.URL+"/api/x")
			assert.Equal(t, tt.succeeds, err == nil, "%v", err)
			assert.Equal(t, tt.attempts, rt.count(http.MethodPost, "/api/token"))
		})
	}
}

func issueToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.PostForm.Get("password") != "pw" {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	fmt.Fprint(w, `{"access_token":"token-x","expires_in":3600}`)
}

func TestPOSTRetriedWhenTheConnectionIsRefused(t *testing.T) {
	rt := newRecordingTransport(t)
	base := "http://" + closedPort(t) + "/api"
	c, err := apizee.NewClient(apizee.WithBaseURL(base), apizee.WithCredentials("bob", "pw"),
		apizee.WithHTTPClient(rt.client()), apizee.WithRetryPolicy(fastRetries))
	require.NoError(t, err)

	_, err = get(t.Context(), c, base+"/x")
	var reqErr *apizee.RequestError
	require.ErrorAs(t, err, &reqErr)
	assert.Equal(t, 3, reqErr.Attempts)
	assert.Equal(t, 3, rt.count(http.MethodPost, "/api/token"), "the request never left: safe to send again")
	assert.NotErrorIs(t, err, apizee.ErrUnauthorized, "unreachable is not refused")
	assert.Contains(t, err.Error(), "connection refused")
}

func TestAttemptsOnTheFinalError(t *testing.T) {
	for _, maxRetries := range []int{0, 1, 3} {
		t.Run(fmt.Sprint(maxRetries), func(t *testing.T) {
			var hits atomic.Int32
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				w.WriteHeader(http.StatusBadGateway)
				fmt.Fprint(w, "<html><title>502 Bad Gateway</title></html>")
			})
			c, err := apizee.NewClient(apizee.WithBaseURL(srv.base()), apizee.WithToken("tok"),
				apizee.WithRetryPolicy(apizee.RetryPolicy{MaxRetries: maxRetries, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond}))
			require.NoError(t, err)
			_, err = get(t.Context(), c, srv.base()+"/x")
			var apiErr *apizee.APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, maxRetries+1, apiErr.Attempts)
			assert.Equal(t, int32(maxRetries+1), hits.Load())
			assert.Equal(t, http.StatusBadGateway, apiErr.StatusCode)
			assert.Equal(t, "502 Bad Gateway", apiErr.Message, "the last attempt's answer is returned")
			assert.ErrorIs(t, err, apizee.ErrServer)
		})
	}
}

func TestServerWaitReplacesBackoff(t *testing.T) {
	// The backoff alone would wait a minute: a zero server wait is taken
	// instead, in each of its three forms.
	for _, header := range [][]string{
		{"Retry-After", "0"},
		{"Retry-After", time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat)},
		{"X-RateLimit-Reset", "0"},
	} {
		t.Run(header[0], func(t *testing.T) {
			srv := newServer(t, failFirst(1, http.StatusTooManyRequests, ok, header...))
			c, err := apizee.NewClient(apizee.WithBaseURL(srv.base()), apizee.WithToken("tok"),
				apizee.WithRetryPolicy(apizee.RetryPolicy{MaxRetries: 1, MinBackoff: time.Minute, MaxBackoff: time.Minute}))
			require.NoError(t, err)
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			start := time.Now()
			_, err = get(ctx, c, srv.base()+"/x")
			require.NoError(t, err)
			assert.Less(t, time.Since(start), 5*time.Second)
		})
	}
}

func TestLongServerWaitReturnsAtOnce(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		header  []string
		timeout time.Duration
		wait    time.Duration
		server  bool // also ErrServer
	}{
		{"Retry-After above MaxRetryAfter", 429, []string{"Retry-After", "3600"}, 0, time.Hour, false},
		{"X-RateLimit-Reset above MaxRetryAfter", 429, []string{"X-RateLimit-Reset", "120"}, 0, 2 * time.Minute, false},
		{"HTTP date above MaxRetryAfter", 429, []string{"Retry-After", time.Now().Add(2 * time.Hour).UTC().Format(http.TimeFormat)}, 0, 2 * time.Hour, false},
		{"503 with a long Retry-After", 503, []string{"Retry-After", "3600"}, 0, time.Hour, true},
		{"wait past the deadline", 429, []string{"Retry-After", "45"}, 20 * time.Second, 45 * time.Second, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var hits atomic.Int32
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				failFirst(1, tt.status, ok, tt.header...)(w, r)
			})
			c, err := apizee.NewClient(apizee.WithBaseURL(srv.base()), apizee.WithToken("tok"),
				apizee.WithRetryPolicy(apizee.RetryPolicy{MaxRetries: 3, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond}))
			require.NoError(t, err)
			ctx := t.Context()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			start := time.Now()
			_, err = get(ctx, c, srv.base()+"/x")
			assert.Less(t, time.Since(start), 5*time.Second, "no sleeping")

			require.ErrorIs(t, err, apizee.ErrRateLimited)
			assert.Equal(t, tt.server, errors.Is(err, apizee.ErrServer))
			var apiErr *apizee.APIError
			require.ErrorAs(t, err, &apiErr)
			assert.InDelta(t, tt.wait.Seconds(), apiErr.RetryAfter.Seconds(), 2)
			assert.Equal(t, 1, apiErr.Attempts)
			assert.Equal(t, int32(1), hits.Load())
		})
	}
}

// cancelOnRetry is a log handler that cancels a context when the client
// announces a retry, that is when it starts to wait.
type cancelOnRetry struct {
	slog.Handler
	cancel context.CancelFunc
}

func (h cancelOnRetry) Enabled(context.Context, slog.Level) bool { return true }

func (h cancelOnRetry) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == "apizee: retrying request" {
		h.cancel()
	}
	return nil
}

func TestCancelDuringBackoffReturnsPromptly(t *testing.T) {
	var hits atomic.Int32
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Retry-After", "30")
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	logger := slog.New(cancelOnRetry{Handler: slog.DiscardHandler, cancel: cancel})
	c, err := apizee.NewClient(apizee.WithBaseURL(srv.base()), apizee.WithToken("tok"), apizee.WithLogger(logger))
	require.NoError(t, err)

	start := time.Now()
	_, err = get(ctx, c, srv.base()+"/x")
	assert.Less(t, time.Since(start), 5*time.Second, "the 30s wait is cut short")
	require.ErrorIs(t, err, context.Canceled)
	var reqErr *apizee.RequestError
	require.ErrorAs(t, err, &reqErr)
	assert.Equal(t, 1, reqErr.Attempts)
	assert.Equal(t, int32(1), hits.Load())
}

func TestValidationErrorSendsNoRequest(t *testing.T) {
	rt := newRecordingTransport(t)
	c, err := apizee.NewClient(apizee.WithBaseURL("https://cloud.apizee.com/api"), apizee.WithCredentials("bob", "pw"),
		apizee.WithHTTPClient(rt.client()))
	require.NoError(t, err)
	ctx := t.Context()

	_, err = c.Media.Open(ctx, nil)
	requireValidationError(t, err, "Media")
	_, err = c.Media.Open(ctx, &apizee.Media{URL: "/relative/file.mp4"})
	requireValidationError(t, err, "URL")
	_, err = c.Media.ListForTicket(ctx, 0, nil)
	requireValidationError(t, err, "TicketID")
	_, err = c.Media.ListForConference(ctx, 842199, &apizee.ListMediaParams{Limit: -1})
	requireValidationError(t, err, "Limit")
	_, err = c.Media.ListForConference(ctx, 842199, &apizee.ListMediaParams{Order: "sideways"})
	requireValidationError(t, err, "Order")
	for m, err := range c.Media.AllForConference(ctx, -1, nil) {
		assert.Nil(t, m)
		requireValidationError(t, err, "ConferenceID")
	}
	assert.Empty(t, rt.attempts(), "no request (not even /token) before validation passes")
}

func TestClosedContextSendsNothing(t *testing.T) {
	rt := newRecordingTransport(t)
	srv := newServer(t, ok)
	c, err := apizee.NewClient(apizee.WithBaseURL(srv.base()), apizee.WithToken("tok"), apizee.WithHTTPClient(rt.client()))
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = get(ctx, c, srv.base()+"/x")
	require.ErrorIs(t, err, context.Canceled)
	assert.False(t, strings.Contains(err.Error(), "tok"), "%v", err)
}

func debugLogger() (*slog.Logger, *strings.Builder) {
	var buf strings.Builder
	return slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})), &buf
}
