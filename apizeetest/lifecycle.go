package apizeetest

import "fmt"

// The changes that happen on the real service outside the API (an agent
// joins, a meeting ends), for tests to play. Each sends its webhook event
// when SetWebhook is set.

// conferenceFinished is the status of a meeting that ended (inferred: the
// docs show "scheduled" and "ongoing").
const conferenceFinished = "finished"

// SetTicketState moves a ticket to state ("inprogress", "done",
// "closed"...), as the agent's portal does, and sends the ticket update
// event. It panics if the server holds no such ticket or state is empty.
func (s *Server) SetTicketState(id int64, state string) {
	if state == "" {
		panic("apizeetest: SetTicketState: empty state")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.tickets {
		if t.ID == id {
			t.State, t.Status, t.Modified = state, state, stamp(s.now())
			s.emitTicket("update", t)
			return
		}
	}
	panic(fmt.Sprintf("apizeetest: SetTicketState: no ticket %d", id))
}

// EndConference ends a meeting now: its status becomes "finished" and its
// end time now, and the conversation update event
// {"eventType":"conversationEnded","name":<the meeting's name>,"finishedAt":...}
// is sent, with the meeting's conversation UID as objectId. It panics if the
// server holds no such conference.
func (s *Server) EndConference(id int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.conferences {
		if c.ID == id {
			now := s.now()
			c.Status, c.EndTime, c.Modified = conferenceFinished, stamp(now), stamp(now)
			s.emit("update", "conversation", conversationID(c), struct {
				EventType  string `json:"eventType"`
				Name       string `json:"name"`
				FinishedAt stamp  `json:"finishedAt"`
			}{"conversationEnded", c.Name, stamp(now)})
			return
		}
	}
	panic(fmt.Sprintf("apizeetest: EndConference: no conference %d", id))
}
