package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// watchBuffer is a buffer safe for concurrent writers that tells when
// pattern has been written, with its first group.
type watchBuffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	pattern *regexp.Regexp
	once    sync.Once
	found   chan string
}

func newWatchBuffer(pattern string) *watchBuffer {
	return &watchBuffer{pattern: regexp.MustCompile(pattern), found: make(chan string, 1)}
}

func (b *watchBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	n, err := b.buf.Write(p)
	m := b.pattern.FindStringSubmatch(b.buf.String())
	b.mu.Unlock()
	if m != nil {
		b.once.Do(func() { b.found <- m[1] })
	}
	return n, err
}

func (b *watchBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// listenSession runs "webhook listen" with args on a free port, calls
// deliver with its URL, then interrupts it, as Ctrl-C does.
func listenSession(t *testing.T, deliver func(url string), args ...string) result {
	t.Helper()
	stdout := newWatchBuffer(`^$never`)
	stderr := newWatchBuffer(`listening for webhooks on (http://\S+)`)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, append([]string{"webhook", "listen", "--addr", "127.0.0.1:0"}, args...), stdout, stderr)
	}()
	select {
	case url := <-stderr.found:
		deliver(url)
	case c := <-code:
		t.Fatalf("exited %d before listening: %s", c, stderr.String())
	case <-time.After(30 * time.Second): // a bound for a hang, not a synchronisation
		t.Fatal("webhook listen did not start")
	}
	cancel()
	r := result{<-code, stdout.String(), stderr.String()}
	assertNoSecret(t, r)
	return r
}

// post delivers body to url with header and returns the status.
func post(t *testing.T, url, body string, header http.Header) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	require.NoError(t, err)
	req.Header = header
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode
}

const (
	listenSecret  = "cli-listen-secret-6e1f0a"
	listenRotated = "cli-listen-rotated-2b9c7d"
	ticketEvent   = `{"event":"update","time":1575976413,"object":"ticket","objectId":100,"props":{"state":"done"}}`
	convEvent     = `{"event":"update","time":1632144306,"object":"conversation","objectId":"734e3a7b-eb17-4d3f-901d-bcff178b","props":{"eventType":"conversationEnded","name":"TEST","finishedAt":"2021-09-20T13:25:06+00:00"}}`
)

func TestWebhookListenPrintsEachVerifiedEventOnce(t *testing.T) {
	noAccount(t) // it needs no account
	var statuses []int
	r := listenSession(t, func(url string) {
		with := func(secret string) http.Header { return http.Header{"X-Webhook-Secret": {secret}} }
		statuses = append(statuses,
			post(t, url, ticketEvent, with(listenSecret)),
			post(t, url, ticketEvent, with(listenRotated)), // redelivered, with the other secret
			post(t, url, convEvent, with("guess")),
			post(t, url, convEvent, http.Header{}),
			post(t, url, `{"event":"update"}`, with(listenSecret)),
			post(t, url, convEvent, with(listenRotated)),
		)
	}, "--header-secret", "X-Webhook-Secret="+listenSecret, "--header-secret", "x-webhook-secret="+listenRotated)
	assert.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, []int{200, 200, 401, 401, 400, 200}, statuses)
	lines := jsonLines(t, r.stdout)
	require.Len(t, lines, 2, "two events, the duplicate once: %s", r.stdout)
	assert.Equal(t, map[string]any{"action": "update", "object": "ticket", "object_id": "100", "time": "2019-12-10T11:13:33Z",
		"key": lines[0]["key"], "props": map[string]any{"state": "done"}}, lines[0])
	assert.Len(t, lines[0]["key"], 64)
	assert.Equal(t, "734e3a7b-eb17-4d3f-901d-bcff178b", lines[1]["object_id"])
	assert.Equal(t, "conversationEnded", lines[1]["props"].(map[string]any)["eventType"], "props as Apizee sent them")
	assert.Contains(t, r.stderr, "not verified", "refusals are logged")
	for _, s := range []string{listenSecret, listenRotated, "guess"} {
		assert.NotContains(t, r.stdout+r.stderr, s)
	}
}

func TestWebhookListenBasicAuthAndUnverified(t *testing.T) {
	noAccount(t)
	var statuses []int
	r := listenSession(t, func(url string) {
		ok := http.Header{}
		req, _ := http.NewRequest(http.MethodPost, url, nil)
		req.SetBasicAuth("apizee", listenSecret)
		ok.Set("Authorization", req.Header.Get("Authorization"))
		statuses = append(statuses, post(t, url, ticketEvent, ok), post(t, url, convEvent, http.Header{}))
	}, "--basic-auth", "apizee:"+listenSecret)
	assert.Equal(t, exitOK, r.code)
	assert.Equal(t, []int{200, 401}, statuses)
	assert.Len(t, jsonLines(t, r.stdout), 1)

	r = listenSession(t, func(url string) { statuses = append(statuses, post(t, url, convEvent, http.Header{})) }, "--allow-unverified")
	assert.Equal(t, exitOK, r.code)
	assert.Equal(t, 200, statuses[2])
	assert.Len(t, jsonLines(t, r.stdout), 1)
}

func TestWebhookListenRefusesABadCommandLineWithoutQuotingTheSecret(t *testing.T) {
	noAccount(t)
	for _, args := range [][]string{
		{},
		{"--header-secret", listenSecret},
		{"--header-secret", "X-Webhook-Secret="},
		{"--header-secret", "X-Webhook-Secret= " + listenSecret},
		{"--header-secret", "X-A=" + listenSecret, "--header-secret", "X-B=" + listenRotated},
		{"--header-secret", "X-A=" + listenSecret, "--basic-auth", "u:" + listenRotated},
		{"--basic-auth", listenSecret},
		{"--basic-auth", "apizee:"},
	} {
		// Bounded: a command line wrongly accepted would listen until interrupted.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		var stdout, stderr bytes.Buffer
		code := run(ctx, append([]string{"webhook", "listen", "--addr", "127.0.0.1:0"}, args...), &stdout, &stderr)
		cancel()
		r := result{code, stdout.String(), stderr.String()}
		assert.Equal(t, exitUsage, r.code, "%v: %s", args, r.stderr)
		assert.NotEmpty(t, r.stderr)
		assert.NotContains(t, r.stderr, listenSecret, "%v", args)
		assert.NotContains(t, r.stderr, listenRotated, "%v", args)
	}
	// An address it cannot listen on is no usage error.
	r := cli(t, "webhook", "listen", "--addr", "256.0.0.1:1", "--allow-unverified")
	assert.Equal(t, exitAPIError, r.code, r.stderr)
}

// The records of listen follow the CLI's dialect: the JSON keys are the CSV
// header, snake_case, times in UTC; props, an object, is the compacted JSON
// in its CSV cell.
func TestWebhookListenSpeaksTheDialect(t *testing.T) {
	noAccount(t)
	spaced := strings.Replace(convEvent, `{"eventType"`, "{ \"eventType\" ", 1)
	session := func(args ...string) result {
		return listenSession(t, func(url string) {
			for _, body := range []string{ticketEvent, spaced, `{"event":"delete","object":"ticket","objectId":"7"}`} {
				require.Equal(t, http.StatusOK, post(t, url, body, http.Header{}))
			}
		}, append(args, "--allow-unverified")...)
	}
	asJSON, asCSV := session(), session("-o", "csv")
	require.Equal(t, exitOK, asJSON.code, asJSON.stderr)
	require.Equal(t, exitOK, asCSV.code, asCSV.stderr)
	rows, err := csv.NewReader(strings.NewReader(asCSV.stdout)).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 4, "a header and three events")
	header, rows := rows[0], rows[1:]
	assert.Equal(t, []string{"action", "object", "object_id", "time", "key", "props"}, header)
	lines := strings.Split(strings.TrimSuffix(asJSON.stdout, "\n"), "\n")
	require.Len(t, lines, 3)
	for i, line := range lines {
		dec := json.NewDecoder(strings.NewReader(line))
		_, err := dec.Token()
		require.NoError(t, err)
		var keys, cells []string
		for dec.More() {
			key, err := dec.Token()
			require.NoError(t, err)
			var raw json.RawMessage
			require.NoError(t, dec.Decode(&raw))
			keys = append(keys, key.(string))
			var s string
			switch {
			case string(raw) == "null":
			case json.Unmarshal(raw, &s) == nil:
			default:
				s = string(raw) // props: its JSON is the cell
			}
			cells = append(cells, s)
		}
		assert.Equal(t, header, keys)
		assert.Equal(t, rows[i], cells, "JSON values == CSV cells")
		assertSnakeCaseUTC(t, keys, cells)
	}
	assert.Equal(t, `{"eventType":"conversationEnded","name":"TEST","finishedAt":"2021-09-20T13:25:06+00:00"}`, rows[1][5], "compacted, in Apizee's order")
	assert.Equal(t, []string{"delete", "ticket", "7", "", rows[2][4], ""}, rows[2], "no time, no props: empty cells")
}
