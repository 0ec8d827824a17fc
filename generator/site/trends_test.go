package site

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/evident-project/evident/generator/catalog"
	"github.com/evident-project/evident/generator/check"
	"github.com/evident-project/evident/generator/evidence"
	"github.com/evident-project/evident/generator/history"
)

const (
	evilText  = `<script>alert("x")</script> merged`
	pullsQ3   = "items/github/o/pulls/2026-Q3.json"
	pullsQ4   = "items/github/o/pulls/2026-Q4.json"
	commitsQ4 = "items/git/api/commits/2026-Q4.json"
)

// trendsBuilder renders only the history pages, from a history of three
// snapshots over two periods computed by the history package.
func trendsBuilder(t *testing.T, trends func([]history.Entry) TrendsInput) (string, []history.Entry) {
	t.Helper()
	snap := func(seq int, period string, month time.Month) history.Snap {
		return history.Snap{Commit: strings.Repeat(string(rune('a'+seq)), 40), Sequence: seq, Period: period, Finished: time.Date(2026, month, 16, 6, 0, 0, 0, time.UTC)}
	}
	ctl := func(id string, o check.Outcome, path string) check.ControlResult {
		return check.ControlResult{ID: id, Key: true, Outcome: o, Evidence: []check.EvidenceResult{{Paths: []string{path}}},
			Assertions: []check.AssertionResult{{Name: "two-approvals", Outcome: o, Message: "fewer than two approvals", Failures: failures(o)}}}
	}
	figs := func(path string, two int) map[string]history.Figures {
		return map[string]history.Figures{path: {Collector: "github.pulls", Usable: true, Changes: 4, TwoApprovals: two}}
	}
	entries := []history.Entry{
		{Summary: history.Summarize(snap(1, "2026-Q3", 8), &check.Report{Controls: []check.ControlResult{ctl("CM-01", check.Pass, pullsQ3), ctl("CM-02", check.Pass, pullsQ3)}}, nil, figs(pullsQ3, 4))},
		{Summary: history.Summarize(snap(2, "2026-Q3", 9), &check.Report{Controls: []check.ControlResult{ctl("CM-01", check.Fail, pullsQ3), ctl("CM-02", check.Pass, pullsQ3)}}, nil, figs(pullsQ3, 3)),
			Items: map[string]history.ItemChange{pullsQ3: {OldPath: pullsQ3, Texts: []string{"2 change(s) merged since the previous snapshot"}}}},
		{Summary: history.Summarize(snap(3, "2026-Q4", 10), &check.Report{Controls: []check.ControlResult{ctl("CM-01", check.Fail, pullsQ4), ctl("CM-02", check.Fail, pullsQ4)}}, nil, nil),
			Items: map[string]history.ItemChange{pullsQ4: {OldPath: pullsQ3, Texts: []string{evilText}}}},
	}
	cur := entries[2].Summary
	m := &evidence.Manifest{Sequence: 3, Finished: cur.Finished, Items: []evidence.ManifestItem{{FileRef: evidence.FileRef{Path: pullsQ4}}}}
	m.Period.ID = "2026-Q4"
	cat := &catalog.Catalog{Organization: catalog.Organization{Name: "Bank"}, Controls: []catalog.Control{
		{ID: "CM-01", Title: "Signed commits", Key: true}, {ID: "CM-02", Title: "Two approvals <b>", Key: true},
	}}
	rep := &check.Report{Controls: []check.ControlResult{{ID: "CM-01", Outcome: check.Fail}, {ID: "CM-02", Outcome: check.Fail}}}
	in := Input{
		Catalog: cat, Report: rep, Manifest: m, Commit: cur.Commit, Trends: trends(entries),
		Periods: []PeriodLink{{ID: "2026-Q4", Href: "index.html", Current: true}, {ID: "2026-Q3", Href: "periods/2026-Q3/index.html", Closed: true}},
	}
	tmpl, err := parse()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	b := &builder{in: in, info: siteInfo{Org: "Bank", Period: "2026-Q4", Periods: in.Periods}, w: &writer{dir: dir, tmpl: tmpl}}
	b.trends()
	if b.w.err != nil {
		t.Fatal(b.w.err)
	}
	return dir, entries
}

func failures(o check.Outcome) []string {
	if o == check.Fail {
		return []string{"o/api#59 approvals=1"}
	}
	return nil
}

func read(t *testing.T, dir, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestHistoryPages(t *testing.T) {
	dir, entries := trendsBuilder(t, func(e []history.Entry) TrendsInput {
		return TrendsInput{Points: history.Points(e), Steps: history.Timelines(e)}
	})
	site := read(t, dir, "history.html")
	ctl := read(t, dir, "history/CM-02.html")

	for _, page := range []string{site, ctl} {
		if strings.Contains(page, "<script>") || strings.Contains(page, "Two approvals <b>") {
			t.Error("evidence or config text not escaped")
		}
	}
	for _, want := range []string{
		// Three line charts and the per-period bars, each with a table.
		`id="chart-pass"`, `id="chart-signed"`, `id="chart-approvals"`, `id="chart-periods"`,
		`<caption>Controls passing, per snapshot</caption>`,
		// 1 of 2 controls passing at snapshot #2; the share of approvals at
		// the Q4 snapshot is unknown (no pulls figures), never 0%.
		`<td>50.0% (1 of 2)</td>`,
		"unknown (no github.pulls evidence was collected in this snapshot)",
		// Every snapshot is a row the timelines can link to.
		`id="snapshot-` + entries[0].Summary.Commit + `"`, `id="snapshot-` + entries[2].Summary.Commit + `"`,
		// The control summary: since when the outcome holds, and the latest change.
		`<a href="history/CM-02.html">CM-02</a>`, "<td>2026-10-16</td>",
	} {
		if !strings.Contains(site, want) {
			t.Errorf("history.html lacks %q", want)
		}
	}

	for _, want := range []string{
		"&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; merged",
		// The step links both evidence commits and the file this site holds.
		`href="../history.html#snapshot-` + entries[1].Summary.Commit + `"`,
		`href="../history.html#snapshot-` + entries[2].Summary.Commit + `"`,
		`<a class="mono" href="../evidence/` + pullsQ4 + `">`,
		"(compared with <span class=\"mono\">" + pullsQ3 + "</span>)",
		"git diff cccccccccccc dddddddddddd -- " + pullsQ3 + " " + pullsQ4,
		"outcome pass → fail",
		// The earlier period: its own page has the evidence-only step.
		`<a href="../periods/2026-Q3/history/CM-02.html">the 2026-Q3 history page</a> has every step, including 1 that changed only evidence`,
		"first recorded outcome: pass",
	} {
		if !strings.Contains(ctl, want) {
			t.Errorf("history/CM-02.html lacks %q", want)
		}
	}
	if strings.Contains(ctl, "2 change(s) merged since the previous snapshot") {
		t.Error("an evidence-only step of an earlier period with its own page is repeated here")
	}

	// Every link from a timeline to a snapshot lands on a row of history.html.
	for _, m := range regexp.MustCompile(`history\.html#(snapshot-[0-9a-f]+)`).FindAllStringSubmatch(ctl, -1) {
		if !strings.Contains(site, `id="`+m[1]+`"`) {
			t.Errorf("link to #%s has no target", m[1])
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "history", "CM-01.html")); err != nil {
		t.Error("no history page for CM-01")
	}
}

func TestHistoryPagesWithoutHistory(t *testing.T) {
	dir, _ := trendsBuilder(t, func([]history.Entry) TrendsInput {
		return TrendsInput{Error: "read history: object not found"}
	})
	site := read(t, dir, "history.html")
	if !strings.Contains(site, "The history could not be read from the evidence repository, so no trend or timeline is shown: read history: object not found") {
		t.Error("history.html does not say why there is no history")
	}
	if strings.Contains(site, "<figure") {
		t.Error("charts drawn without history")
	}
	ctl := read(t, dir, "history/CM-02.html")
	// Without a history, nothing is claimed about what changed.
	if !strings.Contains(ctl, "read history: object not found") || strings.Contains(ctl, "Nothing changed") {
		t.Error("control history page does not say why it is empty")
	}
}
