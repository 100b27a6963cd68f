package apizee

// Fuzz targets for every decoder of server JSON that the other test files do
// not already fuzz (tickets, ticket statistics, the error parser and the
// lenient types have theirs beside them), and for the query encoders.
//
// Decoders: no panic; what decodes is what a caller can use (json.Marshal
// of the SDK value works: slog's JSON handler and callers' own storage do
// that) and is stable: re-encoded in the wire shape, it decodes to the same
// value. Encoders: what is accepted parses back to exactly the values given,
// one value per parameter (no "&agent=evil" injection); what is refused is a
// *ValidationError naming a field.
//
// The seeds are the recorded answers of testdata/ plus edge cases; plain
// `go test` runs them. Fuzz one target at a time:
//
//	go test -run '^$' -fuzz '^FuzzConferenceDecoding$' -fuzztime 60s .

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// addFileSeeds adds the content of each testdata file, and of each item of
// its "data" or "medias" list, as a seed.
func addFileSeeds(f *testing.F, names ...string) {
	f.Helper()
	for _, name := range names {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		require.NoError(f, err)
		f.Add(b)
		var env struct {
			Data   []json.RawMessage `json:"data"`
			Medias []json.RawMessage `json:"medias"`
		}
		if json.Unmarshal(b, &env) == nil {
			for _, item := range append(env.Data, env.Medias...) {
				f.Add([]byte(item))
			}
		}
	}
}

// hostileJSON are edge cases every JSON decoder gets as seeds.
var hostileJSON = []string{
	``, `null`, `{}`, `[]`, `"x"`, `0`, `{"id":null}`, `{"id":"0"}`, `{"id":-1}`, `{"id":1e400}`, `{"id":"9223372036854775808"}`,
	`{"id":1,"id":2}`, `{"id":1,"created":"0000-01-01T00:00:00+01:00"}`, `{"id":1,"created":"9999-12-31T23:59:59-01:00"}`,
	`{"id":1,"geoloc":{"lat":"NaN","lng":"Inf"}}`, `{"id":1,"location":{"lat":1,"lon":"-Infinity"}}`,
	`{"id":"\u0000","name":"a\u0000b\r\nX: y"}`, "{\"id\":1,\"name\":\"\xff\xfe\"}", `{"id":1,"name":"\ud800"}`,
	`{"total":-5,"data":null}`, `{"total":"12","data":[{"id":1}],"next_offset":"-3"}`, `{"data":{}}`,
	`{"count":3,"medias":[null]}`, `{"data":[{"id":1,"geoloc":{"lat":"NaN","lng":1}}],"medias":[{"location":{"lat":"Inf","lon":0}}]}`,
	`{"data":[{"id":"s","start_time":"0000-01-01 00:30:00+01:00"}],"medias":[{"created":"9999-12-31T23:30:00-01:00"}]}`, `[{"id":1}]`, `{"id":1}` + strings.Repeat(" ", 100), `{"a":` + strings.Repeat("[", 200),
}

func addHostileSeeds(f *testing.F) {
	for _, s := range hostileJSON {
		f.Add([]byte(s))
	}
}

// marshalable fails the test when v cannot be marshalled, and returns its JSON.
func marshalable(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err, "a decoded value must marshal: %#v", v)
	return b
}

// reDecode decodes b into a new T and fails the test if it does not decode.
func reDecode[T any](t *testing.T, b []byte) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal(b, &v), "the re-encoded value must decode: %s", b)
	return v
}

// wireTime is a time as the API sends it; the zero time is "".
func wireTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339Nano)
}

type partyWire struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

func partyMirror(p *Party) *partyWire {
	if p == nil {
		return nil
	}
	return &partyWire{ID: p.ID, Name: p.Name}
}

func ticketMirror(t Ticket) any {
	return map[string]any{
		"id": t.ID, "state": t.State, "reference": t.Reference,
		"created": wireTime(t.Created), "modified": wireTime(t.Modified), "start_time": wireTime(t.StartTime), "end_time": wireTime(t.EndTime),
		"subject": t.Subject, "type": t.Type, "description": t.Description, "agent": t.Agent, "status": t.Status, "name": t.Name,
		"requestor_url": t.RequestorURL, "requestor": map[string]any{"phone": t.Requestor.Phones, "email": t.Requestor.Emails},
		"information_page_url": t.InformationPageURL, "service_key": t.ServiceKey, "agent_url": t.AgentURL, "sso_url": t.SSOURL,
		"button_id": t.ButtonID, "geoloc": t.Geoloc,
	}
}

func conferenceMirror(c Conference) any {
	return map[string]any{
		"id": c.ID, "name": c.Name, "created": wireTime(c.Created), "modified": wireTime(c.Modified),
		"start_time": wireTime(c.StartTime), "end_time": wireTime(c.EndTime), "status": c.Status, "room_name": c.RoomName,
		"url": c.URL, "short_url": c.ShortURL, "sip_phone_number": c.SIPPhoneNumber, "sip_dtmf_code": c.SIPDTMFCode,
		"organizer": partyMirror(c.Organizer), "created_by": partyMirror(c.CreatedBy), "moderator": partyMirror(c.Moderator),
		"service_key": c.ServiceKey,
	}
}

func sessionMirror(s Session) any {
	m := map[string]any{
		"id": s.ID, "start_time": wireTime(s.StartTime), "end_time": wireTime(s.EndTime),
		"billing_duration": s.BillingUnits, "total_participant_count": s.TotalParticipantCount,
		"organizer": partyMirror(s.Organizer), "enterprise": partyMirror(s.Enterprise), "type": s.Type,
	}
	if s.Service != nil {
		m["service"] = map[string]any{"id": s.Service.ID, "key": s.Service.Key, "name": s.Service.Name}
	}
	return m
}

func mediaMirror(m Media) any {
	out := map[string]any{
		"id": m.ID, "hash": m.Hash, "title": m.Title, "description": m.Description, "filename": m.Filename,
		"type": m.ContentType, "media_type": m.MediaType, "status": m.Status, "source_type": m.SourceType, "url": m.URL,
		"filesize": m.Size, "created": wireTime(m.Created), "owner": partyMirror(m.Owner), "location": m.Location,
	}
	if m.Metadata != nil {
		out["metadata"] = m.Metadata
	}
	return out
}

func mirrorAll[T any](items []T, mirror func(T) any) []any {
	if items == nil {
		return nil
	}
	out := make([]any, len(items))
	for i, it := range items {
		out[i] = mirror(it)
	}
	return out
}

// fuzzEntity checks one decoded API object: it has an id, it marshals, and
// its wire mirror decodes back to it.
func fuzzEntity[T any](t *testing.T, v T, hasID func(T) bool, mirror func(T) any) {
	t.Helper()
	assert.True(t, hasID(v), "a decoded object has an id: %#v", v)
	marshalable(t, v)
	assert.Equal(t, canonical(v), canonical(reDecode[T](t, marshalable(t, mirror(v)))))
}

// canonical rewrites the raw JSON a value keeps (Media.Metadata) in one
// form: re-encoding changes its bytes (white space, "&" escaped as
// "\u0026") but must not change its value.
func canonical[T any](v T) T {
	if m, ok := any(&v).(*Media); ok && m.Metadata != nil {
		dec := json.NewDecoder(bytes.NewReader(m.Metadata))
		dec.UseNumber()
		var value any
		if dec.Decode(&value) == nil {
			if b, err := json.Marshal(value); err == nil {
				m.Metadata = b
			}
		}
	}
	return v
}

func FuzzConferenceDecoding(f *testing.F) {
	addFileSeeds(f, "conference_create.json", "conferences_list.json")
	addHostileSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		var c Conference
		if json.Unmarshal(b, &c) != nil {
			return
		}
		for _, at := range []time.Time{c.Created, c.Modified, c.StartTime, c.EndTime} {
			assert.Equal(t, time.UTC, at.Location(), "times are in UTC")
		}
		fuzzEntity(t, c, func(c Conference) bool { return c.ID > 0 }, conferenceMirror)
	})
}

func FuzzSessionDecoding(f *testing.F) {
	addFileSeeds(f, "sessions.json")
	addHostileSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		var s Session
		if json.Unmarshal(b, &s) != nil {
			return
		}
		fuzzEntity(t, s, func(s Session) bool { return s.ID != "" }, sessionMirror)
	})
}

// fuzzListEnvelope decodes a {"total","data"} page of T.
func fuzzListEnvelope[T any](f *testing.F, hasID func(T) bool, mirror func(T) any, files ...string) {
	addFileSeeds(f, files...)
	addHostileSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		var env listEnvelope[T]
		if json.Unmarshal(b, &env) != nil {
			return
		}
		for _, it := range env.Data {
			fuzzEntity(t, it, hasID, mirror)
		}
		again := reDecode[listEnvelope[T]](t, marshalable(t, map[string]any{
			"total": int64(env.total()), "next_offset": int64(env.NextOffset), "data": mirrorAll(env.Data, mirror),
		}))
		assert.Equal(t, env.total(), again.total())
		assert.Equal(t, env.NextOffset, again.NextOffset)
		assert.Len(t, again.Data, len(env.Data))
	})
}

func FuzzTicketListEnvelope(f *testing.F) {
	fuzzListEnvelope(f, func(t Ticket) bool { return t.ID > 0 }, ticketMirror, "tickets_list.json", "ticket_create.json")
}

func FuzzConferenceListEnvelope(f *testing.F) {
	fuzzListEnvelope(f, func(c Conference) bool { return c.ID > 0 }, conferenceMirror, "conferences_list.json")
}

func FuzzSessionListEnvelope(f *testing.F) {
	fuzzListEnvelope(f, func(s Session) bool { return s.ID != "" }, sessionMirror, "sessions.json")
}

// FuzzConferenceMediaEnvelope fuzzes {"total","data"} of conference media.
func FuzzConferenceMediaEnvelope(f *testing.F) {
	fuzzListEnvelope(f, func(Media) bool { return true }, mediaMirror, "conference_media.json", "ticket_medias.json")
}

// FuzzTicketMediaEnvelope fuzzes {"limit","offset","count","medias"}.
func FuzzTicketMediaEnvelope(f *testing.F) {
	addFileSeeds(f, "ticket_medias.json", "conference_media.json")
	addHostileSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		var env ticketMediaEnvelope
		if json.Unmarshal(b, &env) != nil {
			return
		}
		for _, m := range env.Medias {
			fuzzEntity(t, m, func(Media) bool { return true }, mediaMirror)
		}
		again := reDecode[ticketMediaEnvelope](t, marshalable(t, map[string]any{
			"limit": int64(env.Limit), "offset": int64(env.Offset), "count": int64(env.count()), "medias": mirrorAll(env.Medias, mediaMirror),
		}))
		assert.Equal(t, env.Limit, again.Limit)
		assert.Equal(t, env.Offset, again.Offset)
		assert.Equal(t, env.count(), again.count())
		assert.Len(t, again.Medias, len(env.Medias))
	})
}

// answerTransport answers every request with body, and status (200 when
// zero).
type answerTransport struct {
	body   []byte
	status int
}

func (a answerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		r.Body.Close()
	}
	return &http.Response{StatusCode: cmp.Or(a.status, http.StatusOK), Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(bytes.NewReader(a.body)), ContentLength: int64(len(a.body)), Request: r}, nil
}

const fuzzPassword = "fuzz-pw-s3cr3t"

func answeringClient(t *testing.T, body []byte) *Client {
	t.Helper()
	c, err := NewClient(WithBaseURL("https://api.example/api"), WithCredentials("agent", fuzzPassword),
		WithHTTPClient(&http.Client{Transport: answerTransport{body: body}}), WithRetryPolicy(RetryPolicy{}))
	require.NoError(t, err)
	return c
}

// validHeaderValue is what net/http accepts in a header value: no control
// character but tab.
func validHeaderValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if b := s[i]; (b < ' ' && b != '\t') || b == 0x7f {
			return false
		}
	}
	return true
}

// FuzzTokenResponse fuzzes the answer of POST /token through fetchToken.
func FuzzTokenResponse(f *testing.F) {
	addFileSeeds(f, "token.json")
	addHostileSeeds(f)
	for _, s := range []string{
		`{"access_token":"a","expires_in":9223372036854775807}`, `{"access_token":"a","expires_in":"-1"}`,
		`{"access_token":"a\r\nX-Evil: 1","expires_in":60}`, `{"access_token":"a b\u0000"}`, `{"access_token":" "}`,
		`{"access_token":1,"message":"` + fuzzPassword + `"}`, `{"access_token":"` + strings.Repeat("t", 5000) + `"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c := answeringClient(t, b)
		start := time.Now()
		tok, err := c.fetchToken(context.Background())
		if err != nil {
			assert.NotContains(t, err.Error(), fuzzPassword)
			return
		}
		require.NotNil(t, tok)
		assert.NotEmpty(t, strings.TrimSpace(tok.AccessToken))
		assert.True(t, validHeaderValue(tok.AccessToken), "an accepted token can be sent in a header: %q", tok.AccessToken)
		if !tok.ExpiresAt.IsZero() {
			assert.False(t, tok.ExpiresAt.Before(start), "a token does not expire before it was asked for: %s", tok.ExpiresAt)
		}
		var again tokenResponse
		require.NoError(t, json.Unmarshal(marshalable(t, map[string]any{"access_token": tok.AccessToken}), &again))
		assert.Equal(t, tok.AccessToken, again.AccessToken)
	})
}

// FuzzUsersMe fuzzes the answer of GET /users/me through enterprise.
func FuzzUsersMe(f *testing.F) {
	addFileSeeds(f, "users_me.json")
	addHostileSeeds(f)
	for _, s := range []string{
		`{"enterprise_id":"7"}`, `{"enterpriseId":7.0}`, `{"enterprise":{"id":-3},"enterprise_id":2}`, `{"enterprise":null}`,
		`{"enterprise":{"id":"x"}}`, `{"enterprise":[1]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		id, err := answeringClient(t, b).enterprise(context.Background())
		if err != nil {
			assert.Zero(t, id)
			return
		}
		assert.Positive(t, id, "an accepted answer names an enterprise")
		again, err := answeringClient(t, marshalable(t, map[string]any{"enterprise": map[string]any{"id": id}})).enterprise(context.Background())
		require.NoError(t, err)
		assert.Equal(t, id, again)
	})
}

// requireFieldError checks that err refuses the input before sending: a
// *ValidationError naming a field.
func requireFieldError(t *testing.T, err error) {
	t.Helper()
	var ve *ValidationError
	require.True(t, errors.As(err, &ve), "input is refused with a *ValidationError, got %v", err)
	assert.NotEmpty(t, ve.Field)
}

// assertSentExactly checks that q, sent at path on the API, arrives as
// exactly want: same keys, same values, byte for byte, nothing added.
func assertSentExactly(t *testing.T, path string, q, want url.Values) {
	t.Helper()
	c := answeringClient(t, nil)
	raw := c.endpoint(path, q).String()
	u, err := url.Parse(raw)
	require.NoError(t, err)
	assert.Equal(t, "/api"+path, u.Path, "nothing in a value changes the path")
	assert.Empty(t, u.Fragment, "nothing in a value starts a fragment")
	got, err := url.ParseQuery(u.RawQuery)
	require.NoError(t, err)
	if len(want) == 0 {
		assert.Empty(t, got)
		return
	}
	assert.Equal(t, want, got)
}

func FuzzCreateTicketQuery(f *testing.F) {
	f.Add("agent1", "client@example.com", "+33612345678", "1234", "Jean", "<b>desc</b>", "subject", "", "", true, true)
	f.Add("agent1", "", "+33612345678", "x&agent=evil", "a=b", "#frag", "%00", "scope", "other", false, false)
	f.Add(" a ", "a@b", "", "ref\r\nX: y", "?", "../x", "%2e%2e", "AGENT", "evil", false, true)
	f.Add("a\x00", "a,b@c", "+1", "\xff", "\u202e", "e\u0301", "😀", "x&y=z", "v&w", true, false)
	f.Fuzz(func(t *testing.T, agent, email, phone, reference, name, description, subject, extraKey, extraValue string, invite, sso bool) {
		p := &CreateTicketParams{Agent: agent, Invite: invite, Reference: reference, SSO: sso, Name: name, Description: description, Subject: subject}
		want := url.Values{"agent": {agent}}
		add := func(key, value string) {
			if value != "" {
				want.Set(key, value)
			}
		}
		if email != "" {
			p.Email = []string{email}
			want.Set("email", email)
		}
		if phone != "" {
			p.Phone = []string{phone}
			want.Set("phone", phone)
		}
		if invite {
			want.Set("invite", "1")
		}
		add("reference", reference)
		if sso {
			want.Set("scope", "sso")
		}
		add("name", name)
		add("description", description)
		add("subject", subject)
		if extraKey != "" {
			p.Extra = url.Values{extraKey: {extraValue}}
		}
		q, err := p.query()
		if err != nil {
			requireFieldError(t, err)
			return
		}
		if extraKey != "" {
			for name := range want {
				require.False(t, strings.EqualFold(name, extraKey), "an Extra key a field sets is refused: %q", extraKey)
			}
			want.Add(extraKey, extraValue)
		}
		assertSentExactly(t, "/tickets", q, want)
	})
}

func FuzzCreateConferenceQuery(f *testing.F) {
	f.Add("client@example.com", "+33612345678", "TEST", "hello", "1234#", "agent1", "fr", "", "", int64(30), int64(5), int64(0), int64(0), true, false, uint8(0))
	f.Add(" a@b.c ", "", "x&name=evil", "a\r\nb", "12*", "#frag", "%00", "participants", "evil", int64(-1), int64(61), int64(-2), int64(253402300800), false, true, uint8(1))
	f.Add(`"x,+33612345678"@evil.com`, "0612345678", "\xff", "😀", "", "../", "a=b", "Participants", "v", int64(0), int64(0), int64(7), int64(-62135596800), true, true, uint8(2))
	f.Fuzz(func(t *testing.T, participant1, participant2, name, message, password, moderator, language, extraKey, extraValue string,
		durationMin, reminderMin, templateID, startUnix int64, moderation, open bool, invite uint8) {
		p := &CreateConferenceParams{Name: name, Moderation: moderation, Moderator: moderator, Message: message, Password: password,
			Duration: time.Duration(durationMin) * time.Minute, Reminder: time.Duration(reminderMin) * time.Minute,
			Open: open, Language: language, TemplateID: templateID}
		for _, part := range []string{participant1, participant2} {
			if part != "" {
				p.Participants = append(p.Participants, part)
			}
		}
		if startUnix != 0 {
			p.StartTime = time.Unix(startUnix, 0)
		}
		switch invite % 3 {
		case 1:
			p.Invite = new(bool)
		case 2:
			yes := true
			p.Invite = &yes
		}
		// A bit of invite sets SSO: a new argument would orphan the corpus.
		p.SSO = invite&4 != 0
		if extraKey != "" {
			p.Extra = url.Values{extraKey: {extraValue}}
		}
		q, err := createConferenceQuery(p)
		if err != nil {
			requireFieldError(t, err)
			return
		}
		trimmed := make([]string, len(p.Participants))
		for i, part := range p.Participants {
			trimmed[i] = strings.TrimSpace(part)
		}
		want := url.Values{"participants": {strings.Join(trimmed, ",")}}
		assert.Len(t, strings.Split(want.Get("participants"), ","), len(p.Participants), "each participant is one item of the wire list")
		set := func(key, value string, ok bool) {
			if ok {
				want.Set(key, value)
			}
		}
		set("name", name, name != "")
		set("moderation", "true", moderation)
		set("invite", "false", invite%3 == 1)
		set("invite", "true", invite%3 == 2)
		set("moderator", moderator, moderator != "")
		set("message", message, message != "")
		set("password", password, password != "")
		set("startTime", p.StartTime.UTC().Format(time.RFC3339), startUnix != 0)
		set("duration", strconv.FormatInt(durationMin, 10), durationMin != 0)
		set("reminder", strconv.FormatInt(reminderMin, 10), reminderMin != 0)
		set("open", "true", open)
		set("language", language, language != "")
		set("templateId", strconv.FormatInt(templateID, 10), templateID != 0)
		set("scope", "sso", p.SSO)
		if extraKey != "" {
			require.False(t, want.Has(extraKey), "an Extra key a field sends is refused: %q", extraKey)
			want.Set(extraKey, extraValue)
		}
		if startUnix != 0 {
			_, err := time.Parse(time.RFC3339, want.Get("startTime"))
			assert.NoError(t, err, "StartTime is sent as RFC 3339")
		}
		assertSentExactly(t, "/conferences", q, want)
	})
}

// FuzzListQueries fuzzes the ticket, conference, session and conference
// media list queries with the paging every page adds.
func FuzzListQueries(f *testing.F) {
	f.Add("1234", "date", "desc", 10, 0, int64(1689206400), int64(1689292800))
	f.Add("x&limit=1000", "date&order=asc", "asc", 0, 5, int64(0), int64(0))
	f.Add("#frag", "?", "ASC", -1, -1, int64(-62135596800), int64(253402300800))
	f.Add("\x00\r\n\t", "%2e%2e/", "", 1<<62, 1<<62, int64(1689292800), int64(1689206400))
	f.Fuzz(func(t *testing.T, text, orderBy, order string, limit, offset int, sinceUnix, untilUnix int64) {
		var since, until time.Time
		if sinceUnix != 0 {
			since = time.Unix(sinceUnix, 0)
		}
		if untilUnix != 0 {
			until = time.Unix(untilUnix, 0)
		}
		common := url.Values{}
		if !since.IsZero() {
			common.Set("since", since.UTC().Format(time.RFC3339))
		}
		if !until.IsZero() {
			common.Set("until", until.UTC().Format(time.RFC3339))
		}
		if limit > 0 {
			common.Set("limit", strconv.Itoa(limit))
		}
		if offset > 0 {
			common.Set("offset", strconv.Itoa(offset))
		}
		with := func(extra ...string) url.Values {
			out := cloneQuery(common)
			for i := 0; i+1 < len(extra); i += 2 {
				if extra[i+1] != "" {
					out.Set(extra[i], extra[i+1])
				}
			}
			return out
		}
		check := func(path string, q url.Values, err error, want url.Values) {
			if err != nil {
				requireFieldError(t, err)
				return
			}
			setPaging(q, offset, limit)
			assertSentExactly(t, path, q, want)
		}
		q, err := (&ListTicketsParams{Reference: text, Since: since, Until: until, OrderBy: orderBy, Order: Order(order), Limit: limit, Offset: offset}).query()
		check("/tickets", q, err, with("reference", text, "orderby", orderBy, "order", order))
		q, err = listConferencesQuery(&ListConferencesParams{Search: text, Since: since, Until: until, OrderBy: orderBy, Order: Order(order), Limit: limit, Offset: offset})
		check("/conferences", q, err, with("search", text, "orderby", orderBy, "order", order))
		q, err = listSessionsQuery(&ListSessionsParams{ServiceKey: text, Since: since, Until: until, Limit: limit, Offset: offset})
		check("/session", q, err, with("service_key", text))
		q, err = conferenceMediaQuery(1, &ListMediaParams{OrderBy: orderBy, Order: Order(order), Limit: limit, Offset: offset})
		mediaWant := url.Values{}
		for k, v := range with("orderby", orderBy, "order", order) {
			if k != "since" && k != "until" {
				mediaWant[k] = v
			}
		}
		check("/conferences/1/media", q, err, mediaWant)
	})
}

// TestDecodedTimesAreUTC: an offset equal to the machine's own made Go's
// parser return time.Local, so the same answer decoded to different values
// on different machines (and failed the re-encoding check above).
func TestDecodedTimesAreUTC(t *testing.T) {
	_, local := time.Now().Zone()
	sign := "+"
	if local < 0 {
		sign, local = "-", -local
	}
	for _, offset := range []string{fmt.Sprintf("%s%02d:%02d", sign, local/3600, local%3600/60), "+02:00", "Z"} {
		stamp := "2023-07-13T16:24:04" + offset
		var m Media
		require.NoError(t, json.Unmarshal([]byte(`{"created":"`+stamp+`"}`), &m))
		var s TicketStat
		require.NoError(t, json.Unmarshal([]byte(`{"Date de début de session":"`+stamp+`","Date de fin":"`+stamp+`"}`), &s))
		for _, at := range []time.Time{m.Created, s.SessionStart, s.SessionEnd} {
			assert.Equal(t, time.UTC, at.Location(), stamp)
			want, _ := time.Parse(time.RFC3339, stamp)
			assert.True(t, want.Equal(at), stamp)
		}
	}
}
