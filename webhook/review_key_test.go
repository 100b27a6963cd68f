package webhook_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee/webhook"
)

// Review: what Key calls one event. The same event re-serialised (keys
// reordered at any depth, other spacing, escapes for the same characters,
// a number objectId or its digits as a string) is one event; a change of
// any value, a number written otherwise (1 against 1.0: the sender wrote
// another text), or digits beyond float64's precision is another. Two
// events identical in every field within one second are one event: nothing
// in the payload tells them apart from a redelivery (Key's doc says so).
func TestReviewEventKeyDecidesWhatIsOneEvent(t *testing.T) {
	key := func(body string) string {
		t.Helper()
		e, err := webhook.Parse([]byte(body))
		require.NoError(t, err, body)
		return e.Key()
	}
	const head = `"event":"update","time":1575976413,"object":"ticket",`
	base := key(`{` + head + `"objectId":100,"props":{"state":"done","a":{"x":[1,{"p":"é","q":null}],"y":true}}}`)
	for _, same := range []string{
		`{` + head + `"objectId":"100","props":{"a":{"y":true,"x":[1,{"q":null,"p":"é"}]},"state":"done"}}`,
		"{" + head + "\"objectId\":100,\"props\":\r\n {\t\"state\" : \"done\" ,\"a\":{\"x\":[ 1 , {\"p\":\"\\u00e9\",\"q\":null} ],\"y\":true} }\n}",
		`{` + head + `"objectId":100,"props":{"st\u0061te":"done","a":{"x":[1,{"p":"\u00E9","q":null}],"y":true}},"other":1}`,
	} {
		assert.Equal(t, base, key(same), same)
	}
	for _, other := range []string{
		`{` + head + `"objectId":100,"props":{"state":"done","a":{"x":[{"p":"é","q":null},1],"y":true}}}`, // array order
		`{` + head + `"objectId":100,"props":{"state":"done","a":{"x":[1,{"p":"é","q":null}],"y":"true"}}}`,
		`{` + head + `"objectId":100,"props":{"state":"done","a":{"x":[1,{"p":"é"}],"y":true}}}`, // null against absent
		`{` + head + `"objectId":100,"props":{"state":"done","a":{"x":[1.0,{"p":"é","q":null}],"y":true}}}`,
		`{` + head + `"objectId":100,"props":{"state":"done ","a":{"x":[1,{"p":"é","q":null}],"y":true}}}`,
		`{` + head + `"objectId":100,"props":{"state":"done","a":{"x":[1,{"p":"e\u0301","q":null}],"y":true}}}`, // é decomposed
	} {
		assert.NotEqual(t, base, key(other), other)
	}
	// Beyond float64: 2^53+1 and 2^53 differ.
	assert.NotEqual(t,
		key(`{`+head+`"objectId":100,"props":{"n":9007199254740993}}`),
		key(`{`+head+`"objectId":100,"props":{"n":9007199254740992}}`))
	assert.NotEqual(t,
		key(`{`+head+`"objectId":12345678901234567890123}`),
		key(`{`+head+`"objectId":12345678901234567890124}`))

	// done, inprogress, done again in one second: the third is the first.
	done := `{` + head + `"objectId":100,"props":{"state":"done"}}`
	assert.Equal(t, key(done), key(done))
}
