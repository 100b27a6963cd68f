package apizee_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"time"

	"github.com/apizee-go/apizee"
	"github.com/apizee-go/apizee/apizeetest"
)

func ExampleTicketsService_Create() {
	srv := apizeetest.NewServer()
	defer srv.Close()
	client := exampleClient(srv)

	ticket, err := client.Tickets.Create(context.Background(), &apizee.CreateTicketParams{
		Agent:     "agent1@apizee.com",
		Phone:     []string{"+33612345678"},
		Invite:    true, // the customer gets an SMS with the link ticket.RequestorURL
		Reference: "case-42",
		SSO:       true, // ticket.SSOURL logs the agent in
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("state:", ticket.State)
	fmt.Println("reference:", ticket.Reference)
	fmt.Println("customer:", ticket.Requestor.Phones)
	fmt.Println("agent deep link:", ticket.AgentTicketURL() != "")
	// Output:
	// state: invited
	// reference: case-42
	// customer: [+33612345678]
	// agent deep link: true
}

func ExampleTicketsService_CreateOnce() {
	srv := apizeetest.NewServer()
	defer srv.Close()
	client := exampleClient(srv)
	// The server creates the ticket, then the connection drops before the
	// answer: a plain Create would fail, and creating again would invite the
	// customer twice.
	srv.QueueFault(apizeetest.Fault{Method: http.MethodPost, Path: "/tickets", DropAfterProcessing: true})

	ticket, err := client.Tickets.CreateOnce(context.Background(), &apizee.CreateTicketParams{
		Agent:     "agent1@apizee.com",
		Phone:     []string{"+33612345678"},
		Invite:    true,
		Reference: "case-43",
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("state:", ticket.State)
	fmt.Println("tickets with the reference:", srv.TicketsWithReference("case-43"))
	// Output:
	// state: invited
	// tickets with the reference: 1
}

func ExampleTicketsService_FindByReference() {
	srv := apizeetest.NewServer()
	defer srv.Close()
	client := exampleClient(srv)
	ctx := context.Background()

	ticket, err := client.Tickets.FindByReference(ctx, "ref12345678")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("ticket %d is %s\n", ticket.ID, ticket.State)

	for media, err := range client.Media.AllForTicket(ctx, ticket.ID, nil) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%d %s %s", media.ID, media.ContentType, media.Title)
		if media.Location != nil {
			fmt.Printf(" at %.4f,%.4f", media.Location.Lat, media.Location.Lng)
		}
		fmt.Println()
	}
	// Output:
	// ticket 663614 is done
	// 1973404 video/mp4 ysExSVPf-2552-477
	// 1973403 image/jpeg diag_snapshot_1677103206155 at 48.7703,-3.5150
}

// One page of tickets and the total, for a screen that pages itself; All
// walks every page.
func ExampleTicketsService_List() {
	srv := apizeetest.NewServer()
	defer srv.Close()
	client := exampleClient(srv)
	srv.AddTickets(25, "campaign-7")

	page, err := client.Tickets.List(context.Background(), &apizee.ListTicketsParams{Reference: "campaign-7", Limit: 10, Offset: 20})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("tickets %d to %d of %d\n", page.Offset+1, page.Offset+len(page.Items), page.Total)
	// Output:
	// tickets 21 to 25 of 25
}

func ExampleStatsService_Tickets() {
	srv := apizeetest.NewServer()
	defer srv.Close()
	client := exampleClient(srv)

	stats, err := client.Stats.Tickets(context.Background(), &apizee.TicketStatsParams{
		Since: time.Date(2023, 7, 13, 0, 0, 0, 0, time.UTC),
		Until: time.Date(2023, 7, 14, 0, 0, 0, 0, time.UTC),
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range stats {
		fmt.Printf("ticket %d (ref %s) by %s: %s, answered %t, %d call(s) for %s, %d photo(s), on %s\n",
			s.ID, s.Reference, s.Login, s.SessionStart.Format(time.DateTime), s.Answered, s.Calls, s.CallDuration, s.Photos, s.OS)
	}
	// Output:
	// ticket 821793 (ref 1234) by agent1@apizee.com: 2023-07-13 18:03:13, answered false, 1 call(s) for 5m35s, 1 photo(s), on Android 10
}
