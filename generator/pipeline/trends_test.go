package pipeline_test

// The history pages as the build computes them from an evidence
// repository: on the demo bank, what its scenario changes between runs,
// said in words, with the charts and their tables; the per-pair cache under
// <evidence>/.git/evident-cache/history; and what the pages say when the
// history cannot be read or a snapshot cannot be re-checked.

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evident-project/evident/generator/collect"
	"github.com/evident-project/evident/generator/collect/all"
	"github.com/evident-project/evident/generator/collect/file"
	"github.com/evident-project/evident/generator/demo"
	"github.com/evident-project/evident/generator/evidence"
	"github.com/evident-project/evident/generator/pipeline"
)

// histCache lists the history cache's entry files by path.
func histCache(t *testing.T, evidenceDir string) map[string]os.FileInfo {
	t.Helper()
	return cacheFiles(t, filepath.Join(evidenceDir, ".git", "evident-cache", "history"))
}

// cacheFiles lists the files under dir.
func cacheFiles(t *testing.T, dir string) map[string]os.FileInfo {
	t.Helper()
	out := map[string]os.FileInfo{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		out[p] = fi
		return nil
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return out
}

func histPage(t *testing.T, dir, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func histContains(t *testing.T, name, page string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(page, w) {
			t.Errorf("%s lacks %q", name, w)
			if os.Getenv("HISTDEBUG") != "" {
				t.Log(page)
			}
		}
	}
}

func TestHistoryOnTheDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the whole demo; runs in make test")
	}
	reg := all.Registry()
	res, err := demo.Build(context.Background(), demo.Options{Out: filepath.Join(t.TempDir(), "demo"), Seed: 1, Registry: reg})
	if err != nil {
		t.Fatalf("build demo: %v", err)
	}
	build := func(t *testing.T, rev string) (string, time.Duration) {
		t.Helper()
		dir := filepath.Join(t.TempDir(), "site")
		start := time.Now()
		if _, err := pipeline.Build(pipeline.BuildOptions{EvidenceDir: res.EvidenceDir, SiteDir: dir, Rev: rev, Registry: reg, ConfigPath: res.ConfigPath}); err != nil {
			t.Fatal(err)
		}
		return dir, time.Since(start)
	}

	t.Run("pages", func(t *testing.T) {
		site := histPage(t, res.SiteDir, "history.html")
		histContains(t, "history.html", site,
			// The charts, drawn as SVG, each with its figures as a table.
			`id="chart-pass"`, `id="chart-signed"`, `id="chart-approvals"`, `id="chart-periods"`, "<svg",
			"<caption>Changes with two or more approvals, period to date</caption>",
			// The figures at snapshot #8 are the attestation's hand counts
			// (attestation_test.go): 29 of 31 human changes with two
			// approvals, 80 of 89 commits verified.
			"<td>93.5% (29 of 31)</td>", "89.9% (80 of 89)",
			// On 1 October nothing is merged in Q4 yet: a share of nothing
			// is unknown, not 0% or 100%.
			"unknown (no human-authored change merged in the period yet)",
			"8 snapshot(s), from 2026-07-16 to 2026-11-16",
			`<a href="history/CM-06.html">CM-06</a>`,
		)
		// The direct push of 13 November (demo/github.go), found by the
		// 16 November run: CM-06 turns to fail, and the step says why.
		histContains(t, "history/CM-06.html", histPage(t, res.SiteDir, "history/CM-06.html"),
			"outcome pass → fail",
			"direct push to payments-api main by dokafor, not through a pull request: 69ffe171b0aa",
			`<a class="mono" href="../evidence/items/github/first-harbor-bank/pulls/2026-Q4.json">`,
			"git diff ",
		)
		// The control page's recent runs read the same entries: the run
		// that found the push, and the item that changed in it.
		histContains(t, "controls/CM-06.html", histPage(t, res.SiteDir, "controls/CM-06.html"),
			"outcome pass → fail", "changed items/github/first-harbor-bank/pulls/2026-Q4.json")
		// payments-api #59, merged with one approval before 16 October.
		histContains(t, "history/CM-02.html", histPage(t, res.SiteDir, "history/CM-02.html"),
			"payments-api #59 merged with 1 approval(s) (author talvarez, merged by hbrooks)")
		// Tomás switched off two-factor authentication on 5 October.
		histContains(t, "history/AC-03.html", histPage(t, res.SiteDir, "history/AC-03.html"),
			"two-factor authentication of talvarez: on → off")
		// The closed quarter's own pages stop at its closing snapshot and
		// hold Q3's direct push (infra-gitops, 817d93f7).
		q3 := histPage(t, res.SiteDir, filepath.Join("periods", "2026-Q3", "history", "CM-06.html"))
		histContains(t, "periods/2026-Q3/history/CM-06.html", q3, "direct push to infra-gitops main by praman, not through a pull request: 817d93f73604")
		if strings.Contains(q3, "69ffe171b0aa") {
			t.Error("the Q3 pages, as of 16 September, show a Q4 change")
		}
	})

	t.Run("cache", func(t *testing.T) {
		// The demo's build kept one entry per snapshot; its Q3 pages, as
		// of snapshot #4, reused the first four.
		if n := len(histCache(t, res.EvidenceDir)); n != 8 {
			t.Fatalf("%d cached history entries after the demo's build, want 8 (one per snapshot)", n)
		}
		if err := os.RemoveAll(filepath.Join(res.EvidenceDir, ".git", "evident-cache", "history")); err != nil {
			t.Fatal(err)
		}
		_, cold := build(t, "HEAD~1")
		before := histCache(t, res.EvidenceDir)
		if len(before) != 7 {
			t.Fatalf("%d cached entries after building snapshot #7, want 7", len(before))
		}
		// One more snapshot: one more entry, and the seven others read,
		// not recomputed (a computed entry is written to a new file).
		_, warm := build(t, "HEAD")
		after := histCache(t, res.EvidenceDir)
		if len(after) != 8 {
			t.Fatalf("%d cached entries after building snapshot #8, want 8", len(after))
		}
		for p, fi := range before {
			if !os.SameFile(fi, after[p]) {
				t.Errorf("%s was recomputed", p)
			}
		}
		t.Logf("build of snapshot #7 with an empty history cache %s; of #8, one new entry, %s", cold.Round(time.Millisecond), warm.Round(time.Millisecond))

		// The pages are rendered from what the cache holds...
		var newest string
		for p := range after {
			if _, ok := before[p]; !ok {
				newest = p
			}
		}
		b, err := os.ReadFile(newest)
		if err != nil {
			t.Fatal(err)
		}
		const push = "direct push to payments-api main by dokafor"
		if !strings.Contains(string(b), push) {
			t.Fatalf("the newest entry does not hold the direct push:\n%.2000s", b)
		}
		if err := os.WriteFile(newest, []byte(strings.ReplaceAll(string(b), push, "read from the cache")), 0o644); err != nil {
			t.Fatal(err)
		}
		dir, _ := build(t, "HEAD")
		if ctl := histPage(t, dir, "history/CM-06.html"); !strings.Contains(ctl, "read from the cache") || strings.Contains(ctl, push) {
			t.Error("the pages were not rendered from the cached entry")
		}
		// A build with no new snapshot computes nothing (WriteFile above
		// kept the file; a computed entry would be a new one).
		for p, fi := range after {
			if now := histCache(t, res.EvidenceDir)[p]; !os.SameFile(fi, now) {
				t.Errorf("%s was recomputed by a build with no new snapshot", p)
			}
		}
		// ...and an entry that does not decode is a miss, computed again.
		if err := os.WriteFile(newest, []byte(`{"summary":`), 0o644); err != nil {
			t.Fatal(err)
		}
		dir, _ = build(t, "HEAD")
		histContains(t, "history/CM-06.html after a corrupt cache entry", histPage(t, dir, "history/CM-06.html"), push)
		if b, _ := os.ReadFile(newest); !strings.Contains(string(b), push) {
			t.Error("the corrupt entry was not replaced")
		}
	})
}

const (
	histConfigV1 = `version: 1
organization: {name: Test Bank}
controls:
  - id: AC-01
    title: Quarterly access review
    family: logical_access
    objective: access is reviewed every quarter
    risk: stale access
    owner: CISO
    frequency: quarterly
    key: true
    evidence:
      - {id: reviews, collector: file, params: {paths: ["records/*.md"]}}
      - {id: probe, collector: command, params: {argv: [sh, -c, "echo ok"]}}
    assertions:
      - name: review-done
        expr: reviews.files.exists(f, f.front_matter.period == period.id && f.front_matter.status == "completed") && probe.exit_code == 0
        severity: high
        message: no completed access review for the period
`
	// histConfigV2 no longer uses the command collector.
	histConfigV2 = `version: 1
organization: {name: Test Bank}
controls:
  - id: AC-01
    title: Quarterly access review
    family: logical_access
    objective: access is reviewed every quarter
    risk: stale access
    owner: CISO
    frequency: quarterly
    key: true
    evidence:
      - {id: reviews, collector: file, params: {paths: ["records/*.md"]}}
    assertions:
      - name: review-done
        expr: reviews.files.exists(f, f.front_matter.period == period.id && f.front_matter.status == "completed")
        severity: high
        message: no completed access review for the period
`
)

// histRepo collects two snapshots: the review in progress, with a config
// using the command collector, then the review completed, with a config
// that no longer does.
func histRepo(t *testing.T) (evidenceDir string) {
	t.Helper()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "controls.yaml")
	records := filepath.Join(dir, "records")
	if err := os.MkdirAll(records, 0o755); err != nil {
		t.Fatal(err)
	}
	evidenceDir = filepath.Join(dir, "evidence")
	for i, run := range []struct{ config, status, at string }{
		{histConfigV1, "in progress", "2026-11-01T06:00:00Z"},
		{histConfigV2, "completed", "2026-11-02T06:00:00Z"},
	} {
		if err := os.WriteFile(cfg, []byte(run.config), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(records, "2026-Q4.md"), []byte("---\nperiod: 2026-Q4\nstatus: "+run.status+"\n---\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		at, _ := time.Parse(time.RFC3339, run.at)
		if _, err := pipeline.Collect(context.Background(), pipeline.CollectOptions{ConfigPath: cfg, EvidenceDir: evidenceDir, Registry: all.Registry(), Now: func() time.Time { return at }}); err != nil {
			t.Fatalf("collect run %d: %v", i+1, err)
		}
	}
	return evidenceDir
}

// TestHistoryWithASnapshotNotRechecked builds with a registry that lacks
// the command collector: the first snapshot's config does not load, so no
// outcome is claimed for it, and the build goes on.
func TestHistoryWithASnapshotNotRechecked(t *testing.T) {
	ev := histRepo(t)
	reg := collect.NewRegistry()
	reg.Register(file.New())
	dir := filepath.Join(t.TempDir(), "site")
	if _, err := pipeline.Build(pipeline.BuildOptions{EvidenceDir: ev, SiteDir: dir, Registry: reg}); err != nil {
		t.Fatal(err)
	}
	histContains(t, "history.html", histPage(t, dir, "history.html"),
		"not re-checked: check snapshot", "command",
		// The second snapshot was re-checked: 1 of 1 passes.
		"<td>100.0% (1 of 1)</td>",
	)
	histContains(t, "history/AC-01.html", histPage(t, dir, "history/AC-01.html"),
		"re-checked again after a snapshot that could not be: outcome pass",
		// The record's change, in words, from the file collector's data.
		"files › records/2026-Q4.md › front matter › status: in progress → completed",
	)
	// The control page's recent runs: the first not re-checked, the
	// second re-checked from its history entry.
	histContains(t, "controls/AC-01.html", histPage(t, dir, "controls/AC-01.html"),
		"this run&#39;s config could not be re-checked", "changed items/file/")
	if n := len(histCache(t, ev)); n != 2 {
		t.Errorf("%d cached history entries, want 2", n)
	}
}

// TestHistoryUnreadable removes from the evidence repository the blob of
// an item of the first snapshot: the build still succeeds, and the history
// pages say the history could not be read, showing none of it.
func TestHistoryUnreadable(t *testing.T) {
	ev := histRepo(t)
	reg := all.Registry()
	store, err := evidence.Open(ev)
	if err != nil {
		t.Fatal(err)
	}
	head, err := store.Head()
	if err != nil {
		t.Fatal(err)
	}
	snaps, err := store.History(head, 0)
	if err != nil || len(snaps) != 2 {
		t.Fatalf("history: %d snapshots, %v", len(snaps), err)
	}
	first := snaps[1]
	var item string
	for _, it := range first.Manifest.Items {
		if it.Collector == "file" {
			item = it.Path
		}
	}
	if cur, ok := snaps[0].Manifest.Item(item); !ok || cur.SHA256 == mustItem(t, first.Manifest, item).SHA256 {
		t.Fatalf("%s is the same in both snapshots; removing it would break the rendered one", item)
	}
	c, err := store.Repository().CommitObject(first.Commit)
	if err != nil {
		t.Fatal(err)
	}
	tree, err := c.Tree()
	if err != nil {
		t.Fatal(err)
	}
	f, err := tree.File(item)
	if err != nil {
		t.Fatal(err)
	}
	h := f.Hash.String()
	if err := os.Remove(filepath.Join(ev, ".git", "objects", h[:2], h[2:])); err != nil {
		t.Fatal(err)
	}

	dir := filepath.Join(t.TempDir(), "site")
	if _, err := pipeline.Build(pipeline.BuildOptions{EvidenceDir: ev, SiteDir: dir, Registry: reg}); err != nil {
		t.Fatalf("a history that cannot be read failed the build: %v", err)
	}
	site := histPage(t, dir, "history.html")
	histContains(t, "history.html", site,
		"The history could not be read from the evidence repository, so no trend or timeline is shown: read history: snapshot #1",
		item)
	if strings.Contains(site, "<figure") || strings.Contains(site, `id="snapshot-`) {
		t.Error("history.html shows part of a history it could not read")
	}
	ctl := histPage(t, dir, "history/AC-01.html")
	histContains(t, "history/AC-01.html", ctl, "The history could not be read")
	if strings.Contains(ctl, "first recorded outcome") {
		t.Error("history/AC-01.html shows part of a history it could not read")
	}
	if n := len(histCache(t, ev)); n != 0 {
		t.Errorf("%d history entries cached from a history that could not be read", n)
	}
}

func mustItem(t *testing.T, m *evidence.Manifest, p string) evidence.ManifestItem {
	t.Helper()
	it, ok := m.Item(p)
	if !ok {
		t.Fatalf("%s not in the manifest", p)
	}
	return it
}

// TestBuildCacheDir keeps the build's derived results in the folder
// BuildOptions.CacheDir names, as a CI job persisting it would, and nothing
// in the evidence repository; a second build into a fresh site folder
// reads them instead of computing them again.
func TestBuildCacheDir(t *testing.T) {
	ev := histRepo(t)
	cache := filepath.Join(t.TempDir(), "cache")
	build := func() {
		t.Helper()
		if _, err := pipeline.Build(pipeline.BuildOptions{EvidenceDir: ev, SiteDir: filepath.Join(t.TempDir(), "site"), Registry: all.Registry(), CacheDir: cache}); err != nil {
			t.Fatal(err)
		}
	}
	build()
	hist, ver := cacheFiles(t, filepath.Join(cache, "history")), cacheFiles(t, filepath.Join(cache, "verify"))
	if len(hist) != 2 || len(ver) == 0 {
		t.Fatalf("%d history entries and %d verification results in --cache-dir, want 2 and some", len(hist), len(ver))
	}
	if n := len(histCache(t, ev)) + len(cacheFiles(t, filepath.Join(ev, ".git", "evident-cache", "verify"))); n != 0 {
		t.Errorf("%d cache files in the evidence repository although CacheDir is set", n)
	}
	build()
	for p, fi := range hist {
		if now := cacheFiles(t, filepath.Join(cache, "history"))[p]; !os.SameFile(fi, now) {
			t.Errorf("%s was recomputed", p)
		}
	}
}
