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

func TestCreateConferenceAsInTheGuide(t *testing.T) {
	clk := newClock("2024-03-01T10:00:00Z")
	srv := newServer(t, apizeetest.WithClock(clk.Now))

	a := post(t, srv, "/conferences?participants=invite12345%40yopmail.com%2C0612345678&name=TEST&moderation=true&invite=true&moderator=agent1%40apizee.com")

	require.Equal(t, http.StatusOK, a.Status, "body: %s", a.Body)
	conf := a.object(t)
	assert.Positive(t, conf["id"])
	assert.Equal(t, "TEST", conf["name"])
	assert.Equal(t, "scheduled", conf["status"])
	assert.Equal(t, "2024-03-01T10:00:00+00:00", conf["created"])
	assert.Equal(t, "2024-03-01T10:00:00+00:00", conf["start_time"])
	assert.Equal(t, "2024-03-01T11:00:00+00:00", conf["end_time"], "an hour by default")
	assert.Regexp(t, `^[0-9a-f]{32}:[0-9a-f]{32}$`, conf["room_name"])
	room := strings.Split(conf["room_name"].(string), ":")
	assert.Equal(t, "https://meet.apizee.com/private/"+room[0]+"/"+room[1], conf["url"])
	assert.Regexp(t, `^https://apz\.fr/\w{10}$`, conf["short_url"])
	assert.Regexp(t, `^[0-9]{6}$`, conf["sip_dtmf_code"])
	assert.NotEmpty(t, conf["sip_phone_number"])
	assert.Equal(t, map[string]any{"id": float64(2888), "name": "Agent 1"}, conf["organizer"])
	assert.Equal(t, map[string]any{"id": float64(1234), "name": "API"}, conf["created_by"])
	assert.Equal(t, conf["organizer"], conf["moderator"], "the moderator named by login")
	assert.Equal(t, "f7a0300abf044e86bfcc7d9ae906381e", conf["service_key"])
	assert.Equal(t, 3, srv.ConferenceCount())
	assert.Equal(t, conf, get(t, srv, "/conferences/"+jsonID(conf)).object(t), "GET answers what POST did")

	n := srv.ConferencesNamed("TEST") // the seed has one too
	post(t, srv, "/conferences?participants=invite12345%40yopmail.com&name=Weekly")
	post(t, srv, "/conferences?participants=invite12345%40yopmail.com&name=Weekly")
	post(t, srv, "/conferences?participants=invite12345%40yopmail.com&name=Weekly2")
	assert.Equal(t, 2, srv.ConferencesNamed("Weekly"), "exactly that name")
	assert.Zero(t, srv.ConferencesNamed("Week"))
	assert.Equal(t, n, srv.ConferencesNamed("TEST"))
}

func TestCreateConferenceOptions(t *testing.T) {
	srv := newServer(t)
	q := url.Values{
		"participants": {"+33612345678"}, "startTime": {"2030-01-01T15:00:00Z"}, "duration": {"90"},
		"reminder": {"15"}, "password": {"12*#"}, "message": {strings.Repeat("m", 300)}, "open": {"false"},
		"templateId": {"7"}, "language": {"fr"}, "moderator": {"2899"},
	}

	conf := post(t, srv, "/conferences?"+q.Encode()).object(t)

	assert.Equal(t, "2030-01-01T15:00:00+00:00", conf["start_time"])
	assert.Equal(t, "2030-01-01T16:30:00+00:00", conf["end_time"])
	assert.Equal(t, map[string]any{"id": float64(2899), "name": "Dr Doe"}, conf["moderator"], "the moderator named by id")
	assert.Regexp(t, `^Conference \d+$`, conf["name"], "a name is given when none is sent")
}

func TestCreateConferenceDisabled(t *testing.T) {
	srv := newServer(t, apizeetest.WithConferencesDisabled())

	a := post(t, srv, "/conferences?participants=a%40b.c&name=TEST")

	assert.Equal(t, http.StatusForbidden, a.Status)
	assert.JSONEq(t, `{"message":"user is not allowed to create conferences"}`, string(a.Body))
	assert.Equal(t, 2, srv.ConferenceCount())
	assert.Equal(t, http.StatusOK, get(t, srv, "/conferences").Status, "listing still works")
}

func TestCreateConferenceValidation(t *testing.T) {
	tests := []struct{ query, details string }{
		{"", "Parameter participants"},
		{"participants=", "Parameter participants"},
		{"participants=,,", "Parameter participants"},
		{"participants=not-an-address", "Parameter participants"},
		{"participants=a%40b.c,123", "Parameter participants"},
		{"participants=a%40b.c&name=X", "Parameter name"},
		{"participants=a%40b.c&name=" + strings.Repeat("x", 256), "Parameter name"},
		{"participants=a%40b.c&password=12ab", "Parameter password"},
		{"participants=a%40b.c&password=", "Parameter password"},
		{"participants=a%40b.c&message=" + strings.Repeat("m", 301), "Parameter message"},
		{"participants=a%40b.c&moderation=maybe", "Parameter moderation"},
		{"participants=a%40b.c&invite=2", "Parameter invite"},
		{"participants=a%40b.c&open=yes", "Parameter open"},
		{"participants=a%40b.c&startTime=tomorrow", "Parameter startTime"},
		{"participants=a%40b.c&duration=0", "Parameter duration"},
		{"participants=a%40b.c&reminder=61", "Parameter reminder"},
		{"participants=a%40b.c&templateId=x", "Parameter templateId"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			srv := newServer(t)

			a := post(t, srv, "/conferences?"+tt.query)

			requireAPIError(t, a, http.StatusBadRequest, map[string]any{"code": float64(10), "details": tt.details})
			assert.Equal(t, 2, srv.ConferenceCount(), "nothing created")
		})
	}
}

func TestGetConference(t *testing.T) {
	srv := newServer(t)

	assert.Equal(t, "TEST", get(t, srv, "/conferences/842199").object(t)["name"])
	for _, path := range []string{"/conferences/1", "/conferences/0", "/conferences/-842199", "/conferences/TEST"} {
		requireAPIError(t, get(t, srv, path), http.StatusNotFound, nil)
	}
}

func TestListConferences(t *testing.T) {
	clk := newClock("2024-03-01T10:00:00Z")
	srv := newServer(t, apizeetest.WithClock(clk.Now))
	first := post(t, srv, "/conferences?participants=a%40b.c&name=Weekly+test+review").object(t)["id"]
	clk.Advance(time.Hour)
	second := post(t, srv, "/conferences?participants=a%40b.c&name=Audit").object(t)["id"]

	tests := []struct {
		query     string
		want      []any
		wantTotal int
	}{
		{"", []any{second, first, float64(842341), float64(842199)}, 4},
		{"?search=TEST", []any{first, float64(842341), float64(842199)}, 3},
		{"?search=test+xx", []any{float64(842341)}, 1},
		{"?search=nothing", []any{}, 0},
		{"?limit=100&since=2023-07-11T00%3A00%3A00Z&search=TEST&orderby=date&order=desc", []any{first, float64(842341), float64(842199)}, 3},
		{"?since=2023-07-13T12:00:00Z&until=2024-03-01T10:00:00Z", []any{first, float64(842341)}, 2},
		{"?orderby=name&order=asc", []any{second, float64(842199), float64(842341), first}, 4},
		{"?orderby=id&order=asc&limit=2&offset=1", []any{float64(842341), first}, 4},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			items, total := get(t, srv, "/conferences"+tt.query).data(t)
			assert.Equal(t, tt.want, ids(items))
			assert.Equal(t, tt.wantTotal, total)
		})
	}
	requireAPIError(t, get(t, srv, "/conferences?orderby=size"), http.StatusBadRequest, map[string]any{"details": "Parameter orderby"})
	requireAPIError(t, get(t, srv, "/conferences?limit=-3"), http.StatusBadRequest, map[string]any{"details": "Parameter limit"})
}
