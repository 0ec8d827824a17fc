package file

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/evident-project/evident/generator/collect"
	"github.com/evident-project/evident/generator/collect/collecttest"
)

func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, c := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

var records = map[string]string{
	"access-reviews/2026-Q3.md":      "---\nperiod: 2026-Q3\nstatus: completed\nreviewer: Ana\ncompleted_on: 2026-09-20\n---\n# Review\n",
	"access-reviews/2026-Q4.md":      "---\nperiod: 2026-Q4\nstatus: in_progress\n---\n",
	"access-reviews/notes.txt":       "not a record",
	"records/log-retention/s3.json":  `{"ObjectLockConfiguration":{"ObjectLockEnabled":"Enabled"}}`,
	"records/deep/a/b/tabletop.yaml": "date: 2026-08-01\nresult: passed\n",
	"records/broken.yaml":            "a: [\n",
	".git/access-reviews/ignored.md": "---\nperiod: x\n---\n",
}

func TestContract(t *testing.T) {
	dir := writeTree(t, records)
	collecttest.Run(t, collecttest.Suite{
		New: New,
		Request: func(t *testing.T) collect.Request {
			return collect.Request{BaseDir: dir, Params: map[string]any{"paths": []any{"access-reviews/*.md", "records/**/*.yaml", "records/**/*.json"}}}
		},
		Failing: func(t *testing.T) map[collect.ErrorKind]collect.Request {
			return map[collect.ErrorKind]collect.Request{
				collect.KindInvalid:  {BaseDir: dir, Params: map[string]any{"paths": []any{"../etc/*"}}},
				collect.KindNotFound: {BaseDir: filepath.Join(dir, "missing"), Params: map[string]any{"paths": []any{"*.md"}}},
			}
		},
	})
}

func TestRecords(t *testing.T) {
	dir := writeTree(t, records)
	res, err := New().Collect(context.Background(), collect.Request{BaseDir: dir, Params: map[string]any{
		"paths": []any{"access-reviews/*.md", "records/**/*.yaml", "records/**/*.json"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	d := res.Data.(Data)
	var got []string
	for _, f := range d.Files {
		got = append(got, f.Path)
	}
	want := []string{"access-reviews/2026-Q3.md", "access-reviews/2026-Q4.md", "records/broken.yaml", "records/deep/a/b/tabletop.yaml", "records/log-retention/s3.json"}
	if len(got) != len(want) {
		t.Fatalf("matched %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("matched %v, want %v", got, want)
		}
	}
	fm := d.Files[0].FrontMatter.(map[string]any)
	if fm["status"] != "completed" || fm["period"] != "2026-Q3" {
		t.Errorf("front matter = %v", fm)
	}
	if d.Files[2].ParseError == "" || d.Files[2].FrontMatter != nil {
		t.Errorf("broken yaml: parse error not recorded: %+v", d.Files[2])
	}
	if d.Count != 5 || res.Provenance.Records["files"] != 5 {
		t.Errorf("count %d, records %v", d.Count, res.Provenance.Records)
	}
	if len(d.Files[0].SHA256) != 64 {
		t.Errorf("sha256 %q", d.Files[0].SHA256)
	}
}

func TestMatch(t *testing.T) {
	cases := []struct {
		pat, path string
		want      bool
	}{
		{"a/*.md", "a/x.md", true},
		{"a/*.md", "a/b/x.md", false},
		{"a/**/*.md", "a/x.md", true},
		{"a/**/*.md", "a/b/c/x.md", true},
		{"**", "x/y", true},
		{"*.md", "x/y.md", false},
	}
	for _, c := range cases {
		if got := match(c.pat, c.path); got != c.want {
			t.Errorf("match(%q, %q) = %v", c.pat, c.path, got)
		}
	}
}
