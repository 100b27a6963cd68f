package apizee

import (
	"context"
	"net/url"
	"strings"

	"github.com/apizee-go/apizee/internal/redact"
)

// Do sends method path?query, for an endpoint this SDK does not model,
// through the same pipeline as every service method: the bearer token and
// the replay after a 401, the retry policy of the method (GET, HEAD, PUT
// and DELETE are retried on 5xx and connection errors; any other method,
// like POST, only when it provably never reached the server or got 429),
// the rate limiter and the server's waits, the redirect policy, redaction
// and typed errors (*APIError, *RequestError, *DecodeError).
//
// path is relative to the base URL and starts with "/"
// ("/conferences/842341"); it is sent as written after the base URL's
// path, so escape what needs escaping (url.PathEscape). A path that is not
// relative ("https://...", "//host"), that carries a query or a fragment
// (pass the query as query), a backslash, a control character, or a "."
// or ".." segment (percent-encoded too), is refused with a
// *ValidationError before any request: it could leave the base URL's
// prefix.
//
// A 2xx JSON answer is decoded into out, at most 32 MiB of it; out nil
// discards the body. A 204 or 205 answer has no body and leaves out as it
// is; any other 2xx that is not JSON is a *DecodeError.
//
// The Response is returned whenever a request was attempted, with the
// error of a failed call too; it is nil only for a *ValidationError.
func (c *Client) Do(ctx context.Context, method, path string, query url.Values, out any) (*Response, error) {
	if err := checkMethod(method); err != nil {
		return nil, err
	}
	u, err := c.rawEndpoint(path, query)
	if err != nil {
		return nil, err
	}
	resp := &Response{}
	err = c.exchange(ctx, request{method: method, url: u, opts: []CallOption{ResponseInto(resp)}, noContentOK: true}, out)
	return resp, err
}

// checkMethod refuses a method that is not an HTTP token.
func checkMethod(method string) error {
	if method == "" {
		return invalid("Method", "is empty")
	}
	for _, r := range method {
		if !isTokenChar(r) {
			return invalid("Method", "%q is not an HTTP method", method)
		}
	}
	return nil
}

// isTokenChar reports whether r may appear in an HTTP token (RFC 9110, tchar).
func isTokenChar(r rune) bool {
	return r < 0x7f && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("!#$%&'*+-.^_`|~", r))
}

// rawEndpoint returns the absolute URL of a path given to Do: the base URL
// with path appended as written, and query. See Do for what is refused.
func (c *Client) rawEndpoint(path string, query url.Values) (*url.URL, error) {
	shown := redact.String(path)
	switch {
	case !strings.HasPrefix(path, "/"):
		return nil, invalid("Path", "%q is not relative to the base URL: it must start with \"/\"", shown)
	case strings.HasPrefix(path, "//"):
		return nil, invalid("Path", "%q starts with \"//\", which names a host: give a path relative to the base URL", shown)
	case strings.ContainsAny(path, "?#"):
		return nil, invalid("Path", "%q carries a query or a fragment: pass the query as the query argument", shown)
	case strings.ContainsRune(path, '\\'):
		return nil, invalid("Path", "%q contains a backslash, which some servers read as \"/\"", shown)
	case hasControl(path):
		return nil, invalid("Path", "contains a control character")
	}
	p, err := url.Parse(path)
	if err != nil || p.Scheme != "" || p.Host != "" || p.User != nil {
		return nil, invalid("Path", "%q is not a path relative to the base URL", shown)
	}
	for segment := range strings.SplitSeq(p.Path, "/") {
		if isDotSegment(segment) {
			return nil, invalid("Path", "%q has a \".\" or \"..\" segment, which could leave the base URL's prefix", shown)
		}
	}
	u := *c.cfg.baseURL
	u.Path = c.cfg.baseURL.Path + p.Path
	u.RawPath = c.cfg.baseURL.EscapedPath() + p.EscapedPath()
	u.RawQuery = query.Encode()
	return &u, nil
}

// isDotSegment reports whether a path segment (already unescaped once) is
// "." or "..", or becomes one when unescaped again: a server or proxy that
// decodes twice would read "%252e%252e" as "..".
func isDotSegment(segment string) bool {
	for range 3 {
		if segment == "." || segment == ".." {
			return true
		}
		unescaped, err := url.PathUnescape(segment)
		if err != nil || unescaped == segment {
			return false
		}
		segment = unescaped
	}
	return false
}
