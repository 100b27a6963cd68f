package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee"
	"github.com/apizee-go/apizee/apizeetest"
)

// chromiumPath is where Debian's chromium package installs the browser.
const chromiumPath = "/usr/bin/chromium"

// chromium returns the browser to drive. Without one the test skips
// locally, and fails in CI (CI=true), where .ci/run installs it.
func chromium(t *testing.T) string {
	t.Helper()
	path := chromiumPath
	if _, err := os.Stat(path); err != nil {
		if found, lookErr := exec.LookPath("chromium"); lookErr == nil {
			return found
		}
		if os.Getenv("CI") == "true" {
			t.Fatalf("no Chromium at %s: .ci/run installs it (apt-get install -y chromium)", path)
		}
		t.Skipf("no Chromium at %s: install it (apt-get install -y chromium) to run the browser test", path)
	}
	return path
}

// TestInABrowser drives the page in a real headless Chromium: the agent
// fills the assistance form and lands on the ticket's deep link on the fake
// (which may answer 404 there: the URL is what counts), then starts a
// meeting and gets it embedded.
func TestInABrowser(t *testing.T) {
	execPath := chromium(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	fake := apizeetest.NewServer()
	defer fake.Close()
	client, err := apizee.NewClient(apizee.WithBaseURL(fake.URL), apizee.WithCredentials(fake.Username, fake.Password))
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	page := &http.Server{Handler: (&server{client: client, agent: fake.Username, log: slog.New(slog.DiscardHandler)}).handler()}
	served := make(chan error, 1)
	go func() { served <- page.Serve(ln) }()
	defer func() {
		require.NoError(t, page.Close())
		assert.ErrorIs(t, <-served, http.ErrServerClosed)
	}()
	home := "http://" + ln.Addr().String() + "/"

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(execPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	browser, cancelBrowser := chromedp.NewContext(allocCtx)
	defer cancelBrowser()

	t.Run("assistance", func(t *testing.T) {
		require.NoError(t, chromedp.Do(browser,
			chromedp.Navigate(home),
			chromedp.SendKeys(chromedp.ID("contact"), "+33612345678"),
			chromedp.SendKeys(chromedp.ID("reference"), "case-browser"),
		))
		// RunResponse waits for the navigation the click starts, through
		// the 303, to the page it lands on.
		_, err := chromedp.RunResponse(browser, chromedp.Click(chromedp.ID("start-assistance")))
		require.NoError(t, err)
		landed, err := chromedp.Run(browser, chromedp.Location())
		require.NoError(t, err)

		found, err := client.Tickets.FindByReference(ctx, "case-browser")
		require.NoError(t, err)
		ticket, err := client.Tickets.Get(ctx, found.ID) // a list answer has no agent_url
		require.NoError(t, err)
		want, err := url.Parse(ticket.AgentTicketURL())
		require.NoError(t, err)
		got, err := url.Parse(landed)
		require.NoError(t, err)
		assert.Equal(t, want.Host, got.Host, "the fake's agent portal")
		assert.Equal(t, want.Path, got.Path, "the ticket's deep link")
		assert.True(t, strings.HasPrefix(got.Path, "/entrypoint/223/tickets/"), got.Path)
		assert.NotEmpty(t, got.Query().Get("access_token"), "signed in with the SSO token")
		assert.Equal(t, 1, fake.TicketsWithReference("case-browser"))
	})

	t.Run("meeting", func(t *testing.T) {
		require.NoError(t, chromedp.Do(browser,
			chromedp.Navigate(home),
			chromedp.SendKeys(chromedp.ID("participants"), "alice@example.com"),
			chromedp.SendKeys(chromedp.ID("meeting-name"), "Case browser"),
		))
		resp, err := chromedp.RunResponse(browser, chromedp.Click(chromedp.ID("start-meeting")))
		require.NoError(t, err)
		assert.Equal(t, int64(http.StatusOK), resp.Status)

		iframe := chromedp.CSS("#meeting iframe")
		require.NoError(t, chromedp.Do(browser, chromedp.WaitVisible(iframe)))
		allow, err := chromedp.Run(browser, chromedp.AttributeValue(iframe, "allow"))
		require.NoError(t, err)
		src, err := chromedp.Run(browser, chromedp.AttributeValue(iframe, "src"))
		require.NoError(t, err)

		assert.True(t, allow.Exists)
		assert.Equal(t, "microphone;camera;geolocation;display-capture", allow.Value)
		conf, err := client.Conferences.FindByName(ctx, "Case browser")
		require.NoError(t, err)
		assert.True(t, src.Exists)
		assert.Equal(t, conf.URL, src.Value, "the meeting's room")
	})

	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatal("the browser test ran out of its 30 s")
	}
}
