package releasetest

import (
	"archive/zip"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// sdkTree is a repository laid out like this one: a root module, a module
// that requires it at the release version, a tooling module, and a fixture
// go.mod under testdata that is nobody's module.
var sdkTree = map[string]string{
	"go.mod":  "module example.com/sdk\n\ngo 1.25\n",
	"sdk.go":  "package sdk\n",
	"LICENSE": "the license\n",
	"go.work": "go 1.25\n\nuse (\n\t.\n\t./cli\n\t./internal/tool\n)\n\nreplace example.com/sdk v1.2.0 => ./\n",

	"cli/go.mod":  "module example.com/sdk/cli\n\ngo 1.25\n\nrequire example.com/sdk v1.2.0\n",
	"cli/main.go": "package main\n\nfunc main() {}\n",

	"internal/tool/go.mod": "module example.com/sdk/internal/tool\n\ngo 1.25\n",

	"testdata/fixture/go.mod": "module example.com/fixture\n\ngo 1.25\n",
}

func TestReadSnapshotFindsModulesAndVersion(t *testing.T) {
	dir := gitRepo(t, sdkTree)
	// Uncommitted: a snapshot is of the commit, as a tag would be.
	writeFiles(t, dir, map[string]string{"cli/go.mod": "module example.com/sdk/cli\n\ngo 1.25\n\nrequire example.com/sdk v9.9.9\n"})

	snap, err := ReadSnapshot(t.Context(), filepath.Join(dir, "cli"), "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	if snap.Version != "v1.2.0" {
		t.Errorf("Version %q, want go.work's v1.2.0", snap.Version)
	}
	var got []string
	for _, m := range snap.Modules {
		got = append(got, m.Dir+"="+m.Path)
	}
	want := []string{"=example.com/sdk", "cli=example.com/sdk/cli", "internal/tool=example.com/sdk/internal/tool"}
	if !slices.Equal(got, want) {
		t.Errorf("modules %q, want %q", got, want)
	}
	var tags []string
	for _, m := range snap.Modules {
		if m.Released() {
			tags = append(tags, m.Tag(snap.Version))
		}
	}
	if want := []string{"v1.2.0", "cli/v1.2.0"}; !slices.Equal(tags, want) {
		t.Errorf("tags %q, want %q", tags, want)
	}
	if !strings.Contains(string(snap.Modules[1].GoMod), "example.com/sdk v1.2.0") {
		t.Errorf("cli's go.mod is not the committed one:\n%s", snap.Modules[1].GoMod)
	}
}

func TestReadSnapshotRefusesDisagreement(t *testing.T) {
	for _, tt := range []struct {
		name    string
		change  map[string]string
		wantErr string
	}{
		{"a require behind the release", map[string]string{"cli/go.mod": "module example.com/sdk/cli\n\ngo 1.25\n\nrequire example.com/sdk v1.1.0\n"},
			"cli/go.mod requires example.com/sdk v1.1.0, but go.work's replace lines say the release is v1.2.0"},
		{"a module go.work does not use", map[string]string{"redis/go.mod": "module example.com/sdk/redis\n\ngo 1.25\n"},
			"go.work does not use ./redis"},
		{"go.work uses a directory without a module", map[string]string{"go.work": "go 1.25\n\nuse (\n\t.\n\t./cli\n\t./internal/tool\n\t./gone\n)\n\nreplace example.com/sdk v1.2.0 => ./\n"},
			"go.work uses ./gone"},
		{"a replace of every version", map[string]string{"go.work": "go 1.25\n\nuse (\n\t.\n\t./cli\n\t./internal/tool\n)\n\nreplace example.com/sdk => ./\n"},
			"go.work replaces every version of example.com/sdk"},
		{"no replace line", map[string]string{"go.work": "go 1.25\n\nuse (\n\t.\n\t./cli\n\t./internal/tool\n)\n"},
			"nothing says the release version"},
		{"replace lines at two versions", map[string]string{"go.work": "go 1.25\n\nuse (\n\t.\n\t./cli\n\t./internal/tool\n)\n\nreplace example.com/sdk v1.2.0 => ./\n\nreplace example.com/sdk/cli v1.3.0 => ./cli\n"},
			"go.work replaces example.com/sdk/cli v1.3.0 but v1.2.0"},
		{"a replace in a go.mod", map[string]string{"cli/go.mod": "module example.com/sdk/cli\n\ngo 1.25\n\nrequire example.com/sdk v1.2.0\n\nreplace example.com/sdk => ../\n"},
			"cli/go.mod has a replace or exclude directive"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tree := maps.Clone(sdkTree)
			maps.Copy(tree, tt.change)
			_, err := ReadSnapshot(t.Context(), gitRepo(t, tree), "HEAD")
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestPublishWritesAProxyTheGoCommandReads(t *testing.T) {
	snap, err := ReadSnapshot(t.Context(), gitRepo(t, sdkTree), "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	proxy := t.TempDir()
	if err := snap.Publish(proxy); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(proxy, "example.com", "sdk", "internal")); !os.IsNotExist(err) {
		t.Errorf("the tooling module was published (stat: %v)", err)
	}
	zipped := map[string][]string{
		// Not cli's, tool's or the fixture's files; go.work is in the tag
		// too, and the go command ignores it in the module cache.
		"example.com/sdk":     {"LICENSE", "go.mod", "go.work", "sdk.go"},
		"example.com/sdk/cli": {"LICENSE", "go.mod", "main.go"}, // the root's LICENSE, as the go command adds it
	}
	for modPath, want := range zipped {
		vdir := filepath.Join(proxy, filepath.FromSlash(modPath), "@v")
		if got := readFile(t, filepath.Join(vdir, "list")); got != "v1.2.0\n" {
			t.Errorf("%s list %q, want v1.2.0", modPath, got)
		}
		var info struct {
			Version string
			Time    time.Time
		}
		if err := json.Unmarshal([]byte(readFile(t, filepath.Join(vdir, "v1.2.0.info"))), &info); err != nil {
			t.Fatal(err)
		}
		if info.Version != "v1.2.0" || !info.Time.Equal(snap.Time) {
			t.Errorf("%s info %+v, want v1.2.0 at the commit time %v", modPath, info, snap.Time)
		}
		zr, err := zip.OpenReader(filepath.Join(vdir, "v1.2.0.zip"))
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, f := range zr.File {
			names = append(names, strings.TrimPrefix(f.Name, modPath+"@v1.2.0/"))
		}
		zr.Close()
		slices.Sort(names)
		if !slices.Equal(names, want) {
			t.Errorf("%s zip holds %q, want %q", modPath, names, want)
		}
	}

	// The go command itself accepts the layout, offline.
	home := t.TempDir()
	env := append(os.Environ(), "GOWORK=off", "GOTOOLCHAIN=local", "GOFLAGS=-modcacherw",
		"GOPROXY=file://"+filepath.ToSlash(proxy), "GONOSUMDB=example.com/sdk", "GONOPROXY=", "GOPRIVATE=",
		"GOMODCACHE="+filepath.Join(home, "modcache"), "GOPATH="+filepath.Join(home, "gopath"))
	run(t, home, env, "go", "mod", "download", "-json", "example.com/sdk/cli@v1.2.0", "example.com/sdk@v1.2.0")
}

// gitRepo commits files into a new git repository and returns its directory.
func gitRepo(t *testing.T, files map[string]string) string {
	dir := t.TempDir()
	writeFiles(t, dir, files)
	run(t, dir, nil, "git", "init", "-q")
	run(t, dir, nil, "git", "add", "-A")
	run(t, dir, nil, "git", "-c", "user.name=releasetest", "-c", "user.email=releasetest@example.com",
		"-c", "commit.gpgsign=false", "commit", "-q", "-m", "fixture")
	return dir
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func readFile(t *testing.T, name string) string {
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
