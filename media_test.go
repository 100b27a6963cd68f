package apizee_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee"
)

func TestMediaListForTicketRequestAndDecoding(t *testing.T) {
	c, mock := ticketsMockClient(t, apizee.WithEnterpriseID(7))
	var seen captured
	mock.RegisterResponder(http.MethodGet, mockBase+"/enterprises/7/tickets/663614/medias", seen.responder(http.StatusOK, testdata(t, "ticket_medias.json")))

	page, err := c.Media.ListForTicket(t.Context(), 663614, &apizee.ListMediaParams{Limit: 10, Offset: 30})
	require.NoError(t, err)
	req := seen.only(t)
	assert.Equal(t, url.Values{"limit": {"10"}, "offset": {"30"}}, req.URL.Query())
	assert.Equal(t, "Bearer t", req.Header.Get("Authorization"))

	assert.Equal(t, 2, page.Total, "count")
	assert.Equal(t, 30, page.Offset)
	assert.Equal(t, 10, page.Limit)
	assert.Equal(t, []apizee.Media{
		{
			ID: 1973404, Title: "ysExSVPf-2552-477", ContentType: "video/mp4", Hash: "4b6c0600-b2fc-11ed-afc2-a9d424af1014",
			SourceType: "unknown", URL: "https://cloud.apizee.com/media/showVideo/1/hash/4b6c0600-b2fc-11ed-afc2-a9d424af1014",
		},
		{
			ID: 1973403, Title: "diag_snapshot_1677103206155", ContentType: "image/jpeg", Hash: "445f0780-b2fc-11ed-89d4-09e76cc8a403",
			SourceType: "unknown", URL: "https://cloud.apizee.com/media/showVideo/1/hash/445f0780-b2fc-11ed-89d4-09e76cc8a403",
			Location: &apizee.GeoPoint{Lat: 48.7703337, Lng: -3.5149756},
		},
	}, page.Items)
}

func TestMediaListForTicketWithoutParamsSendsNoPaging(t *testing.T) {
	c, mock := ticketsMockClient(t, apizee.WithEnterpriseID(7))
	var seen captured
	mock.RegisterResponder(http.MethodGet, mockBase+"/enterprises/7/tickets/5/medias", seen.responder(http.StatusOK, []byte(`{"limit":10,"offset":0,"count":0,"medias":[]}`)))
	page, err := c.Media.ListForTicket(t.Context(), 5, nil)
	require.NoError(t, err)
	assert.Empty(t, seen.only(t).URL.RawQuery)
	assert.NotNil(t, page.Items)
	assert.Equal(t, 10, page.Limit, "the server's echoed limit")
}

func TestMediaListForTicketErrors(t *testing.T) {
	c, mock := ticketsMockClient(t, apizee.WithEnterpriseID(7))
	mock.RegisterResponder(http.MethodGet, mockBase+"/enterprises/7/tickets/404/medias", httpmock.NewStringResponder(http.StatusNotFound, `{"message":"Ticket not found"}`))
	mock.RegisterResponder(http.MethodGet, mockBase+"/enterprises/7/tickets/500/medias", httpmock.NewStringResponder(http.StatusOK, `[]`))
	_, err := c.Media.ListForTicket(t.Context(), 404, nil)
	assert.ErrorIs(t, err, apizee.ErrNotFound)
	_, err = c.Media.ListForTicket(t.Context(), 500, nil)
	var decErr *apizee.DecodeError
	assert.ErrorAs(t, err, &decErr, "a list where the envelope belongs")
}

func TestMediaEnterpriseIDReadOnceFromUsersMe(t *testing.T) {
	c, mock := ticketsMockClient(t)
	mock.RegisterResponder(http.MethodGet, mockBase+"/users/me", httpmock.NewStringResponder(http.StatusOK, `{"id":2888,"enterprise":{"id":42,"name":"Apizee"}}`))
	mock.RegisterResponder(http.MethodGet, mockBase+"/enterprises/42/tickets/663614/medias", httpmock.NewBytesResponder(http.StatusOK, testdata(t, "ticket_medias.json")))
	mock.RegisterResponder(http.MethodGet, mockBase+"/enterprises/42/tickets-stats", httpmock.NewStringResponder(http.StatusOK, `[]`))

	const callers = 20
	var wg sync.WaitGroup
	errs := make([]error, callers)
	for i := range callers {
		wg.Go(func() {
			_, errs[i] = c.Media.ListForTicket(t.Context(), 663614, nil)
		})
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	_, err := c.Stats.Tickets(t.Context(), nil)
	require.NoError(t, err)

	counts := mock.GetCallCountInfo()
	assert.Equal(t, 1, counts["GET "+mockBase+"/users/me"], "one /users/me per client")
	assert.Equal(t, callers, counts["GET "+mockBase+"/enterprises/42/tickets/663614/medias"])
}

func TestMediaEnterpriseIDOptionSkipsUsersMe(t *testing.T) {
	c, mock := ticketsMockClient(t, apizee.WithEnterpriseID(3))
	mock.RegisterResponder(http.MethodGet, mockBase+"/enterprises/3/tickets/1/medias", httpmock.NewBytesResponder(http.StatusOK, testdata(t, "ticket_medias.json")))
	_, err := c.Media.ListForTicket(t.Context(), 1, nil)
	require.NoError(t, err)
	assert.Equal(t, 1, mock.GetTotalCallCount(), "no /users/me")
}

func TestMediaEnterpriseIDFailureIsNotCached(t *testing.T) {
	c, mock := ticketsMockClient(t)
	mock.RegisterResponder(http.MethodGet, mockBase+"/users/me", httpmock.NewStringResponder(http.StatusOK, `{"id":2888}`))
	_, err := c.Media.ListForTicket(t.Context(), 1, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "WithEnterpriseID")

	mock.RegisterResponder(http.MethodGet, mockBase+"/users/me", httpmock.NewStringResponder(http.StatusOK, `{"enterprise_id":"9"}`))
	mock.RegisterResponder(http.MethodGet, mockBase+"/enterprises/9/tickets/1/medias", httpmock.NewBytesResponder(http.StatusOK, testdata(t, "ticket_medias.json")))
	_, err = c.Media.ListForTicket(t.Context(), 1, nil)
	require.NoError(t, err)
}

// pagedMedia serves a ticket's n media, at most cap per page (0: as many as
// asked), with count computed by countOf, and records the offsets asked for.
type pagedMedia struct {
	n, cap  int
	countOf func(n, pageLen int) int
	offsets []int
}

func (p *pagedMedia) register(mock *httpmock.MockTransport) {
	mock.RegisterResponder(http.MethodGet, mockBase+"/enterprises/7/tickets/1/medias", func(r *http.Request) (*http.Response, error) {
		offset, _ := strconv.Atoi(r.URL.Query().Get("offset"))
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		if p.cap > 0 {
			limit = min(limit, p.cap)
		}
		p.offsets = append(p.offsets, offset)
		var items []string
		for i := offset; i < min(offset+limit, p.n); i++ {
			items = append(items, fmt.Sprintf(`{"id":%d,"type":"image/jpeg","location":{"lat":1,"lon":2}}`, i+1))
		}
		return jsonResponse(http.StatusOK, fmt.Appendf(nil, `{"limit":%d,"offset":%d,"count":%d,"medias":[%s]}`,
			limit, offset, p.countOf(p.n, len(items)), strings.Join(items, ","))), nil
	})
}

func TestMediaAllForTicketWalksEveryPage(t *testing.T) {
	total := func(n, _ int) int { return n }
	pageLen := func(_, pageLen int) int { return pageLen }
	tests := []struct {
		name    string
		pages   pagedMedia
		params  *apizee.ListMediaParams
		stopAt  int
		want    int
		offsets []int
	}{
		{name: "count is the total", pages: pagedMedia{n: 25, countOf: total}, params: &apizee.ListMediaParams{Limit: 10}, want: 25, offsets: []int{0, 10, 20}},
		{name: "count is the page's size", pages: pagedMedia{n: 25, countOf: pageLen}, params: &apizee.ListMediaParams{Limit: 10}, want: 25, offsets: []int{0, 10, 20}},
		{name: "an exact total costs one empty page", pages: pagedMedia{n: 20, countOf: total}, params: &apizee.ListMediaParams{Limit: 10}, want: 20, offsets: []int{0, 10, 20}},
		{name: "the server caps the page size", pages: pagedMedia{n: 25, cap: 10, countOf: total}, want: 25, offsets: []int{0, 10, 20}},
		{name: "breaking out fetches nothing more", pages: pagedMedia{n: 25, countOf: total}, params: &apizee.ListMediaParams{Limit: 10}, stopAt: 10, want: 10, offsets: []int{0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, mock := ticketsMockClient(t, apizee.WithEnterpriseID(7))
			tt.pages.register(mock)
			seen := 0
			for m, err := range c.Media.AllForTicket(t.Context(), 1, tt.params) {
				require.NoError(t, err)
				assert.Equal(t, &apizee.GeoPoint{Lat: 1, Lng: 2}, m.Location)
				seen++
				if seen == tt.stopAt {
					break
				}
			}
			assert.Equal(t, tt.want, seen)
			assert.Equal(t, tt.offsets, tt.pages.offsets)
		})
	}
}
