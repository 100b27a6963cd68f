package webhook

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/textproto"
	"strings"

	"github.com/apizee-go/apizee"
)

// Verifier checks that a delivery comes from the account's Apizee console.
// Apizee signs nothing: what it can send is a custom header (set in the
// console's webhook panel) or a URL with basic-auth credentials, so a
// verifier checks a shared secret. Verify returns an error wrapping
// ErrNotVerified when the request does not carry it; the error may say
// what was wrong (a header missing, a value that does not match) but never
// quotes a secret or the value received. The Handler answers 401 without
// passing that reason on.
type Verifier interface {
	Verify(r *http.Request) error
}

// ErrNotVerified is wrapped by the errors of HeaderSecret's and BasicAuth's
// verifiers.
var ErrNotVerified = errors.New("webhook: request not verified")

// HeaderSecret returns a Verifier that accepts a request whose header
// carries one of secrets exactly: set the header in the console's webhook
// panel ("X-Webhook-Secret: <a long random value>"). Give two secrets while
// rotating: the new one, set in the console, and the old one until the
// console's change is done.
//
// The comparison takes the same time whatever the value received and
// whichever secret matches (each is compared through its SHA-256 digest, so
// not even its length shows), and the verifier keeps only those digests: it
// prints as HeaderSecret(<header>, <n> secrets). A header sent several times
// is refused.
//
// Errors (*apizee.ValidationError): an empty or malformed header name, no
// secret, an empty secret, or one that no HTTP header can carry exactly
// (leading or trailing spaces, control characters). They name the secret by
// its position, never by its value.
func HeaderSecret(header string, secrets ...string) (Verifier, error) {
	if header == "" {
		return nil, &apizee.ValidationError{Field: "header", Reason: "is empty: name the header set in the Apizee console"}
	}
	if !isToken(header) {
		return nil, &apizee.ValidationError{Field: "header", Reason: fmt.Sprintf("%q is not an HTTP header name", header)}
	}
	if len(secrets) == 0 {
		return nil, &apizee.ValidationError{Field: "secrets", Reason: "none given: pass the header's value"}
	}
	v := &headerSecret{header: textproto.CanonicalMIMEHeaderKey(header)}
	for i, s := range secrets {
		if err := checkSecret(fmt.Sprintf("secrets[%d]", i), s); err != nil {
			return nil, err
		}
		v.digests = append(v.digests, sha256.Sum256([]byte(s)))
	}
	return v, nil
}

type headerSecret struct {
	header  string
	digests [][sha256.Size]byte
}

func (v *headerSecret) Verify(r *http.Request) error {
	values := r.Header.Values(v.header)
	switch len(values) {
	case 0:
		return fmt.Errorf("%w: no %s header", ErrNotVerified, v.header)
	case 1:
	default:
		return fmt.Errorf("%w: the %s header is sent %d times", ErrNotVerified, v.header, len(values))
	}
	got := sha256.Sum256([]byte(values[0]))
	match := 0
	for _, want := range v.digests { // every secret, matched or not: the time says nothing
		match |= subtle.ConstantTimeCompare(got[:], want[:])
	}
	if match != 1 {
		return fmt.Errorf("%w: the %s header does not hold the secret", ErrNotVerified, v.header)
	}
	return nil
}

func (v *headerSecret) String() string {
	return fmt.Sprintf("HeaderSecret(%s, %d secrets)", v.header, len(v.digests))
}

func (v *headerSecret) GoString() string { return v.String() }

// BasicAuth returns a Verifier that accepts a request with these basic-auth
// credentials: give the console a URL of the form
// https://username:password@host/path. Both are compared in constant time
// through their SHA-256 digests, and the verifier keeps only those: it
// prints as BasicAuth(<username>).
//
// Errors (*apizee.ValidationError): an empty username or password, a
// username with ":" (basic auth cannot carry it), control characters.
func BasicAuth(username, password string) (Verifier, error) {
	switch {
	case username == "":
		return nil, &apizee.ValidationError{Field: "username", Reason: "is empty"}
	case strings.Contains(username, ":"):
		return nil, &apizee.ValidationError{Field: "username", Reason: `contains ":", which basic auth cannot carry`}
	case hasControl(username):
		return nil, &apizee.ValidationError{Field: "username", Reason: "contains control characters"}
	case password == "":
		return nil, &apizee.ValidationError{Field: "password", Reason: "is empty"}
	case hasControl(password):
		return nil, &apizee.ValidationError{Field: "password", Reason: "contains control characters"}
	}
	return &basicAuth{username: username, user: sha256.Sum256([]byte(username)), pass: sha256.Sum256([]byte(password))}, nil
}

type basicAuth struct {
	username   string // for String only
	user, pass [sha256.Size]byte
}

func (v *basicAuth) Verify(r *http.Request) error {
	username, password, ok := r.BasicAuth()
	if !ok {
		return fmt.Errorf("%w: no basic-auth credentials", ErrNotVerified)
	}
	gotUser, gotPass := sha256.Sum256([]byte(username)), sha256.Sum256([]byte(password))
	// Both compared, always: the time does not tell which one failed.
	if subtle.ConstantTimeCompare(gotUser[:], v.user[:])&subtle.ConstantTimeCompare(gotPass[:], v.pass[:]) != 1 {
		return fmt.Errorf("%w: wrong basic-auth credentials", ErrNotVerified)
	}
	return nil
}

func (v *basicAuth) String() string { return fmt.Sprintf("BasicAuth(%s)", v.username) }

func (v *basicAuth) GoString() string { return v.String() }

// checkSecret refuses a secret that no delivery could match: HTTP drops the
// spaces around a header value and cannot carry control characters.
func checkSecret(field, s string) error {
	switch {
	case s == "":
		return &apizee.ValidationError{Field: field, Reason: "is empty"}
	case strings.TrimSpace(s) != s:
		return &apizee.ValidationError{Field: field, Reason: "starts or ends with white space, which HTTP drops: no delivery could match it"}
	case hasControl(s):
		return &apizee.ValidationError{Field: field, Reason: "contains control characters, which an HTTP header cannot carry"}
	}
	return nil
}

func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f })
}

// isToken reports whether s is an HTTP header name (an RFC 9110 token).
func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return s != ""
}
