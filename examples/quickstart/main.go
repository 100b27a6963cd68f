// Quickstart walks the Apizee integration guide end to end: a token, a video
// assistance ticket with its agent and customer links, its media and the
// day's statistics, then a video meeting with its join URL, iframe,
// recordings and the day's sessions.
//
// With no APIZEE_* variable set it runs against apizeetest, the fake Apizee
// server built into the SDK, started in this process: no account, no network.
//
//	go run ./examples/quickstart
//
// Against a real account it only reads, unless -create is given (creating a
// ticket or a meeting sends a real SMS or email to the customer):
//
//	APIZEE_USERNAME=agent@example.com APIZEE_PASSWORD=... go run ./examples/quickstart
//	APIZEE_USERNAME=agent@example.com APIZEE_PASSWORD=... go run ./examples/quickstart -create -phone +33612345678
package main

import (
	"context"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/apizee-go/apizee"
	"github.com/apizee-go/apizee/apizeetest"
	"github.com/apizee-go/apizee/examples/internal/secrets"
)

// maxDownload is how much of a media the quickstart reads; whole files are
// for `apizee media download`.
const maxDownload = 20 << 20

func main() {
	var opt options
	flag.BoolVar(&opt.create, "create", false, "with a real account: create a ticket and a meeting (sends a real SMS or email)")
	flag.StringVar(&opt.agent, "agent", os.Getenv(apizee.EnvUsername), "login of the agent handling the ticket")
	flag.StringVar(&opt.phone, "phone", "", "customer phone, international form (+33612345678)")
	flag.StringVar(&opt.email, "email", "", "customer email")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	err := run(ctx, opt, os.Stdout)
	switch {
	case err == nil:
	case errors.As(err, new(*apizee.ValidationError)):
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "quickstart:", secrets.Mask(err.Error()))
		os.Exit(1)
	}
}

// options are the command line flags.
type options struct {
	create       bool
	agent        string
	phone, email string
}

func run(ctx context.Context, opt options, out io.Writer) error {
	trace := &traceTransport{base: http.DefaultTransport, out: out}
	httpClient := &http.Client{Transport: trace, Timeout: 30 * time.Second}
	g := &guide{out: out, opt: opt}

	if realAccount() {
		if opt.create && opt.phone == "" && opt.email == "" {
			return &apizee.ValidationError{Field: "Phone", Reason: "-create needs the customer's -phone or -email"}
		}
		client, err := apizee.NewClientFromEnv(apizee.WithHTTPClient(httpClient), apizee.WithUserAgent("apizee-quickstart"))
		if err != nil {
			return err
		}
		g.client = client
		mode := "read-only: pass -create to create a ticket and a meeting (that sends a real SMS or email)"
		if opt.create {
			mode = "creating a ticket and a meeting: the customer gets a real SMS or email"
		}
		fmt.Fprintf(out, "Running against the Apizee account of %s (%s).\n", baseURL(), mode)
	} else {
		srv := apizeetest.NewServer()
		defer srv.Close()
		client, err := apizee.NewClient(apizee.WithBaseURL(srv.URL), apizee.WithCredentials(srv.Username, srv.Password),
			apizee.WithHTTPClient(httpClient))
		if err != nil {
			return err
		}
		g.client, g.fake = client, srv
		g.opt.create, g.opt.agent = true, srv.Username
		if g.opt.phone == "" && g.opt.email == "" {
			g.opt.phone = "+33612345678"
		}
		fmt.Fprintf(out, "Running against the built-in fake Apizee server (apizeetest) at %s: no account, nothing leaves this machine.\n", srv.URL)
		fmt.Fprintf(out, "To run it against your account: %s=you@example.com %s=... go run ./examples/quickstart [-create -phone +33...]\n",
			apizee.EnvUsername, apizee.EnvPassword)
		fmt.Fprintf(out, "(or %s instead of the password; %s for a staging host; %s to skip the /users/me lookup)\n",
			apizee.EnvToken, apizee.EnvBaseURL, apizee.EnvEnterpriseID)
	}

	start := time.Now()
	err := g.walk(ctx)
	// Close revokes the token the client fetched: a script should not leave
	// a valid 24-hour token behind.
	closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	g.step("Sign out: Close revokes the token")
	if closeErr := g.client.Close(closeCtx); closeErr != nil {
		g.logf("revoking the token failed: %v", closeErr)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "\nThe guide ran in %s.\n", time.Since(start).Round(time.Millisecond))
	return nil
}

func (g *guide) walk(ctx context.Context) error {
	if err := g.assistance(ctx); err != nil {
		return err
	}
	return g.meeting(ctx)
}

// realAccount reports whether any APIZEE_* variable is set: then the
// account is the user's, never the fake.
func realAccount() bool {
	for _, name := range []string{apizee.EnvBaseURL, apizee.EnvUsername, apizee.EnvPassword, apizee.EnvToken, apizee.EnvEnterpriseID} {
		if os.Getenv(name) != "" {
			return true
		}
	}
	return false
}

func baseURL() string {
	if u := os.Getenv(apizee.EnvBaseURL); u != "" {
		return u
	}
	return apizee.DefaultBaseURL
}

// guide runs the steps and prints them.
type guide struct {
	out    io.Writer
	opt    options
	client *apizee.Client
	fake   *apizeetest.Server // nil against a real account
	steps  int
}

func (g *guide) step(title string) {
	g.steps++
	fmt.Fprintf(g.out, "\n%d. %s\n", g.steps, title)
}

// budget says what an answer reported of the rate-limit budget.
func budget(rl apizee.RateLimit) string {
	if rl.Remaining < 0 {
		return "not reported"
	}
	return fmt.Sprintf("%d requests, reset in %s", rl.Remaining, rl.Reset)
}

// logf prints a result line, with any secret masked.
func (g *guide) logf(format string, args ...any) {
	fmt.Fprintln(g.out, "   "+secrets.Mask(fmt.Sprintf(format, args...)))
}

// assistance is the guide's Video Assistance part.
func (g *guide) assistance(ctx context.Context) error {
	g.step("Token: the client signs in on its first call, caches the token and renews it before it expires")
	page, err := g.client.Tickets.List(ctx, &apizee.ListTicketsParams{Limit: 1})
	if err != nil {
		return err
	}
	g.logf("signed in; the account has %d tickets", page.Total)

	g.step("Any endpoint: Do calls one the SDK does not model (GET /users/me), through the same retries and token")
	var me struct {
		Name       string `json:"name"`
		Enterprise struct {
			ID int64 `json:"id"`
		} `json:"enterprise"`
	}
	resp, err := g.client.Do(ctx, http.MethodGet, "/users/me", nil, &me)
	if err != nil {
		return err
	}
	g.logf("signed in as %q of enterprise %d; %d attempt(s); budget left: %s", me.Name, me.Enterprise.ID, resp.Attempts, budget(resp.RateLimit))

	var ticket *apizee.Ticket
	if g.opt.create {
		g.step("Create an assistance ticket with SSO (POST /tickets?scope=sso)")
		p := &apizee.CreateTicketParams{
			Agent:     g.opt.agent,
			Reference: "quickstart-" + time.Now().UTC().Format("20060102-150405.000"),
			SSO:       true,
			Invite:    true,
		}
		if g.opt.phone != "" {
			p.Phone = []string{g.opt.phone}
		}
		if g.opt.email != "" {
			p.Email = []string{g.opt.email}
		}
		// CreateOnce never leaves two tickets for one reference, even when
		// the network loses the answer to the first POST.
		if ticket, err = g.client.Tickets.CreateOnce(ctx, p); err != nil {
			return err
		}
		g.logf("ticket #%d, state %s, reference %q, agent %s", ticket.ID, ticket.State, ticket.Reference, ticket.Agent)
	} else {
		if len(page.Items) == 0 {
			g.logf("no ticket on the account: the ticket steps are skipped")
			return nil
		}
		// A list answer has no agent_url: get the whole ticket.
		if ticket, err = g.client.Tickets.Get(ctx, page.Items[0].ID); err != nil {
			return err
		}
		g.logf("using the newest ticket, #%d (reference %q), instead of creating one", ticket.ID, ticket.Reference)
	}

	g.step("Agent deep link (agent_url/entrypoint/button_id/tickets/id)")
	if link := ticket.AgentTicketURL(); link != "" {
		g.logf("%s", link)
	} else {
		g.logf("the API gave no agent_url or button_id for this ticket")
	}
	if ticket.SSOURL != "" {
		g.logf("single sign-on link, logs the agent in: %s", ticket.SSOURL)
	} else if g.opt.create {
		g.logf("no single sign-on link: only the create's own answer carries it (after a lost answer, CreateOnce finds the ticket by listing)")
	}

	g.step("Customer link (requestor_url, sent by SMS or email when invite=1)")
	g.logf("%s", ticket.RequestorURL)

	g.step("Find the ticket by its reference (GET /tickets?reference=...)")
	if ticket.Reference == "" {
		g.logf("the ticket has no reference")
	} else {
		found, err := g.client.Tickets.FindByReference(ctx, ticket.Reference)
		if err != nil {
			return err
		}
		g.logf("reference %q is ticket #%d", found.Reference, found.ID)
	}

	g.step("The ticket's media (GET /enterprises/{id}/tickets/{id}/medias)")
	if g.fake != nil {
		g.fake.AddTicketMedia(ticket.ID, 256<<10)
		g.logf("(the fake records a 256 KiB video on the ticket, as a real session would)")
	}
	var media []*apizee.Media
	for m, err := range g.client.Media.AllForTicket(ctx, ticket.ID, nil) {
		if err != nil {
			return err
		}
		media = append(media, m)
		// Ticket media have a title, no file name: LocalFilename gives a
		// safe one, with the content type's extension.
		g.logf("media #%d %s %q, to save as %s", m.ID, m.ContentType, m.Title, m.LocalFilename())
	}
	g.logf("media on the ticket: %d", len(media))
	if err := g.download(ctx, media); err != nil {
		return err
	}

	g.step("Today's ticket statistics (GET /enterprises/{id}/tickets-stats)")
	today := time.Now().UTC()
	stats, err := g.client.Stats.Tickets(ctx, &apizee.TicketStatsParams{Since: today, Until: today})
	if err != nil {
		return err
	}
	g.logf("rows for %s: %d", today.Format(time.DateOnly), len(stats))
	for _, s := range stats[:min(len(stats), 3)] {
		g.logf("ticket #%d ref %q %s, answered %t, %d invitations, calls %s", s.ID, s.Reference, s.State, s.Answered, s.Invitations, s.CallDuration)
	}
	return nil
}

// download streams the first media into a SHA-256, at most maxDownload
// bytes of it: memory stays flat whatever its size.
func (g *guide) download(ctx context.Context, media []*apizee.Media) error {
	g.step("Download a media (streamed: memory stays flat whatever the size)")
	if len(media) == 0 {
		g.logf("nothing to download")
		return nil
	}
	m := media[0]
	file, err := g.client.Media.Open(ctx, m)
	if err != nil {
		return err
	}
	defer file.Close()
	sum := sha256.New()
	n, err := io.CopyN(sum, file, maxDownload)
	switch {
	case errors.Is(err, io.EOF):
		g.logf("media #%d (%s): %d bytes, sha256 %x", m.ID, m.LocalFilename(), n, sum.Sum(nil)[:8])
	case err != nil:
		return err
	default:
		g.logf("media #%d: read the first %d bytes and stopped; `go run ./examples/apizee media download` gets whole files", m.ID, n)
	}
	return nil
}

// meeting is the guide's Video Meeting part.
func (g *guide) meeting(ctx context.Context) error {
	var conf *apizee.Conference
	if g.opt.create {
		g.step("Create a meeting (POST /conferences)")
		participant := g.opt.phone
		if participant == "" {
			participant = g.opt.email
		}
		var err error
		conf, err = g.client.Conferences.Create(ctx, &apizee.CreateConferenceParams{
			Participants: []string{participant},
			Name:         "quickstart " + time.Now().UTC().Format("2006-01-02 15:04:05.000"),
			Duration:     30 * time.Minute,
		})
		if errors.Is(err, apizee.ErrForbidden) {
			g.logf("skipped: %v", err)
			return nil
		}
		if err != nil {
			return err
		}
		g.logf("meeting #%d %q, status %s, room %s", conf.ID, conf.Name, conf.Status, conf.RoomName)
	} else {
		g.step("Meetings (GET /conferences)")
		page, err := g.client.Conferences.List(ctx, &apizee.ListConferencesParams{Limit: 1})
		if err != nil {
			return err
		}
		if len(page.Items) == 0 {
			g.logf("no meeting on the account: the meeting steps are skipped")
			return nil
		}
		conf = &page.Items[0]
		g.logf("using the newest of %d meetings, #%d %q, instead of creating one", page.Total, conf.ID, conf.Name)
	}

	g.step("Join URL (the participant's name skips the login card)")
	g.logf("%s", conf.JoinURL("Alice Martin"))

	g.step("Embed the meeting in your page")
	g.logf("%s", conf.IframeHTML(conf.Name))

	g.step("Find the meeting by name (GET /conferences?search=...)")
	found, err := g.client.Conferences.FindByName(ctx, conf.Name)
	if err != nil {
		return err
	}
	g.logf("%q is meeting #%d", found.Name, found.ID)

	g.step("The meeting's recordings (GET /conferences/{id}/media)")
	if g.fake != nil {
		g.fake.AddConferenceMedia(conf.ID, 512<<10)
		g.logf("(the fake records a 512 KiB video of the meeting)")
	}
	recordings := 0
	for m, err := range g.client.Media.AllForConference(ctx, conf.ID, nil) {
		if err != nil {
			return err
		}
		recordings++
		g.logf("recording #%d %s %q, %s, %d bytes, to save as %s", m.ID, m.MediaType, m.Filename, m.Status, m.Size, m.LocalFilename())
	}
	g.logf("recordings: %d", recordings)

	g.step("Today's meeting sessions (GET /session)")
	now := time.Now().UTC()
	midnight := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	sessions := 0
	for s, err := range g.client.Sessions.All(ctx, &apizee.ListSessionsParams{ServiceKey: conf.ServiceKey, Since: midnight, Until: now}) {
		if err != nil {
			return err
		}
		sessions++
		g.logf("session %s, %s, %d participants, %d billing units", s.ID, s.StartTime.Format(time.TimeOnly), s.TotalParticipantCount, s.BillingUnits)
	}
	g.logf("sessions since %s: %d (statistics appear about 5 minutes after a session ends)", midnight.Format(time.RFC3339), sessions)
	return nil
}

// traceTransport prints each HTTP call the SDK makes, method, path and
// status only: queries carry customer phone numbers, and Apizee's links
// carry secrets.
type traceTransport struct {
	base http.RoundTripper
	out  io.Writer
}

func (t *traceTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	status := "no answer"
	if err == nil {
		status = resp.Status
	}
	fmt.Fprintf(t.out, "   -> %s %s: %s\n", req.Method, strings.TrimSuffix(req.URL.Path, "/"), status)
	return resp, err
}
