package apizeetest_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/apizee-go/apizee/apizeetest"
)

func TestListSessions(t *testing.T) {
	clk := newClock("2024-03-01T10:00:00Z")
	srv := newServer(t, apizeetest.WithClock(clk.Now))
	const key = "f7a0300abf044e86bfcc7d9ae906381e"
	all := []any{"0b7d3c55-9e0a-4f4e-a2f1-6d2f0c8e5a11", "1057a6af-eb9e-4730-b570-b0df1cfb", "6c1f0e2d-4b7a-4e59-9d2c-3a8f5e7b1c90"}

	tests := []struct {
		query       string
		want        []any
		total       int
		since, till string
	}{
		{"", all, 3, "1970-01-01T00:00:00+00:00", "2024-03-01T10:00:00+00:00"},
		{"?service_key=" + key, all, 3, "1970-01-01T00:00:00+00:00", "2024-03-01T10:00:00+00:00"},
		{"?service_key=115f89503138416a242f40fb7d7f338e", []any{}, 0, "1970-01-01T00:00:00+00:00", "2024-03-01T10:00:00+00:00"},
		{"?service_key=" + key + "&since=2023-07-13T00:00:00%2B00:00&until=2023-07-14T23:59:59%2B00:00", all[1:2], 1,
			"2023-07-13T00:00:00+00:00", "2023-07-14T23:59:59+00:00"},
		{"?since=2023-07-13T16:23:27Z", all[2:], 1, "2023-07-13T16:23:27+00:00", "2024-03-01T10:00:00+00:00"},
		{"?until=2023-07-13T16:23:26Z", all[:2], 2, "1970-01-01T00:00:00+00:00", "2023-07-13T16:23:26+00:00"},
		{"?limit=1&offset=1", all[1:2], 3, "1970-01-01T00:00:00+00:00", "2024-03-01T10:00:00+00:00"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			a := get(t, srv, "/session"+tt.query)

			items, total := a.data(t)
			assert.Equal(t, tt.want, ids(items), "oldest first")
			assert.Equal(t, tt.total, total)
			body := a.object(t)
			assert.Equal(t, tt.since, body["since"])
			assert.Equal(t, tt.till, body["until"])
		})
	}
}

func TestListSessionsValidation(t *testing.T) {
	srv := newServer(t)

	for query, details := range map[string]string{
		"since=2023-07-13": "Parameter since",
		"until=13/07/2023": "Parameter until",
		"limit=5000":       "Parameter limit",
		"offset=x":         "Parameter offset",
		"since=2023-07-14T00:00:00Z&until=2023-07-13T00:00:00Z": "Parameter since",
	} {
		requireAPIError(t, get(t, srv, "/session?"+query), http.StatusBadRequest,
			map[string]any{"code": float64(10), "details": details})
	}
}
