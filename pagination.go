package apizee

import (
	"context"
	"errors"
	"iter"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Page is one page of a list: its items, the total the server reports for
// the whole list (0 when it reports none), and the offset and limit it was
// fetched with.
type Page[T any] struct {
	Items  []T
	Total  int
	Offset int
	Limit  int
	// NextOffset is the server's next_offset when it sends one, else 0.
	NextOffset int
}

// LogValue logs the page with each item as its own value, so that items
// that log redacted (a Ticket) stay redacted: a JSON handler would
// otherwise marshal the items whole, secret links included.
func (p Page[T]) LogValue() slog.Value {
	items := make([]slog.Attr, len(p.Items))
	for i := range p.Items {
		items[i] = slog.Any(strconv.Itoa(i), p.Items[i])
	}
	return slog.GroupValue(slog.Int("total", p.Total), slog.Int("offset", p.Offset), slog.Int("limit", p.Limit),
		slog.Int("next_offset", p.NextOffset), slog.Attr{Key: "items", Value: slog.GroupValue(items...)})
}

// defaultPageSize is the page size All uses when the params set none. The
// guide's own examples ask for 100.
const defaultPageSize = 100

// next returns the offset of the page after p, and false when p is the last:
// it is empty, it reaches the total, the offset would not advance, or, when
// the server reports no total, it is short. A short page below a reported
// total is not the last: the server may cap the page size below the limit
// asked for, and stopping there would silently drop the rest of the list.
func (p *Page[T]) next() (int, bool) {
	n := len(p.Items)
	next := p.Offset + n
	if p.NextOffset > 0 {
		next = p.NextOffset
	}
	switch {
	case n == 0 || next <= p.Offset:
		return 0, false
	case p.Total > 0:
		return next, next < p.Total
	case p.Limit > 0 && n < p.Limit:
		return 0, false
	}
	return next, true
}

// pageFetcher fetches the page that starts at offset.
type pageFetcher[T any] func(ctx context.Context, offset int) (*Page[T], error)

// paginate is the pull iterator behind every All method. It fetches a page
// only when the loop asks for an item past the previous one, starting at
// offset; it yields (nil, err) once and stops on an error, and it fetches
// nothing more once the loop breaks. It starts no goroutine.
func paginate[T any](ctx context.Context, offset int, fetch pageFetcher[T]) iter.Seq2[*T, error] {
	return func(yield func(*T, error) bool) {
		for {
			if err := contextErr(ctx); err != nil {
				yield(nil, err)
				return
			}
			page, err := fetch(ctx, offset)
			if err != nil {
				yield(nil, err)
				return
			}
			for i := range page.Items {
				if !yield(&page.Items[i], nil) {
					return
				}
			}
			next, more := page.next()
			if !more {
				return
			}
			offset = next
		}
	}
}

// listEnvelope is the {"total": N, "data": [...]} answer of the ticket,
// conference, conference media and session lists.
type listEnvelope[T any] struct {
	// Total is nil when the answer has no total: with no data either, the
	// answer is not a list at all.
	Total      *flexInt64 `json:"total"`
	Data       []T        `json:"data"`
	NextOffset flexInt64  `json:"next_offset"`
}

// check refuses an answer that is no list (a 200 carrying {"message":...}
// from a proxy or a maintenance page) rather than reading it as an empty
// page: an empty page ends a walk, and after a lost create it would tell
// CreateOnce that no ticket was made. It then runs the check of each item
// whose type has one: a list decoded into wire items (see
// TicketsService.page) checks them as their public type's UnmarshalJSON
// would.
func (e *listEnvelope[T]) check() error {
	if e.Total == nil && e.Data == nil {
		return errors.New(`the answer has neither "total" nor "data": it is not a list`)
	}
	if _, ok := any((*T)(nil)).(checker); !ok {
		return nil
	}
	for i := range e.Data {
		if err := any(&e.Data[i]).(checker).check(); err != nil {
			return err
		}
	}
	return nil
}

// total is the reported total, 0 when there is none.
func (e *listEnvelope[T]) total() flexInt64 {
	if e.Total == nil {
		return 0
	}
	return *e.Total
}

// listPage fetches one page of a {"total","data"} list at path. The query
// must already hold the filters; listPage adds limit and offset.
func listPage[T any](ctx context.Context, c *Client, path string, q url.Values, offset, limit int, opts ...CallOption) (*Page[T], error) {
	setPaging(q, offset, limit)
	var env listEnvelope[T]
	if err := c.call(ctx, http.MethodGet, path, q, &env, opts...); err != nil {
		return nil, err
	}
	if env.Data == nil {
		env.Data = []T{}
	}
	return &Page[T]{Items: env.Data, Total: int(env.total()), Offset: offset, Limit: limit, NextOffset: int(env.NextOffset)}, nil
}

// checkPaging refuses negative limits and offsets and unknown sort orders.
func checkPaging(limit, offset int, order Order) error {
	switch {
	case limit < 0:
		return invalid("Limit", "must not be negative, got %d", limit)
	case offset < 0:
		return invalid("Offset", "must not be negative, got %d", offset)
	case order != "" && order != OrderAsc && order != OrderDesc:
		return invalid("Order", "must be OrderAsc or OrderDesc, got %q", string(order))
	}
	return nil
}

// setPaging sets limit and offset; zero means "not sent".
func setPaging(q url.Values, offset, limit int) {
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	if offset > 0 {
		q.Set("offset", strconv.Itoa(offset))
	}
}

// addExtra adds a create call's Extra parameters to q, the query its fields
// built. A key that a field already set, in any case (servers differ on
// case), is refused: silently preferring either would surprise. A key whose
// field was left zero may be sent.
func addExtra(q, extra url.Values) error {
	if len(extra) == 0 {
		return nil
	}
	for _, key := range slices.Sorted(maps.Keys(extra)) {
		for name := range q {
			if strings.EqualFold(name, key) {
				return invalid("Extra", "%q is already set by the field that sends %q: set one or the other", key, name)
			}
		}
	}
	for key, values := range extra {
		q[key] = append(q[key], values...)
	}
	return nil
}

// setOrder sets orderby and order when given.
func setOrder(q url.Values, orderBy string, order Order) {
	if orderBy != "" {
		q.Set("orderby", orderBy)
	}
	if order != "" {
		q.Set("order", string(order))
	}
}

// setTimeRange checks and sets since and until as RFC 3339 in UTC; zero
// times are not sent.
func setTimeRange(q url.Values, since, until time.Time) error {
	if err := checkTimeRange(since, until); err != nil {
		return err
	}
	if !since.IsZero() {
		q.Set("since", since.UTC().Format(time.RFC3339))
	}
	if !until.IsZero() {
		q.Set("until", until.UTC().Format(time.RFC3339))
	}
	return nil
}

// checkTimeRange refuses Since after Until and years the API cannot mean.
func checkTimeRange(since, until time.Time) error {
	for _, t := range []struct {
		field string
		at    time.Time
	}{{"Since", since}, {"Until", until}} {
		if !t.at.IsZero() && (t.at.Year() < 1970 || t.at.Year() > 9999) {
			return invalid(t.field, "year %d is out of range", t.at.Year())
		}
	}
	if !since.IsZero() && !until.IsZero() && since.After(until) {
		return invalid("Since", "%s is after Until %s", since.Format(time.RFC3339), until.Format(time.RFC3339))
	}
	return nil
}

// allLimit is the page size of an All walk: the caller's, or defaultPageSize.
func allLimit(limit int) int {
	if limit > 0 {
		return limit
	}
	return defaultPageSize
}

// failed is the iterator of an All call refused before any request: it
// yields the error once.
func failed[T any](err error) iter.Seq2[*T, error] {
	return func(yield func(*T, error) bool) { yield(nil, err) }
}

// orZero lets every params argument be nil.
func orZero[P any](p *P) *P {
	if p == nil {
		return new(P)
	}
	return p
}

// cloneQuery copies the filters of an All walk so that each page gets its own.
// listPage only ever Sets keys, so a shallow copy is enough.
func cloneQuery(q url.Values) url.Values { return maps.Clone(q) }
