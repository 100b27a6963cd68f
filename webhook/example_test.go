package webhook_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/apizee-go/apizee/webhook"
)

func ExampleParse() {
	body := []byte(`{"event":"update","time":1575976413,"object":"ticket","objectId":100,"props":{"state":"done"}}`)
	e, err := webhook.Parse(body)
	if err != nil {
		log.Fatal(err) // a *webhook.ParseError naming the field
	}
	fmt.Println(e.Action, e.Object, e.ObjectID, e.Time)
	props, err := e.TicketProps()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("state:", props.State)

	_, err = webhook.Parse([]byte(`{"event":"update","object":"ticket"}`))
	fmt.Println(err)
	// Output:
	// update ticket 100 2019-12-10 11:13:33 +0000 UTC
	// state: done
	// webhook: not an Apizee event: field "objectId" is missing
}

// A receiver behind the header set in the Apizee console: the same event
// delivered twice runs the function once.
func ExampleNewHandler() {
	verifier, err := webhook.HeaderSecret("X-Webhook-Secret", "4f9c2a7e1b0d4c3a9e8f7a6b5c4d3e2f")
	if err != nil {
		log.Fatal(err)
	}
	h, err := webhook.NewHandler(func(ctx context.Context, e *webhook.Event) error {
		// A hint: read the ticket through the client before acting on it.
		fmt.Println("handling", e.Object, e.ObjectID, e.Action)
		return nil
	}, webhook.WithVerifier(verifier), webhook.WithLogger(nil))
	if err != nil {
		log.Fatal(err)
	}
	// In production: http.Handle("POST /apizee/events", h) on a server with timeouts.

	deliver := func(secret string) {
		r := httptest.NewRequest(http.MethodPost, "/apizee/events",
			strings.NewReader(`{"event":"update","time":1575976413,"object":"ticket","objectId":100,"props":{"state":"done"}}`))
		r.Header.Set("User-Agent", "Cloud Apizee")
		r.Header.Set("X-Webhook-Secret", secret)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		fmt.Print(w.Code, " ", w.Body.String())
	}
	deliver("4f9c2a7e1b0d4c3a9e8f7a6b5c4d3e2f")
	deliver("4f9c2a7e1b0d4c3a9e8f7a6b5c4d3e2f") // Apizee sent it again
	deliver("guess")
	// Output:
	// handling ticket 100 update
	// 200 delivered
	// 200 duplicate: already delivered
	// 401 Unauthorized
}
