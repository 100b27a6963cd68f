package webhook_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee"
	"github.com/apizee-go/apizee/webhook"
)

func event(t *testing.T, object webhook.Object, props string) *webhook.Event {
	t.Helper()
	e, err := webhook.Parse([]byte(`{"event":"update","object":"` + string(object) + `","objectId":1,"props":` + props + `}`))
	require.NoError(t, err)
	return e
}

func TestTicketProps(t *testing.T) {
	e, err := webhook.Parse(readTestdata(t, "ticket_update.json"))
	require.NoError(t, err)
	p, err := e.TicketProps()
	require.NoError(t, err)
	assert.Equal(t, apizee.TicketDone, p.State)
	assert.Nil(t, p.Location)
	assert.Nil(t, p.Extra)

	for props, want := range map[string]apizee.GeoPoint{
		`{"state":"opened","geoloc":{"lat":48.77,"lng":-3.51}}`:        {Lat: 48.77, Lng: -3.51},
		`{"state":"opened","geoloc":{"lat":48.77,"lon":-3.51}}`:        {Lat: 48.77, Lng: -3.51},
		`{"state":"opened","geoloc":{"lat":"48.77","lon":"-3.51"}}`:    {Lat: 48.77, Lng: -3.51},
		`{"state":"opened","geoloc":{"lat":48.77}}`:                    {Lat: 48.77},
		`{"State":"opened","Geoloc":{"lat":48.77,"lng":-3.51}}`:        {Lat: 48.77, Lng: -3.51},
		`{"state":"opened","geo_loc":{"lat":48.77,"lng":-3.51},"x":1}`: {Lat: 48.77, Lng: -3.51},
	} {
		p, err := event(t, webhook.ObjectTicket, props).TicketProps()
		require.NoError(t, err, props)
		assert.Equal(t, apizee.TicketOpened, p.State, props)
		require.NotNil(t, p.Location, props)
		assert.Equal(t, want, *p.Location, props)
	}

	p, err = event(t, webhook.ObjectTicket, `{"state":"updated","geoloc":null,"agent":"agent1@apizee.com","n":2}`).TicketProps()
	require.NoError(t, err)
	assert.Equal(t, apizee.TicketUpdated, p.State)
	assert.Nil(t, p.Location)
	assert.Equal(t, map[string]json.RawMessage{"agent": json.RawMessage(`"agent1@apizee.com"`), "n": json.RawMessage(`2`)}, p.Extra,
		"what is not read stays, as sent")

	p, err = event(t, webhook.ObjectTicket, `{}`).TicketProps()
	require.NoError(t, err)
	assert.Empty(t, p.State)
}

// Every typed reader refuses the props of another object, props that are
// no object, and a field of the wrong type, naming the field.
func TestPropsReadersRefuseWhatTheyCannotRead(t *testing.T) {
	read := map[webhook.Object]func(*webhook.Event) error{
		webhook.ObjectTicket:            func(e *webhook.Event) error { _, err := e.TicketProps(); return err },
		webhook.ObjectMedia:             func(e *webhook.Event) error { _, err := e.MediaProps(); return err },
		webhook.ObjectConversation:      func(e *webhook.Event) error { _, err := e.ConversationProps(); return err },
		webhook.ObjectConversationEvent: func(e *webhook.Event) error { _, err := e.SessionEvent(); return err },
	}
	for object, readProps := range read {
		for _, other := range []webhook.Object{webhook.ObjectTicket, webhook.ObjectSMSMessage, "whiteboard"} {
			if other == object {
				continue
			}
			assertParseError(t, readProps(event(t, other, `{}`)), "object")
		}
		for _, props := range []string{`[]`, `"done"`, `1`} {
			assertParseError(t, readProps(event(t, object, props)), "props")
		}
		require.NoError(t, readProps(event(t, object, `null`)), "null props: nothing to read")
	}
	for _, tc := range []struct {
		object       webhook.Object
		props, field string
	}{
		{webhook.ObjectTicket, `{"state":3}`, "props.state"},
		{webhook.ObjectTicket, `{"state":"done","geoloc":"48.7,-3.5"}`, "props.geoloc"},
		{webhook.ObjectTicket, `{"state":"done","geoloc":{"lat":"north"}}`, "props.geoloc"},
		{webhook.ObjectMedia, `{"conferenceId":"room-1"}`, "props.conferenceId"},
		{webhook.ObjectMedia, `{"ticket_id":1.5}`, "props.ticket_id"},
		{webhook.ObjectMedia, `{"status":true}`, "props.status"},
		{webhook.ObjectConversation, `{"finishedAt":"yesterday"}`, "props.finishedAt"},
		{webhook.ObjectConversation, `{"eventType":["conversationEnded"]}`, "props.eventType"},
		{webhook.ObjectConversationEvent, `{"id":{"n":1}}`, "props.id"},
		{webhook.ObjectConversationEvent, `{"timestamp":-1}`, "props.timestamp"},
	} {
		assertParseError(t, read[tc.object](event(t, tc.object, tc.props)), tc.field)
	}
}

func assertParseError(t *testing.T, err error, field string) {
	t.Helper()
	var perr *webhook.ParseError
	if assert.True(t, errors.As(err, &perr), "want a *ParseError for %s, got %v", field, err) {
		assert.Equal(t, field, perr.Field)
		assert.Contains(t, err.Error(), `"`+field+`"`)
	}
}

func TestConversationProps(t *testing.T) {
	e, err := webhook.Parse(readTestdata(t, "conversation_ended.json"))
	require.NoError(t, err)
	p, err := e.ConversationProps()
	require.NoError(t, err)
	assert.Equal(t, webhook.ConversationEnded, p.EventType)
	assert.Equal(t, "TEST", p.Name)
	assert.Equal(t, time.Date(2021, 9, 20, 13, 25, 6, 0, time.UTC), p.FinishedAt)
	assert.Nil(t, p.Extra)

	p, err = event(t, webhook.ObjectConversation, `{"event_type":"conversationEnded","finished_at":"2021-09-20T15:25:06+02:00","room":"r1"}`).ConversationProps()
	require.NoError(t, err)
	assert.Equal(t, webhook.ConversationEnded, p.EventType)
	assert.Equal(t, time.Date(2021, 9, 20, 13, 25, 6, 0, time.UTC), p.FinishedAt, "in UTC")
	assert.Equal(t, time.UTC, p.FinishedAt.Location())
	assert.Equal(t, map[string]json.RawMessage{"room": json.RawMessage(`"r1"`)}, p.Extra)
}

func TestMediaProps(t *testing.T) {
	e, err := webhook.Parse(readTestdata(t, "media_create_conference.json"))
	require.NoError(t, err)
	p, err := e.MediaProps()
	require.NoError(t, err)
	assert.Equal(t, &webhook.MediaProps{ConferenceID: 842341, Title: "0YW553BN-8214-composite", Filename: "0YW553BN-8214-composite.mp4",
		Status: "completed", MediaType: "video", SourceType: "conf_record", Size: 2270386}, p)

	e, err = webhook.Parse(readTestdata(t, "media_create_ticket.json"))
	require.NoError(t, err)
	p, err = e.MediaProps()
	require.NoError(t, err)
	assert.Equal(t, &webhook.MediaProps{TicketID: 663614, Title: "ysExSVPf-2552-477", ContentType: "video/mp4", SourceType: "unknown"}, p)

	// The API's own snake_case names, numbers as strings, an unknown key.
	p, err = event(t, webhook.ObjectMedia, `{"conference_id":"842341","media_type":"video","source_type":"conf_record","size":"12","url":"https://cloud.apizee.com/media/showVideo/1/hash/h","hash":"h"}`).MediaProps()
	require.NoError(t, err)
	assert.Equal(t, int64(842341), p.ConferenceID)
	assert.Equal(t, "video", p.MediaType)
	assert.Equal(t, "conf_record", p.SourceType)
	assert.Equal(t, int64(12), p.Size)
	assert.Equal(t, "https://cloud.apizee.com/media/showVideo/1/hash/h", p.URL)
	assert.Equal(t, map[string]json.RawMessage{"hash": json.RawMessage(`"h"`)}, p.Extra)

	// Two keys that read alike: the first in sorted order is read, the
	// other kept.
	p, err = event(t, webhook.ObjectMedia, `{"ticket_id":2,"ticketId":1}`).MediaProps()
	require.NoError(t, err)
	assert.Equal(t, int64(1), p.TicketID)
	assert.Equal(t, map[string]json.RawMessage{"ticket_id": json.RawMessage(`2`)}, p.Extra)
}

func TestSessionEvent(t *testing.T) {
	e, err := webhook.Parse(readTestdata(t, "conversationevent_create.json"))
	require.NoError(t, err)
	p, err := e.SessionEvent()
	require.NoError(t, err)
	assert.Equal(t, &webhook.SessionEvent{ID: "6d0f5c4e-27a1-4f0b-9a55-1b2c3d4e5f60", Name: "media.pictureTaken",
		Timestamp: time.Date(2021, 9, 20, 13, 24, 50, 0, time.UTC), Source: webhook.SourceAgent,
		Data: json.RawMessage(`{"mediaId":1973403}`)}, p)

	for raw, want := range map[string]time.Time{
		`1632144290`:      time.Unix(1632144290, 0).UTC(),
		`"1632144290"`:    time.Unix(1632144290, 0).UTC(),
		`1632144290123`:   time.UnixMilli(1632144290123).UTC(),
		`"1632144290123"`: time.UnixMilli(1632144290123).UTC(),
		`99999999999`:     time.Unix(99999999999, 0).UTC(), // the last count read as seconds
		`null`:            {},
	} {
		p, err := event(t, webhook.ObjectConversationEvent, `{"id":42,"eventName":"session.userLeft","source":"guest","timestamp":`+raw+`,"data":{ "user": "g1" }}`).SessionEvent()
		require.NoError(t, err, raw)
		assert.Equal(t, want, p.Timestamp, raw)
		assert.Equal(t, "42", p.ID, "a numeric id as its digits")
		assert.Equal(t, `{ "user": "g1" }`, string(p.Data), "data verbatim")
	}
}
