package apizee_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee"
)

// TestReviewDoNeverLeavesThePrefixForALenientServer: every path below is
// either refused before any request, or reaches the server at a path that
// even the most lenient reading (LenientServerPath) keeps under the base
// URL's prefix, with no query or control character smuggled in it.
func TestReviewDoNeverLeavesThePrefixForALenientServer(t *testing.T) {
	type seen struct{ host, uri string }
	var mu sync.Mutex
	var got []seen
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, seen{r.Host, r.RequestURI})
		mu.Unlock()
		ok(w, r)
	})
	c, err := apizee.NewClient(apizee.WithBaseURL(s.base()), apizee.WithToken("tok"), apizee.WithRetryPolicy(apizee.RetryPolicy{}))
	require.NoError(t, err)
	host := strings.TrimPrefix(s.URL, "http://")
	for _, p := range []string{
		// Decoded more often than the SDK looks.
		"/%2525252e%2525252e/token",
		"/%252525252e%252525252e/token",
		// A slash encoded twice: one decoding leaves "..%2f..%2ftoken".
		"/tickets/%2e%2e%252f%2e%2e%252ftoken",
		"/tickets/..%252f..%252ftoken",
		"/tickets/..%25252f..%25252ftoken",
		// An escape hidden behind an invalid one.
		"/%252e%252e/%25zz",
		"/%25%32%65%25%32%65/token",
		// A backslash, encoded.
		"/tickets/..%5c..%5ctoken",
		"/tickets/..%255c..%255ctoken",
		// Path parameters: Tomcat and Spring read "..;" as "..".
		"/tickets/..;/..;/token",
		"/tickets/..;x=1/..;/token",
		"/tickets/..%3b/..%3b/token",
		"/tickets/%2e%2e%253b/%2e%2e%253b/token",
		// Unicode dots and slashes, and overlong UTF-8.
		"/\uff0e\uff0e/token",
		"/%EF%BC%8E%EF%BC%8E/token",
		"/\u2024\u2024/token",
		"/\u2025/token",
		"/\ufe52\ufe52/token",
		"/tickets/..\uff0f..\uff0ftoken",
		"/tickets/..\u2215..\u2215token",
		"/tickets/..\uff3c..\uff3ctoken",
		"/%c0%ae%c0%ae/token",
		"/tickets/%c0%ae%c0%ae%c0%af%c0%ae%c0%ae%c0%aftoken",
		// Dots a server that drops format characters joins.
		"/.\u200b./token",
		"/.%E2%80%8B./token",
		"/.%C2%AD./token",
		// Queries and fragments smuggled encoded, and control characters.
		"/tickets%3Faccess_token=x",
		"/tickets%253Freference=1",
		"/tickets%23frag",
		"/tickets%00",
		"/tickets%0d%0aX-Injected:%201",
		"/tickets%250d%250a",
		// What must go through: it stays under the prefix.
		"/",
		"/users/jane%20doe/reports/a%2Fb",
		"/@evil.example/tickets",
		"/tickets@evil.example",
		"/tickets/%2Fevil.example",
		"/users/jos%C3%A9",
		"/users/\u65e5\u672c",
		"/" + strings.Repeat("a", 100<<10),
		"/" + strings.Repeat("a/", 50<<10) + "%2e%2e",
	} {
		name := p
		if len(name) > 60 {
			name = name[:60]
		}
		t.Run(strconv.Quote(name), func(t *testing.T) {
			mu.Lock()
			got = nil
			mu.Unlock()
			_, err := c.Do(t.Context(), http.MethodGet, p, nil, nil)
			var ve *apizee.ValidationError
			if assert.NotErrorAs(t, err, new(*apizee.RequestError)) && err != nil && !assert.ErrorAs(t, err, &ve) {
				return
			}
			if ve != nil {
				assert.Less(t, len(ve.Error()), 400, "the error quotes a bounded part of the path")
			}
			mu.Lock()
			defer mu.Unlock()
			if ve != nil {
				assert.Empty(t, got, "refused before any request")
				return
			}
			require.Len(t, got, 1)
			assert.Equal(t, host, got[0].host)
			uri, _, _ := strings.Cut(got[0].uri, "?")
			clean, smuggled := apizee.LenientServerPath(uri)
			assert.False(t, smuggled, "a lenient server reads a query, fragment or control character in %q", uri)
			assert.True(t, clean == "/api" || strings.HasPrefix(clean, "/api/"), "a lenient server reads %q as %q", uri, clean)
		})
	}
}

// TestReviewDoRefusesWhatALenientServerReadsOutsideThePrefix pins that the
// paths above that escape are refused with a *ValidationError (and not
// merely answered by a server that happens to be strict).
func TestReviewDoRefusesWhatALenientServerReadsOutsideThePrefix(t *testing.T) {
	s := newServer(t, ok)
	c, err := apizee.NewClient(apizee.WithBaseURL(s.base()), apizee.WithToken("tok"))
	require.NoError(t, err)
	for _, p := range []string{
		"/%2525252e%2525252e/token",
		"/tickets/..%252f..%252ftoken",
		"/%252e%252e/%25zz",
		"/tickets/..%5c..%5ctoken",
		"/tickets/..;/..;/token",
		"/tickets/..%3b/token",
		"/\uff0e\uff0e/token",
		"/tickets/..\uff0f..\uff0ftoken",
		"/%c0%ae%c0%ae/token",
		"/.\u200b./token",
		"/tickets%3Faccess_token=x",
		"/tickets%253Freference=1",
		"/tickets%23frag",
		"/tickets%00",
		"/tickets%0d%0aX-Injected:%201",
	} {
		_, err := c.Do(t.Context(), http.MethodGet, p, nil, nil)
		requireValidationError(t, err, "Path")
	}
	_, err = c.Do(t.Context(), http.MethodGet, "/users/"+url.PathEscape("josé")+"/x;v=1", nil, nil)
	assert.NoError(t, err, "a letter of any script and a ';' that ends no dot segment are fine")
}

// TestReviewDoRefusesAnOutItCannotFillBeforeSending: out that is not a
// non-nil pointer can never receive the answer; found only after the
// answer came, the POST has been made and the caller sees a DecodeError it
// may well retry. A nil context is a *ValidationError with no Response, as
// Do's doc promises for every *ValidationError.
func TestReviewDoRefusesAnOutItCannotFillBeforeSending(t *testing.T) {
	var hits atomic.Int32
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) { hits.Add(1); ok(w, r) })
	c, err := apizee.NewClient(apizee.WithBaseURL(s.base()), apizee.WithToken("tok"))
	require.NoError(t, err)
	var typedNil *struct{ OK bool }
	for name, out := range map[string]any{"a struct value": struct{ OK bool }{}, "a map value": map[string]any{}, "a nil pointer": typedNil} {
		resp, err := c.Do(t.Context(), http.MethodPost, "/things", nil, out)
		requireValidationError(t, err, "Out")
		assert.Nil(t, resp, name)
	}
	assert.Zero(t, hits.Load(), "nothing sent")

	var nilCtx context.Context // a nil interface, as a caller's bug passes it
	resp, err := c.Do(nilCtx, http.MethodGet, "/x", nil, nil)
	requireValidationError(t, err, "Context")
	assert.Nil(t, resp)
}
