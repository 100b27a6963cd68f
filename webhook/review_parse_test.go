package webhook_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee/webhook"
)

// Review: bodies that are almost events. Each is answered 400 naming the
// field (or the body as a whole), never a panic, never an event with a
// guessed meaning.
func TestReviewParseRefusesWhatIsNotQuiteAnEvent(t *testing.T) {
	const head = `"event":"update","object":"ticket"`
	for _, tc := range []struct{ name, body, field string }{
		// An Apizee id is a whole number or a UID: a fraction or an
		// exponent is no id of Apizee's ("1e2" would be another id than
		// 100), and a function reading it with strconv.ParseInt would fail
		// at every redelivery.
		{"objectId fraction", `{` + head + `,"objectId":1.5}`, "objectId"},
		{"objectId exponent", `{` + head + `,"objectId":1e2}`, "objectId"},
		{"objectId 1e400", `{` + head + `,"objectId":1e400}`, "objectId"},
		{"objectId negative exponent", `{` + head + `,"objectId":-7E+1}`, "objectId"},
		// A field sent twice: encoding/json keeps the last, a proxy or a
		// log reader may keep the first; the body means two things.
		{"objectId twice", `{` + head + `,"objectId":1,"objectId":2}`, "objectId"},
		{"event twice", `{` + head + `,"event":"delete","objectId":1}`, "event"},
		{"time twice", `{` + head + `,"objectId":1,"time":1,"time":2}`, "time"},
		{"props twice", `{` + head + `,"objectId":1,"props":{},"props":{"state":"done"}}`, "props"},
		// Names are the docs', exactly: encoding/json would match these
		// case-insensitively, so that "OBJECTID" overrode "objectId".
		{"objectId in capitals", `{` + head + `,"objectId":1,"OBJECTID":2}`, "objectId"},
		{"every name in capitals", `{"EVENT":"update","OBJECT":"ticket","OBJECTID":3}`, "event"},
		// JSON is UTF-8 (RFC 8259): invalid bytes decode to U+FFFD, so that
		// two different bodies would read as one event.
		{"invalid UTF-8 in objectId", "{" + head + ",\"objectId\":\"a\xffb\"}", ""},
		{"invalid UTF-8 in props", "{" + head + ",\"objectId\":1,\"props\":{\"name\":\"\xfe\"}}", ""},
	} {
		e, err := webhook.Parse([]byte(tc.body))
		assert.Nil(t, e, tc.name)
		var perr *webhook.ParseError
		if !assert.True(t, errors.As(err, &perr), "%s: %v", tc.name, err) {
			continue
		}
		assert.Equal(t, tc.field, perr.Field, "%s: %v", tc.name, err)
	}
}

// What holds already: odd bodies get a 400 naming the field, or the body.
func TestReviewHandlerAnswersOddBodies400(t *testing.T) {
	var c counter
	h := newHandler(t, c.fn)
	const head = `"event":"update","object":"ticket"`
	for _, tc := range []struct{ name, body, field string }{
		{"objectId bool", `{` + head + `,"objectId":false}`, "objectId"},
		{"objectId object", `{` + head + `,"objectId":{"id":1}}`, "objectId"},
		{"time negative", `{` + head + `,"objectId":1,"time":-1}`, "time"},
		{"time negative fraction", `{` + head + `,"objectId":1,"time":-1.5}`, "time"},
		{"time 1e400", `{` + head + `,"objectId":1,"time":1e400}`, "time"},
		{"time overflowing", `{` + head + `,"objectId":1,"time":9223372036854775808}`, "time"},
		{"time exponent string", `{` + head + `,"objectId":1,"time":"1.5e3"}`, "time"},
		{"BOM", "\xef\xbb\xbf{" + head + `,"objectId":1}`, ""},
		{"trailing garbage", `{` + head + `,"objectId":1}garbage`, ""},
		{"a second object", `{` + head + `,"objectId":1} {"event":"delete"}`, ""},
		{"deep nesting", `{` + head + `,"objectId":1,"props":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}`, ""},
		{"whitespace only", strings.Repeat(" \n\t", 300_000), ""},
		{"unclosed", `{` + head + `,"objectId":1`, ""},
	} {
		w := deliver(h, tc.body)
		assert.Equal(t, http.StatusBadRequest, w.Code, tc.name)
		if tc.field != "" {
			assert.Contains(t, w.Body.String(), `"`+tc.field+`"`, tc.name)
		}
	}
	assert.Zero(t, c.calls.Load())

	// Props that are not an object are kept (the docs say nothing of their
	// shape): the typed readers refuse them.
	e, err := webhook.Parse([]byte(`{` + head + `,"objectId":1,"props":"done"}`))
	require.NoError(t, err)
	_, err = e.TicketProps()
	var perr *webhook.ParseError
	require.True(t, errors.As(err, &perr))
	assert.Equal(t, "props", perr.Field)
}
