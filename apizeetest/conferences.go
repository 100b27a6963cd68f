package apizeetest

import (
	"cmp"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// conference is a Video Meeting room as the API writes it.
type conference struct {
	ID             int64  `json:"id"`
	Name           string `json:"name"`
	Created        stamp  `json:"created"`
	Modified       stamp  `json:"modified"`
	StartTime      stamp  `json:"start_time"`
	EndTime        stamp  `json:"end_time"`
	Status         string `json:"status"`
	RoomName       string `json:"room_name"`
	URL            string `json:"url"`
	ShortURL       string `json:"short_url"`
	SIPPhoneNumber string `json:"sip_phone_number"`
	SIPDTMFCode    string `json:"sip_dtmf_code"`
	Organizer      party  `json:"organizer"`
	CreatedBy      party  `json:"created_by"`
	ServiceKey     string `json:"service_key"`
	Moderator      party  `json:"moderator"`
}

// The account's Video Meeting room settings, from the guide.
const (
	meetingRoomPrefix = "7a3dc7993234907508525829e02f2388"
	sipPhoneNumber    = "+33 2 57 57 97 61"
	defaultDuration   = 60 // minutes
	maxMessageLength  = 300
)

// forbiddenConferences is the answer of an account without Video Meeting.
const forbiddenConferences = "user is not allowed to create conferences"

var (
	// participantPhone is a participant's phone: international or national
	// (the guide invites 0612345678).
	participantPhone = regexp.MustCompile(`^\+?[0-9]{8,15}$`)
	// roomPassword is what a conference password may hold.
	roomPassword = regexp.MustCompile(`^[0-9*#]+$`)
)

// createConference serves POST /conferences, parameters in the query
// string as in the guide.
func (s *Server) createConference(w http.ResponseWriter, r *http.Request) {
	if s.cfg.conferencesDisabled {
		writeJSON(w, http.StatusForbidden, errorAnswer{Message: forbiddenConferences})
		return
	}
	q := r.URL.Query()
	participants := splitList(q.Get("participants"))
	switch {
	case len(participants) == 0:
		badParameter(w, "participants", "participants is required: a comma-separated list of emails and phone numbers")
		return
	case !all(participants, func(p string) bool { return validEmail(p) || participantPhone.MatchString(p) }):
		badParameter(w, "participants", "each participant must be an email or a phone number")
		return
	case q.Has("name") && !nameLengthOK(q.Get("name")):
		badParameter(w, "name", "name must be between 2 and 255 characters")
		return
	case utf8.RuneCountInString(q.Get("message")) > maxMessageLength:
		badParameter(w, "message", "message must be at most 300 characters")
		return
	case q.Has("password") && !roomPassword.MatchString(q.Get("password")):
		badParameter(w, "password", "password may contain only digits, * and #")
		return
	case !scopeOK(w, q):
		return
	}
	for _, name := range []string{"moderation", "invite", "open"} {
		if _, ok := boolParam(q, name); !ok {
			badParameter(w, name, name+" must be true or false")
			return
		}
	}
	start, ok := timeParam(w, q, "startTime")
	if !ok {
		return
	}
	duration, ok := intParam(w, q, "duration", defaultDuration, 1, math.MaxInt)
	if !ok {
		return
	}
	if _, ok := intParam(w, q, "reminder", 0, 1, 60); !ok {
		return
	}
	if _, ok := intParam(w, q, "templateId", 0, 1, math.MaxInt); !ok {
		return
	}
	now := s.now()
	if start.IsZero() {
		start = now
	}
	c := &conference{
		Name:           q.Get("name"),
		Created:        stamp(now),
		Modified:       stamp(now),
		StartTime:      stamp(start),
		EndTime:        stamp(start.Add(time.Duration(duration) * time.Minute)),
		Status:         "scheduled",
		ShortURL:       shortURL(),
		SIPPhoneNumber: sipPhoneNumber,
		SIPDTMFCode:    randomDigits(6),
		Organizer:      agentParty,
		CreatedBy:      apiParty,
		ServiceKey:     conferenceServiceKey,
		Moderator:      s.moderator(q.Get("moderator")),
	}
	room := hex.EncodeToString(randomBytes(16))
	c.RoomName = meetingRoomPrefix + ":" + room
	c.URL = "https://meet.apizee.com/private/" + meetingRoomPrefix + "/" + room
	s.mu.Lock()
	c.ID = s.newID(conferenceIDs)
	if c.Name == "" {
		c.Name = fmt.Sprintf("Conference %d", c.ID)
	}
	s.conferences = append(s.conferences, c)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, s.withScope(q, c))
}

// moderator is the party the moderator parameter (a user id or login)
// names; the API user when empty.
func (s *Server) moderator(idOrLogin string) party {
	switch idOrLogin {
	case "", s.cfg.username, strconv.FormatInt(agentParty.ID, 10):
		return agentParty
	case strconv.FormatInt(doctorParty.ID, 10):
		return doctorParty
	}
	// Another user of the enterprise: a stable id for the same login.
	h := fnv.New32a()
	_, _ = h.Write([]byte(idOrLogin))
	return party{ID: 3000 + int64(h.Sum32()%1000000), Name: idOrLogin}
}

// listConferences serves GET /conferences: search (in the name, any case),
// since and until (on created), orderby, order, limit, offset.
func (s *Server) listConferences(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	lq, ok := parseListQuery(w, q, true, "date", "id", "name")
	if !ok {
		return
	}
	search := strings.ToLower(q.Get("search"))
	var found []*conference
	s.mu.Lock()
	for _, c := range s.conferences {
		if strings.Contains(strings.ToLower(c.Name), search) && lq.inPeriod(time.Time(c.Created)) {
			found = append(found, c)
		}
	}
	s.mu.Unlock()
	var compare func(a, b *conference) int
	switch lq.orderBy {
	case "id":
		compare = func(a, b *conference) int { return cmp.Compare(a.ID, b.ID) }
	case "name":
		compare = func(a, b *conference) int { return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID)) }
	default:
		compare = func(a, b *conference) int {
			return byDate(time.Time(a.Created), a.ID, time.Time(b.Created), b.ID)
		}
	}
	writeJSON(w, http.StatusOK, listAnswer[*conference]{Total: len(found), Data: sortAndPage(found, lq, compare)})
}

// getConference serves GET /conferences/{id}.
func (s *Server) getConference(w http.ResponseWriter, r *http.Request) {
	if q := r.URL.Query(); scopeOK(w, q) {
		if c, ok := s.pathConference(w, r); ok {
			writeJSON(w, http.StatusOK, s.withScope(q, c))
		}
	}
}

// pathConference returns the conference the {id} of the path names, or
// answers 404.
func (s *Server) pathConference(w http.ResponseWriter, r *http.Request) (*conference, bool) {
	id, ok := pathID(w, r, "id", "Conference")
	if !ok {
		return nil, false
	}
	if c := s.conference(id); c != nil {
		return c, true
	}
	notFound(w, fmt.Sprintf("Conference %d not found", id))
	return nil, false
}

// conference returns the conference with id, or nil.
func (s *Server) conference(id int64) *conference {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.conferences {
		if c.ID == id {
			return c
		}
	}
	return nil
}

// ConferenceCount returns how many conferences the server holds.
func (s *Server) ConferenceCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conferences)
}
