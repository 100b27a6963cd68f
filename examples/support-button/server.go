package main

import (
	"cmp"
	"context"
	_ "embed"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/apizee-go/apizee"
)

//go:embed page.html
var pageHTML string

var page = template.Must(template.New("page").Parse(pageHTML))

// apiTimeout bounds the Apizee calls one page request makes.
const apiTimeout = 30 * time.Second

// server is the support page: it starts assistance tickets and meetings on
// behalf of the agent using it.
type server struct {
	client *apizee.Client
	agent  string // the Apizee login tickets are assigned to
	log    *slog.Logger
}

// pageData fills page.html.
type pageData struct {
	Error                     string
	Contact, Reference        string
	Participants, MeetingName string
	Meeting                   *meetingView
}

// meetingView is a created meeting as the page shows it.
type meetingView struct {
	Name    string
	JoinURL string
	Iframe  template.HTML
}

// handler returns the routes. The POST routes send SMS and emails: they
// refuse cross-origin form posts from other sites (CSRF).
func (s *server) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.home)
	mux.HandleFunc("POST /assistance", s.startAssistance)
	mux.HandleFunc("POST /meeting", s.startMeeting)
	return http.NewCrossOriginProtection().Handler(mux)
}

func (s *server) home(w http.ResponseWriter, _ *http.Request) {
	s.render(w, http.StatusOK, &pageData{})
}

// startAssistance creates the ticket and sends the agent to it, signed in.
func (s *server) startAssistance(w http.ResponseWriter, r *http.Request) {
	data := &pageData{
		Contact:   strings.TrimSpace(r.PostFormValue("contact")),
		Reference: strings.TrimSpace(r.PostFormValue("reference")),
	}
	p := &apizee.CreateTicketParams{Agent: s.agent, Reference: data.Reference, SSO: true, Invite: true}
	if strings.Contains(data.Contact, "@") {
		p.Email = []string{data.Contact}
	} else {
		p.Phone = []string{strings.Join(strings.Fields(data.Contact), "")} // "+33 6 12 34 56 78" as typed
	}

	ctx, cancel := context.WithTimeout(r.Context(), apiTimeout)
	defer cancel()
	// CreateOnce: if the answer to the POST is lost, the customer still
	// gets one ticket and one SMS, not two.
	ticket, err := s.client.Tickets.CreateOnce(ctx, p)
	if err != nil {
		s.fail(w, data, "The assistance could not start", err)
		return
	}
	s.log.Info("assistance started", "ticket", ticket) // a Ticket logs without its secret links
	http.Redirect(w, r, agentLink(ticket), http.StatusSeeOther)
}

// agentLink is where the agent lands after creating a ticket: the ticket's
// deep link (AgentTicketURL, built from agent_url as the guide says), with
// the access token of the ticket's single-sign-on link added so that the
// agent arrives signed in. The token only goes to the host the API named in
// sso_url. Without an SSO link the agent gets the plain deep link and signs
// in on the portal; without a deep link, the SSO link (the portal's home).
func agentLink(t *apizee.Ticket) string {
	deep, err := url.Parse(t.AgentTicketURL())
	if err != nil || t.AgentTicketURL() == "" {
		return t.SSOURL
	}
	sso, err := url.Parse(t.SSOURL)
	if t.SSOURL == "" || err != nil || sso.Host != deep.Host {
		return deep.String()
	}
	q := deep.Query()
	for name, values := range sso.Query() {
		q[name] = values
	}
	deep.RawQuery = q.Encode()
	return deep.String()
}

// startMeeting creates a meeting room and shows it embedded in the page.
func (s *server) startMeeting(w http.ResponseWriter, r *http.Request) {
	data := &pageData{
		Participants: r.PostFormValue("participants"),
		MeetingName:  strings.TrimSpace(r.PostFormValue("name")),
	}
	p := &apizee.CreateConferenceParams{
		Participants: strings.FieldsFunc(data.Participants, func(c rune) bool { return c == ',' || c == ';' || c == '\n' || c == '\r' }),
		Name:         data.MeetingName,
	}
	for i := range p.Participants {
		p.Participants[i] = strings.TrimSpace(p.Participants[i])
	}

	ctx, cancel := context.WithTimeout(r.Context(), apiTimeout)
	defer cancel()
	conf, err := s.client.Conferences.Create(ctx, p)
	if err != nil {
		s.fail(w, data, "The meeting could not start", err)
		return
	}
	s.log.Info("meeting started", "conference", conf.ID)
	data.Meeting = &meetingView{
		Name:    cmp.Or(conf.Name, "Video meeting"),
		JoinURL: conf.JoinURL(s.agent),
		// IframeHTML escapes the URL and the title itself.
		Iframe: template.HTML(conf.IframeHTML(conf.Name)),
	}
	s.render(w, http.StatusOK, data)
}

// fail shows err on the page with a status that says whose fault it was:
// 400 for input the SDK refused, 403 when the account may not do it, 502
// when Apizee failed or could not be reached.
func (s *server) fail(w http.ResponseWriter, data *pageData, what string, err error) {
	status := http.StatusBadGateway
	var invalid *apizee.ValidationError
	switch {
	case errors.As(err, &invalid):
		status = http.StatusBadRequest
		data.Error = what + ": " + invalid.Field + " " + invalid.Reason + "."
	case errors.Is(err, apizee.ErrForbidden):
		status = http.StatusForbidden
		data.Error = what + ": your Apizee account is not allowed to do this."
	default:
		data.Error = what + ": Apizee did not accept it, please try again."
	}
	// SDK errors never carry secrets: they can be logged as they are.
	s.log.Warn(what, "error", err)
	s.render(w, status, data)
}

func (s *server) render(w http.ResponseWriter, status int, data *pageData) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := page.Execute(w, data); err != nil {
		s.log.Error("rendering the page", "error", err)
	}
}
