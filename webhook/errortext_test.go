package webhook_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee/webhook"
)

// TestEveryErrorTextStartsWithItsPrefixOnce runs the package's failing calls:
// an error of its own starts with "webhook: " once; a constructor refusing
// its input returns the module's *apizee.ValidationError, which starts with
// "apizee: " once. No text repeats a prefix of the module.
func TestEveryErrorTextStartsWithItsPrefixOnce(t *testing.T) {
	event := func(object, props string) *webhook.Event {
		e, err := webhook.Parse([]byte(`{"event":"update","object":"` + object + `","objectId":1,"time":1575976413,"props":` + props + `}`))
		require.NoError(t, err)
		return e
	}
	verifier, err := webhook.HeaderSecret("X-Webhook-Secret", "s3cret-value")
	require.NoError(t, err)
	basic, err := webhook.BasicAuth("apizee", "s3cret-value")
	require.NoError(t, err)
	unsent := httptest.NewRequest(http.MethodPost, "/hook", nil)

	for _, tc := range []struct {
		name, prefix string
		call         func() error
	}{
		{"Parse of a body that is not JSON", "webhook:", func() error { _, err := webhook.Parse([]byte("<html>")); return err }},
		{"Parse of an event without an object", "webhook:", func() error {
			_, err := webhook.Parse([]byte(`{"event":"update","objectId":1}`))
			return err
		}},
		{"Parse of a bad time", "webhook:", func() error {
			_, err := webhook.Parse([]byte(`{"event":"update","object":"ticket","objectId":1,"time":"soon"}`))
			return err
		}},
		{"TicketProps of a media event", "webhook:", func() error { _, err := event("media", `{}`).TicketProps(); return err }},
		{"TicketProps with a bad position", "webhook:", func() error {
			_, err := event("ticket", `{"geoloc":"here"}`).TicketProps()
			return err
		}},
		{"MediaProps with a bad size", "webhook:", func() error { _, err := event("media", `{"filesize":"big"}`).MediaProps(); return err }},
		{"ConversationProps with a bad time", "webhook:", func() error {
			_, err := event("conversation", `{"finishedAt":true}`).ConversationProps()
			return err
		}},
		{"SessionEvent of props that are not an object", "webhook:", func() error {
			_, err := event("conversationevent", `[1]`).SessionEvent()
			return err
		}},
		{"HeaderSecret's Verify without the header", "webhook:", func() error { return verifier.Verify(unsent) }},
		{"BasicAuth's Verify without credentials", "webhook:", func() error { return basic.Verify(unsent) }},
		{"HeaderSecret with an empty secret", "apizee:", func() error { _, err := webhook.HeaderSecret("X-Webhook-Secret", ""); return err }},
		{"BasicAuth without a password", "apizee:", func() error { _, err := webhook.BasicAuth("apizee", ""); return err }},
		{"NewHandler without a verifier", "apizee:", func() error { _, err := webhook.NewHandler(noop); return err }},
		{"NewHandler with a bad option", "apizee:", func() error {
			_, err := webhook.NewHandler(noop, webhook.AllowUnverified(), webhook.WithMaxBody(-1))
			return err
		}},
	} {
		err := tc.call()
		require.Error(t, err, tc.name)
		text := err.Error()
		assert.True(t, strings.HasPrefix(text, tc.prefix+" "), "%s: %q", tc.name, text)
		for _, prefix := range []string{"apizee:", "webhook:", "apizeeredis:", "apizeetest:"} {
			assert.LessOrEqual(t, strings.Count(text, prefix), 1, "%s: %q repeats %q", tc.name, text, prefix)
		}
	}
}

func noop(context.Context, *webhook.Event) error { return nil }
