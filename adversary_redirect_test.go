package apizee_test

// Adversary tests, redirects: a server that answers a call with a redirect
// must not get a secret sent anywhere but the API's own origin. Each status
// net/http follows (301, 302, 303, 307, 308) is tried for API calls, for
// the /token call and for media downloads.

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee"
)

var redirectStatuses = []int{http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther, http.StatusTemporaryRedirect, http.StatusPermanentRedirect}

// landing is a server on another origin that records what reaches it and
// answers body.
type landing struct {
	*httptest.Server
	mu   sync.Mutex
	seen []landed
}

type landed struct {
	Method, Path, Auth, Referer, Body string
}

func newLanding(t *testing.T, tls bool, body string) *landing {
	l := &landing{}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		l.mu.Lock()
		l.seen = append(l.seen, landed{Method: r.Method, Path: r.URL.Path, Auth: r.Header.Get("Authorization"), Referer: r.Header.Get("Referer"), Body: string(b)})
		l.mu.Unlock()
		io.WriteString(w, body)
	})
	if tls {
		l.Server = httptest.NewTLSServer(h)
	} else {
		l.Server = httptest.NewServer(h)
	}
	t.Cleanup(l.Close)
	return l
}

func (l *landing) requests() []landed {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]landed(nil), l.seen...)
}

func TestAdversaryRedirectOfTheTokenCallIsNeverFollowed(t *testing.T) {
	const password = "redirect-pw-s3cr3t"
	targets := []struct {
		name string
		// apiTLS serves the API over https; target is where /token redirects.
		apiTLS bool
		target func(t *testing.T, api *httptest.Server) (location string, hits func() int)
	}{
		{"another host", false, func(t *testing.T, _ *httptest.Server) (string, func() int) {
			l := newLanding(t, false, `{"access_token":"stolen","expires_in":3600}`)
			return l.URL + "/collect", func() int { return len(l.requests()) }
		}},
		{"plain http from https", true, func(t *testing.T, _ *httptest.Server) (string, func() int) {
			l := newLanding(t, false, `{"access_token":"stolen","expires_in":3600}`)
			return l.URL + "/api/token", func() int { return len(l.requests()) }
		}},
		{"the same origin", false, nil},
	}
	for _, target := range targets {
		for _, status := range redirectStatuses {
			t.Run(fmt.Sprintf("%s/%d", target.name, status), func(t *testing.T) {
				var tokenCalls, sameOrigin atomic.Int32
				var location string
				h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					switch r.URL.Path {
					case "/api/token":
						tokenCalls.Add(1)
						http.Redirect(w, r, location, status)
					case "/api/token-moved":
						sameOrigin.Add(1)
						io.WriteString(w, `{"access_token":"moved","expires_in":3600}`)
					default:
						io.WriteString(w, `{"id":1}`)
					}
				})
				var api *httptest.Server
				var opts []apizee.Option
				if target.apiTLS {
					api = httptest.NewTLSServer(h)
					opts = append(opts, apizee.WithHTTPClient(api.Client()))
				} else {
					api = httptest.NewServer(h)
				}
				defer api.Close()
				hits := func() int { return int(sameOrigin.Load()) }
				location = api.URL + "/api/token-moved"
				if target.target != nil {
					location, hits = target.target(t, api)
				}
				c, err := apizee.NewClient(append(opts, apizee.WithBaseURL(api.URL+"/api"), apizee.WithCredentials("agent", password),
					apizee.WithRetryPolicy(apizee.RetryPolicy{MaxRetries: 2, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond}))...)
				require.NoError(t, err)

				_, err = c.Tickets.Get(t.Context(), 1)
				require.Error(t, err)
				assert.Zero(t, hits(), "the redirect of /token is not followed: the password stays with the API")
				assert.Equal(t, int32(1), tokenCalls.Load(), "a refused redirect is not retried")
				assert.NotErrorIs(t, err, apizee.ErrUnauthorized, "the credentials were not refused: %v", err)
				assert.Contains(t, err.Error(), "redirect")
				assert.Contains(t, err.Error(), strconv.Itoa(status))
				assert.NotContains(t, err.Error(), password)
			})
		}
	}
}

func TestAdversaryCrossHostRedirectCarriesNoRefererAndNoToken(t *testing.T) {
	const token = "tok_8f3a0c1d9e2b7a65"
	for _, status := range redirectStatuses {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			other := newLanding(t, false, `{"id":82070,"total":1,"data":[{"id":82070}]}`)
			api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("Authorization") != "Bearer "+token {
					http.Error(w, "no token", http.StatusUnauthorized)
					return
				}
				http.Redirect(w, r, other.URL+"/landing"+r.URL.Path, status)
			}))
			defer api.Close()
			c := hostileClient(t, api.URL+"/api", apizee.WithToken(token))
			ctx := t.Context()

			// A list whose query names the customer, and a create whose query
			// holds a phone number: what a Referer would carry off.
			page, err := c.Tickets.List(ctx, &apizee.ListTicketsParams{Reference: "customer-jane-doe"})
			require.NoError(t, err)
			assert.Len(t, page.Items, 1)
			_, err = c.Tickets.Create(ctx, &apizee.CreateTicketParams{Agent: "agent1", Phone: []string{"+33612345678"}, Reference: "customer-jane-doe"})
			require.NoError(t, err)

			seen := other.requests()
			require.Len(t, seen, 2)
			for _, r := range seen {
				assert.Empty(t, r.Auth, "%s %s: no token off the API host", r.Method, r.Path)
				assert.Empty(t, r.Referer, "%s %s: no Referer off the API host", r.Method, r.Path)
			}
		})
	}
}

func TestAdversaryMediaRedirectToACDNCarriesNoRefererAndNoToken(t *testing.T) {
	const token = "tok_media_5d6e7f"
	content := strings.Repeat("frame", 1000)
	for _, status := range redirectStatuses {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			cdn := newLanding(t, false, content)
			var apiAuth atomic.Value
			api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				apiAuth.Store(r.Header.Get("Authorization"))
				http.Redirect(w, r, cdn.URL+"/file/abc.mp4", status)
			}))
			defer api.Close()
			c := hostileClient(t, api.URL+"/api", apizee.WithToken(token))

			var got strings.Builder
			n, err := c.Media.Download(t.Context(), &apizee.Media{URL: api.URL + "/media/showVideo/1/hash/abc?download=1"}, &got)
			require.NoError(t, err)
			assert.Equal(t, int64(len(content)), n)
			assert.Equal(t, content, got.String())
			assert.Equal(t, "Bearer "+token, apiAuth.Load(), "the API host gets the token")
			seen := cdn.requests()
			require.Len(t, seen, 1)
			assert.Empty(t, seen[0].Auth, "no token on the CDN")
			assert.Empty(t, seen[0].Referer, "no Referer on the CDN: the media URL stays with the API")
		})
	}
}

func TestAdversaryRedirectToAnUnsupportedSchemeIsNotRetried(t *testing.T) {
	var hits atomic.Int32
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Redirect(w, r, "ftp://files.example/ticket.json", http.StatusFound)
	}))
	defer api.Close()
	c := hostileClient(t, api.URL+"/api", apizee.WithRetryPolicy(apizee.RetryPolicy{MaxRetries: 3, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond}))

	_, err := c.Tickets.Get(t.Context(), 1)
	var reqErr *apizee.RequestError
	require.ErrorAs(t, err, &reqErr)
	assert.Contains(t, err.Error(), "unsupported protocol scheme")
	assert.Equal(t, 1, reqErr.Attempts, "no retry can mend a redirect to ftp")
	assert.Equal(t, int32(1), hits.Load())
}

func TestAdversaryRedirectStatusWithoutLocationIsAnError(t *testing.T) {
	for _, status := range []int{300, 301, 302, 303, 304, 307, 308} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(status)
				io.WriteString(w, `{"id":82070,"total":1,"data":[{"id":82070}]}`)
			}))
			defer api.Close()
			c := hostileClient(t, api.URL+"/api")

			_, err := c.Tickets.Get(t.Context(), 82070)
			var apiErr *apizee.APIError
			require.True(t, errors.As(err, &apiErr), "a %d without Location is no success: %v", status, err)
			assert.Equal(t, status, apiErr.StatusCode)
			page, err := c.Tickets.List(t.Context(), nil)
			require.ErrorAs(t, err, &apiErr)
			assert.Nil(t, page)
		})
	}
}

func TestAdversaryUnauthorizedFromARedirectTargetKeepsTheToken(t *testing.T) {
	// The CDN a media URL redirects to got no token: its 401 is about its
	// own access rules, not the client's token, which stays cached.
	var tokenCalls atomic.Int32
	cdn := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"message":"signature expired"}`)
	}))
	defer cdn.Close()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/token" {
			tokenCalls.Add(1)
			io.WriteString(w, `{"access_token":"tok_cdn_401","expires_in":3600}`)
			return
		}
		http.Redirect(w, r, cdn.URL+"/file.mp4", http.StatusFound)
	}))
	defer api.Close()
	c := hostileClient(t, api.URL+"/api", apizee.WithCredentials("agent", "pw-Zq9"))

	for range 3 {
		_, err := c.Media.Download(t.Context(), &apizee.Media{URL: api.URL + "/media/1"}, io.Discard)
		var apiErr *apizee.APIError
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, http.StatusUnauthorized, apiErr.StatusCode)
	}
	assert.Equal(t, int32(1), tokenCalls.Load(), "one token for every call: the CDN's 401 does not drop it")
}
