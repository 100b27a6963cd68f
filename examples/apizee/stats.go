package main

import (
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/apizee-go/apizee"
)

// ticketStatColumns are the CSV columns of a ticket statistics row, in the
// order of Apizee's own export.
var ticketStatColumns = []column[apizee.TicketStat]{
	{"id", func(s *apizee.TicketStat) string { return cellInt(s.ID) }},
	{"ref", func(s *apizee.TicketStat) string { return s.Ref }},
	{"description", func(s *apizee.TicketStat) string { return s.Description }},
	{"priority", func(s *apizee.TicketStat) string { return s.Priority }},
	{"requester", func(s *apizee.TicketStat) string { return s.Requester }},
	{"contact", func(s *apizee.TicketStat) string { return s.Contact }},
	{"state", func(s *apizee.TicketStat) string { return s.State }},
	{"assigned_to", func(s *apizee.TicketStat) string { return s.AssignedTo }},
	{"group", func(s *apizee.TicketStat) string { return s.Group }},
	{"type", func(s *apizee.TicketStat) string { return s.Type }},
	{"session_start", func(s *apizee.TicketStat) string { return cellTime(s.SessionStart) }},
	{"session_end", func(s *apizee.TicketStat) string { return cellTime(s.SessionEnd) }},
	{"answered", func(s *apizee.TicketStat) string { return strconv.FormatBool(s.Answered) }},
	{"invitations", func(s *apizee.TicketStat) string { return cellInt(s.Invitations) }},
	{"email_invitations", func(s *apizee.TicketStat) string { return cellInt(s.EmailInvitations) }},
	{"sms_invitations", func(s *apizee.TicketStat) string { return cellInt(s.SMSInvitations) }},
	{"calls", func(s *apizee.TicketStat) string { return cellInt(s.Calls) }},
	{"call_duration_seconds", func(s *apizee.TicketStat) string { return cellInt(int64(s.CallDuration / time.Second)) }},
	{"photos", func(s *apizee.TicketStat) string { return cellInt(s.Photos) }},
	{"videos", func(s *apizee.TicketStat) string { return cellInt(s.Videos) }},
	{"scans", func(s *apizee.TicketStat) string { return cellInt(s.Scans) }},
	{"login", func(s *apizee.TicketStat) string { return s.Login }},
	{"service", func(s *apizee.TicketStat) string { return s.Service }},
	{"device", func(s *apizee.TicketStat) string { return s.Device }},
	{"os", func(s *apizee.TicketStat) string { return s.OS }},
	{"browser", func(s *apizee.TicketStat) string { return s.Browser }},
}

func (a *app) statsCommand() *cobra.Command {
	var p apizee.TicketStatsParams
	tickets := a.command("tickets", "Per-ticket statistics for a period, one row per ticket (JSON Lines or CSV)", cobra.NoArgs,
		func(cmd *cobra.Command, _ []string) error {
			now := time.Now()
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
	fs.Var(timeFlag{&p.Since}, "since", "first day, YYYY-MM-DD (default today)")
	fs.Var(timeFlag{&p.Until}, "until", "last day, included, YYYY-MM-DD (default today)")
	return group("stats", "Statistics", tickets)
}
