package apizee

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func debugLogger() (*slog.Logger, *syncBuffer) {
	buf := &syncBuffer{}
	return slog.New(slog.NewJSONHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}

// errorTexts is every text a caller can get out of err: its message, its
// fmt forms, and the message of every error it wraps.
func errorTexts(err error) []string {
	var out []string
	var walk func(error)
	walk = func(e error) {
		if e == nil {
			return
		}
		out = append(out, e.Error(), fmt.Sprintf("%v|%+v|%#v|%s|%q", e, e, e, e, e))
		switch u := e.(type) {
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		case interface{ Unwrap() []error }:
			for _, inner := range u.Unwrap() {
				walk(inner)
			}
		}
	}
	walk(err)
	return out
}

func assertNoSecret(t *testing.T, what, text string, secrets []string) {
	t.Helper()
	for _, s := range secrets {
		require.NotEmpty(t, s)
		assert.NotContains(t, text, s, "%s reveals a secret", what)
	}
}

func TestSecretsStayOutOfLogsErrorsAndPrints(t *testing.T) {
	f := newFakeAPI(t)
	var flaky atomic.Int32
	f.route("/flaky", func(w http.ResponseWriter, r *http.Request) {
		if flaky.Add(1) <= 2 {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(w, `{"message":"try again"}`)
			return
		}
		fmt.Fprint(w, `{"ok":true}`)
	})
	f.route("/echo-error", func(w http.ResponseWriter, r *http.Request) {
		// A server that quotes the request in its error.
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"message":"bad request with %s","details":"Authorization: %s","access_token":%q}`,
			r.URL.String(), r.Header.Get("Authorization"), f.bearer(r))
	})
	f.route("/slow-down", respond(http.StatusTooManyRequests, `{"error":"Too many requests"}`, "Retry-After", "3600"))
	logger, logs := debugLogger()
	c := f.client(t, WithLogger(logger))
	ctx := t.Context()

	var errs []error
	require.NoError(t, ping(ctx, c)) // token fetch
	f.expireTokens()
	require.NoError(t, ping(ctx, c)) // 401, new token, replay
	require.NoError(t, c.call(ctx, http.MethodGet, "/flaky", nil, &struct{}{}))
	errs = append(errs, c.call(ctx, http.MethodGet, "/echo-error", url.Values{"access_token": {f.issuedTokens()[1]}}, &struct{}{}))
	// A client of its own: the hour it is told to wait holds its later calls back.
	told := f.client(t, WithLogger(logger))
	errs = append(errs, told.call(ctx, http.MethodGet, "/slow-down", nil, &struct{}{}))
	errs = append(errs, told.call(ctx, http.MethodGet, "/slow-down", nil, &struct{}{}))
	errs = append(errs, c.call(ctx, http.MethodGet, "/missing", nil, &struct{}{}))
	tok, err := c.tokens.token(ctx)
	require.NoError(t, err)
	require.NoError(t, c.Close(ctx))

	wrong := f.client(t, WithLogger(logger), WithCredentials(fakeUser, fakePassword+"-wrong"))
	errs = append(errs, ping(ctx, wrong))

	secrets := append(f.issuedTokens(), fakePassword)
	require.GreaterOrEqual(t, len(secrets), 3, "the flow fetched two tokens")
	for _, err := range errs {
		require.Error(t, err)
		for _, text := range errorTexts(err) {
			assertNoSecret(t, "an error", text, secrets)
		}
	}

	logger.Info("state", "client", c, "config", c.cfg, "token", *tok, "token_ptr", tok)
	log := logs.String()
	assert.Contains(t, log, "apizee: http attempt", "attempts are logged at debug level")
	assert.Contains(t, log, "apizee: retrying request", "retries are logged")
	assert.Contains(t, log, `"status":401`)
	assertNoSecret(t, "the log", log, secrets)

	for name, v := range map[string]any{"token": *tok, "token pointer": tok, "tokens": []Token{*tok}, "client": c, "config": c.cfg, "config pointer": &c.cfg} {
		assertNoSecret(t, name, fmt.Sprintf("%v %+v %#v %s", v, v, v, v), secrets)
	}
	assert.Contains(t, c.String(), fakeUser, "the client's description names the account")
}

func TestConfigPrintsEveryAuthRedacted(t *testing.T) {
	const assertion = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.c2lnbmF0dXJl"
	for name, opt := range map[string]Option{
		"password":  WithCredentials(fakeUser, fakePassword),
		"assertion": WithJWTAssertion(assertion),
		"token":     WithToken("fixed-s3cr3t"),
	} {
		t.Run(name, func(t *testing.T) {
			c, err := NewClient(opt)
			require.NoError(t, err)
			for _, v := range []any{c, c.cfg, &c.cfg} {
				s := fmt.Sprintf("%v %+v %#v %s", v, v, v, v)
				for _, secret := range []string{fakePassword, assertion, "fixed-s3cr3t"} {
					assert.NotContains(t, s, secret)
				}
			}
		})
	}
}

func TestBearerTokenGoesOnlyToTheAPIHost(t *testing.T) {
	var otherAuth sync.Map // path -> Authorization
	var otherHits atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		otherHits.Add(1)
		otherAuth.Store(r.URL.Path, r.Header.Get("Authorization"))
		fmt.Fprint(w, `{"ok":true}`)
	}))
	defer other.Close()
	otherURL, err := url.Parse(other.URL)
	require.NoError(t, err)

	f := newFakeAPI(t)
	// The same host name on another port is another origin.
	f.route("/out-port", redirectTo(other.URL+"/landing-port"))
	// Another host name: net/http itself strips the header there.
	f.route("/out-name", redirectTo("http://localhost:"+otherURL.Port()+"/landing-name"))
	// A redirect within the API host keeps the token (the fake checks it).
	f.route("/in", redirectTo("/api/ping"))
	c := f.client(t)
	ctx := t.Context()

	require.NoError(t, c.call(ctx, http.MethodGet, "/in", nil, &struct{}{}))
	assert.Equal(t, 1, f.count(http.MethodGet, "/ping"))
	assert.Equal(t, "Bearer "+f.issuedTokens()[0], f.recorded(http.MethodGet, "/ping")[0].Auth)

	for _, path := range []string{"/out-port", "/out-name"} {
		require.NoError(t, c.call(ctx, http.MethodGet, path, nil, &struct{}{}))
	}
	for _, path := range []string{"/landing-port", "/landing-name"} {
		auth, seen := otherAuth.Load(path)
		require.True(t, seen, path)
		assert.Empty(t, auth, "a redirect to another host carries no token: %s", path)
	}

	// A URL on another host built through the pipeline (a media URL).
	before := f.count(http.MethodPost, "/token")
	u, _ := url.Parse(other.URL + "/direct")
	resp, err := c.send(ctx, request{method: http.MethodGet, url: u})
	require.NoError(t, err)
	drain(resp.Response)
	auth, _ := otherAuth.Load("/direct")
	assert.Empty(t, auth)
	assert.Equal(t, before, f.count(http.MethodPost, "/token"))

	// Same host, other scheme: not the API's origin either.
	assert.False(t, c.onAPIHost(&url.URL{Scheme: "https", Host: strings.TrimPrefix(f.URL, "http://")}))
	assert.Equal(t, int32(3), otherHits.Load())
}

func redirectTo(location string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, location, http.StatusFound)
	}
}

func TestRedirectLoopStops(t *testing.T) {
	f := newFakeAPI(t)
	f.route("/loop", redirectTo("/api/loop"))
	c := f.client(t)
	err := c.call(t.Context(), http.MethodGet, "/loop", nil, &struct{}{})
	var reqErr *RequestError
	require.ErrorAs(t, err, &reqErr)
	assert.Contains(t, err.Error(), "redirects")
	assert.Equal(t, 1, reqErr.Attempts, "a redirect loop is not retried")
	assert.Equal(t, maxRedirects, f.count(http.MethodGet, "/loop"))
}

func TestTransportErrorsCarryNoSecretURL(t *testing.T) {
	// go-retryablehttp and net/http wrap the full URL around a transport
	// error: a URL with a secret in its query must not come back out.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())

	logger, logs := debugLogger()
	c, err := NewClient(WithBaseURL("http://"+addr+"/api"), WithToken("bearer-s3cr3t"), WithLogger(logger),
		WithRetryPolicy(RetryPolicy{MaxRetries: 1, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond}))
	require.NoError(t, err)

	for _, u := range []string{
		"http://" + addr + "/api/sso?access_token=query-s3cr3t&pwd=pwd-s3cr3t-4242",
		"http://user:userinfo-s3cr3t@" + addr + "/api/x",
	} {
		target, err := url.Parse(u)
		require.NoError(t, err)
		_, err = c.send(t.Context(), request{method: http.MethodGet, url: target})
		var reqErr *RequestError
		require.ErrorAs(t, err, &reqErr)
		assert.Equal(t, 2, reqErr.Attempts, "a refused connection is retried")
		assert.NotContains(t, err.Error(), "giving up", "go-retryablehttp's own error is not used")
		var urlErr *url.Error
		assert.True(t, errors.As(err, &urlErr), "the transport error can still be inspected")
		for _, text := range errorTexts(err) {
			assertNoSecret(t, "a transport error", text, []string{"query-s3cr3t", "pwd-s3cr3t-4242", "userinfo-s3cr3t", "bearer-s3cr3t"})
		}
	}
	assert.Contains(t, logs.String(), "connection refused")
	assertNoSecret(t, "the log", logs.String(), []string{"query-s3cr3t", "pwd-s3cr3t-4242", "userinfo-s3cr3t", "bearer-s3cr3t"})
}
