package apizeetest_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Review: the headers a test configures are written as a literal map as
// often as through Set, in any case. The fake sends Apizee's User-Agent
// once, whatever the map holds, and records the delivery's headers so that
// Header.Get finds them, as the receiver does.
func TestReviewWebhookHeadersConfiguredInAnyCase(t *testing.T) {
	srv := newServer(t)
	rc := newReceiver(t, nil)
	srv.SetWebhook(rc.URL, http.Header{"x-webhook-secret": {"s3cret"}, "user-agent": {"curl/8"}, "content-type": {"text/plain"}})
	srv.SetTicketState(82070, "done") // a ticket of the seed
	ds, err := srv.WaitWebhooks(waitCtx(t), 1)
	require.NoError(t, err)
	d := ds[0]
	assert.Equal(t, []string{"Cloud Apizee"}, d.Header.Values("User-Agent"), "Apizee's User-Agent, once, in the record")
	assert.Equal(t, []string{"application/json"}, d.Header.Values("Content-Type"))
	assert.Equal(t, "s3cret", d.Header.Get("X-Webhook-Secret"), "the record's Get finds the configured header")

	rc.mu.Lock()
	defer rc.mu.Unlock()
	require.Len(t, rc.requests, 1)
	got := rc.requests[0].header
	assert.Equal(t, []string{"Cloud Apizee"}, got.Values("User-Agent"), "sent once")
	assert.Equal(t, []string{"application/json"}, got.Values("Content-Type"))
	assert.Equal(t, "s3cret", got.Get("X-Webhook-Secret"))
}
