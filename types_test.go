package apizee

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// decodeCase is one JSON value and what it must decode to; a nil want means
// the value must be refused.
type decodeCase[T any] struct {
	in   string
	want *T
}

func ok[T any](v T) *T { return &v }

// runDecodeCases decodes each case alone, inside an object and inside a list
// (the decoder must behave the same wherever the value sits).
func runDecodeCases[T any](t *testing.T, cases []decodeCase[T]) {
	t.Helper()
	runDecodeCasesFunc(t, cases, func(v T) any { return v })
}

// runDecodeCasesFunc is runDecodeCases comparing key(got) with key(want).
func runDecodeCasesFunc[T any](t *testing.T, cases []decodeCase[T], key func(T) any) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			var got T
			err := json.Unmarshal([]byte(tc.in), &got)
			var inObject struct {
				V T `json:"v"`
			}
			objErr := json.Unmarshal([]byte(`{"v":`+tc.in+`}`), &inObject)
			var inList []T
			listErr := json.Unmarshal([]byte(`[`+tc.in+`]`), &inList)
			if tc.want == nil {
				assert.Error(t, err, "decoded to %v", got)
				assert.Error(t, objErr)
				assert.Error(t, listErr)
				return
			}
			require.NoError(t, err)
			require.NoError(t, objErr)
			require.NoError(t, listErr)
			want := key(*tc.want)
			assert.Equal(t, want, key(got))
			assert.Equal(t, want, key(inObject.V))
			require.Len(t, inList, 1)
			assert.Equal(t, want, key(inList[0]))
		})
	}
}

// TestSignificantDigits holds the count that spares strconv a number no
// int64 can hold: digits past the leading zeros, the sign not counted.
func TestSignificantDigits(t *testing.T) {
	tests := []struct {
		in      string
		digits  int
		integer bool
	}{
		{"82070", 5, true},
		{"-000123", 3, true},
		{"+0", 0, true},
		{"0000000000000000000000000009223372036854775807", 19, true},
		{"-", 0, false},
		{"12a", 0, false},
		{"1.5", 0, false},
	}
	for _, tt := range tests {
		digits, integer := significantDigits(tt.in)
		assert.Equal(t, tt.digits, digits, tt.in)
		assert.Equal(t, tt.integer, integer, tt.in)
	}
}

func TestFlexInt64(t *testing.T) {
	runDecodeCases(t, []decodeCase[flexInt64]{
		{`82070`, ok[flexInt64](82070)},
		{`"82070"`, ok[flexInt64](82070)},
		{`" 42 "`, ok[flexInt64](42)},
		{`-7`, ok[flexInt64](-7)},
		{`3.0`, ok[flexInt64](3)},
		{`"3.0"`, ok[flexInt64](3)},
		{`1e3`, ok[flexInt64](1000)},
		{`9223372036854775807`, ok[flexInt64](9223372036854775807)},
		{`null`, ok[flexInt64](0)},
		{`""`, ok[flexInt64](0)},
		{`3.5`, nil},
		{`"abc"`, nil},
		{`"12abc"`, nil},
		{`true`, nil},
		{`[]`, nil},
		{`{}`, nil},
		{`9223372036854775808`, nil},
		{`1e30`, nil},
		// The bound on significant digits counts no leading zero and no
		// sign: each of these is a small number written long.
		{`"0000000000000000000000042"`, ok[flexInt64](42)},
		{`"-0000000000000000000000042"`, ok[flexInt64](-42)},
		{`"+0000000000000000000000042"`, ok[flexInt64](42)},
		{`"+9223372036854775807"`, ok[flexInt64](9223372036854775807)},
		{`"-9223372036854775808"`, ok[flexInt64](-9223372036854775808)},
		// Exact, where a float would round it to -9223372036854775808.
		{`-9223372036854775807`, ok[flexInt64](-9223372036854775807)},
		{`"00000000000000000000009223372036854775807"`, ok[flexInt64](9223372036854775807)},
		{`"+"`, nil},
		{`"-"`, nil},
		// More than 19 characters that are no integer: a whole float.
		{`1.00000000000000000000000`, ok[flexInt64](1)},
		{`"1.00000000000000000000000"`, ok[flexInt64](1)},
	})
}

// TestFlexStringRefusesWhatLooksLikeANumberButIsNot calls the method as
// the scanner may, with what encoding/json would refuse before it.
func TestFlexStringRefusesWhatLooksLikeANumberButIsNot(t *testing.T) {
	for _, in := range []string{"01", "-", "1.", "-x", "1e"} {
		var s flexString
		assert.Error(t, s.UnmarshalJSON([]byte(in)), "%q", in)
	}
}

// TestTruncateMarksOnlyWhatItCut holds the quoting of raw JSON in errors:
// 40 bytes as they are, longer cut there with an ellipsis.
func TestTruncateMarksOnlyWhatItCut(t *testing.T) {
	forty := strings.Repeat("x", 40)
	assert.Equal(t, forty, truncate([]byte(forty)))
	assert.Equal(t, forty+"…", truncate([]byte(forty+"y")))
	assert.Equal(t, "", truncate(nil))
}

func TestFlexString(t *testing.T) {
	runDecodeCases(t, []decodeCase[flexString]{
		{`"REF-1"`, ok[flexString]("REF-1")},
		{`""`, ok[flexString]("")},
		{`"é\n"`, ok[flexString]("é\n")},
		{`12345`, ok[flexString]("12345")},
		{`-1.50`, ok[flexString]("-1.50")},
		{`true`, ok[flexString]("true")},
		{`false`, ok[flexString]("false")},
		{`null`, ok[flexString]("")},
		{`{}`, nil},
		{`["a"]`, nil},
	})
}

func TestFlexList(t *testing.T) {
	runDecodeCases(t, []decodeCase[flexList]{
		{`"+33612345678"`, ok(flexList{"+33612345678"})},
		{`"+33612345678, +33698765432,,"`, ok(flexList{"+33612345678", "+33698765432"})},
		{`["a@example.com", " b@example.com "]`, ok(flexList{"a@example.com", "b@example.com"})},
		{`[33612345678, "x", null, ""]`, ok(flexList{"33612345678", "x"})},
		{`[]`, ok(flexList{})},
		{`""`, ok(flexList(nil))},
		{`null`, ok(flexList(nil))},
		{`33612345678`, ok(flexList{"33612345678"})},
		{`{}`, nil},
		{`[{}]`, nil},
		{`[["a"]]`, nil},
	})
}

func TestFlexBool(t *testing.T) {
	runDecodeCases(t, []decodeCase[flexBool]{
		{`true`, ok[flexBool](true)},
		{`false`, ok[flexBool](false)},
		{`1`, ok[flexBool](true)},
		{`0`, ok[flexBool](false)},
		{`"1"`, ok[flexBool](true)},
		{`"0"`, ok[flexBool](false)},
		{`"true"`, ok[flexBool](true)},
		{`"FALSE"`, ok[flexBool](false)},
		{`"oui"`, ok[flexBool](true)},
		{`"Non"`, ok[flexBool](false)},
		{`"yes"`, ok[flexBool](true)},
		{`"no"`, ok[flexBool](false)},
		{`""`, ok[flexBool](false)},
		{`null`, ok[flexBool](false)},
		{`2`, nil},
		{`"maybe"`, nil},
		{`[]`, nil},
		{`{}`, nil},
	})
}

func TestFlexTime(t *testing.T) {
	// The instant must match, given in UTC whatever the server's offset.
	instant := func(v flexTime) any { return time.Time(v).Format(time.RFC3339Nano) }
	runDecodeCasesFunc(t, []decodeCase[flexTime]{
		{`"2023-07-12T15:48:11+00:00"`, ok(flexTime(time.Date(2023, 7, 12, 15, 48, 11, 0, time.FixedZone("", 0))))},
		{`"2023-07-12T15:48:11Z"`, ok(flexTime(time.Date(2023, 7, 12, 15, 48, 11, 0, time.UTC)))},
		{`"2023-07-12T17:48:11+02:00"`, ok(flexTime(time.Date(2023, 7, 12, 15, 48, 11, 0, time.UTC)))},
		{`"2023-07-12T15:48:11.250Z"`, ok(flexTime(time.Date(2023, 7, 12, 15, 48, 11, 250e6, time.UTC)))},
		{`"2023-07-13 18:03:13"`, ok(flexTime(time.Date(2023, 7, 13, 18, 3, 13, 0, time.UTC)))},
		{`"2023-07-13T18:03:13"`, ok(flexTime(time.Date(2023, 7, 13, 18, 3, 13, 0, time.UTC)))},
		{`"2023-07-12T17:48:11+0200"`, ok(flexTime(time.Date(2023, 7, 12, 15, 48, 11, 0, time.UTC)))},
		{`"2023-07-13"`, ok(flexTime(time.Date(2023, 7, 13, 0, 0, 0, 0, time.UTC)))},
		{`" 2023-07-13 "`, ok(flexTime(time.Date(2023, 7, 13, 0, 0, 0, 0, time.UTC)))},
		{`""`, ok(flexTime{})},
		{`null`, ok(flexTime{})},
		{`"yesterday"`, nil},
		{`"2023-13-45 99:00:00"`, nil},
		{`1689266593`, nil},
		{`{}`, nil},
		{`[]`, nil},
		// The last and the first year RFC 3339 can write.
		{`"9999-12-31 23:59:59"`, ok(flexTime(time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)))},
		{`"0000-01-01 00:00:00"`, ok(flexTime(time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)))},
		{`"9999-12-31T23:59:59-01:00"`, nil},
	}, instant)
}

func TestFlexTimeInstant(t *testing.T) {
	// The zones differ but the instants must agree.
	var a, b flexTime
	require.NoError(t, json.Unmarshal([]byte(`"2023-07-12T17:48:11+02:00"`), &a))
	require.NoError(t, json.Unmarshal([]byte(`"2023-07-12 15:48:11"`), &b))
	assert.True(t, time.Time(a).Equal(time.Time(b)))
}

func TestFlexFloat(t *testing.T) {
	runDecodeCases(t, []decodeCase[flexFloat]{
		{`48.8566`, ok[flexFloat](48.8566)},
		{`"48.8566"`, ok[flexFloat](48.8566)},
		{`-2`, ok[flexFloat](-2)},
		{`" 2.35 "`, ok[flexFloat](2.35)},
		// The longest integer a float64 holds: 309 digits.
		{"1" + strings.Repeat("0", 308), ok[flexFloat](1e308)},
		{"1" + strings.Repeat("0", 309), nil},
		{`""`, ok[flexFloat](0)},
		{`null`, ok[flexFloat](0)},
		{`"north"`, nil},
		{`true`, nil},
		{`{}`, nil},
		{`[]`, nil},
	})
}

func TestGeoPoint(t *testing.T) {
	runDecodeCases(t, []decodeCase[GeoPoint]{
		{`{"lat":48.8566,"lng":2.3522}`, ok(GeoPoint{48.8566, 2.3522})},
		{`{"lat":48.8566,"lon":2.3522}`, ok(GeoPoint{48.8566, 2.3522})},
		{`{"lat":"48.8566","lng":"2.3522"}`, ok(GeoPoint{48.8566, 2.3522})},
		{`{"lat":"48.8566","lon":"2.3522","accuracy":12}`, ok(GeoPoint{48.8566, 2.3522})},
		{`{"lat":1,"lng":2,"lon":3}`, ok(GeoPoint{1, 2})},
		{`{"lat":1,"lng":null,"lon":3}`, ok(GeoPoint{1, 3})},
		{`{"lat":null,"lng":null}`, ok(GeoPoint{})},
		{`{}`, ok(GeoPoint{})},
		{`null`, ok(GeoPoint{})},
		{`{"lat":"here","lng":2}`, nil},
		{`{"lat":1,"lon":"there"}`, nil},
		{`[48.8566,2.3522]`, nil},
		{`"48.8566,2.3522"`, nil},
	})
}

// TestGeoPointErrorsAreTheScannersOrEncodingJSONs holds which error a
// position that does not decode gets: in valid JSON, the scanner's, which
// names no type of the SDK; in invalid JSON, encoding/json's syntax error,
// even after a value the scanner refused.
func TestGeoPointErrorsAreTheScannersOrEncodingJSONs(t *testing.T) {
	var p GeoPoint
	err := p.UnmarshalJSON([]byte(`"48.8566,2.3522"`))
	require.Error(t, err)
	assert.Equal(t, "the answer holds a JSON string where an object belongs", err.Error())

	var syntax *json.SyntaxError
	err = p.UnmarshalJSON([]byte(`{"lat":"here",`))
	assert.True(t, errors.As(err, &syntax), "%v", err)
}

func TestGeoPointPointer(t *testing.T) {
	var v struct {
		Geoloc *GeoPoint `json:"geoloc"`
	}
	require.NoError(t, json.Unmarshal([]byte(`{"geoloc":null}`), &v))
	assert.Nil(t, v.Geoloc)
	require.NoError(t, json.Unmarshal([]byte(`{"geoloc":{"lat":1.5,"lon":-2.5}}`), &v))
	assert.Equal(t, &GeoPoint{1.5, -2.5}, v.Geoloc)
}

func TestGeoPointMarshal(t *testing.T) {
	b, err := json.Marshal(GeoPoint{Lat: 1.5, Lng: -2.5})
	require.NoError(t, err)
	assert.JSONEq(t, `{"lat":1.5,"lng":-2.5}`, string(b))
	var back GeoPoint
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, GeoPoint{1.5, -2.5}, back)
}

func TestParty(t *testing.T) {
	runDecodeCases(t, []decodeCase[Party]{
		{`{"id":1234,"name":"Jean Dupont"}`, ok(Party{1234, "Jean Dupont"})},
		{`{"id":"1234","name":"Jean Dupont","email":"j@example.com"}`, ok(Party{1234, "Jean Dupont"})},
		{`{"id":null,"name":null}`, ok(Party{})},
		{`{"name":42}`, ok(Party{Name: "42"})},
		{`{}`, ok(Party{})},
		{`null`, ok(Party{})},
		{`{"id":"abc"}`, nil},
		{`{"id":1,"name":{}}`, nil},
		{`"Jean"`, nil},
		{`[]`, ok(Party{})}, // PHP's json_encode writes an empty object so
		{`[ ]`, ok(Party{})},
		{`[{}]`, nil},
	})
}

func TestPartyReplacesPreviousValue(t *testing.T) {
	p := Party{ID: 9, Name: "old"}
	require.NoError(t, json.Unmarshal([]byte(`{"name":"new"}`), &p))
	assert.Equal(t, Party{Name: "new"}, p)
}

func TestSplitList(t *testing.T) {
	assert.Nil(t, split(t, ""))
	assert.Nil(t, split(t, " , ,"))
	assert.Equal(t, []string{"a", "b c", "d"}, split(t, "a, b c ,,d "))
}

// split is splitList of a list it accepts.
func split(t *testing.T, s string) []string {
	t.Helper()
	list, err := splitList(s)
	require.NoError(t, err)
	return list
}

// A contact list sent as one comma-separated string is bounded like one sent
// as a JSON list: 1000 parts (empty ones too), however its commas are
// written, and refused without building its parts.
func TestFlexListStringIsBoundedLikeAList(t *testing.T) {
	parts := func(n int, sep string) string { return `"` + strings.Repeat("1"+sep, n-1) + `1"` }
	var l flexList
	require.NoError(t, json.Unmarshal([]byte(parts(maxMembers, ",")), &l))
	assert.Len(t, l, maxMembers)
	for name, raw := range map[string]string{
		"commas":         parts(maxMembers+1, ","),
		"empty parts":    `"1` + strings.Repeat(",", maxMembers) + `"`,
		"escaped commas": parts(maxMembers+1, `\u002c`),
	} {
		err := json.Unmarshal([]byte(raw), &l)
		require.ErrorIs(t, err, errTooManyListed, name)
		assert.Equal(t, "apizee: a comma-separated list in the answer holds more than 1000 members", err.Error(), name)
	}
	for _, n := range []int{maxMembers + 1, 1 << 20} {
		raw := []byte(parts(n, ","))
		allocated := testing.AllocsPerRun(1, func() {
			var l flexList
			assert.Error(t, l.UnmarshalJSON(raw))
		})
		assert.Zero(t, allocated, "%d parts: refused before its parts (or its string) are built", n)
	}
}

func TestDecodeErrorQuotesBoundedValue(t *testing.T) {
	var n flexInt64
	err := json.Unmarshal([]byte(`"`+strings.Repeat("x", 500)+`"`), &n)
	require.Error(t, err)
	assert.Less(t, len(err.Error()), 120, "a decoding error quotes a bounded excerpt")
}

// The fuzz targets check that every lenient decoder refuses or accepts any
// input without panicking, and that what it accepts is stable.

var fuzzSeeds = []string{
	`82070`, `"82070"`, `null`, `""`, `"a, b"`, `[1,"2",null]`, `true`, `"oui"`, `3.0`, `1e400`,
	`"2023-07-12T15:48:11+00:00"`, `"2023-07-13 18:03:13"`, `{"lat":"1","lon":2}`, `{"id":"7","name":8}`,
	`{`, `"`, `[`, `-`, `"\ud800"`,
}

func fuzzDecode[T any](f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var v T
		if json.Unmarshal(b, &v) != nil {
			return
		}
		// A value that decodes decodes the same inside an object.
		var wrapped struct{ V T }
		require.NoError(t, json.Unmarshal(append(append([]byte(`{"V":`), b...), '}'), &wrapped))
		assert.Equal(t, v, wrapped.V)
	})
}

func FuzzFlexInt64(f *testing.F)  { fuzzDecode[flexInt64](f) }
func FuzzFlexString(f *testing.F) { fuzzDecode[flexString](f) }
func FuzzFlexList(f *testing.F)   { fuzzDecode[flexList](f) }
func FuzzFlexBool(f *testing.F)   { fuzzDecode[flexBool](f) }
func FuzzFlexTime(f *testing.F)   { fuzzDecode[flexTime](f) }
func FuzzFlexFloat(f *testing.F)  { fuzzDecode[flexFloat](f) }
func FuzzGeoPoint(f *testing.F)   { fuzzDecode[GeoPoint](f) }
func FuzzParty(f *testing.F)      { fuzzDecode[Party](f) }

func TestEmptyObjects(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"requestor":[],"geoloc":[ ],"owner":[
]}`, `{"requestor":{},"geoloc":{ },"owner":{
}}`},
		{`{"data":[],"phone":[],"medias":[ ]}`, `{"data":[],"phone":[],"medias":[ ]}`},
		{`{"description":"\"requestor\":[]","name":"a\\","geoloc":[]}`, `{"description":"\"requestor\":[]","name":"a\\","geoloc":{}}`},
		{`{"requestor":["x"],"service" : []}`, `{"requestor":["x"],"service" : {}}`},
		{`["requestor",[]]`, `["requestor",[]]`},
		{`{"geoloc":[]`, `{"geoloc":{}`},
		{`{"geoloc`, `{"geoloc`},
		{`{"geoloc":[],"note":"cut`, `{"geoloc":{},"note":"cut`},
		{`{"geoloc":[],"note"`, `{"geoloc":{},"note"`},
		{`{"geoloc":[],"owner":`, `{"geoloc":{},"owner":`},
		{`{"geoloc":[],"owner":[`, `{"geoloc":{},"owner":[`},
		{`[]`, `[]`},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, string(emptyObjects([]byte(tt.in))), tt.in)
		in := []byte(tt.in)
		withEmptyObjects(in)
		assert.Equal(t, tt.in, string(in), "withEmptyObjects leaves its input alone")
	}
}

func FuzzEmptyObjects(f *testing.F) {
	for _, s := range []string{`{"requestor":[],"geoloc":[ ]}`, `{"a":"[]","geoloc":[]}`, `{"owner":[`, `"\`, `[]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		out := emptyObjects(bytes.Clone(b))
		require.Len(t, out, len(b), "the rewrite keeps every offset")
		if json.Valid(b) {
			assert.True(t, json.Valid(out), "valid JSON stays valid: %q -> %q", b, out)
		}
	})
}

// TestUnmarshalJSONOfACutValueIsAnError calls the methods as a user's own
// decoder may, with what encoding/json would never pass them: a value cut
// after its first byte is an error, not a panic nor an empty value.
func TestUnmarshalJSONOfACutValueIsAnError(t *testing.T) {
	decoders := map[string]func() json.Unmarshaler{
		"Requestor":  func() json.Unmarshaler { return new(Requestor) },
		"GeoPoint":   func() json.Unmarshaler { return new(GeoPoint) },
		"Party":      func() json.Unmarshaler { return new(Party) },
		"EntryPoint": func() json.Unmarshaler { return new(EntryPoint) },
	}
	for name, decoder := range decoders {
		for _, in := range []string{"[", " [ ", "{", "]"} {
			assert.NotPanics(t, func() {
				assert.Error(t, decoder().UnmarshalJSON([]byte(in)), "%s %q", name, in)
			}, "%s %q", name, in)
		}
	}
}
