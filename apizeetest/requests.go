package apizeetest

import (
	"net/http"
	"net/url"
)

// Request is a request the server received, as recorded on arrival.
type Request struct {
	Method string
	// Path is relative to the prefix, as faults match it; media files and
	// anything else outside the prefix keep their absolute path.
	Path   string
	Query  url.Values
	Header http.Header // a copy
	Form   url.Values  // the parsed x-www-form-urlencoded body, if any
	Status int         // the status answered; 0 while in progress or when the connection was dropped
}

// Requests returns a copy of every request received so far, /token and
// media files included, in arrival order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.requests))
	for i, r := range s.requests {
		out[i] = Request{Method: r.Method, Path: r.Path, Query: cloneValues(r.Query),
			Header: r.Header.Clone(), Form: cloneValues(r.Form), Status: r.Status}
	}
	return out
}

// RequestCount returns how many requests matched method and path, with the
// matching rules of Fault.Method and Fault.Path ("" matches any, a trailing
// "*" matches a prefix).
func (s *Server) RequestCount(method, path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.requests {
		if matches(method, path, r.Method, r.Path) {
			n++
		}
	}
	return n
}

// ResetRequests forgets the requests received so far.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
}

// record appends r and returns its record, for setStatus.
func (s *Server) record(r *http.Request, path string, form url.Values) *Request {
	rec := &Request{Method: r.Method, Path: path, Query: r.URL.Query(), Header: r.Header.Clone(), Form: cloneValues(form)}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, rec)
	return rec
}

// setStatus records the status answered to rec.
func (s *Server) setStatus(rec *Request, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec.Status = status
}

func cloneValues(v url.Values) url.Values {
	if v == nil {
		return nil
	}
	return url.Values(http.Header(v).Clone())
}
