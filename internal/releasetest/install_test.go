package releasetest

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"go/version"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// tidy makes the tidy check write instead: go test -run
// 'TestReleaseInstallsFromAModuleProxy/tidy' -tidy is how a module that
// requires another of the repository's is tidied before the release exists.
var tidy = flag.Bool("tidy", false, "run go mod tidy in every module against the published release, leaving out our own modules' sums, instead of checking")

// cliPackage is the command a user installs with go install.
const cliPackage = "github.com/apizee-go/apizee/examples/apizee"

// alsoImported are the SDK's public packages beyond apizee and apizeetest,
// which the program below uses: it imports each of these (blank), and go get
// fetches each, so adding a package to the release is one line here.
var alsoImported = []string{
	"github.com/apizee-go/apizee/webhook",
}

// firstContact is what a new user writes first: start the fake, fetch a
// seeded ticket, and show the User-Agent the client sent.
const firstContact = `package main

import (
	"context"
	"fmt"
	"log"

	"github.com/apizee-go/apizee"
	"github.com/apizee-go/apizee/apizeetest"
%s)

func main() {
	srv := apizeetest.NewServer()
	defer srv.Close()
	client, err := apizee.NewClient(apizee.WithBaseURL(srv.URL), apizee.WithCredentials(srv.Username, srv.Password))
	if err != nil {
		log.Fatal(err)
	}
	ticket, err := client.Tickets.Get(context.Background(), 663614)
	if err != nil {
		log.Fatal(err)
	}
	reqs := srv.Requests()
	fmt.Println("ticket", ticket.ID)
	fmt.Println("user-agent", reqs[len(reqs)-1].Header.Get("User-Agent"))
}
`

// TestReleaseInstallsFromAModuleProxy publishes HEAD's modules at their
// release version into a file-based module proxy, then does what a user does
// on a machine without the checkout: go install the CLI, go get and build a
// program that imports the SDK. Then it checks that every module is tidy
// against those published versions (the modules require each other at the
// release version, which no public proxy holds before the tag).
//
// Our modules come only from that proxy, and only they skip the checksum
// database (GONOSUMDB): every other module is verified as usual. The module
// cache, GOPATH and GOBIN are temporary, so nothing of this run is left in
// the user's module cache to shadow a real release later.
func TestReleaseInstallsFromAModuleProxy(t *testing.T) {
	requireGitCheckout(t)
	snap, err := ReadSnapshot(t.Context(), ".", "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	proxyDir := filepath.Join(home, "proxy")
	if err := snap.Publish(proxyDir); err != nil {
		t.Fatal(err)
	}
	var tags []string
	for _, m := range snap.Modules {
		if m.Released() {
			tags = append(tags, m.Tag(snap.Version))
		}
	}
	t.Logf("published commit %s at %s; its tags would be %s", snap.Revision, snap.Version, strings.Join(tags, " "))
	env := userEnv(t, snap, proxyDir, home)
	t.Logf("as a user of %s", strings.TrimSpace(run(t, home, env, "go", "env", "GOVERSION")))

	t.Run("go install the CLI", func(t *testing.T) {
		dir := emptyDir(t, home, "install")
		run(t, dir, env, "go", "install", cliPackage+"@"+snap.Version)
		out := run(t, dir, env, filepath.Join(home, "bin", "apizee"), "-fake", "tickets", "list")
		if !strings.Contains(out, "663614") {
			t.Errorf("apizee -fake tickets list does not list the seeded ticket 663614:\n%s", out)
		}
	})

	t.Run("go get and build a program", func(t *testing.T) {
		dir := emptyDir(t, home, "program")
		var blank strings.Builder
		for _, p := range alsoImported {
			fmt.Fprintf(&blank, "\t_ %q\n", p)
		}
		if err := os.WriteFile(filepath.Join(dir, "main.go"), fmt.Appendf(nil, firstContact, blank.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		run(t, dir, env, "go", "mod", "init", "example.com/firstcontact")
		get := []string{"get"}
		for _, p := range append([]string{"github.com/apizee-go/apizee", "github.com/apizee-go/apizee/apizeetest"}, alsoImported...) {
			get = append(get, p+"@"+snap.Version)
		}
		run(t, dir, env, "go", get...)
		run(t, dir, env, "go", "build", "-o", filepath.Join(home, "bin", "firstcontact"), ".")
		out := run(t, dir, env, filepath.Join(home, "bin", "firstcontact"))
		if !strings.Contains(out, "ticket 663614\n") {
			t.Errorf("the program did not fetch the seeded ticket:\n%s", out)
		}
		if ua := "apizee-go/" + strings.TrimPrefix(snap.Version, "v"); !strings.Contains(out, ua) {
			t.Errorf("the User-Agent does not say %s: bump Version in client.go with the release (RELEASING.md):\n%s", ua, out)
		}
	})

	t.Run("every module is tidy", func(t *testing.T) {
		for _, m := range snap.Modules {
			if m.File.Go != nil && version.Compare("go"+m.File.Go.Version, runtime.Version()) > 0 {
				t.Logf("./%s says go %s: not tidied with %s", m.Dir, m.File.Go.Version, runtime.Version())
				continue
			}
			dir := filepath.Join(snap.Root, filepath.FromSlash(m.Dir))
			if *tidy {
				run(t, dir, env, "go", "mod", "tidy")
				dropOwnSums(t, filepath.Join(dir, "go.sum"), snap)
				continue
			}
			out, err := command(t, dir, env, "go", "mod", "tidy", "-diff")
			var exit *exec.ExitError
			if err != nil && !errors.As(err, &exit) {
				t.Fatal(err)
			}
			if err != nil && !onlyOwnSums(out, snap) {
				t.Errorf("go mod tidy -diff in ./%s: %v\n%s", m.Dir, err, out)
			}
		}
	})
}

// onlyOwnSums reports whether a go mod tidy -diff output changes nothing but
// go.sum lines of the repository's own modules. Those sums are of this
// checkout published at the release version, not of the tag: the committed
// go.sum files leave them out (RELEASING.md).
func onlyOwnSums(diff string, s *Snapshot) bool {
	changed := false
	for line := range strings.SplitSeq(diff, "\n") {
		if !strings.HasPrefix(line, "+") && !strings.HasPrefix(line, "-") ||
			strings.HasPrefix(line, "+++") || strings.HasPrefix(line, "---") {
			continue
		}
		modPath, _, _ := strings.Cut(line[1:], " ")
		if s.module(modPath) == nil {
			return false
		}
		changed = true
	}
	return changed
}

// dropOwnSums removes the sums of the repository's own modules from a
// go.sum file, for the reason onlyOwnSums gives.
func dropOwnSums(t *testing.T, goSum string, s *Snapshot) {
	data, err := os.ReadFile(goSum)
	if errors.Is(err, os.ErrNotExist) {
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	var kept []byte
	for line := range strings.SplitAfterSeq(string(data), "\n") {
		if modPath, _, _ := strings.Cut(line, " "); s.module(modPath) == nil {
			kept = append(kept, line...)
		}
	}
	if err := os.WriteFile(goSum, kept, 0o644); err != nil {
		t.Fatal(err)
	}
}

// userEnv is the environment of a user outside the repository: no
// workspace, the release proxy in front of the usual one, and a module
// cache, GOPATH and GOBIN of their own under home.
func userEnv(t *testing.T, s *Snapshot, proxyDir, home string) []string {
	var parent struct{ GOPROXY, GOSUMDB string }
	if err := json.Unmarshal([]byte(run(t, "", nil, "go", "env", "-json", "GOPROXY", "GOSUMDB")), &parent); err != nil {
		t.Fatal(err)
	}
	if parent.GOSUMDB == "off" {
		t.Log("GOSUMDB=off in this environment: third-party modules are not verified either")
	}
	return append(os.Environ(),
		"GOWORK=off",
		// The go command under test, never one downloaded into the
		// temporary module cache; go test puts its GOROOT/bin first in PATH.
		"GOTOOLCHAIN=local",
		// -modcacherw: the temporary cache can be removed without a chmod.
		// -trimpath: the build cache is shared with earlier runs although
		// the module cache's path is new each time.
		"GOFLAGS=-modcacherw -trimpath",
		"GOPROXY=file://"+filepath.ToSlash(proxyDir)+","+parent.GOPROXY,
		"GOSUMDB="+parent.GOSUMDB,
		// The root module's path is a prefix of every module's of the repo.
		"GONOSUMDB="+s.Modules[0].Path,
		"GONOPROXY=", "GOPRIVATE=", "GOINSECURE=",
		"GOPATH="+filepath.Join(home, "gopath"),
		"GOMODCACHE="+filepath.Join(home, "modcache"),
		"GOBIN="+filepath.Join(home, "bin"),
	)
}

// run runs a command and returns its combined output; a failure stops the
// test with the command, its directory and its output.
func run(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	out, err := command(t, dir, env, name, args...)
	if err != nil {
		t.Fatalf("%s %s (in %s): %v\n%s", name, strings.Join(args, " "), dir, err, out)
	}
	return out
}

func command(t *testing.T, dir string, env []string, name string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), name, args...)
	cmd.Dir = dir
	cmd.Env = env
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	start := time.Now()
	err := cmd.Run()
	t.Logf("%s %s: %v", filepath.Base(name), strings.Join(args, " "), time.Since(start).Round(10*time.Millisecond))
	return out.String(), err
}

func emptyDir(t *testing.T, home, name string) string {
	dir := filepath.Join(home, name)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// requireGitCheckout skips outside a git checkout (a source archive), except
// in CI, where the check must run.
func requireGitCheckout(t *testing.T) {
	if _, err := command(t, ".", nil, "git", "rev-parse", "--verify", "HEAD"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true but this is not a git checkout with a commit: %v", err)
		}
		t.Skipf("not a git checkout with a commit (%v): the release check publishes a commit", err)
	}
}
