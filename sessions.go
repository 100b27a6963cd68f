package apizee

import (
	"context"
	"encoding/json"
	"errors"
	"iter"
	"net/url"
	"time"
)

// SessionsService reads usage statistics of the Video Meeting service: one
// entry per session held in a room. The API publishes a session about five
// minutes after it ends.
type SessionsService service

// ListSessionsParams filters a session list. Zero values are not sent.
type ListSessionsParams struct {
	// ServiceKey is the Video Meeting service's key (Conference.ServiceKey).
	ServiceKey   string
	Since, Until time.Time
	Limit        int // page size
	Offset       int
}

// Session is one meeting session: who organized it, how long it lasted and
// how many people took part.
type Session struct {
	ID                 string // a UUID-like string, unlike ticket and conference ids
	StartTime, EndTime time.Time
	// BillingUnits is the API's "billing_duration": what the session is
	// billed, as a count in a unit the API does not document (the guide's
	// session lasts 68 seconds and bills 5), so it is not a time.Duration.
	BillingUnits          int
	TotalParticipantCount int
	Organizer             *Party
	Enterprise            *Party
	Service               *EntryPoint
	Type                  string // "conference"; unknown values are kept
}

// EntryPoint is an Apizee service, an entry point of the account such as
// the Video Meeting service ("the entry point /conference" in Apizee's
// guide), as sessions refer to it. It is data, not one of the client's
// services (TicketsService and the like).
type EntryPoint struct {
	ID   int64
	Key  string
	Name string
}

// UnmarshalJSON accepts a string or numeric id, and [] (PHP's empty
// object) as an empty entry point.
func (s *EntryPoint) UnmarshalJSON(b []byte) error {
	if isEmptyArray(b) {
		*s = EntryPoint{}
		return nil
	}
	var w struct {
		ID   flexInt64  `json:"id"`
		Key  flexString `json:"key"`
		Name flexString `json:"name"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*s = EntryPoint{ID: int64(w.ID), Key: string(w.Key), Name: string(w.Name)}
	return nil
}

// UnmarshalJSON decodes a session leniently (times in UTC), but refuses an
// object without an id: whatever it is, it is not a session.
func (s *Session) UnmarshalJSON(b []byte) error {
	var w struct {
		ID                    flexString  `json:"id"`
		StartTime             flexTime    `json:"start_time"`
		EndTime               flexTime    `json:"end_time"`
		BillingDuration       flexInt64   `json:"billing_duration"`
		TotalParticipantCount flexInt64   `json:"total_participant_count"`
		Organizer             *Party      `json:"organizer"`
		Enterprise            *Party      `json:"enterprise"`
		Service               *EntryPoint `json:"service"`
		Type                  flexString  `json:"type"`
	}
	if err := json.Unmarshal(withEmptyObjects(b), &w); err != nil {
		return err
	}
	if w.ID == "" {
		return errors.New("apizee: the session has no id")
	}
	*s = Session{
		ID: string(w.ID), StartTime: time.Time(w.StartTime), EndTime: time.Time(w.EndTime),
		BillingUnits: int(w.BillingDuration), TotalParticipantCount: int(w.TotalParticipantCount),
		Organizer: w.Organizer, Enterprise: w.Enterprise, Service: w.Service, Type: string(w.Type),
	}
	return nil
}

// List returns one page of sessions: GET /session with service_key, since
// and until (RFC 3339, UTC), limit and offset. Errors: *ValidationError for
// Since after Until or a negative Limit or Offset; *APIError from the API.
func (s *SessionsService) List(ctx context.Context, p *ListSessionsParams, opts ...CallOption) (*Page[Session], error) {
	p = orZero(p)
	q, err := listSessionsQuery(p)
	if err != nil {
		return nil, err
	}
	return listPage[Session](ctx, s.client, "/session", q, p.Offset, p.Limit, opts...)
}

// All iterates over every session that matches p, fetching pages of p.Limit
// (default 100) from p.Offset as the loop asks for them (see List). On an
// error it yields (nil, err) once and stops.
func (s *SessionsService) All(ctx context.Context, p *ListSessionsParams, opts ...CallOption) iter.Seq2[*Session, error] {
	p = orZero(p)
	q, err := listSessionsQuery(p)
	if err != nil {
		return failed[Session](err)
	}
	limit := allLimit(p.Limit)
	return paginate(ctx, p.Offset, func(t *Session) string { return t.ID }, func(ctx context.Context, offset int) (*Page[Session], error) {
		return listPage[Session](ctx, s.client, "/session", cloneQuery(q), offset, limit, opts...)
	})
}

func listSessionsQuery(p *ListSessionsParams) (url.Values, error) {
	if err := checkPaging(p.Limit, p.Offset, ""); err != nil {
		return nil, err
	}
	q := url.Values{}
	if err := setTimeRange(q, p.Since, p.Until); err != nil {
		return nil, err
	}
	if p.ServiceKey != "" {
		q.Set("service_key", p.ServiceKey)
	}
	return q, nil
}
