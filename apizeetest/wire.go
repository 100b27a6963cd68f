package apizeetest

import (
	"strconv"
	"time"
)

// stampLayout is how the API writes timestamps: RFC 3339 with a numeric
// offset, "2023-07-12T15:48:11+00:00".
const stampLayout = "2006-01-02T15:04:05-07:00"

// stamp is a timestamp as the API writes it, in UTC.
type stamp time.Time

// MarshalJSON writes the stamp in stampLayout.
func (t stamp) MarshalJSON() ([]byte, error) {
	return strconv.AppendQuote(nil, time.Time(t).UTC().Format(stampLayout)), nil
}

// mustStamp parses a stamp of the seed.
func mustStamp(s string) stamp {
	t, err := time.Parse(stampLayout, s)
	if err != nil {
		panic("apizeetest: bad seed timestamp " + s)
	}
	return stamp(t)
}

// party is a user or an organisation: {"id","name"}.
type party struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// geoloc is a position as tickets and conference media write it: {"lat","lng"}.
type geoloc struct {
	Lat float64 `json:"lat"`
	Lng float64 `json:"lng"`
}

// listAnswer is the {"total","data"} answer of the ticket, conference,
// conference media lists.
type listAnswer[T any] struct {
	Total int `json:"total"`
	Data  []T `json:"data"`
}

// The account the server serves: its agent (the API user), and the parties
// of the guide's examples.
var (
	agentParty  = party{ID: 2888, Name: "Agent 1"}
	apiParty    = party{ID: 1234, Name: "API"}
	doctorParty = party{ID: 2899, Name: "Dr Doe"}
)

// Service keys of the account: the Video Assistance entry point (tickets)
// and the Video Meeting one (conferences).
const (
	ticketServiceKey     = "115f89503138416a242f40fb7d7f338e"
	conferenceServiceKey = "f7a0300abf044e86bfcc7d9ae906381e"
)
