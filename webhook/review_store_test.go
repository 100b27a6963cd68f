package webhook_test

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/apizee-go/apizee"
	"github.com/apizee-go/apizee/webhook"
)

// Review: the handler against stores that hang, ignore their context or
// panic, and against a function that outlives its claim.

// hangingStore is a shared store behind a dead network: every call waits
// for its context to end (a Redis whose packets are dropped), or, with
// ignoreContext, until release is closed (a store that ignores its
// context).
type hangingStore struct {
	ignoreContext bool
	release       chan struct{}
	calls         atomic.Int32
}

func (s *hangingStore) wait(ctx context.Context) error {
	s.calls.Add(1)
	if s.ignoreContext {
		<-s.release
		return context.DeadlineExceeded
	}
	<-ctx.Done()
	return ctx.Err()
}

func (s *hangingStore) Get(ctx context.Context, _ string) ([]byte, bool, error) {
	return nil, false, s.wait(ctx)
}

func (s *hangingStore) Set(ctx context.Context, _ string, _ []byte, _ time.Duration) error {
	return s.wait(ctx)
}

func (s *hangingStore) SetNX(ctx context.Context, _ string, _ []byte, _ time.Duration) (bool, error) {
	return false, s.wait(ctx)
}

func (s *hangingStore) CompareAndDelete(ctx context.Context, _ string, _ []byte) (bool, error) {
	return false, s.wait(ctx)
}

// A store that hangs until the handler's store timeout is a store that
// failed: the handler delivers, de-duplicating in its own memory, as it
// does for a store that refuses connections. It used to claim in its own
// memory with the context that had just timed out, fail there too, and
// answer 409 to every delivery for as long as the store hung.
func TestReviewHandlerDeliversWhenTheStoreHangs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var c counter
		h := newHandler(t, c.fn, webhook.WithStore(&hangingStore{}))
		assert.Equal(t, http.StatusOK, deliver(h, ticketDone).Code, "delivered although the store hangs")
		w := deliver(h, ticketDone)
		assert.Equal(t, http.StatusOK, w.Code)
		assert.Contains(t, w.Body.String(), "duplicate", "de-duplicated in the handler's memory")
		assert.Equal(t, int32(1), c.calls.Load())
	})
}

// A store that ignores its context cannot hold a delivery (and its
// goroutine) for longer than the store's timeout: the SDK's client bounds
// its own store calls so, and the handler must too.
func TestReviewHandlerDoesNotWaitOnAStoreThatIgnoresItsContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := &hangingStore{ignoreContext: true, release: make(chan struct{})}
		release := sync.OnceFunc(func() { close(store.release) })
		time.AfterFunc(time.Hour, release) // ends the test if the handler waits
		defer release()                    // the store's calls left behind return
		var c counter
		h := newHandler(t, c.fn, webhook.WithStore(store))
		start := time.Now()
		code := deliver(h, ticketDone).Code
		elapsed := time.Since(start)
		assert.Equal(t, http.StatusOK, code)
		assert.Less(t, elapsed, time.Minute, "the store's timeout, not the store's whim")
		assert.Equal(t, int32(1), c.calls.Load())
	})
}

// panickingStore panics in the methods named in panics.
type panickingStore struct {
	apizee.Store
	panics map[string]bool
}

func (s *panickingStore) Get(ctx context.Context, key string) ([]byte, bool, error) {
	if s.panics["Get"] {
		panic("store bug in Get")
	}
	return s.Store.Get(ctx, key)
}

func (s *panickingStore) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if s.panics["Set"] {
		panic("store bug in Set")
	}
	return s.Store.Set(ctx, key, value, ttl)
}

func (s *panickingStore) SetNX(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	if s.panics["SetNX"] {
		panic("store bug in SetNX")
	}
	return s.Store.SetNX(ctx, key, value, ttl)
}

func (s *panickingStore) CompareAndDelete(ctx context.Context, key string, value []byte) (bool, error) {
	if s.panics["CompareAndDelete"] {
		panic("store bug in CompareAndDelete")
	}
	return s.Store.CompareAndDelete(ctx, key, value)
}

// A store that panics is a store that failed, as it is for the client's
// CreateOnce: the handler answers as it does for a store error, never
// lets the panic abort the answer. A panic in Set after fn succeeded used
// to drop the 200, so that the sender delivered again, and fn ran again
// once the claim lapsed.
func TestReviewHandlerTreatsAPanickingStoreAsAFailedOne(t *testing.T) {
	for _, method := range []string{"SetNX", "Get", "Set"} {
		t.Run(method, func(t *testing.T) {
			var c counter
			shared := apizee.NewMemoryStore()
			store := &panickingStore{Store: shared, panics: map[string]bool{method: true}}
			h := newHandler(t, c.fn, webhook.WithStore(store))
			if method == "Get" { // reached only when the key is held: held by another replica
				other := newHandler(t, c.fn, webhook.WithStore(shared))
				assert.Equal(t, http.StatusOK, deliver(other, ticketDone).Code)
			}
			var code int
			assert.NotPanics(t, func() { code = deliver(h, ticketDone).Code })
			switch method {
			case "Get":
				assert.Equal(t, http.StatusConflict, code, "held by someone, state unknown: not run blindly")
			default:
				assert.Equal(t, http.StatusOK, code)
			}
		})
	}
	// fn fails and dropping the claim panics: still the 500.
	store := &panickingStore{Store: apizee.NewMemoryStore(), panics: map[string]bool{"CompareAndDelete": true}}
	h := newHandler(t, func(context.Context, *webhook.Event) error { return context.Canceled }, webhook.WithStore(store))
	var code int
	assert.NotPanics(t, func() { code = deliver(h, ticketDone).Code })
	assert.Equal(t, http.StatusInternalServerError, code)
}

// stubbornFn ignores its context: it returns when released, however long
// that takes (a database call made with context.Background()).
type stubbornFn struct {
	started chan struct{}
	release chan struct{}
	calls   atomic.Int32
}

func (s *stubbornFn) fn(context.Context, *webhook.Event) error {
	s.calls.Add(1)
	s.started <- struct{}{}
	<-s.release
	return nil
}

// A function that outlives its claim (it ignores its context) is still
// running: a redelivery to the same handler must not start it a second
// time beside it. Across replicas only the claim can tell (WithClaimTTL
// says so), but one process knows what it is running.
func TestReviewHandlerNeverRunsTheFunctionTwiceAtOnceWhenItOutlivesItsClaim(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := &stubbornFn{started: make(chan struct{}, 2), release: make(chan struct{})}
		release := sync.OnceFunc(func() { close(s.release) })
		time.AfterFunc(time.Hour, release) // a second run would wait for it: the test fails, not hangs
		h := newHandler(t, s.fn, webhook.WithClaimTTL(time.Minute))
		first := make(chan int)
		go func() { first <- deliver(h, ticketDone).Code }()
		<-s.started
		time.Sleep(2 * time.Minute) // the claim lapses; fn runs on
		assert.Equal(t, http.StatusConflict, deliver(h, ticketDone).Code, "fn is still running for this event")
		release()
		assert.Equal(t, http.StatusOK, <-first, "fn returned nil, late: delivered")
		assert.Contains(t, deliver(h, ticketDone).Body.String(), "duplicate")
		assert.Equal(t, int32(1), s.calls.Load())
	})
}

// staleStore reads from a lagging replica: Get never sees what SetNX and
// Set wrote.
type staleStore struct{ apizee.Store }

func (staleStore) Get(context.Context, string) ([]byte, bool, error) { return nil, false, nil }

// What holds: a store whose reads lag its writes never makes a handler
// run fn blindly; an event it cannot read the state of is answered 409.
func TestReviewHandlersOnAStaleStoreNeverRunTheFunctionTwice(t *testing.T) {
	b := newBlockingFn()
	shared := staleStore{apizee.NewMemoryStore()}
	a, other := newHandler(t, b.fn, webhook.WithStore(shared), blockingClaim), newHandler(t, b.fn, webhook.WithStore(shared), blockingClaim)
	first := make(chan int)
	go func() { first <- deliver(a, ticketDone).Code }()
	<-b.started
	assert.Equal(t, http.StatusConflict, deliver(other, ticketDone).Code, "held, state unreadable")
	close(b.release)
	assert.Equal(t, http.StatusOK, <-first)
	assert.Equal(t, http.StatusConflict, deliver(other, ticketDone).Code, "delivered, but the store cannot say so: not run again")
	assert.Equal(t, int32(1), b.calls.Load())
}
