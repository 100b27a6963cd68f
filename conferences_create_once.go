package apizee

import (
	"context"
	"strings"
)

// CreateOnce creates a meeting room like Create (POST /conferences), and
// makes sure that a lost answer or a retry never makes a second room (and a
// second round of invitations). It needs a Name: the room it may have
// created is found by that exact name, like FindByName.
//
// Without an IdempotencyKey it protects this one call: before creating, it
// notes the ids of the rooms already named p.Name; after an ambiguous
// failure (a 5xx, a timeout or a lost connection after sending, a 2xx it
// could not read) it looks again, returns a room that was not there before,
// or creates again within RetryPolicy.MaxRetries. Two concurrent calls with
// the same name may each return the other's room: give each its own name,
// or a key.
//
// With an IdempotencyKey it protects every call with that key for
// IdempotencyKeyTTL, from this client and every client on the same store
// (WithStore), as Tickets.CreateOnce does: the first call creates, the
// others return the same room (a GET /conferences/{id}) with no second POST.
// A call that dies while creating holds the key for the claim TTL
// (WithIdempotencyClaimTTL); the next call then finds its room by name, or
// creates it.
//
// Errors: those of Create; a *ValidationError for a missing Name or a key
// reused with another Name; when the look-up fails after an ambiguous
// failure, an error that wraps both: the room may then exist.
func (s *ConferencesService) CreateOnce(ctx context.Context, p *CreateConferenceParams, opts ...CallOption) (*Conference, error) {
	p = orZero(p)
	q, err := createConferenceQuery(p)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(p.Name) == "" {
		return nil, invalid("Name", "is required: CreateOnce finds a room it may have created by its exact name")
	}
	if err := checkIdempotencyKey(p.IdempotencyKey); err != nil {
		return nil, err
	}
	return createOnce(ctx, s.client, p.IdempotencyKey, &onceTarget[Conference]{
		kind: "conference", by: "name", match: p.Name, finder: "FindByName",
		create: func(ctx context.Context) (*Conference, error) { return s.create(ctx, q, opts) },
		list:   func(ctx context.Context) ([]Conference, error) { return s.named(ctx, p.Name, opts) },
		get:    func(ctx context.Context, id int64) (*Conference, error) { return s.Get(ctx, id, opts...) },
		id:     func(c *Conference) int64 { return c.ID },
		// named lists exact names only; a record read from the store may
		// name any room. A listed room is whole.
		rank: func(c *Conference) int { return nameMatch(c.Name, p.Name) },
	})
}

// nameMatch says how closely got, a room name the server sent, matches
// want, the one CreateOnce sent (referenceMatch's scale): exactly, or once
// both are trimmed of white space.
func nameMatch(got, want string) int {
	switch {
	case got == want:
		return exactMatch
	case strings.TrimSpace(got) == strings.TrimSpace(want):
		return trimmedMatch
	}
	return noMatch
}

// named lists every conference named exactly name (the API's search matches
// substrings).
func (s *ConferencesService) named(ctx context.Context, name string, opts []CallOption) ([]Conference, error) {
	var out []Conference
	for conf, err := range s.All(ctx, &ListConferencesParams{Search: name}, opts...) {
		if err != nil {
			return nil, err
		}
		if conf.Name == name {
			out = append(out, *conf)
		}
	}
	return out, nil
}
