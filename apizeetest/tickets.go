package apizeetest

import (
	"cmp"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// ticket is a Video Assistance ticket as the API writes it in the answer of
// a create (and of GET /tickets/{id}). A list answer writes less: see
// listedTicket.
type ticket struct {
	ID                 int64     `json:"id"`
	State              string    `json:"state"`
	Reference          string    `json:"reference"`
	Created            stamp     `json:"created"`
	Modified           stamp     `json:"modified"`
	StartTime          stamp     `json:"start_time"`
	EndTime            stamp     `json:"end_time"`
	Subject            *string   `json:"subject"`
	Type               string    `json:"type"`
	Description        *string   `json:"description"`
	Agent              string    `json:"agent"`
	RequestorURL       string    `json:"requestor_url"`
	Requestor          requestor `json:"requestor"`
	InformationPageURL string    `json:"information_page_url"`
	Geoloc             *geoloc   `json:"geoloc,omitempty"`
	ServiceKey         string    `json:"service_key"`
	AgentURL           string    `json:"agent_url,omitempty"`
	SSOURL             string    `json:"sso_url,omitempty"`
	Status             string    `json:"status,omitempty"`
	Name               *string   `json:"name"`
	ButtonID           int64     `json:"button_id,omitempty"`

	// For the statistics: the customer's contacts, and whether they were
	// invited.
	phones, emails []string
	invited        bool
}

// requestor is the assisted customer: a phone or email is a string, or a
// list when the ticket was created with several.
type requestor struct {
	Phone any `json:"phone,omitempty"`
	Email any `json:"email,omitempty"`
}

// buttonID is the account's Video Assistance entry point (the guide's).
const buttonID = 223

// ssoLifetime is how long an sso_url's token lasts, as in the guide.
const ssoLifetime = 5 * time.Minute

// ticketDuration is the planned length of a new ticket's session.
const ticketDuration = 30 * time.Minute

// phonePattern is an international phone number: + and 8 to 15 digits.
var phonePattern = regexp.MustCompile(`^\+[0-9]{8,15}$`)

// createTicket serves POST /tickets, parameters in the query string as in
// the guide.
func (s *Server) createTicket(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	agent := strings.TrimSpace(q.Get("agent"))
	emails, phones := splitList(q.Get("email")), splitList(q.Get("phone"))
	invite, inviteOK := boolParam(q, "invite")
	switch {
	case agent == "":
		badParameter(w, "agent", "agent is required: the login of the agent who handles the ticket")
		return
	case len(emails) == 0 && len(phones) == 0:
		badParameter(w, "email", "email or phone is required")
		return
	case !all(phones, phonePattern.MatchString):
		badParameter(w, "phone", "phone must be in international format: + and 8 to 15 digits")
		return
	case !all(emails, validEmail):
		badParameter(w, "email", "email must be an email address")
		return
	case !inviteOK:
		badParameter(w, "invite", "invite must be 1 or 0")
		return
	case q.Get("scope") != "" && q.Get("scope") != "sso":
		badParameter(w, "scope", "scope must be sso")
		return
	case q.Has("name") && !nameLengthOK(q.Get("name")):
		badParameter(w, "name", "name must be between 2 and 255 characters")
		return
	}
	now := s.now()
	t := &ticket{
		State:              "new",
		Reference:          q.Get("reference"),
		Created:            stamp(now),
		Modified:           stamp(now),
		StartTime:          stamp(now),
		EndTime:            stamp(now.Add(ticketDuration)),
		Subject:            optional(q.Get("subject")),
		Type:               q.Get("type"),
		Description:        optional(q.Get("description")),
		Agent:              agent,
		RequestorURL:       requestorURL(),
		Requestor:          requestor{Phone: oneOrList(phones), Email: oneOrList(emails)},
		InformationPageURL: shortURL(),
		ServiceKey:         ticketServiceKey,
		AgentURL:           s.root,
		Name:               optional(q.Get("name")),
		ButtonID:           buttonID,
		phones:             phones,
		emails:             emails,
		invited:            invite,
	}
	if invite {
		t.State = "invited"
	}
	t.Status = t.State
	if q.Get("scope") == "sso" {
		t.SSOURL = s.root + "?access_token=" + fakeJWT(agent, now, ssoLifetime)
	}
	s.addTicket(t)
	writeJSON(w, http.StatusOK, t)
}

// addTicket stores t with a new id.
func (s *Server) addTicket(t *ticket) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t.ID = s.newID(ticketIDs)
	s.tickets = append(s.tickets, t)
	s.emitTicket("create", t)
}

// listedTicket is a ticket as the guide's list example (GET /tickets)
// writes it: no agent_url, sso_url, status, name or button_id, so that code
// that needs them (AgentTicketURL) fails here as it would against Apizee.
// Its own fields hide the ticket's of the same JSON names (encoding/json
// takes the shallower field), and are always empty, so omitted.
type listedTicket struct {
	ticket
	AgentURL string `json:"agent_url,omitempty"`
	SSOURL   string `json:"sso_url,omitempty"`
	Status   string `json:"status,omitempty"`
	Name     string `json:"name,omitempty"`
	ButtonID int64  `json:"button_id,omitempty"`
}

// listed is t as a list answer writes it: a copy, taken under the server's
// lock, that is encoded after it.
func (t *ticket) listed() listedTicket { return listedTicket{ticket: *t} }

// listTickets serves GET /tickets: reference (exact), since and until (on
// created), orderby, order, limit, offset. Items are written as the guide's
// list example writes them (see listedTicket).
func (s *Server) listTickets(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	lq, ok := parseListQuery(w, q, true, "date", "id")
	if !ok {
		return
	}
	ref := q.Get("reference")
	var found []*ticket
	s.mu.Lock()
	for _, t := range s.tickets {
		if (ref == "" || t.Reference == ref) && lq.inPeriod(time.Time(t.Created)) {
			found = append(found, t)
		}
	}
	s.mu.Unlock()
	compare := func(a, b *ticket) int {
		return byDate(time.Time(a.Created), a.ID, time.Time(b.Created), b.ID)
	}
	if lq.orderBy == "id" {
		compare = func(a, b *ticket) int { return cmp.Compare(a.ID, b.ID) }
	}
	page := sortAndPage(found, lq, compare)
	items := make([]listedTicket, len(page))
	for i, t := range page {
		items[i] = t.listed()
	}
	writeJSON(w, http.StatusOK, listAnswer[listedTicket]{Total: len(found), Data: items})
}

// getTicket serves GET /tickets/{id}. The guide shows no answer to it; the
// fake writes the create's, but for sso_url: only a create with scope=sso
// returns that link, whose token lasts minutes.
func (s *Server) getTicket(w http.ResponseWriter, r *http.Request) {
	t, ok := s.pathTicket(w, r)
	if ok {
		one := *t
		one.SSOURL = ""
		writeJSON(w, http.StatusOK, &one)
	}
}

// pathTicket returns the ticket the {id} of the path names, or answers 404.
func (s *Server) pathTicket(w http.ResponseWriter, r *http.Request) (*ticket, bool) {
	id, ok := pathID(w, r, "id", "Ticket")
	if !ok {
		return nil, false
	}
	if t := s.ticket(id); t != nil {
		return t, true
	}
	notFound(w, fmt.Sprintf("Ticket %d not found", id))
	return nil, false
}

// ticket returns the ticket with id, or nil.
func (s *Server) ticket(id int64) *ticket {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.tickets {
		if t.ID == id {
			return t
		}
	}
	return nil
}

// TicketsWithReference returns how many stored tickets carry exactly ref.
func (s *Server) TicketsWithReference(ref string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, t := range s.tickets {
		if t.Reference == ref {
			n++
		}
	}
	return n
}

// TicketCount returns how many tickets the server holds.
func (s *Server) TicketCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.tickets)
}

// AddTickets stores n more tickets with reference (agent DefaultUsername,
// a phone, created now) and returns their ids, for paging tests and
// benchmarks.
func (s *Server) AddTickets(n int, reference string) []int64 {
	ids := make([]int64, 0, n)
	now := s.now()
	for range n {
		t := &ticket{
			State:              "new",
			Status:             "new",
			Reference:          reference,
			Created:            stamp(now),
			Modified:           stamp(now),
			StartTime:          stamp(now),
			EndTime:            stamp(now.Add(ticketDuration)),
			Agent:              DefaultUsername,
			RequestorURL:       requestorURL(),
			Requestor:          requestor{Phone: "+33612345678"},
			phones:             []string{"+33612345678"},
			InformationPageURL: shortURL(),
			ServiceKey:         ticketServiceKey,
			AgentURL:           s.root,
			ButtonID:           buttonID,
		}
		s.addTicket(t)
		ids = append(ids, t.ID)
	}
	return ids
}

// splitList splits a comma-separated parameter, dropping empty items.
func splitList(raw string) []string {
	var out []string
	for item := range strings.SplitSeq(raw, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// oneOrList is how the API writes a requestor's phones or emails: a string
// for one, a list for several, nothing for none.
func oneOrList(items []string) any {
	switch len(items) {
	case 0:
		return nil
	case 1:
		return items[0]
	}
	return items
}

// all reports whether ok holds for every item.
func all(items []string, ok func(string) bool) bool {
	for _, item := range items {
		if !ok(item) {
			return false
		}
	}
	return true
}

// validEmail is the API's check: something on each side of one @.
func validEmail(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	return ok && local != "" && domain != "" && !strings.Contains(domain, "@")
}

// nameLengthOK reports whether a name has 2 to 255 characters.
func nameLengthOK(name string) bool {
	n := utf8.RuneCountInString(name)
	return n >= 2 && n <= 255
}

// boolParam reads a boolean parameter (1, 0, true, false); absent is false.
func boolParam(q url.Values, name string) (value, ok bool) {
	switch strings.ToLower(q.Get(name)) {
	case "", "0", "false":
		return false, true
	case "1", "true":
		return true, true
	}
	return false, false
}

// optional is nil for "", as the API writes null for an unset text.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// requestorURL is a new customer link: a conversation id and its password.
func requestorURL() string {
	b := hex.EncodeToString(randomBytes(14))
	convID := b[:8] + "-" + b[8:12] + "-" + b[12:16] + "-" + b[16:20] + "-" + b[20:28]
	return "https://diag.apizee.com?convId=" + convID + "&pwd=" + randomDigits(6)
}

// shortURL is a new apz.fr short link.
func shortURL() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := randomBytes(10)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return "https://apz.fr/" + string(b)
}

// randomDigits returns n random decimal digits.
func randomDigits(n int) string {
	b := randomBytes(n)
	for i := range b {
		b[i] = '0' + b[i]%10
	}
	return string(b)
}
