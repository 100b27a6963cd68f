package benchmarks_test

import (
	"context"
	"io"
	"iter"
	"slices"
	"testing"
	"time"
)

// BenchmarkInterleaved runs the three sides of each goal in turn, one step
// of each per round (a call; a page of the 10 000-ticket walk; a 4 MiB
// chunk of the download), in an order that cycles through every
// permutation, and reports the median of the per-round time ratios sdk/std
// and sdk/peer (above 1: the SDK is slower) and each side's mean time. The
// sides of a round share the same moment of the machine's load, so the
// ratios hold on a busy machine where the separate sub-benchmarks' times
// swing from run to run.
func BenchmarkInterleaved(b *testing.B) {
	b.Run("op=TicketsGet", func(b *testing.B) {
		s := newBenchServer(b, 0, 0)
		interleave(b, getSides(newClients(b, s)))
		checkServed(b, s, 0, 0)
	})
	b.Run("op=TicketsCreate", func(b *testing.B) {
		s := newBenchServer(b, 0, 0)
		interleave(b, createSides(newClients(b, s)))
		checkServed(b, s, 0, 0)
	})
	b.Run("op=TicketsAll", func(b *testing.B) {
		s := newBenchServer(b, benchAllTickets, 0)
		interleaveAll(b, listWalkers(newClients(b, s)))
		checkServed(b, s, 0, 0)
	})
	b.Run("op=MediaDownload", func(b *testing.B) {
		size := benchDownloadBytes(b)
		s := newBenchServer(b, 0, size)
		interleaveDownload(b, newClients(b, s), size)
	})
}

// orders are the permutations of the sides that successive rounds run in:
// each side comes before each other side in half of them.
var orders = [...][nSides]int{{sdk, std, gen}, {std, gen, sdk}, {gen, sdk, std}, {sdk, gen, std}, {gen, std, sdk}, {std, sdk, gen}}

// rounds gathers the times of an interleaved benchmark's rounds.
type rounds struct {
	total         [nSides]time.Duration
	vsStd, vsPeer []float64
}

// order is the order of the sides in the next round.
func (r *rounds) order() [nSides]int { return orders[len(r.vsStd)%len(orders)] }

// add records one round: the time of each side.
func (r *rounds) add(t [nSides]time.Duration) {
	for i := range t {
		r.total[i] += t[i]
	}
	r.vsStd = append(r.vsStd, float64(t[sdk])/float64(t[std]))
	r.vsPeer = append(r.vsPeer, float64(t[sdk])/float64(t[gen]))
}

// report reports the median ratios and each side's mean time per op, and
// returns the two medians.
func (r *rounds) report(b *testing.B, ops int) (vsStd, vsPeer float64) {
	median := func(v []float64) float64 {
		v = slices.Sorted(slices.Values(v))
		return v[len(v)/2]
	}
	vsStd, vsPeer = median(r.vsStd), median(r.vsPeer)
	b.ReportMetric(vsStd, "sdk/std")
	b.ReportMetric(vsPeer, "sdk/peer")
	for i, name := range sideNames {
		b.ReportMetric(float64(r.total[i].Nanoseconds())/float64(ops), name+"-ns/op")
	}
	return vsStd, vsPeer
}

// interleave runs one call of each side per round.
func interleave(b *testing.B, sd sides) {
	var r rounds
	for b.Loop() {
		var t [nSides]time.Duration
		for _, i := range r.order() {
			start := time.Now()
			sd[i](b)
			t[i] = time.Since(start)
		}
		r.add(t)
	}
	r.report(b, len(r.vsStd))
}

// interleaveAll walks the list on the three sides in lockstep, a page of
// each per round, so that each walk of 10 000 tickets gives a hundred
// rounds: the ratios are per page.
func interleaveAll(b *testing.B, w walkers) {
	ctx := context.Background()
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
	var r rounds
	for b.Loop() {
		var next [nSides]func() (int64, error, bool)
		var stop [nSides]func()
		for i, walk := range w {
			next[i], stop[i] = iter.Pull2(func(yield func(int64, error) bool) {
				stopped := false
				_, err := walk(ctx, func(id int64) {
					if !stopped && !yield(id, nil) {
						stopped = true
					}
				})
				if err != nil && !stopped {
					yield(0, err)
				}
			})
		}
		walked := 0
		for {
			var t [nSides]time.Duration
			var n [nSides]int
			for _, i := range r.order() {
				t[i], n[i] = page(next[i])
			}
			if n[std] != n[sdk] || n[gen] != n[sdk] {
				b.Fatalf("pages of %v tickets", n)
			}
			if n[sdk] == 0 {
				break
			}
			walked += n[sdk]
			r.add(t)
		}
		for _, stop := range stop {
			stop()
		}
		if walked != benchAllTickets {
			b.Fatalf("walked %d of %d tickets", walked, benchAllTickets)
		}
	}
	r.report(b, b.N)
}

// benchDownloadChunk is how much of each stream interleaveDownload copies
// in turn.
const benchDownloadChunk = 4 << 20

// interleaveDownload streams the file on the three sides in lockstep, a
// chunk of each per round: a 1 GiB file gives 256 rounds. The SDK's stream
// is Media.Open's, the one Download copies. Each file comes on new
// connections, so that nothing one side's connection settled at its start
// lasts a whole run; the socket buffers (benchSocketBuffer) were what
// tilted whole runs.
func interleaveDownload(b *testing.B, cl *clients, size int64) {
	ctx := context.Background()
	open := mediaOpeners(cl)
	chunk := func(r io.Reader) (time.Duration, int64) {
		start := time.Now()
		n, err := io.CopyN(io.Discard, r, benchDownloadChunk)
		if err != nil && err != io.EOF {
			b.Fatal(err)
		}
		return time.Since(start), n
	}
	var r rounds
	for b.Loop() {
		var bodies [nSides]io.ReadCloser
		// Opened in turn too: the stream opened first has the server's
		// head start.
		for _, i := range r.order() {
			body, err := open[i](ctx)
			if err != nil {
				b.Fatalf("%s: %v", sideNames[i], err)
			}
			bodies[i] = body
		}
		var total int64
		for {
			var t [nSides]time.Duration
			var n [nSides]int64
			for _, i := range r.order() {
				t[i], n[i] = chunk(bodies[i])
			}
			if n[std] != n[sdk] || n[gen] != n[sdk] {
				b.Fatalf("chunks of %v bytes", n)
			}
			if n[sdk] == 0 {
				break
			}
			total += n[sdk]
			r.add(t)
		}
		for _, body := range bodies {
			body.Close()
		}
		cl.closeIdle()
		if total != size {
			b.Fatalf("streamed %d of %d bytes", total, size)
		}
	}
	// The download's goal is a throughput: the inverse of the median time
	// ratio, the median round's throughput ratio.
	vsStd, vsPeer := r.report(b, b.N)
	b.ReportMetric(1/vsStd, "sdk/std-throughput")
	b.ReportMetric(1/vsPeer, "sdk/peer-throughput")
}
