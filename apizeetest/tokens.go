package apizeetest

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// Grant types /token accepts.
const (
	grantPassword = "password"
	grantJWT      = "urn:ietf:params:oauth:grant-type:jwt-bearer"
)

// tokenState is what the server knows of a token it issued.
type tokenState struct {
	user    string // whose token it is: the rate limit counts per user
	expires time.Time
	revoked bool // revoked or expired early by ExpireTokens
}

// tokenAnswer is the answer of POST /token.
type tokenAnswer struct {
	AccessToken string `json:"access_token"`
	CreatedAt   stamp  `json:"created_at"`
	ExpiresIn   int64  `json:"expires_in"`
}

// createToken serves POST /token: the password or JWT-bearer grant, from a
// form body only.
func (s *Server) createToken(w http.ResponseWriter, r *http.Request) {
	if q := r.URL.Query(); q.Has("password") || q.Has("assertion") {
		name := "password"
		if !q.Has("password") {
			name = "assertion"
		}
		badParameter(w, name, "credentials must be sent in the request body, not in the URL")
		return
	}
	form := r.PostForm
	switch grant := form.Get("grant_type"); grant {
	case grantPassword:
		username, password := form.Get("username"), form.Get("password")
		switch {
		case username == "":
			badParameter(w, "username", "username is required")
			return
		case password == "":
			badParameter(w, "password", "password is required")
			return
		case username != s.cfg.username || password != s.cfg.password:
			s.unauthorized(w, "Invalid credentials.")
			return
		}
	case grantJWT:
		if strings.TrimSpace(form.Get("assertion")) == "" {
			badParameter(w, "assertion", "assertion is required")
			return
		}
	case "":
		badParameter(w, "grant_type", "grant_type is required")
		return
	default:
		badParameter(w, "grant_type", "unsupported grant_type "+grant)
		return
	}
	now := s.now()
	tok := s.newToken(now)
	s.mu.Lock()
	s.issued++
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, tokenAnswer{AccessToken: tok, CreatedAt: stamp(now), ExpiresIn: int64(s.cfg.tokenLifetime / time.Second)})
}

// revokeToken serves POST /token/revoke and DELETE /token: the token that
// authenticated the call stops working.
func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) {
	tok := bearerToken(r)
	s.RevokeToken(tok)
	writeJSON(w, http.StatusOK, map[string]string{"access_token": tok})
}

// currentUser serves GET /users/me.
func (s *Server) currentUser(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, user{
		ID:         agentParty.ID,
		Username:   s.cfg.username,
		Email:      s.cfg.username,
		Name:       agentParty.Name,
		Enterprise: party{ID: s.cfg.enterpriseID, Name: "Apizee"},
	})
}

// user is the answer of GET /users/me.
type user struct {
	ID         int64  `json:"id"`
	Username   string `json:"username"`
	Email      string `json:"email"`
	Name       string `json:"name"`
	Enterprise party  `json:"enterprise"`
}

// authed lets h run only for a request with a valid bearer token.
func (s *Server) authed(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok := bearerToken(r)
		switch {
		case tok == "":
			s.unauthorized(w, "JWT Token not found")
		case !s.TokenValid(tok):
			s.unauthorized(w, "Invalid or expired JWT Token")
		default:
			h(w, r)
		}
	}
}

func (s *Server) unauthorized(w http.ResponseWriter, message string) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="apizee"`)
	writeJSON(w, http.StatusUnauthorized, errorAnswer{Message: message})
}

// bearerToken returns the token of the Authorization header, or "".
func bearerToken(r *http.Request) string {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(tok)
}

// newToken issues a token valid for the configured lifetime from now.
func (s *Server) newToken(now time.Time) string {
	tok := fakeJWT(s.cfg.username, now, s.cfg.tokenLifetime)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[tok] = &tokenState{user: s.cfg.username, expires: now.Add(s.cfg.tokenLifetime)}
	return tok
}

// fakeJWT returns a token shaped like the API's (a JWT) whose signature is
// random: nothing but this server can take it for valid.
func fakeJWT(subject string, now time.Time, lifetime time.Duration) string {
	claims, _ := json.Marshal(map[string]any{
		"iss": "apizeetest", "sub": subject, "iat": now.Unix(), "exp": now.Add(lifetime).Unix(),
	})
	enc := base64.RawURLEncoding
	return "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9." + enc.EncodeToString(claims) + "." + enc.EncodeToString(randomBytes(32))
}

// IssueToken returns a valid token without a /token call, for a client
// configured with a fixed token (apizee.WithToken). It does not count in
// TokensIssued.
func (s *Server) IssueToken() string { return s.newToken(s.now()) }

// TokensIssued returns how many /token calls succeeded so far.
func (s *Server) TokensIssued() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issued
}

// ExpireTokens makes every token issued so far answer 401, as if it had
// expired; tokens issued afterwards work.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.tokens {
		t.revoked = true
	}
}

// RevokeToken makes accessToken answer 401 from now on.
func (s *Server) RevokeToken(accessToken string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.tokens[accessToken]; t != nil {
		t.revoked = true
	}
}

// TokenValid reports whether accessToken was issued by this server and is
// neither expired nor revoked.
func (s *Server) TokenValid(accessToken string) bool {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tokens[accessToken]
	return t != nil && !t.revoked && now.Before(t.expires)
}

// randomBytes returns n random bytes.
func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}
