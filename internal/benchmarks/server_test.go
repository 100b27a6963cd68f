package benchmarks_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
)

const (
	benchToken    = "bench-access-token"
	benchTicketID = 82070
	benchPageSize = 100
	benchAgent    = "agent1@apizee.com"
	// benchMediaPath is where the media file is served, as on
	// cloud.apizee.com: the server's root, enterprise 1.
	benchMediaEnterprise = 1
	benchMediaHash       = "5f2b1e6a"
	benchMediaPath       = "/media/showVideo/1/hash/" + benchMediaHash
)

// benchServer serves canned answers: the guide's ticket (to GET
// /tickets/{id} and to POST /tickets), a list of tickets in pages of
// benchPageSize, tokens, and a media file of any size. It counts /token
// calls and new connections, and refuses a request that is not the one the
// three sides must all send.
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
	refused      atomic.Int64
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
	s.Config.ConnState = func(c net.Conn, state http.ConnState) {
		if state == http.StateNew {
			s.newConns.Add(1)
			if tc, ok := c.(*net.TCPConn); ok {
				// Failing, it leaves Linux's buffer: a wider spread,
				// not a wrong figure.
				_ = tc.SetWriteBuffer(benchSocketBuffer)
			}
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
			s.refuse(w)
			return
		}
		page := offset / benchPageSize
		if page >= len(s.pages) {
			page = len(s.pages) - 1 // the empty last page
		}
		benchWrite(w, s.pages[page])
	case r.Method == http.MethodPost && r.URL.Path == "/tickets":
		q := r.URL.Query()
		if q.Get("agent") != benchAgent || q.Get("phone") != "+33612345678" || q.Get("reference") != "1234" {
			s.refuse(w)
			return
		}
		benchWrite(w, s.ticket)
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/tickets/"):
		benchWrite(w, s.ticket)
	case r.Method == http.MethodGet && r.URL.Path == benchMediaPath:
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

// refuse answers 400 to a request that is not the one every side must
// send; checkServed fails the benchmark afterwards.
func (s *benchServer) refuse(w http.ResponseWriter) {
	s.refused.Add(1)
	w.WriteHeader(http.StatusBadRequest)
}

func benchWrite(w http.ResponseWriter, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	_, _ = w.Write(body)
}

// benchReadFile reads a recorded answer of the SDK's testdata.
func benchReadFile(b *testing.B, name string) []byte {
	b.Helper()
	body, err := os.ReadFile("../../testdata/" + name)
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

// benchSocketBuffer is the size of the server's send buffer and of every
// side's receive buffer. Left to Linux, a loopback connection's receive
// buffer grows as it pleases, up to 32 MiB here: one side's connection
// could then hold several of the download's 4 MiB chunks ready before its
// turn and read them at the speed of memcpy, while another's streams, and
// the download's ratios swung by a few per cent from run to run with no
// change of code. Fixed and small, it makes a chunk's time the time of
// streaming it, the same for every side.
const benchSocketBuffer = 256 << 10

// benchTransport is the transport of every side: the default one's
// settings (keep-alive on), with a pool large enough for the concurrent
// benchmark and bounded so that it cannot exhaust the loopback's ports, and
// the receive buffer of benchSocketBuffer.
func benchTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 64
	t.MaxConnsPerHost = 64
	dial := t.DialContext
	t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if tc, ok := c.(*net.TCPConn); ok && err == nil {
			if err := tc.SetReadBuffer(benchSocketBuffer); err != nil {
				// A side whose buffer Linux sizes would measure luck.
				tc.Close()
				return nil, err
			}
		}
		return c, err
	}
	return t
}

// checkServed fails a benchmark whose calls did not reuse their
// connections (that would measure dialling, not the client), went without
// the token, or were not the request every side must send. A few extra
// connections are normal: a call may dial while the previous call's
// connection is on its way back to the pool.
func checkServed(b *testing.B, s *benchServer, connsBefore, requestsBefore int64) {
	b.Helper()
	opened, requests := s.newConns.Load()-connsBefore, s.requests.Load()-requestsBefore
	if opened > max(4, requests/20) {
		b.Fatalf("%d connections opened for %d calls: keep-alive is not working", opened, requests)
	}
	if n := s.unauthorized.Load(); n > 0 {
		b.Fatalf("%d requests without the token", n)
	}
	if n := s.refused.Load(); n > 0 {
		b.Fatalf("%d requests were not the expected call", n)
	}
}
