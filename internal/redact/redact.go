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
	"encoding/json"
	"fmt"
	"html"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// Mask replaces a secret value.
const Mask = "REDACTED"

// secretParams are the query or form parameters whose values are secrets.
var secretParams = []string{"access_token", "token", "pwd", "password", "assertion", "client_secret", "apikey", "api_key"}

var (
	// secretParamPattern matches name=value pairs of secretParams in URLs,
	// form bodies and free text, also where the pair is escaped: after an
	// "&" that JSON wrote as \u0026 (Go's encoder does), and URL-encoded
	// inside another URL ("%3Fpwd%3D..." or "%26pwd%3D...": a login link's
	// next parameter).
	secretParamPattern = regexp.MustCompile(`(?i)((?:\b|\\u00[0-9a-f]{2}|%[0-9a-f]{2})(?:` + strings.Join(secretParams, "|") + `)(?:=|%3d))([^&"'\s,;<>]+)`)
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
	return strings.ContainsAny(s, `="`) || strings.Contains(s, "eyJ") || containsFold(s, "bearer") || containsFold(s, "%3d")
}

// containsFold reports whether s contains word (lower-case ASCII) in any
// case. Simple ASCII folding is exact for the words looked for here: none
// has a letter with a non-ASCII case equivalent in the regular
// expressions' (?i) folding (unlike k and s).
func containsFold(s, word string) bool {
	for i := 0; i+len(word) <= len(s); i++ {
		if s[i]|0x20 == word[0]|0x20 && strings.EqualFold(s[i:i+len(word)], word) {
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

// Known returns s with every occurrence of each secret replaced by Mask:
// the secrets a call sent (its bearer token, the password or the
// assertion), which no pattern can recognise. Each is looked for as written
// and in the forms a server echoes it in: JSON-escaped (as encoding/json and
// PHP's json_encode write it), HTML-escaped and URL-encoded, each in any
// ASCII letter case (a server may upper-case what it quotes). Mask it before
// anything folds white space or cuts the text, or the secret no longer
// matches. A secret shorter than minKnown bytes is not looked for: it would
// match all over an ordinary message (an empty one between every two
// characters), and it protects nothing anyway.
func Known(s string, secrets ...string) string {
	return known(s, false, secrets)
}

// Text returns s with the secrets a call sent masked (Known), then the
// secret patterns (String): what any text quoted from an answer goes
// through.
func Text(s string, secrets ...string) string { return String(Known(s, secrets...)) }

// KnownCut is Known for a text that was cut short (a body read up to a
// limit): a secret whose beginning ends the text is masked too.
func KnownCut(s string, secrets ...string) string {
	return known(s, true, secrets)
}

// minKnown is the length of the shortest secret Known masks.
const minKnown = 4

func known(s string, cut bool, secrets []string) string {
	for _, secret := range secrets {
		if len(secret) < minKnown {
			continue
		}
		for _, form := range echoForms(secret) {
			s = replaceFold(s, form)
			if cut {
				s = maskCutPrefix(s, form)
			}
		}
	}
	return s
}

// replaceFold replaces every occurrence of old in s, in any ASCII letter
// case, with Mask. ASCII folding keeps every byte where it is, so an index
// in the folded text is an index in s.
func replaceFold(s, old string) string {
	folded, oldFolded := lowerASCII(s), lowerASCII(old)
	i := strings.Index(folded, oldFolded)
	if i < 0 {
		return s
	}
	var b strings.Builder
	start := 0
	for i >= 0 {
		b.WriteString(s[start : start+i])
		b.WriteString(Mask)
		start += i + len(old)
		i = strings.Index(folded[start:], oldFolded)
	}
	b.WriteString(s[start:])
	return b.String()
}

// maskCutPrefix masks the longest beginning of secret that ends s, in any
// ASCII letter case.
func maskCutPrefix(s, secret string) string {
	folded, secretFolded := lowerASCII(s), lowerASCII(secret)
	for n := min(len(secret)-1, len(s)); n > 0; n-- {
		if strings.HasSuffix(folded, secretFolded[:n]) {
			return s[:len(s)-n] + Mask
		}
	}
	return s
}

// lowerASCII returns s with its ASCII letters in lower case, and every
// other byte as it is.
func lowerASCII(s string) string {
	i := strings.IndexFunc(s, func(r rune) bool { return 'A' <= r && r <= 'Z' })
	if i < 0 {
		return s
	}
	b := []byte(s)
	for ; i < len(b); i++ {
		if 'A' <= b[i] && b[i] <= 'Z' {
			b[i] += 'a' - 'A'
		}
	}
	return string(b)
}

// echoForms returns secret as written and as a server may echo it, the
// longest first: a form is masked whole before a shorter one inside it
// could break it up.
func echoForms(secret string) []string {
	forms := []string{secret}
	add := func(form string) {
		if !slices.Contains(forms, form) {
			forms = append(forms, form)
		}
	}
	quoted, _ := json.Marshal(secret) // <, > and & as \u003c, \u003e, \u0026
	add(string(quoted[1 : len(quoted)-1]))
	var unescaped strings.Builder
	encoder := json.NewEncoder(&unescaped)
	encoder.SetEscapeHTML(false)
	_ = encoder.Encode(secret)
	plain := strings.TrimSuffix(unescaped.String(), "\n")
	plain = plain[1 : len(plain)-1]
	add(plain)
	add(phpJSON(plain))
	add(html.EscapeString(secret))
	add(url.QueryEscape(secret))
	add(url.PathEscape(secret))
	slices.SortStableFunc(forms, func(a, b string) int { return len(b) - len(a) })
	return forms
}

// phpJSON rewrites a string escaped by encoding/json (without HTML escaping)
// as PHP's json_encode writes it by default: "/" escaped, and every non-ASCII
// character as a \u escape (a UTF-16 pair beyond the BMP).
func phpJSON(escaped string) string {
	var b strings.Builder
	for _, r := range escaped {
		switch {
		case r == '/':
			b.WriteString(`\/`)
		case r > 0xffff:
			r -= 0x10000
			fmt.Fprintf(&b, `\u%04x\u%04x`, 0xd800+(r>>10), 0xdc00+(r&0x3ff))
		case r > 0x7e:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// UserInfo returns raw, a URL that may not even parse, with everything
// between its "//" (or its start) and its last "@" replaced by Mask: a
// message about a bad URL must not quote the password in it, and url.Parse's
// own errors quote the whole URL. A password may hold "/", "?" or "#", so
// the last "@" anywhere counts; a path or query with an "@" is masked too,
// which costs a message some detail and nothing else.
func UserInfo(raw string) string {
	start := 0
	if i := strings.Index(raw, "//"); i >= 0 {
		start = i + 2
	}
	at := strings.LastIndex(raw[start:], "@")
	if at < 0 {
		return raw
	}
	return raw[:start] + Mask + raw[start+at:]
}
