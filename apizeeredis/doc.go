// Package apizeeredis shares one Apizee budget, one token and each
// CreateOnce record across the replicas of a service, through Redis:
// NewStore is an apizee.Store for apizee.WithStore, and NewRateLimiter a
// limiter for apizee.WithRateLimiter that also hears the server's 429s for
// the whole fleet. It is a module of its own so that importing apizee never
// pulls a Redis client.
//
// Every replica (and the nightly job) on one Apizee user:
//
//	rdb := redis.NewUniversalClient(&redis.UniversalOptions{Addrs: []string{"redis:6379"}})
//	client, err := apizee.NewClient(
//		apizee.WithCredentials(username, password),
//		// the token of each credential and each CreateOnce key, once for the fleet
//		apizee.WithStore(apizeeredis.NewStore(rdb, "apizee:")),
//		// Apizee's 10 requests a minute per user (and a second, for the
//		// requests' way there), shared by 8 replicas; 10/8 (at least 1)
//		// per period each while Redis is down
//		apizee.WithRateLimiter(apizeeredis.NewRateLimiter(rdb, "apizee:budget:"+username,
//			10, 61*time.Second, apizeeredis.WithReplicas(8))),
//	)
//
// Mark bulk work (walks, downloads, statistics) with
// apizee.ContextWithPriority(ctx, apizee.PriorityLow): it then never queues
// ahead of the interactive calls (see RateLimiter).
//
// Every call to Redis waits at most 500 ms (less if its context ends
// sooner), whatever the client's own timeouts: a Redis that is down or hung
// slows a request by that much, then the store's callers work without it and
// the limiter falls back to its local budget (or refuses, FailClosed).
//
// The tests run against a real redis-server, which they start on a free
// loopback port; without redis-server on PATH they skip, and under CI=true
// they fail.
package apizeeredis
