package apizee

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee/apizeetest"
)

// onceEnv is an apizeetest server behind a proxy that can turn the answer
// of a create the server processed into a 502 (a gateway that timed out
// after the backend committed), or run a hook once the server processed it.
type onceEnv struct {
	srv   *apizeetest.Server
	proxy *httptest.Server
	// processed5xx is how many processed creates to answer 502.
	processed5xx atomic.Int32
	// afterCreate, when set, runs once a create was processed, before its
	// answer goes back.
	afterCreate func()
}

func newOnceEnv(t *testing.T) *onceEnv {
	e := &onceEnv{srv: apizeetest.NewServer()}
	t.Cleanup(e.srv.Close)
	target, err := url.Parse(e.srv.URL)
	require.NoError(t, err)
	rp := &httputil.ReverseProxy{
		ErrorLog: log.New(io.Discard, "", 0), // the faults make it complain
		Rewrite: func(r *httputil.ProxyRequest) {
			r.Out.URL.Scheme, r.Out.URL.Host, r.Out.Host = target.Scheme, target.Host, target.Host
		},
		ModifyResponse: func(resp *http.Response) error {
			create := resp.Request.Method == http.MethodPost && (strings.HasSuffix(resp.Request.URL.Path, "/tickets") ||
				strings.HasSuffix(resp.Request.URL.Path, "/conferences"))
			if !create || resp.StatusCode != http.StatusOK {
				return nil
			}
			if e.afterCreate != nil {
				e.afterCreate()
			}
			if e.processed5xx.Add(-1) >= 0 {
				resp.Body.Close()
				resp.StatusCode, resp.Status = http.StatusBadGateway, "502 Bad Gateway"
				resp.Body = io.NopCloser(strings.NewReader(`<html><title>502 Bad Gateway</title></html>`))
				resp.ContentLength = -1
				resp.Header.Del("Content-Length")
			}
			return nil
		},
	}
	e.proxy = httptest.NewServer(rp)
	t.Cleanup(e.proxy.Close)
	return e
}

func (e *onceEnv) client(t *testing.T, opts ...Option) *Client {
	t.Helper()
	c, err := NewClient(append([]Option{WithBaseURL(e.proxy.URL + apizeetest.DefaultPrefix),
		WithCredentials(e.srv.Username, e.srv.Password),
		WithRetryPolicy(RetryPolicy{MaxRetries: 3, MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond})}, opts...)...)
	require.NoError(t, err)
	return c
}

func keyedTicket(reference, key string) *CreateTicketParams {
	return &CreateTicketParams{Agent: apizeetest.DefaultUsername, Phone: []string{"+33612345678"}, Invite: true,
		Reference: reference, IdempotencyKey: key}
}

func keyedRoom(name, key string) *CreateConferenceParams {
	return &CreateConferenceParams{Participants: []string{"guest@example.com"}, Name: name, Password: "2468#", IdempotencyKey: key}
}

func TestCreateOnceWithAKeyReturnsTheFirstTicket(t *testing.T) {
	e := newOnceEnv(t)
	c := e.client(t)
	first, err := c.Tickets.CreateOnce(t.Context(), keyedTicket("case-7", "order-7"))
	require.NoError(t, err)
	e.srv.ResetRequests()

	again, err := c.Tickets.CreateOnce(t.Context(), keyedTicket("case-7", "order-7"))
	require.NoError(t, err)
	assert.Equal(t, first.ID, again.ID)
	assert.Zero(t, e.srv.RequestCount(http.MethodPost, "/tickets"), "no second POST")
	assert.Zero(t, e.srv.RequestCount(http.MethodGet, "/tickets"), "no listing either")
	assert.Equal(t, 1, e.srv.RequestCount(http.MethodGet, fmt.Sprintf("/tickets/%d", first.ID)), "one Get")

	// Without WithStore a key is the client's own: another client creates.
	other, err := e.client(t).Tickets.CreateOnce(t.Context(), keyedTicket("case-7", "order-7"))
	require.NoError(t, err)
	assert.NotEqual(t, first.ID, other.ID)
	assert.Equal(t, 2, e.srv.TicketsWithReference("case-7"))

	// Another key, same reference: a new ticket.
	third, err := c.Tickets.CreateOnce(t.Context(), keyedTicket("case-7", "order-7b"))
	require.NoError(t, err)
	assert.NotContains(t, []int64{first.ID, other.ID}, third.ID)
}

func TestCreateOnceWithAKeyAcrossClientsOfOneStore(t *testing.T) {
	e := newOnceEnv(t)
	store := NewMemoryStore()
	a, b := e.client(t, WithStore(store)), e.client(t, WithStore(store))
	ticket, err := a.Tickets.CreateOnce(t.Context(), keyedTicket("case-8", "order-8"))
	require.NoError(t, err)
	room, err := a.Conferences.CreateOnce(t.Context(), keyedRoom("Review 8", "order-8"))
	require.NoError(t, err)

	again, err := b.Tickets.CreateOnce(t.Context(), keyedTicket("case-8", "order-8"))
	require.NoError(t, err)
	assert.Equal(t, ticket.ID, again.ID, "another client on the store returns the first ticket")
	sameRoom, err := b.Conferences.CreateOnce(t.Context(), keyedRoom("Review 8", "order-8"))
	require.NoError(t, err)
	assert.Equal(t, room.ID, sameRoom.ID, "a ticket and a room may share a key: each kind has its own")
	assert.Equal(t, 1, e.srv.RequestCount(http.MethodPost, "/tickets"))
	assert.Equal(t, 1, e.srv.RequestCount(http.MethodPost, "/conferences"))
}

// faultsOnCreate are the soak's faults, played on the create of the call
// that holds the key.
var faultsOnCreate = map[string]func(e *onceEnv, path string){
	"no fault":             func(*onceEnv, string) {},
	"answer lost":          loseAnswer,
	"5xx after processing": func(e *onceEnv, _ string) { e.processed5xx.Store(1) },
	"slow commit": func(e *onceEnv, path string) {
		e.srv.QueueFault(apizeetest.Fault{Method: "POST", Path: path, Delay: 300 * time.Millisecond})
	},
	"unreadable 2xx": func(e *onceEnv, path string) {
		e.srv.QueueFault(apizeetest.Fault{Method: "POST", Path: path, MalformedBody: true})
	},
	"500 not processed": func(e *onceEnv, path string) {
		e.srv.QueueFault(apizeetest.Fault{Method: "POST", Path: path, Status: 500})
	},
	"lost, then 5xx after processing": func(e *onceEnv, path string) {
		loseAnswer(e, path)
		e.processed5xx.Store(1)
	},
	"429, then the answer lost": func(e *onceEnv, path string) {
		e.srv.QueueFault(apizeetest.Fault{Method: "POST", Path: path, Status: 429, Header: http.Header{"Retry-After": {"0"}}})
		loseAnswer(e, path)
	},
}

func loseAnswer(e *onceEnv, path string) {
	e.srv.QueueFault(apizeetest.Fault{Method: "POST", Path: path, DropAfterProcessing: true})
}

// Eight clients on one store call CreateOnce with one key at the same
// moment: one ticket (one room), whatever the create's fault.
func TestEightClientsOneKeyCreateOneObject(t *testing.T) {
	for name, fault := range faultsOnCreate {
		t.Run(name, func(t *testing.T) {
			e := newOnceEnv(t)
			store := NewMemoryStore()
			var clients []*Client
			for range 8 {
				clients = append(clients, e.client(t, WithStore(store)))
			}
			fault(e, "/tickets")
			tickets := runTogether(t, clients, func(ctx context.Context, c *Client) (int64, error) {
				tk, err := c.Tickets.CreateOnce(ctx, keyedTicket("case-8x", "order-8x"))
				if err != nil {
					return 0, err
				}
				return tk.ID, nil
			})
			assert.Equal(t, 1, e.srv.TicketsWithReference("case-8x"), "exactly one ticket")
			assert.Len(t, tickets, 1, "every client returned the same ticket: %v", tickets)

			rooms := e.srv.ConferenceCount()
			fault(e, "/conferences")
			ids := runTogether(t, clients, func(ctx context.Context, c *Client) (int64, error) {
				room, err := c.Conferences.CreateOnce(ctx, keyedRoom("Standup 8x", "order-8x"))
				if err != nil {
					return 0, err
				}
				return room.ID, nil
			})
			assert.Equal(t, rooms+1, e.srv.ConferenceCount(), "exactly one room")
			assert.Len(t, ids, 1, "every client returned the same room: %v", ids)
			assert.Equal(t, 1, e.srv.TokensIssued(), "and one token for the eight")
		})
	}
}

// runTogether runs call in every client at the same moment and returns the
// distinct ids they returned; every call must succeed.
func runTogether(t *testing.T, clients []*Client, call func(context.Context, *Client) (int64, error)) map[int64]bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	start := make(chan struct{})
	var mu sync.Mutex
	ids := map[int64]bool{}
	var wg sync.WaitGroup
	for _, c := range clients {
		wg.Go(func() {
			<-start
			id, err := call(ctx, c)
			mu.Lock()
			defer mu.Unlock()
			if assert.NoError(t, err) {
				ids[id] = true
			}
		})
	}
	close(start)
	wg.Wait()
	return ids
}

// watchedStore is a memory store on a clock the test moves, that tells the
// test of every SetNX on a claim.
type watchedStore struct {
	*memoryStore
	claimTries chan bool // whether the SetNX took the claim
}

func newWatchedStore() (*watchedStore, *fakeClock) {
	s, clock := clockedMemoryStore()
	return &watchedStore{memoryStore: s, claimTries: make(chan bool, 100)}, clock
}

func (s *watchedStore) SetNX(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	set, err := s.memoryStore.SetNX(ctx, key, value, ttl)
	if strings.HasPrefix(key, onceClaimPrefix) {
		s.claimTries <- set
	}
	return set, err
}

// waitForRefusedClaim returns once a caller found the claim held.
func (s *watchedStore) waitForRefusedClaim(t *testing.T) {
	t.Helper()
	for {
		select {
		case set := <-s.claimTries:
			if !set {
				return
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no caller tried the claim")
		}
	}
}

func claimKeyOf(c *Client, kind, key string) string {
	return onceClaimPrefix + kind + ":" + c.store.scope + ":" + url.QueryEscape(key)
}

// A claim left by a creator that died before writing anything blocks the
// key only for the claim TTL: the next caller waits, then creates.
func TestAbandonedClaimExpires(t *testing.T) {
	e := newOnceEnv(t)
	store, clock := newWatchedStore()
	c := e.client(t, WithStore(store))
	set, err := store.memoryStore.SetNX(t.Context(), claimKeyOf(c, "ticket", "order-9"), []byte("dead"), DefaultIdempotencyClaimTTL)
	require.NoError(t, err)
	require.True(t, set)

	done := make(chan error, 1)
	var ticket *Ticket
	go func() {
		var err error
		ticket, err = c.Tickets.CreateOnce(t.Context(), keyedTicket("case-9", "order-9"))
		done <- err
	}()
	store.waitForRefusedClaim(t)
	assert.Zero(t, e.srv.RequestCount(http.MethodPost, "/tickets"), "nothing is created while the claim lives")
	clock.Set(clock.Now().Add(DefaultIdempotencyClaimTTL))
	require.NoError(t, <-done)
	assert.Equal(t, 1, e.srv.TicketsWithReference("case-9"))
	assert.Equal(t, "case-9", ticket.Reference)
}

// A creator whose context ends after the server created the ticket and
// before the answer: the next caller, once the claim expired, finds that
// ticket (by reference; a room by name) and creates nothing.
func TestCreatorThatDiedIsFoundByTheNextCaller(t *testing.T) {
	for _, kind := range []string{"ticket", "conference"} {
		t.Run(kind, func(t *testing.T) {
			e := newOnceEnv(t)
			store, clock := newWatchedStore()
			dying, next := e.client(t, WithStore(store)), e.client(t, WithStore(store))
			// An older object with the same reference or name: not ours.
			older, err := dying.Tickets.Create(t.Context(), keyedTicket("case-10", ""))
			require.NoError(t, err)
			olderRoom, err := dying.Conferences.Create(t.Context(), keyedRoom("Review 10", ""))
			require.NoError(t, err)

			create := func(ctx context.Context, c *Client) (int64, error) {
				if kind == "ticket" {
					tk, err := c.Tickets.CreateOnce(ctx, keyedTicket("case-10", "order-10"))
					if err != nil {
						return 0, err
					}
					return tk.ID, nil
				}
				room, err := c.Conferences.CreateOnce(ctx, keyedRoom("Review 10", "order-10"))
				if err != nil {
					return 0, err
				}
				return room.ID, nil
			}
			ctx, die := context.WithCancel(t.Context())
			e.afterCreate = die
			_, err = create(ctx, dying)
			require.ErrorIs(t, err, context.Canceled)
			e.afterCreate = nil
			path := "/" + kind + "s"
			require.Equal(t, 1, e.srv.RequestCount(http.MethodPost, path)-1, "the dying call's POST reached the server")
			_, held, err := store.memoryStore.Get(t.Context(), claimKeyOf(dying, kind, "order-10"))
			require.NoError(t, err)
			assert.True(t, held, "a create that may have landed keeps its claim, for a late commit to show")

			done := make(chan error, 1)
			var id int64
			go func() {
				var err error
				id, err = create(t.Context(), next)
				done <- err
			}()
			store.waitForRefusedClaim(t)
			clock.Set(clock.Now().Add(DefaultIdempotencyClaimTTL))
			require.NoError(t, <-done)
			assert.Equal(t, 2, e.srv.RequestCount(http.MethodPost, path), "found, not created again")
			assert.NotContains(t, []int64{older.ID, olderRoom.ID}, id, "the object that was there before is not the one created")
			if kind == "ticket" {
				assert.Equal(t, 2, e.srv.TicketsWithReference("case-10"))
			}
			again, err := create(t.Context(), dying)
			require.NoError(t, err)
			assert.Equal(t, id, again, "the key now names it")
		})
	}
}

// A holder whose claim expired and was taken by another call sends no POST:
// it goes back to waiting.
func TestHolderThatLostItsClaimSendsNothing(t *testing.T) {
	e := newOnceEnv(t)
	store, clock := newWatchedStore()
	c := e.client(t, WithStore(store))
	claim := claimKeyOf(c, "ticket", "order-11")
	var rivalOnce sync.Once
	hooked := &setHook{Store: store, onSet: func(key string, value []byte) {
		if strings.Contains(string(value), `"pending"`) {
			rivalOnce.Do(func() {
				// The holder stalled past its claim TTL; a rival took it.
				clock.Set(clock.Now().Add(DefaultIdempotencyClaimTTL))
				set, err := store.memoryStore.SetNX(context.Background(), claim, []byte("rival"), DefaultIdempotencyClaimTTL)
				require.NoError(t, err)
				require.True(t, set)
			})
		}
	}}
	c = e.client(t, WithStore(hooked))
	done := make(chan error, 1)
	go func() {
		_, err := c.Tickets.CreateOnce(t.Context(), keyedTicket("case-11", "order-11"))
		done <- err
	}()
	store.waitForRefusedClaim(t) // the holder's renewal before its POST
	store.waitForRefusedClaim(t) // back to waiting
	assert.Zero(t, e.srv.RequestCount(http.MethodPost, "/tickets"), "no POST without the claim")
	clock.Set(clock.Now().Add(DefaultIdempotencyClaimTTL))
	require.NoError(t, <-done)
	assert.Equal(t, 1, e.srv.TicketsWithReference("case-11"))
}

// setHook runs onSet before each Set.
type setHook struct {
	Store
	onSet func(key string, value []byte)
}

func (h *setHook) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	h.onSet(key, value)
	return h.Store.Set(ctx, key, value, ttl)
}

func TestCreateOnceKeyFallsBackToTheClientsMemoryWhenTheStoreFails(t *testing.T) {
	e := newOnceEnv(t)
	var logs strings.Builder
	c := e.client(t, WithStore(&failingStore{}), WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))))
	first, err := c.Tickets.CreateOnce(t.Context(), keyedTicket("case-12", "order-12"))
	require.NoError(t, err)
	again, err := c.Tickets.CreateOnce(t.Context(), keyedTicket("case-12", "order-12"))
	require.NoError(t, err)
	assert.Equal(t, first.ID, again.ID, "the client's own memory keeps the key")
	assert.Equal(t, 1, e.srv.RequestCount(http.MethodPost, "/tickets"))
	assert.Equal(t, 1, strings.Count(logs.String(), "the store failed"), "said once: %s", logs.String())
}

// Every key and value written to the store, for tokens and keys, is free of
// the password, the token and the room's password; records live
// IdempotencyKeyTTL, claims the claim TTL.
func TestStoreHoldsNoSecretAndKeepsKeysForTheirTTL(t *testing.T) {
	e := newOnceEnv(t)
	store := &recordingStore{Store: NewMemoryStore()}
	c := e.client(t, WithStore(store), WithIdempotencyClaimTTL(time.Minute))
	tk, err := c.Tickets.CreateOnce(t.Context(), &CreateTicketParams{Agent: apizeetest.DefaultUsername, Phone: []string{"+33612345678"},
		Reference: "case-13", SSO: true, IdempotencyKey: "order-13"})
	require.NoError(t, err)
	require.NotEmpty(t, tk.SSOURL)
	_, err = c.Conferences.CreateOnce(t.Context(), keyedRoom("Review 13", "order-13"))
	require.NoError(t, err)
	tok, err := c.tokens.token(t.Context())
	require.NoError(t, err)

	secrets := []string{e.srv.Password, tok.AccessToken, "2468#", "2468%23", tk.SSOURL, tk.RequestorURL}
	var records, claims int
	for _, w := range store.recorded() {
		for _, secret := range secrets {
			assert.NotContains(t, w.key, secret, "%s key", w.op)
			if !strings.HasPrefix(w.key, tokenKeyPrefix) || secret != tok.AccessToken {
				assert.NotContains(t, string(w.value), secret, "%s value of %s", w.op, w.key)
			}
		}
		switch {
		case w.op == "Set" && strings.HasPrefix(w.key, onceKeyPrefix):
			records++
			assert.Equal(t, IdempotencyKeyTTL, w.ttl)
		case w.op == "SetNX" && strings.HasPrefix(w.key, onceClaimPrefix):
			claims++
			assert.Equal(t, time.Minute, w.ttl)
		}
	}
	assert.Equal(t, 4, records, "pending then created, for the ticket and the room")
	assert.Positive(t, claims)
}

func TestIdempotencyKeyValidation(t *testing.T) {
	e := newOnceEnv(t)
	c := e.client(t)
	for name, key := range map[string]string{
		"blank":             "   ",
		"control character": "order\n1",
		"invalid UTF-8":     "order-\xff",
		"too long":          strings.Repeat("k", 256),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := c.Tickets.CreateOnce(t.Context(), keyedTicket("case-14", key))
			requireField(t, err, "IdempotencyKey")
			_, err = c.Conferences.CreateOnce(t.Context(), keyedRoom("Review 14", key))
			requireField(t, err, "IdempotencyKey")
		})
	}
	_, err := c.Tickets.Create(t.Context(), keyedTicket("case-14", "k"))
	requireField(t, err, "IdempotencyKey")
	_, err = c.Conferences.Create(t.Context(), keyedRoom("Review 14", "k"))
	requireField(t, err, "IdempotencyKey")
	_, err = c.Conferences.CreateOnce(t.Context(), keyedRoom("", "k"))
	requireField(t, err, "Name")
	assert.Empty(t, e.srv.Requests(), "no request for bad input, /token included")
	_, err = c.Tickets.CreateOnce(t.Context(), keyedTicket("case-14", strings.Repeat("k", 255)))
	require.NoError(t, err, "255 bytes is allowed")

	_, err = c.Tickets.CreateOnce(t.Context(), keyedTicket("case-14-other", strings.Repeat("k", 255)))
	requireField(t, err, "IdempotencyKey")
	assert.Contains(t, err.Error(), `first used for a ticket with reference "case-14"`)

	_, err = NewClient(WithToken("t"), WithIdempotencyClaimTTL(time.Millisecond))
	requireField(t, err, "IdempotencyClaimTTL")
}

func requireField(t *testing.T, err error, field string) {
	t.Helper()
	var ve *ValidationError
	require.True(t, errors.As(err, &ve), "want a *ValidationError, got %v", err)
	assert.Equal(t, field, ve.Field)
}

// Without a key, Conferences.CreateOnce protects one call like the ticket
// version: look-up by exact name before, and after an ambiguous failure.
func TestConferenceCreateOnceWithoutAKey(t *testing.T) {
	for name, tt := range map[string]struct {
		fault func(e *onceEnv)
		posts int
	}{
		"answer lost":          {func(e *onceEnv) { loseAnswer(e, "/conferences") }, 1},
		"5xx after processing": {func(e *onceEnv) { e.processed5xx.Store(1) }, 1},
		"500 not processed": {func(e *onceEnv) {
			e.srv.QueueFault(apizeetest.Fault{Method: "POST", Path: "/conferences", Status: 500})
		}, 2},
	} {
		t.Run(name, func(t *testing.T) {
			e := newOnceEnv(t)
			c := e.client(t)
			older, err := c.Conferences.Create(t.Context(), keyedRoom("Weekly", ""))
			require.NoError(t, err)
			_, err = c.Conferences.Create(t.Context(), keyedRoom("Weekly review", "")) // a substring match, not ours
			require.NoError(t, err)
			rooms := e.srv.ConferenceCount()
			e.srv.ResetRequests()
			tt.fault(e)
			room, err := c.Conferences.CreateOnce(t.Context(), keyedRoom("Weekly", ""))
			require.NoError(t, err)
			assert.NotEqual(t, older.ID, room.ID)
			assert.Equal(t, "Weekly", room.Name)
			assert.Equal(t, rooms+1, e.srv.ConferenceCount(), "exactly one room")
			assert.Equal(t, tt.posts, e.srv.RequestCount(http.MethodPost, "/conferences"))
		})
	}
}

// missRecordOnce answers the first Get of a record as a miss, after running
// before: another call finishes with the key between this call's look and
// its claim.
type missRecordOnce struct {
	Store
	before func()
	missed atomic.Bool
}

func (m *missRecordOnce) Get(ctx context.Context, key string) ([]byte, bool, error) {
	if strings.HasPrefix(key, onceKeyPrefix) && m.missed.CompareAndSwap(false, true) {
		m.before()
		return nil, false, nil
	}
	return m.Store.Get(ctx, key)
}

func TestClaimHolderLooksAgainForARecordWrittenMeanwhile(t *testing.T) {
	e := newOnceEnv(t)
	store := &missRecordOnce{Store: NewMemoryStore()}
	first, late := e.client(t, WithStore(store)), e.client(t, WithStore(store))
	e.srv.AddTickets(1, "case-15") // an older ticket of the case: never the one returned
	var firstID int64
	store.before = func() {
		tk, err := first.Tickets.CreateOnce(t.Context(), keyedTicket("case-15", "order-15"))
		require.NoError(t, err)
		firstID = tk.ID
	}
	tk, err := late.Tickets.CreateOnce(t.Context(), keyedTicket("case-15", "order-15"))
	require.NoError(t, err)
	assert.Equal(t, firstID, tk.ID)
	assert.Equal(t, 2, e.srv.TicketsWithReference("case-15"), "the older one and one new")
}

// A create refused by the server created nothing: the key is released at
// once, and the next call does not wait for the claim to expire.
func TestRefusedCreateReleasesTheKey(t *testing.T) {
	e := newOnceEnv(t)
	c := e.client(t)
	e.srv.QueueFault(apizeetest.Fault{Method: "POST", Path: "/tickets", Status: http.StatusBadRequest})
	_, err := c.Tickets.CreateOnce(t.Context(), keyedTicket("case-16", "order-16"))
	require.ErrorContains(t, err, "400")
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	tk, err := c.Tickets.CreateOnce(ctx, keyedTicket("case-16", "order-16"))
	require.NoError(t, err, "not held for the claim TTL")
	assert.Equal(t, "case-16", tk.Reference)
}

// A POST is bounded by the life of its claim: a create that outlasts it is
// cut, looked for, and sent again under a renewed claim, rather than land
// while another call may hold the key.
func TestPOSTIsBoundedByTheClaim(t *testing.T) {
	e := newOnceEnv(t)
	// A POST may take 3 s (three quarters of the claim): room for a busy
	// machine under -race, far below the 60 s the server takes.
	c := e.client(t, WithIdempotencyClaimTTL(4*time.Second))
	e.srv.QueueFault(apizeetest.Fault{Method: "POST", Path: "/tickets", Delay: time.Minute})
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	_, err := c.Tickets.CreateOnce(ctx, keyedTicket("case-17", "order-17"))
	require.NoError(t, err)
	assert.Equal(t, 2, e.srv.RequestCount(http.MethodPost, "/tickets"), "the first POST was cut at three quarters of the claim")
	assert.Equal(t, 1, e.srv.TicketsWithReference("case-17"))
}
