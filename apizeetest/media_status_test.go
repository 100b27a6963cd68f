package apizeetest_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTicketMediaStatusFilter(t *testing.T) {
	srv := newServer(t)
	const ticket = "663614"
	path := "/enterprises/1/tickets/" + ticket + "/medias"
	seeded := get(t, srv, path).object(t)
	seededCount := seeded["count"].(float64)
	require.Positive(t, seededCount)

	pending := srv.AddTicketMedia(663614, 10)
	failed := srv.AddTicketMedia(663614, 10)
	srv.SetTicketMediaStatus(pending, "pending")
	srv.SetTicketMediaStatus(failed, "failed")

	urls := func(path string) []any {
		a := get(t, srv, path)
		require.Equal(t, http.StatusOK, a.Status, "body: %s", a.Body)
		var out []any
		for _, m := range a.object(t)["medias"].([]any) {
			out = append(out, m.(map[string]any)["url"])
		}
		return out
	}
	assert.Len(t, urls(path), int(seededCount), "completed only by default")
	assert.Equal(t, []any{pending}, urls(path+"?status=pending"))
	assert.ElementsMatch(t, []any{pending, failed}, urls(path+"?status=pending,failed"))
	assert.Len(t, urls(path+"?status=completed,failed"), int(seededCount)+1)
	assert.Equal(t, seededCount+1, get(t, srv, path+"?status=completed,failed").object(t)["count"], "count is of the filtered list")

	for _, bad := range []string{"?status=", "?status=a,,b", "?status=pending%20x"} {
		requireAPIError(t, get(t, srv, path+bad), http.StatusBadRequest, map[string]any{"details": "Parameter status"})
	}
	assert.Panics(t, func() { srv.SetTicketMediaStatus("http://nowhere/x", "pending") })
}
