package apizee_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee"
)

// fileServer serves /media/<size> as size bytes of a fixed pattern and
// records the Authorization header of every request.
type fileServer struct {
	*httptest.Server
	mu    sync.Mutex
	auths map[string]string // path -> Authorization seen
}

var pattern = bytes.Repeat([]byte("apizee-media-0123456789abcdef\n"), 2048) // ~60 KiB

func newFileServer(t *testing.T, handler http.HandlerFunc) *fileServer {
	fs := &fileServer{auths: map[string]string{}}
	fs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fs.mu.Lock()
		fs.auths[r.URL.Path] = r.Header.Get("Authorization")
		fs.mu.Unlock()
		handler(w, r)
	}))
	t.Cleanup(fs.Close)
	return fs
}

func (fs *fileServer) auth(path string) (string, bool) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	v, ok := fs.auths[path]
	return v, ok
}

// servePattern writes size bytes from the shared pattern without allocating.
func servePattern(w http.ResponseWriter, size int64) {
	w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
	w.Header().Set("Content-Type", "video/mp4")
	for size > 0 {
		n := min(size, int64(len(pattern)))
		if _, err := w.Write(pattern[:n]); err != nil {
			return
		}
		size -= n
	}
}

func patternSum(size int64) [32]byte {
	h := sha256.New()
	for size > 0 {
		n := min(size, int64(len(pattern)))
		h.Write(pattern[:n])
		size -= n
	}
	var sum [32]byte
	copy(sum[:], h.Sum(nil))
	return sum
}

func mediaClient(t *testing.T, base string) *apizee.Client {
	t.Helper()
	c, err := apizee.NewClient(apizee.WithBaseURL(base+"/api"), apizee.WithToken("media-token"),
		apizee.WithRetryPolicy(apizee.RetryPolicy{MaxRetries: 1, MinBackoff: 1, MaxBackoff: 1}))
	require.NoError(t, err)
	return c
}

func TestDownloadStreamsTheFileWithTheTokenOnTheAPIHost(t *testing.T) {
	const size = 3<<20 + 17
	api := newFileServer(t, func(w http.ResponseWriter, r *http.Request) { servePattern(w, size) })
	c := mediaClient(t, api.URL)

	h := sha256.New()
	n, err := c.Media.Download(context.Background(), &apizee.Media{URL: api.URL + "/media/showVideo/1/hash/abc"}, h)
	require.NoError(t, err)
	assert.Equal(t, int64(size), n)
	assert.Equal(t, patternSum(size), [32]byte(h.Sum(nil)))
	auth, _ := api.auth("/media/showVideo/1/hash/abc")
	assert.Equal(t, "Bearer media-token", auth)
}

func TestOpenReturnsTheStream(t *testing.T) {
	api := newFileServer(t, func(w http.ResponseWriter, r *http.Request) { servePattern(w, 1000) })
	c := mediaClient(t, api.URL)

	body, err := c.Media.Open(context.Background(), &apizee.Media{URL: api.URL + "/media/x"})
	require.NoError(t, err)
	got, err := io.ReadAll(body)
	require.NoError(t, err)
	require.NoError(t, body.Close())
	assert.Equal(t, pattern[:1000], got)
}

func TestDownloadNeverSendsTheTokenToAnotherHost(t *testing.T) {
	cdn := newFileServer(t, func(w http.ResponseWriter, r *http.Request) { servePattern(w, 10) })
	api := newFileServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/media/offhost":
			http.Redirect(w, r, cdn.URL+"/file", http.StatusFound)
		case "/media/onhost":
			http.Redirect(w, r, "/media/final", http.StatusFound)
		default:
			servePattern(w, 10)
		}
	})
	c := mediaClient(t, api.URL)
	ctx := context.Background()

	t.Run("media URL on another host", func(t *testing.T) {
		_, err := c.Media.Download(ctx, &apizee.Media{URL: cdn.URL + "/direct"}, io.Discard)
		require.NoError(t, err)
		auth, seen := cdn.auth("/direct")
		require.True(t, seen)
		assert.Empty(t, auth)
	})
	t.Run("redirect to another host", func(t *testing.T) {
		_, err := c.Media.Download(ctx, &apizee.Media{URL: api.URL + "/media/offhost"}, io.Discard)
		require.NoError(t, err)
		first, _ := api.auth("/media/offhost")
		assert.Equal(t, "Bearer media-token", first)
		auth, seen := cdn.auth("/file")
		require.True(t, seen)
		assert.Empty(t, auth)
	})
	t.Run("redirect on the API host keeps it", func(t *testing.T) {
		_, err := c.Media.Download(ctx, &apizee.Media{URL: api.URL + "/media/onhost"}, io.Discard)
		require.NoError(t, err)
		auth, _ := api.auth("/media/final")
		assert.Equal(t, "Bearer media-token", auth)
	})
}

func TestDownloadErrors(t *testing.T) {
	api := newFileServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/media/missing":
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"message":"Media not found"}`)
		case "/media/short":
			w.Header().Set("Content-Length", "1000")
			w.Write(pattern[:400])
		}
	})
	c := mediaClient(t, api.URL)
	ctx := context.Background()

	t.Run("non-2xx is an APIError", func(t *testing.T) {
		n, err := c.Media.Download(ctx, &apizee.Media{URL: api.URL + "/media/missing"}, io.Discard)
		assert.Zero(t, n)
		var apiErr *apizee.APIError
		require.ErrorAs(t, err, &apiErr)
		assert.ErrorIs(t, err, apizee.ErrNotFound)
		assert.Equal(t, "Media not found", apiErr.Message)
	})
	t.Run("a body shorter than its Content-Length is an error", func(t *testing.T) {
		var buf bytes.Buffer
		n, err := c.Media.Download(ctx, &apizee.Media{URL: api.URL + "/media/short"}, &buf)
		require.Error(t, err)
		assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
		assert.Equal(t, int64(400), n)
		assert.Contains(t, err.Error(), "400 of 1000 bytes")
	})
	t.Run("bad media is refused before any request", func(t *testing.T) {
		for _, m := range []*apizee.Media{nil, {URL: ""}, {URL: "/media/relative"}, {URL: "ftp://example.com/x"}} {
			_, err := c.Media.Download(ctx, m, io.Discard)
			var verr *apizee.ValidationError
			require.ErrorAs(t, err, &verr)
			_, err = c.Media.Open(ctx, m)
			require.ErrorAs(t, err, &verr)
		}
		_, seen := api.auth("/media/relative")
		assert.False(t, seen)
	})
}

// TestDownloadMemoryStaysFlat downloads 256 MiB and measures every byte the
// process allocates meanwhile (client and server alike): the file must not
// be buffered.
func TestDownloadMemoryStaysFlat(t *testing.T) {
	const size = 256 << 20
	api := newFileServer(t, func(w http.ResponseWriter, r *http.Request) { servePattern(w, size) })
	c := mediaClient(t, api.URL)
	m := &apizee.Media{URL: api.URL + "/media/big"}
	// Warm the connection pool and the token so that only the download is measured.
	_, err := c.Media.Download(context.Background(), &apizee.Media{URL: api.URL + "/media/warm"}, io.Discard)
	require.NoError(t, err)

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	n, err := c.Media.Download(context.Background(), m, io.Discard)
	runtime.ReadMemStats(&after)
	require.NoError(t, err)
	require.Equal(t, int64(size), n)
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("256 MiB download allocated %d bytes", allocated)
	assert.Less(t, allocated, uint64(1<<20), "allocations must stay under 1 MiB for a 256 MiB file")
}

func TestDownloadRefusesAnHTMLPageInPlaceOfTheFile(t *testing.T) {
	const page = "<html><head><title>Maintenance</title></head><body>Back soon</body></html>"
	api := newFileServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, page)
	})
	c := mediaClient(t, api.URL)
	video := &apizee.Media{URL: api.URL + "/media/showVideo/1/hash/abc", ContentType: "video/mp4"}

	var buf bytes.Buffer
	n, err := c.Media.Download(context.Background(), video, &buf)
	var decErr *apizee.DecodeError
	require.ErrorAs(t, err, &decErr)
	assert.Zero(t, n)
	assert.Zero(t, buf.Len(), "nothing of the page is written as the media")
	assert.Equal(t, "/media/showVideo/1/hash/abc", decErr.Path)
	assert.Contains(t, decErr.Excerpt, "Maintenance")

	body, err := c.Media.Open(context.Background(), video)
	assert.Nil(t, body)
	require.ErrorAs(t, err, &decErr)

	// A media that is itself an HTML page downloads as one.
	shared := &apizee.Media{URL: api.URL + "/media/page", ContentType: "text/html"}
	_, err = c.Media.Download(context.Background(), shared, &buf)
	require.NoError(t, err)
	assert.Equal(t, page, buf.String())
}

// TestDownloadHTMLPageExcerptMasksATokenItCuts: the excerpt of a page in
// place of the file is its first 200 bytes, which may end inside the
// token the page echoes; that beginning of the token is masked too.
func TestDownloadHTMLPageExcerptMasksATokenItCuts(t *testing.T) {
	filler := "<html><body>" + strings.Repeat("x", 200-len("<html><body>")-len("media-t"))
	api := newFileServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, filler+"media-token</body></html>")
	})
	c := mediaClient(t, api.URL)
	_, err := c.Media.Download(context.Background(), &apizee.Media{URL: api.URL + "/media/x", ContentType: "video/mp4"}, io.Discard)
	var decErr *apizee.DecodeError
	require.ErrorAs(t, err, &decErr)
	assert.Contains(t, decErr.Excerpt, "xxxx")
	assert.NotContains(t, decErr.Excerpt, "media-t")
	assert.NotContains(t, fmt.Sprintf("%v %+v %#v", err, err, err), "media-t")
}
