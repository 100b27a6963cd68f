package apizee_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee"
	"github.com/apizee-go/apizee/apizeetest"
)

// The adversaries of CreateOnce: servers that commit a ticket after the
// client gave up on the POST, that echo the reference normalised, that never
// answer a look-up readably, that hold a request until the caller's context
// ends. They run in a testing/synctest bubble over an in-memory network, so
// that the backoffs and per-attempt timeouts pass in fake time: the order of
// events is exact, and no test sleeps.

// pipeNetwork is an in-memory network for a synctest bubble (a loopback
// socket would keep the bubble from ever being idle): Dial hands one end of
// a net.Pipe to Accept.
type pipeNetwork struct {
	conns     chan net.Conn
	closed    chan struct{}
	closeOnce sync.Once
}

func newPipeNetwork() *pipeNetwork {
	return &pipeNetwork{conns: make(chan net.Conn), closed: make(chan struct{})}
}

func (n *pipeNetwork) Accept() (net.Conn, error) {
	select {
	case c := <-n.conns:
		return c, nil
	case <-n.closed:
		return nil, net.ErrClosed
	}
}

func (n *pipeNetwork) Close() error {
	n.closeOnce.Do(func() { close(n.closed) })
	return nil
}

func (n *pipeNetwork) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 80} }

func (n *pipeNetwork) DialContext(ctx context.Context, _, _ string) (net.Conn, error) {
	server, client := net.Pipe()
	select {
	case n.conns <- server:
		return client, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-n.closed:
		return nil, net.ErrClosed
	}
}

// deskTicket is a ticket the desk holds.
type deskTicket struct {
	id        int64
	reference string // as stored, after the desk's normalisation
}

// postPlay is how the desk answers one POST /tickets.
type postPlay func(d *ticketDesk, w http.ResponseWriter, r *http.Request)

// ticketDesk is a hostile ticket API for CreateOnce: it plays one postPlay
// per POST, in order (then commits and answers normally), lists its tickets
// newest first, and answers GET /tickets/{id} with the agent's deep-link
// fields a list item lacks.
type ticketDesk struct {
	// store normalises a reference as the server stores and echoes it; nil
	// keeps it as sent.
	store func(string) string
	// echo writes a stored reference into JSON; nil writes a string.
	echo func(string) any
	// listPlay, when set, answers every GET /tickets instead.
	listPlay http.HandlerFunc

	mu      sync.Mutex
	plays   []postPlay
	tickets []deskTicket
	nextID  int64
	posts   []time.Time // when each POST arrived
	gaveUp  []time.Time // when the client gave up on a POST the desk held
	lists   int
}

func (d *ticketDesk) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/api/tickets":
		d.mu.Lock()
		d.posts = append(d.posts, time.Now())
		play := commitAndAnswer
		if len(d.plays) > 0 {
			play, d.plays = d.plays[0], d.plays[1:]
		}
		d.mu.Unlock()
		play(d, w, r)
	case r.Method == http.MethodGet && r.URL.Path == "/api/tickets":
		d.mu.Lock()
		d.lists++
		d.mu.Unlock()
		if d.listPlay != nil {
			d.listPlay(w, r)
			return
		}
		d.list(w, r)
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/api/tickets/"):
		id, _ := strconv.ParseInt(strings.TrimPrefix(r.URL.Path, "/api/tickets/"), 10, 64)
		d.mu.Lock()
		defer d.mu.Unlock()
		for _, t := range d.tickets {
			if t.id == id {
				item := d.item(t)
				item["agent_url"], item["button_id"] = "https://cloud.apizee.com", 223
				writeDeskJSON(w, item)
				return
			}
		}
		http.NotFound(w, r)
	default:
		http.NotFound(w, r)
	}
}

// commit stores a ticket for the POST's reference and returns it.
func (d *ticketDesk) commit(r *http.Request) deskTicket {
	ref := r.URL.Query().Get("reference")
	if d.store != nil {
		ref = d.store(ref)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.nextID++
	t := deskTicket{id: d.nextID, reference: ref}
	d.tickets = append(d.tickets, t)
	return t
}

// add stores a ticket with reference, as another process would.
func (d *ticketDesk) add(reference string) int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.nextID++
	d.tickets = append(d.tickets, deskTicket{id: d.nextID, reference: reference})
	return d.nextID
}

// item is t as a list answer writes it.
func (d *ticketDesk) item(t deskTicket) map[string]any {
	var ref any = t.reference
	if d.echo != nil {
		ref = d.echo(t.reference)
	}
	return map[string]any{"id": t.id, "state": "new", "reference": ref, "created": "2024-03-01T10:00:00+00:00"}
}

// list answers GET /tickets with every ticket whose stored reference is the
// one asked once normalised, newest first.
func (d *ticketDesk) list(w http.ResponseWriter, r *http.Request) {
	want := r.URL.Query().Get("reference")
	if d.store != nil {
		want = d.store(want)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	items := []any{}
	for i := len(d.tickets) - 1; i >= 0; i-- {
		if d.tickets[i].reference == want {
			items = append(items, d.item(d.tickets[i]))
		}
	}
	writeDeskJSON(w, map[string]any{"total": len(items), "data": items})
}

func (d *ticketDesk) count() (posts, lists, tickets int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.posts), d.lists, len(d.tickets)
}

func writeDeskJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// commitAndAnswer is a POST the desk serves well.
func commitAndAnswer(d *ticketDesk, w http.ResponseWriter, r *http.Request) {
	t := d.commit(r)
	d.mu.Lock()
	item := d.item(t)
	d.mu.Unlock()
	writeDeskJSON(w, item)
}

// commitAfterGiveUp is a slow database: the POST's answer never comes, and
// the ticket is committed delay after the client gave up waiting for it.
func commitAfterGiveUp(delay time.Duration) postPlay {
	return func(d *ticketDesk, _ http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
		d.mu.Lock()
		d.gaveUp = append(d.gaveUp, time.Now())
		d.mu.Unlock()
		time.AfterFunc(delay, func() { d.commit(r) })
	}
}

// commitAndHangUp commits, then closes the connection without answering.
func commitAndHangUp(d *ticketDesk, w http.ResponseWriter, r *http.Request) {
	d.commit(r)
	hangUp(w)
}

// failWithout500 answers 500 without committing.
func failWithout500(_ *ticketDesk, w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusInternalServerError)
	_, _ = w.Write([]byte(`{"message":"Internal error"}`))
}

// holdUntilGone never answers, and commits nothing.
func holdUntilGone(_ *ticketDesk, _ http.ResponseWriter, r *http.Request) { <-r.Context().Done() }

func hangUp(w http.ResponseWriter) {
	if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
		_ = conn.Close()
	}
}

// Timing of the desk's clients, in the bubble's fake time.
const (
	deskAttemptTimeout = time.Second
	deskBackoff        = 10 * time.Second
)

// withDesk serves d in a synctest bubble and runs test with a client of it
// whose attempts time out after deskAttemptTimeout and whose backoff is
// exactly deskBackoff.
func withDesk(t *testing.T, d *ticketDesk, maxRetries int, test func(t *testing.T, c *apizee.Client)) {
	t.Helper()
	synctest.Test(t, func(t *testing.T) {
		network := newPipeNetwork()
		srv := &http.Server{Handler: d}
		served := make(chan struct{})
		go func() {
			defer close(served)
			_ = srv.Serve(network)
		}()
		transport := &http.Transport{DialContext: network.DialContext}
		c, err := apizee.NewClient(apizee.WithBaseURL("http://127.0.0.1/api"), apizee.WithToken("desk-token"),
			apizee.WithHTTPClient(&http.Client{Transport: transport, Timeout: deskAttemptTimeout}),
			apizee.WithRetryPolicy(apizee.RetryPolicy{MaxRetries: maxRetries, MinBackoff: deskBackoff, MaxBackoff: deskBackoff}))
		require.NoError(t, err)

		test(t, c)

		transport.CloseIdleConnections()
		_ = srv.Close()
		<-served
	})
}

func deskCase(reference string) *apizee.CreateTicketParams {
	return &apizee.CreateTicketParams{Agent: "agent1@apizee.com", Phone: []string{"+33612345678"}, Reference: reference}
}

// A POST that commits after the per-attempt timeout: the look-up right after
// the failure would find nothing, and a POST sent without looking again after
// the backoff makes a second ticket.
func TestAdversaryCreateOnceLateCommitYieldsOneTicket(t *testing.T) {
	tests := []struct {
		name  string
		plays []postPlay
		posts int
	}{
		{"the first POST commits during the backoff", []postPlay{commitAfterGiveUp(deskBackoff / 2)}, 1},
		{"a re-sent POST commits during its backoff", []postPlay{failWithout500, commitAfterGiveUp(deskBackoff / 2)}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &ticketDesk{plays: tt.plays}
			withDesk(t, d, 3, func(t *testing.T, c *apizee.Client) {
				tk, err := c.Tickets.CreateOnce(t.Context(), deskCase("case-late"))
				require.NoError(t, err)

				posts, _, tickets := d.count()
				assert.Equal(t, 1, tickets, "exactly one ticket")
				assert.Equal(t, tt.posts, posts, "no POST after the late one")
				assert.Equal(t, int64(1), tk.ID, "the call returns the ticket it created")
				assert.Equal(t, "https://cloud.apizee.com/entrypoint/223/tickets/1", tk.AgentTicketURL(),
					"completed by GET /tickets/{id}: a list answer has no agent_url or button_id")
			})
		})
	}
}

// Mutant: the backoff between creates removed. The second POST goes out no
// sooner than the policy's backoff after the first failed.
func TestAdversaryCreateOnceWaitsTheBackoffBetweenCreates(t *testing.T) {
	d := &ticketDesk{plays: []postPlay{failWithout500, failWithout500}}
	withDesk(t, d, 3, func(t *testing.T, c *apizee.Client) {
		_, err := c.Tickets.CreateOnce(t.Context(), deskCase("case-wait"))
		require.NoError(t, err)
		d.mu.Lock()
		defer d.mu.Unlock()
		require.Len(t, d.posts, 3)
		for i := 1; i < len(d.posts); i++ {
			assert.GreaterOrEqual(t, d.posts[i].Sub(d.posts[i-1]), deskBackoff, "POST %d", i+1)
		}
	})
}

// Mutant: the look-up budget removed. A look-up that is never readable is
// sent again at most MaxRetries more times, then the call says the ticket
// may exist.
func TestAdversaryCreateOnceLookUpBudget(t *testing.T) {
	d := &ticketDesk{plays: []postPlay{commitAndHangUp}}
	d.listPlay = func(w http.ResponseWriter, r *http.Request) {
		d.mu.Lock()
		first := d.lists == 1
		d.mu.Unlock()
		if first {
			d.list(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<html><title>Maintenance</title></html>"))
	}
	withDesk(t, d, 2, func(t *testing.T, c *apizee.Client) {
		ctx, cancel := context.WithTimeout(t.Context(), 24*time.Hour) // a broken budget ends here, not never
		defer cancel()
		_, err := c.Tickets.CreateOnce(ctx, deskCase("case-unreadable"))
		require.Error(t, err)
		assert.Contains(t, err.Error(), "may exist")
		var decErr *apizee.DecodeError
		assert.ErrorAs(t, err, &decErr, "the look-up's own failure")
		posts, lists, _ := d.count()
		assert.Equal(t, 1, posts, "never creates blind")
		assert.Equal(t, 1+3, lists, "the listing before, then one look-up and MaxRetries (2) more")
	})
}

// Mutant: the oldest of several new tickets not the one returned. After a
// lost answer the look-up finds the call's ticket and, newer, another one
// with the same reference (another process): the oldest new one is ours.
func TestAdversaryCreateOnceReturnsTheOldestNewTicket(t *testing.T) {
	d := &ticketDesk{}
	older := d.add("case-many") // there before: never ours
	d.plays = []postPlay{func(d *ticketDesk, w http.ResponseWriter, r *http.Request) {
		d.commit(r)
		d.add("case-many")
		d.add("case-many")
		hangUp(w)
	}}
	withDesk(t, d, 3, func(t *testing.T, c *apizee.Client) {
		tk, err := c.Tickets.CreateOnce(t.Context(), deskCase("case-many"))
		require.NoError(t, err)
		assert.Equal(t, older+1, tk.ID, "the oldest ticket that was not there before, though the list answers newest first")
	})
}

// A server that echoes the reference normalised still gives the call its
// ticket after a lost answer, instead of a second one.
func TestAdversaryCreateOnceRecognisesANormalisedReference(t *testing.T) {
	number := func(ref string) any {
		if n, err := strconv.ParseInt(ref, 10, 64); err == nil {
			return n
		}
		return ref
	}
	tests := []struct {
		name      string
		reference string
		store     func(string) string
		echo      func(string) any
	}{
		{"trimmed", "case-7 ", strings.TrimSpace, nil},
		{"leading zeros dropped, echoed as a JSON number", "000123", func(s string) string { return strings.TrimLeft(s, "0") }, number},
		{"a number echoed as a float", "42", nil, func(s string) any { return json.Number(s + ".0") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &ticketDesk{store: tt.store, echo: tt.echo, plays: []postPlay{commitAndHangUp}}
			withDesk(t, d, 3, func(t *testing.T, c *apizee.Client) {
				tk, err := c.Tickets.CreateOnce(t.Context(), deskCase(tt.reference))
				require.NoError(t, err)
				posts, _, tickets := d.count()
				assert.Equal(t, 1, tickets, "exactly one ticket")
				assert.Equal(t, 1, posts, "found, not created again")
				assert.Equal(t, int64(1), tk.ID)
			})
		})
	}
}

// An exact echo is preferred to a loose one, and a loose match that was
// there before is never taken for the call's ticket.
func TestAdversaryCreateOncePrefersAnExactReference(t *testing.T) {
	d := &ticketDesk{store: func(s string) string { return s }}
	d.add("0123") // the same number, there before
	d.plays = []postPlay{func(d *ticketDesk, w http.ResponseWriter, _ *http.Request) {
		d.add(" 123") // older than ours, a loose match
		d.add("123")  // ours
		hangUp(w)
	}}
	// The desk's own filter is loose: every variant of 123 is listed.
	d.listPlay = func(w http.ResponseWriter, _ *http.Request) {
		d.mu.Lock()
		defer d.mu.Unlock()
		items := []any{}
		for _, t := range d.tickets {
			items = append(items, d.item(t))
		}
		writeDeskJSON(w, map[string]any{"total": len(items), "data": items})
	}
	withDesk(t, d, 3, func(t *testing.T, c *apizee.Client) {
		tk, err := c.Tickets.CreateOnce(t.Context(), deskCase("123"))
		require.NoError(t, err)
		assert.Equal(t, int64(3), tk.ID, "the exact match")
		assert.Equal(t, "123", tk.Reference)
	})
}

// FindByReference stays exact: a normalised echo is not the reference asked.
func TestAdversaryFindByReferenceStaysExact(t *testing.T) {
	d := &ticketDesk{}
	d.add("0123")
	d.add("123 ")
	d.listPlay = func(w http.ResponseWriter, _ *http.Request) {
		d.mu.Lock()
		defer d.mu.Unlock()
		writeDeskJSON(w, map[string]any{"total": 2, "data": []any{d.item(d.tickets[1]), d.item(d.tickets[0])}})
	}
	withDesk(t, d, 0, func(t *testing.T, c *apizee.Client) {
		_, err := c.Tickets.FindByReference(t.Context(), "123")
		assert.ErrorIs(t, err, apizee.ErrNotFound)
	})
}

// When CreateOnce's own context ends after a POST was sent, the error says
// the ticket may exist and still matches the context's error.
func TestAdversaryCreateOnceContextEndsAfterSending(t *testing.T) {
	tests := []struct {
		name     string
		plays    []postPlay
		deadline time.Duration
	}{
		// The per-attempt timeout is longer than the caller's deadline here.
		{"during the POST", []postPlay{holdUntilGone}, deskAttemptTimeout / 2},
		{"during the backoff after a lost answer", []postPlay{failWithout500}, deskBackoff / 2},
		{"during a re-sent POST", []postPlay{failWithout500, holdUntilGone}, deskBackoff + deskAttemptTimeout/2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &ticketDesk{plays: tt.plays}
			withDesk(t, d, 3, func(t *testing.T, c *apizee.Client) {
				ctx, cancel := context.WithTimeout(t.Context(), tt.deadline)
				defer cancel()
				_, err := c.Tickets.CreateOnce(ctx, deskCase("case-deadline"))
				require.Error(t, err)
				assert.ErrorIs(t, err, context.DeadlineExceeded)
				assert.Contains(t, err.Error(), `a ticket with reference "case-deadline" may exist`)
			})
		})
	}
}

// Before any POST, a context that ends says nothing of a ticket.
func TestAdversaryCreateOnceContextEndsBeforeSending(t *testing.T) {
	d := &ticketDesk{listPlay: func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() }}
	withDesk(t, d, 3, func(t *testing.T, c *apizee.Client) {
		ctx, cancel := context.WithTimeout(t.Context(), deskAttemptTimeout/2)
		defer cancel()
		_, err := c.Tickets.CreateOnce(ctx, deskCase("case-early"))
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.NotContains(t, err.Error(), "may exist", "no POST was sent")
		posts, _, _ := d.count()
		assert.Zero(t, posts)
	})
}

// CreateOnce under every fault apizeetest can play on the POST and on the
// look-ups: when it succeeds, exactly one ticket carries the reference and it
// is the one returned; when it fails, at most one does, and the error says
// whether one may exist.
func TestAdversaryCreateOnceUnderEveryFault(t *testing.T) {
	faults := map[string]apizeetest.Fault{
		"dropped before processing": {DropBeforeProcessing: true},
		"dropped after processing":  {DropAfterProcessing: true},
		"200 that is not JSON":      {MalformedBody: true},
		"cut short":                 {ShortBody: true},
		"500 unprocessed":           {Status: http.StatusInternalServerError},
		"502 unprocessed":           {Status: http.StatusBadGateway},
		"503 unprocessed":           {Status: http.StatusServiceUnavailable},
		"429 with Retry-After":      {Status: http.StatusTooManyRequests, Header: http.Header{"Retry-After": {"0"}}},
		"401 once":                  {Status: http.StatusUnauthorized},
	}
	for name, fault := range faults {
		for _, target := range []string{"POST", "every request once"} {
			t.Run(name+" on "+target, func(t *testing.T) {
				srv, c := e2eServer(t)
				if target == "POST" {
					fault.Method, fault.Path = http.MethodPost, "/tickets"
					srv.QueueFault(fault)
				} else {
					// The listing before, the POST, and the look-ups each
					// meet the fault once.
					for range 4 {
						f := fault
						f.Path = "/tickets"
						srv.QueueFault(f)
					}
				}
				ref := "case-" + strings.ReplaceAll(name, " ", "-")
				tk, err := c.Tickets.CreateOnce(t.Context(), supportCase(ref))
				n := srv.TicketsWithReference(ref)
				if err != nil {
					assert.LessOrEqual(t, n, 1, "never two tickets: %v", err)
					if n == 1 {
						assert.Contains(t, err.Error(), "may exist", "a ticket exists: the error must say it may")
					}
					return
				}
				require.Equal(t, 1, n, "exactly one ticket")
				found, ferr := c.Tickets.FindByReference(t.Context(), ref)
				require.NoError(t, ferr)
				assert.Equal(t, found.ID, tk.ID, "the one returned")
			})
		}
	}
}
