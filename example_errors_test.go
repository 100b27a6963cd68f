package apizee_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/apizee-go/apizee"
	"github.com/apizee-go/apizee/apizeetest"
)

// Tell failures apart with errors.As and errors.Is: input refused before any
// request, an error answer of the API, a wait the server asked for.
func ExampleAPIError() {
	srv := apizeetest.NewServer()
	defer srv.Close()
	client := exampleClient(srv)
	ctx := context.Background()

	_, err := client.Tickets.Create(ctx, &apizee.CreateTicketParams{Agent: "agent1@apizee.com", Phone: []string{"0612345678"}})
	var badInput *apizee.ValidationError
	if errors.As(err, &badInput) {
		fmt.Println("refused before sending, field", badInput.Field)
	}
	fmt.Println("requests sent:", len(srv.Requests()))

	_, err = client.Tickets.Get(ctx, 999999)
	var apiErr *apizee.APIError
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.Method, apiErr.Path, apiErr.StatusCode, apiErr.Message, errors.Is(err, apizee.ErrNotFound))
	}

	// A wait longer than RetryPolicy.MaxRetryAfter (60s by default) is
	// returned at once rather than slept.
	srv.QueueFault(apizeetest.Fault{Method: http.MethodGet, Path: "/tickets/82070",
		Status: http.StatusTooManyRequests, Header: http.Header{"Retry-After": {"3600"}}})
	_, err = client.Tickets.Get(ctx, 82070)
	if errors.As(err, &apiErr) && errors.Is(err, apizee.ErrRateLimited) {
		fmt.Println("rate limited: try again in", apiErr.RetryAfter)
	}
	// Output:
	// refused before sending, field Phone
	// requests sent: 0
	// GET /tickets/999999 404 Ticket 999999 not found true
	// rate limited: try again in 1h0m0s
}
