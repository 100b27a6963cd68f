package apizeetest_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee/apizeetest"
)

// createTicketURL is a valid POST /tickets with reference ref.
func createTicketURL(srv *apizeetest.Server, ref string) string {
	return srv.URL + "/tickets?agent=agent1%40apizee.com&phone=%2B33612345678&reference=" + ref
}

func TestFaultStatus(t *testing.T) {
	tests := []struct {
		name        string
		fault       apizeetest.Fault
		wantBody    string
		wantType    string
		wantHeaders map[string]string
	}{
		{
			name:        "503 with Retry-After and the default body",
			fault:       apizeetest.Fault{Status: 503, Header: http.Header{"Retry-After": {"7"}}},
			wantBody:    `{"message":"Service Unavailable"}`,
			wantType:    "application/json",
			wantHeaders: map[string]string{"Retry-After": "7"},
		},
		{
			name:        "429 with X-RateLimit-Reset and the API's body",
			fault:       apizeetest.Fault{Status: 429, Header: http.Header{"X-RateLimit-Reset": {"3"}}},
			wantBody:    `{"error":"API rate limit exceeded"}`,
			wantType:    "application/json",
			wantHeaders: map[string]string{"X-RateLimit-Reset": "3"},
		},
		{
			name:     "401 default body",
			fault:    apizeetest.Fault{Status: 401},
			wantBody: `{"message":"Invalid JWT Token"}`,
			wantType: "application/json",
		},
		{
			name:     "403 default body has code 2",
			fault:    apizeetest.Fault{Status: 403},
			wantBody: `{"code":2,"message":"Access denied"}`,
			wantType: "application/json",
		},
		{
			name:     "a proxy's HTML page",
			fault:    apizeetest.Fault{Status: 502, Body: "<html><body>Bad Gateway</body></html>"},
			wantBody: "<html><body>Bad Gateway</body></html>",
			wantType: "text/html; charset=utf-8",
		},
		{
			name:     "a custom JSON body",
			fault:    apizeetest.Fault{Status: 400, Body: `{"code":10,"message":"bad","details":"Parameter x"}`},
			wantBody: `{"code":10,"message":"bad","details":"Parameter x"}`,
			wantType: "application/json",
		},
		{
			name:        "a redirect",
			fault:       apizeetest.Fault{Status: 302, Header: http.Header{"Location": {"https://elsewhere.example/"}}},
			wantBody:    `{"message":"Found"}`,
			wantType:    "application/json",
			wantHeaders: map[string]string{"Location": "https://elsewhere.example/"},
		},
		{
			name:     "204 has no body",
			fault:    apizeetest.Fault{Status: 204, Body: "ignored"},
			wantBody: "",
			wantType: "",
		},
		{
			name:        "a header overrides the Content-Type",
			fault:       apizeetest.Fault{Status: 500, Body: "oops", Header: http.Header{"Content-Type": {"text/x-oops"}}},
			wantBody:    "oops",
			wantType:    "text/x-oops",
			wantHeaders: map[string]string{"Content-Length": "4"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			f := tt.fault
			f.Method, f.Path = "POST", "/tickets"
			srv.QueueFault(f)

			a := send(t, http.MethodPost, createTicketURL(srv, "faulty"), srv.IssueToken(), nil)

			assert.Equal(t, tt.fault.Status, a.Status)
			assert.Equal(t, tt.wantBody, string(a.Body))
			assert.Equal(t, tt.wantType, a.Header.Get("Content-Type"))
			for k, v := range tt.wantHeaders {
				assert.Equal(t, v, a.Header.Get(k), k)
			}
			assert.Zero(t, srv.TicketsWithReference("faulty"), "a Status fault does not process the request")
			assert.Zero(t, srv.FaultsPending())

			next := send(t, http.MethodPost, createTicketURL(srv, "faulty"), srv.IssueToken(), nil)
			assert.Equal(t, http.StatusOK, next.Status, "a fault is played once")
		})
	}
}

func TestFaultDropBeforeProcessing(t *testing.T) {
	srv := newServer(t)
	srv.QueueFault(apizeetest.Fault{Method: "POST", Path: "/tickets", DropBeforeProcessing: true})

	_, err := do(http.MethodPost, createTicketURL(srv, "dropped"), srv.IssueToken(), nil)

	require.Error(t, err, "the connection closes without an answer")
	assert.Zero(t, srv.TicketsWithReference("dropped"), "the ticket is not created")
	reqs := srv.Requests()
	require.Len(t, reqs, 1)
	assert.Zero(t, reqs[0].Status, "a dropped request is recorded with status 0")
}

func TestFaultDropAfterProcessing(t *testing.T) {
	srv := newServer(t)
	before := srv.TicketCount()
	srv.QueueFault(apizeetest.Fault{Method: "POST", Path: "/tickets", DropAfterProcessing: true})

	_, err := do(http.MethodPost, createTicketURL(srv, "lost-answer"), srv.IssueToken(), nil)

	require.Error(t, err, "the connection closes without an answer")
	assert.Equal(t, before+1, srv.TicketCount(), "the ticket was created anyway")
	assert.Equal(t, 1, srv.TicketsWithReference("lost-answer"))
	assert.Zero(t, srv.Requests()[0].Status)
}

func TestFaultMalformedBody(t *testing.T) {
	srv := newServer(t)
	srv.QueueFault(apizeetest.Fault{Method: "POST", Path: "/tickets", MalformedBody: true})

	a := send(t, http.MethodPost, createTicketURL(srv, "malformed"), srv.IssueToken(), nil)

	assert.Equal(t, http.StatusOK, a.Status)
	assert.False(t, json.Valid(a.Body), "not JSON: %s", a.Body)
	assert.Equal(t, 1, srv.TicketsWithReference("malformed"), "the request was processed")
}

func TestFaultShortBody(t *testing.T) {
	srv := newServer(t)
	full := get(t, srv, "/tickets/82070").Body
	mediaURL := srv.AddTicketMedia(82070, 1<<20)
	tests := []struct {
		path, url string
		size      int
	}{
		{"/tickets/82070", srv.URL + "/tickets/82070", len(full)},
		{"/media/showVideo/*", mediaURL, 1 << 20},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			srv.QueueFault(apizeetest.Fault{Path: tt.path, ShortBody: true})

			resp, err := do(http.MethodGet, tt.url, srv.IssueToken(), nil)
			require.NoError(t, err)
			defer resp.Body.Close()
			got, err := io.ReadAll(resp.Body)

			assert.Equal(t, http.StatusOK, resp.StatusCode)
			assert.Equal(t, strconv.Itoa(tt.size), resp.Header.Get("Content-Length"), "the full length is announced")
			assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
			assert.Len(t, got, tt.size/2, "half the body is sent")
		})
	}
	assert.Equal(t, full[:len(full)/2], shortTicketBody(t, srv), "the half sent is the start of the real body")
}

// shortTicketBody is what a ShortBody fault sends of GET /tickets/82070.
func shortTicketBody(t *testing.T, srv *apizeetest.Server) []byte {
	srv.QueueFault(apizeetest.Fault{Path: "/tickets/82070", ShortBody: true})
	resp, err := do(http.MethodGet, srv.URL+"/tickets/82070", srv.IssueToken(), nil)
	require.NoError(t, err)
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	return got
}

func TestFaultDelay(t *testing.T) {
	srv := newServer(t)
	srv.QueueFault(apizeetest.Fault{Path: "/tickets/82070", Delay: 50 * time.Millisecond})

	start := time.Now()
	a := get(t, srv, "/tickets/82070")

	assert.Equal(t, http.StatusOK, a.Status, "after the delay the request is served")
	assert.GreaterOrEqual(t, time.Since(start), 50*time.Millisecond)
}

func TestFaultDelayWithStatus(t *testing.T) {
	srv := newServer(t)
	srv.QueueFault(apizeetest.Fault{Path: "/tickets", Delay: 20 * time.Millisecond, Status: 504})

	start := time.Now()
	a := get(t, srv, "/tickets")

	assert.Equal(t, http.StatusGatewayTimeout, a.Status)
	assert.GreaterOrEqual(t, time.Since(start), 20*time.Millisecond)
}

func TestFaultDelayEndsWhenTheClientGivesUp(t *testing.T) {
	srv := newServer(t)
	srv.QueueFault(apizeetest.Fault{Method: "POST", Path: "/tickets", Delay: time.Hour, DropAfterProcessing: true})
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, createTicketURL(srv, "impatient"), nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+srv.IssueToken())
	done := make(chan error, 1)

	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	require.Eventually(t, func() bool { return srv.RequestCount("POST", "/tickets") == 1 },
		5*time.Second, time.Millisecond, "the request reaches the server")
	cancel()

	select {
	case err := <-done:
		assert.True(t, errors.Is(err, context.Canceled), "got %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("the client is still waiting")
	}
	// The server stops waiting too: Close would otherwise block for the hour
	// (Close ends delays as well; the internal test of wait tells them apart).
	srv.Close()
	assert.Zero(t, srv.TicketsWithReference("impatient"), "a request abandoned during its delay is not processed")
}

func TestFaultMatchingIsFIFOWithPrefixes(t *testing.T) {
	srv := newServer(t)
	srv.QueueFault(apizeetest.Fault{Path: "/tickets*", Status: 500})
	srv.QueueFault(apizeetest.Fault{Method: "GET", Path: "/tickets/82070", Status: 502})
	srv.QueueFault(apizeetest.Fault{Method: "POST", Status: 503})
	srv.QueueFault(apizeetest.Fault{Status: 504})
	require.Equal(t, 4, srv.FaultsPending())

	assert.Equal(t, 500, get(t, srv, "/tickets/82070").Status, "the first match wins, by prefix")
	assert.Equal(t, 502, get(t, srv, "/tickets/82070").Status, "then the next match")
	assert.Equal(t, 503, post(t, srv, "/conferences?participants=a%40b.c").Status, "method only")
	assert.Equal(t, 504, get(t, srv, "/tickets/82070").Status, "any request")
	assert.Equal(t, 200, get(t, srv, "/tickets/82070").Status, "every fault is used up")
	assert.Zero(t, srv.FaultsPending())
}

func TestFaultSkipsRequestsThatDoNotMatch(t *testing.T) {
	srv := newServer(t)
	srv.QueueFault(apizeetest.Fault{Method: "POST", Path: "/tickets", Status: 500})

	assert.Equal(t, 200, get(t, srv, "/tickets").Status, "another method")
	assert.Equal(t, 200, get(t, srv, "/tickets/82070").Status, "another path: no prefix without *")
	assert.Equal(t, 1, srv.FaultsPending())
	assert.Equal(t, 500, post(t, srv, "/tickets?agent=a%40b.c&phone=%2B33612345678").Status)
}

func TestFaultOnTokenAndMediaPaths(t *testing.T) {
	srv := newServer(t)
	mediaURL := srv.AddTicketMedia(663614, 10)
	u, err := url.Parse(mediaURL)
	require.NoError(t, err)
	mediaPath := u.Path
	srv.QueueFault(apizeetest.Fault{Path: "/token", Status: 500})
	srv.QueueFault(apizeetest.Fault{Path: mediaPath, Status: 503})

	assert.Equal(t, 500, send(t, http.MethodPost, srv.URL+"/token", "", passwordForm(srv)).Status)
	assert.Zero(t, srv.TokensIssued())
	assert.Equal(t, 503, send(t, http.MethodGet, mediaURL, srv.IssueToken(), nil).Status, "media files match their absolute path")
	assert.Zero(t, srv.FaultsPending())
}

func TestClearFaults(t *testing.T) {
	srv := newServer(t)
	srv.QueueFault(apizeetest.Fault{Status: 500})
	srv.QueueFault(apizeetest.Fault{Status: 500})

	srv.ClearFaults()

	assert.Zero(t, srv.FaultsPending())
	assert.Equal(t, 200, get(t, srv, "/tickets").Status)
}
