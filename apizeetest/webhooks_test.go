package apizeetest_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee"
	"github.com/apizee-go/apizee/apizeetest"
)

// receiver is a webhook receiver that records what it got and answers
// with answer (200 when nil).
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	requests []receivedRequest
	answer   func(w http.ResponseWriter, r *http.Request)
}

type receivedRequest struct {
	method string
	header http.Header
	body   []byte
}

func newReceiver(t *testing.T, answer func(w http.ResponseWriter, r *http.Request)) *receiver {
	t.Helper()
	rc := &receiver{answer: answer}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.requests = append(rc.requests, receivedRequest{r.Method, r.Header.Clone(), body})
		rc.mu.Unlock()
		if rc.answer != nil {
			rc.answer(w, r)
			return
		}
		_, _ = io.WriteString(w, "delivered\n")
	}))
	t.Cleanup(rc.Close)
	return rc
}

func waitCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// wireEvent is a delivered body, decoded.
type wireEvent struct {
	Event    string          `json:"event"`
	Time     int64           `json:"time"`
	Object   string          `json:"object"`
	ObjectID any             `json:"objectId"`
	Props    json.RawMessage `json:"props"`
}

func decodeEvent(t *testing.T, body []byte) wireEvent {
	t.Helper()
	var e wireEvent
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.UseNumber()
	require.NoError(t, dec.Decode(&e), "%s", body)
	return e
}

func TestServerChangesPostWebhooks(t *testing.T) {
	clock := time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC)
	srv := newServer(t, apizeetest.WithClock(func() time.Time { return clock }))
	rc := newReceiver(t, nil)
	srv.SetWebhook(rc.URL+"/apizee/events", http.Header{"X-Webhook-Secret": {"s3cret"}, "X-Env": {"test"}})

	client, err := apizee.NewClient(apizee.WithBaseURL(srv.URL), apizee.WithCredentials(srv.Username, srv.Password))
	require.NoError(t, err)
	ticket, err := client.Tickets.Create(t.Context(), &apizee.CreateTicketParams{Agent: srv.Username, Phone: []string{"+33612345678"}, Invite: true})
	require.NoError(t, err)
	srv.SetTicketState(ticket.ID, "inprogress")
	srv.AddTicketMedia(ticket.ID, 1000)
	meeting, err := client.Conferences.Create(t.Context(), &apizee.CreateConferenceParams{Participants: []string{"guest@example.com"}, Name: "Weekly"})
	require.NoError(t, err)
	srv.AddConferenceMedia(meeting.ID, 2000)
	srv.EndConference(meeting.ID)

	deliveries, err := srv.WaitWebhooks(waitCtx(t), 5)
	require.NoError(t, err)
	require.Len(t, deliveries, 5)
	want := []struct {
		event, object string
		props         map[string]any
	}{
		{"create", "ticket", map[string]any{"state": "invited"}},
		{"update", "ticket", map[string]any{"state": "inprogress"}},
		{"create", "media", map[string]any{"ticketId": json.Number(strconv.FormatInt(ticket.ID, 10)), "type": "video/mp4", "sourceType": "unknown"}},
		{"create", "media", map[string]any{"conferenceId": json.Number(strconv.FormatInt(meeting.ID, 10)), "status": "completed", "mediaType": "video",
			"sourceType": "conf_record", "filesize": json.Number("2000")}},
		{"update", "conversation", map[string]any{"eventType": "conversationEnded", "name": "Weekly", "finishedAt": "2024-03-01T09:00:00+00:00"}},
	}
	for i, d := range deliveries {
		e := decodeEvent(t, d.Body)
		assert.Equal(t, want[i].event, e.Event, i)
		assert.Equal(t, want[i].object, e.Object, i)
		assert.Equal(t, clock.Unix(), e.Time, i)
		var props map[string]any
		dec := json.NewDecoder(strings.NewReader(string(e.Props)))
		dec.UseNumber()
		require.NoError(t, dec.Decode(&props))
		for k, v := range want[i].props {
			assert.Equal(t, v, props[k], "delivery %d: props.%s", i, k)
		}
		assert.Equal(t, rc.URL+"/apizee/events", d.URL)
		assert.Equal(t, http.StatusOK, d.StatusCode)
		assert.Equal(t, "delivered\n", string(d.Response), "the receiver's answer")
		assert.NoError(t, d.Err)
		assert.False(t, d.Redelivery)
	}
	assert.Equal(t, json.Number(strconv.FormatInt(ticket.ID, 10)), decodeEvent(t, deliveries[0].Body).ObjectID, "a ticket's objectId is its number")
	conv, ok := decodeEvent(t, deliveries[4].Body).ObjectID.(string)
	assert.True(t, ok, "a conversation's objectId is a UID string")
	assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{8}$`, conv)

	rc.mu.Lock()
	defer rc.mu.Unlock()
	require.Len(t, rc.requests, 5)
	for _, r := range rc.requests {
		assert.Equal(t, http.MethodPost, r.method)
		assert.Equal(t, "Cloud Apizee", r.header.Get("User-Agent"))
		assert.Equal(t, "application/json", r.header.Get("Content-Type"))
		assert.Equal(t, "s3cret", r.header.Get("X-Webhook-Secret"), "the configured headers")
		assert.Equal(t, "test", r.header.Get("X-Env"))
	}

	got, err := client.Tickets.Get(t.Context(), ticket.ID)
	require.NoError(t, err)
	assert.Equal(t, apizee.TicketInProgress, got.State, "SetTicketState changed the ticket itself")
	ended, err := client.Conferences.Get(t.Context(), meeting.ID)
	require.NoError(t, err)
	assert.Equal(t, "finished", ended.Status)
}

// readWebhookTestdata returns a file of testdata/webhooks without its final
// newline.
func readWebhookTestdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "webhooks", name))
	require.NoError(t, err)
	return strings.TrimRight(string(b), "\n")
}

// The fake's events are the docs' examples, byte for byte where the docs
// show one.
func TestWebhookShapesMatchTheDocs(t *testing.T) {
	var clock time.Time
	srv := newServer(t, apizeetest.WithClock(func() time.Time { return clock }))
	rc := newReceiver(t, nil)
	srv.SetWebhook(rc.URL, nil)

	clock = time.Unix(1632144306, 0)
	srv.EndConference(842199) // the seed's "TEST", the docs' conversation
	clock = time.Unix(1575976413, 0)
	srv.SetTicketState(82070, "done")
	clock = time.Unix(1689265444, 0)
	srv.AddConferenceMedia(842341, 2270386)
	clock = time.Unix(1677103206, 0)
	srv.AddTicketMedia(663614, 10)

	deliveries, err := srv.WaitWebhooks(waitCtx(t), 4)
	require.NoError(t, err)
	assert.Equal(t, readWebhookTestdata(t, "conversation_ended.json"), string(deliveries[0].Body))
	assert.Equal(t, strings.Replace(readWebhookTestdata(t, "ticket_update.json"), `"objectId":100`, `"objectId":82070`, 1),
		string(deliveries[1].Body), "the docs' ticket example, for the seed's ticket 82070")
	// Media: the inferred shapes, key for key and type for type; the
	// fake's ids and titles are its own.
	for i, file := range map[int]string{2: "media_create_conference.json", 3: "media_create_ticket.json"} {
		assert.Equal(t, shape(t, []byte(readWebhookTestdata(t, file))), shape(t, deliveries[i].Body), file)
	}
}

// shape maps each key of a JSON object (nested: "props.title") to the type
// of its value.
func shape(t *testing.T, body []byte) map[string]string {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(body, &m))
	out := map[string]string{}
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		for k, v := range m {
			switch v := v.(type) {
			case map[string]any:
				walk(prefix+k+".", v)
			case string:
				out[prefix+k] = "string"
			case float64:
				out[prefix+k] = "number"
			default:
				out[prefix+k] = "other"
			}
		}
	}
	walk("", m)
	return out
}

func TestWebhookDeliveriesRecordTheReceiversAnswerAndRedeliver(t *testing.T) {
	srv := newServer(t)
	var mu sync.Mutex
	status := http.StatusInternalServerError
	rc := newReceiver(t, func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		w.WriteHeader(status)
		_, _ = io.WriteString(w, strings.Repeat("x", 10<<10))
	})
	srv.SetWebhook(rc.URL, http.Header{"X-Webhook-Secret": {"s3cret"}})
	srv.SetTicketState(663614, "closed")
	first, err := srv.WaitWebhooks(waitCtx(t), 1)
	require.NoError(t, err)
	assert.Equal(t, http.StatusInternalServerError, first[0].StatusCode)
	assert.Len(t, first[0].Response, 4<<10, "the answer's body, capped")

	mu.Lock()
	status = http.StatusOK
	mu.Unlock()
	srv.Redeliver(0)
	all, err := srv.WaitWebhooks(waitCtx(t), 2)
	require.NoError(t, err)
	require.Len(t, all, 2)
	assert.True(t, all[1].Redelivery)
	assert.Equal(t, http.StatusOK, all[1].StatusCode)
	assert.Equal(t, string(all[0].Body), string(all[1].Body), "the same event")
	assert.Equal(t, "s3cret", all[1].Header.Get("X-Webhook-Secret"), "with the same headers")
	assert.Panics(t, func() { srv.Redeliver(2) })

	// A receiver that is not there: the error, no status.
	down := httptest.NewServer(http.NotFoundHandler())
	downURL := down.URL
	down.Close()
	srv.SetWebhook(downURL, nil)
	srv.SetTicketState(663614, "done")
	all, err = srv.WaitWebhooks(waitCtx(t), 3)
	require.NoError(t, err)
	require.Error(t, all[2].Err)
	assert.Zero(t, all[2].StatusCode)
	assert.True(t, strings.HasPrefix(all[2].Err.Error(), "apizeetest: "), "an error of the package: %q", all[2].Err)
	var opErr *net.OpError
	assert.ErrorAs(t, all[2].Err, &opErr, "the transport's error, wrapped")

	// A redirect is the receiver's answer, not followed.
	srv.SetWebhook(httptest.NewServer(http.RedirectHandler(rc.URL, http.StatusFound)).URL, nil)
	srv.SetTicketState(663614, "closed")
	all, err = srv.WaitWebhooks(waitCtx(t), 4)
	require.NoError(t, err)
	assert.Equal(t, http.StatusFound, all[3].StatusCode)
}

func TestWebhooksAreSentOnlyOnceSetAndAsynchronously(t *testing.T) {
	srv := newServer(t)
	srv.SetTicketState(663614, "closed") // no webhook yet: nothing sent
	release := make(chan struct{})
	rc := newReceiver(t, func(w http.ResponseWriter, _ *http.Request) { <-release })
	srv.SetWebhook(rc.URL, nil)

	// The receiver holds the first delivery: the change that caused it
	// returned all the same, and the next is queued behind it, in order.
	client, err := apizee.NewClient(apizee.WithBaseURL(srv.URL), apizee.WithCredentials(srv.Username, srv.Password))
	require.NoError(t, err)
	ticket, err := client.Tickets.Create(t.Context(), &apizee.CreateTicketParams{Agent: srv.Username, Email: []string{"jane@example.com"}})
	require.NoError(t, err, "POST /tickets answered while its webhook is held")
	srv.SetTicketState(ticket.ID, "done")
	assert.Empty(t, srv.Webhooks(), "nothing delivered yet")
	close(release)

	deliveries, err := srv.WaitWebhooks(waitCtx(t), 2)
	require.NoError(t, err)
	require.Len(t, deliveries, 2, "the change before SetWebhook sent nothing")
	assert.Equal(t, "create", decodeEvent(t, deliveries[0].Body).Event)
	assert.Equal(t, "update", decodeEvent(t, deliveries[1].Body).Event)

	srv.SetWebhook("", nil)
	srv.SetTicketState(ticket.ID, "closed")
	srv.SetWebhook(rc.URL, nil)
	srv.SetTicketState(ticket.ID, "done")
	deliveries, err = srv.WaitWebhooks(waitCtx(t), 3)
	require.NoError(t, err)
	require.Len(t, deliveries, 3, "the change made while unset sent nothing")
	assert.Contains(t, string(deliveries[2].Body), `"state":"done"`)
}

func TestCloseEndsAWebhookDeliveryInProgress(t *testing.T) {
	srv := apizeetest.NewServer()
	stuck := make(chan struct{})
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
		close(stuck)
		<-r.Context().Done() // answers never
	})
	srv.SetWebhook(rc.URL, nil)
	// A test waiting for a delivery that Close cuts short.
	waited := make(chan error, 1)
	go func() {
		_, err := srv.WaitWebhooks(context.Background(), 1)
		waited <- err
	}()
	srv.SetTicketState(663614, "closed")
	srv.SetTicketState(663614, "done")
	select {
	case <-stuck:
	case <-time.After(30 * time.Second): // a bound for a hang, not a synchronisation
		t.Fatal("no delivery reached the receiver")
	}
	closed := make(chan struct{})
	go func() { srv.Close(); close(closed) }()
	for _, done := range []<-chan struct{}{closed, errDone(waited)} {
		select {
		case <-done:
		case <-time.After(5 * time.Second): // a bound for a hang, not a synchronisation
			t.Fatal("Close, or a WaitWebhooks under way, waited for a receiver that never answers")
		}
	}
	assert.Empty(t, srv.Webhooks(), "the delivery cut short and the queued one are not recorded")
	_, err := srv.WaitWebhooks(context.Background(), 1)
	assert.ErrorContains(t, err, "closed", "nothing more comes: WaitWebhooks does not block forever")
}

// errDone closes its channel once errs yields an error.
func errDone(errs <-chan error) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		if <-errs != nil {
			close(done)
		}
	}()
	return done
}
