package apizee

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/apizee-go/apizee/internal/redact"
	"github.com/apizee-go/apizee/internal/retry"
)

// Response is what the answer to a call said besides its body: its status,
// its headers, how many HTTP attempts the call took, and the rate-limit
// budget the server reported. Do returns it; every service method fills
// one given with ResponseInto.
type Response struct {
	// StatusCode is the status of the answer returned; 0 when no answer
	// came (the connection failed, the context ended).
	StatusCode int
	// Header holds the headers of the answer returned, without
	// Authorization, Proxy-Authorization and Set-Cookie, and with any value
	// that quotes the call's token or another secret masked.
	Header http.Header
	// Attempts counts the HTTP attempts of the call itself: retries and a
	// replay after a 401 included, the /token fetch not.
	Attempts int
	// RateLimit is the budget the answer reported.
	RateLimit RateLimit
}

// RateLimit is the request budget an answer reported in its
// X-RateLimit-Remaining and X-RateLimit-Reset headers. Apizee counts about
// 10 requests a minute per user, across every endpoint.
type RateLimit struct {
	Remaining int           // requests left in the window; -1 when the answer did not say
	Reset     time.Duration // until the window resets; 0 when the answer did not say
}

// rateLimitOf reads the budget an answer reported.
func rateLimitOf(h http.Header) RateLimit {
	rl := RateLimit{Remaining: -1}
	if v := strings.TrimSpace(h.Get("X-RateLimit-Remaining")); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n >= 0 {
			rl.Remaining = n
		}
	}
	rl.Reset = retry.RateLimitReset(h)
	return rl
}

// CallOption configures one call of a service method or of Do. Every
// service method accepts them as trailing arguments.
type CallOption func(*callOptions)

// callOptions is what the CallOptions of a call set.
type callOptions struct {
	// into are the Responses to fill with the call's metadata.
	into []*Response
}

// ResponseInto makes the call fill r with the metadata of its answer
// (status, headers, attempts, rate limit), whether the call succeeds or
// fails: a failed call that got no answer leaves StatusCode 0. A call
// refused before any request (a *ValidationError) leaves r unchanged. A
// method that makes several requests (All, CreateOnce, FindByReference,
// FindByName) fills r with the last one's: on All, the last page fetched.
func ResponseInto(r *Response) CallOption {
	return func(o *callOptions) { o.into = append(o.into, r) }
}

// newCallOptions applies opts.
func newCallOptions(opts []CallOption) callOptions {
	if len(opts) == 0 {
		// Before o exists: o escapes to the options, and so to the heap.
		return callOptions{}
	}
	o := new(callOptions)
	for _, opt := range opts {
		if opt != nil {
			opt(o)
		}
	}
	return *o
}

// fill records the outcome of a call in every Response the caller asked
// for: answer is the answer returned (nil when none came), token the
// bearer token the call carried ("" when none).
func (o *callOptions) fill(answer *http.Response, attempts int, secrets ...string) {
	if len(o.into) == 0 {
		return
	}
	r := Response{Attempts: attempts, RateLimit: RateLimit{Remaining: -1}}
	if answer != nil {
		r.StatusCode = answer.StatusCode
		r.Header = scrubHeader(answer.Header, secrets)
		r.RateLimit = rateLimitOf(answer.Header)
	}
	for i, into := range o.into {
		if into == nil {
			continue
		}
		*into = r
		if i > 0 {
			into.Header = r.Header.Clone()
		}
	}
}

// unsentHeaders are the answer headers a Response never holds: credentials
// a proxy or a hostile server may echo, and cookies.
var unsentHeaders = []string{"Authorization", "Proxy-Authorization", "Set-Cookie", "Set-Cookie2"}

// scrubHeader returns a copy of h without unsentHeaders, with every value
// that quotes one of secrets (the call's token) masked, and every other
// value passed through redact.String (a Location with an access_token=, a
// header quoting a JWT).
func scrubHeader(h http.Header, secrets []string) http.Header {
	out := make(http.Header, len(h))
	for key, values := range h {
		if isUnsentHeader(key) {
			continue
		}
		kept := make([]string, len(values))
		for i, v := range values {
			for _, secret := range secrets {
				if secret != "" && strings.Contains(v, secret) {
					v = strings.ReplaceAll(v, secret, redact.Mask)
				}
			}
			kept[i] = redact.String(v)
		}
		out[key] = kept
	}
	return out
}

func isUnsentHeader(key string) bool {
	for _, name := range unsentHeaders {
		if strings.EqualFold(key, name) {
			return true
		}
	}
	return false
}
