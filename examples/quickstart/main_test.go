package main

import (
	"bytes"
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee"
	"github.com/apizee-go/apizee/apizeetest"
)

// unsetAccount makes the quickstart see no account in the environment.
func unsetAccount(t *testing.T) {
	for _, name := range []string{apizee.EnvBaseURL, apizee.EnvUsername, apizee.EnvPassword, apizee.EnvToken, apizee.EnvEnterpriseID} {
		t.Setenv(name, "")
	}
}

func TestQuickstartWalksTheGuideAgainstTheFake(t *testing.T) {
	unsetAccount(t)
	var out bytes.Buffer
	start := time.Now()
	err := run(context.Background(), options{}, &out)
	elapsed := time.Since(start)
	require.NoError(t, err, out.String())
	text := out.String()

	assert.Less(t, elapsed, 2*time.Second, "the quickstart must finish in under two seconds")
	assert.Contains(t, text, "built-in fake Apizee server (apizeetest)", "it says it runs against the fake")
	assert.Contains(t, text, "APIZEE_USERNAME=", "it says how to point it at a real account")

	for _, step := range []string{
		"-> POST /token: 200",                    // token, its path as the SDK reports it
		`signed in as "Agent 1" of enterprise 1`, // Do
		"Create an assistance ticket with SSO",   // ticket
		"/entrypoint/223/tickets/",               // agent deep link
		"single sign-on link",                    // SSO
		"Customer link",                          // requestor_url
		"Find the ticket by its reference",       // FindByReference
		"media #",                                // media listed
		"bytes, sha256 ",                         // media downloaded
		"Today's ticket statistics",              // stats
		"Create a meeting",                       // conference
		"Join URL",                               // join URL
		`allow="microphone;camera;geolocation;display-capture"`, // iframe
		"Find the meeting by name",                              // FindByName
		"recording #",                                           // recordings
		"Today's meeting sessions",                              // sessions
		"-> POST /token/revoke",                                 // Close revokes the token
	} {
		assert.Contains(t, text, step)
	}
	assert.NotContains(t, text, "/api/", "the trace's paths are relative to the base URL, as Do takes them")
	assert.Regexp(t, `reference "quickstart-[^"]+" is ticket #\d+`, text)
	assert.Regexp(t, `"quickstart [^"]+" is meeting #\d+`, text)
	assert.Regexp(t, `media #\d+ video/mp4 "[^"]+", to save as [^ /]+\.mp4\n`, text, "a ticket media's local file name")
	assert.Contains(t, text, "rows for "+time.Now().UTC().Format(time.DateOnly)+": ", "today is UTC's")
	assert.NotContains(t, text, "rows for "+time.Now().UTC().Format(time.DateOnly)+": 0", "the fake has statistics today")
}

func TestQuickstartPrintsNoSecret(t *testing.T) {
	unsetAccount(t)
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), options{}, &out), out.String())
	text := out.String()

	assert.NotContains(t, text, apizeetest.DefaultPassword)
	assert.Contains(t, text, "pwd=REDACTED", "the customer link is shown, masked")
	assert.Contains(t, text, "access_token=REDACTED", "the SSO link is shown, masked")
	for _, secret := range regexp.MustCompile(`(?i)(?:pwd|access_token)=([^&\s"]+)`).FindAllStringSubmatch(text, -1) {
		assert.Equal(t, "REDACTED", secret[1], "a secret leaked: %s", secret[0])
	}
	assert.NotRegexp(t, `eyJ[A-Za-z0-9_-]+\.`, text, "no JWT is printed")
}

func TestQuickstartCreateNeedsACustomerAgainstARealAccount(t *testing.T) {
	unsetAccount(t)
	// A real account configuration that would fail at the first request:
	// the usage error must come before any.
	t.Setenv(apizee.EnvBaseURL, "http://127.0.0.1:1/api")
	t.Setenv(apizee.EnvToken, "not-a-real-token")
	var out bytes.Buffer
	err := run(context.Background(), options{create: true}, &out)
	var invalid *apizee.ValidationError
	require.ErrorAs(t, err, &invalid)
	assert.Equal(t, "Phone", invalid.Field)
	assert.NotContains(t, out.String(), "->", "no request is made")
}

func TestQuickstartOnlyReadsFromARealAccountWithoutCreate(t *testing.T) {
	unsetAccount(t)
	srv := apizeetest.NewServer() // stands in for the real account
	defer srv.Close()
	t.Setenv(apizee.EnvBaseURL, srv.URL)
	t.Setenv(apizee.EnvUsername, srv.Username)
	t.Setenv(apizee.EnvPassword, srv.Password)
	tickets, conferences := srv.TicketCount(), srv.ConferenceCount()

	var out bytes.Buffer
	require.NoError(t, run(context.Background(), options{}, &out), out.String())

	assert.Contains(t, out.String(), "read-only")
	assert.Equal(t, 0, srv.RequestCount("POST", "/tickets"))
	assert.Equal(t, 0, srv.RequestCount("POST", "/conferences"))
	assert.Equal(t, tickets, srv.TicketCount())
	assert.Equal(t, conferences, srv.ConferenceCount())
	assert.Contains(t, out.String(), "Find the ticket by its reference")
	assert.Contains(t, out.String(), "Find the meeting by name")
	assert.NotContains(t, out.String(), srv.Password)
}

func TestQuickstartCreatesOnARealAccountWithCreate(t *testing.T) {
	unsetAccount(t)
	srv := apizeetest.NewServer() // stands in for the real account
	defer srv.Close()
	t.Setenv(apizee.EnvBaseURL, srv.URL)
	t.Setenv(apizee.EnvUsername, srv.Username)
	t.Setenv(apizee.EnvPassword, srv.Password)
	tickets, conferences := srv.TicketCount(), srv.ConferenceCount()

	var out bytes.Buffer
	require.NoError(t, run(context.Background(), options{create: true, agent: srv.Username, email: "customer@example.com"}, &out), out.String())

	assert.Contains(t, out.String(), "the customer gets a real SMS or email")
	assert.Equal(t, tickets+1, srv.TicketCount())
	assert.Equal(t, conferences+1, srv.ConferenceCount())
	assert.Regexp(t, `reference "quickstart-[^"]+" is ticket #\d+`, out.String())
}
