package apizee

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee/internal/redact"
)

// rawServer answers every request with handler and counts them; the client
// uses a fixed token so that no /token call is mixed in.
func rawServer(t *testing.T, handler http.HandlerFunc) (*Client, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		handler(w, r)
	}))
	t.Cleanup(srv.Close)
	c, err := NewClient(WithBaseURL(srv.URL+"/api"), WithToken("fixed-token"), WithRetryPolicy(fastRetries))
	require.NoError(t, err)
	return c, &hits
}

func respond(status int, body string, header ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	}
}

func TestAPIErrorFields(t *testing.T) {
	c, hits := rawServer(t, respond(http.StatusBadRequest,
		`{"code":10,"message":"Invalid parameter","details":"Parameter room_name"}`,
		"Retry-After", "17", "X-Request-Id", "req-42", "Content-Type", "application/json"))

	q := url.Values{"access_token": {"qs-secret"}, "name": {"x"}}
	err := c.call(t.Context(), http.MethodGet, "/conferences", q, &struct{}{})

	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusBadRequest, apiErr.StatusCode)
	assert.Equal(t, 10, apiErr.Code)
	assert.Equal(t, "Invalid parameter", apiErr.Message)
	assert.Equal(t, "Parameter room_name", apiErr.Details)
	assert.Equal(t, http.MethodGet, apiErr.Method)
	assert.Equal(t, "/conferences", apiErr.Path, "the path is relative to the base URL and carries no query")
	assert.Equal(t, 17*time.Second, apiErr.RetryAfter)
	assert.Equal(t, 1, apiErr.Attempts)
	assert.Equal(t, "req-42", apiErr.RequestID)
	assert.JSONEq(t, `{"code":10,"message":"Invalid parameter","details":"Parameter room_name"}`, string(apiErr.Body))
	assert.Equal(t, int32(1), hits.Load(), "a 400 is not retried")

	assert.Equal(t, "apizee: GET /conferences: 400 Bad Request (code 10): Invalid parameter [Parameter room_name] (server asked to wait 17s)", apiErr.Error())
	for _, s := range []string{apiErr.Error(), fmt.Sprintf("%v %+v %#v", err, err, err)} {
		assert.NotContains(t, s, "qs-secret")
		assert.NotContains(t, s, "fixed-token")
	}
}

func TestAPIErrorBodyIsCapped(t *testing.T) {
	big := bytes.Repeat([]byte("x"), 1<<20)
	c, _ := rawServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write(big)
	})
	err := c.call(t.Context(), http.MethodGet, "/big", nil, &struct{}{})
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Len(t, apiErr.Body, 64<<10)
	assert.LessOrEqual(t, len(apiErr.Error()), 400, "the message quotes a bounded excerpt")
	assert.NotContains(t, fmt.Sprintf("%#v", apiErr), strings.Repeat("x", 300), "%#v does not dump the body")
}

func TestAPIErrorSentinels(t *testing.T) {
	sentinels := []error{ErrUnauthorized, ErrForbidden, ErrNotFound, ErrRateLimited, ErrServer}
	tests := []struct {
		status int
		want   error // nil: none
	}{
		{400, nil},
		{401, ErrUnauthorized},
		{403, ErrForbidden},
		{404, ErrNotFound},
		{409, nil},
		{422, nil},
		{429, ErrRateLimited},
		{500, ErrServer},
		{501, ErrServer},
		{502, ErrServer},
		{503, ErrServer},
		{504, ErrServer},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.status), func(t *testing.T) {
			var err error = &APIError{StatusCode: tt.status}
			wrapped := fmt.Errorf("while doing things: %w", err)
			for _, s := range sentinels {
				assert.Equal(t, s == tt.want, errors.Is(err, s), "errors.Is(%d, %v)", tt.status, s)
				assert.Equal(t, s == tt.want, errors.Is(wrapped, s), "through a wrap")
			}
		})
	}
}

func TestAPIErrorSentinelsEndToEnd(t *testing.T) {
	for _, tt := range []struct {
		status int
		want   error
	}{{401, ErrUnauthorized}, {403, ErrForbidden}, {404, ErrNotFound}, {429, ErrRateLimited}, {500, ErrServer}, {503, ErrServer}} {
		t.Run(http.StatusText(tt.status), func(t *testing.T) {
			c, _ := rawServer(t, respond(tt.status, `{"message":"no"}`))
			err := c.call(t.Context(), http.MethodGet, "/x", nil, &struct{}{})
			assert.ErrorIs(t, err, tt.want)
		})
	}
}

func TestErrorBodyShapes(t *testing.T) {
	tests := []struct {
		name            string
		body            string
		code            int
		message, detail string
	}{
		{"code, message and details", `{"code": 10, "message": "Invalid parameter", "details": "Parameter room_name"}`, 10, "Invalid parameter", "Parameter room_name"},
		{"code as a string", `{"code": "2", "message": "Forbidden"}`, 2, "Forbidden", ""},
		{"message only", `{"message": "Ticket not found"}`, 0, "Ticket not found", ""},
		{"error only", `{"error": "Too many requests"}`, 0, "Too many requests", ""},
		{"message wins over error", `{"error": "invalid_grant", "message": "Bad credentials"}`, 0, "Bad credentials", ""},
		{"multi-line message", "{\"message\": \"line one\\n   line two\"}", 0, "line one line two", ""},
		{"HTML error page", "<!DOCTYPE html><html><head>\n<title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1><p>nginx</p></body></html>", 0, "502 Bad Gateway", ""},
		{"HTML title with entities", `<html><head><TITLE lang="fr">Service &amp; maintenance</TITLE></head></html>`, 0, "Service & maintenance", ""},
		{"plain text", "upstream connect error\nor disconnect", 0, "upstream connect error or disconnect", ""},
		{"JSON of another shape", `{"errors":[{"msg":"x"}]}`, 0, "", ""},
		{"empty", "", 0, "", ""},
		{"white space", " \n ", 0, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, message, details := parseErrorBody([]byte(tt.body))
			assert.Equal(t, tt.code, code)
			assert.Equal(t, tt.message, message)
			assert.Equal(t, tt.detail, details)
		})
	}
}

func TestErrorBodyShapesEndToEnd(t *testing.T) {
	// Every shape gives the caller something to read, even one the parser
	// does not know: then the status text.
	tests := []struct {
		body, contains string
	}{
		{`{"code":10,"message":"Invalid parameter","details":"Parameter phone"}`, "Invalid parameter [Parameter phone]"},
		{`{"message":"Ticket not found"}`, "Ticket not found"},
		{`{"error":"Too many requests"}`, "Too many requests"},
		{`<html><head><title>503 Service Temporarily Unavailable</title></head><body>...</body></html>`, "503 Service Temporarily Unavailable"},
		{``, "Unprocessable Entity"},
	}
	for _, tt := range tests {
		t.Run(tt.contains, func(t *testing.T) {
			c, _ := rawServer(t, respond(http.StatusUnprocessableEntity, tt.body))
			err := c.call(t.Context(), http.MethodGet, "/x", nil, &struct{}{})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.contains)
			assert.NotContains(t, err.Error(), "<html")
		})
	}
}

func TestErrorMessageIsBoundedAndRedacted(t *testing.T) {
	long := strings.Repeat("é", 500)
	_, message, _ := parseErrorBody([]byte(`{"message":"` + long + `"}`))
	assert.LessOrEqual(t, len(message), excerptLen+len("…"))
	assert.True(t, utf8.ValidString(message), "a cut never splits a character")

	e := &APIError{StatusCode: 400, Method: "GET", Path: "/api/tickets", Message: "see https://h/sso?access_token=leaked&x=1", Details: "pwd=1234"}
	assert.NotContains(t, e.Error(), "leaked")
	assert.NotContains(t, e.Error(), "1234")
	assert.NotContains(t, fmt.Sprintf("%#v", e), "leaked")
}

func TestDecodeErrors(t *testing.T) {
	type object struct {
		ID   flexInt64 `json:"id"`
		Name string    `json:"name"`
	}
	tests := []struct {
		name, body, excerpt string
	}{
		{"HTML", "<html><body>Maintenance</body></html>", "<html><body>Maintenance</body></html>"},
		{"truncated JSON", `{"id": 12, "name": "ab`, `{"id": 12, "name": "ab`},
		{"null", `null`, "null"},
		{"empty", ``, ""},
		{"white space", "  \n", ""},
		{"array for an object", `[{"id":1}]`, `[{"id":1}]`},
		{"string for an object", `"ok"`, `"ok"`},
		{"wrong field type", `{"id": {"nested": true}}`, `{"id": {"nested": true}}`},
		{"trailing garbage", `{"id": 1} {"id": 2}`, `{"id": 1} {"id": 2}`},
		{"secret in the excerpt", `{"sso_url":"https://h/sso?access_token=abc123","id":"x"}`, `{"sso_url":"https://h/sso?access_token=REDACTED","id":"x"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := rawServer(t, respond(http.StatusOK, tt.body, "Content-Type", "application/json"))
			var out object
			err := c.call(t.Context(), http.MethodGet, "/things/1", url.Values{"q": {"x"}}, &out)
			var decodeErr *DecodeError
			require.ErrorAs(t, err, &decodeErr, "a 2xx that is not the expected JSON is an error, not a zero value")
			assert.Equal(t, http.MethodGet, decodeErr.Method)
			assert.Equal(t, "/things/1", decodeErr.Path)
			assert.Equal(t, http.StatusOK, decodeErr.StatusCode)
			assert.Equal(t, tt.excerpt, decodeErr.Excerpt)
			assert.Contains(t, err.Error(), "not the expected JSON")
			assert.NotContains(t, err.Error(), "abc123")
			assert.NotErrorIs(t, err, ErrServer)
		})
	}
}

func TestDecodeJSONDecodes(t *testing.T) {
	resp := &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader(`{"a":"b"}`))}
	var out map[string]string
	require.NoError(t, decodeJSON(resp, "GET", "/api/x", &out))
	assert.Equal(t, map[string]string{"a": "b"}, out)
}

func TestErrorTypesText(t *testing.T) {
	ve := &ValidationError{Field: "Phone", Reason: "must be in international form"}
	assert.Equal(t, "apizee: invalid Phone: must be in international form", ve.Error())
	err := invalid("Limit", "must not be negative, got %d", -3)
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "Limit", ve.Field)
	assert.Equal(t, "must not be negative, got -3", ve.Reason)
	require.ErrorAs(t, invalid("X", "100%"), &ve)
	assert.Equal(t, "100%", ve.Reason, "a reason without arguments is not formatted")

	re := &RequestError{Method: "GET", Path: "/api/x", Attempts: 3,
		Err: &url.Error{Op: "Get", URL: "https://h/api/x?access_token=s3cr3t", Err: errors.New("connection reset by peer")}}
	assert.Equal(t, "apizee: GET /api/x: connection reset by peer after 3 attempts", re.Error())

	de := &DecodeError{Method: "GET", Path: "/api/x", StatusCode: 200, Err: errors.New("unexpected end of JSON input"), Excerpt: `{"a":`}
	assert.Equal(t, `apizee: GET /api/x: 200 response is not the expected JSON: unexpected end of JSON input; body starts: "{\"a\":"`, de.Error())
	assert.ErrorIs(t, &DecodeError{Err: context.Canceled}, context.Canceled)
}

func FuzzParseErrorBody(f *testing.F) {
	for _, s := range []string{
		`{"code": 10, "message": "Invalid parameter", "details": "Parameter room_name"}`,
		`{"message": "x"}`, `{"error": "y"}`, `{"code":"abc"}`, `{"code":1.5,"message":"z"}`,
		`<html><title>502</title></html>`, `<title>`, "plain\ntext", "", "\xff\xfe", `{"message":"` + strings.Repeat("a", 300) + `"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		code, message, details := parseErrorBody(body)
		_ = code
		for _, s := range []string{message, details} {
			assert.NotContains(t, s, "\n")
			assert.LessOrEqual(t, len(s), excerptLen+len("…"))
		}
		e := &APIError{StatusCode: 500, Method: "GET", Path: "/api/x", Code: code, Message: message, Details: details}
		assert.NotContains(t, e.Error(), "\n", "an error is one line")
	})
}

func TestDecodeErrorOfAWrongKindNamesTheFieldNotTheSDKsTypes(t *testing.T) {
	tests := []struct {
		name, body, want string
		call             func(c *Client) error
	}{
		{"an organizer that is a string", `{"id":1,"name":"m","organizer":"x"}`,
			`field "organizer" holds a JSON string where an object belongs`,
			func(c *Client) error { _, err := c.Conferences.Get(t.Context(), 1); return err }},
		{"a page whose data is an object", `{"total":1,"data":{"id":1}}`,
			`field "data" holds a JSON object where a list belongs`,
			func(c *Client) error { _, err := c.Conferences.List(t.Context(), nil); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := rawServer(t, respond(http.StatusOK, tt.body, "Content-Type", "application/json"))
			err := tt.call(c)
			var decodeErr *DecodeError
			require.ErrorAs(t, err, &decodeErr)
			assert.Contains(t, err.Error(), tt.want)
			for _, internal := range []string{"apizee.", "struct {", "listEnvelope", "Go struct field", "Go value"} {
				assert.NotContains(t, err.Error(), internal, "the text names the answer's fields, not the SDK's types")
			}
			var typeErr *json.UnmarshalTypeError
			assert.ErrorAs(t, err, &typeErr, "encoding/json's error is still there for errors.As")
		})
	}
}

func TestAPIErrorTextMentionsAWaitOnlyWhenTheServerAskedForOne(t *testing.T) {
	e := &APIError{StatusCode: http.StatusServiceUnavailable, Method: http.MethodGet, Path: "/tickets/1", Message: "busy"}
	assert.NotContains(t, e.Error(), "wait")
	e.RetryAfter = 2 * time.Second
	assert.Contains(t, e.Error(), "(server asked to wait 2s)")
}

func TestExcerptQuotesAWholeBodyAsItIs(t *testing.T) {
	// A body read whole is not cut: its end is no beginning of a secret to
	// mask, even when it reads like one.
	assert.Equal(t, "unknown ticket: see docs", excerpt([]byte("unknown ticket: see docs"), false, []string{"docs-2718"}))
	assert.Equal(t, "unknown ticket: see "+redact.Mask, excerpt([]byte("unknown ticket: see docs"), true, []string{"docs-2718"}), "a cut body's end is masked")
	// Up to excerptLen characters are quoted whole; one more is cut.
	whole := strings.Repeat("a", excerptLen)
	assert.Equal(t, whole, excerpt([]byte(whole), false, nil))
	assert.Equal(t, whole+"…", excerpt([]byte(whole+"a"), false, nil))
}

func TestRequestErrorCountsAttemptsOnlyPastTheFirst(t *testing.T) {
	e := RequestError{Method: http.MethodGet, Path: "/tickets/1", Attempts: 1, Err: errors.New("connection refused")}
	assert.Equal(t, "apizee: GET /tickets/1: connection refused", e.Error())
	e.Attempts = 2
	assert.Equal(t, "apizee: GET /tickets/1: connection refused after 2 attempts", e.Error())
}

// TestReadJSONBodyTakesExactly32MiB holds the cap's edge, declared and not:
// 32 MiB is read whole, one byte more is too large; a body declared too
// large is refused from its first bytes, even when they are none.
func TestReadJSONBodyTakesExactly32MiB(t *testing.T) {
	body := bytes.Repeat([]byte(" "), maxJSONBody)
	for _, declared := range []int64{maxJSONBody, -1} {
		got, tooLarge, err := readJSONBody(bytes.NewReader(body), declared)
		require.NoError(t, err)
		assert.False(t, tooLarge, "declared %d", declared)
		assert.Len(t, got, maxJSONBody, "declared %d", declared)

		got, tooLarge, err = readJSONBody(io.MultiReader(bytes.NewReader(body), strings.NewReader("x")), declared)
		require.NoError(t, err)
		assert.True(t, tooLarge, "declared %d, one byte more", declared)
		assert.LessOrEqual(t, len(got), maxJSONBody+1)
	}
	for _, sent := range []string{"", "short", strings.Repeat("x", 2*excerptLen)} {
		got, tooLarge, err := readJSONBody(strings.NewReader(sent), maxJSONBody+1)
		require.NoError(t, err, "%d bytes sent", len(sent))
		assert.True(t, tooLarge)
		assert.Equal(t, sent[:min(len(sent), excerptLen)], string(got))
	}
}

// TestReadJSONBodyTakesADeclaredSizeAsAHint reads a body longer than it
// was declared whole: the buffer sized for the declared length, filled, is
// not the end.
func TestReadJSONBodyTakesADeclaredSizeAsAHint(t *testing.T) {
	body := bytes.Repeat([]byte("x"), 1<<20)
	for _, declared := range []int64{1, 512 << 10, 1<<20 - 1} {
		got, tooLarge, err := readJSONBody(bytes.NewReader(body), declared)
		require.NoError(t, err)
		assert.False(t, tooLarge)
		assert.Equal(t, len(body), len(got), "declared %d", declared)
	}
}

// TestPrintableEscapesUndone holds which \u escapes are written back as
// their character before masking: printable ASCII but a quote or a
// backslash, wherever they are; an escaped backslash is no escape.
func TestPrintableEscapesUndone(t *testing.T) {
	tests := []struct{ in, want string }{
		{`p\u0077d=1`, `pwd=1`},
		{`\u0020\u007e\u0041\u007A`, ` ~Az`},
		{`a\u0061b\u0062c`, `aabbc`},
		{`\u001f\u007f\u0022\u005c\u00e9`, `\u001f\u007f\u0022\u005c\u00e9`},
		{`x\\u0061`, `x\\u0061`},
		{`\u0061\`, `a\`},
		{`\u00`, `\u00`},
		{`\n\u0041`, `\nA`},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, string(printableEscapesUndone([]byte(tt.in))), tt.in)
	}
}

// TestJSONKindLooksThroughPointers names what a field's type wants.
func TestJSONKindLooksThroughPointers(t *testing.T) {
	assert.Equal(t, "an object", jsonKind(reflect.TypeFor[*GeoPoint]()))
	assert.Equal(t, "an integer", jsonKind(reflect.TypeFor[**int64]()))
	assert.Equal(t, "a list", jsonKind(reflect.TypeFor[[]string]()))
	assert.Equal(t, "another value", jsonKind(nil))
	assert.Equal(t, "another value", jsonKind(reflect.TypeFor[chan int]()))
}
