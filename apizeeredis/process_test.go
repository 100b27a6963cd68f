package apizeeredis

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/apizee-go/apizee"
	"github.com/apizee-go/apizee/apizeetest"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The environment of a create-once process: TestMain runs createOnceProcess
// instead of the tests when createOnceEnv is set (the test binary re-executed
// as the child, os.Args[0]).
const (
	createOnceEnv     = "APIZEEREDIS_CREATE_ONCE_PROCESS" // "ticket" or "conference"
	createOnceBaseURL = "APIZEEREDIS_CREATE_ONCE_BASE_URL"
	createOnceRedis   = "APIZEEREDIS_CREATE_ONCE_REDIS"
	createOncePrefix  = "APIZEEREDIS_CREATE_ONCE_PREFIX"
	createOnceKey     = "APIZEEREDIS_CREATE_ONCE_KEY"
	createOnceTTL     = "APIZEEREDIS_CREATE_ONCE_CLAIM_TTL"
)

// processResult is what a create-once process prints on its stdout.
type processResult struct {
	ID    int64  `json:"id"`
	Error string `json:"error,omitempty"`
}

// createOnceProcess is the child: one client on the Redis store calls
// CreateOnce once with the key, prints the result and exits (1 on error).
func createOnceProcess() int {
	rdb := redis.NewClient(&redis.Options{Addr: os.Getenv(createOnceRedis)})
	defer rdb.Close()
	ttl, err := time.ParseDuration(os.Getenv(createOnceTTL))
	result := processResult{}
	var c *apizee.Client
	if err == nil {
		c, err = apizee.NewClient(apizee.WithBaseURL(os.Getenv(createOnceBaseURL)),
			apizee.WithCredentials(apizeetest.DefaultUsername, apizeetest.DefaultPassword),
			apizee.WithStore(NewStore(rdb, os.Getenv(createOncePrefix))), apizee.WithIdempotencyClaimTTL(ttl))
	}
	if err == nil {
		key := os.Getenv(createOnceKey)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if os.Getenv(createOnceEnv) == "conference" {
			var conf *apizee.Conference
			if conf, err = c.Conferences.CreateOnce(ctx, &apizee.CreateConferenceParams{
				Participants: []string{"+33612345678"}, Name: key, IdempotencyKey: key}); err == nil {
				result.ID = conf.ID
			}
		} else {
			var ticket *apizee.Ticket
			if ticket, err = c.Tickets.CreateOnce(ctx, &apizee.CreateTicketParams{
				Agent: apizeetest.DefaultUsername, Phone: []string{"+33612345678"}, Reference: key, IdempotencyKey: key}); err == nil {
				result.ID = ticket.ID
			}
		}
	}
	if err != nil {
		result.Error = err.Error()
	}
	_ = json.NewEncoder(os.Stdout).Encode(result)
	if err != nil {
		return 1
	}
	return 0
}

// holdMode is what holdingProxy does with the first create it sees.
type holdMode int

const (
	passThrough  holdMode = iota
	holdUnsent            // keep it from the server: nothing is created
	holdAnswered          // let the server create, keep the answer back
)

// holdingProxy stands between the processes and apizeetest. The first
// create POST it sees it holds, as mode says, until the client goes away
// (killed), after closing held; everything else passes.
type holdingProxy struct {
	proxy  *httputil.ReverseProxy
	create string // the path of the create, "/api/tickets"
	mode   holdMode
	held   chan struct{}
	once   atomic.Bool
}

func (p *holdingProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if p.mode == passThrough || r.Method != http.MethodPost || r.URL.Path != p.create || !p.once.CompareAndSwap(false, true) {
		p.proxy.ServeHTTP(w, r)
		return
	}
	if p.mode == holdAnswered {
		p.proxy.ServeHTTP(httptest.NewRecorder(), r) // created; the answer goes nowhere
	}
	close(p.held)
	<-r.Context().Done() // the client is gone
}

// processEnv is one test's server, proxy and Redis, for create-once
// processes.
type processEnv struct {
	t      *testing.T
	api    *apizeetest.Server
	proxy  *holdingProxy
	url    string
	redis  string
	prefix string
	kind   string
	key    string
}

func newProcessEnv(t *testing.T, srv *redisServer, kind string, mode holdMode) *processEnv {
	api := apizeetest.NewServer()
	t.Cleanup(api.Close)
	target, err := url.Parse(api.URL)
	require.NoError(t, err)
	target.Path = ""
	create := apizeetest.DefaultPrefix + "/tickets"
	if kind == "conference" {
		create = apizeetest.DefaultPrefix + "/conferences"
	}
	proxy := &holdingProxy{proxy: httputil.NewSingleHostReverseProxy(target), create: create, mode: mode, held: make(chan struct{})}
	front := httptest.NewServer(proxy)
	t.Cleanup(front.Close)
	name := strings.NewReplacer("/", "-", " ", "-").Replace(t.Name())
	return &processEnv{t: t, api: api, proxy: proxy, url: front.URL + apizeetest.DefaultPrefix, redis: srv.Addr(),
		prefix: name + ":", kind: kind, key: name}
}

// command is a create-once process for the env's key.
func (e *processEnv) command() (*exec.Cmd, *bytes.Buffer) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), createOnceEnv+"="+e.kind, createOnceBaseURL+"="+e.url, createOnceRedis+"="+e.redis,
		createOncePrefix+"="+e.prefix, createOnceKey+"="+e.key, createOnceTTL+"="+processClaimTTL.String())
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = os.Stderr
	return cmd, &stdout
}

// processClaimTTL is the claim TTL of the processes: a creator that dies
// holds the key that long. The POST of a holder is bounded by three
// quarters of it, which must outlast the time the test takes to kill it.
const processClaimTTL = 3 * time.Second

// run runs a create-once process to its end and returns the object's id.
func (e *processEnv) run() int64 {
	e.t.Helper()
	cmd, stdout := e.command()
	err := cmd.Run()
	var res processResult
	require.NoError(e.t, json.Unmarshal(stdout.Bytes(), &res), "the process printed %q", stdout)
	require.NoError(e.t, err, "the process failed: %s", res.Error)
	require.Positive(e.t, res.ID)
	return res.ID
}

// runKilled starts a create-once process and kills it (SIGKILL) as soon as
// the proxy holds its create: after its claim, before its answer.
func (e *processEnv) runKilled() {
	e.t.Helper()
	cmd, _ := e.command()
	require.NoError(e.t, cmd.Start())
	select {
	case <-e.proxy.held:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		e.t.Fatal("the process sent no create within 30 s")
	}
	require.NoError(e.t, cmd.Process.Signal(syscall.SIGKILL))
	err := cmd.Wait()
	require.Error(e.t, err)
	status, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
	require.True(e.t, ok && status.Signaled() && status.Signal() == syscall.SIGKILL, "the process ended by SIGKILL, not on its own: %v", err)
}

// made counts the tickets with the key as reference, or rooms with it as
// name, and the create POSTs the server received.
func (e *processEnv) made() (objects, posts int) {
	if e.kind == "conference" {
		return e.api.ConferencesNamed(e.key), e.api.RequestCount(http.MethodPost, "/conferences")
	}
	return e.api.TicketsWithReference(e.key), e.api.RequestCount(http.MethodPost, "/tickets")
}

// TestCreateOnceAcrossProcesses: the create-once record lives in Redis, so
// it holds across processes. A new process with the key returns the first
// process's ticket or room with no second POST; a creator killed with
// SIGKILL between its claim and the answer blocks the key only for the claim
// TTL, after which the next process finds what the server created (by
// reference or name), or creates it: one object in every case.
func TestCreateOnceAcrossProcesses(t *testing.T) {
	srv := startRedis(t)
	for _, kind := range []string{"ticket", "conference"} {
		t.Run(kind+"/a new process returns the first object", func(t *testing.T) {
			e := newProcessEnv(t, srv, kind, passThrough)
			first := e.run()
			second := e.run()
			assert.Equal(t, first, second)
			objects, posts := e.made()
			assert.Equal(t, []int{1, 1}, []int{objects, posts}, "one object, one POST")
			assert.Equal(t, 1, e.api.RequestCount(http.MethodPost, "/token"), "the second process used the first one's token")
			assert.Equal(t, 1, e.api.RequestCount(http.MethodGet, fmt.Sprintf("/%ss/%d", kind, first)), "the second process read the object")
		})

		for _, c := range []struct {
			name string
			mode holdMode
		}{
			{"creator killed after the server created", holdAnswered},
			{"creator killed before the server created", holdUnsent},
		} {
			t.Run(kind+"/"+c.name, func(t *testing.T) {
				e := newProcessEnv(t, srv, kind, c.mode)
				e.runKilled()
				objects, posts := e.made()
				if c.mode == holdAnswered {
					require.Equal(t, []int{1, 1}, []int{objects, posts}, "the killed process's POST created the object")
				} else {
					require.Equal(t, []int{0, 0}, []int{objects, posts}, "the killed process's POST never reached the server")
				}

				killed := time.Now()
				id := e.run()
				assert.GreaterOrEqual(t, time.Since(killed), processClaimTTL/2, "the dead creator held the key for its claim")
				objects, posts = e.made()
				assert.Equal(t, []int{1, 1}, []int{objects, posts}, "exactly one object, one POST in all")
				assert.Equal(t, id, e.run(), "a third process returns the same object")
				objects, posts = e.made()
				assert.Equal(t, []int{1, 1}, []int{objects, posts})
			})
		}
	}
}
