package apizeetest_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee/apizeetest"
)

func TestTicketStatsRowOfACreatedTicket(t *testing.T) {
	clk := newClock("2024-03-01T10:00:00Z")
	srv := newServer(t, apizeetest.WithoutSeed(), apizeetest.WithClock(clk.Now)) // no seeded row of that day
	ticket := post(t, srv, "/tickets?agent=agent1%40apizee.com&phone=%2B33612345678&email=jane%40example.com&invite=1&reference=A-1&name=Jane&description=Printer").object(t)

	a := get(t, srv, "/enterprises/1/tickets-stats?format=JSON&since=2024-03-01&until=2024-03-01")

	require.Equal(t, http.StatusOK, a.Status, "body: %s", a.Body)
	rows := a.list(t)
	require.Len(t, rows, 1, "until is inclusive")
	assert.Equal(t, map[string]any{
		"ID":                                 ticket["id"],
		"Ref":                                "A-1",
		"Description":                        "Printer",
		"Priorité":                           "Immédiat",
		"Demandeur":                          "Jane",
		"Contact":                            "+33612345678",
		"Etat":                               "Invité",
		"Assigné à":                          "Agent 1",
		"Groupe":                             "Support",
		"Type":                               nil,
		"Date de début de session":           "2024-03-01 10:00:00",
		"Date de fin":                        "2024-03-01 10:30:00",
		"Répondues":                          "non",
		"Nombre d'invitations":               float64(2),
		"Nombre d'invitations email":         float64(1),
		"Nombre d'invitations SMS":           float64(1),
		"Nombre Appels":                      float64(0),
		"Durée totale des appels (secondes)": float64(0),
		"Photos":                             float64(0),
		"Vidéos":                             float64(0),
		"Identifiant":                        "agent1@apizee.com",
		"Service":                            "Tickets",
		"Scans":                              float64(0),
		"Appareil":                           "",
		"Système d'exploitation":             "",
		"Navigateur":                         "",
	}, rows[0])
}

func TestTicketStatsKeysInTheAPIsOrder(t *testing.T) {
	srv := newServer(t)

	body := string(get(t, srv, "/enterprises/1/tickets-stats?since=2023-07-13&until=2023-07-13").Body)

	keys := []string{`"ID"`, `"Ref"`, `"Description"`, `"Priorité"`, `"Demandeur"`, `"Contact"`, `"Etat"`, `"Assigné à"`,
		`"Groupe"`, `"Type"`, `"Date de début de session"`, `"Date de fin"`, `"Répondues"`, `"Nombre d'invitations"`,
		`"Nombre d'invitations email"`, `"Nombre d'invitations SMS"`, `"Nombre Appels"`,
		`"Durée totale des appels (secondes)"`, `"Photos"`, `"Vidéos"`, `"Identifiant"`, `"Service"`, `"Scans"`,
		`"Appareil"`, `"Système d'exploitation"`, `"Navigateur"`}
	last := -1
	for _, k := range keys {
		i := strings.Index(body, k+":")
		require.Greater(t, i, last, "%s after the previous key in %s", k, body)
		last = i
	}
}

func TestTicketStatsNumericReference(t *testing.T) {
	clk := newClock("2024-03-01T10:00:00Z")
	srv := newServer(t, apizeetest.WithoutSeed(), apizeetest.WithClock(clk.Now))
	post(t, srv, "/tickets?agent=a%40b.c&phone=%2B33612345678&reference=1234")

	var rows []map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(get(t, srv, "/enterprises/1/tickets-stats").Body, &rows))

	require.Len(t, rows, 1)
	assert.Equal(t, "1234", string(rows[0]["Ref"]), "a reference of digits is a number, as in the guide")
}

func TestTicketStatsOfAnAnsweredTicketWithMedia(t *testing.T) {
	srv := newServer(t)

	rows := get(t, srv, "/enterprises/1/tickets-stats?since=2023-02-22&until=2023-02-22").list(t)

	require.Len(t, rows, 1)
	assert.Equal(t, float64(663614), rows[0]["ID"])
	assert.Equal(t, "oui", rows[0]["Répondues"])
	assert.Equal(t, "Terminé", rows[0]["Etat"])
	assert.Equal(t, float64(1), rows[0]["Nombre Appels"])
	assert.Equal(t, float64(933), rows[0]["Durée totale des appels (secondes)"], "21:56:45 to 22:12:18")
	assert.Equal(t, float64(1), rows[0]["Photos"])
	assert.Equal(t, float64(1), rows[0]["Vidéos"])
}

func TestTicketStatsPeriod(t *testing.T) {
	srv := newServer(t, apizeetest.WithClock(newClock("2024-03-01T10:00:00Z").Now))

	tests := []struct {
		query string
		want  []any
	}{
		{"", []any{float64(663614), float64(82070), float64(821793), float64(821794)}},
		{"?since=2023-07-12", []any{float64(82070), float64(821793), float64(821794)}},
		{"?since=2023-07-13&until=2023-07-14", []any{float64(821793)}},
		{"?until=2023-07-12", []any{float64(663614), float64(82070)}},
		{"?since=2023-07-14&until=2024-02-29", []any{}},
		{"?since=2024-03-01&until=2024-03-01", []any{float64(821794)}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			rows := get(t, srv, "/enterprises/1/tickets-stats"+tt.query).list(t)
			got := make([]any, len(rows))
			for i, row := range rows {
				got[i] = row["ID"]
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

// The seed has a row today, whatever the day, so that a report of today
// (the CLI's default) shows data: a call of up to 5m35s that ended before now,
// on now's UTC day.
func TestTicketStatsSeedHasARowToday(t *testing.T) {
	tests := []struct {
		now, start, end string
		seconds         float64
	}{
		{"2024-03-01T10:00:00Z", "2024-03-01 09:45:00", "2024-03-01 09:50:35", 335},
		{"2024-03-01T10:00:00.9+02:00", "2024-03-01 07:45:00", "2024-03-01 07:50:35", 335},
		{"2024-03-01T00:05:00Z", "2024-03-01 00:00:00", "2024-03-01 00:05:00", 300},
		{"2024-03-01T00:00:00Z", "2024-03-01 00:00:00", "2024-03-01 00:00:00", 0},
	}
	for _, tt := range tests {
		t.Run(tt.now, func(t *testing.T) {
			srv := newServer(t, apizeetest.WithClock(newClock(tt.now).Now))
			day := tt.start[:len("2024-03-01")]

			rows := get(t, srv, "/enterprises/1/tickets-stats?since="+day+"&until="+day).list(t)

			require.Len(t, rows, 1)
			assert.Equal(t, float64(821794), rows[0]["ID"])
			assert.Equal(t, tt.start, rows[0]["Date de début de session"])
			assert.Equal(t, tt.end, rows[0]["Date de fin"])
			assert.Equal(t, tt.seconds, rows[0]["Durée totale des appels (secondes)"])
			assert.Equal(t, "oui", rows[0]["Répondues"])
		})
	}
}

func TestTicketStatsErrors(t *testing.T) {
	srv := newServer(t)

	for query, details := range map[string]string{
		"format=CSV":                        "Parameter format",
		"since=2023-07-13T00:00:00Z":        "Parameter since",
		"until=13/07/2023":                  "Parameter until",
		"since=2023-07-14&until=2023-07-13": "Parameter since",
	} {
		requireAPIError(t, get(t, srv, "/enterprises/1/tickets-stats?"+query), http.StatusBadRequest,
			map[string]any{"code": float64(10), "details": details})
	}
	requireAPIError(t, get(t, srv, "/enterprises/7/tickets-stats"), http.StatusForbidden, map[string]any{"code": float64(2)})
	requireAPIError(t, get(t, srv, "/enterprises/0/tickets-stats"), http.StatusNotFound, nil)
}

func TestTicketStatsFollowTheEnterprise(t *testing.T) {
	srv := newServer(t, apizeetest.WithEnterpriseID(7))

	assert.Equal(t, http.StatusOK, get(t, srv, "/enterprises/7/tickets-stats").Status)
	assert.Equal(t, http.StatusForbidden, get(t, srv, "/enterprises/1/tickets-stats").Status)
	body := get(t, srv, "/enterprises/7/tickets/663614/medias").object(t)
	url := body["medias"].([]any)[0].(map[string]any)["url"].(string)
	assert.Contains(t, url, "/media/showVideo/7/hash/", "media URLs name the enterprise")
	assert.Equal(t, http.StatusOK, send(t, http.MethodGet, url, srv.IssueToken(), nil).Status)
}
