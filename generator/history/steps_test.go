package history

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/evident-project/evident/generator/check"
	"github.com/evident-project/evident/generator/evidence"
)

func snap(seq int, period string) Snap {
	return Snap{Commit: strings.Repeat(string(rune('a'+seq)), 40), Sequence: seq, Period: period, Finished: time.Date(2026, 10, seq, 6, 0, 0, 0, time.UTC)}
}

func report(controls ...check.ControlResult) *check.Report { return &check.Report{Controls: controls} }

func control(id string, o check.Outcome, paths []string, as ...check.AssertionResult) check.ControlResult {
	return check.ControlResult{ID: id, Title: id + " title", Key: true, Outcome: o, Assertions: as,
		Evidence: []check.EvidenceResult{{ID: "e", Paths: paths}}}
}

func assertion(name string, o check.Outcome, failures ...string) check.AssertionResult {
	return check.AssertionResult{Name: name, Expr: "x > 1", Outcome: o, Message: "Changes were merged with one approval.", Failures: failures}
}

const pulls = "items/github/o/pulls/2026-Q4.json"

func texts(steps []Step, id string) []string {
	var out []string
	for _, s := range steps {
		if s.Control != id {
			continue
		}
		for _, c := range s.Changes {
			out = append(out, string(c.Kind)+": "+c.Text)
		}
	}
	return out
}

func TestSteps(t *testing.T) {
	s1 := Summarize(snap(1, "2026-Q4"), report(
		control("CM-02", check.Pass, []string{pulls}, assertion("two-approvals", check.Pass)),
		control("AC-01", check.Pass, []string{"items/a.json"}),
		control("OLD-1", check.Fail, nil),
	), nil, nil)
	s2 := Summarize(snap(2, "2026-Q4"), report(
		control("CM-02", check.Fail, []string{pulls}, assertion("two-approvals", check.Fail, "o/api#59 approvals=1"), assertion("new-one", check.Unknown)),
		control("AC-01", check.Pass, []string{"items/a.json"}),
		control("NEW-1", check.Unknown, nil),
	), nil, nil)
	e2 := Entry{Summary: s2, Items: map[string]ItemChange{pulls: {OldPath: pulls, Texts: []string{"o/api #59 merged with 1 approval(s)"}}}}

	steps := Steps(&s1, &e2)
	want := map[string][]string{
		"CM-02": {
			"outcome: outcome pass → fail",
			"assertion: assertion two-approvals: pass → fail — Changes were merged with one approval. (1 offending records)",
			"assertion: assertion new-one added to the config; first outcome unknown",
			"evidence: o/api #59 merged with 1 approval(s)",
		},
		// Nothing changed for AC-01: no step.
		"AC-01": nil,
		"NEW-1": {"control: control added to the config; first outcome unknown"},
		"OLD-1": {"control: control removed from the config"},
	}
	for id, w := range want {
		if got := texts(steps, id); strings.Join(got, "\n") != strings.Join(w, "\n") {
			t.Errorf("%s:\n got %q\nwant %q", id, got, w)
		}
	}
	for _, s := range steps {
		if s.Control == "CM-02" {
			if !s.OutcomeChanged() || !s.Notable() || s.Was != check.Pass || s.Outcome != check.Fail || s.From.Commit != s1.Commit || s.To.Commit != s2.Commit {
				t.Errorf("CM-02 step %+v", s)
			}
			if s.Changes[3].Path != pulls || s.Changes[3].OldPath != "" {
				t.Errorf("evidence change names %q (old %q)", s.Changes[3].Path, s.Changes[3].OldPath)
			}
		}
	}

	// Still failing, with more offending records: said, not an outcome change.
	s3 := Summarize(snap(3, "2026-Q4"), report(
		control("CM-02", check.Fail, []string{pulls}, assertion("two-approvals", check.Fail, "a", "b"), assertion("new-one", check.Unknown)),
	), nil, nil)
	got := texts(Steps(&s2, &Entry{Summary: s3}), "CM-02")
	if len(got) != 1 || got[0] != "assertion: assertion two-approvals still fail: offending records 1 → 2" {
		t.Errorf("still failing: %q", got)
	}
}

func TestStepsFirstAndUncheckedSnapshots(t *testing.T) {
	s1 := Summarize(snap(1, "2026-Q3"), report(control("CM-01", check.Fail, []string{"items/c/2026-Q3.json"}, assertion("a", check.Fail))), nil, nil)
	first := Steps(nil, &Entry{Summary: s1})
	if got := texts(first, "CM-01"); len(got) != 1 || got[0] != "outcome: first recorded outcome: fail" || first[0].From != nil || first[0].OutcomeChanged() {
		t.Errorf("first: %q", got)
	}

	bad := Summarize(snap(2, "2026-Q3"), nil, errors.New("load config: controls.yaml:3:1: unknown field"), nil)
	got := texts(Steps(&s1, &Entry{Summary: bad}), "CM-01")
	if len(got) != 1 || !strings.Contains(got[0], "could not be re-checked") || !strings.Contains(got[0], "controls.yaml:3:1") {
		t.Errorf("unchecked: %q", got)
	}
	// No outcome is claimed for an unchecked snapshot.
	if p := PointOf(&bad); p.Checked || p.PassRate.Known {
		t.Errorf("unchecked point %+v", p)
	}

	// The period turns: the control reads the new period's file, compared
	// with the old period's.
	s3 := Summarize(snap(3, "2026-Q4"), report(control("CM-01", check.Fail, []string{"items/c/2026-Q4.json"}, assertion("a", check.Fail))), nil, nil)
	e3 := Entry{Summary: s3, Items: map[string]ItemChange{"items/c/2026-Q4.json": {OldPath: "items/c/2026-Q3.json", Texts: []string{"period 2026-Q4 began"}}}}
	steps := Steps(&bad, &e3)
	if got := texts(steps, "CM-01"); strings.Join(got, "\n") != "control: re-checked again after a snapshot that could not be: outcome fail\nevidence: period 2026-Q4 began" {
		t.Errorf("after unchecked: %q", got)
	}
	steps = Steps(&s1, &e3)
	if got := texts(steps, "CM-01"); strings.Join(got, "\n") != "evidence: period 2026-Q4 began" {
		t.Errorf("period turn: %q", got)
	}
	if c := steps[0].Changes[0]; c.OldPath != "items/c/2026-Q3.json" || c.Path != "items/c/2026-Q4.json" {
		t.Errorf("period turn paths: %+v", c)
	}
	if p := steps[0].Paths(); strings.Join(p, " ") != "items/c/2026-Q3.json items/c/2026-Q4.json" {
		t.Errorf("paths %q", p)
	}

	// Evidence dropped from and added to a control without a described change.
	s4 := Summarize(snap(4, "2026-Q4"), report(control("CM-01", check.Fail, []string{"items/d/2026-Q4.json"}, assertion("a", check.Fail))), nil, nil)
	if got := texts(Steps(&s3, &Entry{Summary: s4}), "CM-01"); strings.Join(got, "\n") != "evidence: now also checked against items/d/2026-Q4.json\nevidence: no longer checked against items/c/2026-Q4.json" {
		t.Errorf("paths changed: %q", got)
	}
}

func TestTimelines(t *testing.T) {
	var entries []Entry
	for i, o := range []check.Outcome{check.Pass, check.Pass, check.Fail, check.Pass} {
		entries = append(entries, Entry{Summary: Summarize(snap(i+1, "2026-Q4"), report(control("CM-01", o, nil)), nil, nil)})
	}
	tl := Timelines(entries)["CM-01"]
	// The first snapshot, then the two changes, newest first; the unchanged
	// second snapshot makes no step.
	if len(tl) != 3 || tl[0].To.Sequence != 4 || tl[1].To.Sequence != 3 || tl[2].To.Sequence != 1 {
		t.Fatalf("timeline %+v", tl)
	}
	if tl[0].Was != check.Fail || tl[0].Outcome != check.Pass {
		t.Errorf("newest step %s → %s", tl[0].Was, tl[0].Outcome)
	}
}

func TestPoints(t *testing.T) {
	rep := report(
		control("A", check.Pass, nil), control("B", check.Fail, nil), control("C", check.Excepted, nil),
		control("D", check.NotApplicable, nil), check.ControlResult{ID: "E", Outcome: check.Pass},
	)
	figs := map[string]Figures{
		"items/git/a/commits/2026-Q4.json":  {Collector: "git.commits", Usable: true, Commits: 10, Signed: 9, Verified: 8},
		"items/git/b/commits/2026-Q4.json":  {Collector: "git.commits", Usable: true, Commits: 10, Signed: 10, Verified: 10},
		"items/github/o/pulls/2026-Q4.json": {Collector: "github.pulls", Usable: true, Changes: 12, BotChanges: 2, TwoApprovals: 9},
	}
	p := PointOf(ptr(Summarize(snap(1, "2026-Q4"), rep, nil, figs)))
	cases := []struct {
		name string
		got  Ratio
		want string
	}{
		// Excepted is not pass; not applicable does not count.
		{"pass rate", p.PassRate, "50.0% (2 of 4)"},
		{"key pass rate", p.KeyPassRate, "33.3% (1 of 3)"},
		{"signed", p.Signed, "95.0% (19 of 20)"},
		{"verified", p.Verified, "90.0% (18 of 20)"},
		// Bot changes are left out, as CM-02 leaves them out.
		{"two approvals", p.TwoApprovals, "90.0% (9 of 10)"},
	}
	for _, c := range cases {
		if c.got.String() != c.want {
			t.Errorf("%s = %s, want %s", c.name, c.got, c.want)
		}
	}

	unknown := []struct {
		name string
		figs map[string]Figures
		want string
	}{
		{"no evidence", nil, "unknown (no git.commits evidence was collected in this snapshot)"},
		{"no commits yet", map[string]Figures{"c": {Collector: "git.commits", Usable: true}}, "unknown (no commits in the period yet)"},
		{"one repository unusable", map[string]Figures{
			"c1": {Collector: "git.commits", Usable: true, Commits: 5, Signed: 5, Verified: 5},
			"c2": {Collector: "git.commits", Why: "evidence is incomplete"},
		}, "unknown (c2: evidence is incomplete)"},
	}
	for _, u := range unknown {
		p := PointOf(ptr(Summarize(snap(1, "2026-Q4"), rep, nil, u.figs)))
		if p.Verified.String() != u.want || p.Verified.Percent() != 0 {
			t.Errorf("%s: %s, want %s", u.name, p.Verified, u.want)
		}
	}
}

func ptr[T any](v T) *T { return &v }

func manifest(run, period string, items ...evidence.ManifestItem) *evidence.Manifest {
	m := &evidence.Manifest{RunID: run, Items: items}
	m.Period.ID = period
	return m
}

func mi(path, collector, period, run, sha string) evidence.ManifestItem {
	return evidence.ManifestItem{FileRef: evidence.FileRef{Path: path, SHA256: sha}, Collector: collector, Period: period, Run: run}
}

func TestPairsAndFigurePlan(t *testing.T) {
	oldM := manifest("r1", "2026-Q3",
		mi("items/p/2026-Q3.json", "github.pulls", "2026-Q3", "r1", "p1"),
		mi("items/b/2026-Q3.json", "github.branch_protection", "2026-Q3", "r1", "b1"),
		mi("items/c/2026-Q3.json", "git.commits", "2026-Q3", "r1", "c1"),
	)
	older := Summarize(snap(1, "2026-Q3"), report(control("CM-02", check.Pass, []string{"items/b/2026-Q3.json", "items/p/2026-Q3.json"})), nil,
		map[string]Figures{"items/c/2026-Q3.json": {Collector: "git.commits", Usable: true, Commits: 3}})

	// Same period: only items whose bytes changed are compared.
	sameM := manifest("r2", "2026-Q3",
		mi("items/p/2026-Q3.json", "github.pulls", "2026-Q3", "r2", "p2"),
		mi("items/b/2026-Q3.json", "github.branch_protection", "2026-Q3", "r2", "b1"),
		mi("items/c/2026-Q3.json", "git.commits", "2026-Q3", "r2", "c1"),
	)
	same := Summarize(snap(2, "2026-Q3"), report(control("CM-02", check.Pass, []string{"items/b/2026-Q3.json", "items/p/2026-Q3.json", "items/missing.json"})), nil, nil)
	if got := Pairs(oldM, sameM, &older, &same); len(got) != 1 || got[0] != (PathPair{"items/p/2026-Q3.json", "items/p/2026-Q3.json"}) {
		t.Errorf("same period pairs %+v", got)
	}
	reuse, compute := FigurePlan(oldM, sameM, &older)
	if len(compute) != 1 || compute[0] != "items/p/2026-Q3.json" || reuse["items/c/2026-Q3.json"].Commits != 3 {
		t.Errorf("same period figures: reuse %v compute %v", reuse, compute)
	}

	// The period turns: each new file is compared with the old period's
	// file of the same evidence; items of the old period kept in the tree
	// are not figures of the new snapshot.
	turnM := manifest("r3", "2026-Q4",
		mi("items/p/2026-Q3.json", "github.pulls", "2026-Q3", "r1", "p1"),
		mi("items/p/2026-Q4.json", "github.pulls", "2026-Q4", "r3", "p9"),
		mi("items/b/2026-Q4.json", "github.branch_protection", "2026-Q4", "r3", "b1"),
		mi("items/n/2026-Q4.json", "github.access", "2026-Q4", "r3", "n1"),
	)
	turn := Summarize(snap(3, "2026-Q4"), report(control("CM-02", check.Pass, []string{"items/b/2026-Q4.json", "items/n/2026-Q4.json", "items/p/2026-Q4.json"})), nil, nil)
	got := Pairs(oldM, turnM, &older, &turn)
	want := []PathPair{{"items/b/2026-Q3.json", "items/b/2026-Q4.json"}, {"", "items/n/2026-Q4.json"}, {"items/p/2026-Q3.json", "items/p/2026-Q4.json"}}
	if len(got) != len(want) {
		t.Fatalf("period turn pairs %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("pair %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if _, compute := FigurePlan(oldM, turnM, &older); strings.Join(compute, " ") != "items/p/2026-Q4.json" {
		t.Errorf("period turn figures compute %v", compute)
	}
	if Pairs(nil, turnM, nil, &turn) != nil {
		t.Error("the first snapshot has nothing to compare")
	}
}

func TestFiguresOf(t *testing.T) {
	f, ok := FiguresOf(doc(t, "git.commits", "2026-Q4", `{"summary":{"commits":29,"signed":24,"verified":23},"commits":[]}`))
	if !ok || !f.Usable || f.Commits != 29 || f.Signed != 24 || f.Verified != 23 {
		t.Errorf("commits %+v", f)
	}
	f, _ = FiguresOf(doc(t, "github.pulls", "2026-Q4", `{"changes":[{"approvals":2},{"approvals":1},{"approvals":0,"bot":true},{"approvals":3}]}`))
	if f.Changes != 4 || f.BotChanges != 1 || f.TwoApprovals != 2 {
		t.Errorf("pulls %+v", f)
	}
	partial := doc(t, "github.pulls", "2026-Q4", `{"changes":[{"approvals":2}]}`)
	partial.Complete = false
	if f, _ := FiguresOf(partial); f.Usable || f.Changes != 0 || f.Why == "" {
		t.Errorf("incomplete pulls counted: %+v", f)
	}
	if _, ok := FiguresOf(doc(t, "github.access", "2026-Q4", `{}`)); ok {
		t.Error("access has no figures")
	}
}
