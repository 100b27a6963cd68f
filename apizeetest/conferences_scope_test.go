package apizeetest_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConferenceSSOOnlyWhenAsked(t *testing.T) {
	srv := newServer(t)
	plain := post(t, srv, "/conferences?participants=%2B33612345678&name=plain").object(t)
	assert.NotContains(t, plain, "sso_url")

	sso := post(t, srv, "/conferences?participants=%2B33612345678&name=sso&scope=sso").object(t)
	root := srv.URL[:len(srv.URL)-len("/api")]
	assert.Regexp(t, `^`+root+`\?access_token=eyJ[\w-]+\.[\w-]+\.[\w-]+$`, sso["sso_url"])

	got := get(t, srv, "/conferences/"+jsonID(sso)).object(t)
	assert.NotContains(t, got, "sso_url", "the link is not stored: a GET without scope has none")
	withScope := get(t, srv, "/conferences/"+jsonID(sso)+"?scope=sso").object(t)
	assert.Regexp(t, `access_token=eyJ`, withScope["sso_url"])
	delete(withScope, "sso_url")
	assert.Equal(t, got, withScope, "the same room otherwise")
}

func TestConferenceScopeIsValidated(t *testing.T) {
	srv := newServer(t)
	requireAPIError(t, post(t, srv, "/conferences?participants=%2B33612345678&scope=admin"), http.StatusBadRequest,
		map[string]any{"code": float64(10), "details": "Parameter scope"})
	requireAPIError(t, get(t, srv, "/conferences/842341?scope=all"), http.StatusBadRequest,
		map[string]any{"details": "Parameter scope"})
	assert.Equal(t, 2, srv.ConferenceCount(), "nothing created")
}

func TestDeleteConference(t *testing.T) {
	srv := newServer(t)
	conf := post(t, srv, "/conferences?participants=%2B33612345678&name=gone").object(t)
	require.Equal(t, 3, srv.ConferenceCount())

	a := send(t, http.MethodDelete, srv.URL+"/conferences/"+jsonID(conf), srv.IssueToken(), nil)
	assert.Equal(t, http.StatusNoContent, a.Status)
	assert.Empty(t, a.Body)
	assert.Equal(t, 2, srv.ConferenceCount())
	requireAPIError(t, get(t, srv, "/conferences/"+jsonID(conf)), http.StatusNotFound, nil)
	requireAPIError(t, send(t, http.MethodDelete, srv.URL+"/conferences/"+jsonID(conf), srv.IssueToken(), nil), http.StatusNotFound, nil)
	assert.Equal(t, http.StatusUnauthorized, send(t, http.MethodDelete, srv.URL+"/conferences/842341", "", nil).Status)
	assert.Equal(t, 2, srv.ConferenceCount(), "an unauthenticated DELETE removes nothing")

	a = send(t, http.MethodDelete, srv.URL+"/conferences/842341", srv.IssueToken(), nil)
	assert.Equal(t, http.StatusNoContent, a.Status)
	requireAPIError(t, get(t, srv, "/conferences/842341/media"), http.StatusNotFound, nil)
}
