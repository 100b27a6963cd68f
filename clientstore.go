package apizee

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/apizee-go/apizee/internal/boundedstore"
	"github.com/apizee-go/apizee/internal/redact"
)

// storeTimeout bounds each call to a Store: a store that hangs (a Redis
// behind a dead network) makes the client go on without it, not wait.
const storeTimeout = 2 * time.Second

// clientStore is how a client uses its stores: the shared one of WithStore,
// if any, and its own in memory, which keeps its CreateOnce keys without
// WithStore and after the shared store failed.
type clientStore struct {
	// shared is the store of WithStore as the client calls it: each call
	// bounded by storeTimeout even if the store ignores its context, a panic
	// of the store an error, and after the store hung, every call failing
	// at once for storeCooldown. Nil without WithStore.
	shared *boundedstore.Bounded
	own    Store
	// scope names the account in every key: the base URL and the user (or a
	// hash of the assertion), never a secret. Keys are built from escaped
	// parts joined by ':', so no two users or keys can share one; clients on
	// a fixed token or a token source share their base URL's (see
	// WithStore).
	scope  string
	logger *slog.Logger
	// masked are the secrets masked in a store's error before it is logged:
	// a store may quote the value it was given.
	masked []string
	warned atomic.Bool
}

func newClientStore(cfg *config) *clientStore {
	s := &clientStore{own: NewMemoryStore(), scope: accountScope(cfg), logger: cfg.logger,
		masked: []string{cfg.password, cfg.assertion, cfg.token}}
	if cfg.store != nil {
		s.shared = &boundedstore.Bounded{Store: cfg.store, Timeout: storeTimeout, Cooldown: storeCooldown}
	}
	return s
}

// accountScope names the account of cfg for store keys: base URL and user
// for a password grant, a hash of the assertion for a JWT grant, and the
// base URL alone for a fixed token or a token source (whose user the client
// does not know).
func accountScope(cfg *config) string {
	base := url.QueryEscape(cfg.baseURLString())
	switch {
	case cfg.username != "":
		return base + ":user:" + url.QueryEscape(cfg.username)
	case cfg.assertion != "":
		sum := sha256.Sum256([]byte(cfg.assertion))
		return base + ":jwt:" + hex.EncodeToString(sum[:16])
	}
	return base + ":token"
}

// warn logs, once in the client's life, that the shared store failed and
// the client went on without it. The error is logged with the client's
// secrets masked, and with secrets, what the failed call gave the store (a
// token), since a store's error may quote the value it was given.
func (s *clientStore) warn(ctx context.Context, what string, err error, secrets ...string) {
	if s.logger == nil || !s.warned.CompareAndSwap(false, true) {
		return
	}
	text := err.Error()
	for _, secret := range append(secrets, s.masked...) {
		if secret != "" {
			text = strings.ReplaceAll(text, secret, redact.Mask)
		}
	}
	s.logger.LogAttrs(ctx, slog.LevelWarn, "apizee: the store failed; this client goes on without it (said once)",
		slog.String("while", what), slog.String("error", redact.String(text)))
}

// storeCooldown is how long a client goes on without a shared store that
// hung (two calls in a row did not answer within storeTimeout) before it
// asks it again (see boundedstore.Bounded). One slow answer is not a hang:
// the next call asks the store again, so that the keys stay shared.
const storeCooldown = 30 * time.Second

// detached returns a context for a store write that must happen even though
// the caller's context ended (recording what was created, releasing a
// lock), bounded by storeTimeout.
func detached(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
}

// newOwnerID returns a random id naming one holder of a lock or claim.
func newOwnerID() []byte {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return []byte(hex.EncodeToString(b))
}

// poller spaces the looks of a caller waiting on another's lock or claim:
// from 20 ms, doubling up to half a second. It also tells how long the
// caller has waited, which bounds the wait on a lock or claim that a store
// keeps past its expiry.
type poller struct {
	next  time.Duration
	since time.Time // the first wait; zero: none yet
}

func (p *poller) wait(ctx context.Context) error {
	if p.since.IsZero() {
		p.since = time.Now()
	}
	d := max(p.next, 20*time.Millisecond)
	p.next = min(2*d, 500*time.Millisecond)
	return sleep(ctx, d)
}

// waited is how long since the first wait.
func (p *poller) waited() time.Duration {
	if p.since.IsZero() {
		return 0
	}
	return time.Since(p.since)
}
