package main

import (
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/apizee-go/apizee"
)

// ticketColumns are the columns of a ticket. The customer link and the SSO
// link carry secrets: they are printed masked, to show that they exist.
var ticketColumns = []column[apizee.Ticket]{
	{"id", func(t *apizee.Ticket) field { return number(t.ID) }},
	{"state", func(t *apizee.Ticket) field { return text(string(t.State)) }},
	{"reference", func(t *apizee.Ticket) field { return text(t.Reference) }},
	{"created", func(t *apizee.Ticket) field { return timestamp(t.Created) }},
	{"agent", func(t *apizee.Ticket) field { return text(t.Agent) }},
	{"name", func(t *apizee.Ticket) field { return text(t.Name) }},
	{"phones", func(t *apizee.Ticket) field { return list(t.Requestor.Phones) }},
	{"emails", func(t *apizee.Ticket) field { return list(t.Requestor.Emails) }},
	{"status", func(t *apizee.Ticket) field { return text(t.Status) }},
	{"agent_ticket_url", func(t *apizee.Ticket) field { return text(t.AgentTicketURL()) }},
	{"modified", func(t *apizee.Ticket) field { return timestamp(t.Modified) }},
	{"start_time", func(t *apizee.Ticket) field { return timestamp(t.StartTime) }},
	{"end_time", func(t *apizee.Ticket) field { return timestamp(t.EndTime) }},
	{"subject", func(t *apizee.Ticket) field { return text(t.Subject) }},
	{"type", func(t *apizee.Ticket) field { return text(t.Type) }},
	{"description", func(t *apizee.Ticket) field { return text(t.Description) }},
	{"service_key", func(t *apizee.Ticket) field { return text(t.ServiceKey) }},
	{"button_id", func(t *apizee.Ticket) field { return number(t.ButtonID) }},
	{"latitude", func(t *apizee.Ticket) field { return latitude(t.Geoloc) }},
	{"longitude", func(t *apizee.Ticket) field { return longitude(t.Geoloc) }},
	{"information_page_url", func(t *apizee.Ticket) field { return text(t.InformationPageURL) }},
	{"requestor_url", func(t *apizee.Ticket) field { return text(t.RequestorURL) }},
	{"sso_url", func(t *apizee.Ticket) field { return text(t.SSOURL) }},
}

func (a *app) ticketsCommand() *cobra.Command {
	return group("tickets", "Video assistance tickets",
		a.ticketsCreateCommand(), a.ticketsGetCommand(), a.ticketsListCommand(), a.ticketsFindCommand())
}

func (a *app) ticketsCreateCommand() *cobra.Command {
	var p apizee.CreateTicketParams
	var extra []string
	cmd := a.command("create", "Create a ticket (with --reference: at most one, even if the answer is lost)", cobra.NoArgs,
		func(cmd *cobra.Command, _ []string) error {
			if p.Agent == "" {
				p.Agent = a.defaultAgent()
			}
			var err error
			if p.Extra, err = parseExtra(extra); err != nil {
				return err
			}
			create := a.client.Tickets.Create
			if p.Reference != "" {
				// CreateOnce checks, after an ambiguous failure, whether
				// the first POST created the ticket before sending another:
				// no second SMS to the customer.
				create = a.client.Tickets.CreateOnce
			}
			t, err := create(cmd.Context(), &p)
			if err != nil {
				return err
			}
			return a.writeTicket(t)
		})
	fs := cmd.Flags()
	fs.StringVar(&p.Agent, "agent", "", "login of the agent handling the ticket (default $APIZEE_USERNAME)")
	fs.StringSliceVar(&p.Phone, "phone", nil, "customer phone in international form, +33612345678 (repeat or comma-separate)")
	fs.StringSliceVar(&p.Email, "email", nil, "customer email (repeat or comma-separate)")
	fs.StringVar(&p.Reference, "reference", "", "your business reference, e.g. a support case id")
	fs.BoolVar(&p.Invite, "invite", false, "send the invitation (SMS or email) to the customer now")
	fs.BoolVar(&p.SSO, "sso", false, "ask for the agent's single sign-on link")
	fs.StringVar(&p.Name, "name", "", "customer name")
	fs.StringVar(&p.Description, "description", "", "description")
	fs.StringVar(&p.Subject, "subject", "", "invitation email subject")
	fs.StringVar(&p.Type, "type", "", "ticket type")
	fs.StringVar(&p.Language, "language", "", "invitation language, e.g. fr")
	fs.StringArrayVar(&extra, "param", nil, "extra API parameter name=value, sent as is (repeatable)")
	return cmd
}

// defaultAgent is the agent of a ticket created without --agent: the
// account's own login.
func (a *app) defaultAgent() string {
	if a.server != nil {
		return a.server.Username
	}
	return os.Getenv(apizee.EnvUsername)
}

func (a *app) ticketsGetCommand() *cobra.Command {
	return a.command("get ID", "Get a ticket", cobra.ExactArgs(1), func(cmd *cobra.Command, args []string) error {
		id, err := parseID("ticket id", args[0])
		if err != nil {
			return err
		}
		t, err := a.client.Tickets.Get(cmd.Context(), id)
		if err != nil {
			return err
		}
		return a.writeTicket(t)
	})
}

func (a *app) ticketsListCommand() *cobra.Command {
	var p apizee.ListTicketsParams
	var order string
	var max int
	cmd := a.command("list", "List tickets, newest first (JSON Lines or CSV); a list answer has no status, name or "+
		"agent_ticket_url: 'tickets get ID' has them", cobra.NoArgs, func(cmd *cobra.Command, _ []string) error {
		p.Order = apizee.Order(order)
		return stream(newRecords(a, ticketColumns), a.client.Tickets.All(cmd.Context(), &p), max)
	})
	fs := cmd.Flags()
	fs.StringVar(&p.Reference, "reference", "", "only tickets with exactly this reference")
	timeRangeFlags(fs, &p.Since, &p.Until, "tickets created")
	fs.StringVar(&p.OrderBy, "orderby", "", "sort key, e.g. date")
	fs.StringVar(&order, "order", "", "asc or desc (the API's default: desc)")
	pagingFlags(fs, &p.Limit, &p.Offset, &max)
	return cmd
}

func (a *app) ticketsFindCommand() *cobra.Command {
	return a.command("find REFERENCE", "Get the newest ticket with exactly this reference", cobra.ExactArgs(1),
		func(cmd *cobra.Command, args []string) error {
			found, err := a.client.Tickets.FindByReference(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			// A list answer has no agent_url, button_id, status or name:
			// the ticket's own answer has them.
			t, err := a.client.Tickets.Get(cmd.Context(), found.ID)
			if err != nil {
				return err
			}
			return a.writeTicket(t)
		})
}

func (a *app) writeTicket(t *apizee.Ticket) error {
	return newRecords(a, ticketColumns).write(t)
}

// parseExtra reads repeated name=value flags into url.Values.
func parseExtra(params []string) (url.Values, error) {
	if len(params) == 0 {
		return nil, nil
	}
	extra := url.Values{}
	for _, p := range params {
		name, value, ok := strings.Cut(p, "=")
		if !ok || name == "" {
			return nil, usageError{fmt.Errorf("--param %q: want name=value", p)}
		}
		extra.Add(name, value)
	}
	return extra, nil
}
