package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee"
	"github.com/apizee-go/apizee/apizeetest"
	"github.com/apizee-go/apizee/examples/internal/secretsweep"
	"github.com/apizee-go/apizee/webhook"
)

const testSecret = "recordings-sync-test-secret-4d2a"

// fixture is a fake account and a syncer of a folder, with its receiver.
type fixture struct {
	t      *testing.T
	fake   *apizeetest.Server
	client *apizee.Client
	dir    string
	logs   *lockedBuffer
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	fake := apizeetest.NewServer()
	t.Cleanup(fake.Close)
	client, err := apizee.NewClient(apizee.WithBaseURL(fake.URL), apizee.WithCredentials(fake.Username, fake.Password))
	require.NoError(t, err)
	return &fixture{t: t, fake: fake, client: client, dir: t.TempDir(), logs: &lockedBuffer{}}
}

// start loads the state from the folder, as a process starting does, and
// serves a receiver on addr ("" for a free port); it points the fake's
// webhook at it.
func (f *fixture) start(addr string) (*syncer, *receiver) {
	f.t.Helper()
	st, err := loadState(filepath.Join(f.dir, stateFile))
	require.NoError(f.t, err)
	log := slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s := &syncer{client: f.client, dir: f.dir, state: st, log: log}
	v, err := webhook.HeaderSecret("X-Webhook-Secret", testSecret)
	require.NoError(f.t, err)
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	rcv, err := startReceiver(addr, s, log, webhook.WithVerifier(v))
	require.NoError(f.t, err)
	f.t.Cleanup(rcv.close)
	f.fake.SetWebhook(rcv.url, http.Header{"X-Webhook-Secret": {testSecret}})
	return s, rcv
}

func (f *fixture) wait(n int) []apizeetest.WebhookDelivery {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ds, err := f.fake.WaitWebhooks(ctx, n)
	require.NoError(f.t, err)
	return ds
}

// files lists the folder, the state file and temporary files included.
func (f *fixture) files() []string {
	f.t.Helper()
	entries, err := os.ReadDir(f.dir)
	require.NoError(f.t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// sameContent asserts that path holds what the fake serves at mediaURL.
func (f *fixture) sameContent(path, mediaURL string) {
	f.t.Helper()
	want, ok := f.fake.MediaContent(mediaURL)
	require.True(f.t, ok)
	wantSum := sha256.New()
	_, err := io.Copy(wantSum, want)
	require.NoError(f.t, err)
	got, err := os.ReadFile(path)
	require.NoError(f.t, err)
	gotSum := sha256.Sum256(got)
	assert.Equal(f.t, wantSum.Sum(nil), gotSum[:], "the file is the recording, byte for byte")
}

func mediaPath(t *testing.T, mediaURL string) string {
	t.Helper()
	u, err := url.Parse(mediaURL)
	require.NoError(t, err)
	return u.Path
}

func TestRunsEndToEndOnTheFakeWithNoAccount(t *testing.T) {
	secretsweep.NoAccount(t)
	dir := filepath.Join(t.TempDir(), "recordings")
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"-dir", dir}, &stdout, &stderr)
	require.Equal(t, 0, code, "%s\n%s", stdout.String(), stderr.String())
	out := stdout.String()
	assert.Contains(t, out, "built-in fake")
	assert.Equal(t, 2, strings.Count(out, ": 200 delivered"), "the media event and the meeting-ended event: %s", out)
	assert.Contains(t, out, "Downloaded 1 recording(s) into "+dir)
	names, err := filepath.Glob(filepath.Join(dir, "conference-*.mp4"))
	require.NoError(t, err)
	require.Len(t, names, 1)
	assert.Contains(t, out, names[0], "the program says where the file is")
	info, err := os.Stat(names[0])
	require.NoError(t, err)
	assert.Equal(t, int64(3<<20), info.Size())
	assert.FileExists(t, filepath.Join(dir, stateFile))
	for _, text := range []string{out, stderr.String()} {
		assert.Empty(t, secretsweep.Unmasked(text))
	}
}

func TestDownloadsEachRecordingOnceAcrossEventsRedeliveriesAndRestarts(t *testing.T) {
	f := newFixture(t)
	s, first := f.start("")
	meeting, err := f.client.Conferences.Create(t.Context(), &apizee.CreateConferenceParams{Participants: []string{"guest@example.com"}, Name: "Weekly sync"})
	require.NoError(t, err)
	rec := f.fake.AddConferenceMedia(meeting.ID, 1<<20+7)
	f.fake.EndConference(meeting.ID) // names the same recording again
	for _, d := range f.wait(2) {
		assert.Equal(t, http.StatusOK, d.StatusCode, "%s", d.Response)
	}
	require.Len(t, s.downloaded, 1)
	f.sameContent(s.downloaded[0].Path, rec)
	assert.Equal(t, 1, f.fake.RequestCount(http.MethodGet, mediaPath(t, rec)), "one download for two events")

	// Redelivered to the same process: a duplicate.
	f.fake.Redeliver(0)
	assert.Contains(t, string(f.wait(3)[2].Response), "duplicate")

	// Restart: a new process on the same folder and address, whose webhook
	// handler remembers nothing; Apizee delivers both events again. The
	// file was archived meanwhile: the state alone says it was downloaded.
	file := s.downloaded[0].Path
	archived := filepath.Join(t.TempDir(), "archived.mp4")
	require.NoError(t, os.Rename(file, archived))
	addr := strings.TrimSuffix(strings.TrimPrefix(first.url, "http://"), eventsPath)
	restart := func() *syncer {
		first.close()
		s, rcv := f.start(addr)
		first = rcv
		return s
	}
	restarted := restart()
	f.fake.Redeliver(0)
	f.fake.Redeliver(1)
	for _, d := range f.wait(5)[3:] {
		assert.Equal(t, http.StatusOK, d.StatusCode)
		assert.Equal(t, "delivered\n", string(d.Response), "handled anew by the new process...")
	}
	assert.Empty(t, restarted.downloaded, "...which downloads nothing again")
	assert.NoFileExists(t, file)
	assert.Equal(t, 1, f.fake.RequestCount(http.MethodGet, mediaPath(t, rec)))

	// A process that stopped after saving the file but before recording
	// it: the next one keeps the file, whole, instead of downloading it.
	require.NoError(t, os.Rename(archived, file))
	require.NoError(t, os.Remove(filepath.Join(f.dir, stateFile)))
	before, err := os.Stat(file)
	require.NoError(t, err)
	restarted = restart()
	f.fake.Redeliver(0)
	assert.Equal(t, "delivered\n", string(f.wait(6)[5].Response))
	assert.Empty(t, restarted.downloaded)
	assert.Equal(t, 1, f.fake.RequestCount(http.MethodGet, mediaPath(t, rec)))
	after, err := os.Stat(file)
	require.NoError(t, err)
	assert.Equal(t, before.ModTime(), after.ModTime(), "the file is not rewritten")
	st, err := loadState(filepath.Join(f.dir, stateFile))
	require.NoError(t, err)
	assert.Len(t, st.data.Downloaded, 1, "and it is recorded now")

	// A new recording after the restarts is downloaded.
	second := f.fake.AddConferenceMedia(meeting.ID, 1000)
	f.wait(7)
	require.Len(t, restarted.downloaded, 1)
	f.sameContent(restarted.downloaded[0].Path, second)
	assert.NotContains(t, f.logs.String(), testSecret)
}

// A meeting that ended is enough: its recordings are listed and fetched.
func TestAMeetingEndedDownloadsItsRecordings(t *testing.T) {
	f := newFixture(t)
	s, _ := f.start("")
	f.fake.EndConference(842341) // the seed's "TEST XX", recorded, with no media event
	assert.Equal(t, http.StatusOK, f.wait(1)[0].StatusCode)
	require.Len(t, s.downloaded, 1)
	assert.Contains(t, s.downloaded[0].Path, "conference-842341-2343988-")
	f.sameContent(s.downloaded[0].Path, strings.TrimSuffix(f.fake.URL, apizeetest.DefaultPrefix)+
		"/media/showVideo/1/hash/aec9aca0-2199-11ee-9a17-c7ee7339236a")

	// A meeting without recordings: nothing to do, and 200.
	f.fake.EndConference(842199)
	assert.Equal(t, http.StatusOK, f.wait(2)[1].StatusCode)
	assert.Len(t, s.downloaded, 1)
}

// The event is a hint: a media that the API does not list is not
// downloaded, whatever URL the event gives, and the event is answered 500.
func TestAForgedEventDownloadsNothing(t *testing.T) {
	f := newFixture(t)
	_, rcv := f.start("")
	var elsewhere atomic.Int32
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { elsewhere.Add(1) }))
	defer evil.Close()
	post := func(body string) int {
		req, err := http.NewRequest(http.MethodPost, rcv.url, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("X-Webhook-Secret", testSecret)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	assert.Equal(t, http.StatusInternalServerError,
		post(`{"event":"create","time":1,"object":"media","objectId":999,"props":{"conferenceId":842341,"url":"`+evil.URL+`/steal"}}`))
	assert.Equal(t, http.StatusOK, post(`{"event":"create","time":2,"object":"media","objectId":999,"props":{"url":"`+evil.URL+`"}}`),
		"naming no meeting or ticket: nothing to do")
	assert.Zero(t, elsewhere.Load(), "no request to the event's URL")
	assert.Empty(t, f.files())

	// A real one, of a ticket: its video is downloaded, its photo is not.
	assert.Equal(t, http.StatusOK, post(`{"event":"create","time":3,"object":"media","objectId":1973404,"props":{"ticketId":663614}}`))
	assert.Equal(t, http.StatusOK, post(`{"event":"create","time":4,"object":"media","objectId":1973403,"props":{"ticketId":663614}}`))
	names, err := filepath.Glob(filepath.Join(f.dir, "ticket-663614-1973404-*.mp4"))
	require.NoError(t, err)
	assert.Len(t, names, 1)
	assert.Len(t, f.files(), 2, "the video and the state: %v", f.files())
}

func TestADownloadCutShortLeavesNoFileAndIsTriedAgain(t *testing.T) {
	f := newFixture(t)
	s, _ := f.start("")
	rec := f.fake.AddConferenceMedia(842199, 200_000)
	// The fault plays on the first download; the event was sent before
	// it was queued, so queue it for the GET of the file only.
	f.fake.QueueFault(apizeetest.Fault{Method: http.MethodGet, Path: mediaPath(t, rec), ShortBody: true})
	d := f.wait(1)[0]
	assert.Equal(t, http.StatusInternalServerError, d.StatusCode, "%s", d.Response)
	assert.Empty(t, f.files(), "no partial file, no temporary file, no state")

	f.fake.Redeliver(0)
	assert.Equal(t, http.StatusOK, f.wait(2)[1].StatusCode)
	require.Len(t, s.downloaded, 1)
	f.sameContent(s.downloaded[0].Path, rec)
}

func TestFileNamesStayInTheFolder(t *testing.T) {
	for _, m := range []*apizee.Media{
		{ID: 1, Filename: "../../etc/passwd"},
		{ID: 2, Filename: "..", ContentType: "video/mp4"},
		{ID: 3, Title: "a/b\\c\x00d", ContentType: "video/mp4"},
		{ID: 4, Hash: "../../x/y/z", Filename: "rec.mp4"},
		{ID: 5, Filename: strings.Repeat("é", 300) + ".mp4"},
		{ID: 6},
	} {
		name := fileName("conference", 842341, m)
		assert.Equal(t, name, filepath.Base(name), "%+v: %q", m, name)
		assert.False(t, strings.HasPrefix(name, "."), name)
		// Downloads land under a temporary name of their own: the final
		// name needs only to fit a file system's 255 bytes.
		assert.LessOrEqual(t, len(name), 255)
		assert.True(t, strings.HasPrefix(name, "conference-842341-"), name)
	}
}

// lockedBuffer is an io.Writer safe for concurrent writers.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Two events naming one recording at once (a media event and the meeting's
// end, delivered concurrently): one download.
func TestConcurrentEventsForOneRecordingDownloadItOnce(t *testing.T) {
	f := newFixture(t)
	s, rcv := f.start("")
	f.fake.SetWebhook("", nil) // this test delivers by hand
	rec := f.fake.AddConferenceMedia(842341, 1<<20)
	// The file answers late: the second event arrives while the first
	// downloads.
	f.fake.QueueFault(apizeetest.Fault{Method: http.MethodGet, Path: mediaPath(t, rec), Delay: 100 * time.Millisecond})
	var mediaID int64
	for m, err := range f.client.Media.AllForConference(t.Context(), 842341, nil) {
		require.NoError(t, err)
		if m.URL == rec {
			mediaID = m.ID
		}
	}
	bodies := []string{
		`{"event":"create","time":10,"object":"media","objectId":` + strconv.FormatInt(mediaID, 10) + `,"props":{"conferenceId":842341}}`,
		`{"event":"update","time":11,"object":"conversation","objectId":"c-1","props":{"eventType":"conversationEnded","name":"TEST XX"}}`,
	}
	var wg sync.WaitGroup
	for _, body := range bodies {
		wg.Go(func() {
			req, err := http.NewRequest(http.MethodPost, rcv.url, strings.NewReader(body))
			if !assert.NoError(t, err) {
				return
			}
			req.Header.Set("X-Webhook-Secret", testSecret)
			resp, err := http.DefaultClient.Do(req)
			if assert.NoError(t, err) {
				assert.Equal(t, http.StatusOK, resp.StatusCode)
				resp.Body.Close()
			}
		})
	}
	wg.Wait()
	assert.Equal(t, 1, f.fake.RequestCount(http.MethodGet, mediaPath(t, rec)))
	assert.Len(t, s.downloaded, 2, "the new recording and the seed's, each once")
}
