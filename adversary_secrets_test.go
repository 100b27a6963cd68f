package apizee_test

// Adversary tests, secrets: servers that echo what they were sent (the
// bearer token, the password) in whatever shape, error values printed every
// way a caller prints them, and models handed whole to a JSON logger.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee"
	"github.com/apizee-go/apizee/apizeetest"
)

// everyWay returns v as fmt prints it with each verb a caller uses, and as
// slog's JSON and text handlers log it. An error is also printed through
// every error it wraps, and an *APIError also by value.
func everyWay(v any) string {
	var b strings.Builder
	var logs bytes.Buffer
	jsonLog := slog.New(slog.NewJSONHandler(&logs, nil))
	textLog := slog.New(slog.NewTextHandler(&logs, nil))
	print := func(v any) {
		fmt.Fprintf(&b, "%v | %+v | %#v | %s | %q | %d\n", v, v, v, v, v, v)
		jsonLog.Info("value", "v", v)
		textLog.Info("value", "v", v)
	}
	print(v)
	if err, ok := v.(error); ok {
		b.WriteString(err.Error() + "\n")
		var apiErr *apizee.APIError
		if errors.As(err, &apiErr) {
			print(*apiErr)
			b.WriteString(apiErr.Message + "\n" + apiErr.Details + "\n" + apiErr.RequestID + "\n" + string(apiErr.Body) + "\n")
		}
		var decErr *apizee.DecodeError
		if errors.As(err, &decErr) {
			print(*decErr)
			b.WriteString(decErr.Excerpt + "\n")
		}
		for inner := errors.Unwrap(err); inner != nil; inner = errors.Unwrap(inner) {
			print(inner)
		}
	}
	return b.String() + logs.String()
}

func assertNotShown(t *testing.T, shown string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		require.NotEmpty(t, s)
		if strings.Contains(shown, s) {
			i := strings.Index(shown, s)
			t.Errorf("%q is shown: ...%s...", s, shown[max(0, i-80):min(len(shown), i+len(s)+40)])
		}
	}
}

func TestAdversaryErrorEchoingTheBearerTokenIsMasked(t *testing.T) {
	// Opaque tokens: no "Bearer " before them, no JWT shape, nothing a
	// pattern could recognise. Only the token this call sent can be masked.
	const fixed = "tok_8f3a9c2e71d04b5aa6"
	echoes := map[string]func(w http.ResponseWriter, tok string){
		"JSON message": func(w http.ResponseWriter, tok string) {
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprintf(w, `{"code":403,"message":"token %s may not read this","details":"seen %s"}`, tok, tok)
		},
		"HTML title": func(w http.ResponseWriter, tok string) {
			w.WriteHeader(http.StatusBadGateway)
			fmt.Fprintf(w, "<html><title>Upstream refused %s</title></html>", tok)
		},
		"plain text": func(w http.ResponseWriter, tok string) {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, "your credential\t%s\nis not valid", tok)
		},
		"request id": func(w http.ResponseWriter, tok string) {
			w.Header().Set("X-Request-Id", "req-"+tok)
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"message":"not found"}`)
		},
		"a 200 page that is not JSON": func(w http.ResponseWriter, tok string) {
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprintf(w, "<html><body>Welcome back, %s</body></html>", tok)
		},
	}
	for name, echo := range echoes {
		t.Run(name, func(t *testing.T) {
			var issued atomic.Value
			api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/api/token" {
					tok := "tok_" + strconv.FormatInt(int64(len(r.URL.Path))*7919, 36) + "c0ffee51deb0a7"
					issued.Store(tok)
					fmt.Fprintf(w, `{"access_token":%q,"expires_in":3600}`, tok)
					return
				}
				echo(w, strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
			}))
			defer api.Close()

			for auth, opt := range map[string]apizee.Option{
				"fixed token":       apizee.WithToken(fixed),
				"fetched by /token": apizee.WithCredentials("agent", "pw-not-echoed"),
			} {
				c := hostileClient(t, api.URL+"/api", opt)
				_, err := c.Tickets.Get(t.Context(), 1)
				require.Error(t, err, auth)
				sent := fixed
				if auth != "fixed token" {
					sent = issued.Load().(string)
				}
				shown := everyWay(err)
				assert.Contains(t, shown, "REDACTED", auth)
				assertNotShown(t, shown, sent)
			}
		})
	}
}

func TestAdversaryPasswordIsMaskedBeforeFoldingOrCutting(t *testing.T) {
	passwords := []string{
		"Zq9!  double  spaces",
		"\tZq9!tab\tinside",
		"   Zq9!leading-spaces",
		"Zq9!trailing-spaces   ",
		`Zq9!<esc&ped>/"quoted"\back`,
		"Zq9!pässwörd-ünïcode",
	}
	// How a server may echo the password it was sent.
	echoes := map[string]func(pw string) (status int, body string){
		"JSON message, encoding/json": func(pw string) (int, string) {
			b, _ := json.Marshal(map[string]string{"message": "wrong password " + pw})
			return http.StatusBadRequest, string(b)
		},
		"JSON message, PHP json_encode": func(pw string) (int, string) {
			return http.StatusBadRequest, `{"message":"wrong password ` + phpEscape(pw) + `"}`
		},
		"JSON message, every character escaped": func(pw string) (int, string) {
			var escaped strings.Builder
			for _, r := range pw {
				fmt.Fprintf(&escaped, `\u%04x`, r)
			}
			return http.StatusBadRequest, `{"message":"wrong password ` + escaped.String() + `"}`
		},
		"HTML title": func(pw string) (int, string) {
			return http.StatusUnauthorized, "<html><title>Refused: " + html.EscapeString(pw) + "</title></html>"
		},
		"HTML title, numeric references": func(pw string) (int, string) {
			var escaped strings.Builder
			for _, r := range pw {
				fmt.Fprintf(&escaped, "&#%d;", r)
			}
			return http.StatusUnauthorized, "<html><title>Refused: " + escaped.String() + "</title></html>"
		},
		"plain text": func(pw string) (int, string) { return http.StatusUnauthorized, "refused " + pw },
		"the form body": func(pw string) (int, string) {
			return http.StatusBadRequest, "cannot parse grant_type=password&username=agent&pass=" + url.QueryEscape(pw)
		},
		"past the 200-byte excerpt": func(pw string) (int, string) {
			b, _ := json.Marshal(map[string]string{"message": strings.Repeat("x", 195) + pw})
			return http.StatusBadRequest, string(b)
		},
		"at the 64 KiB body limit": func(pw string) (int, string) {
			return http.StatusBadRequest, strings.Repeat("x", 64<<10-6) + pw
		},
		"a 200 HTML page": func(pw string) (int, string) {
			return http.StatusOK, "<html><body>Hello " + pw + "</body></html>"
		},
	}
	for _, pw := range passwords {
		for name, echo := range echoes {
			t.Run(fmt.Sprintf("%q/%s", pw, name), func(t *testing.T) {
				api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					status, body := echo(pw)
					w.WriteHeader(status)
					io.WriteString(w, body)
				}))
				defer api.Close()
				c := hostileClient(t, api.URL+"/api", apizee.WithCredentials("agent", pw))
				_, err := c.Tickets.Get(t.Context(), 1)
				require.Error(t, err)
				assertNotShown(t, everyWay(err), passwordShapes(pw)...)
			})
		}
	}
}

// passwordShapes is what of pw must not be shown: pw as sent, folded the
// way an error message folds white space, and its first 5 characters (all
// of the passwords above start with a rare "Zq9!" then a character).
func passwordShapes(pw string) []string {
	folded := strings.Join(strings.Fields(pw), " ")
	start := strings.TrimSpace(pw)[:5]
	return []string{pw, folded, start, html.EscapeString(start), url.QueryEscape(start)}
}

// phpEscape writes s as PHP's json_encode does by default: "/" escaped, and
// every non-ASCII character as a \u escape.
func phpEscape(s string) string {
	b, _ := json.Marshal(s)
	var out strings.Builder
	for _, r := range strings.Trim(string(b), `"`) {
		switch {
		case r == '/':
			out.WriteString(`\/`)
		case r > 0x7e:
			fmt.Fprintf(&out, `\u%04x`, r)
		default:
			out.WriteRune(r)
		}
	}
	return out.String()
}

func TestAdversaryPasswordCutAtTheExcerptOfAnOversizedAnswerIsMasked(t *testing.T) {
	// A 200 answer to /token declared larger than the SDK decodes: only its
	// first bytes are read, and they end inside the password.
	const pw = "Zq9!oversized-answer-password"
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(40<<20))
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, strings.Repeat(" ", 190)+pw+strings.Repeat(" ", 1<<20))
	}))
	defer api.Close()
	c := hostileClient(t, api.URL+"/api", apizee.WithCredentials("agent", pw))
	_, err := c.Tickets.Get(t.Context(), 1)
	var decErr *apizee.DecodeError
	require.ErrorAs(t, err, &decErr)
	assertNotShown(t, everyWay(err), pw[:5])
}

func TestAdversaryAPIErrorValuePrintsRedacted(t *testing.T) {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"code":10,"message":"see https://h/sso?access_token=leaked-sso-9876","details":"link pwd=654321"}`)
	}))
	defer api.Close()
	c := hostileClient(t, api.URL+"/api")
	_, err := c.Tickets.Get(t.Context(), 1)
	var apiErr *apizee.APIError
	require.ErrorAs(t, err, &apiErr)
	value := *apiErr
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("failed", "error", value, "errors", []apizee.APIError{value})
	shown := fmt.Sprintf("%v %+v %s %#v %q", value, value, value, value, value) + logs.String()
	assert.Contains(t, shown, "REDACTED")
	assertNotShown(t, shown, "leaked-sso-9876", "654321")
}

func TestAdversaryBaseURLErrorNeverQuotesTheUserInfo(t *testing.T) {
	for _, raw := range []string{
		"https://agent:pa ss-Zq9@cloud.apizee.com/api",
		"https://agent:pa%zzss-Zq9@cloud.apizee.com/api",
		"https://agent:pass-Zq9@cloud.apizee.com:port/api",
		"https://agent:pass-Zq9@[::1/api",
		"agent:pass-Zq9@cloud.apizee.com/api",
		"//agent:pass-Zq9@cloud.apizee.com/api",
		"http://agent:pass-Zq9@cloud.apizee.com/api",
		"https://agent:pass-Zq9@cloud.apizee.com/api",
		"https://agent:pass-Zq9@/api",
	} {
		t.Run(raw, func(t *testing.T) {
			_, err := apizee.NewClient(apizee.WithBaseURL(raw), apizee.WithToken("t"))
			requireValidationError(t, err, "BaseURL")
			assertNotShown(t, everyWay(err), "pa ss", "pa%zz", "pass-Zq9", "Zq9")

			t.Setenv(apizee.EnvBaseURL, raw)
			t.Setenv(apizee.EnvToken, "t")
			_, err = apizee.NewClientFromEnv()
			requireValidationError(t, err, "BaseURL")
			assertNotShown(t, everyWay(err), "pa ss", "pa%zz", "pass-Zq9", "Zq9")
		})
	}
}

func TestAdversaryModelsGivenWholeToAJSONLoggerShowNoSecret(t *testing.T) {
	srv := apizeetest.NewServer()
	defer srv.Close()
	c, err := apizee.NewClient(apizee.WithBaseURL(srv.URL), apizee.WithCredentials(srv.Username, srv.Password))
	require.NoError(t, err)
	ctx := t.Context()
	created, err := c.Tickets.Create(ctx, &apizee.CreateTicketParams{Agent: srv.Username, Phone: []string{"+33612345678"}, SSO: true, Reference: "log-me"})
	require.NoError(t, err)
	require.Contains(t, created.SSOURL, "access_token=")
	require.Contains(t, created.RequestorURL, "pwd=")
	page, err := c.Tickets.List(ctx, &apizee.ListTicketsParams{Reference: "log-me"})
	require.NoError(t, err)
	require.NotEmpty(t, page.Items)
	tok := apizee.Token{AccessToken: srv.IssueToken()}

	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	logger.Info("tickets",
		"slice", []apizee.Ticket{*created},
		"pointers", []*apizee.Ticket{created},
		"map", map[string]apizee.Ticket{"created": *created},
		"items", page.Items,
		"page", page,
		"tokens", []apizee.Token{tok},
		"token_map", map[string]*apizee.Token{"t": &tok},
	)
	marshalled, err := json.Marshal(map[string]any{"ticket": created, "tokens": []apizee.Token{tok}})
	require.NoError(t, err)
	shown := logs.String() + string(marshalled)
	assert.Contains(t, shown, `"RequestorURL":"REDACTED"`)
	assert.Contains(t, shown, `"SSOURL":"REDACTED"`)
	assertNotShown(t, shown, created.SSOURL, created.RequestorURL, tokenSecret(created.SSOURL), pwdValue(created.RequestorURL), tok.AccessToken)
	alone, err := json.Marshal(created)
	require.NoError(t, err)
	assert.Contains(t, string(alone), `"RequestorURL":"REDACTED"`, "the link is masked whole, not only its pwd")
	assert.Contains(t, string(alone), `"SSOURL":"REDACTED"`, "the link is masked whole, not only its access_token")
}

// tokenSecret is the access_token value of link.
func tokenSecret(link string) string {
	u, _ := url.Parse(link)
	return u.Query().Get("access_token")
}

// pwdValue is "pwd=" and the value of link's pwd: six digits alone could
// match any number printed.
func pwdValue(link string) string {
	u, _ := url.Parse(link)
	return "pwd=" + u.Query().Get("pwd")
}

func TestAdversaryMaskingWithoutAnAssertionKeepsTheMessageWhole(t *testing.T) {
	// The client masks its password and its assertion in the answers of
	// /token; the one it does not have must not mask anything.
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"code":10,"message":"Invalid grant for this account","details":"Parameter grant_type"}`)
	}))
	defer api.Close()
	for name, opt := range map[string]apizee.Option{
		"password":  apizee.WithCredentials("agent", "pw-Zq9"),
		"assertion": apizee.WithJWTAssertion("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZ2VudCJ9.c2ln"),
	} {
		c := hostileClient(t, api.URL+"/api", opt)
		_, err := c.Tickets.Get(t.Context(), 1)
		var apiErr *apizee.APIError
		require.ErrorAs(t, err, &apiErr, name)
		assert.Equal(t, "Invalid grant for this account", apiErr.Message, name)
		assert.Equal(t, "Parameter grant_type", apiErr.Details, name)
		assert.Contains(t, err.Error(), "Invalid grant for this account [Parameter grant_type]", name)
		assert.NotContains(t, err.Error(), "REDACTED", name)
	}
}

func TestAdversaryUnmaskedModelsKeepTheirSecretsForStorage(t *testing.T) {
	srv := apizeetest.NewServer()
	defer srv.Close()
	c, err := apizee.NewClient(apizee.WithBaseURL(srv.URL), apizee.WithCredentials(srv.Username, srv.Password))
	require.NoError(t, err)
	created, err := c.Tickets.Create(t.Context(), &apizee.CreateTicketParams{Agent: srv.Username, Phone: []string{"+33612345678"},
		Email: []string{"jane@example.com"}, SSO: true, Reference: "store-me"})
	require.NoError(t, err)
	require.NotEmpty(t, created.SSOURL)

	stored, err := json.Marshal(apizee.UnmaskedTicket(*created))
	require.NoError(t, err)
	var back apizee.UnmaskedTicket
	require.NoError(t, json.Unmarshal(stored, &back))
	assert.Equal(t, *created, apizee.Ticket(back), "an unmasked ticket decodes back whole, links and contacts included")

	tok := apizee.Token{AccessToken: srv.IssueToken(), ExpiresAt: created.Created.Add(24 * time.Hour)}
	stored, err = json.Marshal(apizee.UnmaskedToken(tok))
	require.NoError(t, err)
	var backTok apizee.UnmaskedToken
	require.NoError(t, json.Unmarshal(stored, &backTok))
	assert.Equal(t, tok, apizee.Token(backTok))

	conf, err := c.Conferences.Create(t.Context(), &apizee.CreateConferenceParams{Participants: []string{"+33612345678"},
		Name: "store me", SSO: true})
	require.NoError(t, err)
	require.NotEmpty(t, conf.SSOURL)
	shown, err := json.Marshal([]apizee.Conference{*conf})
	require.NoError(t, err)
	assert.Contains(t, string(shown), `"SSOURL":"REDACTED"`, "a conference marshals with its SSO link masked")
	assert.NotContains(t, string(shown), tokenSecret(conf.SSOURL))
	stored, err = json.Marshal(apizee.UnmaskedConference(*conf))
	require.NoError(t, err)
	var backConf apizee.UnmaskedConference
	require.NoError(t, json.Unmarshal(stored, &backConf))
	assert.Equal(t, *conf, apizee.Conference(backConf), "an unmasked conference decodes back whole")
}

func TestAdversaryTokenEchoedIntoAFieldOfTheWrongTypeIsMasked(t *testing.T) {
	// The lenient types quote the value they cannot read (cut to 40
	// bytes): here, the token the call sent, echoed into a number field.
	const long = "tok_3b9d2f71e8a04c6d95f1a2b3c4d5e6f708192a3b4c5d"
	const short = "tok_3b9d2f71e8a04c6d95f1"
	tests := []struct {
		name, token, body string
		list              bool
	}{
		{"quoted whole", short, `{"id":"` + short + `"}`, false},
		{"cut at 40 bytes", long, `{"id":"` + long + `"}`, false},
		{"a list's total", long, `{"total":"` + long + `","data":[]}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, tt.body) }))
			defer api.Close()
			c := hostileClient(t, api.URL+"/api", apizee.WithToken(tt.token))
			_, err := c.Tickets.Get(t.Context(), 1)
			if tt.list {
				_, err = c.Tickets.List(t.Context(), nil)
			}
			var decErr *apizee.DecodeError
			require.ErrorAs(t, err, &decErr)
			assert.Contains(t, err.Error(), "is not an integer", "the cause still says what is wrong")
			assertNotShown(t, everyWay(err), tt.token[:12])
		})
	}
}

func TestAdversaryPasswordStraddlingTheExcerptSourceIsMasked(t *testing.T) {
	// A 200 page of white space, then the password, cut where the excerpt
	// stops looking: folding brings what is after the white space to the
	// front of the quote.
	const pw = "Zq9!straddling-the-window"
	for _, at := range []int{4<<10 - 10, 4<<10 - 1, 4 << 10} {
		t.Run(strconv.Itoa(at), func(t *testing.T) {
			api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, strings.Repeat(" ", at)+pw+" and more")
			}))
			defer api.Close()
			c := hostileClient(t, api.URL+"/api", apizee.WithCredentials("agent", pw))
			_, err := c.Tickets.Get(t.Context(), 1)
			var decErr *apizee.DecodeError
			require.ErrorAs(t, err, &decErr)
			assertNotShown(t, everyWay(err), pw[:5])
		})
	}
}

func TestAdversarySecretInAValueOfTheWrongKindIsNotQuoted(t *testing.T) {
	// A value of the wrong kind where an object or a list belongs: the
	// one-pass decoder must tell it as encoding/json's path does (the
	// field and the kinds), never by quoting the value, which may be a
	// secret in a form no pattern knows (an escaped parameter name, the
	// call's token with an escaped letter) or the start of a secret URL.
	// The padding keeps the value out of the excerpt of the body start.
	const token = "tok_7f3a9c2e5b1d48e6a0c4"
	pad := `"description":"` + strings.Repeat("a", 300) + `",`
	values := map[string]string{
		"a requestor_url":                `"https://diag.apizee.com?convId=88a2c81a-2b5a-496f&pwd=798042"`,
		"an escaped pwd=":                `"?p\u0077d=798042"`,
		"an escaped access_token=":       `"?access\u005ftoken=opaque798042"`,
		"the token, one letter escaped":  `"\u0074ok_7f3a9c2e5b1d48e6a0c4"`,
		"an escaped access_token member": `{"acc\u0065ss_token":"opaque798042"}`,
		"a number holding the password":  `798042`,
	}
	secrets := []string{"convId=88a2c81a", "798042", "ok_7f3a9c2e5b1d48e6a0c4"}
	places := []struct {
		name, body string
		call       func(c *apizee.Client) error
		field      string
	}{
		{"requestor", `{"id":1,` + pad + `"requestor":%s}`,
			func(c *apizee.Client) error { _, err := c.Tickets.Get(t.Context(), 1); return err }, `field "requestor"`},
		{"geoloc", `{"id":1,` + pad + `"geoloc":%s}`,
			func(c *apizee.Client) error { _, err := c.Tickets.Get(t.Context(), 1); return err }, `field "geoloc"`},
		{"a page's requestor", `{"total":1,"data":[{"id":1,` + pad + `"requestor":%s}]}`,
			func(c *apizee.Client) error { _, err := c.Tickets.List(t.Context(), nil); return err }, `field "data.requestor"`},
		{"a page's data", `{"total":1,` + pad + `"data":%s}`,
			func(c *apizee.Client) error { _, err := c.Tickets.List(t.Context(), nil); return err }, `field "data"`},
		{"Do into a *Ticket", `{"id":1,` + pad + `"requestor":%s}`,
			func(c *apizee.Client) error {
				var tk apizee.Ticket
				_, err := c.Do(t.Context(), http.MethodGet, "/tickets/1", nil, &tk)
				return err
			}, `field "requestor"`},
	}
	for _, place := range places {
		for name, value := range values {
			if (place.name == "a page's data") != strings.HasPrefix(value, "{") {
				continue // an object is wrong only where the page's list belongs
			}
			t.Run(place.name+", "+name, func(t *testing.T) {
				body := fmt.Sprintf(place.body, value)
				api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, body) }))
				defer api.Close()
				c := hostileClient(t, api.URL+"/api", apizee.WithToken(token))
				err := place.call(c)
				var decErr *apizee.DecodeError
				require.ErrorAs(t, err, &decErr)
				assert.Contains(t, err.Error(), place.field+" holds a JSON", "the error names the field and the kinds")
				var typeErr *json.UnmarshalTypeError
				assert.ErrorAs(t, err, &typeErr, "as encoding/json's path has it, errors.As finds the *json.UnmarshalTypeError")
				assertNotShown(t, everyWay(err), secrets...)
			})
		}
	}
}

func TestAdversarySecretQuotedByTheCauseOfADecodeErrorIsMasked(t *testing.T) {
	// The lenient types quote the value they refuse (cut to 40 bytes), and
	// DecodeError.Error masks the secret patterns in the whole text; the
	// cause is handed to callers too (errors.Unwrap, errors.As, an error
	// reporter that walks the chain), so its own text is masked as well.
	bodies := map[string]string{
		"a requestor_url as the id":          `{"id":"https://diag.apizee.com?c=1&pwd=798042"}`,
		"an access_token= as a time":         `{"id":1,"created":"https://x?access_token=798042"}`,
		"an access_token member as a name":   `{"id":1,"name":{"access_token":"798042"}}`,
		"a JWT as a page's total":            `{"total":"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI3OTgwNDIifQ.798042","data":[]}`,
		"a pwd= as the button id, in a page": `{"total":1,"data":[{"id":1,"button_id":"?pwd=798042"}]}`,
	}
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, body) }))
			defer api.Close()
			c := hostileClient(t, api.URL+"/api")
			_, err := c.Tickets.Get(t.Context(), 1)
			if strings.Contains(body, `"total"`) {
				_, err = c.Tickets.List(t.Context(), nil)
			}
			var decErr *apizee.DecodeError
			require.ErrorAs(t, err, &decErr)
			assert.Contains(t, errors.Unwrap(err).Error(), "is not", "the cause still says what is wrong")
			assertNotShown(t, everyWay(err), "798042")
		})
	}
}

func TestAdversaryEscapedSecretInTheExcerptIsMasked(t *testing.T) {
	// JSON lets a server escape any character: a secret parameter's name
	// with an escaped letter, or the call's token, escapes past the
	// patterns and the echo forms unless the excerpt is read as decoded.
	const token = "tok_7f3a9c2e5b1d48e6a0c4"
	bodies := map[string]string{
		"an escaped pwd=":                 `{"id":"x","requestor_url":"https:\/\/diag.apizee.com?c=1&p\u0077d=798042"}`,
		"an escaped access_token=":        `{"id":"x","sso_url":"https:\/\/x?\u0061ccess_token=798042"}`,
		"an escaped access_token key":     `{"id":"x","\u0061ccess_token":"798042"}`,
		"the token, one letter escaped":   `{"id":"x","echo":"\u0074ok_7f3a9c2e5b1d48e6a0c4"}`,
		"the token, every letter escaped": `{"id":"x","echo":"` + jsonEscapeAll(token) + `"}`,
	}
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, body) }))
			defer api.Close()
			c := hostileClient(t, api.URL+"/api", apizee.WithToken(token))
			_, err := c.Tickets.Get(t.Context(), 1)
			var decErr *apizee.DecodeError
			require.ErrorAs(t, err, &decErr)
			assert.Contains(t, decErr.Excerpt, `{"id":"x"`, "the excerpt still quotes the body")
			shown := everyWay(err)
			assertNotShown(t, shown, "798042", token[4:], jsonEscapeAll(token[4:]))
		})
	}
}

// jsonEscapeAll writes every character of s as a \u escape.
func jsonEscapeAll(s string) string {
	var b strings.Builder
	for _, r := range s {
		fmt.Fprintf(&b, `\u%04x`, r)
	}
	return b.String()
}
