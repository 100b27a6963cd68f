package main

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// Review: the console shows the header as "Name: value", and a secret in
// base64 ends with "=": pasted whole into --header-secret, the part before
// the first "=" is taken for the header's name, secret included. The
// refusal must not print it.
func TestReviewWebhookListenRefusesAPastedHeaderLineWithoutQuotingTheSecret(t *testing.T) {
	noAccount(t)
	const b64 = "cli-review-base64-secret-4f7a9c=="
	for _, args := range [][]string{
		{"--header-secret", "X-Webhook-Secret: " + b64},
		{"--header-secret", "X-Webhook-Secret:" + b64},
		{"--header-secret", "X-Webhook-Secret=" + listenSecret, "--header-secret", "X-Webhook-Secret: " + b64},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second) // a bound, should it listen
		var stdout, stderr bytes.Buffer
		code := run(ctx, append([]string{"webhook", "listen", "--addr", "127.0.0.1:0"}, args...), &stdout, &stderr)
		cancel()
		assert.Equal(t, exitUsage, code, "%v: %s", args, stderr.String())
		assert.NotEmpty(t, stderr.String())
		assert.NotContains(t, stderr.String(), "base64-secret", "%v", args)
		assert.NotContains(t, stderr.String(), listenSecret, "%v", args)
	}
}
