package apizeetest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Defaults of a new server.
const (
	DefaultUsername     = "agent1@apizee.com" // the username /token accepts, the agent of the seed
	DefaultPassword     = "apizeetest-secret" // the password /token accepts
	DefaultEnterpriseID = int64(1)            // the enterprise of the account, as in the guide
	DefaultPrefix       = "/api"              // where the API is mounted, as on cloud.apizee.com
)

// defaultTokenLifetime is the expires_in of issued tokens, as in the
// vendor's documentation.
const defaultTokenLifetime = 24 * time.Hour

// Server is an httptest.Server serving the Apizee API from memory. It is
// safe for concurrent use. Create it with NewServer and Close it when done.
//
// Its exported fields tell a test how to reach and log in to it; they are
// read-only: the options set what the server does.
type Server struct {
	URL          string // the base URL for apizee.WithBaseURL: "http://127.0.0.1:PORT" + prefix
	Username     string // the username /token accepts
	Password     string // the password /token accepts
	EnterpriseID int64  // the enterprise of the account, in media and statistics paths

	cfg  serverConfig
	http *httptest.Server
	// root is the scheme and host, without the prefix: media files and the
	// agent portal live there.
	root string
	mux  *http.ServeMux
	// closing ends pending fault delays, so that Close does not wait for them.
	closing   chan struct{}
	closeOnce sync.Once

	mu          sync.Mutex
	faults      []Fault
	requests    []*Request
	tokens      map[string]*tokenState
	issued      int // successful /token calls
	rates       map[string]*rateWindow
	tickets     []*ticket // in creation order
	conferences []*conference
	ticketMedia map[int64][]*ticketMedia     // by ticket id
	confMedia   map[int64][]*conferenceMedia // by conference id
	files       map[string]*mediaFile        // by hash
	redirects   map[string]string            // media path -> Location
	sessions    []*session
	statRows    []statRow // seeded statistics rows of tickets the server does not hold
	nextID      map[idKind]int64

	webhooks webhookSender // SetWebhook; its own lock
}

// serverConfig is what the options set.
type serverConfig struct {
	prefix              string
	username, password  string
	enterpriseID        int64
	seed                bool
	tokenLifetime       time.Duration
	now                 func() time.Time
	conferencesDisabled bool
	rateLimit           int
	rateWindow          time.Duration
	listener            net.Listener
}

// Option configures a Server.
type Option func(*serverConfig)

// WithPrefix mounts the API under prefix instead of DefaultPrefix; ""
// mounts it at the root. A missing leading slash is added and a trailing one
// dropped ("v3/" is "/v3"). Media files are always served at the root.
func WithPrefix(prefix string) Option {
	return func(c *serverConfig) {
		prefix = strings.TrimRight(prefix, "/")
		if prefix != "" && !strings.HasPrefix(prefix, "/") {
			prefix = "/" + prefix
		}
		c.prefix = prefix
	}
}

// WithCredentials sets the username and password /token accepts.
func WithCredentials(username, password string) Option {
	return func(c *serverConfig) { c.username, c.password = username, password }
}

// WithEnterpriseID sets the account's enterprise id, which /users/me
// returns and media and statistics paths must name.
func WithEnterpriseID(id int64) Option {
	return func(c *serverConfig) { c.enterpriseID = id }
}

// WithoutSeed starts the server with no tickets, conferences, media,
// sessions or statistics.
func WithoutSeed() Option {
	return func(c *serverConfig) { c.seed = false }
}

// WithTokenLifetime sets the lifetime (expires_in) of the tokens the server
// issues; the default is 24h.
func WithTokenLifetime(d time.Duration) Option {
	return func(c *serverConfig) { c.tokenLifetime = d }
}

// WithClock sets the clock that stamps created and modified times, dates
// token expiry and rate-limit windows. The default is time.Now.
func WithClock(now func() time.Time) Option {
	return func(c *serverConfig) { c.now = now }
}

// WithConferencesDisabled makes the account lack the Video Meeting feature:
// POST /conferences answers 403 {"message":"user is not allowed to create
// conferences"}.
func WithConferencesDisabled() Option {
	return func(c *serverConfig) { c.conferencesDisabled = true }
}

// WithRateLimit answers 429 {"error":"..."} with X-RateLimit-Reset (the
// seconds until the window ends) to the requests past the n-th of each
// window, counted per token, or per username for /token. Every endpoint
// counts, as on the real API. Windows follow the WithClock clock; n <= 0
// disables the limit.
func WithRateLimit(n int, window time.Duration) Option {
	return func(c *serverConfig) { c.rateLimit, c.rateWindow = n, window }
}

// WithListener serves on l instead of a new listener on a random port of
// 127.0.0.1, for a server that other processes reach at an address they know
// (the apizee CLI's "fake serve --addr"). l should listen on a loopback
// address: the server speaks plain HTTP, which apizee.WithBaseURL accepts
// only for loopback hosts. Close closes l.
func WithListener(l net.Listener) Option {
	return func(c *serverConfig) { c.listener = l }
}

// NewServer starts a server listening on 127.0.0.1, seeded with the
// examples of the vendor's guide unless WithoutSeed is given.
func NewServer(opts ...Option) *Server {
	cfg := serverConfig{
		prefix:        DefaultPrefix,
		username:      DefaultUsername,
		password:      DefaultPassword,
		enterpriseID:  DefaultEnterpriseID,
		seed:          true,
		tokenLifetime: defaultTokenLifetime,
		now:           time.Now,
	}
	for _, opt := range opts {
		opt(&cfg)
	}
	s := &Server{
		Username:     cfg.username,
		Password:     cfg.password,
		EnterpriseID: cfg.enterpriseID,
		cfg:          cfg,
		closing:      make(chan struct{}),
		tokens:       map[string]*tokenState{},
		rates:        map[string]*rateWindow{},
		ticketMedia:  map[int64][]*ticketMedia{},
		confMedia:    map[int64][]*conferenceMedia{},
		files:        map[string]*mediaFile{},
		redirects:    map[string]string{},
		nextID:       map[idKind]int64{ticketIDs: 900001, conferenceIDs: 850001, mediaIDs: 2400001},
	}
	s.mux = s.routes()
	// The seed's URLs need the address, and the seed must be in place before
	// the first request: listen, seed, then serve.
	s.http = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	if cfg.listener != nil {
		s.http.Listener.Close()
		s.http.Listener = cfg.listener
	}
	s.root = "http://" + s.http.Listener.Addr().String()
	s.URL = s.root + cfg.prefix
	if cfg.seed {
		s.seed()
	}
	s.http.Start()
	return s
}

// Close shuts the server down at once: it ends pending fault delays and
// webhook deliveries (queued ones are dropped), closes open connections (a
// media download in progress fails), then waits for the handlers to return.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.closing) })
	s.webhooks.close()
	s.http.CloseClientConnections()
	s.http.Close()
}

// routes registers every endpoint. API paths are under the prefix, media
// files at the root, as on cloud.apizee.com.
func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	api := func(method, path string, h http.HandlerFunc) {
		mux.HandleFunc(method+" "+s.cfg.prefix+path, h)
	}
	api("POST", "/token", s.createToken)
	api("POST", "/token/revoke", s.authed(s.revokeToken))
	api("DELETE", "/token", s.authed(s.revokeToken))
	api("GET", "/users/me", s.authed(s.currentUser))

	api("POST", "/tickets", s.authed(s.createTicket))
	api("GET", "/tickets", s.authed(s.listTickets))
	api("GET", "/tickets/{id}", s.authed(s.getTicket))
	api("GET", "/enterprises/{eid}/tickets/{id}/medias", s.authed(s.listTicketMedia))
	api("GET", "/enterprises/{eid}/tickets-stats", s.authed(s.ticketStats))

	api("POST", "/conferences", s.authed(s.createConference))
	api("GET", "/conferences", s.authed(s.listConferences))
	api("GET", "/conferences/{id}", s.authed(s.getConference))
	api("DELETE", "/conferences/{id}", s.authed(s.deleteConference))
	api("GET", "/conferences/{id}/media", s.authed(s.listConferenceMedia))

	api("GET", "/session", s.authed(s.listSessions))

	mux.HandleFunc("GET "+mediaPathPrefix+"{eid}/hash/{hash}", s.authed(s.serveMediaFile))
	mux.HandleFunc("/", s.noRoute(mux))
	return mux
}

// serve is the entry point of every request: it records the request, then
// either plays the first matching queued fault or routes it.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	path := s.relativePath(r.URL.Path)
	form := parseFormBody(r)
	rec := s.record(r, path, form)
	sw := &statusWriter{ResponseWriter: w}
	defer func() { s.setStatus(rec, sw.recorded()) }()

	if f, ok := s.takeFault(r.Method, path); ok {
		s.playFault(sw, r, f)
		return
	}
	s.route(sw, r)
}

// route applies the rate limit, then hands the request to its endpoint.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	if reset, limited := s.rateLimited(r); limited {
		w.Header().Set("X-RateLimit-Limit", strconv.Itoa(s.cfg.rateLimit))
		w.Header().Set("X-RateLimit-Remaining", "0")
		w.Header().Set("X-RateLimit-Reset", strconv.Itoa(reset))
		writeJSON(w, http.StatusTooManyRequests, errorAnswer{Error: rateLimitMessage})
		return
	}
	s.mux.ServeHTTP(w, r)
}

// relativePath is the path as faults and recorded requests name it: relative
// to the prefix for the API, absolute for anything outside it (media files).
func (s *Server) relativePath(p string) string {
	prefix := s.cfg.prefix
	if prefix == "" {
		return p
	}
	if p == prefix {
		return "/"
	}
	if rest, ok := strings.CutPrefix(p, prefix+"/"); ok {
		return "/" + rest
	}
	return p
}

// noRoute answers like the API for a path it does not serve: 405 with Allow
// when another method is served there, else 404.
func (s *Server) noRoute(mux *http.ServeMux) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var allowed []string
		for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodDelete} {
			probe := r.Clone(r.Context())
			probe.Method = m
			if _, pattern := mux.Handler(probe); pattern != "/" && pattern != "" {
				allowed = append(allowed, m)
			}
		}
		route := fmt.Sprintf("%s %s", r.Method, s.relativePath(r.URL.Path))
		if len(allowed) > 0 {
			w.Header().Set("Allow", strings.Join(allowed, ", "))
			writeJSON(w, http.StatusMethodNotAllowed, errorAnswer{Message: "No route found for \"" + route + "\": Method Not Allowed"})
			return
		}
		writeJSON(w, http.StatusNotFound, errorAnswer{Message: "No route found for \"" + route + "\""})
	}
}

// parseFormBody returns the x-www-form-urlencoded body, or nil.
func parseFormBody(r *http.Request) url.Values {
	if err := r.ParseForm(); err != nil || len(r.PostForm) == 0 {
		return nil
	}
	return r.PostForm
}

// errorAnswer is the union of Apizee's error bodies: {"code","message","details"},
// {"message"} and {"error"}.
type errorAnswer struct {
	Code    int    `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
	Details string `json:"details,omitempty"`
	Error   string `json:"error,omitempty"`
}

// Apizee's error codes.
const (
	codeInvalidParameter = 10
	codeForbidden        = 2
)

// rateLimitMessage is the {"error"} of a 429.
const rateLimitMessage = "API rate limit exceeded"

// badParameter answers 400 {"code":10,...,"details":"Parameter <name>"}, the
// API's answer to a parameter that failed validation.
func badParameter(w http.ResponseWriter, name, message string) {
	writeJSON(w, http.StatusBadRequest, errorAnswer{Code: codeInvalidParameter, Message: message, Details: "Parameter " + name})
}

// notFound answers 404 {"message": ...}.
func notFound(w http.ResponseWriter, message string) {
	writeJSON(w, http.StatusNotFound, errorAnswer{Message: message})
}

// writeJSON answers v with its Content-Length, which ShortBody faults need.
// URLs keep their & unescaped, as the API writes them.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var body bytes.Buffer
	enc := json.NewEncoder(&body)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic("apizeetest: encoding an answer: " + err.Error())
	}
	writeBody(w, status, "application/json", bytes.TrimSuffix(body.Bytes(), []byte("\n")))
}

// writeBody answers body with its Content-Type and Content-Length.
func writeBody(w http.ResponseWriter, status int, contentType string, body []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// defaultErrorBody is an Apizee-shaped error body for status.
func defaultErrorBody(status int) []byte {
	var e errorAnswer
	switch status {
	case http.StatusTooManyRequests:
		e.Error = rateLimitMessage
	case http.StatusForbidden:
		e.Code, e.Message = codeForbidden, "Access denied"
	case http.StatusUnauthorized:
		e.Message = "Invalid JWT Token"
	default:
		e.Message = http.StatusText(status)
	}
	body, _ := json.Marshal(e)
	return body
}

// sniffContentType names the type of a fault's body.
func sniffContentType(body []byte) string {
	switch t := bytes.TrimSpace(body); {
	case json.Valid(t):
		return "application/json"
	case bytes.HasPrefix(t, []byte("<")):
		return "text/html; charset=utf-8"
	}
	return "text/plain; charset=utf-8"
}

// now reads the configured clock.
func (s *Server) now() time.Time { return s.cfg.now() }

// idKind names a sequence of ids.
type idKind int

const (
	ticketIDs idKind = iota
	conferenceIDs
	mediaIDs
)

// newID returns the next id of kind. Call with mu held.
func (s *Server) newID(kind idKind) int64 {
	id := s.nextID[kind]
	s.nextID[kind]++
	return id
}

// rateWindow counts the requests of one caller in the current window.
type rateWindow struct {
	start time.Time
	count int
}

// rateLimited counts r against its caller's window and reports whether it
// is over the limit, with the whole seconds until the window resets.
func (s *Server) rateLimited(r *http.Request) (resetSeconds int, limited bool) {
	if s.cfg.rateLimit <= 0 || s.cfg.rateWindow <= 0 {
		return 0, false
	}
	key := "token:" + bearerToken(r)
	if s.relativePath(r.URL.Path) == "/token" && r.Method == http.MethodPost {
		key = "user:" + r.PostForm.Get("username") + r.PostForm.Get("assertion")
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	win := s.rates[key]
	if win == nil || !now.Before(win.start.Add(s.cfg.rateWindow)) {
		win = &rateWindow{start: now}
		s.rates[key] = win
	}
	win.count++
	if win.count <= s.cfg.rateLimit {
		return 0, false
	}
	left := win.start.Add(s.cfg.rateWindow).Sub(now)
	return int((left + time.Second - 1) / time.Second), true
}
