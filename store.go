package apizee

import (
	"bytes"
	"context"
	"sync"
	"time"
)

// Store is a small key-value store with expiry, shared by every client that
// uses it: the replicas of a service on Redis (package apizeeredis), or the
// clients of one process in memory (NewMemoryStore). The SDK keeps in it the
// token of each credential, the record of each CreateOnce idempotency key,
// and (package webhook) the events already delivered. It never keeps a
// password or an assertion there, in a key or a value.
//
// A ttl of zero or less means the entry does not expire. Implementations must
// be safe for concurrent use, SetNX and CompareAndDelete must be atomic
// against every other user of the same store, and Get must see every write
// that completed before it (not a replica's lagging copy): a stale read lets
// a second caller create what the first already did.
type Store interface {
	// Get returns the value of key, and found false when there is none (or
	// it expired).
	Get(ctx context.Context, key string) (value []byte, found bool, err error)
	// Set stores value under key, replacing any value there.
	Set(ctx context.Context, key string, value []byte, ttl time.Duration) error
	// SetNX stores value under key only if key holds nothing, and reports
	// whether it did.
	SetNX(ctx context.Context, key string, value []byte, ttl time.Duration) (set bool, err error)
	// CompareAndDelete deletes key only if it holds exactly value, and
	// reports whether it did.
	CompareAndDelete(ctx context.Context, key string, value []byte) (deleted bool, err error)
}

// NewMemoryStore returns a Store that lives in this process's memory: share
// it between clients (and webhook handlers) of one process. Expired entries
// are dropped when they are next touched, and by a sweep of the whole store
// each time it has doubled since the last one, so that memory stays within
// about twice the entries still alive.
func NewMemoryStore() Store {
	return &memoryStore{entries: map[string]memoryEntry{}, now: time.Now}
}

// WithStore makes the client keep its token and its CreateOnce idempotency
// records in s, so that every client on the same store (replicas through
// Redis, clients of one process in memory) shares one token per credential
// and creates each keyed ticket or room once. A store that fails is not
// fatal: the client then behaves as it would without one. Each call to s is
// bounded to 2 seconds, and after two in a row that timed out the client
// leaves s alone for 30 seconds, so that a store that hangs costs two waits,
// not one per call (one slow answer is not a hang).
//
// Keys are scoped by the base URL and the username, or a hash of the JWT
// assertion. A client on WithToken or WithTokenSource does not know its user
// and is scoped by its base URL alone: clients of different Apizee accounts
// authenticated that way must not share a store (or a key prefix), or one
// account's CreateOnce keys would answer for the other's.
func WithStore(s Store) Option {
	return func(c *config) error {
		if s == nil {
			return invalid("Store", "is nil")
		}
		c.store = s
		return nil
	}
}

// memoryStore is the Store of NewMemoryStore.
type memoryStore struct {
	now func() time.Time

	mu      sync.Mutex
	entries map[string]memoryEntry
	// sweepAt is the size at which the next sweep runs: twice the size the
	// last one left, so that a sweep's cost is spread over as many writes as
	// it visits entries.
	sweepAt int
}

// minSweep is the size under which the memory store never sweeps.
const minSweep = 64

type memoryEntry struct {
	value   []byte
	expires time.Time // zero: never
}

func (e memoryEntry) alive(now time.Time) bool { return e.expires.IsZero() || now.Before(e.expires) }

// lookup returns the live entry of key, dropping an expired one. Call with mu
// held.
func (s *memoryStore) lookup(key string, now time.Time) (memoryEntry, bool) {
	e, ok := s.entries[key]
	if ok && !e.alive(now) {
		delete(s.entries, key)
		return memoryEntry{}, false
	}
	return e, ok
}

// put stores value under key. Call with mu held.
func (s *memoryStore) put(key string, value []byte, ttl time.Duration, now time.Time) {
	e := memoryEntry{value: bytes.Clone(value)}
	if ttl > 0 {
		e.expires = now.Add(ttl)
	}
	s.entries[key] = e
	if len(s.entries) < max(s.sweepAt, minSweep) {
		return
	}
	for k, e := range s.entries {
		if !e.alive(now) {
			delete(s.entries, k)
		}
	}
	s.sweepAt = 2 * len(s.entries)
}

func (s *memoryStore) Get(ctx context.Context, key string) ([]byte, bool, error) {
	if err := contextErr(ctx); err != nil {
		return nil, false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.lookup(key, s.now())
	if !ok {
		return nil, false, nil
	}
	return bytes.Clone(e.value), true, nil
}

func (s *memoryStore) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if err := contextErr(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.put(key, value, ttl, s.now())
	return nil
}

func (s *memoryStore) SetNX(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	if err := contextErr(ctx); err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if _, ok := s.lookup(key, now); ok {
		return false, nil
	}
	s.put(key, value, ttl, now)
	return true, nil
}

func (s *memoryStore) CompareAndDelete(ctx context.Context, key string, value []byte) (bool, error) {
	if err := contextErr(ctx); err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.lookup(key, s.now())
	if !ok || !bytes.Equal(e.value, value) {
		return false, nil
	}
	delete(s.entries, key)
	return true, nil
}
