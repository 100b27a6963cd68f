package apizee

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"iter"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/apizee-go/apizee/internal/redact"
)

// ConferencesService manages Video Meeting rooms (conferences): multi-party
// rooms where an organizer or moderator has elevated rights and guests join
// by link, phone (SIP) or invitation. The account needs the Video Meeting
// service: without it creating a room fails with ErrForbidden.
type ConferencesService service

// CreateConferenceParams describes a meeting room to create. Zero values are
// not sent, except Invite, whose API default (true) differs from Go's zero.
// It prints with its Password masked.
type CreateConferenceParams struct {
	// Participants are the guests' emails and international phone numbers
	// (+ and 8 to 15 digits, e.g. +33612345678). Required.
	Participants []string
	Name         string // 2 to 255 characters; it is what FindByName looks for
	Moderation   bool   // guests wait until the moderator lets them in
	Invite       *bool  // send the invitations now; nil: the API default (true)
	Moderator    string // user id or login of the moderator
	Message      string // invitation message, at most 300 characters
	Password     string // digits, * and # only (it can be typed on a phone keypad)
	StartTime    time.Time
	Duration     time.Duration // whole minutes
	Reminder     time.Duration // whole minutes, 1 to 60: how long before StartTime guests are reminded
	Open         bool
	Language     string // invitation template language, e.g. "fr"
	TemplateID   int64
	SSO          bool // scope=sso: the answer carries SSOURL, the single-sign-on link of the API user (a secret)
	// Extra is sent verbatim, for parameters this SDK does not model. A key
	// that one of the fields above already sends is refused rather than
	// silently sent twice.
	Extra url.Values
	// IdempotencyKey makes CreateOnce create at most one room for every
	// call with this key, from this client or any client on the same store
	// (WithStore), for IdempotencyKeyTTL. It is never sent to the API, and
	// Create refuses it. At most 255 bytes, no control character.
	IdempotencyKey string
}

// String describes the params with the password masked.
func (p CreateConferenceParams) String() string {
	password, invite := "", "default"
	if p.Password != "" {
		password = redact.Mask
	}
	if p.Invite != nil {
		invite = strconv.FormatBool(*p.Invite)
	}
	return fmt.Sprintf("apizee.CreateConferenceParams{Participants:%q Name:%q Moderation:%t Invite:%s Moderator:%q Message:%q "+
		"Password:%q StartTime:%s Duration:%s Reminder:%s Open:%t Language:%q TemplateID:%d SSO:%t Extra:%v}",
		p.Participants, p.Name, p.Moderation, invite, p.Moderator, p.Message, password,
		p.StartTime.Format(time.RFC3339), p.Duration, p.Reminder, p.Open, p.Language, p.TemplateID, p.SSO, map[string][]string(p.Extra))
}

// GoString is String: %#v must not print the password either.
func (p CreateConferenceParams) GoString() string { return p.String() }

// Format prints String with every verb (see printMasked).
func (p CreateConferenceParams) Format(f fmt.State, verb rune) { printMasked(f, verb, p.String()) }

// LogValue logs the params with the password masked.
func (p CreateConferenceParams) LogValue() slog.Value { return slog.StringValue(p.String()) }

// ListConferencesParams filters a conference list. Zero values are not sent.
type ListConferencesParams struct {
	Search       string // part of the name (the API matches substrings)
	Since, Until time.Time
	OrderBy      string // e.g. "date"
	Order        Order
	Limit        int // page size
	Offset       int
}

// Conference is a Video Meeting room. Guests and agents join at URL (or the
// shorter ShortURL); see JoinURL and IframeHTML. The API never sends a
// room's password back; SSOURL, only there with scope=sso, carries an
// access token: a Conference prints and logs with it masked, but the field
// holds the real value for the caller to hand on, and json.Marshal writes
// it as it is (like Ticket's secret links).
type Conference struct {
	ID                 int64
	Name               string
	Created, Modified  time.Time
	StartTime, EndTime time.Time
	Status             string // "scheduled", "ongoing"... unknown values are kept
	RoomName           string
	URL                string
	ShortURL           string
	// SIPPhoneNumber and SIPDTMFCode let a guest join by phone: call the
	// number, then type the code.
	SIPPhoneNumber string
	SIPDTMFCode    string
	Organizer      *Party
	CreatedBy      *Party
	Moderator      *Party
	ServiceKey     string // the Video Meeting service's key, the filter of SessionsService.List
	SSOURL         string // the single-sign-on link of the API user, only with SSO: a secret
}

// String describes the conference with SSOURL masked. The receiver is a
// value so that conferences inside slices and pages print masked too.
func (c Conference) String() string {
	return redact.String(fmt.Sprintf("apizee.Conference{ID:%d, Name:%q, Created:%s, Modified:%s, StartTime:%s, EndTime:%s, Status:%q, "+
		"RoomName:%q, URL:%q, ShortURL:%q, SIPPhoneNumber:%q, SIPDTMFCode:%q, Organizer:%s, CreatedBy:%s, Moderator:%s, ServiceKey:%q, SSOURL:%s}",
		c.ID, c.Name, timeString(c.Created), timeString(c.Modified), timeString(c.StartTime), timeString(c.EndTime), c.Status,
		c.RoomName, c.URL, c.ShortURL, c.SIPPhoneNumber, c.SIPDTMFCode, partyString(c.Organizer), partyString(c.CreatedBy),
		partyString(c.Moderator), c.ServiceKey, maskSecret(c.SSOURL)))
}

// GoString is String: %#v must mask SSOURL too.
func (c Conference) GoString() string { return c.String() }

// Format prints String with every verb (see printMasked).
func (c Conference) Format(f fmt.State, verb rune) { printMasked(f, verb, c.String()) }

// LogValue logs the conference's identity and state, never its SSOURL.
func (c Conference) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Int64("id", c.ID),
		slog.String("name", c.Name),
		slog.String("status", c.Status),
		slog.Time("start_time", c.StartTime),
		slog.String("url", c.URL),
		slog.String("sso_url", maskSecret(c.SSOURL)),
	)
}

// MarshalJSON writes the conference as UnmaskedConference does, with SSOURL
// masked, for the reason Ticket.MarshalJSON gives: slog's JSON handler
// marshals a []Conference or a Page's Items whole.
func (c Conference) MarshalJSON() ([]byte, error) {
	u := UnmaskedConference(c)
	if u.SSOURL != "" {
		u.SSOURL = redact.Mask
	}
	return json.Marshal(u)
}

// UnmaskedConference is a Conference that marshals to JSON with its SSOURL,
// for storage: json.Marshal(apizee.UnmaskedConference(c)). It decodes what
// it marshals back into the same conference, and converts back with
// apizee.Conference(u). It has none of Conference's masking methods: keep it
// out of logs.
type UnmaskedConference Conference

func partyString(p *Party) string {
	if p == nil {
		return "nil"
	}
	return fmt.Sprintf("{ID:%d, Name:%q}", p.ID, p.Name)
}

// conferenceWire is Conference as the API sends it.
type conferenceWire struct {
	ID             flexInt64  `json:"id"`
	Name           flexString `json:"name"`
	Created        flexTime   `json:"created"`
	Modified       flexTime   `json:"modified"`
	StartTime      flexTime   `json:"start_time"`
	EndTime        flexTime   `json:"end_time"`
	Status         flexString `json:"status"`
	RoomName       flexString `json:"room_name"`
	URL            flexString `json:"url"`
	ShortURL       flexString `json:"short_url"`
	SIPPhoneNumber flexString `json:"sip_phone_number"`
	SIPDTMFCode    flexString `json:"sip_dtmf_code"`
	Organizer      *Party     `json:"organizer"`
	CreatedBy      *Party     `json:"created_by"`
	Moderator      *Party     `json:"moderator"`
	ServiceKey     flexString `json:"service_key"`
	SSOURL         flexString `json:"sso_url"`
}

// UnmarshalJSON decodes a conference leniently (times in UTC), but refuses
// an object without an id: a 200 carrying an error message, or anything else that is
// not a room, must not become a zero Conference.
func (c *Conference) UnmarshalJSON(b []byte) error {
	var w conferenceWire
	if err := json.Unmarshal(withEmptyObjects(b), &w); err != nil {
		return err
	}
	if w.ID <= 0 {
		return errors.New("apizee: the conference has no id")
	}
	*c = Conference{
		ID: int64(w.ID), Name: string(w.Name),
		Created: time.Time(w.Created), Modified: time.Time(w.Modified),
		StartTime: time.Time(w.StartTime), EndTime: time.Time(w.EndTime),
		Status: string(w.Status), RoomName: string(w.RoomName), URL: string(w.URL), ShortURL: string(w.ShortURL),
		SIPPhoneNumber: string(w.SIPPhoneNumber), SIPDTMFCode: string(w.SIPDTMFCode),
		Organizer: w.Organizer, CreatedBy: w.CreatedBy, Moderator: w.Moderator, ServiceKey: string(w.ServiceKey),
		SSOURL: string(w.SSOURL),
	}
	return nil
}

// Create creates a meeting room: POST /conferences, with the parameters in
// the query string like the vendor's guide. It is not retried once the
// request may have reached the server (a retry could create a second room
// and invite the guests twice).
//
// Errors: *ValidationError, before any request, for missing or malformed
// participants, a password with other characters than digits, * and #, a
// Name outside 2..255 characters or holding a control character or invalid
// UTF-8 (FindByName could not find it), a StartTime outside the years
// 1970..9999, a Message over 300, a Duration or Reminder
// that is not a whole number of minutes (Reminder: 1 to 60), a negative
// TemplateID, or an Extra key a field already sends. *APIError with
// ErrForbidden when the account lacks the Video Meeting service (its message
// then says so), code 10 when the API refuses a parameter.
func (s *ConferencesService) Create(ctx context.Context, p *CreateConferenceParams, opts ...CallOption) (*Conference, error) {
	p = orZero(p)
	q, err := createConferenceQuery(p)
	if err != nil {
		return nil, err
	}
	if p.IdempotencyKey != "" {
		return nil, invalid("IdempotencyKey", "is honoured only by CreateOnce: Create would ignore it")
	}
	return s.create(ctx, q, opts)
}

// create sends one POST /conferences.
func (s *ConferencesService) create(ctx context.Context, q url.Values, opts []CallOption) (*Conference, error) {
	var conf Conference
	if err := s.client.call(ctx, http.MethodPost, "/conferences", q, &conf, opts...); err != nil {
		var apiErr *APIError
		if errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusForbidden {
			// The API only says "user is not allowed to create conferences",
			// which reads like a permission problem of the user.
			apiErr.hint = "creating conferences needs the Video Meeting (conference) service enabled on the Apizee account: ask Apizee or the account administrator to enable it"
		}
		return nil, err
	}
	return &conf, nil
}

// Wire limits of POST /conferences.
const (
	conferenceNameMin     = 2
	conferenceNameMax     = 255
	conferenceMessageMax  = 300
	conferenceReminderMax = 60 * time.Minute
)

var conferencePassword = regexp.MustCompile(`^[0-9*#]+$`)

// createConferenceQuery validates p and encodes it as the guide's example
// does: booleans as true/false, the participants as one comma list.
func createConferenceQuery(p *CreateConferenceParams) (url.Values, error) {
	participants, err := checkParticipants(p.Participants)
	if err != nil {
		return nil, err
	}
	switch n := utf8.RuneCountInString(p.Name); {
	case p.Name != "" && n < conferenceNameMin:
		return nil, invalid("Name", "must have at least %d characters, got %d", conferenceNameMin, n)
	case n > conferenceNameMax:
		return nil, invalid("Name", "must have at most %d characters, got %d", conferenceNameMax, n)
	}
	if err := checkExact("Name", p.Name); err != nil {
		return nil, err
	}
	if n := utf8.RuneCountInString(p.Message); n > conferenceMessageMax {
		return nil, invalid("Message", "must have at most %d characters, got %d", conferenceMessageMax, n)
	}
	if p.Password != "" && !conferencePassword.MatchString(p.Password) {
		// Never quote the password itself.
		return nil, invalid("Password", "may hold only digits, * and #")
	}
	if y := p.StartTime.UTC().Year(); !p.StartTime.IsZero() && (y < 1970 || y > 9999) {
		return nil, invalid("StartTime", "year %d is out of range", y)
	}
	if p.Duration != 0 && (p.Duration < time.Minute || p.Duration%time.Minute != 0) {
		return nil, invalid("Duration", "must be a whole positive number of minutes, got %s", p.Duration)
	}
	if p.Reminder != 0 && (p.Reminder < time.Minute || p.Reminder > conferenceReminderMax || p.Reminder%time.Minute != 0) {
		return nil, invalid("Reminder", "must be a whole number of minutes from 1 to 60, got %s", p.Reminder)
	}
	if p.TemplateID < 0 {
		return nil, invalid("TemplateID", "must not be negative, got %d", p.TemplateID)
	}

	q := url.Values{"participants": {strings.Join(participants, ",")}}
	setIf := func(key, value string, set bool) {
		if set {
			q.Set(key, value)
		}
	}
	setIf("name", p.Name, p.Name != "")
	setIf("moderation", "true", p.Moderation)
	setIf("invite", strconv.FormatBool(p.Invite != nil && *p.Invite), p.Invite != nil)
	setIf("moderator", p.Moderator, p.Moderator != "")
	setIf("message", p.Message, p.Message != "")
	setIf("password", p.Password, p.Password != "")
	setIf("startTime", p.StartTime.UTC().Format("2006-01-02T15:04:05Z"), !p.StartTime.IsZero())
	setIf("duration", strconv.FormatInt(int64(p.Duration/time.Minute), 10), p.Duration != 0)
	setIf("reminder", strconv.FormatInt(int64(p.Reminder/time.Minute), 10), p.Reminder != 0)
	setIf("open", "true", p.Open)
	setIf("language", p.Language, p.Language != "")
	setIf("templateId", strconv.FormatInt(p.TemplateID, 10), p.TemplateID != 0)
	setIf("scope", "sso", p.SSO)
	if err := addExtra(q, p.Extra); err != nil {
		return nil, err
	}
	return q, nil
}

// nationalPhone is a number without its country prefix, like the guide's
// "0612345678".
var nationalPhone = regexp.MustCompile(`^0[0-9]{6,14}$`)

// checkParticipants returns the participants trimmed, or a *ValidationError
// naming the first that is neither an email nor an international phone.
//
// The guide's own example invites "0612345678", a French national number.
// The SDK refuses it: a national number only reaches the right phone if the
// server guesses the country, and a guess that is wrong sends the
// invitation SMS to a stranger. The error says how to write it instead.
func checkParticipants(list []string) ([]string, error) {
	if len(list) == 0 {
		return nil, invalid("Participants", "at least one email or phone number is required")
	}
	out := make([]string, len(list))
	for i, raw := range list {
		v := strings.TrimSpace(raw)
		switch {
		case v == "":
			return nil, invalid("Participants", "item %d is empty", i)
		case isInternationalPhone(v):
		case nationalPhone.MatchString(v):
			return nil, invalid("Participants", "item %d %q is a national phone number: write it in international form, with its country code (the French 0612345678 is +33612345678)", i, v)
		case strings.HasPrefix(v, "+"):
			return nil, invalid("Participants", "item %d %q is not a phone number in international form (+ and 8 to 15 digits, no spaces)", i, v)
		default:
			if !isEmail(v) {
				return nil, invalid("Participants", "item %d %q is neither an email address nor a phone number in international form (+ and 8 to 15 digits)", i, v)
			}
		}
		out[i] = v
	}
	return out, nil
}

// Get returns one conference: GET /conferences/{id}. Errors:
// *ValidationError for an id <= 0; *APIError with ErrNotFound for an unknown
// room, ErrForbidden for another account's.
func (s *ConferencesService) Get(ctx context.Context, id int64, opts ...CallOption) (*Conference, error) {
	return s.GetWith(ctx, id, nil, opts...)
}

// GetConferenceParams are the options of GetWith. Zero values are not sent.
type GetConferenceParams struct {
	SSO bool // scope=sso: the answer carries SSOURL (a secret)
}

// GetWith returns one conference like Get, with p's options:
// GET /conferences/{id}?scope=sso when p.SSO. A nil p is Get.
func (s *ConferencesService) GetWith(ctx context.Context, id int64, p *GetConferenceParams, opts ...CallOption) (*Conference, error) {
	if err := checkID("ID", id); err != nil {
		return nil, err
	}
	var q url.Values
	if orZero(p).SSO {
		q = url.Values{"scope": {"sso"}}
	}
	var conf Conference
	if err := s.client.call(ctx, http.MethodGet, conferencePath(id), q, &conf, opts...); err != nil {
		return nil, err
	}
	return &conf, nil
}

// Delete deletes a meeting room: DELETE /conferences/{id}. An answer with
// or without a body is success. DELETE is idempotent, so it is retried on
// connection errors and 5xx like a GET; when an attempt that may have been
// processed (its answer was a 5xx or was lost) is retried and the retry
// finds no room (404), the room is gone, which is what the call asked for:
// Delete returns nil (ResponseInto shows the 404 and the attempts). A 404
// on the first attempt is an error matching ErrNotFound: the id names no
// room.
//
// Errors: *ValidationError for an id <= 0; *APIError with ErrNotFound for
// an unknown room, ErrForbidden for another account's.
func (s *ConferencesService) Delete(ctx context.Context, id int64, opts ...CallOption) error {
	if err := checkID("ID", id); err != nil {
		return err
	}
	err := s.client.call(ctx, http.MethodDelete, conferencePath(id), nil, nil, opts...)
	var apiErr *APIError
	if errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusNotFound && apiErr.afterAmbiguous {
		return nil
	}
	return err
}

func conferencePath(id int64) string { return idPath("/conferences/", id) }

// List returns one page of conferences: GET /conferences with search,
// since and until (RFC 3339, UTC), orderby, order, limit and offset. Errors:
// *ValidationError for Since after Until, a negative Limit or Offset, or an
// unknown Order; *APIError from the API.
func (s *ConferencesService) List(ctx context.Context, p *ListConferencesParams, opts ...CallOption) (*Page[Conference], error) {
	p = orZero(p)
	q, err := listConferencesQuery(p)
	if err != nil {
		return nil, err
	}
	return listPage[Conference](ctx, s.client, "/conferences", q, p.Offset, p.Limit, opts...)
}

// All iterates over every conference that matches p, fetching pages of
// p.Limit (default 100) from p.Offset as the loop asks for them (see List).
// On an error it yields (nil, err) once and stops.
func (s *ConferencesService) All(ctx context.Context, p *ListConferencesParams, opts ...CallOption) iter.Seq2[*Conference, error] {
	p = orZero(p)
	q, err := listConferencesQuery(p)
	if err != nil {
		return failed[Conference](err)
	}
	limit := allLimit(p.Limit)
	return paginate(ctx, p.Offset, func(t *Conference) int64 { return t.ID }, func(ctx context.Context, offset int) (*Page[Conference], error) {
		return listPage[Conference](ctx, s.client, "/conferences", cloneQuery(q), offset, limit, opts...)
	})
}

func listConferencesQuery(p *ListConferencesParams) (url.Values, error) {
	if err := checkPaging(p.Limit, p.Offset, p.Order); err != nil {
		return nil, err
	}
	q := url.Values{}
	if err := setTimeRange(q, p.Since, p.Until); err != nil {
		return nil, err
	}
	if p.Search != "" {
		q.Set("search", p.Search)
	}
	setOrder(q, p.OrderBy, p.Order)
	return q, nil
}

// FindByName returns the newest conference (by Created, then by id) named
// exactly name, case included. It walks GET /conferences?search=name, since
// the API's search matches substrings ("TEST" finds "TEST XX"). Errors:
// *ValidationError for an empty name, or one with a control character or
// invalid UTF-8; an error matching ErrNotFound when no
// conference has that exact name; *APIError from the API.
func (s *ConferencesService) FindByName(ctx context.Context, name string, opts ...CallOption) (*Conference, error) {
	if strings.TrimSpace(name) == "" {
		return nil, invalid("Name", "is empty")
	}
	if err := checkExact("Name", name); err != nil {
		return nil, err
	}
	confs, err := s.named(ctx, name, opts)
	if err != nil {
		return nil, err
	}
	if len(confs) == 0 {
		return nil, errorf("apizee: no conference is named %q: %w", name, ErrNotFound)
	}
	newest := slices.MaxFunc(confs, func(a, b Conference) int {
		return cmp.Or(a.Created.Compare(b.Created), cmp.Compare(a.ID, b.ID))
	})
	return &newest, nil
}

// participantNameParam is the query parameter of the join URL that names the
// participant. The guide describes the parameter but not its name; "name" is
// the SDK's choice, and JoinURLWith sends another.
const participantNameParam = "name"

// JoinURL returns the room's URL with the participant's name added as the
// "name" query parameter, so that the participant skips the login card. The
// URL's own query is kept. An empty participantName returns the URL
// unchanged. If the deployment expects another parameter name, use
// JoinURLWith.
func (c *Conference) JoinURL(participantName string) string {
	return c.JoinURLWith(participantNameParam, participantName)
}

// JoinURLWith returns the room's URL with param=value added to its query
// (escaped, replacing any param already there, the rest of the query kept
// as is). An empty param or value returns the URL unchanged. The room's URL
// is URL, or ShortURL when the API gave no URL.
func (c *Conference) JoinURLWith(param, value string) string {
	raw := cmp.Or(c.URL, c.ShortURL)
	if param == "" || value == "" {
		return raw
	}
	u, err := url.Parse(raw)
	if err != nil || raw == "" {
		return raw
	}
	// Rebuild the query by hand rather than with url.Values: Encode would
	// sort and re-escape the URL's own parameters.
	kept := []string{}
	for part := range strings.SplitSeq(u.RawQuery, "&") {
		key, _, _ := strings.Cut(part, "=")
		if unescaped, err := url.QueryUnescape(key); part == "" || (err == nil && unescaped == param) {
			continue
		}
		kept = append(kept, part)
	}
	u.RawQuery = strings.Join(append(kept, url.QueryEscape(param)+"="+url.QueryEscape(value)), "&")
	return u.String()
}

// IframeHTML returns an <iframe> that embeds the room in a page, with the
// camera, microphone, location and screen-sharing permissions the room
// needs. The URL and title are HTML-escaped; a URL that is not http or
// https (say, javascript:) is replaced by about:blank. An empty title falls
// back to the room's name, then to "Video meeting": screen readers need one.
func (c *Conference) IframeHTML(title string) string {
	src := cmp.Or(c.URL, c.ShortURL)
	if u, err := url.Parse(src); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		src = "about:blank"
	}
	title = cmp.Or(title, c.Name, "Video meeting")
	return `<iframe src="` + html.EscapeString(src) + `" title="` + html.EscapeString(title) +
		`" allow="microphone;camera;geolocation;display-capture" allowfullscreen></iframe>`
}
