package webhook_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee"
	"github.com/apizee-go/apizee/webhook"
)

const (
	secretHeader = "X-Webhook-Secret"
	ticketDone   = `{"event":"update","time":1575976413,"object":"ticket","objectId":100,"props":{"state":"done"}}`
)

// logBuffer is a log sink safe for concurrent handlers.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func debugLogger(l *logBuffer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// counter is a handler function that counts its calls and remembers the
// events.
type counter struct {
	calls  atomic.Int32
	mu     sync.Mutex
	events []*webhook.Event
}

func (c *counter) fn(_ context.Context, e *webhook.Event) error {
	c.calls.Add(1)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.events = append(c.events, e)
	return nil
}

// newHandler builds a handler verifying secretHeader: newSecret.
func newHandler(t *testing.T, fn func(context.Context, *webhook.Event) error, opts ...webhook.HandlerOption) *webhook.Handler {
	t.Helper()
	v, err := webhook.HeaderSecret(secretHeader, newSecret)
	require.NoError(t, err)
	h, err := webhook.NewHandler(fn, append([]webhook.HandlerOption{webhook.WithVerifier(v), webhook.WithLogger(nil)}, opts...)...)
	require.NoError(t, err)
	return h
}

// deliver POSTs body to h with the secret, as Apizee does, after mods.
func deliver(h http.Handler, body string, mods ...func(*http.Request)) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, "/hook", strings.NewReader(body))
	r.Header.Set("User-Agent", "Cloud Apizee")
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set(secretHeader, newSecret)
	for _, mod := range mods {
		mod(r)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestNewHandlerRefusesToBuildWithoutAVerifier(t *testing.T) {
	var c counter
	for name, opts := range map[string][]webhook.HandlerOption{
		"no option":     nil,
		"nil verifier":  {webhook.WithVerifier(nil)},
		"nil store":     {webhook.AllowUnverified(), webhook.WithStore(nil)},
		"zero max body": {webhook.AllowUnverified(), webhook.WithMaxBody(0)},
		"negative ttl":  {webhook.AllowUnverified(), webhook.WithDeliveredTTL(-time.Second)},
		"zero claim":    {webhook.AllowUnverified(), webhook.WithClaimTTL(0)},
	} {
		h, err := webhook.NewHandler(c.fn, opts...)
		assert.Nil(t, h, name)
		var invalid *apizee.ValidationError
		assert.True(t, errors.As(err, &invalid), "%s: %v", name, err)
	}
	h, err := webhook.NewHandler(nil, webhook.AllowUnverified())
	assert.Nil(t, h)
	assert.Error(t, err, "no function")

	h, err = webhook.NewHandler(c.fn, webhook.AllowUnverified(), webhook.WithLogger(nil))
	require.NoError(t, err, "unverified, explicitly")
	w := deliver(h, ticketDone, func(r *http.Request) { r.Header.Del(secretHeader) })
	assert.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, int32(1), c.calls.Load())
}

func TestHandlerAnswersOtherMethods405(t *testing.T) {
	var c counter
	h := newHandler(t, c.fn)
	for _, method := range []string{http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodOptions} {
		r := httptest.NewRequest(method, "/hook", strings.NewReader(ticketDone))
		r.Header.Set(secretHeader, newSecret)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		assert.Equal(t, http.StatusMethodNotAllowed, w.Code, method)
		assert.Equal(t, http.MethodPost, w.Header().Get("Allow"))
	}
	assert.Zero(t, c.calls.Load())
}

func TestHandlerAnswersAnUnverifiedDelivery401WithoutSayingWhyNorLoggingTheSecret(t *testing.T) {
	var logs logBuffer
	var c counter
	h := newHandler(t, c.fn, webhook.WithLogger(debugLogger(&logs)))
	body := &countingReader{r: strings.NewReader(ticketDone)}
	var answers []string
	for name, mod := range map[string]func(*http.Request){
		"no header": func(r *http.Request) { r.Header.Del(secretHeader) },
		"wrong":     func(r *http.Request) { r.Header.Set(secretHeader, oldSecret) },
		"twice":     func(r *http.Request) { r.Header.Add(secretHeader, newSecret) },
		"unread body": func(r *http.Request) {
			r.Header.Set(secretHeader, "nope")
			r.Body = io.NopCloser(body)
		},
	} {
		w := deliver(h, ticketDone, mod)
		assert.Equal(t, http.StatusUnauthorized, w.Code, name)
		answers = append(answers, w.Body.String())
	}
	assert.Zero(t, c.calls.Load())
	assert.Zero(t, body.n.Load(), "the body of an unverified request is not read")
	for _, a := range answers {
		assert.Equal(t, "Unauthorized\n", a, "the same answer whatever the reason")
	}
	assert.Contains(t, logs.String(), "not verified", "the log says a delivery was refused")
	assert.Contains(t, logs.String(), "does not hold the secret", "and why")
	assert.NotContains(t, logs.String(), newSecret)
	assert.NotContains(t, logs.String(), oldSecret)
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// endless is a body that never ends.
type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = ' '
	}
	return len(p), nil
}

func TestHandlerAnswersABodyPastTheCap413WithoutReadingOn(t *testing.T) {
	var c counter
	const limit = 4096
	h := newHandler(t, c.fn, webhook.WithMaxBody(limit))

	// Announced too large: not read at all.
	announced := &countingReader{r: endless{}}
	w := deliver(h, "", func(r *http.Request) { r.Body = io.NopCloser(announced); r.ContentLength = limit + 1 })
	assert.Equal(t, http.StatusRequestEntityTooLarge, w.Code)
	assert.Zero(t, announced.n.Load())

	// Streamed without a length: read up to the cap and one byte more.
	streamed := &countingReader{r: io.LimitReader(endless{}, 16<<20)} // bounded, so that a handler reading all fails, not hangs
	w = deliver(h, "", func(r *http.Request) { r.Body = io.NopCloser(streamed); r.ContentLength = -1 })
	assert.Equal(t, http.StatusRequestEntityTooLarge, w.Code)
	assert.LessOrEqual(t, streamed.n.Load(), int64(limit+512), "read up to the cap, not on")

	// At the cap exactly: accepted.
	atCap := ticketDone + strings.Repeat(" ", limit-len(ticketDone))
	assert.Equal(t, http.StatusOK, deliver(h, atCap).Code)
	assert.Equal(t, int32(1), c.calls.Load())
}

// A hostile client streams an endless body to a real server: it gets its
// 413 and the server stops reading, instead of taking in gigabytes.
func TestHandlerStopsAHostileEndlessStream(t *testing.T) {
	var c counter
	srv := httptest.NewServer(newHandler(t, c.fn))
	defer srv.Close()
	body := &countingReader{r: io.LimitReader(endless{}, 4<<30)}
	req, err := http.NewRequest(http.MethodPost, srv.URL, body)
	require.NoError(t, err)
	req.Header.Set(secretHeader, newSecret)
	resp, err := srv.Client().Do(req)
	if err == nil { // the answer may come before the server drops the connection, or the write fails first
		defer resp.Body.Close()
		assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
	}
	t.Logf("the client sent %d bytes", body.n.Load())
	assert.Less(t, body.n.Load(), int64(64<<20), "sent at most the cap plus what the sockets buffer, not 4 GiB")
	assert.Zero(t, c.calls.Load())
}

func TestHandlerAnswersABodyThatIsNotAnEvent400NamingTheField(t *testing.T) {
	var c counter
	h := newHandler(t, c.fn)
	for body, field := range map[string]string{
		``:                                     "JSON object",
		`{"event":"update","object":"ticket"}`: `"objectId"`,
		`{"event":"update","objectId":1}`:      `"object"`,
		`<html>`:                               "JSON object",
	} {
		w := deliver(h, body)
		assert.Equal(t, http.StatusBadRequest, w.Code, body)
		assert.Contains(t, w.Body.String(), field, body)
	}
	assert.Zero(t, c.calls.Load())
}

func TestHandlerDeliversUnknownObjectsAndActions(t *testing.T) {
	var c counter
	h := newHandler(t, c.fn)
	w := deliver(h, `{"event":"archive","time":1700000000,"object":"whiteboard","objectId":"wb-1","props":{"pages":3}}`)
	assert.Equal(t, http.StatusOK, w.Code)
	require.Len(t, c.events, 1)
	assert.Equal(t, webhook.Object("whiteboard"), c.events[0].Object)
	assert.Equal(t, webhook.Action("archive"), c.events[0].Action)
	assert.Equal(t, `{"pages":3}`, string(c.events[0].Props))
}

func TestHandlerAnswersADuplicate200WithoutCallingAgain(t *testing.T) {
	var c counter
	h := newHandler(t, c.fn)
	first := deliver(h, ticketDone)
	assert.Equal(t, http.StatusOK, first.Code)
	assert.Equal(t, "delivered\n", first.Body.String())
	// The same event, re-serialised: still a duplicate.
	for _, body := range []string{ticketDone, `{"objectId":"100","object":"ticket","event":"update","time":"1575976413","props":{ "state" : "done" }}`} {
		w := deliver(h, body)
		assert.Equal(t, http.StatusOK, w.Code)
		assert.Contains(t, w.Body.String(), "duplicate")
	}
	assert.Equal(t, int32(1), c.calls.Load())

	// Another change of the same ticket is another event.
	assert.Equal(t, http.StatusOK, deliver(h, strings.Replace(ticketDone, "1575976413", "1575976999", 1)).Code)
	assert.Equal(t, int32(2), c.calls.Load())
}

func TestHandlerAnswers500WhenTheFunctionFailsAndARedeliveryRunsItAgain(t *testing.T) {
	var calls atomic.Int32
	var logs logBuffer
	h := newHandler(t, func(ctx context.Context, e *webhook.Event) error {
		switch calls.Add(1) {
		case 1:
			return errors.New("crm unreachable")
		case 2:
			panic("nil map in the crm client")
		}
		return nil
	}, webhook.WithLogger(debugLogger(&logs)))

	w := deliver(h, ticketDone)
	assert.Equal(t, http.StatusInternalServerError, w.Code, "fn failed")
	assert.NotContains(t, w.Body.String(), "crm unreachable", "the answer does not carry the function's error")
	w = deliver(h, ticketDone)
	assert.Equal(t, http.StatusInternalServerError, w.Code, "fn panicked: recovered, 500")
	w = deliver(h, ticketDone)
	assert.Equal(t, http.StatusOK, w.Code, "not marked delivered: the third delivery runs fn")
	assert.Equal(t, "delivered\n", w.Body.String())
	w = deliver(h, ticketDone)
	assert.Contains(t, w.Body.String(), "duplicate")
	assert.Equal(t, int32(3), calls.Load())
	assert.Contains(t, logs.String(), "crm unreachable", "the log has the function's error")
	assert.Contains(t, logs.String(), "nil map in the crm client", "and the panic")
}

func TestHandlerLetsAnAbortPanicThrough(t *testing.T) {
	var calls atomic.Int32
	h := newHandler(t, func(context.Context, *webhook.Event) error {
		if calls.Add(1) == 1 {
			panic(http.ErrAbortHandler)
		}
		return nil
	})
	assert.PanicsWithValue(t, http.ErrAbortHandler, func() { deliver(h, ticketDone) })
	assert.Equal(t, http.StatusOK, deliver(h, ticketDone).Code, "the claim was dropped: the redelivery runs fn")
	assert.Equal(t, int32(2), calls.Load())
}

// blockingFn runs until release is closed, after saying it started.
type blockingFn struct {
	started chan struct{}
	release chan struct{}
	calls   atomic.Int32
}

// blockingClaim is the claim TTL of handlers running a blockingFn: a
// broken handler that runs fn twice fails the test then, not at the
// default's two minutes.
var blockingClaim = webhook.WithClaimTTL(10 * time.Second)

func newBlockingFn() *blockingFn {
	return &blockingFn{started: make(chan struct{}, 100), release: make(chan struct{})}
}

func (b *blockingFn) fn(ctx context.Context, _ *webhook.Event) error {
	b.calls.Add(1)
	b.started <- struct{}{}
	select {
	case <-b.release:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func TestHandlerAnswers409WhileAnotherDeliveryOfTheEventIsInFlight(t *testing.T) {
	b := newBlockingFn()
	h := newHandler(t, b.fn, blockingClaim)
	first := make(chan int)
	go func() { first <- deliver(h, ticketDone).Code }()
	<-b.started

	w := deliver(h, ticketDone)
	assert.Equal(t, http.StatusConflict, w.Code, "the first delivery is handling it")
	assert.Contains(t, w.Body.String(), "not delivered yet")
	close(b.release)
	assert.Equal(t, http.StatusOK, <-first)
	assert.Contains(t, deliver(h, ticketDone).Body.String(), "duplicate", "once handled, a redelivery is a duplicate")
	assert.Equal(t, int32(1), b.calls.Load())
}

func TestHandlerRunsConcurrentDeliveriesOfOneEventOnce(t *testing.T) {
	var c counter
	store := apizee.NewMemoryStore()
	handlers := []http.Handler{newHandler(t, c.fn, webhook.WithStore(store)), newHandler(t, c.fn, webhook.WithStore(store))}
	const n = 32
	codes := make(chan int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { codes <- deliver(handlers[i%2], ticketDone).Code })
	}
	wg.Wait()
	close(codes)
	for code := range codes {
		assert.Contains(t, []int{http.StatusOK, http.StatusConflict}, code)
	}
	assert.Equal(t, int32(1), c.calls.Load(), "%d concurrent deliveries to two replicas, one call", n)
}

func TestHandlersSharingAStoreDeliverAnEventOnce(t *testing.T) {
	var c counter
	store := apizee.NewMemoryStore()
	a := newHandler(t, c.fn, webhook.WithStore(store))
	b := newHandler(t, c.fn, webhook.WithStore(store))
	assert.Equal(t, http.StatusOK, deliver(a, ticketDone).Code)
	w := deliver(b, ticketDone)
	assert.Equal(t, http.StatusOK, w.Code)
	assert.Contains(t, w.Body.String(), "duplicate", "the other replica knows it was delivered")
	assert.Equal(t, int32(1), c.calls.Load())

	// Without a shared store each replica remembers only its own.
	var d counter
	x, y := newHandler(t, d.fn), newHandler(t, d.fn)
	deliver(x, ticketDone)
	deliver(y, ticketDone)
	assert.Equal(t, int32(2), d.calls.Load())

	// In flight on one replica: 409 on the other.
	blocked := newBlockingFn()
	shared := apizee.NewMemoryStore()
	p, q := newHandler(t, blocked.fn, webhook.WithStore(shared), blockingClaim), newHandler(t, blocked.fn, webhook.WithStore(shared), blockingClaim)
	done := make(chan int)
	go func() { done <- deliver(p, ticketDone).Code }()
	<-blocked.started
	assert.Equal(t, http.StatusConflict, deliver(q, ticketDone).Code)
	close(blocked.release)
	assert.Equal(t, http.StatusOK, <-done)
}

func TestHandlerFunctionContextCarriesTheRequestDeadline(t *testing.T) {
	type seen struct {
		deadline time.Time
		ok       bool
		value    any
	}
	got := make(chan seen, 1)
	type ctxKey struct{}
	h := newHandler(t, func(ctx context.Context, _ *webhook.Event) error {
		d, ok := ctx.Deadline()
		got <- seen{d, ok, ctx.Value(ctxKey{})}
		return nil
	})
	deadline := time.Now().Add(7 * time.Second)
	ctx, cancel := context.WithDeadline(context.WithValue(context.Background(), ctxKey{}, "request value"), deadline)
	defer cancel()
	w := deliver(h, ticketDone, func(r *http.Request) { *r = *r.WithContext(ctx) })
	assert.Equal(t, http.StatusOK, w.Code)
	s := <-got
	assert.True(t, s.ok)
	assert.Equal(t, deadline, s.deadline, "the request's deadline")
	assert.Equal(t, "request value", s.value, "and its values")

	// The request ending ends the function's context: 500, not delivered.
	b := newBlockingFn()
	h = newHandler(t, b.fn, blockingClaim)
	ctx, cancel = context.WithCancel(context.Background())
	code := make(chan int)
	go func() { code <- deliver(h, ticketDone, func(r *http.Request) { *r = *r.WithContext(ctx) }).Code }()
	<-b.started
	cancel()
	assert.Equal(t, http.StatusInternalServerError, <-code)
	close(b.release)
	assert.Equal(t, http.StatusOK, deliver(h, ticketDone).Code, "the sender hung up before fn finished: the redelivery runs it")
	assert.Equal(t, int32(2), b.calls.Load())
}

func TestHandlerFunctionNeverOutlivesItsClaim(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBlockingFn()
		h := newHandler(t, b.fn, webhook.WithClaimTTL(time.Minute))
		start := time.Now()
		code := deliver(h, ticketDone).Code // the fake clock runs while fn waits
		assert.Equal(t, http.StatusInternalServerError, code, "fn's context ended with the claim")
		assert.Equal(t, time.Minute, time.Since(start))
	})
}

func TestHandlerForgetsADeliveredEventAfterTheTTL(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var c counter
		h := newHandler(t, c.fn, webhook.WithStore(apizee.NewMemoryStore()))
		deliver(h, ticketDone)
		time.Sleep(webhook.DefaultDeliveredTTL - time.Second)
		assert.Contains(t, deliver(h, ticketDone).Body.String(), "duplicate", "remembered for 24 hours")
		time.Sleep(2 * time.Second)
		assert.Equal(t, "delivered\n", deliver(h, ticketDone).Body.String(), "then forgotten")
		assert.Equal(t, int32(2), c.calls.Load())

		var d counter
		short := newHandler(t, d.fn, webhook.WithDeliveredTTL(time.Hour))
		deliver(short, ticketDone)
		time.Sleep(time.Hour)
		deliver(short, ticketDone)
		assert.Equal(t, int32(2), d.calls.Load(), "WithDeliveredTTL")
	})
}

// faultyStore wraps a store and fails the methods a test chooses.
type faultyStore struct {
	apizee.Store
	mu   sync.Mutex
	fail map[string]bool // by method name
}

func (s *faultyStore) failing(method string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fail[method]
}

func (s *faultyStore) set(methods ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = map[string]bool{}
	for _, m := range methods {
		s.fail[m] = true
	}
}

var errStoreDown = errors.New("dial tcp 10.0.0.7:6379: connect: connection refused")

func (s *faultyStore) Get(ctx context.Context, key string) ([]byte, bool, error) {
	if s.failing("Get") {
		return nil, false, errStoreDown
	}
	return s.Store.Get(ctx, key)
}

func (s *faultyStore) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if s.failing("Set") {
		return errStoreDown
	}
	return s.Store.Set(ctx, key, value, ttl)
}

func (s *faultyStore) SetNX(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	if s.failing("SetNX") {
		return false, errStoreDown
	}
	return s.Store.SetNX(ctx, key, value, ttl)
}

func (s *faultyStore) CompareAndDelete(ctx context.Context, key string, value []byte) (bool, error) {
	if s.failing("CompareAndDelete") {
		return false, errStoreDown
	}
	return s.Store.CompareAndDelete(ctx, key, value)
}

// A store that is down is not fatal: the handler delivers, de-duplicating
// in its own memory, and says so in the log.
func TestHandlerDeliversWhenTheStoreIsDown(t *testing.T) {
	var logs logBuffer
	var c counter
	store := &faultyStore{Store: apizee.NewMemoryStore()}
	store.set("Get", "Set", "SetNX", "CompareAndDelete")
	h := newHandler(t, c.fn, webhook.WithStore(store), webhook.WithLogger(debugLogger(&logs)))
	assert.Equal(t, http.StatusOK, deliver(h, ticketDone).Code, "delivered although the store is down")
	assert.Contains(t, deliver(h, ticketDone).Body.String(), "duplicate", "de-duplicated in the handler's memory")
	assert.Equal(t, int32(1), c.calls.Load())
	assert.Contains(t, logs.String(), "the store failed")
	assert.Contains(t, logs.String(), "connection refused")

	// Back up: the delivery made meanwhile was recorded there too, so the
	// other replicas know it.
	store.set()
	other := newHandler(t, c.fn, webhook.WithStore(store))
	next := strings.Replace(ticketDone, "done", "closed", 1)
	store.set("SetNX")
	deliver(h, next)
	store.set()
	assert.Contains(t, deliver(other, next).Body.String(), "duplicate")
	assert.Equal(t, int32(2), c.calls.Load())
}

func TestHandlerWhenTheStoreFailsMidway(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var logs logBuffer
		store := &faultyStore{Store: apizee.NewMemoryStore()}
		var calls atomic.Int32
		fail := atomic.Bool{}
		fn := func(context.Context, *webhook.Event) error {
			calls.Add(1)
			if fail.Load() {
				return errors.New("crm down")
			}
			return nil
		}
		h := newHandler(t, fn, webhook.WithStore(store), webhook.WithLogger(debugLogger(&logs)))
		replica := newHandler(t, fn, webhook.WithStore(store))

		// The claim is held, then Get fails: someone holds the event, 409.
		held := strings.Replace(ticketDone, "100", "101", 1)
		assert.Equal(t, http.StatusOK, deliver(h, held).Code)
		store.set("Get")
		assert.Equal(t, http.StatusConflict, deliver(replica, held).Code, "held by someone: not run blindly")
		store.set()

		// fn succeeded but recording it failed: 200 all the same; the
		// claim still holds the event until it lapses.
		recorded := strings.Replace(ticketDone, "100", "102", 1)
		store.set("Set")
		assert.Equal(t, http.StatusOK, deliver(h, recorded).Code)
		store.set()
		assert.Contains(t, logs.String(), "recording the delivery failed")
		assert.Equal(t, http.StatusConflict, deliver(replica, recorded).Code)

		// fn failed and dropping the claim failed: 500, redeliveries get
		// 409 until the claim lapses, then run fn.
		dropped := strings.Replace(ticketDone, "100", "103", 1)
		fail.Store(true)
		store.set("CompareAndDelete")
		assert.Equal(t, http.StatusInternalServerError, deliver(h, dropped).Code)
		store.set()
		fail.Store(false)
		assert.Contains(t, logs.String(), "dropping the claim failed")
		assert.Equal(t, http.StatusConflict, deliver(replica, dropped).Code)
		time.Sleep(webhook.DefaultClaimTTL)
		before := calls.Load()
		assert.Equal(t, http.StatusOK, deliver(replica, dropped).Code, "the claim lapsed: the redelivery runs fn")
		assert.Equal(t, before+1, calls.Load())
		assert.NotContains(t, logs.String(), newSecret)
	})
}

// A handler that dies while fn runs leaves its claim in the store: other
// replicas answer 409 until it lapses (WithClaimTTL), then run fn.
func TestHandlerClaimOfADeadReplicaLapses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		shared := apizee.NewMemoryStore()
		// The dying replica: its store forgets nothing it wrote, but once
		// fn has started it can write nothing more, like a process killed
		// mid-function.
		dying := &faultyStore{Store: shared}
		var c counter
		h := newHandler(t, func(ctx context.Context, e *webhook.Event) error {
			dying.set("Set", "CompareAndDelete")
			return errors.New("killed")
		}, webhook.WithStore(dying), webhook.WithClaimTTL(30*time.Second))
		assert.Equal(t, http.StatusInternalServerError, deliver(h, ticketDone).Code)

		survivor := newHandler(t, c.fn, webhook.WithStore(shared))
		time.Sleep(29 * time.Second)
		assert.Equal(t, http.StatusConflict, deliver(survivor, ticketDone).Code, "the claim still holds")
		time.Sleep(time.Second)
		assert.Equal(t, http.StatusOK, deliver(survivor, ticketDone).Code, "lapsed: delivered")
		assert.Equal(t, int32(1), c.calls.Load())
	})
}
