package apizee_test

// Adversary tests, retries: which failures prove that a create never left
// (and may be sent again), what a server's wait request means when it is
// absurd, and the defaults a zero RetryPolicy stands for.

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee"
)

var fastRetryPolicy = apizee.RetryPolicy{MaxRetries: 2, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond}

func createTicket(ctx context.Context, c *apizee.Client) error {
	_, err := c.Tickets.Create(ctx, &apizee.CreateTicketParams{Agent: "agent1", Phone: []string{"+33612345678"}})
	return err
}

func TestAdversaryCreateIsRetriedWhenItProvablyNeverLeft(t *testing.T) {
	t.Run("a name that does not resolve", func(t *testing.T) {
		// A resolving dialer (a proxy, a service mesh, a custom
		// DialContext) reports the DNS failure itself, not inside the
		// "dial" error net.Dialer would wrap it in.
		var dials atomic.Int32
		transport := &http.Transport{DialContext: func(_ context.Context, _, addr string) (net.Conn, error) {
			dials.Add(1)
			return nil, &net.DNSError{Err: "no such host", Name: strings.Split(addr, ":")[0], IsNotFound: true}
		}}
		c := hostileClient(t, "https://api.apizee.invalid/api", apizee.WithHTTPClient(&http.Client{Transport: transport}),
			apizee.WithRetryPolicy(fastRetryPolicy))

		err := createTicket(t.Context(), c)
		var reqErr *apizee.RequestError
		require.ErrorAs(t, err, &reqErr)
		assert.Equal(t, 3, reqErr.Attempts, "a POST whose host did not resolve never left: it is sent again")
		assert.Equal(t, int32(3), dials.Load())
		assert.Contains(t, err.Error(), "no such host")
	})

	t.Run("a TLS handshake that times out", func(t *testing.T) {
		// A server that accepts the connection and never answers the
		// handshake: the request was never written.
		addr := rawListener(t, func(net.Conn) {})
		transport := &http.Transport{TLSHandshakeTimeout: 20 * time.Millisecond}
		t.Cleanup(transport.CloseIdleConnections)
		c := hostileClient(t, "https://"+addr+"/api", apizee.WithHTTPClient(&http.Client{Transport: transport}),
			apizee.WithRetryPolicy(fastRetryPolicy))

		err := createTicket(t.Context(), c)
		var reqErr *apizee.RequestError
		require.ErrorAs(t, err, &reqErr)
		assert.Contains(t, err.Error(), "TLS handshake timeout")
		assert.Equal(t, 3, reqErr.Attempts, "a POST cut during the TLS handshake never left: it is sent again")
	})

	t.Run("a server that answers the handshake with garbage", func(t *testing.T) {
		addr := rawListener(t, func(conn net.Conn) { io.WriteString(conn, "SSH-2.0-OpenSSH_9.6\r\n") })
		c := hostileClient(t, "https://"+addr+"/api", apizee.WithRetryPolicy(fastRetryPolicy))

		err := createTicket(t.Context(), c)
		var reqErr *apizee.RequestError
		require.ErrorAs(t, err, &reqErr)
		assert.Contains(t, err.Error(), "does not look like a TLS handshake")
		assert.Equal(t, 3, reqErr.Attempts, "the handshake failed before the request was written: it is sent again")
	})

	t.Run("a handshake the server refused with an alert", func(t *testing.T) {
		// A TLS stack of the caller's own (QUIC's, or a dialer doing the
		// handshake itself) reports the server's alert as tls.AlertError.
		var dials atomic.Int32
		transport := &http.Transport{DialTLSContext: func(context.Context, string, string) (net.Conn, error) {
			dials.Add(1)
			return nil, fmt.Errorf("handshake: %w", tls.AlertError(40)) // handshake_failure
		}}
		c := hostileClient(t, "https://api.apizee.invalid/api", apizee.WithHTTPClient(&http.Client{Transport: transport}),
			apizee.WithRetryPolicy(fastRetryPolicy))

		err := createTicket(t.Context(), c)
		var reqErr *apizee.RequestError
		require.ErrorAs(t, err, &reqErr)
		assert.Equal(t, 3, reqErr.Attempts, "a POST whose handshake was refused never left: it is sent again")
		assert.Equal(t, int32(3), dials.Load())
	})
}

func TestAdversaryPlainHTTPServerAtAnHTTPSAddressIsNotRetried(t *testing.T) {
	// net/http reports it as ErrSchemeMismatch: a configuration mistake
	// that no retry mends, for a GET as for a POST.
	var hits atomic.Int32
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer plain.Close()
	c := hostileClient(t, strings.Replace(plain.URL, "http://", "https://", 1)+"/api",
		apizee.WithRetryPolicy(apizee.RetryPolicy{MaxRetries: 3, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond}))

	for name, call := range map[string]func() error{
		"GET":  func() error { _, err := c.Tickets.Get(t.Context(), 1); return err },
		"POST": func() error { return createTicket(t.Context(), c) },
	} {
		err := call()
		var reqErr *apizee.RequestError
		require.ErrorAs(t, err, &reqErr, name)
		assert.ErrorIs(t, err, http.ErrSchemeMismatch, name)
		assert.Equal(t, 1, reqErr.Attempts, "%s: a plain HTTP server stays one", name)
	}
}

// rawListener accepts TCP connections on a loopback port and hands each to
// serve, keeping them open until the test ends.
func rawListener(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, conn)
			mu.Unlock()
			serve(conn)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, conn := range conns {
			conn.Close()
		}
	})
	return ln.Addr().String()
}

func TestAdversaryWaitBeyondInt64IsTooLongToHonour(t *testing.T) {
	for _, header := range []string{"Retry-After", "X-RateLimit-Reset"} {
		for _, value := range []string{"99999999999999999999", "9223372036854775808", strings.Repeat("9", 400)} {
			t.Run(fmt.Sprintf("%s: %.20s", header, value), func(t *testing.T) {
				var hits atomic.Int32
				api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					hits.Add(1)
					w.Header().Set(header, value)
					w.WriteHeader(http.StatusTooManyRequests)
					io.WriteString(w, `{"error":"Too many requests"}`)
				}))
				defer api.Close()
				c := hostileClient(t, api.URL+"/api", apizee.WithRetryPolicy(apizee.RetryPolicy{MaxRetries: 3, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond}))

				_, err := c.Tickets.Get(t.Context(), 1)
				var apiErr *apizee.APIError
				require.ErrorAs(t, err, &apiErr)
				assert.ErrorIs(t, err, apizee.ErrRateLimited)
				assert.Equal(t, int32(1), hits.Load(), "a wait longer than anything is not slept, nor replaced by a backoff")
				assert.Equal(t, 1, apiErr.Attempts)
				assert.Greater(t, apiErr.RetryAfter, 100*365*24*time.Hour, "the wait is reported as very long, not as garbage")
			})
		}
	}
}

// scriptedTransport answers each attempt with the next of its answers, in
// memory (no network: it runs inside a synctest bubble), and notes the
// bubble's time of each attempt.
type scriptedTransport struct {
	mu      sync.Mutex
	answers []func() *http.Response
	at      []time.Time
}

func (s *scriptedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.at = append(s.at, time.Now())
	answer := s.answers[min(len(s.at), len(s.answers))-1]
	resp := answer()
	resp.Request = r
	return resp, nil
}

// waits returns the time between consecutive attempts.
func (s *scriptedTransport) waits() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []time.Duration
	for i := 1; i < len(s.at); i++ {
		out = append(out, s.at[i].Sub(s.at[i-1]))
	}
	return out
}

func answer(status int, body string, header ...string) func() *http.Response {
	return func() *http.Response {
		h := http.Header{"Content-Type": {"application/json"}}
		for i := 0; i+1 < len(header); i += 2 {
			h.Set(header[i], header[i+1])
		}
		return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body))}
	}
}

func scriptedClient(t *testing.T, policy apizee.RetryPolicy, answers ...func() *http.Response) (*apizee.Client, *scriptedTransport) {
	t.Helper()
	st := &scriptedTransport{answers: answers}
	c, err := apizee.NewClient(apizee.WithBaseURL("https://api.example/api"), apizee.WithToken("hostile-token"),
		apizee.WithHTTPClient(&http.Client{Transport: st}), apizee.WithRetryPolicy(policy))
	require.NoError(t, err)
	return c, st
}

func TestAdversaryZeroRetryPolicyDurationsMeanTheDocumentedDefaults(t *testing.T) {
	unavailable := answer(http.StatusServiceUnavailable, `{"message":"busy"}`)
	ticket := answer(http.StatusOK, `{"id":1}`)

	t.Run("MinBackoff 500ms", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			c, st := scriptedClient(t, apizee.RetryPolicy{MaxRetries: 3}, unavailable, unavailable, unavailable, ticket)
			_, err := c.Tickets.Get(t.Context(), 1)
			require.NoError(t, err)
			waits := st.waits()
			require.Len(t, waits, 3)
			for i, wait := range waits {
				// Retry i+1 waits between MinBackoff and MinBackoff*2^(i+1).
				assert.GreaterOrEqual(t, wait, 500*time.Millisecond, "retry %d", i+1)
				assert.LessOrEqual(t, wait, 500*time.Millisecond<<(i+1), "retry %d", i+1)
			}
		})
	})

	t.Run("MinBackoff 500ms, capped by MaxBackoff", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			// With MaxBackoff at 500ms there is no room for jitter: each wait
			// is exactly the default MinBackoff.
			c, st := scriptedClient(t, apizee.RetryPolicy{MaxRetries: 2, MaxBackoff: 500 * time.Millisecond}, unavailable, unavailable, ticket)
			_, err := c.Tickets.Get(t.Context(), 1)
			require.NoError(t, err)
			assert.Equal(t, []time.Duration{500 * time.Millisecond, 500 * time.Millisecond}, st.waits())
			c, st = scriptedClient(t, apizee.RetryPolicy{MaxRetries: 2, MaxBackoff: 400 * time.Millisecond}, unavailable, unavailable, ticket)
			_, err = c.Tickets.Get(t.Context(), 1)
			require.NoError(t, err)
			assert.Equal(t, []time.Duration{400 * time.Millisecond, 400 * time.Millisecond}, st.waits(),
				"a MaxBackoff below the default MinBackoff bounds it")
		})
	})

	t.Run("MaxBackoff 30s", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			const retries = 12
			answers := make([]func() *http.Response, retries, retries+1)
			for i := range answers {
				answers[i] = unavailable
			}
			c, st := scriptedClient(t, apizee.RetryPolicy{MaxRetries: retries, MinBackoff: 29 * time.Second}, append(answers, ticket)...)
			_, err := c.Tickets.Get(t.Context(), 1)
			require.NoError(t, err)
			waits := st.waits()
			require.Len(t, waits, retries)
			longest := time.Duration(0)
			for i, wait := range waits {
				assert.GreaterOrEqual(t, wait, 29*time.Second, "retry %d", i+1)
				assert.LessOrEqual(t, wait, 30*time.Second, "retry %d: the backoff stops growing at 30s", i+1)
				longest = max(longest, wait)
			}
			assert.Greater(t, longest, 29*time.Second, "the jitter reaches above MinBackoff, up to the 30s cap")
		})
	})

	t.Run("MaxRetryAfter 60s", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			c, st := scriptedClient(t, apizee.RetryPolicy{MaxRetries: 1},
				answer(http.StatusTooManyRequests, `{"error":"slow down"}`, "Retry-After", "60"), ticket)
			_, err := c.Tickets.Get(t.Context(), 1)
			require.NoError(t, err)
			assert.Equal(t, []time.Duration{60 * time.Second}, st.waits(), "a 60s wait is honoured")

			c, st = scriptedClient(t, apizee.RetryPolicy{MaxRetries: 1},
				answer(http.StatusTooManyRequests, `{"error":"slow down"}`, "Retry-After", "61"), ticket)
			_, err = c.Tickets.Get(t.Context(), 1)
			var apiErr *apizee.APIError
			require.ErrorAs(t, err, &apiErr)
			assert.ErrorIs(t, err, apizee.ErrRateLimited)
			assert.Equal(t, 61*time.Second, apiErr.RetryAfter)
			assert.Empty(t, st.waits(), "a 61s wait is past the default MaxRetryAfter: no retry")
		})
	})
}

func TestAdversaryRefusedCertificateIsNotRetried(t *testing.T) {
	// However the refusal is reported, no retry mends a certificate:
	// crypto/tls wraps its own verdict (here, on an extension it does not
	// know, which is no x509 error of a named kind) in a
	// CertificateVerificationError, and returns unwrapped the error of the
	// caller's own check (certificate pinning in VerifyConnection).
	cert := certificateWithUnknownCriticalExtension(t)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"id":1}`) }))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshake errors are expected
	srv.StartTLS()
	defer srv.Close()
	roots := x509.NewCertPool()
	roots.AddCert(cert.Leaf)

	for _, tc := range []struct {
		name  string
		check func(tls.ConnectionState) error
	}{
		{"a certificate with an unknown critical extension", nil},
		{"a pinned certificate for another host", func(tls.ConnectionState) error {
			return x509.HostnameError{Certificate: cert.Leaf, Host: "api.apizee.com"}
		}},
		{"a pinned certificate from another authority", func(tls.ConnectionState) error {
			return x509.UnknownAuthorityError{Cert: cert.Leaf}
		}},
		{"a pinned certificate that has expired", func(tls.ConnectionState) error {
			return x509.CertificateInvalidError{Cert: cert.Leaf, Reason: x509.Expired}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			config := &tls.Config{RootCAs: roots}
			if tc.check != nil {
				config = &tls.Config{InsecureSkipVerify: true, VerifyConnection: tc.check}
			}
			var dials atomic.Int32
			transport := &http.Transport{TLSClientConfig: config, DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				dials.Add(1)
				return (&net.Dialer{}).DialContext(ctx, network, addr)
			}}
			t.Cleanup(transport.CloseIdleConnections)
			c := hostileClient(t, srv.URL+"/api", apizee.WithHTTPClient(&http.Client{Transport: transport}),
				apizee.WithRetryPolicy(fastRetryPolicy))

			_, err := c.Tickets.Get(t.Context(), 1)
			var reqErr *apizee.RequestError
			require.ErrorAs(t, err, &reqErr)
			assert.Contains(t, err.Error(), "x509")
			assert.Equal(t, 1, reqErr.Attempts, "a refused certificate is final, even for a GET")
			assert.Equal(t, int32(1), dials.Load())
		})
	}
}

// certificateWithUnknownCriticalExtension is a self-signed certificate for
// 127.0.0.1 that crypto/tls refuses even when trusted: it marks critical an
// extension no verifier knows.
func certificateWithUnknownCriticalExtension(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	template := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		ExtraExtensions:       []pkix.Extension{{Id: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 99999, 1}, Critical: true, Value: []byte{5, 0}}},
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	require.NoError(t, err)
	leaf, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}
