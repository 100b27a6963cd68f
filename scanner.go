package apizee

import (
	"bytes"
	"cmp"
	"encoding/json"
	"reflect"
	"strings"
)

// Decoding in one pass. encoding/json decodes the answers through
// reflection and, for each field of a lenient type, an UnmarshalJSON call
// found by interface look-up; with the structure walk that bounds memory
// first (checkBounds), a page of tickets costs two passes over the body and
// much of the time goes to finding where each value goes. The wire
// documents of the hot calls (a ticket, a page of them) decode themselves
// with the scanner instead, in one pass that checks the syntax, applies the
// bounds and hands each value to the very UnmarshalJSON of its lenient type
// that encoding/json would call: the values decode exactly as they would,
// only the reflection and the second pass are gone.
//
// The scanner decodes into the same wire structs as encoding/json, as
// encoding/json does: a key is matched exactly, else to the key it equals
// but for case (bytes.EqualFold), escapes undone; a key written twice
// decodes twice, the last value winning and an object's members merging;
// a null leaves a struct as it is. The wire structs are then converted and
// checked as on the encoding/json path (ticketWire.ticket and check).
//
// It never decodes an answer twice, since a hostile answer would then cost
// twice what it builds: when it stops, it is at a bound passed, at a
// syntax error or past encoding/json's depth (which the bounds walk and
// encoding/json's syntax check refuse before building anything), or at the
// first value refused (by a lenient type, a ticket without an id, a value
// of the wrong kind), which it returns and the caller reports when the
// body is valid JSON within its bounds (else encoding/json would report the
// syntax error or the bounds walk the bound). FuzzScanTicket and
// FuzzScanTicketPage hold it to encoding/json, and to leaving to it nothing
// it would decode.

// documentScanner is a wire document that decodes itself in one pass.
type documentScanner interface {
	// scanDocument decodes body, a whole JSON document, into the zero
	// value it is called on, within b, and reports whether it read it.
	// When it did not, it leaves the value zero and returns the value it
	// refused, if any (see scanDocument).
	scanDocument(body []byte, b answerBounds) (bool, error)
}

// itemScanner is an item of a list that the list's scanner decodes in place.
type itemScanner interface {
	// scan decodes the value at s.
	scan(s *scanner) bool
}

// maxScanDepth is how deep the scanner follows nesting: as deep as
// encoding/json, which refuses deeper documents before decoding them.
const maxScanDepth = maxBoundsDepth

// scanner reads one JSON document.
type scanner struct {
	data   []byte
	off    int
	depth  int // containers open at off
	bounds answerBounds
	// topObject is set when the document is an object, whose member
	// arrays are pages (see answerBounds.items).
	topObject bool
	// err is the first value refused, which stopped the scan.
	err error
	// within is the field of the document whose items are being read
	// ("data" of a page), which names where a value was refused.
	within string
}

// scanDocument reads body, a whole JSON document, with scan, and reports
// whether it read it. When it did not, err is the value refused, if a
// value stopped it: why body does not decode, provided it is valid JSON
// within b.
func scanDocument(body []byte, b answerBounds, scan func(*scanner) bool) (read bool, err error) {
	s := newScanner(body, b)
	if scan(&s) && s.end() {
		return true, nil
	}
	return false, s.err
}

func newScanner(body []byte, b answerBounds) scanner {
	return scanner{data: body, bounds: b}
}

// peek skips white space and returns the next byte, 0 at the end.
func (s *scanner) peek() byte {
	for ; s.off < len(s.data); s.off++ {
		switch c := s.data[s.off]; c {
		case ' ', '\t', '\n', '\r':
		default:
			return c
		}
	}
	return 0
}

// end reports whether nothing but white space is left.
func (s *scanner) end() bool {
	return s.peek() == 0 && s.off == len(s.data)
}

// limit is the most members the container that opens now with open ('['
// or '{') may hold: checkBounds's bounds, whose pages are the document when
// it is an array and the arrays that are members of the document's object.
func (s *scanner) limit(open byte) int {
	if open == '[' && (s.depth == 0 || s.depth == 1 && s.topObject) {
		return s.bounds.items
	}
	return s.bounds.members
}

// object reads the object at s, calling member with each key once the
// scanner is at the key's value, which member must read.
func (s *scanner) object(member func(key []byte) bool) bool {
	if s.peek() != '{' || s.depth == maxScanDepth {
		return false
	}
	if s.depth == 0 {
		s.topObject = true
	}
	limit := s.limit('{')
	s.off++
	s.depth++
	if s.peek() == '}' {
		s.off++
		s.depth--
		return true
	}
	for n := 1; n <= limit; n++ {
		key, ok := s.key()
		if !ok || !member(key) {
			return false
		}
		switch s.peek() {
		case ',':
			s.off++
		case '}':
			s.off++
			s.depth--
			return true
		default:
			return false
		}
	}
	return false
}

// key reads a key and its colon, its escapes undone.
func (s *scanner) key() ([]byte, bool) {
	if s.peek() != '"' {
		return nil, false
	}
	start := s.off
	if !s.str() {
		return nil, false
	}
	raw := s.data[start:s.off]
	if s.peek() != ':' {
		return nil, false
	}
	s.off++
	if bytes.IndexByte(raw, '\\') < 0 || len(raw) > maxEscapedKey {
		// A key this long matches no wire key however it is escaped:
		// undoing its escapes would only build it.
		return raw[1 : len(raw)-1], true
	}
	key, err := jsonString(raw)
	return []byte(key), err == nil
}

// maxEscapedKey is the longest escaped key (quotes included) whose escapes
// the scanner undoes. An escape takes at most 6 bytes for each byte it
// stands for, and a key that folds to a wire key takes at most 3 bytes for
// each of its bytes (see folded): 18 times the longest wire key is room
// enough (TestScannerReadsEveryKeyOfTheWireStructs checks it).
const maxEscapedKey = 1024

// folded is the key of a wire struct (one of names) that encoding/json
// matches key to when no key matches it exactly: the one equal to it but
// for case, as bytes.EqualFold has it; nil when there is none. A rune that
// folds to an ASCII letter takes at most 3 bytes (the Kelvin sign), so a
// longer key is not compared.
func folded(key []byte, names [][]byte) []byte {
	for _, name := range names {
		if len(key) <= 3*len(name) && !bytes.Equal(key, name) && bytes.EqualFold(key, name) {
			return name
		}
	}
	return nil
}

// array reads the array at s, calling item at each item, which item must
// read.
func (s *scanner) array(item func() bool) bool {
	if s.peek() != '[' || s.depth == maxScanDepth {
		return false
	}
	limit := s.limit('[')
	s.off++
	s.depth++
	if s.peek() == ']' {
		s.off++
		s.depth--
		return true
	}
	for n := 1; n <= limit; n++ {
		if !item() {
			return false
		}
		switch s.peek() {
		case ',':
			s.off++
		case ']':
			s.off++
			s.depth--
			return true
		default:
			return false
		}
	}
	return false
}

// null reads a null, reporting false (and reading nothing) for any other
// value.
func (s *scanner) null() bool {
	if s.peek() != 'n' {
		return false
	}
	return s.literal("null")
}

// value reads any value and returns its bytes, as encoding/json hands them
// to an UnmarshalJSON.
func (s *scanner) value() ([]byte, bool) {
	s.peek()
	start := s.off
	if !s.skip() {
		return nil, false
	}
	return s.data[start:s.off], true
}

// skip reads any value, checking its syntax.
func (s *scanner) skip() bool {
	switch c := s.peek(); {
	case c == '"':
		return s.str()
	case c == '{':
		return s.object(func([]byte) bool { return s.skip() })
	case c == '[':
		return s.array(s.skip)
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	case c == '-' || '0' <= c && c <= '9':
		return s.number()
	}
	return false
}

// str reads a string: no control character, valid escapes. Like
// encoding/json, it lets invalid UTF-8 through (decoding replaces it).
func (s *scanner) str() bool {
	for i := s.off + 1; i < len(s.data); {
		switch c := s.data[i]; {
		case c == '"':
			s.off = i + 1
			return true
		case c == '\\':
			if i+1 == len(s.data) {
				return false
			}
			switch s.data[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if _, ok := hex4(s.data[i+2:]); !ok {
					return false
				}
				i += 6
			default:
				return false
			}
		case c < ' ':
			return false
		default:
			i++
		}
	}
	return false
}

// number reads a number.
func (s *scanner) number() bool {
	end := s.off
	for end < len(s.data) {
		c := s.data[end]
		if ('0' > c || c > '9') && c != '-' && c != '+' && c != '.' && c != 'e' && c != 'E' {
			break
		}
		end++
	}
	if !isJSONNumber(s.data[s.off:end]) {
		return false
	}
	s.off = end
	return true
}

// literal reads lit (true, false or null).
func (s *scanner) literal(lit string) bool {
	if len(s.data)-s.off < len(lit) || string(s.data[s.off:s.off+len(lit)]) != lit {
		return false
	}
	s.off += len(lit)
	return true
}

// The values of the lenient types, read by their UnmarshalJSON as
// encoding/json reads a field of each. One method a type, not one taking a
// json.Unmarshaler: through an interface the compiler cannot see that the
// call keeps no pointer, and every wire struct decoded would move to the
// heap.

func (s *scanner) flexInt64(v *flexInt64) bool {
	raw, ok := s.value()
	return ok && s.accepted(v.UnmarshalJSON(raw))
}

func (s *scanner) flexString(v *flexString) bool {
	raw, ok := s.value()
	return ok && s.accepted(v.UnmarshalJSON(raw))
}

func (s *scanner) flexTime(v *flexTime) bool {
	raw, ok := s.value()
	return ok && s.accepted(v.UnmarshalJSON(raw))
}

func (s *scanner) flexList(v *flexList) bool {
	raw, ok := s.value()
	return ok && s.accepted(v.UnmarshalJSON(raw))
}

func (s *scanner) flexFloat(v *flexFloat) bool {
	raw, ok := s.value()
	return ok && s.accepted(v.UnmarshalJSON(raw))
}

func (s *scanner) optionalFloat(v *optionalFloat) bool {
	raw, ok := s.value()
	return ok && s.accepted(v.UnmarshalJSON(raw))
}

// accepted records err, a refusal of the value just read, and reports
// whether there was none.
func (s *scanner) accepted(err error) bool {
	if err != nil {
		s.err = err
		return false
	}
	return true
}

// wireObject reads the object of a wire struct of type t at s, as object
// does; field is its key in the enclosing wire struct ("" for the
// document or an item of a list). As encoding/json has it, null leaves the
// struct as it is and a value of another kind is refused.
func (s *scanner) wireObject(t reflect.Type, field string, member func(key []byte) bool) bool {
	switch s.peek() {
	case '{':
		return s.object(member)
	case 'n':
		return s.null()
	}
	return s.refuse(t, field)
}

// refuse reads a value that is not what a wire struct holds there (a value
// of type t, at field) and records the refusal as encoding/json reports
// it: the field and the kinds (see wrongKindError), never the value, which
// may be a secret that no pattern recognises (a link, or a token with a
// letter escaped).
func (s *scanner) refuse(t reflect.Type, field string) bool {
	kind := jsonValueKinds[s.peek()]
	if s.skip() {
		if s.within != "" {
			field = strings.Trim(s.within+"."+field, ".")
		}
		s.err = wrongKindError{&json.UnmarshalTypeError{Value: kind, Type: t, Offset: int64(s.off), Field: field}}
	}
	return false
}

// jsonValueKinds names the kind of a JSON value by its first byte, as
// encoding/json's UnmarshalTypeError.Value does.
var jsonValueKinds = map[byte]string{'"': "string", '{': "object", '[': "array", 't': "bool", 'f': "bool",
	'-': "number", '0': "number", '1': "number", '2': "number", '3': "number", '4': "number",
	'5': "number", '6': "number", '7': "number", '8': "number", '9': "number"}

// jsonKeys are the keys of the wire struct T, by its fields' json tags.
func jsonKeys[T any]() [][]byte {
	var keys [][]byte
	t := reflect.TypeFor[T]()
	for i := range t.NumField() {
		f := t.Field(i)
		if key, _, _ := strings.Cut(f.Tag.Get("json"), ","); f.IsExported() && key != "-" {
			keys = append(keys, []byte(cmp.Or(key, f.Name)))
		}
	}
	return keys
}

// scan reads a position as GeoPoint.UnmarshalJSON decodes it through
// geoWire.
func (p *GeoPoint) scan(s *scanner) bool {
	var w geoWire
	ok := s.wireObject(geoWireType, "", func(key []byte) bool { return w.member(s, key) })
	*p = w.point()
	return ok
}

// member reads the value of key.
func (w *geoWire) member(s *scanner, key []byte) bool {
	switch string(key) {
	case "lat":
		return s.flexFloat(&w.Lat)
	case "lng":
		return s.optionalFloat(&w.Lng)
	case "lon":
		return s.flexFloat(&w.Lon)
	}
	if name := folded(key, geoKeys); name != nil {
		return w.member(s, name)
	}
	return s.skip()
}

var (
	geoKeys     = jsonKeys[geoWire]()
	geoWireType = reflect.TypeFor[geoWire]()
)
