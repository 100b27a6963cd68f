package webhook_test

import (
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee/webhook"
)

// Review: a verifier keeps digests of its secrets, not the secrets; but a
// plain SHA-256 of a weak secret ("hunter2", a short password) is the
// secret to anyone with a dictionary, and fmt's %d, or a reflection-based
// dumper (testify's diff, spew, a debugger), prints the digests. What it
// keeps must be worth nothing outside the process: keyed digests.
func TestReviewVerifiersKeepNoDigestADictionaryReverses(t *testing.T) {
	const weak = "hunter2"
	hs, err := webhook.HeaderSecret("X-Webhook-Secret", weak)
	require.NoError(t, err)
	ba, err := webhook.BasicAuth("apizee", weak)
	require.NoError(t, err)
	sum := sha256.Sum256([]byte(weak))
	for name, v := range map[string]webhook.Verifier{"HeaderSecret": hs, "BasicAuth": ba} {
		for _, verb := range []string{"%d", "%+d", "%o", "%b", "%x", "%X", "%v", "%+v", "%#v", "%s", "%q"} {
			text := fmt.Sprintf(verb, v)
			digest := strings.Trim(fmt.Sprintf(strings.ReplaceAll(verb, "+", ""), sum), "[]")
			assert.NotContains(t, text, digest, "%s printed with %s shows the SHA-256 of its secret", name, verb)
			assert.NotContains(t, text, weak)
		}
	}
	// Still verified, still refused.
	assert.NoError(t, hs.Verify(requestWithHeader(map[string][]string{"X-Webhook-Secret": {weak}})))
	assert.Error(t, hs.Verify(requestWithHeader(map[string][]string{"X-Webhook-Secret": {weak + "3"}})))
}
