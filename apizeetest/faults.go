package apizeetest

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Fault is a misbehaviour the server plays once, instead of or around the
// normal answer to a request. Queue faults with QueueFault: each request
// takes the first queued fault that matches it (FIFO), and that fault is
// then used up.
type Fault struct {
	// Method matches the request method; "" matches any.
	Method string
	// Path matches the path relative to the prefix ("/tickets",
	// "/tickets/82070", "/token"); "" matches any, and a trailing "*" matches
	// a prefix ("/tickets*"). Media files are matched by their absolute path
	// ("/media/showVideo/1/hash/abc").
	Path string

	// Status answers this status instead of serving: the request is not
	// processed.
	Status int
	// Header holds extra response headers sent with Status (Retry-After,
	// X-RateLimit-Reset, Location...).
	Header http.Header
	// Body is sent with Status; empty, an Apizee-shaped JSON error for that
	// status is sent.
	Body string

	// Delay waits before handling the request, or before playing the rest of
	// the fault. The wait ends early, dropping the connection, when the client
	// goes away or the server closes.
	Delay time.Duration

	// DropBeforeProcessing closes the connection without processing the
	// request or answering it. Note that net/http's Transport silently
	// replays a GET (any idempotent request) dropped on a reused connection:
	// the replay is a new request, which takes the next matching fault.
	DropBeforeProcessing bool
	// DropAfterProcessing processes the request fully (a POST creates its
	// ticket or conference), then closes the connection without writing a
	// byte of the answer.
	DropAfterProcessing bool
	// MalformedBody processes the request, then answers 200 with a body that
	// is not JSON.
	MalformedBody bool
	// ShortBody processes the request, then sends the headers with the full
	// Content-Length but only the first half of the body, and closes the
	// connection.
	ShortBody bool
}

// malformedBody is what a MalformedBody fault answers: a maintenance page
// from a proxy, with status 200.
const malformedBody = "<!DOCTYPE html>\n<html><head><title>Apizee</title></head>" +
	"<body><h1>Maintenance in progress</h1><p>Please try again in a few minutes.</p></body></html>\n"

// QueueFault appends f to the queue of faults.
func (s *Server) QueueFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f)
}

// ClearFaults drops every queued fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// FaultsPending returns how many queued faults no request has taken yet.
func (s *Server) FaultsPending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.faults)
}

// takeFault removes and returns the first queued fault that matches.
func (s *Server) takeFault(method, path string) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if matches(f.Method, f.Path, method, path) {
			s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			return f, true
		}
	}
	return Fault{}, false
}

// matches applies the matching rules of Fault.Method and Fault.Path.
func matches(wantMethod, wantPath, method, path string) bool {
	if wantMethod != "" && !strings.EqualFold(wantMethod, method) {
		return false
	}
	if prefix, ok := strings.CutSuffix(wantPath, "*"); ok {
		return strings.HasPrefix(path, prefix)
	}
	return wantPath == "" || wantPath == path
}

// playFault answers r as f says.
func (s *Server) playFault(w *statusWriter, r *http.Request, f Fault) {
	if f.Delay > 0 && !s.wait(r.Context(), f.Delay) {
		w.drop()
		return
	}
	switch {
	case f.DropBeforeProcessing:
		w.drop()
	case f.Status != 0:
		body := []byte(f.Body)
		switch {
		case f.Status < 200 || f.Status == http.StatusNoContent || f.Status == http.StatusNotModified:
			body = nil // HTTP forbids a body
		case len(body) == 0:
			body = defaultErrorBody(f.Status)
		}
		if len(body) > 0 {
			w.Header().Set("Content-Type", sniffContentType(body))
		}
		for name, values := range f.Header {
			w.Header()[http.CanonicalHeaderKey(name)] = values
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(f.Status)
		_, _ = w.Write(body)
	case f.DropAfterProcessing:
		s.route(&discardWriter{header: http.Header{}}, r)
		w.drop()
	case f.MalformedBody:
		s.route(&discardWriter{header: http.Header{}}, r)
		writeBody(w, http.StatusOK, "text/html; charset=utf-8", []byte(malformedBody))
	case f.ShortBody:
		s.route(&halfWriter{statusWriter: w}, r)
		w.drop()
	default:
		s.route(w, r)
	}
}

// wait sleeps for d, and reports false if the client went away or the
// server closed first.
func (s *Server) wait(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-s.closing:
		return false
	}
}

// statusWriter remembers the status written, for the request record.
type statusWriter struct {
	http.ResponseWriter
	status  int
	dropped bool
}

func (w *statusWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// recorded is the status to record: 0 when the connection was dropped.
func (w *statusWriter) recorded() int {
	if w.dropped {
		return 0
	}
	return w.status
}

// drop sends what was written so far, then closes the connection.
func (w *statusWriter) drop() {
	w.dropped = true
	rc := http.NewResponseController(w.ResponseWriter)
	if w.status != 0 {
		// Hijack flushes the headers but not the buffered start of the body.
		_ = rc.Flush()
	}
	// net/http always lets a handler hijack an HTTP/1 connection; if the
	// client is already gone, there is nothing left to close.
	if conn, _, err := rc.Hijack(); err == nil {
		_ = conn.Close()
	}
}

// discardWriter is the answer of a request whose answer is lost: the
// handler runs in full, nothing is kept.
type discardWriter struct{ header http.Header }

func (w *discardWriter) Header() http.Header         { return w.header }
func (w *discardWriter) WriteHeader(int)             {}
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }

// errShortBody stops a handler once half its body is out.
var errShortBody = errors.New("apizeetest: ShortBody fault: the rest of the body is withheld")

// halfWriter passes the headers and the first half of the declared
// Content-Length through, and refuses the rest.
type halfWriter struct {
	*statusWriter
	left int64
}

func (w *halfWriter) WriteHeader(status int) {
	if n, err := strconv.ParseInt(w.Header().Get("Content-Length"), 10, 64); err == nil {
		w.left = n / 2
	}
	w.statusWriter.WriteHeader(status)
}

func (w *halfWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if int64(len(p)) <= w.left {
		w.left -= int64(len(p))
		return w.statusWriter.Write(p)
	}
	n, _ := w.statusWriter.Write(p[:w.left])
	w.left = 0
	return n, errShortBody
}
