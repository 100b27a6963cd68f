package apizee_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee"
	"github.com/apizee-go/apizee/apizeetest"
)

// The secrets sweep runs every service method of the SDK against
// apizeetest, failures and faults included, with debug logging on, and
// scans all that comes out for a secret: the log, the text of every error
// (and of every error it wraps), and %v, %+v, %#v and slog of every value
// returned. The secrets are read from the server afterwards: the password,
// every bearer token a request carried, and the pwd= and access_token=
// values of every ticket link it stored.

// sweepLog is a log sink safe for concurrent writers.
type sweepLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *sweepLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *sweepLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// sweepOutput gathers every text a caller can get out of the SDK.
type sweepOutput struct {
	t      *testing.T
	log    *sweepLog
	json   *slog.Logger // debug level, JSON
	text   *slog.Logger // debug level, text
	texts  []string
	failed int // calls that returned an error
}

func newSweepOutput(t *testing.T) *sweepOutput {
	log := &sweepLog{}
	opts := &slog.HandlerOptions{Level: slog.LevelDebug}
	return &sweepOutput{t: t, log: log, json: slog.New(slog.NewJSONHandler(log, opts)), text: slog.New(slog.NewTextHandler(log, opts))}
}

// value records v printed every way a caller would print it.
func (o *sweepOutput) value(name string, v any) {
	o.texts = append(o.texts, fmt.Sprintf("%s: %v | %+v | %#v | %s", name, v, v, v, v))
	o.json.Info("returned", name, v)
	o.text.Info("returned", name, v)
}

// failure records the texts of err and of every error it wraps.
func (o *sweepOutput) failure(call string, err error) {
	o.t.Helper()
	require.Error(o.t, err, "%s should fail", call)
	o.failed++
	var walk func(error)
	walk = func(e error) {
		if e == nil {
			return
		}
		o.texts = append(o.texts, fmt.Sprintf("%s: %s | %v | %+v | %#v | %q", call, e.Error(), e, e, e, e))
		o.json.Error("call failed", "call", call, "error", e)
		switch u := e.(type) {
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		case interface{ Unwrap() []error }:
			for _, inner := range u.Unwrap() {
				walk(inner)
			}
		}
	}
	walk(err)
}

// secretValue matches the secret parameters of Apizee's links.
var secretValue = regexp.MustCompile(`(?i)\b(pwd|access_token)=([^&"'\s\\<>]+)`)

// sweepSecrets returns what must never be printed: the password, every
// bearer token the server saw (its random signature, which no two tokens
// share), the secrets of every ticket link it stored, and extra.
func sweepSecrets(t *testing.T, srv *apizeetest.Server, extra ...string) []string {
	t.Helper()
	secrets := append([]string{srv.Password}, extra...)
	seen := map[string]bool{}
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			secrets = append(secrets, s)
		}
	}
	for _, r := range srv.Requests() {
		if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
			add(tokenSignature(tok))
		}
	}
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/tickets?limit=1000", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+srv.IssueToken())
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	for _, m := range secretValue.FindAllStringSubmatch(string(body), -1) {
		if strings.EqualFold(m[1], "pwd") {
			// Six digits: alone they could match any number printed.
			add(m[0])
		} else {
			add(tokenSignature(m[2]))
		}
	}
	return secrets
}

// tokenSignature is the random part of a JWT, or the whole token.
func tokenSignature(tok string) string {
	if i := strings.LastIndexByte(tok, '.'); i >= 0 && len(tok)-i > 16 {
		return tok[i+1:]
	}
	return tok
}

func TestSecretsSweepEveryServiceMethod(t *testing.T) {
	srv := apizeetest.NewServer()
	defer srv.Close()
	out := newSweepOutput(t)
	ctx := t.Context()
	const meetingPassword = "90817263#*"
	const wrongPassword = "sweep-wrong-password-7d1f"
	// Secrets a misbehaving server quotes back in its answers.
	const echoedToken = "sweepEchoedAccessToken0123456789"
	const echoedPwd = "pwd=918273"
	c, err := apizee.NewClient(apizee.WithBaseURL(srv.URL), apizee.WithCredentials(srv.Username, srv.Password),
		apizee.WithLogger(out.json), apizee.WithRetryPolicy(apizee.RetryPolicy{MaxRetries: 2, MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond}))
	require.NoError(t, err)
	out.value("client", c)

	// Tickets, through faults that are retried, replayed or looked up.
	srv.QueueFault(apizeetest.Fault{Method: http.MethodPost, Path: "/tickets", DropAfterProcessing: true})
	params := &apizee.CreateTicketParams{Agent: srv.Username, Phone: []string{"+33612345678"}, Email: []string{"jane@example.com"},
		Invite: true, SSO: true, Reference: "sweep-1", Name: "Jane"}
	out.value("params", params)
	once, err := c.Tickets.CreateOnce(ctx, params)
	require.NoError(t, err)
	// Found by listing after the lost answer, completed by GET /tickets/{id}:
	// the deep link is back, the single-sign-on link came only with the
	// answer that was lost.
	require.NotEmpty(t, once.AgentTicketURL())
	require.Empty(t, once.SSOURL)
	out.value("CreateOnce", once)
	out.value("CreateOnce value", *once)
	out.value("AgentTicketURL", once.AgentTicketURL())
	srv.QueueFault(apizeetest.Fault{Method: http.MethodPost, Path: "/tickets", Status: http.StatusTooManyRequests, Header: http.Header{"Retry-After": {"0"}}})
	created, err := c.Tickets.Create(ctx, &apizee.CreateTicketParams{Agent: srv.Username, Email: []string{"joe@example.com"}, SSO: true, Reference: "sweep-2"})
	require.NoError(t, err)
	out.value("Create", created)
	srv.QueueFault(apizeetest.Fault{Method: http.MethodGet, Path: "/tickets/*", Status: http.StatusBadGateway})
	got, err := c.Tickets.Get(ctx, created.ID)
	require.NoError(t, err)
	out.value("Get", got)
	srv.ExpireTokens() // the next call is answered 401, renews the token and replays
	page, err := c.Tickets.List(ctx, &apizee.ListTicketsParams{Limit: 5})
	require.NoError(t, err)
	out.value("List", page)
	out.value("List items", page.Items)
	var all []*apizee.Ticket
	for tk, err := range c.Tickets.All(ctx, &apizee.ListTicketsParams{Limit: 2}) {
		require.NoError(t, err)
		out.value("All item", tk)
		all = append(all, tk)
	}
	out.value("All", all)
	out.value("All by id", map[int64]*apizee.Ticket{all[0].ID: all[0]})
	found, err := c.Tickets.FindByReference(ctx, "sweep-1")
	require.NoError(t, err)
	out.value("FindByReference", found)

	// Meetings.
	invite := false
	conf, err := c.Conferences.Create(ctx, &apizee.CreateConferenceParams{Participants: []string{"+33612345678"}, Name: "sweep meeting",
		Password: meetingPassword, Invite: &invite})
	require.NoError(t, err)
	out.value("Conferences.Create", conf)
	out.value("JoinURL", conf.JoinURL("Alice"))
	out.value("IframeHTML", conf.IframeHTML("sweep"))
	gotConf, err := c.Conferences.Get(ctx, conf.ID)
	require.NoError(t, err)
	out.value("Conferences.Get", gotConf)
	confPage, err := c.Conferences.List(ctx, nil)
	require.NoError(t, err)
	out.value("Conferences.List", confPage)
	for cf, err := range c.Conferences.All(ctx, &apizee.ListConferencesParams{Limit: 1}) {
		require.NoError(t, err)
		out.value("Conferences.All", cf)
	}
	byName, err := c.Conferences.FindByName(ctx, "sweep meeting")
	require.NoError(t, err)
	out.value("FindByName", byName)
	ssoConf, err := c.Conferences.Create(ctx, &apizee.CreateConferenceParams{Participants: []string{"+33612345678"}, Name: "sweep sso",
		Invite: &invite, SSO: true})
	require.NoError(t, err)
	require.NotEmpty(t, ssoConf.SSOURL)
	out.value("Conferences.Create SSO", ssoConf)
	ssoGot, err := c.Conferences.GetWith(ctx, ssoConf.ID, &apizee.GetConferenceParams{SSO: true})
	require.NoError(t, err)
	out.value("Conferences.GetWith SSO", ssoGot)
	out.value("Conferences.GetWith SSO value", *ssoGot)
	out.value("Conferences page with SSO", &apizee.Page[apizee.Conference]{Items: []apizee.Conference{*ssoConf, *ssoGot}})
	out.value("Conferences slice with SSO", []apizee.Conference{*ssoConf, *ssoGot})
	conferenceSSO := []string{tokenSignature(strings.SplitN(ssoConf.SSOURL, "access_token=", 2)[1]),
		tokenSignature(strings.SplitN(ssoGot.SSOURL, "access_token=", 2)[1])}
	srv.QueueFault(apizeetest.Fault{Method: http.MethodDelete, Path: "/conferences/*", DropAfterProcessing: true})
	var deleted apizee.Response
	require.NoError(t, c.Conferences.Delete(ctx, ssoConf.ID, apizee.ResponseInto(&deleted)))
	out.value("Conferences.Delete response", deleted)

	// Media, statistics, sessions.
	srv.AddTicketMedia(once.ID, 4096)
	srv.AddConferenceMedia(conf.ID, 4096)
	ticketMedia, err := c.Media.ListForTicket(ctx, once.ID, nil)
	require.NoError(t, err)
	require.NotEmpty(t, ticketMedia.Items)
	out.value("ListForTicket", ticketMedia)
	for m, err := range c.Media.AllForTicket(ctx, once.ID, nil) {
		require.NoError(t, err)
		out.value("AllForTicket", m)
	}
	confMedia, err := c.Media.ListForConference(ctx, conf.ID, nil)
	require.NoError(t, err)
	out.value("ListForConference", confMedia)
	for m, err := range c.Media.AllForConference(ctx, conf.ID, nil) {
		require.NoError(t, err)
		out.value("AllForConference", m)
	}
	srv.QueueFault(apizeetest.Fault{Method: http.MethodGet, Path: "/media/*", DropAfterProcessing: true})
	n, err := c.Media.Download(ctx, &ticketMedia.Items[0], io.Discard)
	require.NoError(t, err)
	out.value("Download", n)
	body, err := c.Media.Open(ctx, &ticketMedia.Items[0])
	require.NoError(t, err)
	require.NoError(t, body.Close())
	stats, err := c.Stats.Tickets(ctx, &apizee.TicketStatsParams{Since: time.Now().AddDate(0, 0, -1), Until: time.Now()})
	require.NoError(t, err)
	out.value("Stats.Tickets", stats)
	sessions, err := c.Sessions.List(ctx, nil)
	require.NoError(t, err)
	out.value("Sessions.List", sessions)
	for s, err := range c.Sessions.All(ctx, nil) {
		require.NoError(t, err)
		out.value("Sessions.All", s)
	}

	// Failures: refusals, faults, answers that quote secrets, bad input.
	_, err = c.Tickets.Get(ctx, 999999999)
	out.failure("Get unknown", err)
	_, err = c.Tickets.Create(ctx, &apizee.CreateTicketParams{Agent: srv.Username, Phone: []string{"0612345678"}})
	out.failure("Create bad phone", err)
	_, err = c.Conferences.Create(ctx, &apizee.CreateConferenceParams{Participants: []string{"+33612345678"}, Password: meetingPassword + "x"})
	out.failure("Conferences.Create bad password", err)
	srv.QueueFault(apizeetest.Fault{Method: http.MethodPost, Path: "/tickets", Status: http.StatusBadRequest,
		Body: `{"code":10,"message":"bad link ` + once.RequestorURL + `","details":"` + created.SSOURL + ` access_token=` + echoedToken + `"}`})
	_, err = c.Tickets.CreateOnce(ctx, &apizee.CreateTicketParams{Agent: srv.Username, Phone: []string{"+33612345678"}, Reference: "sweep-3"})
	out.failure("CreateOnce refused, quoting secrets", err)
	srv.QueueFault(apizeetest.Fault{Method: http.MethodGet, Path: "/tickets/*", Status: http.StatusOK,
		Body: "<html>" + created.SSOURL + " " + once.RequestorURL + " " + echoedPwd + "</html>"})
	_, err = c.Tickets.Get(ctx, once.ID)
	out.failure("Get with a non-JSON 200 quoting secrets", err)
	for range 3 {
		srv.QueueFault(apizeetest.Fault{Method: http.MethodGet, Path: "/conferences", Status: http.StatusServiceUnavailable,
			Body: `{"message":"down","details":"Authorization: Bearer ` + echoedToken + `"}`})
	}
	_, err = c.Conferences.List(ctx, nil)
	out.failure("Conferences.List 503 quoting a token", err)
	srv.QueueFault(apizeetest.Fault{Method: http.MethodPost, Path: "/tickets", ShortBody: true})
	_, err = c.Tickets.Create(ctx, &apizee.CreateTicketParams{Agent: srv.Username, Phone: []string{"+33612345678"}, SSO: true, Reference: "sweep-4"})
	out.failure("Create with its answer cut", err)
	// A client of its own: the hour it is told to wait holds its later calls back.
	told, err := apizee.NewClient(apizee.WithBaseURL(srv.URL), apizee.WithCredentials(srv.Username, srv.Password), apizee.WithLogger(out.json))
	require.NoError(t, err)
	srv.QueueFault(apizeetest.Fault{Method: http.MethodGet, Path: "/session", Status: http.StatusTooManyRequests, Header: http.Header{"Retry-After": {"3600"}}})
	_, err = told.Sessions.List(ctx, nil)
	out.failure("Sessions.List told to wait an hour", err)
	_, err = told.Sessions.List(ctx, nil)
	out.failure("Sessions.List held back by the client for that hour", err)
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_, err = c.Stats.Tickets(cancelled, nil)
	out.failure("Stats.Tickets cancelled", err)
	_, err = c.Media.Download(ctx, &apizee.Media{URL: created.SSOURL + "&x=/media"}, io.Discard)
	out.failure("Download of a secret-bearing URL", err)
	_, err = c.Media.Open(ctx, &apizee.Media{URL: "ftp://host/?" + echoedPwd})
	out.failure("Open of a bad URL", err)
	srv.QueueFault(apizeetest.Fault{Method: http.MethodDelete, Path: "/conferences/*", Status: http.StatusForbidden,
		Body: `{"code":2,"message":"not yours: ` + ssoGot.SSOURL + `"}`})
	out.failure("Conferences.Delete refused, quoting the SSO link", c.Conferences.Delete(ctx, conf.ID))

	// Do, on an endpoint the SDK does not model and on failures that quote
	// secrets.
	var raw map[string]any
	doResp, err := c.Do(ctx, http.MethodGet, "/users/me", nil, &raw)
	require.NoError(t, err)
	out.value("Do Response", doResp)
	out.value("Do Response value", *doResp)
	srv.QueueFault(apizeetest.Fault{Method: http.MethodGet, Path: "/tickets/*", Status: http.StatusBadRequest,
		Header: http.Header{"X-Echo": {"Bearer " + echoedToken}, "Set-Cookie": {"pwd=" + echoedToken}},
		Body:   `{"code":10,"message":"bad link ` + once.RequestorURL + `","details":"access_token=` + echoedToken + `"}`})
	doResp, err = c.Do(ctx, http.MethodGet, "/tickets/"+strconv.FormatInt(once.ID, 10), nil, &raw)
	out.failure("Do refused, quoting secrets", err)
	out.value("Do Response of a refusal", doResp)
	_, err = c.Do(ctx, http.MethodGet, "/links/access_token="+echoedToken+"/x", nil, nil)
	out.failure("Do of a secret-bearing path that is not found", err)
	_, err = c.Do(ctx, http.MethodGet, "/../access_token="+echoedToken, nil, nil)
	out.failure("Do of a refused secret-bearing path", err)
	_, err = c.Do(ctx, http.MethodGet, "https://evil.example/?"+echoedPwd, nil, nil)
	out.failure("Do of an absolute secret-bearing URL", err)

	// Clients whose credentials or token are refused.
	wrong, err := apizee.NewClient(apizee.WithBaseURL(srv.URL), apizee.WithCredentials(srv.Username, wrongPassword), apizee.WithLogger(out.json))
	require.NoError(t, err)
	out.value("wrong client", wrong)
	_, err = wrong.Tickets.List(ctx, nil)
	out.failure("credentials refused", err)
	srv.QueueFault(apizeetest.Fault{Method: http.MethodPost, Path: "/token", Status: http.StatusBadRequest,
		Body: `{"code":10,"message":"bad password ` + srv.Password + `"}`})
	echo, err := apizee.NewClient(apizee.WithBaseURL(srv.URL), apizee.WithCredentials(srv.Username, srv.Password), apizee.WithLogger(out.json))
	require.NoError(t, err)
	_, err = echo.Tickets.List(ctx, nil)
	out.failure("token endpoint quoting the password", err)
	fixed := srv.IssueToken()
	revoked, err := apizee.NewClient(apizee.WithBaseURL(srv.URL), apizee.WithToken(fixed), apizee.WithLogger(out.json))
	require.NoError(t, err)
	out.value("fixed-token client", revoked)
	srv.RevokeToken(fixed)
	_, err = revoked.Conferences.Get(ctx, conf.ID)
	out.failure("revoked fixed token", err)
	_, err = apizee.NewClient(apizee.WithBaseURL("http://user:" + wrongPassword + "@example.com/api?access_token=" + echoedToken))
	out.failure("NewClient with a secret-bearing base URL", err)

	require.NoError(t, c.Close(ctx))
	require.NoError(t, echo.Close(ctx))

	secrets := sweepSecrets(t, srv, append(conferenceSSO, meetingPassword, wrongPassword, echoedToken, echoedPwd)...)
	log := out.log.String()
	assert.Contains(t, log, `"msg":"apizee: http attempt"`, "debug logging was on")
	assert.Contains(t, log, "apizee: retrying request")
	assert.Contains(t, log, `"List":{"total":`, "a page logs through its LogValue")
	assert.Contains(t, log, `"items":{"0":{"id":`, "with its items, each redacted")
	assert.GreaterOrEqual(t, len(secrets), 10, "the password, several tokens and ticket links")
	assert.Equal(t, 21, out.failed)
	hits := 0
	for _, s := range secrets {
		if strings.Contains(log, s) {
			hits++
			for _, line := range strings.Split(log, "\n") {
				if strings.Contains(line, s) {
					t.Errorf("the log reveals %q: %.300s", s, line)
				}
			}
		}
		for _, text := range out.texts {
			if strings.Contains(text, s) {
				hits++
				t.Errorf("%q reveals %q", text, s)
			}
		}
	}
	t.Logf("secrets sweep: %d secrets, %d log bytes, %d printed values and error texts, %d failing calls, %d hits",
		len(secrets), len(log), len(out.texts), out.failed, hits)
}
