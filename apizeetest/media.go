package apizeetest

import (
	"cmp"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// mediaPathPrefix starts the path of every media file, at the server root
// whatever the API prefix, as on cloud.apizee.com.
const mediaPathPrefix = "/media/showVideo/"

// ticketMedia is a file recorded during a ticket's session, as the ticket
// media list writes it.
type ticketMedia struct {
	ID          int64     `json:"id"`
	Title       string    `json:"title"`
	Type        string    `json:"type"`
	Hash        string    `json:"hash"`
	Description *string   `json:"description"`
	SourceType  string    `json:"source_type"`
	Location    *location `json:"location,omitempty"`
	URL         string    `json:"url"`
	// Status is empty for a completed media, as in the guide's example,
	// which shows none; SetTicketMediaStatus sets another.
	Status string `json:"status,omitempty"`
}

// location is a position as the ticket media list writes it: {"lat","lon"}.
type location struct {
	Lat float64 `json:"lat"`
	Lon float64 `json:"lon"`
}

// ticketMediaAnswer is the answer of the ticket media list; count is the
// total.
type ticketMediaAnswer struct {
	Limit  int            `json:"limit"`
	Offset int            `json:"offset"`
	Medias []*ticketMedia `json:"medias"`
	Count  int            `json:"count"`
}

// conferenceMedia is a file recorded or shared in a conference, as the
// conference media list writes it.
type conferenceMedia struct {
	ID          int64         `json:"id"`
	Hash        string        `json:"hash"`
	Created     stamp         `json:"created"`
	Owner       party         `json:"owner"`
	Title       string        `json:"title"`
	Description *string       `json:"description"`
	Filename    string        `json:"filename"`
	Status      string        `json:"status"`
	MediaType   string        `json:"media_type"`
	URL         string        `json:"url"`
	Filesize    int64         `json:"filesize"`
	SourceType  string        `json:"source_type"`
	Geoloc      *geoloc       `json:"geoloc,omitempty"`
	Metadata    mediaMetadata `json:"metadata"`
}

// mediaMetadata is the metadata of a conference media.
type mediaMetadata struct {
	Geoloc *geoloc `json:"geoloc,omitempty"`
}

// mediaFile is a served file: only its size and type are stored, its bytes
// are generated from its hash as they are sent.
type mediaFile struct {
	enterpriseID int64
	size         int64
	contentType  string
}

// listTicketMedia serves GET /enterprises/{eid}/tickets/{id}/medias: limit
// and offset, newest first.
func (s *Server) listTicketMedia(w http.ResponseWriter, r *http.Request) {
	if !s.pathEnterprise(w, r) {
		return
	}
	t, ok := s.pathTicket(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	limit, ok := intParam(w, q, "limit", defaultLimit, 1, maxLimit)
	if !ok {
		return
	}
	offset, ok := intParam(w, q, "offset", 0, 0, math.MaxInt)
	if !ok {
		return
	}
	statuses, ok := mediaStatuses(w, q)
	if !ok {
		return
	}
	s.mu.Lock()
	var medias []*ticketMedia
	for _, m := range s.ticketMedia[t.ID] {
		if statuses[cmp.Or(m.Status, mediaCompleted)] {
			listed := *m // answered outside the lock, while SetTicketMediaStatus may run
			medias = append(medias, &listed)
		}
	}
	s.mu.Unlock()
	newestFirst := listQuery{limit: limit, offset: offset, desc: true}
	writeJSON(w, http.StatusOK, ticketMediaAnswer{Limit: limit, Offset: offset, Count: len(medias),
		Medias: sortAndPage(medias, newestFirst, func(a, b *ticketMedia) int { return cmp.Compare(a.ID, b.ID) })})
}

// listConferenceMedia serves GET /conferences/{id}/media: limit, offset,
// orderby, order.
func (s *Server) listConferenceMedia(w http.ResponseWriter, r *http.Request) {
	c, ok := s.pathConference(w, r)
	if !ok {
		return
	}
	lq, ok := parseListQuery(w, r.URL.Query(), false, "date", "id")
	if !ok {
		return
	}
	s.mu.Lock()
	medias := s.confMedia[c.ID]
	s.mu.Unlock()
	compare := func(a, b *conferenceMedia) int {
		return byDate(time.Time(a.Created), a.ID, time.Time(b.Created), b.ID)
	}
	if lq.orderBy == "id" {
		compare = func(a, b *conferenceMedia) int { return cmp.Compare(a.ID, b.ID) }
	}
	writeJSON(w, http.StatusOK, listAnswer[*conferenceMedia]{Total: len(medias), Data: sortAndPage(medias, lq, compare)})
}

// serveMediaFile serves GET /media/showVideo/{eid}/hash/{hash}: the file,
// generated as it is sent, or the redirect RedirectMedia set.
func (s *Server) serveMediaFile(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	location, redirected := s.redirects[r.URL.Path]
	s.mu.Unlock()
	if redirected {
		http.Redirect(w, r, location, http.StatusFound)
		return
	}
	eid, err := strconv.ParseInt(r.PathValue("eid"), 10, 64)
	hash := r.PathValue("hash")
	s.mu.Lock()
	f := s.files[hash]
	s.mu.Unlock()
	if err != nil || f == nil || f.enterpriseID != eid {
		notFound(w, "Media not found")
		return
	}
	w.Header().Set("Content-Type", f.contentType)
	w.Header().Set("Content-Length", strconv.FormatInt(f.size, 10))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = io.CopyN(w, newContentReader(hash), f.size)
	}
}

// pathEnterprise checks the {eid} of the path: 404 when it is not an id,
// 403 when it is not the account's enterprise.
func (s *Server) pathEnterprise(w http.ResponseWriter, r *http.Request) bool {
	eid, ok := pathID(w, r, "eid", "Enterprise")
	if !ok {
		return false
	}
	if eid != s.cfg.enterpriseID {
		writeJSON(w, http.StatusForbidden, errorAnswer{Code: codeForbidden,
			Message: fmt.Sprintf("You are not allowed to access enterprise %d", eid)})
		return false
	}
	return true
}

// AddTicketMedia adds a video of size bytes to the ticket's media and
// returns its URL. It panics if the server holds no such ticket.
func (s *Server) AddTicketMedia(ticketID int64, size int64) (mediaURL string) {
	if s.ticket(ticketID) == nil {
		panic(fmt.Sprintf("apizeetest: AddTicketMedia: no ticket %d", ticketID))
	}
	hash := newHash()
	m := &ticketMedia{Title: "apizeetest-" + hash[:8], Type: "video/mp4", Hash: hash,
		SourceType: "unknown", URL: s.addFile(hash, size, "video/mp4")}
	s.mu.Lock()
	defer s.mu.Unlock()
	m.ID = s.newID(mediaIDs)
	s.ticketMedia[ticketID] = append(s.ticketMedia[ticketID], m)
	s.emitTicketMedia(ticketID, m)
	return m.URL
}

// AddConferenceMedia adds a recording of size bytes to the conference's
// media and returns its URL. It panics if the server holds no such
// conference.
func (s *Server) AddConferenceMedia(conferenceID int64, size int64) (mediaURL string) {
	if s.conference(conferenceID) == nil {
		panic(fmt.Sprintf("apizeetest: AddConferenceMedia: no conference %d", conferenceID))
	}
	hash := newHash()
	title := "apizeetest-" + hash[:8] + "-composite"
	m := &conferenceMedia{Hash: hash, Created: stamp(s.now()), Owner: agentParty, Title: title,
		Filename: title + ".mp4", Status: "completed", MediaType: "video",
		URL: s.addFile(hash, size, "video/mp4"), Filesize: size, SourceType: "conf_record"}
	s.mu.Lock()
	defer s.mu.Unlock()
	m.ID = s.newID(mediaIDs)
	s.confMedia[conferenceID] = append(s.confMedia[conferenceID], m)
	s.emitConferenceMedia(conferenceID, m)
	return m.URL
}

// addFile registers the file served for hash and returns its URL.
func (s *Server) addFile(hash string, size int64, contentType string) string {
	if size < 0 {
		panic(fmt.Sprintf("apizeetest: negative media size %d", size))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[hash] = &mediaFile{enterpriseID: s.cfg.enterpriseID, size: size, contentType: contentType}
	return s.root + mediaPathPrefix + strconv.FormatInt(s.cfg.enterpriseID, 10) + "/hash/" + hash
}

// MediaContent returns the exact bytes the server serves at mediaURL, as a
// stream (a large file costs no memory), and false if it serves no file
// there.
func (s *Server) MediaContent(mediaURL string) (io.Reader, bool) {
	u, err := url.Parse(mediaURL)
	if err != nil || (u.Host != "" && s.root != u.Scheme+"://"+u.Host) {
		return nil, false
	}
	rest, ok := strings.CutPrefix(u.Path, mediaPathPrefix)
	if !ok {
		return nil, false
	}
	eid, hash, ok := strings.Cut(rest, "/hash/")
	s.mu.Lock()
	f := s.files[hash]
	s.mu.Unlock()
	if !ok || f == nil || strconv.FormatInt(f.enterpriseID, 10) != eid {
		return nil, false
	}
	return io.LimitReader(newContentReader(hash), f.size), true
}

// RedirectMedia makes GET mediaURL answer 302 to location (another host, a
// CDN), after checking the token like any media request.
func (s *Server) RedirectMedia(mediaURL, location string) {
	u, err := url.Parse(mediaURL)
	if err != nil {
		panic("apizeetest: RedirectMedia: bad media URL: " + err.Error())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.redirects[u.Path] = location
}

// newHash returns a media hash shaped like the API's (a UUID).
func newHash() string {
	b := hex.EncodeToString(randomBytes(16))
	return b[:8] + "-" + b[8:12] + "-" + b[12:16] + "-" + b[16:20] + "-" + b[20:]
}

// contentPeriod is the length of the pattern a media file repeats. It is
// prime, so that no power-of-two buffer or offset lines up with it: a chunk
// lost, doubled or moved in transit changes the checksum.
const contentPeriod = 65521

// contentReader generates a media file's bytes: byte i depends only on the
// hash and i, so that the same file is served identically every time and
// from any offset, while only one period of it is ever in memory.
type contentReader struct {
	pattern []byte
	off     int64
}

// newContentReader derives the file's pattern from its hash (splitmix64).
func newContentReader(hash string) *contentReader {
	h := fnv.New64a()
	_, _ = h.Write([]byte(hash))
	seed := h.Sum64()
	pattern := make([]byte, contentPeriod+7)
	for i := 0; i < contentPeriod; i += 8 {
		seed += 0x9e3779b97f4a7c15
		z := seed
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
		z = (z ^ (z >> 27)) * 0x94d049bb133111eb
		binary.LittleEndian.PutUint64(pattern[i:], z^(z>>31))
	}
	return &contentReader{pattern: pattern[:contentPeriod]}
}

// Read fills p; it never ends: callers bound it by the file's size.
func (g *contentReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		k := copy(p[n:], g.pattern[g.off%contentPeriod:])
		n += k
		g.off += int64(k)
	}
	return n, nil
}
