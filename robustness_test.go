package apizee_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee"
)

// A 200 from a proxy or a maintenance page is not an empty list: an empty
// page would end a walk early, and make FindByReference say "not found".
func TestListAnswerThatIsNoListIsADecodeError(t *testing.T) {
	calls := map[string]func(c *apizee.Client) error{
		"Tickets.List": func(c *apizee.Client) error { _, err := c.Tickets.List(t.Context(), nil); return err },
		"Tickets.FindByReference": func(c *apizee.Client) error {
			_, err := c.Tickets.FindByReference(t.Context(), "r")
			return err
		},
		"Conferences.List": func(c *apizee.Client) error { _, err := c.Conferences.List(t.Context(), nil); return err },
		"Sessions.List":    func(c *apizee.Client) error { _, err := c.Sessions.List(t.Context(), nil); return err },
		"Media.ListForConference": func(c *apizee.Client) error {
			_, err := c.Media.ListForConference(t.Context(), 1, nil)
			return err
		},
		"Media.ListForTicket": func(c *apizee.Client) error {
			_, err := c.Media.ListForTicket(t.Context(), 1, nil)
			return err
		},
	}
	for _, body := range []string{`{}`, `{"message":"maintenance"}`, `{"error":"quota"}`} {
		for name, call := range calls {
			t.Run(name+" "+body, func(t *testing.T) {
				c, mock := ticketsMockClient(t, apizee.WithEnterpriseID(1))
				mock.RegisterNoResponder(func(*http.Request) (*http.Response, error) {
					return jsonResponse(http.StatusOK, []byte(body)), nil
				})
				err := call(c)
				var decodeErr *apizee.DecodeError
				require.ErrorAs(t, err, &decodeErr)
				assert.Contains(t, err.Error(), "not a")
				assert.NotErrorIs(t, err, apizee.ErrNotFound)
			})
		}
	}
	t.Run("an empty list stays an empty list", func(t *testing.T) {
		c, mock := ticketsMockClient(t)
		mock.RegisterNoResponder(httpmock.NewStringResponder(http.StatusOK, `{"total":0,"data":null}`))
		page, err := c.Tickets.List(t.Context(), nil)
		require.NoError(t, err)
		assert.Empty(t, page.Items)
	})
}

// The look-up after a lost create answers 200 with a proxy's message: that
// proves nothing, so CreateOnce must not create a second ticket on it.
func TestCreateOnceDoesNotCreateAgainOnALookUpThatIsNoList(t *testing.T) {
	var posts, lists atomic.Int32
	c, mock := ticketsMockClient(t, apizee.WithRetryPolicy(apizee.RetryPolicy{MaxRetries: 2, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond}))
	mock.RegisterResponder(http.MethodPost, mockBase+"/tickets", func(*http.Request) (*http.Response, error) {
		if posts.Add(1) == 1 {
			return jsonResponse(http.StatusBadGateway, []byte(`{"message":"bad gateway"}`)), nil // committed, answer lost
		}
		return jsonResponse(http.StatusOK, []byte(`{"id":2,"reference":"R"}`)), nil
	})
	mock.RegisterResponder(http.MethodGet, mockBase+"/tickets", func(*http.Request) (*http.Response, error) {
		switch lists.Add(1) {
		case 1:
			return jsonResponse(http.StatusOK, []byte(`{"total":0,"data":[]}`)), nil
		case 2:
			return jsonResponse(http.StatusOK, []byte(`{"message":"service temporarily degraded"}`)), nil
		}
		return jsonResponse(http.StatusOK, []byte(`{"total":1,"data":[{"id":1,"reference":"R"}]}`)), nil
	})
	ticket, err := c.Tickets.CreateOnce(t.Context(), &apizee.CreateTicketParams{Agent: "a", Phone: []string{"+33612345678"}, Reference: "R"})
	require.NoError(t, err)
	assert.Equal(t, int64(1), ticket.ID, "the ticket the lost POST created")
	assert.Equal(t, int32(1), posts.Load(), "no second POST")
}

// A token fetch that fails sent no POST: CreateOnce has nothing to look for.
// Here the POST is refused 401 (not processed), and the renewal of the
// token fails with a 503.
func TestCreateOnceReturnsAFailedTokenFetchAtOnce(t *testing.T) {
	mock := httpmock.NewMockTransport()
	var tokens atomic.Int32
	mock.RegisterResponder(http.MethodPost, mockBase+"/token", func(*http.Request) (*http.Response, error) {
		if tokens.Add(1) == 1 {
			return jsonResponse(http.StatusOK, []byte(`{"access_token":"t1","expires_in":3600}`)), nil
		}
		return jsonResponse(http.StatusServiceUnavailable, []byte(`{"message":"down"}`)), nil
	})
	mock.RegisterResponder(http.MethodGet, mockBase+"/tickets", httpmock.NewStringResponder(http.StatusOK, `{"total":0,"data":[]}`))
	mock.RegisterResponder(http.MethodPost, mockBase+"/tickets", httpmock.NewStringResponder(http.StatusUnauthorized, `{"message":"expired"}`))
	c, err := apizee.NewClient(apizee.WithBaseURL(mockBase), apizee.WithCredentials("bob", "pw"),
		apizee.WithHTTPClient(&http.Client{Transport: mock}), apizee.WithRetryPolicy(apizee.RetryPolicy{MaxRetries: 3, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond}))
	require.NoError(t, err)
	_, err = c.Tickets.CreateOnce(t.Context(), &apizee.CreateTicketParams{Agent: "a", Phone: []string{"+33612345678"}, Reference: "R"})
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "may exist", "no create was sent that could have made a ticket")
	assert.Equal(t, 1, mock.GetCallCountInfo()["GET "+mockBase+"/tickets"], "no look-up after a create that never left")
	assert.Equal(t, 1, mock.GetCallCountInfo()["POST "+mockBase+"/tickets"])
}

// While one caller reads /users/me, another gives up at its own deadline.
func TestEnterpriseLookupWaitHonoursTheContext(t *testing.T) {
	arrived, release := make(chan struct{}), make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/users/me" {
			close(arrived)
			<-release
			fmt.Fprint(w, `{"enterprise_id":7}`)
			return
		}
		fmt.Fprint(w, `[]`)
	}))
	defer srv.Close()
	defer close(release)
	c, err := apizee.NewClient(apizee.WithBaseURL(srv.URL+"/api"), apizee.WithToken("tok"))
	require.NoError(t, err)

	go func() { _, _ = c.Stats.Tickets(context.Background(), nil) }()
	<-arrived // the first caller holds the look-up
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { _, err := c.Stats.Tickets(ctx, nil); done <- err }()
	select {
	case err := <-done:
		assert.ErrorIs(t, err, context.DeadlineExceeded)
	case <-time.After(5 * time.Second):
		t.Fatal("the second caller is still blocked long after its 50 ms deadline")
	}
}

// Explicit options win over the environment, and APIZEE_TOKEN over a
// half-set username and password.
func TestNewClientFromEnvOptionsWinOverBrokenVariables(t *testing.T) {
	t.Setenv(apizee.EnvUsername, "bob")
	t.Setenv(apizee.EnvPassword, "")
	t.Setenv(apizee.EnvToken, "tok")
	_, err := apizee.NewClientFromEnv()
	assert.NoError(t, err, "APIZEE_TOKEN wins over a half-set APIZEE_USERNAME")

	t.Setenv(apizee.EnvToken, "")
	_, err = apizee.NewClientFromEnv()
	var badInput *apizee.ValidationError
	assert.ErrorAs(t, err, &badInput, "without the token the half-set password is an error")
	_, err = apizee.NewClientFromEnv(apizee.WithToken("x"))
	assert.NoError(t, err, "an explicit token wins over the environment's credentials")

	t.Setenv(apizee.EnvBaseURL, "http://example.com/api")
	t.Setenv(apizee.EnvEnterpriseID, "not-a-number")
	_, err = apizee.NewClientFromEnv(apizee.WithBaseURL("https://cloud.apizee.com/api"), apizee.WithToken("x"), apizee.WithEnterpriseID(3))
	assert.NoError(t, err, "explicit options are not overruled by broken variables")
	_, err = apizee.NewClientFromEnv(apizee.WithToken("x"), apizee.WithEnterpriseID(3))
	assert.ErrorAs(t, err, &badInput, "a broken variable nothing overrides is still refused")
	assert.True(t, errors.As(err, &badInput) && badInput.Field == "BaseURL")
}

// A secret link quoted in free text prints masked too.
func TestTicketPrintMasksSecretsInFreeText(t *testing.T) {
	ticket := apizee.Ticket{ID: 1, Description: `Join at https://diag.apizee.com?convId=x&pwd=908120`}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		assert.NotContains(t, fmt.Sprintf(verb, ticket), "908120", verb)
	}
}

// Both create calls refuse, in any case, an Extra key that a field sets,
// and send one whose field is left zero.
func TestExtraClashIsRefusedInAnyCase(t *testing.T) {
	c, mock := ticketsMockClient(t)
	_, err := c.Conferences.Create(t.Context(), &apizee.CreateConferenceParams{
		Participants: []string{"guest@example.com"}, Password: "12#", Extra: url.Values{"PASSWORD": {"99"}}})
	var badInput *apizee.ValidationError
	require.ErrorAs(t, err, &badInput)
	assert.Equal(t, "Extra", badInput.Field)
	_, err = c.Tickets.Create(t.Context(), &apizee.CreateTicketParams{
		Agent: "a", Phone: []string{"+33612345678"}, Extra: url.Values{"AGENT": {"evil"}}})
	require.ErrorAs(t, err, &badInput)
	assert.Equal(t, "Extra", badInput.Field)
	assert.Zero(t, mock.GetTotalCallCount())

	mock.RegisterResponder(http.MethodPost, mockBase+"/conferences", func(r *http.Request) (*http.Response, error) {
		return jsonResponse(http.StatusOK, []byte(`{"id":1,"name":"`+r.URL.Query().Get("name")+`"}`)), nil
	})
	conf, err := c.Conferences.Create(t.Context(), &apizee.CreateConferenceParams{
		Participants: []string{"guest@example.com"}, Extra: url.Values{"name": {"from extra"}}})
	require.NoError(t, err)
	assert.Equal(t, "from extra", conf.Name, "a key whose field is zero is sent")
}
