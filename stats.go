package apizee

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
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
// and any other column is kept in Extra. A field has the name of the Ticket
// field it reports on (ID, Reference, Agent...), where the report gives it
// as text: its State is the report's French label, not a TicketState.
type TicketStat struct {
	ID               int64
	Reference        string        // "Ref", a number or a string: Ticket.Reference
	Description      string        // "Description"
	Priority         string        // "Priorité", e.g. "Immédiat"
	Requestor        string        // "Demandeur": the customer, by name (Contact has their phone or email)
	Contact          string        // "Contact", the customer's phone or email
	State            string        // "Etat", the state's French label, e.g. "Fermé"
	AssignedTo       string        // "Assigné à", the agent's display name
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
	Login            string        // "Identifiant", the agent's login: Ticket.Agent
	Service          string        // "Service", the entry point's name (Session.Service)
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
	"ref":                      func(s *TicketStat, b json.RawMessage) error { return decodeString(b, &s.Reference) },
	"description":              func(s *TicketStat, b json.RawMessage) error { return decodeString(b, &s.Description) },
	"priorité":                 func(s *TicketStat, b json.RawMessage) error { return decodeString(b, &s.Priority) },
	"demandeur":                func(s *TicketStat, b json.RawMessage) error { return decodeString(b, &s.Requestor) },
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
func appendStatKey(dst, label []byte) []byte {
	label = bytes.TrimSpace(label)
	for len(label) > 0 {
		r, size := utf8.DecodeRune(label)
		if r == '’' {
			r = '\''
		}
		dst = utf8.AppendRune(dst, unicode.ToLower(r))
		label = label[size:]
	}
	return dst
}

// UnmarshalJSON maps the French column labels to the fields and keeps the
// other columns in Extra. A known column with a value of the wrong kind is
// an error that names it.
func (s *TicketStat) UnmarshalJSON(b []byte) error {
	return s.decode(b, nil)
}

// decode is UnmarshalJSON. It walks the row's columns in place rather than
// building a map of them first, which cost several times the row; labels,
// when set, shares the strings of the unknown labels between the rows of
// one answer.
func (s *TicketStat) decode(b []byte, labels map[string]string) error {
	*s = TicketStat{}
	if bytes.Equal(bytes.TrimSpace(b), jsonNull) {
		return nil
	}
	var key [64]byte
	return eachMember(b, func(rawLabel, value []byte) error {
		inner := rawLabel[1 : len(rawLabel)-1]
		var label string
		if bytes.IndexByte(inner, '\\') >= 0 || !utf8.Valid(inner) {
			// Unescaped, and invalid UTF-8 replaced, as encoding/json does.
			var err error
			if label, err = jsonString(rawLabel); err != nil {
				return err
			}
			inner = []byte(label)
		}
		decode, known := statColumns[string(appendStatKey(key[:0], inner))]
		if known {
			if err := decode(s, value); err != nil {
				if label == "" {
					label = string(inner)
				}
				return errorf("apizee: ticket statistics column %q: %w", label, err)
			}
			return nil
		}
		if shared, ok := labels[string(rawLabel)]; ok {
			label = shared
		} else {
			if label == "" {
				label = string(inner)
			}
			if labels != nil {
				labels[string(rawLabel)] = label
			}
		}
		if s.Extra == nil {
			s.Extra = map[string]json.RawMessage{}
		}
		s.Extra[label] = append(json.RawMessage(nil), value...)
		return nil
	})
}

// errNotObject is a value that is not the JSON object expected.
var errNotObject = errors.New("apizee: not a JSON object")

// eachMember calls f with the label (quotes included) and the value of each
// member of the JSON object b, in order. b is JSON that encoding/json has
// already checked; anything else that does not read as an object is
// errNotObject, and nothing past b is ever read.
func eachMember(b []byte, f func(label, value []byte) error) error {
	i := skipSpace(b, 0)
	if i == len(b) || b[i] != '{' {
		return errNotObject
	}
	if i = skipSpace(b, i+1); i < len(b) && b[i] == '}' {
		return nil
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return errNotObject
		}
		end := stringEnd(b, i)
		if end >= len(b) {
			return errNotObject
		}
		label := b[i : end+1]
		if i = skipSpace(b, end+1); i >= len(b) || b[i] != ':' {
			return errNotObject
		}
		start := skipSpace(b, i+1)
		stop := valueEnd(b, start)
		if stop <= start {
			return errNotObject
		}
		if err := f(label, b[start:stop]); err != nil {
			return err
		}
		if i = skipSpace(b, stop); i >= len(b) {
			return errNotObject
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case '}':
			return nil
		default:
			return errNotObject
		}
	}
}

// valueEnd returns the index just past the JSON value that starts at b[i].
func valueEnd(b []byte, i int) int {
	if i >= len(b) {
		return i
	}
	switch b[i] {
	case '"':
		return min(stringEnd(b, i)+1, len(b))
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				i = stringEnd(b, i)
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
		}
		return len(b)
	}
	for ; i < len(b); i++ {
		switch b[i] {
		case ',', '}', ']', ' ', '\t', '\r', '\n':
			return i
		}
	}
	return i
}

// skipSpace returns the index of the first byte at or after i that is not
// JSON white space.
func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	return i
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
// An answer may hold at most 50 000 rows (about what the 32 MiB body limit
// holds of the guide's rows), 64 columns a row, and 100 000 values in
// columns the SDK does not know (TicketStat.Extra) in all: a longer answer
// is refused before its rows are built, with an error that says so. Ask a
// shorter period.
//
// Errors: *ValidationError for Since after Until; *APIError with
// ErrForbidden for an account without access to statistics; *DecodeError
// for an answer that is not a list of rows or holds more than the bounds
// above.
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
	stats := statRows{}
	if err := s.client.call(ctx, http.MethodGet, fmt.Sprintf("/enterprises/%d/tickets-stats", eid), q, &stats, opts...); err != nil {
		return nil, err
	}
	return stats, nil
}

// statRows is the answer of the statistics: a list of rows.
type statRows []TicketStat

// bounds refuses more than maxStatsRows rows or maxStatsColumns columns a row.
func (r *statRows) bounds() answerBounds {
	return answerBounds{items: maxStatsRows, members: maxStatsColumns, tooMany: func() error {
		return fmt.Errorf("the answer holds more than %d rows, the most a statistics answer may hold: ask a shorter period", maxStatsRows)
	}}
}

// reserve makes room for the n rows the answer holds.
func (r *statRows) reserve(n int) { *r = make(statRows, 0, n) }

// UnmarshalJSON decodes the rows of an answer json.Unmarshal has checked,
// each in place (see TicketStat.decode), the labels of unknown columns
// shared between rows. It refuses more than maxStatsExtra values in unknown
// columns: each costs a map entry, many times its bytes.
func (r *statRows) UnmarshalJSON(b []byte) error {
	if bytes.Equal(bytes.TrimSpace(b), jsonNull) {
		*r = nil
		return nil
	}
	i := skipSpace(b, 0)
	if i == len(b) || b[i] != '[' {
		return errors.New("apizee: the statistics answer is not a list of rows")
	}
	rows := (*r)[:0]
	if rows == nil {
		rows = statRows{} // [] is no rows, not nil: as encoding/json has it
	}
	labels := map[string]string{}
	extra := 0
	for i = skipSpace(b, i+1); i < len(b) && b[i] != ']'; {
		end := valueEnd(b, i)
		var row TicketStat
		if err := row.decode(b[i:end], labels); err != nil {
			return errorf("apizee: statistics row %d: %w", len(rows), err)
		}
		if extra += len(row.Extra); extra > maxStatsExtra {
			return fmt.Errorf("the answer holds more than %d values in columns the SDK does not know (TicketStat.Extra): ask a shorter period", maxStatsExtra)
		}
		rows = append(rows, row)
		if i = skipSpace(b, end); i < len(b) && b[i] == ',' {
			i = skipSpace(b, i+1)
		}
	}
	*r = rows
	return nil
}
