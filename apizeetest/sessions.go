package apizeetest

import (
	"net/http"
	"slices"
	"time"
)

// session is one video session of a service, as GET /session writes it.
type session struct {
	ID                    string  `json:"id"`
	StartTime             stamp   `json:"start_time"`
	EndTime               stamp   `json:"end_time"`
	BillingDuration       int     `json:"billing_duration"`
	TotalParticipantCount int     `json:"total_participant_count"`
	Organizer             party   `json:"organizer"`
	Enterprise            party   `json:"enterprise"`
	Service               service `json:"service"`
	Type                  string  `json:"type"`
}

// service is an entry point of the account (Video Meeting, Video Assistance).
type service struct {
	ID   int64  `json:"id"`
	Key  string `json:"key"`
	Name string `json:"name"`
}

// sessionsAnswer is the answer of GET /session: the period it covers and
// the sessions that started in it.
type sessionsAnswer struct {
	Total int        `json:"total"`
	Since stamp      `json:"since"`
	Until stamp      `json:"until"`
	Data  []*session `json:"data"`
}

// listSessions serves GET /session: service_key, since and until (on the
// start, RFC 3339), limit and offset, oldest first. Without since or until
// the period is open on that side; the answer then says 1970-01-01 or now.
func (s *Server) listSessions(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	lq, ok := parseListQuery(w, q, true, "date")
	if !ok {
		return
	}
	key := q.Get("service_key")
	var found []*session
	s.mu.Lock()
	for _, ss := range s.sessions {
		if (key == "" || ss.Service.Key == key) && lq.inPeriod(time.Time(ss.StartTime)) {
			found = append(found, ss)
		}
	}
	s.mu.Unlock()
	slices.SortStableFunc(found, func(a, b *session) int {
		return time.Time(a.StartTime).Compare(time.Time(b.StartTime))
	})
	since, until := lq.since, lq.until
	if since.IsZero() {
		since = time.Unix(0, 0)
	}
	if until.IsZero() {
		until = s.now()
	}
	writeJSON(w, http.StatusOK, sessionsAnswer{Total: len(found), Since: stamp(since), Until: stamp(until),
		Data: page(found, lq.offset, lq.limit)})
}
