package apizeetest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee/apizeetest"
)

// newServer starts a fake server that the test closes.
func newServer(t *testing.T, opts ...apizeetest.Option) *apizeetest.Server {
	t.Helper()
	srv := apizeetest.NewServer(opts...)
	t.Cleanup(srv.Close)
	return srv
}

// answer is a response with its body read.
type answer struct {
	Status int
	Header http.Header
	Body   []byte
}

// object decodes the body as a JSON object.
func (a answer) object(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(a.Body, &m), "body: %s", a.Body)
	return m
}

// list decodes the body as a JSON array of objects.
func (a answer) list(t *testing.T) []map[string]any {
	t.Helper()
	var l []map[string]any
	require.NoError(t, json.Unmarshal(a.Body, &l), "body: %s", a.Body)
	return l
}

// data returns the "data" items of a {"total","data"} body, and the total.
func (a answer) data(t *testing.T) ([]map[string]any, int) {
	t.Helper()
	var l struct {
		Total int              `json:"total"`
		Data  []map[string]any `json:"data"`
	}
	require.NoError(t, json.Unmarshal(a.Body, &l), "body: %s", a.Body)
	require.NotNil(t, l.Data, "data must be a list, even empty: %s", a.Body)
	return l.Data, l.Total
}

// ids returns the "id" of each item.
func ids(items []map[string]any) []any {
	out := make([]any, len(items))
	for i, item := range items {
		out[i] = item["id"]
	}
	return out
}

// send makes one request and reads its answer; form, if not nil, is sent as
// an x-www-form-urlencoded body.
func send(t *testing.T, method, rawURL, token string, form url.Values) answer {
	t.Helper()
	resp, err := do(method, rawURL, token, form)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return answer{Status: resp.StatusCode, Header: resp.Header, Body: body}
}

// do makes one request, without following redirects.
func do(method, rawURL, token string, form url.Values) (*http.Response, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, rawURL, body)
	if err != nil {
		return nil, err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return noRedirects.Do(req)
}

// noRedirects is a client that shows redirects instead of following them.
var noRedirects = &http.Client{
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// get is GET srv.URL+path with a valid token.
func get(t *testing.T, srv *apizeetest.Server, path string) answer {
	t.Helper()
	return send(t, http.MethodGet, srv.URL+path, srv.IssueToken(), nil)
}

// post is POST srv.URL+path (parameters in the query, as the API takes
// them) with a valid token.
func post(t *testing.T, srv *apizeetest.Server, path string) answer {
	t.Helper()
	return send(t, http.MethodPost, srv.URL+path, srv.IssueToken(), nil)
}

// passwordForm is the password grant of srv's account.
func passwordForm(srv *apizeetest.Server) url.Values {
	return url.Values{"grant_type": {"password"}, "username": {srv.Username}, "password": {srv.Password}}
}

// requireAPIError checks an Apizee error answer: its status and body.
func requireAPIError(t *testing.T, a answer, status int, want map[string]any) {
	t.Helper()
	require.Equal(t, status, a.Status, "body: %s", a.Body)
	require.Equal(t, "application/json", a.Header.Get("Content-Type"))
	got := a.object(t)
	for k, v := range want {
		require.Equal(t, v, got[k], "key %q of %s", k, a.Body)
	}
}

// clock is a settable clock for WithClock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock(start string) *clock {
	t, err := time.Parse(time.RFC3339, start)
	if err != nil {
		panic(err)
	}
	return &clock{now: t}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
