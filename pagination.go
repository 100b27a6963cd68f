package apizee

import (
	"context"
	"iter"
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

// defaultPageSize is the page size All uses when the params set none. The
// guide's own examples ask for 100.
const defaultPageSize = 100

// next returns the offset of the page after p, and false when p is the last:
// it is empty or short, it reaches the total, or the offset would not advance.
func (p *Page[T]) next() (int, bool) {
	n := len(p.Items)
	if n == 0 || (p.Limit > 0 && n < p.Limit) {
		return 0, false
	}
	next := p.Offset + n
	if p.NextOffset > 0 {
		next = p.NextOffset
	}
	if next <= p.Offset || (p.Total > 0 && next >= p.Total) {
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
			if err := ctx.Err(); err != nil {
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
