package apizee

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// MediaService lists the media recorded during assistance tickets and
// meetings (videos, snapshots, shared files).
type MediaService service

// ListMediaParams filters a media list. Zero values are not sent.
type ListMediaParams struct {
	OrderBy string // e.g. "date" (conference media only)
	Order   Order  // conference media only
	Limit   int    // page size
	Offset  int
	// Status keeps the ticket media in one of these statuses (ticket media
	// only: a conference media list refuses it). Empty: the server's
	// default, MediaCompleted only. Each is a word of letters, digits, "_"
	// or "-"; they are sent as one comma-separated "status".
	Status []string
}

// MediaCompleted is the status of a media whose recording or upload is
// complete: the only one a ticket media list returns by default.
const MediaCompleted = "completed"

// mediaStatus is what a media status may hold.
var mediaStatus = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// Media is a recorded or shared file. Ticket media and conference media come
// in different shapes; both decode into Media.
type Media struct {
	ID          int64
	Hash        string
	Title       string
	Description string
	Filename    string
	ContentType string // the ticket media "type", e.g. "video/mp4"
	MediaType   string // the conference media "media_type", e.g. "video"
	Status      string
	SourceType  string
	URL         string // where the file is served: use MediaService.Open or Download
	Size        int64  // "filesize", in bytes, when the API gives it
	Created     time.Time
	Owner       *Party
	Location    *GeoPoint // from "location", "geoloc" or "metadata.geoloc"
	// Metadata is the conference media "metadata" object as sent.
	Metadata json.RawMessage
}

// mediaWire is Media as the API sends it.
type mediaWire struct {
	ID          flexInt64       `json:"id"`
	Hash        flexString      `json:"hash"`
	Title       flexString      `json:"title"`
	Description flexString      `json:"description"`
	Filename    flexString      `json:"filename"`
	Type        flexString      `json:"type"`
	MediaType   flexString      `json:"media_type"`
	Status      flexString      `json:"status"`
	SourceType  flexString      `json:"source_type"`
	URL         flexString      `json:"url"`
	Filesize    flexInt64       `json:"filesize"`
	Created     flexTime        `json:"created"`
	Owner       *Party          `json:"owner"`
	Location    *GeoPoint       `json:"location"`
	Geoloc      *GeoPoint       `json:"geoloc"`
	Metadata    json.RawMessage `json:"metadata"`
}

// UnmarshalJSON decodes both media shapes leniently.
func (m *Media) UnmarshalJSON(b []byte) error {
	var w mediaWire
	if err := json.Unmarshal(withEmptyObjects(b), &w); err != nil {
		return err
	}
	*m = Media{
		ID: int64(w.ID), Hash: string(w.Hash), Title: string(w.Title), Description: string(w.Description),
		Filename: string(w.Filename), ContentType: string(w.Type), MediaType: string(w.MediaType),
		Status: string(w.Status), SourceType: string(w.SourceType), URL: string(w.URL),
		Size: int64(w.Filesize), Created: time.Time(w.Created), Owner: w.Owner, Location: w.Location,
	}
	if m.Location == nil {
		m.Location = w.Geoloc
	}
	if len(w.Metadata) > 0 && string(w.Metadata) != "null" {
		m.Metadata = w.Metadata
		if m.Location == nil {
			var meta struct {
				Geoloc *GeoPoint `json:"geoloc"`
			}
			if json.Unmarshal(w.Metadata, &meta) == nil {
				m.Location = meta.Geoloc
			}
		}
	}
	return nil
}

// ticketMediaEnvelope is the answer of the ticket media list:
// {"limit":10,"offset":0,"count":2,"medias":[...]}. The guide does not say
// whether count is the page's size or the total; Page.Total reports it, and
// AllForTicket does not stop on it alone (see there).
type ticketMediaEnvelope struct {
	Limit  flexInt64  `json:"limit"`
	Offset flexInt64  `json:"offset"`
	Count  *flexInt64 `json:"count"` // nil when absent
	Medias []Media    `json:"medias"`

	asked int // the page size asked for, 0 when none was sent
}

// bounds refuses a page of more media than were asked for.
func (e *ticketMediaEnvelope) bounds() answerBounds { return pageBounds(e.asked) }

// check refuses an answer that is no media list, like listEnvelope.check.
func (e *ticketMediaEnvelope) check() error {
	if e.Count == nil && e.Medias == nil {
		return errors.New(`the answer has neither "count" nor "medias": it is not a media list`)
	}
	return nil
}

// count is the reported count, 0 when there is none.
func (e *ticketMediaEnvelope) count() int {
	if e.Count == nil {
		return 0
	}
	return int(*e.Count)
}

// mediaKey names a media across the pages of a walk.
func mediaKey(m *Media) int64 { return m.ID }

// ListForTicket returns one page of the media recorded during an assistance
// ticket: GET /enterprises/{enterpriseId}/tickets/{ticketId}/medias. The
// enterprise id comes from WithEnterpriseID or, once, from GET /users/me.
// Without p.Status the server lists completed media only.
// Errors: *ValidationError for an id <= 0, bad paging or a Status item that
// is not a status word; *APIError with ErrNotFound for an unknown ticket,
// ErrForbidden for another enterprise's.
func (s *MediaService) ListForTicket(ctx context.Context, ticketID int64, p *ListMediaParams, opts ...CallOption) (*Page[Media], error) {
	p = orZero(p)
	q, err := ticketMediaQuery(ticketID, p)
	if err != nil {
		return nil, err
	}
	return s.ticketMediaPage(ctx, ticketID, q, p.Offset, p.Limit, opts)
}

// AllForTicket iterates over every media of a ticket, fetching pages as the
// loop asks for them (see ListForTicket).
func (s *MediaService) AllForTicket(ctx context.Context, ticketID int64, p *ListMediaParams, opts ...CallOption) iter.Seq2[*Media, error] {
	p = orZero(p)
	q, err := ticketMediaQuery(ticketID, p)
	if err != nil {
		return failed[Media](err)
	}
	limit := allLimit(p.Limit)
	return paginate(ctx, p.Offset, mediaKey, func(ctx context.Context, offset int) (*Page[Media], error) {
		page, err := s.ticketMediaPage(ctx, ticketID, q, offset, limit, opts)
		if err == nil && page.Total <= page.Offset+len(page.Items) {
			// A count that does not go past what has been seen may be this
			// page's size rather than the total: stopping on it could drop
			// the next pages, so the short or empty page ends the walk.
			page.Total = 0
		}
		return page, err
	})
}

// ticketMediaQuery validates p and returns the filters of the ticket media
// list; ticketMediaPage adds the paging.
func ticketMediaQuery(ticketID int64, p *ListMediaParams) (url.Values, error) {
	if err := checkID("TicketID", ticketID); err != nil {
		return nil, err
	}
	if err := checkPaging(p.Limit, p.Offset, p.Order); err != nil {
		return nil, err
	}
	for i, status := range p.Status {
		if !mediaStatus.MatchString(status) {
			return nil, invalid("Status", "item %d %q is not a media status: letters, digits, _ or -, e.g. %q", i, status, MediaCompleted)
		}
	}
	q := url.Values{}
	if len(p.Status) > 0 {
		q.Set("status", strings.Join(p.Status, ","))
	}
	return q, nil
}

func (s *MediaService) ticketMediaPage(ctx context.Context, ticketID int64, filters url.Values, offset, limit int, opts []CallOption) (*Page[Media], error) {
	eid, err := s.client.enterprise(ctx)
	if err != nil {
		return nil, err
	}
	q := cloneQuery(filters)
	setPaging(q, offset, limit)
	env := ticketMediaEnvelope{asked: limit}
	path := fmt.Sprintf("/enterprises/%d/tickets/%d/medias", eid, ticketID)
	if err := s.client.call(ctx, http.MethodGet, path, q, &env, opts...); err != nil {
		return nil, err
	}
	if env.Medias == nil {
		env.Medias = []Media{}
	}
	// The server's own limit, when it echoes one, is what makes a page short:
	// it may cap the one asked for.
	return &Page[Media]{Items: env.Medias, Total: env.count(), Offset: offset, Limit: cmp.Or(int(env.Limit), limit)}, nil
}

// ListForConference returns one page of a conference's recorded or shared
// files: GET /conferences/{id}/media. Errors: *ValidationError for an id <= 0,
// bad paging or a Status (ticket media only); *APIError with ErrNotFound for
// an unknown conference.
func (s *MediaService) ListForConference(ctx context.Context, conferenceID int64, p *ListMediaParams, opts ...CallOption) (*Page[Media], error) {
	p = orZero(p)
	q, err := conferenceMediaQuery(conferenceID, p)
	if err != nil {
		return nil, err
	}
	return listPage[Media](ctx, s.client, conferenceMediaPath(conferenceID), q, p.Offset, p.Limit, opts...)
}

// AllForConference iterates over every media of a conference, fetching pages
// as the loop asks for them (see ListForConference).
func (s *MediaService) AllForConference(ctx context.Context, conferenceID int64, p *ListMediaParams, opts ...CallOption) iter.Seq2[*Media, error] {
	p = orZero(p)
	q, err := conferenceMediaQuery(conferenceID, p)
	if err != nil {
		return failed[Media](err)
	}
	limit := allLimit(p.Limit)
	return paginate(ctx, p.Offset, mediaKey, func(ctx context.Context, offset int) (*Page[Media], error) {
		return listPage[Media](ctx, s.client, conferenceMediaPath(conferenceID), cloneQuery(q), offset, limit, opts...)
	})
}

func conferenceMediaQuery(conferenceID int64, p *ListMediaParams) (url.Values, error) {
	if err := checkID("ConferenceID", conferenceID); err != nil {
		return nil, err
	}
	if err := checkPaging(p.Limit, p.Offset, p.Order); err != nil {
		return nil, err
	}
	if len(p.Status) > 0 {
		// The conference media list documents no status filter: ignoring
		// it would return media the caller meant to leave out.
		return nil, invalid("Status", "filters ticket media only, not conference media")
	}
	q := url.Values{}
	setOrder(q, p.OrderBy, p.Order)
	return q, nil
}

func conferenceMediaPath(conferenceID int64) string {
	return fmt.Sprintf("/conferences/%d/media", conferenceID)
}
