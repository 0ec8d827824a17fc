package catalog

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"
)

// fakeCollectors is the collector index the tests load against: the shapes
// the real registry has (sourced and sourceless, available and planned).
type fakeCollectors map[string]fakeCollector

type fakeCollector struct {
	kind      string
	available bool
}

func (f fakeCollectors) Known(name string) (string, bool, bool) {
	c, ok := f[name]
	return c.kind, c.available, ok
}

func (f fakeCollectors) Names() []string {
	var names []string
	for n := range f {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

var testCollectors = fakeCollectors{
	"git.commits":  {kind: SourceKindGit, available: true},
	"file":         {available: true},
	"command":      {available: true},
	"github.pulls": {kind: SourceKindGitHub},
	"kube.rbac":    {kind: SourceKindKubernetes},
}

var testOpts = Options{Collectors: testCollectors}

var update = flag.Bool("update", false, "rewrite the want section of testdata/invalid/*.txtar with the current output")

// TestInvalid loads each malformed controls.yaml in testdata/invalid and
// compares the exact error output with the archive's want section. Each
// archive is a comment saying what the case shows, a "controls.yaml" file
// and a "want" file holding the expected output, one error per line.
func TestInvalid(t *testing.T) {
	files, err := filepath.Glob("testdata/invalid/*.txtar")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 25 {
		t.Fatalf("found %d invalid cases, want at least 25", len(files))
	}
	for _, path := range files {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txtar"), func(t *testing.T) {
			ar, err := txtar.ParseFile(path)
			if err != nil {
				t.Fatal(err)
			}
			input, want := section(t, ar, "controls.yaml"), section(t, ar, "want")
			c, err := Parse("controls.yaml", input, testOpts)
			if err == nil {
				t.Fatalf("Parse accepted the file (%d controls); want errors:\n%s", len(c.Controls), want)
			}
			var list ErrorList
			if !errors.As(err, &list) || len(list) == 0 {
				t.Fatalf("Parse returned %T %v, want a non-empty ErrorList", err, err)
			}
			var single *Error
			if !errors.As(err, &single) || single != list[0] {
				t.Errorf("errors.As(*Error) does not find the first error")
			}
			got := err.Error() + "\n"
			if *update {
				setSection(ar, "want", []byte(got))
				if err := os.WriteFile(path, txtar.Format(ar), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if got != string(want) {
				t.Errorf("errors differ (go test -run TestInvalid -update rewrites them)\ngot:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func section(t *testing.T, ar *txtar.Archive, name string) []byte {
	t.Helper()
	for _, f := range ar.Files {
		if f.Name == name {
			return f.Data
		}
	}
	t.Fatalf("archive has no %q section", name)
	return nil
}

func setSection(ar *txtar.Archive, name string, data []byte) {
	for i := range ar.Files {
		if ar.Files[i].Name == name {
			ar.Files[i].Data = data
			return
		}
	}
	ar.Files = append(ar.Files, txtar.File{Name: name, Data: data})
}

// TestValid loads every testdata/valid config without error.
func TestValid(t *testing.T) {
	files, err := filepath.Glob("testdata/valid/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no valid cases")
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			c, err := Load(path, testOpts)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if c.File != path || len(c.Raw) == 0 || len(c.Digest) != 64 {
				t.Errorf("File %q, %d raw bytes, digest %q: want the path, the bytes and a sha256 hex", c.File, len(c.Raw), c.Digest)
			}
		})
	}
}
