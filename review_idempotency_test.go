package apizee

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee/apizeetest"
)

// The independent review of the keyed create-once protocol: stores that
// fail on one method, lie about a write, or hold what another wrote.

var errBlip = errors.New("store blip: i/o timeout")

// blippingStore passes every call to its memory store, and fails each Get
// once fail is set.
type blippingStore struct {
	*memoryStore
	fail atomic.Bool
}

func (s *blippingStore) Get(ctx context.Context, key string) ([]byte, bool, error) {
	if s.fail.Load() {
		return nil, false, errBlip
	}
	return s.memoryStore.Get(ctx, key)
}

func recordKeyOf(c *Client, kind, key string) string {
	return onceKeyPrefix + kind + ":" + c.store.scope + ":" + url.QueryEscape(key)
}

// A holder that sent a POST, then lost its claim (it stalled, a rival took
// the key) and then found the store failing, must not start over on its own
// memory: that POST may have created the ticket, and the memory knows
// nothing of it, so a second POST could make a second one.
func TestReviewNoFallbackToMemoryAfterAPOST(t *testing.T) {
	e := newOnceEnv(t)
	inner, _ := clockedMemoryStore()
	store := &blippingStore{memoryStore: inner}
	var renewals atomic.Int32
	hooked := &cadHook{Store: store, onCAD: func(key string) {
		if strings.HasPrefix(key, onceClaimPrefix) && renewals.Add(1) == 2 {
			// The renewal before the second POST: a rival holds the key
			// now, and the store starts failing.
			require.NoError(t, inner.Set(context.Background(), key, []byte("rival"), time.Minute))
			store.fail.Store(true)
		}
	}}
	c := e.client(t, WithStore(hooked))
	// A gateway's 502: the backend may or may not have created the ticket.
	e.srv.QueueFault(apizeetest.Fault{Method: "POST", Path: "/tickets", Status: http.StatusBadGateway})
	_, err := c.Tickets.CreateOnce(t.Context(), keyedTicket("case-r1", "order-r1"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "may exist")
	assert.Equal(t, 1, e.srv.RequestCount(http.MethodPost, "/tickets"), "no POST on the client's own memory after one was sent")
}

// cadHook runs onCAD before each CompareAndDelete.
type cadHook struct {
	Store
	onCAD func(key string)
}

func (h *cadHook) CompareAndDelete(ctx context.Context, key string, value []byte) (bool, error) {
	h.onCAD(key)
	return h.Store.CompareAndDelete(ctx, key, value)
}

// A call that found the key held by another call (a claim, a pending
// record), then the store failing, must not create beside that call on its
// own memory: the other call is creating the ticket.
func TestReviewWaiterDoesNotCreateBesideTheHolder(t *testing.T) {
	for name, pending := range map[string]bool{"claim only": false, "claim and pending record": true} {
		t.Run(name, func(t *testing.T) {
			e := newOnceEnv(t)
			inner, _ := clockedMemoryStore()
			store := &blippingStore{memoryStore: inner}
			c := e.client(t, WithStore(&setNXHook{Store: store, after: func(key string, set bool) {
				if strings.HasPrefix(key, onceClaimPrefix) && !set {
					store.fail.Store(true) // the key is held; then the store blips
				}
			}}))
			ctx := t.Context()
			require.NoError(t, inner.Set(ctx, claimKeyOf(c, "ticket", "order-r2"), []byte("holder"), time.Minute))
			if pending {
				rec, err := json.Marshal(onceRecord{State: onceStatePend, Match: "case-r2", At: time.Now()})
				require.NoError(t, err)
				require.NoError(t, inner.Set(ctx, recordKeyOf(c, "ticket", "order-r2"), rec, time.Hour))
			}
			_, err := c.Tickets.CreateOnce(ctx, keyedTicket("case-r2", "order-r2"))
			require.Error(t, err)
			assert.ErrorIs(t, err, errBlip)
			assert.Zero(t, e.srv.RequestCount(http.MethodPost, "/tickets"), "no second creator beside the holder")
		})
	}
}

// setNXHook runs after after each SetNX, with its outcome.
type setNXHook struct {
	Store
	after func(key string, set bool)
}

func (h *setNXHook) SetNX(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	set, err := h.Store.SetNX(ctx, key, value, ttl)
	h.after(key, set)
	return set, err
}

// tookButFailed is a store whose first SetNX of a claim takes the claim and
// reports an error, as a Redis command that ran but whose answer timed out.
type tookButFailed struct {
	*memoryStore
	once sync.Once
}

func (s *tookButFailed) SetNX(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	set, err := s.memoryStore.SetNX(ctx, key, value, ttl)
	failed := false
	if strings.HasPrefix(key, onceClaimPrefix) {
		s.once.Do(func() { failed = true })
	}
	if failed {
		return false, errBlip
	}
	return set, err
}

// A claim the store took while reporting an error: the caller creates on its
// own memory, and the next caller with the key, once that orphan claim has
// expired, must find that ticket rather than create a second one.
func TestReviewClaimTakenDespiteAnErrorMakesNoSecondTicket(t *testing.T) {
	e := newOnceEnv(t)
	inner, clock := clockedMemoryStore()
	store := &tookButFailed{memoryStore: inner}
	a, b := e.client(t, WithStore(store)), e.client(t, WithStore(store))
	first, err := a.Tickets.CreateOnce(t.Context(), keyedTicket("case-r3", "order-r3"))
	require.NoError(t, err)
	clock.Set(clock.Now().Add(DefaultIdempotencyClaimTTL)) // the orphan claim expired: a job restarted later
	again, err := b.Tickets.CreateOnce(t.Context(), keyedTicket("case-r3", "order-r3"))
	require.NoError(t, err)
	assert.Equal(t, first.ID, again.ID)
	assert.Equal(t, 1, e.srv.TicketsWithReference("case-r3"), "one ticket")
}

// A record that someone else wrote (another program on the Redis, a
// corrupted value) never yields a wrong object, a panic or a POST.
func TestReviewForeignRecordsInTheStore(t *testing.T) {
	e := newOnceEnv(t)
	store := NewMemoryStore()
	c := e.client(t, WithStore(store))
	other, err := c.Tickets.Create(t.Context(), keyedTicket("case-other", ""))
	require.NoError(t, err)
	room, err := c.Conferences.Create(t.Context(), keyedRoom("Some room", ""))
	require.NoError(t, err)
	e.srv.ResetRequests()
	record := func(id int64) string {
		b, err := json.Marshal(onceRecord{State: onceStateDone, Match: "case-r4", ID: id, At: time.Now()})
		require.NoError(t, err)
		return string(b)
	}
	for name, value := range map[string]string{
		"another reference's ticket": record(other.ID),
		"a room's id":                record(room.ID),
		"invalid JSON":               `{"state":"created","match":"case-r4","id":`,
		"a negative id":              `{"state":"created","match":"case-r4","id":-5}`,
		"an unknown state":           `{"state":"done","match":"case-r4","id":1}`,
		"a huge id":                  `{"state":"created","match":"case-r4","id":9223372036854775807}`,
		"a number too big":           `{"state":"created","match":"case-r4","id":1e400}`,
		"null":                       `null`,
		"empty":                      ``,
	} {
		t.Run(name, func(t *testing.T) {
			key := "order-r4-" + strings.ReplaceAll(name, " ", "-")
			require.NoError(t, store.Set(t.Context(), recordKeyOf(c, "ticket", key), []byte(value), time.Hour))
			tk, err := c.Tickets.CreateOnce(t.Context(), keyedTicket("case-r4", key))
			require.Error(t, err, "got %+v", tk)
			assert.Zero(t, e.srv.RequestCount(http.MethodPost, "/tickets"))
		})
	}
}

// A claim that never expires (a store that lost its TTL, or a key someone
// else wrote) must not hold a caller without a deadline forever: after
// longer than any holder keeps a key, it gives up, without a POST.
func TestReviewClaimWithoutExpiryDoesNotHoldForever(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := NewMemoryStore()
		var posts atomic.Int32
		c, err := NewClient(WithBaseURL("https://api.example.com/api"), WithToken("tok"), WithStore(store),
			WithHTTPClient(&http.Client{Transport: inProcess{http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				posts.Add(1)
				w.WriteHeader(http.StatusInternalServerError)
			})}}))
		require.NoError(t, err)
		require.NoError(t, store.Set(t.Context(), claimKeyOf(c, "ticket", "order-r5"), []byte("stuck"), 0))
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Hour)
		defer cancel()
		start := time.Now()
		_, err = c.Tickets.CreateOnce(ctx, keyedTicket("case-r5", "order-r5"))
		require.Error(t, err)
		assert.NotErrorIs(t, err, context.DeadlineExceeded, "given up by the SDK, not by the caller's deadline")
		assert.Less(t, time.Since(start), time.Hour)
		assert.Zero(t, posts.Load())
	})
}

// A POST whose answer was ambiguous (a 502) may have created the ticket:
// when the next attempt is refused, the claim must stay until it expires,
// for a late commit to show, rather than let the next caller create at
// once.
func TestReviewClaimKeptWhenARefusalFollowsAnAmbiguousPOST(t *testing.T) {
	e := newOnceEnv(t)
	store := NewMemoryStore()
	c := e.client(t, WithStore(store))
	e.srv.QueueFault(apizeetest.Fault{Method: "POST", Path: "/tickets", Status: http.StatusBadGateway})
	e.srv.QueueFault(apizeetest.Fault{Method: "POST", Path: "/tickets", Status: http.StatusBadRequest})
	_, err := c.Tickets.CreateOnce(t.Context(), keyedTicket("case-r6", "order-r6"))
	require.ErrorContains(t, err, "400")
	require.Equal(t, 2, e.srv.RequestCount(http.MethodPost, "/tickets"))
	_, held, err := store.Get(t.Context(), claimKeyOf(c, "ticket", "order-r6"))
	require.NoError(t, err)
	assert.True(t, held, "the first POST may have created the ticket: the key stays claimed")
}

// countingHang is a store that never answers and ignores its context until
// release is closed, counting the calls it got.
type countingHang struct {
	hangingStore
	calls atomic.Int32
}

func (s *countingHang) Get(ctx context.Context, key string) ([]byte, bool, error) {
	s.calls.Add(1)
	return s.hangingStore.Get(ctx, key)
}

// ticketsHandler serves POST /tickets, GET /tickets/{id} and GET
// /tickets?reference= from memory, in process; id counts the tickets.
func ticketsHandler(id *atomic.Int64) http.Handler {
	var mu sync.Mutex
	refs := map[int64]string{}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case r.Method == http.MethodPost:
			n := id.Add(1)
			refs[n] = r.URL.Query().Get("reference")
			fmt.Fprintf(w, `{"id":%d,"reference":%q}`, n, refs[n])
		case !strings.HasSuffix(r.URL.Path, "/tickets"):
			var n int64
			fmt.Sscan(r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:], &n)
			fmt.Fprintf(w, `{"id":%d,"reference":%q}`, n, refs[n])
		default:
			var items []string
			for n, ref := range refs {
				if ref == r.URL.Query().Get("reference") {
					items = append(items, fmt.Sprintf(`{"id":%d,"reference":%q}`, n, ref))
				}
			}
			fmt.Fprintf(w, `{"total":%d,"data":[%s]}`, len(items), strings.Join(items, ","))
		}
	})
}

// A store that hangs costs two bounded waits (one slow answer is not a
// hang), not one per call: for a while after, the client goes on without it
// at once, then tries it again.
func TestReviewHangingStoreCostsOneWaitNotOnePerCall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := &countingHang{hangingStore: hangingStore{release: make(chan struct{})}}
		defer close(store.release)
		var ids atomic.Int64
		c, err := NewClient(WithBaseURL("https://api.example.com/api"), WithToken("tok"), WithStore(store),
			WithHTTPClient(&http.Client{Transport: inProcess{ticketsHandler(&ids)}}))
		require.NoError(t, err)
		create := func(key string) time.Duration {
			start := time.Now()
			_, err := c.Tickets.CreateOnce(t.Context(), keyedTicket("case-r7", key))
			require.NoError(t, err)
			return time.Since(start)
		}
		assert.Equal(t, storeTimeout, create("k1"), "the first call waits for the store")
		assert.Equal(t, storeTimeout, create("k2"), "and the second: one slow answer is not a hang")
		for _, key := range []string{"k3", "k4", "k5"} {
			assert.Zero(t, create(key), "the next ones do not wait for a store known to hang")
		}
		assert.Equal(t, int32(2), store.calls.Load())
		time.Sleep(time.Minute)
		assert.Equal(t, storeTimeout, create("k6"), "later, the store is tried again")
		assert.Equal(t, int32(3), store.calls.Load())
	})
}

// tookThenHung is a store whose first SetNX of a claim takes the claim,
// then does not answer until release is closed (a Redis command that ran,
// whose answer is stuck in a dead connection).
type tookThenHung struct {
	*memoryStore
	release chan struct{}
	once    sync.Once
}

func (s *tookThenHung) SetNX(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	set, err := s.memoryStore.SetNX(ctx, key, value, ttl)
	hang := false
	if strings.HasPrefix(key, onceClaimPrefix) {
		s.once.Do(func() { hang = true })
	}
	if hang {
		<-s.release
	}
	return set, err
}

// The same with a claim whose answer timed out: the store is then left
// alone for a while, but the created ticket is still written there, for the
// next caller to find once the orphan claim expires.
func TestReviewClaimTakenDespiteATimeoutMakesNoSecondTicket(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := &tookThenHung{memoryStore: NewMemoryStore().(*memoryStore), release: make(chan struct{})}
		defer close(store.release)
		var ids atomic.Int64
		h := ticketsHandler(&ids)
		client := func() *Client {
			c, err := NewClient(WithBaseURL("https://api.example.com/api"), WithToken("tok"), WithStore(store),
				WithHTTPClient(&http.Client{Transport: inProcess{h}}))
			require.NoError(t, err)
			return c
		}
		first, err := client().Tickets.CreateOnce(t.Context(), keyedTicket("case-r8", "order-r8"))
		require.NoError(t, err)
		time.Sleep(DefaultIdempotencyClaimTTL) // the orphan claim expired: a job restarted later
		again, err := client().Tickets.CreateOnce(t.Context(), keyedTicket("case-r8", "order-r8"))
		require.NoError(t, err)
		assert.Equal(t, first.ID, again.ID)
		assert.Equal(t, int64(1), ids.Load(), "one ticket")
	})
}

// cancellingStore cancels the call's context before its n-th operation
// (store calls and HTTP requests counted together, through step).
type cancellingStore struct {
	Store
	step func()
}

func (s *cancellingStore) Get(ctx context.Context, key string) ([]byte, bool, error) {
	s.step()
	return s.Store.Get(ctx, key)
}

func (s *cancellingStore) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	s.step()
	return s.Store.Set(ctx, key, value, ttl)
}

func (s *cancellingStore) SetNX(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	s.step()
	return s.Store.SetNX(ctx, key, value, ttl)
}

func (s *cancellingStore) CompareAndDelete(ctx context.Context, key string, value []byte) (bool, error) {
	s.step()
	return s.Store.CompareAndDelete(ctx, key, value)
}

type steppingTransport struct {
	base http.RoundTripper
	step func()
}

func (s steppingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	s.step()
	return s.base.RoundTrip(r)
}

// The caller's context ending at any step of a keyed CreateOnce (each store
// call, each request) leaves the key in a state the next caller, once the
// claim expired, completes with exactly one ticket.
func TestReviewContextEndingAtEveryStep(t *testing.T) {
	for n := 1; ; n++ {
		e := newOnceEnv(t)
		inner, clock := clockedMemoryStore()
		var ops atomic.Int32
		var cancel context.CancelFunc
		step := func() {
			if int(ops.Add(1)) == n {
				cancel()
			}
		}
		c := e.client(t, WithStore(&cancellingStore{Store: inner, step: step}),
			WithHTTPClient(&http.Client{Transport: steppingTransport{base: http.DefaultTransport, step: step}}))
		var ctx context.Context
		ctx, cancel = context.WithCancel(t.Context())
		_, err := c.Tickets.CreateOnce(ctx, keyedTicket("case-r9", "order-r9"))
		cancel()
		if err == nil {
			require.Greater(t, n, 10, "the context ended at each of the call's steps")
			break
		}
		require.ErrorIs(t, err, context.Canceled, "step %d", n)
		require.LessOrEqual(t, e.srv.RequestCount(http.MethodPost, "/tickets"), 1, "step %d", n)

		clock.Set(clock.Now().Add(DefaultIdempotencyClaimTTL))
		next := e.client(t, WithStore(inner))
		tk, err := next.Tickets.CreateOnce(t.Context(), keyedTicket("case-r9", "order-r9"))
		require.NoError(t, err, "step %d", n)
		assert.Equal(t, "case-r9", tk.Reference)
		assert.Equal(t, 1, e.srv.TicketsWithReference("case-r9"), "step %d: one ticket", n)
	}
}

// Keys that differ only in bytes an escaping could confuse (":", "%", "+",
// a space, non-ASCII) name different records.
func TestReviewKeysWithOddBytesStayApart(t *testing.T) {
	e := newOnceEnv(t)
	store := NewMemoryStore()
	a, b := e.client(t, WithStore(store)), e.client(t, WithStore(store))
	keys := []string{"a:b", "a%3Ab", "a%253Ab", "a b", "a+b", "a%20b", "ключ", "k\u00e9", "ke\u0301", "\U0001F600", "a/b", "a\\b"}
	ids := map[int64]string{}
	for _, key := range keys {
		tk, err := a.Tickets.CreateOnce(t.Context(), keyedTicket("case-r10", key))
		require.NoError(t, err, key)
		require.NotContains(t, ids, tk.ID, "%q and %q share a record", key, ids[tk.ID])
		ids[tk.ID] = key
	}
	for _, key := range keys {
		tk, err := b.Tickets.CreateOnce(t.Context(), keyedTicket("case-r10", key))
		require.NoError(t, err, key)
		assert.Equal(t, key, ids[tk.ID])
	}
	assert.Equal(t, len(keys), e.srv.TicketsWithReference("case-r10"))
}

// losingStore drops every write of a created record, as a store that loses
// writes under memory pressure (or evicts the key) would.
type losingStore struct {
	Store
}

func (s *losingStore) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if strings.Contains(string(value), `"created"`) {
		return nil
	}
	return s.Store.Set(ctx, key, value, ttl)
}

// Eight clients, one key, a store that loses the created record: still one
// ticket, found again by reference from the pending record.
func TestReviewEightClientsOnAStoreThatLosesWrites(t *testing.T) {
	for name, fault := range faultsOnCreate {
		t.Run(name, func(t *testing.T) {
			e := newOnceEnv(t)
			store := &losingStore{Store: NewMemoryStore()}
			var clients []*Client
			for range 8 {
				clients = append(clients, e.client(t, WithStore(store)))
			}
			fault(e, "/tickets")
			tickets := runTogether(t, clients, func(ctx context.Context, c *Client) (int64, error) {
				tk, err := c.Tickets.CreateOnce(ctx, keyedTicket("case-r11", "order-r11"))
				if err != nil {
					return 0, err
				}
				return tk.ID, nil
			})
			assert.Equal(t, 1, e.srv.TicketsWithReference("case-r11"), "exactly one ticket")
			assert.Len(t, tickets, 1, "every client returned the same ticket: %v", tickets)
		})
	}
}

// afterCAD runs after once, after the first CompareAndDelete of a claim has
// run: the moment a holder renewing its claim has given it back and not yet
// taken it again.
type afterCAD struct {
	Store
	after func()
	done  atomic.Bool
}

func (s *afterCAD) CompareAndDelete(ctx context.Context, key string, value []byte) (bool, error) {
	deleted, err := s.Store.CompareAndDelete(ctx, key, value)
	if strings.HasPrefix(key, onceClaimPrefix) && deleted && s.done.CompareAndSwap(false, true) {
		s.after() // within the 2 s the SDK gives a store call
	}
	return deleted, err
}

// A holder renewing its claim gives it back, then takes it again: another
// call may take it in between, create the ticket, record it and let the
// claim go, all before the holder takes it back. The holder must then find
// that ticket rather than send a second POST. (Seen as a flake of
// TestEightClientsOneKeyCreateOneObject under load: 2 runs in 20.)
func TestReviewRenewalGapIsNoSecondCreator(t *testing.T) {
	e := newOnceEnv(t)
	store := &afterCAD{Store: NewMemoryStore()}
	a, b := e.client(t, WithStore(store)), e.client(t, WithStore(store))
	var fromB int64
	store.after = func() {
		tk, err := b.Tickets.CreateOnce(t.Context(), keyedTicket("case-r12", "order-r12"))
		require.NoError(t, err)
		fromB = tk.ID
	}
	tk, err := a.Tickets.CreateOnce(t.Context(), keyedTicket("case-r12", "order-r12"))
	require.NoError(t, err)
	assert.Equal(t, fromB, tk.ID, "both return the one ticket")
	assert.Equal(t, 1, e.srv.TicketsWithReference("case-r12"), "one ticket")
}

// slowOnce is a memory store whose first Get does not answer until release
// is closed (and ignores its context): one slow answer, then a healthy store.
type slowOnce struct {
	*memoryStore
	release chan struct{}
	slow    atomic.Bool
}

func (s *slowOnce) Get(ctx context.Context, key string) ([]byte, bool, error) {
	if s.slow.CompareAndSwap(false, true) {
		<-s.release
	}
	return s.memoryStore.Get(ctx, key)
}

// One slow answer is not a hung store: the client's next calls use the
// store again at once, so that their keys are shared, rather than go on
// without it (each on its own memory, able to create beside another client)
// for the cooldown.
func TestReviewOneSlowAnswerKeepsTheStore(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := &slowOnce{memoryStore: NewMemoryStore().(*memoryStore), release: make(chan struct{})}
		defer close(store.release)
		var ids atomic.Int64
		c, err := NewClient(WithBaseURL("https://api.example.com/api"), WithToken("tok"), WithStore(store),
			WithHTTPClient(&http.Client{Transport: inProcess{ticketsHandler(&ids)}}))
		require.NoError(t, err)
		_, err = c.Tickets.CreateOnce(t.Context(), keyedTicket("case-r13", "k1"))
		require.NoError(t, err, "the slow answer: on the client's own memory")
		_, err = c.Tickets.CreateOnce(t.Context(), keyedTicket("case-r13", "k2"))
		require.NoError(t, err)
		_, found, err := store.memoryStore.Get(t.Context(), recordKeyOf(c, "ticket", "k2"))
		require.NoError(t, err)
		assert.True(t, found, "the next key is kept in the shared store")
	})
}
