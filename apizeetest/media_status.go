package apizeetest

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// mediaCompleted is the status of a media ready to download, the only one
// the ticket media list returns by default.
const mediaCompleted = "completed"

// statusWord is what one media status may be.
var statusWord = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// mediaStatuses reads the ticket media list's "status" filter, a
// comma-separated list of statuses ("Limit result set to medias assigned
// one or more statuses"), completed when absent. On a bad value it answers
// 400 and returns false.
func mediaStatuses(w http.ResponseWriter, q url.Values) (map[string]bool, bool) {
	if !q.Has("status") {
		return map[string]bool{mediaCompleted: true}, true
	}
	statuses := map[string]bool{}
	for status := range strings.SplitSeq(q.Get("status"), ",") {
		if !statusWord.MatchString(status) {
			badParameter(w, "status", "status must be a comma-separated list of media statuses")
			return nil, false
		}
		statuses[status] = true
	}
	return statuses, true
}

// SetTicketMediaStatus sets the status of the ticket media served at
// mediaURL (see AddTicketMedia): a media that is not "completed" (say
// "pending" or "failed") is listed only when a list asks for its status.
// It panics if no ticket media is served there.
func (s *Server) SetTicketMediaStatus(mediaURL, status string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, medias := range s.ticketMedia {
		for _, m := range medias {
			if m.URL == mediaURL {
				m.Status = status
				return
			}
		}
	}
	panic(fmt.Sprintf("apizeetest: SetTicketMediaStatus: no ticket media at %s", mediaURL))
}
