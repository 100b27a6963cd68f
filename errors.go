package apizee

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/apizee-go/apizee/internal/redact"
	"github.com/apizee-go/apizee/internal/retry"
)

// Sentinel errors matched by errors.Is against an *APIError (by its status)
// and against the error of a refused token fetch.
var (
	ErrNotFound     = errors.New("apizee: not found")    // 404
	ErrUnauthorized = errors.New("apizee: unauthorized") // 401, or credentials refused by /token
	ErrForbidden    = errors.New("apizee: forbidden")    // 403
	ErrRateLimited  = errors.New("apizee: rate limited") // 429, or a server-requested wait too long to honour
	ErrServer       = errors.New("apizee: server error") // 5xx
)

// maxErrorBody is how much of an error response is read and kept.
const maxErrorBody = 64 << 10

// maxJSONBody is the largest JSON document the SDK decodes; a larger answer
// is refused without being read whole.
const maxJSONBody = 32 << 20

// excerptLen is how much of a body an error message quotes.
const excerptLen = 200

// APIError is a call that got an HTTP answer other than 2xx. It keeps what a
// caller needs to act on it or report it: the status, Apizee's own code and
// message, the method and path (never the query), the wait the server asked
// for, how many attempts were made, and the start of the body.
type APIError struct {
	StatusCode int
	Code       int    // Apizee's own code when the body has one (10: a parameter failed validation)
	Message    string // Apizee's message, or the status text
	Details    string // Apizee's details, e.g. "Parameter room_name"
	Method     string
	Path       string // relative to the base URL ("/tickets/82070"; see RequestError.Path); no query string, no secrets
	RetryAfter time.Duration
	Attempts   int
	RequestID  string    // X-Request-Id, when the server sends one
	RateLimit  RateLimit // the budget the answer reported
	// Body is at most 64 KiB of the raw body, with the secrets the call
	// sent (its bearer token, the password or the assertion) masked.
	Body []byte

	// hint is an SDK-side explanation added for answers that are known to
	// confuse (an account without the conference feature).
	hint string
	// waitRefused is set when the server asked for a wait longer than the
	// retry policy honours (or past the deadline): the call was rate limited
	// whatever its status.
	waitRefused bool
	// afterAmbiguous is set when an earlier attempt of the call may have
	// been processed (its answer was a 5xx or was lost after sending).
	afterAmbiguous bool
}

// Error returns a one-line description free of secrets. Error, GoString
// and Is have value receivers so that an APIError value (not only a
// pointer) prints, logs and matches like the pointer.
func (e APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "apizee: %s %s: %d %s", e.Method, e.Path, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Code != 0 {
		fmt.Fprintf(&b, " (code %d)", e.Code)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.Details != "" {
		b.WriteString(" [" + e.Details + "]")
	}
	if e.hint != "" {
		b.WriteString(": " + e.hint)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (server asked to wait %s)", e.RetryAfter)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " after %d attempts", e.Attempts)
	}
	return redact.String(b.String())
}

// GoString prints the error for %#v without its raw body, which may quote
// secrets.
func (e APIError) GoString() string {
	return fmt.Sprintf("&apizee.APIError{StatusCode:%d, Code:%d, Message:%q, Details:%q, Method:%q, Path:%q, RetryAfter:%s, Attempts:%d, RequestID:%q, RateLimit:%+v, Body:<%d bytes>}",
		e.StatusCode, e.Code, redact.String(e.Message), redact.String(e.Details), e.Method, e.Path, e.RetryAfter, e.Attempts, e.RequestID, e.RateLimit, len(e.Body))
}

// Is maps the error to the sentinels by status: errors.Is(err, ErrNotFound).
func (e APIError) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized
	case ErrForbidden:
		return e.StatusCode == http.StatusForbidden
	case ErrRateLimited:
		return e.StatusCode == http.StatusTooManyRequests || e.waitRefused
	case ErrServer:
		return e.StatusCode >= 500
	}
	return false
}

// errorBody is the union of the error shapes Apizee answers with:
// {"code":10,"message":"...","details":"..."}, {"message":"..."} and {"error":"..."}.
type errorBody struct {
	Code    flexInt64 `json:"code"`
	Message string    `json:"message"`
	Details string    `json:"details"`
	Error   string    `json:"error"`
}

// newAPIError builds the error for a non-2xx response, reading at most
// maxErrorBody of its body. It closes the body. The call's secrets (its
// bearer token, the password) are masked in the raw body, before anything
// is decoded, folded or cut.
func newAPIError(resp *http.Response, method, path string, call *retry.Call) *APIError {
	callSecrets := call.Secrets()
	secrets := callSecrets[:]
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	e := &APIError{
		StatusCode: resp.StatusCode,
		Method:     method,
		Path:       path,
		Attempts:   call.Attempts,
		RequestID:  oneLine(redact.Text(resp.Header.Get("X-Request-Id"), secrets...)),
		RateLimit:  rateLimitOf(resp.Header),
		Body:       maskBody(body, len(body) == maxErrorBody, secrets),

		waitRefused:    call.GaveUpWaiting,
		afterAmbiguous: call.RetriedAmbiguous,
	}
	if wait, ok := retry.ServerWait(resp.Header, time.Now()); ok {
		e.RetryAfter = wait
	}
	e.Code, e.Message, e.Details = parseErrorBody(e.Body, secrets...)
	if e.Message == "" {
		e.Message = http.StatusText(resp.StatusCode)
	}
	return e
}

// parseErrorBody reads Apizee's code, message and details from any of its
// error shapes, or a readable message from an HTML or text error page.
// Decoding can turn an escaped secret back into the secret itself, so the
// decoded text is masked again (secrets, and the patterns of redact.String)
// before oneLine folds and cuts it.
func parseErrorBody(body []byte, secrets ...string) (code int, message, details string) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return 0, "", ""
	}
	quote := func(s string) string { return oneLine(redact.Text(s, secrets...)) }
	var eb errorBody
	if trimmed[0] == '{' && json.Unmarshal(trimmed, &eb) == nil {
		message = eb.Message
		if message == "" {
			message = eb.Error
		}
		return int(eb.Code), quote(message), quote(eb.Details)
	}
	if m := htmlTitle.FindSubmatch(trimmed); m != nil {
		return 0, quote(html.UnescapeString(string(m[1]))), ""
	}
	return 0, quote(string(trimmed)), ""
}

var htmlTitle = regexp.MustCompile(`(?is)<title[^>]*>(.*?)</title>`)

// maskBody masks the secrets a call sent in a raw body; cut says the body
// was read up to a limit, so that it may end inside a secret.
func maskBody(body []byte, cut bool, secrets []string) []byte {
	if len(body) == 0 {
		return body
	}
	if cut {
		return []byte(redact.KnownCut(string(body), secrets...))
	}
	return []byte(redact.Known(string(body), secrets...))
}

// excerpt is the start of a body that an error quotes: the secrets the call
// sent masked in the raw bytes (cut: the bytes end where a limit cut them),
// then the secret patterns, then folded to one bounded line. Only the start
// excerptStart returns is looked at: masking or folding a whole 32 MiB
// answer to quote 200 bytes of it would copy it several times.
func excerpt(body []byte, cut bool, secrets []string) string {
	if start := excerptStart(body); len(start) < len(body) {
		body, cut = start, true
	}
	return oneLine(redact.String(string(maskBody(printableEscapesUndone(body), cut, secrets))))
}

// printableEscapesUndone returns body with every JSON \u escape of a
// printable ASCII character other than a quote or a backslash written as
// the character. JSON lets a server escape any letter: a secret
// parameter's name ("p\u0077d=") or the call's token with a letter escaped
// would otherwise pass both the patterns and the echo forms of masking.
func printableEscapesUndone(body []byte) []byte {
	if !bytes.Contains(body, []byte(`\u00`)) {
		return body
	}
	out := make([]byte, 0, len(body))
	for i := 0; i < len(body); i++ {
		if body[i] != '\\' || i+1 == len(body) {
			out = append(out, body[i])
			continue
		}
		if r, ok := hex4u(body[i:]); ok && ' ' <= r && r <= '~' && r != '"' && r != '\\' {
			out = append(out, byte(r))
			i += 5
			continue
		}
		out = append(out, body[i], body[i+1]) // an escape kept whole: "\\u0061" is no \u escape
		i++
	}
	return out
}

// maskCause returns the cause of a DecodeError with the secrets the call
// sent, and the secret patterns (redact.String), masked in its text: the
// cause reaches callers on its own (errors.Unwrap, errors.As, an error
// reporter walking the chain), not only through the masked Error of the
// error that wraps it. The lenient types' errors quote the value they
// could not read, cut to 40 bytes and marked "…", and a server may have
// echoed a secret there: the text before each "…" may end inside one. An
// error whose text changes is replaced by one with the masked text: those
// are the SDK's own plain errors, with nothing to inspect but their text.
func maskCause(err error, secrets []string) error {
	text := err.Error()
	parts := strings.Split(text, "…")
	for i := range parts[:len(parts)-1] {
		parts[i] = redact.KnownCut(parts[i], secrets...)
	}
	parts[len(parts)-1] = redact.Known(parts[len(parts)-1], secrets...)
	if masked := redact.String(strings.Join(parts, "…")); masked != text {
		return errors.New(masked)
	}
	return err
}

// oneLine collapses white space, drops control and bidirectional formatting
// characters, and bounds the length of text quoted from a response, so that
// an error message stays one readable line: a server's text must not move a
// terminal's cursor, colour it, or reorder what a log viewer shows.
func oneLine(s string) string {
	if strings.ContainsFunc(s, unprintable) {
		s = strings.Map(func(r rune) rune {
			if unprintable(r) {
				return ' '
			}
			return r
		}, s)
	}
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > excerptLen {
		s = strings.ToValidUTF8(s[:excerptLen], "") + "…"
	}
	return s
}

// unprintable reports a control character (ESC, DEL, C1) or a
// bidirectional formatting character (U+200E, U+202A to U+202E, U+2066 to
// U+2069), which quoted text must not carry into a message.
func unprintable(r rune) bool {
	return unicode.IsControl(r) || r == '\u200e' || r == '\u200f' || (r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069')
}

// ValidationError is bad input refused before any request is sent. Field is
// the Go name of the offending parameter field or option.
type ValidationError struct {
	Field  string
	Reason string
}

// Error returns "apizee: invalid <Field>: <Reason>".
func (e *ValidationError) Error() string {
	return "apizee: invalid " + e.Field + ": " + e.Reason
}

// invalid returns a *ValidationError; the reason is formatted like fmt.Sprintf.
func invalid(field, reason string, args ...any) error {
	if len(args) > 0 {
		reason = fmt.Sprintf(reason, args...)
	}
	return &ValidationError{Field: field, Reason: reason}
}

// RequestError is a call that got no usable HTTP answer: the connection
// failed, the context ended, a redirect was refused, or the answer could not
// be read. Err is the cause with the request URL removed; errors.Is(err,
// context.DeadlineExceeded) and the like work through Unwrap.
type RequestError struct {
	Method string
	// Path is the path of the request as Do takes it and apizeetest records
	// it: relative to the base URL ("/tickets/82070" with the base URL
	// https://cloud.apizee.com/api), or, for a URL outside the base URL's
	// path (a media file), its absolute path ("/media/showVideo/..."). No
	// query string, no secrets. APIError.Path and DecodeError.Path, and the
	// "path" of the logs, are the same.
	Path     string
	Attempts int
	Err      error
}

// Error returns a one-line description free of secrets. It has a value
// receiver, like Unwrap, so that a RequestError value prints like a pointer.
func (e RequestError) Error() string {
	s := fmt.Sprintf("apizee: %s %s: %s", e.Method, e.Path, strings.TrimPrefix(retry.Describe(e.Err), errPrefix))
	if e.Attempts > 1 {
		s += fmt.Sprintf(" after %d attempts", e.Attempts)
	}
	return s
}

// Unwrap returns the cause.
func (e RequestError) Unwrap() error { return e.Err }

// maskTransportError masks what the cause of a RequestError may quote: the
// secrets of the URL that net/http wraps around a transport error (an
// access_token or pwd in the query), and the secrets the call sent, which a
// malformed answer may echo and net/http's error then quotes (`malformed
// HTTP status code "<token>"`). The cause is handed to callers, who may
// print it.
func maskTransportError(err error, secrets retry.Secrets) error {
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		urlErr.URL = redact.URL(urlErr.URL)
		urlErr.Err = maskCause(urlErr.Err, secrets[:])
		return err
	}
	return maskCause(err, secrets[:])
}

// DecodeError is a 2xx answer whose body is not the JSON the call expects.
// It says what was wrong and quotes the start of the body.
type DecodeError struct {
	Method     string
	Path       string // as RequestError.Path
	StatusCode int
	Err        error
	Excerpt    string // the start of the body, secrets masked
}

// Error returns a one-line description free of secrets. It has a value
// receiver, like Unwrap, so that a DecodeError value prints like a pointer.
func (e DecodeError) Error() string {
	return fmt.Sprintf("apizee: %s %s: %d response is not the expected JSON: %s; body starts: %q",
		e.Method, e.Path, e.StatusCode, redact.String(causeText(e.Err)), e.Excerpt)
}

// Unwrap returns the cause.
func (e DecodeError) Unwrap() error { return e.Err }

// decodeJSON decodes a 2xx JSON body into out. It refuses, with a
// *DecodeError, a body over maxJSONBody (without reading it whole), an empty
// or null body, an answer holding more than out's bounds (see checkBounds:
// nothing past them is built), and anything that does not decode into out.
// A document that scans itself (documentScanner) is decoded in one pass, and
// by encoding/json only when the scanner stopped at no value (see scanner),
// with the same result.
// secrets (what the call sent) are masked in the excerpt the error quotes.
func decodeJSON(resp *http.Response, method, path string, out any, secrets ...string) error {
	defer resp.Body.Close()
	body, tooLarge, err := readJSONBody(resp.Body, resp.ContentLength)
	fail := func(err error) error {
		return &DecodeError{Method: method, Path: path, StatusCode: resp.StatusCode, Err: maskCause(err, secrets), Excerpt: excerpt(body, tooLarge, secrets)}
	}
	switch trimmed := bytes.TrimSpace(body); {
	case err != nil:
		return &RequestError{Method: method, Path: path, Err: fmt.Errorf("reading the response: %w", err)}
	case tooLarge:
		return fail(fmt.Errorf("body exceeds the %d MiB limit", maxJSONBody>>20))
	case len(trimmed) == 0:
		return fail(errors.New("empty body"))
	case bytes.Equal(trimmed, []byte("null")):
		return fail(errors.New("null body"))
	}
	bounds := defaultBounds
	if b, ok := out.(bounded); ok {
		bounds = b.bounds()
	}
	body = emptyObjects(body)
	scanned := false
	if d, ok := out.(documentScanner); ok {
		var refused error
		if scanned, refused = d.scanDocument(body, bounds); refused != nil {
			// The scanner stopped at the first value it refused; the
			// general way reports a bound passed or a syntax error
			// anywhere in the body first, and finds both before
			// building anything, where decoding the body again would
			// build what the scanner built a second time.
			if _, err := checkBounds(body, bounds); err != nil {
				return fail(err)
			}
			if json.Valid(body) {
				return fail(refused)
			}
		}
	}
	if !scanned {
		items, err := checkBounds(body, bounds)
		if err != nil {
			return fail(err)
		}
		if r, ok := out.(reserver); ok {
			r.reserve(items)
		}
		if err := json.Unmarshal(body, out); err != nil {
			var typeErr *json.UnmarshalTypeError
			if errors.As(err, &typeErr) {
				err = wrongKindError{typeErr}
			}
			return fail(err)
		}
	}
	if c, ok := out.(checker); ok {
		if err := c.check(); err != nil {
			return fail(err)
		}
	}
	return nil
}

// wrongKindError is encoding/json's error for a value of the wrong kind,
// told in the answer's terms: its own text names the SDK's internal wire
// types ("of type struct { ID apizee.flexInt64 ... }"), which mean nothing to
// a reader. errors.As still finds the *json.UnmarshalTypeError.
type wrongKindError struct{ err *json.UnmarshalTypeError }

func (e wrongKindError) Error() string {
	where := "the answer"
	if e.err.Field != "" {
		where = fmt.Sprintf("field %q", e.err.Field)
	}
	return fmt.Sprintf("%s holds a JSON %s where %s belongs", where, e.err.Value, jsonKind(e.err.Type))
}

func (e wrongKindError) Unwrap() error { return e.err }

// jsonKind names the JSON that decodes into a value of type t.
func jsonKind(t reflect.Type) string {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return "another value"
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "another value"
}

// checker is a decoded wire document that can tell it is not what the call
// expects although it decoded (a ticket without an id). decodeJSON runs the
// check and reports its failure like a decoding error, with an excerpt.
type checker interface{ check() error }

// excerptScan is how much text (white space aside) an excerpt is cut from:
// enough for the excerpt and for any secret that starts within it, so that
// masking sees the secret whole, however much white space comes first.
const excerptScan = 4 << 10

// excerptSource bounds the start of body that an excerpt is cut from,
// white space included: masking and folding copy what they are given
// several times, and a body of white space with a little text between
// would otherwise hand them the whole 32 MiB. Past this much white space
// the excerpt, folded, has nothing left to show of what follows.
const excerptSource = 64 << 10

// excerptStart is the start of body that an error's excerpt is made from:
// folding a whole 32 MiB body of short words into one line would allocate
// many times its size.
func excerptStart(body []byte) []byte {
	text := 0
	for i := 0; i < len(body); {
		if i >= excerptSource {
			return body[:i]
		}
		r, size := utf8.DecodeRune(body[i:])
		if !unicode.IsSpace(r) {
			if text += size; text >= excerptScan {
				return body[:i+size]
			}
		}
		i += size
	}
	return body
}

// Reading a body: the first block takes the declared size when it is small,
// later blocks double up to maxReadBlock. A declared Content-Length is only a
// hint: a server that declares 32 MiB and sends one byte costs one first
// block. Once a quarter of a declared size has arrived, the rest is read
// straight into one buffer of that size, which spares joining the blocks:
// past the first block, no allocation is more than four times what arrived.
const (
	minReadBlock   = 512
	firstReadBlock = 256 << 10
	maxReadBlock   = 1 << 20
	trustDeclared  = 4
)

// readJSONBody reads a body of declared size (-1: unknown) up to
// maxJSONBody. Past it, it returns only the body's first bytes and tooLarge;
// a body declared larger is not read further. It reads in bounded growing
// blocks (see firstReadBlock), so that neither a declared size nor a body
// refused at the cap decides an allocation much larger than what arrived.
func readJSONBody(r io.Reader, size int64) (body []byte, tooLarge bool, err error) {
	if size > maxJSONBody {
		b := make([]byte, excerptLen)
		n, err := io.ReadFull(r, b)
		if err == io.ErrUnexpectedEOF || err == io.EOF {
			err = nil
		}
		return b[:n], true, err
	}
	r = io.LimitReader(r, maxJSONBody+1)
	var blocks [][]byte
	total := 0
	blockSize := firstReadBlock
	if size >= 0 && size < firstReadBlock {
		// A small declared size fits the first block with a byte to spare,
		// to see the end: one allocation, no copy.
		blockSize = max(minReadBlock, int(size)+1)
	}
	for {
		if size > int64(total) && size <= int64(trustDeclared*total) {
			// What arrived makes the declared size credible: one buffer for
			// the whole body (and a byte to see its end), the blocks copied in.
			whole := make([]byte, size+1)
			at := 0
			for _, b := range blocks {
				at += copy(whole[at:], b)
			}
			n, end, err := fill(r, whole[total:])
			if err != nil {
				return nil, false, err
			}
			blocks, total, size = [][]byte{whole[:total+n]}, total+n, -1
			if end {
				break
			}
			continue // longer than declared: on in blocks
		}
		block := make([]byte, blockSize)
		n, end, err := fill(r, block)
		if err != nil {
			return nil, false, err
		}
		blocks, total = append(blocks, block[:n]), total+n
		if end {
			break
		}
		blockSize = min(2*blockSize, maxReadBlock)
	}
	switch {
	case total > maxJSONBody:
		return blocks[0][:min(len(blocks[0]), excerptLen)], true, nil
	case len(blocks) == 1:
		return blocks[0], false, nil
	}
	return bytes.Join(blocks, nil), false, nil
}

// fill reads into b until it is full or the body ends (end). Unlike
// io.ReadFull it tells a body that ended from one that was cut: net/http
// reports a body shorter than its Content-Length as io.ErrUnexpectedEOF,
// which fill returns as the error it is.
func fill(r io.Reader, b []byte) (n int, end bool, err error) {
	for n < len(b) {
		m, err := r.Read(b[n:])
		n += m
		switch {
		case err == io.EOF:
			return n, true, nil
		case err != nil:
			return n, false, err
		}
	}
	return n, false, nil
}
