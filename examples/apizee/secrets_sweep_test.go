package main

import (
	"bytes"
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee"
	"github.com/apizee-go/apizee/apizeetest"
	"github.com/apizee-go/apizee/examples/internal/secretsweep"
)

// TestSecretsSweepEveryCommand runs every subcommand against an apizeetest
// server set in the environment, in JSON and CSV, then failing calls whose
// answers quote secrets, refused credentials and a revoked token, and looks
// for every secret the server knows in all that the command printed. A new
// subcommand fails the test until it has a line here.
func TestSecretsSweepEveryCommand(t *testing.T) {
	srv := apizeetest.NewServer()
	defer srv.Close()
	secretsweep.Account(t, srv)
	dir := t.TempDir()
	const meetingPassword = "90817263#*"
	const wrongPassword = "sweep-wrong-password-7d1f"
	const echoedToken = "sweepEchoedAccessToken0123456789"

	var printed []string
	runs := 0
	cli := func(wantCode int, args ...string) string {
		t.Helper()
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), args, &stdout, &stderr)
		assert.Equal(t, wantCode, code, "%v: %s", args, stderr.String())
		printed = append(printed, stdout.String(), stderr.String())
		runs++
		return stdout.String()
	}

	covered := map[string]bool{}
	for _, args := range [][]string{
		{"tickets", "create", "--phone", "+33612345678", "--email", "jane@example.com", "--reference", "sweep-1", "--sso", "--invite"},
		{"tickets", "get", "82070"},
		{"tickets", "list"},
		{"tickets", "find", "sweep-1"},
		{"media", "list", "--ticket", "663614"},
		{"media", "list", "--conference", "842341"},
		{"media", "download", "1973404", "--ticket", "663614", "-f", filepath.Join(dir, "video.mp4")},
		{"media", "download", "1973404", "--ticket", "663614", "-f", "-"},
		{"stats", "tickets", "--since", "2023-07-01", "--until", "2030-12-31"},
		{"conferences", "create", "--participant", "+33612345678", "--name", "sweep", "--password", meetingPassword, "--invite=false"},
		{"conferences", "get", "842199"},
		{"conferences", "list"},
		{"conferences", "find", "sweep"},
		{"conferences", "join-url", "842199", "--participant-name", "Alice"},
		{"sessions", "list"},
	} {
		cli(exitOK, args...)
		covered[commandPath(t, args)] = true
		cli(exitOK, append([]string{"-o", "csv"}, args...)...)
	}
	// webhook listen serves until interrupted: a session of its own, with a
	// refused guess and an event whose props carry a ticket's secret link.
	const webhookSecret = "sweep-webhook-secret-4c2e9d"
	withSecret := func(v string) http.Header { return http.Header{"X-Webhook-Secret": {v}} }
	eventLink := storedLink(t, srv, "sweep-1")
	session := listenSession(t, func(url string) {
		post(t, url, ticketEvent, withSecret(webhookSecret+"x"))
		post(t, url, `{"event":"update","time":1,"object":"ticket","objectId":1,"props":{"link":"`+eventLink+`"}}`, withSecret(webhookSecret))
	}, "--header-secret", "X-Webhook-Secret="+webhookSecret)
	require.Contains(t, session.stdout, `"object_id":"1"`)
	printed = append(printed, session.stdout, session.stderr)
	runs++
	covered["webhook listen"] = true
	printed = append(printed, sweepFakeServe(t)...)
	covered["fake serve"] = true
	for _, leaf := range leafCommands((&app{}).rootCommand()) {
		assert.True(t, covered[leaf], "the sweep does not run %q", leaf)
	}

	// Failures, some of whose answers quote secrets back.
	cli(exitAPIError, "tickets", "get", "999999999")
	cli(exitUsage, "tickets", "create", "--phone", "0612345678")
	cli(exitUsage, "conferences", "create", "--participant", "+33612345678", "--password", meetingPassword+"x")
	created := cli(exitOK, "tickets", "create", "--phone", "+33612345678", "--reference", "sweep-2", "--sso")
	require.Contains(t, created, "sweep-2")
	link := storedLink(t, srv, "sweep-2")
	srv.QueueFault(apizeetest.Fault{Method: http.MethodPost, Path: "/tickets", Status: http.StatusBadRequest,
		Body: `{"code":10,"message":"bad link ` + link + `","details":"access_token=` + echoedToken + `"}`})
	cli(exitAPIError, "tickets", "create", "--phone", "+33612345678", "--reference", "sweep-3")
	srv.QueueFault(apizeetest.Fault{Method: http.MethodGet, Path: "/tickets", Status: http.StatusOK, Body: "<html>" + link + "</html>"})
	cli(exitAPIError, "tickets", "list")
	srv.QueueFault(apizeetest.Fault{Method: http.MethodPost, Path: "/token", Status: http.StatusBadRequest,
		Body: `{"code":10,"message":"bad password ` + srv.Password + `"}`})
	cli(exitAPIError, "sessions", "list")
	srv.QueueFault(apizeetest.Fault{Method: http.MethodPost, Path: "/tickets", DropAfterProcessing: true})
	cli(exitOK, "tickets", "create", "--phone", "+33612345678", "--reference", "sweep-4", "--sso")

	t.Setenv(apizee.EnvPassword, wrongPassword)
	cli(exitAPIError, "tickets", "list")
	revoked := srv.IssueToken()
	srv.RevokeToken(revoked)
	t.Setenv(apizee.EnvPassword, "")
	t.Setenv(apizee.EnvUsername, "")
	t.Setenv(apizee.EnvToken, revoked)
	cli(exitAPIError, "conferences", "get", "842199")

	secrets := secretsweep.Secrets(t, srv, meetingPassword, wrongPassword, echoedToken, secretsweep.Signature(revoked),
		webhookSecret, webhookSecret+"x")
	require.GreaterOrEqual(t, len(secrets), 10, "the password, tokens and ticket links")
	hits := 0
	for _, text := range printed {
		for _, s := range secretsweep.Found(text, secrets) {
			hits++
			t.Errorf("the command printed the secret %q in %.300q", s, text)
		}
		for _, s := range secretsweep.Unmasked(text) {
			hits++
			t.Errorf("the command printed %q unmasked", s)
		}
	}
	t.Logf("CLI secrets sweep: %d runs, %d secrets, %d bytes printed, %d hits", runs, len(secrets), len(strings.Join(printed, "")), hits)
}

// commandPath is the subcommand args run, e.g. "tickets create".
func commandPath(t *testing.T, args []string) string {
	t.Helper()
	cmd, _, err := (&app{}).rootCommand().Find(args)
	require.NoError(t, err)
	return strings.TrimPrefix(cmd.CommandPath(), "apizee ")
}

// leafCommands lists the subcommands that do something, e.g. "tickets create".
func leafCommands(root *cobra.Command) []string {
	var leaves []string
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		if !c.HasSubCommands() {
			if c != root && c.Name() != "help" && c.Name() != "completion" {
				leaves = append(leaves, strings.TrimPrefix(c.CommandPath(), "apizee "))
			}
			return
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	return leaves
}

// storedLink returns the customer link of the ticket with reference, as the
// server stores it: secret and all.
func storedLink(t *testing.T, srv *apizeetest.Server, reference string) string {
	t.Helper()
	c, err := apizee.NewClient(apizee.WithBaseURL(srv.URL), apizee.WithToken(srv.IssueToken()))
	require.NoError(t, err)
	tk, err := c.Tickets.FindByReference(context.Background(), reference)
	require.NoError(t, err)
	require.Contains(t, tk.RequestorURL, "pwd=")
	return tk.RequestorURL
}

// sweepFakeServe runs "fake serve" and returns what it printed, less the
// export line of the fake's password: a public test credential
// (apizeetest.DefaultPassword), which a shell needs to reach the fake, and
// which must appear nowhere else.
func sweepFakeServe(t *testing.T) []string {
	t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	stdout, stderr := newFirstWrite(), &syncBuffer{}
	done := make(chan int)
	go func() { done <- run(ctx, []string{"fake", "serve", "--addr", "127.0.0.1:0"}, stdout, stderr) }()
	select {
	case <-stdout.written:
	case code := <-done:
		t.Fatalf("fake serve ended with %d: %s", code, stderr.String())
	}
	stop()
	assert.Equal(t, exitOK, <-done)

	var rest []string
	passwordLines := 0
	for line := range strings.Lines(stdout.String()) {
		if strings.Contains(line, apizeetest.DefaultPassword) {
			passwordLines++
			assert.Equal(t, "export "+apizee.EnvPassword+"='"+apizeetest.DefaultPassword+"'\n", line)
			continue
		}
		rest = append(rest, line)
	}
	assert.Equal(t, 1, passwordLines, "the password in one export line")
	return []string{strings.Join(rest, ""), stderr.String()}
}
