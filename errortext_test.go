package apizee_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee"
	"github.com/apizee-go/apizee/apizeetest"
)

// errorPrefixes are the prefixes the packages of this module start their
// error texts with.
var errorPrefixes = []string{"apizee:", "webhook:", "apizeeredis:", "apizeetest:"}

// assertOnePrefix checks the rule every error text of the SDK follows: it
// starts with want ("apizee: ") and names a package prefix once, however
// many errors it wraps.
func assertOnePrefix(t *testing.T, want string, err error) {
	t.Helper()
	require.Error(t, err)
	text := err.Error()
	assert.True(t, strings.HasPrefix(text, want+" "), "%q does not start with %q", text, want+" ")
	for _, prefix := range errorPrefixes {
		assert.LessOrEqual(t, strings.Count(text, prefix), 1, "%q repeats %q", text, prefix)
	}
}

// errorCase is a failing call whose error text must follow the rule.
type errorCase struct {
	name string
	call func(t *testing.T) error
}

// quickRetries keeps the corpus fast: a retried call waits a millisecond.
var quickRetries = apizee.WithRetryPolicy(apizee.RetryPolicy{MaxRetries: 2, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond})

// corpusServer is e2eServer with opts for the client.
func corpusServer(t *testing.T, opts ...apizee.Option) (*apizeetest.Server, *apizee.Client) {
	t.Helper()
	srv := apizeetest.NewServer()
	t.Cleanup(srv.Close)
	c, err := apizee.NewClient(append([]apizee.Option{apizee.WithBaseURL(srv.URL), apizee.WithCredentials(srv.Username, srv.Password), quickRetries}, opts...)...)
	require.NoError(t, err)
	return srv, c
}

// corpus500 is a 500 on every request matching method and path, n times.
func corpus500(srv *apizeetest.Server, method, path string, n int) {
	for range n {
		srv.QueueFault(apizeetest.Fault{Method: method, Path: path, Status: http.StatusInternalServerError})
	}
}

type failingStore struct{}

func (failingStore) Get(context.Context, string) ([]byte, bool, error) {
	return nil, false, errors.New("apizee: store down")
}
func (failingStore) Set(context.Context, string, []byte, time.Duration) error {
	return errors.New("apizee: store down")
}
func (failingStore) SetNX(context.Context, string, []byte, time.Duration) (bool, error) {
	return false, errors.New("apizee: store down")
}
func (failingStore) CompareAndDelete(context.Context, string, []byte) (bool, error) {
	return false, errors.New("apizee: store down")
}

// laterFailingStore is a store whose reads fail once a POST was sent
// (posted is set by the test's fault): a keyed CreateOnce then fails after
// its POST.
type laterFailingStore struct {
	apizee.Store
	posted *atomic.Bool
}

func (s laterFailingStore) Get(ctx context.Context, key string) ([]byte, bool, error) {
	if s.posted.Load() {
		return nil, false, errors.New("apizee: store down")
	}
	return s.Store.Get(ctx, key)
}

type tokenSourceFunc func(ctx context.Context) (*apizee.Token, error)

func (f tokenSourceFunc) Token(ctx context.Context) (*apizee.Token, error) { return f(ctx) }

type limiterFunc func(ctx context.Context) error

func (f limiterFunc) Wait(ctx context.Context) error { return f(ctx) }

// errorCorpus is a failing call of every service and of every site that
// wraps an error in another: sentinels, SDK errors inside SDK errors
// (CreateOnce, the token, the enterprise id, statistics rows), transport
// and decoding causes, validation.
var errorCorpus = []errorCase{
	{"NewClient without a way to authenticate", func(t *testing.T) error {
		_, err := apizee.NewClient()
		return err
	}},
	{"NewClient with a plain-http base URL", func(t *testing.T) error {
		_, err := apizee.NewClient(apizee.WithBaseURL("http://example.com/api"), apizee.WithToken("t"))
		return err
	}},
	{"Tickets.Create refused before sending", func(t *testing.T) error {
		_, c := corpusServer(t)
		_, err := c.Tickets.Create(t.Context(), &apizee.CreateTicketParams{Agent: "a"})
		return err
	}},
	{"Tickets.Create refused by the API", func(t *testing.T) error {
		srv, c := corpusServer(t)
		srv.QueueFault(apizeetest.Fault{Method: http.MethodPost, Path: "/tickets", Status: http.StatusBadRequest,
			Body: `{"code":10,"message":"invalid parameter","details":"Parameter phone"}`})
		_, err := c.Tickets.Create(t.Context(), supportCase("corpus-400"))
		return err
	}},
	{"Tickets.Get of an unknown id", func(t *testing.T) error {
		_, c := corpusServer(t)
		_, err := c.Tickets.Get(t.Context(), 999999)
		return err
	}},
	{"Tickets.List after every retry", func(t *testing.T) error {
		srv, c := corpusServer(t)
		corpus500(srv, http.MethodGet, "/tickets", 3)
		_, err := c.Tickets.List(t.Context(), nil)
		return err
	}},
	{"Tickets.All on a server that ignores the offset", func(t *testing.T) error {
		srv, c := corpusServer(t)
		for range 2 {
			srv.QueueFault(apizeetest.Fault{Method: http.MethodGet, Path: "/tickets", Status: http.StatusOK,
				Body: `{"total":5,"data":[{"id":1},{"id":2}]}`})
		}
		for _, err := range c.Tickets.All(t.Context(), &apizee.ListTicketsParams{Limit: 2}) {
			if err != nil {
				return err
			}
		}
		return nil
	}},
	{"Tickets.FindByReference finds none", func(t *testing.T) error {
		_, c := corpusServer(t)
		_, err := c.Tickets.FindByReference(t.Context(), "nope")
		return err
	}},
	{"Tickets.Get of a malformed answer", func(t *testing.T) error {
		srv, c := corpusServer(t)
		srv.QueueFault(apizeetest.Fault{Method: http.MethodGet, Path: "/tickets/82070", MalformedBody: true})
		_, err := c.Tickets.Get(t.Context(), 82070)
		return err
	}},
	{"Tickets.Get of a ticket with a bad field", func(t *testing.T) error {
		srv, c := corpusServer(t)
		srv.QueueFault(apizeetest.Fault{Method: http.MethodGet, Path: "/tickets/82070", Status: http.StatusOK, Body: `{"id":82070,"created":true}`})
		_, err := c.Tickets.Get(t.Context(), 82070)
		return err
	}},
	{"Tickets.CreateOnce whose first listing fails", func(t *testing.T) error {
		srv, c := corpusServer(t)
		corpus500(srv, http.MethodGet, "/tickets", 3)
		_, err := c.Tickets.CreateOnce(t.Context(), supportCase("corpus-list"))
		return err
	}},
	{"Tickets.CreateOnce whose create and look-up both fail", func(t *testing.T) error {
		srv, c := corpusServer(t, apizee.WithRetryPolicy(apizee.RetryPolicy{MaxRetries: 0}))
		srv.QueueFault(apizeetest.Fault{Method: http.MethodPost, Path: "/tickets", Status: http.StatusInternalServerError})
		srv.QueueFault(apizeetest.Fault{Method: http.MethodGet, Path: "/tickets", Status: http.StatusOK, Body: `{"total":0,"data":[]}`})
		corpus500(srv, http.MethodGet, "/tickets", 10)
		_, err := c.Tickets.CreateOnce(t.Context(), supportCase("corpus-both"))
		return err
	}},
	{"Tickets.CreateOnce that never finds its ticket", func(t *testing.T) error {
		srv, c := corpusServer(t, apizee.WithRetryPolicy(apizee.RetryPolicy{MaxRetries: 1, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond}))
		corpus500(srv, http.MethodPost, "/tickets", 10)
		_, err := c.Tickets.CreateOnce(t.Context(), supportCase("corpus-never"))
		return err
	}},
	{"Tickets.CreateOnce whose context ends after sending", func(t *testing.T) error {
		srv, c := corpusServer(t)
		ctx, cancel := context.WithCancel(t.Context())
		srv.QueueFault(apizeetest.Fault{Method: http.MethodPost, Path: "/tickets", Status: http.StatusInternalServerError})
		srv.QueueFault(apizeetest.Fault{Method: http.MethodGet, Path: "/tickets", Status: http.StatusOK, Body: `{"total":0,"data":[]}`})
		_, err := c.Tickets.CreateOnce(ctx, supportCase("corpus-ctx"), apizee.ResponseInto(&apizee.Response{}))
		cancel()
		if err == nil {
			_, err = c.Tickets.CreateOnce(ctx, supportCase("corpus-ctx"))
		}
		return err
	}},
	{"Tickets.CreateOnce with a key on a failing store", func(t *testing.T) error {
		srv, c := corpusServer(t, apizee.WithStore(failingStore{}), apizee.WithRetryPolicy(apizee.RetryPolicy{MaxRetries: 0}))
		corpus500(srv, http.MethodGet, "/tickets", 3)
		p := supportCase("corpus-store")
		p.IdempotencyKey = "corpus-store-key"
		_, err := c.Tickets.CreateOnce(t.Context(), p)
		return err
	}},
	{"Tickets.CreateOnce with a key on a store that fails after the POST", func(t *testing.T) error {
		var posted atomic.Bool
		srv, c := corpusServer(t, apizee.WithStore(laterFailingStore{apizee.NewMemoryStore(), &posted}),
			apizee.WithHTTPClient(&http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
				if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/tickets") {
					posted.Store(true)
				}
				return http.DefaultTransport.RoundTrip(r)
			})}))
		srv.QueueFault(apizeetest.Fault{Method: http.MethodPost, Path: "/tickets", Status: http.StatusInternalServerError})
		p := supportCase("corpus-store-after")
		p.IdempotencyKey = "corpus-store-after-key"
		_, err := c.Tickets.CreateOnce(t.Context(), p)
		return err
	}},
	{"Tickets.CreateOnce with a key reused for another reference", func(t *testing.T) error {
		_, c := corpusServer(t)
		p := supportCase("corpus-key-a")
		p.IdempotencyKey = "corpus-key"
		_, err := c.Tickets.CreateOnce(t.Context(), p)
		require.NoError(t, err)
		p = supportCase("corpus-key-b")
		p.IdempotencyKey = "corpus-key"
		_, err = c.Tickets.CreateOnce(t.Context(), p)
		return err
	}},
	{"Conferences.Create without the feature", func(t *testing.T) error {
		srv := apizeetest.NewServer(apizeetest.WithConferencesDisabled())
		t.Cleanup(srv.Close)
		c, err := apizee.NewClient(apizee.WithBaseURL(srv.URL), apizee.WithCredentials(srv.Username, srv.Password))
		require.NoError(t, err)
		_, err = c.Conferences.Create(t.Context(), &apizee.CreateConferenceParams{Participants: []string{"a@example.com"}})
		return err
	}},
	{"Conferences.FindByName finds none", func(t *testing.T) error {
		_, c := corpusServer(t)
		_, err := c.Conferences.FindByName(t.Context(), "nope")
		return err
	}},
	{"Conferences.Delete of an unknown room", func(t *testing.T) error {
		_, c := corpusServer(t)
		return c.Conferences.Delete(t.Context(), 999999)
	}},
	{"Conferences.GetWith of a malformed answer", func(t *testing.T) error {
		srv, c := corpusServer(t)
		srv.QueueFault(apizeetest.Fault{Method: http.MethodGet, Path: "/conferences/842341", Status: http.StatusOK, Body: `{"name":"no id"}`})
		_, err := c.Conferences.GetWith(t.Context(), 842341, &apizee.GetConferenceParams{SSO: true})
		return err
	}},
	{"Conferences.CreateOnce whose create and look-up both fail", func(t *testing.T) error {
		srv, c := corpusServer(t, apizee.WithRetryPolicy(apizee.RetryPolicy{MaxRetries: 0}))
		srv.QueueFault(apizeetest.Fault{Method: http.MethodPost, Path: "/conferences", Status: http.StatusInternalServerError})
		srv.QueueFault(apizeetest.Fault{Method: http.MethodGet, Path: "/conferences", Status: http.StatusOK, Body: `{"total":0,"data":[]}`})
		corpus500(srv, http.MethodGet, "/conferences", 10)
		_, err := c.Conferences.CreateOnce(t.Context(), &apizee.CreateConferenceParams{Name: "corpus room", Participants: []string{"a@example.com"}})
		return err
	}},
	{"Media.ListForTicket without an enterprise id", func(t *testing.T) error {
		srv, c := corpusServer(t)
		corpus500(srv, http.MethodGet, "/users/me", 3)
		_, err := c.Media.ListForTicket(t.Context(), 663614, nil)
		return err
	}},
	{"Media.ListForTicket with an unknown status", func(t *testing.T) error {
		_, c := corpusServer(t)
		_, err := c.Media.ListForTicket(t.Context(), 663614, &apizee.ListMediaParams{Status: []string{""}})
		return err
	}},
	{"Media.Download of a short body", func(t *testing.T) error {
		srv, c := corpusServer(t)
		url := srv.AddTicketMedia(663614, 1<<16)
		u := strings.TrimPrefix(url, srv.URL[:strings.Index(srv.URL, "/api")])
		srv.QueueFault(apizeetest.Fault{Method: http.MethodGet, Path: u, ShortBody: true})
		_, err := c.Media.Download(t.Context(), &apizee.Media{URL: url}, io.Discard)
		return err
	}},
	{"Media.Open of an HTML page", func(t *testing.T) error {
		srv, c := corpusServer(t)
		url := srv.AddTicketMedia(663614, 1<<10)
		u := strings.TrimPrefix(url, srv.URL[:strings.Index(srv.URL, "/api")])
		srv.QueueFault(apizeetest.Fault{Method: http.MethodGet, Path: u, MalformedBody: true})
		_, err := c.Media.Open(t.Context(), &apizee.Media{URL: url})
		return err
	}},
	{"Media.Open of a relative URL", func(t *testing.T) error {
		_, c := corpusServer(t)
		_, err := c.Media.Open(t.Context(), &apizee.Media{URL: "/media/x"})
		return err
	}},
	{"Stats.Tickets with a column of the wrong kind", func(t *testing.T) error {
		srv, c := corpusServer(t)
		srv.QueueFault(apizeetest.Fault{Method: http.MethodGet, Path: "/enterprises/1/tickets-stats", Status: http.StatusOK,
			Body: `[{"ID":1,"Durée totale des appels (secondes)":-5}]`})
		_, err := c.Stats.Tickets(t.Context(), nil)
		return err
	}},
	{"Stats.Tickets with a column that is not a number", func(t *testing.T) error {
		srv, c := corpusServer(t)
		srv.QueueFault(apizeetest.Fault{Method: http.MethodGet, Path: "/enterprises/1/tickets-stats", Status: http.StatusOK,
			Body: `[{"ID":1,"Photos":"many"}]`})
		_, err := c.Stats.Tickets(t.Context(), nil)
		return err
	}},
	{"Stats.Tickets of a period that ends before it starts", func(t *testing.T) error {
		_, c := corpusServer(t)
		_, err := c.Stats.Tickets(t.Context(), &apizee.TicketStatsParams{Since: time.Now(), Until: time.Now().Add(-48 * time.Hour)})
		return err
	}},
	{"Sessions.List after every retry", func(t *testing.T) error {
		srv, c := corpusServer(t)
		corpus500(srv, http.MethodGet, "/session", 3)
		_, err := c.Sessions.List(t.Context(), nil)
		return err
	}},
	{"Sessions.List of a session without an id", func(t *testing.T) error {
		srv, c := corpusServer(t)
		srv.QueueFault(apizeetest.Fault{Method: http.MethodGet, Path: "/session", Status: http.StatusOK, Body: `{"total":1,"data":[{"type":"conference"}]}`})
		_, err := c.Sessions.List(t.Context(), nil)
		return err
	}},
	{"Do refused before sending", func(t *testing.T) error {
		_, c := corpusServer(t)
		_, err := c.Do(t.Context(), http.MethodGet, "../users", nil, nil)
		return err
	}},
	{"Do of an unknown endpoint", func(t *testing.T) error {
		_, c := corpusServer(t)
		_, err := c.Do(t.Context(), http.MethodGet, "/reports", nil, nil)
		return err
	}},
	{"Do into the wrong type", func(t *testing.T) error {
		_, c := corpusServer(t)
		var out []string
		_, err := c.Do(t.Context(), http.MethodGet, "/tickets/82070", nil, &out)
		return err
	}},
	{"a call with credentials the token endpoint refuses", func(t *testing.T) error {
		srv := apizeetest.NewServer()
		t.Cleanup(srv.Close)
		c, err := apizee.NewClient(apizee.WithBaseURL(srv.URL), apizee.WithCredentials(srv.Username, "wrong"))
		require.NoError(t, err)
		_, err = c.Tickets.Get(t.Context(), 82070)
		return err
	}},
	{"a call whose token fetch fails", func(t *testing.T) error {
		srv, c := corpusServer(t)
		corpus500(srv, http.MethodPost, "/token", 3)
		_, err := c.Tickets.Get(t.Context(), 82070)
		return err
	}},
	{"a call whose token source fails", func(t *testing.T) error {
		srv := apizeetest.NewServer()
		t.Cleanup(srv.Close)
		c, err := apizee.NewClient(apizee.WithBaseURL(srv.URL), apizee.WithTokenSource(tokenSourceFunc(func(context.Context) (*apizee.Token, error) {
			return nil, errors.New("vault sealed")
		})))
		require.NoError(t, err)
		_, err = c.Tickets.Get(t.Context(), 82070)
		return err
	}},
	{"a call whose token source returns an SDK error", func(t *testing.T) error {
		srv := apizeetest.NewServer()
		t.Cleanup(srv.Close)
		c, err := apizee.NewClient(apizee.WithBaseURL(srv.URL), apizee.WithTokenSource(tokenSourceFunc(func(context.Context) (*apizee.Token, error) {
			return nil, apizee.ErrUnauthorized
		})))
		require.NoError(t, err)
		_, err = c.Tickets.Get(t.Context(), 82070)
		return err
	}},
	{"a call whose token source returns no token", func(t *testing.T) error {
		srv := apizeetest.NewServer()
		t.Cleanup(srv.Close)
		c, err := apizee.NewClient(apizee.WithBaseURL(srv.URL), apizee.WithTokenSource(tokenSourceFunc(func(context.Context) (*apizee.Token, error) {
			return nil, nil
		})))
		require.NoError(t, err)
		_, err = c.Tickets.Get(t.Context(), 82070)
		return err
	}},
	{"a call whose context has ended", func(t *testing.T) error {
		_, c := corpusServer(t)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err := c.Tickets.Get(ctx, 82070)
		return err
	}},
	{"Tickets.All whose context has ended", func(t *testing.T) error {
		_, c := corpusServer(t)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		for _, err := range c.Tickets.All(ctx, nil) {
			if err != nil {
				return err
			}
		}
		return nil
	}},
	{"Stats.Tickets whose context has ended", func(t *testing.T) error {
		_, c := corpusServer(t)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err := c.Stats.Tickets(ctx, nil)
		return err
	}},
	{"Tickets.CreateOnce with a key whose context has ended", func(t *testing.T) error {
		_, c := corpusServer(t)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		p := supportCase("corpus-key-ctx")
		p.IdempotencyKey = "corpus-key-ctx"
		_, err := c.Tickets.CreateOnce(ctx, p)
		return err
	}},
	{"NewMemoryStore with an ended context", func(t *testing.T) error {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, _, err := apizee.NewMemoryStore().Get(ctx, "k")
		return err
	}},
	{"NewRateLimiter with an ended context", func(t *testing.T) error {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		return apizee.NewRateLimiter(1, time.Minute).Wait(ctx)
	}},
	{"NewRateLimiter past the deadline", func(t *testing.T) error {
		l := apizee.NewRateLimiter(1, time.Hour)
		require.NoError(t, l.Wait(t.Context()))
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		return l.Wait(ctx)
	}},
	{"a call with a nil context", func(t *testing.T) error {
		_, c := corpusServer(t)
		//lint:ignore SA1012 the nil context is the point
		_, err := c.Tickets.Get(nil, 82070)
		return err
	}},
	{"a call the rate limiter refuses", func(t *testing.T) error {
		_, c := corpusServer(t, apizee.WithRateLimiter(limiterFunc(func(context.Context) error { return errors.New("no budget") })))
		_, err := c.Tickets.Get(t.Context(), 82070)
		return err
	}},
	{"a call the rate limiter holds back", func(t *testing.T) error {
		_, c := corpusServer(t, apizee.WithRateLimiter(limiterFunc(func(context.Context) error {
			return &apizee.BudgetWaitError{Wait: time.Hour, Until: time.Now().Add(time.Hour), Reason: "past RetryPolicy.MaxRetryAfter"}
		})))
		_, err := c.Tickets.Get(t.Context(), 82070)
		return err
	}},
	{"a call the server asks to wait too long", func(t *testing.T) error {
		srv, c := corpusServer(t)
		srv.QueueFault(apizeetest.Fault{Method: http.MethodGet, Path: "/tickets/82070", Status: http.StatusTooManyRequests,
			Header: http.Header{"Retry-After": {"3600"}}})
		_, err := c.Tickets.Get(t.Context(), 82070)
		return err
	}},
	{"a call held back by the client for the server's wait", func(t *testing.T) error {
		srv, c := corpusServer(t)
		srv.QueueFault(apizeetest.Fault{Method: http.MethodGet, Path: "/tickets/82070", Status: http.StatusTooManyRequests,
			Header: http.Header{"Retry-After": {"3600"}}})
		_, err := c.Tickets.Get(t.Context(), 82070)
		require.Error(t, err)
		_, err = c.Tickets.Get(t.Context(), 82070)
		require.ErrorIs(t, err, apizee.ErrBudgetWait)
		return err
	}},
	{"Close whose revocation fails", func(t *testing.T) error {
		srv, c := corpusServer(t)
		_, err := c.Tickets.Get(t.Context(), 82070)
		require.NoError(t, err)
		corpus500(srv, http.MethodPost, "/token/revoke", 1)
		return c.Close(t.Context())
	}},
	{"UnmarshalJSON of a ticket without an id", func(t *testing.T) error {
		var tk apizee.Ticket
		return json.Unmarshal([]byte(`{"state":"done"}`), &tk)
	}},
	{"UnmarshalJSON of a conference without an id", func(t *testing.T) error {
		var c apizee.Conference
		return json.Unmarshal([]byte(`{"name":"x"}`), &c)
	}},
	{"UnmarshalJSON of a session without an id", func(t *testing.T) error {
		var s apizee.Session
		return json.Unmarshal([]byte(`{"type":"conference"}`), &s)
	}},
	{"UnmarshalJSON of a statistics row with a bad column", func(t *testing.T) error {
		var s apizee.TicketStat
		return json.Unmarshal([]byte(`{"ID":1,"Photos":"many"}`), &s)
	}},
}

func TestEveryErrorTextStartsWithThePrefixOnce(t *testing.T) {
	for _, tc := range errorCorpus {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call(t)
			t.Log(err)
			assertOnePrefix(t, "apizee:", err)
		})
	}
}

func TestErrorsWrappedWithoutTheirPrefixStillMatch(t *testing.T) {
	_, c := corpusServer(t)
	_, err := c.Tickets.FindByReference(t.Context(), "nope")
	assert.ErrorIs(t, err, apizee.ErrNotFound)
	assert.Equal(t, apizee.ErrNotFound, errors.Unwrap(err), "the sentinel is the error wrapped, as with fmt.Errorf")
	assert.Equal(t, `apizee: no ticket with reference "nope": not found`, err.Error())

	_, err = c.Conferences.FindByName(t.Context(), "nope")
	assert.ErrorIs(t, err, apizee.ErrNotFound)
	assert.Equal(t, `apizee: no conference is named "nope": not found`, err.Error())
}
