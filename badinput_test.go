package apizee_test

// The bad-input corpus: hostile or malformed values for every parameter of
// every method and option. Each row says what must happen: the SDK refuses
// the value with a *ValidationError naming a field and sends nothing, or the
// value reaches the server escaped, byte for byte, in one parameter, with no
// parameter added; a value too long for any URL is sent and refused by the
// server. Nothing panics.

import (
	"context"
	"errors"
	"io"
	"math"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee"
	"github.com/apizee-go/apizee/apizeetest"
)

// badCall makes one call with a hostile input, on c or on a client of its own.
type badCall = func(ctx context.Context, c *apizee.Client, srv *apizeetest.Server) error

// badInput is one hostile input and its expected outcome.
type badInput struct {
	name string
	call badCall
	// refused: the Field of the *ValidationError; no request is sent.
	field string
	// sent: the one request that carries the input, and exactly what it
	// carries in its query, form or header.
	method, path string
	query        url.Values
	form         url.Values
	header       [2]string
	// tooLong: sent, and refused by the server before any handler (a URL
	// over its 1 MiB header limit: 431): an error, no request recorded.
	tooLong bool
}

var (
	oneMiBText = strings.Repeat("x", 1<<20)
	kib64Text  = strings.Repeat("é", 32<<10)
	yearZero   = time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)
	year10000  = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	badJuly13  = time.Date(2023, 7, 13, 0, 0, 0, 0, time.UTC)
	badJuly14  = time.Date(2023, 7, 14, 0, 0, 0, 0, time.UTC)
	badPhone   = "+33612345678"
)

func badRefused(name, field string, call badCall) badInput {
	return badInput{name: name, call: call, field: field}
}

func badSent(name, method, path string, query url.Values, call badCall) badInput {
	return badInput{name: name, call: call, method: method, path: path, query: query}
}

func badTooLong(name string, call badCall) badInput {
	return badInput{name: name, call: call, tooLong: true}
}

// createTicket creates a ticket with a valid agent and phone, changed by edit.
func badCreateTicket(edit func(p *apizee.CreateTicketParams)) badCall {
	return func(ctx context.Context, c *apizee.Client, _ *apizeetest.Server) error {
		p := &apizee.CreateTicketParams{Agent: "agent1", Phone: []string{badPhone}}
		edit(p)
		_, err := c.Tickets.Create(ctx, p)
		return err
	}
}

// ticketQuery is the query of createTicket's ticket with kv set.
func badTicketQuery(kv ...string) url.Values {
	q := url.Values{"agent": {"agent1"}, "phone": {badPhone}}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	return q
}

func badRefusedTicket(name, field string, edit func(p *apizee.CreateTicketParams)) badInput {
	return badRefused(name, field, badCreateTicket(edit))
}

func badSentTicket(name string, edit func(p *apizee.CreateTicketParams), query url.Values) badInput {
	return badSent(name, http.MethodPost, "/tickets", query, badCreateTicket(edit))
}

func badCreateConference(edit func(p *apizee.CreateConferenceParams)) badCall {
	return func(ctx context.Context, c *apizee.Client, _ *apizeetest.Server) error {
		p := &apizee.CreateConferenceParams{Participants: []string{"client@example.com"}}
		edit(p)
		_, err := c.Conferences.Create(ctx, p)
		return err
	}
}

func badConferenceQuery(kv ...string) url.Values {
	q := url.Values{"participants": {"client@example.com"}}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	return q
}

func badRefusedConference(name, field string, edit func(p *apizee.CreateConferenceParams)) badInput {
	return badRefused(name, field, badCreateConference(edit))
}

func badSentConference(name string, edit func(p *apizee.CreateConferenceParams), query url.Values) badInput {
	return badSent(name, http.MethodPost, "/conferences", query, badCreateConference(edit))
}

func badListTickets(p apizee.ListTicketsParams) badCall {
	return func(ctx context.Context, c *apizee.Client, _ *apizeetest.Server) error {
		_, err := c.Tickets.List(ctx, &p)
		return err
	}
}

func badListConferences(p apizee.ListConferencesParams) badCall {
	return func(ctx context.Context, c *apizee.Client, _ *apizeetest.Server) error {
		_, err := c.Conferences.List(ctx, &p)
		return err
	}
}

func badListSessions(p apizee.ListSessionsParams) badCall {
	return func(ctx context.Context, c *apizee.Client, _ *apizeetest.Server) error {
		_, err := c.Sessions.List(ctx, &p)
		return err
	}
}

func badTicketStats(p apizee.TicketStatsParams) badCall {
	return func(ctx context.Context, c *apizee.Client, _ *apizeetest.Server) error {
		_, err := c.Stats.Tickets(ctx, &p)
		return err
	}
}

func badFindByReference(ref string) badCall {
	return func(ctx context.Context, c *apizee.Client, _ *apizeetest.Server) error {
		_, err := c.Tickets.FindByReference(ctx, ref)
		return err
	}
}

func badFindByName(name string) badCall {
	return func(ctx context.Context, c *apizee.Client, _ *apizeetest.Server) error {
		_, err := c.Conferences.FindByName(ctx, name)
		return err
	}
}

func badDownload(m *apizee.Media) badCall {
	return func(ctx context.Context, c *apizee.Client, _ *apizeetest.Server) error {
		_, err := c.Media.Download(ctx, m, io.Discard)
		return err
	}
}

func badOpen(m *apizee.Media) badCall {
	return func(ctx context.Context, c *apizee.Client, _ *apizeetest.Server) error {
		body, err := c.Media.Open(ctx, m)
		if body != nil {
			body.Close()
		}
		return err
	}
}

// newClientWith builds a client on srv with opts after the defaults, and
// makes one call with it when it builds.
func badClientWith(opts ...apizee.Option) badCall {
	return func(ctx context.Context, _ *apizee.Client, srv *apizeetest.Server) error {
		c, err := apizee.NewClient(append([]apizee.Option{apizee.WithBaseURL(srv.URL), apizee.WithToken(srv.IssueToken()),
			apizee.WithRetryPolicy(apizee.RetryPolicy{})}, opts...)...)
		if err != nil {
			return err
		}
		_, err = c.Tickets.Get(ctx, 82070)
		return err
	}
}

func badInputs() []badInput {
	rows := []badInput{
		// CreateTicketParams.Agent
		badRefusedTicket("Agent empty", "Agent", func(p *apizee.CreateTicketParams) { p.Agent = "" }),
		badRefusedTicket("Agent white space", "Agent", func(p *apizee.CreateTicketParams) { p.Agent = " \t\n" }),
		badRefusedTicket("Agent CRLF header", "Agent", func(p *apizee.CreateTicketParams) { p.Agent = "agent1\r\nX-Evil: 1" }),
		badRefusedTicket("Agent NUL", "Agent", func(p *apizee.CreateTicketParams) { p.Agent = "agent1\x00" }),
		badSentTicket("Agent parameter injection", func(p *apizee.CreateTicketParams) { p.Agent = "x&agent=evil" }, badTicketQuery("agent", "x&agent=evil")),
		badSentTicket("Agent path trick", func(p *apizee.CreateTicketParams) { p.Agent = "../../users/me" }, badTicketQuery("agent", "../../users/me")),
		// CreateTicketParams.Email
		badRefusedTicket("Email CRLF Bcc", "Email", func(p *apizee.CreateTicketParams) { p.Phone, p.Email = nil, []string{"a@b.c\r\nBcc: x@y.z"} }),
		badRefusedTicket("Email comma smuggles a second contact", "Email", func(p *apizee.CreateTicketParams) { p.Email = []string{"a@b.c,evil@x.y"} }),
		badRefusedTicket("Email empty item", "Email", func(p *apizee.CreateTicketParams) { p.Email = []string{""} }),
		badRefusedTicket("Email without @", "Email", func(p *apizee.CreateTicketParams) { p.Email = []string{"no-at-sign"} }),
		badRefusedTicket("Email NUL", "Email", func(p *apizee.CreateTicketParams) { p.Email = []string{"a@b.c\x00"} }),
		badSentTicket("Email unicode", func(p *apizee.CreateTicketParams) { p.Email = []string{"élodie@exämple.fr"} }, badTicketQuery("email", "élodie@exämple.fr")),
		badSentTicket("Email with &", func(p *apizee.CreateTicketParams) { p.Email = []string{"a&agent=evil@x.y"} }, badTicketQuery("email", "a&agent=evil@x.y")),
		badRefusedTicket("neither Email nor Phone", "Email", func(p *apizee.CreateTicketParams) { p.Phone = nil }),
		// CreateTicketParams.Phone
		badRefusedTicket("Phone with spaces", "Phone", func(p *apizee.CreateTicketParams) { p.Phone = []string{"+33 6 12 34 56 78"} }),
		badRefusedTicket("Phone too long", "Phone", func(p *apizee.CreateTicketParams) { p.Phone = []string{"+3361234567890123456"} }),
		badRefusedTicket("Phone national", "Phone", func(p *apizee.CreateTicketParams) { p.Phone = []string{"0612345678"} }),
		badRefusedTicket("Phone injection", "Phone", func(p *apizee.CreateTicketParams) { p.Phone = []string{badPhone + "&agent=evil"} }),
		badRefusedTicket("Phone Arabic-Indic digits", "Phone", func(p *apizee.CreateTicketParams) { p.Phone = []string{"+٣٣٦١٢٣٤٥٦٧٨"} }),
		badRefusedTicket("Phone 1 MiB", "Phone", func(p *apizee.CreateTicketParams) { p.Phone = []string{"+" + oneMiBText} }),
		// CreateTicketParams.Reference
		badSentTicket("Reference parameter injection", func(p *apizee.CreateTicketParams) { p.Reference = "x&agent=evil" }, badTicketQuery("reference", "x&agent=evil")),
		badSentTicket("Reference fragment", func(p *apizee.CreateTicketParams) { p.Reference = "#frag" }, badTicketQuery("reference", "#frag")),
		badSentTicket("Reference literal %00", func(p *apizee.CreateTicketParams) { p.Reference = "%00" }, badTicketQuery("reference", "%00")),
		badSentTicket("Reference a=b", func(p *apizee.CreateTicketParams) { p.Reference = "a=b" }, badTicketQuery("reference", "a=b")),
		badSentTicket("Reference ?", func(p *apizee.CreateTicketParams) { p.Reference = "?" }, badTicketQuery("reference", "?")),
		badSentTicket("Reference path trick", func(p *apizee.CreateTicketParams) { p.Reference = "../%2e%2e/x" }, badTicketQuery("reference", "../%2e%2e/x")),
		badSentTicket("Reference RTL override", func(p *apizee.CreateTicketParams) { p.Reference = "\u202eabc" }, badTicketQuery("reference", "\u202eabc")),
		badSentTicket("Reference emoji", func(p *apizee.CreateTicketParams) { p.Reference = "🎫-1" }, badTicketQuery("reference", "🎫-1")),
		badSentTicket("Reference combining accent, not normalised", func(p *apizee.CreateTicketParams) { p.Reference = "e\u0301" }, badTicketQuery("reference", "e\u0301")),
		badSentTicket("Reference 64 KiB", func(p *apizee.CreateTicketParams) { p.Reference = kib64Text }, badTicketQuery("reference", kib64Text)),
		badRefusedTicket("Reference NUL", "Reference", func(p *apizee.CreateTicketParams) { p.Reference = "ref\x00" }),
		badRefusedTicket("Reference CRLF", "Reference", func(p *apizee.CreateTicketParams) { p.Reference = "ref\r\nX: y" }),
		badRefusedTicket("Reference tab", "Reference", func(p *apizee.CreateTicketParams) { p.Reference = "a\tb" }),
		badRefusedTicket("Reference invalid UTF-8", "Reference", func(p *apizee.CreateTicketParams) { p.Reference = "ref\xff\xfe" }),
		badSentTicket("Reference 1 MiB", func(p *apizee.CreateTicketParams) { p.Reference = oneMiBText }, badTicketQuery("reference", oneMiBText)),
		// CreateTicketParams free text
		badRefusedTicket("Name 1 MiB", "Name", func(p *apizee.CreateTicketParams) { p.Name = oneMiBText }),
		badRefusedTicket("Name 256 characters", "Name", func(p *apizee.CreateTicketParams) { p.Name = strings.Repeat("é", 256) }),
		badSentTicket("Name 255 characters", func(p *apizee.CreateTicketParams) { p.Name = strings.Repeat("é", 255) }, badTicketQuery("name", strings.Repeat("é", 255))),
		badSentTicket("Description HTML and CRLF", func(p *apizee.CreateTicketParams) { p.Description = "<script>x</script>\r\n&b=c" },
			badTicketQuery("description", "<script>x</script>\r\n&b=c")),
		badSentTicket("Subject invalid UTF-8", func(p *apizee.CreateTicketParams) { p.Subject = "\xff\xfe" }, badTicketQuery("subject", "\xff\xfe")),
		badSentTicket("Type NUL", func(p *apizee.CreateTicketParams) { p.Type = "a\x00b" }, badTicketQuery("type", "a\x00b")),
		badSentTicket("Language injection", func(p *apizee.CreateTicketParams) { p.Language = "fr&invite=1" }, badTicketQuery("language", "fr&invite=1")),
		badSentTicket("Description 1 MiB", func(p *apizee.CreateTicketParams) { p.Description = oneMiBText }, badTicketQuery("description", oneMiBText)),
		badTooLong("Description 1 MiB of é (3 MiB escaped)", badCreateTicket(func(p *apizee.CreateTicketParams) { p.Description = strings.Repeat("é", 1<<19) })),
		// CreateTicketParams.Extra
		badRefusedTicket("Extra overrides agent", "Extra", func(p *apizee.CreateTicketParams) { p.Extra = url.Values{"agent": {"evil"}} }),
		badRefusedTicket("Extra overrides AGENT", "Extra", func(p *apizee.CreateTicketParams) { p.Extra = url.Values{"AGENT": {"evil"}} }),
		badRefusedTicket("Extra overrides scope", "Extra", func(p *apizee.CreateTicketParams) { p.SSO, p.Extra = true, url.Values{"Scope": {"all"}} }),
		badSentTicket("Extra key with &", func(p *apizee.CreateTicketParams) { p.Extra = url.Values{"x&agent": {"evil"}} }, func() url.Values {
			q := badTicketQuery()
			q.Set("x&agent", "evil")
			return q
		}()),
		badSentTicket("Extra values with & and =", func(p *apizee.CreateTicketParams) { p.Extra = url.Values{"custom": {"a&b=c", "#d"}} }, func() url.Values {
			q := badTicketQuery()
			q["custom"] = []string{"a&b=c", "#d"}
			return q
		}()),
		// CreateOnce, Get, FindByReference
		badRefused("CreateOnce without Reference", "Reference", func(ctx context.Context, c *apizee.Client, _ *apizeetest.Server) error {
			_, err := c.Tickets.CreateOnce(ctx, &apizee.CreateTicketParams{Agent: "agent1", Phone: []string{badPhone}})
			return err
		}),
		badRefused("CreateOnce Reference invalid UTF-8", "Reference", func(ctx context.Context, c *apizee.Client, _ *apizeetest.Server) error {
			_, err := c.Tickets.CreateOnce(ctx, &apizee.CreateTicketParams{Agent: "agent1", Phone: []string{badPhone}, Reference: "\xc3"})
			return err
		}),
		badRefused("Get id 0", "ID", func(ctx context.Context, c *apizee.Client, _ *apizeetest.Server) error {
			_, err := c.Tickets.Get(ctx, 0)
			return err
		}),
		badRefused("Get id -1", "ID", func(ctx context.Context, c *apizee.Client, _ *apizeetest.Server) error {
			_, err := c.Tickets.Get(ctx, -1)
			return err
		}),
		badRefused("Get id MinInt64", "ID", func(ctx context.Context, c *apizee.Client, _ *apizeetest.Server) error {
			_, err := c.Tickets.Get(ctx, math.MinInt64)
			return err
		}),
		badSent("Get id MaxInt64", http.MethodGet, "/tickets/9223372036854775807", url.Values{}, func(ctx context.Context, c *apizee.Client, _ *apizeetest.Server) error {
			_, err := c.Tickets.Get(ctx, math.MaxInt64)
			return err
		}),
		badRefused("FindByReference empty", "Reference", badFindByReference("")),
		badRefused("FindByReference white space", "Reference", badFindByReference(" \r\n")),
		badRefused("FindByReference NUL", "Reference", badFindByReference("a\x00")),
		badRefused("FindByReference invalid UTF-8", "Reference", badFindByReference("\xed\xa0\x80")),
		badSent("FindByReference injection", http.MethodGet, "/tickets",
			url.Values{"reference": {"x&reference=other#f"}, "orderby": {"date"}, "order": {"desc"}, "limit": {"100"}}, badFindByReference("x&reference=other#f")),
		// ListTicketsParams
		badRefused("List Limit -1", "Limit", badListTickets(apizee.ListTicketsParams{Limit: -1})),
		badRefused("List Offset MinInt", "Offset", badListTickets(apizee.ListTicketsParams{Offset: math.MinInt})),
		badRefused("List Order ASC", "Order", badListTickets(apizee.ListTicketsParams{Order: "ASC"})),
		badRefused("List Order injection", "Order", badListTickets(apizee.ListTicketsParams{Order: "asc&limit=1"})),
		badRefused("List Since year 0", "Since", badListTickets(apizee.ListTicketsParams{Since: yearZero})),
		badRefused("List Until year 10000", "Until", badListTickets(apizee.ListTicketsParams{Until: year10000})),
		badRefused("List Since after Until", "Since", badListTickets(apizee.ListTicketsParams{Since: badJuly14, Until: badJuly13})),
		badRefused("List Reference CRLF", "Reference", badListTickets(apizee.ListTicketsParams{Reference: "a\r\n"})),
		badSent("List OrderBy injection", http.MethodGet, "/tickets", url.Values{"orderby": {"date&order=asc"}}, badListTickets(apizee.ListTicketsParams{OrderBy: "date&order=asc"})),
		badSent("List Limit MaxInt", http.MethodGet, "/tickets", url.Values{"limit": {"9223372036854775807"}, "offset": {"9223372036854775807"}},
			badListTickets(apizee.ListTicketsParams{Limit: math.MaxInt, Offset: math.MaxInt})),
		badSent("List Since in another zone", http.MethodGet, "/tickets", url.Values{"since": {"2023-07-12T22:00:00Z"}},
			badListTickets(apizee.ListTicketsParams{Since: time.Date(2023, 7, 13, 0, 0, 0, 0, time.FixedZone("CEST", 2*3600))})),
		badSent("List Reference 1 MiB", http.MethodGet, "/tickets", url.Values{"reference": {oneMiBText}}, badListTickets(apizee.ListTicketsParams{Reference: oneMiBText})),
		badTooLong("List Reference 2 MiB", badListTickets(apizee.ListTicketsParams{Reference: oneMiBText + oneMiBText})),

		// CreateConferenceParams
		badRefusedConference("Participants none", "Participants", func(p *apizee.CreateConferenceParams) { p.Participants = nil }),
		badRefusedConference("Participants empty item", "Participants", func(p *apizee.CreateConferenceParams) { p.Participants = []string{""} }),
		badRefusedConference("Participants white space", "Participants", func(p *apizee.CreateConferenceParams) { p.Participants = []string{" \t"} }),
		badRefusedConference("Participants comma smuggles a phone", "Participants", func(p *apizee.CreateConferenceParams) { p.Participants = []string{"a@b.c,+33612345678"} }),
		badRefusedConference("Participants quoted comma", "Participants", func(p *apizee.CreateConferenceParams) { p.Participants = []string{`"x,+33612345678"@evil.com`} }),
		badRefusedConference("Participants national phone", "Participants", func(p *apizee.CreateConferenceParams) { p.Participants = []string{"0612345678"} }),
		badRefusedConference("Participants display name", "Participants", func(p *apizee.CreateConferenceParams) { p.Participants = []string{"Evil <a@b.c>"} }),
		badRefusedConference("Participants CRLF", "Participants", func(p *apizee.CreateConferenceParams) { p.Participants = []string{"a@b.c\r\nBcc: x@y.z"} }),
		badSentConference("Participants & in the domain (valid address syntax)", func(p *apizee.CreateConferenceParams) { p.Participants = []string{"a@b.c&name=evil"} },
			url.Values{"participants": {"a@b.c&name=evil"}}),
		badSentConference("Participants trimmed", func(p *apizee.CreateConferenceParams) { p.Participants = []string{" client@example.com ", badPhone} },
			url.Values{"participants": {"client@example.com," + badPhone}}),
		badRefusedConference("Name one character", "Name", func(p *apizee.CreateConferenceParams) { p.Name = "x" }),
		badRefusedConference("Name 1 MiB", "Name", func(p *apizee.CreateConferenceParams) { p.Name = oneMiBText }),
		badRefusedConference("Name NUL", "Name", func(p *apizee.CreateConferenceParams) { p.Name = "TEST\x00" }),
		badRefusedConference("Name invalid UTF-8", "Name", func(p *apizee.CreateConferenceParams) { p.Name = "TEST\xff" }),
		badSentConference("Name injection", func(p *apizee.CreateConferenceParams) { p.Name = "x&name=evil#f" }, badConferenceQuery("name", "x&name=evil#f")),
		badSentConference("Name emoji and RTL", func(p *apizee.CreateConferenceParams) { p.Name = "🎥 réunion \u202e" }, badConferenceQuery("name", "🎥 réunion \u202e")),
		badRefusedConference("Password letters", "Password", func(p *apizee.CreateConferenceParams) { p.Password = "1234a" }),
		badRefusedConference("Password injection", "Password", func(p *apizee.CreateConferenceParams) { p.Password = "12&password=34" }),
		badSentConference("Password # and *", func(p *apizee.CreateConferenceParams) { p.Password = "*#12#" }, badConferenceQuery("password", "*#12#")),
		badRefusedConference("Message 301 characters", "Message", func(p *apizee.CreateConferenceParams) { p.Message = strings.Repeat("é", 301) }),
		badSentConference("Message CRLF", func(p *apizee.CreateConferenceParams) { p.Message = "line1\r\nline2&x=y" }, badConferenceQuery("message", "line1\r\nline2&x=y")),
		badSentConference("Moderator path trick", func(p *apizee.CreateConferenceParams) { p.Moderator = "../%2e%2e" }, badConferenceQuery("moderator", "../%2e%2e")),
		badRefusedConference("StartTime year 0", "StartTime", func(p *apizee.CreateConferenceParams) { p.StartTime = yearZero }),
		badRefusedConference("StartTime year 10000", "StartTime", func(p *apizee.CreateConferenceParams) { p.StartTime = year10000 }),
		badRefusedConference("Duration negative", "Duration", func(p *apizee.CreateConferenceParams) { p.Duration = -time.Minute }),
		badRefusedConference("Duration not whole minutes", "Duration", func(p *apizee.CreateConferenceParams) { p.Duration = 90 * time.Second }),
		badSentConference("Duration huge", func(p *apizee.CreateConferenceParams) { p.Duration = math.MaxInt64 / time.Minute * time.Minute },
			badConferenceQuery("duration", "153722867")),
		badRefusedConference("Reminder 61 minutes", "Reminder", func(p *apizee.CreateConferenceParams) { p.Reminder = 61 * time.Minute }),
		badRefusedConference("TemplateID negative", "TemplateID", func(p *apizee.CreateConferenceParams) { p.TemplateID = -1 }),
		badRefusedConference("Extra overrides participants", "Extra", func(p *apizee.CreateConferenceParams) { p.Extra = url.Values{"participants": {"evil@x.y"}} }),
		badRefusedConference("Extra overrides name", "Extra", func(p *apizee.CreateConferenceParams) { p.Name, p.Extra = "TEST", url.Values{"name": {"evil"}} }),
		badSentConference("Extra value injection", func(p *apizee.CreateConferenceParams) { p.Extra = url.Values{"x": {"&participants=evil@x.y"}} },
			badConferenceQuery("x", "&participants=evil@x.y")),
		// Conferences Get, FindByName, List
		badRefused("Conference id 0", "ID", func(ctx context.Context, c *apizee.Client, _ *apizeetest.Server) error {
			_, err := c.Conferences.Get(ctx, 0)
			return err
		}),
		badRefused("FindByName empty", "Name", badFindByName("")),
		badRefused("FindByName NUL", "Name", badFindByName("TEST\x00")),
		badRefused("FindByName invalid UTF-8", "Name", badFindByName("\xff")),
		badSent("FindByName path trick", http.MethodGet, "/conferences", url.Values{"search": {"../%2e%2e?x"}, "limit": {"100"}}, badFindByName("../%2e%2e?x")),
		badSent("List Search injection", http.MethodGet, "/conferences", url.Values{"search": {"x&limit=1"}}, badListConferences(apizee.ListConferencesParams{Search: "x&limit=1"})),
		badSent("List Search invalid UTF-8", http.MethodGet, "/conferences", url.Values{"search": {"\xff"}}, badListConferences(apizee.ListConferencesParams{Search: "\xff"})),
		badRefused("Conferences Order", "Order", badListConferences(apizee.ListConferencesParams{Order: "up"})),
		badRefused("Conferences Since after Until", "Since", badListConferences(apizee.ListConferencesParams{Since: badJuly14, Until: badJuly13})),
		badSent("List Search 1 MiB", http.MethodGet, "/conferences", url.Values{"search": {oneMiBText}}, badListConferences(apizee.ListConferencesParams{Search: oneMiBText})),
		badTooLong("List Search 2 MiB", badListConferences(apizee.ListConferencesParams{Search: oneMiBText + oneMiBText})),

		// ListSessionsParams
		badSent("Sessions ServiceKey injection", http.MethodGet, "/session", url.Values{"service_key": {"k&since=2020"}},
			badListSessions(apizee.ListSessionsParams{ServiceKey: "k&since=2020"})),
		badRefused("Sessions Limit -1", "Limit", badListSessions(apizee.ListSessionsParams{Limit: -1})),
		badRefused("Sessions Until year 10000", "Until", badListSessions(apizee.ListSessionsParams{Until: year10000})),

		// ListMediaParams and ids
		badRefused("Ticket media id 0", "TicketID", func(ctx context.Context, c *apizee.Client, _ *apizeetest.Server) error {
			_, err := c.Media.ListForTicket(ctx, 0, nil)
			return err
		}),
		badRefused("Ticket media Limit -1", "Limit", func(ctx context.Context, c *apizee.Client, _ *apizeetest.Server) error {
			_, err := c.Media.ListForTicket(ctx, 663614, &apizee.ListMediaParams{Limit: -1})
			return err
		}),
		badRefused("Conference media id -1", "ConferenceID", func(ctx context.Context, c *apizee.Client, _ *apizeetest.Server) error {
			_, err := c.Media.ListForConference(ctx, -1, nil)
			return err
		}),
		badRefused("Conference media Order", "Order", func(ctx context.Context, c *apizee.Client, _ *apizeetest.Server) error {
			_, err := c.Media.ListForConference(ctx, 842341, &apizee.ListMediaParams{Order: "sideways"})
			return err
		}),
		badSent("Conference media OrderBy fragment", http.MethodGet, "/conferences/842341/media", url.Values{"orderby": {"date#x"}},
			func(ctx context.Context, c *apizee.Client, _ *apizeetest.Server) error {
				_, err := c.Media.ListForConference(ctx, 842341, &apizee.ListMediaParams{OrderBy: "date#x"})
				return err
			}),

		// TicketStatsParams
		badRefused("Stats Since year 0", "Since", badTicketStats(apizee.TicketStatsParams{Since: yearZero})),
		badRefused("Stats Until year 10000", "Until", badTicketStats(apizee.TicketStatsParams{Until: year10000})),
		badRefused("Stats Since after Until", "Since", badTicketStats(apizee.TicketStatsParams{Since: badJuly14, Until: badJuly13})),

		// Media for Open and Download
		badRefused("Download nil media", "Media", badDownload(nil)),
		badRefused("Download empty URL", "URL", badDownload(&apizee.Media{})),
		badRefused("Download javascript URL", "URL", badDownload(&apizee.Media{URL: "javascript:alert(1)"})),
		badRefused("Download relative URL", "URL", badDownload(&apizee.Media{URL: "/media/showVideo/1/hash/x"})),
		badRefused("Download ftp URL", "URL", badDownload(&apizee.Media{URL: "ftp://cloud.apizee.com/x"})),
		badRefused("Download URL with NUL", "URL", badDownload(&apizee.Media{URL: "https://cloud.apizee.com/\x00"})),
		badRefused("Open nil media", "Media", badOpen(nil)),
		badRefused("Open file URL", "URL", badOpen(&apizee.Media{URL: "file:///etc/passwd"})),

		// Options
		badRefused("BaseURL empty", "BaseURL", badClientWith(apizee.WithBaseURL(""))),
		badRefused("BaseURL white space", "BaseURL", badClientWith(apizee.WithBaseURL(" \t"))),
		badRefused("BaseURL not absolute", "BaseURL", badClientWith(apizee.WithBaseURL("cloud.apizee.com/api"))),
		badRefused("BaseURL plain http off loopback", "BaseURL", badClientWith(apizee.WithBaseURL("http://cloud.apizee.com/api"))),
		badRefused("BaseURL user info", "BaseURL", badClientWith(apizee.WithBaseURL("https://user:pw@cloud.apizee.com/api"))),
		badRefused("BaseURL query", "BaseURL", badClientWith(apizee.WithBaseURL("https://cloud.apizee.com/api?agent=evil"))),
		badRefused("BaseURL fragment", "BaseURL", badClientWith(apizee.WithBaseURL("https://cloud.apizee.com/api#frag"))),
		badRefused("BaseURL CRLF", "BaseURL", badClientWith(apizee.WithBaseURL("https://cloud.apizee.com\r\n/api"))),
		badRefused("BaseURL javascript", "BaseURL", badClientWith(apizee.WithBaseURL("javascript:alert(1)"))),
		badRefused("UserAgent CRLF", "UserAgent", badClientWith(apizee.WithUserAgent("crm/1\r\nX-Evil: 1"))),
		badRefused("UserAgent NUL", "UserAgent", badClientWith(apizee.WithUserAgent("crm/1\x00"))),
		{name: "UserAgent unicode", call: badClientWith(apizee.WithUserAgent("crm/1 ✓")), method: http.MethodGet, path: "/tickets/82070",
			header: [2]string{"User-Agent", "crm/1 ✓ apizee-go/" + apizee.Version}},
		badRefused("Token empty", "Token", badClientWith(apizee.WithToken(""))),
		badRefused("Token CRLF", "Token", badClientWith(apizee.WithToken("tok\r\nX-Evil: 1"))),
		badRefused("Credentials no username", "Username", badClientWith(apizee.WithCredentials(" ", "pw"))),
		badRefused("Credentials no password", "Password", badClientWith(apizee.WithCredentials("user", ""))),
		{name: "Credentials form injection", call: badClientWith(apizee.WithCredentials("user&grant_type=x", "pw&username=evil\r\n")),
			method: http.MethodPost, path: "/token",
			form: url.Values{"grant_type": {"password"}, "username": {"user&grant_type=x"}, "password": {"pw&username=evil\r\n"}}},
		badRefused("EnterpriseID 0", "EnterpriseID", badClientWith(apizee.WithEnterpriseID(0))),
		badRefused("EnterpriseID negative", "EnterpriseID", badClientWith(apizee.WithEnterpriseID(-1))),
	}
	return rows
}

func TestBadInputCorpus(t *testing.T) {
	srv := apizeetest.NewServer()
	defer srv.Close()
	c, err := apizee.NewClient(apizee.WithBaseURL(srv.URL), apizee.WithToken(srv.IssueToken()), apizee.WithEnterpriseID(1),
		apizee.WithRetryPolicy(apizee.RetryPolicy{}))
	require.NoError(t, err)

	rows := badInputs()
	outcomes := map[string]int{}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			srv.ResetRequests()
			var err error
			require.NotPanics(t, func() { err = row.call(t.Context(), c, srv) })
			var ve *apizee.ValidationError
			switch {
			case row.field != "":
				outcomes["refused"]++
				require.ErrorAs(t, err, &ve)
				assert.Equal(t, row.field, ve.Field, "%v", err)
				assert.Empty(t, srv.Requests(), "a refused input sends nothing")
			case row.tooLong:
				outcomes["sent, refused by the server"]++
				require.Error(t, err)
				assert.False(t, errors.As(err, &ve), "sent, not refused by the SDK: %v", err)
				assert.Empty(t, srv.Requests(), "the server refuses it before any handler")
				var apiErr *apizee.APIError
				require.ErrorAs(t, err, &apiErr)
				assert.Equal(t, http.StatusRequestHeaderFieldsTooLarge, apiErr.StatusCode)
			default:
				outcomes["sent exactly"]++
				assert.False(t, errors.As(err, &ve), "sent, not refused by the SDK: %v", err)
				var carrying []apizeetest.Request
				for _, r := range srv.Requests() {
					if r.Method == row.method && r.Path == row.path {
						carrying = append(carrying, r)
					}
				}
				require.Len(t, carrying, 1, "one %s %s in %v", row.method, row.path, srv.Requests())
				got := carrying[0]
				switch {
				case row.form != nil:
					assert.Equal(t, row.form, got.Form)
				case row.header[0] != "":
					assert.Equal(t, row.header[1], got.Header.Get(row.header[0]))
				default:
					assert.Equal(t, row.query, got.Query, "the query arrives exactly as given, nothing added")
				}
			}
		})
	}
	t.Logf("%d bad inputs: %v", len(rows), outcomes)
	assert.GreaterOrEqual(t, len(rows), 60)
}
