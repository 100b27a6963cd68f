package webhook

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apizee-go/apizee"
)

// The docs show the props of tickets and conversations, and the in-session
// event object; the props of media and SMS messages were not visible. The
// typed readers below are lenient where the docs say nothing: a key matches
// whatever its case and underscores ("conferenceId", "conference_id"), a
// number may come as a string of digits, and every key they do not read
// stays in Extra, as sent.

// TicketProps are the props of a ticket event.
type TicketProps struct {
	// State is the ticket's state after the change: the states of
	// apizee.Ticket, plus "opened" and "updated" in webhooks.
	State apizee.TicketState
	// Location is "geoloc", the customer's position, with "lng" or "lon";
	// nil when the event has none.
	Location *apizee.GeoPoint
	// Extra holds the props not read above.
	Extra map[string]json.RawMessage
}

// MediaProps are the props of a media event. Their shape is not documented:
// the fields are those of the API's media objects (apizee.Media), read when
// present, and the ticket or meeting the media belongs to when the props
// name it. Read the media through the client (its ticket's or meeting's
// media list) before downloading anything.
type MediaProps struct {
	TicketID     int64  // "ticketId": the assistance ticket of the media, 0 when not named
	ConferenceID int64  // "conferenceId": the meeting of the media, 0 when not named
	Title        string // "title"
	Filename     string // "filename"
	Status       string // "status", e.g. "completed"
	MediaType    string // "mediaType", e.g. "video"
	ContentType  string // "type", e.g. "video/mp4"
	SourceType   string // "sourceType", e.g. "conf_record" for a meeting recording
	URL          string // "url": a hint, never a download link to trust
	Size         int64  // "filesize" or "size", in bytes
	// Extra holds the props not read above.
	Extra map[string]json.RawMessage
}

// ConversationEnded is the ConversationProps.EventType of a session that
// ended.
const ConversationEnded = "conversationEnded"

// ConversationProps are the props of a conversation (session) event, e.g.
// {"eventType":"conversationEnded","name":"TEST","finishedAt":"2021-09-20T13:25:06+00:00"},
// with the conversation's UID as the event's ObjectID.
type ConversationProps struct {
	EventType  string    // "eventType", e.g. ConversationEnded
	Name       string    // "name": the session's name (a meeting's is its conference's name)
	FinishedAt time.Time // "finishedAt", in UTC; zero when absent
	// Extra holds the props not read above.
	Extra map[string]json.RawMessage
}

// Sources of a SessionEvent.
const (
	SourceAgent  = "agent"
	SourceGuest  = "guest"
	SourceSystem = "system"
)

// SessionEvent are the props of a conversationevent, an event
// inside a session: {id, eventName, timestamp, source, data}, with names
// such as "ticket.sessionStarted", "media.pictureTaken" or
// "session.userLeft".
type SessionEvent struct {
	ID   string // "id": a number (its digits) or a UID
	Name string // "eventName"
	// Timestamp is "timestamp", in UTC: an RFC 3339 string, or a number (or
	// string of digits) of Unix seconds, or of milliseconds when it is
	// 100000000000 or more (the year 5138 in seconds).
	Timestamp time.Time
	Source    string          // "source": SourceAgent, SourceGuest or SourceSystem
	Data      json.RawMessage // "data", verbatim; nil when absent
	// Extra holds the props not read above.
	Extra map[string]json.RawMessage
}

// TicketProps reads the props of a ticket event. Errors: a *ParseError for
// an event of another object, props that are not a JSON object, or a field
// of the wrong type (Field "props.geoloc"...).
func (e *Event) TicketProps() (*TicketProps, error) {
	f, err := e.props(ObjectTicket)
	if err != nil {
		return nil, err
	}
	state, err := f.text("state")
	if err != nil {
		return nil, err
	}
	p := &TicketProps{State: apizee.TicketState(state)}
	if key, raw, ok := f.take("geoloc"); ok && !isAbsent(raw) {
		p.Location = new(apizee.GeoPoint)
		if err := json.Unmarshal(raw, p.Location); err != nil {
			return nil, propsError(key, "is not a position {lat, lng}")
		}
	}
	p.Extra = f.extra()
	return p, nil
}

// MediaProps reads the props of a media event. Errors as for TicketProps.
func (e *Event) MediaProps() (*MediaProps, error) {
	f, err := e.props(ObjectMedia)
	if err != nil {
		return nil, err
	}
	p := &MediaProps{}
	for _, field := range []struct {
		dst  *string
		name string
	}{
		{&p.Title, "title"}, {&p.Filename, "filename"}, {&p.Status, "status"}, {&p.MediaType, "mediatype"},
		{&p.ContentType, "type"}, {&p.SourceType, "sourcetype"}, {&p.URL, "url"},
	} {
		if *field.dst, err = f.text(field.name); err != nil {
			return nil, err
		}
	}
	if p.TicketID, err = f.integer("ticketid"); err != nil {
		return nil, err
	}
	if p.ConferenceID, err = f.integer("conferenceid"); err != nil {
		return nil, err
	}
	if p.Size, err = f.integer("filesize", "size"); err != nil {
		return nil, err
	}
	p.Extra = f.extra()
	return p, nil
}

// ConversationProps reads the props of a conversation event. Errors as for
// TicketProps.
func (e *Event) ConversationProps() (*ConversationProps, error) {
	f, err := e.props(ObjectConversation)
	if err != nil {
		return nil, err
	}
	p := &ConversationProps{}
	if p.EventType, err = f.text("eventtype"); err != nil {
		return nil, err
	}
	if p.Name, err = f.text("name"); err != nil {
		return nil, err
	}
	if p.FinishedAt, err = f.time("finishedat"); err != nil {
		return nil, err
	}
	p.Extra = f.extra()
	return p, nil
}

// SessionEvent reads the props of a conversationevent. Errors as
// for TicketProps.
func (e *Event) SessionEvent() (*SessionEvent, error) {
	f, err := e.props(ObjectConversationEvent)
	if err != nil {
		return nil, err
	}
	p := &SessionEvent{}
	if p.ID, err = f.id("id"); err != nil {
		return nil, err
	}
	if p.Name, err = f.text("eventname"); err != nil {
		return nil, err
	}
	if p.Timestamp, err = f.time("timestamp"); err != nil {
		return nil, err
	}
	if p.Source, err = f.text("source"); err != nil {
		return nil, err
	}
	if _, raw, ok := f.take("data"); ok && len(raw) > 0 {
		p.Data = raw
	}
	p.Extra = f.extra()
	return p, nil
}

// propsFields are the keys of an event's props, read one by one.
type propsFields struct {
	all map[string]json.RawMessage // by the key as sent
	// byName maps a normalized key (lower case, no "_" or "-") to the key
	// as sent; of two keys that normalize alike, the first in sorted order
	// is read and the other stays in Extra.
	byName map[string]string
	read   map[string]bool // keys as sent
}

// props decodes the props of an event of object want.
func (e *Event) props(want Object) (*propsFields, error) {
	if e.Object != want {
		return nil, &ParseError{Field: "object", Reason: fmt.Sprintf("is %q: these are not the props of a %q event", e.Object, want)}
	}
	f := &propsFields{all: map[string]json.RawMessage{}, byName: map[string]string{}, read: map[string]bool{}}
	if isAbsent(e.Props) {
		return f, nil
	}
	if e.Props[0] != '{' || json.Unmarshal(e.Props, &f.all) != nil {
		return nil, &ParseError{Field: "props", Reason: "is not a JSON object"}
	}
	for _, key := range slices.Sorted(maps.Keys(f.all)) {
		name := normalizeKey(key)
		if _, taken := f.byName[name]; !taken {
			f.byName[name] = key
		}
	}
	return f, nil
}

// normalizeKey folds case and drops "_" and "-".
func normalizeKey(key string) string {
	return strings.Map(func(r rune) rune {
		if r == '_' || r == '-' {
			return -1
		}
		return r
	}, strings.ToLower(key))
}

// take returns the first of names (normalized) the props hold, and marks it
// read.
func (f *propsFields) take(names ...string) (key string, raw json.RawMessage, ok bool) {
	for _, name := range names {
		if key, ok := f.byName[name]; ok {
			f.read[key] = true
			return key, f.all[key], true
		}
	}
	return "", nil, false
}

// text reads a string; absent or null is "".
func (f *propsFields) text(names ...string) (string, error) {
	key, raw, ok := f.take(names...)
	if !ok || isAbsent(raw) {
		return "", nil
	}
	var s string
	if raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		return "", propsError(key, "is not a string")
	}
	return s, nil
}

// id reads an identifier: a number, as its JSON text, or a string.
func (f *propsFields) id(names ...string) (string, error) {
	key, raw, ok := f.take(names...)
	switch {
	case !ok || isAbsent(raw):
		return "", nil
	case isJSONNumber(raw):
		return string(raw), nil
	}
	var s string
	if raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		return "", propsError(key, "is neither a number nor a string")
	}
	return s, nil
}

// integer reads a whole number, or a string of one; absent, null and "" are
// 0.
func (f *propsFields) integer(names ...string) (int64, error) {
	key, raw, ok := f.take(names...)
	if !ok || isAbsent(raw) {
		return 0, nil
	}
	text := string(raw)
	if raw[0] == '"' && json.Unmarshal(raw, &text) != nil {
		return 0, propsError(key, "is not a whole number")
	}
	if text == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		return 0, propsError(key, "is not a whole number")
	}
	return n, nil
}

// millisecondsFrom is where a number stops being seconds and becomes
// milliseconds: 1e11 seconds is the year 5138, 1e11 milliseconds 1973.
const millisecondsFrom = 100_000_000_000

// time reads an RFC 3339 string, or Unix seconds (milliseconds from
// millisecondsFrom on) as a number or a string of digits; absent, null and
// "" are the zero time.
func (f *propsFields) time(names ...string) (time.Time, error) {
	key, raw, ok := f.take(names...)
	if !ok || isAbsent(raw) {
		return time.Time{}, nil
	}
	text := string(raw)
	if raw[0] == '"' && json.Unmarshal(raw, &text) != nil {
		return time.Time{}, propsError(key, "is not a time")
	}
	if text == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, text); err == nil {
		return t.UTC(), nil
	}
	if n, err := strconv.ParseInt(text, 10, 64); err == nil && n >= 0 && n/1000 <= maxUnixSeconds {
		if n >= millisecondsFrom {
			return time.UnixMilli(n).UTC(), nil
		}
		return time.Unix(n, 0).UTC(), nil
	}
	return time.Time{}, propsError(key, "is not a time (RFC 3339, or Unix seconds or milliseconds)")
}

// extra returns the keys not read, nil when there are none.
func (f *propsFields) extra() map[string]json.RawMessage {
	var out map[string]json.RawMessage
	for key, raw := range f.all {
		if !f.read[key] {
			if out == nil {
				out = map[string]json.RawMessage{}
			}
			out[key] = raw
		}
	}
	return out
}

func propsError(key, reason string) error {
	return &ParseError{Field: "props." + key, Reason: reason}
}
