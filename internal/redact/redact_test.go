package redact

import (
	"net/url"
	"regexp"
	"slices"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZ2VudCJ9.c2lnbmF0dXJl"

func TestString(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"nothing secret", "GET /tickets/82070: 404 Not Found", "GET /tickets/82070: 404 Not Found"},
		{"access_token in a URL", "https://cloud.apizee.com/sso?access_token=abc123&x=1", "https://cloud.apizee.com/sso?access_token=REDACTED&x=1"},
		{"pwd in a customer link", "https://cloud.apizee.com/visio/?room=1&pwd=9876", "https://cloud.apizee.com/visio/?room=1&pwd=REDACTED"},
		{"password in a form body", "grant_type=password&username=bob&password=hunter2", "grant_type=password&username=bob&password=REDACTED"},
		{"assertion in a form body", "grant_type=x&assertion=a.b.c", "grant_type=x&assertion=REDACTED"},
		{"parameter names are case-insensitive", "ACCESS_TOKEN=abc", "ACCESS_TOKEN=REDACTED"},
		{"token parameter", "token=t0k", "token=REDACTED"},
		{"apikey", "apikey=k&api_key=k2&client_secret=s", "apikey=REDACTED&api_key=REDACTED&client_secret=REDACTED"},
		{"JSON member", `{"access_token": "abc123", "expires_in": 3600}`, `{"access_token": "REDACTED", "expires_in": 3600}`},
		{"JSON password", `{"username":"bob","password":"hunter2"}`, `{"username":"bob","password":"REDACTED"}`},
		{"bearer header", "Authorization: Bearer abc.def-123", "Authorization: Bearer REDACTED"},
		{"bearer in capitals", "AUTHORIZATION: BEARER abc", "AUTHORIZATION: BEARER REDACTED"},
		{"bearer in mixed case", "auth bEaReR abc", "auth bEaReR REDACTED"},
		{"bare JWT", "token was " + jwt + " ok", "token was REDACTED ok"},
		{"quoted URL in JSON", `{"sso_url":"https://h/sso?access_token=abc"}`, `{"sso_url":"https://h/sso?access_token=REDACTED"}`},
		{"a word ending in token is not a parameter", "mytoken=abc", "mytoken=abc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, String(tt.in))
		})
	}
}

func TestPath(t *testing.T) {
	u, err := url.Parse("https://bob:hunter2@cloud.apizee.com/api/media/showVideo/1/hash/abc?access_token=s3cr3t#frag")
	require.NoError(t, err)
	assert.Equal(t, "/api/media/showVideo/1/hash/abc", Path(u))
	assert.Equal(t, "", Path(nil))

	u, err = url.Parse("https://h/api/sso/access_token=s3cr3t")
	require.NoError(t, err)
	assert.NotContains(t, Path(u), "s3cr3t", "a secret in the path is masked too")
}

func TestURL(t *testing.T) {
	tests := []struct {
		name, in string
		hidden   []string
		kept     []string
	}{
		{"query secrets", "https://cloud.apizee.com/sso?access_token=s3cr3t&ticket=82070", []string{"s3cr3t"}, []string{"ticket=82070", "cloud.apizee.com/sso"}},
		{"user info", "https://bob:hunter2@cloud.apizee.com/api", []string{"hunter2", "bob"}, []string{"cloud.apizee.com/api"}},
		{"pwd", "https://cloud.apizee.com/visio?pwd=1234&room=r", []string{"1234"}, []string{"room=r"}},
		{"unparsable", "https://h/%zz?access_token=s3cr3t", []string{"s3cr3t"}, nil},
		{"a secret parameter whose name is percent-encoded", "https://h/sso?acc%65ss_token=s3cr3t&x=1", []string{"s3cr3t"}, []string{"x=1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := URL(tt.in)
			for _, s := range tt.hidden {
				assert.NotContains(t, got, s)
			}
			for _, s := range tt.kept {
				assert.Contains(t, got, s)
			}
		})
	}
}

func TestToken(t *testing.T) {
	assert.Equal(t, Mask, Token("s3cr3t"))
	assert.Equal(t, `""`, Token(""))
}

func FuzzString(f *testing.F) {
	for _, s := range []string{"", "access_token=abc", `{"password":"x"}`, "Bearer abc", jwt, "pwd=1&token=2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := String(s)
		// Masking is stable: a second pass finds nothing more to mask.
		assert.Equal(t, out, String(out))
	})
}

// patterns are every regular expression String applies.
var patterns = []*regexp.Regexp{secretParamPattern, secretJSONPattern, bearerPattern, jwtPattern}

// mayHoldSecret must say yes whenever a pattern matches: otherwise String
// would return a secret unmasked.
func TestMayHoldSecretWheneverAPatternMatches(t *testing.T) {
	for _, s := range []string{"token=x", `"password": "x"`, "Bearer x", "BEARER x", "beaRER x", jwt, "x eyJabcd.efgh.ij"} {
		require.True(t, slices.ContainsFunc(patterns, func(p *regexp.Regexp) bool { return p.MatchString(s) }), "test input %q", s)
		assert.True(t, mayHoldSecret(s), "%q", s)
	}
	for _, s := range []string{"", "/tickets/82070", "GET /tickets: 404 Not Found", "/enterprises/7/tickets-stats", "bear", "beare"} {
		assert.False(t, mayHoldSecret(s), "%q", s)
	}
}

// containsFold folds ASCII only, which is exact as long as no letter of
// "bearer" or "%3d" has a case equivalent outside ASCII (the regular
// expressions' (?i) folds k to the Kelvin sign and s to the long s).
func TestBearerHasOnlyASCIICaseEquivalents(t *testing.T) {
	for _, r := range "bearer%3d" {
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			assert.Less(t, f, rune(utf8.RuneSelf), "%q folds to %q", r, f)
		}
	}
}

func FuzzMayHoldSecret(f *testing.F) {
	for _, s := range []string{"", "/tickets/1", "Bearer x", "BEARER x", "a=b", `"x"`, jwt, "eyJ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if mayHoldSecret(s) {
			return
		}
		for _, p := range patterns {
			assert.False(t, p.MatchString(s), "%s matches %q, which mayHoldSecret let through", p, s)
		}
	})
}

func TestKnown(t *testing.T) {
	tests := []struct {
		name, in string
		secrets  []string
		want     string
	}{
		{"no secret", "invalid grant", nil, "invalid grant"},
		{"an empty secret masks nothing", "invalid grant", []string{""}, "invalid grant"},
		{"a secret too short to tell from text masks nothing", "not allowed to create", []string{"t", "to", "all"}, "not allowed to create"},
		{"the shortest secret masked", "code abcd refused", []string{"abcd"}, "code REDACTED refused"},
		{"empty and real", "token tok_1 refused", []string{"", "tok_1", ""}, "token REDACTED refused"},
		{"every occurrence", "tok_1 and tok_1", []string{"tok_1"}, "REDACTED and REDACTED"},
		{"white space inside", "pw was  a  b .", []string{" a  b "}, "pw was REDACTED."},
		{"JSON escaped", `{"m":"pw a\"b\\c\u003cd"}`, []string{`a"b\c<d`}, `{"m":"pw REDACTED"}`},
		{"JSON without HTML escaping", `{"m":"a\"<b"}`, []string{`a"<b`}, `{"m":"REDACTED"}`},
		{"PHP json_encode", `{"m":"p\u00e4ss\/w\ud83d\ude00"}`, []string{"päss/w😀"}, `{"m":"REDACTED"}`},
		{"PHP json_encode keeps ~ as it is", `{"m":"p\u00e4~w"}`, []string{"pä~w"}, `{"m":"REDACTED"}`},
		{"PHP json_encode of the last BMP code point", `{"m":"p\uffffw"}`, []string{"p\uffffw"}, `{"m":"REDACTED"}`},
		{"HTML escaped", "<title>a&amp;b&lt;c</title>", []string{"a&b<c"}, "<title>REDACTED</title>"},
		{"URL encoded", "password=p%40ss+w%2Frd&x", []string{"p@ss w/rd"}, "password=REDACTED&x"},
		{"path escaped", "/u/p@ss%20w", []string{"p@ss w"}, "/u/REDACTED"},
		{"a beginning at the end is kept when the text is whole", "ends with tok_", []string{"tok_123"}, "ends with tok_"},
		{"an echo holding a shorter form of the secret masked whole", "pw secret%25 refused", []string{"secret%"}, "pw REDACTED refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Known(tt.in, tt.secrets...))
		})
	}
}

func TestKnownCut(t *testing.T) {
	assert.Equal(t, "cut at REDACTED", KnownCut("cut at tok_12", "tok_123456"))
	assert.Equal(t, "cut at REDACTED", KnownCut("cut at t", "tok_123456"), "one character of a secret is one too many")
	assert.Equal(t, "whole REDACTED", KnownCut("whole tok_123456", "tok_123456"))
	assert.Equal(t, `{"m":"REDACTED`, KnownCut(`{"m":"p\u00e4`, "pässwort"), "a cut inside an escape")
	assert.Equal(t, "nothing cut", KnownCut("nothing cut", "", "zzz"))
}

func TestUserInfo(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://cloud.apizee.com/api", "https://cloud.apizee.com/api"},
		{"https://agent:pa ss@host/api", "https://REDACTED@host/api"},
		{"https://agent:pa/ss?x#y@host/api", "https://REDACTED@host/api"},
		{"agent:secret@host/api", "REDACTED@host/api"},
		{"//agent:secret@host", "//REDACTED@host"},
		{"https://@host/api", "https://REDACTED@host/api"},
		{"", ""},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, UserInfo(tt.in), tt.in)
	}
}

func TestStringMasksAnEscapedSecretParameter(t *testing.T) {
	for in, hidden := range map[string]string{
		`"https://diag.apizee.com?convId=1\u0026pwd=798042"`:                     "798042",
		`next=https%3A%2F%2Fdiag.apizee.com%3FconvId%3D1%26pwd%3D798042`:         "798042",
		`next=https%3A%2F%2Fh%2Fsso%3Faccess_token%3Dopaque77%26x%3D1`:           "opaque77",
		`NEXT=HTTPS%3A%2F%2FH%2FSSO%3FACCESS_TOKEN%3dOPAQUE77`:                   "OPAQUE77",
		`{"url":"https://h/sso?x=1\u0026access_token=opaque77\u0026y=2","id":1}`: "opaque77",
		`redirected to https%3A%2F%2Fh%2Fsso%3Faccess_token%3Dopaque77`:          "opaque77", // no "=" at all
	} {
		assert.NotContains(t, String(in), hidden, in)
		assert.True(t, mayHoldSecret(in), in)
	}
	assert.Equal(t, "mytoken%3Dabc", String("mytoken%3Dabc"), "a word ending in token is not a parameter, encoded or not")
}

func TestKnownMasksAnEchoInAnyCase(t *testing.T) {
	const secret = "Tok/9f+Ae3=b"
	for _, echo := range []string{secret, "TOK/9F+AE3=B", "tok%2f9f%2bae3%3db", "TOK%2F9F%2BAE3%3DB"} {
		assert.Equal(t, "seen "+Mask+" here", Known("seen "+echo+" here", secret), echo)
	}
	assert.Equal(t, "cut "+Mask, KnownCut("cut TOK/9", secret), "a cut echo in another case")
	assert.Equal(t, "ünïcödé stays", Known("ünïcödé stays", secret), "non-ASCII text is left as it is")
	assert.Equal(t, "seen "+Mask+" here", Known("seen zEBRA-Az9 here", "Zebra-aZ9"), "A and Z, the ends of the ASCII capitals")
}
