// Package retry holds the SDK's retry policy for go-retryablehttp: which
// failures are retried, how long to wait, and when to give up at once.
//
// The policy is method-aware because Apizee's create calls are not
// idempotent: a POST that may have reached the server is never sent again,
// since the ticket or room may already exist (and the customer may already
// have received an SMS).
package retry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/apizee-go/apizee/internal/redact"
)

// Policy bounds the retries of one call. Zero durations must have been
// replaced by their defaults before use.
type Policy struct {
	MaxRetries    int
	MinBackoff    time.Duration
	MaxBackoff    time.Duration
	MaxRetryAfter time.Duration
}

// PermanentError marks a transport failure that no retry can mend (a
// redirect loop, a refused redirect).
type PermanentError struct{ Err error }

// Error returns the cause's text.
func (e *PermanentError) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *PermanentError) Unwrap() error { return e.Err }

// Call is the retry state of one API call across its attempts. It is used by
// one goroutine at a time: go-retryablehttp runs the attempts sequentially.
type Call struct {
	Policy Policy
	Method string
	Path   string // for logs: already free of secrets
	Logger *slog.Logger
	Now    func() time.Time

	// Attempts counts the HTTP attempts made so far.
	Attempts int
	// ServerWait is the wait the server asked for on the last response, if any.
	ServerWait time.Duration
	// GaveUpWaiting is set when the call stopped because the server asked
	// for a wait longer than MaxRetryAfter or past the context deadline.
	GaveUpWaiting bool

	nextWait time.Duration
}

// Client returns a go-retryablehttp client that runs this call over hc with
// this policy, no logger of its own, and every failure handed back as is.
func (c *Call) Client(hc *http.Client) *retryablehttp.Client {
	return &retryablehttp.Client{
		HTTPClient:   hc,
		RetryMax:     c.Policy.MaxRetries,
		RetryWaitMin: c.Policy.MinBackoff,
		RetryWaitMax: c.Policy.MaxBackoff,
		CheckRetry:   c.CheckRetry,
		Backoff:      c.Backoff,
		ErrorHandler: handBack,
	}
}

// handBack returns the last response or error unchanged, so that the caller
// builds its own error from the real status and body (go-retryablehttp's
// default would drop the response and print the full URL).
func handBack(resp *http.Response, err error, _ int) (*http.Response, error) {
	if err != nil && resp != nil {
		resp.Body.Close()
		resp = nil
	}
	return resp, err
}

// CheckRetry decides whether the attempt that just ended is retried, and
// chooses the wait before the next one. It implements retryablehttp.CheckRetry.
func (c *Call) CheckRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	c.Attempts++
	c.ServerWait, c.GaveUpWaiting = 0, false
	if ctxErr := ctx.Err(); ctxErr != nil {
		return false, ctxErr
	}
	reason := c.reason(resp, err)
	if reason == "" {
		return false, nil
	}
	if c.Attempts > c.Policy.MaxRetries {
		return false, nil
	}
	wait := c.Policy.Backoff(c.Attempts)
	if resp != nil {
		if serverWait, ok := ServerWait(resp.Header, c.now()); ok {
			c.ServerWait = serverWait
			if serverWait > c.Policy.MaxRetryAfter {
				c.GaveUpWaiting = true
				return false, nil
			}
			wait = serverWait
		}
	}
	if deadline, ok := ctx.Deadline(); ok && c.now().Add(wait).After(deadline) {
		// Sleeping into a deadline that will cut the next attempt short only
		// hides the real failure: return it now.
		c.GaveUpWaiting = c.ServerWait > 0
		return false, nil
	}
	c.nextWait = wait
	if c.Logger != nil {
		c.Logger.LogAttrs(ctx, slog.LevelInfo, "apizee: retrying request",
			slog.String("method", c.Method), slog.String("path", c.Path),
			slog.Int("attempt", c.Attempts), slog.String("reason", reason), slog.Duration("wait", wait))
	}
	return true, nil
}

// Backoff returns the wait CheckRetry chose. It implements retryablehttp.Backoff.
func (c *Call) Backoff(_, _ time.Duration, _ int, _ *http.Response) time.Duration {
	return c.nextWait
}

// reason says why the attempt may be retried, or "" when it must not be.
func (c *Call) reason(resp *http.Response, err error) string {
	if err != nil {
		switch {
		case isPermanent(err):
			return ""
		case notSent(err):
			return "connection failed before the request was sent: " + Describe(err)
		case idempotent(c.Method):
			return "connection error: " + Describe(err)
		default:
			// The request may have reached the server: a second POST could
			// create a second ticket or room.
			return ""
		}
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		// 429 means the request was not processed: safe for every method.
		return "rate limited (429)"
	case resp.StatusCode >= 500 && resp.StatusCode != http.StatusNotImplemented && idempotent(c.Method):
		return "server error (" + strconv.Itoa(resp.StatusCode) + ")"
	}
	return ""
}

// Backoff is the wait before the retry that follows attempt (counting from
// 1): exponential with full jitter, a random wait between MinBackoff and
// min(MaxBackoff, MinBackoff * 2^attempt). The first retry is jittered too:
// clients that failed together must not all come back together. It serves
// the HTTP retries and the SDK's own repeated calls (CreateOnce) alike.
func (p Policy) Backoff(attempt int) time.Duration {
	lo, hi := p.MinBackoff, p.MinBackoff
	for i := 0; i < attempt && hi < p.MaxBackoff; i++ {
		hi = min(hi, p.MaxBackoff/2) * 2 // no overflow
	}
	hi = min(hi, p.MaxBackoff)
	if hi <= lo {
		return lo
	}
	return lo + rand.N(hi-lo+1)
}

func (c *Call) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// ServerWait reads how long the server asked the client to wait: Retry-After
// in seconds or as an HTTP date, else Apizee's X-RateLimit-Reset in seconds.
// A date is a time on the server's clock: it is read against the answer's
// Date header when there is one, so that a client whose clock is off by
// hours waits what the server meant, not hours or nothing.
func ServerWait(h http.Header, now time.Time) (time.Duration, bool) {
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if wait, ok := seconds(v); ok {
			return wait, true
		}
		if at, err := http.ParseTime(v); err == nil {
			if sent, err := http.ParseTime(h.Get("Date")); err == nil {
				now = sent
			}
			return max(at.Sub(now), 0), true
		}
	}
	if v := strings.TrimSpace(h.Get("X-RateLimit-Reset")); v != "" {
		if wait, ok := seconds(v); ok {
			return wait, true
		}
	}
	return 0, false
}

// seconds reads a count of seconds (digits only). A count beyond what a
// Duration holds is the longest Duration: the server asked for a wait too
// long to honour, which is not the same as asking for none.
func seconds(v string) (time.Duration, bool) {
	if strings.Trim(v, "0123456789") != "" {
		return 0, false
	}
	const maxSecs = int64(time.Duration(math.MaxInt64) / time.Second)
	secs, err := strconv.ParseInt(v, 10, 64)
	if err != nil || secs > maxSecs {
		// Digits only, so the one possible error is the range.
		secs = maxSecs
	}
	return time.Duration(secs) * time.Second, true
}

func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

// notSent reports a failure that provably happened before the request left:
// the name did not resolve, the connection was refused, or the TLS handshake
// failed for a reason other than the certificate.
func notSent(err error) bool {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return true
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		return true
	}
	var recordErr tls.RecordHeaderError
	if errors.As(err, &recordErr) {
		return true
	}
	var alert tls.AlertError
	if errors.As(err, &alert) {
		return true
	}
	return strings.Contains(err.Error(), "TLS handshake timeout")
}

// isPermanent reports failures that a retry cannot mend: an untrusted or
// invalid certificate, a redirect loop, an unsupported scheme, plain HTTP
// where TLS was expected.
func isPermanent(err error) bool {
	var permanent *PermanentError
	var unknownAuthority x509.UnknownAuthorityError
	var invalidCert x509.CertificateInvalidError
	var hostname x509.HostnameError
	var verification *tls.CertificateVerificationError
	return errors.As(err, &permanent) ||
		errors.As(err, &unknownAuthority) ||
		errors.As(err, &invalidCert) ||
		errors.As(err, &hostname) ||
		errors.As(err, &verification) ||
		// A plain HTTP server at an https address: it will not learn TLS.
		errors.Is(err, http.ErrSchemeMismatch) ||
		strings.Contains(err.Error(), "unsupported protocol scheme")
}

// Describe returns the text of a transport error without the request URL
// that net/http wraps around it (the URL may carry secrets) and with any
// secret it quotes masked.
func Describe(err error) string {
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		err = urlErr.Err
	}
	return redact.String(err.Error())
}
