package benchmarks_test

// Benchmarks of the SDK against the hand-written net/http code a user would
// write instead and against the client oapi-codegen generates (../BENCHMARKS.md
// has the figures and the command). Every side runs against the same
// in-process server serving canned JSON, so that the server's cost is
// identical and small. Sub-benchmarks are named impl=sdk, impl=std and
// impl=peer so that `benchstat -col /impl` prints the ratios; the goal
// figures come from BenchmarkInterleaved (interleave_test.go).

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apizee-go/apizee"
)

const (
	// benchColdCallers is how many goroutines call a cold client at once.
	benchColdCallers = 1000
	// benchStatsRows is the size of the statistics page decoded.
	benchStatsRows = 5000
	// benchAllTickets is the length of the walked list.
	benchAllTickets = 10000
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

// runSides runs each side as its own sub-benchmark: impl=sdk, impl=std,
// impl=peer. They are the source of allocs/op and B/op; their times are
// not comparable on a busy machine (see BenchmarkInterleaved).
func runSides(b *testing.B, sd sides, bytes int64) {
	for i, impl := range sideNames {
		b.Run("impl="+impl, func(b *testing.B) {
			op := sd[i]
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

func BenchmarkTicketsGet(b *testing.B) {
	s := newBenchServer(b, 0, 0)
	runSides(b, getSides(newClients(b, s)), 0)
	checkServed(b, s, 0, 0)
}

func BenchmarkTicketsCreate(b *testing.B) {
	s := newBenchServer(b, 0, 0)
	runSides(b, createSides(newClients(b, s)), 0)
	checkServed(b, s, 0, 0)
}

func BenchmarkTicketsAll(b *testing.B) {
	s := newBenchServer(b, benchAllTickets, 0)
	runSides(b, walkSides(listWalkers(newClients(b, s))), 0)
	checkServed(b, s, 0, 0)
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
		walk := listWalkers(newClients(b, newBenchServer(b, tickets, 0)))
		for i, impl := range sideNames {
			b.Run(fmt.Sprintf("tickets=%d/impl=%s", tickets, impl), func(b *testing.B) {
				var maxLive, maxInuse uint64
				for b.Loop() {
					var ms runtime.MemStats
					runtime.GC()
					runtime.ReadMemStats(&ms)
					baseAlloc, baseInuse := ms.HeapAlloc, ms.HeapInuse
					seen := 0
					n, err := walk[i](ctx, func(int64) {
						runtime.ReadMemStats(&ms)
						if ms.HeapInuse > baseInuse {
							maxInuse = max(maxInuse, ms.HeapInuse-baseInuse)
						}
						if seen%benchPageSize == benchPageSize/2 {
							runtime.GC()
							runtime.ReadMemStats(&ms)
							if ms.HeapAlloc > baseAlloc {
								maxLive = max(maxLive, ms.HeapAlloc-baseAlloc)
							}
						}
						seen++
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

func BenchmarkMediaDownload(b *testing.B) {
	size := benchDownloadBytes(b)
	runSides(b, downloadSides(newClients(b, newBenchServer(b, 0, size)), size), size)
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
