package apizee_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/apizee-go/apizee"
)

// TestReviewMaskedTypesPrintMaskedWithEveryVerb: fmt calls String only for
// %v, %s, %q, %x and %X (GoString for %#v); with %d, %t, %o or any other
// verb it prints a struct's fields, the secrets among them. A Token, a
// Ticket, a Conference and the params of a conference print masked with
// every verb, alone, by pointer, and inside a slice or a page.
func TestReviewMaskedTypesPrintMaskedWithEveryVerb(t *testing.T) {
	const (
		token    = "tok-format-3c9a1e"
		pwd      = "604217"
		sso      = "ssoFormat88d1"
		password = "*4711#"
	)
	tok := apizee.Token{AccessToken: token}
	ticket := apizee.Ticket{ID: 1, RequestorURL: "https://diag.apizee.com?convId=c&pwd=" + pwd, SSOURL: "https://cloud.apizee.com/sso/" + sso}
	conf := apizee.Conference{ID: 2, SSOURL: "https://cloud.apizee.com/sso/" + sso}
	params := apizee.CreateConferenceParams{Participants: []string{"a@b.example"}, Password: password}
	page := apizee.Page[apizee.Ticket]{Items: []apizee.Ticket{ticket}}
	for _, v := range []any{tok, &tok, ticket, &ticket, conf, &conf, params, &params, []apizee.Token{tok}, page, &page, []apizee.Conference{conf}} {
		var printed string
		for _, verb := range []string{"%d", "%+d", "%o", "%t", "%b", "%e", "%c", "%U", "%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%10.3d"} {
			printed += fmt.Sprintf(verb, v) + "\n"
		}
		assertNotShown(t, printed, token, pwd, sso, password)
	}
}

// TestMaskedTypesPrintTheirStringAsAStringWould: the masked text obeys the
// verb and its flags as a string would (width, hex), %#v is GoString (the
// masked text, unquoted), and the verbs fmt would print fields for print
// the masked text as it is.
func TestMaskedTypesPrintTheirStringAsAStringWould(t *testing.T) {
	tok := apizee.Token{AccessToken: "tok-format-3c9a1e"}
	ticket := apizee.Ticket{ID: 1, SSOURL: "https://cloud.apizee.com/sso/ssoFormat88d1"}
	conf := apizee.Conference{ID: 2, SSOURL: "https://cloud.apizee.com/sso/ssoFormat88d1"}
	params := apizee.CreateConferenceParams{Participants: []string{"a@b.example"}, Password: "*4711#"}
	for _, v := range []fmt.Stringer{tok, ticket, conf, params} {
		s := v.String()
		assert.Equal(t, s, fmt.Sprintf("%#v", v), "%T", v)
		assert.Equal(t, fmt.Sprintf("%-120s|", s), fmt.Sprintf("%-120v|", v), "%T", v)
		assert.Equal(t, fmt.Sprintf("%#x", s), fmt.Sprintf("%#x", v), "%T", v)
		assert.Equal(t, fmt.Sprintf("%q", s), fmt.Sprintf("%q", v), "%T", v)
		assert.Equal(t, s, fmt.Sprintf("%d", v), "%T", v)
	}
}
