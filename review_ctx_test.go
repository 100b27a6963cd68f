package apizee_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/apizee-go/apizee"
)

// fakeAPI is an in-memory API for synctest bubbles: handle answers each
// request (nil response: handle blocked until the request's context ended).
type fakeAPI struct {
	handle func(req *http.Request) *http.Response
	hits   atomic.Int32
}

func (f *fakeAPI) RoundTrip(req *http.Request) (*http.Response, error) {
	f.hits.Add(1)
	resp := f.handle(req)
	if resp == nil {
		return nil, req.Context().Err()
	}
	resp.Request = req
	return resp, nil
}

func fakeAnswer(status int, body string, header ...string) *http.Response {
	h := http.Header{"Content-Type": {"application/json"}}
	for i := 0; i+1 < len(header); i += 2 {
		h.Set(header[i], header[i+1])
	}
	return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body))}
}

// sdkGoroutines lists the goroutines of the bubble still running SDK code.
func sdkGoroutines() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var left []string
	for g := range strings.SplitSeq(string(buf), "\n\n") {
		if strings.Contains(g, "github.com/apizee-go/apizee.") || strings.Contains(g, "github.com/apizee-go/apizee/internal") {
			left = append(left, g)
		}
	}
	return left
}

// TestReviewCancelledAtEveryStepReturnsAtOnce: a call whose context is
// cancelled while it waits (on the token fetch it leads, on another
// caller's fetch, on the rate limiter, on the server's rate-limit reset, in
// the backoff between retries, on the answer, on the token fetch of a 401
// replay, on the enterprise look-up another call holds) returns
// context.Canceled without the fake clock moving, and leaves no goroutine
// running SDK code.
func TestReviewCancelledAtEveryStepReturnsAtOnce(t *testing.T) {
	ok := func(*http.Request) *http.Response { return fakeAnswer(200, `{"id":1}`) }
	blockOnCtx := func(req *http.Request) *http.Response { <-req.Context().Done(); return nil }
	type step struct {
		// setup builds the client and starts whatever holds the call back;
		// it returns the call to cancel, and a release for the holders.
		setup func(t *testing.T) (call func(ctx context.Context) error, release func())
	}
	steps := map[string]step{
		"leading the token fetch": {func(t *testing.T) (func(context.Context) error, func()) {
			c := fakeClient(t, &fakeAPI{handle: ok}, apizee.WithTokenSource(ctxTokenSource{}))
			return getOne(c), func() {}
		}},
		"waiting on another caller's token fetch": {func(t *testing.T) (func(context.Context) error, func()) {
			release := make(chan struct{})
			c := fakeClient(t, &fakeAPI{handle: ok}, apizee.WithTokenSource(gatedTokenSource(release)))
			go func() { _ = getOne(c)(context.Background()) }()
			synctest.Wait()
			return getOne(c), func() { close(release) }
		}},
		"on the rate limiter": {func(t *testing.T) (func(context.Context) error, func()) {
			c := fakeClient(t, &fakeAPI{handle: ok}, apizee.WithRateLimiter(apizee.NewRateLimiter(1, time.Hour)))
			require.NoError(t, getOne(c)(t.Context()))
			return getOne(c), func() {}
		}},
		"on the server's rate-limit reset": {func(t *testing.T) (func(context.Context) error, func()) {
			var n atomic.Int32
			api := &fakeAPI{handle: func(*http.Request) *http.Response {
				if n.Add(1) == 1 {
					return fakeAnswer(429, `{}`, "Retry-After", "30")
				}
				return fakeAnswer(200, `{"id":1}`)
			}}
			c := fakeClient(t, api, apizee.WithRetryPolicy(apizee.RetryPolicy{}))
			require.ErrorIs(t, getOne(c)(t.Context()), apizee.ErrRateLimited)
			return getOne(c), func() {}
		}},
		"in the backoff between retries": {func(t *testing.T) (func(context.Context) error, func()) {
			c := fakeClient(t, &fakeAPI{handle: func(*http.Request) *http.Response { return fakeAnswer(503, `{}`, "Retry-After", "30") }})
			return getOne(c), func() {}
		}},
		"on the answer": {func(t *testing.T) (func(context.Context) error, func()) {
			return getOne(fakeClient(t, &fakeAPI{handle: blockOnCtx})), func() {}
		}},
		"on the token fetch of a 401 replay": {func(t *testing.T) (func(context.Context) error, func()) {
			release := make(chan struct{})
			var n atomic.Int32
			api := &fakeAPI{handle: func(req *http.Request) *http.Response {
				if req.URL.Path == "/api/token" {
					if n.Add(1) > 1 {
						<-req.Context().Done()
						return nil
					}
					return fakeAnswer(200, `{"access_token":"tok-1","expires_in":3600}`)
				}
				return fakeAnswer(401, `{}`)
			}}
			return getOne(fakeClient(t, api, apizee.WithCredentials("agent", "pw"))), func() { close(release) }
		}},
		"on the enterprise look-up another call holds": {func(t *testing.T) (func(context.Context) error, func()) {
			release := make(chan struct{})
			api := &fakeAPI{handle: func(req *http.Request) *http.Response {
				if req.URL.Path == "/api/users/me" {
					<-release
					return fakeAnswer(200, `{"enterprise_id":7}`)
				}
				return fakeAnswer(200, `{"total":0,"data":[]}`)
			}}
			c := fakeClient(t, api)
			stats := func(ctx context.Context) error { _, err := c.Stats.Tickets(ctx, nil); return err }
			go func() { _ = stats(context.Background()) }()
			synctest.Wait()
			return stats, func() { close(release) }
		}},
	}
	before := goleak.IgnoreCurrent()
	for name, s := range steps {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				call, release := s.setup(t)
				ctx, cancel := context.WithCancel(t.Context())
				done := make(chan error, 1)
				go func() { done <- call(ctx) }()
				synctest.Wait()
				select {
				case err := <-done:
					t.Fatalf("returned before the cancel: %v", err)
				default:
				}
				start := time.Now()
				cancel()
				synctest.Wait()
				select {
				case err := <-done:
					assert.True(t, errors.Is(err, context.Canceled), "%v", err)
				default:
					t.Fatal("still running after the cancel")
				}
				assert.Zero(t, time.Since(start), "no wait after the cancel")
				release()
				synctest.Wait()
				assert.Empty(t, sdkGoroutines(), "no goroutine left in SDK code")
			})
		})
	}
	goleak.VerifyNone(t, before)
}

func fakeClient(t *testing.T, api *fakeAPI, opts ...apizee.Option) *apizee.Client {
	t.Helper()
	c, err := apizee.NewClient(append([]apizee.Option{apizee.WithBaseURL("https://api.example/api"), apizee.WithToken("tok"),
		apizee.WithHTTPClient(&http.Client{Transport: api})}, opts...)...)
	require.NoError(t, err)
	return c
}

func getOne(c *apizee.Client) func(ctx context.Context) error {
	return func(ctx context.Context) error { _, err := c.Tickets.Get(ctx, 1); return err }
}

type ctxTokenSource struct{}

func (ctxTokenSource) Token(ctx context.Context) (*apizee.Token, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

type gatedTokenSource chan struct{}

func (g gatedTokenSource) Token(context.Context) (*apizee.Token, error) {
	<-g
	return &apizee.Token{AccessToken: "tok-gated"}, nil
}

// TestReviewCancelledWhileReadingTheAnswerReturnsAtOnce: the server sent
// the headers and part of the body, then stalls; cancelling the call (a
// JSON answer, a media download) ends it with context.Canceled, and no
// goroutine stays behind once the server is gone.
func TestReviewCancelledWhileReadingTheAnswerReturnsAtOnce(t *testing.T) {
	before := goleak.IgnoreCurrent()
	for name, call := range map[string]func(ctx context.Context, c *apizee.Client, base string) error{
		"JSON answer": func(ctx context.Context, c *apizee.Client, _ string) error {
			_, err := c.Tickets.Get(ctx, 1)
			return err
		},
		"media download": func(ctx context.Context, c *apizee.Client, base string) error {
			_, err := c.Media.Download(ctx, &apizee.Media{URL: base + "/media/1"}, io.Discard)
			return err
		},
	} {
		t.Run(name, func(t *testing.T) {
			sent, stall := make(chan struct{}), make(chan struct{})
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Length", "100000")
				_, _ = io.WriteString(w, `{"id":1,"subject":"`)
				w.(http.Flusher).Flush()
				close(sent)
				select {
				case <-stall:
				case <-r.Context().Done():
				}
			})
			tr := http.DefaultTransport.(*http.Transport).Clone()
			c, err := apizee.NewClient(apizee.WithBaseURL(srv.base()), apizee.WithToken("tok"), apizee.WithHTTPClient(&http.Client{Transport: tr}))
			require.NoError(t, err)
			ctx, cancel := context.WithCancel(t.Context())
			done := make(chan error, 1)
			go func() { done <- call(ctx, c, srv.base()) }()
			<-sent
			cancel()
			select {
			case err := <-done:
				assert.ErrorIs(t, err, context.Canceled)
			case <-time.After(10 * time.Second): // a guard against a hang, not synchronisation
				t.Fatal("the call did not end after the cancel")
			}
			close(stall)
			srv.Close()
			tr.CloseIdleConnections()
		})
	}
	goleak.VerifyNone(t, before)
}
