package webhook_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee/webhook"
)

// Review: malformed and hostile HTTP from raw TCP clients against a real
// server.

// answerBound bounds how long a test waits for an answer that must come at
// once: it fails the test rather than hang it, and synchronises nothing.
const answerBound = 10 * time.Second

// rawRequest opens a connection to srv and writes head (the request line
// and headers, without the blank line) and then body.
func rawRequest(t *testing.T, srv *httptest.Server, head, body string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	_, err = io.WriteString(conn, strings.ReplaceAll(head, "\n", "\r\n")+"\r\n\r\n"+body)
	require.NoError(t, err)
	return conn
}

// readStatus reads the status of the answer on conn, within answerBound.
func readStatus(t *testing.T, conn net.Conn) int {
	t.Helper()
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(answerBound)))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err, "no answer within %s", answerBound)
	defer resp.Body.Close()
	return resp.StatusCode
}

// returns wraps h: each ServeHTTP that returns sends on the channel.
func returns(h http.Handler) (http.Handler, <-chan struct{}) {
	done := make(chan struct{}, 16)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() { done <- struct{}{} }()
		h.ServeHTTP(w, r)
	}), done
}

func waitReturn(t *testing.T, done <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-done:
	case <-time.After(answerBound):
		t.Fatalf("the handler did not return: %s", what)
	}
}

// An unverified client that announces a body and never sends it gets its
// 401 at once: the handler reads no body it will not use, and net/http
// must not read it either (it drains up to 256 KiB of an unread body
// before answering, so on a server without ReadTimeout, as http.Handle and
// http.ListenAndServe make it, anyone could hold a connection forever).
func TestReviewHandlerAnswersAnUnreadBodyAtOnce(t *testing.T) {
	var c counter
	srv := httptest.NewServer(newHandler(t, c.fn))
	t.Cleanup(srv.Close) // after the connections' cleanups: Close waits for their requests
	for _, tc := range []struct {
		name, head string
		want       int
	}{
		{"unverified", "POST /hook HTTP/1.1\nHost: x\nContent-Length: 1000", http.StatusUnauthorized},
		{"unverified chunked", "POST /hook HTTP/1.1\nHost: x\nTransfer-Encoding: chunked", http.StatusUnauthorized},
		{"wrong secret", "POST /hook HTTP/1.1\nHost: x\n" + secretHeader + ": " + oldSecret + "\nContent-Length: 1000", http.StatusUnauthorized},
		{"other method", "PUT /hook HTTP/1.1\nHost: x\n" + secretHeader + ": " + newSecret + "\nContent-Length: 1000", http.StatusMethodNotAllowed},
	} {
		conn := rawRequest(t, srv, tc.head, `{"event":`) // and then nothing
		assert.Equal(t, tc.want, readStatus(t, conn), tc.name)
	}
	assert.Zero(t, c.calls.Load())
}

// What holds: a verified client that sends less than it announced, lies
// the other way, declares a huge chunk, or never finishes, on a server set
// up as NewHandler's doc says.
func TestReviewHandlerAgainstHostileBodies(t *testing.T) {
	var c counter
	h, done := returns(newHandler(t, c.fn, webhook.WithMaxBody(4<<10)))
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ReadHeaderTimeout = time.Second
	srv.Config.ReadTimeout = 300 * time.Millisecond // the server's bound of a slow client
	srv.Start()
	t.Cleanup(srv.Close)
	verified := "POST /hook HTTP/1.1\nHost: x\n" + secretHeader + ": " + newSecret

	// Less than announced, then the client stops writing: a 400.
	conn := rawRequest(t, srv, verified+"\nContent-Length: 500", ticketDone[:40])
	require.NoError(t, conn.(*net.TCPConn).CloseWrite())
	assert.Equal(t, http.StatusBadRequest, readStatus(t, conn), "a body shorter than its Content-Length")
	waitReturn(t, done, "short body")

	// Less than announced, and the connection stays open: the server's
	// ReadTimeout ends the read, the handler answers 400 and returns.
	conn = rawRequest(t, srv, verified+"\nContent-Length: 500", ticketDone[:40])
	waitReturn(t, done, "a client that never finishes")
	assert.Equal(t, http.StatusBadRequest, readStatus(t, conn))

	// A chunk announced larger than the cap: read up to the cap, 413.
	conn = rawRequest(t, srv, verified+"\nTransfer-Encoding: chunked", "7fffffffffffffff\r\n"+strings.Repeat(" ", 8<<10))
	assert.Equal(t, http.StatusRequestEntityTooLarge, readStatus(t, conn))
	waitReturn(t, done, "huge chunk")

	// A Content-Length shorter than the body: the event is read, the rest
	// is the next request, which is not HTTP.
	conn = rawRequest(t, srv, verified+fmt.Sprintf("\nContent-Length: %d", len(ticketDone)), ticketDone+"GARBAGE GARBAGE\r\n\r\n")
	assert.Equal(t, http.StatusOK, readStatus(t, conn))
	waitReturn(t, done, "content-length shorter than the body")

	// Content-Length and Transfer-Encoding together, or two lengths:
	// net/http refuses them before the handler.
	conn = rawRequest(t, srv, verified+"\nContent-Length: 5\nTransfer-Encoding: chunked", "0\r\n\r\n")
	assert.Equal(t, http.StatusBadRequest, readStatus(t, conn))
	conn = rawRequest(t, srv, verified+"\nContent-Length: 5\nContent-Length: 6", "hello!")
	assert.Equal(t, http.StatusBadRequest, readStatus(t, conn))
	assert.Equal(t, int32(1), c.calls.Load(), "only the whole event ran")
}
