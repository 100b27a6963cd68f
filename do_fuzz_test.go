package apizee

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// FuzzDoPath: whatever path Do is given, it is either refused with a
// *ValidationError naming Path, or sent to the base URL's host under the
// base URL's path, with no query or fragment of its own and no segment that
// reads as "." or "..", however many times a server decodes it.
func FuzzDoPath(f *testing.F) {
	for _, seed := range []string{
		"/tickets/1", "/users/jane%20doe", "/a%2Fb", "/../x", "/%2e%2e/x", "/%252e%252e/x", "//evil/x", "https://evil/x",
		"/x?y=1", "/x#f", "/a\\b", "/é/ü", "/%zz", "/a/./b", "/a/%2E/b", "/.well-known/x", "/...", "/a//b", "/%00", "/@evil",
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
