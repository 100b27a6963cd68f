package apizeeredis_test

import (
	"context"
	"log"
	"time"

	"github.com/apizee-go/apizee"
	"github.com/apizee-go/apizee/apizeeredis"
	"github.com/redis/go-redis/v9"
)

// Share the token and the CreateOnce records of every replica. This example
// needs a Redis at localhost:6379, so it is compiled but not run by go test
// (it has no Output comment).
func ExampleNewStore() {
	rdb := redis.NewClient(&redis.Options{Addr: "localhost:6379"})
	defer rdb.Close()

	client, err := apizee.NewClient(
		apizee.WithCredentials("agent@example.com", "secret"),
		apizee.WithStore(apizeeredis.NewStore(rdb, "apizee:")),
	)
	if err != nil {
		log.Fatal(err)
	}
	// The first call of the fleet fetches the token; every other replica
	// reads it from Redis.
	ticket, err := client.Tickets.CreateOnce(context.Background(), &apizee.CreateTicketParams{
		Agent:     "agent1@example.com",
		Phone:     []string{"+33612345678"},
		Invite:    true,
		Reference: "CRM-4711",
	})
	if err != nil {
		log.Fatal(err)
	}
	log.Println(ticket.ID)
}

// Spend Apizee's 10 requests a minute across 8 replicas, and pause them all
// when one of them draws a 429. This example needs a Redis at
// localhost:6379, so it is compiled but not run by go test (it has no Output
// comment).
func ExampleNewRateLimiter() {
	rdb := redis.NewClient(&redis.Options{Addr: "localhost:6379"})
	defer rdb.Close()

	username := "agent@example.com"
	// Apizee's minute and a second: a request reaches Apizee a little after
	// its slot.
	limiter := apizeeredis.NewRateLimiter(rdb, "apizee:budget:"+username, 10, 61*time.Second,
		apizeeredis.WithReplicas(8), // while Redis is down, each replica sends at most 1 per period
	)
	client, err := apizee.NewClient(
		apizee.WithCredentials(username, "secret"),
		apizee.WithRateLimiter(limiter),
	)
	if err != nil {
		log.Fatal(err)
	}
	// A report can wait: at PriorityLow it never queues ahead of an
	// interactive call on any replica.
	stats, err := client.Stats.Tickets(apizee.ContextWithPriority(context.Background(), apizee.PriorityLow), nil)
	if err != nil {
		log.Fatal(err)
	}
	log.Println(stats)
}
