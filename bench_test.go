package apizee_test

// Benchmarks of the SDK against the hand-written net/http code a user would
// write instead (BENCHMARKS.md has the figures and the command). Each pair
// runs against the same in-process server serving canned JSON, so that the
// server's cost is identical on both sides and small, and each side has its
// own *http.Transport with the same settings. Sub-benchmarks are named
// impl=sdk and impl=std so that `benchstat -col /impl` prints the ratio.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apizee-go/apizee"
)

const (
	benchToken    = "bench-access-token"
	benchTicketID = 82070
	benchPageSize = 100
	// benchColdCallers is how many goroutines call a cold client at once.
	benchColdCallers = 1000
	// benchStatsRows is the size of the statistics page decoded.
	benchStatsRows = 5000
)

// benchDownloadBytes is the size of the media file downloaded:
// APIZEE_BENCH_DOWNLOAD_BYTES, 1 GiB by default.
func benchDownloadBytes(b *testing.B) int64 {
	v := os.Getenv("APIZEE_BENCH_DOWNLOAD_BYTES")
	if v == "" {
		return 1 << 30
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		b.Fatalf("APIZEE_BENCH_DOWNLOAD_BYTES=%q is not a positive byte count", v)
	}
	return n
}

// benchServer serves canned answers: the guide's ticket, a list of tickets
// in pages of benchPageSize, tokens, and a media file of any size. It counts
// /token calls and new connections.
type benchServer struct {
	*httptest.Server
	ticket       []byte
	pages        [][]byte // pages[offset/benchPageSize]
	mediaSize    int64
	mediaChunk   []byte
	requests     atomic.Int64
	tokenCalls   atomic.Int64
	newConns     atomic.Int64
	tokenAnswer  []byte
	unauthorized atomic.Int64
}

func newBenchServer(b *testing.B, tickets int, mediaSize int64) *benchServer {
	b.Helper()
	s := &benchServer{
		ticket:      benchReadFile(b, "ticket_create.json"),
		pages:       benchTicketPages(b, tickets),
		mediaSize:   mediaSize,
		tokenAnswer: []byte(`{"access_token":"` + benchToken + `","token_type":"Bearer","expires_in":3600}`),
	}
	if mediaSize > 0 {
		s.mediaChunk = make([]byte, 1<<20)
		for i := range s.mediaChunk {
			s.mediaChunk[i] = byte(i % 251)
		}
	}
	s.Server = httptest.NewUnstartedServer(s)
	s.Config.ConnState = func(_ net.Conn, state http.ConnState) {
		if state == http.StateNew {
			s.newConns.Add(1)
		}
	}
	s.Start()
	b.Cleanup(s.Close)
	return s
}

func (s *benchServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	if r.Method == http.MethodPost && r.URL.Path == "/token" {
		s.tokenCalls.Add(1)
		benchWrite(w, s.tokenAnswer)
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+benchToken {
		s.unauthorized.Add(1)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/tickets":
		offset, _ := strconv.Atoi(r.URL.Query().Get("offset"))
		if r.URL.Query().Get("limit") != strconv.Itoa(benchPageSize) || offset%benchPageSize != 0 {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		page := offset / benchPageSize
		if page >= len(s.pages) {
			page = len(s.pages) - 1 // the empty last page
		}
		benchWrite(w, s.pages[page])
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/tickets/"):
		benchWrite(w, s.ticket)
	case r.Method == http.MethodGet && r.URL.Path == "/media/1":
		w.Header().Set("Content-Type", "video/mp4")
		w.Header().Set("Content-Length", strconv.FormatInt(s.mediaSize, 10))
		for left := s.mediaSize; left > 0; {
			n := min(left, int64(len(s.mediaChunk)))
			if _, err := w.Write(s.mediaChunk[:n]); err != nil {
				return
			}
			left -= n
		}
	default:
		http.NotFound(w, r)
	}
}

func benchWrite(w http.ResponseWriter, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	_, _ = w.Write(body)
}

func benchReadFile(b *testing.B, name string) []byte {
	b.Helper()
	body, err := os.ReadFile("testdata/" + name)
	if err != nil {
		b.Fatal(err)
	}
	return body
}

// benchTicketPages renders the pages of a list of n tickets shaped like the
// guide's list item, plus the empty page past the end.
func benchTicketPages(b *testing.B, n int) [][]byte {
	b.Helper()
	var list struct {
		Data []map[string]any `json:"data"`
	}
	if err := json.Unmarshal(benchReadFile(b, "tickets_list.json"), &list); err != nil || len(list.Data) == 0 {
		b.Fatalf("tickets_list.json: %v", err)
	}
	item := list.Data[0]
	var pages [][]byte
	for offset := 0; ; offset += benchPageSize {
		data := []map[string]any{}
		for id := offset + 1; id <= min(offset+benchPageSize, n); id++ {
			t := make(map[string]any, len(item))
			for k, v := range item {
				t[k] = v
			}
			t["id"], t["reference"] = id, fmt.Sprintf("ref%08d", id)
			data = append(data, t)
		}
		page, err := json.Marshal(map[string]any{"total": n, "data": data})
		if err != nil {
			b.Fatal(err)
		}
		pages = append(pages, page)
		if len(data) == 0 {
			return pages
		}
	}
}

// benchTransport is the transport of both sides: the default one's
// settings (keep-alive on), with a pool large enough for the concurrent
// benchmark and bounded so that it cannot exhaust the loopback's ports.
func benchTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 64
	t.MaxConnsPerHost = 64
	return t
}

func newBenchClient(b *testing.B, s *benchServer, auth apizee.Option) (*apizee.Client, *http.Transport) {
	b.Helper()
	t := benchTransport()
	c, err := apizee.NewClient(apizee.WithBaseURL(s.URL), auth, apizee.WithHTTPClient(&http.Client{Transport: t}))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(t.CloseIdleConnections)
	return c, t
}

// plainTicket is what a user of net/http would decode a ticket into.
type plainTicket struct {
	ID          int64     `json:"id"`
	State       string    `json:"state"`
	Reference   string    `json:"reference"`
	Created     time.Time `json:"created"`
	Modified    time.Time `json:"modified"`
	StartTime   time.Time `json:"start_time"`
	EndTime     time.Time `json:"end_time"`
	Subject     string    `json:"subject"`
	Type        string    `json:"type"`
	Description string    `json:"description"`
	Agent       string    `json:"agent"`
	Status      string    `json:"status"`
	Name        string    `json:"name"`
	RequestURL  string    `json:"requestor_url"`
	Requestor   struct {
		Phone string `json:"phone"`
		Email string `json:"email"`
	} `json:"requestor"`
	InformationPageURL string `json:"information_page_url"`
	ServiceKey         string `json:"service_key"`
	AgentURL           string `json:"agent_url"`
	SSOURL             string `json:"sso_url"`
	ButtonID           int64  `json:"button_id"`
	Geoloc             *struct {
		Lat float64 `json:"lat"`
		Lng float64 `json:"lng"`
	} `json:"geoloc"`
}

type plainTicketPage struct {
	Total int           `json:"total"`
	Data  []plainTicket `json:"data"`
}

// handGet is the idiomatic hand-written GET of a JSON document.
func handGet(ctx context.Context, hc *http.Client, rawURL string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+benchToken)
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", rawURL, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// checkConnsReused fails a benchmark whose calls did not reuse their
// connections: that would measure dialling, not the client. A few extra
// connections are normal: a call may dial while the previous call's
// connection is on its way back to the pool.
func checkConnsReused(b *testing.B, s *benchServer, connsBefore, requestsBefore int64) {
	b.Helper()
	opened, requests := s.newConns.Load()-connsBefore, s.requests.Load()-requestsBefore
	if opened > max(4, requests/20) {
		b.Fatalf("%d connections opened for %d calls: keep-alive is not working", opened, requests)
	}
	if n := s.unauthorized.Load(); n > 0 {
		b.Fatalf("%d requests without the token", n)
	}
}

// sides are the two implementations of one operation, keyed "sdk" and
// "std"; each fails b on a wrong answer.
type sides map[string]func(b *testing.B)

// runSides runs each side as its own sub-benchmark, impl=sdk then impl=std.
func runSides(b *testing.B, sd sides, bytes int64) {
	for _, impl := range []string{"sdk", "std"} {
		b.Run("impl="+impl, func(b *testing.B) {
			op := sd[impl]
			b.SetBytes(bytes)
			b.ReportAllocs()
			// The garbage of the setup (the canned pages) is collected
			// now, not in the timed loop of whichever side runs first.
			runtime.GC()
			for b.Loop() {
				op(b)
			}
		})
	}
}

func getSides(b *testing.B, s *benchServer) sides {
	ctx := context.Background()
	c, _ := newBenchClient(b, s, apizee.WithToken(benchToken))
	hc := &http.Client{Transport: benchTransport()}
	b.Cleanup(hc.CloseIdleConnections)
	return sides{
		"sdk": func(b *testing.B) {
			t, err := c.Tickets.Get(ctx, benchTicketID)
			if err != nil || t.ID != benchTicketID {
				b.Fatalf("Get: %v, %v", t, err)
			}
		},
		"std": func(b *testing.B) {
			var t plainTicket
			if err := handGet(ctx, hc, s.URL+"/tickets/"+strconv.Itoa(benchTicketID), &t); err != nil || t.ID != benchTicketID {
				b.Fatalf("GET: %v, %v", t.ID, err)
			}
		},
	}
}

func BenchmarkTicketsGet(b *testing.B) {
	s := newBenchServer(b, 0, 0)
	conns, requests := s.newConns.Load(), s.requests.Load()
	runSides(b, getSides(b, s), 0)
	checkConnsReused(b, s, conns, requests)
}

// walkSDK walks every ticket with Tickets.All, visiting each.
func walkSDK(ctx context.Context, c *apizee.Client, visit func(id int64)) (int, error) {
	n := 0
	for t, err := range c.Tickets.All(ctx, &apizee.ListTicketsParams{Limit: benchPageSize}) {
		if err != nil {
			return n, err
		}
		visit(t.ID)
		n++
	}
	return n, nil
}

// walkHand is the hand-written paging loop: the same requests as All.
func walkHand(ctx context.Context, hc *http.Client, base string, visit func(id int64)) (int, error) {
	n := 0
	for offset := 0; ; {
		q := url.Values{"limit": {strconv.Itoa(benchPageSize)}}
		if offset > 0 {
			q.Set("offset", strconv.Itoa(offset))
		}
		var page plainTicketPage
		if err := handGet(ctx, hc, base+"/tickets?"+q.Encode(), &page); err != nil {
			return n, err
		}
		for i := range page.Data {
			visit(page.Data[i].ID)
			n++
		}
		offset += len(page.Data)
		if len(page.Data) == 0 || offset >= page.Total {
			return n, nil
		}
	}
}

// benchWalkers are the two sides of the list benchmarks.
func benchWalkers(b *testing.B, s *benchServer) map[string]func(ctx context.Context, visit func(int64)) (int, error) {
	c, _ := newBenchClient(b, s, apizee.WithToken(benchToken))
	hc := &http.Client{Transport: benchTransport()}
	b.Cleanup(hc.CloseIdleConnections)
	return map[string]func(context.Context, func(int64)) (int, error){
		"sdk": func(ctx context.Context, visit func(int64)) (int, error) { return walkSDK(ctx, c, visit) },
		"std": func(ctx context.Context, visit func(int64)) (int, error) { return walkHand(ctx, hc, s.URL, visit) },
	}
}

const benchAllTickets = 10000

func allSides(b *testing.B, s *benchServer) sides {
	ctx := context.Background()
	sd := sides{}
	for impl, walk := range benchWalkers(b, s) {
		sd[impl] = func(b *testing.B) {
			var sum int64
			n, err := walk(ctx, func(id int64) { sum += id })
			if err != nil || n != benchAllTickets {
				b.Fatalf("walked %d of %d tickets: %v", n, benchAllTickets, err)
			}
		}
	}
	return sd
}

func BenchmarkTicketsAll(b *testing.B) {
	runSides(b, allSides(b, newBenchServer(b, benchAllTickets, 0)), 0)
}

// BenchmarkTicketsAllHeap measures the memory a walk holds, for two list
// lengths: it must not grow with the number of pages. live-B is the largest
// heap still reachable, after a forced collection in the middle of each
// page, above the heap before the walk; peak-inuse-B is the largest
// HeapInuse above it, sampled at every ticket without forcing a collection
// (it includes garbage not collected yet, so it follows the GC's pacing).
func BenchmarkTicketsAllHeap(b *testing.B) {
	ctx := context.Background()
	for _, tickets := range []int{1000, 10000} {
		s := newBenchServer(b, tickets, 0)
		walkers := benchWalkers(b, s)
		for _, impl := range []string{"sdk", "std"} {
			b.Run(fmt.Sprintf("tickets=%d/impl=%s", tickets, impl), func(b *testing.B) {
				walk := walkers[impl]
				var maxLive, maxInuse uint64
				for b.Loop() {
					var ms runtime.MemStats
					runtime.GC()
					runtime.ReadMemStats(&ms)
					baseAlloc, baseInuse := ms.HeapAlloc, ms.HeapInuse
					i := 0
					n, err := walk(ctx, func(int64) {
						runtime.ReadMemStats(&ms)
						if ms.HeapInuse > baseInuse {
							maxInuse = max(maxInuse, ms.HeapInuse-baseInuse)
						}
						if i%benchPageSize == benchPageSize/2 {
							runtime.GC()
							runtime.ReadMemStats(&ms)
							if ms.HeapAlloc > baseAlloc {
								maxLive = max(maxLive, ms.HeapAlloc-baseAlloc)
							}
						}
						i++
					})
					if err != nil || n != tickets {
						b.Fatalf("walked %d of %d tickets: %v", n, tickets, err)
					}
				}
				b.ReportMetric(float64(maxLive), "live-B")
				b.ReportMetric(float64(maxInuse), "peak-inuse-B")
			})
		}
	}
}

func downloadSides(b *testing.B, s *benchServer) sides {
	ctx := context.Background()
	c, _ := newBenchClient(b, s, apizee.WithToken(benchToken))
	media := &apizee.Media{ID: 1, URL: s.URL + "/media/1"}
	hc := &http.Client{Transport: benchTransport()}
	b.Cleanup(hc.CloseIdleConnections)
	check := func(b *testing.B, n int64, err error) {
		if err != nil || n != s.mediaSize {
			b.Fatalf("downloaded %d of %d bytes: %v", n, s.mediaSize, err)
		}
	}
	return sides{
		"sdk": func(b *testing.B) {
			n, err := c.Media.Download(ctx, media, io.Discard)
			check(b, n, err)
		},
		"std": func(b *testing.B) {
			n, err := handDownload(ctx, hc, s.URL+"/media/1", io.Discard)
			check(b, n, err)
		},
	}
}

func BenchmarkMediaDownload(b *testing.B) {
	size := benchDownloadBytes(b)
	runSides(b, downloadSides(b, newBenchServer(b, 0, size)), size)
}

// BenchmarkInterleaved runs the sdk and std sides of each goal in turn,
// alternating which goes first, and reports the median of their per-pair
// time ratio (sdk/std: above 1, the SDK is slower) and each side's mean
// time. Both sides of a pair share the same moment of the machine's load,
// so the ratio holds on a busy machine where the separate sub-benchmarks'
// times swing from run to run.
func BenchmarkInterleaved(b *testing.B) {
	b.Run("op=TicketsGet", func(b *testing.B) {
		interleave(b, getSides(b, newBenchServer(b, 0, 0)))
	})
	b.Run("op=TicketsAll", func(b *testing.B) {
		interleaveAll(b, newBenchServer(b, benchAllTickets, 0))
	})
	b.Run("op=MediaDownload", func(b *testing.B) {
		interleaveDownload(b, newBenchServer(b, 0, benchDownloadBytes(b)))
	})
}

// interleaveAll walks the list with Tickets.All and with the hand-written
// loop in lockstep, a page of one then a page of the other, so that each
// walk of 10 000 tickets gives a hundred pairs of pages: the ratio is the
// median of their time ratios.
func interleaveAll(b *testing.B, s *benchServer) {
	ctx := context.Background()
	c, _ := newBenchClient(b, s, apizee.WithToken(benchToken))
	hc := &http.Client{Transport: benchTransport()}
	b.Cleanup(hc.CloseIdleConnections)
	// page pulls the next page's worth of tickets and says how long it took.
	page := func(next func() (int64, error, bool)) (time.Duration, int) {
		start := time.Now()
		n := 0
		for ; n < benchPageSize; n++ {
			if _, err, ok := next(); !ok {
				break
			} else if err != nil {
				b.Fatal(err)
			}
		}
		return time.Since(start), n
	}
	var sdk, std time.Duration
	var ratios []float64
	for b.Loop() {
		sdkNext, sdkStop := iter.Pull2(func(yield func(int64, error) bool) {
			for t, err := range c.Tickets.All(ctx, &apizee.ListTicketsParams{Limit: benchPageSize}) {
				if err != nil {
					yield(0, err)
					return
				}
				if !yield(t.ID, nil) {
					return
				}
			}
		})
		stdNext, stdStop := iter.Pull2(func(yield func(int64, error) bool) {
			stopped := false
			_, err := walkHand(ctx, hc, s.URL, func(id int64) {
				if !stopped && !yield(id, nil) {
					stopped = true
				}
			})
			if err != nil && !stopped {
				yield(0, err)
			}
		})
		walked := 0
		for {
			var ts, tt time.Duration
			var ns, nt int
			if len(ratios)%2 == 0 {
				ts, ns = page(sdkNext)
				tt, nt = page(stdNext)
			} else {
				tt, nt = page(stdNext)
				ts, ns = page(sdkNext)
			}
			if ns != nt {
				b.Fatalf("a page of %d tickets against %d", ns, nt)
			}
			if ns == 0 {
				break
			}
			walked += ns
			sdk, std = sdk+ts, std+tt
			ratios = append(ratios, float64(ts)/float64(tt))
		}
		sdkStop()
		stdStop()
		if walked != benchAllTickets {
			b.Fatalf("walked %d of %d tickets", walked, benchAllTickets)
		}
	}
	reportRatios(b, ratios, sdk, std, b.N)
}

// benchDownloadChunk is how much of each stream interleaveDownload copies
// in turn.
const benchDownloadChunk = 4 << 20

// interleaveDownload streams the file through Media.Open (the stream
// Download copies) and through the hand-written GET in lockstep, a chunk of
// one then a chunk of the other: a 1 GiB file gives 256 pairs.
func interleaveDownload(b *testing.B, s *benchServer) {
	ctx := context.Background()
	c, _ := newBenchClient(b, s, apizee.WithToken(benchToken))
	media := &apizee.Media{ID: 1, URL: s.URL + "/media/1"}
	hc := &http.Client{Transport: benchTransport()}
	b.Cleanup(hc.CloseIdleConnections)
	chunk := func(r io.Reader) (time.Duration, int64) {
		start := time.Now()
		n, err := io.CopyN(io.Discard, r, benchDownloadChunk)
		if err != nil && err != io.EOF {
			b.Fatal(err)
		}
		return time.Since(start), n
	}
	var sdk, std time.Duration
	var ratios []float64
	for b.Loop() {
		sdkBody, err := c.Media.Open(ctx, media)
		if err != nil {
			b.Fatal(err)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, media.URL, nil)
		if err != nil {
			b.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+benchToken)
		resp, err := hc.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		var total int64
		for {
			var ts, tt time.Duration
			var ns, nt int64
			if len(ratios)%2 == 0 {
				ts, ns = chunk(sdkBody)
				tt, nt = chunk(resp.Body)
			} else {
				tt, nt = chunk(resp.Body)
				ts, ns = chunk(sdkBody)
			}
			if ns != nt {
				b.Fatalf("a chunk of %d bytes against %d", ns, nt)
			}
			if ns == 0 {
				break
			}
			total += ns
			sdk, std = sdk+ts, std+tt
			ratios = append(ratios, float64(ts)/float64(tt))
		}
		sdkBody.Close()
		resp.Body.Close()
		if total != s.mediaSize {
			b.Fatalf("streamed %d of %d bytes", total, s.mediaSize)
		}
	}
	reportRatios(b, ratios, sdk, std, b.N)
}

func interleave(b *testing.B, sd sides) {
	timed := func(op func(*testing.B)) time.Duration {
		start := time.Now()
		op(b)
		return time.Since(start)
	}
	var sdk, std time.Duration
	var ratios []float64
	for b.Loop() {
		var s, t time.Duration
		if len(ratios)%2 == 0 {
			s, t = timed(sd["sdk"]), timed(sd["std"])
		} else {
			t, s = timed(sd["std"]), timed(sd["sdk"])
		}
		sdk, std = sdk+s, std+t
		ratios = append(ratios, float64(s)/float64(t))
	}
	reportRatios(b, ratios, sdk, std, len(ratios))
}

// reportRatios reports the median of the per-pair ratios and each side's
// mean time per operation.
func reportRatios(b *testing.B, ratios []float64, sdk, std time.Duration, ops int) {
	slices.Sort(ratios)
	b.ReportMetric(ratios[len(ratios)/2], "sdk/std")
	b.ReportMetric(float64(sdk.Nanoseconds())/float64(ops), "sdk-ns/op")
	b.ReportMetric(float64(std.Nanoseconds())/float64(ops), "std-ns/op")
}

func handDownload(ctx context.Context, hc *http.Client, rawURL string, w io.Writer) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+benchToken)
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("GET %s: %s", rawURL, resp.Status)
	}
	return io.Copy(w, resp.Body)
}

// BenchmarkTicketsGetColdStart has benchColdCallers goroutines call
// Tickets.Get at once on a fresh client (credentials, an empty connection
// pool), then again on the same, now warm, client. It fails unless the cold
// round made exactly one /token call. cold-ns and warm-ns are the times to
// the last answer of each round.
func BenchmarkTicketsGetColdStart(b *testing.B) {
	ctx := context.Background()
	s := newBenchServer(b, 0, 0)
	round := func(c *apizee.Client) time.Duration {
		start := time.Now()
		var wg sync.WaitGroup
		var failures atomic.Int64
		for range benchColdCallers {
			wg.Go(func() {
				if t, err := c.Tickets.Get(ctx, benchTicketID); err != nil || t.ID != benchTicketID {
					failures.Add(1)
				}
			})
		}
		wg.Wait()
		elapsed := time.Since(start)
		if n := failures.Load(); n > 0 {
			b.Fatalf("%d of %d calls failed", n, benchColdCallers)
		}
		return elapsed
	}
	var cold, warm time.Duration
	b.ReportAllocs()
	for b.Loop() {
		c, transport := newBenchClient(b, s, apizee.WithCredentials("agent1@apizee.com", "bench-password"))
		tokensBefore := s.tokenCalls.Load()
		cold += round(c)
		if n := s.tokenCalls.Load() - tokensBefore; n != 1 {
			b.Fatalf("%d concurrent callers on a cold client made %d /token calls, want exactly 1", benchColdCallers, n)
		}
		warm += round(c)
		if n := s.tokenCalls.Load() - tokensBefore; n != 1 {
			b.Fatalf("the warm client called /token again (%d calls in all)", n)
		}
		transport.CloseIdleConnections()
	}
	b.ReportMetric(float64(cold.Nanoseconds())/float64(b.N), "cold-ns")
	b.ReportMetric(float64(warm.Nanoseconds())/float64(b.N), "warm-ns")
	b.ReportMetric(float64(cold)/float64(warm), "cold/warm")
}

// plainTicketStat is what a user of encoding/json would decode a statistics
// row into. encoding/json refuses tag names with an apostrophe, so the four
// columns whose label has one ("Nombre d'invitations", ...) cannot be
// mapped: they are skipped as unknown keys, which flatters this side.
type plainTicketStat struct {
	ID           int64       `json:"ID"`
	Ref          json.Number `json:"Ref"`
	Description  string      `json:"Description"`
	Priority     string      `json:"Priorité"`
	Requester    string      `json:"Demandeur"`
	Contact      string      `json:"Contact"`
	State        string      `json:"Etat"`
	AssignedTo   string      `json:"Assigné à"`
	Group        string      `json:"Groupe"`
	Type         string      `json:"Type"`
	SessionStart string      `json:"Date de début de session"`
	SessionEnd   string      `json:"Date de fin"`
	Answered     string      `json:"Répondues"`
	Calls        int         `json:"Nombre Appels"`
	CallDuration int         `json:"Durée totale des appels (secondes)"`
	Photos       int         `json:"Photos"`
	Videos       int         `json:"Vidéos"`
	Scans        int         `json:"Scans"`
	Login        string      `json:"Identifiant"`
	Service      string      `json:"Service"`
	Device       string      `json:"Appareil"`
	Browser      string      `json:"Navigateur"`
}

// benchStatsPage renders n statistics rows shaped like the guide's row.
func benchStatsPage(b *testing.B, n int) []byte {
	b.Helper()
	var rows []map[string]any
	if err := json.Unmarshal(benchReadFile(b, "tickets_stats.json"), &rows); err != nil || len(rows) == 0 {
		b.Fatalf("tickets_stats.json: %v", err)
	}
	out := make([]map[string]any, n)
	for i := range out {
		row := make(map[string]any, len(rows[0]))
		for k, v := range rows[0] {
			row[k] = v
		}
		row["ID"], row["Ref"] = 821793+i, 1234+i
		out[i] = row
	}
	page, err := json.Marshal(out)
	if err != nil {
		b.Fatal(err)
	}
	return page
}

func BenchmarkStatsDecode(b *testing.B) {
	page := benchStatsPage(b, benchStatsRows)
	b.Run("impl=sdk", func(b *testing.B) {
		b.SetBytes(int64(len(page)))
		b.ReportAllocs()
		for b.Loop() {
			var rows []apizee.TicketStat
			if err := json.Unmarshal(page, &rows); err != nil || len(rows) != benchStatsRows || rows[0].Calls != 1 {
				b.Fatalf("decoded %d rows: %v", len(rows), err)
			}
		}
	})
	b.Run("impl=std", func(b *testing.B) {
		b.SetBytes(int64(len(page)))
		b.ReportAllocs()
		for b.Loop() {
			var rows []plainTicketStat
			if err := json.Unmarshal(page, &rows); err != nil || len(rows) != benchStatsRows || rows[0].Calls != 1 {
				b.Fatalf("decoded %d rows: %v", len(rows), err)
			}
		}
	})
}
