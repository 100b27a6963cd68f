package apizee_test

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

// Two replicas of a service share one store: one token for both, and a
// ticket created once per idempotency key, whichever replica is asked (or
// asked again after a restart). In production the store is Redis
// (apizeeredis.NewStore); NewMemoryStore shares within one process.
func ExampleWithStore() {
	srv := apizeetest.NewServer()
	defer srv.Close()
	store := apizee.NewMemoryStore()
	replica := func() *apizee.Client {
		client, err := apizee.NewClient(apizee.WithBaseURL(srv.URL), apizee.WithCredentials(srv.Username, srv.Password),
			apizee.WithStore(store))
		if err != nil {
			log.Fatal(err)
		}
		return client
	}
	a, b := replica(), replica()
	params := &apizee.CreateTicketParams{Agent: "agent1@apizee.com", Phone: []string{"+33612345678"}, Invite: true,
		Reference: "case-44", IdempotencyKey: "crm-case-44-callback"}

	first, err := a.Tickets.CreateOnce(context.Background(), params)
	if err != nil {
		log.Fatal(err)
	}
	again, err := b.Tickets.CreateOnce(context.Background(), params) // the other replica, the same request
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("same ticket:", first.ID == again.ID)
	fmt.Println("tickets created:", srv.RequestCount(http.MethodPost, "/tickets"))
	fmt.Println("token fetches:", srv.TokensIssued())
	// Output:
	// same ticket: true
	// tickets created: 1
	// token fetches: 1
}

// One limiter for every client of the process that uses the Apizee user:
// 10 requests a minute across them all. A call that would wait past its
// deadline is refused at once, unsent, with an error that says the client
// held it back; a call marked PriorityHigh goes before queued bulk work.
func ExampleNewRateLimiter() {
	srv := apizeetest.NewServer()
	defer srv.Close()
	limiter := apizee.NewRateLimiter(2, time.Minute) // Apizee's budget is NewRateLimiter(10, time.Minute)
	client, err := apizee.NewClient(apizee.WithBaseURL(srv.URL), apizee.WithToken(srv.IssueToken()),
		apizee.WithRateLimiter(limiter))
	if err != nil {
		log.Fatal(err)
	}
	ctx := apizee.ContextWithPriority(context.Background(), apizee.PriorityHigh)
	for range 2 {
		if _, err := client.Tickets.Get(ctx, 82070); err != nil {
			log.Fatal(err)
		}
	}

	// The budget is spent for a minute; this call has a second.
	short, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	_, err = client.Tickets.Get(short, 82070)
	var apiErr *apizee.APIError
	fmt.Println("held back by the client:", errors.Is(err, apizee.ErrBudgetWait))
	fmt.Println("rate limited:", errors.Is(err, apizee.ErrRateLimited))
	fmt.Println("an answer of the server:", errors.As(err, &apiErr))
	fmt.Println("requests sent:", srv.RequestCount(http.MethodGet, "/tickets/82070"))
	// Output:
	// held back by the client: true
	// rate limited: true
	// an answer of the server: false
	// requests sent: 2
}

// A room is created once even when the answer is lost: CreateOnce finds it
// by its exact name. With an IdempotencyKey, a later call (a retry by the
// user, a restarted job) returns the same room instead of inviting the
// guests again.
func ExampleConferencesService_CreateOnce() {
	srv := apizeetest.NewServer()
	defer srv.Close()
	client := exampleClient(srv)
	// The server creates the room, then the connection drops before the answer.
	srv.QueueFault(apizeetest.Fault{Method: http.MethodPost, Path: "/conferences", DropAfterProcessing: true})
	params := &apizee.CreateConferenceParams{
		Participants:   []string{"guest@example.com", "+33612345678"},
		Name:           "Claim 7731 review",
		IdempotencyKey: "claim-7731-review",
	}

	room, err := client.Conferences.CreateOnce(context.Background(), params)
	if err != nil {
		log.Fatal(err)
	}
	again, err := client.Conferences.CreateOnce(context.Background(), params)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("name:", room.Name)
	fmt.Println("same room:", room.ID == again.ID)
	fmt.Println("rooms created:", srv.RequestCount(http.MethodPost, "/conferences"))
	// Output:
	// name: Claim 7731 review
	// same room: true
	// rooms created: 1
}
