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

func TestEnterpriseIDFromEveryShapeOfUsersMe(t *testing.T) {
	// The nested id wins when it names one; a zero or negative one falls
	// back to enterprise_id, then to enterpriseId.
	for body, want := range map[string]int64{
		`{"enterprise":{"id":42},"enterprise_id":7}`: 42,
		`{"enterprise":{"id":0},"enterprise_id":7}`:  7,
		`{"enterprise_id":7}`:                        7,
		`{"enterpriseId":9}`:                         9,
		`{"enterprise_id":0,"enterpriseId":9}`:       9,
		`{"enterprise":{"id":-3},"enterpriseId":9}`:  9,
		`{"enterprise":{"id":0}}`:                    0,
	} {
		c, err := NewClient(WithBaseURL("https://api.example/api"), WithToken("tok"),
			WithHTTPClient(&http.Client{Transport: answerTransport{body: []byte(body)}}))
		require.NoError(t, err)
		id, err := c.enterprise(t.Context())
		if want == 0 {
			assert.Error(t, err, body)
			continue
		}
		require.NoError(t, err, body)
		assert.Equal(t, want, id, body)
	}
}

func TestEvery2xxIsSuccess(t *testing.T) {
	for _, status := range []int{http.StatusOK, http.StatusCreated, http.StatusAccepted, 299} {
		c, err := NewClient(WithBaseURL("https://api.example/api"), WithToken("tok"),
			WithHTTPClient(&http.Client{Transport: answerTransport{status: status, body: []byte(`{"id":82070}`)}}))
		require.NoError(t, err)
		tk, err := c.Tickets.Get(t.Context(), 82070)
		require.NoError(t, err, "status %d", status)
		assert.Equal(t, int64(82070), tk.ID)
	}
}
