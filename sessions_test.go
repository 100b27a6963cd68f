package apizee_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee"
)

func TestSessionsListQuery(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	require.NoError(t, err)
	tests := []struct {
		name   string
		params *apizee.ListSessionsParams
		want   url.Values
	}{
		{"nil params send nothing", nil, url.Values{}},
		{"the guide's day", &apizee.ListSessionsParams{ServiceKey: "f7a0300abf044e86bfcc7d9ae906381e",
			Since: rfc3339("2023-07-13T00:00:00Z"), Until: rfc3339("2023-07-14T23:59:59Z")},
			url.Values{"service_key": {"f7a0300abf044e86bfcc7d9ae906381e"}, "since": {"2023-07-13T00:00:00Z"}, "until": {"2023-07-14T23:59:59Z"}}},
		{"times go out in UTC, paging as given", &apizee.ListSessionsParams{Since: time.Date(2023, 7, 13, 0, 0, 0, 0, paris),
			Limit: 50, Offset: 100},
			url.Values{"since": {"2023-07-12T22:00:00Z"}, "limit": {"50"}, "offset": {"100"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMeetingMock(t)
			m.answer(http.MethodGet, "/session", http.StatusOK, meetingFixture(t, "sessions.json"))
			_, err := m.client.Sessions.List(t.Context(), tt.params)
			require.NoError(t, err)
			req := m.only(t)
			assert.Equal(t, "/api/session", req.URL.Path)
			assert.Equal(t, tt.want, req.URL.Query())
		})
	}
}

func TestSessionsListDecodesTheGuideResponse(t *testing.T) {
	m := newMeetingMock(t)
	m.answer(http.MethodGet, "/session", http.StatusOK, meetingFixture(t, "sessions.json"))
	page, err := m.client.Sessions.List(t.Context(), &apizee.ListSessionsParams{ServiceKey: "f7a0300abf044e86bfcc7d9ae906381e"})
	require.NoError(t, err)
	assert.Equal(t, 1, page.Total)
	require.Len(t, page.Items, 1)
	assert.Equal(t, apizee.Session{
		ID:                    "1057a6af-eb9e-4730-b570-b0df1cfb",
		StartTime:             rfc3339("2023-07-13T16:23:26Z"),
		EndTime:               rfc3339("2023-07-13T16:24:34Z"),
		BillingUnits:          5,
		TotalParticipantCount: 2,
		Organizer:             &apizee.Party{ID: 2899, Name: "Dr Doe"},
		Enterprise:            &apizee.Party{ID: 1, Name: "Apizee"},
		Service:               &apizee.EntryPoint{ID: 5633, Key: "f7a0300abf044e86bfcc7d9ae906381e", Name: "Conference"},
		Type:                  "conference",
	}, page.Items[0])
}

func TestSessionDecoding(t *testing.T) {
	tests := []struct {
		name string
		item string
		want *apizee.Session // nil: the page is refused
	}{
		{"a numeric id is kept as written", `{"id":12345}`, &apizee.Session{ID: "12345"}},
		{"numbers as strings", `{"id":"s1","billing_duration":"7","total_participant_count":"3","service":{"id":"5633","key":"k"}}`,
			&apizee.Session{ID: "s1", BillingUnits: 7, TotalParticipantCount: 3, Service: &apizee.EntryPoint{ID: 5633, Key: "k"}}},
		{"nulls", `{"id":"s2","start_time":null,"organizer":null,"enterprise":null,"service":null,"type":null,"billing_duration":null}`,
			&apizee.Session{ID: "s2"}},
		{"unknown types and fields are kept or ignored", `{"id":"s3","type":"webinar","extra":[1,2]}`,
			&apizee.Session{ID: "s3", Type: "webinar"}},
		{"times are given in UTC", `{"id":"s5","start_time":"2023-07-13T18:23:26+02:00"}`,
			&apizee.Session{ID: "s5", StartTime: rfc3339("2023-07-13T16:23:26Z")}},
		{"no id", `{"type":"conference"}`, nil},
		{"a fractional count", `{"id":"s4","total_participant_count":2.5}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMeetingMock(t)
			m.answer(http.MethodGet, "/session", http.StatusOK, fmt.Sprintf(`{"total":1,"data":[%s]}`, tt.item))
			page, err := m.client.Sessions.List(t.Context(), nil)
			if tt.want == nil {
				var decodeErr *apizee.DecodeError
				require.ErrorAs(t, err, &decodeErr)
				assert.Nil(t, page)
				return
			}
			require.NoError(t, err)
			require.Len(t, page.Items, 1)
			assert.Equal(t, *tt.want, page.Items[0])
		})
	}
}

func TestSessionsAllWalksEveryPage(t *testing.T) {
	m := newMeetingMock(t)
	m.handle(http.MethodGet, "/session", servePages(7, func(i int) string {
		return fmt.Sprintf(`{"id":"session-%d","type":"conference"}`, i)
	}))
	var ids []string
	for s, err := range m.client.Sessions.All(t.Context(), &apizee.ListSessionsParams{ServiceKey: "key", Limit: 3}) {
		require.NoError(t, err)
		ids = append(ids, s.ID)
	}
	assert.Equal(t, []string{"session-0", "session-1", "session-2", "session-3", "session-4", "session-5", "session-6"}, ids)
	var offsets []string
	for _, r := range m.requests() {
		assert.Equal(t, "key", r.URL.Query().Get("service_key"), "every page keeps the filter")
		offsets = append(offsets, r.URL.Query().Get("offset"))
	}
	assert.Equal(t, []string{"", "3", "6"}, offsets)
}

func TestSessionsAllYieldsTheErrorOnce(t *testing.T) {
	m := newMeetingMock(t)
	m.answer(http.MethodGet, "/session", http.StatusNotFound, `{"message":"unknown service"}`)
	var errs []error
	for s, err := range m.client.Sessions.All(t.Context(), &apizee.ListSessionsParams{ServiceKey: "nope"}) {
		assert.Nil(t, s)
		errs = append(errs, err)
	}
	require.Len(t, errs, 1)
	assert.ErrorIs(t, errs[0], apizee.ErrNotFound)
}

func TestSessionsEndToEnd(t *testing.T) {
	srv, c := newMeetingServer(t)
	ctx := t.Context()
	conf, err := c.Conferences.Get(ctx, 842341)
	require.NoError(t, err)

	page, err := c.Sessions.List(ctx, &apizee.ListSessionsParams{ServiceKey: conf.ServiceKey,
		Since: rfc3339("2023-07-13T00:00:00Z"), Until: rfc3339("2023-07-13T23:59:59Z")})
	require.NoError(t, err)
	assert.Equal(t, 1, page.Total)
	require.Len(t, page.Items, 1)
	s := page.Items[0]
	assert.Equal(t, "1057a6af-eb9e-4730-b570-b0df1cfb", s.ID)
	assert.Equal(t, 5, s.BillingUnits)
	assert.Equal(t, 2, s.TotalParticipantCount)
	assert.Equal(t, &apizee.EntryPoint{ID: 5633, Key: conf.ServiceKey, Name: "Conference"}, s.Service)
	assert.Equal(t, "Dr Doe", s.Organizer.Name)
	assert.Equal(t, "conference", s.Type)

	var all []string
	for s, err := range c.Sessions.All(ctx, &apizee.ListSessionsParams{ServiceKey: conf.ServiceKey, Limit: 1}) {
		require.NoError(t, err)
		all = append(all, s.ID)
	}
	assert.Len(t, all, 3, "every seeded session, one page at a time")
	assert.Equal(t, 4, srv.RequestCount(http.MethodGet, "/session"))

	none, err := c.Sessions.List(ctx, &apizee.ListSessionsParams{ServiceKey: "another-service"})
	require.NoError(t, err)
	assert.Empty(t, none.Items)
}
