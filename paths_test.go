package apizee_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee"
	"github.com/apizee-go/apizee/apizeetest"
)

// reportedPath is the Path of whichever error type err is.
func reportedPath(t *testing.T, err error) string {
	t.Helper()
	var apiErr *apizee.APIError
	var reqErr *apizee.RequestError
	var decErr *apizee.DecodeError
	switch {
	case errors.As(err, &apiErr):
		return apiErr.Path
	case errors.As(err, &reqErr):
		return reqErr.Path
	case errors.As(err, &decErr):
		return decErr.Path
	}
	t.Fatalf("%v is none of APIError, RequestError, DecodeError", err)
	return ""
}

// loggedPaths returns the "path" attribute of every log line.
func loggedPaths(t *testing.T, logs *bytes.Buffer) []string {
	t.Helper()
	var paths []string
	for line := range strings.SplitSeq(strings.TrimSpace(logs.String()), "\n") {
		var rec map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &rec), line)
		if p, ok := rec["path"].(string); ok {
			paths = append(paths, p)
		}
	}
	return paths
}

// Every path the SDK reports (the errors' Path, the "path" of its logs) is
// the path as apizeetest records and matches it and as Do takes it:
// relative to the base URL, whatever prefix the API is mounted under; a URL
// outside the base URL's path (a media file) keeps its absolute path.
func TestReportedPathsAreRelativeToTheBaseURL(t *testing.T) {
	for _, prefix := range []string{"/api", "/v1/api", ""} {
		t.Run("prefix "+prefix, func(t *testing.T) {
			srv := apizeetest.NewServer(apizeetest.WithPrefix(prefix))
			t.Cleanup(srv.Close)
			var logs bytes.Buffer
			c, err := apizee.NewClient(apizee.WithBaseURL(srv.URL), apizee.WithCredentials(srv.Username, srv.Password),
				apizee.WithLogger(slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))),
				apizee.WithRetryPolicy(apizee.RetryPolicy{MaxRetries: 1, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond}))
			require.NoError(t, err)
			mediaURL := srv.AddTicketMedia(663614, 1<<10)
			media, err := url.Parse(mediaURL)
			require.NoError(t, err)
			outside := *media
			outside.Path = prefix + "ary/file.mp4" // on the API's host, beside its prefix, not below it
			if prefix == "" {
				outside.Path = "/elsewhere/file.mp4"
			}

			_, err = c.Tickets.Get(t.Context(), 82070) // the token, whose log names /token
			require.NoError(t, err)
			// Each attempt, and net/http's own replay of a GET dropped on a
			// reused connection, takes a fault.
			for range 4 {
				srv.QueueFault(apizeetest.Fault{Method: http.MethodGet, Path: "/tickets/82070", DropBeforeProcessing: true})
			}
			srv.QueueFault(apizeetest.Fault{Method: http.MethodGet, Path: "/conferences/842341", MalformedBody: true})
			srv.QueueFault(apizeetest.Fault{Method: http.MethodGet, Path: media.Path, Status: http.StatusForbidden})
			for _, tc := range []struct {
				name string
				call func() error
				want string
			}{
				{"APIError", func() error { _, err := c.Tickets.Get(t.Context(), 999999); return err }, "/tickets/999999"},
				{"RequestError", func() error { _, err := c.Tickets.Get(t.Context(), 82070); return err }, "/tickets/82070"},
				{"DecodeError", func() error { _, err := c.Conferences.Get(t.Context(), 842341); return err }, "/conferences/842341"},
				{"Do", func() error { _, err := c.Do(t.Context(), http.MethodGet, "/reports/daily", nil, nil); return err }, "/reports/daily"},
				{"a media file", func() error { _, err := c.Media.Open(t.Context(), &apizee.Media{URL: mediaURL}); return err }, media.Path},
				{"beside the prefix", func() error {
					_, err := c.Media.Open(t.Context(), &apizee.Media{URL: outside.String()})
					return err
				}, outside.Path},
			} {
				srv.ResetRequests()
				logs.Reset()
				err := tc.call()
				require.Error(t, err, tc.name)
				assert.Equal(t, tc.want, reportedPath(t, err), tc.name)
				assert.Contains(t, err.Error(), " "+tc.want+": ", "%s: the text names the same path", tc.name)
				reqs := srv.Requests()
				require.NotEmpty(t, reqs, tc.name)
				assert.Equal(t, reqs[len(reqs)-1].Path, tc.want, "%s: the path as apizeetest records it", tc.name)
				paths := loggedPaths(t, &logs)
				require.NotEmpty(t, paths, tc.name)
				for _, p := range paths {
					assert.Equal(t, tc.want, p, "%s: the path the log reports", tc.name)
				}
			}
		})
	}
}

// A media file on another host is reported by its path, as on the API's.
func TestReportedPathOfAnotherHostIsItsPath(t *testing.T) {
	_, c := corpusServer(t)
	files := apizeetest.NewServer(apizeetest.WithPrefix("/api"))
	t.Cleanup(files.Close)
	u := strings.Replace(files.URL, "/api", "", 1) + "/api/tickets/1"
	_, err := c.Media.Open(t.Context(), &apizee.Media{URL: u})
	require.Error(t, err)
	assert.Equal(t, "/api/tickets/1", reportedPath(t, err), "not under this client's base URL: another host")
}
