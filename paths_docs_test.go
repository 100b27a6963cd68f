package apizee_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// machinePath is an absolute path of somebody's machine: a home, a work or
// temporary directory. A file of the project that names one points its
// reader at a place that does not exist on theirs.
var machinePath = regexp.MustCompile(`(?:^|[\s"'(=\x60])(/(?:home|root|Users|work|tmp)/[^\s"'()\x60]*)`)

// Nothing in the project names a path outside it: the docs, the programs,
// the go.mod and go.work files, the CI script. The tests are left out: a
// hostile file name ("/tmp/evil") is their point, and their own files live
// under t.TempDir.
func TestNoFileNamesAPathOfAMachine(t *testing.T) {
	checked := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != "." && strings.HasPrefix(d.Name(), ".") && d.Name() != ".ci" {
				return filepath.SkipDir // .git, editors' folders
			}
			return nil
		}
		name := d.Name()
		switch {
		case strings.HasSuffix(name, "_test.go"):
			return nil
		case strings.HasSuffix(name, ".go"), strings.HasSuffix(name, ".md"), name == "go.mod", name == "go.work",
			filepath.Base(filepath.Dir(path)) == ".ci":
		default:
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		checked++
		for i, line := range strings.Split(string(data), "\n") {
			if m := machinePath.FindStringSubmatch(line); m != nil {
				t.Errorf("%s:%d names %s, a path of a machine: name the thing (a guide by its title, a folder relative to the working directory)", path, i+1, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked == 0 {
		t.Fatal("no file checked")
	}
}
