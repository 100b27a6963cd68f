package webhook_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee"
	"github.com/apizee-go/apizee/apizeetest"
	"github.com/apizee-go/apizee/webhook"
)

// End to end: the fake sends its events to a Handler, which reads each
// object back through the client; a redelivery is a duplicate, a sender
// without the secret is refused.
func TestHandlerReceivesTheFakesEvents(t *testing.T) {
	srv := apizeetest.NewServer()
	defer srv.Close()
	client, err := apizee.NewClient(apizee.WithBaseURL(srv.URL), apizee.WithCredentials(srv.Username, srv.Password))
	require.NoError(t, err)

	var mu sync.Mutex
	var seen []string
	h := newHandler(t, func(ctx context.Context, e *webhook.Event) error {
		var what string
		switch e.Object {
		case webhook.ObjectTicket:
			id, err := strconv.ParseInt(e.ObjectID, 10, 64)
			if err != nil {
				return err
			}
			ticket, err := client.Tickets.Get(ctx, id) // the payload is a hint: refetch
			if err != nil {
				return err
			}
			props, err := e.TicketProps()
			if err != nil {
				return err
			}
			// The ticket may have moved on since the event: asynchronous
			// delivery is why the object is read back.
			assert.Contains(t, []apizee.TicketState{apizee.TicketNew, apizee.TicketDone}, ticket.State)
			what = "ticket " + string(props.State)
		case webhook.ObjectMedia:
			props, err := e.MediaProps()
			if err != nil {
				return err
			}
			what = "media of conference " + strconv.FormatInt(props.ConferenceID, 10)
		case webhook.ObjectConversation:
			props, err := e.ConversationProps()
			if err != nil {
				return err
			}
			what = props.EventType + " " + props.Name
		}
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, what)
		return nil
	})
	receiver := httptest.NewServer(h)
	defer receiver.Close()
	srv.SetWebhook(receiver.URL, http.Header{secretHeader: {newSecret}})

	ticket, err := client.Tickets.Create(t.Context(), &apizee.CreateTicketParams{Agent: srv.Username, Phone: []string{"+33612345678"}})
	require.NoError(t, err)
	srv.SetTicketState(ticket.ID, "done")
	srv.AddConferenceMedia(842341, 100)
	srv.EndConference(842341)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	deliveries, err := srv.WaitWebhooks(ctx, 4)
	require.NoError(t, err)
	for _, d := range deliveries {
		assert.Equal(t, http.StatusOK, d.StatusCode, "%s: %s", d.Body, d.Response)
		assert.Equal(t, "delivered\n", string(d.Response))
	}

	srv.Redeliver(1)
	srv.SetWebhook(receiver.URL, http.Header{secretHeader: {oldSecret}}) // a secret this receiver does not take
	srv.SetTicketState(ticket.ID, "closed")
	deliveries, err = srv.WaitWebhooks(ctx, 6)
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, deliveries[4].StatusCode)
	assert.Equal(t, "duplicate: already delivered\n", string(deliveries[4].Response))
	assert.Equal(t, http.StatusUnauthorized, deliveries[5].StatusCode)

	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{"ticket new", "ticket done", "media of conference 842341", "conversationEnded TEST XX"}, seen)
}
