package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/apizee-go/apizee/webhook"
)

func (a *app) webhookCommand() *cobra.Command {
	return group("webhook", "Apizee's webhooks", a.webhookListenCommand())
}

// webhookColumns are the records of listen: an event, with its
// de-duplication key and its props as Apizee sent them (compacted).
var webhookColumns = []column[webhook.Event]{
	{"action", func(e *webhook.Event) field { return text(string(e.Action)) }},
	{"object", func(e *webhook.Event) field { return text(string(e.Object)) }},
	{"object_id", func(e *webhook.Event) field { return text(e.ObjectID) }},
	{"time", func(e *webhook.Event) field { return timestamp(e.Time) }},
	{"key", func(e *webhook.Event) field { return text(e.Key()) }},
	{"props", func(e *webhook.Event) field { return rawJSON(e.Props) }},
}

// rawJSON is a JSON value as is in JSON, compacted in CSV; absent when
// empty.
func rawJSON(raw json.RawMessage) field {
	var compact bytes.Buffer
	if len(raw) == 0 || json.Compact(&compact, raw) != nil {
		return field{"", nil}
	}
	return field{compact.String(), json.RawMessage(compact.Bytes())}
}

func (a *app) webhookListenCommand() *cobra.Command {
	var addr, basicAuth string
	var headerSecrets []string
	var unverified bool
	cmd := &cobra.Command{
		Use:   "listen",
		Short: "Receive Apizee's webhooks and print each verified event as a record",
		Long: `Receive Apizee's webhooks and print each verified event as one record (a JSON line,
or a CSV row with -o csv): action, object, object_id, time, key, props. An event
delivered again is printed once. It runs until interrupted; it needs no account.

Set the URL and a custom header in the Apizee console (Settings, WebHooks), then:
  apizee webhook listen --addr :8080 --header-secret X-Webhook-Secret="$WEBHOOK_SECRET"
Repeat --header-secret while changing the secret (same header, old and new value);
--basic-auth user:pass checks a URL of the form https://user:pass@host/ instead.
--allow-unverified accepts anything, for local tests only.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			verify, err := listenVerifier(headerSecrets, basicAuth, unverified)
			if err != nil {
				return err
			}
			return a.listen(cmd.Context(), addr, verify)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&addr, "addr", ":8080", "address to listen on")
	fs.StringArrayVar(&headerSecrets, "header-secret", nil, "NAME=VALUE: accept deliveries whose header NAME holds VALUE (repeat for rotation)")
	fs.StringVar(&basicAuth, "basic-auth", "", "user:pass: accept deliveries with these basic-auth credentials")
	fs.BoolVar(&unverified, "allow-unverified", false, "accept every delivery, unverified (local tests only)")
	return cmd
}

// listenVerifier builds the verification the flags ask for. Its errors
// never quote a secret.
func listenVerifier(headerSecrets []string, basicAuth string, unverified bool) (webhook.HandlerOption, error) {
	switch {
	case len(headerSecrets) > 0 && basicAuth != "":
		return nil, usageError{errors.New("--header-secret and --basic-auth: choose one")}
	case len(headerSecrets) > 0:
		var name string
		values := make([]string, len(headerSecrets))
		for i, hs := range headerSecrets {
			n, v, ok := strings.Cut(hs, "=")
			if !ok {
				return nil, usageError{fmt.Errorf("--header-secret #%d: want NAME=VALUE", i+1)}
			}
			if i > 0 && !strings.EqualFold(n, name) {
				return nil, usageError{fmt.Errorf("--header-secret: every value must be for the same header (%q, then %q)", name, n)}
			}
			name, values[i] = n, v
		}
		v, err := webhook.HeaderSecret(name, values...)
		if err != nil {
			return nil, usageError{fmt.Errorf("--header-secret: %w", err)}
		}
		return webhook.WithVerifier(v), nil
	case basicAuth != "":
		user, pass, ok := strings.Cut(basicAuth, ":")
		if !ok {
			return nil, usageError{errors.New("--basic-auth: want user:pass")}
		}
		v, err := webhook.BasicAuth(user, pass)
		if err != nil {
			return nil, usageError{fmt.Errorf("--basic-auth: %w", err)}
		}
		return webhook.WithVerifier(v), nil
	case unverified:
		return webhook.AllowUnverified(), nil
	}
	return nil, usageError{errors.New("webhook listen: pass --header-secret NAME=VALUE or --basic-auth user:pass (--allow-unverified for local tests)")}
}

// listen serves the webhook handler on addr until ctx ends.
func (a *app) listen(ctx context.Context, addr string, verify webhook.HandlerOption) error {
	out := newRecords(a, webhookColumns)
	var mu sync.Mutex // one record at a time from concurrent deliveries
	printEvent := func(_ context.Context, e *webhook.Event) error {
		mu.Lock()
		defer mu.Unlock()
		return out.write(e)
	}
	log := slog.New(slog.NewTextHandler(a.stderr, nil))
	h, err := webhook.NewHandler(printEvent, verify, webhook.WithLogger(log))
	if err != nil {
		return err
	}
	a.started = true // from here on, a failure is not the command line's
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second}
	fmt.Fprintf(a.stderr, "apizee: listening for webhooks on http://%s/\n", ln.Addr())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return err
	}
	mu.Lock()
	defer mu.Unlock()
	return out.close() // the CSV header of a session without events
}
