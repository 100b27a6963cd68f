// Package webhook receives the events Apizee POSTs when a ticket, media,
// conversation or SMS message is created, updated or deleted: verified,
// parsed, and handed to your function once per event, however many times
// it is delivered. Receiving them replaces polling, which Apizee's budget
// of about 10 requests a minute per user makes expensive.
//
// Set the URL and a custom header in the Apizee console (Settings,
// WebHooks: URL, "X-Webhook-Secret: <long random value>", Activate), then
// mount a Handler there:
//
//	verifier, err := webhook.HeaderSecret("X-Webhook-Secret", os.Getenv("WEBHOOK_SECRET"))
//	if err != nil {
//		log.Fatal(err)
//	}
//	h, err := webhook.NewHandler(func(ctx context.Context, e *webhook.Event) error {
//		if e.Object != webhook.ObjectTicket {
//			return nil
//		}
//		id, _ := strconv.ParseInt(e.ObjectID, 10, 64)
//		ticket, err := client.Tickets.Get(ctx, id) // the event is a hint: read the ticket
//		if err != nil {
//			return err // 500: not marked delivered, a redelivery runs again
//		}
//		return crm.UpdateCase(ctx, ticket.Reference, ticket.State)
//	}, webhook.WithVerifier(verifier))
//	if err != nil {
//		log.Fatal(err)
//	}
//	http.Handle("POST /apizee/events", h)
//
// Apizee signs nothing: a verifier checks the shared secret the console
// sends (HeaderSecret, BasicAuth), in constant time, and anyone who holds it
// can forge any event. So an Event is a hint that something changed: read
// the object through the client before acting on it.
//
// Apizee documents neither redelivery nor the answer it expects. The Handler
// answers 2xx once your function returned nil, or for an event it already
// delivered, and 5xx when the function failed, so that a sender that
// retries delivers it again; it answers 409 to a delivery of an event that
// another delivery is handling at that moment. Its de-duplication, in memory
// or shared by replicas through an apizee.Store (WithStore), remembers an
// event for DefaultDeliveredTTL (24 hours).
//
// Parse reads one body by itself, for a receiver of your own.
package webhook
