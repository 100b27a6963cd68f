package apizeeredis

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee/webhook"
)

const webhookEvent = `{"event":"update","time":1575976413,"object":"ticket","objectId":100,"props":{"state":"done"}}`

// deliverTo POSTs body to h as Apizee would, and returns the status and the
// answer.
func deliverTo(h http.Handler, body string) (int, string) {
	r := httptest.NewRequest(http.MethodPost, "/hook", strings.NewReader(body))
	r.Header.Set("User-Agent", "Cloud Apizee")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Code, w.Body.String()
}

// Replicas of a webhook receiver, each with its own connection pool to one
// real Redis, run the function once per event however the deliveries are
// spread over them, and remember it for the delivered TTL, on Redis's clock.
func TestWebhookHandlersOnRedisDeliverEachEventOnce(t *testing.T) {
	srv := startRedis(t)
	var calls atomic.Int32
	started, release := make(chan struct{}, 32), make(chan struct{})
	fn := func(ctx context.Context, e *webhook.Event) error {
		calls.Add(1)
		started <- struct{}{}
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	replicas := make([]http.Handler, 4)
	for i := range replicas {
		h, err := webhook.NewHandler(fn, webhook.AllowUnverified(), webhook.WithLogger(nil),
			webhook.WithStore(NewStore(srv.Client(), "hooks:")), webhook.WithClaimTTL(10*time.Second))
		require.NoError(t, err)
		replicas[i] = h
	}

	// While the first delivery runs, the others get 409 on any replica.
	first := make(chan int)
	go func() { code, _ := deliverTo(replicas[0], webhookEvent); first <- code }()
	<-started
	var mu sync.Mutex
	var codes []int
	together(16, func(i int) {
		code, _ := deliverTo(replicas[i%len(replicas)], webhookEvent)
		mu.Lock()
		codes = append(codes, code)
		mu.Unlock()
	})
	for _, code := range codes {
		assert.Equal(t, http.StatusConflict, code)
	}
	close(release)
	assert.Equal(t, http.StatusOK, <-first)

	// Delivered: a duplicate everywhere.
	for _, h := range replicas {
		code, body := deliverTo(h, webhookEvent)
		assert.Equal(t, http.StatusOK, code)
		assert.Contains(t, body, "duplicate")
	}
	assert.Equal(t, int32(1), calls.Load(), "17 deliveries to 4 replicas, one call")

	// The record is on Redis, under the prefix, expiring in 24 hours.
	e, err := webhook.Parse([]byte(webhookEvent))
	require.NoError(t, err)
	ttl, err := srv.Client().PTTL(context.Background(), "hooks:webhook:event:"+e.Key()).Result()
	require.NoError(t, err)
	assert.Greater(t, ttl, webhook.DefaultDeliveredTTL-time.Minute)
	assert.LessOrEqual(t, ttl, webhook.DefaultDeliveredTTL)
}

// Redis down: each replica still delivers, de-duplicating in its own
// memory, and does not wait on Redis longer than the store's timeout.
func TestWebhookHandlersDeliverWhenRedisIsDown(t *testing.T) {
	srv := startRedis(t)
	var calls atomic.Int32
	fn := func(context.Context, *webhook.Event) error { calls.Add(1); return nil }
	h, err := webhook.NewHandler(fn, webhook.AllowUnverified(), webhook.WithLogger(nil), webhook.WithStore(NewStore(srv.Client(), "hooks:")))
	require.NoError(t, err)
	srv.Stop()
	start := time.Now()
	code, _ := deliverTo(h, webhookEvent)
	assert.Equal(t, http.StatusOK, code, "delivered without Redis")
	code, body := deliverTo(h, webhookEvent)
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, "duplicate", "de-duplicated in the replica's memory")
	assert.Equal(t, int32(1), calls.Load())
	assert.Less(t, time.Since(start), 10*time.Second, "two deliveries cost a few store timeouts, not a hang")
}
