package apizee_test

// Adversary tests, auth: a token endpoint that rate-limits, and a 401 that
// arrives after another caller already renewed the token.

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee"
)

func TestAdversaryRateLimitedTokenEndpointIsNoRefusal(t *testing.T) {
	for name, header := range map[string][]string{
		"no wait given":    nil,
		"a wait too long":  {"Retry-After", "3600"},
		"a reset too long": {"X-RateLimit-Reset", "3600"},
	} {
		t.Run(name, func(t *testing.T) {
			api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for i := 0; i+1 < len(header); i += 2 {
					w.Header().Set(header[i], header[i+1])
				}
				w.WriteHeader(http.StatusTooManyRequests)
				io.WriteString(w, `{"error":"Too many requests"}`)
			}))
			defer api.Close()
			c := hostileClient(t, api.URL+"/api", apizee.WithCredentials("agent", "pw-Zq9"))
			_, err := c.Tickets.Get(t.Context(), 1)
			require.Error(t, err)
			assert.ErrorIs(t, err, apizee.ErrRateLimited)
			assert.NotErrorIs(t, err, apizee.ErrUnauthorized, "a 429 says nothing of the credentials: %v", err)
			assert.NotContains(t, err.Error(), "refused")
			assert.Contains(t, err.Error(), "fetching an access token")
		})
	}
}

func TestAdversaryLateUnauthorizedKeepsTheTokenAnotherCallerRenewed(t *testing.T) {
	// Caller A sends with tok-1 and its answer is held. Meanwhile tok-1
	// expires, caller B gets a 401 and renews to tok-2. Then A's answer
	// arrives: 401 for tok-1. A must replay with tok-2, not drop it.
	var tokenCalls atomic.Int32
	var mu sync.Mutex
	expired := map[string]bool{}
	arrived, release := make(chan struct{}), make(chan struct{})
	var heldOnce sync.Once
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/token" {
			fmt.Fprintf(w, `{"access_token":"tok-%d","expires_in":86400}`, tokenCalls.Add(1))
			return
		}
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		held := false
		if r.URL.Path == "/api/tickets/1" && tok == "tok-1" {
			heldOnce.Do(func() { held = true })
		}
		if held {
			close(arrived)
			<-release
		}
		mu.Lock()
		refused := expired[tok]
		mu.Unlock()
		if refused {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"message":"expired token"}`)
			return
		}
		io.WriteString(w, `{"id":1}`)
	}))
	defer api.Close()
	c := hostileClient(t, api.URL+"/api", apizee.WithCredentials("agent", "pw-Zq9"))
	ctx := t.Context()

	errA := make(chan error, 1)
	go func() {
		_, err := c.Tickets.Get(ctx, 1)
		errA <- err
	}()
	select {
	case <-arrived:
	case <-ctx.Done():
		t.Fatal("caller A never reached the server")
	}
	mu.Lock()
	expired["tok-1"] = true
	mu.Unlock()
	_, err := c.Tickets.Get(ctx, 2) // caller B: 401, renews to tok-2, replays
	require.NoError(t, err)
	require.Equal(t, int32(2), tokenCalls.Load())
	close(release)
	require.NoError(t, <-errA, "A replays with the token B renewed")
	assert.Equal(t, int32(2), tokenCalls.Load(), "A's late 401 for tok-1 does not drop tok-2: no third token")
}

func TestAdversaryUnauthorizedAnswerIsReadBeforeTheReplay(t *testing.T) {
	// The 401 is read to its end and closed before the replay: its
	// connection then carries the token call and the replay, and a server
	// whose 401 pages are long costs no new connection per renewal.
	var conns, tokenCalls atomic.Int32
	api := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/token" {
			fmt.Fprintf(w, `{"access_token":"tok-%d","expires_in":86400}`, tokenCalls.Add(1))
			return
		}
		if r.Header.Get("Authorization") == "Bearer tok-1" {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"error":"invalid_token","error_description":"`+strings.Repeat("expired ", 512)+`"}`)
			return
		}
		io.WriteString(w, `{"id":1,"agent":"agent1"}`)
	}))
	api.Config.ConnState = func(_ net.Conn, state http.ConnState) {
		if state == http.StateNew {
			conns.Add(1)
		}
	}
	api.Start()
	defer api.Close()
	c := hostileClient(t, api.URL+"/api", apizee.WithCredentials("agent", "pw-Zq9"))
	defer c.Close(t.Context())

	_, err := c.Tickets.Get(t.Context(), 1)
	require.NoError(t, err)
	assert.Equal(t, int32(2), tokenCalls.Load(), "the 401 renewed the token")
	assert.Equal(t, int32(1), conns.Load(), "the 401's connection served the renewal and the replay")
}
