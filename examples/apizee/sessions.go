package main

import (
	"github.com/spf13/cobra"

	"github.com/apizee-go/apizee"
)

// sessionColumns are the columns of a session. billing_units is the API's
// billing_duration as it reports it: the guide does not state its unit, so
// it is neither converted nor called a duration; duration_seconds is the
// time from start to end.
var sessionColumns = []column[apizee.Session]{
	{"id", func(s *apizee.Session) field { return text(s.ID) }},
	{"type", func(s *apizee.Session) field { return text(s.Type) }},
	{"start_time", func(s *apizee.Session) field { return timestamp(s.StartTime) }},
	{"end_time", func(s *apizee.Session) field { return timestamp(s.EndTime) }},
	{"billing_units", func(s *apizee.Session) field { return number(s.BillingUnits) }},
	{"participants", func(s *apizee.Session) field { return number(s.TotalParticipantCount) }},
	{"organizer", func(s *apizee.Session) field { return partyName(s.Organizer) }},
	{"service_key", func(s *apizee.Session) field {
		if s.Service == nil {
			return text("")
		}
		return text(s.Service.Key)
	}},
	{"duration_seconds", func(s *apizee.Session) field {
		if s.StartTime.IsZero() || s.EndTime.IsZero() {
			return field{"", nil}
		}
		return seconds(s.EndTime.Sub(s.StartTime))
	}},
	{"enterprise", func(s *apizee.Session) field { return partyName(s.Enterprise) }},
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
