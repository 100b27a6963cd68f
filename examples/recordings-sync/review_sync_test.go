package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee"
	"github.com/apizee-go/apizee/examples/internal/secretsweep"
	"github.com/apizee-go/apizee/webhook"
)

// Review: recordings-sync against downloads cut short in ways HTTP cannot
// see, senders that give up, crashes at the worst moment, and a folder
// with traps in it.

// newSyncer returns a syncer of a fresh folder (or dir) on f's fake.
func (f *fixture) newSyncer(client *apizee.Client) *syncer {
	f.t.Helper()
	st, err := loadState(filepath.Join(f.dir, stateFile))
	require.NoError(f.t, err)
	return &syncer{client: client, dir: f.dir, state: st, log: slog.New(slog.NewTextHandler(f.logs, nil))}
}

// closeDelimited serves a file with neither Content-Length nor chunked
// encoding, its end being the connection's close (HTTP/1.1 allows it; a
// proxy that dies mid-transfer ends it so), and the first n of its size
// bytes only while cut is true.
func closeDelimited(t *testing.T, size int, cut *bool, n int) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, buf, err := http.NewResponseController(w).Hijack()
		if !assert.NoError(t, err) {
			return
		}
		defer conn.Close()
		body := strings.Repeat("v", size)
		if *cut {
			body = body[:n]
		}
		_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\nConnection: close\r\n\r\n" + body)
		_ = buf.Flush()
	}))
	t.Cleanup(srv.Close)
	return srv
}

// A recording whose transfer stops early with no Content-Length to tell
// is not saved, nor recorded: the API said how large it is.
func TestReviewADownloadCutShortWithoutALengthIsNoRecording(t *testing.T) {
	f := newFixture(t)
	s := f.newSyncer(f.client)
	cut := true
	host := closeDelimited(t, 10_000, &cut, 4_000)
	m := &apizee.Media{ID: 77, Hash: "0123456789abcdef", Filename: "rec.mp4", MediaType: "video", Status: "completed",
		URL: host.URL + "/rec.mp4", Size: 10_000}
	err := s.fetch(t.Context(), "conference", 842341, m)
	require.Error(t, err, "4000 of 10000 bytes")
	assert.Empty(t, f.files(), "no file, no state")

	cut = false
	require.NoError(t, s.fetch(t.Context(), "conference", 842341, m), "delivered again: whole this time")
	require.Len(t, s.downloaded, 1)
	info, err := os.Stat(s.downloaded[0].Path)
	require.NoError(t, err)
	assert.Equal(t, int64(10_000), info.Size())
}

// gate holds the download of one path until released, and lets every
// other request through.
type gate struct {
	path     string
	started  chan struct{}
	released chan struct{}
}

func (g *gate) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Path == g.path {
		g.started <- struct{}{}
		select {
		case <-g.released:
		case <-r.Context().Done():
		}
		if err := r.Context().Err(); err != nil {
			return nil, err
		}
	}
	return http.DefaultTransport.RoundTrip(r)
}

// Apizee documents no timeout for a delivery, and a recording can take
// minutes to download: a sender that gives up waiting for the answer must
// not cut the download short, or a large recording is never saved, however
// often it is delivered.
func TestReviewASenderThatHangsUpDoesNotCutTheDownloadShort(t *testing.T) {
	f := newFixture(t)
	rec := f.fake.AddConferenceMedia(842341, 1<<20) // no webhook set yet: no event
	g := &gate{path: mediaPath(t, rec), started: make(chan struct{}, 1), released: make(chan struct{})}
	client, err := apizee.NewClient(apizee.WithBaseURL(f.fake.URL), apizee.WithCredentials(f.fake.Username, f.fake.Password),
		apizee.WithHTTPClient(&http.Client{Transport: g}))
	require.NoError(t, err)
	var id int64
	for m, err := range client.Media.AllForConference(t.Context(), 842341, nil) {
		require.NoError(t, err)
		if m.URL == rec {
			id = m.ID
		}
	}
	s := f.newSyncer(client)
	v, err := webhook.HeaderSecret("X-Webhook-Secret", testSecret)
	require.NoError(t, err)
	rcv, err := startReceiver("127.0.0.1:0", s, s.log, webhook.WithVerifier(v))
	require.NoError(t, err)
	t.Cleanup(rcv.close)

	ctx, hangUp := context.WithCancel(context.Background())
	body := `{"event":"create","time":5,"object":"media","objectId":` + strconv.FormatInt(id, 10) + `,"props":{"conferenceId":842341}}`
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, eventsPath, strings.NewReader(body))
	req.Header.Set("X-Webhook-Secret", testSecret)
	answered := make(chan int)
	go func() {
		w := httptest.NewRecorder()
		rcv.srv.Handler.ServeHTTP(w, req)
		answered <- w.Code
	}()
	<-g.started
	hangUp() // the sender's timeout
	close(g.released)
	<-answered // to no one
	require.Len(t, s.downloaded, 1, "the download went on after the sender left")
	f.sameContent(s.downloaded[0].Path, rec)
}

// A run that crashed after renaming the file into place, before saving
// the state: the file at the final name is whole (only a rename of a whole
// download puts it there), so the next run keeps it even when the API
// gives no size (ticket media have none).
func TestReviewACrashBeforeTheStateIsSavedDownloadsNothingTwice(t *testing.T) {
	f := newFixture(t)
	video := ticketVideo(t, f)
	require.Zero(t, video.Size, "ticket media have no size")
	s := f.newSyncer(f.client)
	require.NoError(t, s.fetch(t.Context(), "ticket", 663614, video))
	require.Len(t, s.downloaded, 1)
	require.NoError(t, os.Remove(filepath.Join(f.dir, stateFile))) // the crash

	restarted := f.newSyncer(f.client)
	require.NoError(t, restarted.fetch(t.Context(), "ticket", 663614, video))
	assert.Empty(t, restarted.downloaded)
	assert.Equal(t, 1, f.fake.RequestCount(http.MethodGet, mediaPath(t, video.URL)), "downloaded once")
	assert.True(t, restarted.state.has(mediaKey(video)), "and recorded now")
}

// A run killed mid-download leaves its temporary file: the next run
// removes it rather than let the folder fill up with halves of
// recordings.
func TestReviewARestartRemovesTheDownloadsACrashLeft(t *testing.T) {
	secretsweep.NoAccount(t)
	f := newFixture(t)
	left := filepath.Join(f.dir, ".download-123456")
	require.NoError(t, os.WriteFile(left, []byte("half a recording"), 0o600))
	keep := filepath.Join(f.dir, "notes.txt")
	require.NoError(t, os.WriteFile(keep, []byte("mine"), 0o600))
	code := run(t.Context(), []string{"-dir", f.dir}, io.Discard, io.Discard)
	require.Equal(t, 0, code)
	assert.NoFileExists(t, left)
	assert.FileExists(t, keep, "only its own temporary files")
}

// A symlink planted at the file's name or at the state's never makes the
// program write outside its folder, nor take the link for the recording.
func TestReviewSymlinksInTheFolderLeadNowhere(t *testing.T) {
	f := newFixture(t)
	video := ticketVideo(t, f)
	outside := t.TempDir()
	target := filepath.Join(outside, "precious")
	require.NoError(t, os.WriteFile(target, make([]byte, 262144), 0o600)) // the size of the recording
	stateTarget := filepath.Join(outside, "state")
	require.NoError(t, os.WriteFile(stateTarget, []byte("{}"), 0o600))
	require.NoError(t, os.Symlink(target, filepath.Join(f.dir, fileName("ticket", 663614, video))))
	require.NoError(t, os.Symlink(stateTarget, filepath.Join(f.dir, stateFile)))

	s := f.newSyncer(f.client)
	require.NoError(t, s.fetch(t.Context(), "ticket", 663614, video))
	require.Len(t, s.downloaded, 1, "a link is not the recording")
	info, err := os.Lstat(s.downloaded[0].Path)
	require.NoError(t, err)
	assert.True(t, info.Mode().IsRegular(), "the link is replaced by the file")
	f.sameContent(s.downloaded[0].Path, video.URL)
	for path, want := range map[string]int64{target: 262144, stateTarget: 2} {
		got, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.Len(t, got, int(want), "%s untouched", path)
	}
	st, err := os.Lstat(filepath.Join(f.dir, stateFile))
	require.NoError(t, err)
	assert.True(t, st.Mode().IsRegular(), "the state replaced its link")
}

// ticketVideo is the seed's ticket video, as the API lists it.
func ticketVideo(t *testing.T, f *fixture) *apizee.Media {
	t.Helper()
	for m, err := range f.client.Media.AllForTicket(t.Context(), 663614, nil) {
		require.NoError(t, err)
		if m.ID == 1973404 {
			return m
		}
	}
	t.Fatal("no video in the seed's ticket 663614")
	return nil
}
