// Recordings-sync keeps a folder of the recordings of Apizee meetings and
// assistance sessions, told by Apizee's webhooks when there is one to
// fetch instead of polling the API (whose budget is about 10 requests a
// minute). On a media event (a recording created) it reads the media
// through the client, in its meeting's or ticket's media list, and on a
// meeting that ended it lists that meeting's media; it downloads each
// recording once, and never again, across restarts: the folder holds a
// small state file (.recordings-sync.json) written atomically. The event
// itself is a hint: Apizee signs nothing, so nothing is downloaded from
// what an event says, only from what the API answers.
//
// With no APIZEE_* variable set it runs end to end on the fake Apizee
// server built into the SDK (apizeetest), with no account: the fake records
// a meeting, sends the webhooks to this program's receiver, the recording
// lands in the folder, and the program says where, then exits:
//
//	go run ./examples/recordings-sync -dir "$(mktemp -d)"
//
// Against a real account it serves the receiver until interrupted. Set the
// webhook in the Apizee console (Settings, WebHooks): the URL
// https://<your host>/apizee/events, a custom header X-Webhook-Secret with
// a long random value, Activate; then
//
//	APIZEE_USERNAME=agent@example.com APIZEE_PASSWORD=... \
//	WEBHOOK_SECRET=<the header's value> \
//	go run ./examples/recordings-sync -addr :8080 -dir /var/lib/recordings
//
// WEBHOOK_SECRET may hold several values separated by commas while the
// console's value is being changed; -header names another header;
// -allow-unverified accepts unverified deliveries, for local tests only.
// Put it behind TLS (a reverse proxy): the header travels in clear text
// otherwise.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/apizee-go/apizee"
	"github.com/apizee-go/apizee/apizeetest"
	"github.com/apizee-go/apizee/webhook"
)

// EnvWebhookSecret holds the value(s) of the webhook's header.
const EnvWebhookSecret = "WEBHOOK_SECRET"

// eventsPath is where the receiver listens.
const eventsPath = "/apizee/events"

// stateFile is the name of the state file in the folder.
const stateFile = ".recordings-sync.json"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run runs the program with args and returns its exit code: 0, 1 on a
// failure, 2 on bad usage.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("recordings-sync", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "", "address to receive webhooks on (default :8080 on an account, a free port on the fake)")
	dir := fs.String("dir", "recordings", "folder of the recordings and of the state file")
	header := fs.String("header", "X-Webhook-Secret", "the custom header set in the Apizee console, holding $"+EnvWebhookSecret)
	unverified := fs.Bool("allow-unverified", false, "accept deliveries without the header (local tests only)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		fmt.Fprintln(stderr, "recordings-sync:", err)
		return 1
	}
	if err := removeTemporaryFiles(*dir); err != nil {
		fmt.Fprintln(stderr, "recordings-sync:", err)
		return 1
	}
	st, err := loadState(filepath.Join(*dir, stateFile))
	if err != nil {
		fmt.Fprintln(stderr, "recordings-sync:", err)
		return 1
	}
	if realAccount() {
		err = serveAccount(ctx, log, st, *addr, *dir, *header, *unverified, stdout)
	} else {
		err = runOnFake(ctx, log, st, *addr, *dir, stdout)
	}
	if err != nil {
		fmt.Fprintln(stderr, "recordings-sync:", err)
		var invalid *apizee.ValidationError
		if errors.As(err, &invalid) {
			return 2
		}
		return 1
	}
	return 0
}

// serveAccount receives the account's webhooks until ctx ends.
func serveAccount(ctx context.Context, log *slog.Logger, st *state, addr, dir, header string, unverified bool, stdout io.Writer) error {
	client, err := apizee.NewClientFromEnv(apizee.WithLogger(log), apizee.WithUserAgent("apizee-recordings-sync"))
	if err != nil {
		return err
	}
	defer client.Close(context.WithoutCancel(ctx))
	var opts []webhook.HandlerOption
	if secrets := os.Getenv(EnvWebhookSecret); secrets != "" {
		v, err := webhook.HeaderSecret(header, strings.Split(secrets, ",")...)
		if err != nil {
			return fmt.Errorf("%s: %w", EnvWebhookSecret, err)
		}
		opts = append(opts, webhook.WithVerifier(v))
	} else if unverified {
		log.Warn("accepting unverified webhooks: anyone who can reach the receiver can make it download")
		opts = append(opts, webhook.AllowUnverified())
	} else {
		return &apizee.ValidationError{Field: EnvWebhookSecret, Reason: "is not set: set it to the value of the header set in the Apizee console, or pass -allow-unverified for a local test"}
	}
	if addr == "" {
		addr = ":8080"
	}
	s := &syncer{client: client, dir: dir, state: st, log: log}
	rcv, err := startReceiver(addr, s, log, opts...)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Receiving Apizee webhooks at %s\nRecordings go into %s\n", rcv.url, dir)
	<-ctx.Done()
	rcv.close()
	s.report(stdout)
	return nil
}

// runOnFake plays a meeting on the built-in fake and syncs its recording.
func runOnFake(ctx context.Context, log *slog.Logger, st *state, addr, dir string, stdout io.Writer) error {
	fake := apizeetest.NewServer()
	defer fake.Close()
	fmt.Fprintf(stdout, "No APIZEE_* variable: running on the built-in fake Apizee server (%s)\n", fake.URL)
	client, err := apizee.NewClient(apizee.WithBaseURL(fake.URL), apizee.WithCredentials(fake.Username, fake.Password), apizee.WithLogger(log))
	if err != nil {
		return err
	}
	defer client.Close(context.WithoutCancel(ctx))
	s := &syncer{client: client, dir: dir, state: st, log: log}
	return demo(ctx, fake, s, addr, stdout)
}

// demo sets fake's webhook to a receiver of s, records a meeting, ends it,
// waits for the deliveries and reports.
func demo(ctx context.Context, fake *apizeetest.Server, s *syncer, addr string, stdout io.Writer) error {
	secret := randomSecret()
	verifier, err := webhook.HeaderSecret("X-Webhook-Secret", secret)
	if err != nil {
		return err
	}
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	rcv, err := startReceiver(addr, s, s.log, webhook.WithVerifier(verifier))
	if err != nil {
		return err
	}
	defer rcv.close()
	fake.SetWebhook(rcv.url, http.Header{"X-Webhook-Secret": {secret}})
	before := len(fake.Webhooks())

	noInvite := false
	meeting, err := s.client.Conferences.Create(ctx, &apizee.CreateConferenceParams{
		Participants: []string{"guest@example.com"}, Name: "recordings-sync demo", Invite: &noInvite})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "The fake records meeting %d, then ends it; its webhooks go to %s\n", meeting.ID, rcv.url)
	fake.AddConferenceMedia(meeting.ID, 3<<20) // a media create event
	fake.EndConference(meeting.ID)             // a conversation ended event
	waitCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	deliveries, err := fake.WaitWebhooks(waitCtx, before+2)
	if err != nil {
		return err
	}
	for _, d := range deliveries[before:] {
		var e struct{ Event, Object string }
		_ = json.Unmarshal(d.Body, &e)
		fmt.Fprintf(stdout, "  webhook %s %s: %d %s\n", e.Object, e.Event, d.StatusCode, strings.TrimSpace(string(d.Response)))
	}
	s.report(stdout)
	fmt.Fprintf(stdout, "State: %s (a restart downloads none of these again)\n", s.state.path)
	return nil
}

// receiver is the HTTP server of the webhook handler.
type receiver struct {
	url   string
	srv   *http.Server
	ended chan struct{}
}

// startReceiver serves a webhook handler running s at eventsPath on addr.
func startReceiver(addr string, s *syncer, log *slog.Logger, opts ...webhook.HandlerOption) (*receiver, error) {
	// The claim lasts as long as the work of an event may (syncTimeout).
	h, err := webhook.NewHandler(s.handle, append(opts, webhook.WithLogger(log), webhook.WithClaimTTL(syncTimeout))...)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle(eventsPath, h)
	r := &receiver{
		url: "http://" + ln.Addr().String() + eventsPath,
		srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
			IdleTimeout: time.Minute},
		ended: make(chan struct{}),
	}
	go func() {
		defer close(r.ended)
		if err := r.srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			log.Error("receiver stopped", "error", err)
		}
	}()
	return r, nil
}

// close stops the receiver, letting deliveries under way finish for a
// while.
func (r *receiver) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = r.srv.Shutdown(ctx)
	<-r.ended
}

// removeTemporaryFiles removes the temporary files a run killed mid-write
// left in dir: halves of recordings would fill the folder otherwise.
func removeTemporaryFiles(dir string) error {
	for _, pattern := range []string{downloadTemp, stateTemp} {
		names, err := filepath.Glob(filepath.Join(dir, pattern))
		if err != nil {
			return err
		}
		for _, name := range names {
			if err := os.Remove(name); err != nil {
				return err
			}
		}
	}
	return nil
}

// realAccount reports whether any APIZEE_* variable is set: then the
// account is the user's, never the fake.
func realAccount() bool {
	for _, name := range []string{apizee.EnvBaseURL, apizee.EnvUsername, apizee.EnvPassword, apizee.EnvToken, apizee.EnvEnterpriseID} {
		if os.Getenv(name) != "" {
			return true
		}
	}
	return false
}

func randomSecret() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
