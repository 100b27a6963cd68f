package apizee

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Page is one page of a list: its items, the total the server reports for
// the whole list (0 when it reports none), and the offset and limit it was
// fetched with.
//
// A page costs what was asked for: an answer holding more items than the
// Limit asked (1000 when no Limit is set), or an item holding a list or
// object of more than 1000 members, is refused with a *DecodeError that
// says so, before the extra items are built.
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
//
// It does not take the server's word for where the list ends. key names an
// item (its id; the zero key: none), so that an item that moved onto the
// next page while the list changed is yielded once (the keys of two pages
// are kept, not of the whole walk). A page that brings
// nothing new (a server that ignores offset, a list changing faster than it
// is read) ends the walk with an error, and so does a total that grows past
// twice the first one reported: either would otherwise repeat or grow for
// ever.
func paginate[T any, K comparable](ctx context.Context, offset int, key func(*T) K, fetch pageFetcher[T]) iter.Seq2[*T, error] {
	return func(yield func(*T, error) bool) {
		// The keys of this page and of the one before: an item moves at most
		// a page while the list is read, unless it changes faster than that,
		// and remembering every key would make a long walk cost its length.
		cur, prev := map[K]struct{}{}, map[K]struct{}{}
		var zero K
		firstTotal := -1
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
			if firstTotal < 0 {
				firstTotal = page.Total
			}
			fresh := 0
			for i := range page.Items {
				if k := key(&page.Items[i]); k != zero {
					_, dup := cur[k]
					if _, before := prev[k]; dup || before {
						continue
					}
					cur[k] = struct{}{}
				}
				fresh++
				if !yield(&page.Items[i], nil) {
					return
				}
			}
			prev, cur = cur, prev
			clear(cur)
			next, more := page.next()
			switch {
			case len(page.Items) > 0 && fresh == 0:
				yield(nil, fmt.Errorf("apizee: the page at offset %d holds only items already listed: the server ignores the offset, "+
					"or the list changes faster than it is read; the walk stops", offset))
				return
			case more && firstTotal > 0 && next >= 2*firstTotal+len(page.Items):
				yield(nil, fmt.Errorf("apizee: the list grew from the %d items the server first reported to %d; the walk stops at offset %d",
					firstTotal, page.Total, next))
				return
			case !more:
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

	limit int // the page size asked for, 0 when none was sent
}

// bounds refuses a page of more items than were asked for.
func (e *listEnvelope[T]) bounds() answerBounds { return pageBounds(e.limit) }

// reserve makes room for the n items the page holds, so that decoding them
// does not grow the slice step by step.
func (e *listEnvelope[T]) reserve(n int) {
	if n > 0 {
		e.Data = make([]T, 0, n)
	}
}

// dataAbsent reports whether the answer had no "data" (or a null one).
// decodeJSON may have reserved Data: an answer without "data" leaves that
// empty reserved slice untouched, while encoding/json replaces it for
// "data": [] (with a new slice of no capacity) or "data": null (with nil).
func (e *listEnvelope[T]) dataAbsent() bool {
	return e.Data == nil || (len(e.Data) == 0 && cap(e.Data) > 0)
}

// check refuses an answer that is no list (a 200 carrying {"message":...}
// from a proxy or a maintenance page) rather than reading it as an empty
// page: an empty page ends a walk, and after a lost create it would tell
// CreateOnce that no ticket was made. It then runs the check of each item
// whose type has one: a list decoded into wire items (see
// TicketsService.page) checks them as their public type's UnmarshalJSON
// would.
func (e *listEnvelope[T]) check() error {
	if e.Total == nil && e.dataAbsent() {
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

// scanDocument decodes a page in one pass (see scanner) when its items
// scan themselves (itemScanner), as encoding/json decodes it.
func (e *listEnvelope[T]) scanDocument(body []byte, b answerBounds) (bool, error) {
	if _, ok := any((*T)(nil)).(itemScanner); !ok {
		return false, nil
	}
	read, err := scanDocument(body, b, e.scan)
	if !read {
		*e = listEnvelope[T]{limit: e.limit}
	}
	return read, err
}

// scan decodes the page at s.
func (e *listEnvelope[T]) scan(s *scanner) bool {
	return s.wireObject(reflect.TypeFor[listEnvelope[T]](), "", func(key []byte) bool { return e.member(s, key) })
}

// member reads the value of key. A second "data" replaces the first, as
// encoding/json decodes it into the items of the first, which (as
// itemScanners do) decode themselves whole.
func (e *listEnvelope[T]) member(s *scanner, key []byte) bool {
	switch string(key) {
	case "total":
		if s.null() {
			e.Total = nil
			return true
		}
		if e.Total == nil {
			e.Total = new(flexInt64)
		}
		return s.flexInt64(e.Total)
	case "data":
		if s.null() {
			e.Data = nil
			return true
		}
		if s.peek() != '[' {
			return s.refuse(reflect.TypeFor[[]T](), "data")
		}
		e.Data = e.Data[:0]
		s.within = "data"
		ok := s.array(func() bool {
			if e.Data == nil {
				e.Data = make([]T, 0, max(e.limit, 1))
			}
			e.Data = append(e.Data, *new(T))
			return any(&e.Data[len(e.Data)-1]).(itemScanner).scan(s)
		})
		s.within = ""
		if len(e.Data) == 0 {
			e.Data = []T{}
		}
		return ok
	case "next_offset":
		return s.flexInt64(&e.NextOffset)
	}
	if name := folded(key, listEnvelopeKeys); name != nil {
		return e.member(s, name)
	}
	return s.skip()
}

var listEnvelopeKeys = jsonKeys[listEnvelope[struct{}]]()

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
	env := listEnvelope[T]{limit: limit}
	if err := c.call(ctx, http.MethodGet, path, q, &env, opts...); err != nil {
		return nil, err
	}
	if env.dataAbsent() {
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
