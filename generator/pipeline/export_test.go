package pipeline_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evident-project/evident/generator/collect/all"
	"github.com/evident-project/evident/generator/demo"
	"github.com/evident-project/evident/generator/pipeline"
)

// TestExportDemoPeriod packages the demo's closed quarter twice and checks
// that the archives are the same bytes, that SHA256SUMS vouches for every
// file, and that the package holds what INDEX.md promises.
func TestExportDemoPeriod(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the whole demo; runs in make test")
	}
	reg := all.Registry()
	res, err := demo.Build(context.Background(), demo.Options{Out: t.TempDir(), Seed: 1, Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	export := func(out string) *pipeline.ExportResult {
		r, err := pipeline.Export(pipeline.ExportOptions{EvidenceDir: res.EvidenceDir, Period: "2026-Q3", OutDir: out, Registry: reg, ConfigPath: res.ConfigPath})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	a, b := export(t.TempDir()), export(t.TempDir())
	if a.Closing.Manifest.Period.ID != "2026-Q3" || a.Closing.Manifest.Sequence != 4 {
		t.Errorf("closing snapshot: #%d of %s, want #4 (16 September) of 2026-Q3", a.Closing.Manifest.Sequence, a.Closing.Manifest.Period.ID)
	}
	for i := range a.Archives {
		x, _ := os.ReadFile(a.Archives[i])
		y, _ := os.ReadFile(b.Archives[i])
		if len(x) == 0 || !bytes.Equal(x, y) {
			t.Errorf("%s: two exports of the same period differ (%d and %d bytes)", filepath.Base(a.Archives[i]), len(x), len(y))
		}
	}

	f, err := os.Open(a.Archives[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			files[strings.TrimPrefix(h.Name, a.Name+"/")], _ = io.ReadAll(tr)
		}
	}
	sums := string(files["SHA256SUMS"])
	n := 0
	for _, l := range strings.Split(strings.TrimSpace(sums), "\n") {
		sum, name, _ := strings.Cut(l, "  ")
		d := sha256.Sum256(files[name])
		if _, ok := files[name]; !ok || hex.EncodeToString(d[:]) != sum {
			t.Errorf("SHA256SUMS line %q does not match the packaged file", l)
		}
		n++
	}
	if n != len(files)-1 {
		t.Errorf("SHA256SUMS covers %d files; the package has %d besides it", n, len(files)-1)
	}
	for _, want := range []string{"INDEX.md", "VERIFY.md", "evidence/manifest.json", "evidence/manifest.sigstore.json",
		"evidence/items/github/first-harbor-bank/pulls/2026-Q3.json", "site/index.html", "site/readiness.html"} {
		if _, ok := files[want]; !ok {
			t.Errorf("package has no %s", want)
		}
	}
	for name := range files {
		if strings.HasPrefix(name, "evidence/items/") && !strings.HasSuffix(name, "/2026-Q3.json") {
			t.Errorf("package for 2026-Q3 holds %s, of another period", name)
		}
	}
	hist := 0
	for name := range files {
		if strings.HasPrefix(name, "history/") && strings.HasSuffix(name, "/manifest.json") {
			hist++
		}
	}
	if hist != 4 {
		t.Errorf("history/ has %d manifests; 2026-Q3 had 4 runs", hist)
	}
	index := string(files["INDEX.md"])
	if !strings.Contains(index, "`evidence/items/github/first-harbor-bank/pulls/2026-Q3.json`") || !strings.Contains(index, "## Change management evidence") {
		t.Errorf("INDEX.md does not map change management to the pull request evidence:\n%s", index)
	}
}

func TestExportUnknownPeriodWritesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the whole demo; runs in make test")
	}
	reg := all.Registry()
	res, err := demo.Build(context.Background(), demo.Options{Out: t.TempDir(), Seed: 1, Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	_, err = pipeline.Export(pipeline.ExportOptions{EvidenceDir: res.EvidenceDir, Period: "2025-Q1", OutDir: out, Registry: reg})
	if err == nil || !strings.Contains(err.Error(), "no snapshot of period 2025-Q1") || !strings.Contains(err.Error(), "2026-Q3, 2026-Q4") {
		t.Fatalf("err = %v; want one naming the period and the periods on record", err)
	}
	if ents, _ := os.ReadDir(out); len(ents) != 0 {
		t.Errorf("a failed export left %d files in the output folder", len(ents))
	}
}

// TestBuildKeepsClosedPeriods: a rebuild reuses a closed period's pages
// when nothing they are rendered from changed, and renders them again when
// something did (here, the build options).
func TestBuildKeepsClosedPeriods(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the whole demo; runs in make test")
	}
	reg := all.Registry()
	res, err := demo.Build(context.Background(), demo.Options{Out: t.TempDir(), Seed: 1, Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	build := func(history int) string {
		var log bytes.Buffer
		if _, err := pipeline.Build(pipeline.BuildOptions{EvidenceDir: res.EvidenceDir, SiteDir: res.SiteDir, Registry: reg, ConfigPath: res.ConfigPath, History: history, Log: &log}); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(res.SiteDir, "periods", "2026-Q3", "index.html")); err != nil {
			t.Fatalf("after a build with history %d: %v", history, err)
		}
		return log.String()
	}
	build(20)
	if log := build(20); !strings.Contains(log, "closed period 2026-Q3 unchanged") {
		t.Errorf("second identical build rendered the closed period again:\n%s", log)
	}
	if log := build(5); !strings.Contains(log, "rendering closed period 2026-Q3") {
		t.Errorf("a build with other options reused the closed period:\n%s", log)
	}
	if _, err := os.Stat(res.SiteDir + ".periods-kept"); !os.IsNotExist(err) {
		t.Errorf("the build left its scratch folder behind: %v", err)
	}
}
