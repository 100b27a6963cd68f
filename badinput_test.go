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

// badInput is one hostile input and its expected outcome.
type badInput struct {
	name string
	call func(ctx context.Context, c *apizee.Client, srv *apizeetest.Server) error
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
	mib1      = strings.Repeat("x", 1<<20)
	kib64     = strings.Repeat("é", 32<<10)
	year0     = time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)
	year1e4   = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	july13    = time.Date(2023, 7, 13, 0, 0, 0, 0, time.UTC)
	july14    = time.Date(2023, 7, 14, 0, 0, 0, 0, time.UTC)
	basePhone = "+33612345678"
)

func refused(name, field string, call func(context.Context, *apizee.Client, *apizeetest.Server) error) badInput {
	return badInput{name: name, call: call, field: field}
}

func sentQuery(name, method, path string, query url.Values, call func(context.Context, *apizee.Client, *apizeetest.Server) error) badInput {
	return badInput{name: name, call: call, method: method, path: path, query: query}
}

func tooLong(name string, call func(context.Context, *apizee.Client, *apizeetest.Server) error) badInput {
	return badInput{name: name, call: call, tooLong: true}
}

// createTicket creates a ticket with a valid agent and phone, changed by edit.
func createTicket(edit func(p *apizee.CreateTicketParams)) func(context.Context, *apizee.Client, *apizeetest.Server) error {
	return func(ctx context.Context, c *apizee.Client, _ *apizeetest.Server) error {
		p := &apizee.CreateTicketParams{Agent: "agent1", Phone: []string{basePhone}}
		edit(p)
		_, err := c.Tickets.Create(ctx, p)
		return err
	}
}

// ticketQuery is the query of createTicket's ticket with kv set.
func ticketQuery(kv ...string) url.Values {
	q := url.Values{"agent": {"agent1"}, "phone": {basePhone}}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	return q
}

func refusedTicket(name, field string, edit func(p *apizee.CreateTicketParams)) badInput {
	return refused(name, field, createTicket(edit))
}

func sentTicket(name string, edit func(p *apizee.CreateTicketParams), query url.Values) badInput {
	return sentQuery(name, http.MethodPost, "/tickets", query, createTicket(edit))
}

func createConference(edit func(p *apizee.CreateConferenceParams)) func(context.Context, *apizee.Client, *apizeetest.Server) error {
	return func(ctx context.Context, c *apizee.Client, _ *apizeetest.Server) error {
		p := &apizee.CreateConferenceParams{Participants: []string{"client@example.com"}}
		edit(p)
		_, err := c.Conferences.Create(ctx, p)
		return err
	}
}

func conferenceQuery(kv ...string) url.Values {
	q := url.Values{"participants": {"client@example.com"}}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	return q
}

func refusedConference(name, field string, edit func(p *apizee.CreateConferenceParams)) badInput {
	return refused(name, field, createConference(edit))
}

func sentConference(name string, edit func(p *apizee.CreateConferenceParams), query url.Values) badInput {
	return sentQuery(name, http.MethodPost, "/conferences", query, createConference(edit))
}

func listTickets(p apizee.ListTicketsParams) func(context.Context, *apizee.Client, *apizeetest.Server) error {
	return func(ctx context.Context, c *apizee.Client, _ *apizeetest.Server) error {
		_, err := c.Tickets.List(ctx, &p)
		return err
	}
}

func listConferences(p apizee.ListConferencesParams) func(context.Context, *apizee.Client, *apizeetest.Server) error {
	return func(ctx context.Context, c *apizee.Client, _ *apizeetest.Server) error {
		_, err := c.Conferences.List(ctx, &p)
		return err
	}
}

func listSessions(p apizee.ListSessionsParams) func(context.Context, *apizee.Client, *apizeetest.Server) error {
	return func(ctx context.Context, c *apizee.Client, _ *apizeetest.Server) error {
		_, err := c.Sessions.List(ctx, &p)
		return err
	}
}

func ticketStats(p apizee.TicketStatsParams) func(context.Context, *apizee.Client, *apizeetest.Server) error {
	return func(ctx context.Context, c *apizee.Client, _ *apizeetest.Server) error {
		_, err := c.Stats.Tickets(ctx, &p)
		return err
	}
}

func findByReference(ref string) func(context.Context, *apizee.Client, *apizeetest.Server) error {
	return func(ctx context.Context, c *apizee.Client, _ *apizeetest.Server) error {
		_, err := c.Tickets.FindByReference(ctx, ref)
		return err
	}
}

func findByName(name string) func(context.Context, *apizee.Client, *apizeetest.Server) error {
	return func(ctx context.Context, c *apizee.Client, _ *apizeetest.Server) error {
		_, err := c.Conferences.FindByName(ctx, name)
		return err
	}
}

func download(m *apizee.Media) func(context.Context, *apizee.Client, *apizeetest.Server) error {
	return func(ctx context.Context, c *apizee.Client, _ *apizeetest.Server) error {
		_, err := c.Media.Download(ctx, m, io.Discard)
		return err
	}
}

func open(m *apizee.Media) func(context.Context, *apizee.Client, *apizeetest.Server) error {
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
func newClientWith(opts ...apizee.Option) func(context.Context, *apizee.Client, *apizeetest.Server) error {
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
		refusedTicket("Agent empty", "Agent", func(p *apizee.CreateTicketParams) { p.Agent = "" }),
		refusedTicket("Agent white space", "Agent", func(p *apizee.CreateTicketParams) { p.Agent = " \t\n" }),
		refusedTicket("Agent CRLF header", "Agent", func(p *apizee.CreateTicketParams) { p.Agent = "agent1\r\nX-Evil: 1" }),
		refusedTicket("Agent NUL", "Agent", func(p *apizee.CreateTicketParams) { p.Agent = "agent1\x00" }),
		sentTicket("Agent parameter injection", func(p *apizee.CreateTicketParams) { p.Agent = "x&agent=evil" }, ticketQuery("agent", "x&agent=evil")),
		sentTicket("Agent path trick", func(p *apizee.CreateTicketParams) { p.Agent = "../../users/me" }, ticketQuery("agent", "../../users/me")),
		// CreateTicketParams.Email
		refusedTicket("Email CRLF Bcc", "Email", func(p *apizee.CreateTicketParams) { p.Phone, p.Email = nil, []string{"a@b.c\r\nBcc: x@y.z"} }),
		refusedTicket("Email comma smuggles a second contact", "Email", func(p *apizee.CreateTicketParams) { p.Email = []string{"a@b.c,evil@x.y"} }),
		refusedTicket("Email empty item", "Email", func(p *apizee.CreateTicketParams) { p.Email = []string{""} }),
		refusedTicket("Email without @", "Email", func(p *apizee.CreateTicketParams) { p.Email = []string{"no-at-sign"} }),
		refusedTicket("Email NUL", "Email", func(p *apizee.CreateTicketParams) { p.Email = []string{"a@b.c\x00"} }),
		sentTicket("Email unicode", func(p *apizee.CreateTicketParams) { p.Email = []string{"élodie@exämple.fr"} }, ticketQuery("email", "élodie@exämple.fr")),
		sentTicket("Email with &", func(p *apizee.CreateTicketParams) { p.Email = []string{"a&agent=evil@x.y"} }, ticketQuery("email", "a&agent=evil@x.y")),
		refusedTicket("neither Email nor Phone", "Email", func(p *apizee.CreateTicketParams) { p.Phone = nil }),
		// CreateTicketParams.Phone
		refusedTicket("Phone with spaces", "Phone", func(p *apizee.CreateTicketParams) { p.Phone = []string{"+33 6 12 34 56 78"} }),
		refusedTicket("Phone too long", "Phone", func(p *apizee.CreateTicketParams) { p.Phone = []string{"+3361234567890123456"} }),
		refusedTicket("Phone national", "Phone", func(p *apizee.CreateTicketParams) { p.Phone = []string{"0612345678"} }),
		refusedTicket("Phone injection", "Phone", func(p *apizee.CreateTicketParams) { p.Phone = []string{basePhone + "&agent=evil"} }),
		refusedTicket("Phone Arabic-Indic digits", "Phone", func(p *apizee.CreateTicketParams) { p.Phone = []string{"+٣٣٦١٢٣٤٥٦٧٨"} }),
		refusedTicket("Phone 1 MiB", "Phone", func(p *apizee.CreateTicketParams) { p.Phone = []string{"+" + mib1} }),
		// CreateTicketParams.Reference
		sentTicket("Reference parameter injection", func(p *apizee.CreateTicketParams) { p.Reference = "x&agent=evil" }, ticketQuery("reference", "x&agent=evil")),
		sentTicket("Reference fragment", func(p *apizee.CreateTicketParams) { p.Reference = "#frag" }, ticketQuery("reference", "#frag")),
		sentTicket("Reference literal %00", func(p *apizee.CreateTicketParams) { p.Reference = "%00" }, ticketQuery("reference", "%00")),
		sentTicket("Reference a=b", func(p *apizee.CreateTicketParams) { p.Reference = "a=b" }, ticketQuery("reference", "a=b")),
		sentTicket("Reference ?", func(p *apizee.CreateTicketParams) { p.Reference = "?" }, ticketQuery("reference", "?")),
		sentTicket("Reference path trick", func(p *apizee.CreateTicketParams) { p.Reference = "../%2e%2e/x" }, ticketQuery("reference", "../%2e%2e/x")),
		sentTicket("Reference RTL override", func(p *apizee.CreateTicketParams) { p.Reference = "\u202eabc" }, ticketQuery("reference", "\u202eabc")),
		sentTicket("Reference emoji", func(p *apizee.CreateTicketParams) { p.Reference = "🎫-1" }, ticketQuery("reference", "🎫-1")),
		sentTicket("Reference combining accent, not normalised", func(p *apizee.CreateTicketParams) { p.Reference = "e\u0301" }, ticketQuery("reference", "e\u0301")),
		sentTicket("Reference 64 KiB", func(p *apizee.CreateTicketParams) { p.Reference = kib64 }, ticketQuery("reference", kib64)),
		refusedTicket("Reference NUL", "Reference", func(p *apizee.CreateTicketParams) { p.Reference = "ref\x00" }),
		refusedTicket("Reference CRLF", "Reference", func(p *apizee.CreateTicketParams) { p.Reference = "ref\r\nX: y" }),
		refusedTicket("Reference tab", "Reference", func(p *apizee.CreateTicketParams) { p.Reference = "a\tb" }),
		refusedTicket("Reference invalid UTF-8", "Reference", func(p *apizee.CreateTicketParams) { p.Reference = "ref\xff\xfe" }),
		sentTicket("Reference 1 MiB", func(p *apizee.CreateTicketParams) { p.Reference = mib1 }, ticketQuery("reference", mib1)),
		// CreateTicketParams free text
		refusedTicket("Name 1 MiB", "Name", func(p *apizee.CreateTicketParams) { p.Name = mib1 }),
		refusedTicket("Name 256 characters", "Name", func(p *apizee.CreateTicketParams) { p.Name = strings.Repeat("é", 256) }),
		sentTicket("Name 255 characters", func(p *apizee.CreateTicketParams) { p.Name = strings.Repeat("é", 255) }, ticketQuery("name", strings.Repeat("é", 255))),
		sentTicket("Description HTML and CRLF", func(p *apizee.CreateTicketParams) { p.Description = "<script>x</script>\r\n&b=c" },
			ticketQuery("description", "<script>x</script>\r\n&b=c")),
		sentTicket("Subject invalid UTF-8", func(p *apizee.CreateTicketParams) { p.Subject = "\xff\xfe" }, ticketQuery("subject", "\xff\xfe")),
		sentTicket("Type NUL", func(p *apizee.CreateTicketParams) { p.Type = "a\x00b" }, ticketQuery("type", "a\x00b")),
		sentTicket("Language injection", func(p *apizee.CreateTicketParams) { p.Language = "fr&invite=1" }, ticketQuery("language", "fr&invite=1")),
		sentTicket("Description 1 MiB", func(p *apizee.CreateTicketParams) { p.Description = mib1 }, ticketQuery("description", mib1)),
		tooLong("Description 1 MiB of é (3 MiB escaped)", createTicket(func(p *apizee.CreateTicketParams) { p.Description = strings.Repeat("é", 1<<19) })),
		// CreateTicketParams.Extra
		refusedTicket("Extra overrides agent", "Extra", func(p *apizee.CreateTicketParams) { p.Extra = url.Values{"agent": {"evil"}} }),
		refusedTicket("Extra overrides AGENT", "Extra", func(p *apizee.CreateTicketParams) { p.Extra = url.Values{"AGENT": {"evil"}} }),
		refusedTicket("Extra overrides scope", "Extra", func(p *apizee.CreateTicketParams) { p.SSO, p.Extra = true, url.Values{"Scope": {"all"}} }),
		sentTicket("Extra key with &", func(p *apizee.CreateTicketParams) { p.Extra = url.Values{"x&agent": {"evil"}} }, func() url.Values {
			q := ticketQuery()
			q.Set("x&agent", "evil")
			return q
		}()),
		sentTicket("Extra values with & and =", func(p *apizee.CreateTicketParams) { p.Extra = url.Values{"custom": {"a&b=c", "#d"}} }, func() url.Values {
			q := ticketQuery()
			q["custom"] = []string{"a&b=c", "#d"}
			return q
		}()),
		// CreateOnce, Get, FindByReference
		refused("CreateOnce without Reference", "Reference", func(ctx context.Context, c *apizee.Client, _ *apizeetest.Server) error {
			_, err := c.Tickets.CreateOnce(ctx, &apizee.CreateTicketParams{Agent: "agent1", Phone: []string{basePhone}})
			return err
		}),
		refused("CreateOnce Reference invalid UTF-8", "Reference", func(ctx context.Context, c *apizee.Client, _ *apizeetest.Server) error {
			_, err := c.Tickets.CreateOnce(ctx, &apizee.CreateTicketParams{Agent: "agent1", Phone: []string{basePhone}, Reference: "\xc3"})
			return err
		}),
		refused("Get id 0", "ID", func(ctx context.Context, c *apizee.Client, _ *apizeetest.Server) error {
			_, err := c.Tickets.Get(ctx, 0)
			return err
		}),
		refused("Get id -1", "ID", func(ctx context.Context, c *apizee.Client, _ *apizeetest.Server) error {
			_, err := c.Tickets.Get(ctx, -1)
			return err
		}),
		refused("Get id MinInt64", "ID", func(ctx context.Context, c *apizee.Client, _ *apizeetest.Server) error {
			_, err := c.Tickets.Get(ctx, math.MinInt64)
			return err
		}),
		sentQuery("Get id MaxInt64", http.MethodGet, "/tickets/9223372036854775807", url.Values{}, func(ctx context.Context, c *apizee.Client, _ *apizeetest.Server) error {
			_, err := c.Tickets.Get(ctx, math.MaxInt64)
			return err
		}),
		refused("FindByReference empty", "Reference", findByReference("")),
		refused("FindByReference white space", "Reference", findByReference(" \r\n")),
		refused("FindByReference NUL", "Reference", findByReference("a\x00")),
		refused("FindByReference invalid UTF-8", "Reference", findByReference("\xed\xa0\x80")),
		sentQuery("FindByReference injection", http.MethodGet, "/tickets",
			url.Values{"reference": {"x&reference=other#f"}, "orderby": {"date"}, "order": {"desc"}, "limit": {"100"}}, findByReference("x&reference=other#f")),
		// ListTicketsParams
		refused("List Limit -1", "Limit", listTickets(apizee.ListTicketsParams{Limit: -1})),
		refused("List Offset MinInt", "Offset", listTickets(apizee.ListTicketsParams{Offset: math.MinInt})),
		refused("List Order ASC", "Order", listTickets(apizee.ListTicketsParams{Order: "ASC"})),
		refused("List Order injection", "Order", listTickets(apizee.ListTicketsParams{Order: "asc&limit=1"})),
		refused("List Since year 0", "Since", listTickets(apizee.ListTicketsParams{Since: year0})),
		refused("List Until year 10000", "Until", listTickets(apizee.ListTicketsParams{Until: year1e4})),
		refused("List Since after Until", "Since", listTickets(apizee.ListTicketsParams{Since: july14, Until: july13})),
		refused("List Reference CRLF", "Reference", listTickets(apizee.ListTicketsParams{Reference: "a\r\n"})),
		sentQuery("List OrderBy injection", http.MethodGet, "/tickets", url.Values{"orderby": {"date&order=asc"}}, listTickets(apizee.ListTicketsParams{OrderBy: "date&order=asc"})),
		sentQuery("List Limit MaxInt", http.MethodGet, "/tickets", url.Values{"limit": {"9223372036854775807"}, "offset": {"9223372036854775807"}},
			listTickets(apizee.ListTicketsParams{Limit: math.MaxInt, Offset: math.MaxInt})),
		sentQuery("List Since in another zone", http.MethodGet, "/tickets", url.Values{"since": {"2023-07-12T22:00:00Z"}},
			listTickets(apizee.ListTicketsParams{Since: time.Date(2023, 7, 13, 0, 0, 0, 0, time.FixedZone("CEST", 2*3600))})),
		sentQuery("List Reference 1 MiB", http.MethodGet, "/tickets", url.Values{"reference": {mib1}}, listTickets(apizee.ListTicketsParams{Reference: mib1})),
		tooLong("List Reference 2 MiB", listTickets(apizee.ListTicketsParams{Reference: mib1 + mib1})),

		// CreateConferenceParams
		refusedConference("Participants none", "Participants", func(p *apizee.CreateConferenceParams) { p.Participants = nil }),
		refusedConference("Participants empty item", "Participants", func(p *apizee.CreateConferenceParams) { p.Participants = []string{""} }),
		refusedConference("Participants white space", "Participants", func(p *apizee.CreateConferenceParams) { p.Participants = []string{" \t"} }),
		refusedConference("Participants comma smuggles a phone", "Participants", func(p *apizee.CreateConferenceParams) { p.Participants = []string{"a@b.c,+33612345678"} }),
		refusedConference("Participants quoted comma", "Participants", func(p *apizee.CreateConferenceParams) { p.Participants = []string{`"x,+33612345678"@evil.com`} }),
		refusedConference("Participants national phone", "Participants", func(p *apizee.CreateConferenceParams) { p.Participants = []string{"0612345678"} }),
		refusedConference("Participants display name", "Participants", func(p *apizee.CreateConferenceParams) { p.Participants = []string{"Evil <a@b.c>"} }),
		refusedConference("Participants CRLF", "Participants", func(p *apizee.CreateConferenceParams) { p.Participants = []string{"a@b.c\r\nBcc: x@y.z"} }),
		sentConference("Participants & in the domain (valid address syntax)", func(p *apizee.CreateConferenceParams) { p.Participants = []string{"a@b.c&name=evil"} },
			url.Values{"participants": {"a@b.c&name=evil"}}),
		sentConference("Participants trimmed", func(p *apizee.CreateConferenceParams) { p.Participants = []string{" client@example.com ", basePhone} },
			url.Values{"participants": {"client@example.com," + basePhone}}),
		refusedConference("Name one character", "Name", func(p *apizee.CreateConferenceParams) { p.Name = "x" }),
		refusedConference("Name 1 MiB", "Name", func(p *apizee.CreateConferenceParams) { p.Name = mib1 }),
		refusedConference("Name NUL", "Name", func(p *apizee.CreateConferenceParams) { p.Name = "TEST\x00" }),
		refusedConference("Name invalid UTF-8", "Name", func(p *apizee.CreateConferenceParams) { p.Name = "TEST\xff" }),
		sentConference("Name injection", func(p *apizee.CreateConferenceParams) { p.Name = "x&name=evil#f" }, conferenceQuery("name", "x&name=evil#f")),
		sentConference("Name emoji and RTL", func(p *apizee.CreateConferenceParams) { p.Name = "🎥 réunion \u202e" }, conferenceQuery("name", "🎥 réunion \u202e")),
		refusedConference("Password letters", "Password", func(p *apizee.CreateConferenceParams) { p.Password = "1234a" }),
		refusedConference("Password injection", "Password", func(p *apizee.CreateConferenceParams) { p.Password = "12&password=34" }),
		sentConference("Password # and *", func(p *apizee.CreateConferenceParams) { p.Password = "*#12#" }, conferenceQuery("password", "*#12#")),
		refusedConference("Message 301 characters", "Message", func(p *apizee.CreateConferenceParams) { p.Message = strings.Repeat("é", 301) }),
		sentConference("Message CRLF", func(p *apizee.CreateConferenceParams) { p.Message = "line1\r\nline2&x=y" }, conferenceQuery("message", "line1\r\nline2&x=y")),
		sentConference("Moderator path trick", func(p *apizee.CreateConferenceParams) { p.Moderator = "../%2e%2e" }, conferenceQuery("moderator", "../%2e%2e")),
		refusedConference("StartTime year 0", "StartTime", func(p *apizee.CreateConferenceParams) { p.StartTime = year0 }),
		refusedConference("StartTime year 10000", "StartTime", func(p *apizee.CreateConferenceParams) { p.StartTime = year1e4 }),
		refusedConference("Duration negative", "Duration", func(p *apizee.CreateConferenceParams) { p.Duration = -time.Minute }),
		refusedConference("Duration not whole minutes", "Duration", func(p *apizee.CreateConferenceParams) { p.Duration = 90 * time.Second }),
		sentConference("Duration huge", func(p *apizee.CreateConferenceParams) { p.Duration = math.MaxInt64 / time.Minute * time.Minute },
			conferenceQuery("duration", "153722867")),
		refusedConference("Reminder 61 minutes", "Reminder", func(p *apizee.CreateConferenceParams) { p.Reminder = 61 * time.Minute }),
		refusedConference("TemplateID negative", "TemplateID", func(p *apizee.CreateConferenceParams) { p.TemplateID = -1 }),
		refusedConference("Extra overrides participants", "Extra", func(p *apizee.CreateConferenceParams) { p.Extra = url.Values{"participants": {"evil@x.y"}} }),
		refusedConference("Extra overrides name", "Extra", func(p *apizee.CreateConferenceParams) { p.Name, p.Extra = "TEST", url.Values{"name": {"evil"}} }),
		sentConference("Extra value injection", func(p *apizee.CreateConferenceParams) { p.Extra = url.Values{"x": {"&participants=evil@x.y"}} },
			conferenceQuery("x", "&participants=evil@x.y")),
		// Conferences Get, FindByName, List
		refused("Conference id 0", "ID", func(ctx context.Context, c *apizee.Client, _ *apizeetest.Server) error {
			_, err := c.Conferences.Get(ctx, 0)
			return err
		}),
		refused("FindByName empty", "Name", findByName("")),
		refused("FindByName NUL", "Name", findByName("TEST\x00")),
		refused("FindByName invalid UTF-8", "Name", findByName("\xff")),
		sentQuery("FindByName path trick", http.MethodGet, "/conferences", url.Values{"search": {"../%2e%2e?x"}, "limit": {"100"}}, findByName("../%2e%2e?x")),
		sentQuery("List Search injection", http.MethodGet, "/conferences", url.Values{"search": {"x&limit=1"}}, listConferences(apizee.ListConferencesParams{Search: "x&limit=1"})),
		sentQuery("List Search invalid UTF-8", http.MethodGet, "/conferences", url.Values{"search": {"\xff"}}, listConferences(apizee.ListConferencesParams{Search: "\xff"})),
		refused("Conferences Order", "Order", listConferences(apizee.ListConferencesParams{Order: "up"})),
		refused("Conferences Since after Until", "Since", listConferences(apizee.ListConferencesParams{Since: july14, Until: july13})),
		sentQuery("List Search 1 MiB", http.MethodGet, "/conferences", url.Values{"search": {mib1}}, listConferences(apizee.ListConferencesParams{Search: mib1})),
		tooLong("List Search 2 MiB", listConferences(apizee.ListConferencesParams{Search: mib1 + mib1})),

		// ListSessionsParams
		sentQuery("Sessions ServiceKey injection", http.MethodGet, "/session", url.Values{"service_key": {"k&since=2020"}},
			listSessions(apizee.ListSessionsParams{ServiceKey: "k&since=2020"})),
		refused("Sessions Limit -1", "Limit", listSessions(apizee.ListSessionsParams{Limit: -1})),
		refused("Sessions Until year 10000", "Until", listSessions(apizee.ListSessionsParams{Until: year1e4})),

		// ListMediaParams and ids
		refused("Ticket media id 0", "TicketID", func(ctx context.Context, c *apizee.Client, _ *apizeetest.Server) error {
			_, err := c.Media.ListForTicket(ctx, 0, nil)
			return err
		}),
		refused("Ticket media Limit -1", "Limit", func(ctx context.Context, c *apizee.Client, _ *apizeetest.Server) error {
			_, err := c.Media.ListForTicket(ctx, 663614, &apizee.ListMediaParams{Limit: -1})
			return err
		}),
		refused("Conference media id -1", "ConferenceID", func(ctx context.Context, c *apizee.Client, _ *apizeetest.Server) error {
			_, err := c.Media.ListForConference(ctx, -1, nil)
			return err
		}),
		refused("Conference media Order", "Order", func(ctx context.Context, c *apizee.Client, _ *apizeetest.Server) error {
			_, err := c.Media.ListForConference(ctx, 842341, &apizee.ListMediaParams{Order: "sideways"})
			return err
		}),
		sentQuery("Conference media OrderBy fragment", http.MethodGet, "/conferences/842341/media", url.Values{"orderby": {"date#x"}},
			func(ctx context.Context, c *apizee.Client, _ *apizeetest.Server) error {
				_, err := c.Media.ListForConference(ctx, 842341, &apizee.ListMediaParams{OrderBy: "date#x"})
				return err
			}),

		// TicketStatsParams
		refused("Stats Since year 0", "Since", ticketStats(apizee.TicketStatsParams{Since: year0})),
		refused("Stats Until year 10000", "Until", ticketStats(apizee.TicketStatsParams{Until: year1e4})),
		refused("Stats Since after Until", "Since", ticketStats(apizee.TicketStatsParams{Since: july14, Until: july13})),

		// Media for Open and Download
		refused("Download nil media", "Media", download(nil)),
		refused("Download empty URL", "URL", download(&apizee.Media{})),
		refused("Download javascript URL", "URL", download(&apizee.Media{URL: "javascript:alert(1)"})),
		refused("Download relative URL", "URL", download(&apizee.Media{URL: "/media/showVideo/1/hash/x"})),
		refused("Download ftp URL", "URL", download(&apizee.Media{URL: "ftp://cloud.apizee.com/x"})),
		refused("Download URL with NUL", "URL", download(&apizee.Media{URL: "https://cloud.apizee.com/\x00"})),
		refused("Open nil media", "Media", open(nil)),
		refused("Open file URL", "URL", open(&apizee.Media{URL: "file:///etc/passwd"})),

		// Options
		refused("BaseURL empty", "BaseURL", newClientWith(apizee.WithBaseURL(""))),
		refused("BaseURL white space", "BaseURL", newClientWith(apizee.WithBaseURL(" \t"))),
		refused("BaseURL not absolute", "BaseURL", newClientWith(apizee.WithBaseURL("cloud.apizee.com/api"))),
		refused("BaseURL plain http off loopback", "BaseURL", newClientWith(apizee.WithBaseURL("http://cloud.apizee.com/api"))),
		refused("BaseURL user info", "BaseURL", newClientWith(apizee.WithBaseURL("https://user:pw@cloud.apizee.com/api"))),
		refused("BaseURL query", "BaseURL", newClientWith(apizee.WithBaseURL("https://cloud.apizee.com/api?agent=evil"))),
		refused("BaseURL fragment", "BaseURL", newClientWith(apizee.WithBaseURL("https://cloud.apizee.com/api#frag"))),
		refused("BaseURL CRLF", "BaseURL", newClientWith(apizee.WithBaseURL("https://cloud.apizee.com\r\n/api"))),
		refused("BaseURL javascript", "BaseURL", newClientWith(apizee.WithBaseURL("javascript:alert(1)"))),
		refused("UserAgent CRLF", "UserAgent", newClientWith(apizee.WithUserAgent("crm/1\r\nX-Evil: 1"))),
		refused("UserAgent NUL", "UserAgent", newClientWith(apizee.WithUserAgent("crm/1\x00"))),
		{name: "UserAgent unicode", call: newClientWith(apizee.WithUserAgent("crm/1 ✓")), method: http.MethodGet, path: "/tickets/82070",
			header: [2]string{"User-Agent", "crm/1 ✓ apizee-go/" + apizee.Version}},
		refused("Token empty", "Token", newClientWith(apizee.WithToken(""))),
		refused("Token CRLF", "Token", newClientWith(apizee.WithToken("tok\r\nX-Evil: 1"))),
		refused("Credentials no username", "Username", newClientWith(apizee.WithCredentials(" ", "pw"))),
		refused("Credentials no password", "Password", newClientWith(apizee.WithCredentials("user", ""))),
		{name: "Credentials form injection", call: newClientWith(apizee.WithCredentials("user&grant_type=x", "pw&username=evil\r\n")),
			method: http.MethodPost, path: "/token",
			form: url.Values{"grant_type": {"password"}, "username": {"user&grant_type=x"}, "password": {"pw&username=evil\r\n"}}},
		refused("EnterpriseID 0", "EnterpriseID", newClientWith(apizee.WithEnterpriseID(0))),
		refused("EnterpriseID negative", "EnterpriseID", newClientWith(apizee.WithEnterpriseID(-1))),
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
