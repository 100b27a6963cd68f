package apizee_test

// Adversary tests, Close: a token that lands after Close began, and the
// connections a closed client leaves behind.

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/apizee-go/apizee"
	"github.com/apizee-go/apizee/apizeetest"
)

// tokenAPI is an in-memory API (it runs inside a synctest bubble) whose
// first /token answer waits for release. It issues tok-1, tok-2..., checks
// them on /tickets/1, and records what /token/revoke revokes.
type tokenAPI struct {
	release chan struct{}

	mu      sync.Mutex
	issued  int
	revoked []string
}

func (a *tokenAPI) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	bearer := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	reply := func(status int, body string) (*http.Response, error) {
		return &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body)), Request: r}, nil
	}
	switch r.URL.Path {
	case "/api/token":
		a.mu.Lock()
		a.issued++
		n := a.issued
		a.mu.Unlock()
		if n == 1 {
			select {
			case <-a.release:
			case <-r.Context().Done():
				return nil, r.Context().Err()
			}
		}
		return reply(http.StatusOK, fmt.Sprintf(`{"access_token":"tok-%d","expires_in":86400}`, n))
	case "/api/token/revoke":
		a.mu.Lock()
		a.revoked = append(a.revoked, bearer)
		a.mu.Unlock()
		return reply(http.StatusOK, `{}`)
	}
	a.mu.Lock()
	ok := bearer != "" && !containsString(a.revoked, bearer)
	a.mu.Unlock()
	if !ok {
		return reply(http.StatusUnauthorized, `{"message":"invalid token"}`)
	}
	return reply(http.StatusOK, `{"id":1}`)
}

func (a *tokenAPI) revokedTokens() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.revoked...)
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestAdversaryCloseRevokesTheTokenOfAFetchInFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		api := &tokenAPI{release: make(chan struct{})}
		c, err := apizee.NewClient(apizee.WithBaseURL("https://api.example/api"), apizee.WithCredentials("agent", "pw-Zq9"),
			apizee.WithHTTPClient(&http.Client{Transport: api}))
		require.NoError(t, err)
		ctx := t.Context()

		var getErr error
		got := make(chan struct{})
		go func() {
			defer close(got)
			_, getErr = c.Tickets.Get(ctx, 1)
		}()
		synctest.Wait() // the Get is inside its token fetch, held by the server

		var closeErr error
		closed := make(chan struct{})
		go func() {
			defer close(closed)
			closeErr = c.Close(ctx)
		}()
		synctest.Wait() // Close has begun while the fetch is in flight
		close(api.release)
		<-closed
		<-got

		require.NoError(t, closeErr)
		assert.Contains(t, api.revokedTokens(), "tok-1", "the token that landed after Close began is revoked")
		require.NoError(t, getErr, "the call that was waiting still succeeds, on a new token if it must")
	})
}

func TestAdversaryCloseSaysWhenTheFetchInFlightOutlivesItsContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		api := &tokenAPI{release: make(chan struct{})}
		c, err := apizee.NewClient(apizee.WithBaseURL("https://api.example/api"), apizee.WithCredentials("agent", "pw-Zq9"),
			apizee.WithHTTPClient(&http.Client{Transport: api}))
		require.NoError(t, err)
		got := make(chan struct{})
		go func() {
			defer close(got)
			_, _ = c.Tickets.Get(t.Context(), 1)
		}()
		synctest.Wait()

		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		err = c.Close(ctx)
		require.ErrorIs(t, err, context.Canceled)
		assert.Contains(t, err.Error(), "not revoked", "the caller learns a token may be left valid")
		close(api.release)
		<-got
	})
}

func TestAdversaryClosedClientsLeaveNoConnectionBehind(t *testing.T) {
	srv := apizeetest.NewServer()
	defer srv.Close()
	before := goleak.IgnoreCurrent()
	ctx := t.Context()
	for range 5 {
		// The default transport: the client builds its own.
		c, err := apizee.NewClient(apizee.WithBaseURL(srv.URL), apizee.WithCredentials(srv.Username, srv.Password))
		require.NoError(t, err)
		_, err = c.Tickets.List(ctx, nil)
		require.NoError(t, err)
		_, err = c.Conferences.List(ctx, nil)
		require.NoError(t, err)
		require.NoError(t, c.Close(ctx))
	}
	// The server still runs: only the clients closing their connections
	// ends the goroutines that serve them, and theirs.
	goleak.VerifyNone(t, before)
}

// closeCountingTransport is a caller's transport that counts the calls of
// CloseIdleConnections.
type closeCountingTransport struct {
	*http.Transport
	closes atomic.Int32
}

func (t *closeCountingTransport) CloseIdleConnections() {
	t.closes.Add(1)
	t.Transport.CloseIdleConnections()
}

func TestAdversaryCloseLeavesTheCallersTransportAlone(t *testing.T) {
	srv := apizeetest.NewServer()
	defer srv.Close()
	transport := &closeCountingTransport{Transport: &http.Transport{}}
	defer transport.Transport.CloseIdleConnections()
	c, err := apizee.NewClient(apizee.WithBaseURL(srv.URL), apizee.WithCredentials(srv.Username, srv.Password),
		apizee.WithHTTPClient(&http.Client{Transport: transport}))
	require.NoError(t, err)
	_, err = c.Tickets.List(t.Context(), nil)
	require.NoError(t, err)
	require.NoError(t, c.Close(t.Context()))
	assert.Zero(t, transport.closes.Load(), "a WithHTTPClient transport is the caller's: its pool is shared with other code")
	assert.Equal(t, 1, srv.RequestCount(http.MethodPost, "/token/revoke"))
}
