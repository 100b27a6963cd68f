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

// Call an endpoint the SDK does not model (here GET /users/me) with Do: it
// goes through the same token handling, retries, rate limiting and typed
// errors as the service methods, and says what the answer said.
func ExampleClient_Do() {
	srv := apizeetest.NewServer()
	defer srv.Close()
	client := exampleClient(srv)
	ctx := context.Background()

	var me struct {
		Username   string `json:"username"`
		Enterprise struct {
			ID   int64  `json:"id"`
			Name string `json:"name"`
		} `json:"enterprise"`
	}
	resp, err := client.Do(ctx, http.MethodGet, "/users/me", nil, &me)
	if err != nil {
		log.Fatal(err) // an *apizee.APIError, *apizee.RequestError or *apizee.DecodeError
	}
	fmt.Println(me.Username, me.Enterprise.ID, me.Enterprise.Name)
	fmt.Println(resp.StatusCode, resp.Attempts, resp.Header.Get("Content-Type"), resp.Header.Get("Authorization") == "")

	// A path that could leave the base URL is refused before any request.
	_, err = client.Do(ctx, http.MethodGet, "/../admin", nil, nil)
	var invalid *apizee.ValidationError
	fmt.Println(errors.As(err, &invalid), invalid.Field)
	// Output:
	// agent1@apizee.com 1 Apizee
	// 200 1 application/json true
	// true Path
}

// Read what the answer said (status, attempts, the rate-limit budget) on
// any service method, failed calls included.
func ExampleResponseInto() {
	// A fake account allowed one request a minute.
	srv := apizeetest.NewServer(apizeetest.WithRateLimit(1, time.Minute))
	defer srv.Close()
	client, err := apizee.NewClient(apizee.WithBaseURL(srv.URL), apizee.WithCredentials(srv.Username, srv.Password),
		apizee.WithRetryPolicy(apizee.RetryPolicy{MaxRetries: 3, MaxRetryAfter: time.Second}))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()

	var r apizee.Response
	ticket, err := client.Tickets.Get(ctx, 82070, apizee.ResponseInto(&r))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ticket.ID, r.StatusCode, r.Attempts)

	// The second request of the minute is refused; waiting a minute is more
	// than this policy honours, so the call returns at once.
	_, err = client.Tickets.Get(ctx, 82070, apizee.ResponseInto(&r))
	fmt.Println(errors.Is(err, apizee.ErrRateLimited), r.StatusCode, r.RateLimit.Remaining, r.RateLimit.Reset)
	// Output:
	// 82070 200 1
	// true 429 0 1m0s
}

// Delete a meeting room; a retry after a lost answer that finds the room
// gone is success.
func ExampleConferencesService_Delete() {
	srv := apizeetest.NewServer()
	defer srv.Close()
	client := exampleClient(srv)
	ctx := context.Background()

	room, err := client.Conferences.Create(ctx, &apizee.CreateConferenceParams{Participants: []string{"+33612345678"}, Name: "Weekly"})
	if err != nil {
		log.Fatal(err)
	}
	if err := client.Conferences.Delete(ctx, room.ID); err != nil {
		log.Fatal(err)
	}
	_, err = client.Conferences.Get(ctx, room.ID)
	fmt.Println(errors.Is(err, apizee.ErrNotFound))
	// Output:
	// true
}
