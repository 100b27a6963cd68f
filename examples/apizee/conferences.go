package main

import (
	"github.com/spf13/cobra"

	"github.com/apizee-go/apizee"
)

// conferenceColumns are the columns of a meeting.
var conferenceColumns = []column[apizee.Conference]{
	{"id", func(c *apizee.Conference) field { return number(c.ID) }},
	{"name", func(c *apizee.Conference) field { return text(c.Name) }},
	{"status", func(c *apizee.Conference) field { return text(c.Status) }},
	{"created", func(c *apizee.Conference) field { return timestamp(c.Created) }},
	{"start_time", func(c *apizee.Conference) field { return timestamp(c.StartTime) }},
	{"end_time", func(c *apizee.Conference) field { return timestamp(c.EndTime) }},
	{"url", func(c *apizee.Conference) field { return text(c.URL) }},
	{"short_url", func(c *apizee.Conference) field { return text(c.ShortURL) }},
	{"organizer", func(c *apizee.Conference) field { return partyName(c.Organizer) }},
	{"service_key", func(c *apizee.Conference) field { return text(c.ServiceKey) }},
	{"modified", func(c *apizee.Conference) field { return timestamp(c.Modified) }},
	{"room_name", func(c *apizee.Conference) field { return text(c.RoomName) }},
	{"sip_phone_number", func(c *apizee.Conference) field { return text(c.SIPPhoneNumber) }},
	{"sip_dtmf_code", func(c *apizee.Conference) field { return text(c.SIPDTMFCode) }},
	{"moderator", func(c *apizee.Conference) field { return partyName(c.Moderator) }},
	{"created_by", func(c *apizee.Conference) field { return partyName(c.CreatedBy) }},
}

// joinURL is what join-url prints.
type joinURL struct {
	id          int64
	url, iframe string
}

var joinURLColumns = []column[joinURL]{
	{"id", func(j *joinURL) field { return number(j.id) }},
	{"join_url", func(j *joinURL) field { return text(j.url) }},
	{"iframe", func(j *joinURL) field { return text(j.iframe) }},
}

func (a *app) conferencesCommand() *cobra.Command {
	return group("conferences", "Video meetings",
		a.conferencesCreateCommand(), a.conferencesGetCommand(), a.conferencesListCommand(),
		a.conferencesFindCommand(), a.conferencesJoinURLCommand())
}

func (a *app) conferencesCreateCommand() *cobra.Command {
	var p apizee.CreateConferenceParams
	var invite bool
	var extra []string
	cmd := a.command("create", "Create a meeting (invites the participants unless --invite=false)", cobra.NoArgs,
		func(cmd *cobra.Command, _ []string) error {
			if cmd.Flags().Changed("invite") {
				p.Invite = &invite // unset: the API's default, which invites
			}
			var err error
			if p.Extra, err = parseExtra(extra); err != nil {
				return err
			}
			c, err := a.client.Conferences.Create(cmd.Context(), &p)
			if err != nil {
				return err
			}
			return a.writeConference(c)
		})
	fs := cmd.Flags()
	fs.StringSliceVar(&p.Participants, "participant", nil, "participant email or phone (+33...), required (repeat or comma-separate)")
	fs.StringVar(&p.Name, "name", "", "meeting name (2 to 255 characters)")
	fs.BoolVar(&p.Moderation, "moderation", false, "guests wait for the moderator")
	fs.BoolVar(&invite, "invite", true, "send the invitations")
	fs.StringVar(&p.Moderator, "moderator", "", "moderator's user id or login")
	fs.StringVar(&p.Message, "message", "", "invitation message (at most 300 characters)")
	fs.StringVar(&p.Password, "password", "", "room password: digits, * and # only")
	fs.Var(timeFlag{&p.StartTime}, "start", "start time (RFC 3339)")
	fs.DurationVar(&p.Duration, "duration", 0, "duration, whole minutes (e.g. 45m)")
	fs.DurationVar(&p.Reminder, "reminder", 0, "reminder before the start, 1 to 60 minutes (e.g. 10m)")
	fs.BoolVar(&p.Open, "open", false, "open room")
	fs.StringVar(&p.Language, "language", "", "invitation language, e.g. fr")
	fs.Int64Var(&p.TemplateID, "template-id", 0, "invitation template id")
	fs.StringArrayVar(&extra, "param", nil, "extra API parameter name=value, sent as is (repeatable)")
	return cmd
}

func (a *app) conferencesGetCommand() *cobra.Command {
	return a.command("get ID", "Get a meeting", cobra.ExactArgs(1), func(cmd *cobra.Command, args []string) error {
		c, err := a.getConference(cmd, args[0])
		if err != nil {
			return err
		}
		return a.writeConference(c)
	})
}

func (a *app) getConference(cmd *cobra.Command, arg string) (*apizee.Conference, error) {
	id, err := parseID("meeting id", arg)
	if err != nil {
		return nil, err
	}
	return a.client.Conferences.Get(cmd.Context(), id)
}

func (a *app) conferencesListCommand() *cobra.Command {
	var p apizee.ListConferencesParams
	var order string
	var max int
	cmd := a.command("list", "List meetings (JSON Lines or CSV)", cobra.NoArgs, func(cmd *cobra.Command, _ []string) error {
		p.Order = apizee.Order(order)
		return stream(newRecords(a, conferenceColumns), a.client.Conferences.All(cmd.Context(), &p), max)
	})
	fs := cmd.Flags()
	fs.StringVar(&p.Search, "search", "", "meetings whose name contains this")
	timeRangeFlags(fs, &p.Since, &p.Until, "meetings")
	fs.StringVar(&p.OrderBy, "orderby", "", "sort key")
	fs.StringVar(&order, "order", "", "asc or desc")
	pagingFlags(fs, &p.Limit, &p.Offset, &max)
	return cmd
}

func (a *app) conferencesFindCommand() *cobra.Command {
	return a.command("find NAME", "Get the newest meeting with exactly this name", cobra.ExactArgs(1),
		func(cmd *cobra.Command, args []string) error {
			c, err := a.client.Conferences.FindByName(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return a.writeConference(c)
		})
}

func (a *app) conferencesJoinURLCommand() *cobra.Command {
	var participant string
	cmd := a.command("join-url ID", "Print a meeting's join URL and the iframe that embeds it", cobra.ExactArgs(1),
		func(cmd *cobra.Command, args []string) error {
			c, err := a.getConference(cmd, args[0])
			if err != nil {
				return err
			}
			return newRecords(a, joinURLColumns).write(&joinURL{c.ID, c.JoinURL(participant), c.IframeHTML(c.Name)})
		})
	cmd.Flags().StringVar(&participant, "participant-name", "", "the participant's name: skips the login card")
	return cmd
}

func (a *app) writeConference(c *apizee.Conference) error {
	return newRecords(a, conferenceColumns).write(c)
}
