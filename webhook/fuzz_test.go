package webhook_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee/webhook"
)

// FuzzParse: no body makes Parse panic; what parses re-encodes (json.Marshal)
// to a body that parses to the same event, with the same Key, and that
// re-encodes to the same bytes; the typed props readers never panic either.
// The seeds are the bodies of testdata/webhooks plus edge cases:
//
//	go test -run '^$' -fuzz '^FuzzParse$' -fuzztime 60s ./webhook
func FuzzParse(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("..", "testdata", "webhooks", "*.json"))
	require.NoError(f, err)
	require.NotEmpty(f, files)
	for _, name := range files {
		b, err := os.ReadFile(name)
		require.NoError(f, err)
		f.Add(b)
	}
	for _, seed := range []string{
		``, `null`, `[]`, `{}`, `{"event":"update"}`,
		`{"event":"update","object":"ticket","objectId":"0100","time":"1575976413.000000001"}`,
		`{"event":"update","object":"ticket","objectId":1e3,"time":0.5,"props":null}`,
		`{"event":"\u00e9","object":"\ud800","objectId":"\u2028","props":{"a":"<&>","b":[1,2.50,-0]}}`,
		`{"EVENT":"update","Object":"ticket","objectid":1,"event":"create"}`,
		"{\"event\":\"update\",\"object\":\"ticket\",\"objectId\":1,\"props\":{\"x\":\"\xff\"}}",
		`{"event":"update","object":"conversationevent","objectId":"u","props":{"id":1,"timestamp":1632144290123,"data":[]}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		e, err := webhook.Parse(body)
		if err != nil {
			if e != nil {
				t.Fatalf("an error and an event")
			}
			return
		}
		// The readers may refuse, never panic.
		_, _ = e.TicketProps()
		_, _ = e.MediaProps()
		_, _ = e.ConversationProps()
		_, _ = e.SessionEvent()

		wire, err := json.Marshal(e)
		if err != nil {
			t.Fatalf("a parsed event does not encode: %v", err)
		}
		again, err := webhook.Parse(wire)
		if err != nil {
			t.Fatalf("the encoding %s of a parsed event does not parse: %v", wire, err)
		}
		if again.Action != e.Action || again.Object != e.Object || again.ObjectID != e.ObjectID ||
			!again.Time.Equal(e.Time) || again.Time.IsZero() != e.Time.IsZero() || again.Time.Location() != e.Time.Location() {
			t.Fatalf("re-encoded event differs:\n%#v\n%#v", e, again)
		}
		if !sameJSON(e.Props, again.Props) {
			t.Fatalf("props differ: %q then %q", e.Props, again.Props)
		}
		if again.Key() != e.Key() {
			t.Fatalf("the key changed on re-encoding: %s", wire)
		}
		wire2, err := json.Marshal(again)
		if err != nil || !bytes.Equal(wire, wire2) {
			t.Fatalf("encoding is not stable: %s then %s (%v)", wire, wire2, err)
		}
	})
}

// sameJSON reports whether a and b are the same JSON text once compacted
// (json.Marshal compacts a RawMessage and escapes <, > and &).
func sameJSON(a, b json.RawMessage) bool {
	if len(a) == 0 || len(b) == 0 {
		return len(a) == len(b)
	}
	var ca, cb bytes.Buffer
	if json.Compact(&ca, a) != nil || json.Compact(&cb, b) != nil {
		return false
	}
	// Both went through the same escaping once b is a's re-encoding.
	ea, _ := json.Marshal(json.RawMessage(ca.Bytes()))
	eb, _ := json.Marshal(json.RawMessage(cb.Bytes()))
	return bytes.Equal(ea, eb)
}
