package apizee_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee"
)

func TestConferenceMediaQuery(t *testing.T) {
	tests := []struct {
		name   string
		params *apizee.ListMediaParams
		want   url.Values
	}{
		{"nil params send nothing", nil, url.Values{}},
		{"the guide's example", &apizee.ListMediaParams{Limit: 10, OrderBy: "date", Order: apizee.OrderDesc},
			url.Values{"limit": {"10"}, "orderby": {"date"}, "order": {"desc"}}},
		{"an offset", &apizee.ListMediaParams{Offset: 30, Order: apizee.OrderAsc},
			url.Values{"offset": {"30"}, "order": {"asc"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMeetingMock(t)
			m.answer(http.MethodGet, "/conferences/842341/media", http.StatusOK, meetingFixture(t, "conference_media.json"))
			_, err := m.client.Media.ListForConference(t.Context(), 842341, tt.params)
			require.NoError(t, err)
			req := m.only(t)
			assert.Equal(t, "/api/conferences/842341/media", req.URL.Path)
			assert.Equal(t, tt.want, req.URL.Query())
			assert.Equal(t, "Bearer t", req.Header.Get("Authorization"))
		})
	}
}

func TestConferenceMediaDecodesTheGuideResponse(t *testing.T) {
	m := newMeetingMock(t)
	m.answer(http.MethodGet, "/conferences/842341/media", http.StatusOK, meetingFixture(t, "conference_media.json"))
	page, err := m.client.Media.ListForConference(t.Context(), 842341, &apizee.ListMediaParams{Limit: 10})
	require.NoError(t, err)
	assert.Equal(t, 1, page.Total)
	assert.Equal(t, 10, page.Limit)
	require.Len(t, page.Items, 1)
	got := page.Items[0]
	assert.True(t, time.Date(2023, 7, 13, 16, 24, 4, 0, time.UTC).Equal(got.Created), got.Created)
	assert.JSONEq(t, `{"geoloc":{"lat":48.7611333,"lng":-3.4669605}}`, string(got.Metadata))
	got.Created, got.Metadata = time.Time{}, nil
	assert.Equal(t, apizee.Media{
		ID:         2343988,
		Hash:       "aec9aca0-2199-11ee-9a17-c7ee7339236a",
		Title:      "0YW553BN-8214-composite",
		Filename:   "0YW553BN-8214-composite.mp4",
		MediaType:  "video",
		Status:     "completed",
		SourceType: "conf_record",
		URL:        "https://cloud.apizee.com/media/showVideo/1/hash/aec9aca0-2199-11ee-9a17-c7ee7339236a",
		Size:       2270386,
		Owner:      &apizee.Party{ID: 2899, Name: "Dr Doe"},
		Location:   &apizee.GeoPoint{Lat: 48.7611333, Lng: -3.4669605},
	}, got)
}

func TestConferenceMediaLocation(t *testing.T) {
	tests := []struct {
		name string
		item string
		want *apizee.GeoPoint
	}{
		{"geoloc", `{"id":1,"geoloc":{"lat":1.5,"lng":2.5}}`, &apizee.GeoPoint{Lat: 1.5, Lng: 2.5}},
		{"only metadata.geoloc", `{"id":1,"metadata":{"geoloc":{"lat":3.5,"lng":4.5},"camera":"rear"}}`, &apizee.GeoPoint{Lat: 3.5, Lng: 4.5}},
		{"geoloc wins over metadata.geoloc", `{"id":1,"geoloc":{"lat":1,"lng":2},"metadata":{"geoloc":{"lat":3,"lng":4}}}`, &apizee.GeoPoint{Lat: 1, Lng: 2}},
		{"null geoloc falls back to metadata", `{"id":1,"geoloc":null,"metadata":{"geoloc":{"lat":"5.5","lon":"6.5"}}}`, &apizee.GeoPoint{Lat: 5.5, Lng: 6.5}},
		{"metadata without geoloc", `{"id":1,"metadata":{"camera":"rear"}}`, nil},
		{"metadata that is not an object", `{"id":1,"metadata":"n/a"}`, nil},
		{"no location at all", `{"id":1,"metadata":null}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMeetingMock(t)
			m.answer(http.MethodGet, "/conferences/7/media", http.StatusOK, fmt.Sprintf(`{"total":1,"data":[%s]}`, tt.item))
			page, err := m.client.Media.ListForConference(t.Context(), 7, nil)
			require.NoError(t, err)
			require.Len(t, page.Items, 1)
			assert.Equal(t, tt.want, page.Items[0].Location)
		})
	}
}

func TestConferenceMediaAllWalksEveryPage(t *testing.T) {
	m := newMeetingMock(t)
	m.handle(http.MethodGet, "/conferences/842341/media", servePages(5, func(i int) string {
		b, _ := json.Marshal(map[string]any{"id": 2343988 + i, "media_type": "video", "filesize": 1000 * i})
		return string(b)
	}))
	var ids []int64
	for media, err := range m.client.Media.AllForConference(t.Context(), 842341, &apizee.ListMediaParams{Limit: 2, OrderBy: "date", Order: apizee.OrderDesc}) {
		require.NoError(t, err)
		ids = append(ids, media.ID)
	}
	assert.Equal(t, []int64{2343988, 2343989, 2343990, 2343991, 2343992}, ids)
	var offsets []string
	for _, r := range m.requests() {
		q := r.URL.Query()
		assert.Equal(t, []string{"date", "desc", "2"}, []string{q.Get("orderby"), q.Get("order"), q.Get("limit")}, "every page keeps the order")
		offsets = append(offsets, q.Get("offset"))
	}
	assert.Equal(t, []string{"", "2", "4"}, offsets)
}

func TestConferenceMediaUnknownConference(t *testing.T) {
	m := newMeetingMock(t)
	m.answer(http.MethodGet, "/conferences/9/media", http.StatusNotFound, `{"message":"Conference not found"}`)
	var errs []error
	for media, err := range m.client.Media.AllForConference(t.Context(), 9, nil) {
		assert.Nil(t, media)
		errs = append(errs, err)
	}
	require.Len(t, errs, 1)
	assert.ErrorIs(t, errs[0], apizee.ErrNotFound)
}

func TestConferenceMediaEndToEnd(t *testing.T) {
	srv, c := newMeetingServer(t)
	ctx := t.Context()

	page, err := c.Media.ListForConference(ctx, 842341, &apizee.ListMediaParams{OrderBy: "date", Order: apizee.OrderDesc, Limit: 10})
	require.NoError(t, err)
	require.Len(t, page.Items, 1)
	rec := page.Items[0]
	assert.Equal(t, int64(2343988), rec.ID)
	assert.Equal(t, int64(2270386), rec.Size)
	assert.Equal(t, "video", rec.MediaType)
	assert.Equal(t, "conf_record", rec.SourceType)
	assert.Equal(t, "completed", rec.Status)
	assert.Equal(t, &apizee.Party{ID: 2899, Name: "Dr Doe"}, rec.Owner)
	assert.Equal(t, &apizee.GeoPoint{Lat: 48.7611333, Lng: -3.4669605}, rec.Location)

	for range 150 {
		srv.AddConferenceMedia(842341, 1024)
	}
	n := 0
	for media, err := range c.Media.AllForConference(ctx, 842341, nil) {
		require.NoError(t, err)
		require.NotNil(t, media)
		n++
	}
	assert.Equal(t, 151, n)
	assert.Equal(t, 1+2, srv.RequestCount(http.MethodGet, "/conferences/842341/media"), "pages of 100")

	_, err = c.Media.ListForConference(ctx, 999, nil)
	assert.ErrorIs(t, err, apizee.ErrNotFound)
}
