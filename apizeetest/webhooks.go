package apizeetest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"sync"
	"time"
)

// Webhooks, as Apizee sends them: once SetWebhook names a URL, the server's
// own changes POST an event there, {"event","time","object","objectId",
// "props"} with "User-Agent: Cloud Apizee" and the configured headers. The
// shapes are those of testdata/webhooks (its README says which are the
// docs' and which are inferred).
//
// Delivery is asynchronous, as from the real service: the change returns
// (POST /tickets answers, AddConferenceMedia returns) before the receiver
// has answered, so that a receiver that calls back into the server, or is
// slow, holds up nothing. One sender delivers the events one at a time, in
// the order of the changes; WaitWebhooks waits for them. A delivery is made
// once: the server does not retry on its own (Apizee documents no retry
// policy); Redeliver sends one again.

// WebhookDelivery is one POST of an event to the webhook URL, with the
// receiver's answer.
type WebhookDelivery struct {
	URL        string
	Header     http.Header // as sent: User-Agent, Content-Type and the configured headers
	Body       []byte      // the event, as sent
	StatusCode int         // the receiver's status; 0 when it did not answer
	Response   []byte      // the first 4 KiB of the receiver's body
	Err        error       // why there was no (whole) answer: connection refused, timeout...; starts with "apizeetest: "
	Redelivery bool        // sent by Redeliver
}

// webhookUserAgent is the User-Agent of Apizee's deliveries.
const webhookUserAgent = "Cloud Apizee"

// webhookTimeout bounds one delivery: a receiver that answers later counts
// as no answer.
const webhookTimeout = 10 * time.Second

// maxWebhookAnswer is how much of a receiver's body a delivery keeps.
const maxWebhookAnswer = 4 << 10

// seedConversationIDs are the conversation UIDs of seeded meetings: the
// docs' conversationEnded example names conference 842199's "TEST".
var seedConversationIDs = map[int64]string{seedScheduledConfID: "734e3a7b-eb17-4d3f-901d-bcff178b"}

// webhookSender delivers the events of one Server. Its zero value is ready;
// its goroutine starts with the first event.
type webhookSender struct {
	mu      sync.Mutex
	url     string
	header  http.Header
	queue   []*WebhookDelivery
	done    []WebhookDelivery
	changed chan struct{} // closed, then replaced, when a delivery is done
	wake    chan struct{} // a delivery was queued
	stop    chan struct{} // Close
	stopped chan struct{} // the goroutine returned
	closed  bool
	client  *http.Client
}

// SetWebhook makes the server POST an event to url for each of its changes
// from now on, with header's fields added to each delivery (the custom
// headers of the console, e.g. a secret); "" stops the deliveries. Events
// already queued go where they were meant to.
func (s *Server) SetWebhook(url string, header http.Header) {
	// Canonical names, as a receiver reads them: a map literal's
	// "user-agent" would be sent beside Apizee's User-Agent, and the
	// record's Header.Get would not find "x-webhook-secret".
	canonical := http.Header{}
	for name, values := range header {
		for _, v := range values {
			canonical.Add(name, v)
		}
	}
	w := &s.webhooks
	w.mu.Lock()
	defer w.mu.Unlock()
	w.url, w.header = url, canonical
}

// Webhooks returns the deliveries made so far, in order.
func (s *Server) Webhooks() []WebhookDelivery {
	w := &s.webhooks
	w.mu.Lock()
	defer w.mu.Unlock()
	return cloneDeliveries(w.done)
}

// WaitWebhooks waits until n deliveries have been made (answered or failed)
// and returns them all, in order; or, with those made so far, ctx's error
// or an error once the server is closed.
func (s *Server) WaitWebhooks(ctx context.Context, n int) ([]WebhookDelivery, error) {
	w := &s.webhooks
	for {
		w.mu.Lock()
		if len(w.done) >= n {
			defer w.mu.Unlock()
			return cloneDeliveries(w.done), nil
		}
		if w.closed {
			defer w.mu.Unlock()
			return cloneDeliveries(w.done), fmt.Errorf("apizeetest: waiting for %d webhook deliveries: the server is closed after %d", n, len(w.done))
		}
		if w.changed == nil {
			w.changed = make(chan struct{})
		}
		changed := w.changed
		w.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return s.Webhooks(), fmt.Errorf("apizeetest: waiting for %d webhook deliveries: %w", n, ctx.Err())
		}
	}
}

// Redeliver sends delivery i (of Webhooks) again, to the same URL with the
// same headers and body, as a sender retrying would; it is made after the
// deliveries already queued. It panics if there is no delivery i.
func (s *Server) Redeliver(i int) {
	w := &s.webhooks
	w.mu.Lock()
	if i < 0 || i >= len(w.done) {
		n := len(w.done)
		w.mu.Unlock()
		panic(fmt.Sprintf("apizeetest: Redeliver(%d): %d deliveries made", i, n))
	}
	d := w.done[i]
	w.mu.Unlock()
	w.enqueue(&WebhookDelivery{URL: d.URL, Header: d.Header.Clone(), Body: bytes.Clone(d.Body), Redelivery: true})
}

// emit queues the event of a change when a webhook is set. It takes only
// the sender's lock, so the server's may be held: events are then queued
// in the order of the changes.
func (s *Server) emit(action, object string, objectID any, props any) {
	w := &s.webhooks
	w.mu.Lock()
	url, header := w.url, w.header.Clone()
	w.mu.Unlock()
	if url == "" {
		return
	}
	body, err := json.Marshal(struct {
		Event    string `json:"event"`
		Time     int64  `json:"time"`
		Object   string `json:"object"`
		ObjectID any    `json:"objectId"`
		Props    any    `json:"props"`
	}{action, s.now().Unix(), object, objectID, props})
	if err != nil {
		panic("apizeetest: encoding a webhook: " + err.Error())
	}
	// Apizee's own headers win over the configured ones.
	header.Set("User-Agent", webhookUserAgent)
	header.Set("Content-Type", "application/json")
	w.enqueue(&WebhookDelivery{URL: url, Header: header, Body: body})
}

// emitTicket queues the event of a ticket created or changed: its state,
// and the customer's position when the ticket has one.
func (s *Server) emitTicket(action string, t *ticket) {
	s.emit(action, "ticket", t.ID, struct {
		State  string  `json:"state"`
		Geoloc *geoloc `json:"geoloc,omitempty"`
	}{t.State, t.Geoloc})
}

// emitTicketMedia queues the event of a ticket media recorded (an inferred
// shape: testdata/webhooks/media_create_ticket.json).
func (s *Server) emitTicketMedia(ticketID int64, m *ticketMedia) {
	s.emit("create", "media", m.ID, struct {
		TicketID   int64  `json:"ticketId"`
		Title      string `json:"title"`
		Type       string `json:"type"`
		SourceType string `json:"sourceType"`
	}{ticketID, m.Title, m.Type, m.SourceType})
}

// emitConferenceMedia queues the event of a meeting recording (an inferred
// shape: testdata/webhooks/media_create_conference.json).
func (s *Server) emitConferenceMedia(conferenceID int64, m *conferenceMedia) {
	s.emit("create", "media", m.ID, struct {
		ConferenceID int64  `json:"conferenceId"`
		Title        string `json:"title"`
		Filename     string `json:"filename"`
		Status       string `json:"status"`
		MediaType    string `json:"mediaType"`
		SourceType   string `json:"sourceType"`
		Filesize     int64  `json:"filesize"`
	}{conferenceID, m.Title, m.Filename, m.Status, m.MediaType, m.SourceType, m.Filesize})
}

// conversationID is the UID of a meeting's conversation: the seed's, or
// one derived from its room, shaped like the docs' (8-4-4-8 hex digits).
func conversationID(c *conference) string {
	if id, ok := seedConversationIDs[c.ID]; ok {
		return id
	}
	h := fnv.New128a()
	_, _ = h.Write([]byte(c.RoomName))
	b := fmt.Sprintf("%x", h.Sum(nil))
	return b[:8] + "-" + b[8:12] + "-" + b[12:16] + "-" + b[16:24]
}

// enqueue queues d and starts the sender if needed. After Close it drops d.
func (w *webhookSender) enqueue(d *WebhookDelivery) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return
	}
	if w.stop == nil {
		w.stop, w.stopped, w.wake = make(chan struct{}), make(chan struct{}), make(chan struct{}, 1)
		w.client = &http.Client{
			// A connection per delivery: a receiver that restarts between
			// two deliveries does not fail the second on a stale connection
			// (net/http never replays a POST).
			Transport: &http.Transport{DisableKeepAlives: true},
			Timeout:   webhookTimeout,
			// A sender posts to the URL it was given: a redirect is the
			// receiver's answer, not a new target.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
		go w.run()
	}
	w.queue = append(w.queue, d)
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// run delivers the queue in order until Close.
func (w *webhookSender) run() {
	defer close(w.stopped)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-w.stop
		cancel()
	}()
	for {
		w.mu.Lock()
		if len(w.queue) == 0 {
			w.mu.Unlock()
			select {
			case <-w.wake:
				continue
			case <-w.stop:
				return
			}
		}
		d := w.queue[0]
		w.queue = w.queue[1:]
		w.mu.Unlock()

		w.send(ctx, d)
		if ctx.Err() != nil {
			return // closed mid-delivery: not recorded
		}
		w.mu.Lock()
		w.done = append(w.done, *d)
		if w.changed != nil {
			close(w.changed)
			w.changed = nil
		}
		w.mu.Unlock()
	}
}

// send makes one delivery and records the answer in d.
func (w *webhookSender) send(ctx context.Context, d *WebhookDelivery) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader(d.Body))
	if err != nil {
		d.Err = fmt.Errorf("apizeetest: delivering the webhook: %w", err)
		return
	}
	req.Header = d.Header.Clone()
	resp, err := w.client.Do(req)
	if err != nil {
		d.Err = fmt.Errorf("apizeetest: delivering the webhook: %w", err)
		return
	}
	defer resp.Body.Close()
	d.StatusCode = resp.StatusCode
	if d.Response, err = io.ReadAll(io.LimitReader(resp.Body, maxWebhookAnswer)); err != nil {
		d.Err = fmt.Errorf("apizeetest: reading the receiver's answer: %w", err)
	}
}

// close stops the sender: the delivery in progress is cancelled, queued
// ones are dropped.
func (w *webhookSender) close() {
	w.mu.Lock()
	wasClosed := w.closed
	w.closed = true
	stop, stopped := w.stop, w.stopped
	if w.changed != nil { // wake the waiters: nothing more comes
		close(w.changed)
		w.changed = nil
	}
	w.mu.Unlock()
	if stop == nil || wasClosed {
		return
	}
	close(stop)
	<-stopped
	w.client.CloseIdleConnections()
}

func cloneDeliveries(ds []WebhookDelivery) []WebhookDelivery {
	out := make([]WebhookDelivery, len(ds))
	for i, d := range ds {
		d.Header = d.Header.Clone()
		d.Body = bytes.Clone(d.Body)
		d.Response = bytes.Clone(d.Response)
		out[i] = d
	}
	return out
}
