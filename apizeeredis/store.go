package apizeeredis

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/apizee-go/apizee"
	"github.com/redis/go-redis/v9"
)

// NewStore returns an apizee.Store kept in Redis under keys that start with
// prefix (for example "apizee:"; the prefix is used as given), with the
// semantics of apizee.NewMemoryStore shared by every process on the same
// Redis: expiry is Redis's own (on Redis's clock), a ttl of zero or less
// means no expiry (and clears an earlier one), SetNX and CompareAndDelete
// are atomic against every other user of the same keys.
//
// Each call waits at most 500 ms for Redis (less if ctx ends sooner), even
// when rdb was built without ContextTimeoutEnabled, and then returns an
// error: a Redis that is down or hung costs a caller half a second, after
// which it can work without the store, as the apizee client does. An error
// matches context.Canceled or context.DeadlineExceeded only when ctx itself
// ended. Errors never hold a key's value.
//
// NewStore panics if rdb is nil.
func NewStore(rdb redis.UniversalClient, prefix string) apizee.Store {
	if rdb == nil {
		panic("apizeeredis: NewStore: the Redis client is nil")
	}
	return &store{rdb: rdb, prefix: prefix, timeout: callTimeout}
}

// store is the Store of NewStore.
type store struct {
	rdb     redis.UniversalClient
	prefix  string
	timeout time.Duration // of each call to Redis
}

// compareAndDelete deletes KEYS[1] if it holds exactly ARGV[1]. A missing
// key reads as false, which equals no string, not even the empty one.
var compareAndDelete = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
	return redis.call('DEL', KEYS[1])
end
return 0
`)

func (s *store) Get(ctx context.Context, key string) ([]byte, bool, error) {
	value, err := bounded(ctx, s.timeout, func(ctx context.Context) ([]byte, error) {
		return s.rdb.Get(ctx, s.prefix+key).Bytes()
	})
	switch {
	case errors.Is(err, redis.Nil):
		return nil, false, nil
	case err != nil:
		return nil, false, storeError("Get", err)
	}
	return value, true, nil
}

func (s *store) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	_, err := bounded(ctx, s.timeout, func(ctx context.Context) (string, error) {
		return s.rdb.Set(ctx, s.prefix+key, value, expiration(ttl)).Result()
	})
	return storeError("Set", err)
}

func (s *store) SetNX(ctx context.Context, key string, value []byte, ttl time.Duration) (bool, error) {
	set, err := bounded(ctx, s.timeout, func(ctx context.Context) (bool, error) {
		return s.rdb.SetNX(ctx, s.prefix+key, value, expiration(ttl)).Result()
	})
	return set, storeError("SetNX", err)
}

func (s *store) CompareAndDelete(ctx context.Context, key string, value []byte) (bool, error) {
	deleted, err := bounded(ctx, s.timeout, func(ctx context.Context) (int64, error) {
		return compareAndDelete.Run(ctx, s.rdb, []string{s.prefix + key}, value).Int64()
	})
	return deleted == 1, storeError("CompareAndDelete", err)
}

// expiration turns a Store ttl into go-redis's: zero for "no expiry" (go-redis
// reads -1 as KEEPTTL, which would keep an old expiry instead of clearing
// it), and whole milliseconds rounded up, the precision of Redis's PX, so
// that a ttl under a millisecond still expires rather than being refused or
// logged by go-redis. The longest ttl (math.MaxInt64, "practically for
// ever") is rounded down rather than overflow.
func expiration(ttl time.Duration) time.Duration {
	if ttl <= 0 {
		return 0
	}
	ms := ttl.Truncate(time.Millisecond)
	if ms < ttl && ms <= math.MaxInt64-time.Millisecond {
		ms += time.Millisecond
	}
	return ms
}

// storeError says which operation failed; go-redis's errors name the
// server's address or reply, never the value sent.
func storeError(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("apizeeredis: store %s: %w", op, err)
}
