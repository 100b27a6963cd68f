package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee/apizeetest"
	"github.com/apizee-go/apizee/examples/internal/secretsweep"
)

// sweepLog is a log sink safe for the page's concurrent handlers.
type sweepLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *sweepLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *sweepLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// TestSecretsSweepSupportButton serves the page as main does (serve, with
// the account from the environment and a debug-level JSON log), drives
// every route through successes, bad input, refusals, a lost answer, an
// expired token and an answer that quotes secrets back, and looks for every
// secret the server knows in the log, in what it printed and in every page
// it answered. Only the redirect that sends the agent to the ticket carries
// the SSO token, by design: its Location is not scanned.
func TestSecretsSweepSupportButton(t *testing.T) {
	srv := apizeetest.NewServer()
	defer srv.Close()
	secretsweep.Account(t, srv)
	const echoedToken = "sweepEchoedAccessToken0123456789"
	logs := &sweepLog{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

	// serve prints the page's address on stdout: read it from a pipe.
	stdout := os.Stdout
	r, w, err := os.Pipe()
	require.NoError(t, err)
	os.Stdout = w
	ctx, stop := context.WithCancel(t.Context())
	served := make(chan error, 1)
	go func() { served <- serve(ctx, log, "127.0.0.1:0", srv.Username) }()
	line, err := bufio.NewReader(r).ReadString('\n')
	os.Stdout = stdout
	w.Close()
	r.Close()
	require.NoError(t, err)
	page := strings.TrimSuffix(strings.TrimSpace(strings.TrimPrefix(line, "Support page: ")), "/")
	require.True(t, strings.HasPrefix(page, "http://127.0.0.1:"), line)
	printed := []string{line}

	browser := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	// signedIn is false for the one visit whose create answer is lost: the
	// SSO link came only with it.
	signedIn := true
	visit := func(wantStatus int, method, path string, form url.Values) *http.Response {
		t.Helper()
		req, err := http.NewRequest(method, page+path, strings.NewReader(form.Encode()))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := browser.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		assert.Equal(t, wantStatus, resp.StatusCode, "%s %s: %s", method, path, body)
		headers := resp.Header.Clone()
		if resp.StatusCode == http.StatusSeeOther {
			if signedIn {
				require.Contains(t, headers.Get("Location"), "access_token=", "the agent lands signed in")
			} else {
				require.Contains(t, headers.Get("Location"), "/entrypoint/223/tickets/", "the deep link of the ticket CreateOnce found")
			}
			headers.Del("Location")
		}
		var h strings.Builder
		require.NoError(t, headers.Write(&h))
		printed = append(printed, h.String(), string(body))
		return resp
	}
	assistance := func(contact, reference string) url.Values {
		return url.Values{"contact": {contact}, "reference": {reference}}
	}

	visit(http.StatusOK, http.MethodGet, "/", nil)
	visit(http.StatusSeeOther, http.MethodPost, "/assistance", assistance("+33 6 12 34 56 78", "sweep-1"))
	visit(http.StatusSeeOther, http.MethodPost, "/assistance", assistance("jane@example.com", "sweep-2"))
	visit(http.StatusBadRequest, http.MethodPost, "/assistance", assistance("0612", "sweep-3"))
	srv.QueueFault(apizeetest.Fault{Method: http.MethodPost, Path: "/tickets", DropAfterProcessing: true})
	signedIn = false
	visit(http.StatusSeeOther, http.MethodPost, "/assistance", assistance("+33612345678", "sweep-4"))
	signedIn = true
	srv.ExpireTokens()
	visit(http.StatusSeeOther, http.MethodPost, "/assistance", assistance("+33612345678", "sweep-5"))
	srv.QueueFault(apizeetest.Fault{Method: http.MethodPost, Path: "/tickets", Status: http.StatusBadRequest,
		Body: `{"code":10,"message":"bad link https://diag.apizee.com?convId=1&pwd=918273","details":"access_token=` + echoedToken + `"}`})
	visit(http.StatusBadGateway, http.MethodPost, "/assistance", assistance("+33612345678", "sweep-6"))
	srv.QueueFault(apizeetest.Fault{Method: http.MethodGet, Path: "/tickets", Status: http.StatusOK, Body: "<html>access_token=" + echoedToken + "</html>"})
	visit(http.StatusBadGateway, http.MethodPost, "/assistance", assistance("+33612345678", "sweep-7"))
	visit(http.StatusOK, http.MethodPost, "/meeting", url.Values{"participants": {"+33612345678, jane@example.com"}, "name": {"sweep"}})
	visit(http.StatusBadRequest, http.MethodPost, "/meeting", url.Values{"name": {"nobody"}})
	srv.QueueFault(apizeetest.Fault{Method: http.MethodPost, Path: "/conferences", Status: http.StatusForbidden})
	visit(http.StatusForbidden, http.MethodPost, "/meeting", url.Values{"participants": {"+33612345678"}})

	stop()
	require.NoError(t, <-served)
	assert.Equal(t, 1, srv.RequestCount(http.MethodPost, "/token/revoke"), "serve revoked its token on the way out")

	secrets := secretsweep.Secrets(t, srv, echoedToken, "pwd=918273")
	require.GreaterOrEqual(t, len(secrets), 8, "the password, tokens and ticket links")
	logged := logs.String()
	assert.Contains(t, logged, `"msg":"apizee: http attempt"`, "the SDK logged at debug level")
	assert.Contains(t, logged, "assistance started")
	hits := 0
	for _, text := range append(printed, logged) {
		for _, s := range secretsweep.Found(text, secrets) {
			hits++
			t.Errorf("the support page revealed the secret %q in %.300q", s, text)
		}
		for _, s := range secretsweep.Unmasked(text) {
			hits++
			t.Errorf("the support page showed %q unmasked", s)
		}
	}
	t.Logf("support-button secrets sweep: %d answers, %d log bytes, %d secrets, %d hits", len(printed)/2, len(logged), len(secrets), hits)
}
