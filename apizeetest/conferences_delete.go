package apizeetest

import (
	"net/http"
	"slices"
)

// deleteConference serves DELETE /conferences/{id}: the room and its media
// are removed, and the answer is 204 with no body (the answer's shape is not
// documented; a test can queue a Fault with another). An unknown room is
// 404.
func (s *Server) deleteConference(w http.ResponseWriter, r *http.Request) {
	c, ok := s.pathConference(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	s.conferences = slices.DeleteFunc(s.conferences, func(other *conference) bool { return other == c })
	delete(s.confMedia, c.ID)
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}
