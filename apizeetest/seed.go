package apizeetest

import "time"

// The seed is the data of the vendor's guide (the examples of
// /testdata, which a test compares with what the server answers). Its
// secrets are fake but shaped like real ones, and its links to the Apizee
// portal and media files point at this server, so that a client can follow
// them.
const (
	seedSSOToken = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJhcGl6ZWV0ZXN0Iiwic3ViIjoiZmFrZS1zc28tdG9rZW4iLCJpYXQiOjE2ODkxNzY4OTIsImV4cCI6MTY4OTE3NzE5Mn0.dGhpcy1pcy1ub3QtYS1yZWFsLXNpZ25hdHVyZQ"
	seedAgent    = "agent1@apizee.com"
	seedPhone    = "+33612345678"
)

// Seeded objects, by the ids of the guide.
const (
	seedInvitedTicketID   = 82070
	seedDoneTicketID      = 663614
	seedScheduledConfID   = 842199
	seedOngoingConfID     = 842341
	seedTicketVideoSize   = 262144
	seedTicketPhotoSize   = 48213
	seedConferenceRecSize = 2270386
)

// seed stores the guide's tickets, media, statistics, conferences and
// sessions.
func (s *Server) seed() {
	s.tickets = []*ticket{
		{
			ID:                 seedInvitedTicketID,
			State:              "invited",
			Reference:          "1234",
			Created:            mustStamp("2023-07-12T15:48:11+00:00"),
			Modified:           mustStamp("2023-07-12T15:48:12+00:00"),
			StartTime:          mustStamp("2023-07-12T15:48:12+00:00"),
			EndTime:            mustStamp("2023-07-12T16:18:12+00:00"),
			Agent:              seedAgent,
			RequestorURL:       "https://diag.apizee.com?convId=88a2c81a-2b5a-496f-8546-0d7bdde8&pwd=123456",
			Requestor:          requestor{Phone: seedPhone},
			InformationPageURL: "https://apz.fr/d6Nx453elx",
			ServiceKey:         ticketServiceKey,
			AgentURL:           s.root,
			SSOURL:             s.root + "?access_token=" + seedSSOToken,
			Status:             "invited",
			ButtonID:           buttonID,
			phones:             []string{seedPhone},
			invited:            true,
		},
		{
			ID:                 seedDoneTicketID,
			State:              "done",
			Reference:          "ref12345678",
			Created:            mustStamp("2023-02-22T21:56:34+00:00"),
			Modified:           mustStamp("2023-07-13T15:49:19+00:00"),
			StartTime:          mustStamp("2023-02-22T21:56:45+00:00"),
			EndTime:            mustStamp("2023-02-22T22:12:18+00:00"),
			Agent:              seedAgent,
			RequestorURL:       "https://diag.apizee.com?convId=3efcffcc-abc6-4917-b822-e659ea26&pwd=654321",
			Requestor:          requestor{Phone: seedPhone},
			InformationPageURL: "https://apz.fr/d6Nx453elx",
			Geoloc:             &geoloc{Lat: 48.7, Lng: -3.5},
			ServiceKey:         ticketServiceKey,
			AgentURL:           s.root,
			Status:             "done",
			ButtonID:           buttonID,
			phones:             []string{seedPhone},
			invited:            true,
		},
	}
	s.ticketMedia[seedDoneTicketID] = []*ticketMedia{
		{
			ID: 1973403, Title: "diag_snapshot_1677103206155", Type: "image/jpeg",
			Hash: "445f0780-b2fc-11ed-89d4-09e76cc8a403", SourceType: "unknown",
			Location: &location{Lat: 48.7703337, Lon: -3.5149756},
			URL:      s.addFile("445f0780-b2fc-11ed-89d4-09e76cc8a403", seedTicketPhotoSize, "image/jpeg"),
		},
		{
			ID: 1973404, Title: "ysExSVPf-2552-477", Type: "video/mp4",
			Hash: "4b6c0600-b2fc-11ed-afc2-a9d424af1014", SourceType: "unknown",
			URL: s.addFile("4b6c0600-b2fc-11ed-afc2-a9d424af1014", seedTicketVideoSize, "video/mp4"),
		},
	}
	s.statRows = []statRow{{
		ID: 821793, Ref: "1234", Priority: "Immédiat", Requester: "xx", Contact: seedPhone, State: "Fermé",
		AssignedTo: agentParty.Name, Group: "Support",
		Start: seedTime("2023-07-13T18:03:13+00:00"), End: seedTime("2023-07-13T18:33:13+00:00"),
		SMSInvitations: 1, Calls: 1, CallSeconds: 335, Photos: 1, Login: seedAgent, Service: "Tickets",
		Device: "K", OS: "Android 10", Browser: "Chrome 114.0.0.0",
	}, todayStatRow(s.now())}

	s.conferences = []*conference{
		{
			ID:             seedScheduledConfID,
			Name:           "TEST",
			Created:        mustStamp("2023-07-13T08:28:31+00:00"),
			Modified:       mustStamp("2023-07-13T08:28:31+00:00"),
			StartTime:      mustStamp("2023-07-13T08:28:31+00:00"),
			EndTime:        mustStamp("2023-07-13T09:28:31+00:00"),
			Status:         "scheduled",
			RoomName:       meetingRoomPrefix + ":ae226154999f5d50f9e6f909e27c5113",
			URL:            "https://meet.apizee.com/private/" + meetingRoomPrefix + "/ae226154999f5d50f9e6f909e27c5113",
			ShortURL:       "https://apz.fr/v639BqrklV",
			SIPPhoneNumber: sipPhoneNumber,
			SIPDTMFCode:    "342543",
			Organizer:      agentParty,
			CreatedBy:      apiParty,
			ServiceKey:     conferenceServiceKey,
			Moderator:      doctorParty,
		},
		{
			ID:             seedOngoingConfID,
			Name:           "TEST XX",
			Created:        mustStamp("2023-07-13T16:21:57+00:00"),
			Modified:       mustStamp("2023-07-13T16:23:36+00:00"),
			StartTime:      mustStamp("2023-07-13T16:21:57+00:00"),
			EndTime:        mustStamp("2023-07-13T17:21:57+00:00"),
			Status:         "ongoing",
			RoomName:       meetingRoomPrefix + ":5c310ee2210c24730a12929e1ec10a21",
			URL:            "https://meet.apizee.com/private/" + meetingRoomPrefix + "/5c310ee2210c24730a12929e1ec10a21",
			ShortURL:       "https://apz.fr/5lKzrPDXWQ",
			SIPPhoneNumber: sipPhoneNumber,
			SIPDTMFCode:    "031092",
			Organizer:      party{ID: 2899231, Name: doctorParty.Name},
			CreatedBy:      apiParty,
			ServiceKey:     conferenceServiceKey,
			Moderator:      doctorParty,
		},
	}
	recordingPlace := &geoloc{Lat: 48.7611333, Lng: -3.4669605}
	s.confMedia[seedOngoingConfID] = []*conferenceMedia{{
		ID:         2343988,
		Hash:       "aec9aca0-2199-11ee-9a17-c7ee7339236a",
		Created:    mustStamp("2023-07-13T16:24:04+00:00"),
		Owner:      doctorParty,
		Title:      "0YW553BN-8214-composite",
		Filename:   "0YW553BN-8214-composite.mp4",
		Status:     "completed",
		MediaType:  "video",
		URL:        s.addFile("aec9aca0-2199-11ee-9a17-c7ee7339236a", seedConferenceRecSize, "video/mp4"),
		Filesize:   seedConferenceRecSize,
		SourceType: "conf_record",
		Geoloc:     recordingPlace,
		Metadata:   mediaMetadata{Geoloc: recordingPlace},
	}}

	enterprise := party{ID: s.cfg.enterpriseID, Name: "Apizee"}
	meeting := service{ID: 5633, Key: conferenceServiceKey, Name: "Conference"}
	s.sessions = []*session{
		{
			ID: "0b7d3c55-9e0a-4f4e-a2f1-6d2f0c8e5a11", StartTime: mustStamp("2023-06-30T09:00:12+00:00"),
			EndTime: mustStamp("2023-06-30T09:41:50+00:00"), BillingDuration: 42, TotalParticipantCount: 3,
			Organizer: agentParty, Enterprise: enterprise, Service: meeting, Type: "conference",
		},
		{
			ID: "1057a6af-eb9e-4730-b570-b0df1cfb", StartTime: mustStamp("2023-07-13T16:23:26+00:00"),
			EndTime: mustStamp("2023-07-13T16:24:34+00:00"), BillingDuration: 5, TotalParticipantCount: 2,
			Organizer: doctorParty, Enterprise: enterprise, Service: meeting, Type: "conference",
		},
		{
			ID: "6c1f0e2d-4b7a-4e59-9d2c-3a8f5e7b1c90", StartTime: mustStamp("2023-07-20T14:02:00+00:00"),
			EndTime: mustStamp("2023-07-20T14:17:31+00:00"), BillingDuration: 16, TotalParticipantCount: 2,
			Organizer: agentParty, Enterprise: enterprise, Service: meeting, Type: "conference",
		},
	}
}

// seedTime parses a time of the seed, in stampLayout.
func seedTime(s string) time.Time { return time.Time(mustStamp(s)) }

// seedTodayStatID is the id of the statistics row the seed dates today.
const seedTodayStatID = 821794

// todayStatRow is the seed's statistics row of an answered call that ended
// shortly before now, on now's day in UTC: a report of today (the default
// of "apizee stats tickets") has data, as it would on an account in use.
func todayStatRow(now time.Time) statRow {
	now = now.UTC().Truncate(time.Second)
	start := now.Add(-15 * time.Minute)
	if midnight := now.Truncate(24 * time.Hour); start.Before(midnight) {
		start = midnight
	}
	end := start.Add(335 * time.Second)
	if end.After(now) {
		end = now
	}
	return statRow{
		ID: seedTodayStatID, Ref: "5678", Priority: "Immédiat", Requester: "Jane Doe", Contact: seedPhone, State: "Fermé",
		AssignedTo: agentParty.Name, Group: "Support", Start: start, End: end, Answered: true,
		Invitations: 1, SMSInvitations: 1, Calls: 1, CallSeconds: int(end.Sub(start) / time.Second), Videos: 1,
		Login: seedAgent, Service: "Tickets", Device: "Pixel 7", OS: "Android 14", Browser: "Chrome 126.0.0.0",
	}
}
