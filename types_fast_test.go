package apizee

import (
	"bytes"
	"encoding/json"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The fast paths of the lenient decoders (jsonString, unquote,
// isJSONNumber) must agree with encoding/json on every input: they replace
// it for speed only.

var unquoteCases = []string{
	`""`, `"plain"`, `"Immédiat"`, `"Fermé, Vidéos"`,
	`"https:\/\/diag.apizee.com?convId=1\u0026pwd=2"`, `"a\"b\\c\/d\be\ff\ng\rh\ti"`,
	`"\u00e9\u00C9"`, `"\ud83d\ude00"`, `"\ud83d\ude00abc"`, `"\ud83d"`, `"\ud83dx"`, `"\ude00\ud83d"`, `"\ud83d\u0041"`,
	"\"\xff\"", "\"\x80\"", "\"a\x7f\x80\"", "\"a\xe9b\"", "\"\xed\xa0\x80\"", "\"\uFFFD\"",
	`"\x"`, `"\u12"`, `"\u12g4"`, `"a`, `a"`, `"`, `"a"b"`, `"""`, `""""`, "\"\n\"", `"\"`,
}

func TestUnquoteAgreesWithEncodingJSON(t *testing.T) {
	for _, in := range unquoteCases {
		checkUnquote(t, []byte(in))
	}
}

func checkUnquote(t *testing.T, b []byte) {
	t.Helper()
	var want string
	wantErr := json.Unmarshal(b, &want)
	got, ok := unquote(b)
	if ok {
		require.NoError(t, wantErr, "unquote accepted %q, which encoding/json refuses", b)
		assert.Equal(t, want, got, "unquote(%q)", b)
	}
	got, err := jsonString(b)
	if wantErr != nil {
		assert.Error(t, err, "jsonString(%q)", b)
		return
	}
	require.NoError(t, err, "jsonString(%q)", b)
	assert.Equal(t, want, got, "jsonString(%q)", b)
}

func TestUnquoteHandlesEscapesWithoutTheDecoder(t *testing.T) {
	for _, in := range []string{`""`, `"\u00e9"`, `"\u00a0\u00A0\u00ff\u00FF\u0009"`, `"https:\/\/h\/x?a=1\u0026pwd=2"`, `"\ud83d\ude00 Immédiat"`, `"Fermé"`} {
		_, ok := unquote([]byte(in))
		assert.True(t, ok, "%s takes the fast path", in)
	}
}

func FuzzUnquote(f *testing.F) {
	for _, in := range unquoteCases {
		f.Add([]byte(in))
	}
	f.Fuzz(checkUnquote)
}

var numberCases = []string{
	"0", "-0", "1", "-12", "3.0", "48.7", "-3.5", "1e5", "1E+5", "2.5e-3",
	"", "-", "01", "1.", ".5", "1e", "1e+", "+1", "0x1", "1.2.3", "1 ", "--1", "NaN",
}

func TestIsJSONNumberAgreesWithEncodingJSON(t *testing.T) {
	for _, in := range numberCases {
		checkNumber(t, []byte(in))
	}
}

func checkNumber(t *testing.T, b []byte) {
	t.Helper()
	var n json.Number
	valid := json.Valid(b) && json.Unmarshal(b, &n) == nil && bytes.Equal(bytes.TrimSpace(b), b)
	if isJSONNumber(b) {
		require.True(t, valid, "isJSONNumber accepted %q", b)
		assert.Equal(t, string(b), n.String(), "a number is kept as written")
		return
	}
	if len(b) > 0 && b[0] != '"' && b[0] != '[' && b[0] != '{' && b[0] != 'n' && b[0] != 't' && b[0] != 'f' {
		assert.False(t, valid, "isJSONNumber refused the number %q", b)
	}
}

func FuzzIsJSONNumber(f *testing.F) {
	for _, in := range numberCases {
		f.Add([]byte(in))
	}
	f.Fuzz(checkNumber)
}

func TestSplitListOfOneContact(t *testing.T) {
	assert.Equal(t, []string{"+33612345678"}, split(t, " +33612345678 "))
	assert.Nil(t, split(t, "  "))
	assert.Equal(t, []string{"a", "b"}, split(t, "a, ,b"))
}

// referenceFlexTime is flexTime's decoding without its RFC 3339 fast path.
func referenceFlexTime(b []byte) (time.Time, error) {
	var s flexString
	if err := s.UnmarshalJSON(b); err != nil {
		return time.Time{}, err
	}
	v := strings.TrimSpace(string(s))
	if v == "" {
		return time.Time{}, nil
	}
	for _, layout := range timeLayouts {
		if parsed, err := time.Parse(layout, v); err == nil {
			if y := parsed.UTC().Year(); y < 0 || y > 9999 {
				return time.Time{}, errors.New("out of range")
			}
			return parsed, nil
		}
	}
	return time.Time{}, errors.New("not a timestamp")
}

var timeCases = []string{
	`"2023-07-12T15:48:11+00:00"`, `"2023-07-12T15:48:11Z"`, `"2023-07-13 18:03:13Z"`, `"2023-07-13 18:03"`, `"2023-07-13 "`, `"2023-07-12T15:48:11.123456789+02:00"`,
	`"2023-07-12T15:48:11,5Z"`, `"2023-07-12t15:48:11z"`, `"2023-07-13 18:03:13"`, `"2023-07-13"`,
	`" 2023-07-12T15:48:11Z "`, `"2023-07-12T24:00:00Z"`, `"2023-02-30T00:00:00Z"`, `"0000-01-01T00:00:00Z"`,
	`"2023-07-12T15:48:11+24:00"`, `"0000-01-01T00:00:00+01:00"`, `"9999-12-31T23:59:59-01:00"`, `"0000-01-01 00:30:00"`, `"2023-07-12T15:48:11-0700"`, `""`, `null`, `12`,
}

func TestFlexTimeFastPathAgrees(t *testing.T) {
	for _, in := range timeCases {
		checkFlexTime(t, []byte(in))
	}
}

func checkFlexTime(t *testing.T, b []byte) {
	t.Helper()
	want, wantErr := referenceFlexTime(b)
	var got flexTime
	err := got.UnmarshalJSON(b)
	if wantErr != nil {
		assert.Error(t, err, "%s", b)
		return
	}
	require.NoError(t, err, "%s", b)
	assert.True(t, want.Equal(time.Time(got)), "%s: %s, want %s", b, time.Time(got), want)
	assert.Equal(t, time.UTC, time.Time(got).Location(), "%s is given in UTC", b)
}

func FuzzFlexTimeFastPath(f *testing.F) {
	for _, in := range timeCases {
		f.Add([]byte(in))
	}
	f.Fuzz(checkFlexTime)
}

func TestFlexFloatFastPathAgrees(t *testing.T) {
	for _, in := range []string{"48.7", "-3.5", "0", "1e400", "-1e400", "1e-400", `"2.5"`, `""`, "null"} {
		var got flexFloat
		err := got.UnmarshalJSON([]byte(in))
		var s flexString
		require.NoError(t, s.UnmarshalJSON([]byte(in)))
		want, wantErr := strconv.ParseFloat(strings.TrimSpace(string(s)), 64)
		if s == "" {
			want, wantErr = 0, nil
		}
		if wantErr != nil {
			assert.Error(t, err, in)
			continue
		}
		require.NoError(t, err, in)
		assert.Equal(t, want, float64(got), in)
	}
}

func TestAppendStatKeyNormalisesLikeStringsFunctions(t *testing.T) {
	for _, label := range []string{"Priorité", " Nombre d’invitations SMS ", "ÉTAT", "Assigné à", "Système d'exploitation", "\xffx", ""} {
		want := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(label), "’", "'"))
		assert.Equal(t, want, string(appendStatKey(nil, []byte(label))), "%q", label)
	}
}

// FuzzIsInternationalPhone holds isInternationalPhone to the expression it
// replaces.
func FuzzIsInternationalPhone(f *testing.F) {
	pattern := regexp.MustCompile(`^\+[0-9]{8,15}$`)
	for _, seed := range []string{"+33612345678", "+1234567", "+12345678", "+123456789012345", "+1234567890123456", "0612345678",
		"+3361234567a", "++33612345678", "+33 612345678", "+٣٣٦١٢٣٤٥٦٧٨", "+33612345678\n", ""} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := isInternationalPhone(s), pattern.MatchString(s); got != want {
			t.Fatalf("isInternationalPhone(%q) = %t, the expression says %t", s, got, want)
		}
	})
}
