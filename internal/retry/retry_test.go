package retry

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/go-retryablehttp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var testPolicy = Policy{MaxRetries: 3, MinBackoff: 10 * time.Millisecond, MaxBackoff: 200 * time.Millisecond, MaxRetryAfter: time.Minute}

func response(status int, header ...string) *http.Response {
	h := http.Header{}
	for i := 0; i+1 < len(header); i += 2 {
		h.Set(header[i], header[i+1])
	}
	return &http.Response{StatusCode: status, Header: h, Body: http.NoBody}
}

// transportError returns the error a real http.Client gives for url.
func transportError(t *testing.T, rawURL string) error {
	t.Helper()
	hc := &http.Client{Transport: &http.Transport{}}
	defer hc.CloseIdleConnections()
	resp, err := hc.Post(rawURL, "text/plain", strings.NewReader("x"))
	if resp != nil {
		resp.Body.Close()
	}
	require.Error(t, err)
	return err
}

// refusedError is the error of a dial to a closed port.
func refusedError(t *testing.T) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return transportError(t, "http://"+addr+"/x")
}

// droppedError is the error of a connection the server closed after it read
// the whole request.
func droppedError(t *testing.T) error {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	}))
	defer srv.Close()
	return transportError(t, srv.URL+"/x")
}

func TestCheckRetryDecision(t *testing.T) {
	refused, dropped := refusedError(t), droppedError(t)
	dns := &url.Error{Op: "Get", URL: "https://nowhere.invalid", Err: &net.OpError{Op: "dial", Err: &net.DNSError{Err: "no such host", Name: "nowhere.invalid", IsNotFound: true}}}
	badCert := &url.Error{Op: "Get", URL: "https://x", Err: x509.UnknownAuthorityError{}}
	permanent := &url.Error{Op: "Get", URL: "https://x", Err: &PermanentError{Err: errors.New("stopped after 10 redirects")}}

	tests := []struct {
		name   string
		method string
		resp   *http.Response
		err    error
		retry  bool
	}{
		{"GET 200", http.MethodGet, response(200), nil, false},
		{"GET 400", http.MethodGet, response(400), nil, false},
		{"GET 401", http.MethodGet, response(401), nil, false},
		{"GET 403", http.MethodGet, response(403), nil, false},
		{"GET 404", http.MethodGet, response(404), nil, false},
		{"GET 409", http.MethodGet, response(409), nil, false},
		{"GET 429", http.MethodGet, response(429), nil, true},
		{"GET 500", http.MethodGet, response(500), nil, true},
		{"GET 501", http.MethodGet, response(501), nil, false},
		{"GET 502", http.MethodGet, response(502), nil, true},
		{"GET 503", http.MethodGet, response(503), nil, true},
		{"GET 504", http.MethodGet, response(504), nil, true},
		{"GET dial refused", http.MethodGet, nil, refused, true},
		{"GET dropped after sending", http.MethodGet, nil, dropped, true},
		{"GET DNS failure", http.MethodGet, nil, dns, true},
		{"GET untrusted certificate", http.MethodGet, nil, badCert, false},
		{"GET redirect loop", http.MethodGet, nil, permanent, false},
		{"POST 200", http.MethodPost, response(200), nil, false},
		{"POST 400", http.MethodPost, response(400), nil, false},
		{"POST 429", http.MethodPost, response(429), nil, true},
		{"POST 500", http.MethodPost, response(500), nil, false},
		{"POST 502", http.MethodPost, response(502), nil, false},
		{"POST 503", http.MethodPost, response(503), nil, false},
		{"POST 504", http.MethodPost, response(504), nil, false},
		{"POST dial refused", http.MethodPost, nil, refused, true},
		{"POST DNS failure", http.MethodPost, nil, dns, true},
		{"POST dropped after sending", http.MethodPost, nil, dropped, false},
		{"POST timeout after sending", http.MethodPost, nil, &url.Error{Op: "Post", URL: "https://x", Err: errors.New("net/http: timeout awaiting response headers")}, false},
		{"POST untrusted certificate", http.MethodPost, nil, badCert, false},
		{"PUT 503", http.MethodPut, response(503), nil, true},
		{"DELETE dropped", http.MethodDelete, nil, dropped, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Call{Policy: testPolicy, Method: tt.method}
			retry, err := c.CheckRetry(context.Background(), tt.resp, tt.err)
			require.NoError(t, err)
			assert.Equal(t, tt.retry, retry)
			assert.Equal(t, 1, c.Attempts)
		})
	}
}

func TestCheckRetryStopsAfterMaxRetries(t *testing.T) {
	for _, maxRetries := range []int{0, 1, 3} {
		t.Run(strconv.Itoa(maxRetries), func(t *testing.T) {
			p := testPolicy
			p.MaxRetries = maxRetries
			c := &Call{Policy: p, Method: http.MethodGet}
			var retries int
			for {
				retry, err := c.CheckRetry(context.Background(), response(503), nil)
				require.NoError(t, err)
				if !retry {
					break
				}
				retries++
				require.LessOrEqual(t, retries, maxRetries, "retried past MaxRetries")
			}
			assert.Equal(t, maxRetries, retries)
			assert.Equal(t, maxRetries+1, c.Attempts)
		})
	}
}

func TestCheckRetryHonoursServerWait(t *testing.T) {
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name   string
		header []string
		want   time.Duration
	}{
		{"Retry-After seconds", []string{"Retry-After", "7"}, 7 * time.Second},
		{"Retry-After HTTP date", []string{"Retry-After", now.Add(42 * time.Second).Format(http.TimeFormat)}, 42 * time.Second},
		{"Retry-After date in the past", []string{"Retry-After", now.Add(-time.Hour).Format(http.TimeFormat)}, 0},
		{"Retry-After zero", []string{"Retry-After", "0"}, 0},
		{"X-RateLimit-Reset seconds", []string{"X-RateLimit-Reset", "13"}, 13 * time.Second},
		{"Retry-After wins over X-RateLimit-Reset", []string{"Retry-After", "3", "X-RateLimit-Reset", "50"}, 3 * time.Second},
		{"unparsable Retry-After falls back to X-RateLimit-Reset", []string{"Retry-After", "soon", "X-RateLimit-Reset", "9"}, 9 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Backoff alone would never choose these waits.
			p := Policy{MaxRetries: 3, MinBackoff: time.Hour, MaxBackoff: 2 * time.Hour, MaxRetryAfter: time.Minute}
			c := &Call{Policy: p, Method: http.MethodPost, Now: func() time.Time { return now }}
			retry, err := c.CheckRetry(context.Background(), response(429, tt.header...), nil)
			require.NoError(t, err)
			require.True(t, retry)
			assert.Equal(t, tt.want, c.ServerWait)
			assert.Equal(t, tt.want, c.nextWait)
			assert.False(t, c.GaveUpWaiting)
		})
	}
}

func TestCheckRetryGivesUpOnLongServerWait(t *testing.T) {
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, header := range [][]string{
		{"Retry-After", "61"},
		{"Retry-After", now.Add(2 * time.Minute).Format(http.TimeFormat)},
		{"X-RateLimit-Reset", "3600"},
		{"Retry-After", "99999999999999999"}, // would overflow a Duration
	} {
		t.Run(strings.Join(header, "="), func(t *testing.T) {
			c := &Call{Policy: testPolicy, Method: http.MethodGet, Now: func() time.Time { return now }}
			retry, err := c.CheckRetry(context.Background(), response(503, header...), nil)
			require.NoError(t, err)
			assert.False(t, retry)
			assert.True(t, c.GaveUpWaiting)
			assert.Greater(t, c.ServerWait, testPolicy.MaxRetryAfter)
		})
	}
}

func TestCheckRetryGivesUpOnWaitPastDeadline(t *testing.T) {
	now := time.Now()
	ctx, cancel := context.WithDeadline(context.Background(), now.Add(5*time.Second))
	defer cancel()

	c := &Call{Policy: testPolicy, Method: http.MethodGet, Now: func() time.Time { return now }}
	retry, err := c.CheckRetry(ctx, response(429, "Retry-After", "30"), nil)
	require.NoError(t, err)
	assert.False(t, retry)
	assert.True(t, c.GaveUpWaiting)
	assert.Equal(t, 30*time.Second, c.ServerWait)

	// A backoff that ends past the deadline is not slept either, but it is
	// not the server's request.
	p := testPolicy
	p.MinBackoff, p.MaxBackoff = 10*time.Second, 20*time.Second
	c = &Call{Policy: p, Method: http.MethodGet, Now: func() time.Time { return now }}
	retry, err = c.CheckRetry(ctx, response(503), nil)
	require.NoError(t, err)
	assert.False(t, retry)
	assert.False(t, c.GaveUpWaiting)

	// A wait that fits is taken.
	c = &Call{Policy: testPolicy, Method: http.MethodGet, Now: func() time.Time { return now }}
	retry, err = c.CheckRetry(ctx, response(429, "Retry-After", "4"), nil)
	require.NoError(t, err)
	assert.True(t, retry)
}

func TestCheckRetryStopsOnContextEnd(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c := &Call{Policy: testPolicy, Method: http.MethodGet}
	retry, err := c.CheckRetry(ctx, response(503), nil)
	assert.False(t, retry)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 1, c.Attempts)
}

func TestBackoffIsExponentialWithJitter(t *testing.T) {
	p := Policy{MaxRetries: 10, MinBackoff: 100 * time.Millisecond, MaxBackoff: 3 * time.Second, MaxRetryAfter: time.Minute}
	for attempts := 1; attempts <= 8; attempts++ {
		t.Run(strconv.Itoa(attempts), func(t *testing.T) {
			// The cap of the n-th retry is MinBackoff * 2^n, at most MaxBackoff.
			limit := min(p.MinBackoff<<attempts, p.MaxBackoff)
			seen := map[time.Duration]bool{}
			var highest time.Duration
			for range 500 {
				d := p.Backoff(attempts)
				require.GreaterOrEqual(t, d, p.MinBackoff)
				require.LessOrEqual(t, d, limit)
				seen[d] = true
				highest = max(highest, d)
			}
			assert.Greater(t, len(seen), 100, "no jitter: %d distinct waits", len(seen))
			// The range grows with the attempt: the draws reach its upper half.
			assert.Greater(t, highest, p.MinBackoff+(limit-p.MinBackoff)/2)
		})
	}
}

func TestBackoffWithoutACapNeverOverflows(t *testing.T) {
	// MaxBackoff at the longest Duration, to mean "no cap": the waits still
	// grow and jitter, up to the hundredth retry.
	p := Policy{MinBackoff: time.Second, MaxBackoff: math.MaxInt64}
	for _, attempt := range []int{1, 3, 40, 100} {
		limit := time.Duration(math.MaxInt64)
		if attempt <= 33 { // 2^33 s is the last power of two a Duration holds
			limit = min(limit, time.Second<<attempt)
		}
		var highest time.Duration
		for range 100 {
			d := p.Backoff(attempt)
			require.GreaterOrEqual(t, d, p.MinBackoff, "retry %d", attempt)
			require.LessOrEqual(t, d, limit, "retry %d", attempt)
			highest = max(highest, d)
		}
		assert.Greater(t, highest, p.MinBackoff, "retry %d: no jitter", attempt)
	}
}

func TestBackoffWithEqualBounds(t *testing.T) {
	p := Policy{MinBackoff: time.Second, MaxBackoff: time.Second}
	assert.Equal(t, time.Second, p.Backoff(3))
}

func TestServerWait(t *testing.T) {
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name   string
		header []string
		want   time.Duration
		ok     bool
	}{
		{"none", nil, 0, false},
		{"seconds", []string{"Retry-After", "120"}, 2 * time.Minute, true},
		{"seconds with spaces", []string{"Retry-After", " 5 "}, 5 * time.Second, true},
		{"HTTP date", []string{"Retry-After", now.Add(90 * time.Second).Format(http.TimeFormat)}, 90 * time.Second, true},
		{"RFC 850 date", []string{"Retry-After", now.Add(10 * time.Second).Format("Monday, 02-Jan-06 15:04:05 GMT")}, 10 * time.Second, true},
		{"X-RateLimit-Reset", []string{"X-RateLimit-Reset", "60"}, time.Minute, true},
		{"negative", []string{"Retry-After", "-3"}, 0, false},
		{"garbage", []string{"Retry-After", "later", "X-RateLimit-Reset", "x"}, 0, false},
		{"fractional", []string{"X-RateLimit-Reset", "1.5"}, 0, false},
		{"huge", []string{"Retry-After", "9223372036854775807"}, time.Duration(1<<63 - 1).Truncate(time.Second), true},
		{"beyond int64", []string{"Retry-After", "99999999999999999999"}, time.Duration(1<<63 - 1).Truncate(time.Second), true},
		{"400 digits", []string{"X-RateLimit-Reset", strings.Repeat("9", 400)}, time.Duration(1<<63 - 1).Truncate(time.Second), true},
		{"a sign is not a count", []string{"Retry-After", "+5"}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := response(429, tt.header...).Header
			got, ok := ServerWait(h, now)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestClientUsesTheCallsPolicyOnly(t *testing.T) {
	hc := &http.Client{}
	rc := NewClient(hc)

	assert.Same(t, hc, rc.HTTPClient)
	assert.Nil(t, rc.Logger, "go-retryablehttp's logger prints full URLs")
	assert.Nil(t, rc.RequestLogHook)
	assert.Nil(t, rc.ResponseLogHook)
	require.NotNil(t, rc.CheckRetry)
	require.NotNil(t, rc.Backoff)
	require.NotNil(t, rc.ErrorHandler)
	assert.NotEqual(t, reflect.ValueOf(retryablehttp.DefaultRetryPolicy).Pointer(), reflect.ValueOf(rc.CheckRetry).Pointer())
	assert.NotEqual(t, reflect.ValueOf(retryablehttp.ErrorPropagatedRetryPolicy).Pointer(), reflect.ValueOf(rc.CheckRetry).Pointer())
	assert.NotEqual(t, reflect.ValueOf(retryablehttp.DefaultBackoff).Pointer(), reflect.ValueOf(rc.Backoff).Pointer())
	assert.NotEqual(t, reflect.ValueOf(retryablehttp.LinearJitterBackoff).Pointer(), reflect.ValueOf(rc.Backoff).Pointer())
	assert.NotEqual(t, reflect.ValueOf(retryablehttp.PassthroughErrorHandler).Pointer(), reflect.ValueOf(rc.ErrorHandler).Pointer())
	assert.Zero(t, rc.Backoff(time.Second, time.Minute, 5, nil), "the Call's own wait is slept in CheckRetry")

	// The decision is the Call's, found in the context: a 501 GET (that the
	// default policy retries) is not retried, and the attempt is counted there.
	c := &Call{Context: context.Background(), Policy: testPolicy, Method: http.MethodGet}
	retry, err := rc.CheckRetry(c, response(501), nil)
	require.NoError(t, err)
	assert.False(t, retry)
	assert.Equal(t, 1, c.Attempts)

	// A retried answer is drained and closed before the wait.
	resp := response(503)
	body := &recordedBody{Reader: strings.NewReader("down for maintenance")}
	resp.Body = body
	retry, err = rc.CheckRetry(c, resp, nil)
	require.NoError(t, err)
	assert.True(t, retry)
	assert.Zero(t, body.Len(), "drained")
	assert.True(t, body.closed)

	// Without a Call, nothing is retried.
	retry, err = rc.CheckRetry(context.Background(), response(503), nil)
	assert.False(t, retry)
	var permanent *PermanentError
	assert.ErrorAs(t, err, &permanent)
}

// recordedBody is a response body that records its Close.
type recordedBody struct {
	*strings.Reader
	closed bool
}

func (b *recordedBody) Close() error {
	b.closed = true
	return nil
}

func TestSharedClientWaitsTheCallsWaitAndHonoursTheContext(t *testing.T) {
	rc := NewClient(&http.Client{})
	ctx, cancel := context.WithCancel(context.Background())
	c := &Call{Context: ctx, Policy: Policy{MaxRetries: 3, MinBackoff: time.Hour, MaxBackoff: time.Hour, MaxRetryAfter: time.Hour}, Method: http.MethodGet}
	done := make(chan error, 1)
	go func() {
		retry, err := rc.CheckRetry(c, response(503), nil)
		if retry {
			err = errors.New("retried without waiting the hour")
		}
		done <- err
	}()
	cancel()
	assert.ErrorIs(t, <-done, context.Canceled, "the wait ends with the context")
}

func TestErrorHandlerHandsBackTheLastAnswer(t *testing.T) {
	// go-retryablehttp's own "giving up after N attempts" error names the
	// full URL; the handler returns the real response or error instead.
	resp := response(503)
	got, err := handBack(resp, nil, 4)
	assert.NoError(t, err)
	assert.Same(t, resp, got)

	cause := errors.New("boom")
	got, err = handBack(response(503), cause, 4)
	assert.Nil(t, got)
	assert.Same(t, cause, err)
}

func TestDoRetriesAndCountsAttempts(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprint(w, "down")
	}))
	defer srv.Close()

	p := Policy{MaxRetries: 2, MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond, MaxRetryAfter: time.Minute}
	c := &Call{Context: context.Background(), Policy: p, Method: http.MethodGet}
	req, err := retryablehttp.NewRequestWithContext(c, http.MethodGet, srv.URL+"/x?access_token=secret", nil)
	require.NoError(t, err)
	resp, err := NewClient(srv.Client()).Do(req)
	require.NoError(t, err, "the last answer is handed back, not turned into an error")
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	assert.Equal(t, "down", string(body), "the last body is readable")
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.Equal(t, int32(3), hits.Load())
	assert.Equal(t, 3, c.Attempts)
}

func TestRetryLogCarriesNoSecret(t *testing.T) {
	var buf strings.Builder
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	p := Policy{MaxRetries: 1, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond, MaxRetryAfter: time.Minute}
	c := &Call{Policy: p, Method: http.MethodGet, Path: "/media/x", Logger: logger}
	err := &url.Error{Op: "Get", URL: "https://h/media/x?access_token=s3cr3t", Err: errors.New("connection reset by peer")}
	retry, checkErr := c.CheckRetry(context.Background(), nil, err)
	require.NoError(t, checkErr)
	require.True(t, retry)
	assert.Contains(t, buf.String(), "apizee: retrying request")
	assert.Contains(t, buf.String(), "/media/x")
	assert.NotContains(t, buf.String(), "s3cr3t")
}

func TestDescribe(t *testing.T) {
	err := &url.Error{Op: "Get", URL: "https://h/x?access_token=s3cr3t&pwd=1234", Err: errors.New("dial tcp: connection refused")}
	assert.Equal(t, "dial tcp: connection refused", Describe(err))
	assert.NotContains(t, Describe(fmt.Errorf("wrapped: %w", err)), "s3cr3t")
	assert.Equal(t, "bad answer access_token=REDACTED", Describe(errors.New("bad answer access_token=s3cr3t")))
}
