package apizeetest_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee/apizeetest"
)

func TestTokenPasswordGrant(t *testing.T) {
	clk := newClock("2024-03-01T10:00:00Z")
	srv := newServer(t, apizeetest.WithClock(clk.Now))

	a := send(t, http.MethodPost, srv.URL+"/token", "", passwordForm(srv))

	require.Equal(t, http.StatusOK, a.Status, "body: %s", a.Body)
	body := a.object(t)
	assert.Len(t, body, 3, "exactly access_token, created_at, expires_in: %s", a.Body)
	assert.Equal(t, "2024-03-01T10:00:00+00:00", body["created_at"])
	assert.Equal(t, float64(86400), body["expires_in"])
	tok, _ := body["access_token"].(string)
	assert.True(t, strings.HasPrefix(tok, "eyJ"), "a JWT-shaped token: %q", tok)
	assert.True(t, srv.TokenValid(tok))
	assert.Equal(t, 1, srv.TokensIssued())
	assert.Equal(t, http.StatusOK, send(t, http.MethodGet, srv.URL+"/users/me", tok, nil).Status)

	again := send(t, http.MethodPost, srv.URL+"/token", "", passwordForm(srv)).object(t)
	assert.NotEqual(t, tok, again["access_token"], "tokens are random")
	assert.Equal(t, 2, srv.TokensIssued())
}

func TestTokenJWTBearerGrant(t *testing.T) {
	srv := newServer(t)

	a := send(t, http.MethodPost, srv.URL+"/token", "", url.Values{
		"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {"eyJhbGciOiJSUzI1NiJ9.e30.c2ln"}})

	require.Equal(t, http.StatusOK, a.Status, "body: %s", a.Body)
	tok, _ := a.object(t)["access_token"].(string)
	assert.True(t, srv.TokenValid(tok))
	assert.Equal(t, 1, srv.TokensIssued())
}

func TestTokenRefused(t *testing.T) {
	srv := newServer(t)
	good := passwordForm(srv)
	with := func(key, value string) url.Values {
		form := url.Values{}
		for k, v := range good {
			form[k] = v
		}
		if value == "" {
			form.Del(key)
		} else {
			form.Set(key, value)
		}
		return form
	}
	tests := []struct {
		name    string
		query   string
		form    url.Values
		status  int
		details string
	}{
		{"password in the query string", "?password=" + url.QueryEscape(srv.Password), good, 400, "Parameter password"},
		{"everything in the query string", "?" + good.Encode(), nil, 400, "Parameter password"},
		{"assertion in the query string", "?assertion=x", url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {"x"}}, 400, "Parameter assertion"},
		{"no grant_type", "", with("grant_type", ""), 400, "Parameter grant_type"},
		{"unknown grant_type", "", with("grant_type", "client_credentials"), 400, "Parameter grant_type"},
		{"no username", "", with("username", ""), 400, "Parameter username"},
		{"no password", "", with("password", ""), 400, "Parameter password"},
		{"empty assertion", "", url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}}, 400, "Parameter assertion"},
		{"wrong password", "", with("password", "guess"), 401, ""},
		{"unknown user", "", with("username", "intruder@example.com"), 401, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := send(t, http.MethodPost, srv.URL+"/token"+tt.query, "", tt.form)

			require.Equal(t, tt.status, a.Status, "body: %s", a.Body)
			body := a.object(t)
			if tt.details != "" {
				assert.Equal(t, float64(10), body["code"])
				assert.Equal(t, tt.details, body["details"])
			} else {
				assert.NotEmpty(t, body["message"])
			}
			assert.NotContains(t, string(a.Body), "eyJ", "no token issued")
		})
	}
	assert.Zero(t, srv.TokensIssued())
}

func TestTokenRefusesJSONBody(t *testing.T) {
	srv := newServer(t)
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/token",
		strings.NewReader(`{"grant_type":"password","username":"agent1@apizee.com","password":"apizeetest-secret"}`))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()

	assert.Equal(t, http.StatusBadRequest, resp.StatusCode, "only a form body is read")
	assert.Zero(t, srv.TokensIssued())
}

func TestEveryEndpointNeedsAValidToken(t *testing.T) {
	srv := newServer(t)
	media := get(t, srv, "/enterprises/1/tickets/663614/medias").object(t)["medias"].([]any)[0].(map[string]any)["url"].(string)
	endpoints := []struct{ method, url string }{
		{"GET", srv.URL + "/users/me"},
		{"POST", srv.URL + "/token/revoke"},
		{"DELETE", srv.URL + "/token"},
		{"POST", srv.URL + "/tickets?agent=a%40b.c&phone=%2B33612345678"},
		{"GET", srv.URL + "/tickets"},
		{"GET", srv.URL + "/tickets/82070"},
		{"GET", srv.URL + "/enterprises/1/tickets/663614/medias"},
		{"GET", srv.URL + "/enterprises/1/tickets-stats"},
		{"POST", srv.URL + "/conferences?participants=a%40b.c"},
		{"GET", srv.URL + "/conferences"},
		{"GET", srv.URL + "/conferences/842341"},
		{"GET", srv.URL + "/conferences/842341/media"},
		{"GET", srv.URL + "/session"},
		{"GET", media},
	}
	revoked := srv.IssueToken()
	srv.RevokeToken(revoked)
	for _, e := range endpoints {
		for name, tok := range map[string]string{"no token": "", "unknown token": "eyJ.forged.token", "revoked token": revoked} {
			t.Run(e.method+" "+strings.TrimPrefix(e.url, srv.URL)+" "+name, func(t *testing.T) {
				a := send(t, e.method, e.url, tok, nil)

				requireAPIError(t, a, http.StatusUnauthorized, nil)
				assert.NotEmpty(t, a.object(t)["message"])
				assert.Contains(t, a.Header.Get("WWW-Authenticate"), "Bearer")
			})
		}
	}
	assert.Equal(t, 2, srv.TicketCount(), "no ticket created")
	assert.Equal(t, 2, srv.ConferenceCount(), "no conference created")
}

func TestExpireTokens(t *testing.T) {
	srv := newServer(t)
	fetched := send(t, http.MethodPost, srv.URL+"/token", "", passwordForm(srv)).object(t)["access_token"].(string)
	issued := srv.IssueToken()

	srv.ExpireTokens()

	for _, tok := range []string{fetched, issued} {
		assert.False(t, srv.TokenValid(tok))
		assert.Equal(t, http.StatusUnauthorized, send(t, http.MethodGet, srv.URL+"/tickets", tok, nil).Status)
	}
	fresh := srv.IssueToken()
	assert.Equal(t, http.StatusOK, send(t, http.MethodGet, srv.URL+"/tickets", fresh, nil).Status, "a token issued after works")
}

func TestTokenLifetime(t *testing.T) {
	clk := newClock("2024-03-01T10:00:00Z")
	srv := newServer(t, apizeetest.WithClock(clk.Now), apizeetest.WithTokenLifetime(time.Hour))

	body := send(t, http.MethodPost, srv.URL+"/token", "", passwordForm(srv)).object(t)
	tok := body["access_token"].(string)

	assert.Equal(t, float64(3600), body["expires_in"])
	clk.Advance(time.Hour - time.Second)
	assert.Equal(t, http.StatusOK, send(t, http.MethodGet, srv.URL+"/users/me", tok, nil).Status, "valid until its end")
	clk.Advance(time.Second)
	assert.False(t, srv.TokenValid(tok))
	assert.Equal(t, http.StatusUnauthorized, send(t, http.MethodGet, srv.URL+"/users/me", tok, nil).Status, "expired")
}

func TestRevokeEndpoints(t *testing.T) {
	for _, method := range []string{http.MethodPost, http.MethodDelete} {
		t.Run(method, func(t *testing.T) {
			srv := newServer(t)
			tok := srv.IssueToken()
			other := srv.IssueToken()
			path := "/token/revoke"
			if method == http.MethodDelete {
				path = "/token"
			}

			a := send(t, method, srv.URL+path, tok, nil)

			require.Equal(t, http.StatusOK, a.Status, "body: %s", a.Body)
			assert.Equal(t, map[string]any{"access_token": tok}, a.object(t))
			assert.False(t, srv.TokenValid(tok))
			assert.Equal(t, http.StatusUnauthorized, send(t, http.MethodGet, srv.URL+"/users/me", tok, nil).Status)
			assert.True(t, srv.TokenValid(other), "only the caller's token is revoked")
		})
	}
}

func TestIssueToken(t *testing.T) {
	srv := newServer(t)

	tok := srv.IssueToken()

	assert.True(t, srv.TokenValid(tok))
	assert.Equal(t, http.StatusOK, send(t, http.MethodGet, srv.URL+"/users/me", tok, nil).Status)
	assert.Zero(t, srv.TokensIssued(), "IssueToken is not a /token call")
	assert.False(t, srv.TokenValid("eyJ.forged.token"))
}

func TestUsersMe(t *testing.T) {
	srv := newServer(t, apizeetest.WithCredentials("boss@example.com", "pw"), apizeetest.WithEnterpriseID(42))

	me := get(t, srv, "/users/me").object(t)

	assert.Equal(t, "boss@example.com", me["username"])
	assert.Equal(t, map[string]any{"id": float64(42), "name": "Apizee"}, me["enterprise"])
	assert.Equal(t, http.StatusOK, send(t, http.MethodPost, srv.URL+"/token", "", passwordForm(srv)).Status,
		"the configured credentials are accepted")
	defaults := url.Values{"grant_type": {"password"}, "username": {apizeetest.DefaultUsername}, "password": {apizeetest.DefaultPassword}}
	assert.Equal(t, http.StatusUnauthorized, send(t, http.MethodPost, srv.URL+"/token", "", defaults).Status,
		"the default credentials are not")
}
