package apizeeredis

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee/webhook"
)

// Review: a Redis that hangs (its process stopped: the port answers TCP,
// Redis answers nothing, as behind a network that drops packets) is a
// Redis that is down: each delivery costs the store's timeout, not a 409
// for as long as it hangs, and the event runs once. The client here waits
// on its context alone (no read or write timeout of its own). This holds
// before and after the handler's fix for hanging stores (webhook's
// TestReviewHandlerDeliversWhenTheStoreHangs), because NewStore bounds its
// calls itself, below the handler's store timeout.
func TestReviewWebhookHandlersDeliverWhenRedisHangs(t *testing.T) {
	srv := startRedis(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr(), ReadTimeout: -1, WriteTimeout: -1, MaxRetries: -1})
	t.Cleanup(func() { rdb.Close() })
	var calls atomic.Int32
	fn := func(context.Context, *webhook.Event) error { calls.Add(1); return nil }
	h, err := webhook.NewHandler(fn, webhook.AllowUnverified(), webhook.WithLogger(nil), webhook.WithStore(NewStore(rdb, "hooks:")))
	require.NoError(t, err)
	code, _ := deliverTo(h, webhookEvent) // connects the pool before the freeze
	require.Equal(t, http.StatusOK, code)

	srv.Freeze()
	next := `{"event":"update","time":1575976414,"object":"ticket","objectId":100,"props":{"state":"closed"}}`
	start := time.Now()
	code, _ = deliverTo(h, next)
	assert.Equal(t, http.StatusOK, code, "delivered while Redis hangs")
	code, body := deliverTo(h, next)
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, "duplicate", "de-duplicated in the replica's memory")
	assert.Equal(t, int32(2), calls.Load())
	assert.Less(t, time.Since(start), time.Minute, "a few store timeouts, not a hang")
}
