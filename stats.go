package apizee

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// StatsService reads usage statistics.
type StatsService service

// TicketStatsParams is the period of a ticket statistics report. Since and
// Until are sent as calendar dates (YYYY-MM-DD, in each time's own
// location); a zero time is not sent.
type TicketStatsParams struct {
	Since, Until time.Time
}

// TicketStat is one ticket's row of the statistics report. The API labels
// its columns in French; each known label maps to a field (noted beside it)
// and any other column is kept in Extra.
type TicketStat struct {
	ID               int64
	Ref              string        // "Ref", a number or a string
	Description      string        // "Description"
	Priority         string        // "Priorité", e.g. "Immédiat"
	Requester        string        // "Demandeur"
	Contact          string        // "Contact", the customer's phone or email
	State            string        // "Etat", e.g. "Fermé"
	AssignedTo       string        // "Assigné à"
	Group            string        // "Groupe"
	Type             string        // "Type"
	SessionStart     time.Time     // "Date de début de session", sent without a zone: taken as UTC
	SessionEnd       time.Time     // "Date de fin", likewise
	Answered         bool          // "Répondues": "oui" or "non"
	Invitations      int           // "Nombre d'invitations"
	EmailInvitations int           // "Nombre d'invitations email"
	SMSInvitations   int           // "Nombre d'invitations SMS"
	Calls            int           // "Nombre Appels"
	CallDuration     time.Duration // "Durée totale des appels (secondes)"
	Photos           int           // "Photos"
	Videos           int           // "Vidéos"
	Scans            int           // "Scans"
	Login            string        // "Identifiant", the agent's login
	Service          string        // "Service"
	Device           string        // "Appareil"
	OS               string        // "Système d'exploitation"
	Browser          string        // "Navigateur"
	// Extra holds the columns this SDK does not know, as sent.
	Extra map[string]json.RawMessage
}

// statColumns maps each known column label, normalised by appendStatKey, to the
// field it decodes into.
var statColumns = map[string]func(*TicketStat, json.RawMessage) error{
	"id":                       func(s *TicketStat, b json.RawMessage) error { return decodeInt64(b, &s.ID) },
	"ref":                      func(s *TicketStat, b json.RawMessage) error { return decodeString(b, &s.Ref) },
	"description":              func(s *TicketStat, b json.RawMessage) error { return decodeString(b, &s.Description) },
	"priorité":                 func(s *TicketStat, b json.RawMessage) error { return decodeString(b, &s.Priority) },
	"demandeur":                func(s *TicketStat, b json.RawMessage) error { return decodeString(b, &s.Requester) },
	"contact":                  func(s *TicketStat, b json.RawMessage) error { return decodeString(b, &s.Contact) },
	"etat":                     func(s *TicketStat, b json.RawMessage) error { return decodeString(b, &s.State) },
	"état":                     func(s *TicketStat, b json.RawMessage) error { return decodeString(b, &s.State) },
	"assigné à":                func(s *TicketStat, b json.RawMessage) error { return decodeString(b, &s.AssignedTo) },
	"groupe":                   func(s *TicketStat, b json.RawMessage) error { return decodeString(b, &s.Group) },
	"type":                     func(s *TicketStat, b json.RawMessage) error { return decodeString(b, &s.Type) },
	"date de début de session": func(s *TicketStat, b json.RawMessage) error { return decodeTime(b, &s.SessionStart) },
	"date de fin":              func(s *TicketStat, b json.RawMessage) error { return decodeTime(b, &s.SessionEnd) },
	"répondues": func(s *TicketStat, b json.RawMessage) error {
		var v flexBool
		err := v.UnmarshalJSON(b)
		s.Answered = bool(v)
		return err
	},
	"nombre d'invitations":       func(s *TicketStat, b json.RawMessage) error { return decodeInt(b, &s.Invitations) },
	"nombre d'invitations email": func(s *TicketStat, b json.RawMessage) error { return decodeInt(b, &s.EmailInvitations) },
	"nombre d'invitations sms":   func(s *TicketStat, b json.RawMessage) error { return decodeInt(b, &s.SMSInvitations) },
	"nombre appels":              func(s *TicketStat, b json.RawMessage) error { return decodeInt(b, &s.Calls) },
	"durée totale des appels (secondes)": func(s *TicketStat, b json.RawMessage) error {
		var secs flexFloat
		if err := secs.UnmarshalJSON(b); err != nil {
			return err
		}
		// Compared in nanoseconds, after rounding: MaxInt64 seconds' worth
		// of nanoseconds is not a float64, and the nearest one, 2^63,
		// converts to a negative Duration.
		nanos := math.Round(float64(secs) * float64(time.Second))
		if secs < 0 || nanos >= float64(math.MaxInt64) {
			return fmt.Errorf("apizee: %g seconds is not a call duration", float64(secs))
		}
		s.CallDuration = time.Duration(nanos)
		return nil
	},
	"photos":                 func(s *TicketStat, b json.RawMessage) error { return decodeInt(b, &s.Photos) },
	"vidéos":                 func(s *TicketStat, b json.RawMessage) error { return decodeInt(b, &s.Videos) },
	"scans":                  func(s *TicketStat, b json.RawMessage) error { return decodeInt(b, &s.Scans) },
	"identifiant":            func(s *TicketStat, b json.RawMessage) error { return decodeString(b, &s.Login) },
	"service":                func(s *TicketStat, b json.RawMessage) error { return decodeString(b, &s.Service) },
	"appareil":               func(s *TicketStat, b json.RawMessage) error { return decodeString(b, &s.Device) },
	"système d'exploitation": func(s *TicketStat, b json.RawMessage) error { return decodeString(b, &s.OS) },
	"navigateur":             func(s *TicketStat, b json.RawMessage) error { return decodeString(b, &s.Browser) },
}

// appendStatKey appends the normalised column label to dst: the API's labels
// are French prose, so case, surrounding space and typographic apostrophes
// are not relied on. It appends to a buffer, not a new string, because it
// runs for every column of every row: the map lookup of string(key) does not
// allocate.
func appendStatKey(dst []byte, label string) []byte {
	for _, r := range strings.TrimSpace(label) {
		if r == '’' {
			r = '\''
		}
		dst = utf8.AppendRune(dst, unicode.ToLower(r))
	}
	return dst
}

// UnmarshalJSON maps the French column labels to the fields and keeps the
// other columns in Extra. A known column with a value of the wrong kind is
// an error that names it.
func (s *TicketStat) UnmarshalJSON(b []byte) error {
	var columns map[string]json.RawMessage
	if err := json.Unmarshal(b, &columns); err != nil {
		return err
	}
	*s = TicketStat{}
	var key [64]byte
	for label, value := range columns {
		decode, known := statColumns[string(appendStatKey(key[:0], label))]
		if !known {
			if s.Extra == nil {
				s.Extra = map[string]json.RawMessage{}
			}
			s.Extra[label] = value
			continue
		}
		if err := decode(s, value); err != nil {
			return fmt.Errorf("apizee: ticket statistics column %q: %w", label, err)
		}
	}
	return nil
}

// The decode helpers call the lenient types' UnmarshalJSON directly: b is a
// value of a document encoding/json has already checked, and going through
// json.Unmarshal again for each of a row's 26 columns would check it again.

func decodeString(b json.RawMessage, out *string) error {
	var v flexString
	err := v.UnmarshalJSON(b)
	*out = string(v)
	return err
}

func decodeInt64(b json.RawMessage, out *int64) error {
	var v flexInt64
	err := v.UnmarshalJSON(b)
	*out = int64(v)
	return err
}

func decodeInt(b json.RawMessage, out *int) error {
	var v flexInt64
	err := v.UnmarshalJSON(b)
	*out = int(v)
	return err
}

func decodeTime(b json.RawMessage, out *time.Time) error {
	var v flexTime
	err := v.UnmarshalJSON(b)
	*out = time.Time(v)
	return err
}

// statsDate is the wire form of the statistics period's bounds.
const statsDate = "2006-01-02"

// Tickets returns the per-ticket statistics of a period:
// GET /enterprises/{enterpriseId}/tickets-stats?format=JSON&since=&until=.
// The enterprise id comes from WithEnterpriseID or, once, from GET /users/me.
//
// Errors: *ValidationError for Since after Until; *APIError with
// ErrForbidden for an account without access to statistics; *DecodeError
// for an answer that is not a list of rows.
func (s *StatsService) Tickets(ctx context.Context, p *TicketStatsParams, opts ...CallOption) ([]TicketStat, error) {
	p = orZero(p)
	if err := checkTimeRange(p.Since, p.Until); err != nil {
		return nil, err
	}
	eid, err := s.client.enterprise(ctx)
	if err != nil {
		return nil, err
	}
	q := url.Values{"format": {"JSON"}}
	if !p.Since.IsZero() {
		q.Set("since", p.Since.Format(statsDate))
	}
	if !p.Until.IsZero() {
		q.Set("until", p.Until.Format(statsDate))
	}
	stats := []TicketStat{}
	if err := s.client.call(ctx, http.MethodGet, fmt.Sprintf("/enterprises/%d/tickets-stats", eid), q, &stats, opts...); err != nil {
		return nil, err
	}
	return stats, nil
}
