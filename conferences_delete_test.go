package apizee_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee"
	"github.com/apizee-go/apizee/apizeetest"
)

func TestConferencesDelete(t *testing.T) {
	srv, c := e2eServer(t)
	ctx := t.Context()
	conf, err := c.Conferences.Create(ctx, &apizee.CreateConferenceParams{Participants: []string{"+33612345678"}, Name: "to delete"})
	require.NoError(t, err)
	before := srv.ConferenceCount()

	var r apizee.Response
	require.NoError(t, c.Conferences.Delete(ctx, conf.ID, apizee.ResponseInto(&r)))
	assert.Equal(t, before-1, srv.ConferenceCount())
	assert.Equal(t, http.StatusNoContent, r.StatusCode, "an answer without a body")
	assert.Equal(t, 1, srv.RequestCount(http.MethodDelete, "/conferences/*"))

	_, err = c.Conferences.Get(ctx, conf.ID)
	assert.ErrorIs(t, err, apizee.ErrNotFound)
	err = c.Conferences.Delete(ctx, conf.ID)
	assert.ErrorIs(t, err, apizee.ErrNotFound, "a 404 on the first attempt: the id names no room")
}

func TestConferencesDeleteAcceptsAnAnswerWithABody(t *testing.T) {
	srv, c := e2eServer(t)
	for _, body := range []string{`{"message":"Conference deleted"}`, `<html>ok</html>`, `null`} {
		srv.QueueFault(apizeetest.Fault{Method: http.MethodDelete, Path: "/conferences/*", Status: http.StatusOK, Body: body})
		assert.NoError(t, c.Conferences.Delete(t.Context(), 842341), body)
	}
}

// TestConferencesDeleteAfterALostAnswer: the server deletes the room and the
// answer is lost; the retry finds no room (404), which is success.
func TestConferencesDeleteAfterALostAnswer(t *testing.T) {
	srv, c := e2eServer(t)
	before := srv.ConferenceCount()
	srv.QueueFault(apizeetest.Fault{Method: http.MethodDelete, Path: "/conferences/842341", DropAfterProcessing: true})
	var r apizee.Response
	require.NoError(t, c.Conferences.Delete(t.Context(), 842341, apizee.ResponseInto(&r)))
	assert.Equal(t, before-1, srv.ConferenceCount())
	assert.Equal(t, http.StatusNotFound, r.StatusCode, "the retry's answer")
	assert.Equal(t, 2, r.Attempts)
}

func TestConferencesDeleteRetries(t *testing.T) {
	t.Run("after a 503 the retry deletes", func(t *testing.T) {
		srv, c := e2eServer(t)
		srv.QueueFault(apizeetest.Fault{Method: http.MethodDelete, Path: "/conferences/*", Status: http.StatusServiceUnavailable})
		var r apizee.Response
		require.NoError(t, c.Conferences.Delete(t.Context(), 842341, apizee.ResponseInto(&r)))
		assert.Equal(t, 2, r.Attempts)
		assert.Equal(t, http.StatusNoContent, r.StatusCode)
	})
	t.Run("a 404 after a 429 is not found: the first attempt was not processed", func(t *testing.T) {
		srv, c := e2eServer(t)
		srv.QueueFault(apizeetest.Fault{Method: http.MethodDelete, Path: "/conferences/*", Status: http.StatusTooManyRequests,
			Header: http.Header{"Retry-After": {"0"}}})
		err := c.Conferences.Delete(t.Context(), 999999)
		assert.ErrorIs(t, err, apizee.ErrNotFound)
	})
	t.Run("a 404 after a 500 is success: the 500 may have deleted the room", func(t *testing.T) {
		srv, c := e2eServer(t)
		srv.QueueFault(apizeetest.Fault{Method: http.MethodDelete, Path: "/conferences/*", Status: http.StatusInternalServerError})
		var r apizee.Response
		require.NoError(t, c.Conferences.Delete(t.Context(), 999999, apizee.ResponseInto(&r)))
		assert.Equal(t, http.StatusNotFound, r.StatusCode, "the retry's answer")
		assert.Equal(t, 2, r.Attempts)
	})
	t.Run("another account's room", func(t *testing.T) {
		srv, c := e2eServer(t)
		srv.QueueFault(apizeetest.Fault{Method: http.MethodDelete, Path: "/conferences/*", Status: http.StatusForbidden})
		assert.ErrorIs(t, c.Conferences.Delete(t.Context(), 842341), apizee.ErrForbidden)
		assert.Equal(t, 2, srv.ConferenceCount())
	})
}

func TestConferencesDeleteValidatesTheID(t *testing.T) {
	srv, c := e2eServer(t)
	for _, id := range []int64{0, -1} {
		requireValidationError(t, c.Conferences.Delete(t.Context(), id), "ID")
	}
	assert.Zero(t, srv.RequestCount("", ""), "no request, not even /token")
}
