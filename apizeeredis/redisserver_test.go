package apizeeredis

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
)

// TestMain runs a create-once process instead of the tests when the test
// binary is re-executed as one (process_test.go), and quiets go-redis's own
// log ("failed to dial after 5 attempts"), which the tests that stop Redis
// provoke on purpose.
func TestMain(m *testing.M) {
	if os.Getenv(createOnceEnv) != "" {
		os.Exit(createOnceProcess())
	}
	redis.SetLogger(quietRedisLog{})
	os.Exit(m.Run())
}

type quietRedisLog struct{}

func (quietRedisLog) Printf(context.Context, string, ...any) {}

// redisServer is a real redis-server that a test starts on a free loopback
// port, without persistence, in its own directory, and that stops at the
// end of the test. A test may stop, restart, freeze and thaw it.
type redisServer struct {
	t    testing.TB
	port int
	dir  string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
	output *lockedBuffer
}

// startRedis starts a redis-server for t, or skips t without one on PATH
// (and fails it under CI=true, where a skip would hide the tests).
func startRedis(t testing.TB) *redisServer {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("redis-server is not on PATH and CI=true: install Debian's redis-server (.ci/run does): %v", err)
		}
		t.Skip("redis-server is not on PATH: install it (Debian: apt-get install redis-server) to run the apizeeredis tests")
	}
	s := &redisServer{t: t, dir: t.TempDir()}
	var err error
	for range 5 { // a free port may be taken between the probe and the start
		s.port = freePort(t)
		if err = s.start(); err == nil {
			break
		}
	}
	require.NoError(t, err, "starting redis-server")
	t.Cleanup(s.Stop)
	return s
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func (s *redisServer) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// Client returns a new client (its own connection pool) of the server,
// closed at the end of the test.
func (s *redisServer) Client() *redis.Client {
	rdb := redis.NewClient(&redis.Options{Addr: s.Addr()})
	s.t.Cleanup(func() { rdb.Close() })
	return rdb
}

// start runs redis-server on s.port and waits until it says it is ready
// and answers PING.
func (s *redisServer) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	cmd := exec.Command("redis-server",
		"--port", strconv.Itoa(s.port),
		"--bind", "127.0.0.1",
		"--save", "",
		"--appendonly", "no",
		"--dir", s.dir,
		"--daemonize", "no",
		"--loglevel", "notice", // for "Ready to accept connections"
	)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return err
	}
	output := &lockedBuffer{}
	ready, exited := make(chan struct{}), make(chan struct{})
	go func() {
		notReady := ready
		lines := bufio.NewScanner(stdout)
		for lines.Scan() {
			fmt.Fprintln(output, lines.Text())
			if notReady != nil && strings.Contains(lines.Text(), "Ready to accept connections") {
				close(notReady)
				notReady = nil
			}
		}
		cmd.Wait()
		close(exited)
	}()
	s.cmd, s.exited, s.output = cmd, exited, output

	select {
	case <-ready:
	case <-exited:
		return fmt.Errorf("redis-server exited: %s", output)
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		<-exited
		return fmt.Errorf("redis-server is not ready after 10 s: %s", output)
	}
	rdb := redis.NewClient(&redis.Options{Addr: s.Addr()})
	defer rdb.Close()
	if err := rdb.Ping(context.Background()).Err(); err != nil {
		cmd.Process.Kill()
		<-exited
		return fmt.Errorf("redis-server does not answer PING: %v: %s", err, output)
	}
	return nil
}

// lockedBuffer collects output written from several goroutines:
// redis-server's (for the messages of failures) or a logger's.
type lockedBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Stop kills the server and waits until it has exited: its port refuses
// connections from then on. Stopping a stopped server does nothing.
func (s *redisServer) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Kill()
	<-s.exited
	s.cmd = nil
}

// Restart starts the server again on the same port, empty (no persistence).
func (s *redisServer) Restart() {
	s.t.Helper()
	require.NoError(s.t, s.start(), "restarting redis-server")
}

// Freeze stops the server's process (SIGSTOP): it keeps its port and its
// connections but answers nothing, like a hung Redis. Thaw undoes it, and
// runs at the end of the test in any case.
func (s *redisServer) Freeze() {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	require.NoError(s.t, s.cmd.Process.Signal(syscall.SIGSTOP))
	s.t.Cleanup(s.Thaw)
}

// Thaw resumes a frozen server.
func (s *redisServer) Thaw() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		s.cmd.Process.Signal(syscall.SIGCONT)
	}
}
