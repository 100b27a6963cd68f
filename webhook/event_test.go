package webhook_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee/webhook"
)

// readTestdata returns a file of testdata/webhooks, without its final
// newline.
func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "webhooks", name))
	require.NoError(t, err)
	return []byte(trimNewline(string(b)))
}

func trimNewline(s string) string {
	for len(s) > 0 && (s[len(s)-1] == '\n' || s[len(s)-1] == '\r') {
		s = s[:len(s)-1]
	}
	return s
}

func TestParseEveryShapeOfTestdata(t *testing.T) {
	for _, tc := range []struct {
		file  string
		want  webhook.Event
		props string
	}{
		{"ticket_update.json", webhook.Event{Action: webhook.ActionUpdate, Object: webhook.ObjectTicket, ObjectID: "100",
			Time: time.Date(2019, 12, 10, 11, 13, 33, 0, time.UTC)}, `{"state":"done"}`},
		{"conversation_ended.json", webhook.Event{Action: webhook.ActionUpdate, Object: webhook.ObjectConversation,
			ObjectID: "734e3a7b-eb17-4d3f-901d-bcff178b", Time: time.Date(2021, 9, 20, 13, 25, 6, 0, time.UTC)},
			`{"eventType":"conversationEnded","name":"TEST","finishedAt":"2021-09-20T13:25:06+00:00"}`},
		{"ticket_update_geoloc.json", webhook.Event{Action: webhook.ActionUpdate, Object: webhook.ObjectTicket, ObjectID: "663614",
			Time: time.Unix(1677103206, 0).UTC()}, `{"state":"inprogress","geoloc":{"lat":48.7703337,"lon":-3.5149756}}`},
		{"media_create_conference.json", webhook.Event{Action: webhook.ActionCreate, Object: webhook.ObjectMedia, ObjectID: "2343988",
			Time: time.Date(2023, 7, 13, 16, 24, 4, 0, time.UTC)}, ""},
		{"media_create_ticket.json", webhook.Event{Action: webhook.ActionCreate, Object: webhook.ObjectMedia, ObjectID: "1973404",
			Time: time.Unix(1677103206, 0).UTC()}, ""},
		{"conversationevent_create.json", webhook.Event{Action: webhook.ActionCreate, Object: webhook.ObjectConversationEvent,
			ObjectID: "734e3a7b-eb17-4d3f-901d-bcff178b", Time: time.Date(2021, 9, 20, 13, 24, 50, 0, time.UTC)}, ""},
		{"smsmessage_create.json", webhook.Event{Action: webhook.ActionCreate, Object: webhook.ObjectSMSMessage, ObjectID: "5512",
			Time: time.Unix(1689176892, 0).UTC()}, `{"ticketId":82070,"to":"+33612345678","status":"sent"}`},
	} {
		t.Run(tc.file, func(t *testing.T) {
			e, err := webhook.Parse(readTestdata(t, tc.file))
			require.NoError(t, err)
			assert.Equal(t, tc.want.Action, e.Action)
			assert.Equal(t, tc.want.Object, e.Object)
			assert.Equal(t, tc.want.ObjectID, e.ObjectID)
			assert.True(t, tc.want.Time.Equal(e.Time), "time %v, want %v", e.Time, tc.want.Time)
			assert.Equal(t, time.UTC, e.Time.Location())
			if tc.props != "" {
				assert.Equal(t, tc.props, string(e.Props))
			}
			assert.NotEmpty(t, e.Props)
		})
	}
}

func TestParseObjectIDAsNumberOrUID(t *testing.T) {
	for body, want := range map[string]string{
		`{"event":"update","object":"ticket","objectId":100}`:                                      "100",
		`{"event":"update","object":"ticket","objectId":"100"}`:                                    "100",
		`{"event":"update","object":"conversation","objectId":"734e3a7b-eb17-4d3f-901d-bcff178b"}`: "734e3a7b-eb17-4d3f-901d-bcff178b",
		`{"event":"update","object":"ticket","objectId":12345678901234567890123}`:                  "12345678901234567890123",
		`{"event":"update","object":"ticket","objectId":-7}`:                                       "-7",
	} {
		e, err := webhook.Parse([]byte(body))
		require.NoError(t, err, body)
		assert.Equal(t, want, e.ObjectID, body)
	}
}

func TestParseTimeAsUnixSecondsNumberOrString(t *testing.T) {
	for raw, want := range map[string]time.Time{
		`1575976413`:             time.Unix(1575976413, 0),
		`"1575976413"`:           time.Unix(1575976413, 0),
		`1575976413.25`:          time.Unix(1575976413, 250_000_000),
		`"1575976413.123456789"`: time.Unix(1575976413, 123_456_789),
		`1575976413.1234567891`:  time.Unix(1575976413, 123_456_789), // finer than a nanosecond: dropped
		`0`:                      time.Unix(0, 0),
		`null`:                   {},
		`""`:                     {},
	} {
		e, err := webhook.Parse([]byte(`{"event":"update","object":"ticket","objectId":1,"time":` + raw + `}`))
		require.NoError(t, err, raw)
		assert.True(t, want.Equal(e.Time), "%s: %v, want %v", raw, e.Time, want)
		assert.Equal(t, want.IsZero(), e.Time.IsZero(), raw)
	}
	e, err := webhook.Parse([]byte(`{"event":"update","object":"ticket","objectId":1}`))
	require.NoError(t, err)
	assert.True(t, e.Time.IsZero(), "no time: the zero time")
}

func TestParseKeepsPropsVerbatim(t *testing.T) {
	props := `{ "z": 1.50, "a" : [ "x" , {"nested": "\u00e9"} ], "state":"done" }`
	e, err := webhook.Parse([]byte(`{"event":"update","object":"ticket","objectId":1,"props":` + props + `}`))
	require.NoError(t, err)
	assert.Equal(t, props, string(e.Props), "props byte for byte: spacing, key order, number text, escapes")

	e, err = webhook.Parse([]byte(`{"event":"delete","object":"ticket","objectId":1}`))
	require.NoError(t, err)
	assert.Nil(t, e.Props, "no props: nil")
}

func TestParseKeepsUnknownObjectsAndActions(t *testing.T) {
	e, err := webhook.Parse([]byte(`{"event":"archive","object":"whiteboard","objectId":"wb-1","props":{"x":1},"newField":true}`))
	require.NoError(t, err)
	assert.Equal(t, webhook.Action("archive"), e.Action)
	assert.Equal(t, webhook.Object("whiteboard"), e.Object)
	assert.Equal(t, "wb-1", e.ObjectID)
}

func TestParseRefusesABodyThatIsNotAnEventNamingTheField(t *testing.T) {
	const secret = "SECRET-IN-BODY-42"
	for _, tc := range []struct {
		body, field string
	}{
		{``, ""},
		{`   `, ""},
		{`null`, ""},
		{`[{"event":"update"}]`, ""},
		{`"` + secret + `"`, ""},
		{`{"event":"update","object":"ticket","objectId":1,"x":"` + secret + `"`, ""},
		{`{"event":"update","object":"ticket","objectId":1} {"event":"x"}`, ""},
		{`{"object":"ticket","objectId":1,"props":"` + secret + `"}`, "event"},
		{`{"event":"","object":"ticket","objectId":1}`, "event"},
		{`{"event":null,"object":"ticket","objectId":1}`, "event"},
		{`{"event":42,"object":"ticket","objectId":1}`, "event"},
		{`{"event":"update","objectId":1}`, "object"},
		{`{"event":"update","object":["ticket"],"objectId":1}`, "object"},
		{`{"event":"update","object":"ticket"}`, "objectId"},
		{`{"event":"update","object":"ticket","objectId":""}`, "objectId"},
		{`{"event":"update","object":"ticket","objectId":true}`, "objectId"},
		{`{"event":"update","object":"ticket","objectId":{"id":1}}`, "objectId"},
		{`{"event":"update","object":"ticket","objectId":1,"time":"yesterday"}`, "time"},
		{`{"event":"update","object":"ticket","objectId":1,"time":-5}`, "time"},
		{`{"event":"update","object":"ticket","objectId":1,"time":1e9}`, "time"},
		{`{"event":"update","object":"ticket","objectId":1,"time":"` + secret + `"}`, "time"},
		{`{"event":"update","object":"ticket","objectId":1,"time":99999999999999999999}`, "time"},
		{`{"event":"update","object":"ticket","objectId":1,"time":253402300800}`, "time"},
		{`{"event":"update","object":"ticket","objectId":1,"time":{}}`, "time"},
	} {
		e, err := webhook.Parse([]byte(tc.body))
		require.Error(t, err, tc.body)
		assert.Nil(t, e)
		var perr *webhook.ParseError
		require.True(t, errors.As(err, &perr), "%s: %T", tc.body, err)
		assert.Equal(t, tc.field, perr.Field, tc.body)
		if tc.field != "" {
			assert.Contains(t, err.Error(), `"`+tc.field+`"`, "the message names the field")
		}
		assert.NotContains(t, err.Error(), secret, "the message never quotes the body")
	}
}

func TestEventMarshalsToItsWireShape(t *testing.T) {
	for _, file := range []string{"ticket_update.json", "conversation_ended.json", "media_create_conference.json", "smsmessage_create.json"} {
		body := readTestdata(t, file)
		e, err := webhook.Parse(body)
		require.NoError(t, err)
		out, err := json.Marshal(e)
		require.NoError(t, err)
		assert.Equal(t, string(body), string(out), "the docs' shape, field for field and in the docs' order")
	}
	// Other texts: a digit string of a UID stays a string, a zero time is
	// left out, a fraction is kept.
	e := &webhook.Event{Action: "update", Object: "ticket", ObjectID: "0100", Time: time.Unix(1575976413, 500_000_000)}
	out, err := json.Marshal(e)
	require.NoError(t, err)
	assert.JSONEq(t, `{"event":"update","time":1575976413.5,"object":"ticket","objectId":"0100"}`, string(out))
	out, err = json.Marshal(webhook.Event{Action: "update", Object: "ticket", ObjectID: "7"})
	require.NoError(t, err)
	assert.Equal(t, `{"event":"update","object":"ticket","objectId":7}`, string(out))
}

func TestEventKeyIsStableAcrossReserialisationAndSeparatesEvents(t *testing.T) {
	base := `{"event":"update","time":1575976413,"object":"ticket","objectId":100,"props":{"state":"done","geoloc":{"lat":1,"lng":2}}}`
	same := []string{
		"\n{ \"props\" : { \"geoloc\": {\"lng\":2, \"lat\":1}, \"state\" : \"done\" }, \"objectId\":\"100\", \"object\":\"ticket\", \"time\":\"1575976413\", \"event\":\"update\" }\n",
		`{"event":"update","time":1575976413,"object":"ticket","objectId":100,"props":{"state":"\u0064one","geoloc":{"lat":1,"lng":2}},"extra":1}`,
	}
	different := []string{
		`{"event":"create","time":1575976413,"object":"ticket","objectId":100,"props":{"state":"done","geoloc":{"lat":1,"lng":2}}}`,
		`{"event":"update","time":1575976414,"object":"ticket","objectId":100,"props":{"state":"done","geoloc":{"lat":1,"lng":2}}}`,
		`{"event":"update","time":1575976413,"object":"media","objectId":100,"props":{"state":"done","geoloc":{"lat":1,"lng":2}}}`,
		`{"event":"update","time":1575976413,"object":"ticket","objectId":101,"props":{"state":"done","geoloc":{"lat":1,"lng":2}}}`,
		`{"event":"update","time":1575976413,"object":"ticket","objectId":100,"props":{"state":"closed","geoloc":{"lat":1,"lng":2}}}`,
		`{"event":"update","time":1575976413,"object":"ticket","objectId":100,"props":{"state":"done","geoloc":{"lat":1.0,"lng":2}}}`,
		`{"event":"update","time":1575976413,"object":"ticket","objectId":100}`,
		`{"event":"update","object":"ticket","objectId":100,"props":{"state":"done","geoloc":{"lat":1,"lng":2}}}`,
		`{"event":"update","time":0,"object":"ticket","objectId":100,"props":{"state":"done","geoloc":{"lat":1,"lng":2}}}`,
		// Fields that would run together if the key joined them plainly.
		`{"event":"update","time":1575976413,"object":"ticket1","objectId":"00","props":{"state":"done","geoloc":{"lat":1,"lng":2}}}`,
	}
	key := func(body string) string {
		e, err := webhook.Parse([]byte(body))
		require.NoError(t, err, body)
		return e.Key()
	}
	want := key(base)
	assert.Len(t, want, 64, "a SHA-256 in hex")
	for _, body := range same {
		assert.Equal(t, want, key(body), "the same event, sent again differently: %s", body)
	}
	seen := map[string]string{want: base}
	for _, body := range different {
		k := key(body)
		assert.NotContains(t, seen, k, "%s has the key of %s", body, seen[k])
		seen[k] = body
	}
}
