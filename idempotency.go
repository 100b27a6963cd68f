package apizee

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/apizee-go/apizee/internal/retry"
)

// The create-once protocol, shared by Tickets.CreateOnce and
// Conferences.CreateOnce.
//
// Without an idempotency key it protects one call: it notes the ids of the
// objects that already match (by reference or exact name) before creating,
// and after an ambiguous failure looks again: an object that was not there
// before is the one the call created.
//
// With a key it protects every call with that key, from any client on the
// same store, for IdempotencyKeyTTL. Keys (scope: see accountScope; kind:
// ticket or conference; key: the caller's, query-escaped):
//
//	apizee:once:<kind>:<scope>:<key>        the record, JSON, IdempotencyKeyTTL:
//	    {"state":"pending","match":"case-42","before":[82070],"at":"..."}  written before the first POST
//	    {"state":"created","match":"case-42","id":900123,"at":"..."}       once the object is known
//	apizee:once-claim:<kind>:<scope>:<key>  held by the one call creating, a random owner id, the claim TTL
//
// A call reads the record: created, it returns that object (a Get). Else it
// claims the key (SetNX); a call that finds the key claimed waits for the
// record, and takes the claim over once it expires (its holder died or gave
// up). The holder lists the objects that match and writes them in the
// pending record before its first POST; a holder that finds a pending
// record (an earlier holder's) keeps its list, and first looks for an object
// that is not on it: what the earlier holder created. It renews the claim
// before each POST and bounds the POST by the claim's life, so that no POST
// is sent by a call whose claim another call may hold.
const (
	onceKeyPrefix   = "apizee:once:"
	onceClaimPrefix = "apizee:once-claim:"
	onceStatePend   = "pending"
	onceStateDone   = "created"
	// maxIdempotencyKeyLen is the longest key, in bytes.
	maxIdempotencyKeyLen = 255
)

// IdempotencyKeyTTL is how long a CreateOnce idempotency key is remembered
// after its first use: within it, a call with the same key returns the
// object the first created; after it, the key is new again.
const IdempotencyKeyTTL = 24 * time.Hour

// DefaultIdempotencyClaimTTL is how long a call creating with an
// idempotency key holds the key before another call may take it over (see
// WithIdempotencyClaimTTL).
const DefaultIdempotencyClaimTTL = 2 * time.Minute

// WithIdempotencyClaimTTL sets how long a CreateOnce call with an
// IdempotencyKey holds the key while it creates (default
// DefaultIdempotencyClaimTTL, at least a second). A holder that dies blocks
// the key that long; a holder renews its claim before each POST and bounds
// each POST, retries and rate-limit waits included, to three quarters of it,
// so raise it when the rate limiter can hold a call longer.
func WithIdempotencyClaimTTL(d time.Duration) Option {
	return func(c *config) error {
		if d < time.Second {
			return invalid("IdempotencyClaimTTL", "must be at least 1s, got %s", d)
		}
		c.claimTTL = d
		return nil
	}
}

// checkIdempotencyKey refuses a key that cannot name a record: blank, over
// 255 bytes, invalid UTF-8 or holding a control character. An empty key is
// no key.
func checkIdempotencyKey(key string) error {
	switch {
	case key == "":
		return nil
	case strings.TrimSpace(key) == "":
		return invalid("IdempotencyKey", "is blank: leave it empty for no key")
	case len(key) > maxIdempotencyKeyLen:
		return invalid("IdempotencyKey", "is %d bytes long, at most %d are allowed", len(key), maxIdempotencyKeyLen)
	case !utf8.ValidString(key):
		return invalid("IdempotencyKey", "is not valid UTF-8")
	case hasControl(key):
		return invalid("IdempotencyKey", "contains a control character")
	}
	return nil
}

// onceTarget is what the create-once protocol needs of one kind of object.
type onceTarget[T any] struct {
	kind   string // "ticket", "conference"
	by     string // what finds it: "reference", "name"
	match  string // its reference or name
	finder string // the method a caller looks it up with: "FindByReference"
	// create makes one create call (one POST, retried only when safe).
	create func(ctx context.Context) (*T, error)
	// list returns every object whose reference or name matches match.
	list func(ctx context.Context) ([]T, error)
	get  func(ctx context.Context, id int64) (*T, error)
	id   func(*T) int64
	// rank says how closely an object matches (referenceMatch's scale;
	// noMatch: it does not carry match): the closest new one is this
	// call's, the oldest among equals, and a record read from the store
	// must name one that matches.
	rank func(*T) int
	// refetch fetches a listed object whole (get) before returning it: a
	// list answer may lack fields of the object's own answer.
	refetch bool
}

// createOnce runs the protocol: keyed with a key, for one call without.
func createOnce[T any](ctx context.Context, c *Client, key string, t *onceTarget[T]) (*T, error) {
	if err := contextErr(ctx); err != nil {
		// The keyed protocol derives contexts of its own, which a nil one
		// would make panic.
		return nil, err
	}
	if key == "" {
		return t.unkeyed(ctx, c.cfg.retry.withDefaults())
	}
	return t.keyed(ctx, c, key)
}

// unkeyed protects one call: see section "Create once" of the design.
func (t *onceTarget[T]) unkeyed(ctx context.Context, policy retry.Policy) (*T, error) {
	before, err := t.list(ctx)
	if err != nil {
		return nil, errorf("apizee: listing the %ss with %s %q before creating: %w", t.kind, t.by, t.match, err)
	}
	return t.createAmong(ctx, policy, t.ids(before), nil)
}

// createAmong creates the object, the ids in existed being those that
// matched before the first create. After an ambiguous failure it waits the
// policy's backoff (a slow server may commit the first POST late), then
// looks again right before creating again: an object not in existed is the
// one created, and is returned; if there is none it creates again, at most
// RetryPolicy.MaxRetries more times. renew, when set, runs before each
// create and gives the context it is sent with. Once a POST may have
// reached the server, a failure says the object may exist.
func (t *onceTarget[T]) createAmong(ctx context.Context, policy retry.Policy, existed map[int64]bool,
	renew func(context.Context) (context.Context, context.CancelFunc, error)) (*T, error) {
	sent := false // a POST of this call may have reached the server
	for attempt := 1; ; attempt++ {
		sendCtx, done := ctx, context.CancelFunc(func() {})
		if renew != nil {
			var err error
			if sendCtx, done, err = renew(ctx); err != nil {
				return nil, t.stopped(sent, err)
			}
		}
		created, err := t.create(sendCtx)
		done()
		if err == nil {
			return created, nil
		}
		sent = sent || mayHaveSent(err)
		if !ambiguous(ctx, err) {
			return nil, t.stopped(sent && (ctx.Err() != nil || attempt > 1), err)
		}
		// The wait comes before the look, and the look right before the
		// next POST: a ticket committed during the wait is found.
		if waitErr := sleep(ctx, policy.Backoff(attempt)); waitErr != nil {
			return nil, t.stopped(true, waitErr)
		}
		after, lookErr := t.lookAgain(ctx, policy)
		if lookErr != nil {
			if ctx.Err() != nil {
				return nil, t.stopped(true, lookErr)
			}
			return nil, errorf("apizee: creating a %s failed (%w) and listing the %ss with %s %q failed too (%w): the %s may exist",
				t.kind, err, t.kind, t.by, t.match, lookErr, t.kind)
		}
		if found := t.firstNew(after, existed); found != nil {
			return t.whole(ctx, found), nil
		}
		if attempt > policy.MaxRetries {
			return nil, errorf("apizee: no %s with %s %q after %d attempts (one may still appear if the server commits late): %w",
				t.kind, t.by, t.match, attempt, err)
		}
	}
}

// stopped is the error of a create that stopped with err: when a POST may
// have reached the server, it says the object may exist, and how to look.
func (t *onceTarget[T]) stopped(mayExist bool, err error) error {
	if !mayExist {
		return err
	}
	return errorf("apizee: CreateOnce stopped after sending POST /%ss: a %s with %s %q may exist, look it up (%s) before creating it again: %w",
		t.kind, t.kind, t.by, t.match, t.finder, err)
}

// whole returns found as its own answer gives it when refetch says a list
// answer lacks fields, and found itself when that fetch fails: the object
// exists either way.
func (t *onceTarget[T]) whole(ctx context.Context, found *T) *T {
	if !t.refetch {
		return found
	}
	if full, err := t.get(ctx, t.id(found)); err == nil && t.id(full) == t.id(found) {
		return full
	}
	return found
}

// lookAgain lists the matching objects after an ambiguous create. A listing
// whose 2xx answer could not be read (a proxy's HTML page, a cut body) is
// sent again, within the retry policy: the retry layer does not repeat a
// 2xx, and without this listing an object the call did create would be left
// unreported.
func (t *onceTarget[T]) lookAgain(ctx context.Context, policy retry.Policy) ([]T, error) {
	for attempt := 1; ; attempt++ {
		found, err := t.list(ctx)
		var decErr *DecodeError
		unreadable := errors.As(err, &decErr) || errors.Is(err, io.ErrUnexpectedEOF)
		if !unreadable || attempt > policy.MaxRetries || ctx.Err() != nil {
			return found, err
		}
		if sleep(ctx, policy.Backoff(attempt)) != nil {
			return nil, err
		}
	}
}

// firstNew returns the object not in existed that matches best (rank), the
// oldest (lowest id) among equals.
func (t *onceTarget[T]) firstNew(items []T, existed map[int64]bool) *T {
	var found *T
	best := noMatch
	for i := range items {
		o := &items[i]
		if existed[t.id(o)] {
			continue
		}
		if m := t.rank(o); m > best || (m == best && m != noMatch && t.id(o) < t.id(found)) {
			found, best = o, m
		}
	}
	return found
}

func (t *onceTarget[T]) ids(items []T) map[int64]bool {
	ids := make(map[int64]bool, len(items))
	for i := range items {
		ids[t.id(&items[i])] = true
	}
	return ids
}

// onceRecord is the record of an idempotency key.
type onceRecord struct {
	State  string    `json:"state"`            // onceStatePend or onceStateDone
	Match  string    `json:"match"`            // the reference or name the key was first used with
	Before []int64   `json:"before,omitempty"` // pending: the ids that matched before the first POST
	ID     int64     `json:"id,omitempty"`     // created: the object's id
	At     time.Time `json:"at"`
}

// storeFailure is a failure of the shared store in the keyed protocol:
// keyed decides, from what the call learnt before it (onceCall), whether the
// call starts over on the client's own store.
type storeFailure struct {
	what string
	err  error
}

func (e *storeFailure) Error() string {
	return "apizee: the idempotency store failed " + e.what + ": " + causeText(e.err)
}

func (e *storeFailure) Unwrap() error { return e.err }

// errClaimLost is a holder that found, renewing its claim, that another
// call holds the key (or finished with it): it goes back to reading the
// record, without sending a POST.
var errClaimLost = errors.New("apizee: the idempotency claim passed to another call")

// onceKeys holds the store keys of one idempotency key.
type onceKeys struct {
	key           string // the caller's
	record, claim string
}

// keyed protects every call with key. When the shared store fails before
// it showed the key in use and before a POST was sent, the call starts over
// on the client's own store (as without WithStore), and the client says so
// once in its log; later, the failure is returned: another call holds the
// key, or this call's POST may have created the object, and creating on
// this client alone could make a second one.
func (t *onceTarget[T]) keyed(ctx context.Context, c *Client, key string) (*T, error) {
	suffix := t.kind + ":" + c.store.scope + ":" + url.QueryEscape(key)
	keys := onceKeys{key: key, record: onceKeyPrefix + suffix, claim: onceClaimPrefix + suffix}
	if c.store.shared == nil {
		return t.keyedOn(ctx, c, c.store.own, keys, &onceCall{})
	}
	var call onceCall
	obj, err := t.keyedOn(ctx, c, c.store.shared, keys, &call)
	var failed *storeFailure
	if !errors.As(err, &failed) || ctx.Err() != nil {
		return obj, err
	}
	switch {
	case call.posts > 0:
		return nil, errorf("apizee: the idempotency store failed %s after this call sent POST: the %s may exist, "+
			"and IdempotencyKey %q is not created again on this client alone: %w", failed.what, t.kind, keys.key, failed.err)
	case call.inUse:
		return nil, errorf("apizee: the idempotency store failed %s while another call held IdempotencyKey %q: "+
			"its %s is not created again on this client alone: %w", failed.what, keys.key, t.kind, failed.err)
	}
	c.store.warn(ctx, failed.what, failed.err)
	obj, err = t.keyedOn(ctx, c, c.store.own, keys, &onceCall{})
	if err == nil && call.claimTried {
		// The store may hold this call's claim though it answered an error
		// (a command that ran, whose answer was lost or late): the next
		// caller, once that claim expires, must find this object there, so
		// the store is asked even if it just timed out.
		t.recordCreated(ctx, c, c.store.shared.Uncooled(), keys, obj)
	}
	return obj, err
}

// onceCall is what one keyed call learnt of its key on a store.
type onceCall struct {
	// inUse is set once the store showed the key in use by another call:
	// a record, or a claim held.
	inUse bool
	// claimTried is set once a SetNX of the claim was sent: the store may
	// hold this call's claim, whatever it answered.
	claimTried bool
	// posts counts the POSTs this call sent (or was about to send).
	posts int
}

func (t *onceTarget[T]) keyedOn(ctx context.Context, c *Client, st Store, keys onceKeys, call *onceCall) (*T, error) {
	var p poller
	for {
		rec, err := t.readRecord(ctx, st, keys)
		if err != nil {
			return nil, err
		}
		if rec != nil && rec.State == onceStateDone {
			return t.existing(ctx, keys, rec.ID)
		}
		call.inUse = call.inUse || rec != nil
		owner := newOwnerID()
		call.claimTried = true
		claimed, err := st.SetNX(ctx, keys.claim, owner, c.claimTTL())
		if err != nil {
			return nil, &storeFailure{"claiming the key", err}
		}
		if claimed {
			p = poller{}
			obj, err := t.hold(ctx, c, st, keys, owner, call)
			if errors.Is(err, errClaimLost) {
				continue
			}
			return obj, err
		}
		call.inUse = true
		if held := p.waited(); held > c.longestClaimHold() {
			return nil, fmt.Errorf("apizee: IdempotencyKey %q has been claimed by another call for %s, longer than a call holds it "+
				"(the store may keep the claim without its expiry): no %s was created", keys.key, held.Round(time.Second), t.kind)
		}
		if err := p.wait(ctx); err != nil {
			return nil, errorf("apizee: waiting for the %s another call is creating with IdempotencyKey %q: %w", t.kind, keys.key, err)
		}
	}
}

// hold creates the object while holding the claim on the key.
func (t *onceTarget[T]) hold(ctx context.Context, c *Client, st Store, keys onceKeys, owner []byte, call *onceCall) (*T, error) {
	release := func() {
		ctx, cancel := detached(ctx)
		defer cancel()
		_, _ = st.CompareAndDelete(ctx, keys.claim, owner)
	}
	// The previous holder may have finished between the look and the claim.
	rec, err := t.readRecord(ctx, st, keys)
	if err != nil {
		release()
		return nil, err
	}
	if rec != nil && rec.State == onceStateDone {
		release()
		return t.existing(ctx, keys, rec.ID)
	}
	call.inUse = call.inUse || rec != nil
	var existed map[int64]bool
	if rec != nil {
		// An earlier holder died or gave up, maybe after its POST reached
		// the server: what it created is an object not on its list.
		existed = make(map[int64]bool, len(rec.Before))
		for _, id := range rec.Before {
			existed[id] = true
		}
		now, err := t.list(ctx)
		if err != nil {
			release()
			return nil, errorf("apizee: listing the %ss with %s %q, for what an earlier call with IdempotencyKey %q created: %w",
				t.kind, t.by, t.match, keys.key, err)
		}
		if found := t.firstNew(now, existed); found != nil {
			t.recordCreated(ctx, c, st, keys, found)
			release()
			return found, nil
		}
	} else {
		before, err := t.list(ctx)
		if err != nil {
			release()
			return nil, errorf("apizee: listing the %ss with %s %q before creating: %w", t.kind, t.by, t.match, err)
		}
		existed = t.ids(before)
		pending, _ := json.Marshal(onceRecord{State: onceStatePend, Match: t.match,
			Before: slices.Sorted(maps.Keys(existed)), At: time.Now().UTC()})
		if err := st.Set(ctx, keys.record, pending, IdempotencyKeyTTL); err != nil {
			release()
			return nil, &storeFailure{"recording the key before creating", err}
		}
	}
	obj, err := t.createAmong(ctx, c.cfg.retry.withDefaults(), existed, t.renewer(c, st, keys, owner, call))
	switch {
	case err == nil:
		t.recordCreated(ctx, c, st, keys, obj)
		release()
		return obj, nil
	case errors.Is(err, errClaimLost):
	case !ambiguous(ctx, err) && ctx.Err() == nil && call.posts <= 1:
		// Refused, or never sent, and no earlier POST of the call was
		// ambiguous: the next call need not wait.
		release()
	}
	// Otherwise the object may exist: the claim stays until it expires,
	// so that a late commit is in place when the next call looks for it.
	return nil, err
}

// renewer returns the claim's renewal, run before each POST: the holder
// gives its claim back and takes it again, for a fresh claim TTL, and sends
// the POST under a deadline of three quarters of it. A holder whose claim
// another call took (or used to finish) gets errClaimLost and sends nothing.
func (t *onceTarget[T]) renewer(c *Client, st Store, keys onceKeys, owner []byte, call *onceCall) func(context.Context) (context.Context, context.CancelFunc, error) {
	return func(ctx context.Context) (context.Context, context.CancelFunc, error) {
		fail := func(err error) (context.Context, context.CancelFunc, error) {
			if call.posts > 0 {
				// A POST may have been sent: starting over on another store
				// could create a second object.
				return nil, nil, errorf("apizee: renewing the claim on IdempotencyKey %q: %w", keys.key, err)
			}
			return nil, nil, &storeFailure{"renewing the claim", err}
		}
		ttl := c.claimTTL()
		at := time.Now()
		if _, err := st.CompareAndDelete(ctx, keys.claim, owner); err != nil {
			return fail(err)
		}
		claimed, err := st.SetNX(ctx, keys.claim, owner, ttl)
		if err != nil {
			return fail(err)
		}
		if !claimed {
			return nil, nil, errClaimLost
		}
		// Whether the claim had expired or was just given back, another
		// call may have taken it, created the object, recorded it and let
		// it go before this one took it again.
		rec, err := t.readRecord(ctx, st, keys)
		if err != nil {
			return fail(err)
		}
		if rec != nil && rec.State == onceStateDone {
			return nil, nil, errClaimLost
		}
		call.posts++
		sendCtx, cancel := context.WithDeadline(ctx, at.Add(ttl-ttl/4))
		return sendCtx, cancel, nil
	}
}

// readRecord returns the key's record, or nil when there is none. A record
// for another reference or name is refused: the key was reused by mistake.
func (t *onceTarget[T]) readRecord(ctx context.Context, st Store, keys onceKeys) (*onceRecord, error) {
	raw, found, err := st.Get(ctx, keys.record)
	if err != nil {
		if ctx.Err() != nil {
			return nil, contextErr(ctx)
		}
		return nil, &storeFailure{"reading the key", err}
	}
	if !found {
		return nil, nil
	}
	var rec onceRecord
	if json.Unmarshal(raw, &rec) != nil || (rec.State != onceStatePend && rec.State != onceStateDone) ||
		(rec.State == onceStateDone && rec.ID <= 0) {
		return nil, fmt.Errorf("apizee: the record of IdempotencyKey %q in the store is not one this SDK wrote", keys.key)
	}
	if rec.Match != t.match {
		return nil, invalid("IdempotencyKey", "%q was first used for a %s with %s %q, not %q", keys.key, t.kind, t.by, rec.Match, t.match)
	}
	return &rec, nil
}

// recordCreated notes the object created for the key. It is written even
// when the caller's context just ended; a failure is logged, and the next
// call with the key then finds the object by its reference or name.
func (t *onceTarget[T]) recordCreated(ctx context.Context, c *Client, st Store, keys onceKeys, obj *T) {
	value, _ := json.Marshal(onceRecord{State: onceStateDone, Match: t.match, ID: t.id(obj), At: time.Now().UTC()})
	wctx, cancel := detached(ctx)
	defer cancel()
	if err := st.Set(wctx, keys.record, value, IdempotencyKeyTTL); err != nil {
		c.store.warn(ctx, "recording a created "+t.kind, err)
	}
}

// existing returns the object a call with the key created. A record that
// names an object without the key's reference or name was not written by
// this SDK for this key (a corrupted store, another program on it): that
// object is not returned.
func (t *onceTarget[T]) existing(ctx context.Context, keys onceKeys, id int64) (*T, error) {
	obj, err := t.get(ctx, id)
	if err != nil {
		return nil, errorf("apizee: reading the %s created with IdempotencyKey %q (id %d): %w", t.kind, keys.key, id, err)
	}
	if t.rank(obj) == noMatch {
		return nil, fmt.Errorf("apizee: the record of IdempotencyKey %q in the store names %s %d, which does not have %s %q: "+
			"the record is not one this SDK wrote", keys.key, t.kind, id, t.by, t.match)
	}
	return obj, nil
}

// longestClaimHold bounds how long a call waits for a claim another call
// holds. A holder renews its claim before each of its POSTs, at most
// RetryPolicy.MaxRetries+1, and each renewal lives one claim TTL: a claim
// held longer than that has lost its expiry (a store that dropped it, a key
// someone else wrote), and waiting on it would never end.
func (c *Client) longestClaimHold() time.Duration {
	return time.Duration(c.cfg.retry.withDefaults().MaxRetries+2) * c.claimTTL()
}

// claimTTL is the configured claim TTL, or the default.
func (c *Client) claimTTL() time.Duration {
	if c.cfg.claimTTL > 0 {
		return c.cfg.claimTTL
	}
	return DefaultIdempotencyClaimTTL
}
