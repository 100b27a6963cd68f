package apizee_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee"
)

// The adversaries of memory: answers of about 31 MiB (under the 32 MiB body
// limit) built to cost the most to decode. What a call may allocate is
// bounded by what it asked for: a page of Limit 100 never builds a 101st
// item, a statistics answer never more than 50 000 rows, and what an answer
// costs stays a small multiple of its size.

// hostileBodySize is the size of the hostile answers: as large as the body
// limit lets through (4 MiB under the race detector, which would take a
// minute over them).
var hostileBodySize = map[bool]int{false: 31 * mebibyte, true: 4 * mebibyte}[raceEnabled]

// statsRows is how many rows the statistics answers hold: the most an answer
// may hold (5 000 under the race detector).
var statsRows = map[bool]int{false: 50_000, true: 5_000}[raceEnabled]

// bodyServer answers every request with body, declaring its Content-Length
// or streaming it chunked.
func bodyServer(t *testing.T, body []byte, declare bool) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if declare {
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		}
		w.WriteHeader(http.StatusOK)
		for rest := body; len(rest) > 0; {
			n, err := w.Write(rest[:min(len(rest), 256*kibibyte)])
			if err != nil {
				return
			}
			rest = rest[n:]
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// repeated is head, then item repeated (joined by sep) to fill about size
// bytes, then tail.
func repeated(head, item, sep, tail string, size int) []byte {
	n := (size - len(head) - len(tail)) / (len(item) + len(sep))
	var b bytes.Buffer
	b.Grow(size)
	b.WriteString(head)
	for i := range n {
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(item)
	}
	b.WriteString(tail)
	return b.Bytes()
}

// memoryCost is what a call cost: every byte it allocated (an upper bound of
// how much the heap grew, whatever the collector did), and the highest heap
// seen while it ran, sampled.
type memoryCost struct {
	allocated, peak uint64
}

// measure runs call once and returns its cost.
func measure(call func()) memoryCost {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	heap := func() uint64 {
		metrics.Read(sample)
		return sample[0].Value.Uint64()
	}
	runtime.GC()
	base := heap()
	var peak uint64
	stop, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		tick := time.NewTicker(100 * time.Microsecond)
		defer tick.Stop()
		for {
			if h := heap(); h > base && h-base > peak {
				peak = h - base
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	var cost memoryCost
	cost.allocated = allocatedDuring(call)
	close(stop)
	<-stopped
	cost.peak = peak
	return cost
}

// times is n as a multiple of the body size.
func times(n uint64) float64 { return float64(n) / float64(hostileBodySize) }

func TestAdversaryMemoryIsBoundedByWhatWasAsked(t *testing.T) {
	if testing.Short() {
		t.Skip("builds 31 MiB answers")
	}
	ticketPage := func(c *apizee.Client) error {
		_, err := c.Tickets.List(t.Context(), &apizee.ListTicketsParams{Limit: 100})
		return err
	}
	stats := func(c *apizee.Client) error {
		_, err := c.Stats.Tickets(t.Context(), nil)
		return err
	}
	tests := []struct {
		name    string
		body    []byte
		call    func(c *apizee.Client) error
		wantErr string  // "": the answer decodes
		most    float64 // the most the call may allocate, in bodies; 0: 3, and a read block
	}{
		{"a page of Limit 100 holding ten million {} items", repeated(`{"total":1,"data":[`, `{}`, ",", `]}`, hostileBodySize),
			ticketPage, "the page holds more than the 100 items asked for (Limit)", 0},
		{"ten million empty statistics rows", repeated(`[`, `{}`, ",", `]`, hostileBodySize),
			stats, "more than 50000 rows, the most a statistics answer may hold: ask a shorter period", 0},
		{"one giant string", repeated(`{"total":1,"data":[{"id":1,"description":"`, "a", "", `"}]}`, hostileBodySize),
			ticketPage, "", 0},
		// The one-pass decoder builds the string, then meets what would
		// stop it: it must not leave the answer to encoding/json, which
		// would build the string again.
		{"one giant string, then a key in another case", repeated(`{"total":1,"data":[{"id":1,"description":"`, "a", "", `"}],"Total":1}`, hostileBodySize),
			ticketPage, "", 0},
		{"one giant string, then a value refused", repeated(`{"total":1,"data":[{"description":"`, "a", "", `","id":"x"}]}`, hostileBodySize),
			ticketPage, "x is not an integer", 0},
		{"one giant string, then a value of the wrong kind", repeated(`{"total":1,"data":[{"id":1,"description":"`, "a", "", `","requestor":"x"}]}`, hostileBodySize),
			ticketPage, `field "data.requestor" holds a JSON string where an object belongs`, 0},
		{"one giant string, then a syntax error", repeated(`{"total":1,"data":[{"id":1,"description":"`, "a", "", `"}],}`, hostileBodySize),
			ticketPage, "invalid character '}'", 0},
		// Where the one-pass decoder's paths differ: a value it skips, a
		// value it refuses, what follows a refusal.
		{"one giant string in an unknown key", repeated(`{"total":1,"data":[{"id":1,"unknown":"`, "a", "", `"}]}`, hostileBodySize),
			ticketPage, "", 0},
		{"one giant key, escaped", repeated(`{"total":1,"data":[{"id":1,"`, `\/`, "", `":1}]}`, hostileBodySize),
			ticketPage, "", 0},
		{"one giant string where an object belongs", repeated(`{"total":1,"data":[{"id":1,"requestor":"`, "a", "", `"}]}`, hostileBodySize),
			ticketPage, `field "data.requestor" holds a JSON string where an object belongs`, 0},
		{"one giant string in a value refused", repeated(`{"total":1,"data":[{"id":1,"subject":{"a":"`, "a", "", `"}}]}`, hostileBodySize),
			ticketPage, "is not a string or a number", 0},
		{"one giant number", repeated(`{"total":1,"data":[{"id":`, "1", "", `}]}`, hostileBodySize),
			ticketPage, "is not an integer", 0},
		{"one giant number in a string", repeated(`{"total":1,"data":[{"id":"`, "1", "", `"}]}`, hostileBodySize),
			ticketPage, "is not an integer", 0},
		{"one giant number as the total", repeated(`{"data":[],"total":`, "1", "", `}`, hostileBodySize),
			ticketPage, "is not an integer", 0},
		{"one giant fraction", repeated(`{"total":1,"data":[{"id":1.5`, "0", "", `1}]}`, hostileBodySize),
			ticketPage, "is not an integer", 0},
		{"one giant latitude", repeated(`{"total":1,"data":[{"id":1,"geoloc":{"lat":`, "1", "", `}}]}`, hostileBodySize),
			ticketPage, "is not a number", 0},
		{"a value refused, then white space", repeated(`{"total":1,"data":[{"id":"x",`, " ", "", `"a":1}]}`, hostileBodySize),
			ticketPage, "x is not an integer", 0},
		{"a value of the wrong kind, then white space", repeated(`{"total":1,"data":[{"id":1,"requestor":"x",`, " ", "", `"a":1}]}`, hostileBodySize),
			ticketPage, `field "data.requestor" holds a JSON string where an object belongs`, 0},
		{"a ticket in white space", repeated(`{"total":1,"data":[{"id":1}`, " ", "", `]}`, hostileBodySize),
			ticketPage, "", 0},
		{"one giant string of escapes", repeated(`{"total":1,"data":[{"id":1,"description":"`, `\/`, "", `"}]}`, hostileBodySize),
			ticketPage, "", 0},
		{"deep nesting", repeated(`{"total":1,"data":[`, "[", "", "", hostileBodySize),
			ticketPage, "exceeded max depth", 0},
		{"a ticket with ten million phones", repeated(`{"total":1,"data":[{"id":1,"requestor":{"phone":[`, `""`, ",", `]}}]}`, hostileBodySize),
			ticketPage, "holds more than 1000 members", 0},
		// The API sends a contact list as one comma-separated string too.
		{"a ticket with ten million phones in one string", repeated(`{"total":1,"data":[{"id":1,"requestor":{"phone":"`, `1`, ",", `"}}]}`, hostileBodySize),
			ticketPage, "more than 1000 members", 0},
		{"a statistics row of five million columns", repeated(`[{`, `"a":0`, ",", `}]`, hostileBodySize),
			stats, "holds more than 64 members", 0},
		// Each invalid byte decodes to a 3-byte U+FFFD, as encoding/json
		// has it: the string alone is three times the body.
		{"one giant string of invalid UTF-8", repeated(`{"total":1,"data":[{"id":1,"description":"`, "\xff", "", `"}]}`, hostileBodySize),
			ticketPage, "", 6.5},
	}
	for _, tt := range tests {
		for _, declare := range []bool{true, false} {
			name := tt.name + ", chunked"
			if declare {
				name = tt.name + ", Content-Length"
			}
			t.Run(name, func(t *testing.T) {
				srv := bodyServer(t, tt.body, declare)
				c := hostileClient(t, srv.URL+"/api", apizee.WithEnterpriseID(1))
				var err error
				cost := measure(func() { err = tt.call(c) })
				t.Logf("%d MiB answer: allocated %.2fx the body, heap peak (sampled) %.2fx", len(tt.body)/mebibyte, times(cost.allocated), times(cost.peak))
				if tt.wantErr == "" {
					require.NoError(t, err)
				} else {
					var decErr *apizee.DecodeError
					require.ErrorAs(t, err, &decErr)
					assert.Contains(t, err.Error(), tt.wantErr)
					assert.LessOrEqual(t, len(decErr.Excerpt), 400, "the error quotes a bounded excerpt")
				}
				// Three bodies (the body as read, joined from its blocks
				// when it came chunked; the value built from it), plus the
				// last block's rounding up to maxReadBlock (1 MiB) and the
				// call's own costs: 1 MiB each.
				most := uint64(3*len(tt.body) + 2*mebibyte)
				if tt.most > 0 {
					most = uint64(tt.most * float64(len(tt.body)))
				}
				assert.LessOrEqual(t, cost.allocated, most, "what the call may cost, in bodies: %.2f", float64(most)/float64(len(tt.body)))
			})
		}
	}
}

// A declared Content-Length decides no allocation: answers that declare
// 32 MiB and send one byte cost a first block each, not 32 MiB.
func TestAdversaryDeclaredLengthDecidesNoAllocation(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(32*mebibyte-1))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("{"))
		_ = http.NewResponseController(w).Flush()
		hangUp(w)
	}))
	t.Cleanup(srv.Close)
	c := hostileClient(t, srv.URL+"/api")
	const answers = 16
	var wg sync.WaitGroup
	errs := make([]error, answers)
	allocated := allocatedDuring(func() {
		for i := range answers {
			wg.Go(func() { _, errs[i] = c.Tickets.Get(t.Context(), 1) })
		}
		wg.Wait()
	})
	for _, err := range errs {
		var reqErr *apizee.RequestError
		assert.ErrorAs(t, err, &reqErr, "the body was cut")
	}
	t.Logf("%d answers declaring 32 MiB and sending 1 byte allocated %d KiB", answers, allocated/kibibyte)
	assert.Less(t, allocated, uint64(answers*mebibyte), "at most a first block each")
}

// The error of a 32 MiB body that is not JSON quotes its start without
// folding the whole body into one line first (which allocated many times
// its size for a body of short words).
func TestAdversaryDecodeErrorExcerptOfAHugeBody(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 31 MiB answer")
	}
	body := []byte(strings.Repeat("a ", hostileBodySize/2))
	srv := bodyServer(t, body, true)
	c := hostileClient(t, srv.URL+"/api")
	var err error
	cost := measure(func() { _, err = c.Tickets.Get(t.Context(), 1) })
	var decErr *apizee.DecodeError
	require.ErrorAs(t, err, &decErr)
	assert.True(t, strings.HasPrefix(decErr.Excerpt, "a a a"), decErr.Excerpt)
	assert.LessOrEqual(t, len(decErr.Excerpt), 400)
	t.Logf("allocated %.2fx the body", times(cost.allocated))
	assert.LessOrEqual(t, times(cost.allocated), 3.0)
}

// A statistics answer pays for its rows in place: 50 000 of the guide's
// rows (28 MiB) cost a small multiple of the body (8.7 times before the rows were
// walked in place), and rows of unknown columns, whose Extra maps cost tens
// of times their bytes, are refused past maxStatsExtra values.
func TestAdversaryStatsRowsCostTheirSize(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 28 MiB answer")
	}
	raw, err := os.ReadFile(filepath.Join("testdata", "tickets_stats.json"))
	require.NoError(t, err)
	var guide []json.RawMessage
	require.NoError(t, json.Unmarshal(raw, &guide))
	var row bytes.Buffer
	require.NoError(t, json.Compact(&row, guide[0]))
	var unknown []string
	for i := range 64 {
		unknown = append(unknown, `"k`+strconv.Itoa(i)+`":0`)
	}
	tests := []struct {
		name    string
		body    []byte
		wantErr string
		most    float64
	}{
		{"rows of the guide", rowsOf(row.String(), statsRows), "", 3.5},
		{"rows of 64 unknown columns", rowsOf("{"+strings.Join(unknown, ",")+"}", 50_000),
			"more than 100000 values in columns the SDK does not know (TicketStat.Extra): ask a shorter period", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := bodyServer(t, tt.body, true)
			c := hostileClient(t, srv.URL+"/api", apizee.WithEnterpriseID(1))
			var stats []apizee.TicketStat
			var err error
			cost := measure(func() { stats, err = c.Stats.Tickets(t.Context(), nil) })
			t.Logf("%d MiB answer: allocated %.2fx the body", len(tt.body)/mebibyte, float64(cost.allocated)/float64(len(tt.body)))
			if tt.wantErr == "" {
				require.NoError(t, err)
				assert.Equal(t, statsRows, len(stats))
				assert.Equal(t, 335*time.Second, stats[statsRows-1].CallDuration)
			} else {
				assert.ErrorContains(t, err, tt.wantErr)
			}
			assert.LessOrEqual(t, float64(cost.allocated)/float64(len(tt.body)), tt.most)
		})
	}
}

// rowsOf is a JSON list of n times row.
func rowsOf(row string, n int) []byte {
	return []byte("[" + strings.TrimSuffix(strings.Repeat(row+",", n), ",") + "]")
}

// An answer with a Content-Length past the first read block is read into
// one buffer of its declared size: it decodes whole, byte for byte, at every
// size around the block boundaries.
func TestAdversaryLargeDeclaredAnswerDecodesWhole(t *testing.T) {
	for _, size := range []int{256<<10 - 40, 256 << 10, 256<<10 + 1, 600 << 10, 1 << 20, 1<<20 + 7, 3 << 20} {
		description := strings.Repeat("0123456789abcdef", size/16+1)[:size]
		for _, declare := range []bool{true, false} {
			srv := bodyServer(t, []byte(`{"id":82070,"description":"`+description+`"}`), declare)
			c := hostileClient(t, srv.URL+"/api")
			tk, err := c.Tickets.Get(t.Context(), 82070)
			require.NoError(t, err, "%d bytes, declared %t", size, declare)
			assert.Equal(t, int64(82070), tk.ID)
			assert.True(t, tk.Description == description, "%d bytes, declared %t: the description differs", size, declare)
		}
	}
}
