package check

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/evident-project/evident/generator/catalog"
	"github.com/evident-project/evident/generator/collect"
	"github.com/evident-project/evident/generator/evidence"
)

// index is the collector index the tests run with.
type index map[string]string

func (i index) Known(name string) (string, bool, bool) {
	k, ok := i[name]
	return k, ok, ok
}

var idx = index{"file": "", "git.commits": "git", "github.pulls": "github"}

const config = `version: 1
organization: {name: Test Bank}
sources:
  git:
    - {id: ledger, path: ledger}
    - {id: payments, path: payments}
controls:
  - id: CM-01
    title: Signed commits
    family: change_management
    objective: o
    risk: r
    owner: o
    frequency: continuous
    key: true
    evidence:
      - {id: commits, collector: git.commits}
    assertions:
      - name: all-verified
        expr: commits.all(r, r.summary.unverified.size() == 0)
        failures: commits.map(r, r.summary.unverified.map(s, r.repository.id + "@" + s)).flatten()
        severity: high
        message: commits not verified
  - id: CM-02
    title: Ledger only
    family: change_management
    objective: o
    risk: r
    owner: o
    frequency: continuous
    evidence:
      - {id: ledger, collector: git.commits, source: ledger}
    assertions:
      - {name: some-commits, expr: ledger.summary.commits > 0, severity: low, message: no commits}
      - {name: only-q4, expr: ledger.summary.commits > 100, when: 'period.quarter == 1', severity: low, message: m}
  - id: AC-01
    title: Access review
    family: logical_access
    objective: o
    risk: r
    owner: o
    frequency: quarterly
    key: true
    evidence:
      - {id: reviews, collector: file, params: {paths: [records/*.md]}}
    assertions:
      - name: review-done
        expr: reviews.files.exists(f, f.front_matter.period == period.id)
        severity: high
        message: no access review this period
  - id: CM-03
    title: PR approvals
    family: segregation_of_duties
    objective: o
    risk: r
    owner: o
    frequency: per_change
    key: true
    evidence:
      - {id: pulls, collector: github.pulls}
    assertions:
      - {name: approved, expr: 'pulls.all(p, p.approved)', severity: high, message: m}
  - id: OP-01
    title: No assertions
    family: computer_operations
    objective: o
    risk: r
    owner: o
    frequency: daily
  - id: OP-02
    title: Not here
    family: computer_operations
    objective: o
    risk: r
    owner: o
    frequency: daily
    not_applicable: no mainframe
exceptions:
  - {id: EX-1, control: AC-01, reason: reviewer on leave, approver: CISO, approved: "2026-10-01", expires: "2026-11-30"}
`

type world struct {
	items map[string]*evidence.Item
	man   *evidence.Manifest
}

func newWorld(t *testing.T, at time.Time) *world {
	t.Helper()
	return &world{items: map[string]*evidence.Item{}, man: &evidence.Manifest{
		RunID: "run-1", Finished: at,
		Period: evidence.ManifestPeriod{ID: "2026-Q4", Start: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)},
	}}
}

func (w *world) add(collector, source string, params map[string]any, data any, prov collect.Provenance) {
	p := evidence.ItemPath(collector, source, params, "2026-Q4")
	// Round-trip through the stored format so numbers arrive as json.Number.
	b, err := evidence.Canonical(&evidence.Item{Schema: evidence.ItemSchema, Collector: collector, Source: source, Period: "2026-Q4", Params: params, Provenance: prov, Data: data})
	if err != nil {
		panic(err)
	}
	it, err := evidence.ParseItem(b)
	if err != nil {
		panic(err)
	}
	w.items[p] = it
	w.man.Items = append(w.man.Items, evidence.ManifestItem{FileRef: evidence.FileRef{Path: p}, Run: "run-1"})
}

func (w *world) eval(t *testing.T) *Report {
	t.Helper()
	cat, err := catalog.Parse("controls.yaml", []byte(config), catalog.Options{Collectors: idx})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Evaluate(Input{Catalog: cat, Manifest: w.man, Commit: "c0ffee", Collectors: idx, ReadItem: func(p string) (*evidence.Item, error) {
		if it, ok := w.items[p]; ok {
			return it, nil
		}
		return nil, fmt.Errorf("no file %s", p)
	}})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

var complete = collect.Provenance{Complete: true, Records: map[string]int{}, Reads: []collect.Read{}}

func repo(id string, commits int, unverified ...string) map[string]any {
	if unverified == nil {
		unverified = []string{}
	}
	return map[string]any{"repository": map[string]any{"id": id}, "summary": map[string]any{"commits": commits, "unverified": unverified}}
}

func control(t *testing.T, r *Report, id string) ControlResult {
	t.Helper()
	for _, c := range r.Controls {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("control %s not in report", id)
	return ControlResult{}
}

func reviewParams() map[string]any { return map[string]any{"paths": []any{"records/*.md"}} }

func TestOutcomes(t *testing.T) {
	w := newWorld(t, time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC))
	w.add("git.commits", "ledger", nil, repo("ledger", 3), complete)
	w.add("git.commits", "payments", nil, repo("payments", 2, "abc", "def"), complete)
	w.add("file", "", reviewParams(), map[string]any{"files": []any{map[string]any{"front_matter": map[string]any{"period": "2026-Q3"}}}}, complete)
	w.add("github.pulls", "", nil, nil, collect.Provenance{Error: &collect.ErrorInfo{Kind: collect.KindUnavailable, Message: "collector github.pulls not available"}})
	r := w.eval(t)

	cm01 := control(t, r, "CM-01")
	if cm01.Outcome != Fail || strings.Join(cm01.Assertions[0].Failures, ",") != "payments@abc,payments@def" {
		t.Errorf("CM-01 = %s %v", cm01.Outcome, cm01.Assertions[0].Failures)
	}
	cm02 := control(t, r, "CM-02")
	if cm02.Outcome != Pass || cm02.Assertions[1].Outcome != NotApplicable {
		t.Errorf("CM-02 = %s, when-assertion %s", cm02.Outcome, cm02.Assertions[1].Outcome)
	}
	// The review is missing but an unexpired exception covers it.
	if ac := control(t, r, "AC-01"); ac.Outcome != Excepted || ac.Assertions[0].Exception != "EX-1" {
		t.Errorf("AC-01 = %s (%s)", ac.Outcome, ac.Reason)
	}
	// No GitHub source is declared: unknown, never a vacuous pass.
	if c := control(t, r, "CM-03"); c.Outcome != Unknown || !strings.Contains(c.Reason, "no github source is declared") {
		t.Errorf("CM-03 = %s (%s)", c.Outcome, c.Reason)
	}
	if c := control(t, r, "OP-01"); c.Outcome != Unknown {
		t.Errorf("OP-01 without assertions = %s", c.Outcome)
	}
	if c := control(t, r, "OP-02"); c.Outcome != NotApplicable {
		t.Errorf("OP-02 = %s", c.Outcome)
	}
	if r.Summary.Key[Fail] != 1 || r.Summary.Key[Excepted] != 1 || r.Summary.Key[Unknown] != 1 {
		t.Errorf("key summary %v", r.Summary.Key)
	}
	if len(r.Findings) != 2 || r.Findings[0].Control != "CM-01" {
		t.Errorf("findings %+v", r.Findings)
	}
}

func TestExpiredExceptionNoLongerExcuses(t *testing.T) {
	w := newWorld(t, time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC))
	w.add("file", "", reviewParams(), map[string]any{"files": []any{}}, complete)
	ac := control(t, w.eval(t), "AC-01")
	if ac.Outcome != Fail || !strings.Contains(ac.Assertions[0].Reason, "expired on 2026-11-30") {
		t.Errorf("AC-01 after expiry = %s: %s", ac.Outcome, ac.Assertions[0].Reason)
	}
	// The last day of an exception still excuses.
	w = newWorld(t, time.Date(2026, 11, 30, 23, 0, 0, 0, time.UTC))
	w.add("file", "", reviewParams(), map[string]any{"files": []any{}}, complete)
	if ac := control(t, w.eval(t), "AC-01"); ac.Outcome != Excepted {
		t.Errorf("AC-01 on the expiry day = %s", ac.Outcome)
	}
}

func TestIncompleteOrStaleEvidenceIsUnknown(t *testing.T) {
	w := newWorld(t, time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC))
	partial := complete
	partial.Complete = false
	w.add("git.commits", "ledger", nil, repo("ledger", 3), partial)
	w.add("git.commits", "payments", nil, repo("payments", 2), complete)
	w.man.Items[1].Run = "an-older-run"
	r := w.eval(t)
	cm01 := control(t, r, "CM-01")
	if cm01.Outcome != Unknown || !strings.Contains(cm01.Reason, "incomplete") || !strings.Contains(cm01.Reason, "not collected by this run") {
		t.Errorf("CM-01 = %s (%s)", cm01.Outcome, cm01.Reason)
	}
	if c := control(t, r, "CM-02"); c.Outcome != Unknown {
		t.Errorf("CM-02 on incomplete ledger evidence = %s", c.Outcome)
	}
}

func TestEvaluationErrorIsUnknown(t *testing.T) {
	w := newWorld(t, time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC))
	// A data shape without summary: the expression errors, which must not pass.
	w.add("git.commits", "ledger", nil, map[string]any{}, complete)
	w.add("git.commits", "payments", nil, map[string]any{}, complete)
	c := control(t, w.eval(t), "CM-01")
	if c.Outcome != Unknown || !strings.Contains(c.Reason, "evaluation error") {
		t.Errorf("CM-01 = %s (%s)", c.Outcome, c.Reason)
	}
}
