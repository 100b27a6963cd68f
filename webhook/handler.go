package webhook

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sync"
	"time"

	"github.com/apizee-go/apizee"
	"github.com/apizee-go/apizee/internal/boundedstore"
)

// Defaults of NewHandler.
const (
	DefaultMaxBody = 1 << 20 // bytes of a body, 1 MiB
	// DefaultDeliveredTTL is how long a delivered event is remembered: a
	// redelivery within it is answered 200 without calling the function.
	DefaultDeliveredTTL = 24 * time.Hour
	// DefaultClaimTTL is how long a delivery being handled holds its event:
	// the function's context ends then, and the claim of a handler that
	// died mid-function lapses then.
	DefaultClaimTTL = 2 * time.Minute
)

// storeTimeout bounds each call to the store of WithStore, even one that
// ignores its context: past it the handler de-duplicates in its own memory
// instead.
const storeTimeout = 5 * time.Second

// storeKeyPrefix starts the store key of every event.
const storeKeyPrefix = "webhook:event:"

// deliveredValue is what the store holds for a delivered event; a claim
// holds claimPrefix and a random token.
var (
	deliveredValue = []byte("delivered")
	claimPrefix    = "processing "
)

// HandlerOption configures NewHandler.
type HandlerOption func(*handlerConfig) error

type handlerConfig struct {
	verifier     Verifier
	unverified   bool
	store        apizee.Store
	maxBody      int64
	logger       *slog.Logger
	deliveredTTL time.Duration
	claimTTL     time.Duration
}

// WithVerifier sets how deliveries are verified: HeaderSecret, BasicAuth,
// or a Verifier of your own. NewHandler needs one unless AllowUnverified is
// given.
func WithVerifier(v Verifier) HandlerOption {
	return func(c *handlerConfig) error {
		if v == nil {
			return &apizee.ValidationError{Field: "Verifier", Reason: "is nil"}
		}
		c.verifier = v
		return nil
	}
}

// AllowUnverified lets NewHandler build without a verifier: anyone who can
// reach the URL can then make the function run. For local development only.
func AllowUnverified() HandlerOption {
	return func(c *handlerConfig) error {
		c.unverified = true
		return nil
	}
}

// WithStore keeps the record of events being handled and delivered in s,
// so that replicas sharing it (apizeeredis.NewStore) run the function once
// per event. The default is a store in this handler's memory.
func WithStore(s apizee.Store) HandlerOption {
	return func(c *handlerConfig) error {
		if s == nil {
			return &apizee.ValidationError{Field: "Store", Reason: "is nil"}
		}
		c.store = s
		return nil
	}
}

// WithMaxBody sets the largest body read, in bytes (DefaultMaxBody): a
// longer one is answered 413 without reading on.
func WithMaxBody(n int64) HandlerOption {
	return func(c *handlerConfig) error {
		if n <= 0 {
			return &apizee.ValidationError{Field: "MaxBody", Reason: fmt.Sprintf("%d is not a positive number of bytes", n)}
		}
		c.maxBody = n
		return nil
	}
}

// WithLogger sets where the handler reports refused deliveries (Warn),
// failures of the function and of the store (Error, Warn) and deliveries
// (Debug). The default is slog.Default(); nil discards. It logs no secret,
// no header value and no body: events by object, action, objectId and key.
func WithLogger(l *slog.Logger) HandlerOption {
	return func(c *handlerConfig) error {
		if l == nil {
			l = slog.New(slog.DiscardHandler)
		}
		c.logger = l
		return nil
	}
}

// WithDeliveredTTL sets how long a delivered event is remembered
// (DefaultDeliveredTTL). A redelivery later than that runs the function
// again.
func WithDeliveredTTL(d time.Duration) HandlerOption {
	return func(c *handlerConfig) error {
		if d <= 0 {
			return &apizee.ValidationError{Field: "DeliveredTTL", Reason: fmt.Sprintf("%v is not a positive duration", d)}
		}
		c.deliveredTTL = d
		return nil
	}
}

// WithClaimTTL sets how long one delivery may handle its event
// (DefaultClaimTTL): the function's context ends then, and a claim left by a
// handler that died lapses then, so that a redelivery runs the function.
// Make it longer than the function ever takes: a function that ignores its
// context past it may run beside a redelivery's.
func WithClaimTTL(d time.Duration) HandlerOption {
	return func(c *handlerConfig) error {
		if d <= 0 {
			return &apizee.ValidationError{Field: "ClaimTTL", Reason: fmt.Sprintf("%v is not a positive duration", d)}
		}
		c.claimTTL = d
		return nil
	}
}

// Handler receives Apizee's webhook deliveries and runs a function once per
// event: an http.Handler to mount at the URL set in the console. Build it
// with NewHandler.
type Handler struct {
	fn  func(ctx context.Context, e *Event) error
	cfg handlerConfig
	// shared is the store of WithStore, each call bounded by storeTimeout;
	// nil without one.
	shared apizee.Store
	// local is this handler's memory: its store without WithStore, where
	// it de-duplicates when shared fails.
	local apizee.Store

	mu      sync.Mutex
	running map[string]bool // the keys of the events fn is running for
}

// NewHandler returns a Handler that verifies each delivery, parses its
// event and calls fn with it, once per event however many times it comes.
// Its answers:
//
//   - 405 to a method other than POST;
//   - 401 when verification fails, saying nothing of why (the log says);
//   - 413 to a body over the cap (WithMaxBody), read no further;
//   - 400 to a body that is not an event (the answer names the field);
//   - 200 to an event already delivered, without calling fn;
//   - 409 to an event another delivery is handling right now: it is not
//     delivered yet, and the sender may try again;
//   - 500 when fn returns an error or panics: the event is not marked
//     delivered, so a redelivery runs fn again;
//   - 200 once fn returned nil.
//
// An action or object this package has no constant for is passed to fn,
// never refused. fn's context is the request's (its deadline, its values,
// its end when the sender hangs up), ending at the latest when the
// delivery's claim does (WithClaimTTL).
//
// De-duplication: the first delivery of an event claims its Key in the
// store (SetNX, for WithClaimTTL), runs fn, then records the event as
// delivered (for WithDeliveredTTL) or, when fn failed, drops its claim.
// While fn runs, other deliveries of the event to this handler get 409,
// even past the claim. A store that fails (WithStore on a Redis that is
// down), does not answer within 5 seconds, or panics is not fatal: the
// handler then de-duplicates in its own memory, as a handler without a
// store does, and logs it; replicas may then each run fn once for the same
// event. Apizee asks receivers to tolerate an event twice anyway: keep fn
// idempotent (read the object through the client, compare with what you
// hold).
//
// Serve it from an http.Server with ReadHeaderTimeout and ReadTimeout set:
// the body cap bounds memory, the server's timeouts bound a client that
// sends slowly.
//
// Errors (*apizee.ValidationError): a nil fn, no verifier without
// AllowUnverified, an invalid option.
func NewHandler(fn func(ctx context.Context, e *Event) error, opts ...HandlerOption) (*Handler, error) {
	if fn == nil {
		return nil, &apizee.ValidationError{Field: "Fn", Reason: "is nil"}
	}
	cfg := handlerConfig{
		maxBody:      DefaultMaxBody,
		logger:       slog.Default(),
		deliveredTTL: DefaultDeliveredTTL,
		claimTTL:     DefaultClaimTTL,
	}
	for _, opt := range opts {
		if err := opt(&cfg); err != nil {
			return nil, err
		}
	}
	if cfg.verifier == nil && !cfg.unverified {
		return nil, &apizee.ValidationError{Field: "Verifier",
			Reason: "none given: pass WithVerifier(HeaderSecret(...)) or WithVerifier(BasicAuth(...)); AllowUnverified() for local development only"}
	}
	h := &Handler{fn: fn, cfg: cfg, local: apizee.NewMemoryStore(), running: map[string]bool{}}
	if cfg.store != nil {
		h.shared = &boundedstore.Bounded{Store: cfg.store, Timeout: storeTimeout}
	}
	return h, nil
}

// ServeHTTP handles one delivery.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		refuseUnread(w, http.StatusMethodNotAllowed, http.StatusText(http.StatusMethodNotAllowed))
		return
	}
	log := h.cfg.logger.With(slog.String("remote_addr", r.RemoteAddr))
	if v := h.cfg.verifier; v != nil {
		if err := v.Verify(r); err != nil {
			log.LogAttrs(r.Context(), slog.LevelWarn, "webhook: delivery refused: not verified", slog.String("reason", err.Error()))
			refuseUnread(w, http.StatusUnauthorized, http.StatusText(http.StatusUnauthorized))
			return
		}
	}
	body, ok := h.readBody(w, r, log)
	if !ok {
		return
	}
	e, err := Parse(body)
	if err != nil {
		log.LogAttrs(r.Context(), slog.LevelWarn, "webhook: delivery refused", slog.String("reason", err.Error()))
		plain(w, http.StatusBadRequest, err.Error())
		return
	}
	h.deliver(w, r, e, log.With(slog.String("object", string(e.Object)), slog.String("action", string(e.Action)),
		slog.String("object_id", e.ObjectID)))
}

// readBody reads the body under the cap, answering 413 past it; a body
// that announces more than the cap is not read at all.
func (h *Handler) readBody(w http.ResponseWriter, r *http.Request, log *slog.Logger) ([]byte, bool) {
	tooLarge := func() ([]byte, bool) {
		log.LogAttrs(r.Context(), slog.LevelWarn, "webhook: delivery refused: body too large", slog.Int64("max_body", h.cfg.maxBody))
		refuseUnread(w, http.StatusRequestEntityTooLarge, http.StatusText(http.StatusRequestEntityTooLarge))
		return nil, false
	}
	if r.ContentLength > h.cfg.maxBody {
		return tooLarge()
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.cfg.maxBody))
	var maxErr *http.MaxBytesError
	switch {
	case errors.As(err, &maxErr):
		return tooLarge()
	case err != nil:
		log.LogAttrs(r.Context(), slog.LevelWarn, "webhook: delivery refused: reading the body failed", slog.String("error", err.Error()))
		plain(w, http.StatusBadRequest, "the body could not be read")
		return nil, false
	}
	return body, true
}

// claimResult is what claiming an event found.
type claimResult int

const (
	claimed   claimResult = iota // this delivery handles the event
	delivered                    // an earlier delivery handled it
	inFlight                     // another delivery is handling it
)

// deliver runs fn once per event, through the claim protocol described at
// NewHandler.
func (h *Handler) deliver(w http.ResponseWriter, r *http.Request, e *Event, log *slog.Logger) {
	eventKey := e.Key()
	key := storeKeyPrefix + eventKey
	log = log.With(slog.String("key", eventKey))
	if !h.startRunning(key) {
		conflict(w, r, log)
		return
	}
	defer h.stopRunning(key)
	claim := newClaim()
	start := time.Now()
	// The store calls keep the request's values, not its end: a sender that
	// hangs up after fn succeeded must not keep the delivery from being
	// recorded. Each call to a shared store is bounded by storeTimeout.
	storeCtx := context.WithoutCancel(r.Context())
	store, result := h.claim(storeCtx, key, claim, log)
	switch result {
	case delivered:
		log.LogAttrs(r.Context(), slog.LevelDebug, "webhook: duplicate delivery: already delivered")
		plain(w, http.StatusOK, "duplicate: already delivered")
		return
	case inFlight:
		conflict(w, r, log)
		return
	}

	// fn's context ends with the claim: once it lapses, a redelivery to
	// another replica may claim the event and run fn again.
	ctx, cancel := context.WithDeadline(r.Context(), start.Add(h.cfg.claimTTL))
	err := h.call(ctx, e)
	cancel()
	if err != nil {
		if _, aerr := store.CompareAndDelete(storeCtx, key, claim); aerr != nil {
			log.LogAttrs(r.Context(), slog.LevelWarn, "webhook: dropping the claim failed: redeliveries get 409 until it lapses",
				slog.Duration("claim_ttl", h.cfg.claimTTL), slog.String("error", aerr.Error()))
		}
		var p *panicError
		if errors.As(err, &p) {
			log.LogAttrs(r.Context(), slog.LevelError, "webhook: the function panicked: not delivered",
				slog.String("panic", fmt.Sprint(p.value)), slog.String("stack", string(p.stack)))
			if p.value == http.ErrAbortHandler {
				panic(http.ErrAbortHandler) // the function asked net/http to abort the answer
			}
		} else {
			log.LogAttrs(r.Context(), slog.LevelError, "webhook: the function failed: not delivered", slog.String("error", err.Error()))
		}
		plain(w, http.StatusInternalServerError, "the event was not handled: deliver it again")
		return
	}
	h.markDelivered(storeCtx, store, key, log)
	log.LogAttrs(r.Context(), slog.LevelDebug, "webhook: delivered", slog.Duration("duration", time.Since(start)))
	plain(w, http.StatusOK, "delivered")
}

// conflict answers a delivery of an event that another delivery is
// handling.
func conflict(w http.ResponseWriter, r *http.Request, log *slog.Logger) {
	log.LogAttrs(r.Context(), slog.LevelInfo, "webhook: delivery refused: another delivery of this event is being handled")
	plain(w, http.StatusConflict, "another delivery of this event is being handled: not delivered yet")
}

// startRunning marks key as run by this handler, and reports false if it
// already was: fn still runs for the event, even past its claim.
func (h *Handler) startRunning(key string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.running[key] {
		return false
	}
	h.running[key] = true
	return true
}

func (h *Handler) stopRunning(key string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.running, key)
}

// claim claims key in the shared store, or in the handler's memory when
// there is none or it fails, and returns the store that holds the claim.
func (h *Handler) claim(ctx context.Context, key string, claim []byte, log *slog.Logger) (apizee.Store, claimResult) {
	if h.shared != nil {
		result, err := h.claimIn(ctx, h.shared, key, claim)
		if err == nil {
			return h.shared, result
		}
		log.LogAttrs(ctx, slog.LevelWarn, "webhook: the store failed: de-duplicating in this process only", slog.String("error", err.Error()))
	}
	// The memory store fails only once its context ended, and ctx does not
	// end.
	result, _ := h.claimIn(ctx, h.local, key, claim)
	return h.local, result
}

// claimIn claims key in s. An error is a failure of SetNX: the store could
// not say whether the event is held. When SetNX finds the key held but the
// Get that follows fails, the event is held by someone: inFlight.
func (h *Handler) claimIn(ctx context.Context, s apizee.Store, key string, claim []byte) (claimResult, error) {
	for range 3 { // the key may lapse or be dropped between SetNX and Get
		set, err := s.SetNX(ctx, key, claim, h.cfg.claimTTL)
		if err != nil {
			return 0, err
		}
		if set {
			return claimed, nil
		}
		value, found, err := s.Get(ctx, key)
		switch {
		case err != nil:
			return inFlight, nil
		case !found:
			continue
		case bytes.Equal(value, deliveredValue):
			return delivered, nil
		}
		return inFlight, nil
	}
	return inFlight, nil
}

// markDelivered records the event as delivered in the store that held its
// claim and, when that was the handler's memory for a shared store that
// failed, in that store too, which may be back.
func (h *Handler) markDelivered(ctx context.Context, store apizee.Store, key string, log *slog.Logger) {
	if err := store.Set(ctx, key, deliveredValue, h.cfg.deliveredTTL); err != nil {
		log.LogAttrs(ctx, slog.LevelWarn, "webhook: recording the delivery failed: a redelivery after the claim lapses runs the function again",
			slog.Duration("claim_ttl", h.cfg.claimTTL), slog.String("error", err.Error()))
	}
	if store == h.local && h.shared != nil {
		_ = h.shared.Set(ctx, key, deliveredValue, h.cfg.deliveredTTL) // best effort: it failed a moment ago
	}
}

// panicError is a panic of fn, recovered.
type panicError struct {
	value any
	stack []byte
}

func (p *panicError) Error() string { return fmt.Sprintf("panic: %v", p.value) }

// call runs fn, turning a panic into a *panicError.
func (h *Handler) call(ctx context.Context, e *Event) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &panicError{value: v, stack: debug.Stack()}
		}
	}()
	return h.fn(ctx, e)
}

// newClaim returns a claim value no other delivery holds.
func newClaim() []byte {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails
	return []byte(claimPrefix + hex.EncodeToString(b))
}

// refuseUnread answers a request whose body the handler did not read,
// and closes the connection after the answer. Otherwise net/http would
// read up to 256 KiB of the body first, to reuse the connection, and a
// client that announced a body and never sends it would hold the
// connection (forever on a server without ReadTimeout) before getting its
// refusal.
func refuseUnread(w http.ResponseWriter, status int, text string) {
	w.Header().Set("Connection", "close")
	plain(w, status, text)
}

// plain answers status with a one-line text body.
func plain(w http.ResponseWriter, status int, text string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, text+"\n")
}
