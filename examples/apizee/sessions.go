package main

import (
	"github.com/spf13/cobra"

	"github.com/apizee-go/apizee"
)

// sessionColumns are the CSV columns of a session.
var sessionColumns = []column[apizee.Session]{
	{"id", func(s *apizee.Session) string { return s.ID }},
	{"type", func(s *apizee.Session) string { return s.Type }},
	{"start_time", func(s *apizee.Session) string { return cellTime(s.StartTime) }},
	{"end_time", func(s *apizee.Session) string { return cellTime(s.EndTime) }},
	{"billing_duration", func(s *apizee.Session) string { return cellInt(s.BillingDuration) }},
	{"participants", func(s *apizee.Session) string { return cellInt(s.TotalParticipantCount) }},
	{"organizer", func(s *apizee.Session) string { return partyName(s.Organizer) }},
	{"service_key", func(s *apizee.Session) string {
		if s.Service == nil {
			return ""
		}
		return s.Service.Key
	}},
}

func (a *app) sessionsCommand() *cobra.Command {
	var p apizee.ListSessionsParams
	var max int
	list := a.command("list", "List meeting sessions (JSON Lines or CSV); statistics appear about 5 minutes after a session ends",
		cobra.NoArgs, func(cmd *cobra.Command, _ []string) error {
			return stream(newRecords(a, sessionColumns), a.client.Sessions.All(cmd.Context(), &p), max)
		})
	fs := list.Flags()
	fs.StringVar(&p.ServiceKey, "service-key", "", "the meeting service's key (a meeting's service_key)")
	timeRangeFlags(fs, &p.Since, &p.Until, "sessions")
	pagingFlags(fs, &p.Limit, &p.Offset, &max)
	return group("sessions", "Meeting sessions (usage statistics)", list)
}
