package benchmarks_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/apizee-go/apizee"
	"github.com/apizee-go/apizee/internal/benchmarks/peer"
)

// The three implementations of each operation: the SDK (sdk), the
// hand-written net/http and encoding/json code a user would write instead
// (std), and the client oapi-codegen generates from openapi.yaml (peer).
// Each side has its own *http.Transport with the same settings.

// Indexes of the sides.
const (
	sdk = iota
	std
	gen
	nSides
)

// sideNames name the sides in sub-benchmarks (impl=...) and metrics.
var sideNames = [nSides]string{sdk: "sdk", std: "std", gen: "peer"}

// sides are the implementations of one operation; each fails b on a wrong
// answer.
type sides [nSides]func(b *testing.B)

// clients are the three clients of one server.
type clients struct {
	sdk  *apizee.Client
	std  *http.Client
	peer *peer.ClientWithResponses
	// peerStream is the generated client without response parsing, for the
	// download: ClientWithResponses would read the whole file into memory.
	peerStream *peer.Client
	base       string
	// transports are each side's, for closeIdle.
	transports [nSides]*http.Transport
}

// closeIdle closes each side's idle connections, so that the next request
// of every side dials a new one.
func (cl *clients) closeIdle() {
	for _, t := range cl.transports {
		t.CloseIdleConnections()
	}
}

func newClients(b *testing.B, s *benchServer) *clients {
	b.Helper()
	c, sdkTransport := newBenchClient(b, s, apizee.WithToken(benchToken))
	stdTransport, peerTransport := benchTransport(), benchTransport()
	b.Cleanup(stdTransport.CloseIdleConnections)
	b.Cleanup(peerTransport.CloseIdleConnections)
	hc := &http.Client{Transport: stdTransport}
	peerHTTP := &http.Client{Transport: peerTransport}
	// The generated client's way to authenticate: a request editor.
	bearer := peer.WithRequestEditorFn(func(_ context.Context, req *http.Request) error {
		req.Header.Set("Authorization", "Bearer "+benchToken)
		return nil
	})
	pc, err := peer.NewClientWithResponses(s.URL, peer.WithHTTPClient(peerHTTP), bearer)
	if err != nil {
		b.Fatal(err)
	}
	stream, err := peer.NewClient(s.URL, peer.WithHTTPClient(peerHTTP), bearer)
	if err != nil {
		b.Fatal(err)
	}
	return &clients{
		sdk: c, std: hc, peer: pc, peerStream: stream, base: s.URL,
		transports: [nSides]*http.Transport{sdk: sdkTransport, std: stdTransport, gen: peerTransport},
	}
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

// handCall is the idiomatic hand-written call of a JSON endpoint.
func handCall(ctx context.Context, hc *http.Client, method, rawURL string, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, rawURL, nil)
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
		return fmt.Errorf("%s %s: %s", method, rawURL, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

func getSides(cl *clients) sides {
	ctx := context.Background()
	return sides{
		sdk: func(b *testing.B) {
			t, err := cl.sdk.Tickets.Get(ctx, benchTicketID)
			if err != nil || t.ID != benchTicketID {
				b.Fatalf("Get: %v, %v", t, err)
			}
		},
		std: func(b *testing.B) {
			var t plainTicket
			if err := handCall(ctx, cl.std, http.MethodGet, cl.base+"/tickets/"+strconv.Itoa(benchTicketID), &t); err != nil || t.ID != benchTicketID {
				b.Fatalf("GET: %v, %v", t.ID, err)
			}
		},
		gen: func(b *testing.B) {
			resp, err := cl.peer.GetTicketWithResponse(ctx, benchTicketID)
			if err != nil || resp.JSON200 == nil || resp.JSON200.Id != benchTicketID {
				b.Fatalf("GetTicket: %v, %v", resp, err)
			}
		},
	}
}

// The ticket every side creates: the server refuses any other.
const (
	benchPhone     = "+33612345678"
	benchReference = "1234"
)

func createSides(cl *clients) sides {
	ctx := context.Background()
	return sides{
		sdk: func(b *testing.B) {
			t, err := cl.sdk.Tickets.Create(ctx, &apizee.CreateTicketParams{Agent: benchAgent, Phone: []string{benchPhone}, Reference: benchReference})
			if err != nil || t.ID != benchTicketID {
				b.Fatalf("Create: %v, %v", t, err)
			}
		},
		std: func(b *testing.B) {
			q := url.Values{"agent": {benchAgent}, "phone": {benchPhone}, "reference": {benchReference}}
			var t plainTicket
			if err := handCall(ctx, cl.std, http.MethodPost, cl.base+"/tickets?"+q.Encode(), &t); err != nil || t.ID != benchTicketID {
				b.Fatalf("POST: %v, %v", t.ID, err)
			}
		},
		gen: func(b *testing.B) {
			phone, reference := benchPhone, benchReference
			resp, err := cl.peer.CreateTicketWithResponse(ctx, &peer.CreateTicketParams{Agent: benchAgent, Phone: &phone, Reference: &reference})
			if err != nil || resp.JSON200 == nil || resp.JSON200.Id != benchTicketID {
				b.Fatalf("CreateTicket: %v, %v", resp, err)
			}
		},
	}
}

// walkers are the three ways to walk the whole ticket list, visiting each
// ticket's id.
type walkers [nSides]func(ctx context.Context, visit func(id int64)) (int, error)

func listWalkers(cl *clients) walkers {
	return walkers{
		sdk: func(ctx context.Context, visit func(int64)) (int, error) {
			n := 0
			for t, err := range cl.sdk.Tickets.All(ctx, &apizee.ListTicketsParams{Limit: benchPageSize}) {
				if err != nil {
					return n, err
				}
				visit(t.ID)
				n++
			}
			return n, nil
		},
		std: func(ctx context.Context, visit func(int64)) (int, error) {
			return walkHand(ctx, cl.std, cl.base, visit)
		},
		gen: func(ctx context.Context, visit func(int64)) (int, error) {
			return walkPeer(ctx, cl.peer, visit)
		},
	}
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
		if err := handCall(ctx, hc, http.MethodGet, base+"/tickets?"+q.Encode(), &page); err != nil {
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

// walkPeer is the same paging loop on the generated client.
func walkPeer(ctx context.Context, pc *peer.ClientWithResponses, visit func(id int64)) (int, error) {
	n := 0
	limit := benchPageSize
	for offset := 0; ; {
		params := &peer.ListTicketsParams{Limit: &limit}
		if offset > 0 {
			params.Offset = &offset
		}
		resp, err := pc.ListTicketsWithResponse(ctx, params)
		if err != nil {
			return n, err
		}
		if resp.JSON200 == nil || resp.JSON200.Data == nil || resp.JSON200.Total == nil {
			return n, fmt.Errorf("ListTickets: %s", resp.Status())
		}
		data := *resp.JSON200.Data
		for i := range data {
			visit(data[i].Id)
			n++
		}
		offset += len(data)
		if len(data) == 0 || offset >= *resp.JSON200.Total {
			return n, nil
		}
	}
}

// walkSides walk the whole list, expecting benchAllTickets tickets.
func walkSides(w walkers) sides {
	ctx := context.Background()
	var sd sides
	for i, walk := range w {
		sd[i] = func(b *testing.B) {
			var sum int64
			n, err := walk(ctx, func(id int64) { sum += id })
			if err != nil || n != benchAllTickets {
				b.Fatalf("%s walked %d of %d tickets: %v", sideNames[i], n, benchAllTickets, err)
			}
		}
	}
	return sd
}

// openers start the download of the media file on each side and return
// its body, for the caller to read and close.
type openers [nSides]func(ctx context.Context) (io.ReadCloser, error)

func mediaOpeners(cl *clients) openers {
	media := &apizee.Media{ID: 1, URL: cl.base + benchMediaPath}
	return openers{
		sdk: func(ctx context.Context) (io.ReadCloser, error) { return cl.sdk.Media.Open(ctx, media) },
		std: func(ctx context.Context) (io.ReadCloser, error) {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, media.URL, nil)
			if err != nil {
				return nil, err
			}
			req.Header.Set("Authorization", "Bearer "+benchToken)
			return openedBody(cl.std.Do(req))
		},
		gen: func(ctx context.Context) (io.ReadCloser, error) {
			return openedBody(cl.peerStream.DownloadMedia(ctx, benchMediaEnterprise, benchMediaHash))
		},
	}
}

// openedBody returns the body of a 200 answer.
func openedBody(resp *http.Response, err error) (io.ReadCloser, error) {
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("GET %s: %s", resp.Request.URL.Path, resp.Status)
	}
	return resp.Body, nil
}

// downloadSides copy the whole file to io.Discard on each side: the SDK
// through Media.Download, the others by copying the opened body.
func downloadSides(cl *clients, size int64) sides {
	ctx := context.Background()
	open := mediaOpeners(cl)
	media := &apizee.Media{ID: 1, URL: cl.base + benchMediaPath}
	check := func(b *testing.B, n int64, err error) {
		if err != nil || n != size {
			b.Fatalf("downloaded %d of %d bytes: %v", n, size, err)
		}
	}
	copied := func(i int) func(b *testing.B) {
		return func(b *testing.B) {
			body, err := open[i](ctx)
			if err != nil {
				b.Fatal(err)
			}
			defer body.Close()
			n, err := io.Copy(io.Discard, body)
			check(b, n, err)
		}
	}
	return sides{
		sdk: func(b *testing.B) {
			n, err := cl.sdk.Media.Download(ctx, media, io.Discard)
			check(b, n, err)
		},
		std: copied(std),
		gen: copied(gen),
	}
}
