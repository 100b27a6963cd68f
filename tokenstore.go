package apizee

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"
)

// With WithStore, the clients of one credential share one token through the
// store: each looks there before calling /token, one of them fetches (the
// others wait on a short lock, then read), and a 401 replaces the stored
// token only if it is still the one that was refused.
//
// Keys (scope: see accountScope):
//
//	apizee:token:<scope>       the token record, JSON, kept until the token expires
//	apizee:token-lock:<scope>  held while one client fetches, a random owner id, tokenLockTTL
const (
	tokenKeyPrefix     = "apizee:token:"
	tokenLockKeyPrefix = "apizee:token-lock:"
	// tokenLockTTL bounds how long a client that died while fetching holds
	// the others back; a fetch that takes longer lets another client fetch.
	tokenLockTTL = 15 * time.Second
	// unknownExpiryTTL is how long a token without expires_in is shared.
	unknownExpiryTTL = time.Hour
)

// tokenRecord is a shared token as the store keeps it. Its "access_token"
// member is masked by the SDK's redaction should it ever reach a log.
type tokenRecord struct {
	AccessToken string    `json:"access_token"`
	ExpiresAt   time.Time `json:"expires_at,omitzero"`
	ObtainedAt  time.Time `json:"obtained_at"`
}

// sharedToken is the token cache's fetch when the client has a store.
type sharedToken struct {
	cache   *tokenCache
	store   *clientStore
	key     string
	lockKey string
	// own fetches this client's own token from /token.
	own func(ctx context.Context) (*Token, error)

	mu sync.Mutex
	// refused are the last tokens calls were refused with (401): found in
	// the store, such a token is replaced rather than used. More than one:
	// a slow call's late 401 for an older token must not make the client
	// forget that the newer one was refused too.
	refused []string
}

// maxRefused bounds the refused tokens a client remembers.
const maxRefused = 4

func newSharedToken(c *Client, tc *tokenCache) *sharedToken {
	return &sharedToken{cache: tc, store: c.store, key: tokenKeyPrefix + c.store.scope,
		lockKey: tokenLockKeyPrefix + c.store.scope, own: c.fetchToken}
}

// refuse notes that a call was refused with accessToken.
func (s *sharedToken) refuse(accessToken string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !slices.Contains(s.refused, accessToken) {
		s.refused = append(s.refused[max(0, len(s.refused)-maxRefused+1):], accessToken)
	}
}

// wasRefused reports whether a call was refused with accessToken.
func (s *sharedToken) wasRefused(accessToken string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Contains(s.refused, accessToken)
}

// fetch returns the token shared in the store, or fetches one under the
// store's lock and shares it. When the store fails or does not answer, the
// client fetches its own token, and says so once in its log; so it does,
// and shares it, when the lock stays held past two of its TTLs (a store
// that lost the lock's expiry would otherwise hold every call for good).
func (s *sharedToken) fetch(ctx context.Context) (*Token, error) {
	st := s.store.shared
	var p poller
	for {
		rec, raw, err := s.read(ctx)
		if err != nil {
			return s.fallback(ctx, "reading the shared token", err)
		}
		if rec != nil && s.wasRefused(rec.AccessToken) {
			// Replace it, unless another client did already.
			if _, err := st.CompareAndDelete(ctx, s.key, raw); err != nil {
				return s.fallback(ctx, "dropping a refused shared token", err, rec.AccessToken)
			}
		} else if rec != nil && s.fresh(rec) {
			return &Token{AccessToken: rec.AccessToken, ExpiresAt: rec.ExpiresAt}, nil
		}
		lock := newOwnerID()
		locked, err := st.SetNX(ctx, s.lockKey, lock, tokenLockTTL)
		if err != nil {
			return s.fallback(ctx, "locking the shared token", err)
		}
		if locked {
			return s.fetchLocked(ctx, lock)
		}
		// Two TTLs: the holder that outlived its lock may have been
		// followed by another, for which this client waits too.
		if held := p.waited(); held > 2*tokenLockTTL {
			s.store.warn(ctx, "waiting on the token lock", fmt.Errorf("held for %s, past its %s TTL", held.Round(time.Second), tokenLockTTL))
			return s.fetchLocked(ctx, nil)
		}
		// Another client is fetching: read what it shares.
		if err := p.wait(ctx); err != nil {
			return nil, err
		}
	}
}

// fetchLocked fetches a token while holding the store's lock (lock, or nil
// for a lock that outlived its TTL), and shares it.
func (s *sharedToken) fetchLocked(ctx context.Context, lock []byte) (*Token, error) {
	st := s.store.shared
	if lock != nil {
		defer func() {
			ctx, cancel := detached(ctx)
			defer cancel()
			_, _ = st.CompareAndDelete(ctx, s.lockKey, lock)
		}()
	}
	// Another client may have shared a token between our look and our lock.
	if rec, _, err := s.read(ctx); err == nil && rec != nil && !s.wasRefused(rec.AccessToken) && s.fresh(rec) {
		return &Token{AccessToken: rec.AccessToken, ExpiresAt: rec.ExpiresAt}, nil
	}
	obtained := s.cache.now()
	tok, err := s.own(ctx)
	if err != nil {
		return nil, err
	}
	ttl := unknownExpiryTTL
	if !tok.ExpiresAt.IsZero() {
		ttl = tok.ExpiresAt.Sub(s.cache.now())
	}
	if ttl > 0 {
		value, _ := json.Marshal(tokenRecord{AccessToken: tok.AccessToken, ExpiresAt: tok.ExpiresAt, ObtainedAt: obtained})
		wctx, cancel := detached(ctx)
		defer cancel()
		if err := st.Set(wctx, s.key, value, ttl); err != nil {
			s.store.warn(ctx, "sharing the token", err, tok.AccessToken)
		}
	}
	return tok, nil
}

// read returns the shared token record and its raw value; a record that
// does not decode is returned as a stale one, to be replaced.
func (s *sharedToken) read(ctx context.Context) (*tokenRecord, []byte, error) {
	raw, found, err := s.store.shared.Get(ctx, s.key)
	if err != nil || !found {
		return nil, nil, err
	}
	var rec tokenRecord
	if json.Unmarshal(raw, &rec) != nil || rec.AccessToken == "" || hasControl(rec.AccessToken) {
		return &tokenRecord{}, raw, nil
	}
	return &rec, raw, nil
}

// fresh reports whether a shared token has more than its refresh margin
// left, by the rule of the token cache (refreshAt), so that a token one
// client would renew is not handed to another.
func (s *sharedToken) fresh(rec *tokenRecord) bool {
	if rec.AccessToken == "" {
		return false
	}
	return rec.ExpiresAt.IsZero() || s.cache.now().Before(refreshAt(rec.ExpiresAt, rec.ObtainedAt))
}

// fallback fetches the client's own token after the store failed; secrets
// are what the failed call gave the store, masked in the log.
func (s *sharedToken) fallback(ctx context.Context, what string, err error, secrets ...string) (*Token, error) {
	if ctx.Err() != nil {
		return nil, contextErr(ctx)
	}
	s.store.warn(ctx, what, err, secrets...)
	return s.own(ctx)
}
