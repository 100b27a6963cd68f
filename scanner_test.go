package apizee

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

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
	`{"id":1,"ſtate":"x","\u0053TATE":"y"}`, `{"\u212Aey":1,"id":1}`, `{"total":1,"data":[{"id":1},{"id":2}],"DATA":[{"id":3}]}`,
	`{"total":1,"data":[{"id":1}],"data":[]}`, `{"total":1,"data":[{"id":1}],"data":null}`, `{"total":1,"data":"x"}`, `{"total":{}}`,
	`{"id":1,"requestor":{"phone":"a"},"requestor":null}`, `{"id":1,"geoloc":{"lat":1},"geoloc":null}`, `{"id":1,"geoloc":[1]}`,
	`{"id":1,"requestor":"x","description":"y"}`, `{"id":"x","description":"` + "\xff" + `"}`, `{"id":1,"requestor":{"phone":"1` + strings.Repeat(",", 1000) + `"}}`,
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

// checkScan holds what the scanner did with b (read it, or refused a
// value, or neither) to what encoding/json does with it (wantErr) and to
// the bounds walk: it reads only what encoding/json decodes within the
// bounds, refuses only what encoding/json refuses, and leaves to
// encoding/json (which would decode it again) only what the bounds walk or
// encoding/json's syntax check refuses before building anything.
func checkScan(t *testing.T, b []byte, bounds answerBounds, read bool, refused, wantErr error) {
	t.Helper()
	_, boundsErr := walkBounds(b, bounds)
	checked := json.Valid(b) && boundsErr == nil
	switch {
	case read:
		require.NoError(t, wantErr, "the scanner read %s, which encoding/json refuses", b)
		require.NoError(t, boundsErr, "the scanner read %s past its bounds %d/%d", b, bounds.items, bounds.members)
	case refused != nil:
		if checked {
			require.Error(t, wantErr, "the scanner refused %s (%v), which encoding/json decodes", b, refused)
		}
	default:
		require.False(t, checked, "the scanner left %s to encoding/json, which would decode it again", b)
	}
}

// FuzzScanTicket holds Ticket.scanDocument to encoding/json decoding
// ticketWire, under the default bounds and small ones.
func FuzzScanTicket(f *testing.F) {
	addScanSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte, items, members uint8) {
		var w ticketWire
		wantErr := json.Unmarshal(b, &w)
		if wantErr == nil {
			wantErr = w.check()
		}
		for _, bounds := range []answerBounds{defaultBounds, testBounds(int(items)+1, int(members)+1)} {
			var got Ticket
			read, refused := got.scanDocument(bytes.Clone(b), bounds)
			checkScan(t, b, bounds, read, refused, wantErr)
			if read {
				assert.Equal(t, w.ticket(), got, "%s", b)
			} else {
				assert.Equal(t, Ticket{}, got, "a ticket the scanner does not read is left zero")
			}
		}
	})
}

// FuzzScanTicketPage holds listEnvelope.scanDocument to encoding/json
// decoding a listEnvelope of tickets (each by Ticket.UnmarshalJSON, which
// FuzzScanTicket holds to ticketWire), under the bounds of a page.
func FuzzScanTicketPage(f *testing.F) {
	addScanSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte, limit, _ uint8) {
		bounds := pageBounds(int(limit))
		got := listEnvelope[Ticket]{limit: int(limit)}
		read, refused := got.scanDocument(bytes.Clone(b), bounds)
		var want listEnvelope[Ticket]
		checkScan(t, b, bounds, read, refused, json.Unmarshal(b, &want))
		if !read {
			assert.Equal(t, listEnvelope[Ticket]{limit: int(limit)}, got, "a page the scanner does not read is left zero")
			return
		}
		assert.Equal(t, want.Total == nil, got.Total == nil, "total %s", b)
		assert.Equal(t, want.total(), got.total(), "total %s", b)
		assert.Equal(t, want.NextOffset, got.NextOffset, "next_offset %s", b)
		assert.Equal(t, want.Data == nil, got.Data == nil, "data %s", b)
		assert.Equal(t, want.dataAbsent(), got.dataAbsent(), "data %s", b)
		require.Len(t, got.Data, len(want.Data), "%s", b)
		for i := range want.Data {
			assert.Equal(t, want.Data[i], got.Data[i], "item %d of %s", i, b)
		}
	})
}

// FuzzScanGeoPoint holds GeoPoint.scan to encoding/json decoding geoWire:
// GeoPoint.UnmarshalJSON scans first, so FuzzScanTicket's encoding/json
// side decodes a position with the scanner too.
func FuzzScanGeoPoint(f *testing.F) {
	for _, seed := range []string{`{"lat":1,"lng":2}`, `{"lat":"1","lon":2,"lng":null}`, `{"lat":1,"lat":2,"LNG":3}`, `{"lng":1,"lon":2}`,
		`{"lat":"x"}`, `{"lat":1,"x":[1,{"y":2}]}`, `{"lat":1e400}`, `{}`, `[]`, `null`, `{"lat":1}x`, `{"\u006cat":1,"ſlon":2}`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var got GeoPoint
		read, refused := scanDocument(bytes.Clone(b), defaultBounds, got.scan)
		var w geoWire
		checkScan(t, b, defaultBounds, read, refused, json.Unmarshal(b, &w))
		if read {
			assert.Equal(t, w.point(), got, "%s", b)
		}
	})
}

// The scanner reads what encoding/json reads, as it reads it, keys in
// another case or escaped included, refuses what it refuses, and leaves to
// it only what is not JSON or passes a bound.
func TestScannerReadsWhatEncodingJSONReads(t *testing.T) {
	for _, doc := range []string{`{"ID":1}`, `{"\u0069d":1}`, `{"id":1,"\u212Aey":1}`, `{"id":1,"ſtate":"open","STATE":"new"}`,
		`{"id":1,"id":2}`, `{"id":1,"requestor":{"phone":"a"},"requestor":{"EMAIL":"b"}}`, `{"id":1,"geoloc":{"LAT":1,"lon":2}}`,
		`{"id":"7","reference":12,"requestor":{"phone":"+33612345678, +33698765432"},"geoloc":{"lat":"1","lon":2}}`,
		`{"id":1,"unknown":{"a":[1,2]},"requestor":null}`} {
		var got Ticket
		read, err := got.scanDocument([]byte(doc), defaultBounds)
		require.True(t, read, doc)
		require.NoError(t, err, doc)
		var w ticketWire
		require.NoError(t, json.Unmarshal([]byte(doc), &w), doc)
		assert.Equal(t, w.ticket(), got, doc)
	}
	for doc, want := range map[string]string{`{"id":"x"}`: `apizee: x is not an integer`, `{}`: "apizee: the ticket has no id",
		`{"id":1,"requestor":"x"}`: `field "requestor" holds a JSON string where an object belongs`,
		`{"id":1,"geoloc":[1,2]}`:  `field "geoloc" holds a JSON array where an object belongs`,
		`[{"id":1}]`:               `the answer holds a JSON array where an object belongs`} {
		var got Ticket
		read, err := got.scanDocument([]byte(doc), defaultBounds)
		assert.False(t, read, doc)
		assert.EqualError(t, err, want, doc)
	}
	for _, doc := range []string{`{"id":1}x`, `{"id":1,"x":[1,}`, `{"id":1,"requestor":{"phone":[1,2,3,4,5]}}`} {
		var got Ticket
		read, err := got.scanDocument([]byte(doc), testBounds(4, 4))
		assert.False(t, read, doc)
		assert.NoError(t, err, "%s is left to encoding/json", doc)
	}
}

// The scanner reads every key of the wire structs: none is skipped as
// unknown (a field added to ticketWire and not to its scan would be dropped
// silently), and the keys are the json tags.
func TestScannerReadsEveryKeyOfTheWireStructs(t *testing.T) {
	keys := func(names [][]byte) []string {
		var s []string
		for _, name := range names {
			s = append(s, string(name))
		}
		return s
	}
	assert.Equal(t, []string{"id", "state", "reference", "created", "modified", "start_time", "end_time", "subject", "type",
		"description", "agent", "status", "name", "requestor_url", "requestor", "information_page_url", "service_key",
		"agent_url", "sso_url", "button_id", "geoloc"}, keys(ticketKeys))
	assert.Equal(t, []string{"phone", "email"}, keys(requestorKeys))
	assert.Equal(t, []string{"lat", "lng", "lon"}, keys(geoKeys))
	for _, key := range slices.Concat(ticketKeys, requestorKeys, geoKeys, listEnvelopeKeys) {
		assert.LessOrEqual(t, 18*len(key)+2, maxEscapedKey, "%s, written in escaped runes that fold to its letters, is matched", key)
	}
	assert.Equal(t, []string{"total", "data", "next_offset"}, keys(listEnvelopeKeys))
	// Each key with a value that is not its zero decodes as encoding/json
	// has it, and is not skipped.
	values := map[string]string{"requestor": `{"phone":"+33612345678","email":["a@b.c"]}`, "geoloc": `{"lat":1,"lng":2,"lon":3}`,
		"created": `"2023-07-13 18:03:13"`, "modified": `"2023-07-13 18:03:13"`, "start_time": `"2023-07-13T18:03:13Z"`,
		"end_time": `"2023-07-13"`, "data": `[{"id":1}]`}
	for _, key := range keys(ticketKeys) {
		doc := `{"id":9,"` + key + `":` + cmp.Or(values[key], `"7"`) + `}`
		var got Ticket
		read, err := got.scanDocument([]byte(doc), defaultBounds)
		require.True(t, read, doc)
		require.NoError(t, err, doc)
		var w ticketWire
		require.NoError(t, json.Unmarshal([]byte(doc), &w), doc)
		assert.Equal(t, w.ticket(), got, doc)
		assert.NotEqual(t, Ticket{ID: 9}, got, "%s: the value was read", doc)
	}
	for _, key := range keys(listEnvelopeKeys) {
		doc := `{"` + key + `":` + cmp.Or(values[key], `"7"`) + `}`
		got := listEnvelope[Ticket]{}
		read, err := got.scanDocument([]byte(doc), pageBounds(10))
		require.True(t, read, doc)
		require.NoError(t, err, doc)
		assert.NotEqual(t, listEnvelope[Ticket]{}, got, "%s: the value was read", doc)
	}
}

// BenchmarkDecodeTicketPage decodes a page of 100 of the guide's tickets
// from memory in three ways, in turn (each round in another order): as the
// pipeline does (scan), as it does when the scanner leaves a page alone
// (json: the bounds walk, then encoding/json into wire tickets, converted,
// which is what decodeJSON does for a document that does not scan itself),
// and into a plain struct of strings and times, what hand-written code does
// (plain). It reports the median of the rounds' ratios (below 1: scan is
// faster) and each way's allocations: the ways of one round share the
// machine's load, which on a shared machine swings sequential
// sub-benchmarks by tens of percent.
func BenchmarkDecodeTicketPage(b *testing.B) {
	raw, err := os.ReadFile(filepath.Join("testdata", "tickets_list.json"))
	require.NoError(b, err)
	var guide struct{ Data []map[string]any }
	require.NoError(b, json.Unmarshal(raw, &guide))
	items := make([]map[string]any, 100)
	for i := range items {
		items[i] = maps.Clone(guide.Data[0])
		items[i]["id"], items[i]["reference"] = i+1, fmt.Sprintf("ref%08d", i+1)
	}
	page, err := json.Marshal(map[string]any{"total": 10_000, "data": items})
	require.NoError(b, err)
	decode := func(out any) {
		resp := &http.Response{StatusCode: http.StatusOK, Body: io.NopCloser(bytes.NewReader(page)), ContentLength: int64(len(page))}
		if err := decodeJSON(resp, http.MethodGet, "/tickets", out); err != nil {
			b.Fatal(err)
		}
	}
	ways := [...]func(){
		func() {
			env := listEnvelope[Ticket]{limit: 100}
			decode(&env)
			if len(env.Data) != 100 {
				b.Fatal(len(env.Data))
			}
		},
		func() {
			env := listEnvelope[ticketWire]{limit: 100}
			body := emptyObjects(bytes.Clone(page))
			n, err := checkBounds(body, env.bounds())
			if err != nil {
				b.Fatal(err)
			}
			env.reserve(n)
			if err := json.Unmarshal(body, &env); err != nil {
				b.Fatal(err)
			}
			tickets := make([]Ticket, len(env.Data))
			for i := range env.Data {
				tickets[i] = env.Data[i].ticket()
			}
			if len(tickets) != 100 {
				b.Fatal(len(tickets))
			}
		},
		func() {
			var p struct {
				Total int `json:"total"`
				Data  []struct {
					ID                                                           int64
					State, Reference, Subject, Type, Description, Agent, Status  string
					Name, RequestorURL, InformationPageURL, ServiceKey, AgentURL string
					Created, Modified, StartTime, EndTime                        time.Time
					Requestor                                                    struct{ Phone, Email string }
					Geoloc                                                       *struct{ Lat, Lng float64 }
				} `json:"data"`
			}
			if err := json.NewDecoder(bytes.NewReader(page)).Decode(&p); err != nil || len(p.Data) != 100 {
				b.Fatal(err)
			}
		},
	}
	names := [len(ways)]string{"scan", "json", "plain"}
	var ratios [len(ways)][]float64
	for round := 0; b.Loop(); round++ {
		var took [len(ways)]time.Duration
		for k := range ways {
			i := (k + round) % len(ways)
			start := time.Now()
			ways[i]()
			took[i] = time.Since(start)
		}
		for i := 1; i < len(ways); i++ {
			ratios[i] = append(ratios[i], float64(took[0])/float64(took[i]))
		}
	}
	for i, way := range ways {
		if i > 0 {
			slices.Sort(ratios[i])
			b.ReportMetric(ratios[i][len(ratios[i])/2], "scan/"+names[i])
		}
		b.ReportMetric(testing.AllocsPerRun(10, way), names[i]+"-allocs/op")
	}
}
