package apizee

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// The lenient JSON types below decode what the Apizee API actually sends:
// ids and references as strings or numbers, a phone as a string or a list,
// coordinates as lat/lng or lat/lon, timestamps with or without a zone, and
// null anywhere. They are unexported: models expose plain Go types.

var jsonNull = []byte("null")

// flexInt64 decodes a JSON number, a numeric string, "" or null.
type flexInt64 int64

func (n *flexInt64) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, jsonNull) {
		*n = 0
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		s = strings.TrimSpace(s)
		if s == "" {
			*n = 0
			return nil
		}
		b = []byte(s)
	}
	v, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		// Some counters arrive as 3.0: accept whole floats, refuse the rest.
		f, ferr := strconv.ParseFloat(string(b), 64)
		if ferr != nil || f != float64(int64(f)) {
			return fmt.Errorf("apizee: %s is not an integer", truncate(b))
		}
		v = int64(f)
	}
	*n = flexInt64(v)
	return nil
}

// flexString decodes a JSON string, a number (kept as written) or null.
type flexString string

func (s *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, jsonNull):
		*s = ""
	case len(b) > 0 && b[0] == '"':
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = flexString(v)
	case len(b) > 0 && (b[0] == '-' || (b[0] >= '0' && b[0] <= '9')):
		var num json.Number
		if err := json.Unmarshal(b, &num); err != nil {
			return err
		}
		*s = flexString(num.String())
	case bytes.Equal(b, []byte("true")), bytes.Equal(b, []byte("false")):
		*s = flexString(b)
	default:
		return fmt.Errorf("apizee: %s is not a string or a number", truncate(b))
	}
	return nil
}

// flexList decodes a string (split on commas), a list of strings or numbers,
// or null into a list.
type flexList []string

func (l *flexList) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '[' {
		var items []flexString
		if err := json.Unmarshal(b, &items); err != nil {
			return err
		}
		out := make([]string, 0, len(items))
		for _, it := range items {
			if v := strings.TrimSpace(string(it)); v != "" {
				out = append(out, v)
			}
		}
		*l = out
		return nil
	}
	var s flexString
	if err := s.UnmarshalJSON(b); err != nil {
		return err
	}
	*l = splitList(string(s))
	return nil
}

// splitList splits a comma-separated wire list, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// flexBool decodes true/false, 1/0, "1"/"0", "true"/"false", "oui"/"non",
// "yes"/"no" and null (false).
type flexBool bool

func (v *flexBool) UnmarshalJSON(b []byte) error {
	var s flexString
	if err := s.UnmarshalJSON(b); err != nil {
		return err
	}
	switch strings.ToLower(strings.TrimSpace(string(s))) {
	case "true", "1", "oui", "yes", "y":
		*v = true
	case "false", "0", "non", "no", "n", "":
		*v = false
	default:
		return fmt.Errorf("apizee: %s is not a boolean", truncate(b))
	}
	return nil
}

// flexTime decodes RFC 3339 timestamps, Apizee's "2006-01-02 15:04:05"
// (taken as UTC), a bare date, "" and null (the zero time).
type flexTime time.Time

// timeLayouts are tried in order.
var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02T15:04:05-0700", "2006-01-02"}

func (t *flexTime) UnmarshalJSON(b []byte) error {
	var s flexString
	if err := s.UnmarshalJSON(b); err != nil {
		return err
	}
	v := strings.TrimSpace(string(s))
	if v == "" {
		*t = flexTime{}
		return nil
	}
	for _, layout := range timeLayouts {
		if parsed, err := time.Parse(layout, v); err == nil {
			// An offset can push year 0 or 9999 out of what RFC 3339 (and
			// so json.Marshal of the decoded model) can write.
			if y := parsed.UTC().Year(); y < 0 || y > 9999 {
				return fmt.Errorf("apizee: %s is out of range", truncate(b))
			}
			*t = flexTime(parsed)
			return nil
		}
	}
	return fmt.Errorf("apizee: %s is not a timestamp", truncate(b))
}

// GeoPoint is a position. It decodes {"lat","lng"} and {"lat","lon"},
// with numbers or numeric strings.
type GeoPoint struct {
	Lat float64
	Lng float64
}

// UnmarshalJSON accepts lng or lon for the longitude.
func (p *GeoPoint) UnmarshalJSON(b []byte) error {
	var wire struct {
		Lat flexFloat  `json:"lat"`
		Lng *flexFloat `json:"lng"`
		Lon flexFloat  `json:"lon"`
	}
	if err := json.Unmarshal(b, &wire); err != nil {
		return err
	}
	p.Lat, p.Lng = float64(wire.Lat), float64(wire.Lon)
	if wire.Lng != nil {
		p.Lng = float64(*wire.Lng)
	}
	return nil
}

// MarshalJSON writes {"lat":..,"lng":..}.
func (p GeoPoint) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Lat float64 `json:"lat"`
		Lng float64 `json:"lng"`
	}{p.Lat, p.Lng})
}

// flexFloat decodes a number, a numeric string, "" or null.
type flexFloat float64

func (f *flexFloat) UnmarshalJSON(b []byte) error {
	var s flexString
	if err := s.UnmarshalJSON(b); err != nil {
		return err
	}
	if s == "" {
		*f = 0
		return nil
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(string(s)), 64)
	// ParseFloat takes "NaN" and "Inf", which no coordinate means and
	// json.Marshal cannot write.
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Errorf("apizee: %s is not a number", truncate(b))
	}
	*f = flexFloat(v)
	return nil
}

// Party is a person or organisation the API refers to: an organizer, a
// moderator, a media owner, an enterprise.
type Party struct {
	ID   int64
	Name string
}

// UnmarshalJSON accepts a string or numeric id.
func (p *Party) UnmarshalJSON(b []byte) error {
	var wire struct {
		ID   flexInt64  `json:"id"`
		Name flexString `json:"name"`
	}
	if err := json.Unmarshal(b, &wire); err != nil {
		return err
	}
	*p = Party{ID: int64(wire.ID), Name: string(wire.Name)}
	return nil
}

// Order is the sort direction of a list.
type Order string

// Sort directions.
const (
	OrderAsc  Order = "asc"
	OrderDesc Order = "desc"
)

// truncate bounds raw JSON quoted in a decoding error.
func truncate(b []byte) string {
	const n = 40
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}
