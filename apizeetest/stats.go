package apizeetest

import (
	"bytes"
	"cmp"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// statDateLayout is how statistics write dates: "2023-07-13 18:03:13", UTC.
const statDateLayout = "2006-01-02 15:04:05"

// statRow is one ticket's row of GET /enterprises/{eid}/tickets-stats. It is
// written with the API's French keys, in the API's order.
type statRow struct {
	ID                  int64
	Ref                 string
	Description         string
	Priority            string
	Requester           string
	Contact             string
	State               string
	AssignedTo          string
	Group               string
	Start, End          time.Time
	Answered            bool
	Invitations         int
	EmailInvitations    int
	SMSInvitations      int
	Calls               int
	CallSeconds         int
	Photos, Videos      int
	Login, Service      string
	Scans               int
	Device, OS, Browser string
}

// MarshalJSON writes the row with its French keys. A reference of digits
// only is written as a number, as the API does ("Ref": 1234).
func (r statRow) MarshalJSON() ([]byte, error) {
	var ref any = r.Ref
	if r.Ref != "" && strings.Trim(r.Ref, "0123456789") == "" {
		ref = json.Number(r.Ref)
	}
	answered := "non"
	if r.Answered {
		answered = "oui"
	}
	fields := []struct {
		key   string
		value any
	}{
		{"ID", r.ID}, {"Ref", ref}, {"Description", r.Description}, {"Priorité", r.Priority},
		{"Demandeur", r.Requester}, {"Contact", r.Contact}, {"Etat", r.State}, {"Assigné à", r.AssignedTo},
		{"Groupe", r.Group}, {"Type", nil},
		{"Date de début de session", r.Start.UTC().Format(statDateLayout)},
		{"Date de fin", r.End.UTC().Format(statDateLayout)},
		{"Répondues", answered}, {"Nombre d'invitations", r.Invitations},
		{"Nombre d'invitations email", r.EmailInvitations}, {"Nombre d'invitations SMS", r.SMSInvitations},
		{"Nombre Appels", r.Calls}, {"Durée totale des appels (secondes)", r.CallSeconds},
		{"Photos", r.Photos}, {"Vidéos", r.Videos}, {"Identifiant", r.Login}, {"Service", r.Service},
		{"Scans", r.Scans}, {"Appareil", r.Device}, {"Système d'exploitation", r.OS}, {"Navigateur", r.Browser},
	}
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range fields {
		if i > 0 {
			b.WriteByte(',')
		}
		key, _ := json.Marshal(f.key)
		value, err := json.Marshal(f.value)
		if err != nil {
			return nil, err
		}
		b.Write(key)
		b.WriteByte(':')
		b.Write(value)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// frenchStates are the statistics' labels of ticket states.
var frenchStates = map[string]string{
	"new": "Nouveau", "invited": "Invité", "open": "Ouvert", "opened": "Ouvert", "inprogress": "En cours",
	"updated": "Mis à jour", "done": "Terminé", "closed": "Fermé", "rejected": "Rejeté", "declined": "Refusé",
	"expired": "Expiré", "cancelled": "Annulé",
}

// ticketStats serves GET /enterprises/{eid}/tickets-stats: format=JSON,
// since and until as YYYY-MM-DD (until inclusive, both optional). It
// answers one row per ticket created in the period, and the seeded rows
// whose session started in it.
func (s *Server) ticketStats(w http.ResponseWriter, r *http.Request) {
	if !s.pathEnterprise(w, r) {
		return
	}
	q := r.URL.Query()
	if f := q.Get("format"); f != "" && !strings.EqualFold(f, "JSON") {
		badParameter(w, "format", "format must be JSON")
		return
	}
	since, ok := dateParam(w, q, "since")
	if !ok {
		return
	}
	until, ok := dateParam(w, q, "until")
	if !ok {
		return
	}
	if !until.IsZero() {
		until = until.AddDate(0, 0, 1) // inclusive: up to the end of that day
	}
	if !since.IsZero() && !until.IsZero() && !since.Before(until) {
		badParameter(w, "since", "since must not be after until")
		return
	}
	in := func(t time.Time) bool {
		return (since.IsZero() || !t.Before(since)) && (until.IsZero() || t.Before(until))
	}
	var rows []statRow
	s.mu.Lock()
	for _, row := range s.statRows {
		if in(row.Start) {
			rows = append(rows, row)
		}
	}
	for _, t := range s.tickets {
		if in(time.Time(t.Created)) {
			rows = append(rows, s.statRowOf(t))
		}
	}
	s.mu.Unlock()
	slices.SortStableFunc(rows, func(a, b statRow) int {
		return cmp.Or(a.Start.Compare(b.Start), cmp.Compare(a.ID, b.ID))
	})
	writeJSON(w, http.StatusOK, append([]statRow{}, rows...))
}

// statRowOf is the statistics row of a stored ticket. Call with mu held.
func (s *Server) statRowOf(t *ticket) statRow {
	row := statRow{
		ID:          t.ID,
		Ref:         t.Reference,
		Description: deref(t.Description),
		Priority:    "Immédiat",
		Requester:   deref(t.Name),
		State:       cmp.Or(frenchStates[t.State], t.State),
		AssignedTo:  t.Agent,
		Group:       "Support",
		Start:       time.Time(t.StartTime),
		End:         time.Time(t.EndTime),
		Login:       t.Agent,
		Service:     "Tickets",
	}
	if t.Agent == s.cfg.username {
		row.AssignedTo = agentParty.Name
	}
	if contacts := append(slices.Clone(t.phones), t.emails...); len(contacts) > 0 {
		row.Contact = contacts[0]
	}
	if t.invited {
		row.EmailInvitations, row.SMSInvitations = len(t.emails), len(t.phones)
		row.Invitations = row.EmailInvitations + row.SMSInvitations
	}
	switch t.State {
	case "inprogress", "done", "closed":
		row.Answered = true
		row.Calls = 1
		row.CallSeconds = int(row.End.Sub(row.Start) / time.Second)
	}
	for _, m := range s.ticketMedia[t.ID] {
		if strings.HasPrefix(m.Type, "image/") {
			row.Photos++
		} else {
			row.Videos++
		}
	}
	return row
}

// dateParam reads a YYYY-MM-DD parameter (UTC midnight); zero when absent.
func dateParam(w http.ResponseWriter, q url.Values, name string) (time.Time, bool) {
	raw := q.Get(name)
	if raw == "" {
		return time.Time{}, true
	}
	t, err := time.Parse(time.DateOnly, raw)
	if err != nil {
		badParameter(w, name, name+" must be a date such as 2023-07-13")
		return time.Time{}, false
	}
	return t, true
}

// deref is *p, or "" for nil.
func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
