// Package redact removes secrets from text before it reaches a log, an error
// string or a panic message.
//
// Apizee puts secrets in places a generic HTTP library does not expect: the
// customer link carries the conversation password (pwd=), the agent SSO link
// carries an access token (access_token=), and the token endpoint may echo
// credentials. Everything the SDK formats for humans goes through String or
// Path first.
package redact

import (
	"net/url"
	"regexp"
	"strings"
)

// Mask replaces a secret value.
const Mask = "REDACTED"

// secretParams are the query or form parameters whose values are secrets.
var secretParams = []string{"access_token", "token", "pwd", "password", "assertion", "client_secret", "apikey", "api_key"}

var (
	// secretParamPattern matches name=value pairs of secretParams in URLs,
	// form bodies and free text.
	secretParamPattern = regexp.MustCompile(`(?i)(\b(?:` + strings.Join(secretParams, "|") + `)=)([^&"'\s,;<>]+)`)
	// secretJSONPattern matches "name": "value" members of secretParams in JSON.
	secretJSONPattern = regexp.MustCompile(`(?i)("(?:` + strings.Join(secretParams, "|") + `)"\s*:\s*")([^"]+)`)
	// bearerPattern matches an Authorization header value.
	bearerPattern = regexp.MustCompile(`(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+`)
	// jwtPattern matches a JSON Web Token wherever it appears.
	jwtPattern = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*`)
)

// String returns s with every secret it recognises replaced by Mask.
func String(s string) string {
	if !mayHoldSecret(s) {
		return s
	}
	s = secretParamPattern.ReplaceAllString(s, "${1}"+Mask)
	s = secretJSONPattern.ReplaceAllString(s, "${1}"+Mask)
	s = bearerPattern.ReplaceAllString(s, "${1}"+Mask)
	return jwtPattern.ReplaceAllString(s, Mask)
}

// mayHoldSecret reports whether one of the patterns above can match s: each
// needs an "=", a '"', "eyJ" or "bearer". It spares the regular expressions
// the common case, an API path or a message without any of them, which
// every call formats at least once.
func mayHoldSecret(s string) bool {
	return strings.ContainsAny(s, `="`) || strings.Contains(s, "eyJ") || containsBearer(s)
}

// containsBearer reports whether s contains "bearer" in any case. Simple
// ASCII folding is exact here: no letter of "bearer" has a non-ASCII case
// equivalent in the regular expressions' (?i) folding (unlike k and s).
func containsBearer(s string) bool {
	const word = "bearer"
	for i := 0; i+len(word) <= len(s); i++ {
		if s[i]|0x20 == 'b' && strings.EqualFold(s[i:i+len(word)], word) {
			return true
		}
	}
	return false
}

// Path returns the path of u without its query, fragment or user info: the
// only part of a URL that is safe to show.
func Path(u *url.URL) string {
	if u == nil {
		return ""
	}
	return String(u.EscapedPath())
}

// URL returns u for display with the values of its secret query parameters
// and any user info masked. Use it where a whole URL must be shown; prefer
// Path everywhere else.
func URL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return String(raw)
	}
	if u.User != nil {
		u.User = url.User(Mask)
	}
	if u.RawQuery != "" {
		q := u.Query()
		for name := range q {
			if isSecretParam(name) {
				q.Set(name, Mask)
			}
		}
		u.RawQuery = q.Encode()
	}
	return String(u.String())
}

// Token returns what may be shown of an access token: whether there is one.
func Token(tok string) string {
	if tok == "" {
		return `""`
	}
	return Mask
}

func isSecretParam(name string) bool {
	for _, p := range secretParams {
		if strings.EqualFold(name, p) {
			return true
		}
	}
	return false
}
