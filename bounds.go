package apizee

import (
	"bytes"
	"fmt"
)

// What an answer may cost is bounded by what the call asked for, not by
// what the server sends: a page of Limit 100 holding a million `{}` items
// would otherwise build a million structs, some hundred times the size of
// the body. A document that decodes itself in one pass (see scanner)
// applies the bounds as it goes; for any other, decodeJSON walks the body's
// structure once before decoding it (checkBounds) and refuses an answer that
// holds more than its bounds, so that nothing past them is ever built.

// maxMembers is the most members (array elements or object keys) any array
// or object of an answer may hold, its page of items aside: a ticket's
// contact list, a statistics row's columns, a media's metadata. It is also
// the page size allowed when a List call sets no Limit.
const maxMembers = 1000

// maxStatsRows is the most rows a ticket statistics answer may hold (see
// StatsService.Tickets): about what the 32 MiB body limit holds of the
// guide's rows, so a longer answer would be refused anyway.
const maxStatsRows = 50_000

// maxStatsColumns is the most columns a statistics row may hold: the 26 the
// SDK knows and room for as many more. It bounds the Extra map of a row,
// which costs far more than the bytes of its columns.
const maxStatsColumns = 64

// maxStatsExtra is the most values a statistics answer may hold in columns
// the SDK does not know (TicketStat.Extra), all rows together: each costs a
// map entry, tens of times its bytes, so the rows and columns bounds alone
// would let 50 000 rows of 64 unknown columns cost a gigabyte. It is room for
// two new columns on every row of the largest answer.
const maxStatsExtra = 2 * maxStatsRows

// maxBoundsDepth is how deep checkBounds follows nesting: encoding/json
// refuses a document nested deeper (10 000 levels) without building it.
const maxBoundsDepth = 10_000

// answerBounds is what one answer may hold.
type answerBounds struct {
	// items bounds the page: the answer itself when it is an array, else
	// every array that is a member of the answer's object (only the list of
	// items is one, so no key name has to be matched, and an escaped or
	// differently cased "data" cannot slip past).
	items int
	// members bounds every other array and object.
	members int
	// tooMany describes an answer holding more than items items.
	tooMany func() error
}

// defaultBounds applies to answers that are no page: one ticket, one
// conference, a token.
var defaultBounds = answerBounds{items: maxMembers, members: maxMembers, tooMany: func() error {
	return fmt.Errorf("a list in the answer holds more than %d items", maxMembers)
}}

// pageBounds bounds a list answer fetched with limit (0: none sent).
func pageBounds(limit int) answerBounds {
	if limit <= 0 {
		return answerBounds{items: maxMembers, members: maxMembers, tooMany: func() error {
			return fmt.Errorf("the page holds more than %d items, the most a page may hold when no Limit is set", maxMembers)
		}}
	}
	return answerBounds{items: limit, members: maxMembers, tooMany: func() error {
		return fmt.Errorf("the page holds more than the %d items asked for (Limit)", limit)
	}}
}

// bounded is a wire document that sets its own bounds (a page, the
// statistics); other documents get defaultBounds.
type bounded interface{ bounds() answerBounds }

// reserver is a wire document that can make room for the n items
// checkBounds counted, so that decoding them does not grow the slice step by
// step.
type reserver interface{ reserve(n int) }

// boundsFrame is an open array or object while checkBounds walks.
type boundsFrame struct {
	open   int  // index of its '[' or '{'
	commas int  // commas at its level: members - 1 when it is not empty
	limit  int  // most members it may hold
	items  bool // it is the page of items
}

// checkBounds walks the structure of body and refuses one that holds more
// than b allows. It returns how many items the page holds (0 when there is
// none, or when the body is too small to need the walk). It reads strings only to skip them and checks no syntax:
// json.Unmarshal does that afterwards, so on malformed input it may return
// anything but must not build anything. It allocates only its stack.
func checkBounds(body []byte, b answerBounds) (items int, err error) {
	if bytes.Count(body, comma) < min(b.items, b.members) {
		// No array or object can hold more members than there are commas,
		// plus one: one ticket, a short page. Counting them is much faster
		// than walking the structure.
		return 0, nil
	}
	return walkBounds(body, b)
}

// walkBounds is checkBounds's walk of the structure.
func walkBounds(body []byte, b answerBounds) (items int, err error) {
	var stack []boundsFrame
	for i := 0; i < len(body); i++ {
		switch body[i] {
		case '"':
			i = stringEnd(body, i)
		case '[', '{':
			if len(stack) == maxBoundsDepth {
				return items, nil // json.Unmarshal refuses it
			}
			f := boundsFrame{open: i, limit: b.members}
			switch {
			case len(stack) == 0 && body[i] == '[':
				f.items = true
			case len(stack) == 1 && body[i] == '[' && body[stack[0].open] == '{':
				f.items = true
			}
			if f.items {
				f.limit = b.items
			}
			stack = append(stack, f)
		case ',':
			if len(stack) == 0 {
				continue
			}
			f := &stack[len(stack)-1]
			if f.commas++; f.commas >= f.limit {
				if f.items {
					return 0, b.tooMany()
				}
				return 0, fmt.Errorf("an object or a list in the answer holds more than %d members", f.limit)
			}
		case ']', '}':
			if len(stack) == 0 {
				continue
			}
			f := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if f.items {
				n := f.commas + 1
				if f.commas == 0 && len(bytes.TrimSpace(body[f.open+1:i])) == 0 {
					n = 0
				}
				items = max(items, n)
			}
		}
	}
	return items, nil
}

var comma = []byte(",")

// stringEnd returns the index of the quote that closes the string opening
// at body[open], or len(body) when it is not closed.
func stringEnd(body []byte, open int) int {
	for i := open + 1; ; {
		j := bytes.IndexByte(body[i:], '"')
		if j < 0 {
			return len(body)
		}
		i += j
		backslashes := 0
		for k := i - 1; k > open && body[k] == '\\'; k-- {
			backslashes++
		}
		if backslashes%2 == 0 {
			return i
		}
		i++
	}
}
