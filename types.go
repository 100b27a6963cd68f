package apizee

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// The lenient JSON types below decode what the Apizee API actually sends:
// ids and references as strings or numbers, a phone as a string or a list,
// coordinates as lat/lng or lat/lon, timestamps with or without a zone, and
// null anywhere. They are unexported: models expose plain Go types.

var jsonNull = []byte("null")

// flexInt64 decodes a JSON number, a numeric string, "" or null.
type flexInt64 int64

func (n *flexInt64) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, jsonNull) {
		*n = 0
		return nil
	}
	if len(b) == 0 || b[0] != '"' {
		v, ok := wholeNumber(b)
		if !ok {
			return fmt.Errorf("apizee: %s is not an integer", truncate(b))
		}
		*n = flexInt64(v)
		return nil
	}
	s, err := jsonString(b)
	if err != nil {
		return err
	}
	if s = strings.TrimSpace(s); s == "" {
		*n = 0
		return nil
	}
	v, ok := wholeNumber(s)
	if !ok {
		return fmt.Errorf("apizee: %s is not an integer", truncate([]byte(s[:min(len(s), 41)])))
	}
	*n = flexInt64(v)
	return nil
}

// wholeNumber reads an integer, or a whole float (some counters arrive as
// 3.0), and reports whether s is one. strconv copies what it is given and
// what it refuses: an integer of more than 19 significant digits, beyond
// any int64, is refused without either parse, where a 31 MiB number cost
// four copies of it.
func wholeNumber[T string | []byte](s T) (int64, bool) {
	digits, integer := significantDigits(s)
	if integer && digits > 19 {
		return 0, false
	}
	if integer {
		if v, err := strconv.ParseInt(string(s), 10, 64); err == nil {
			return v, true
		}
	}
	f, err := strconv.ParseFloat(string(s), 64)
	return int64(f), err == nil && f == float64(int64(f))
}

// significantDigits reports whether s is an integer as strconv.ParseInt
// reads one in base 10 (a sign, then only digits) and, if so, how many
// digits it has past its leading zeros.
func significantDigits[T string | []byte](s T) (digits int, integer bool) {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	if i == len(s) {
		return 0, false
	}
	for i < len(s) && s[i] == '0' {
		i++
	}
	for ; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		digits++
	}
	return digits, true
}

// flexString decodes a JSON string, a number (kept as written) or null.
type flexString string

func (s *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, jsonNull):
		*s = ""
	case len(b) > 0 && b[0] == '"':
		v, err := jsonString(b)
		if err != nil {
			return err
		}
		*s = flexString(v)
	case isJSONNumber(b):
		// Kept as written, which is what json.Number holds.
		*s = flexString(b)
	case len(b) > 0 && (b[0] == '-' || (b[0] >= '0' && b[0] <= '9')):
		var num json.Number
		if err := json.Unmarshal(b, &num); err != nil {
			return err
		}
		*s = flexString(num.String())
	case bytes.Equal(b, []byte("true")), bytes.Equal(b, []byte("false")):
		*s = flexString(b)
	default:
		return fmt.Errorf("apizee: %s is not a string or a number", truncate(b))
	}
	return nil
}

// flexList decodes a string (split on commas), a list of strings or numbers,
// or null into a list.
type flexList []string

func (l *flexList) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '[' {
		var items []flexString
		if err := json.Unmarshal(b, &items); err != nil {
			return err
		}
		out := make([]string, 0, len(items))
		for _, it := range items {
			if v := strings.TrimSpace(string(it)); v != "" {
				out = append(out, v)
			}
		}
		*l = out
		return nil
	}
	// Each comma of the raw string is one of the decoded string: too many
	// is refused before the string is built (splitList counts the escaped
	// ones too).
	if bytes.Count(b, comma) >= maxMembers {
		return errTooManyListed
	}
	var s flexString
	if err := s.UnmarshalJSON(b); err != nil {
		return err
	}
	list, err := splitList(string(s))
	if err != nil {
		return err
	}
	*l = list
	return nil
}

// errTooManyListed refuses a comma-separated list longer than a JSON list may
// be (see checkBounds).
var errTooManyListed = fmt.Errorf("apizee: a comma-separated list in the answer holds more than %d members", maxMembers)

// splitList splits a comma-separated wire list, dropping empty items. It
// refuses a list of more than maxMembers parts, empty ones included, as
// checkBounds refuses a JSON list that long, before building any: a string
// of ten million commas would otherwise cost ten million strings.
func splitList(s string) ([]string, error) {
	if !strings.Contains(s, ",") {
		// One contact, the usual case: no slice of parts to build.
		if s = strings.TrimSpace(s); s == "" {
			return nil, nil
		}
		return []string{s}, nil
	}
	if strings.Count(s, ",") >= maxMembers {
		return nil, errTooManyListed
	}
	var out []string
	for part := range strings.SplitSeq(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out, nil
}

// flexBool decodes true/false, 1/0, "1"/"0", "true"/"false", "oui"/"non",
// "yes"/"no" and null (false).
type flexBool bool

func (v *flexBool) UnmarshalJSON(b []byte) error {
	var s flexString
	if err := s.UnmarshalJSON(b); err != nil {
		return err
	}
	switch strings.ToLower(strings.TrimSpace(string(s))) {
	case "true", "1", "oui", "yes", "y":
		*v = true
	case "false", "0", "non", "no", "n", "":
		*v = false
	default:
		return fmt.Errorf("apizee: %s is not a boolean", truncate(b))
	}
	return nil
}

// flexTime decodes RFC 3339 timestamps, Apizee's "2006-01-02 15:04:05"
// (taken as UTC), a bare date, "" and null (the zero time).
type flexTime time.Time

// timeLayouts are tried in order.
var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05", apizeeTimeLayout, "2006-01-02T15:04:05-0700", "2006-01-02"}

// apizeeTimeLayout is the form of the statistics' timestamps.
const apizeeTimeLayout = "2006-01-02 15:04:05"

func (t *flexTime) UnmarshalJSON(b []byte) error {
	// RFC 3339, the usual form, read by the time package straight from the
	// bytes, with no string to allocate. What it accepts, the first layout
	// below accepts too, with the same result.
	var rfc3339 time.Time
	if len(b) > 11 && b[0] == '"' && b[11] == 'T' && rfc3339.UnmarshalJSON(b) == nil {
		return t.set(rfc3339, b)
	}
	var s flexString
	if err := s.UnmarshalJSON(b); err != nil {
		return err
	}
	v := strings.TrimSpace(string(s))
	if v == "" {
		*t = flexTime{}
		return nil
	}
	layouts := timeLayouts
	if len(v) > 10 && v[10] == ' ' {
		// Apizee's own form (every statistics row has two): the layouts
		// before it need a 'T' there, and those after it cannot take a
		// space, so trying them would only build errors.
		layouts = []string{apizeeTimeLayout}
	}
	for _, layout := range layouts {
		if parsed, err := time.Parse(layout, v); err == nil {
			return t.set(parsed, b)
		}
	}
	return fmt.Errorf("apizee: %s is not a timestamp", truncate(b))
}

// set stores parsed, the time b decoded to.
func (t *flexTime) set(parsed time.Time, b []byte) error {
	// An offset can push year 0 or 9999 out of what RFC 3339 (and so
	// json.Marshal of the decoded model) can write.
	if y := parsed.UTC().Year(); y < 0 || y > 9999 {
		return fmt.Errorf("apizee: %s is out of range", truncate(b))
	}
	// Every model reports its times in UTC: one zone whatever the server's
	// offset, so that times compare and print alike.
	*t = flexTime(parsed.UTC())
	return nil
}

// PHP's json_encode writes an empty associative array as [], so an answer
// may carry "requestor": [] or "geoloc": [] where an object is expected. It
// is an empty object. The pipeline rewrites such members to {} in the body
// it decodes (emptyObjects), before decoding, rather than giving each wire
// type an UnmarshalJSON: a nested decoder per ticket costs a list about a
// fifth more time. The models' own UnmarshalJSON do the same on a copy, for
// callers who decode answers themselves.

// phpObjectMembers are the members that hold an object which PHP may write as [].
var phpObjectMembers = [][]byte{
	[]byte("requestor"), []byte("geoloc"), []byte("location"), []byte("organizer"), []byte("owner"),
	[]byte("moderator"), []byte("created_by"), []byte("enterprise"), []byte("service"),
}

// hasEmptyArray reports whether b holds "[" and "]" with only white space
// between them, anywhere (in a string too): the cheap test that spares
// almost every answer the scan of emptyObjects.
func hasEmptyArray(b []byte) bool {
	for i := 0; ; i++ {
		j := bytes.IndexByte(b[i:], ']')
		if j < 0 {
			return false
		}
		i += j
		k := i - 1
		for k >= 0 && isJSONSpace(b[k]) {
			k--
		}
		if k >= 0 && b[k] == '[' {
			return true
		}
	}
}

func isJSONSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// emptyObjects rewrites, in place, every empty array that is the value of
// one of phpObjectMembers into an empty object of the same length ("[ ]"
// becomes "{ }"), and returns b. Strings are skipped whole: a description
// reading "[]" stays as it is.
func emptyObjects(b []byte) []byte {
	if !hasEmptyArray(b) {
		return b
	}
	for i := 0; i < len(b); i++ {
		if b[i] != '"' {
			continue
		}
		start := i + 1
		for i++; i < len(b) && b[i] != '"'; i++ {
			if b[i] == '\\' {
				i++
			}
		}
		if i >= len(b) {
			return b
		}
		key := b[start:i]
		j := skipJSONSpace(b, i+1)
		if j >= len(b) || b[j] != ':' {
			continue
		}
		open := skipJSONSpace(b, j+1)
		if open >= len(b) || b[open] != '[' {
			continue
		}
		end := skipJSONSpace(b, open+1)
		if end < len(b) && b[end] == ']' && isPHPObjectMember(key) {
			b[open], b[end] = '{', '}'
		}
	}
	return b
}

// withEmptyObjects is emptyObjects on a copy of b, for input that is not
// ours to change.
func withEmptyObjects(b []byte) []byte {
	if !hasEmptyArray(b) {
		return b
	}
	return emptyObjects(bytes.Clone(b))
}

// isEmptyArray reports whether b is [] (white space allowed).
func isEmptyArray(b []byte) bool {
	b = bytes.TrimSpace(b)
	return len(b) >= 2 && b[0] == '[' && len(bytes.TrimSpace(b[1:len(b)-1])) == 0 && b[len(b)-1] == ']'
}

func skipJSONSpace(b []byte, i int) int {
	for i < len(b) && isJSONSpace(b[i]) {
		i++
	}
	return i
}

func isPHPObjectMember(key []byte) bool {
	for _, m := range phpObjectMembers {
		if bytes.Equal(key, m) {
			return true
		}
	}
	return false
}

// GeoPoint is a position. It decodes {"lat","lng"} and {"lat","lon"},
// with numbers or numeric strings.
type GeoPoint struct {
	Lat float64
	Lng float64
}

// UnmarshalJSON accepts lng or lon for the longitude, and [] (PHP's empty
// object) as an empty position.
func (p *GeoPoint) UnmarshalJSON(b []byte) error {
	if isEmptyArray(b) {
		*p = GeoPoint{}
		return nil
	}
	read, err := scanDocument(b, defaultBounds, p.scan)
	if read {
		return nil
	}
	if err != nil && json.Valid(b) {
		return err
	}
	var wire geoWire
	if err := json.Unmarshal(b, &wire); err != nil {
		return err
	}
	*p = wire.point()
	return nil
}

// geoWire is a GeoPoint as the API sends it. Wire structs that hold a
// position embed it rather than a *GeoPoint, so that decoding them does not
// start a nested decoder for each position.
type geoWire struct {
	Lat flexFloat     `json:"lat"`
	Lng optionalFloat `json:"lng"` // wins over lon when present and not null
	Lon flexFloat     `json:"lon"`
}

func (w *geoWire) point() GeoPoint {
	p := GeoPoint{Lat: float64(w.Lat), Lng: float64(w.Lon)}
	if w.Lng.set {
		p.Lng = float64(w.Lng.value)
	}
	return p
}

// optionalFloat is a flexFloat that records whether the JSON held one: null
// or an absent key is none. A value rather than a *flexFloat, to spare an
// allocation per position.
type optionalFloat struct {
	value flexFloat
	set   bool
}

func (o *optionalFloat) UnmarshalJSON(b []byte) error {
	if bytes.Equal(bytes.TrimSpace(b), jsonNull) {
		*o = optionalFloat{}
		return nil
	}
	if err := o.value.UnmarshalJSON(b); err != nil {
		return err
	}
	o.set = true
	return nil
}

// MarshalJSON writes {"lat":..,"lng":..}.
func (p GeoPoint) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Lat float64 `json:"lat"`
		Lng float64 `json:"lng"`
	}{p.Lat, p.Lng})
}

// flexFloat decodes a number, a numeric string, "" or null.
type flexFloat float64

func (f *flexFloat) UnmarshalJSON(b []byte) error {
	if isJSONNumber(b) {
		// A number ParseFloat refuses is beyond float64, read as a string
		// too; an integer of more than 309 digits is, without the copies
		// parsing it costs.
		if digits, integer := significantDigits(b); !integer || digits <= 309 {
			if v, err := strconv.ParseFloat(string(b), 64); err == nil {
				*f = flexFloat(v)
				return nil
			}
		}
		return fmt.Errorf("apizee: %s is not a number", truncate(b))
	}
	var s flexString
	if err := s.UnmarshalJSON(b); err != nil {
		return err
	}
	if s == "" {
		*f = 0
		return nil
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(string(s)), 64)
	// ParseFloat takes "NaN" and "Inf", which no coordinate means and
	// json.Marshal cannot write.
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Errorf("apizee: %s is not a number", truncate(b))
	}
	*f = flexFloat(v)
	return nil
}

// Party is a person or organisation the API refers to: an organizer, a
// moderator, a media owner, an enterprise.
type Party struct {
	ID   int64
	Name string
}

// UnmarshalJSON accepts a string or numeric id, and [] (PHP's empty
// object) as an empty party.
func (p *Party) UnmarshalJSON(b []byte) error {
	if isEmptyArray(b) {
		*p = Party{}
		return nil
	}
	var wire struct {
		ID   flexInt64  `json:"id"`
		Name flexString `json:"name"`
	}
	if err := json.Unmarshal(b, &wire); err != nil {
		return err
	}
	*p = Party{ID: int64(wire.ID), Name: string(wire.Name)}
	return nil
}

// Order is the sort direction of a list.
type Order string

// Sort directions.
const (
	OrderAsc  Order = "asc"
	OrderDesc Order = "desc"
)

// The lenient types above decode each field's bytes themselves, and most of
// those are plain strings and numbers. jsonString and isJSONNumber read them
// without running the whole JSON decoder again on a value the outer decoder
// has already checked, which would otherwise double the cost of decoding a
// list. Anything they do not recognise goes to json.Unmarshal, which also
// reports malformed input.

// jsonString decodes the JSON string b, quotes included.
func jsonString(b []byte) (string, error) {
	if s, ok := unquote(b); ok {
		return s, nil
	}
	var s string
	err := json.Unmarshal(b, &s)
	return s, err
}

// unquote decodes a well-formed JSON string exactly as encoding/json does:
// escapes (PHP's json_encode escapes every "/"), invalid UTF-8 and unpaired
// surrogates replaced by U+FFFD. ok is false for anything else.
func unquote(b []byte) (s string, ok bool) {
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return "", false
	}
	in := b[1 : len(b)-1]
	i := 0
	for i < len(in) && in[i] >= ' ' && in[i] < utf8.RuneSelf && in[i] != '\\' && in[i] != '"' {
		i++
	}
	if i == len(in) || plainUTF8(in[i:]) {
		return string(in), true
	}
	// A strings.Builder hands its bytes over as the string without copying
	// them: a 30 MiB string of escapes costs 30 MiB, not twice that.
	var out strings.Builder
	out.Grow(len(in) + utf8.UTFMax)
	out.Write(in[:i])
	expanding := false
	for i < len(in) {
		switch c := in[i]; {
		case c == '\\':
			if i+1 == len(in) {
				return "", false
			}
			switch e := in[i+1]; e {
			case '"', '\\', '/':
				out.WriteByte(e)
			case 'b':
				out.WriteByte('\b')
			case 'f':
				out.WriteByte('\f')
			case 'n':
				out.WriteByte('\n')
			case 'r':
				out.WriteByte('\r')
			case 't':
				out.WriteByte('\t')
			case 'u':
				r, ok := hex4(in[i+2:])
				if !ok {
					return "", false
				}
				i += 6
				if utf16.IsSurrogate(r) {
					if r2, ok := hex4u(in[i:]); ok {
						if pair := utf16.DecodeRune(r, r2); pair != unicode.ReplacementChar {
							out.WriteRune(pair)
							i += 6
							continue
						}
					}
					r = unicode.ReplacementChar
				}
				out.WriteRune(r)
				continue
			default:
				return "", false
			}
			i += 2
		case c == '"' || c < ' ':
			return "", false
		case c < utf8.RuneSelf:
			out.WriteByte(c)
			i++
		default:
			r, size := utf8.DecodeRune(in[i:])
			if r == utf8.RuneError && size == 1 {
				if !expanding {
					// Each invalid byte becomes a 3-byte U+FFFD, as
					// encoding/json has it: room for the worst case at
					// once, rather than doubling the buffer step by step.
					done := out.String()
					out.Reset()
					out.Grow(len(done) + 3*(len(in)-i))
					out.WriteString(done)
					expanding = true
				}
				out.WriteRune(unicode.ReplacementChar)
			} else {
				out.Write(in[i : i+size])
			}
			i += size
		}
	}
	return out.String(), true
}

// plainUTF8 reports whether b is valid UTF-8 without escapes or control
// characters: French text, which needs no unquoting.
func plainUTF8(b []byte) bool {
	return utf8.Valid(b) && !bytes.ContainsFunc(b, func(r rune) bool { return r < ' ' || r == '\\' || r == '"' })
}

// hex4 reads the 4 hex digits of a \u escape.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r*16 + rune(c)
	}
	return r, true
}

// hex4u reads a whole \uXXXX escape.
func hex4u(b []byte) (rune, bool) {
	if len(b) < 6 || b[0] != '\\' || b[1] != 'u' {
		return 0, false
	}
	return hex4(b[2:])
}

// isJSONNumber reports whether b is a JSON number:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func isJSONNumber(b []byte) bool {
	digits := func() int {
		n := 0
		for n < len(b) && '0' <= b[n] && b[n] <= '9' {
			n++
		}
		b = b[n:]
		return n
	}
	if len(b) > 0 && b[0] == '-' {
		b = b[1:]
	}
	switch {
	case len(b) > 0 && b[0] == '0':
		b = b[1:]
	case digits() == 0:
		return false
	}
	if len(b) > 0 && b[0] == '.' {
		b = b[1:]
		if digits() == 0 {
			return false
		}
	}
	if len(b) > 0 && (b[0] == 'e' || b[0] == 'E') {
		b = b[1:]
		if len(b) > 0 && (b[0] == '+' || b[0] == '-') {
			b = b[1:]
		}
		if digits() == 0 {
			return false
		}
	}
	return len(b) == 0
}

// truncate bounds raw JSON quoted in a decoding error.
func truncate(b []byte) string {
	const n = 40
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}
