package main

import (
	"bytes"
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee/apizeetest"
	"github.com/apizee-go/apizee/examples/internal/secrets"
	"github.com/apizee-go/apizee/examples/internal/secretsweep"
)

// TestSecretsSweepQuickstart runs the whole guide against an apizeetest
// server set in the environment (creating, with SSO), then through a lost
// answer and a 401, then a run whose create answer quotes secrets back, and looks
// for every secret the server knows in all it printed and in its error, as
// main prints it and raw. The run against the built-in fake, whose secrets
// the test cannot know, is checked for unmasked secret-shaped values.
func TestSecretsSweepQuickstart(t *testing.T) {
	srv := apizeetest.NewServer()
	defer srv.Close()
	secretsweep.Account(t, srv)
	const echoedToken = "sweepEchoedAccessToken0123456789"
	opt := options{create: true, agent: srv.Username, phone: "+33612345678", email: "jane@example.com"}

	var printed []string
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), opt, &out), out.String())
	require.Contains(t, out.String(), "single sign-on link, logs the agent in", "the run printed the ticket's links (masked)")
	printed = append(printed, out.String())

	out.Reset()
	srv.QueueFault(apizeetest.Fault{Method: http.MethodPost, Path: "/tickets", DropAfterProcessing: true})
	srv.QueueFault(apizeetest.Fault{Method: http.MethodGet, Path: "/enterprises/*", Status: http.StatusUnauthorized})
	require.NoError(t, run(t.Context(), opt, &out), out.String())
	require.Contains(t, out.String(), "/entrypoint/223/tickets/", "the deep link, from the ticket CreateOnce found")
	require.Contains(t, out.String(), "no single sign-on link", "the lost answer took it")
	printed = append(printed, out.String())

	out.Reset()
	srv.QueueFault(apizeetest.Fault{Method: http.MethodPost, Path: "/tickets", Status: http.StatusBadRequest,
		Body: `{"code":10,"message":"bad link https://diag.apizee.com?convId=1&pwd=918273","details":"access_token=` + echoedToken + `"}`})
	err := run(t.Context(), opt, &out)
	require.Error(t, err)
	printed = append(printed, out.String(), err.Error(), secrets.Mask(err.Error()))

	secretsList := secretsweep.Secrets(t, srv, echoedToken, "pwd=918273")
	require.GreaterOrEqual(t, len(secretsList), 5, "the password, tokens and ticket links")
	hits := 0
	for _, text := range printed {
		for _, s := range secretsweep.Found(text, secretsList) {
			hits++
			t.Errorf("the quickstart printed the secret %q", s)
		}
		assert.Empty(t, secretsweep.Unmasked(text))
	}

	secretsweep.NoAccount(t)
	out.Reset()
	require.NoError(t, run(context.Background(), options{}, &out))
	assert.Contains(t, out.String(), "built-in fake Apizee server")
	assert.Empty(t, secretsweep.Unmasked(out.String()), "against the built-in fake")
	t.Logf("quickstart secrets sweep: 4 runs, %d secrets, %d hits", len(secretsList), hits)
}
