package apizee_test

import (
	"context"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee"
	"github.com/apizee-go/apizee/apizeetest"
)

// meetingBaseURL is the base URL of the httpmock tests of the meeting
// services (conferences, their media, sessions).
const meetingBaseURL = "https://apizee.test/api"

// meetingMock is an httpmock transport behind a client, recording every
// request its responders answer.
type meetingMock struct {
	*httpmock.MockTransport
	client *apizee.Client

	mu   sync.Mutex
	seen []*http.Request
}

// newMeetingMock returns a client with the fixed token "t" (opts come last
// and win) over a fresh mock transport with no responder.
func newMeetingMock(t *testing.T, opts ...apizee.Option) *meetingMock {
	t.Helper()
	m := &meetingMock{MockTransport: httpmock.NewMockTransport()}
	c, err := apizee.NewClient(append([]apizee.Option{apizee.WithBaseURL(meetingBaseURL), apizee.WithToken("t"),
		apizee.WithHTTPClient(&http.Client{Transport: m.MockTransport})}, opts...)...)
	require.NoError(t, err)
	m.client = c
	return m
}

// handle answers method path (relative to the base URL, any query) with h,
// recording each request.
func (m *meetingMock) handle(method, path string, h func(r *http.Request) (int, string)) {
	m.RegisterResponder(method, meetingBaseURL+path, func(r *http.Request) (*http.Response, error) {
		m.mu.Lock()
		m.seen = append(m.seen, r)
		m.mu.Unlock()
		status, body := h(r)
		return httpmock.NewStringResponse(status, body), nil
	})
}

// answer answers method path with a fixed status and body.
func (m *meetingMock) answer(method, path string, status int, body string) {
	m.handle(method, path, func(*http.Request) (int, string) { return status, body })
}

// requests returns what the responders answered, in order.
func (m *meetingMock) requests() []*http.Request {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]*http.Request(nil), m.seen...)
}

// only returns the one request the mock answered.
func (m *meetingMock) only(t *testing.T) *http.Request {
	t.Helper()
	seen := m.requests()
	require.Len(t, seen, 1)
	return seen[0]
}

// meetingFixture reads a recorded response from testdata/.
func meetingFixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return string(b)
}

// conferenceJSON is one conference object of a list.
func conferenceJSON(id int64, name, created string) string {
	return fmt.Sprintf(`{"id":%d,"name":%q,"created":%q,"url":"https://meet.apizee.com/private/a/%d"}`, id, name, created, id)
}

// servePages answers a {"total","data"} list of total items, made by item,
// honouring limit and offset like the API.
func servePages(total int, item func(i int) string) func(r *http.Request) (int, string) {
	return func(r *http.Request) (int, string) {
		q := r.URL.Query()
		offset, _ := strconv.Atoi(q.Get("offset"))
		limit, err := strconv.Atoi(q.Get("limit"))
		if err != nil {
			limit = 10
		}
		var data []string
		for i := offset; i < min(offset+limit, total); i++ {
			data = append(data, item(i))
		}
		return http.StatusOK, fmt.Sprintf(`{"total":%d,"data":[%s]}`, total, strings.Join(data, ","))
	}
}

// rfc3339 parses a test timestamp.
func rfc3339(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// guideConference is the guide's create response, decoded.
var guideConference = apizee.Conference{
	ID:             842199,
	Name:           "TEST",
	Created:        rfc3339("2023-07-13T08:28:31Z"),
	Modified:       rfc3339("2023-07-13T08:28:31Z"),
	StartTime:      rfc3339("2023-07-13T08:28:31Z"),
	EndTime:        rfc3339("2023-07-13T09:28:31Z"),
	Status:         "scheduled",
	RoomName:       "7a3dc7993234907508525829e02f2388:ae226154999f5d50f9e6f909e27c5113",
	URL:            "https://meet.apizee.com/private/7a3dc7993234907508525829e02f2388/ae226154999f5d50f9e6f909e27c5113",
	ShortURL:       "https://apz.fr/v639BqrklV",
	SIPPhoneNumber: "+33 2 57 57 97 61",
	SIPDTMFCode:    "342543",
	Organizer:      &apizee.Party{ID: 2888, Name: "Agent 1"},
	CreatedBy:      &apizee.Party{ID: 1234, Name: "API"},
	Moderator:      &apizee.Party{ID: 2899, Name: "Dr Doe"},
	ServiceKey:     "f7a0300abf044e86bfcc7d9ae906381e",
}

func TestConferenceCreateQuery(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	require.NoError(t, err)
	yes, no := true, false
	tests := []struct {
		name   string
		params apizee.CreateConferenceParams
		want   url.Values
	}{
		{
			name: "the guide's example (with the participant's phone in international form)",
			params: apizee.CreateConferenceParams{Participants: []string{"invite12345@yopmail.com", "+33612345678"},
				Name: "TEST", Moderation: true, Invite: &yes, Moderator: "agent1@apizee.com"},
			want: url.Values{"participants": {"invite12345@yopmail.com,+33612345678"}, "name": {"TEST"},
				"moderation": {"true"}, "invite": {"true"}, "moderator": {"agent1@apizee.com"}},
		},
		{
			name:   "only participants: false, zero and nil are not sent",
			params: apizee.CreateConferenceParams{Participants: []string{" guest@example.com "}},
			want:   url.Values{"participants": {"guest@example.com"}},
		},
		{
			name:   "invite false is sent: the API default is true",
			params: apizee.CreateConferenceParams{Participants: []string{"+33612345678"}, Invite: &no},
			want:   url.Values{"participants": {"+33612345678"}, "invite": {"false"}},
		},
		{
			name: "every field",
			params: apizee.CreateConferenceParams{
				Participants: []string{"a@example.com", "+447700900123", "b@example.org"},
				Name:         "Weekly review", Moderation: true, Invite: &yes, Moderator: "2899",
				Message: "See you there", Password: "12*#34",
				StartTime: time.Date(2026, 3, 2, 16, 30, 15, 0, paris), Duration: 90 * time.Minute,
				Reminder: 15 * time.Minute, Open: true, Language: "fr", TemplateID: 42,
				Extra: url.Values{"serviceKey": {"f7a0"}, "tag": {"x", "y"}},
			},
			want: url.Values{
				"participants": {"a@example.com,+447700900123,b@example.org"},
				"name":         {"Weekly review"}, "moderation": {"true"}, "invite": {"true"}, "moderator": {"2899"},
				"message": {"See you there"}, "password": {"12*#34"},
				"startTime": {"2026-03-02T15:30:15Z"}, "duration": {"90"}, "reminder": {"15"},
				"open": {"true"}, "language": {"fr"}, "templateId": {"42"},
				"serviceKey": {"f7a0"}, "tag": {"x", "y"},
			},
		},
		{
			name:   "a name of 255 characters, not bytes",
			params: apizee.CreateConferenceParams{Participants: []string{"a@example.com"}, Name: strings.Repeat("é", 255)},
			want:   url.Values{"participants": {"a@example.com"}, "name": {strings.Repeat("é", 255)}},
		},
		{
			name:   "Extra may set what no field sets",
			params: apizee.CreateConferenceParams{Participants: []string{"a@example.com"}, Extra: url.Values{"moderation": {"false"}}},
			want:   url.Values{"participants": {"a@example.com"}, "moderation": {"false"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMeetingMock(t)
			m.answer(http.MethodPost, "/conferences", http.StatusOK, meetingFixture(t, "conference_create.json"))

			_, err := m.client.Conferences.Create(t.Context(), &tt.params)
			require.NoError(t, err)

			req := m.only(t)
			assert.Equal(t, http.MethodPost, req.Method)
			assert.Equal(t, "/api/conferences", req.URL.Path)
			assert.Equal(t, tt.want, req.URL.Query())
			assert.Equal(t, "Bearer t", req.Header.Get("Authorization"))
			if req.Body != nil {
				body := make([]byte, 1)
				n, _ := req.Body.Read(body)
				assert.Zero(t, n, "the parameters travel in the query, the body is empty")
			}
		})
	}
}

func TestConferenceCreateDecodesTheGuideResponse(t *testing.T) {
	m := newMeetingMock(t)
	m.answer(http.MethodPost, "/conferences", http.StatusOK, meetingFixture(t, "conference_create.json"))

	conf, err := m.client.Conferences.Create(t.Context(), &apizee.CreateConferenceParams{Participants: []string{"+33612345678"}})
	require.NoError(t, err)
	assert.Equal(t, guideConference, *conf)
}

func TestConferenceDecoding(t *testing.T) {
	tests := []struct {
		name string
		body string
		want *apizee.Conference // nil: refused
	}{
		{"string id and numeric codes", `{"id":"7","sip_dtmf_code":31092,"organizer":{"id":"5","name":"A"}}`,
			&apizee.Conference{ID: 7, SIPDTMFCode: "31092", Organizer: &apizee.Party{ID: 5, Name: "A"}}},
		{"nulls everywhere", `{"id":8,"name":null,"created":null,"moderator":null,"sip_phone_number":null,"status":null}`,
			&apizee.Conference{ID: 8}},
		{"unknown fields and statuses kept", `{"id":9,"status":"archived","new_field":{"x":1}}`,
			&apizee.Conference{ID: 9, Status: "archived"}},
		{"timestamps without zone are UTC", `{"id":10,"start_time":"2023-07-13 08:28:31"}`,
			&apizee.Conference{ID: 10, StartTime: rfc3339("2023-07-13T08:28:31Z")}},
		{"times are given in UTC", `{"id":12,"created":"2023-07-13T10:28:31+02:00"}`,
			&apizee.Conference{ID: 12, Created: rfc3339("2023-07-13T08:28:31Z")}},
		{"a 200 that is an error message", `{"message":"something went wrong"}`, nil},
		{"no id", `{"name":"TEST"}`, nil},
		{"a list", `[]`, nil},
		{"not JSON", `<html>ok</html>`, nil},
		{"a bad timestamp", `{"id":11,"created":"yesterday"}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMeetingMock(t)
			m.answer(http.MethodGet, "/conferences/7", http.StatusOK, tt.body)
			conf, err := m.client.Conferences.Get(t.Context(), 7)
			if tt.want == nil {
				var decodeErr *apizee.DecodeError
				require.ErrorAs(t, err, &decodeErr)
				assert.Nil(t, conf)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, *tt.want, *conf)
		})
	}
}

// TestMeetingValidationSendsNothing covers every input the meeting services
// refuse. The client authenticates with credentials and the mock answers
// every endpoint, so any request (even /token) would be counted.
func TestMeetingValidationSendsNothing(t *testing.T) {
	create := func(p apizee.CreateConferenceParams) func(context.Context, *apizee.Client) error {
		if p.Participants == nil {
			p.Participants = []string{"guest@example.com"}
		}
		return func(ctx context.Context, c *apizee.Client) error {
			_, err := c.Conferences.Create(ctx, &p)
			return err
		}
	}
	none := []string{}
	may5, may6 := time.Date(2026, 5, 5, 0, 0, 0, 0, time.UTC), time.Date(2026, 5, 6, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		field string
		call  func(context.Context, *apizee.Client) error
	}{
		{"no participants", "Participants", create(apizee.CreateConferenceParams{Participants: none})},
		{"nil params", "Participants", func(ctx context.Context, c *apizee.Client) error {
			_, err := c.Conferences.Create(ctx, nil)
			return err
		}},
		{"an empty participant", "Participants", create(apizee.CreateConferenceParams{Participants: []string{"a@example.com", " "}})},
		{"the guide's national phone 0612345678", "Participants", create(apizee.CreateConferenceParams{Participants: []string{"0612345678"}})},
		{"a phone with spaces", "Participants", create(apizee.CreateConferenceParams{Participants: []string{"+33 6 12 34 56 78"}})},
		{"a phone too short", "Participants", create(apizee.CreateConferenceParams{Participants: []string{"+3361234"}})},
		{"a phone too long", "Participants", create(apizee.CreateConferenceParams{Participants: []string{"+3361234567890123"}})},
		{"an email without @", "Participants", create(apizee.CreateConferenceParams{Participants: []string{"guest.example.com"}})},
		{"an email with a display name", "Participants", create(apizee.CreateConferenceParams{Participants: []string{"Guest <guest@example.com>"}})},
		{"two participants in one item", "Participants", create(apizee.CreateConferenceParams{Participants: []string{"a@example.com,b@example.com"}})},
		{"a password with letters", "Password", create(apizee.CreateConferenceParams{Password: "12ab"})},
		{"a password with a space", "Password", create(apizee.CreateConferenceParams{Password: "12 34"})},
		{"a name of one character", "Name", create(apizee.CreateConferenceParams{Name: "x"})},
		{"a name of 256 characters", "Name", create(apizee.CreateConferenceParams{Name: strings.Repeat("é", 256)})},
		{"a message of 301 characters", "Message", create(apizee.CreateConferenceParams{Message: strings.Repeat("m", 301)})},
		{"a reminder of 61 minutes", "Reminder", create(apizee.CreateConferenceParams{Reminder: 61 * time.Minute})},
		{"a reminder of 30 seconds", "Reminder", create(apizee.CreateConferenceParams{Reminder: 30 * time.Second})},
		{"a reminder of 90 seconds", "Reminder", create(apizee.CreateConferenceParams{Reminder: 90 * time.Second})},
		{"a negative reminder", "Reminder", create(apizee.CreateConferenceParams{Reminder: -time.Minute})},
		{"a duration of 90 seconds", "Duration", create(apizee.CreateConferenceParams{Duration: 90 * time.Second})},
		{"a negative duration", "Duration", create(apizee.CreateConferenceParams{Duration: -time.Hour})},
		{"a duration under a minute", "Duration", create(apizee.CreateConferenceParams{Duration: time.Second})},
		{"a negative template id", "TemplateID", create(apizee.CreateConferenceParams{TemplateID: -1})},
		{"Extra overriding a set field", "Extra", create(apizee.CreateConferenceParams{Name: "Team", Extra: url.Values{"name": {"Other"}}})},
		{"Extra overriding the participants", "Extra", create(apizee.CreateConferenceParams{Extra: url.Values{"participants": {"x@example.com"}}})},
		{"Get id 0", "ID", func(ctx context.Context, c *apizee.Client) error { _, err := c.Conferences.Get(ctx, 0); return err }},
		{"Get id -1", "ID", func(ctx context.Context, c *apizee.Client) error { _, err := c.Conferences.Get(ctx, -1); return err }},
		{"List Since after Until", "Since", func(ctx context.Context, c *apizee.Client) error {
			_, err := c.Conferences.List(ctx, &apizee.ListConferencesParams{Since: may6, Until: may5})
			return err
		}},
		{"List negative limit", "Limit", func(ctx context.Context, c *apizee.Client) error {
			_, err := c.Conferences.List(ctx, &apizee.ListConferencesParams{Limit: -1})
			return err
		}},
		{"List unknown order", "Order", func(ctx context.Context, c *apizee.Client) error {
			_, err := c.Conferences.List(ctx, &apizee.ListConferencesParams{Order: "sideways"})
			return err
		}},
		{"All Since after Until", "Since", func(ctx context.Context, c *apizee.Client) error {
			for _, err := range c.Conferences.All(ctx, &apizee.ListConferencesParams{Since: may6, Until: may5}) {
				return err
			}
			return nil
		}},
		{"FindByName empty", "Name", func(ctx context.Context, c *apizee.Client) error {
			_, err := c.Conferences.FindByName(ctx, "")
			return err
		}},
		{"FindByName blank", "Name", func(ctx context.Context, c *apizee.Client) error {
			_, err := c.Conferences.FindByName(ctx, "  ")
			return err
		}},
		{"conference media id 0", "ConferenceID", func(ctx context.Context, c *apizee.Client) error {
			_, err := c.Media.ListForConference(ctx, 0, nil)
			return err
		}},
		{"all conference media id -5", "ConferenceID", func(ctx context.Context, c *apizee.Client) error {
			for _, err := range c.Media.AllForConference(ctx, -5, nil) {
				return err
			}
			return nil
		}},
		{"conference media negative offset", "Offset", func(ctx context.Context, c *apizee.Client) error {
			_, err := c.Media.ListForConference(ctx, 842341, &apizee.ListMediaParams{Offset: -1})
			return err
		}},
		{"Sessions Since after Until", "Since", func(ctx context.Context, c *apizee.Client) error {
			_, err := c.Sessions.List(ctx, &apizee.ListSessionsParams{Since: may6, Until: may5})
			return err
		}},
		{"Sessions negative limit", "Limit", func(ctx context.Context, c *apizee.Client) error {
			_, err := c.Sessions.List(ctx, &apizee.ListSessionsParams{Limit: -10})
			return err
		}},
		{"all Sessions negative offset", "Offset", func(ctx context.Context, c *apizee.Client) error {
			for _, err := range c.Sessions.All(ctx, &apizee.ListSessionsParams{Offset: -1}) {
				return err
			}
			return nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMeetingMock(t, apizee.WithCredentials("agent1@apizee.com", "s3cret"))
			m.answer(http.MethodPost, "/token", http.StatusOK, `{"access_token":"tok","expires_in":3600}`)
			for _, path := range []string{"/conferences", "/conferences/0", "/conferences/-1", "/session", "/conferences/-5/media", "/conferences/0/media", "/conferences/842341/media"} {
				m.answer(http.MethodGet, path, http.StatusOK, `{"total":0,"data":[]}`)
			}
			m.answer(http.MethodPost, "/conferences", http.StatusOK, meetingFixture(t, "conference_create.json"))
			m.RegisterNoResponder(httpmock.NewStringResponder(http.StatusOK, `{}`))

			err := tt.call(t.Context(), m.client)

			var ve *apizee.ValidationError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, tt.field, ve.Field, "%v", err)
			assert.Zero(t, m.GetTotalCallCount(), "no request is sent, not even /token")
			assert.NotContains(t, err.Error(), "s3cret")
		})
	}
}

func TestConferenceNationalPhoneErrorShowsTheInternationalForm(t *testing.T) {
	m := newMeetingMock(t)
	_, err := m.client.Conferences.Create(t.Context(), &apizee.CreateConferenceParams{Participants: []string{"a@example.com", "0612345678"}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `item 1 "0612345678" is a national phone number`)
	assert.Contains(t, err.Error(), "international form")
}

func TestConferencePasswordNeverInErrorsOrLogs(t *testing.T) {
	const password = "4821#*"
	tests := []struct {
		name    string
		respond httpmock.Responder
	}{
		{"a server that quotes the request", func(r *http.Request) (*http.Response, error) {
			return httpmock.NewStringResponse(http.StatusBadRequest,
				fmt.Sprintf(`{"code":10,"message":"bad request %s","details":"password=%s"}`, r.URL, r.URL.Query().Get("password"))), nil
		}},
		{"a connection failure", httpmock.NewErrorResponder(errors.New("connection reset by peer"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs strings.Builder
			logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			m := newMeetingMock(t, apizee.WithLogger(logger))
			m.RegisterResponder(http.MethodPost, meetingBaseURL+"/conferences", tt.respond)

			_, err := m.client.Conferences.Create(t.Context(), &apizee.CreateConferenceParams{Participants: []string{"a@example.com"}, Password: password})
			require.Error(t, err)
			require.Equal(t, 1, m.GetTotalCallCount(), "the password reached the server")
			text := fmt.Sprintf("%v|%+v|%#v|%s", err, err, err, err)
			if cause := errors.Unwrap(err); cause != nil {
				text += cause.Error()
			}
			for _, secret := range []string{password, url.QueryEscape(password)} {
				assert.NotContains(t, text, secret)
				assert.NotContains(t, logs.String(), secret)
			}
		})
	}
	t.Run("a refused password is not quoted", func(t *testing.T) {
		m := newMeetingMock(t)
		_, err := m.client.Conferences.Create(t.Context(), &apizee.CreateConferenceParams{Participants: []string{"a@example.com"}, Password: "hunter2"})
		require.Error(t, err)
		assert.NotContains(t, err.Error(), "hunter2")
	})
}

func TestConferenceCreateWithoutTheServiceExplainsIt(t *testing.T) {
	m := newMeetingMock(t)
	m.answer(http.MethodPost, "/conferences", http.StatusForbidden, `{"message": "user is not allowed to create conferences"}`)

	conf, err := m.client.Conferences.Create(t.Context(), &apizee.CreateConferenceParams{Participants: []string{"a@example.com"}})
	require.Error(t, err)
	assert.Nil(t, conf)
	assert.ErrorIs(t, err, apizee.ErrForbidden)
	var apiErr *apizee.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "user is not allowed to create conferences", apiErr.Message, "the API's own message is kept")
	assert.Contains(t, err.Error(), "user is not allowed to create conferences")
	assert.Contains(t, err.Error(), "Video Meeting (conference) service enabled on the Apizee account")
}

func TestConferenceErrorsWithoutTheServiceHint(t *testing.T) {
	tests := []struct {
		name   string
		method string
		status int
		call   func(context.Context, *apizee.Client) error
	}{
		{"a refused parameter on create", http.MethodPost, http.StatusBadRequest, func(ctx context.Context, c *apizee.Client) error {
			_, err := c.Conferences.Create(ctx, &apizee.CreateConferenceParams{Participants: []string{"a@example.com"}})
			return err
		}},
		{"another account's conference", http.MethodGet, http.StatusForbidden, func(ctx context.Context, c *apizee.Client) error {
			_, err := c.Conferences.Get(ctx, 1)
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMeetingMock(t)
			m.answer(tt.method, "/conferences", tt.status, `{"code":10,"message":"Invalid parameter","details":"Parameter name"}`)
			m.answer(tt.method, "/conferences/1", tt.status, `{"code":2,"message":"Forbidden"}`)
			err := tt.call(t.Context(), m.client)
			var apiErr *apizee.APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, tt.status, apiErr.StatusCode)
			assert.NotContains(t, err.Error(), "Video Meeting", "the hint is for creating without the service only")
		})
	}
}

func TestConferenceCreateIsNotRetriedAfterAServerError(t *testing.T) {
	m := newMeetingMock(t)
	m.answer(http.MethodPost, "/conferences", http.StatusBadGateway, `{"message":"upstream"}`)
	_, err := m.client.Conferences.Create(t.Context(), &apizee.CreateConferenceParams{Participants: []string{"a@example.com"}})
	assert.ErrorIs(t, err, apizee.ErrServer)
	assert.Len(t, m.requests(), 1, "the room may exist: a second POST could create another")
}

func TestConferenceGet(t *testing.T) {
	m := newMeetingMock(t)
	m.answer(http.MethodGet, "/conferences/842199", http.StatusOK, meetingFixture(t, "conference_create.json"))
	conf, err := m.client.Conferences.Get(t.Context(), 842199)
	require.NoError(t, err)
	assert.Equal(t, guideConference, *conf)
	req := m.only(t)
	assert.Equal(t, http.MethodGet, req.Method)
	assert.Empty(t, req.URL.RawQuery)
}

func TestConferenceGetUnknown(t *testing.T) {
	m := newMeetingMock(t)
	m.answer(http.MethodGet, "/conferences/5", http.StatusNotFound, `{"message":"Conference not found"}`)
	conf, err := m.client.Conferences.Get(t.Context(), 5)
	assert.Nil(t, conf)
	assert.ErrorIs(t, err, apizee.ErrNotFound)
}

func TestConferenceListQuery(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	require.NoError(t, err)
	tests := []struct {
		name   string
		params *apizee.ListConferencesParams
		want   url.Values
	}{
		{"nil params send nothing", nil, url.Values{}},
		{"the guide's search", &apizee.ListConferencesParams{Search: "TEST", Since: rfc3339("2023-07-11T00:00:00Z"),
			OrderBy: "date", Order: apizee.OrderDesc, Limit: 100},
			url.Values{"search": {"TEST"}, "since": {"2023-07-11T00:00:00Z"}, "orderby": {"date"}, "order": {"desc"}, "limit": {"100"}}},
		{"times go out in UTC", &apizee.ListConferencesParams{Since: time.Date(2023, 7, 11, 0, 0, 0, 0, paris),
			Until: time.Date(2023, 7, 12, 23, 59, 59, 0, paris), Order: apizee.OrderAsc, Offset: 20},
			url.Values{"since": {"2023-07-10T22:00:00Z"}, "until": {"2023-07-12T21:59:59Z"}, "order": {"asc"}, "offset": {"20"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMeetingMock(t)
			m.answer(http.MethodGet, "/conferences", http.StatusOK, meetingFixture(t, "conferences_list.json"))
			page, err := m.client.Conferences.List(t.Context(), tt.params)
			require.NoError(t, err)
			assert.Equal(t, tt.want, m.only(t).URL.Query())
			require.Len(t, page.Items, 1)
			assert.Equal(t, 1, page.Total)
		})
	}
}

func TestConferenceListDecodesTheGuideResponse(t *testing.T) {
	m := newMeetingMock(t)
	m.answer(http.MethodGet, "/conferences", http.StatusOK, meetingFixture(t, "conferences_list.json"))
	page, err := m.client.Conferences.List(t.Context(), &apizee.ListConferencesParams{Limit: 10, Offset: 0})
	require.NoError(t, err)
	assert.Equal(t, 1, page.Total)
	assert.Equal(t, 10, page.Limit)
	require.Len(t, page.Items, 1)
	assert.Equal(t, apizee.Conference{
		ID: 842341, Name: "TEST XX",
		Created: rfc3339("2023-07-13T16:21:57Z"), Modified: rfc3339("2023-07-13T16:23:36Z"),
		StartTime: rfc3339("2023-07-13T16:21:57Z"), EndTime: rfc3339("2023-07-13T17:21:57Z"),
		Status:         "ongoing",
		RoomName:       "7a3dc7993234907508525829e02f2388:5c310ee2210c24730a12929e1ec10a21",
		URL:            "https://meet.apizee.com/private/7a3dc7993234907508525829e02f2388/5c310ee2210c24730a12929e1ec10a21",
		ShortURL:       "https://apz.fr/5lKzrPDXWQ",
		SIPPhoneNumber: "+33 2 57 57 97 61", SIPDTMFCode: "031092",
		Organizer: &apizee.Party{ID: 2899231, Name: "Dr Doe"}, CreatedBy: &apizee.Party{ID: 1234, Name: "API"},
		Moderator: &apizee.Party{ID: 2899, Name: "Dr Doe"}, ServiceKey: "f7a0300abf044e86bfcc7d9ae906381e",
	}, page.Items[0])
}

func TestConferenceAllWalksEveryPageWithTheFilters(t *testing.T) {
	m := newMeetingMock(t)
	m.handle(http.MethodGet, "/conferences", servePages(5, func(i int) string {
		return conferenceJSON(int64(100+i), "Daily", "2023-07-13T16:21:57+00:00")
	}))
	var ids []int64
	for conf, err := range m.client.Conferences.All(t.Context(), &apizee.ListConferencesParams{Search: "Daily", Limit: 2, OrderBy: "date"}) {
		require.NoError(t, err)
		ids = append(ids, conf.ID)
	}
	assert.Equal(t, []int64{100, 101, 102, 103, 104}, ids)
	var offsets []string
	for _, r := range m.requests() {
		assert.Equal(t, "Daily", r.URL.Query().Get("search"), "every page keeps the filters")
		assert.Equal(t, "date", r.URL.Query().Get("orderby"))
		assert.Equal(t, "2", r.URL.Query().Get("limit"))
		offsets = append(offsets, r.URL.Query().Get("offset"))
	}
	assert.Equal(t, []string{"", "2", "4"}, offsets, "stops at the total")
}

func TestConferenceAllStopsWhenTheLoopBreaks(t *testing.T) {
	m := newMeetingMock(t)
	m.handle(http.MethodGet, "/conferences", servePages(50, func(i int) string {
		return conferenceJSON(int64(100+i), "Daily", "2023-07-13T16:21:57+00:00")
	}))
	for conf, err := range m.client.Conferences.All(t.Context(), &apizee.ListConferencesParams{Limit: 10}) {
		require.NoError(t, err)
		if conf.ID == 105 {
			break
		}
	}
	assert.Len(t, m.requests(), 1)
}

func TestConferenceAllYieldsTheErrorOnce(t *testing.T) {
	m := newMeetingMock(t)
	m.answer(http.MethodGet, "/conferences", http.StatusForbidden, `{"message":"no"}`)
	var errs []error
	for conf, err := range m.client.Conferences.All(t.Context(), nil) {
		assert.Nil(t, conf)
		errs = append(errs, err)
	}
	require.Len(t, errs, 1)
	assert.ErrorIs(t, errs[0], apizee.ErrForbidden)
}

func TestConferenceFindByName(t *testing.T) {
	tests := []struct {
		name  string
		items []string // every conference the search returns, over several pages
		want  int64
	}{
		{"the guide's substring match is not a match", []string{
			conferenceJSON(842341, "TEST XX", "2023-07-13T16:21:57+00:00"),
			conferenceJSON(842199, "TEST", "2023-07-13T08:28:31+00:00"),
		}, 842199},
		{"the case counts", []string{
			conferenceJSON(1, "test", "2023-07-14T08:00:00+00:00"),
			conferenceJSON(2, "TEST", "2023-07-13T08:00:00+00:00"),
		}, 2},
		{"the newest wins wherever it sits", []string{
			conferenceJSON(10, "TEST", "2023-07-13T08:00:00+00:00"),
			conferenceJSON(11, "TEST X", "2023-07-20T08:00:00+00:00"),
			conferenceJSON(12, "TEST", "2023-07-15T08:00:00+02:00"),
			conferenceJSON(13, "TEST", "2023-07-14T08:00:00+00:00"),
		}, 12},
		{"a tie goes to the higher id", []string{
			conferenceJSON(21, "TEST", "2023-07-13T08:00:00+00:00"),
			conferenceJSON(23, "TEST", "2023-07-13T10:00:00+02:00"),
			conferenceJSON(22, "TEST", "2023-07-13T08:00:00+00:00"),
		}, 23},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMeetingMock(t)
			m.handle(http.MethodGet, "/conferences", servePages(len(tt.items), func(i int) string { return tt.items[i] }))
			conf, err := m.client.Conferences.FindByName(t.Context(), "TEST")
			require.NoError(t, err)
			assert.Equal(t, tt.want, conf.ID)
			for _, r := range m.requests() {
				assert.Equal(t, "TEST", r.URL.Query().Get("search"))
			}
		})
	}
}

func TestConferenceFindByNameWalksEveryPage(t *testing.T) {
	m := newMeetingMock(t)
	m.handle(http.MethodGet, "/conferences", servePages(250, func(i int) string {
		name := fmt.Sprintf("TEST %d", i)
		if i == 230 {
			name = "TEST"
		}
		return conferenceJSON(int64(1000+i), name, "2023-07-13T08:00:00+00:00")
	}))
	conf, err := m.client.Conferences.FindByName(t.Context(), "TEST")
	require.NoError(t, err)
	assert.Equal(t, int64(1230), conf.ID)
	assert.Len(t, m.requests(), 3)
}

func TestConferenceFindByNameWithoutAnExactMatch(t *testing.T) {
	m := newMeetingMock(t)
	m.answer(http.MethodGet, "/conferences", http.StatusOK, meetingFixture(t, "conferences_list.json"))
	conf, err := m.client.Conferences.FindByName(t.Context(), "TEST")
	assert.Nil(t, conf)
	assert.ErrorIs(t, err, apizee.ErrNotFound)
	assert.Contains(t, err.Error(), `"TEST"`)
}

func TestConferenceFindByNamePassesErrorsOn(t *testing.T) {
	m := newMeetingMock(t)
	m.answer(http.MethodGet, "/conferences", http.StatusUnauthorized, `{"message":"expired"}`)
	_, err := m.client.Conferences.FindByName(t.Context(), "TEST")
	assert.ErrorIs(t, err, apizee.ErrUnauthorized)
	assert.NotErrorIs(t, err, apizee.ErrNotFound)
}

func TestConferenceJoinURL(t *testing.T) {
	const room = "https://meet.apizee.com/private/7a3d/ae22"
	tests := []struct {
		name       string
		conf       apizee.Conference
		param      string // "" : JoinURL
		value      string
		want       string
		wantValue  string // what the server reads back; "" : value
		keepsQuery url.Values
	}{
		{name: "a plain name", conf: apizee.Conference{URL: room}, value: "Dr Doe",
			want: room + "?name=Dr+Doe"},
		{name: "an empty name leaves the URL alone", conf: apizee.Conference{URL: room + "?lang=fr"}, value: "",
			want: room + "?lang=fr"},
		{name: "the URL's own query is kept as is", conf: apizee.Conference{URL: room + "?lang=fr&next=%2Fhome%3Fa%3Db"}, value: "Ann",
			want: room + "?lang=fr&next=%2Fhome%3Fa%3Db&name=Ann"},
		{name: "a name already there is replaced", conf: apizee.Conference{URL: room + "?name=old&lang=fr"}, value: "New",
			want: room + "?lang=fr&name=New"},
		{name: "hostile characters are escaped", conf: apizee.Conference{URL: room + "#lobby"}, value: `Zoé & co=1?#/"<>`,
			want: room + "?name=Zo%C3%A9+%26+co%3D1%3F%23%2F%22%3C%3E#lobby"},
		{name: "the short URL when there is no URL", conf: apizee.Conference{ShortURL: "https://apz.fr/v639"}, value: "Ann",
			want: "https://apz.fr/v639?name=Ann"},
		{name: "another parameter name", conf: apizee.Conference{URL: room + "?name=keep"}, param: "displayName", value: "Ann Lee",
			want: room + "?name=keep&displayName=Ann+Lee"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got string
			param := tt.param
			if param == "" {
				param = "name"
				got = tt.conf.JoinURL(tt.value)
			} else {
				got = tt.conf.JoinURLWith(tt.param, tt.value)
			}
			assert.Equal(t, tt.want, got)
			if tt.value != "" {
				u, err := url.Parse(got)
				require.NoError(t, err)
				assert.Equal(t, []string{tt.value}, u.Query()[param], "the server reads the name back exactly")
			}
		})
	}
}

// attr returns the raw (escaped) value of the first name="..." attribute of
// tag.
func attr(t *testing.T, tag, name string) string {
	t.Helper()
	_, rest, found := strings.Cut(tag, " "+name+`="`)
	require.True(t, found, "%s has no %s attribute", tag, name)
	value, _, found := strings.Cut(rest, `"`)
	require.True(t, found)
	return value
}

func TestConferenceIframeHTML(t *testing.T) {
	const room = "https://meet.apizee.com/private/7a3d/ae22"
	tests := []struct {
		name      string
		conf      apizee.Conference
		title     string
		wantSrc   string // unescaped
		wantTitle string // unescaped
	}{
		{"the guide's iframe", apizee.Conference{URL: room}, "VisioAssistance", room, "VisioAssistance"},
		{"a URL with a query", apizee.Conference{URL: room + "?a=1&b=2"}, "Meeting", room + "?a=1&b=2", "Meeting"},
		{"a title that tries to break out", apizee.Conference{URL: room}, `x" onload="alert(1)"><script>alert('t')</script>`,
			room, `x" onload="alert(1)"><script>alert('t')</script>`},
		{"a URL that tries to break out", apizee.Conference{URL: room + `?q="><script>alert(1)</script>`}, "Meeting",
			room + `?q="><script>alert(1)</script>`, "Meeting"},
		{"a javascript: URL is not embedded", apizee.Conference{URL: "javascript:alert(document.cookie)"}, "Meeting", "about:blank", "Meeting"},
		{"a relative URL is not embedded", apizee.Conference{URL: "/private/x"}, "Meeting", "about:blank", "Meeting"},
		{"no title: the room's name", apizee.Conference{URL: room, Name: "Team <sync>"}, "", room, "Team <sync>"},
		{"no title, no name", apizee.Conference{URL: room}, "", room, "Video meeting"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.conf.IframeHTML(tt.title)
			require.True(t, strings.HasPrefix(got, "<iframe "), got)
			require.True(t, strings.HasSuffix(got, "></iframe>"), got)
			assert.Equal(t, 2, strings.Count(got, "<"), "nothing but the tags themselves: %s", got)
			assert.Equal(t, 2, strings.Count(got, ">"), "nothing but the tags themselves: %s", got)
			src, title := attr(t, got, "src"), attr(t, got, "title")
			assert.Equal(t, tt.wantSrc, html.UnescapeString(src))
			assert.Equal(t, tt.wantTitle, html.UnescapeString(title))
			for _, raw := range []string{src, title} {
				assert.NotContains(t, raw, "'")
				assert.NotContains(t, raw, "<")
			}
			assert.Equal(t, "microphone;camera;geolocation;display-capture", attr(t, got, "allow"))
			assert.Equal(t, 6, strings.Count(got, `"`), "three quoted attributes and no stray quote: %s", got)
		})
	}
}

func TestConferenceParamsPrintWithoutThePassword(t *testing.T) {
	no := false
	p := apizee.CreateConferenceParams{Participants: []string{"a@example.com"}, Name: "Board", Password: "4242#", Invite: &no}
	var logs strings.Builder
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("create", "params", p, "ptr", &p)
	for _, text := range []string{fmt.Sprintf("%v|%+v|%#v|%s", p, p, p, p), fmt.Sprintf("%v|%+v|%#v", &p, &p, &p),
		fmt.Sprint([]apizee.CreateConferenceParams{p}), logs.String()} {
		assert.NotContains(t, text, "4242#")
		assert.Contains(t, text, "Board", "the rest is printed")
		assert.Contains(t, text, "REDACTED")
		assert.Contains(t, text, "Invite:false", "the invite choice, not a pointer")
	}
	empty := apizee.CreateConferenceParams{Name: "Open"}
	assert.NotContains(t, empty.String(), "REDACTED", "no password, nothing to mask")
}

// newMeetingServer starts a fake Apizee mounted under a path prefix (so that
// an absolute path in the SDK shows) and a client of it with credentials.
func newMeetingServer(t *testing.T, opts ...apizeetest.Option) (*apizeetest.Server, *apizee.Client) {
	t.Helper()
	srv := apizeetest.NewServer(append([]apizeetest.Option{apizeetest.WithPrefix("/apizee/v3")}, opts...)...)
	t.Cleanup(srv.Close)
	c, err := apizee.NewClient(apizee.WithBaseURL(srv.URL), apizee.WithCredentials(srv.Username, srv.Password))
	require.NoError(t, err)
	return srv, c
}

func TestConferencesEndToEnd(t *testing.T) {
	srv, c := newMeetingServer(t)
	ctx := t.Context()
	before := srv.ConferenceCount()
	start := time.Date(2030, 3, 14, 9, 30, 0, 0, time.UTC)
	yes := true

	created, err := c.Conferences.Create(ctx, &apizee.CreateConferenceParams{
		Participants: []string{"guest@example.com", "+33612345678"}, Name: "E2E weekly", Moderation: true,
		Invite: &yes, Password: "12#", StartTime: start, Duration: 45 * time.Minute, Reminder: 10 * time.Minute,
		Message: "Hello", Language: "fr", Open: true,
	})
	require.NoError(t, err)
	assert.Equal(t, before+1, srv.ConferenceCount())
	assert.Positive(t, created.ID)
	assert.Equal(t, "E2E weekly", created.Name)
	assert.Equal(t, "scheduled", created.Status)
	assert.True(t, start.Equal(created.StartTime), created.StartTime)
	assert.True(t, start.Add(45*time.Minute).Equal(created.EndTime), created.EndTime)
	assert.True(t, strings.HasPrefix(created.URL, "https://"), created.URL)
	assert.NotEmpty(t, created.SIPPhoneNumber)
	assert.NotEmpty(t, created.SIPDTMFCode)
	assert.NotEmpty(t, created.ServiceKey)
	require.NotNil(t, created.Organizer)

	var posts []apizeetest.Request
	for _, r := range srv.Requests() {
		if r.Method == http.MethodPost && r.Path == "/conferences" {
			posts = append(posts, r)
		}
	}
	require.Len(t, posts, 1)
	assert.Equal(t, "guest@example.com,+33612345678", posts[0].Query.Get("participants"))
	assert.Equal(t, "2030-03-14T09:30:00Z", posts[0].Query.Get("startTime"))
	assert.Equal(t, "45", posts[0].Query.Get("duration"))
	assert.Empty(t, posts[0].Form, "the parameters travel in the query string")
	assert.Equal(t, 1, srv.RequestCount(http.MethodPost, "/token"))

	got, err := c.Conferences.Get(ctx, created.ID)
	require.NoError(t, err)
	assert.Equal(t, created, got)

	found, err := c.Conferences.FindByName(ctx, "E2E weekly")
	require.NoError(t, err)
	assert.Equal(t, created.ID, found.ID)

	page, err := c.Conferences.List(ctx, &apizee.ListConferencesParams{Search: "e2e", Since: start.AddDate(-20, 0, 0)})
	require.NoError(t, err)
	require.Len(t, page.Items, 1, "the server's search ignores the case")
	assert.Equal(t, created.ID, page.Items[0].ID)
}

func TestConferenceFindByNameEndToEnd(t *testing.T) {
	srv, c := newMeetingServer(t)
	ctx := t.Context()

	// The search for "TEST" also returns the newer "TEST XX".
	conf, err := c.Conferences.FindByName(ctx, "TEST")
	require.NoError(t, err)
	assert.Equal(t, int64(842199), conf.ID)

	again, err := c.Conferences.Create(ctx, &apizee.CreateConferenceParams{Participants: []string{"guest@example.com"}, Name: "TEST"})
	require.NoError(t, err)
	conf, err = c.Conferences.FindByName(ctx, "TEST")
	require.NoError(t, err)
	assert.Equal(t, again.ID, conf.ID, "the newest of the rooms with that name")

	_, err = c.Conferences.FindByName(ctx, "test")
	assert.ErrorIs(t, err, apizee.ErrNotFound, "the server finds TEST and TEST XX, neither is named test")
	assert.Positive(t, srv.RequestCount(http.MethodGet, "/conferences"))
}

func TestConferenceCreateWithoutTheServiceEndToEnd(t *testing.T) {
	srv, c := newMeetingServer(t, apizeetest.WithConferencesDisabled())
	before := srv.ConferenceCount()
	_, err := c.Conferences.Create(t.Context(), &apizee.CreateConferenceParams{Participants: []string{"guest@example.com"}})
	assert.ErrorIs(t, err, apizee.ErrForbidden)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Video Meeting (conference) service enabled")
	assert.Equal(t, before, srv.ConferenceCount())
}

func TestConferenceValidationEndToEnd(t *testing.T) {
	srv, c := newMeetingServer(t)
	_, err := c.Conferences.Create(t.Context(), &apizee.CreateConferenceParams{Participants: []string{"0612345678"}})
	var ve *apizee.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "Participants", ve.Field)
	assert.Empty(t, srv.Requests(), "nothing reached the server, not even /token")
}

func TestConferenceCreateLostAnswerEndToEnd(t *testing.T) {
	srv, c := newMeetingServer(t)
	before := srv.ConferenceCount()
	srv.QueueFault(apizeetest.Fault{Method: http.MethodPost, Path: "/conferences", DropAfterProcessing: true})

	_, err := c.Conferences.Create(t.Context(), &apizee.CreateConferenceParams{Participants: []string{"guest@example.com"}, Name: "Lost"})
	require.Error(t, err)
	assert.Equal(t, 1, srv.RequestCount(http.MethodPost, "/conferences"), "a room may exist: no blind retry")
	assert.Equal(t, before+1, srv.ConferenceCount())
}

// TestConferenceLimitsAreInclusive sends each documented limit exactly: the
// guide's ranges include their ends, so each is accepted, and one past it
// is refused before sending.
func TestConferenceLimitsAreInclusive(t *testing.T) {
	base := func() *apizee.CreateConferenceParams {
		return &apizee.CreateConferenceParams{Participants: []string{"guest@example.com"}}
	}
	tests := []struct {
		name  string
		field string
		at    func(p *apizee.CreateConferenceParams) // exactly at the limit
		past  func(p *apizee.CreateConferenceParams) // one step past it
	}{
		{"shortest name", "Name",
			func(p *apizee.CreateConferenceParams) { p.Name = "ab" }, func(p *apizee.CreateConferenceParams) { p.Name = "a" }},
		{"longest name", "Name",
			func(p *apizee.CreateConferenceParams) { p.Name = strings.Repeat("é", 255) },
			func(p *apizee.CreateConferenceParams) { p.Name = strings.Repeat("é", 256) }},
		{"longest message", "Message",
			func(p *apizee.CreateConferenceParams) { p.Message = strings.Repeat("é", 300) },
			func(p *apizee.CreateConferenceParams) { p.Message = strings.Repeat("é", 301) }},
		{"first year", "StartTime",
			func(p *apizee.CreateConferenceParams) { p.StartTime = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC) },
			func(p *apizee.CreateConferenceParams) { p.StartTime = time.Date(1969, 12, 31, 23, 59, 59, 0, time.UTC) }},
		{"last year", "StartTime",
			func(p *apizee.CreateConferenceParams) { p.StartTime = time.Date(9999, 6, 1, 0, 0, 0, 0, time.UTC) },
			func(p *apizee.CreateConferenceParams) { p.StartTime = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }},
		{"shortest duration", "Duration",
			func(p *apizee.CreateConferenceParams) { p.Duration = time.Minute },
			func(p *apizee.CreateConferenceParams) { p.Duration = time.Minute - time.Second }},
		{"shortest reminder", "Reminder",
			func(p *apizee.CreateConferenceParams) { p.Reminder = time.Minute },
			func(p *apizee.CreateConferenceParams) { p.Reminder = time.Minute - time.Second }},
		{"longest reminder", "Reminder",
			func(p *apizee.CreateConferenceParams) { p.Reminder = 60 * time.Minute },
			func(p *apizee.CreateConferenceParams) { p.Reminder = 61 * time.Minute }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, c := newMeetingServer(t)
			at := base()
			tt.at(at)
			_, err := c.Conferences.Create(t.Context(), at)
			require.NoError(t, err, "exactly at the limit is accepted")

			past := base()
			tt.past(past)
			_, err = c.Conferences.Create(t.Context(), past)
			var ve *apizee.ValidationError
			require.ErrorAs(t, err, &ve, "one step past the limit is refused")
			assert.Equal(t, tt.field, ve.Field)
		})
	}
}

func TestJoinURLWithoutWhatItNeedsReturnsTheURLAsItIs(t *testing.T) {
	room := apizee.Conference{URL: "https://visio.apizee.com/room/abc?lang=fr"}
	assert.Equal(t, room.URL, room.JoinURLWith("", "Ann"), "no parameter to set")
	assert.Equal(t, room.URL, room.JoinURLWith("name", ""), "no value to set")
	assert.Empty(t, (&apizee.Conference{}).JoinURLWith("name", "Ann"), "a room without a URL has no join URL")
	unparsable := apizee.Conference{URL: "https://visio.apizee.com/room/%zz"}
	assert.Equal(t, unparsable.URL, unparsable.JoinURLWith("name", "Ann"), "a URL that does not parse is given back as the API sent it")
}
