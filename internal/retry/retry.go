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
	"fmt"
	"io"
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
type PermanentError struct {
	Err error
	// HeldBack is set when the attempt was refused before its request left
	// (by the rate limiter or the budget): it does not count as an attempt.
	HeldBack bool
}

// Error returns the cause's text.
func (e *PermanentError) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *PermanentError) Unwrap() error { return e.Err }

// Call is the retry state of one API call across its attempts. It is used by
// one goroutine at a time: go-retryablehttp runs the attempts sequentially.
//
// A Call is the context of its requests (it embeds the caller's context), so
// that the go-retryablehttp client that every call of an SDK client shares
// (NewClient) finds the state of the call it is retrying without a client,
// or a context value, allocated per call.
type Call struct {
	context.Context
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
	// secrets are what the call sends that an answer may quote back, and
	// with it the error text that Describe logs (see Secrets). Unexported
	// (with SetSecrets and Secrets), and the Call prints without them: a
	// user's transport or CheckRedirect sees the Call as its request's
	// context, and may print or marshal it.
	secrets Secrets
	// RetriedAmbiguous is set once an attempt that may have been processed
	// (answered 5xx, or lost after the request was sent) was retried: a
	// later answer may then describe the effect of that attempt (a DELETE
	// retried into a 404).
	RetriedAmbiguous bool

	nextWait time.Duration
}

// Secrets are what a call may have sent and an answer may quote back: the
// password or the assertion (the /token call), a fixed token and the bearer
// token sent. No pattern recognises an opaque token or a password; only
// knowing them masks them. An array, not a slice: every call carries one,
// and only a failure reads it.
type Secrets [4]string

// CallOf returns the Call that ctx, the context of a request sent through
// the client of NewClient, belongs to; nil for any other context.
func CallOf(ctx context.Context) *Call {
	c, _ := ctx.Value(callKey{}).(*Call)
	return c
}

// SetSecrets sets what the call sends that an answer may quote back.
func (c *Call) SetSecrets(s Secrets) { c.secrets = s }

// Secrets returns what SetSecrets set.
func (c *Call) Secrets() Secrets { return c.secrets }

// Describe is the package's Describe with the call's secrets masked too;
// a nil Call (a context that carries none) masks only the patterns.
func (c *Call) Describe(err error) string {
	if c == nil {
		return Describe(err)
	}
	return describe(err, c.secrets[:])
}

// String names the Call like the standard contexts name themselves, without
// its state: a user's transport may print its request's context. (Its
// secrets are unexported, so encoding/json leaves them out too.)
func (c *Call) String() string {
	return fmt.Sprintf("%v.WithValue(apizee call %s %s)", c.Context, c.Method, c.Path)
}

// Format prints String for every verb: fmt would otherwise print the
// fields, the call's secrets among them, for %d or %x.
func (c *Call) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, c.String()) }

// Value returns the Call itself for callKey, the parent's values otherwise.
func (c *Call) Value(key any) any {
	if key == (callKey{}) {
		return c
	}
	return c.Context.Value(key)
}

// callKey finds the Call in the context of its requests.
type callKey struct{}

// NewClient returns the go-retryablehttp client that sends every call of an
// SDK client over hc: no logger of its own, every failure handed back as
// is, and each call's own Call (the context of its requests, see Call)
// deciding whether to retry and how long to wait. Requests sent through it
// must have a Call as their context.
func NewClient(hc *http.Client) *retryablehttp.Client {
	return &retryablehttp.Client{
		HTTPClient: hc,
		// Each Call's policy bounds its retries (CheckRetry); go-retryablehttp's
		// own bound must never stop a retry the Call chose (the drained
		// answer would then be handed back).
		RetryMax:     math.MaxInt32,
		CheckRetry:   checkRetry,
		Backoff:      noBackoff,
		ErrorHandler: handBack,
	}
}

// checkRetry is the shared client's retryablehttp.CheckRetry: it asks the
// request's Call, and sleeps the wait the Call chose before the next
// attempt, with the answer drained so that its connection goes back to the
// pool meanwhile. The client's own Backoff is then zero.
func checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	c := CallOf(ctx)
	if c == nil {
		return false, &PermanentError{Err: errors.New("retry: a request without its Call")}
	}
	retry, checkErr := c.CheckRetry(ctx, resp, err)
	if !retry || checkErr != nil {
		return retry, checkErr
	}
	if resp != nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxDrain))
		resp.Body.Close()
	}
	if c.nextWait > 0 {
		timer := time.NewTimer(c.nextWait)
		defer timer.Stop()
		select {
		case <-timer.C:
		case <-ctx.Done():
			return false, ctx.Err()
		}
	}
	return true, nil
}

// maxDrain bounds what is read of an answer that is retried.
const maxDrain = 64 << 10

// noBackoff is the shared client's retryablehttp.Backoff: checkRetry has
// already waited.
func noBackoff(_, _ time.Duration, _ int, _ *http.Response) time.Duration { return 0 }

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
// chooses the wait before the next one, which checkRetry sleeps. It does
// not wait.
func (c *Call) CheckRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if !heldBack(err) {
		c.Attempts++
	}
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
	if (err != nil && !notSent(err)) || (resp != nil && resp.StatusCode >= 500) {
		c.RetriedAmbiguous = true
	}
	if c.Logger != nil {
		c.Logger.LogAttrs(ctx, slog.LevelInfo, "apizee: retrying request",
			slog.String("method", c.Method), slog.String("path", c.Path),
			slog.Int("attempt", c.Attempts), slog.String("reason", reason), slog.Duration("wait", wait))
	}
	return true, nil
}

// reason says why the attempt may be retried, or "" when it must not be.
func (c *Call) reason(resp *http.Response, err error) string {
	if err != nil {
		switch {
		case isPermanent(err):
			return ""
		case notSent(err):
			return "connection failed before the request was sent: " + c.Describe(err)
		case idempotent(c.Method):
			return "connection error: " + c.Describe(err)
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
	return rateLimitReset(h)
}

// RateLimitReset reads Apizee's X-RateLimit-Reset, the seconds until the
// rate-limit window resets: 0 when the header is absent or unreadable.
func RateLimitReset(h http.Header) time.Duration {
	d, _ := rateLimitReset(h)
	return d
}

func rateLimitReset(h http.Header) (time.Duration, bool) {
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

// heldBack reports an attempt refused before its request left.
func heldBack(err error) bool {
	if err == nil {
		// Before permanent exists: errors.As moves it to the heap, and
		// every successful attempt passes here.
		return false
	}
	var permanent *PermanentError
	return errors.As(err, &permanent) && permanent.HeldBack
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
// secret it quotes masked. Where the error may quote what a call sent (a
// malformed answer that echoes its token: net/http quotes the line it could
// not parse), use the Call's Describe.
func Describe(err error) string { return describe(err, nil) }

func describe(err error, secrets []string) string {
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		err = urlErr.Err
	}
	return redact.Text(err.Error(), secrets...)
}
