// Support-button is the guide's integration as a web page, for the agents of
// a support team: "Start video assistance" creates a ticket for the
// customer's phone or email and a case reference, sends the customer their
// link, and takes the agent to the ticket, signed in; "Start meeting"
// creates a meeting room and shows it embedded in the page.
//
// With no APIZEE_* variable set it runs against the fake Apizee server built
// into the SDK (apizeetest), started in this process:
//
//	go run ./examples/support-button -addr 127.0.0.1:8080
//
// Against a real account (creating sends real SMS and emails):
//
//	APIZEE_USERNAME=agent@example.com APIZEE_PASSWORD=... go run ./examples/support-button
//
// Where the agent lands: the guide builds the agent's deep link from
// agent_url (agent_url/entrypoint/button_id/tickets/id), and the ticket's
// sso_url (agent_url?access_token=...) signs the agent in on the portal's
// home page. The page combines them: the deep link with the sso_url's
// access token, so that the agent lands on the ticket already signed in.
// The token is only added when sso_url names the same host as the deep link.
//
// The page has no login of its own: put it behind your own authentication,
// every visitor acts as the configured agent.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/apizee-go/apizee"
	"github.com/apizee-go/apizee/apizeetest"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	agent := flag.String("agent", os.Getenv(apizee.EnvUsername), "Apizee login of the agent tickets are assigned to")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := serve(ctx, log, *addr, *agent); err != nil {
		log.Error("support-button stopped", "error", err)
		os.Exit(1)
	}
}

// serve runs the page until ctx ends.
func serve(ctx context.Context, log *slog.Logger, addr, agent string) error {
	var client *apizee.Client
	var err error
	if realAccount() {
		client, err = apizee.NewClientFromEnv(apizee.WithLogger(log), apizee.WithUserAgent("apizee-support-button"))
	} else {
		fake := apizeetest.NewServer()
		defer fake.Close()
		log.Info("no APIZEE_* variable: using the built-in fake Apizee server", "url", fake.URL)
		agent = fake.Username
		client, err = apizee.NewClient(apizee.WithBaseURL(fake.URL), apizee.WithCredentials(fake.Username, fake.Password),
			apizee.WithLogger(log))
	}
	if err != nil {
		return err
	}
	defer client.Close(context.WithoutCancel(ctx))
	if agent == "" {
		return errors.New("no agent: pass -agent with the Apizee login tickets are assigned to")
	}

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           (&server{client: client, agent: agent, log: log}).handler(),
		ReadHeaderTimeout: 10 * time.Second,
	}
	fmt.Printf("Support page: http://%s/\n", ln.Addr())
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
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
