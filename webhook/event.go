package webhook

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Action is what happened to the object: the wire "event". The set is open:
// a value without a constant below is kept as sent.
type Action string

// Actions the docs name.
const (
	ActionCreate Action = "create"
	ActionUpdate Action = "update"
	ActionDelete Action = "delete"
)

// Object is the kind of object an event is about: the wire "object". The
// set is open: a value without a constant below is kept as sent.
type Object string

// Objects the docs name.
const (
	ObjectTicket            Object = "ticket"
	ObjectMedia             Object = "media"
	ObjectConversation      Object = "conversation"
	ObjectSMSMessage        Object = "smsmessage"
	ObjectConversationEvent Object = "conversationevent" // an event inside a session: see Event.SessionEvent
)

// Event is one webhook delivery of Apizee:
//
//	{"event":"update","time":1575976413,"object":"ticket","objectId":100,"props":{"state":"done"}}
//
// Apizee does not sign its webhooks: the only protection is the header or
// the basic-auth password the receiver checks (see Verifier), and anyone who
// holds it can send any event. Treat an event as a hint that something
// changed, and read the object through the client (client.Tickets.Get,
// client.Media.AllForConference...) before acting on anything that matters.
//
// json.Marshal writes an Event in its wire shape, which Parse reads back as
// the same event.
type Event struct {
	Action   Action          // wire "event"; unknown values kept
	Object   Object          // wire "object"; unknown values kept
	ObjectID string          // wire "objectId": a number (its digits) or a UID, as text
	Time     time.Time       // wire "time", Unix seconds, in UTC; zero when the event has none
	Props    json.RawMessage // wire "props", verbatim; nil when the event has none
}

// ParseError is the error of Parse for a body that is not an event, and of
// the props readers (Event.TicketProps...) for props they cannot read. It
// names the wire field at fault and never quotes the body.
type ParseError struct {
	// Field is "event", "object", "objectId", "time", "props" or
	// "props.<key>"; "" for the body as a whole.
	Field  string
	Reason string
}

// Error returns "webhook: not an Apizee event: field <Field> <Reason>".
func (e *ParseError) Error() string {
	if e.Field == "" {
		return "webhook: not an Apizee event: " + e.Reason
	}
	return fmt.Sprintf("webhook: not an Apizee event: field %q %s", e.Field, e.Reason)
}

// eventWire is an Event as it comes: each field as raw JSON, interpreted by
// Parse.
type eventWire struct {
	Event    json.RawMessage `json:"event"`
	Time     json.RawMessage `json:"time"`
	Object   json.RawMessage `json:"object"`
	ObjectID json.RawMessage `json:"objectId"`
	Props    json.RawMessage `json:"props"`
}

// Parse reads the body of a webhook delivery. The body must be a JSON
// object, in UTF-8, with a non-empty "event", "object" and "objectId" (a
// string, or a whole number); "time" may be a number or a string of Unix
// seconds (a decimal fraction is kept), or absent; "props" may be any JSON
// value and is kept byte for byte. The names are the docs', exactly: a
// field sent twice, or spelled in other capitals ("objectID"), is refused,
// since readers of the body could then disagree on what it says. Other
// fields are ignored. An action or object this package has no constant for
// is no error: new kinds of events reach the caller. Anything else is a
// *ParseError naming the field.
func Parse(body []byte) (*Event, error) {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, &ParseError{Reason: "the body is not a JSON object"}
	}
	if !utf8.Valid(body) {
		return nil, &ParseError{Reason: "the body is not UTF-8"}
	}
	w, err := readWire(body)
	if err != nil {
		return nil, err
	}
	e := &Event{}
	if e.Action, err = parseName[Action](w.Event, "event"); err != nil {
		return nil, err
	}
	if e.Object, err = parseName[Object](w.Object, "object"); err != nil {
		return nil, err
	}
	if e.ObjectID, err = parseObjectID(w.ObjectID); err != nil {
		return nil, err
	}
	if e.Time, err = parseUnixTime(w.Time); err != nil {
		return nil, &ParseError{Field: "time", Reason: err.Error()}
	}
	if len(w.Props) > 0 {
		e.Props = w.Props
	}
	return e, nil
}

// readWire reads the fields of an event from a JSON object, each as raw
// JSON, refusing a field sent twice or in other capitals (which
// encoding/json would merge into one) and anything after the object.
func readWire(body []byte) (*eventWire, error) {
	w := &eventWire{}
	fields := map[string]*json.RawMessage{
		"event": &w.Event, "time": &w.Time, "object": &w.Object, "objectId": &w.ObjectID, "props": &w.Props,
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	notJSON := func(err error) error {
		return &ParseError{Reason: "the body is not valid JSON (" + jsonProblem(err) + ")"}
	}
	if _, err := dec.Token(); err != nil { // the '{' Parse saw
		return nil, notJSON(err)
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, notJSON(err)
		}
		name, _ := tok.(string) // a key is a string, or Token fails
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return nil, notJSON(err)
		}
		field := wireField(name)
		if field == "" {
			continue
		}
		switch {
		case name != field:
			return nil, &ParseError{Field: field, Reason: "is spelled in other capitals"}
		case seen[field]:
			return nil, &ParseError{Field: field, Reason: "is sent twice"}
		}
		seen[field] = true
		*fields[field] = value
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return nil, notJSON(err)
	}
	switch _, err := dec.Token(); {
	case err == nil:
		return nil, &ParseError{Reason: "the body is not valid JSON (a value after the object)"}
	case err != io.EOF:
		return nil, notJSON(err)
	}
	return w, nil
}

// wireField returns the field of eventWire that name is, whatever its
// capitals; "" for a field Parse ignores.
func wireField(name string) string {
	for _, field := range []string{"event", "time", "object", "objectId", "props"} {
		if strings.EqualFold(name, field) {
			return field
		}
	}
	return ""
}

// jsonProblem describes a decoding error without quoting the input.
func jsonProblem(err error) string {
	var syntax *json.SyntaxError
	if errors.As(err, &syntax) {
		return fmt.Sprintf("syntax error at byte %d", syntax.Offset)
	}
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		return fmt.Sprintf("a JSON %s where %s was expected", typ.Value, typ.Type)
	}
	return err.Error()
}

// parseName reads a required, non-empty JSON string.
func parseName[T ~string](raw json.RawMessage, field string) (T, error) {
	if isAbsent(raw) {
		return "", &ParseError{Field: field, Reason: "is missing"}
	}
	var s string
	if raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		return "", &ParseError{Field: field, Reason: "is not a string"}
	}
	if s == "" {
		return "", &ParseError{Field: field, Reason: "is empty"}
	}
	return T(s), nil
}

// parseObjectID reads the objectId: a whole number (a fraction or an
// exponent is refused: 1e2 would read as another id than 100), kept as its
// JSON text however long, or a non-empty string.
func parseObjectID(raw json.RawMessage) (string, error) {
	const field = "objectId"
	if isAbsent(raw) {
		return "", &ParseError{Field: field, Reason: "is missing"}
	}
	if raw[0] == '"' {
		return parseName[string](raw, field)
	}
	if !isJSONNumber(raw) {
		return "", &ParseError{Field: field, Reason: "is neither a number nor a string"}
	}
	if !allDigits(strings.TrimPrefix(string(raw), "-")) {
		return "", &ParseError{Field: field, Reason: "is a number but not a whole one: no id of Apizee's"}
	}
	return string(raw), nil
}

// isAbsent reports whether a field was left out or null.
func isAbsent(raw json.RawMessage) bool { return len(raw) == 0 || string(raw) == "null" }

// isJSONNumber reports whether raw is a JSON number (raw is valid JSON).
func isJSONNumber(raw []byte) bool {
	return len(raw) > 0 && (raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9'))
}

// parseUnixTime reads Unix seconds: a number or a string of digits, with an
// optional decimal fraction (kept to the nanosecond). Absent, null and ""
// are the zero time.
func parseUnixTime(raw json.RawMessage) (time.Time, error) {
	if isAbsent(raw) {
		return time.Time{}, nil
	}
	text := string(raw)
	if raw[0] == '"' {
		if err := json.Unmarshal(raw, &text); err != nil {
			return time.Time{}, errors.New("is not a string of Unix seconds")
		}
		if text == "" {
			return time.Time{}, nil
		}
	} else if !isJSONNumber(raw) {
		return time.Time{}, errors.New("is neither a number nor a string of Unix seconds")
	}
	secText, fracText, hasFrac := strings.Cut(text, ".")
	if !allDigits(secText) || (hasFrac && !allDigits(fracText)) {
		return time.Time{}, errors.New("is not a count of Unix seconds (digits, optionally a decimal fraction)")
	}
	sec, err := strconv.ParseInt(secText, 10, 64)
	if err != nil || sec > maxUnixSeconds {
		return time.Time{}, errors.New("is out of range (after the year 9999)")
	}
	var nsec int64
	if hasFrac {
		digits := (fracText + "000000000")[:9] // nanoseconds; finer digits are dropped
		nsec, _ = strconv.ParseInt(digits, 10, 64)
	}
	return time.Unix(sec, nsec).UTC(), nil
}

// maxUnixSeconds is the last second of the year 9999, the last that
// time.Time formats as RFC 3339.
const maxUnixSeconds = 253402300799

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// MarshalJSON writes the event in its wire shape: an objectId of digits
// as a number (as Apizee sends a ticket's), any other as a string; the time
// as Unix seconds, left out when zero; props as they came.
func (e Event) MarshalJSON() ([]byte, error) {
	w := eventWire{Props: e.Props}
	var err error
	if w.Event, err = json.Marshal(string(e.Action)); err != nil {
		return nil, err
	}
	if w.Object, err = json.Marshal(string(e.Object)); err != nil {
		return nil, err
	}
	if isIntegerLiteral(e.ObjectID) {
		w.ObjectID = json.RawMessage(e.ObjectID)
	} else if w.ObjectID, err = json.Marshal(e.ObjectID); err != nil {
		return nil, err
	}
	if !e.Time.IsZero() {
		w.Time = json.RawMessage(unixText(e.Time))
	}
	return json.Marshal(struct {
		Event    json.RawMessage `json:"event"`
		Time     json.RawMessage `json:"time,omitempty"`
		Object   json.RawMessage `json:"object"`
		ObjectID json.RawMessage `json:"objectId"`
		Props    json.RawMessage `json:"props,omitempty"`
	}(w))
}

// isIntegerLiteral reports whether s is an integer as JSON and strconv
// write it: no sign, no leading zero, no fraction.
func isIntegerLiteral(s string) bool {
	return allDigits(s) && (s == "0" || s[0] != '0') && len(s) <= 19
}

// unixText writes t as Unix seconds, with the fraction parseUnixTime reads.
// A time before 1970 (which Parse never returns) is written as a whole
// number of seconds.
func unixText(t time.Time) string {
	sec, nsec := t.Unix(), t.Nanosecond()
	if nsec == 0 || sec < 0 {
		return strconv.FormatInt(sec, 10)
	}
	frac := strings.TrimRight(fmt.Sprintf("%09d", nsec), "0")
	return strconv.FormatInt(sec, 10) + "." + frac
}

// Key returns a stable identifier of the event for de-duplication: the
// SHA-256, in hex, of its object, objectId, action, time and props, with
// props in a canonical form (keys sorted, spacing dropped), so that two
// deliveries of one event share a key even if the sender re-serialised it
// (numbers are kept as written: 1 and 1.0 make two keys). Two events that
// differ in any of these fields have different keys. Apizee sends no
// delivery id, so two events identical in all of them (a ticket moved back
// to the same state within the same second) share a key: the handler takes
// the second for a redelivery of the first.
func (e *Event) Key() string {
	props := canonicalJSON(e.Props)
	var timeText string
	if !e.Time.IsZero() {
		timeText = unixText(e.Time)
	}
	// A JSON array is an unambiguous encoding of the tuple: no separator a
	// field could contain can shift a boundary.
	tuple, err := json.Marshal([]any{string(e.Object), e.ObjectID, string(e.Action), timeText, props})
	if err != nil {
		// Props of an Event built by hand that are not JSON.
		tuple = fmt.Appendf(nil, "%q %q %q %q %q", e.Object, e.ObjectID, e.Action, timeText, e.Props)
	}
	sum := sha256.Sum256(tuple)
	return hex.EncodeToString(sum[:])
}

// canonicalJSON returns raw re-encoded with sorted keys and no spacing,
// numbers kept as written; raw itself when it is not valid JSON.
func canonicalJSON(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return json.RawMessage("null")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return raw
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return raw
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}
