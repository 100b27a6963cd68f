package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apizee-go/apizee"
	"github.com/apizee-go/apizee/apizeetest"
)

// TestMain lets a test run this test binary as the apizee command: with
// APIZEE_TEST_RUN_MAIN=1 it is main() with the arguments of
// APIZEE_TEST_ARGS, one a line.
func TestMain(m *testing.M) {
	if os.Getenv("APIZEE_TEST_RUN_MAIN") == "1" {
		os.Args = append(os.Args[:1], strings.Split(os.Getenv("APIZEE_TEST_ARGS"), "\n")...)
		main()
		return
	}
	os.Exit(m.Run())
}

var exportLine = regexp.MustCompile(`^export (APIZEE_[A-Z_]+)='([^']*)'$|^export (APIZEE_[A-Z_]+)=([0-9]+)$|^unset (APIZEE_[A-Z_]+)$`)

// fakeEnv reads the lines fake serve printed into the environment they set.
func fakeEnv(t *testing.T, out string) map[string]string {
	t.Helper()
	env := map[string]string{}
	for line := range strings.Lines(out) {
		m := exportLine.FindStringSubmatch(strings.TrimSuffix(line, "\n"))
		require.NotNil(t, m, "not a shell line: %q", line)
		switch {
		case m[1] != "":
			env[m[1]] = m[2]
		case m[3] != "":
			env[m[3]] = m[4]
		default:
			env[m[5]] = ""
		}
	}
	return env
}

// setEnv sets env for the rest of the test, as a shell that sourced the
// lines would.
func setEnv(t *testing.T, env map[string]string) {
	for name, value := range env {
		t.Setenv(name, value)
	}
}

// firstWrite is a stdout that reports its first write.
type firstWrite struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	written chan struct{}
}

func newFirstWrite() *firstWrite { return &firstWrite{written: make(chan struct{})} }

func (w *firstWrite) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.buf.Len() == 0 {
		defer close(w.written)
	}
	return w.buf.Write(p)
}

func (w *firstWrite) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

func TestFakeServeIsSharedByCommandsAndPrograms(t *testing.T) {
	noAccount(t)
	t.Setenv(apizee.EnvToken, "a-real-accounts-token") // must not reach the fake
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	stdout, stderr := newFirstWrite(), &syncBuffer{}
	done := make(chan int)
	go func() { done <- run(ctx, []string{"fake", "serve", "--addr", "127.0.0.1:0"}, stdout, stderr) }()
	select {
	case <-stdout.written:
	case code := <-done:
		t.Fatalf("fake serve ended with %d: %s", code, stderr.String())
	}

	env := fakeEnv(t, stdout.String())
	assert.Equal(t, map[string]string{
		apizee.EnvBaseURL: env[apizee.EnvBaseURL], apizee.EnvUsername: apizeetest.DefaultUsername,
		apizee.EnvPassword: apizeetest.DefaultPassword, apizee.EnvEnterpriseID: "1", apizee.EnvToken: "",
	}, env)
	base, err := url.Parse(env[apizee.EnvBaseURL])
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1", base.Hostname())
	assert.NotEqual(t, "0", base.Port(), "the port it listens on")
	assert.Contains(t, stderr.String(), env[apizee.EnvBaseURL], "a line for people")
	assert.NotContains(t, stderr.String(), apizeetest.DefaultPassword, "the password only in the export line")
	setEnv(t, env)

	// Two commands and a program share its data.
	r := cli(t, "tickets", "create", "--phone", "+33612345678", "--reference", "shared-1")
	require.Equal(t, exitOK, r.code, r.stderr)
	created := jsonLines(t, r.stdout)[0]["id"]
	r = cli(t, "tickets", "find", "shared-1")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, created, jsonLines(t, r.stdout)[0]["id"], "the second command sees the first one's ticket")
	client, err := apizee.NewClientFromEnv()
	require.NoError(t, err)
	ticket, err := client.Tickets.FindByReference(context.Background(), "shared-1")
	require.NoError(t, err)
	assert.Equal(t, created, float64(ticket.ID), "so does a program")

	stop()
	assert.Equal(t, exitOK, <-done, "stopped by its context: %s", stderr.String())
	_, err = net.Dial("tcp", base.Host)
	assert.Error(t, err, "the server is down")
}

func TestFakeServeStopsOnASignal(t *testing.T) {
	for _, sig := range []os.Signal{os.Interrupt, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			noAccount(t)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a bound for a broken build, not a wait
			defer cancel()
			cmd := exec.CommandContext(ctx, os.Args[0])
			cmd.Env = append(os.Environ(), "APIZEE_TEST_RUN_MAIN=1", "APIZEE_TEST_ARGS=fake\nserve\n--addr\n127.0.0.1:0")
			out, err := cmd.StdoutPipe()
			require.NoError(t, err)
			var stderr syncBuffer
			cmd.Stderr = &stderr
			require.NoError(t, cmd.Start())

			var printed strings.Builder
			lines := bufio.NewScanner(out)
			for lines.Scan() {
				printed.WriteString(lines.Text() + "\n")
				if strings.HasPrefix(lines.Text(), "unset ") { // the last line
					break
				}
			}
			env := fakeEnv(t, printed.String())
			setEnv(t, env)
			r := cli(t, "tickets", "get", "82070")
			assert.Equal(t, exitOK, r.code, r.stderr)

			require.NoError(t, cmd.Process.Signal(sig))
			_, _ = io.Copy(io.Discard, out)
			assert.NoError(t, cmd.Wait(), "exit 0 on %s: %s", sig, stderr.String())
			base, err := url.Parse(env[apizee.EnvBaseURL])
			require.NoError(t, err)
			_, err = net.Dial("tcp", base.Host)
			assert.Error(t, err, "the server is down")
		})
	}
}

func TestFakeServeRefusesAddressesOffLoopback(t *testing.T) {
	noAccount(t)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer busy.Close()
	tests := []struct {
		addr string
		code int
		msg  string
	}{
		{":8089", exitUsage, "not a loopback address"},
		{"0.0.0.0:8089", exitUsage, "not a loopback address"},
		{"192.0.2.1:8089", exitUsage, "not a loopback address"},
		{"127.0.0.1", exitUsage, "missing port"},
		{busy.Addr().String(), exitAPIError, "address already in use"},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			r := cli(t, "fake", "serve", "--addr", tt.addr)
			assert.Equal(t, tt.code, r.code, r.stderr)
			assert.Contains(t, r.stderr, tt.msg)
			assert.Empty(t, r.stdout)
		})
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader in two
// goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
