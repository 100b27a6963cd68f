package apizee_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
)

// mockBase is the base URL of the clients built on an httpmock transport.
const mockBase = "https://apizee.test/api"

// ticketsMockClient returns a client whose every attempt goes to a fresh
// httpmock transport, with the fixed token "t" (no /token call) and no
// retries unless opts say otherwise.
func ticketsMockClient(t *testing.T, opts ...apizee.Option) (*apizee.Client, *httpmock.MockTransport) {
	t.Helper()
	mock := httpmock.NewMockTransport()
	c, err := apizee.NewClient(append([]apizee.Option{
		apizee.WithBaseURL(mockBase),
		apizee.WithToken("t"),
		apizee.WithHTTPClient(&http.Client{Transport: mock}),
		apizee.WithRetryPolicy(apizee.RetryPolicy{MaxRetries: 0}),
	}, opts...)...)
	require.NoError(t, err)
	return c, mock
}

// testdata reads a recorded answer from the top-level testdata directory.
func testdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

// jsonResponse answers status with body as JSON.
func jsonResponse(status int, body []byte) *http.Response {
	resp := httpmock.NewBytesResponse(status, body)
	resp.Header.Set("Content-Type", "application/json")
	return resp
}

// captured records the requests a responder saw.
type captured struct {
	mu   sync.Mutex
	reqs []*http.Request
}

func (c *captured) responder(status int, body []byte) httpmock.Responder {
	return func(r *http.Request) (*http.Response, error) {
		c.mu.Lock()
		c.reqs = append(c.reqs, r)
		c.mu.Unlock()
		return jsonResponse(status, body), nil
	}
}

func (c *captured) only(t *testing.T) *http.Request {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	require.Len(t, c.reqs, 1)
	return c.reqs[0]
}

func TestTicketsCreateSendsEveryParamInTheQuery(t *testing.T) {
	c, mock := ticketsMockClient(t)
	var seen captured
	mock.RegisterResponder(http.MethodPost, mockBase+"/tickets", seen.responder(http.StatusOK, testdata(t, "ticket_create.json")))

	_, err := c.Tickets.Create(t.Context(), &apizee.CreateTicketParams{
		Agent:       "agent1@apizee.com",
		Email:       []string{"jane@example.com", "j.doe@example.org"},
		Phone:       []string{"+33612345678", "+14155550100"},
		Invite:      true,
		Reference:   "case-42",
		SSO:         true,
		Name:        "Jane Doe",
		Description: "Broken <b>router</b>",
		Subject:     "Your video call",
		Type:        "support",
		Language:    "fr",
		Extra:       url.Values{"service_key": {"115f8950"}, "group": {"a", "b"}},
	})
	require.NoError(t, err)

	req := seen.only(t)
	assert.Equal(t, http.MethodPost, req.Method)
	assert.Equal(t, "/api/tickets", req.URL.Path)
	assert.Equal(t, "Bearer t", req.Header.Get("Authorization"))
	if req.Body != nil {
		body, err := io.ReadAll(req.Body)
		require.NoError(t, err)
		assert.Empty(t, body, "the parameters go in the query string, like the guide's")
	}
	assert.Equal(t, url.Values{
		"agent":       {"agent1@apizee.com"},
		"email":       {"jane@example.com,j.doe@example.org"},
		"phone":       {"+33612345678,+14155550100"},
		"invite":      {"1"},
		"reference":   {"case-42"},
		"scope":       {"sso"},
		"name":        {"Jane Doe"},
		"description": {"Broken <b>router</b>"},
		"subject":     {"Your video call"},
		"type":        {"support"},
		"language":    {"fr"},
		"service_key": {"115f8950"},
		"group":       {"a", "b"},
	}, req.URL.Query())
}

func TestTicketsCreateSendsOnlyWhatIsSet(t *testing.T) {
	c, mock := ticketsMockClient(t)
	var seen captured
	mock.RegisterResponder(http.MethodPost, mockBase+"/tickets", seen.responder(http.StatusOK, testdata(t, "ticket_create.json")))

	_, err := c.Tickets.Create(t.Context(), &apizee.CreateTicketParams{Agent: "agent1", Phone: []string{"+33662682193"}})
	require.NoError(t, err)
	assert.Equal(t, url.Values{"agent": {"agent1"}, "phone": {"+33662682193"}}, seen.only(t).URL.Query(),
		"no invite, scope or empty names when they are not set")
}

func TestTicketsCreateExtraMayNameAModelledParamOnlyWhenItsFieldIsZero(t *testing.T) {
	c, mock := ticketsMockClient(t)
	var seen captured
	mock.RegisterResponder(http.MethodPost, mockBase+"/tickets", seen.responder(http.StatusOK, testdata(t, "ticket_create.json")))

	_, err := c.Tickets.Create(t.Context(), &apizee.CreateTicketParams{Agent: "agent1", Phone: []string{"+33662682193"},
		Extra: url.Values{"invite": {"0"}, "scope": {"other"}, "tag": {"a"}, "TAG": {"b"}}})
	require.NoError(t, err)
	q := seen.only(t).URL.Query()
	assert.Equal(t, "0", q.Get("invite"))
	assert.Equal(t, "other", q.Get("scope"))
	assert.Equal(t, []string{"a"}, q["tag"], "Extra keys differing only in case do not clash with each other")
	assert.Equal(t, []string{"b"}, q["TAG"])
}

func TestTicketsCreateDecodesTheGuideAnswer(t *testing.T) {
	c, mock := ticketsMockClient(t)
	mock.RegisterResponder(http.MethodPost, mockBase+"/tickets", httpmock.ResponderFromResponse(jsonResponse(http.StatusOK, testdata(t, "ticket_create.json"))))

	tk, err := c.Tickets.Create(t.Context(), &apizee.CreateTicketParams{Agent: "agent1@apizee.com", Phone: []string{"+33612345678"}, Invite: true, Reference: "1234", SSO: true})
	require.NoError(t, err)
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		require.NoError(t, err)
		return v
	}
	assert.Equal(t, &apizee.Ticket{
		ID:                 82070,
		State:              apizee.TicketInvited,
		Reference:          "1234",
		Created:            at("2023-07-12T15:48:11Z"),
		Modified:           at("2023-07-12T15:48:12Z"),
		StartTime:          at("2023-07-12T15:48:12Z"),
		EndTime:            at("2023-07-12T16:18:12Z"),
		Agent:              "agent1@apizee.com",
		Status:             "invited",
		RequestorURL:       "https://diag.apizee.com?convId=88a2c81a-2b5a-496f-8546-0d7bdde8&pwd=123456",
		Requestor:          apizee.Requestor{Phones: []string{"+33612345678"}},
		InformationPageURL: "https://apz.fr/d6Nx453elx",
		ServiceKey:         "115f89503138416a242f40fb7d7f338e",
		AgentURL:           "https://cloud.apizee.com",
		SSOURL:             "https://cloud.apizee.com?access_token=eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJhcGl6ZWV0ZXN0Iiwic3ViIjoiZmFrZS1zc28tdG9rZW4iLCJpYXQiOjE2ODkxNzY4OTIsImV4cCI6MTY4OTE3NzE5Mn0.dGhpcy1pcy1ub3QtYS1yZWFsLXNpZ25hdHVyZQ",
		ButtonID:           223,
	}, tk)
	assert.Equal(t, "https://cloud.apizee.com/entrypoint/223/tickets/82070", tk.AgentTicketURL())
	assert.Equal(t, time.UTC, tk.Created.Location(), "+00:00 decodes as UTC")
}

func TestAgentTicketURL(t *testing.T) {
	tests := []struct {
		name   string
		ticket apizee.Ticket
		want   string
	}{
		{"the guide's", apizee.Ticket{ID: 82070, ButtonID: 223, AgentURL: "https://cloud.apizee.com"}, "https://cloud.apizee.com/entrypoint/223/tickets/82070"},
		{"trailing slash", apizee.Ticket{ID: 1, ButtonID: 2, AgentURL: "https://cloud.apizee.com/"}, "https://cloud.apizee.com/entrypoint/2/tickets/1"},
		{"no agent URL (list answers)", apizee.Ticket{ID: 1, ButtonID: 2}, ""},
		{"no button", apizee.Ticket{ID: 1, AgentURL: "https://cloud.apizee.com"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.ticket.AgentTicketURL())
		})
	}
}

func TestTicketDecoding(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    apizee.Ticket
		wantErr bool
	}{
		{name: "phone as a list", in: `{"id":1,"requestor":{"phone":["+33612345678","+33700000000"]}}`,
			want: apizee.Ticket{ID: 1, Requestor: apizee.Requestor{Phones: []string{"+33612345678", "+33700000000"}}}},
		{name: "phone and email as comma strings", in: `{"id":1,"requestor":{"phone":"+33612345678, +33700000000","email":"a@b.c"}}`,
			want: apizee.Ticket{ID: 1, Requestor: apizee.Requestor{Phones: []string{"+33612345678", "+33700000000"}, Emails: []string{"a@b.c"}}}},
		{name: "reference as a number", in: `{"id":1,"reference":1234}`, want: apizee.Ticket{ID: 1, Reference: "1234"}},
		{name: "id as a string", in: `{"id":"663614"}`, want: apizee.Ticket{ID: 663614}},
		{name: "nulls everywhere", in: `{"id":1,"state":null,"reference":null,"created":null,"subject":null,"requestor":null,"geoloc":null,"button_id":null}`,
			want: apizee.Ticket{ID: 1}},
		{name: "unknown state kept", in: `{"id":1,"state":"archived"}`, want: apizee.Ticket{ID: 1, State: "archived"}},
		{name: "geoloc lng", in: `{"id":1,"geoloc":{"lat":48.7,"lng":-3.5}}`, want: apizee.Ticket{ID: 1, Geoloc: &apizee.GeoPoint{Lat: 48.7, Lng: -3.5}}},
		{name: "geoloc lon", in: `{"id":1,"geoloc":{"lat":48.7,"lon":-3.5}}`, want: apizee.Ticket{ID: 1, Geoloc: &apizee.GeoPoint{Lat: 48.7, Lng: -3.5}}},
		{name: "time with an offset", in: `{"id":1,"created":"2023-07-12T17:48:11+02:00"}`,
			want: apizee.Ticket{ID: 1, Created: time.Date(2023, 7, 12, 17, 48, 11, 0, time.FixedZone("", 2*3600))}},
		{name: "unknown fields ignored", in: `{"id":1,"new_field":{"x":[1,2]}}`, want: apizee.Ticket{ID: 1}},
		{name: "no id", in: `{"state":"new"}`, wantErr: true},
		{name: "not an object", in: `[1]`, wantErr: true},
		{name: "bad time", in: `{"id":1,"created":"yesterday"}`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got apizee.Ticket
			err := json.Unmarshal([]byte(tt.in), &got)
			if tt.wantErr {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.True(t, tt.want.Created.Equal(got.Created), "created %s", got.Created)
			got.Created, tt.want.Created = time.Time{}, time.Time{}
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestTicketStateConstants(t *testing.T) {
	want := map[apizee.TicketState]string{
		apizee.TicketNew: "new", apizee.TicketOpen: "open", apizee.TicketOpened: "opened", apizee.TicketInvited: "invited",
		apizee.TicketInProgress: "inprogress", apizee.TicketUpdated: "updated", apizee.TicketDone: "done",
		apizee.TicketClosed: "closed", apizee.TicketRejected: "rejected", apizee.TicketDeclined: "declined",
		apizee.TicketExpired: "expired", apizee.TicketCancelled: "cancelled",
	}
	assert.Len(t, want, 12)
	for state, wire := range want {
		var tk apizee.Ticket
		require.NoError(t, json.Unmarshal([]byte(`{"id":1,"state":"`+wire+`"}`), &tk))
		assert.Equal(t, state, tk.State)
	}
}

// ticketSecrets are the secret parts of the guide's create answer.
var ticketSecrets = []string{"pwd=123456", "pwd=", "88a2c81a-2b5a-496f", "access_token", "eyJ0eXAiOiJKV1Qi", "dGhpcy1pcy1ub3QtYS1yZWFsLXNpZ25hdHVyZQ"}

func TestTicketPrintsRedacted(t *testing.T) {
	var tk apizee.Ticket
	require.NoError(t, json.Unmarshal(testdata(t, "ticket_create.json"), &tk))
	require.Contains(t, tk.RequestorURL, "pwd=123456", "the field itself keeps the real value")
	require.Contains(t, tk.SSOURL, "access_token=")

	page := apizee.Page[apizee.Ticket]{Items: []apizee.Ticket{tk, tk}, Total: 2}
	for name, v := range map[string]any{
		"value": tk, "pointer": &tk, "slice": []apizee.Ticket{tk}, "pointer slice": []*apizee.Ticket{&tk},
		"page": page, "page pointer": &page, "map": map[string]apizee.Ticket{"k": tk},
	} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
			out := fmt.Sprintf(verb, v)
			for _, secret := range ticketSecrets {
				assert.NotContains(t, out, secret, "%s printed with %s", name, verb)
			}
			assert.Contains(t, out, "82070", "%s printed with %s still says which ticket", name, verb)
		}
	}

	var text, js strings.Builder
	for _, h := range []slog.Handler{slog.NewTextHandler(&text, nil), slog.NewJSONHandler(&js, nil)} {
		slog.New(h).Info("created", "ticket", tk, "pointer", &tk)
	}
	slog.New(slog.NewTextHandler(&text, nil)).Info("listed", "tickets", []apizee.Ticket{tk}, "page", page)
	for name, out := range map[string]string{"text log": text.String(), "JSON log": js.String()} {
		for _, secret := range ticketSecrets {
			assert.NotContains(t, out, secret, name)
		}
		assert.Contains(t, out, "82070", name)
		assert.Contains(t, out, "REDACTED", name)
	}
}

// noRequests makes a client whose transport counts every request, /token
// included (the client authenticates with credentials, so the first call
// would fetch a token).
func noRequests(t *testing.T) (*apizee.Client, *httpmock.MockTransport) {
	t.Helper()
	c, mock := ticketsMockClient(t, apizee.WithCredentials("agent1@apizee.com", "pw"))
	mock.RegisterNoResponder(httpmock.NewStringResponder(http.StatusInternalServerError, `{"message":"unexpected request"}`))
	return c, mock
}

func TestTicketsValidationSendsNothing(t *testing.T) {
	valid := func() *apizee.CreateTicketParams {
		return &apizee.CreateTicketParams{Agent: "agent1", Email: []string{"jane@example.com"}, Phone: []string{"+33612345678"}, Reference: "r"}
	}
	with := func(change func(p *apizee.CreateTicketParams)) *apizee.CreateTicketParams {
		p := valid()
		change(p)
		return p
	}
	create := func(p *apizee.CreateTicketParams) func(context.Context, *apizee.Client) error {
		return func(ctx context.Context, c *apizee.Client) error {
			_, err := c.Tickets.Create(ctx, p)
			return err
		}
	}
	tests := []struct {
		name  string
		call  func(context.Context, *apizee.Client) error
		field string
	}{
		{"nil params", create(nil), "Agent"},
		{"no agent", create(with(func(p *apizee.CreateTicketParams) { p.Agent = "" })), "Agent"},
		{"blank agent", create(with(func(p *apizee.CreateTicketParams) { p.Agent = "  " })), "Agent"},
		{"agent with a line break", create(with(func(p *apizee.CreateTicketParams) { p.Agent = "agent1\nx" })), "Agent"},
		{"neither email nor phone", create(with(func(p *apizee.CreateTicketParams) { p.Email, p.Phone = nil, nil })), "Email"},
		{"phone without +", create(with(func(p *apizee.CreateTicketParams) { p.Phone = []string{"0612345678"} })), "Phone"},
		{"phone too short", create(with(func(p *apizee.CreateTicketParams) { p.Phone = []string{"+3361234"} })), "Phone"},
		{"phone too long", create(with(func(p *apizee.CreateTicketParams) { p.Phone = []string{"+3361234567890123"} })), "Phone"},
		{"phone with spaces", create(with(func(p *apizee.CreateTicketParams) { p.Phone = []string{"+33 6 12 34 56 78"} })), "Phone"},
		{"second phone bad", create(with(func(p *apizee.CreateTicketParams) { p.Phone = []string{"+33612345678", "abc"} })), "Phone"},
		{"two phones in one item", create(with(func(p *apizee.CreateTicketParams) { p.Phone = []string{"+33612345678,+33700000000"} })), "Phone"},
		{"phone with a control character", create(with(func(p *apizee.CreateTicketParams) { p.Phone = []string{"+33612345678\x00"} })), "Phone"},
		{"empty phone item", create(with(func(p *apizee.CreateTicketParams) { p.Phone = []string{""} })), "Phone"},
		{"email without @", create(with(func(p *apizee.CreateTicketParams) { p.Email = []string{"jane.example.com"} })), "Email"},
		{"email ending with @", create(with(func(p *apizee.CreateTicketParams) { p.Email = []string{"jane@"} })), "Email"},
		{"email with a display name", create(with(func(p *apizee.CreateTicketParams) { p.Email = []string{"Jane <jane@example.com>"} })), "Email"},
		{"email with a space", create(with(func(p *apizee.CreateTicketParams) { p.Email = []string{"jane doe@example.com"} })), "Email"},
		{"two emails in one item", create(with(func(p *apizee.CreateTicketParams) { p.Email = []string{"a@b.c,d@e.f"} })), "Email"},
		{"email with a line break", create(with(func(p *apizee.CreateTicketParams) { p.Email = []string{"a@b.c\r\nBcc: x@y.z"} })), "Email"},
		{"name over 255 characters", create(with(func(p *apizee.CreateTicketParams) { p.Name = strings.Repeat("é", 256) })), "Name"},
		{"extra overriding a field", create(with(func(p *apizee.CreateTicketParams) { p.Extra = url.Values{"reference": {"other"}} })), "Extra"},
		{"extra overriding the agent, other case", create(with(func(p *apizee.CreateTicketParams) { p.Extra = url.Values{"Agent": {"boss"}} })), "Extra"},
		{"create once without reference", func(ctx context.Context, c *apizee.Client) error {
			_, err := c.Tickets.CreateOnce(ctx, with(func(p *apizee.CreateTicketParams) { p.Reference = "" }))
			return err
		}, "Reference"},
		{"create once with bad params", func(ctx context.Context, c *apizee.Client) error {
			_, err := c.Tickets.CreateOnce(ctx, with(func(p *apizee.CreateTicketParams) { p.Agent = "" }))
			return err
		}, "Agent"},
		{"get id 0", func(ctx context.Context, c *apizee.Client) error { _, err := c.Tickets.Get(ctx, 0); return err }, "ID"},
		{"get negative id", func(ctx context.Context, c *apizee.Client) error { _, err := c.Tickets.Get(ctx, -5); return err }, "ID"},
		{"list negative limit", func(ctx context.Context, c *apizee.Client) error {
			_, err := c.Tickets.List(ctx, &apizee.ListTicketsParams{Limit: -1})
			return err
		}, "Limit"},
		{"list negative offset", func(ctx context.Context, c *apizee.Client) error {
			_, err := c.Tickets.List(ctx, &apizee.ListTicketsParams{Offset: -1})
			return err
		}, "Offset"},
		{"list unknown order", func(ctx context.Context, c *apizee.Client) error {
			_, err := c.Tickets.List(ctx, &apizee.ListTicketsParams{Order: "sideways"})
			return err
		}, "Order"},
		{"list since after until", func(ctx context.Context, c *apizee.Client) error {
			_, err := c.Tickets.List(ctx, &apizee.ListTicketsParams{Since: time.Now(), Until: time.Now().Add(-time.Hour)})
			return err
		}, "Since"},
		{"all since after until", func(ctx context.Context, c *apizee.Client) error {
			for _, err := range c.Tickets.All(ctx, &apizee.ListTicketsParams{Since: time.Now(), Until: time.Now().Add(-time.Hour)}) {
				return err
			}
			return nil
		}, "Since"},
		{"find empty reference", func(ctx context.Context, c *apizee.Client) error {
			_, err := c.Tickets.FindByReference(ctx, " ")
			return err
		}, "Reference"},
		{"ticket media id 0", func(ctx context.Context, c *apizee.Client) error {
			_, err := c.Media.ListForTicket(ctx, 0, nil)
			return err
		}, "TicketID"},
		{"all ticket media negative limit", func(ctx context.Context, c *apizee.Client) error {
			for _, err := range c.Media.AllForTicket(ctx, 1, &apizee.ListMediaParams{Limit: -1}) {
				return err
			}
			return nil
		}, "Limit"},
		{"stats since after until", func(ctx context.Context, c *apizee.Client) error {
			_, err := c.Stats.Tickets(ctx, &apizee.TicketStatsParams{Since: time.Date(2023, 7, 14, 0, 0, 0, 0, time.UTC), Until: time.Date(2023, 7, 13, 0, 0, 0, 0, time.UTC)})
			return err
		}, "Since"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, mock := noRequests(t)
			err := tt.call(t.Context(), c)
			requireValidationError(t, err, tt.field)
			assert.Zero(t, mock.GetTotalCallCount(), "no request, not even /token: %v", mock.GetCallCountInfo())
		})
	}
}

// ticketJSON is a minimal ticket object of the list answers.
func ticketJSON(id int64, reference string, created time.Time) string {
	return fmt.Sprintf(`{"id":%d,"state":"done","reference":%q,"created":%q,"requestor":{"phone":"+33612345678"}}`,
		id, reference, created.Format(time.RFC3339))
}

func TestTicketsGet(t *testing.T) {
	c, mock := ticketsMockClient(t)
	var seen captured
	mock.RegisterResponder(http.MethodGet, mockBase+"/tickets/82070", seen.responder(http.StatusOK, testdata(t, "ticket_create.json")))
	mock.RegisterResponder(http.MethodGet, mockBase+"/tickets/9", httpmock.NewStringResponder(http.StatusNotFound, `{"message":"Ticket not found"}`))
	mock.RegisterResponder(http.MethodGet, mockBase+"/tickets/10", httpmock.NewStringResponder(http.StatusOK, `{"message":"ok"}`))

	tk, err := c.Tickets.Get(t.Context(), 82070)
	require.NoError(t, err)
	assert.Equal(t, int64(82070), tk.ID)
	assert.Equal(t, apizee.TicketInvited, tk.State)
	assert.Empty(t, seen.only(t).URL.RawQuery)

	_, err = c.Tickets.Get(t.Context(), 9)
	assert.ErrorIs(t, err, apizee.ErrNotFound)

	_, err = c.Tickets.Get(t.Context(), 10)
	var decErr *apizee.DecodeError
	require.ErrorAs(t, err, &decErr, "a 2xx that is not a ticket is an error, not a zero ticket")
	assert.Contains(t, err.Error(), "no id")
}

func TestTicketsListRequestAndPage(t *testing.T) {
	c, mock := ticketsMockClient(t)
	var seen captured
	mock.RegisterResponder(http.MethodGet, mockBase+"/tickets", seen.responder(http.StatusOK, testdata(t, "tickets_list.json")))

	paris := time.FixedZone("CEST", 2*3600)
	page, err := c.Tickets.List(t.Context(), &apizee.ListTicketsParams{
		Reference: "ref12345678",
		Since:     time.Date(2023, 2, 1, 2, 0, 0, 0, paris),
		Until:     time.Date(2023, 3, 1, 1, 30, 0, 0, paris),
		OrderBy:   "date",
		Order:     apizee.OrderDesc,
		Limit:     10,
		Offset:    20,
	})
	require.NoError(t, err)
	assert.Equal(t, url.Values{
		"reference": {"ref12345678"},
		"since":     {"2023-02-01T00:00:00Z"},
		"until":     {"2023-02-28T23:30:00Z"},
		"orderby":   {"date"},
		"order":     {"desc"},
		"limit":     {"10"},
		"offset":    {"20"},
	}, seen.only(t).URL.Query())

	assert.Equal(t, 1, page.Total)
	assert.Equal(t, 20, page.Offset)
	assert.Equal(t, 10, page.Limit)
	require.Len(t, page.Items, 1)
	tk := page.Items[0]
	assert.Equal(t, int64(663614), tk.ID)
	assert.Equal(t, apizee.TicketDone, tk.State)
	assert.Equal(t, "ref12345678", tk.Reference)
	assert.Equal(t, time.Date(2023, 2, 22, 21, 56, 34, 0, time.UTC), tk.Created)
	assert.Equal(t, time.Date(2023, 2, 22, 22, 12, 18, 0, time.UTC), tk.EndTime)
	assert.Equal(t, []string{"+33612345678"}, tk.Requestor.Phones)
	assert.Equal(t, &apizee.GeoPoint{Lat: 48.7, Lng: -3.5}, tk.Geoloc)
	assert.Equal(t, "https://diag.apizee.com?convId=3efcffcc-abc6-4917-b822-e659ea26&pwd=654321", tk.RequestorURL)
	assert.Empty(t, tk.AgentTicketURL(), "list answers carry no agent_url nor button_id")
}

func TestTicketsListWithoutParamsSendsNoQuery(t *testing.T) {
	c, mock := ticketsMockClient(t)
	var seen captured
	mock.RegisterResponder(http.MethodGet, mockBase+"/tickets", seen.responder(http.StatusOK, []byte(`{"total":0,"data":[]}`)))
	page, err := c.Tickets.List(t.Context(), nil)
	require.NoError(t, err)
	assert.Empty(t, seen.only(t).URL.RawQuery)
	assert.NotNil(t, page.Items)
	assert.Empty(t, page.Items)
}

// pagedTickets serves GET /tickets from a list of n tickets, honouring
// limit and offset, and counts the pages asked for. answer may rewrite each
// page's JSON (to lie about the total, shorten a page...).
type pagedTickets struct {
	mu      sync.Mutex
	n       int
	offsets []int
	answer  func(offset, limit int, items []string) string
}

func (p *pagedTickets) register(mock *httpmock.MockTransport) {
	mock.RegisterResponder(http.MethodGet, mockBase+"/tickets", func(r *http.Request) (*http.Response, error) {
		offset, _ := strconv.Atoi(r.URL.Query().Get("offset"))
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		p.mu.Lock()
		p.offsets = append(p.offsets, offset)
		p.mu.Unlock()
		var items []string
		for i := offset; i < min(offset+limit, p.n); i++ {
			items = append(items, ticketJSON(int64(i+1), "r", time.Unix(0, 0)))
		}
		body := fmt.Sprintf(`{"total":%d,"data":[%s]}`, p.n, strings.Join(items, ","))
		if p.answer != nil {
			body = p.answer(offset, limit, items)
		}
		return jsonResponse(http.StatusOK, []byte(body)), nil
	})
}

func (p *pagedTickets) asked() []int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]int(nil), p.offsets...)
}

func TestTicketsAllFetchesPagesLazily(t *testing.T) {
	tests := []struct {
		name    string
		n       int
		params  *apizee.ListTicketsParams
		answer  func(offset, limit int, items []string) string
		stopAt  int // break after this many tickets; 0: never
		want    int // tickets seen
		offsets []int
	}{
		{name: "stops at the total", n: 25, params: &apizee.ListTicketsParams{Limit: 10}, want: 25, offsets: []int{0, 10, 20}},
		{name: "no empty page past an exact total", n: 20, params: &apizee.ListTicketsParams{Limit: 10}, want: 20, offsets: []int{0, 10}},
		{name: "default page size 100", n: 150, want: 150, offsets: []int{0, 100}},
		{name: "starts at the caller's offset", n: 25, params: &apizee.ListTicketsParams{Limit: 10, Offset: 5}, want: 20, offsets: []int{5, 15}},
		{name: "stops at an empty page when no total", n: 20, params: &apizee.ListTicketsParams{Limit: 10},
			answer: func(_, _ int, items []string) string { return `{"data":[` + strings.Join(items, ",") + `]}` },
			want:   20, offsets: []int{0, 10, 20}},
		{name: "stops at a short page when no total", n: 15, params: &apizee.ListTicketsParams{Limit: 10},
			answer: func(_, _ int, items []string) string { return `{"data":[` + strings.Join(items, ",") + `]}` },
			want:   15, offsets: []int{0, 10}},
		{name: "a short page below the total goes on: the server caps the page size", n: 25, params: &apizee.ListTicketsParams{Limit: 10},
			answer: func(_, _ int, items []string) string {
				return `{"total":25,"data":[` + strings.Join(items[:min(len(items), 4)], ",") + `]}`
			},
			want: 25, offsets: []int{0, 4, 8, 12, 16, 20, 24}},
		{name: "a total the list never reaches ends at the empty page", n: 15, params: &apizee.ListTicketsParams{Limit: 10},
			answer: func(_, _ int, items []string) string {
				return `{"total":1000,"data":[` + strings.Join(items, ",") + `]}`
			},
			want: 15, offsets: []int{0, 10, 15}},
		{name: "stops when next_offset does not advance", n: 100, params: &apizee.ListTicketsParams{Limit: 10},
			answer: func(offset, _ int, items []string) string {
				return fmt.Sprintf(`{"total":100,"next_offset":%d,"data":[%s]}`, offset, strings.Join(items, ","))
			},
			want: 20, offsets: []int{0, 10}},
		{name: "breaking out fetches nothing more", n: 100, params: &apizee.ListTicketsParams{Limit: 10}, stopAt: 10, want: 10, offsets: []int{0}},
		{name: "breaking out mid-page", n: 100, params: &apizee.ListTicketsParams{Limit: 10}, stopAt: 13, want: 13, offsets: []int{0, 10}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, mock := ticketsMockClient(t)
			pages := &pagedTickets{n: tt.n, answer: tt.answer}
			pages.register(mock)
			seen := 0
			for tk, err := range c.Tickets.All(t.Context(), tt.params) {
				require.NoError(t, err)
				require.NotNil(t, tk)
				seen++
				if seen == tt.stopAt {
					break
				}
			}
			assert.Equal(t, tt.want, seen)
			assert.Equal(t, tt.offsets, pages.asked())
		})
	}
}

func TestTicketsAllKeepsTheFiltersOnEveryPage(t *testing.T) {
	c, mock := ticketsMockClient(t)
	var queries []url.Values
	mock.RegisterResponder(http.MethodGet, mockBase+"/tickets", func(r *http.Request) (*http.Response, error) {
		queries = append(queries, r.URL.Query())
		offset, _ := strconv.Atoi(r.URL.Query().Get("offset"))
		items := []string{ticketJSON(int64(offset+1), "r", time.Unix(0, 0)), ticketJSON(int64(offset+2), "r", time.Unix(0, 0))}
		return jsonResponse(http.StatusOK, []byte(`{"total":4,"data":[`+strings.Join(items, ",")+`]}`)), nil
	})
	for _, err := range c.Tickets.All(t.Context(), &apizee.ListTicketsParams{Reference: "r", OrderBy: "date", Order: apizee.OrderAsc, Limit: 2}) {
		require.NoError(t, err)
	}
	require.Len(t, queries, 2)
	assert.Equal(t, url.Values{"reference": {"r"}, "orderby": {"date"}, "order": {"asc"}, "limit": {"2"}}, queries[0])
	assert.Equal(t, url.Values{"reference": {"r"}, "orderby": {"date"}, "order": {"asc"}, "limit": {"2"}, "offset": {"2"}}, queries[1])
}

func TestTicketsAllYieldsAnErrorOnceAndStops(t *testing.T) {
	c, mock := ticketsMockClient(t)
	calls := 0
	mock.RegisterResponder(http.MethodGet, mockBase+"/tickets", func(r *http.Request) (*http.Response, error) {
		calls++
		if calls == 2 {
			return jsonResponse(http.StatusForbidden, []byte(`{"code":2,"message":"no rights"}`)), nil
		}
		items := []string{ticketJSON(int64(calls*10+1), "r", time.Unix(0, 0)), ticketJSON(int64(calls*10+2), "r", time.Unix(0, 0))}
		return jsonResponse(http.StatusOK, []byte(`{"total":10,"data":[`+strings.Join(items, ",")+`]}`)), nil
	})
	var got []int64
	var errs []error
	for tk, err := range c.Tickets.All(t.Context(), &apizee.ListTicketsParams{Limit: 2}) {
		if err != nil {
			assert.Nil(t, tk)
			errs = append(errs, err)
			continue
		}
		got = append(got, tk.ID)
	}
	assert.Equal(t, []int64{11, 12}, got)
	require.Len(t, errs, 1)
	assert.ErrorIs(t, errs[0], apizee.ErrForbidden)
	assert.Equal(t, 2, calls)
}

func TestFindByReferenceFiltersExactlyAndTakesTheNewest(t *testing.T) {
	c, mock := ticketsMockClient(t)
	day := func(d int) time.Time { return time.Date(2023, 7, d, 12, 0, 0, 0, time.UTC) }
	// The server matches loosely and does not sort: of 150 matches on two
	// pages, the exact ones are 3 (older) and 121 (newest, second page).
	var all []string
	for i := range 150 {
		ref, created := fmt.Sprintf("ref1-%d", i), day(20)
		switch i {
		case 2:
			ref, created = "ref1", day(10)
		case 120:
			ref, created = "ref1", day(15)
		case 7:
			ref = "REF1"
		case 8:
			ref = "ref1 "
		}
		all = append(all, ticketJSON(int64(i+1), ref, created))
	}
	var queries []url.Values
	mock.RegisterResponder(http.MethodGet, mockBase+"/tickets", func(r *http.Request) (*http.Response, error) {
		queries = append(queries, r.URL.Query())
		offset, _ := strconv.Atoi(r.URL.Query().Get("offset"))
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		page := all[min(offset, len(all)):min(offset+limit, len(all))]
		return jsonResponse(http.StatusOK, []byte(fmt.Sprintf(`{"total":%d,"data":[%s]}`, len(all), strings.Join(page, ",")))), nil
	})

	tk, err := c.Tickets.FindByReference(t.Context(), "ref1")
	require.NoError(t, err)
	assert.Equal(t, int64(121), tk.ID)
	require.Len(t, queries, 2)
	assert.Equal(t, "ref1", queries[0].Get("reference"))

	_, err = c.Tickets.FindByReference(t.Context(), "ref")
	assert.ErrorIs(t, err, apizee.ErrNotFound, "only loose matches")
	assert.Contains(t, err.Error(), `"ref"`)
}

func TestFindByReferenceTieOnCreationTakesTheHigherID(t *testing.T) {
	c, mock := ticketsMockClient(t)
	at := time.Date(2023, 7, 1, 0, 0, 0, 0, time.UTC)
	body := fmt.Sprintf(`{"total":2,"data":[%s,%s]}`, ticketJSON(8, "r", at), ticketJSON(7, "r", at))
	mock.RegisterResponder(http.MethodGet, mockBase+"/tickets", httpmock.ResponderFromResponse(jsonResponse(http.StatusOK, []byte(body))))
	tk, err := c.Tickets.FindByReference(t.Context(), "r")
	require.NoError(t, err)
	assert.Equal(t, int64(8), tk.ID)
}

func TestFindByReferenceReturnsListingErrors(t *testing.T) {
	c, mock := ticketsMockClient(t)
	mock.RegisterResponder(http.MethodGet, mockBase+"/tickets", httpmock.NewStringResponder(http.StatusUnauthorized, `{"message":"Invalid token"}`))
	_, err := c.Tickets.FindByReference(t.Context(), "r")
	assert.ErrorIs(t, err, apizee.ErrUnauthorized)
	assert.NotErrorIs(t, err, apizee.ErrNotFound)
}

// onceServer is an in-memory GET/POST /tickets for CreateOnce: each POST
// takes the next outcome of its script (then "ok").
type onceServer struct {
	mu      sync.Mutex
	tickets []string
	nextID  int64
	script  []string
	posts   int
	lists   int
	failGet bool // every listing after the first answers 503
}

// Outcomes of a POST.
const (
	outcomeOK            = "ok"             // create, answer 200
	outcome500Processed  = "500 processed"  // create, answer 500
	outcome500           = "500"            // answer 500 without creating
	outcomeDropProcessed = "drop processed" // create, then lose the answer
	outcomeGarbled       = "garbled"        // create, answer 200 with a body that is not JSON
	outcome400           = "400"            // refuse
)

func (s *onceServer) register(mock *httpmock.MockTransport) {
	mock.RegisterResponder(http.MethodPost, mockBase+"/tickets", func(r *http.Request) (*http.Response, error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.posts++
		outcome := outcomeOK
		if len(s.script) > 0 {
			outcome, s.script = s.script[0], s.script[1:]
		}
		if outcome == outcome400 {
			return jsonResponse(http.StatusBadRequest, []byte(`{"code":10,"message":"Invalid parameter","details":"Parameter phone"}`)), nil
		}
		if outcome == outcome500 {
			return jsonResponse(http.StatusInternalServerError, []byte(`{"message":"Internal error"}`)), nil
		}
		s.nextID++
		tk := ticketJSON(s.nextID, r.URL.Query().Get("reference"), time.Unix(1700000000, 0))
		s.tickets = append(s.tickets, tk)
		switch outcome {
		case outcome500Processed:
			return jsonResponse(http.StatusInternalServerError, []byte(`{"message":"Internal error"}`)), nil
		case outcomeDropProcessed:
			return nil, io.ErrUnexpectedEOF
		case outcomeGarbled:
			return jsonResponse(http.StatusOK, []byte(`<html>oops</html>`)), nil
		}
		return jsonResponse(http.StatusOK, []byte(tk)), nil
	})
	mock.RegisterResponder(http.MethodGet, mockBase+"/tickets", func(r *http.Request) (*http.Response, error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.lists++
		if s.failGet && s.lists > 1 {
			return jsonResponse(http.StatusServiceUnavailable, []byte(`{"message":"down"}`)), nil
		}
		// The reference filter is loose on purpose: CreateOnce must filter.
		return jsonResponse(http.StatusOK, []byte(fmt.Sprintf(`{"total":%d,"data":[%s]}`, len(s.tickets), strings.Join(s.tickets, ",")))), nil
	})
}

func (s *onceServer) count() (posts, lists, tickets int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.posts, s.lists, len(s.tickets)
}

func TestCreateOnce(t *testing.T) {
	tests := []struct {
		name       string
		existing   []string // references of tickets there before
		script     []string
		maxRetries int
		wantID     int64 // 0: an error
		wantPosts  int
		wantLists  int
		wantStatus int // of the *APIError returned when wantID is 0
	}{
		{name: "plain success lists once, posts once", script: []string{outcomeOK}, maxRetries: 3, wantID: 1, wantPosts: 1, wantLists: 1},
		{name: "5xx after creating: the new ticket is returned, not recreated", existing: []string{"case-1", "case-10"},
			script: []string{outcome500Processed}, maxRetries: 3, wantID: 3, wantPosts: 1, wantLists: 2},
		{name: "answer lost after creating", script: []string{outcomeDropProcessed}, maxRetries: 3, wantID: 1, wantPosts: 1, wantLists: 2},
		{name: "2xx that does not decode", script: []string{outcomeGarbled}, maxRetries: 3, wantID: 1, wantPosts: 1, wantLists: 2},
		{name: "5xx without creating: created again", existing: []string{"case-1"}, script: []string{outcome500, outcomeOK},
			maxRetries: 3, wantID: 2, wantPosts: 2, wantLists: 2},
		{name: "even with no retry budget, a created ticket is found", script: []string{outcomeDropProcessed}, maxRetries: 0,
			wantID: 1, wantPosts: 1, wantLists: 2},
		{name: "budget spent", script: []string{outcome500, outcome500, outcome500, outcomeOK}, maxRetries: 2,
			wantPosts: 3, wantLists: 4, wantStatus: http.StatusInternalServerError},
		{name: "4xx returned at once", script: []string{outcome400}, maxRetries: 3, wantPosts: 1, wantLists: 1, wantStatus: http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, mock := ticketsMockClient(t, apizee.WithRetryPolicy(apizee.RetryPolicy{MaxRetries: tt.maxRetries, MinBackoff: time.Microsecond, MaxBackoff: time.Microsecond}))
			srv := &onceServer{script: tt.script}
			for _, ref := range tt.existing {
				srv.nextID++
				srv.tickets = append(srv.tickets, ticketJSON(srv.nextID, ref, time.Unix(1600000000, 0)))
			}
			srv.register(mock)

			tk, err := c.Tickets.CreateOnce(t.Context(), &apizee.CreateTicketParams{Agent: "agent1", Phone: []string{"+33612345678"}, Reference: "case-1"})
			posts, lists, _ := srv.count()
			assert.Equal(t, tt.wantPosts, posts, "POST /tickets")
			assert.Equal(t, tt.wantLists, lists, "GET /tickets")
			if tt.wantID == 0 {
				assert.Nil(t, tk)
				var apiErr *apizee.APIError
				require.ErrorAs(t, err, &apiErr)
				assert.Equal(t, tt.wantStatus, apiErr.StatusCode)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantID, tk.ID)
			assert.Equal(t, "case-1", tk.Reference)
		})
	}
}

func TestCreateOnceReportsAFailedCheckAsMaybeCreated(t *testing.T) {
	c, mock := ticketsMockClient(t)
	srv := &onceServer{script: []string{outcome500Processed}, failGet: true}
	srv.register(mock)
	_, err := c.Tickets.CreateOnce(t.Context(), &apizee.CreateTicketParams{Agent: "agent1", Phone: []string{"+33612345678"}, Reference: "r"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "may exist")
	var apiErr *apizee.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusInternalServerError, apiErr.StatusCode, "the create's own failure comes first")
	assert.Contains(t, err.Error(), "503")
	posts, _, _ := srv.count()
	assert.Equal(t, 1, posts, "never creates blind")
}

func TestCreateOnceStopsWhenTheCallersContextEnds(t *testing.T) {
	c, mock := ticketsMockClient(t, apizee.WithRetryPolicy(apizee.RetryPolicy{MaxRetries: 3, MinBackoff: time.Microsecond, MaxBackoff: time.Microsecond}))
	ctx, cancel := context.WithCancel(t.Context())
	srv := &onceServer{}
	srv.register(mock)
	posts := 0
	mock.RegisterResponder(http.MethodPost, mockBase+"/tickets", func(r *http.Request) (*http.Response, error) {
		posts++
		cancel()
		return nil, context.Canceled
	})
	_, err := c.Tickets.CreateOnce(ctx, &apizee.CreateTicketParams{Agent: "agent1", Phone: []string{"+33612345678"}, Reference: "r"})
	assert.ErrorIs(t, err, context.Canceled)
	assert.NotContains(t, err.Error(), "listing", "returned as is, without a second look")
	_, lists, _ := srv.count()
	assert.Equal(t, 1, posts)
	assert.Equal(t, 1, lists, "no second look once the caller gave up")
}

func TestCreateDoesNotRetryAnAmbiguousFailure(t *testing.T) {
	c, mock := ticketsMockClient(t, apizee.WithRetryPolicy(apizee.RetryPolicy{MaxRetries: 3, MinBackoff: time.Microsecond, MaxBackoff: time.Microsecond}))
	srv := &onceServer{script: []string{outcome500Processed}}
	srv.register(mock)
	_, err := c.Tickets.Create(t.Context(), &apizee.CreateTicketParams{Agent: "agent1", Phone: []string{"+33612345678"}, Reference: "r"})
	assert.ErrorIs(t, err, apizee.ErrServer)
	posts, lists, tickets := srv.count()
	assert.Equal(t, 1, posts)
	assert.Zero(t, lists)
	assert.Equal(t, 1, tickets)
}

// refusingLimiter lets the first n waits through and refuses the others.
type refusingLimiter struct {
	mu    sync.Mutex
	n     int
	waits int
}

func (l *refusingLimiter) Wait(context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.waits++
	if l.waits > l.n {
		return errors.New("would exceed the budget")
	}
	return nil
}

func TestCreateOnceReturnsAPOSTTheLimiterStoppedAtOnce(t *testing.T) {
	limiter := &refusingLimiter{n: 1} // the first listing passes, the POST does not
	c, mock := ticketsMockClient(t, apizee.WithRateLimiter(limiter))
	srv := &onceServer{}
	srv.register(mock)
	_, err := c.Tickets.CreateOnce(t.Context(), &apizee.CreateTicketParams{Agent: "agent1", Phone: []string{"+33612345678"}, Reference: "r"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "rate limiter")
	assert.NotContains(t, err.Error(), "listing", "the POST never left: nothing to look for")
	posts, lists, _ := srv.count()
	assert.Zero(t, posts)
	assert.Equal(t, 1, lists)
	assert.Equal(t, 2, limiter.waits)
}

func FuzzTicketDecoding(f *testing.F) {
	for _, name := range []string{"ticket_create.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		require.NoError(f, err)
		f.Add(b)
	}
	f.Add([]byte(`{"id":"7","reference":12,"requestor":{"phone":["+33612345678",3]},"geoloc":{"lat":"1","lon":2}}`))
	f.Add([]byte(`{"id":null}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var tk apizee.Ticket
		if json.Unmarshal(b, &tk) != nil {
			return
		}
		assert.Positive(t, tk.ID, "a decoded ticket has an id")
		// Whatever the other fields hold, the secret ones print masked.
		tk.RequestorURL, tk.SSOURL = "https://x?pwd=marker-4711", "https://x?access_token=marker-4712"
		for _, out := range []string{tk.String(), fmt.Sprintf("%#v", []apizee.Ticket{tk})} {
			assert.NotContains(t, out, "marker-471")
		}
	})
}

// TestTicketDecodeErrorIsTheScannersOrEncodingJSONs holds which error a
// ticket that does not decode gets: in valid JSON, the scanner's, which
// names the field and no type of the SDK; in invalid JSON, encoding/json's
// syntax error, even after a value the scanner refused.
func TestTicketDecodeErrorIsTheScannersOrEncodingJSONs(t *testing.T) {
	var tk apizee.Ticket
	err := json.Unmarshal([]byte(`{"id":1,"geoloc":"north"}`), &tk)
	require.Error(t, err)
	assert.Equal(t, `field "geoloc" holds a JSON string where an object belongs`, err.Error())

	var syntax *json.SyntaxError
	for _, in := range []string{`{"id":"x",`, `{"id":1,"geoloc":"north",`} {
		err = tk.UnmarshalJSON([]byte(in))
		assert.True(t, errors.As(err, &syntax), "%s: %v", in, err)
	}
}
