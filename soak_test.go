package apizee_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/apizee-go/apizee"
	"github.com/apizee-go/apizee/apizeetest"
)

// The chaos soak runs a few hundred concurrent operations of every kind
// against apizeetest while the server misbehaves on about a third of the
// requests, then checks what must hold whatever the faults: no ticket is
// created twice or lost, every call ends with a result or a typed error
// before its deadline, every completed download is byte-exact, and no
// goroutine is left behind.
//
// Determinism. The faults come from the server (apizeetest.QueueFault),
// never from a client-side transport. Each operation draws its faults from
// its own PCG stream, seeded with (soakSeed, operation index), and queues
// them just before it starts, so the set of faults queued is the same on
// every run whatever the interleaving. For each request an operation is
// expected to make, it draws a fault, and keeps drawing for the same
// request as long as the fault drawn makes the SDK send it again (a 500, a
// 429, a GET whose answer was dropped), and for the listing CreateOnce
// makes after a create that may have succeeded: retries and look-ups meet
// faults at the same rates as first attempts.
//
// Faults on an operation's own paths (GET /tickets/{id}, a ticket's media
// list, a media file) are played to that operation's attempts in order, so
// their outcome is reproducible. Faults on shared paths (POST /tickets and
// GET /tickets, which every CreateOnce and every walk use) are taken
// first-come first-served by whichever request of that kind arrives next:
// which operation meets which fault there depends on the interleaving, and
// so can the outcome of a given operation and the counts that follow from
// it, but not the invariants checked.

// soakSeed seeds the fault schedule and the media sizes.
const soakSeed = 20261125

const (
	soakCreates   = 300
	soakGets      = 300
	soakWalks     = 50
	soakDownloads = 50
	soakWorkers   = 24
	// soakOpTimeout is each operation's deadline: generous, since what is
	// checked is that no call hangs past it. Under -race on two cores that
	// other jobs kept busy, a walk of ~650 tickets took up to 19 s.
	soakOpTimeout = 60 * time.Second
)

// soakRetryPolicy retries fast so that the soak's time goes into the 429s'
// Retry-After, as it would in production.
var soakRetryPolicy = apizee.RetryPolicy{
	MaxRetries:    5,
	MinBackoff:    5 * time.Millisecond,
	MaxBackoff:    50 * time.Millisecond,
	MaxRetryAfter: 2 * time.Second,
}

// soakFault is one kind of misbehaviour of the schedule.
type soakFault int

const (
	faultNone      soakFault = iota
	fault500                 // 500, the request not processed
	faultDropped             // processed, then the connection closed without an answer
	fault429                 // 429 with Retry-After 0 or 1 s, not processed
	faultDelay               // 200 ms late, then served
	faultMalformed           // processed, then 200 with an HTML page
)

var soakFaultNames = map[soakFault]string{
	fault500:       "500",
	faultDropped:   "processed, then connection dropped",
	fault429:       "429 + Retry-After 0-1 s",
	faultDelay:     "200 ms delay",
	faultMalformed: "malformed 200 body",
}

var soakFaultKinds = []soakFault{fault500, faultDropped, fault429, faultDelay, faultMalformed}

// drawFault draws the fault of one request: 10% 500, 5% dropped after
// processing, 10% 429, 5% delay, 2% malformed body.
func drawFault(r *rand.Rand) soakFault {
	switch x := r.Float64(); {
	case x < 0.10:
		return fault500
	case x < 0.15:
		return faultDropped
	case x < 0.25:
		return fault429
	case x < 0.30:
		return faultDelay
	case x < 0.32:
		return faultMalformed
	}
	return faultNone
}

// resends reports whether the SDK sends the same request again after
// meeting f: GET is retried on 5xx, 429 and lost connections; POST /tickets
// is retried on 429, and CreateOnce creates again after a 500 (the ticket
// was not created), but finds its ticket after a processed request.
func resends(f soakFault, method string) bool {
	switch f {
	case fault500, fault429:
		return true
	case faultDropped:
		return method == http.MethodGet
	}
	return false
}

// faultScheduler queues the faults of the schedule on the server and
// counts them.
type faultScheduler struct {
	srv *apizeetest.Server

	mu     sync.Mutex
	queued map[soakFault]int
	// private holds the chain queued on each path only one operation uses,
	// to tell afterwards which of its faults were played.
	private map[string][]soakFault
}

// plannedFault is a fault of the schedule, with its kind.
type plannedFault struct {
	kind  soakFault
	fault apizeetest.Fault
}

// drawChain draws the faults that one request meets, attempt after attempt:
// it keeps drawing while the fault drawn makes the SDK send the request
// again. After a POST /tickets that may have created the ticket (a 500, a
// lost or unreadable answer), CreateOnce lists the tickets again: the
// faults of that listing are drawn too.
func drawChain(r *rand.Rand, method, path string) []plannedFault {
	var chain []plannedFault
	for attempt := 0; attempt <= soakRetryPolicy.MaxRetries; attempt++ {
		k := drawFault(r)
		if k == faultNone {
			break
		}
		f := apizeetest.Fault{Method: method, Path: path}
		switch k {
		case fault500:
			f.Status = http.StatusInternalServerError
		case faultDropped:
			f.DropAfterProcessing = true
		case fault429:
			f.Status = http.StatusTooManyRequests
			f.Header = http.Header{"Retry-After": {strconv.Itoa(r.IntN(2))}}
		case faultDelay:
			f.Delay = 200 * time.Millisecond
		case faultMalformed:
			f.MalformedBody = true
		}
		chain = append(chain, plannedFault{k, f})
		if method == http.MethodPost && k != fault429 && k != faultDelay {
			chain = append(chain, drawChain(r, http.MethodGet, "/tickets")...)
		}
		if !resends(k, method) {
			break
		}
	}
	return chain
}

// queueChain draws the faults of one request (see drawChain) and queues
// them. A private path is one only this operation requests.
func (s *faultScheduler) queueChain(r *rand.Rand, method, path string, private bool) {
	chain := drawChain(r, method, path)
	s.mu.Lock()
	defer s.mu.Unlock()
	var kinds []soakFault
	for _, planned := range chain {
		s.srv.QueueFault(planned.fault)
		s.queued[planned.kind]++
		kinds = append(kinds, planned.kind)
	}
	if private {
		s.private[method+" "+path] = kinds
	}
}

// soakKind is a kind of operation.
type soakKind string

const (
	opCreate   soakKind = "CreateOnce"
	opGet      soakKind = "Get"
	opWalk     soakKind = "All walk"
	opDownload soakKind = "media download"
)

// soakOp is one operation of the soak and, once run, its outcome.
type soakOp struct {
	kind      soakKind
	index     int    // seeds the operation's faults
	reference string // CreateOnce
	ticketID  int64  // Get, and the ticket whose media a download fetches
	mediaPath string // download: the path of the media file

	ticket   *apizee.Ticket // what CreateOnce or Get returned
	walked   []int64        // the ids an All walk yielded
	checksum [sha256.Size]byte
	err      error
	elapsed  time.Duration
}

// soakEnv is what the operations run against.
type soakEnv struct {
	srv    *apizeetest.Server
	client *apizee.Client
	faults *faultScheduler
	// walkPages is about how many pages a walk fetches: fixed, unlike the
	// ticket count at the time, so that the faults queued do not depend on
	// the interleaving.
	walkPages int
}

// run queues the operation's faults, then runs it with its own deadline.
func (e *soakEnv) run(parent context.Context, op *soakOp) {
	r := rand.New(rand.NewPCG(soakSeed, uint64(op.index)))
	ctx, cancel := context.WithTimeout(parent, soakOpTimeout)
	defer cancel()
	start := time.Now()
	defer func() { op.elapsed = time.Since(start) }()

	switch op.kind {
	case opCreate:
		// The listing before creating, then the POST.
		e.faults.queueChain(r, http.MethodGet, "/tickets", false)
		e.faults.queueChain(r, http.MethodPost, "/tickets", false)
		op.ticket, op.err = e.client.Tickets.CreateOnce(ctx, &apizee.CreateTicketParams{
			Agent: apizeetest.DefaultUsername, Phone: []string{"+33612345678"}, Reference: op.reference})
	case opGet:
		e.faults.queueChain(r, http.MethodGet, "/tickets/"+strconv.FormatInt(op.ticketID, 10), true)
		op.ticket, op.err = e.client.Tickets.Get(ctx, op.ticketID)
	case opWalk:
		for range e.walkPages {
			e.faults.queueChain(r, http.MethodGet, "/tickets", false)
		}
		// Ascending: tickets created during the walk come after the
		// cursor, so every ticket that was there before is seen once.
		for t, err := range e.client.Tickets.All(ctx, &apizee.ListTicketsParams{OrderBy: "date", Order: apizee.OrderAsc}) {
			if err != nil {
				op.err = err
				break
			}
			op.walked = append(op.walked, t.ID)
		}
	case opDownload:
		e.faults.queueChain(r, http.MethodGet, fmt.Sprintf("/enterprises/%d/tickets/%d/medias", e.srv.EnterpriseID, op.ticketID), true)
		e.faults.queueChain(r, http.MethodGet, op.mediaPath, true)
		op.err = e.download(ctx, op)
	}
}

func (e *soakEnv) download(ctx context.Context, op *soakOp) error {
	page, err := e.client.Media.ListForTicket(ctx, op.ticketID, nil)
	if err != nil {
		return err
	}
	if len(page.Items) != 1 {
		return fmt.Errorf("ticket %d lists %d media, want 1", op.ticketID, len(page.Items))
	}
	h := sha256.New()
	if _, err := e.client.Media.Download(ctx, &page.Items[0], h); err != nil {
		return err
	}
	h.Sum(op.checksum[:0])
	return nil
}

func TestSoakUnderFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("the chaos soak takes tens of seconds")
	}
	before := goleak.IgnoreCurrent()
	started := time.Now()

	srv := apizeetest.NewServer()
	defer srv.Close()
	// A plain transport, faking nothing: the test owns it to close its idle
	// connections before looking for leaked goroutines.
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = soakWorkers
	client, err := apizee.NewClient(apizee.WithBaseURL(srv.URL), apizee.WithCredentials(srv.Username, srv.Password),
		apizee.WithHTTPClient(&http.Client{Transport: transport}), apizee.WithRetryPolicy(soakRetryPolicy))
	require.NoError(t, err)
	env := &soakEnv{srv: srv, client: client,
		faults: &faultScheduler{srv: srv, queued: map[soakFault]int{}, private: map[string][]soakFault{}}}

	// Setup, without faults: the tickets to Get, the media to download, and
	// the tickets every walk must see.
	setup := rand.New(rand.NewPCG(soakSeed, 1<<62))
	getIDs := srv.AddTickets(soakGets, "soak-get")
	mediaIDs := srv.AddTickets(soakDownloads, "soak-media")
	wantSum := map[int64][sha256.Size]byte{}
	mediaPaths := map[int64]string{}
	var mediaBytes int64
	for _, id := range mediaIDs {
		size := 256<<10 + setup.Int64N(3<<20)
		mediaBytes += size
		mediaURL := srv.AddTicketMedia(id, size)
		u, err := url.Parse(mediaURL)
		require.NoError(t, err)
		mediaPaths[id] = u.Path
		content, ok := srv.MediaContent(mediaURL)
		require.True(t, ok)
		h := sha256.New()
		_, err = io.Copy(h, content)
		require.NoError(t, err)
		wantSum[id] = [sha256.Size]byte(h.Sum(nil))
	}
	var existing []int64
	for tk, err := range client.Tickets.All(t.Context(), &apizee.ListTicketsParams{OrderBy: "date", Order: apizee.OrderAsc}) {
		require.NoError(t, err)
		existing = append(existing, tk.ID)
	}
	require.Len(t, existing, srv.TicketCount())
	env.walkPages = (len(existing)+soakCreates)/100 + 1
	srv.ResetRequests()

	var ops []*soakOp
	add := func(kind soakKind, n int, fill func(op *soakOp, i int)) {
		for i := range n {
			op := &soakOp{kind: kind, index: len(ops)}
			fill(op, i)
			ops = append(ops, op)
		}
	}
	add(opCreate, soakCreates, func(op *soakOp, i int) { op.reference = fmt.Sprintf("soak-create-%03d", i) })
	add(opGet, soakGets, func(op *soakOp, i int) { op.ticketID = getIDs[i] })
	add(opWalk, soakWalks, func(*soakOp, int) {})
	add(opDownload, soakDownloads, func(op *soakOp, i int) {
		op.ticketID, op.mediaPath = mediaIDs[i], mediaPaths[mediaIDs[i]]
	})
	// The operations start in a seeded order, so that every kind runs
	// alongside every other.
	order := slices.Clone(ops)
	setup.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })

	soakStart := time.Now()
	queue := make(chan *soakOp)
	var wg sync.WaitGroup
	for range soakWorkers {
		wg.Go(func() {
			for op := range queue {
				env.run(t.Context(), op)
			}
		})
	}
	for _, op := range order {
		queue <- op
	}
	close(queue)
	wg.Wait()
	soakElapsed := time.Since(soakStart)

	pending := srv.FaultsPending()
	srv.ClearFaults()
	requests := srv.Requests()

	report := newSoakReport(env, ops, requests, pending)

	// Every call ended before its deadline with a result or a typed error.
	for _, op := range ops {
		assert.Less(t, op.elapsed, soakOpTimeout, "%s #%d ran into its deadline", op.kind, op.index)
		if op.err != nil {
			assert.NotErrorIs(t, op.err, context.DeadlineExceeded, "%s #%d", op.kind, op.index)
			assert.True(t, typedError(op.err), "%s #%d: untyped error %T: %v", op.kind, op.index, op.err, op.err)
		}
	}

	// Exactly one ticket per CreateOnce that succeeded, and it is the one
	// returned; at most one per CreateOnce that failed.
	for _, op := range ops {
		if op.kind != opCreate {
			continue
		}
		n := srv.TicketsWithReference(op.reference)
		if op.err != nil {
			assert.LessOrEqual(t, n, 1, "duplicate tickets for %s (the call failed: %v)", op.reference, op.err)
			continue
		}
		if assert.Equal(t, 1, n, "tickets for %s", op.reference) {
			found, err := client.Tickets.FindByReference(t.Context(), op.reference)
			require.NoError(t, err)
			assert.Equal(t, found.ID, op.ticket.ID, "CreateOnce %s returned another ticket than the one stored", op.reference)
			assert.Equal(t, op.reference, op.ticket.Reference)
		}
	}

	for _, op := range ops {
		if op.err != nil {
			continue
		}
		switch op.kind {
		case opGet:
			assert.Equal(t, op.ticketID, op.ticket.ID, "Get returned another ticket")
		case opWalk:
			assert.Subset(t, op.walked, existing, "walk #%d missed tickets that existed before it started", op.index)
			assert.Len(t, uniqueIDs(op.walked), len(op.walked), "walk #%d yielded a ticket twice", op.index)
		case opDownload:
			assert.Equal(t, wantSum[op.ticketID], op.checksum, "media of ticket %d: checksum mismatch", op.ticketID)
		}
	}

	assert.Zero(t, report.duplicates, "duplicate tickets")
	assert.Zero(t, report.lost, "lost tickets")
	// The soak must have exercised every fault and every kind of operation.
	for _, k := range soakFaultKinds {
		assert.Positive(t, env.faults.queued[k], "no %s fault was queued", soakFaultNames[k])
	}

	require.NoError(t, client.Close(t.Context()))
	transport.CloseIdleConnections()
	srv.Close()
	goleak.VerifyNone(t, before)

	report.log(t, soakElapsed, time.Since(started), mediaBytes)
}

func typedError(err error) bool {
	var apiErr *apizee.APIError
	var reqErr *apizee.RequestError
	var decErr *apizee.DecodeError
	return errors.As(err, &apiErr) || errors.As(err, &reqErr) || errors.As(err, &decErr)
}

func uniqueIDs(ids []int64) []int64 {
	return slices.Compact(slices.Sorted(slices.Values(ids)))
}

// soakReport is what the soak tells about itself.
type soakReport struct {
	ops      map[soakKind]int
	failed   map[soakKind]map[string]int // by error type
	requests map[string]int              // by request class
	statuses map[string]map[int]int      // by request class, then status (0: dropped)
	// resent counts the requests sent again (retries, transport replays,
	// CreateOnce's creates after a 500) by class, where that can be told:
	// on private paths and for POST /tickets (one reference per operation).
	resent map[string]int
	queued map[soakFault]int
	// played is queued less what is left on private paths; sharedPending
	// faults of unknown kinds are left on shared paths on top of it.
	played        map[soakFault]int
	sharedPending int
	duplicates    int
	lost          int
	orphans       []string
	slowest       map[soakKind]time.Duration
}

func newSoakReport(env *soakEnv, ops []*soakOp, requests []apizeetest.Request, pending int) *soakReport {
	rep := &soakReport{ops: map[soakKind]int{}, failed: map[soakKind]map[string]int{}, requests: map[string]int{},
		statuses: map[string]map[int]int{}, resent: map[string]int{}, queued: env.faults.queued,
		played: maps.Clone(env.faults.queued), slowest: map[soakKind]time.Duration{}}
	for _, op := range ops {
		rep.ops[op.kind]++
		rep.slowest[op.kind] = max(rep.slowest[op.kind], op.elapsed)
		if op.err != nil {
			if rep.failed[op.kind] == nil {
				rep.failed[op.kind] = map[string]int{}
			}
			rep.failed[op.kind][errorClass(op.err)]++
		}
		if op.kind == opCreate {
			switch n := env.srv.TicketsWithReference(op.reference); {
			case n > 1:
				rep.duplicates += n - 1
			case n == 0 && op.err == nil:
				rep.lost++
			case n == 1 && op.err != nil:
				rep.orphans = append(rep.orphans, fmt.Sprintf("%s: %v", op.reference, op.err))
			}
		}
	}
	perPath := map[string]int{}
	firsts := map[string]bool{}
	for _, r := range requests {
		class := requestClass(r)
		rep.requests[class]++
		if rep.statuses[class] == nil {
			rep.statuses[class] = map[int]int{}
		}
		rep.statuses[class][r.Status]++
		key := r.Method + " " + r.Path
		perPath[key]++
		if class == "POST /tickets" {
			key += "?reference=" + r.Query.Get("reference")
		}
		if class != "GET /tickets (lists)" && firsts[key] {
			rep.resent[class]++
		}
		firsts[key] = true
	}
	privatePending := 0
	for path, chain := range env.faults.private {
		for _, k := range chain[min(len(chain), perPath[path]):] {
			rep.played[k]--
			privatePending++
		}
	}
	rep.sharedPending = pending - privatePending
	return rep
}

// errorClass names the typed error an operation ended with.
func errorClass(err error) string {
	var apiErr *apizee.APIError
	var reqErr *apizee.RequestError
	var decErr *apizee.DecodeError
	switch {
	case errors.As(err, &apiErr):
		return fmt.Sprintf("APIError %d", apiErr.StatusCode)
	case errors.As(err, &decErr):
		return "DecodeError"
	case errors.As(err, &reqErr):
		return "RequestError"
	}
	return fmt.Sprintf("untyped %T", err)
}

func requestClass(r apizeetest.Request) string {
	switch {
	case r.Method == http.MethodPost && r.Path == "/tickets":
		return "POST /tickets"
	case r.Method == http.MethodGet && r.Path == "/tickets":
		return "GET /tickets (lists)"
	case strings.HasPrefix(r.Path, "/tickets/"):
		return "GET /tickets/{id}"
	case strings.HasSuffix(r.Path, "/medias"):
		return "GET ticket media lists"
	case strings.HasPrefix(r.Path, "/media/"):
		return "GET media files"
	}
	return r.Method + " " + r.Path
}

func (rep *soakReport) log(t *testing.T, soak, total time.Duration, mediaBytes int64) {
	t.Helper()
	t.Logf("soak: seed %d, %d workers, operations ran in %s (test %s), %d MiB of media",
		soakSeed, soakWorkers, soak.Round(time.Millisecond), total.Round(time.Millisecond), mediaBytes>>20)
	for _, kind := range []soakKind{opCreate, opGet, opWalk, opDownload} {
		t.Logf("soak: %-15s %3d ops, %3d ok, failed %v, slowest %s", kind, rep.ops[kind],
			rep.ops[kind]-sumValues(rep.failed[kind]), rep.failed[kind], rep.slowest[kind].Round(time.Millisecond))
	}
	for _, k := range soakFaultKinds {
		t.Logf("soak: fault %-36s queued %3d, played %3d", soakFaultNames[k], rep.queued[k], rep.played[k])
	}
	t.Logf("soak: faults left queued on shared paths (not played, kind unknown): %d", rep.sharedPending)
	classes := slices.Sorted(func(yield func(string) bool) {
		for c := range rep.requests {
			if !yield(c) {
				return
			}
		}
	})
	for _, c := range classes {
		t.Logf("soak: requests %-24s %4d, by status %v", c, rep.requests[c], rep.statuses[c])
	}
	t.Logf("soak: requests sent again (retries, replays, creates after a 500): %v", rep.resent)
	t.Logf("soak: duplicates %d, lost %d, orphaned %d", rep.duplicates, rep.lost, len(rep.orphans))
	for _, o := range rep.orphans {
		t.Logf("soak: orphan %s", o)
	}
}

func sumValues(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
