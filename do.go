package apizee

import (
	"context"
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/apizee-go/apizee/internal/redact"
)

// Do sends method path?query, for an endpoint this SDK does not model,
// through the same pipeline as every service method: the bearer token and
// the replay after a 401, the retry policy of the method (GET, HEAD,
// OPTIONS, PUT and DELETE are retried on 5xx and connection errors; any
// other method, like POST, only when it provably never reached the server
// or got 429), the rate limiter and the server's waits, the redirect
// policy, redaction and typed errors (*APIError, *RequestError,
// *DecodeError).
//
// path is relative to the base URL and starts with "/"
// ("/conferences/842341"); it is sent as written after the base URL's
// path, so escape what needs escaping (url.PathEscape). A path is refused
// with a *ValidationError before any request when a server or a proxy could
// read it outside the base URL's prefix or with a query of its own, however
// leniently it decodes: a path that is not relative ("https://...",
// "//host"); a query or a fragment (pass the query as query); a backslash
// or a control character; a "." or ".." segment, also with ";" parameters
// ("..;"); a non-ASCII character that is not a letter or a digit (Unicode
// dots and slashes, invisible characters, invalid UTF-8); any of these
// percent-encoded, once or several times.
//
// A 2xx JSON answer is decoded into out, at most 32 MiB of it; out nil
// discards the body, and an out that is not a pointer (or a nil one) is
// refused before any request. A 204 or 205 answer has no body and leaves out as it
// is; any other 2xx that is not JSON is a *DecodeError.
//
// The Response is returned with the error of a failed call too; it is nil
// only for a *ValidationError, when nothing was attempted.
func (c *Client) Do(ctx context.Context, method, path string, query url.Values, out any) (*Response, error) {
	if ctx == nil {
		return nil, errNilContext
	}
	if err := checkMethod(method); err != nil {
		return nil, err
	}
	if v := reflect.ValueOf(out); out != nil && (v.Kind() != reflect.Pointer || v.IsNil()) {
		// Found after the answer came, the request would have been made
		// (a POST too) for a DecodeError the caller may retry.
		return nil, invalid("Out", "must be nil or a non-nil pointer, got %T", out)
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
	shown := quotePath(path)
	switch {
	case !strings.HasPrefix(path, "/"):
		return nil, invalid("Path", "%q is not relative to the base URL: it must start with \"/\"", shown)
	case strings.HasPrefix(path, "//"):
		return nil, invalid("Path", "%q starts with \"//\", which names a host: give a path relative to the base URL", shown)
	case strings.ContainsAny(path, "?#"):
		return nil, invalid("Path", "%q carries a query or a fragment: pass the query as the query argument", shown)
	case hasControl(path):
		return nil, invalid("Path", "contains a control character")
	}
	p, err := url.Parse(path)
	if err != nil || p.Scheme != "" || p.Host != "" || p.User != nil {
		return nil, invalid("Path", "%q is not a path relative to the base URL", shown)
	}
	if reason := pathRisk(p.Path); reason != "" {
		return nil, invalid("Path", "%q %s", shown, reason)
	}
	u := *c.cfg.baseURL
	u.Path = c.cfg.baseURL.Path + p.Path
	u.RawPath = c.cfg.baseURL.EscapedPath() + p.EscapedPath()
	u.RawQuery = query.Encode()
	return &u, nil
}

// maxPathDecodings is how many decodings of a path pathRisk checks; a path
// still encoded after them is refused.
const maxPathDecodings = 4

// pathRisk says how a server could read path (decoded once) outside the
// base URL's prefix or with a query, or returns "". A server or a proxy in
// front of it may decode the path again (and again), read "\" as "/", drop
// ";" parameters (Tomcat and Spring read "..;" as ".."), fold a Unicode
// look-alike or an overlong UTF-8 sequence to ASCII ("\uff0e" to "."), or drop
// an invisible character: each decoding is checked, and a non-ASCII
// character that is not a letter or a digit is refused outright.
func pathRisk(path string) string {
	for range maxPathDecodings {
		if reason := decodedPathRisk(path); reason != "" {
			return reason
		}
		next := unescapeLeniently(path)
		if next == path {
			return ""
		}
		path = next
	}
	return fmt.Sprintf("is still percent-encoded after %d decodings", maxPathDecodings)
}

// decodedPathRisk is pathRisk for one decoding of a path.
func decodedPathRisk(path string) string {
	for _, r := range path {
		switch {
		case r == '?' || r == '#':
			return "carries an encoded query or fragment: pass the query as the query argument"
		case r == '\\':
			return "contains a backslash, which some servers read as \"/\""
		case unicode.IsControl(r):
			return "contains an encoded control character"
		case r >= utf8.RuneSelf && !unicode.IsLetter(r) && !unicode.IsNumber(r):
			// utf8.RuneError too: invalid UTF-8, an overlong "." among others.
			return fmt.Sprintf("contains %U, which is not a letter or a digit: a server may read such a character as \".\" or \"/\", or drop it", r)
		}
	}
	for segment := range strings.SplitSeq(path, "/") {
		segment, _, _ = strings.Cut(segment, ";")
		if segment == "." || segment == ".." {
			return "has a \".\" or \"..\" segment, which could leave the base URL's prefix"
		}
	}
	return ""
}

// unescapeLeniently decodes every valid %XX escape of s and keeps the rest
// as it is, as a lenient server does: url.PathUnescape would give up on the
// whole path at the first "%" that is not an escape.
func unescapeLeniently(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
			continue
		}
		b = append(b, s[i])
	}
	return string(b)
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

// maxQuotedPath bounds how much of a refused path its error quotes.
const maxQuotedPath = 100

// quotePath returns path for an error message: secrets masked, at most
// maxQuotedPath bytes of it.
func quotePath(path string) string {
	path = redact.String(path)
	if len(path) > maxQuotedPath {
		path = strings.ToValidUTF8(path[:maxQuotedPath], "") + "…"
	}
	return path
}
