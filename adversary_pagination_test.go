package apizee_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee"
)

// The adversaries of pagination: servers whose total keeps growing, whose
// next_offset goes back or leaps ahead, that ignore the offset, that repeat
// items across pages, or that send more items than asked. A walk yields
// each ticket once, ends, and says so when the server made it stop early.

// listServer answers GET /api/tickets with page(offset, limit), counting the
// requests; past maxRequests it answers 500, so that a walk that never ends
// fails the test instead of hanging it.
func listServer(t *testing.T, page func(offset, limit int) string) (*apizee.Client, *atomic.Int64) {
	t.Helper()
	const maxRequests = 1000
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requests.Add(1) > maxRequests {
			http.Error(w, `{"message":"enough"}`, http.StatusInternalServerError)
			return
		}
		offset, _ := strconv.Atoi(r.URL.Query().Get("offset"))
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(page(offset, limit)))
	}))
	t.Cleanup(srv.Close)
	return hostileClient(t, srv.URL+"/api"), &requests
}

// ticketItems is the JSON of tickets with ids from first, n of them.
func ticketItems(first, n int) string {
	items := make([]string, n)
	for i := range items {
		items[i] = fmt.Sprintf(`{"id":%d,"reference":"r"}`, first+i)
	}
	return strings.Join(items, ",")
}

// walk collects the ids All yields, and the errors.
func walk(t *testing.T, c *apizee.Client, limit int) (ids []int64, errs []error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	for tk, err := range c.Tickets.All(ctx, &apizee.ListTicketsParams{Limit: limit}) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ids = append(ids, tk.ID)
	}
	return ids, errs
}

func TestAdversaryPaginationTotalThatKeepsGrowing(t *testing.T) {
	// Every page is full of new tickets and says there are two pages more.
	c, requests := listServer(t, func(offset, limit int) string {
		return fmt.Sprintf(`{"total":%d,"data":[%s]}`, offset+3*limit, ticketItems(offset+1, limit))
	})
	ids, errs := walk(t, c, 10)
	require.Len(t, errs, 1)
	assert.Contains(t, errs[0].Error(), "the list grew from the 30 items the server first reported")
	assert.LessOrEqual(t, len(ids), 2*30+10, "at most twice the first total, and a page")
	assert.LessOrEqual(t, requests.Load(), int64(7))
}

func TestAdversaryPaginationNextOffsetThatLeapsAheadWhileTheTotalGrows(t *testing.T) {
	c, requests := listServer(t, func(offset, limit int) string {
		return fmt.Sprintf(`{"total":%d,"next_offset":%d,"data":[%s]}`, 10*offset+100, 10*offset+limit, ticketItems(offset+1, limit))
	})
	_, errs := walk(t, c, 10)
	require.Len(t, errs, 1)
	assert.Contains(t, errs[0].Error(), "the list grew")
	assert.LessOrEqual(t, requests.Load(), int64(3))
}

func TestAdversaryPaginationNextOffsetThatGoesBack(t *testing.T) {
	// The first page points at the second, the second back before itself.
	c, requests := listServer(t, func(offset, limit int) string {
		next := offset + limit
		if offset > 0 {
			next = offset - 5
		}
		return fmt.Sprintf(`{"total":1000,"next_offset":%d,"data":[%s]}`, next, ticketItems(offset+1, limit))
	})
	ids, errs := walk(t, c, 10)
	assert.Empty(t, errs, "an offset that does not advance ends the list")
	assert.Len(t, ids, 20)
	assert.Equal(t, int64(2), requests.Load(), "no page is fetched twice")
}

// A server that ignores offset answers its first page again and again: the
// walk yields it once and says why it stopped, instead of yielding it
// total/limit times.
func TestAdversaryPaginationServerThatIgnoresTheOffset(t *testing.T) {
	for name, total := range map[string]string{"with a total": `"total":250,`, "without one": ``} {
		t.Run(name, func(t *testing.T) {
			c, requests := listServer(t, func(_, limit int) string {
				return fmt.Sprintf(`{%s"data":[%s]}`, total, ticketItems(1, limit))
			})
			ids, errs := walk(t, c, 100)
			require.Len(t, errs, 1)
			assert.Contains(t, errs[0].Error(), "the page at offset 100 holds only items already listed")
			assert.Len(t, ids, 100, "each ticket once")
			assert.Equal(t, int64(2), requests.Load())
		})
	}
}

// Tickets created while the list is read push the older ones down: page two
// then starts with the end of page one. Each ticket is yielded once, and
// none is lost.
func TestAdversaryPaginationDuplicatesAcrossPages(t *testing.T) {
	var fetched atomic.Int64
	c, _ := listServer(t, func(offset, limit int) string {
		// The list is 1..25 newest first; two tickets arrive after each page.
		arrived := 2 * int(fetched.Add(1)-1)
		all := make([]string, 0, 25+arrived)
		for id := 25 + arrived; id >= 1; id-- {
			all = append(all, fmt.Sprintf(`{"id":%d}`, id))
		}
		end := min(offset+limit, len(all))
		return fmt.Sprintf(`{"total":%d,"data":[%s]}`, len(all), strings.Join(all[min(offset, end):end], ","))
	})
	ids, errs := walk(t, c, 10)
	assert.Empty(t, errs)
	seen := map[int64]int{}
	for _, id := range ids {
		seen[id]++
	}
	for id, n := range seen {
		assert.Equal(t, 1, n, "ticket %d yielded once", id)
	}
	for id := int64(1); id <= 25; id++ {
		assert.Contains(t, seen, id, "ticket %d, there from the start, is not lost", id)
	}
}

// Every list refuses a page of more items than its Limit, whatever its
// envelope.
func TestAdversaryEveryListRefusesMoreItemsThanAsked(t *testing.T) {
	media := func(n int) string {
		items := make([]string, n)
		for i := range items {
			items[i] = fmt.Sprintf(`{"id":%d}`, i+1)
		}
		return strings.Join(items, ",")
	}
	sessions := func(n int) string {
		items := make([]string, n)
		for i := range items {
			items[i] = fmt.Sprintf(`{"id":"s%d"}`, i+1)
		}
		return strings.Join(items, ",")
	}
	tests := []struct {
		name string
		body string
		call func(ctx context.Context, c *apizee.Client) error
	}{
		{"tickets", `{"total":11,"data":[` + ticketItems(1, 11) + `]}`, func(ctx context.Context, c *apizee.Client) error {
			_, err := c.Tickets.List(ctx, &apizee.ListTicketsParams{Limit: 10})
			return err
		}},
		{"conferences", `{"total":11,"data":[` + media(11) + `]}`, func(ctx context.Context, c *apizee.Client) error {
			_, err := c.Conferences.List(ctx, &apizee.ListConferencesParams{Limit: 10})
			return err
		}},
		{"sessions", `{"total":11,"data":[` + sessions(11) + `]}`, func(ctx context.Context, c *apizee.Client) error {
			_, err := c.Sessions.List(ctx, &apizee.ListSessionsParams{Limit: 10})
			return err
		}},
		{"conference media", `{"total":11,"data":[` + media(11) + `]}`, func(ctx context.Context, c *apizee.Client) error {
			_, err := c.Media.ListForConference(ctx, 842341, &apizee.ListMediaParams{Limit: 10})
			return err
		}},
		{"ticket media", `{"limit":10,"offset":0,"count":11,"medias":[` + media(11) + `]}`, func(ctx context.Context, c *apizee.Client) error {
			_, err := c.Media.ListForTicket(ctx, 663614, &apizee.ListMediaParams{Limit: 10})
			return err
		}},
		{"tickets, All", `{"total":11,"data":[` + ticketItems(1, 11) + `]}`, func(ctx context.Context, c *apizee.Client) error {
			for _, err := range c.Tickets.All(ctx, &apizee.ListTicketsParams{Limit: 10}) {
				if err != nil {
					return err
				}
			}
			return nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := bodyServer(t, []byte(tt.body), true)
			c := hostileClient(t, srv.URL+"/api", apizee.WithEnterpriseID(1))
			err := tt.call(t.Context(), c)
			var decErr *apizee.DecodeError
			require.ErrorAs(t, err, &decErr)
			assert.Contains(t, err.Error(), "the page holds more than the 10 items asked for (Limit)")
		})
	}
	t.Run("no Limit set", func(t *testing.T) {
		srv := bodyServer(t, []byte(`{"total":1001,"data":[`+ticketItems(1, 1001)+`]}`), true)
		_, err := hostileClient(t, srv.URL+"/api").Tickets.List(t.Context(), nil)
		assert.ErrorContains(t, err, "more than 1000 items, the most a page may hold when no Limit is set")
	})
}
