package apizeetest_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"

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
