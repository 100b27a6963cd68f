package apizee_test

// Adversary tests, injection: URLs and texts a server controls, which end
// up in a page (the iframe) or in a terminal and a log (error messages).

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee"
)

func TestAdversaryIframeNeverEmbedsAScriptURL(t *testing.T) {
	for _, src := range []string{
		"javascript://cloud.apizee.com/%0Aalert(document.cookie)",
		"JAVASCRIPT://cloud.apizee.com/%0Aalert(1)",
		"javascript:alert(1)",
		"vbscript://host/msgbox",
		"data://host/text/html,<script>alert(1)</script>",
		"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
		" javascript:alert(1)",
		"\tjavascript:alert(1)",
		"//evil.example/room",
		"https:alert(1)",
		"file://host/etc/passwd",
	} {
		t.Run(src, func(t *testing.T) {
			c := &apizee.Conference{Name: "room", URL: src}
			got := c.IframeHTML("")
			assert.Contains(t, got, `src="about:blank"`)
			assert.NotContains(t, strings.ToLower(got), "script")
			assert.NotContains(t, got, "evil.example")
		})
	}
	c := &apizee.Conference{URL: `https://cloud.apizee.com/room?x="><script>alert(1)</script>`}
	got := c.IframeHTML(`"><img src=x onerror=alert(1)>`)
	assert.NotContains(t, got, "<script>")
	assert.NotContains(t, got, "<img")
	assert.Contains(t, got, `src="https://cloud.apizee.com/room?x=&#34;&gt;&lt;script&gt;`)
}

func TestAdversaryErrorMessagesCarryNoControlCharacters(t *testing.T) {
	// Terminal escapes (clear the screen, colour, move the cursor), a
	// bidirectional override that reorders what a log viewer shows, and
	// line breaks that would forge a log line.
	const evil = "\x1b[2J\x1b[31mFAKE\x1b[0m \u202egnirts\u202c \x07\x00 line\r\nlevel=INFO msg=forged \u009b31m \x9b" +
		" \u202aembed\u2066isolate\u2069\u200e\u200f" // the ends of the ranges of bidirectional formatting characters
	bodies := map[string]string{
		"JSON":  fmt.Sprintf(`{"message":%q,"details":%q}`, evil, evil),
		"HTML":  "<html><title>" + evil + "</title></html>",
		"plain": evil,
	}
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("X-Request-Id", "req-\u202eveil") // control bytes would not pass net/http
				w.WriteHeader(http.StatusBadRequest)
				io.WriteString(w, body)
			}))
			defer api.Close()
			c := hostileClient(t, api.URL+"/api")
			_, err := c.Tickets.Get(t.Context(), 1)
			var apiErr *apizee.APIError
			require.ErrorAs(t, err, &apiErr)
			for what, text := range map[string]string{"Error": err.Error(), "Message": apiErr.Message, "Details": apiErr.Details, "RequestID": apiErr.RequestID} {
				assert.False(t, strings.ContainsAny(text, "\x1b\x07\x00\r\n\u202e\u202c\u009b\u202a\u2066\u2069\u200e\u200f"), "%s carries a control character: %q", what, text)
			}
			assert.Contains(t, err.Error(), "FAKE", "the text itself is kept")
		})
	}
}
