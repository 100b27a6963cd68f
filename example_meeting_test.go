package apizee_test

import (
	"context"
	"fmt"
	"log"
	"strings"
	"time"

	"github.com/apizee-go/apizee"
	"github.com/apizee-go/apizee/apizeetest"
)

// Create a meeting room for a guest, then give the doctor a link that skips
// the login card and an iframe for the practice's web page.
func ExampleConferencesService_Create() {
	srv := apizeetest.NewServer()
	defer srv.Close()
	client := exampleClient(srv)
	ctx := context.Background()

	invite := false // we send the link ourselves
	conf, err := client.Conferences.Create(ctx, &apizee.CreateConferenceParams{
		Participants: []string{"patient@example.com", "+33612345678"},
		Name:         "Consultation 2024-118",
		Moderation:   true,
		Invite:       &invite,
		Password:     "4821#",
		StartTime:    time.Date(2030, 3, 14, 9, 30, 0, 0, time.UTC),
		Duration:     30 * time.Minute,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(conf.Name, conf.Status, conf.StartTime.Format(time.RFC3339), conf.EndTime.Format(time.RFC3339))
	fmt.Println("by phone:", conf.SIPPhoneNumber)

	// Each room has its own URL: the output shows it as ROOM.
	room := func(s string) string { return strings.ReplaceAll(s, conf.URL, "ROOM") }
	fmt.Println(room(conf.JoinURL("Dr Doe")))
	fmt.Println(room(conf.IframeHTML("Consultation with Dr Doe")))
	// Output:
	// Consultation 2024-118 scheduled 2030-03-14T09:30:00Z 2030-03-14T10:00:00Z
	// by phone: +33 2 57 57 97 61
	// ROOM?name=Dr+Doe
	// <iframe src="ROOM" title="Consultation with Dr Doe" allow="microphone;camera;geolocation;display-capture" allowfullscreen></iframe>
}

// JoinURL and IframeHTML escape what they are given.
func ExampleConference_JoinURL() {
	conf := apizee.Conference{URL: "https://meet.apizee.com/private/7a3dc799/ae226154?lang=fr"}
	fmt.Println(conf.JoinURL("Zoé & Co"))
	fmt.Println(conf.JoinURLWith("displayName", "Zoé"))
	fmt.Println(conf.IframeHTML(`Zoé's "room"`))
	// Output:
	// https://meet.apizee.com/private/7a3dc799/ae226154?lang=fr&name=Zo%C3%A9+%26+Co
	// https://meet.apizee.com/private/7a3dc799/ae226154?lang=fr&displayName=Zo%C3%A9
	// <iframe src="https://meet.apizee.com/private/7a3dc799/ae226154?lang=fr" title="Zoé&#39;s &#34;room&#34;" allow="microphone;camera;geolocation;display-capture" allowfullscreen></iframe>
}

// Find a room by its name, then list what was recorded in it.
func ExampleConferencesService_FindByName() {
	srv := apizeetest.NewServer()
	defer srv.Close()
	client := exampleClient(srv)
	ctx := context.Background()

	// The API's search matches substrings ("TEST XX 2" too): FindByName keeps the exact name.
	conf, err := client.Conferences.FindByName(ctx, "TEST XX")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(conf.ID, conf.Name, conf.Status)
	for media, err := range client.Media.AllForConference(ctx, conf.ID, &apizee.ListMediaParams{OrderBy: "date", Order: apizee.OrderDesc}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(media.Filename, media.MediaType, media.Size, "bytes, by", media.Owner.Name)
	}
	// Output:
	// 842341 TEST XX ongoing
	// 0YW553BN-8214-composite.mp4 video 2270386 bytes, by Dr Doe
}

// List the meeting sessions of one day, e.g. for billing.
func ExampleSessionsService_All() {
	srv := apizeetest.NewServer()
	defer srv.Close()
	client := exampleClient(srv)
	ctx := context.Background()

	// The service key is on every conference of the Video Meeting service.
	conf, err := client.Conferences.Get(ctx, 842341)
	if err != nil {
		log.Fatal(err)
	}
	day := time.Date(2023, 7, 13, 0, 0, 0, 0, time.UTC)
	params := &apizee.ListSessionsParams{ServiceKey: conf.ServiceKey, Since: day, Until: day.Add(24*time.Hour - time.Second)}
	for s, err := range client.Sessions.All(ctx, params) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(s.ID, s.StartTime.Format(time.Kitchen), s.EndTime.Sub(s.StartTime), s.Organizer.Name,
			s.TotalParticipantCount, "participants,", s.BillingUnits, "billing units")
	}
	// Output:
	// 1057a6af-eb9e-4730-b570-b0df1cfb 4:23PM 1m8s Dr Doe 2 participants, 5 billing units
}
