package apizee_test

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee"
)

// TestReviewTokenNeverGoesToAHostThatOnlyFoldsLikeTheAPIHost: Unicode case
// folding maps the Kelvin sign (U+212A) to "k" and the long s (U+017F) to
// "s", but net/http dials such a host by its punycode name, another domain
// that anyone may register. A media URL (or a redirect) naming one must not
// get the bearer token.
func TestReviewTokenNeverGoesToAHostThatOnlyFoldsLikeTheAPIHost(t *testing.T) {
	var mu sync.Mutex
	auth := map[string]string{}
	api := roundTripFunc(func(req *http.Request) (*http.Response, error) {
		mu.Lock()
		auth[req.URL.Host+req.URL.Path] = req.Header.Get("Authorization")
		mu.Unlock()
		h := http.Header{"Content-Type": {"video/mp4"}}
		if req.URL.Path == "/api/moved" {
			h.Set("Location", "https://\u212Aiosk.example/elsewhere")
			return &http.Response{StatusCode: http.StatusFound, Header: h, Body: io.NopCloser(strings.NewReader("")), Request: req}, nil
		}
		return &http.Response{StatusCode: http.StatusOK, Header: h, Body: io.NopCloser(strings.NewReader("media")), ContentLength: 5, Request: req}, nil
	})
	c, err := apizee.NewClient(apizee.WithBaseURL("https://kiosk.example/api"), apizee.WithToken("tok-host-fold"),
		apizee.WithHTTPClient(&http.Client{Transport: api}))
	require.NoError(t, err)
	for _, u := range []string{"https://\u212Aiosk.example/media/1", "https://kio\u017Fk.example/media/1", "https://KIOSK.example/api/moved"} {
		_, err := c.Media.Download(t.Context(), &apizee.Media{URL: u}, io.Discard)
		require.NoError(t, err, u)
	}
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, "Bearer tok-host-fold", auth["KIOSK.example/api/moved"], "the API host in another ASCII case gets it")
	for _, hop := range []string{"\u212Aiosk.example/media/1", "kio\u017Fk.example/media/1", "\u212Aiosk.example/elsewhere"} {
		require.Contains(t, auth, hop)
		assert.Empty(t, auth[hop], "%q is on another host", hop)
	}
}

// TestTokenGoesToTheAPIHostInAnyASCIICase: a host name is case-insensitive,
// from A to Z, whichever side writes it in capitals.
func TestTokenGoesToTheAPIHostInAnyASCIICase(t *testing.T) {
	const lower, upper = "abcdefghijklmnopqrstuvwxyz.example", "ABCDEFGHIJKLMNOPQRSTUVWXYZ.EXAMPLE"
	for _, hosts := range [][2]string{{lower, upper}, {upper, lower}} {
		base, media := hosts[0], hosts[1]
		var got string
		api := roundTripFunc(func(req *http.Request) (*http.Response, error) {
			got = req.Header.Get("Authorization")
			h := http.Header{"Content-Type": {"video/mp4"}}
			return &http.Response{StatusCode: http.StatusOK, Header: h, Body: io.NopCloser(strings.NewReader("media")), ContentLength: 5, Request: req}, nil
		})
		c, err := apizee.NewClient(apizee.WithBaseURL("https://"+base+"/api"), apizee.WithToken("tok-any-case"),
			apizee.WithHTTPClient(&http.Client{Transport: api}))
		require.NoError(t, err)
		_, err = c.Media.Download(t.Context(), &apizee.Media{URL: "HTTPS://" + media + "/media/1"}, io.Discard)
		require.NoError(t, err)
		assert.Equal(t, "Bearer tok-any-case", got, "base %s, media on %s", base, media)
	}
}
