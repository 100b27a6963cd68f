package apizee

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/apizee-go/apizee/internal/redact"
	"github.com/apizee-go/apizee/internal/retry"
)

// TicketsService creates and finds Video Assistance tickets: 1-1 rooms
// between a support agent and a customer, who is invited by SMS or email.
type TicketsService service

// TicketState is the state of a ticket. The API's set of states is open:
// a value without a constant below decodes as is.
type TicketState string

// Ticket states seen in the API's answers.
const (
	TicketNew        TicketState = "new"
	TicketOpen       TicketState = "open"
	TicketOpened     TicketState = "opened"
	TicketInvited    TicketState = "invited"
	TicketInProgress TicketState = "inprogress"
	TicketUpdated    TicketState = "updated"
	TicketDone       TicketState = "done"
	TicketClosed     TicketState = "closed"
	TicketRejected   TicketState = "rejected"
	TicketDeclined   TicketState = "declined"
	TicketExpired    TicketState = "expired"
	TicketCancelled  TicketState = "cancelled"
)

// Requestor is the customer a ticket invites. The API sends each contact as
// a string or a list; both decode into a list.
type Requestor struct {
	Phones []string
	Emails []string
}

// UnmarshalJSON accepts "phone" and "email" as strings, lists or null, and
// [] (PHP's empty object) as no contact.
func (r *Requestor) UnmarshalJSON(b []byte) error {
	if isEmptyArray(b) {
		*r = Requestor{}
		return nil
	}
	var wire requestorWire
	if err := json.Unmarshal(b, &wire); err != nil {
		return err
	}
	*r = Requestor{Phones: wire.Phone, Emails: wire.Email}
	return nil
}

// MarshalJSON writes {"phone":[...],"email":[...]}, the form
// UnmarshalJSON reads, so that a marshalled ticket decodes back whole.
func (r Requestor) MarshalJSON() ([]byte, error) {
	return json.Marshal(requestorJSON{Phone: r.Phones, Email: r.Emails})
}

// requestorJSON is a Requestor as MarshalJSON writes it.
type requestorJSON struct {
	Phone []string `json:"phone"`
	Email []string `json:"email"`
}

// requestorWire is a Requestor as the API sends it; ticketWire holds it
// rather than a *Requestor to spare a nested decoder per ticket, and as a
// value to spare an allocation (an absent or null requestor leaves it zero).
type requestorWire struct {
	Phone flexList `json:"phone"`
	Email flexList `json:"email"`
}

// Ticket is a Video Assistance ticket. RequestorURL (it carries the
// conversation password) and SSOURL (it carries an access token) are
// secrets: a Ticket prints, logs and marshals to JSON with both masked
// (String, GoString, LogValue and MarshalJSON), so that a ticket reaches no
// log or JSON answer with its links, alone or inside a slice, a map or a
// Page. The fields hold the real values for the caller to hand on; to store
// or send a ticket with its links, marshal UnmaskedTicket(t). Times are in
// UTC; a time the API did not send is zero.
type Ticket struct {
	ID          int64
	State       TicketState
	Reference   string // the caller's business id; the API sends it as a string or a number
	Created     time.Time
	Modified    time.Time
	StartTime   time.Time
	EndTime     time.Time
	Subject     string
	Type        string
	Description string // may hold HTML
	Agent       string // the agent's login
	// Status is the API's "status", sent beside "state" in the answers about
	// one ticket (Create, Get) and absent from list answers; in the API's
	// guide it repeats the state. State is the field to use: Status is kept
	// as sent, for a deployment where the two differ.
	Status             string
	Name               string // the customer's name
	RequestorURL       string // where the customer joins: a secret
	Requestor          Requestor
	InformationPageURL string
	ServiceKey         string
	AgentURL           string    // the agent portal; see AgentTicketURL; not in list answers
	SSOURL             string    // the agent's single-sign-on link, only in Create's answer with CreateTicketParams.SSO: a secret
	ButtonID           int64     // not in list answers
	Geoloc             *GeoPoint // "geoloc", in list answers
}

// ticketWire is Ticket as the API sends it, decoded by the one-pass scan
// (ticketWire.scan) or, when that does not read a ticket, by encoding/json.
type ticketWire struct {
	ID                 flexInt64     `json:"id"`
	State              flexString    `json:"state"`
	Reference          flexString    `json:"reference"`
	Created            flexTime      `json:"created"`
	Modified           flexTime      `json:"modified"`
	StartTime          flexTime      `json:"start_time"`
	EndTime            flexTime      `json:"end_time"`
	Subject            flexString    `json:"subject"`
	Type               flexString    `json:"type"`
	Description        flexString    `json:"description"`
	Agent              flexString    `json:"agent"`
	Status             flexString    `json:"status"`
	Name               flexString    `json:"name"`
	RequestorURL       flexString    `json:"requestor_url"`
	Requestor          requestorWire `json:"requestor"`
	InformationPageURL flexString    `json:"information_page_url"`
	ServiceKey         flexString    `json:"service_key"`
	AgentURL           flexString    `json:"agent_url"`
	SSOURL             flexString    `json:"sso_url"`
	ButtonID           flexInt64     `json:"button_id"`
	Geoloc             *geoWire      `json:"geoloc"`
}

// UnmarshalJSON decodes a ticket leniently (see the types in types.go) but
// refuses an object without an id: that is not a ticket, and a zero-valued
// one would hide the server's mistake.
func (t *Ticket) UnmarshalJSON(b []byte) error {
	b = withEmptyObjects(b)
	var w ticketWire
	if read, err := scanDocument(b, defaultBounds, w.scan); !read {
		if err == nil || !json.Valid(b) {
			w = ticketWire{}
			err = json.Unmarshal(b, &w)
		}
		if err != nil {
			return err
		}
	}
	if err := w.check(); err != nil {
		return err
	}
	*t = w.ticket()
	return nil
}

// scanDocument decodes a ticket in one pass (see scanner), as
// UnmarshalJSON does.
func (t *Ticket) scanDocument(body []byte, b answerBounds) (bool, error) {
	var w ticketWire
	if read, err := scanDocument(body, b, w.scan); !read {
		return false, err
	}
	if err := w.check(); err != nil {
		return false, err
	}
	*t = w.ticket()
	return true, nil
}

// scan decodes the ticket at s into the zero Ticket, as UnmarshalJSON does.
func (t *Ticket) scan(s *scanner) bool {
	var w ticketWire
	if !w.scan(s) || !s.accepted(w.check()) {
		return false
	}
	*t = w.ticket()
	return true
}

// scan decodes the ticket at s as encoding/json decodes it.
func (w *ticketWire) scan(s *scanner) bool {
	return s.wireObject(ticketWireType, "", func(key []byte) bool { return w.member(s, key) })
}

// member reads the value of key.
func (w *ticketWire) member(s *scanner, key []byte) bool {
	switch string(key) {
	case "id":
		return s.flexInt64(&w.ID)
	case "state":
		return s.flexString(&w.State)
	case "reference":
		return s.flexString(&w.Reference)
	case "created":
		return s.flexTime(&w.Created)
	case "modified":
		return s.flexTime(&w.Modified)
	case "start_time":
		return s.flexTime(&w.StartTime)
	case "end_time":
		return s.flexTime(&w.EndTime)
	case "subject":
		return s.flexString(&w.Subject)
	case "type":
		return s.flexString(&w.Type)
	case "description":
		return s.flexString(&w.Description)
	case "agent":
		return s.flexString(&w.Agent)
	case "status":
		return s.flexString(&w.Status)
	case "name":
		return s.flexString(&w.Name)
	case "requestor_url":
		return s.flexString(&w.RequestorURL)
	case "requestor":
		return w.Requestor.scan(s, "requestor")
	case "information_page_url":
		return s.flexString(&w.InformationPageURL)
	case "service_key":
		return s.flexString(&w.ServiceKey)
	case "agent_url":
		return s.flexString(&w.AgentURL)
	case "sso_url":
		return s.flexString(&w.SSOURL)
	case "button_id":
		return s.flexInt64(&w.ButtonID)
	case "geoloc":
		if s.null() {
			w.Geoloc = nil
			return true
		}
		if w.Geoloc == nil {
			w.Geoloc = new(geoWire)
		}
		// Into the wire struct, as encoding/json decodes it: a position
		// written twice merges.
		return s.wireObject(geoWireType, "geoloc", func(key []byte) bool { return w.Geoloc.member(s, key) })
	}
	if name := folded(key, ticketKeys); name != nil {
		return w.member(s, name)
	}
	return s.skip()
}

var (
	ticketKeys     = jsonKeys[ticketWire]()
	ticketWireType = reflect.TypeFor[ticketWire]()
)

// scan decodes the requestor at field as encoding/json decodes it.
func (r *requestorWire) scan(s *scanner, field string) bool {
	return s.wireObject(requestorWireType, field, func(key []byte) bool { return r.member(s, key) })
}

// member reads the value of key.
func (r *requestorWire) member(s *scanner, key []byte) bool {
	switch string(key) {
	case "phone":
		return s.flexList(&r.Phone)
	case "email":
		return s.flexList(&r.Email)
	}
	if name := folded(key, requestorKeys); name != nil {
		return r.member(s, name)
	}
	return s.skip()
}

var (
	requestorKeys     = jsonKeys[requestorWire]()
	requestorWireType = reflect.TypeFor[requestorWire]()
)

// check refuses an object without an id: that is not a ticket.
func (w *ticketWire) check() error {
	if w.ID <= 0 {
		return errors.New("apizee: the ticket has no id")
	}
	return nil
}

// ticket converts the wire form.
func (w *ticketWire) ticket() Ticket {
	t := Ticket{
		ID: int64(w.ID), State: TicketState(w.State), Reference: string(w.Reference),
		Created: time.Time(w.Created), Modified: time.Time(w.Modified), StartTime: time.Time(w.StartTime), EndTime: time.Time(w.EndTime),
		Subject: string(w.Subject), Type: string(w.Type), Description: string(w.Description),
		Agent: string(w.Agent), Status: string(w.Status), Name: string(w.Name),
		RequestorURL: string(w.RequestorURL), InformationPageURL: string(w.InformationPageURL),
		ServiceKey: string(w.ServiceKey), AgentURL: string(w.AgentURL), SSOURL: string(w.SSOURL),
		ButtonID: int64(w.ButtonID),
	}
	t.Requestor = Requestor{Phones: w.Requestor.Phone, Emails: w.Requestor.Email}
	if w.Geoloc != nil {
		p := w.Geoloc.point()
		t.Geoloc = &p
	}
	return t
}

// AgentTicketURL is the agent's deep link to this ticket:
// AgentURL + "/entrypoint/" + ButtonID + "/tickets/" + ID, e.g.
// https://cloud.apizee.com/entrypoint/223/tickets/82070. It is empty when
// the ticket has no AgentURL or ButtonID. A list answer (List, All,
// FindByReference) carries neither, nor SSOURL, Status or Name: keep the
// ticket Create returned, or fetch it with Tickets.Get, which answers with
// all of them but SSOURL (only the create's own answer has that link).
func (t *Ticket) AgentTicketURL() string {
	if t.AgentURL == "" || t.ButtonID <= 0 {
		return ""
	}
	return fmt.Sprintf("%s/entrypoint/%d/tickets/%d", strings.TrimRight(t.AgentURL, "/"), t.ButtonID, t.ID)
}

// String describes the ticket with RequestorURL and SSOURL masked. The
// receiver is a value so that tickets inside slices and pages print masked too.
func (t Ticket) String() string {
	// redact.String catches a secret link quoted where the API allows free
	// text (Description, Subject).
	return redact.String(fmt.Sprintf("apizee.Ticket{ID:%d, State:%q, Reference:%q, Created:%s, Modified:%s, StartTime:%s, EndTime:%s, "+
		"Subject:%q, Type:%q, Description:%q, Agent:%q, Status:%q, Name:%q, RequestorURL:%s, Requestor:%+v, "+
		"InformationPageURL:%q, ServiceKey:%q, AgentURL:%q, SSOURL:%s, ButtonID:%d, Geoloc:%s}",
		t.ID, t.State, t.Reference, timeString(t.Created), timeString(t.Modified), timeString(t.StartTime), timeString(t.EndTime),
		t.Subject, t.Type, t.Description, t.Agent, t.Status, t.Name, maskSecret(t.RequestorURL), t.Requestor,
		t.InformationPageURL, t.ServiceKey, t.AgentURL, maskSecret(t.SSOURL), t.ButtonID, geoString(t.Geoloc)))
}

// GoString is String: %#v must mask the secret URLs too.
func (t Ticket) GoString() string { return t.String() }

// Format prints String with every verb (see printMasked).
func (t Ticket) Format(f fmt.State, verb rune) { printMasked(f, verb, t.String()) }

// MarshalJSON writes the ticket as UnmaskedTicket does, with RequestorURL
// and SSOURL masked and the secret patterns of its free text too, like
// String. It masks rather than leaving JSON to the caller because slog's
// JSON handler marshals whatever it is given: a []Ticket, a
// map[string]Ticket or a Page's Items logged whole would otherwise write
// every customer's link, with nothing in the call to warn of it.
func (t Ticket) MarshalJSON() ([]byte, error) {
	u := UnmaskedTicket(t)
	if u.RequestorURL != "" {
		u.RequestorURL = redact.Mask
	}
	if u.SSOURL != "" {
		u.SSOURL = redact.Mask
	}
	b, err := json.Marshal(u)
	if err != nil {
		return nil, err
	}
	// The patterns stop at a quote, so the document stays valid JSON.
	return []byte(redact.String(string(b))), nil
}

// UnmaskedTicket is a Ticket that marshals to JSON with its secret links
// (RequestorURL, SSOURL), for storage or for code that hands them on under
// its own control: json.Marshal(apizee.UnmaskedTicket(t)). It decodes what
// it marshals back into the same ticket, and converts back with
// apizee.Ticket(u). It has none of Ticket's masking methods: fmt and slog
// show its links too, so keep it out of logs.
type UnmaskedTicket Ticket

// LogValue logs the ticket's identity and state, never its secret URLs.
func (t Ticket) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Int64("id", t.ID),
		slog.String("state", string(t.State)),
		slog.String("reference", t.Reference),
		slog.String("agent", t.Agent),
		slog.Time("created", t.Created),
		slog.Int64("button_id", t.ButtonID),
		slog.String("requestor_url", maskSecret(t.RequestorURL)),
		slog.String("sso_url", maskSecret(t.SSOURL)),
	)
}

// maskSecret shows whether a secret is set, never its value.
// printMasked is the Format of the types that print masked (Token, Ticket,
// Conference, CreateConferenceParams), given their String: fmt sends only
// %v, %s, %q, %x and %X to String and %#v to GoString, and for any other
// verb (%d, %t, %o...) prints the struct's fields, secrets included.
func printMasked(f fmt.State, verb rune, masked string) {
	switch {
	case verb == 'v' && f.Flag('#'):
		_, _ = io.WriteString(f, masked) // GoString is String
	case strings.ContainsRune("vsqxX", verb):
		fmt.Fprintf(f, fmt.FormatString(f, verb), masked)
	default:
		_, _ = io.WriteString(f, masked)
	}
}

func maskSecret(s string) string {
	if s == "" {
		return `""`
	}
	return redact.Mask
}

func timeString(t time.Time) string {
	if t.IsZero() {
		return "0"
	}
	return t.Format(time.RFC3339)
}

func geoString(p *GeoPoint) string {
	if p == nil {
		return "nil"
	}
	return fmt.Sprintf("{Lat:%g, Lng:%g}", p.Lat, p.Lng)
}

// CreateTicketParams is a ticket to create. Agent and one of Emails or Phones
// are required; the other fields are sent only when set.
type CreateTicketParams struct {
	Agent     string   // login of the agent who handles the request
	Email     []string // the customer's email addresses
	Phone     []string // the customer's phone numbers, international form: +33612345678
	Invite    bool     // send the invitation (SMS or email) now
	Reference string   // the caller's business id, searchable later; CreateOnce requires it; no control character, valid UTF-8
	SSO       bool     // scope=sso: the answer carries SSOURL, the agent's single-sign-on link
	// Name, Description, Subject, Type and Language are the recipient's name,
	// a description, the invitation email's subject, the ticket type and the
	// invitation template's language.
	Name, Description, Subject, Type, Language string
	// Extra is sent verbatim for parameters this SDK does not model yet. It
	// may name a modelled parameter (e.g. "scope") only when the field that
	// sets it is left zero: a key that a field sets is refused with a
	// *ValidationError, since silently preferring either would surprise.
	Extra url.Values
	// IdempotencyKey makes CreateOnce create at most one ticket for every
	// call with this key, from this client or any client on the same store
	// (WithStore), for IdempotencyKeyTTL. It is never sent to the API, and
	// Create refuses it. At most 255 bytes, no control character.
	IdempotencyKey string
}

// maxNameLen is the longest name the API accepts, in characters.
const maxNameLen = 255

// query validates p and returns the query string of POST /tickets.
func (p *CreateTicketParams) query() (url.Values, error) {
	if strings.TrimSpace(p.Agent) == "" {
		return nil, invalid("Agent", "is required: the login of the agent who handles the ticket")
	}
	if hasControl(p.Agent) {
		return nil, invalid("Agent", "contains a control character")
	}
	if len(p.Email) == 0 && len(p.Phone) == 0 {
		return nil, invalid("Email", "neither Email nor Phone is set: the customer needs one to be invited")
	}
	if err := checkContacts("Email", p.Email, isEmail, "is not an email address"); err != nil {
		return nil, err
	}
	if err := checkContacts("Phone", p.Phone, isInternationalPhone,
		"is not in international form: + then 8 to 15 digits, e.g. +33612345678"); err != nil {
		return nil, err
	}
	if n := utf8.RuneCountInString(p.Name); n > maxNameLen {
		return nil, invalid("Name", "is %d characters long, the API accepts at most %d", n, maxNameLen)
	}
	if err := checkExact("Reference", p.Reference); err != nil {
		return nil, err
	}

	q := url.Values{}
	q.Set("agent", p.Agent)
	set := func(name, value string) {
		if value != "" {
			q.Set(name, value)
		}
	}
	set("email", strings.Join(p.Email, ","))
	set("phone", strings.Join(p.Phone, ","))
	if p.Invite {
		q.Set("invite", "1") // the guide's value; "true" is not documented
	}
	set("reference", p.Reference)
	if p.SSO {
		q.Set("scope", "sso")
	}
	set("name", p.Name)
	set("description", p.Description)
	set("subject", p.Subject)
	set("type", p.Type)
	set("language", p.Language)
	if err := addExtra(q, p.Extra); err != nil {
		return nil, err
	}
	return q, nil
}

// checkContacts checks each item of an email or phone list. The wire list is
// one comma-separated string, so an item holding a comma would silently
// become two contacts: it is refused, like control characters.
func checkContacts(field string, items []string, valid func(string) bool, reason string) error {
	for i, item := range items {
		switch {
		case item == "":
			return invalid(field, "item %d is empty", i)
		case strings.Contains(item, ","):
			return invalid(field, "item %d contains a comma: give each contact as its own item", i)
		case hasControl(item):
			return invalid(field, "item %d contains a control character", i)
		case !valid(item):
			return invalid(field, "item %d %q %s", i, item, reason)
		}
	}
	return nil
}

// Create creates a ticket and, with Invite, invites the customer:
// POST /tickets with its parameters in the query string.
//
// Errors: *ValidationError before any request for bad params; *APIError for
// a refusal (400 with Apizee's code 10 names the parameter). A 5xx or a
// connection lost after the request was sent is returned as is and never
// retried, since the ticket may exist and the customer may have been
// invited: use CreateOnce to create exactly one ticket across such failures.
func (s *TicketsService) Create(ctx context.Context, p *CreateTicketParams, opts ...CallOption) (*Ticket, error) {
	p = orZero(p)
	q, err := p.query()
	if err != nil {
		return nil, err
	}
	if p.IdempotencyKey != "" {
		return nil, invalid("IdempotencyKey", "is honoured only by CreateOnce: Create would ignore it")
	}
	return s.create(ctx, q, opts)
}

func (s *TicketsService) create(ctx context.Context, q url.Values, opts []CallOption) (*Ticket, error) {
	var t Ticket
	if err := s.client.call(ctx, http.MethodPost, "/tickets", q, &t, opts...); err != nil {
		return nil, err
	}
	return &t, nil
}

// CreateOnce creates a ticket like Create (POST /tickets), and makes sure
// that a lost answer, a late commit or a retry never makes a second one. It
// needs a Reference.
//
// Without an IdempotencyKey it protects this one call. Before creating, it
// lists the tickets that already carry the reference (GET /tickets?reference=,
// every page) and notes their ids. After an ambiguous failure (a 5xx, a
// timeout or a lost connection after sending, a 2xx it could not read) it
// waits the retry policy's backoff, which gives a slow server time to
// commit, and lists them again right before creating again: a ticket that
// was not there before is the one this call created (the oldest, when there
// are several), and it is returned as GET /tickets/{id} answers it (the
// listed ticket when that fails): it then lacks SSOURL, which only the
// create's own answer carries. If there is none it creates again, at most
// RetryPolicy.MaxRetries more times. Two concurrent calls with the same
// reference may each return the other's ticket: give each its own
// reference, or a key.
//
// A listed ticket is this call's when its reference is p.Reference, or the
// same once trimmed of white space, or the same number (the server may echo
// "000123" as 123): an exact match is preferred. FindByReference matches
// exactly.
//
// With an IdempotencyKey it protects every call with that key for
// IdempotencyKeyTTL (24 hours): from this client, from every client on the
// same store (WithStore: other replicas, a restarted job), whether they run
// one after the other or at the same moment. The first call claims the key
// in the store and creates the ticket as above; the others wait for it and
// return the same ticket (a GET /tickets/{id}), with no second POST and no
// second invitation. A call that dies while creating holds the key for the
// claim TTL (WithIdempotencyClaimTTL, default 2 minutes); the next call then
// finds the ticket it created by its reference, or creates it; a claim held
// longer than any call holds one (RetryPolicy.MaxRetries+2 claim TTLs: a
// store that lost its expiry) ends the wait with an error. Without
// WithStore the key is kept in the client's memory; when the store fails
// the client does the same, and says so once in its log, unless the store
// had already shown the key held by another call or this call had sent its
// POST: the failure is then returned, since creating on this client alone
// could make a second ticket.
//
// Errors: *ValidationError before any request (a key reused with another
// Reference included); a non-ambiguous failure (a 4xx) is returned at once;
// when the listing itself fails after an ambiguous failure (an unreadable
// answer is listed again, at most RetryPolicy.MaxRetries more times), the
// error wraps both: the ticket may then exist. When ctx ends after a POST was
// sent, the error says the ticket may exist and matches ctx's error
// (errors.Is(err, context.DeadlineExceeded)).
func (s *TicketsService) CreateOnce(ctx context.Context, p *CreateTicketParams, opts ...CallOption) (*Ticket, error) {
	p = orZero(p)
	q, err := p.query()
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(p.Reference) == "" {
		return nil, invalid("Reference", "is required: CreateOnce finds a ticket it may have created by its reference")
	}
	if err := checkIdempotencyKey(p.IdempotencyKey); err != nil {
		return nil, err
	}
	return createOnce(ctx, s.client, p.IdempotencyKey, &onceTarget[Ticket]{
		kind: "ticket", by: "reference", match: p.Reference, finder: "FindByReference",
		create: func(ctx context.Context) (*Ticket, error) { return s.create(ctx, q, opts) },
		list: func(ctx context.Context) ([]Ticket, error) {
			return s.withReference(ctx, p.Reference, sameReference, opts)
		},
		get:  func(ctx context.Context, id int64) (*Ticket, error) { return s.Get(ctx, id, opts...) },
		id:   func(t *Ticket) int64 { return t.ID },
		rank: func(t *Ticket) int { return referenceMatch(t.Reference, p.Reference) },
		// A list answer lacks agent_url and button_id (AgentTicketURL): the
		// ticket's own answer has them.
		refetch: true,
	})
}

// ambiguous reports whether a failed create may have created the ticket: the
// server failed (5xx), the answer was lost or cut after the request was sent
// (a per-attempt timeout included), or a 2xx answer could not be decoded. A
// refusal (4xx), bad input, a request the SDK itself stopped (rate limiter,
// redirects), a token fetch that failed (the POST was never sent) and the
// caller's own context ending are not.
func ambiguous(ctx context.Context, err error) bool {
	if ctx.Err() != nil || !mayHaveSent(err) {
		return false
	}
	var apiErr *APIError
	var reqErr *RequestError
	var decErr *DecodeError
	switch {
	case errors.As(err, &apiErr):
		return apiErr.StatusCode >= 500
	case errors.As(err, &reqErr):
		return true
	case errors.As(err, &decErr):
		return true
	}
	return false
}

// mayHaveSent reports whether the request that failed with err may have
// reached the server: not when the token fetch failed (the POST was never
// sent) or when the SDK itself stopped it (the rate limiter, a redirect it
// refused).
func mayHaveSent(err error) bool {
	var tokenErr *tokenError
	var stopped *retry.PermanentError
	return !errors.As(err, &tokenErr) && !errors.As(err, &stopped)
}

// How closely a listed ticket's reference matches the one CreateOnce sent.
const (
	noMatch = iota
	numericMatch
	trimmedMatch
	exactMatch
)

// referenceMatch says how closely got, a reference the server echoed,
// matches want, the one sent: exactly, once both are trimmed of white
// space, or as the same decimal number ("000123" and 123, "12.50" and 12.5).
func referenceMatch(got, want string) int {
	switch {
	case got == want:
		return exactMatch
	case strings.TrimSpace(got) == strings.TrimSpace(want):
		return trimmedMatch
	}
	g, gok := canonicalNumber(strings.TrimSpace(got))
	w, wok := canonicalNumber(strings.TrimSpace(want))
	if gok && wok && g == w {
		return numericMatch
	}
	return noMatch
}

// sameReference is the filter of CreateOnce's listings: any match.
func sameReference(got, want string) bool { return referenceMatch(got, want) != noMatch }

// exactReference is the filter of FindByReference.
func exactReference(got, want string) bool { return got == want }

// canonicalNumber writes a plain decimal number (an optional sign, digits,
// an optional fraction; no exponent, which a reference does not mean) in one
// form: no leading zeros, no trailing fractional zeros, no sign on zero.
func canonicalNumber(s string) (string, bool) {
	sign := ""
	if s != "" && (s[0] == '-' || s[0] == '+') {
		if s[0] == '-' {
			sign = "-"
		}
		s = s[1:]
	}
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || !allDigits(whole) || !allDigits(frac) {
		return "", false
	}
	whole = strings.TrimLeft(whole, "0")
	frac = strings.TrimRight(frac, "0")
	if whole == "" {
		whole = "0"
	}
	n := whole
	if frac != "" {
		n += "." + frac
	}
	if n == "0" {
		sign = ""
	}
	return sign + n, true
}

// allDigits reports whether s holds only ASCII digits ("" does).
func allDigits(s string) bool {
	return strings.Trim(s, "0123456789") == ""
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return contextErr(ctx)
	}
}

// Get returns one ticket: GET /tickets/{id}.
//
// Errors: *ValidationError for an id <= 0; *APIError with ErrNotFound for an
// unknown ticket.
func (s *TicketsService) Get(ctx context.Context, id int64, opts ...CallOption) (*Ticket, error) {
	if err := checkID("ID", id); err != nil {
		return nil, err
	}
	var t Ticket
	if err := s.client.call(ctx, http.MethodGet, idPath("/tickets/", id), nil, &t, opts...); err != nil {
		return nil, err
	}
	return &t, nil
}

// ListTicketsParams filters and pages a ticket list. Zero values are not sent.
type ListTicketsParams struct {
	Reference    string    // the API may match it loosely; FindByReference filters exactly
	Since, Until time.Time // on the creation time, sent as RFC 3339 in UTC
	OrderBy      string    // e.g. "date"
	Order        Order
	Limit        int // page size
	Offset       int
}

func (p *ListTicketsParams) query() (url.Values, error) {
	if err := checkPaging(p.Limit, p.Offset, p.Order); err != nil {
		return nil, err
	}
	if err := checkExact("Reference", p.Reference); err != nil {
		return nil, err
	}
	q := url.Values{}
	if err := setTimeRange(q, p.Since, p.Until); err != nil {
		return nil, err
	}
	if p.Reference != "" {
		q.Set("reference", p.Reference)
	}
	setOrder(q, p.OrderBy, p.Order)
	return q, nil
}

// List returns one page of tickets: GET /tickets.
//
// Errors: *ValidationError for a negative Limit or Offset, an unknown Order
// or Since after Until; *APIError for a refusal.
func (s *TicketsService) List(ctx context.Context, p *ListTicketsParams, opts ...CallOption) (*Page[Ticket], error) {
	p = orZero(p)
	q, err := p.query()
	if err != nil {
		return nil, err
	}
	return s.page(ctx, q, p.Offset, p.Limit, opts)
}

// All iterates over every ticket that matches p, from p.Offset on, fetching
// a page (GET /tickets, p.Limit or 100 tickets) only when the loop asks for
// it. An error is yielded once, with a nil ticket, and ends the walk;
// breaking out of the loop fetches nothing more.
func (s *TicketsService) All(ctx context.Context, p *ListTicketsParams, opts ...CallOption) iter.Seq2[*Ticket, error] {
	p = orZero(p)
	q, err := p.query()
	if err != nil {
		return failed[Ticket](err)
	}
	limit := allLimit(p.Limit)
	return paginate(ctx, p.Offset, func(t *Ticket) int64 { return t.ID }, func(ctx context.Context, offset int) (*Page[Ticket], error) {
		return s.page(ctx, cloneQuery(q), offset, limit, opts)
	})
}

// page fetches one page of GET /tickets.
func (s *TicketsService) page(ctx context.Context, q url.Values, offset, limit int, opts []CallOption) (*Page[Ticket], error) {
	return listPage[Ticket](ctx, s.client, "/tickets", q, offset, limit, opts...)
}

// FindByReference returns the newest ticket (by creation time, then id)
// whose reference is exactly reference: GET /tickets?reference=, every page,
// since the API's match may be loose and its order is not relied on.
//
// Errors: *ValidationError for an empty reference, or one with a control
// character or invalid UTF-8 (no ticket can carry it); an error matching
// ErrNotFound (errors.Is) when no ticket has it; the listing's errors.
func (s *TicketsService) FindByReference(ctx context.Context, reference string, opts ...CallOption) (*Ticket, error) {
	if strings.TrimSpace(reference) == "" {
		return nil, invalid("Reference", "is empty")
	}
	if err := checkExact("Reference", reference); err != nil {
		return nil, err
	}
	tickets, err := s.withReference(ctx, reference, exactReference, opts)
	if err != nil {
		return nil, err
	}
	if len(tickets) == 0 {
		return nil, errorf("apizee: no ticket with reference %q: %w", reference, ErrNotFound)
	}
	newest := slices.MaxFunc(tickets, func(a, b Ticket) int {
		return cmp.Or(a.Created.Compare(b.Created), cmp.Compare(a.ID, b.ID))
	})
	return &newest, nil
}

// withReference lists every ticket whose reference matches reference.
func (s *TicketsService) withReference(ctx context.Context, reference string, match func(got, want string) bool, opts []CallOption) ([]Ticket, error) {
	var out []Ticket
	for t, err := range s.All(ctx, &ListTicketsParams{Reference: reference, OrderBy: "date", Order: OrderDesc}, opts...) {
		if err != nil {
			return nil, err
		}
		if match(t.Reference, reference) {
			out = append(out, *t)
		}
	}
	return out, nil
}
