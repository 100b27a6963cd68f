package apizee

import (
	"errors"
	"net/url"
	"path"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// FuzzDoPath: whatever path Do is given, it is either refused with a
// *ValidationError naming Path, or sent to the base URL's host under the
// base URL's path, with no query or fragment of its own and no segment that
// reads as "." or "..", however many times a server decodes it, and
// however leniently (lenientServerPath).
func FuzzDoPath(f *testing.F) {
	for _, seed := range []string{
		"/tickets/1", "/users/jane%20doe", "/a%2Fb", "/../x", "/%2e%2e/x", "/%252e%252e/x", "//evil/x", "https://evil/x",
		"/x?y=1", "/x#f", "/a\\b", "/é/ü", "/%zz", "/a/./b", "/a/%2E/b", "/.well-known/x", "/...", "/a//b", "/%00", "/@evil",
		"/..;/x", "/..%252f..%252fx", "/%c0%ae%c0%ae/x", "/\uff0e\uff0e/x", "/.\u200b./x", "/x%3Fy=1", "/%252e%252e/%25zz",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, path string) {
		c := answeringClient(t, nil)
		u, err := c.rawEndpoint(path, url.Values{"q": {"1"}})
		if err != nil {
			var ve *ValidationError
			require.True(t, errors.As(err, &ve), "%v", err)
			assert.Equal(t, "Path", ve.Field)
			return
		}
		sent, err := url.Parse(u.String())
		require.NoError(t, err, "what is sent parses")
		assert.Equal(t, "https", sent.Scheme)
		assert.Equal(t, "api.example", sent.Host, "the token stays on the API host")
		assert.Nil(t, sent.User)
		assert.Equal(t, "q=1", sent.RawQuery, "the path adds no query")
		assert.Empty(t, sent.Fragment)
		assert.True(t, strings.HasPrefix(sent.EscapedPath(), "/api/"), "under the base path: %q", sent.EscapedPath())
		clean, smuggled := lenientServerPath(sent.EscapedPath())
		assert.False(t, smuggled, "a lenient server reads a query, fragment or control character in %q", sent.EscapedPath())
		assert.True(t, clean == "/api" || strings.HasPrefix(clean, "/api/"), "a lenient server reads %q as %q", sent.EscapedPath(), clean)
		for segment := range strings.SplitSeq(sent.EscapedPath(), "/") {
			for range 4 {
				require.NotContains(t, []string{".", ".."}, segment, "a dot segment in %q", sent.EscapedPath())
				unescaped, err := url.PathUnescape(segment)
				if err != nil || unescaped == segment {
					break
				}
				segment = unescaped
				// A segment that decodes into several reads as several.
				for part := range strings.SplitSeq(segment, "/") {
					require.NotContains(t, []string{".", ".."}, part, "a dot segment in %q", sent.EscapedPath())
				}
			}
		}
	})
}

// lenientServerPath is how the most forgiving server or proxy in front of
// the API may read a request path: percent-decoding as many times as it
// can (leaving what is not an escape), folding compatibility forms and
// best-fit look-alikes to ASCII (U+FF0E to ".", U+FF0F to "/", overlong
// UTF-8), dropping format characters, reading "\" as "/", dropping ";"
// parameters from segments (Tomcat reads "..;" as ".."), cutting at NUL (a C
// backend), and cleaning. smuggled reports what a server would read as a
// query or fragment, or a control character, in the decoded path.
func lenientServerPath(raw string) (clean string, smuggled bool) {
	p := raw
	for range 16 {
		next := lenientUnescape(p)
		if strings.ContainsAny(next, "?#") || strings.ContainsFunc(next, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			smuggled = true
		}
		if next == p {
			break
		}
		p = next
	}
	p = strings.NewReplacer(
		"\xc0\xae", ".", "\xc0\xaf", "/", "\xc1\x9c", "\\", // overlong UTF-8
		"\uff0e", ".", "\u2024", ".", "\u2025", "..", "\ufe52", ".", "\u3002", ".", // dots
		"\uff0f", "/", "\u2215", "/", "\u2044", "/", // slashes
		"\uff3c", "\\", "\ufe68", "\\", "\u2216", "\\", // backslashes
		"\u200b", "", "\u00ad", "", "\u2060", "", "\ufeff", "", // format characters
	).Replace(p)
	if i := strings.IndexByte(p, 0); i >= 0 {
		p = p[:i]
	}
	p = strings.ReplaceAll(p, "\\", "/")
	segments := strings.Split(p, "/")
	for i, s := range segments {
		if j := strings.IndexByte(s, ';'); j >= 0 {
			segments[i] = s[:j]
		}
	}
	return path.Clean("/" + strings.Join(segments, "/")), smuggled
}

// lenientUnescape decodes every valid %XX and leaves the rest, as lenient
// decoders do.
func lenientUnescape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil {
				b.WriteByte(byte(v))
				i += 2
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
