package apizeetest_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee/apizeetest"
)

func TestCreateTicket(t *testing.T) {
	clk := newClock("2024-03-01T10:00:00Z")
	srv := newServer(t, apizeetest.WithClock(clk.Now))
	q := url.Values{
		"agent": {"agent1@apizee.com"}, "phone": {"+33612345678"}, "invite": {"1"}, "reference": {"case-42"},
		"scope": {"sso"}, "name": {"Jane Doe"}, "subject": {"Your call"}, "description": {"<p>Printer</p>"}, "type": {"support"},
	}

	a := post(t, srv, "/tickets?"+q.Encode())

	require.Equal(t, http.StatusOK, a.Status, "body: %s", a.Body)
	ticket := a.object(t)
	root := strings.TrimSuffix(srv.URL, apizeetest.DefaultPrefix)
	assert.Positive(t, ticket["id"])
	assert.Equal(t, "invited", ticket["state"], "invite=1")
	assert.Equal(t, "invited", ticket["status"])
	assert.Equal(t, "case-42", ticket["reference"])
	assert.Equal(t, "agent1@apizee.com", ticket["agent"])
	assert.Equal(t, map[string]any{"phone": "+33612345678"}, ticket["requestor"])
	assert.Equal(t, "Jane Doe", ticket["name"])
	assert.Equal(t, "Your call", ticket["subject"])
	assert.Equal(t, "<p>Printer</p>", ticket["description"])
	assert.Equal(t, "support", ticket["type"])
	assert.Equal(t, "2024-03-01T10:00:00+00:00", ticket["created"])
	assert.Equal(t, "2024-03-01T10:00:00+00:00", ticket["start_time"])
	assert.Equal(t, "2024-03-01T10:30:00+00:00", ticket["end_time"])
	assert.Equal(t, root, ticket["agent_url"], "the agent portal is the server root")
	assert.Equal(t, float64(223), ticket["button_id"])
	assert.Regexp(t, `^https://diag\.apizee\.com\?convId=[0-9a-f-]+&pwd=[0-9]{6}$`, ticket["requestor_url"])
	assert.Regexp(t, `^`+root+`\?access_token=eyJ[\w-]+\.[\w-]+\.[\w-]+$`, ticket["sso_url"])
	assert.Regexp(t, `^https://apz\.fr/\w{10}$`, ticket["information_page_url"])
	assert.Equal(t, 3, srv.TicketCount())
	assert.Equal(t, 1, srv.TicketsWithReference("case-42"))
	one := get(t, srv, "/tickets/"+jsonID(ticket)).object(t)
	assert.NotContains(t, one, "sso_url", "the single-sign-on link comes only with the create's answer")
	delete(ticket, "sso_url")
	assert.Equal(t, ticket, one, "GET answers what POST did, but for sso_url")
}

func TestCreateTicketMinimal(t *testing.T) {
	srv := newServer(t)

	ticket := post(t, srv, "/tickets?agent=bob%40example.com&email=jane%40example.com").object(t)

	assert.Equal(t, "new", ticket["state"], "without invite")
	assert.Equal(t, map[string]any{"email": "jane@example.com"}, ticket["requestor"])
	assert.NotContains(t, ticket, "sso_url", "only with scope=sso")
	assert.Nil(t, ticket["name"])
	assert.Nil(t, ticket["subject"])
	assert.Equal(t, "", ticket["reference"])
}

func TestCreateTicketWithSeveralContacts(t *testing.T) {
	srv := newServer(t)

	ticket := post(t, srv, "/tickets?agent=a%40b.c&phone=%2B33612345678,%2B33698765432&email=x%40y.z").object(t)

	assert.Equal(t, map[string]any{"phone": []any{"+33612345678", "+33698765432"}, "email": "x@y.z"}, ticket["requestor"],
		"several phones are a list, one a string")
}

func TestCreateTicketIDsAreUnique(t *testing.T) {
	srv := newServer(t)
	seen := map[any]bool{}
	for range 3 {
		id := post(t, srv, "/tickets?agent=a%40b.c&phone=%2B33612345678").object(t)["id"]
		assert.False(t, seen[id], "id %v reused", id)
		seen[id] = true
	}
}

func TestCreateTicketValidation(t *testing.T) {
	valid := url.Values{"agent": {"agent1@apizee.com"}, "phone": {"+33612345678"}}
	tests := []struct {
		name    string
		change  func(q url.Values)
		details string
	}{
		{"no agent", func(q url.Values) { q.Del("agent") }, "Parameter agent"},
		{"blank agent", func(q url.Values) { q.Set("agent", "  ") }, "Parameter agent"},
		{"neither email nor phone", func(q url.Values) { q.Del("phone") }, "Parameter email"},
		{"phone without +", func(q url.Values) { q.Set("phone", "0612345678") }, "Parameter phone"},
		{"phone too short", func(q url.Values) { q.Set("phone", "+3361234") }, "Parameter phone"},
		{"phone too long", func(q url.Values) { q.Set("phone", "+3361234567890123") }, "Parameter phone"},
		{"phone with letters", func(q url.Values) { q.Set("phone", "+33612345abc") }, "Parameter phone"},
		{"one bad phone of two", func(q url.Values) { q.Set("phone", "+33612345678,06") }, "Parameter phone"},
		{"email without @", func(q url.Values) { q.Set("email", "jane.example.com") }, "Parameter email"},
		{"email with nothing before @", func(q url.Values) { q.Set("email", "@example.com") }, "Parameter email"},
		{"invite not 1", func(q url.Values) { q.Set("invite", "yes") }, "Parameter invite"},
		{"unknown scope", func(q url.Values) { q.Set("scope", "admin") }, "Parameter scope"},
		{"name of 1 character", func(q url.Values) { q.Set("name", "J") }, "Parameter name"},
		{"name of 256 characters", func(q url.Values) { q.Set("name", strings.Repeat("é", 256)) }, "Parameter name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			q := url.Values{}
			for k, v := range valid {
				q[k] = v
			}
			tt.change(q)

			a := post(t, srv, "/tickets?"+q.Encode())

			requireAPIError(t, a, http.StatusBadRequest, map[string]any{"code": float64(10), "details": tt.details})
			assert.NotEmpty(t, a.object(t)["message"])
			assert.Equal(t, 2, srv.TicketCount(), "nothing created")
		})
	}
}

func TestCreateTicketAcceptsTheLimits(t *testing.T) {
	srv := newServer(t)
	q := url.Values{"agent": {"a@b.c"}, "phone": {"+12345678,+123456789012345"}, "name": {strings.Repeat("é", 255)}, "invite": {"0"}}

	assert.Equal(t, http.StatusOK, post(t, srv, "/tickets?"+q.Encode()).Status)
}

func TestGetTicket(t *testing.T) {
	srv := newServer(t)

	ticket := get(t, srv, "/tickets/663614").object(t)

	assert.Equal(t, "done", ticket["state"])
	assert.Equal(t, "ref12345678", ticket["reference"])
	for _, path := range []string{"/tickets/999999", "/tickets/0", "/tickets/-1", "/tickets/abc", "/tickets/1.5"} {
		requireAPIError(t, get(t, srv, path), http.StatusNotFound, nil)
	}
}

func TestListTicketsByReference(t *testing.T) {
	srv := newServer(t)
	srv.AddTickets(2, "ref12345678")
	srv.AddTickets(1, "ref12345678-other")

	items, total := get(t, srv, "/tickets?orderby=date&order=desc&limit=10&reference=ref12345678").data(t)

	assert.Equal(t, 3, total)
	require.Len(t, items, 3)
	for _, item := range items {
		assert.Equal(t, "ref12345678", item["reference"], "exact match only")
	}
	assert.Equal(t, float64(663614), items[2]["id"], "the oldest last")
}

func TestListTicketsOrderAndPaging(t *testing.T) {
	clk := newClock("2024-03-01T10:00:00Z")
	srv := newServer(t, apizeetest.WithoutSeed(), apizeetest.WithClock(clk.Now))
	var created []any
	for range 5 {
		for _, id := range srv.AddTickets(1, "page") {
			created = append(created, float64(id))
		}
		clk.Advance(time.Minute)
	}
	same := srv.AddTickets(2, "page") // same stamp: ordered by id
	created = append(created, float64(same[0]), float64(same[1]))
	reversed := func(l []any) []any {
		out := make([]any, len(l))
		for i, v := range l {
			out[len(l)-1-i] = v
		}
		return out
	}

	tests := []struct {
		query string
		want  []any
	}{
		{"", reversed(created)},
		{"?order=desc", reversed(created)},
		{"?order=asc", created},
		{"?orderby=id&order=asc", created},
		{"?order=ASC&limit=3", created[:3]},
		{"?order=asc&limit=3&offset=3", created[3:6]},
		{"?order=asc&limit=3&offset=6", created[6:]},
		{"?order=asc&offset=7", []any{}},
		{"?order=asc&offset=100", []any{}},
		{"?limit=1", reversed(created)[:1]},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			items, total := get(t, srv, "/tickets"+tt.query).data(t)

			assert.Equal(t, 7, total, "the total of the whole list")
			assert.Equal(t, tt.want, ids(items))
		})
	}
}

func TestListTicketsDefaultLimit(t *testing.T) {
	srv := newServer(t, apizeetest.WithoutSeed())
	srv.AddTickets(1001, "many")

	items, total := get(t, srv, "/tickets").data(t)
	assert.Len(t, items, 10)
	assert.Equal(t, 1001, total)

	items, _ = get(t, srv, "/tickets?limit=1000").data(t)
	assert.Len(t, items, 1000)
}

func TestListTicketsSinceUntil(t *testing.T) {
	srv := newServer(t)

	tests := []struct {
		query string
		want  []any
	}{
		{"?since=2023-07-01T00:00:00Z", []any{float64(82070)}},
		{"?until=2023-07-01T00:00:00Z", []any{float64(663614)}},
		{"?since=2023-02-22T21:56:34Z&until=2023-07-12T15:48:11Z", []any{float64(82070), float64(663614)}},
		{"?since=2023-02-22T23:56:35%2B02:00&until=2023-07-12T17:48:10%2B02:00", []any{}},
		{"?since=2024-01-01T00:00:00Z", []any{}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			items, total := get(t, srv, "/tickets"+tt.query).data(t)
			assert.Equal(t, tt.want, ids(items))
			assert.Equal(t, len(tt.want), total)
		})
	}
}

func TestListTicketsValidation(t *testing.T) {
	srv := newServer(t)
	tests := []struct{ query, details string }{
		{"limit=0", "Parameter limit"},
		{"limit=1001", "Parameter limit"},
		{"limit=ten", "Parameter limit"},
		{"offset=-1", "Parameter offset"},
		{"order=sideways", "Parameter order"},
		{"orderby=name", "Parameter orderby"},
		{"since=yesterday", "Parameter since"},
		{"until=2023-07-13", "Parameter until"},
		{"since=2023-07-14T00:00:00Z&until=2023-07-13T00:00:00Z", "Parameter since"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			requireAPIError(t, get(t, srv, "/tickets?"+tt.query), http.StatusBadRequest,
				map[string]any{"code": float64(10), "details": tt.details})
		})
	}
}

func TestAddTickets(t *testing.T) {
	clk := newClock("2024-03-01T10:00:00Z")
	srv := newServer(t, apizeetest.WithClock(clk.Now))

	added := srv.AddTickets(3, "bulk")

	require.Len(t, added, 3)
	assert.Equal(t, 5, srv.TicketCount())
	assert.Equal(t, 3, srv.TicketsWithReference("bulk"))
	ticket := get(t, srv, "/tickets/"+strconv.FormatInt(added[0], 10)).object(t)
	assert.Equal(t, apizeetest.DefaultUsername, ticket["agent"])
	assert.Equal(t, "bulk", ticket["reference"])
	assert.Equal(t, "2024-03-01T10:00:00+00:00", ticket["created"])
	assert.NotEmpty(t, ticket["requestor"].(map[string]any)["phone"])
	assert.Empty(t, srv.AddTickets(0, "none"))
}

// jsonID is the "id" of a decoded object, for a path.
func jsonID(object map[string]any) string {
	id, _ := object["id"].(float64)
	return strconv.FormatInt(int64(id), 10)
}
