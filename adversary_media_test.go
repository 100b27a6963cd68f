package apizee_test

// Adversary tests, media downloads: what the request asks for, a body of
// unknown length, and pages that come in place of the file.

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee"
)

func TestAdversaryMediaDownloadDoesNotAskForJSON(t *testing.T) {
	var accept atomic.Value
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		accept.Store(r.Header.Get("Accept"))
		// A server that negotiates: asked for JSON, it answers a JSON
		// description instead of the file.
		if strings.Contains(r.Header.Get("Accept"), "json") {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"id":1,"url":"..."}`))
			return
		}
		w.Header().Set("Content-Type", "video/mp4")
		w.Write([]byte("mp4-bytes"))
	}))
	defer api.Close()
	c := hostileClient(t, api.URL+"/api")
	var got strings.Builder
	_, err := c.Media.Download(t.Context(), &apizee.Media{URL: api.URL + "/media/1"}, &got)
	require.NoError(t, err)
	assert.Equal(t, "*/*", accept.Load())
	assert.Equal(t, "mp4-bytes", got.String())
}

func TestAdversaryChunkedDownloadOfUnknownLengthIsWhole(t *testing.T) {
	chunk := strings.Repeat("0123456789abcdef", 4096) // 64 KiB
	const chunks = 40
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "video/mp4")
		for range chunks {
			w.Write([]byte(chunk))
			w.(http.Flusher).Flush() // no Content-Length: chunked
		}
	}))
	defer api.Close()
	c := hostileClient(t, api.URL+"/api")

	var got strings.Builder
	// The size the API gave is another rendition's: a chunked body knows
	// its own end, and is whole when it reaches it.
	n, err := c.Media.Download(t.Context(), &apizee.Media{URL: api.URL + "/media/1", Size: 2 * chunks * int64(len(chunk))}, &got)
	require.NoError(t, err, "a body of unknown length is not a short body")
	assert.Equal(t, int64(chunks*len(chunk)), n)
	assert.Equal(t, strings.Repeat(chunk, chunks), got.String())
}

func TestAdversaryGzipDownloadEndsWhereItsStreamSays(t *testing.T) {
	// A compressing proxy answers gzip with neither Content-Length nor
	// chunked encoding, and closes: the gzip stream knows its end (a cut
	// one fails to decompress), so the API's size, another rendition's,
	// does not make the whole file look short.
	const file = "mp4-bytes mp4-bytes mp4-bytes"
	var compressed bytes.Buffer
	zw := gzip.NewWriter(&compressed)
	io.WriteString(zw, file)
	require.NoError(t, zw.Close())
	addr := rawListener(t, func(conn net.Conn) {
		defer conn.Close()
		_, _ = http.ReadRequest(bufio.NewReader(conn))
		io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\nContent-Encoding: gzip\r\nConnection: close\r\n\r\n")
		conn.Write(compressed.Bytes())
	})
	c := hostileClient(t, "http://"+addr+"/api")

	var got strings.Builder
	n, err := c.Media.Download(t.Context(), &apizee.Media{URL: "http://" + addr + "/media/1", Size: 2 * int64(len(file))}, &got)
	require.NoError(t, err)
	assert.Equal(t, int64(len(file)), n)
	assert.Equal(t, file, got.String())
}

func TestAdversaryHTMLPageInPlaceOfTheMediaIsRefused(t *testing.T) {
	for _, contentType := range []string{
		"text/html", "text/html; charset=utf-8", "TEXT/HTML", "application/xhtml+xml", "application/xhtml+xml; charset=UTF-8",
		// Malformed headers that still name HTML first.
		"text/html garbage", "text/html, text/plain", "text/html; charset", "application/xhtml+xml,", "TEXT/HTML, text/plain",
	} {
		t.Run(contentType, func(t *testing.T) {
			api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", contentType)
				w.Write([]byte("<html><body>Please log in to continue</body></html>"))
			}))
			defer api.Close()
			c := hostileClient(t, api.URL+"/api")
			var got strings.Builder
			n, err := c.Media.Download(t.Context(), &apizee.Media{URL: api.URL + "/media/1", ContentType: "video/mp4"}, &got)
			var decErr *apizee.DecodeError
			require.ErrorAs(t, err, &decErr)
			assert.Contains(t, decErr.Excerpt, "Please log in")
			assert.Zero(t, n)
			assert.Empty(t, got.String(), "nothing of the page is saved as the file")
		})
	}

	t.Run("a media that is itself a page", func(t *testing.T) {
		api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/xhtml+xml")
			w.Write([]byte("<html/>"))
		}))
		defer api.Close()
		c := hostileClient(t, api.URL+"/api")
		var got strings.Builder
		_, err := c.Media.Download(t.Context(), &apizee.Media{URL: api.URL + "/media/1", ContentType: "text/html"}, &got)
		require.NoError(t, err)
		assert.Equal(t, "<html/>", got.String())
	})
}

func TestAdversaryDeclaredLengthDecidesWholenessNotTheAPIsSize(t *testing.T) {
	// With a Content-Length, the body is whole when it reaches it, 0
	// included; the API's size (another rendition's) does not make it short.
	for _, file := range []string{"mp4-bytes", ""} {
		api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "video/mp4")
			w.Header().Set("Content-Length", strconv.Itoa(len(file)))
			io.WriteString(w, file)
		}))
		c := hostileClient(t, api.URL+"/api")
		var got strings.Builder
		n, err := c.Media.Download(t.Context(), &apizee.Media{URL: api.URL + "/media/1", Size: 1000}, &got)
		api.Close()
		require.NoError(t, err, "%q", file)
		assert.Equal(t, int64(len(file)), n)
		assert.Equal(t, file, got.String())
	}
}
