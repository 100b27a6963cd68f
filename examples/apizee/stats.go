package main

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/apizee-go/apizee"
)

// ticketStatColumns are the columns of a ticket statistics row, in the
// order of Apizee's own export, named like the TicketStat fields (and the
// ticket columns: reference, agent) rather than the export's labels.
var ticketStatColumns = []column[apizee.TicketStat]{
	{"id", func(s *apizee.TicketStat) field { return number(s.ID) }},
	{"reference", func(s *apizee.TicketStat) field { return text(s.Reference) }},
	{"description", func(s *apizee.TicketStat) field { return text(s.Description) }},
	{"priority", func(s *apizee.TicketStat) field { return text(s.Priority) }},
	{"requestor", func(s *apizee.TicketStat) field { return text(s.Requestor) }},
	{"contact", func(s *apizee.TicketStat) field { return text(s.Contact) }},
	{"state", func(s *apizee.TicketStat) field { return text(s.State) }},
	{"assigned_to", func(s *apizee.TicketStat) field { return text(s.AssignedTo) }},
	{"group", func(s *apizee.TicketStat) field { return text(s.Group) }},
	{"type", func(s *apizee.TicketStat) field { return text(s.Type) }},
	{"session_start", func(s *apizee.TicketStat) field { return timestamp(s.SessionStart) }},
	{"session_end", func(s *apizee.TicketStat) field { return timestamp(s.SessionEnd) }},
	{"answered", func(s *apizee.TicketStat) field { return boolean(s.Answered) }},
	{"invitations", func(s *apizee.TicketStat) field { return number(s.Invitations) }},
	{"email_invitations", func(s *apizee.TicketStat) field { return number(s.EmailInvitations) }},
	{"sms_invitations", func(s *apizee.TicketStat) field { return number(s.SMSInvitations) }},
	{"calls", func(s *apizee.TicketStat) field { return number(s.Calls) }},
	{"call_duration_seconds", func(s *apizee.TicketStat) field { return seconds(s.CallDuration) }},
	{"photos", func(s *apizee.TicketStat) field { return number(s.Photos) }},
	{"videos", func(s *apizee.TicketStat) field { return number(s.Videos) }},
	{"scans", func(s *apizee.TicketStat) field { return number(s.Scans) }},
	{"agent", func(s *apizee.TicketStat) field { return text(s.Login) }},
	{"service", func(s *apizee.TicketStat) field { return text(s.Service) }},
	{"device", func(s *apizee.TicketStat) field { return text(s.Device) }},
	{"os", func(s *apizee.TicketStat) field { return text(s.OS) }},
	{"browser", func(s *apizee.TicketStat) field { return text(s.Browser) }},
}

func (a *app) statsCommand() *cobra.Command {
	var p apizee.TicketStatsParams
	tickets := a.command("tickets", "Per-ticket statistics for a period, one row per ticket (JSON Lines or CSV)", cobra.NoArgs,
		func(cmd *cobra.Command, _ []string) error {
			// Today in UTC, as the times printed.
			now := time.Now().UTC()
			if p.Since.IsZero() {
				p.Since = now
			}
			if p.Until.IsZero() {
				p.Until = now
			}
			rows, err := a.client.Stats.Tickets(cmd.Context(), &p)
			if err != nil {
				return err
			}
			out := newRecords(a, ticketStatColumns)
			for i := range rows {
				if err := out.write(&rows[i]); err != nil {
					return err
				}
			}
			return out.close()
		})
	fs := tickets.Flags()
	fs.Var(timeFlag{&p.Since}, "since", "first day, YYYY-MM-DD (default today, UTC)")
	fs.Var(timeFlag{&p.Until}, "until", "last day, included, YYYY-MM-DD (default today, UTC)")
	return group("stats", "Statistics", tickets)
}
