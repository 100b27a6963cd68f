package webhook_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee"
	"github.com/apizee-go/apizee/webhook"
)

// TestSecretsSweepWebhook drives every path of the verifiers and of the
// Handler (refusals of each kind, bad configuration, failures of the
// function and of the store) with debug logging in JSON and text, and looks
// for the header secrets, the basic-auth password and the near-miss values
// a caller sent in everything that came out: the logs, every answer, every
// error and every value printed with %v, %+v, %#v and slog.
func TestSecretsSweepWebhook(t *testing.T) {
	const (
		headerSecret = "sweep-header-secret-7c1e9a"
		rotated      = "sweep-rotated-secret-3b8d2f"
		password     = "sweep-basic-password-5a0c4e"
		nearMiss     = "sweep-header-secret-7c1e9b" // a guess one character off
	)
	secrets := []string{headerSecret, rotated, password, nearMiss}
	var logs logBuffer
	opts := &slog.HandlerOptions{Level: slog.LevelDebug}
	loggers := []*slog.Logger{slog.New(slog.NewJSONHandler(&logs, opts)), slog.New(slog.NewTextHandler(&logs, opts))}
	var texts []string
	printed := func(name string, v any) {
		texts = append(texts, fmt.Sprintf("%s: %v | %+v | %#v | %s", name, v, v, v, v))
		for _, l := range loggers {
			l.Info("value", name, v)
		}
	}
	failed := func(name string, err error) {
		require.Error(t, err, name)
		for e := err; e != nil; e = errors.Unwrap(e) {
			printed(name, e)
			texts = append(texts, e.Error())
		}
	}

	// Configurations refused, each holding a secret somewhere.
	for i, bad := range [][]string{{headerSecret + " "}, {rotated, "\t" + headerSecret}, {headerSecret + "\n"}, {"", headerSecret}} {
		_, err := webhook.HeaderSecret("X-Webhook-Secret", bad...)
		failed(fmt.Sprintf("HeaderSecret %d", i), err)
	}
	_, err := webhook.HeaderSecret("X-Webhook-Secret: "+headerSecret, headerSecret)
	require.Error(t, err)
	texts = append(texts, strings.ReplaceAll(err.Error(), headerSecret, "")) // the header name is the caller's to print
	for _, pass := range []string{"", password + "\x7f"} {
		_, err := webhook.BasicAuth("apizee", pass)
		failed("BasicAuth", err)
	}
	_, err = webhook.NewHandler(func(context.Context, *webhook.Event) error { return nil })
	failed("NewHandler", err)

	hs, err := webhook.HeaderSecret("X-Webhook-Secret", headerSecret, rotated)
	require.NoError(t, err)
	ba, err := webhook.BasicAuth("apizee", password)
	require.NoError(t, err)
	printed("HeaderSecret", hs)
	printed("BasicAuth", ba)

	store := &faultyStore{Store: apizee.NewMemoryStore()}
	var calls int
	fn := func(ctx context.Context, e *webhook.Event) error {
		calls++
		switch calls {
		case 1:
			return errors.New("crm refused the update")
		case 2:
			panic("crm client bug")
		}
		printed("event", e)
		return nil
	}
	for vi, v := range []webhook.Verifier{hs, ba} {
		for _, log := range loggers {
			calls = 0
			h, err := webhook.NewHandler(fn, webhook.WithVerifier(v), webhook.WithStore(store), webhook.WithLogger(log), webhook.WithMaxBody(1024))
			require.NoError(t, err)
			printed("Handler", h)
			good := func(r *http.Request) {
				r.Header.Set("X-Webhook-Secret", headerSecret)
				r.SetBasicAuth("apizee", password)
			}
			body := strings.Replace(ticketDone, "100", fmt.Sprint(100+vi), 1)
			store.set()
			for name, tc := range map[string]struct {
				body string
				mod  func(*http.Request)
			}{
				"near miss": {body, func(r *http.Request) { r.Header.Set("X-Webhook-Secret", nearMiss); r.SetBasicAuth("apizee", nearMiss) }},
				"secret as user": {body, func(r *http.Request) {
					r.Header.Set("X-Webhook-Secret", password)
					r.SetBasicAuth(password, headerSecret)
				}},
				"twice": {body, func(r *http.Request) {
					r.Header.Add("X-Webhook-Secret", headerSecret)
					r.Header.Add("X-Webhook-Secret", nearMiss)
				}},
				"too large":        {strings.Repeat(" ", 2048) + body, good},
				"not an event":     {`{"event":"update","object":"ticket","time":"` + nearMiss + `"}`, good},
				"fn fails":         {body, good},
				"fn panics":        {body, good},
				"delivered":        {body, good},
				"duplicate":        {body, good},
				"store down":       {strings.Replace(body, "done", "closed", 1), good},
				"wrong method GET": {"", good},
			} {
				method := http.MethodPost
				if strings.HasPrefix(name, "wrong method") {
					method = http.MethodGet
				}
				if name == "store down" {
					store.set("Get", "Set", "SetNX", "CompareAndDelete")
				}
				r := httptest.NewRequest(method, "/hook", strings.NewReader(tc.body))
				r.Header.Set("X-Forwarded-For", nearMiss) // headers are never logged
				tc.mod(r)
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				b, _ := io.ReadAll(w.Result().Body)
				texts = append(texts, fmt.Sprint(w.Result().Header), string(b))
				store.set()
			}
		}
	}

	all := append(texts, logs.String())
	require.Contains(t, logs.String(), "not verified", "the sweep reached the refusals")
	require.Contains(t, logs.String(), "the store failed", "and the store failures")
	hits := 0
	for _, text := range all {
		for _, s := range secrets {
			if strings.Contains(text, s) {
				hits++
				t.Errorf("the secret %q came out in %.300q", s, text)
			}
		}
	}
	assert.Zero(t, hits)
	t.Logf("webhook secrets sweep: %d texts, %d bytes of log, %d hits", len(all), len(logs.String()), hits)
}
