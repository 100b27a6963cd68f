package apizeetest_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"time"

	"github.com/apizee-go/apizee"
	"github.com/apizee-go/apizee/apizeetest"
)

// A test double for the whole API: point the client at srv.URL, queue the
// failures the code under test must survive, then check what reached the
// server.
func ExampleNewServer() {
	srv := apizeetest.NewServer()
	defer srv.Close()
	client, err := apizee.NewClient(apizee.WithBaseURL(srv.URL), apizee.WithCredentials(srv.Username, srv.Password),
		apizee.WithRetryPolicy(apizee.RetryPolicy{MaxRetries: 2, MinBackoff: 1, MaxBackoff: 1}))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()

	// A GET survives a 503; a POST answered 503 is not sent again.
	srv.QueueFault(apizeetest.Fault{Method: http.MethodGet, Path: "/tickets/663614", Status: http.StatusServiceUnavailable})
	srv.QueueFault(apizeetest.Fault{Method: http.MethodPost, Path: "/conferences", Status: http.StatusServiceUnavailable})

	ticket, err := client.Tickets.Get(ctx, 663614)
	fmt.Println(ticket.ID, err)
	_, err = client.Conferences.Create(ctx, &apizee.CreateConferenceParams{Participants: []string{"guest@example.com"}})
	fmt.Println(errors.Is(err, apizee.ErrServer))
	fmt.Println("GET /tickets/663614:", srv.RequestCount(http.MethodGet, "/tickets/663614"))
	fmt.Println("POST /conferences:", srv.RequestCount(http.MethodPost, "/conferences"))
	// Output:
	// 663614 <nil>
	// true
	// GET /tickets/663614: 2
	// POST /conferences: 1
}

// Queue the failures the code under test must survive: each fault is played
// once, by the first request it matches, in the order queued.
func ExampleServer_QueueFault() {
	srv := apizeetest.NewServer()
	defer srv.Close()
	client, err := apizee.NewClient(apizee.WithBaseURL(srv.URL), apizee.WithCredentials(srv.Username, srv.Password),
		apizee.WithRetryPolicy(apizee.RetryPolicy{MaxRetries: 2, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond}))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()

	// Rate limited once: the client waits as told, then asks again.
	srv.QueueFault(apizeetest.Fault{Method: http.MethodGet, Path: "/tickets/82070",
		Status: http.StatusTooManyRequests, Header: http.Header{"Retry-After": {"0"}}})
	// A proxy's maintenance page, answered 200.
	srv.QueueFault(apizeetest.Fault{Method: http.MethodGet, Path: "/conferences/842199", MalformedBody: true})
	// The ticket is created, then the connection drops before the answer.
	srv.QueueFault(apizeetest.Fault{Method: http.MethodPost, Path: "/tickets", DropAfterProcessing: true})

	ticket, err := client.Tickets.Get(ctx, 82070)
	fmt.Println("after a 429:", ticket.ID, err, srv.RequestCount(http.MethodGet, "/tickets/82070"), "requests")

	_, err = client.Conferences.Get(ctx, 842199)
	var notJSON *apizee.DecodeError
	fmt.Println("an HTML page:", errors.As(err, &notJSON))

	_, err = client.Tickets.Create(ctx, &apizee.CreateTicketParams{
		Agent: srv.Username, Phone: []string{"+33612345678"}, Reference: "case-9"})
	fmt.Println("a lost answer:", err != nil, "- tickets created:", srv.TicketsWithReference("case-9"))
	fmt.Println("faults left:", srv.FaultsPending())
	// Output:
	// after a 429: 82070 <nil> 2 requests
	// an HTML page: true
	// a lost answer: true - tickets created: 1
	// faults left: 0
}
