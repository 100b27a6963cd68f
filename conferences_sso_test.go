package apizee_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee"
)

func TestConferenceSSO(t *testing.T) {
	srv, c := e2eServer(t)
	ctx := t.Context()
	params := &apizee.CreateConferenceParams{Participants: []string{"+33612345678"}, Name: "sso room", SSO: true}
	assert.Contains(t, params.String(), "SSO:true")
	conf, err := c.Conferences.Create(ctx, params)
	require.NoError(t, err)
	assert.Contains(t, conf.SSOURL, "access_token=eyJ")
	reqs := srv.Requests()
	assert.Equal(t, "sso", reqs[len(reqs)-1].Query.Get("scope"))

	plain, err := c.Conferences.Create(ctx, &apizee.CreateConferenceParams{Participants: []string{"+33612345678"}, Name: "plain room"})
	require.NoError(t, err)
	assert.Empty(t, plain.SSOURL)
	reqs = srv.Requests()
	assert.False(t, reqs[len(reqs)-1].Query.Has("scope"))

	got, err := c.Conferences.Get(ctx, conf.ID)
	require.NoError(t, err)
	assert.Empty(t, got.SSOURL, "Get asks for no scope")
	reqs = srv.Requests()
	assert.False(t, reqs[len(reqs)-1].Query.Has("scope"))

	got, err = c.Conferences.GetWith(ctx, conf.ID, &apizee.GetConferenceParams{SSO: true})
	require.NoError(t, err)
	assert.Contains(t, got.SSOURL, "access_token=eyJ")
	reqs = srv.Requests()
	assert.Equal(t, url.Values{"scope": {"sso"}}, reqs[len(reqs)-1].Query)

	got, err = c.Conferences.GetWith(ctx, conf.ID, nil)
	require.NoError(t, err)
	assert.Empty(t, got.SSOURL, "a nil params is Get")
}

func TestConferenceSSOValidation(t *testing.T) {
	srv, c := e2eServer(t)
	ctx := t.Context()
	_, err := c.Conferences.Create(ctx, &apizee.CreateConferenceParams{Participants: []string{"+33612345678"}, SSO: true,
		Extra: url.Values{"Scope": {"other"}}})
	requireValidationError(t, err, "Extra")
	_, err = c.Conferences.GetWith(ctx, 0, &apizee.GetConferenceParams{SSO: true})
	requireValidationError(t, err, "ID")
	assert.Zero(t, srv.RequestCount("", ""))

	conf, err := c.Conferences.Create(ctx, &apizee.CreateConferenceParams{Participants: []string{"+33612345678"}, Extra: url.Values{"scope": {"sso"}}})
	require.NoError(t, err, "without SSO, Extra may send the scope itself")
	assert.NotEmpty(t, conf.SSOURL)
}

// TestConferencePrintsSSOURLMasked: %v, %+v, %#v, %s, slog (JSON and text),
// alone, in a slice and in a Page.
func TestConferencePrintsSSOURLMasked(t *testing.T) {
	_, c := e2eServer(t)
	conf, err := c.Conferences.Create(t.Context(), &apizee.CreateConferenceParams{Participants: []string{"+33612345678"}, Name: "masked", SSO: true})
	require.NoError(t, err)
	_, token, ok := strings.Cut(conf.SSOURL, "access_token=")
	require.True(t, ok)
	page := &apizee.Page[apizee.Conference]{Items: []apizee.Conference{*conf}, Total: 1}
	var logs bytes.Buffer
	for _, h := range []slog.Handler{slog.NewJSONHandler(&logs, nil), slog.NewTextHandler(&logs, nil)} {
		slog.New(h).Info("conference", "conf", conf, "value", *conf, "page", page)
	}
	printed := fmt.Sprintf("%v %+v %#v %s %v %+v %v", conf, conf, conf, conf, *conf, []apizee.Conference{*conf}, page) + logs.String()
	assert.NotContains(t, printed, token)
	assert.Contains(t, printed, "REDACTED")
	assert.Contains(t, printed, `"masked"`, "the rest prints")
	assert.Contains(t, conf.SSOURL, token, "the field keeps the real link")
}

func TestConferenceSSOAnswerDecodes(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"id":7,"name":"x","sso_url":"https://cloud.apizee.com?access_token=abc"}`)
	})
	c, err := apizee.NewClient(apizee.WithBaseURL(s.base()), apizee.WithToken("tok"))
	require.NoError(t, err)
	conf, err := c.Conferences.GetWith(t.Context(), 7, &apizee.GetConferenceParams{SSO: true})
	require.NoError(t, err)
	assert.Equal(t, "https://cloud.apizee.com?access_token=abc", conf.SSOURL)
}
