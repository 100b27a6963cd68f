// Package secretsweep helps the examples' tests prove that nothing they
// print reveals a secret: it reads back from an apizeetest server every
// secret the run could have seen, and finds them, or any unmasked
// secret-shaped value, in a text.
package secretsweep

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/apizee-go/apizee"
	"github.com/apizee-go/apizee/apizeetest"
)

// Account points the APIZEE_* environment at srv, as a user points it at
// their account, for the rest of the test.
func Account(t testing.TB, srv *apizeetest.Server) {
	t.Helper()
	NoAccount(t)
	t.Setenv(apizee.EnvBaseURL, srv.URL)
	t.Setenv(apizee.EnvUsername, srv.Username)
	t.Setenv(apizee.EnvPassword, srv.Password)
}

// NoAccount clears the APIZEE_* environment for the rest of the test.
func NoAccount(t testing.TB) {
	t.Helper()
	for _, name := range []string{apizee.EnvBaseURL, apizee.EnvUsername, apizee.EnvPassword, apizee.EnvToken, apizee.EnvEnterpriseID} {
		t.Setenv(name, "")
	}
}

// linkSecret matches the secret parameters of Apizee's links.
var linkSecret = regexp.MustCompile(`(?i)\b(pwd|access_token)=([^&"'\s\\<>]+)`)

// Secrets returns what must never be printed: srv's password, every bearer
// token a request to srv carried (by its random signature, which no two
// tokens share), the pwd= and access_token= of every ticket srv stores
// (pwd as "pwd=<digits>": six digits alone could match any number
// printed), and extra. Call it once the run is over.
func Secrets(t testing.TB, srv *apizeetest.Server, extra ...string) []string {
	t.Helper()
	secrets := []string{}
	seen := map[string]bool{}
	add := func(s string) {
		if s != "" && !seen[s] {
			seen[s] = true
			secrets = append(secrets, s)
		}
	}
	add(srv.Password)
	for _, s := range extra {
		add(s)
	}
	for _, r := range srv.Requests() {
		if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
			add(Signature(tok))
		}
	}
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/tickets?limit=1000", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+srv.IssueToken())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("listing the tickets: %d %v", resp.StatusCode, err)
	}
	for _, m := range linkSecret.FindAllStringSubmatch(string(body), -1) {
		if strings.EqualFold(m[1], "pwd") {
			add(m[0])
		} else {
			add(Signature(m[2]))
		}
	}
	return secrets
}

// Signature is the random part of a JWT, or tok itself.
func Signature(tok string) string {
	if i := strings.LastIndexByte(tok, '.'); i >= 0 && len(tok)-i > 16 {
		return tok[i+1:]
	}
	return tok
}

// Found returns the secrets that text contains.
func Found(text string, secrets []string) []string {
	var found []string
	for _, s := range secrets {
		if strings.Contains(text, s) {
			found = append(found, s)
		}
	}
	return found
}

var (
	secretParam = regexp.MustCompile(`(?i)\b(?:pwd|access_token|password|assertion)=([^&\s"'\\,<>]*)`)
	jwt         = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.`)
	bearer      = regexp.MustCompile(`(?i)bearer\s+[A-Za-z0-9._~+/-]{8,}`)
)

// Unmasked returns the secret-shaped values text shows unmasked: a secret
// parameter whose value is not REDACTED, a JWT, a bearer token, the
// default password of apizeetest. It is for runs whose exact secrets the
// test cannot know (an example's own built-in fake server).
func Unmasked(text string) []string {
	var found []string
	for _, m := range secretParam.FindAllStringSubmatch(text, -1) {
		if m[1] != "" && m[1] != "REDACTED" && m[1] != "..." {
			found = append(found, m[0])
		}
	}
	found = append(found, jwt.FindAllString(text, -1)...)
	found = append(found, bearer.FindAllString(text, -1)...)
	if strings.Contains(text, apizeetest.DefaultPassword) {
		found = append(found, apizeetest.DefaultPassword)
	}
	return found
}
