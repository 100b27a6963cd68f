// Package releasetest publishes the repository's modules, as a tag on HEAD
// would release them, into a file-based module proxy, so that a test can
// install them the way a user does: with no workspace and no checkout.
//
// It is a module of its own so that golang.org/x/mod never becomes a
// dependency of the SDK; go.work joins it to the others. Its own path has an
// "internal" element, which marks it as repository tooling: it is checked
// (tidy, vet, tests) but never published or tagged (see Module.Released).
package releasetest

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	modzip "golang.org/x/mod/zip"
)

// Snapshot is the committed tree of one revision: what tagging that revision
// would release. Uncommitted changes are not in it, on purpose: a tag holds
// commits, not a working tree.
type Snapshot struct {
	Root     string    // the repository's top directory, absolute
	Revision string    // the commit hash
	Time     time.Time // the commit time, the published versions' time
	// Version is the version every module is released at: the version of
	// go.work's replace lines, which the modules' requirements on each other
	// must also name.
	Version string
	Modules []Module // sorted by directory, the root module first

	files []*zip.File // git archive of the revision
}

// Module is one module of a Snapshot.
type Module struct {
	Path  string // the module path, from its go.mod
	Dir   string // slash-separated, relative to the repository root; "" for the root module
	GoMod []byte // its go.mod as committed
	File  *modfile.File
}

// Released reports whether the module is published and tagged: every module
// except repository tooling, whose module path has an "internal" element (a
// test-only module belongs under internal/).
func (m Module) Released() bool {
	return !slices.Contains(strings.Split(m.Path, "/"), "internal")
}

// Tag is the git tag that releases the module at version.
func (m Module) Tag(version string) string {
	if m.Dir == "" {
		return version
	}
	return m.Dir + "/" + version
}

// ReadSnapshot reads revision (HEAD, a hash) of the git repository that holds
// dir. It finds the modules by their go.mod files and refuses a tree whose
// modules, go.work and cross-module requirements disagree, naming the file
// to fix.
func ReadSnapshot(ctx context.Context, dir, revision string) (*Snapshot, error) {
	root, err := git(ctx, dir, "rev-parse", "--show-toplevel")
	if err != nil {
		return nil, err
	}
	s := &Snapshot{Root: strings.TrimSpace(string(root))}
	out, err := git(ctx, s.Root, "show", "-s", "--format=%H %cI", revision+"^{commit}")
	if err != nil {
		return nil, err
	}
	hash, when, _ := strings.Cut(strings.TrimSpace(string(out)), " ")
	s.Revision = hash
	if s.Time, err = time.Parse(time.RFC3339, when); err != nil {
		return nil, fmt.Errorf("commit time of %s: %w", revision, err)
	}
	// The settings are the go command's own when it zips a git tag: no
	// line-ending translation on the way out.
	archive, err := git(ctx, s.Root, "-c", "core.autocrlf=input", "-c", "core.eol=lf", "archive", "--format=zip", s.Revision)
	if err != nil {
		return nil, err
	}
	zr, err := zip.NewReader(bytes.NewReader(archive), int64(len(archive)))
	if err != nil {
		return nil, fmt.Errorf("git archive of %s: %w", s.Revision, err)
	}
	s.files = zr.File
	if err := s.findModules(); err != nil {
		return nil, err
	}
	if err := s.checkWorkspace(); err != nil {
		return nil, err
	}
	return s, nil
}

// findModules parses every go.mod of the tree, leaving out those the go
// command ignores too (under testdata, or a directory starting with . or _).
func (s *Snapshot) findModules() error {
	for _, f := range s.files {
		if path.Base(f.Name) != "go.mod" || ignoredByGo(path.Dir(f.Name)) {
			continue
		}
		data, err := readZipFile(f)
		if err != nil {
			return err
		}
		mf, err := modfile.Parse(f.Name, data, nil)
		if err != nil {
			return err
		}
		if mf.Module == nil {
			return fmt.Errorf("%s has no module line", f.Name)
		}
		dir := path.Dir(f.Name)
		if dir == "." {
			dir = ""
		}
		s.Modules = append(s.Modules, Module{Path: mf.Module.Mod.Path, Dir: dir, GoMod: data, File: mf})
	}
	slices.SortFunc(s.Modules, func(a, b Module) int { return strings.Compare(a.Dir, b.Dir) })
	if len(s.Modules) == 0 || s.Modules[0].Dir != "" {
		return errors.New("no go.mod at the repository's root")
	}
	return nil
}

func ignoredByGo(dir string) bool {
	for elem := range strings.SplitSeq(dir, "/") {
		if elem == "testdata" || strings.HasPrefix(elem, ".") && elem != "." || strings.HasPrefix(elem, "_") {
			return true
		}
	}
	return false
}

// checkWorkspace checks that go.work uses exactly the modules found, and
// takes the release version from its replace lines: the versions the
// modules require each other at, served from the checkout.
func (s *Snapshot) checkWorkspace() error {
	f := s.file("go.work")
	if f == nil {
		return fmt.Errorf("go.work is not committed at %s", s.Revision)
	}
	data, err := readZipFile(f)
	if err != nil {
		return err
	}
	work, err := modfile.ParseWork("go.work", data, nil)
	if err != nil {
		return err
	}
	var used []string
	for _, u := range work.Use {
		dir := path.Clean(filepath.ToSlash(u.Path))
		if dir == "." {
			dir = ""
		}
		used = append(used, dir)
	}
	for _, m := range s.Modules {
		if !slices.Contains(used, m.Dir) {
			return fmt.Errorf("go.work does not use ./%s (module %s): add it to go.work's use list", m.Dir, m.Path)
		}
	}
	for _, dir := range used {
		if !slices.ContainsFunc(s.Modules, func(m Module) bool { return m.Dir == dir }) {
			return fmt.Errorf("go.work uses ./%s, which has no committed go.mod", dir)
		}
	}
	for _, r := range work.Replace {
		if s.module(r.Old.Path) == nil {
			continue
		}
		switch {
		case r.Old.Version == "":
			return fmt.Errorf("go.work replaces every version of %s: name the release version (replace %s vX.Y.Z => ...)", r.Old.Path, r.Old.Path)
		case s.Version == "":
			s.Version = r.Old.Version
		case r.Old.Version != s.Version:
			return fmt.Errorf("go.work replaces %s %s but %s: the modules are released together at one version", r.Old.Path, r.Old.Version, s.Version)
		}
	}
	if s.Version == "" {
		return errors.New("go.work has no replace line for one of the repository's modules: nothing says the release version")
	}
	for _, m := range s.Modules {
		for _, req := range m.File.Require {
			if s.module(req.Mod.Path) != nil && req.Mod.Version != s.Version {
				return fmt.Errorf("%s requires %s %s, but go.work's replace lines say the release is %s: bump them together (RELEASING.md)",
					path.Join(m.Dir, "go.mod"), req.Mod.Path, req.Mod.Version, s.Version)
			}
		}
		if len(m.File.Replace) > 0 || len(m.File.Exclude) > 0 {
			// go install module@version refuses them.
			return fmt.Errorf("%s has a replace or exclude directive: go install refuses such a module; go.work is the place", path.Join(m.Dir, "go.mod"))
		}
	}
	return nil
}

func (s *Snapshot) module(modPath string) *Module {
	for i := range s.Modules {
		if s.Modules[i].Path == modPath {
			return &s.Modules[i]
		}
	}
	return nil
}

// file returns the archived file of that name, or nil.
func (s *Snapshot) file(name string) *zip.File {
	for _, f := range s.files {
		if f.Name == name {
			return f
		}
	}
	return nil
}

// Publish writes every released module at s.Version into dir in the layout
// of a GOPROXY=file:// proxy: <module>/@v/list, .info, .mod and .zip.
func (s *Snapshot) Publish(dir string) error {
	license := s.file("LICENSE")
	for _, m := range s.Modules {
		if !m.Released() {
			continue
		}
		if err := s.publish(dir, m, license); err != nil {
			return fmt.Errorf("publishing %s %s: %w", m.Path, s.Version, err)
		}
	}
	return nil
}

func (s *Snapshot) publish(dir string, m Module, license *zip.File) error {
	escPath, err := module.EscapePath(m.Path)
	if err != nil {
		return err
	}
	escVersion, err := module.EscapeVersion(s.Version)
	if err != nil {
		return err
	}
	vdir := filepath.Join(dir, filepath.FromSlash(escPath), "@v")
	if err := os.MkdirAll(vdir, 0o755); err != nil {
		return err
	}
	var files []modzip.File
	prefix := ""
	if m.Dir != "" {
		prefix = m.Dir + "/"
	}
	haveLicense := false
	for _, f := range s.files {
		name, ok := strings.CutPrefix(f.Name, prefix)
		if !ok || name == "" || strings.HasSuffix(name, "/") {
			continue
		}
		haveLicense = haveLicense || name == "LICENSE"
		files = append(files, archivedFile{name: name, f: f})
	}
	if !haveLicense && license != nil {
		// The go command does the same when it zips a module in a
		// subdirectory of a git repository.
		files = append(files, archivedFile{name: "LICENSE", f: license})
	}
	var zipped bytes.Buffer
	// Create leaves out what a module zip must not hold: nested modules,
	// vendor directories, irregular files.
	if err := modzip.Create(&zipped, module.Version{Path: m.Path, Version: s.Version}, files); err != nil {
		return err
	}
	info, err := json.Marshal(struct {
		Version string
		Time    time.Time
	}{s.Version, s.Time.UTC()})
	if err != nil {
		return err
	}
	for name, data := range map[string][]byte{
		escVersion + ".zip":  zipped.Bytes(),
		escVersion + ".mod":  m.GoMod,
		escVersion + ".info": info,
		"list":               []byte(s.Version + "\n"),
	} {
		if err := os.WriteFile(filepath.Join(vdir, name), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// archivedFile is a file of the git archive, as the module zip sees it.
type archivedFile struct {
	name string // relative to the module's directory
	f    *zip.File
}

func (a archivedFile) Path() string                 { return a.name }
func (a archivedFile) Lstat() (os.FileInfo, error)  { return a.f.FileInfo(), nil }
func (a archivedFile) Open() (io.ReadCloser, error) { return a.f.Open() }

func readZipFile(f *zip.File) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// git runs git in dir and returns its standard output; an error names the
// command and carries git's standard error.
func git(ctx context.Context, dir string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("git %s (in %s): %w: %s", strings.Join(args, " "), dir, err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}
