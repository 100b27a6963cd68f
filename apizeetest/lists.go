package apizeetest

import (
	"cmp"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Paging defaults of the lists.
const (
	defaultLimit = 10
	maxLimit     = 1000
)

// listQuery is the paging, ordering and period of a list request.
type listQuery struct {
	limit, offset int
	orderBy       string
	desc          bool
	since, until  time.Time // zero: unbounded
}

// parseListQuery reads limit, offset, order, orderby (one of orderBys, the
// first being the default) and, when withPeriod, since and until (RFC 3339).
// On a bad value it answers 400 and returns false.
func parseListQuery(w http.ResponseWriter, q url.Values, withPeriod bool, orderBys ...string) (listQuery, bool) {
	lq := listQuery{limit: defaultLimit, desc: true, orderBy: orderBys[0]}
	var ok bool
	if lq.limit, ok = intParam(w, q, "limit", defaultLimit, 1, maxLimit); !ok {
		return lq, false
	}
	if lq.offset, ok = intParam(w, q, "offset", 0, 0, math.MaxInt); !ok {
		return lq, false
	}
	switch strings.ToLower(q.Get("order")) {
	case "", "desc":
	case "asc":
		lq.desc = false
	default:
		badParameter(w, "order", "order must be asc or desc")
		return lq, false
	}
	if by := q.Get("orderby"); by != "" {
		if !slices.Contains(orderBys, by) {
			badParameter(w, "orderby", "orderby must be one of "+strings.Join(orderBys, ", "))
			return lq, false
		}
		lq.orderBy = by
	}
	if !withPeriod {
		return lq, true
	}
	if lq.since, ok = timeParam(w, q, "since"); !ok {
		return lq, false
	}
	if lq.until, ok = timeParam(w, q, "until"); !ok {
		return lq, false
	}
	if !lq.since.IsZero() && !lq.until.IsZero() && lq.since.After(lq.until) {
		badParameter(w, "since", "since must not be after until")
		return lq, false
	}
	return lq, true
}

// intParam reads an integer parameter within [lo, hi] (hi math.MaxInt: no
// upper bound), def when absent.
func intParam(w http.ResponseWriter, q url.Values, name string, def, lo, hi int) (int, bool) {
	raw := q.Get(name)
	if raw == "" {
		return def, true
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < lo || n > hi {
		bounds := fmt.Sprintf("between %d and %d", lo, hi)
		if hi == math.MaxInt {
			bounds = fmt.Sprintf("of at least %d", lo)
		}
		badParameter(w, name, name+" must be an integer "+bounds)
		return 0, false
	}
	return n, true
}

// timeParam reads an RFC 3339 timestamp parameter; zero when absent.
func timeParam(w http.ResponseWriter, q url.Values, name string) (time.Time, bool) {
	raw := q.Get(name)
	if raw == "" {
		return time.Time{}, true
	}
	t, err := time.Parse(time.RFC3339, raw)
	if err != nil {
		badParameter(w, name, name+" must be an RFC 3339 date-time such as 2023-07-11T00:00:00Z")
		return time.Time{}, false
	}
	return t, true
}

// inPeriod reports whether t is within [since, until], zero bounds being open.
func (lq listQuery) inPeriod(t time.Time) bool {
	return (lq.since.IsZero() || !t.Before(lq.since)) && (lq.until.IsZero() || !t.After(lq.until))
}

// sortAndPage orders items with compare (ascending, then reversed when the
// query says desc) and returns the page the query asks for, never nil.
func sortAndPage[T any](items []T, lq listQuery, compare func(a, b T) int) []T {
	items = slices.Clone(items)
	slices.SortStableFunc(items, func(a, b T) int {
		if lq.desc {
			return compare(b, a)
		}
		return compare(a, b)
	})
	return page(items, lq.offset, lq.limit)
}

// page returns items[offset:offset+limit], clamped, never nil.
func page[T any](items []T, offset, limit int) []T {
	start := min(offset, len(items))
	end := min(start+limit, len(items))
	return append([]T{}, items[start:end]...)
}

// byDate orders by a timestamp, then by id so that equal stamps (a fixed
// clock) keep creation order.
func byDate(at time.Time, id int64, otherAt time.Time, otherID int64) int {
	if c := at.Compare(otherAt); c != 0 {
		return c
	}
	return cmp.Compare(id, otherID)
}

// pathID reads a positive integer id from the path; other values answer 404.
func pathID(w http.ResponseWriter, r *http.Request, name, what string) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		notFound(w, what+" not found")
		return 0, false
	}
	return id, true
}
