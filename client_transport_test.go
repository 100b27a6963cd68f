package apizee

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDefaultTransportGivesUpOnAServerThatNeverAnswers(t *testing.T) {
	// A server that reads the request and never answers: without the
	// caller's transport or deadline, the client's own transport bounds
	// the wait for the headers. The network is a net.Pipe, so that the
	// bubble's clock runs the minute at once.
	synctest.Test(t, func(t *testing.T) {
		c, err := NewClient(WithBaseURL("http://127.0.0.1/api"), WithToken("tok"), WithRetryPolicy(RetryPolicy{}))
		require.NoError(t, err)
		require.NotNil(t, c.ownTransport)
		read := make(chan struct{})
		c.ownTransport.DialContext = func(context.Context, string, string) (net.Conn, error) {
			client, server := net.Pipe()
			go func() {
				_, _ = http.ReadRequest(bufio.NewReader(server))
				close(read)
			}()
			t.Cleanup(func() { server.Close() })
			return client, nil
		}
		start := time.Now()
		_, err = c.Tickets.Get(t.Context(), 1)
		<-read
		require.Error(t, err)
		assert.Contains(t, err.Error(), "timeout awaiting response headers")
		assert.Equal(t, time.Minute, time.Since(start))
	})
}
