package apizee_test

// Hostile servers: answers too big to hold, servers that hang or trickle,
// redirect tricks and untrusted certificates. Each test fails without the
// behaviour it names. Other tests already prove the rest of the hostile
// server list: TestRedirectLoopStops (an API redirect loop),
// TestBearerTokenGoesOnlyToTheAPIHost and
// TestDownloadNeverSendsTheTokenToAnotherHost (a redirect to another host,
// API calls and media), TestAPIErrorBodyIsCapped (a 1 MiB error body).

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee"
	"github.com/apizee-go/apizee/apizeetest"
)

const (
	kibibyte = 1 << 10
	mebibyte = 1 << 20
)

// hostileClient talks to base with a fixed token (no /token call mixed in)
// and no retries unless opts say otherwise.
func hostileClient(t *testing.T, base string, opts ...apizee.Option) *apizee.Client {
	t.Helper()
	c, err := apizee.NewClient(append([]apizee.Option{apizee.WithBaseURL(base), apizee.WithToken("hostile-token"),
		apizee.WithRetryPolicy(apizee.RetryPolicy{})}, opts...)...)
	require.NoError(t, err)
	return c
}

// streamingHandler answers status and then size bytes made of chunk,
// generated as it goes (never held whole), counting what it managed to write
// before the client hung up; done closes when it stops. With declare it
// sends a Content-Length; with gzip it compresses (size is then the
// uncompressed size: a compression bomb).
type streamingHandler struct {
	status  int
	chunk   []byte
	size    int64
	declare bool
	gzip    bool
	written atomic.Int64
	done    chan struct{}
}

func newStreamingHandler(status int, size int64, chunk string) *streamingHandler {
	return &streamingHandler{status: status, size: size, chunk: bytes.Repeat([]byte(chunk), 64*kibibyte/len(chunk)), done: make(chan struct{})}
}

func (h *streamingHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer close(h.done)
	w.Header().Set("Content-Type", "application/json")
	var out io.Writer = w
	switch {
	case h.gzip:
		w.Header().Set("Content-Encoding", "gzip")
		zw, _ := gzip.NewWriterLevel(w, gzip.BestSpeed)
		defer zw.Close()
		out = zw
	case h.declare:
		w.Header().Set("Content-Length", strconv.FormatInt(h.size, 10))
	}
	w.WriteHeader(h.status)
	for h.written.Load() < h.size {
		n, err := out.Write(h.chunk[:min(int64(len(h.chunk)), h.size-h.written.Load())])
		h.written.Add(int64(n))
		if err != nil {
			return
		}
	}
}

// smallBuffers serves h with a small send buffer per connection and
// returns, with it, a client option whose connections have a small receive
// buffer: loopback autotuning can grow a receive buffer to tens of MiB, and
// what the handler managed to write must measure what the client read.
func smallBuffers(t *testing.T, h http.Handler) (*httptest.Server, apizee.Option) {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ConnState = func(c net.Conn, state http.ConnState) {
		if tc, ok := c.(*net.TCPConn); ok && state == http.StateNew {
			require.NoError(t, tc.SetWriteBuffer(256*kibibyte))
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	var dialer net.Dialer
	transport := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dialer.DialContext(ctx, network, addr)
		if tc, ok := conn.(*net.TCPConn); ok {
			err = tc.SetReadBuffer(256 * kibibyte)
		}
		return conn, err
	}}
	t.Cleanup(transport.CloseIdleConnections)
	return srv, apizee.WithHTTPClient(&http.Client{Transport: transport})
}

// waitDone waits for the handler to stop, bounded by the test's context.
func (h *streamingHandler) waitDone(t *testing.T) {
	t.Helper()
	select {
	case <-h.done:
	case <-t.Context().Done():
		t.Fatal("the handler never stopped")
	}
}

// allocatedDuring returns the bytes allocated while f ran (all goroutines).
func allocatedDuring(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func TestHostileHugeJSONAnswerIsRefusedUnread(t *testing.T) {
	tests := []struct {
		name          string
		declare, gzip bool
		maxAllocated  uint64
		maxWritten    int64 // 0: not bounded (a compressed stream says little)
	}{
		{name: "streamed, length unknown", maxAllocated: 40 * mebibyte, maxWritten: 40 * mebibyte},
		{name: "Content-Length declared", declare: true, maxAllocated: 1 * mebibyte, maxWritten: 40 * mebibyte},
		{name: "gzip bomb", gzip: true, maxAllocated: 40 * mebibyte},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newStreamingHandler(http.StatusOK, 100*mebibyte, `{"id":1,"name":"abcdefgh"},`)
			h.declare, h.gzip = tt.declare, tt.gzip
			srv, buffers := smallBuffers(t, h)
			c := hostileClient(t, srv.URL+"/api", buffers)

			var err error
			allocated := allocatedDuring(func() { _, err = c.Tickets.List(t.Context(), nil) })
			var decodeErr *apizee.DecodeError
			require.ErrorAs(t, err, &decodeErr)
			assert.Contains(t, err.Error(), "32 MiB")
			assert.LessOrEqual(t, len(decodeErr.Excerpt), 400, "the error quotes a bounded excerpt")
			h.waitDone(t)
			t.Logf("100 MiB answer: the server wrote %d MiB before the client hung up; the call allocated %d KiB", h.written.Load()/mebibyte, allocated/kibibyte)
			assert.Less(t, allocated, tt.maxAllocated, "the body is not held whole")
			if tt.maxWritten > 0 {
				assert.Less(t, h.written.Load(), tt.maxWritten, "the client stops reading past the cap")
			}
		})
	}
}

// silentListener accepts connections and never reads or writes.
func silentListener(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, conn)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, conn := range conns {
			conn.Close()
		}
	})
	return "http://" + ln.Addr().String() + "/api"
}

// trickle answers 200 and then one byte of a JSON list every 50 ms until
// the client goes away.
func trickle(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	body := `{"total":1,"data":[` + strings.Repeat(" ", 1000)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for i := 0; ; i++ {
		if _, err := io.WriteString(w, body[i%len(body):i%len(body)+1]); err != nil {
			return
		}
		w.(http.Flusher).Flush()
		select {
		case <-tick.C:
		case <-r.Context().Done():
			return
		}
	}
}

// deadlineMargin is how late after its deadline a call may end. It is wide
// because a loaded CI machine (the race detector on 2 cores) delays the
// goroutines that notice the deadline; a call that ignored it would last the
// transport's 60 s header timeout, or forever for a trickled body.
const (
	hostileDeadline = 300 * time.Millisecond
	deadlineMargin  = 5 * time.Second
)

// assertCutAtDeadline runs call under a 300 ms deadline and checks that it
// ends with the deadline, soon after it.
func assertCutAtDeadline(t *testing.T, call func(ctx context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), hostileDeadline)
	defer cancel()
	start := time.Now()
	err := call(ctx)
	elapsed := time.Since(start)
	require.Error(t, err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, elapsed, hostileDeadline+deadlineMargin, "the call ends at the deadline")
}

func TestHostileServerCutOffAtTheDeadline(t *testing.T) {
	retries := apizee.WithRetryPolicy(apizee.RetryPolicy{MaxRetries: 3, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond})
	t.Run("accepts and never answers", func(t *testing.T) {
		c := hostileClient(t, silentListener(t), retries)
		assertCutAtDeadline(t, func(ctx context.Context) error { _, err := c.Tickets.Get(ctx, 1); return err })
		assertCutAtDeadline(t, func(ctx context.Context) error {
			_, err := c.Tickets.Create(ctx, &apizee.CreateTicketParams{Agent: "agent1", Phone: []string{"+33612345678"}})
			return err
		})
	})
	t.Run("trickles the body", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(trickle))
		defer srv.Close()
		c := hostileClient(t, srv.URL+"/api", retries)
		assertCutAtDeadline(t, func(ctx context.Context) error { _, err := c.Tickets.List(ctx, nil); return err })
		assertCutAtDeadline(t, func(ctx context.Context) error {
			_, err := c.Media.Download(ctx, &apizee.Media{URL: srv.URL + "/media/x"}, io.Discard)
			return err
		})
	})
}

func TestHostileMediaRedirectLoopStops(t *testing.T) {
	srv := apizeetest.NewServer()
	defer srv.Close()
	c, err := apizee.NewClient(apizee.WithBaseURL(srv.URL), apizee.WithToken(srv.IssueToken()))
	require.NoError(t, err)
	mediaURL := srv.AddTicketMedia(82070, 10)
	srv.RedirectMedia(mediaURL, mediaURL)
	path := strings.TrimPrefix(mediaURL, strings.TrimSuffix(srv.URL, apizeetest.DefaultPrefix))

	n, err := c.Media.Download(t.Context(), &apizee.Media{URL: mediaURL}, io.Discard)
	require.Error(t, err)
	assert.Zero(t, n)
	assert.Contains(t, err.Error(), "redirects")
	assert.Equal(t, 10, srv.RequestCount(http.MethodGet, path), "bounded attempts, and the loop is not retried")
}

func TestHostileRedirectStatusesDropTheToken(t *testing.T) {
	var mu sync.Mutex
	seen := map[string][]string{} // path -> Authorization headers received on the other host
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.URL.Path] = append(seen[r.URL.Path], r.Header.Get("Authorization"))
		mu.Unlock()
		io.WriteString(w, `{"id":1}`)
	}))
	defer other.Close()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		status := map[string]int{"/api/tickets/301": 301, "/api/tickets/302": 302, "/api/tickets/303": 303,
			"/api/tickets/307": 307, "/api/tickets/308": 308}[r.URL.Path]
		if r.Header.Get("Authorization") != "Bearer hostile-token" || status == 0 {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		http.Redirect(w, r, other.URL+"/landing"+r.URL.Path, status)
	}))
	defer api.Close()
	c := hostileClient(t, api.URL+"/api")

	for _, id := range []int64{301, 302, 303, 307, 308} {
		_, err := c.Tickets.Get(t.Context(), id)
		require.NoError(t, err, "status %d", id)
	}
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, seen, 5)
	for path, auth := range seen {
		assert.Equal(t, []string{""}, auth, "%s: no token off the API host", path)
	}
}

func TestHostileUntrustedCertificateFailsOnceWithoutRetry(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"id":1}`) }))
	srv.Config.ConnState = func(_ net.Conn, state http.ConnState) {
		if state == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshake errors are expected
	srv.StartTLS()
	defer srv.Close()
	// The default transport, which does not trust the test server's CA.
	c := hostileClient(t, srv.URL+"/api", apizee.WithRetryPolicy(apizee.RetryPolicy{MaxRetries: 3, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond}))

	for _, call := range []struct {
		name string
		do   func() error
	}{
		{"GET", func() error { _, err := c.Tickets.Get(t.Context(), 1); return err }},
		{"POST", func() error {
			_, err := c.Tickets.Create(t.Context(), &apizee.CreateTicketParams{Agent: "agent1", Phone: []string{"+33612345678"}})
			return err
		}},
		{"media", func() error {
			_, err := c.Media.Download(t.Context(), &apizee.Media{URL: srv.URL + "/media/x"}, io.Discard)
			return err
		}},
	} {
		t.Run(call.name, func(t *testing.T) {
			before := conns.Load()
			err := call.do()
			require.Error(t, err)
			var reqErr *apizee.RequestError
			require.ErrorAs(t, err, &reqErr)
			assert.Equal(t, int32(1), conns.Load()-before, "one connection: a certificate problem is not retried")
			assert.Equal(t, 1, reqErr.Attempts)
			assert.Contains(t, err.Error(), "certificate")
		})
	}
}

func TestHostileTenMiBUnauthorizedBodyIsReadTo64KiBBeforeTheReplay(t *testing.T) {
	// The 401 that makes the client renew its token is drained only so far
	// before the replay: past that, the connection is not worth 10 MiB.
	h := newStreamingHandler(http.StatusUnauthorized, 10*mebibyte, `{"message":"expired"}`)
	var tokens atomic.Int32
	srv, buffers := smallBuffers(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/api/token":
			fmt.Fprintf(w, `{"access_token":"tok-%d","expires_in":86400}`, tokens.Add(1))
		case r.Header.Get("Authorization") == "Bearer tok-1":
			h.ServeHTTP(w, r)
		default:
			io.WriteString(w, `{"id":1}`)
		}
	}))
	c := hostileClient(t, srv.URL+"/api", buffers, apizee.WithCredentials("agent", "pw-Zq9"))

	_, err := c.Tickets.Get(t.Context(), 1)
	require.NoError(t, err, "the replay with the renewed token succeeds")
	h.waitDone(t)
	assert.Less(t, h.written.Load(), int64(2*mebibyte), "the client hangs up instead of draining the 401")
}

func TestHostileTenMiBErrorBodyIsReadTo64KiB(t *testing.T) {
	h := newStreamingHandler(http.StatusBadRequest, 10*mebibyte, `{"message":"no"}`)
	srv, buffers := smallBuffers(t, h)
	c := hostileClient(t, srv.URL+"/api", buffers)

	var err error
	allocated := allocatedDuring(func() { _, err = c.Tickets.Get(t.Context(), 1) })
	var apiErr *apizee.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Len(t, apiErr.Body, 64*kibibyte)
	assert.Less(t, len(apiErr.Error()), 400, "the message quotes a bounded excerpt")
	h.waitDone(t)
	t.Logf("10 MiB error body: the server wrote %d KiB; the call allocated %d KiB", h.written.Load()/kibibyte, allocated/kibibyte)
	assert.Less(t, allocated, uint64(2*mebibyte), "at most 64 KiB of the body is read")
	assert.Less(t, h.written.Load(), int64(2*mebibyte), "the client hangs up instead of draining the body")
}

// TestHostileDeclaredSizeAloneRefusesAHugeAnswer: a server that declares
// 64 MiB and sends a few bytes is refused for what it declared, as an
// answer over the cap, whatever the few bytes are.
func TestHostileDeclaredSizeAloneRefusesAHugeAnswer(t *testing.T) {
	for _, sent := range []string{`{"id":1}`, ""} {
		addr := rawListener(t, func(conn net.Conn) {
			defer conn.Close()
			_, _ = http.ReadRequest(bufio.NewReader(conn))
			io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 67108864\r\n\r\n"+sent)
		})
		c := hostileClient(t, "http://"+addr+"/api")
		_, err := c.Tickets.Get(t.Context(), 1)
		var decodeErr *apizee.DecodeError
		require.ErrorAs(t, err, &decodeErr, "%q sent", sent)
		assert.Contains(t, err.Error(), "32 MiB")
		assert.Equal(t, sent, decodeErr.Excerpt)
	}
	// A caller's transport (a cache) whose body ends cleanly, at once.
	lying := roundTripFunc(func(req *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(strings.NewReader("")), ContentLength: 64 << 20, Request: req}, nil
	})
	c := hostileClient(t, "https://api.example/api", apizee.WithHTTPClient(&http.Client{Transport: lying}))
	_, err := c.Tickets.Get(t.Context(), 1)
	var decodeErr *apizee.DecodeError
	require.ErrorAs(t, err, &decodeErr)
	assert.Contains(t, err.Error(), "32 MiB")
}
