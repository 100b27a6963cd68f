package apizee_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee"
)

// Review: a body with neither Content-Length nor chunked encoding ends
// when the connection closes, so a transfer cut short (a proxy that dies)
// looks whole to HTTP. The media's size, when the API gave one, tells.
func TestReviewDownloadOfACloseDelimitedBodyCutShortIsAnError(t *testing.T) {
	serve := func(body string) *httptest.Server {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			conn, buf, err := http.NewResponseController(w).Hijack()
			if !assert.NoError(t, err) {
				return
			}
			defer conn.Close()
			_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\nConnection: close\r\n\r\n" + body)
			_ = buf.Flush()
		}))
		t.Cleanup(srv.Close)
		return srv
	}
	short := serve(strings.Repeat("v", 4000))
	c := hostileClient(t, short.URL+"/api")
	var got strings.Builder
	n, err := c.Media.Download(t.Context(), &apizee.Media{URL: short.URL + "/media/1", Size: 10_000}, &got)
	require.Error(t, err)
	assert.True(t, errors.Is(err, io.ErrUnexpectedEOF), "%v", err)
	assert.Contains(t, err.Error(), "4000 of 10000 bytes")
	assert.Equal(t, int64(4000), n, "with the bytes written so far")

	// Whole, or of no known size: no error.
	whole := serve(strings.Repeat("v", 10_000))
	c = hostileClient(t, whole.URL+"/api")
	for _, size := range []int64{10_000, 0} {
		n, err = c.Media.Download(t.Context(), &apizee.Media{URL: whole.URL + "/media/1", Size: size}, io.Discard)
		require.NoError(t, err, "size %d", size)
		assert.Equal(t, int64(10_000), n)
	}
}
