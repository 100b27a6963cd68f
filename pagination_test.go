package apizee

import (
	"bytes"
	"context"
	"errors"
	"net/url"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func items(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

func TestPageNext(t *testing.T) {
	tests := []struct {
		name string
		page Page[int]
		next int
		more bool
	}{
		{"full page, no total", Page[int]{Items: items(10), Offset: 0, Limit: 10}, 10, true},
		{"full page below the total", Page[int]{Items: items(10), Offset: 20, Limit: 10, Total: 45}, 30, true},
		{"page that reaches the total", Page[int]{Items: items(10), Offset: 20, Limit: 10, Total: 30}, 0, false},
		{"total already passed", Page[int]{Items: items(10), Offset: 40, Limit: 10, Total: 30}, 0, false},
		{"empty page", Page[int]{Items: nil, Offset: 10, Limit: 10, Total: 100}, 0, false},
		{"short page without a total", Page[int]{Items: items(3), Offset: 10, Limit: 10}, 0, false},
		{"short page below the total: the server capped the size", Page[int]{Items: items(3), Offset: 10, Limit: 10, Total: 100}, 13, true},
		{"short page that reaches the total", Page[int]{Items: items(3), Offset: 10, Limit: 10, Total: 13}, 0, false},
		{"unknown limit: the page's size advances", Page[int]{Items: items(7), Offset: 7}, 14, true},
		{"next_offset wins", Page[int]{Items: items(10), Offset: 0, Limit: 10, NextOffset: 50, Total: 100}, 50, true},
		{"next_offset beyond the total", Page[int]{Items: items(10), Offset: 0, Limit: 10, NextOffset: 100, Total: 100}, 0, false},
		{"next_offset that does not advance", Page[int]{Items: items(10), Offset: 30, Limit: 10, NextOffset: 30}, 0, false},
		{"next_offset that goes back", Page[int]{Items: items(10), Offset: 30, Limit: 10, NextOffset: 5}, 0, false},
		{"more items than the limit", Page[int]{Items: items(12), Offset: 0, Limit: 10}, 12, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next, more := tt.page.next()
			assert.Equal(t, tt.more, more)
			if tt.more {
				assert.Equal(t, tt.next, next)
			}
		})
	}
}

// fakePager serves pages of a list of total ints, limit per page, and counts
// the fetches.
type fakePager struct {
	total, limit int
	serverCap    int   // when set, the server answers at most this many items a page, whatever the limit
	calls        []int // the offsets asked for
	failAt       int   // the offset whose fetch fails; -1: none
	err          error
	goroutine    []uint64
}

func (p *fakePager) fetch(_ context.Context, offset int) (*Page[int], error) {
	p.calls = append(p.calls, offset)
	p.goroutine = append(p.goroutine, goroutineID())
	if offset == p.failAt {
		return nil, p.err
	}
	page := &Page[int]{Total: p.total, Offset: offset, Limit: p.limit, Items: []int{}}
	size := p.limit
	if p.serverCap > 0 {
		size = min(size, p.serverCap)
	}
	for i := offset; i < min(offset+size, p.total); i++ {
		page.Items = append(page.Items, i)
	}
	return page, nil
}

func goroutineID() uint64 {
	buf := make([]byte, 64)
	buf = buf[:runtime.Stack(buf, false)]
	buf = bytes.TrimPrefix(buf, []byte("goroutine "))
	var id uint64
	for _, c := range buf {
		if c < '0' || c > '9' {
			break
		}
		id = id*10 + uint64(c-'0')
	}
	return id
}

// intKey is the key of the test lists: the item itself, plus one so that
// item 0 has a key.
func intKey(v *int) int { return *v + 1 }

func collect(t *testing.T, seq func(func(*int, error) bool)) ([]int, []error) {
	t.Helper()
	var got []int
	var errs []error
	for v, err := range seq {
		if err != nil {
			errs = append(errs, err)
			assert.Nil(t, v, "an error comes with a nil item")
			continue
		}
		got = append(got, *v)
	}
	return got, errs
}

func TestPaginateWalksEverythingWhenTheServerCapsThePageSize(t *testing.T) {
	p := &fakePager{total: 25, limit: 10, serverCap: 7, failAt: -1}
	got, errs := collect(t, paginate(t.Context(), 0, intKey, p.fetch))
	assert.Empty(t, errs)
	assert.Len(t, got, 25, "a short page below the total is not the last")
	assert.Equal(t, []int{0, 7, 14, 21}, p.calls)
}

func TestPaginateWalksEveryPage(t *testing.T) {
	p := &fakePager{total: 25, limit: 10, failAt: -1}
	got, errs := collect(t, paginate(context.Background(), 0, intKey, p.fetch))
	assert.Empty(t, errs)
	assert.Equal(t, items(25), got)
	assert.Equal(t, []int{0, 10, 20}, p.calls, "stops at the short page")
}

func TestPaginateStopsAtTotal(t *testing.T) {
	p := &fakePager{total: 20, limit: 10, failAt: -1}
	got, _ := collect(t, paginate(context.Background(), 0, intKey, p.fetch))
	assert.Len(t, got, 20)
	assert.Equal(t, []int{0, 10}, p.calls, "no fetch of an empty page past the total")
}

func TestPaginateStartsAtOffset(t *testing.T) {
	p := &fakePager{total: 25, limit: 10, failAt: -1}
	got, _ := collect(t, paginate(context.Background(), 15, intKey, p.fetch))
	assert.Equal(t, []int{15, 16, 17, 18, 19, 20, 21, 22, 23, 24}, got)
	assert.Equal(t, []int{15}, p.calls[:1])
}

func TestPaginateIsLazy(t *testing.T) {
	p := &fakePager{total: 1000, limit: 10, failAt: -1}
	seq := paginate(context.Background(), 0, intKey, p.fetch)
	assert.Empty(t, p.calls, "building the iterator fetches nothing")

	var got []int
	for v, err := range seq {
		require.NoError(t, err)
		got = append(got, *v)
		if len(got) == 10 {
			// The whole first page is consumed: the next is not fetched
			// until the loop asks for another item.
			assert.Equal(t, []int{0}, p.calls)
		}
		if len(got) == 15 {
			break
		}
	}
	assert.Equal(t, []int{0, 10}, p.calls, "breaking out of the loop fetches nothing more")
	assert.Equal(t, items(15), got)
}

func TestPaginateYieldsErrorOnceAndStops(t *testing.T) {
	boom := errors.New("boom")
	p := &fakePager{total: 100, limit: 10, failAt: 20, err: boom}
	got, errs := collect(t, paginate(context.Background(), 0, intKey, p.fetch))
	assert.Equal(t, items(20), got)
	require.Len(t, errs, 1)
	assert.Same(t, boom, errs[0])
	assert.Equal(t, []int{0, 10, 20}, p.calls, "nothing is fetched after the error")
}

func TestPaginateStopsOnCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p := &fakePager{total: 100, limit: 10, failAt: -1}
	var errs []error
	n := 0
	for v, err := range paginate(ctx, 0, intKey, p.fetch) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		n++
		if *v == 9 {
			cancel()
		}
	}
	assert.Equal(t, 10, n)
	require.Len(t, errs, 1)
	assert.ErrorIs(t, errs[0], context.Canceled)
	assert.Equal(t, []int{0}, p.calls)
}

func TestPaginateStartsNoGoroutine(t *testing.T) {
	p := &fakePager{total: 30, limit: 10, failAt: -1}
	me := goroutineID()
	got, _ := collect(t, paginate(context.Background(), 0, intKey, p.fetch))
	require.Len(t, got, 30)
	for _, id := range p.goroutine {
		assert.Equal(t, me, id, "pages are fetched on the loop's goroutine")
	}
}

func TestPaginateStopsWhenOffsetDoesNotAdvance(t *testing.T) {
	var calls int
	fetch := func(_ context.Context, offset int) (*Page[int], error) {
		calls++
		// A server that ignores offset and keeps pointing back at it.
		return &Page[int]{Items: items(10), Offset: offset, Limit: 10, NextOffset: offset}, nil
	}
	got, _ := collect(t, paginate(context.Background(), 5, intKey, fetch))
	assert.Len(t, got, 10)
	assert.Equal(t, 1, calls)
}

func TestFailedYieldsOnce(t *testing.T) {
	boom := invalid("Limit", "bad")
	var n int
	for v, err := range failed[int](boom) {
		n++
		assert.Nil(t, v)
		assert.Same(t, boom, err)
	}
	assert.Equal(t, 1, n)
}

func TestCheckPaging(t *testing.T) {
	tests := []struct {
		limit, offset int
		order         Order
		field         string
	}{
		{0, 0, "", ""},
		{10, 20, OrderAsc, ""},
		{10, 20, OrderDesc, ""},
		{-1, 0, "", "Limit"},
		{0, -1, "", "Offset"},
		{0, 0, "up", "Order"},
	}
	for _, tt := range tests {
		err := checkPaging(tt.limit, tt.offset, tt.order)
		if tt.field == "" {
			assert.NoError(t, err)
			continue
		}
		var ve *ValidationError
		require.ErrorAs(t, err, &ve)
		assert.Equal(t, tt.field, ve.Field)
	}
}

func TestSetTimeRange(t *testing.T) {
	paris := time.FixedZone("CEST", 2*3600)
	q := url.Values{}
	require.NoError(t, setTimeRange(q, time.Date(2023, 7, 12, 2, 0, 0, 0, paris), time.Date(2023, 7, 13, 0, 0, 0, 0, time.UTC)))
	assert.Equal(t, "2023-07-12T00:00:00Z", q.Get("since"))
	assert.Equal(t, "2023-07-13T00:00:00Z", q.Get("until"))

	q = url.Values{}
	require.NoError(t, setTimeRange(q, time.Time{}, time.Time{}))
	assert.Empty(t, q, "zero times are not sent")

	err := setTimeRange(url.Values{}, time.Date(2023, 7, 14, 0, 0, 0, 0, time.UTC), time.Date(2023, 7, 13, 0, 0, 0, 0, time.UTC))
	var ve *ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "Since", ve.Field)

	err = setTimeRange(url.Values{}, time.Time{}, time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC))
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "Until", ve.Field)
}

func TestPagingHelpers(t *testing.T) {
	q := url.Values{}
	setPaging(q, 0, 0)
	setOrder(q, "", "")
	assert.Empty(t, q, "zero means not sent")
	setPaging(q, 20, 10)
	setOrder(q, "created", OrderDesc)
	assert.Equal(t, url.Values{"offset": {"20"}, "limit": {"10"}, "orderby": {"created"}, "order": {"desc"}}, q)

	assert.Equal(t, defaultPageSize, allLimit(0))
	assert.Equal(t, 7, allLimit(7))

	clone := cloneQuery(q)
	clone.Set("offset", "30")
	assert.Equal(t, "20", q.Get("offset"), "a clone does not share its keys")

	type params struct{ Limit int }
	assert.Equal(t, &params{}, orZero[params](nil))
	p := &params{Limit: 3}
	assert.Same(t, p, orZero(p))

	var ve *ValidationError
	require.ErrorAs(t, checkID("TicketID", 0), &ve)
	assert.Equal(t, "TicketID", ve.Field)
	require.ErrorAs(t, checkID("ID", -5), &ve)
	assert.NoError(t, checkID("ID", 1))
}
