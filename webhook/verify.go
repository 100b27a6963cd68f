package webhook

import (
	"crypto/hmac"
	"crypto/rand"
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
// whichever secret matches (each is compared through its digest, so not
// even its length shows), and the verifier keeps only those digests, keyed
// by a random key that is not in the verifier, so that they are worth
// nothing outside the process: it prints as HeaderSecret(<header>, <n>
// secrets). A header sent several times is refused.
//
// Errors (*apizee.ValidationError): an empty or malformed header name, no
// secret, an empty secret, or one that no HTTP header can carry exactly
// (leading or trailing spaces, control characters). They name the secret by
// its position, never by its value, and do not quote a malformed header
// name, which may be a whole "Name: value" line.
func HeaderSecret(header string, secrets ...string) (Verifier, error) {
	if header == "" {
		return nil, &apizee.ValidationError{Field: "Header", Reason: "is empty: name the header set in the Apizee console"}
	}
	if !isToken(header) {
		// Not quoted: a line "Name: value" pasted whole holds the secret.
		return nil, &apizee.ValidationError{Field: "Header",
			Reason: "is not an HTTP header name (letters, digits and !#$%&'*+-.^_`|~): give the name alone, not the line \"Name: value\""}
	}
	if len(secrets) == 0 {
		return nil, &apizee.ValidationError{Field: "Secrets", Reason: "none given: pass the header's value"}
	}
	v := &headerSecret{header: textproto.CanonicalMIMEHeaderKey(header)}
	for i, s := range secrets {
		if err := checkSecret(i, s); err != nil {
			return nil, err
		}
		v.digests = append(v.digests, digest(s))
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
	got := digest(values[0])
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
// through their digests, and the verifier keeps only those, keyed as
// HeaderSecret's are: it prints as BasicAuth(<username>).
//
// Errors (*apizee.ValidationError): an empty username or password, a
// username with ":" (basic auth cannot carry it), control characters.
func BasicAuth(username, password string) (Verifier, error) {
	switch {
	case username == "":
		return nil, &apizee.ValidationError{Field: "Username", Reason: "is empty"}
	case strings.Contains(username, ":"):
		return nil, &apizee.ValidationError{Field: "Username", Reason: `contains ":", which basic auth cannot carry`}
	case hasControl(username):
		return nil, &apizee.ValidationError{Field: "Username", Reason: "contains control characters"}
	case password == "":
		return nil, &apizee.ValidationError{Field: "Password", Reason: "is empty"}
	case hasControl(password):
		return nil, &apizee.ValidationError{Field: "Password", Reason: "contains control characters"}
	}
	return &basicAuth{username: username, user: digest(username), pass: digest(password)}, nil
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
	gotUser, gotPass := digest(username), digest(password)
	// Both compared, always: the time does not tell which one failed.
	if subtle.ConstantTimeCompare(gotUser[:], v.user[:])&subtle.ConstantTimeCompare(gotPass[:], v.pass[:]) != 1 {
		return fmt.Errorf("%w: wrong basic-auth credentials", ErrNotVerified)
	}
	return nil
}

func (v *basicAuth) String() string { return fmt.Sprintf("BasicAuth(%s)", v.username) }

func (v *basicAuth) GoString() string { return v.String() }

// digestKey keys the digests the verifiers keep and compare: it lives in
// no verifier, so that a verifier printed or dumped (fmt's %d, a debugger,
// testify's diff) shows digests that say nothing of a secret, however
// weak, outside this process.
var digestKey = func() []byte {
	key := make([]byte, sha256.Size)
	_, _ = rand.Read(key) // never fails
	return key
}()

// digest is the HMAC-SHA256 of s under digestKey.
func digest(s string) [sha256.Size]byte {
	mac := hmac.New(sha256.New, digestKey)
	mac.Write([]byte(s))
	var sum [sha256.Size]byte
	mac.Sum(sum[:0])
	return sum
}

// checkSecret refuses secret i if no delivery could match it: HTTP drops the
// spaces around a header value and cannot carry control characters.
func checkSecret(i int, s string) error {
	var reason string
	switch {
	case s == "":
		reason = "is empty"
	case strings.TrimSpace(s) != s:
		reason = "starts or ends with white space, which HTTP drops: no delivery could match it"
	case hasControl(s):
		reason = "contains control characters, which an HTTP header cannot carry"
	default:
		return nil
	}
	return &apizee.ValidationError{Field: "Secrets", Reason: fmt.Sprintf("item %d %s", i, reason)}
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
