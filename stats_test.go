package apizee_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee"
)

func TestStatsTicketsRequestAndDecoding(t *testing.T) {
	c, mock := ticketsMockClient(t, apizee.WithEnterpriseID(1))
	var seen captured
	mock.RegisterResponder(http.MethodGet, mockBase+"/enterprises/1/tickets-stats", seen.responder(http.StatusOK, testdata(t, "tickets_stats.json")))

	stats, err := c.Stats.Tickets(t.Context(), &apizee.TicketStatsParams{
		Since: time.Date(2023, 7, 13, 0, 0, 0, 0, time.UTC),
		Until: time.Date(2023, 7, 14, 23, 59, 0, 0, time.UTC),
	})
	require.NoError(t, err)
	assert.Equal(t, url.Values{"format": {"JSON"}, "since": {"2023-07-13"}, "until": {"2023-07-14"}}, seen.only(t).URL.Query())
	assert.Equal(t, []apizee.TicketStat{{
		ID:             821793,
		Reference:      "1234",
		Priority:       "Immédiat",
		Requestor:      "xx",
		Contact:        "+33612345678",
		State:          "Fermé",
		AssignedTo:     "Agent 1",
		Group:          "Support",
		SessionStart:   time.Date(2023, 7, 13, 18, 3, 13, 0, time.UTC),
		SessionEnd:     time.Date(2023, 7, 13, 18, 33, 13, 0, time.UTC),
		Answered:       false,
		SMSInvitations: 1,
		Calls:          1,
		CallDuration:   335 * time.Second,
		Photos:         1,
		Login:          "agent1@apizee.com",
		Service:        "Tickets",
		Device:         "K",
		OS:             "Android 10",
		Browser:        "Chrome 114.0.0.0",
	}}, stats)
}

func TestStatsTicketsPeriodOnTheWire(t *testing.T) {
	paris := time.FixedZone("CEST", 2*3600)
	tests := []struct {
		name   string
		params *apizee.TicketStatsParams
		want   url.Values
	}{
		{"no period", nil, url.Values{"format": {"JSON"}}},
		{"since only", &apizee.TicketStatsParams{Since: time.Date(2023, 7, 13, 10, 0, 0, 0, time.UTC)}, url.Values{"format": {"JSON"}, "since": {"2023-07-13"}}},
		{"until only", &apizee.TicketStatsParams{Until: time.Date(2023, 7, 14, 0, 0, 0, 0, time.UTC)}, url.Values{"format": {"JSON"}, "until": {"2023-07-14"}}},
		{"the caller's calendar date, not UTC's", &apizee.TicketStatsParams{Since: time.Date(2023, 7, 13, 0, 30, 0, 0, paris), Until: time.Date(2023, 7, 13, 23, 0, 0, 0, paris)},
			url.Values{"format": {"JSON"}, "since": {"2023-07-13"}, "until": {"2023-07-13"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, mock := ticketsMockClient(t, apizee.WithEnterpriseID(1))
			var seen captured
			mock.RegisterResponder(http.MethodGet, mockBase+"/enterprises/1/tickets-stats", seen.responder(http.StatusOK, []byte(`[]`)))
			stats, err := c.Stats.Tickets(t.Context(), tt.params)
			require.NoError(t, err)
			assert.NotNil(t, stats)
			assert.Empty(t, stats)
			assert.Equal(t, tt.want, seen.only(t).URL.Query())
		})
	}
}

func TestTicketStatDecoding(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    apizee.TicketStat
		wantErr bool
	}{
		{name: "answered oui", in: `{"Répondues":"oui"}`, want: apizee.TicketStat{Answered: true}},
		{name: "answered non", in: `{"Répondues":"non"}`, want: apizee.TicketStat{Answered: false}},
		{name: "answered not a yes or no", in: `{"Répondues":"peut-être"}`, wantErr: true},
		{name: "ref as a string", in: `{"Ref":"case-42"}`, want: apizee.TicketStat{Reference: "case-42"}},
		{name: "ids and counters as strings", in: `{"ID":"821793","Nombre Appels":"3","Photos":"2"}`, want: apizee.TicketStat{ID: 821793, Calls: 3, Photos: 2}},
		{name: "call duration with a fraction", in: `{"Durée totale des appels (secondes)":12.5}`, want: apizee.TicketStat{CallDuration: 12500 * time.Millisecond}},
		{name: "negative call duration", in: `{"Durée totale des appels (secondes)":-1}`, wantErr: true},
		{name: "session dates without zone are UTC", in: `{"Date de début de session":"2023-07-13 18:03:13","Date de fin":null}`,
			want: apizee.TicketStat{SessionStart: time.Date(2023, 7, 13, 18, 3, 13, 0, time.UTC)}},
		{name: "bad date", in: `{"Date de fin":"hier"}`, wantErr: true},
		{name: "accented and typographic variants", in: `{"État":"Ouvert","Nombre d’invitations":2,"vidéos":4}`,
			want: apizee.TicketStat{State: "Ouvert", Invitations: 2, Videos: 4}},
		{name: "unknown columns kept", in: `{"ID":1,"Satisfaction":4.5,"Tags":["a"]}`,
			want: apizee.TicketStat{ID: 1, Extra: map[string]json.RawMessage{"Satisfaction": json.RawMessage(`4.5`), "Tags": json.RawMessage(`["a"]`)}}},
		{name: "every email and SMS counter", in: `{"Nombre d'invitations email":3,"Nombre d'invitations SMS":4,"Scans":5}`,
			want: apizee.TicketStat{EmailInvitations: 3, SMSInvitations: 4, Scans: 5}},
		{name: "not an object", in: `[1]`, wantErr: true},
		{name: "labels escaped as PHP writes them", in: `{"Priorit\u00e9":"Imm\u00e9diat","Nombre d\u2019invitations":2}`,
			want: apizee.TicketStat{Priority: "Immédiat", Invitations: 2}},
		{name: "pretty-printed, values holding braces and quotes", in: "{\n  \"Description\" : \"a } \\\" ] {\" ,\n  \"Meta\": {\"a\": [1, {\"b\": \"}\"}]} \n}",
			want: apizee.TicketStat{Description: `a } " ] {`, Extra: map[string]json.RawMessage{"Meta": json.RawMessage(`{"a": [1, {"b": "}"}]}`)}}},
		{name: "a label twice: the last wins, as encoding/json has it", in: `{"Photos":1,"Photos":2}`, want: apizee.TicketStat{Photos: 2}},
		{name: "null row", in: `null`, want: apizee.TicketStat{}},
		{name: "empty row", in: `{}`, want: apizee.TicketStat{}},
		{name: "counter not a number", in: `{"Photos":"many"}`, wantErr: true},
		{name: "a label escaped from its first letter", in: `{"\u00e9tat":"Ouvert"}`, want: apizee.TicketStat{State: "Ouvert"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got apizee.TicketStat
			err := json.Unmarshal([]byte(tt.in), &got)
			if tt.wantErr {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

// The rows of an answer decode like TicketStat.UnmarshalJSON decodes each:
// escaped and pretty-printed, null rows and unknown columns included.
func TestStatsTicketsDecodesEveryRowShape(t *testing.T) {
	c, mock := ticketsMockClient(t, apizee.WithEnterpriseID(1))
	body := "[\n {\"ID\": 1, \"Priorit\\u00e9\": \"Imm\u00e9diat\", \"New\": {\"x\": \"]\"}},\n null ,\n{\"ID\":\"3\",\"New\":2}\n]"
	mock.RegisterResponder(http.MethodGet, mockBase+"/enterprises/1/tickets-stats", httpmock.NewStringResponder(http.StatusOK, body))
	stats, err := c.Stats.Tickets(t.Context(), nil)
	require.NoError(t, err)
	var want []apizee.TicketStat
	require.NoError(t, json.Unmarshal([]byte(body), &want))
	assert.Equal(t, want, stats)
	require.Len(t, stats, 3)
	assert.Equal(t, "Immédiat", stats[0].Priority)
	assert.Equal(t, json.RawMessage(`{"x": "]"}`), stats[0].Extra["New"])
	assert.Equal(t, apizee.TicketStat{}, stats[1])
	assert.Equal(t, int64(3), stats[2].ID)
}

func TestStatsTicketsErrors(t *testing.T) {
	c, mock := ticketsMockClient(t, apizee.WithEnterpriseID(1))
	mock.RegisterResponder(http.MethodGet, mockBase+"/enterprises/1/tickets-stats", httpmock.NewStringResponder(http.StatusOK, `{"total":1}`))
	_, err := c.Stats.Tickets(t.Context(), nil)
	var decErr *apizee.DecodeError
	require.ErrorAs(t, err, &decErr, "an object where a list belongs")

	mock.RegisterResponder(http.MethodGet, mockBase+"/enterprises/1/tickets-stats", httpmock.NewStringResponder(http.StatusOK, `[{"Répondues":"maybe"}]`))
	_, err = c.Stats.Tickets(t.Context(), nil)
	require.ErrorAs(t, err, &decErr)
	assert.Contains(t, err.Error(), "Répondues", "names the column")

	mock.RegisterResponder(http.MethodGet, mockBase+"/enterprises/1/tickets-stats", httpmock.NewStringResponder(http.StatusOK, `[{"ID":1}, 7]`))
	_, err = c.Stats.Tickets(t.Context(), nil)
	require.ErrorAs(t, err, &decErr)
	assert.Contains(t, err.Error(), "statistics row 1", "names the row")

	mock.RegisterResponder(http.MethodGet, mockBase+"/enterprises/1/tickets-stats", httpmock.NewStringResponder(http.StatusForbidden, `{"code":2,"message":"Forbidden"}`))
	_, err = c.Stats.Tickets(t.Context(), nil)
	assert.ErrorIs(t, err, apizee.ErrForbidden)
}

func FuzzTicketStatDecoding(f *testing.F) {
	b, err := os.ReadFile(filepath.Join("testdata", "tickets_stats.json"))
	require.NoError(f, err)
	f.Add(b)
	f.Add([]byte(`[{"Répondues":"oui","Durée totale des appels (secondes)":"12.5","Other":null}]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var stats []apizee.TicketStat
		if json.Unmarshal(b, &stats) != nil {
			return
		}
		var rows []map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(b, &rows), "what decodes as rows decodes as maps")
		for i, s := range stats {
			assert.GreaterOrEqual(t, s.CallDuration, time.Duration(0))
			// The in-place walk sees the columns encoding/json sees: every
			// unknown label is in Extra with its value.
			for label, value := range s.Extra {
				assert.JSONEq(t, string(rows[i][label]), string(value), "row %d column %q", i, label)
			}
			assert.LessOrEqual(t, len(s.Extra), len(rows[i]))
		}
	})
}

// TicketStat.UnmarshalJSON called directly (not through encoding/json,
// which checks the document first) refuses what is no whole object, and
// never reads past its input.
func TestTicketStatUnmarshalJSONRefusesWhatIsNoWholeObject(t *testing.T) {
	for _, in := range []string{"", "  ", "[]", `"x"`, "{", "{ ", `{"Photos"`, `{"Photos" 1}`, `{"Photos":`, `{"Photos": `,
		`{"Photos":1`, `{"Photos":1 `, `{"Photos":1,`, `{"Photos":1 "Scans":2}`, `{1:2}`, `{"Photos`, `{"Photos":"1`,
		`{"k":}`, `{"k":,"l":1}`, `{"k":[1,2`, `{"k":{"a":[1`} {
		var s apizee.TicketStat
		assert.Error(t, s.UnmarshalJSON([]byte(in)), "%q", in)
	}
	for _, in := range []string{"{}", " { } ", "null", ` {"Photos" : 1 } `} {
		var s apizee.TicketStat
		assert.NoError(t, s.UnmarshalJSON([]byte(in)), "%q", in)
	}
}

// The error of a known column with a value of the wrong kind names the
// column as the API wrote it, escaped or not.
func TestTicketStatErrorNamesTheColumn(t *testing.T) {
	for in, label := range map[string]string{`{"Photos":"many"}`: "Photos", `{"Priorit\u00e9":{}}`: "Priorité"} {
		var s apizee.TicketStat
		err := s.UnmarshalJSON([]byte(in))
		require.Error(t, err, in)
		assert.Contains(t, err.Error(), `column "`+label+`"`, in)
	}
}

// The bound on values in unknown columns counts them across the rows of an
// answer, up to 100 000 included: 2 000 rows of 50 unknown columns pass,
// one value more is refused.
func TestStatsTicketsBoundsUnknownValuesAcrossRows(t *testing.T) {
	var columns []string
	for i := range 50 {
		columns = append(columns, `"k`+strconv.Itoa(i)+`":0`)
	}
	row := "{" + strings.Join(columns, ",") + "}"
	for _, tt := range []struct {
		name    string
		body    string
		wantErr bool
	}{
		{"100 000 values", string(rowsOf(row, 2000)), false},
		{"100 001 values", strings.TrimSuffix(string(rowsOf(row, 2000)), "]") + `,{"k":0}]`, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := bodyServer(t, []byte(tt.body), true)
			c := hostileClient(t, srv.URL+"/api", apizee.WithEnterpriseID(1))
			stats, err := c.Stats.Tickets(t.Context(), nil)
			if tt.wantErr {
				assert.ErrorContains(t, err, "more than 100000 values in columns the SDK does not know")
				return
			}
			require.NoError(t, err)
			assert.Len(t, stats, 2000)
		})
	}
}

func TestStatsTicketsAnswerThatIsNoListIsAnError(t *testing.T) {
	srv := bodyServer(t, []byte(`{"error":"no statistics"}`), true)
	c := hostileClient(t, srv.URL+"/api", apizee.WithEnterpriseID(1))
	_, err := c.Stats.Tickets(t.Context(), nil)
	assert.ErrorContains(t, err, "not a list of rows")
}
