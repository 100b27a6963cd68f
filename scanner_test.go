package apizee

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The one-pass scanner replaces encoding/json for speed only: whatever it
// reads, encoding/json (into the wire types, the way the pipeline decoded
// before it) reads the same way, and checkBounds accepts it under the same
// bounds. What it does not read, it leaves zero, for encoding/json.

// scanSeeds are documents that take each of the scanner's ways: accepted,
// and each reason to leave a document to encoding/json.
var scanSeeds = []string{
	`{"id":1}`, ` { "id" : "7" , "reference" : 12 } `, `{"id":1,"ID":2}`, `{"ID":1}`, `{"Id":1,"state":"new"}`,
	`{"id":1,"id":2}`, `{"\u0069d":1}`, `{"id":1,"\u212Aey":1}`, `{"id":1,"stat\u017fe":1}`, "{\"id\":1,\"\xff\":1}",
	`{"id":1,"unknown":{"a":[1,2,{"b":null}]},"other":[true,false,-0.5e3]}`, `{"id":1,"requestor":null,"geoloc":null}`,
	`{"id":1,"requestor":{"phone":["+33612345678",3],"email":"a@b, c@d","Phone":1}}`, `{"id":1,"requestor":{"phone":1,"phone":2}}`,
	`{"id":1,"requestor":[]}`, `{"id":1,"requestor":"x"}`, `{"id":1,"geoloc":{"lat":"1","lon":2,"lng":null}}`, `{"id":1,"geoloc":[]}`,
	`{"id":1,"geoloc":{"lat":1,"lat":2}}`, `{"id":1,"geoloc":{"lat":1},"geoloc":{"lon":2}}`, `{"id":1,"requestor":{"phone":"a"},"requestor":{"email":"b"}}`, `{"id":1,"geoloc":{"LAT":1}}`, `{"id":1,"created":"2023-07-13 18:03:13","end_time":""}`,
	`{"id":1,"created":"nope"}`, `{"id":1,"state":{"a":1}}`, `{"id":1,"state":true}`, `{"id":1,"button_id":3.0}`, `{"id":1,"x":01}`,
	`{"id":1,"x":1.}`, `{"id":1,"x":"\x"}`, "{\"id\":1,\"x\":\"a\nb\"}", `{"id":1,"x":"\u12"}`, `{"id":1}x`, `{"id":1}}`, `{"id":1,}`,
	`{"id":1 "state":"new"}`, `{"id":nul}`, `{"id":truex}`, `{"id":1,"x":[1 2]}`, `{"id":1,"x":[1,]}`, `{"id":1,"x":{"a"}}`,
	`{"id":1,"description":"` + strings.Repeat(`\"\\\/\b\f\n\r\t\u00e9`, 3) + `"}`, `[{"id":1}]`, `"x"`, `null`, ``,
	`{"id":1,"x":` + strings.Repeat("[", maxScanDepth+1) + strings.Repeat("]", maxScanDepth+1) + `}`,
	`{"total":2,"data":[{"id":1},{"id":2}],"next_offset":"4"}`, `{"total":null,"data":[]}`, `{"data":null}`, `{"total":1}`,
	`{"total":1,"data":[null]}`, `{"total":1,"data":[{}]}`, `{"total":1,"data":{}}`, `{"total":1,"Data":[{"id":1}]}`,
	`{"total":1,"data":[{"id":1}],"data":[{"id":2}]}`, `{"total":1,"data":[],"other":[1,2,3,4,5]}`, `{"total":"x","data":[]}`,
	`{"total":1,"data":[{"id":1,"requestor":{"phone":[1,2,3,4,5]}}]}`, `{"total":3,"data":[{"id":1},{"id":2},{"id":3}]}`,
}

func addScanSeeds(f *testing.F) {
	for _, name := range []string{"ticket_create.json", "tickets_list.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		require.NoError(f, err)
		f.Add(b, uint8(2), uint8(3))
	}
	for _, s := range append(scanSeeds, hostileJSON...) {
		f.Add([]byte(s), uint8(2), uint8(3))
	}
}

// FuzzScanTicket holds Ticket.scanDocument to encoding/json decoding
// ticketWire, under the default bounds and small ones.
func FuzzScanTicket(f *testing.F) {
	addScanSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte, items, members uint8) {
		for _, bounds := range []answerBounds{defaultBounds, testBounds(int(items)+1, int(members)+1)} {
			var got Ticket
			if !got.scanDocument(bytes.Clone(b), bounds) {
				assert.Equal(t, Ticket{}, got, "a ticket the scanner does not read is left zero")
				continue
			}
			var w ticketWire
			require.NoError(t, json.Unmarshal(b, &w), "the scanner read %s, which encoding/json refuses", b)
			require.NoError(t, w.check(), "the scanner read a ticket without an id: %s", b)
			assert.Equal(t, w.ticket(), got, "%s", b)
			_, err := walkBounds(b, bounds)
			assert.NoError(t, err, "the scanner read %s past its bounds %d/%d", b, bounds.items, bounds.members)
		}
	})
}

// FuzzScanTicketPage holds listEnvelope.scanDocument to encoding/json
// decoding a listEnvelope of ticketWire, under the bounds of a page.
func FuzzScanTicketPage(f *testing.F) {
	addScanSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte, limit, _ uint8) {
		bounds := pageBounds(int(limit))
		got := listEnvelope[Ticket]{limit: int(limit)}
		if !got.scanDocument(bytes.Clone(b), bounds) {
			assert.Equal(t, listEnvelope[Ticket]{limit: int(limit)}, got, "a page the scanner does not read is left zero")
			return
		}
		var want listEnvelope[ticketWire]
		require.NoError(t, json.Unmarshal(b, &want), "the scanner read %s, which encoding/json refuses", b)
		assert.Equal(t, want.Total == nil, got.Total == nil, "total %s", b)
		assert.Equal(t, want.total(), got.total(), "total %s", b)
		assert.Equal(t, want.NextOffset, got.NextOffset, "next_offset %s", b)
		assert.Equal(t, want.Data == nil, got.Data == nil, "data %s", b)
		require.Len(t, got.Data, len(want.Data), "%s", b)
		for i := range want.Data {
			require.NoError(t, want.Data[i].check(), "the scanner read a ticket without an id: %s", b)
			assert.Equal(t, want.Data[i].ticket(), got.Data[i], "item %d of %s", i, b)
		}
		_, err := walkBounds(b, bounds)
		assert.NoError(t, err, "the scanner read %s past its bounds", b)
	})
}

func TestScannerLeavesToEncodingJSONWhatItDoesNotRead(t *testing.T) {
	for _, doc := range []string{`{"ID":1}`, `{"id":1,"id":2}`, `{"\u0069d":1}`, `{"id":1,"\u212Aey":1}`, `{"id":"x"}`, `{"id":1}x`,
		`{"id":1,"requestor":{"phone":[1,2,3,4,5]}}`} {
		var got Ticket
		assert.False(t, got.scanDocument([]byte(doc), testBounds(4, 4)), doc)
	}
	for _, doc := range []string{`{"id":"7","reference":12,"requestor":{"phone":"+33612345678, +33698765432"},"geoloc":{"lat":"1","lon":2}}`,
		`{"id":1,"unknown":{"a":[1,2]},"requestor":null}`} {
		var got Ticket
		assert.True(t, got.scanDocument([]byte(doc), defaultBounds), doc)
	}
}

// The pipeline decodes an answer the scanner leaves alone with
// encoding/json, leniently: a key in another case, a key written twice.
func TestPipelineDecodesWhatTheScannerLeaves(t *testing.T) {
	for doc, want := range map[string]int64{`{"ID":7}`: 7, `{"id":1,"id":8}`: 8, `{"\u0069d":9}`: 9} {
		var got Ticket
		require.NoError(t, json.Unmarshal([]byte(doc), &got), doc)
		assert.Equal(t, want, got.ID, doc)
	}
}
