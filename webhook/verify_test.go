package webhook_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee"
	"github.com/apizee-go/apizee/webhook"
)

const (
	oldSecret = "old-secret-9f8e7d6c5b4a"
	newSecret = "new-secret-0a1b2c3d4e5f"
)

func requestWithHeader(values map[string][]string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/hook", nil)
	for name, vs := range values {
		for _, v := range vs {
			r.Header.Add(name, v)
		}
	}
	return r
}

func TestHeaderSecretAcceptsEachSecretDuringRotation(t *testing.T) {
	v, err := webhook.HeaderSecret("x-webhook-secret", newSecret, oldSecret)
	require.NoError(t, err)
	for _, secret := range []string{newSecret, oldSecret} {
		assert.NoError(t, v.Verify(requestWithHeader(map[string][]string{"X-Webhook-Secret": {secret}})), "any of the secrets")
	}
	assert.NoError(t, v.Verify(requestWithHeader(map[string][]string{"x-WEBHOOK-secret": {newSecret}})), "header names have no case")

	for name, header := range map[string]map[string][]string{
		"missing":             {},
		"empty":               {"X-Webhook-Secret": {""}},
		"wrong":               {"X-Webhook-Secret": {"guess"}},
		"a prefix":            {"X-Webhook-Secret": {newSecret[:len(newSecret)-1]}},
		"longer":              {"X-Webhook-Secret": {newSecret + "x"}},
		"another case":        {"X-Webhook-Secret": {"NEW-SECRET-0A1B2C3D4E5F"}},
		"in another header":   {"X-Other": {newSecret}},
		"sent twice":          {"X-Webhook-Secret": {newSecret, newSecret}},
		"right after a wrong": {"X-Webhook-Secret": {"guess", newSecret}},
	} {
		err := v.Verify(requestWithHeader(header))
		require.Error(t, err, name)
		assert.ErrorIs(t, err, webhook.ErrNotVerified, name)
		for _, s := range []string{newSecret, oldSecret, "guess", newSecret[:len(newSecret)-1]} {
			assert.NotContains(t, err.Error(), s, "%s: the reason quotes no secret and no value received", name)
		}
	}
}

func TestHeaderSecretRefusesWhatCouldNeverVerify(t *testing.T) {
	for _, tc := range []struct {
		header  string
		secrets []string
		field   string
		reason  string // how the reason starts: a secret is named by its position
	}{
		{"", []string{newSecret}, "Header", "is empty"},
		{"X Webhook", []string{newSecret}, "Header", "is not an HTTP header name"},
		{"X-Webhook:", []string{newSecret}, "Header", "is not an HTTP header name"},
		{"X-Webhook\r\nEvil", []string{newSecret}, "Header", "is not an HTTP header name"},
		{"X-Webhook-Secret", nil, "Secrets", "none given"},
		{"X-Webhook-Secret", []string{""}, "Secrets", "item 0 is empty"},
		{"X-Webhook-Secret", []string{newSecret, ""}, "Secrets", "item 1 is empty"},
		{"X-Webhook-Secret", []string{" " + newSecret}, "Secrets", "item 0 starts or ends with white space"},
		{"X-Webhook-Secret", []string{newSecret + "\t"}, "Secrets", "item 0 starts or ends with white space"},
		{"X-Webhook-Secret", []string{oldSecret, "a\r\nb" + newSecret}, "Secrets", "item 1 contains control characters"},
		{"X-Webhook-Secret", []string{"a\x00" + newSecret}, "Secrets", "item 0 contains control characters"},
	} {
		v, err := webhook.HeaderSecret(tc.header, tc.secrets...)
		assert.Nil(t, v)
		var invalid *apizee.ValidationError
		require.True(t, errors.As(err, &invalid), "%q %q: %v", tc.header, tc.secrets, err)
		assert.Equal(t, tc.field, invalid.Field)
		assert.True(t, strings.HasPrefix(invalid.Reason, tc.reason), "%q, want it to start with %q", invalid.Reason, tc.reason)
		assert.NotContains(t, err.Error(), newSecret, "the error names the secret by position, never by value")
		assert.NotContains(t, err.Error(), oldSecret)
	}
}

func TestBasicAuth(t *testing.T) {
	const password = "basic-pass-5e6f7a8b"
	v, err := webhook.BasicAuth("apizee", password)
	require.NoError(t, err)
	ok := httptest.NewRequest(http.MethodPost, "/hook", nil)
	ok.SetBasicAuth("apizee", password)
	assert.NoError(t, v.Verify(ok))

	for name, set := range map[string]func(*http.Request){
		"none":           func(*http.Request) {},
		"wrong password": func(r *http.Request) { r.SetBasicAuth("apizee", "guess") },
		"wrong user":     func(r *http.Request) { r.SetBasicAuth("other", password) },
		"user case":      func(r *http.Request) { r.SetBasicAuth("Apizee", password) },
		"bearer":         func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+password) },
	} {
		r := httptest.NewRequest(http.MethodPost, "/hook", nil)
		set(r)
		err := v.Verify(r)
		require.Error(t, err, name)
		assert.ErrorIs(t, err, webhook.ErrNotVerified)
		assert.NotContains(t, err.Error(), password)
	}

	for _, tc := range []struct{ user, pass, field string }{
		{"", password, "Username"},
		{"a:b", password, "Username"},
		{"a\nb", password, "Username"},
		{"apizee", "", "Password"},
		{"apizee", "p\x00" + password, "Password"},
	} {
		v, err := webhook.BasicAuth(tc.user, tc.pass)
		assert.Nil(t, v)
		var invalid *apizee.ValidationError
		require.True(t, errors.As(err, &invalid), "%q: %v", tc.user, err)
		assert.Equal(t, tc.field, invalid.Field)
		assert.NotContains(t, err.Error(), password)
	}
}

// A verifier printed or logged shows what it checks, never a secret.
func TestVerifiersPrintNoSecret(t *testing.T) {
	hs, err := webhook.HeaderSecret("X-Webhook-Secret", newSecret, oldSecret)
	require.NoError(t, err)
	ba, err := webhook.BasicAuth("apizee", newSecret)
	require.NoError(t, err)
	for _, v := range []webhook.Verifier{hs, ba} {
		text := fmt.Sprintf("%v %+v %#v %s", v, v, v, v)
		assert.NotContains(t, text, newSecret)
		assert.NotContains(t, text, oldSecret)
	}
	// Not even the digests: an unsalted SHA-256 of a weak secret can be
	// brute-forced.
	assert.Equal(t, "HeaderSecret(X-Webhook-Secret, 2 secrets)", fmt.Sprint(hs))
	assert.Equal(t, "HeaderSecret(X-Webhook-Secret, 2 secrets)", fmt.Sprintf("%#v", hs))
	assert.Equal(t, "BasicAuth(apizee)", fmt.Sprint(ba))
	assert.Equal(t, "BasicAuth(apizee)", fmt.Sprintf("%#v", ba))
}
