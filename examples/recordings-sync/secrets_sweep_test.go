package main

import (
	"bytes"
	"context"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee/apizeetest"
	"github.com/apizee-go/apizee/examples/internal/secretsweep"
)

// watchedBuffer is a concurrent-safe buffer that tells when a pattern has
// been written.
type watchedBuffer struct {
	lockedBuffer
	pattern *regexp.Regexp
	once    sync.Once
	found   chan string
}

func newWatchedBuffer(pattern string) *watchedBuffer {
	return &watchedBuffer{pattern: regexp.MustCompile(pattern), found: make(chan string, 1)}
}

func (b *watchedBuffer) Write(p []byte) (int, error) {
	n, err := b.lockedBuffer.Write(p)
	if m := b.pattern.FindStringSubmatch(b.String()); m != nil {
		b.once.Do(func() { b.found <- m[1] })
	}
	return n, err
}

// TestSecretsSweepRecordingsSync runs the program against an account (an
// apizeetest server in the environment), as a user would, receives its
// webhooks (verified, refused, failing), stops it, and looks for every
// secret the server knows, the webhook secrets and a refused guess in all
// it printed and logged.
func TestSecretsSweepRecordingsSync(t *testing.T) {
	srv := apizeetest.NewServer()
	defer srv.Close()
	secretsweep.Account(t, srv)
	const webhookSecret, rotated, guess = "sweep-webhook-secret-81f2", "sweep-rotated-secret-03ac", "sweep-webhook-secret-81f3"
	dir := t.TempDir()

	// Without the secret, and without -allow-unverified, it refuses to start.
	var stdout, stderr bytes.Buffer
	assert.Equal(t, 2, run(context.Background(), []string{"-dir", dir, "-addr", "127.0.0.1:0"}, &stdout, &stderr))
	assert.Contains(t, stderr.String(), EnvWebhookSecret)
	printed := []string{stdout.String(), stderr.String()}

	t.Setenv(EnvWebhookSecret, webhookSecret+","+rotated)
	out := newWatchedBuffer(`webhooks at (http://\S+)`)
	logs := &lockedBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	code := make(chan int, 1)
	go func() { code <- run(ctx, []string{"-dir", dir, "-addr", "127.0.0.1:0"}, out, logs) }()
	var url string
	select {
	case url = <-out.found:
	case c := <-code:
		t.Fatalf("exited %d: %s %s", c, out.String(), logs.String())
	case <-time.After(30 * time.Second): // a bound for a hang, not a synchronisation
		t.Fatal("the receiver did not start")
	}

	srv.SetWebhook(url, http.Header{"X-Webhook-Secret": {rotated}})
	srv.AddConferenceMedia(842341, 1000)
	srv.EndConference(842341)
	srv.SetWebhook(url, http.Header{"X-Webhook-Secret": {guess}})
	srv.SetTicketState(663614, "closed")
	waitCtx, stop := context.WithTimeout(context.Background(), 30*time.Second)
	defer stop()
	_, err := srv.WaitWebhooks(waitCtx, 3)
	require.NoError(t, err)
	// A failing look-up whose answer quotes secrets back.
	srv.SetWebhook(url, http.Header{"X-Webhook-Secret": {webhookSecret}})
	srv.QueueFault(apizeetest.Fault{Method: http.MethodGet, Path: "/conferences/842341/media", Status: http.StatusNotFound,
		Body: `{"message":"not found for pwd=123456 access_token=` + webhookSecret + `"}`})
	srv.AddConferenceMedia(842341, 2000)
	deliveries, err := srv.WaitWebhooks(waitCtx, 4)
	require.NoError(t, err)
	var statuses []int
	for _, d := range deliveries {
		statuses = append(statuses, d.StatusCode)
		printed = append(printed, string(d.Response))
	}
	assert.Equal(t, []int{http.StatusOK, http.StatusOK, http.StatusUnauthorized, http.StatusInternalServerError}, statuses)
	cancel()
	assert.Equal(t, 0, <-code)
	assert.Contains(t, out.String(), "Downloaded 2 recording(s)", "the new recording and the seed's")
	printed = append(printed, out.String(), logs.String())

	secrets := secretsweep.Secrets(t, srv, webhookSecret, rotated, guess)
	hits := 0
	for _, text := range printed {
		for _, s := range secretsweep.Found(text, secrets) {
			hits++
			t.Errorf("printed the secret %q in %.300q", s, text)
		}
		for _, s := range secretsweep.Unmasked(text) {
			hits++
			t.Errorf("printed %q unmasked", s)
		}
	}
	t.Logf("recordings-sync secrets sweep: %d texts, %d secrets, %d bytes, %d hits", len(printed), len(secrets), len(strings.Join(printed, "")), hits)
}
