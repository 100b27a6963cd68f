// The race detector changes what escapes to the heap, so allocation counts
// mean nothing under -race (the standard library's AllocsPerRun tests are
// built the same way); CI runs this test without it, in the Go 1.25 step.

//go:build !race

package apizee_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee"
)

// TestGetAllocatesLikeHandWrittenCode holds the hot path to its goal:
// Tickets.Get allocates at most 2 objects more than the hand-written
// net/http + encoding/json GET of the same ticket from the same server
// (the benchmarks module measures the time; this is the deterministic part).
func TestGetAllocatesLikeHandWrittenCode(t *testing.T) {
	ticket, err := os.ReadFile("testdata/ticket_create.json")
	require.NoError(t, err)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(ticket)
	}))
	t.Cleanup(srv.Close)
	ctx := context.Background()
	sdkTransport := http.DefaultTransport.(*http.Transport).Clone()
	stdTransport := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(sdkTransport.CloseIdleConnections)
	t.Cleanup(stdTransport.CloseIdleConnections)
	c, err := apizee.NewClient(apizee.WithBaseURL(srv.URL), apizee.WithToken("tok"), apizee.WithHTTPClient(&http.Client{Transport: sdkTransport}))
	require.NoError(t, err)
	hc := &http.Client{Transport: stdTransport}

	sdk := testing.AllocsPerRun(300, func() {
		if _, err := c.Tickets.Get(ctx, 82070); err != nil {
			t.Fatal(err)
		}
	})
	std := testing.AllocsPerRun(300, func() {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/tickets/82070", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer tok")
		req.Header.Set("Accept", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var plain struct {
			ID                 int64     `json:"id"`
			State              string    `json:"state"`
			Reference          string    `json:"reference"`
			Created            time.Time `json:"created"`
			Modified           time.Time `json:"modified"`
			StartTime          time.Time `json:"start_time"`
			EndTime            time.Time `json:"end_time"`
			Subject            string    `json:"subject"`
			Type               string    `json:"type"`
			Description        string    `json:"description"`
			Agent              string    `json:"agent"`
			Status             string    `json:"status"`
			Name               string    `json:"name"`
			RequestorURL       string    `json:"requestor_url"`
			Requestor          struct{ Phone, Email string }
			InformationPageURL string `json:"information_page_url"`
			ServiceKey         string `json:"service_key"`
			AgentURL           string `json:"agent_url"`
			SSOURL             string `json:"sso_url"`
			ButtonID           int64  `json:"button_id"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&plain); err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("allocations per Get: sdk %.1f, hand-written %.1f", sdk, std)
	assert.LessOrEqual(t, sdk, std+2)
}
