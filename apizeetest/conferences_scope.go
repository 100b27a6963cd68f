package apizeetest

import (
	"net/http"
	"net/url"
)

// scopeOK checks the scope parameter of POST /conferences and
// GET /conferences/{id}: "sso" or absent. Otherwise it answers 400.
func scopeOK(w http.ResponseWriter, q url.Values) bool {
	if q.Has("scope") && q.Get("scope") != "sso" {
		badParameter(w, "scope", "scope must be sso")
		return false
	}
	return true
}

// conferenceWithSSO is a conference answered with scope=sso: its sso_url
// logs the API user in. It is made for each answer, never stored, like the
// API's short-lived link.
type conferenceWithSSO struct {
	*conference
	SSOURL string `json:"sso_url"`
}

// withScope returns what to answer for c: c itself, or c with an sso_url
// when q asks for scope=sso.
func (s *Server) withScope(q url.Values, c *conference) any {
	if q.Get("scope") != "sso" {
		return c
	}
	return conferenceWithSSO{conference: c, SSOURL: s.root + "?access_token=" + fakeJWT(s.cfg.username, s.now(), ssoLifetime)}
}
