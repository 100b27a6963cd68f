package apizee_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee"
)

// writeRawAnswer hijacks the connection and writes raw as the whole answer:
// a status line net/http cannot parse, which its error then quotes.
func writeRawAnswer(w http.ResponseWriter, raw string) {
	conn, buf, err := w.(http.Hijacker).Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	_, _ = buf.WriteString(raw)
	_ = buf.Flush()
}

// TestReviewMalformedAnswerEchoingASecretIsMasked: a server answers with a
// status line that quotes what the call sent (the bearer token, or the
// password of the /token call). net/http's error quotes that line; the
// error, every way it prints, and the debug log must not.
func TestReviewMalformedAnswerEchoingASecretIsMasked(t *testing.T) {
	const fixed = "tok_6c1e0b9a4f27d3e8"
	const password = "pwOpaque7Hq2vLx"
	var issued atomic.Value
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/api/token" && r.URL.Query().Get("echo") == "":
			if r.Header.Get("X-Echo-Password") != "" || strings.Contains(r.UserAgent(), "echo-password") {
				_ = r.ParseForm()
				writeRawAnswer(w, "HTTP/1.1 "+r.PostForm.Get("password")+"\r\n\r\n")
				return
			}
			tok := "tok_fetched_0a9f1c3b7e"
			issued.Store(tok)
			fmt.Fprintf(w, `{"access_token":%q,"expires_in":3600}`, tok)
		default:
			tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
			writeRawAnswer(w, "HTTP/1.1 "+tok+" OK\r\n\r\n")
		}
	}))
	defer api.Close()

	for name, opt := range map[string]apizee.Option{
		"fixed token":   apizee.WithToken(fixed),
		"fetched token": apizee.WithCredentials("agent", "pw-not-echoed"),
	} {
		t.Run(name, func(t *testing.T) {
			logger, logs := debugLogger()
			c, err := apizee.NewClient(apizee.WithBaseURL(api.URL+"/api"), opt, apizee.WithLogger(logger),
				apizee.WithRetryPolicy(apizee.RetryPolicy{MaxRetries: 1, MinBackoff: 1, MaxBackoff: 1}))
			require.NoError(t, err)
			var resp apizee.Response
			_, err = c.Tickets.Get(t.Context(), 1, apizee.ResponseInto(&resp))
			require.Error(t, err)
			sent := fixed
			if name == "fetched token" {
				sent = issued.Load().(string)
			}
			assert.Equal(t, 2, resp.Attempts, "a GET whose answer was unreadable is retried")
			assertNotShown(t, everyWay(err)+logs.String(), sent)
			assert.Contains(t, err.Error(), "REDACTED")
		})
	}

	t.Run("password of the /token call", func(t *testing.T) {
		logger, logs := debugLogger()
		c, err := apizee.NewClient(apizee.WithBaseURL(api.URL+"/api"), apizee.WithCredentials("agent", password),
			apizee.WithLogger(logger), apizee.WithUserAgent("echo-password"), apizee.WithRetryPolicy(apizee.RetryPolicy{}))
		require.NoError(t, err)
		_, err = c.Tickets.Get(t.Context(), 1)
		require.Error(t, err)
		assertNotShown(t, everyWay(err)+logs.String(), password, url.QueryEscape(password))
	})
}

// TestReviewResponseHeaderEchoesInAnyEncodingAreMasked: a header may echo
// the token or the password URL-encoded, JSON-escaped or in another letter
// case, under a header name in any case (a transport need not canonicalise
// keys); a short fixed token must not mangle every other header.
func TestReviewResponseHeaderEchoesInAnyEncodingAreMasked(t *testing.T) {
	const token = "tok/9f+Ae3=b&c<d>Q7x"
	const password = "p@ss w/rd+Zq9&"
	quoted, _ := json.Marshal(token)
	echo := func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Url-Token", "t="+url.QueryEscape(token))
		h.Set("X-Path-Token", "/seen/"+url.PathEscape(token))
		h.Set("X-Json-Token", string(quoted))
		h.Set("X-Upper-Token", strings.ToUpper(token))
		h.Set("X-Url-Password", url.QueryEscape(password))
		h.Set("X-Password", "was "+password)
		h.Set("Content-Type", "application/json")
		ok(w, r)
	}
	s := newServer(t, echo)
	lowerKeys := roundTripFunc(func(req *http.Request) (*http.Response, error) {
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err == nil {
			resp.Header["authorization"] = []string{req.Header.Get("Authorization")}
			resp.Header["set-cookie"] = []string{"s=" + token}
			resp.Header["proxy-authorization"] = []string{"Bearer " + token}
		}
		return resp, err
	})
	for name, opt := range map[string]apizee.Option{"token": apizee.WithToken(token), "password": apizee.WithCredentials("agent", password)} {
		t.Run(name, func(t *testing.T) {
			c, err := apizee.NewClient(apizee.WithBaseURL(s.base()), opt, apizee.WithHTTPClient(&http.Client{Transport: lowerKeys}))
			require.NoError(t, err)
			resp, err := c.Do(t.Context(), http.MethodGet, "/echo", nil, nil)
			require.NoError(t, err)
			for key := range resp.Header {
				assert.NotContains(t, []string{"authorization", "set-cookie", "proxy-authorization"}, strings.ToLower(key))
			}
			printed := fmt.Sprintf("%v %+v %#v", resp, resp, resp)
			secret := token
			if name == "password" {
				secret = password
			}
			quotedSecret, _ := json.Marshal(secret)
			assertNotShown(t, printed, secret, url.QueryEscape(secret), url.PathEscape(secret),
				string(quotedSecret[1:len(quotedSecret)-1]), strings.ToUpper(secret))
		})
	}

	t.Run("short fixed token", func(t *testing.T) {
		c, err := apizee.NewClient(apizee.WithBaseURL(s.base()), apizee.WithToken("a"))
		require.NoError(t, err)
		resp, err := c.Do(t.Context(), http.MethodGet, "/echo", nil, nil)
		require.NoError(t, err)
		assert.Equal(t, "application/json", resp.Header.Get("Content-Type"), "a one-letter secret protects nothing and must not mangle headers")
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestReviewSecretParameterAfterAnEscapedAmpersandIsMasked: a JSON encoder
// that escapes HTML (Go's json.Marshal, a gateway written in Go) writes the
// "&" before pwd= as \u0026, and a redirect target carries the link
// URL-encoded (%26pwd%3D): the conversation password must be masked in a
// DecodeError's excerpt and in a Response's headers all the same.
func TestReviewSecretParameterAfterAnEscapedAmpersandIsMasked(t *testing.T) {
	const pwd = "798042"
	const access = "opaqueSSO9c2e71d"
	link := "https://diag.apizee.com?convId=88a2c81a&pwd=" + pwd + "&access_token=" + access
	encoded, _ := json.Marshal(link)
	require.Contains(t, string(encoded), `\u0026pwd=`)
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", "<https://login.example/?next="+url.QueryEscape(link)+">; rel=next")
		fmt.Fprintf(w, `{"requestor_url":%s,"id":{"not":"an id"}}`, encoded)
	})
	c, err := apizee.NewClient(apizee.WithBaseURL(s.base()), apizee.WithToken("tok-escaped-amp"))
	require.NoError(t, err)
	var resp apizee.Response
	_, err = c.Tickets.Get(t.Context(), 1, apizee.ResponseInto(&resp))
	var decErr *apizee.DecodeError
	require.ErrorAs(t, err, &decErr)
	shown := everyWay(err) + fmt.Sprintf("%v", resp.Header)
	assertNotShown(t, shown, pwd, access)
}

// TestReviewTokenEchoedBackInALaterLineOfTheLogIsMasked reads the debug log
// of a call whose attempt failed on an answer that quotes the token: the
// attempt line and the retry line both carry the error.
func TestReviewTokenEchoedBackInALaterLineOfTheLogIsMasked(t *testing.T) {
	const token = "tok_log_echo_51ab93"
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		writeRawAnswer(w, "HTTP/1.1 200 OK\r\nContent-Length: x"+token+"\r\n\r\n")
	})
	logger, logs := debugLogger()
	c, err := apizee.NewClient(apizee.WithBaseURL(s.base()), apizee.WithToken(token), apizee.WithLogger(logger),
		apizee.WithRetryPolicy(apizee.RetryPolicy{MaxRetries: 1, MinBackoff: 1, MaxBackoff: 1}))
	require.NoError(t, err)
	_, err = c.Do(t.Context(), http.MethodGet, "/x", nil, nil)
	require.Error(t, err)
	lines := 0
	sc := bufio.NewScanner(strings.NewReader(logs.String()))
	for sc.Scan() {
		lines++
	}
	assert.GreaterOrEqual(t, lines, 3, "two attempts and a retry are logged:\n%s", logs.String())
	assertNotShown(t, everyWay(err)+logs.String(), token)
}

// TestReviewHeaderNameEchoingTheTokenIsMasked: a header's name can carry
// the token too (an opaque token is a valid header name, and net/http only
// changes its case).
func TestReviewHeaderNameEchoingTheTokenIsMasked(t *testing.T) {
	const token = "tok_name_5e2b8c71"
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Seen-"+strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "), "1")
		ok(w, r)
	})
	c, err := apizee.NewClient(apizee.WithBaseURL(s.base()), apizee.WithToken(token))
	require.NoError(t, err)
	resp, err := c.Do(t.Context(), http.MethodGet, "/x", nil, nil)
	require.NoError(t, err)
	assertNotShown(t, strings.ToLower(fmt.Sprintf("%v", resp.Header)), token)
	assert.Equal(t, "1", resp.Header.Get("X-Seen-REDACTED"), "the header is kept, its name masked")
}
