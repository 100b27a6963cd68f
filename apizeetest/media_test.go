package apizeetest_test

import (
	"crypto/sha256"
	"io"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee/apizeetest"
)

func TestListTicketMedia(t *testing.T) {
	srv := newServer(t)

	body := get(t, srv, "/enterprises/1/tickets/663614/medias").object(t)

	assert.Equal(t, float64(10), body["limit"])
	assert.Equal(t, float64(0), body["offset"])
	assert.Equal(t, float64(2), body["count"])
	medias := body["medias"].([]any)
	require.Len(t, medias, 2)
	video, photo := medias[0].(map[string]any), medias[1].(map[string]any)
	assert.Equal(t, float64(1973404), video["id"], "newest first")
	assert.Equal(t, "video/mp4", video["type"])
	assert.NotContains(t, video, "location")
	assert.Equal(t, map[string]any{"lat": 48.7703337, "lon": -3.5149756}, photo["location"])
}

func TestListTicketMediaPaging(t *testing.T) {
	srv := newServer(t)
	added := srv.AddTicketMedia(663614, 100)

	body := get(t, srv, "/enterprises/1/tickets/663614/medias?limit=2&offset=1").object(t)

	assert.Equal(t, float64(2), body["limit"])
	assert.Equal(t, float64(1), body["offset"])
	assert.Equal(t, float64(3), body["count"], "count is the total")
	medias := body["medias"].([]any)
	assert.Equal(t, []any{float64(1973404), float64(1973403)}, ids(toObjects(medias)))
	first := get(t, srv, "/enterprises/1/tickets/663614/medias?limit=1").object(t)["medias"].([]any)[0].(map[string]any)
	assert.Equal(t, added, first["url"], "the added media is the newest")
}

func TestListTicketMediaErrors(t *testing.T) {
	srv := newServer(t)

	requireAPIError(t, get(t, srv, "/enterprises/2/tickets/663614/medias"), http.StatusForbidden, map[string]any{"code": float64(2)})
	requireAPIError(t, get(t, srv, "/enterprises/x/tickets/663614/medias"), http.StatusNotFound, nil)
	requireAPIError(t, get(t, srv, "/enterprises/1/tickets/999999/medias"), http.StatusNotFound, nil)
	requireAPIError(t, get(t, srv, "/enterprises/1/tickets/0/medias"), http.StatusNotFound, nil)
	requireAPIError(t, get(t, srv, "/enterprises/1/tickets/663614/medias?limit=0"), http.StatusBadRequest,
		map[string]any{"details": "Parameter limit"})
	body := get(t, srv, "/enterprises/1/tickets/82070/medias").object(t)
	assert.Equal(t, []any{}, body["medias"], "a ticket without media has an empty list")
}

func TestListConferenceMedia(t *testing.T) {
	srv := newServer(t)
	added := srv.AddConferenceMedia(842341, 5000)

	items, total := get(t, srv, "/conferences/842341/media?limit=10&orderby=date&order=desc").data(t)

	assert.Equal(t, 2, total)
	require.Len(t, items, 2)
	assert.Equal(t, added, items[0]["url"], "newest first")
	assert.Equal(t, float64(5000), items[0]["filesize"])
	assert.Equal(t, "completed", items[0]["status"])
	assert.Equal(t, "conf_record", items[0]["source_type"])
	assert.Equal(t, float64(2343988), items[1]["id"])

	asc, _ := get(t, srv, "/conferences/842341/media?order=asc&limit=1").data(t)
	assert.Equal(t, []any{float64(2343988)}, ids(asc))
	empty, total := get(t, srv, "/conferences/842199/media").data(t)
	assert.Empty(t, empty)
	assert.Zero(t, total)
	requireAPIError(t, get(t, srv, "/conferences/1/media"), http.StatusNotFound, nil)
}

func TestMediaFile(t *testing.T) {
	srv := newServer(t)
	for _, m := range seededMedia(t, srv) {
		t.Run(m.url, func(t *testing.T) {
			a := send(t, http.MethodGet, m.url, srv.IssueToken(), nil)

			require.Equal(t, http.StatusOK, a.Status)
			assert.Equal(t, m.contentType, a.Header.Get("Content-Type"))
			assert.Equal(t, strconv.Itoa(len(a.Body)), a.Header.Get("Content-Length"))
			content, ok := srv.MediaContent(m.url)
			require.True(t, ok)
			assert.Equal(t, sha256Of(t, content), sha256.Sum256(a.Body), "MediaContent is what is served")
			again := send(t, http.MethodGet, m.url, srv.IssueToken(), nil)
			assert.Equal(t, a.Body, again.Body, "the same bytes every time")
		})
	}
}

func TestMediaFileSizes(t *testing.T) {
	srv := newServer(t)
	for _, size := range []int64{0, 1, 7, 8, 9, 4096, 100003} {
		mediaURL := srv.AddTicketMedia(82070, size)

		a := send(t, http.MethodGet, mediaURL, srv.IssueToken(), nil)

		require.Equal(t, http.StatusOK, a.Status)
		assert.Len(t, a.Body, int(size))
		content, _ := srv.MediaContent(mediaURL)
		assert.Equal(t, sha256Of(t, content), sha256.Sum256(a.Body), "size %d", size)
	}
}

func TestMediaFilesDiffer(t *testing.T) {
	srv := newServer(t)
	a, _ := srv.MediaContent(srv.AddTicketMedia(82070, 64))
	b, _ := srv.MediaContent(srv.AddTicketMedia(82070, 64))

	assert.NotEqual(t, sha256Of(t, a), sha256Of(t, b))
}

func TestMediaFileErrors(t *testing.T) {
	srv := newServer(t)
	mediaURL := srv.AddTicketMedia(663614, 10)
	root := strings.TrimSuffix(srv.URL, apizeetest.DefaultPrefix)

	requireAPIError(t, send(t, http.MethodGet, mediaURL, "", nil), http.StatusUnauthorized, nil)
	requireAPIError(t, send(t, http.MethodGet, root+"/media/showVideo/1/hash/no-such-hash", srv.IssueToken(), nil), http.StatusNotFound, nil)
	requireAPIError(t, send(t, http.MethodGet, strings.Replace(mediaURL, "/showVideo/1/", "/showVideo/2/", 1), srv.IssueToken(), nil),
		http.StatusNotFound, nil)
	assert.Equal(t, http.StatusNotFound, send(t, http.MethodGet, srv.URL+"/media/showVideo/1/hash/x", srv.IssueToken(), nil).Status,
		"media files are not under the prefix")

	_, ok := srv.MediaContent(root + "/media/showVideo/1/hash/no-such-hash")
	assert.False(t, ok)
	_, ok = srv.MediaContent(strings.Replace(mediaURL, root, "https://cloud.apizee.com", 1))
	assert.False(t, ok, "another host")
	_, ok = srv.MediaContent(root + "/tickets/82070")
	assert.False(t, ok)
}

func TestMediaFileHead(t *testing.T) {
	srv := newServer(t)
	mediaURL := srv.AddTicketMedia(663614, 1<<30)

	a := send(t, http.MethodHead, mediaURL, srv.IssueToken(), nil)

	assert.Equal(t, http.StatusOK, a.Status)
	assert.Equal(t, strconv.Itoa(1<<30), a.Header.Get("Content-Length"))
	assert.Empty(t, a.Body)
}

func TestRedirectMedia(t *testing.T) {
	srv := newServer(t)
	mediaURL := srv.AddTicketMedia(663614, 10)

	srv.RedirectMedia(mediaURL, "https://cdn.example.com/video.mp4?sig=abc")

	a := send(t, http.MethodGet, mediaURL, srv.IssueToken(), nil)
	assert.Equal(t, http.StatusFound, a.Status)
	assert.Equal(t, "https://cdn.example.com/video.mp4?sig=abc", a.Header.Get("Location"))
	assert.Equal(t, http.StatusUnauthorized, send(t, http.MethodGet, mediaURL, "", nil).Status, "the token is checked first")
}

func TestLargeMediaIsStreamed(t *testing.T) {
	const size, read = 1 << 30, 256 << 20
	srv := newServer(t)
	mediaURL := srv.AddTicketMedia(663614, size)
	resp, err := do(http.MethodGet, mediaURL, srv.IssueToken(), nil)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, int64(size), resp.ContentLength)

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	n, err := io.Copy(io.Discard, io.LimitReader(resp.Body, read))
	runtime.ReadMemStats(&after)

	require.NoError(t, err)
	require.Equal(t, int64(read), n)
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("%d bytes allocated to stream %d MiB", allocated, read>>20)
	assert.Less(t, allocated, uint64(1<<20), "%d bytes allocated to stream %d bytes", allocated, read)
}

// seededMedia is every media of the seed, with its type.
func seededMedia(t *testing.T, srv *apizeetest.Server) []struct{ url, contentType string } {
	t.Helper()
	var out []struct{ url, contentType string }
	for _, m := range get(t, srv, "/enterprises/1/tickets/663614/medias").object(t)["medias"].([]any) {
		media := m.(map[string]any)
		out = append(out, struct{ url, contentType string }{media["url"].(string), media["type"].(string)})
	}
	confMedia, _ := get(t, srv, "/conferences/842341/media").data(t)
	for _, media := range confMedia {
		out = append(out, struct{ url, contentType string }{media["url"].(string), "video/mp4"})
	}
	require.Len(t, out, 3)
	return out
}

func sha256Of(t *testing.T, r io.Reader) [32]byte {
	t.Helper()
	h := sha256.New()
	_, err := io.Copy(h, r)
	require.NoError(t, err)
	var sum [32]byte
	copy(sum[:], h.Sum(nil))
	return sum
}

func toObjects(items []any) []map[string]any {
	out := make([]map[string]any, len(items))
	for i, item := range items {
		out[i] = item.(map[string]any)
	}
	return out
}
