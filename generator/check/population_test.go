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

var popIdx = index{"file": "", "github.pulls": "github"}

// popConfig declares populations the way controls.yaml does: merged pull
// requests over every GitHub source (a list of items), dated records over
// one file item, and a control that is not applicable.
const popConfig = `version: 1
organization: {name: Test Bank}
sources:
  github:
    - {id: acme, org: acme}
    - {id: beta, org: beta}
controls:
  - id: CM-02
    title: Two approvals
    family: change_management
    objective: o
    risk: r
    owner: o
    frequency: per_change
    evidence:
      - {id: pulls, collector: github.pulls}
    assertions:
      - {name: approved, expr: 'pulls.all(s, s.changes.all(c, c.approvals >= 2))', severity: high, message: m}
    population:
      name: merged pull requests
      expr: pulls.map(s, s.changes).flatten()
      key: r.repo + "#" + string(r.number)
      columns:
        - {name: title, expr: r.title}
        - {name: approvals, expr: r.approvals}
        - {name: approvers, expr: r.approvers}
        - {name: merged_at, expr: timestamp(r.merged_at)}
        - {name: ci, expr: r.ci}
        - {name: ratio, expr: double(r.approvals) / 4.0}
        - {name: bot, expr: r.bot}
  - id: CM-08
    title: Emergency changes
    family: change_management
    objective: o
    risk: r
    owner: o
    frequency: per_change
    evidence:
      - {id: emergency, collector: file, params: {paths: [records/emergency/*.md]}}
    assertions:
      - {name: reviewed, expr: 'emergency.files.all(f, f.front_matter.reviewed)', severity: high, message: m}
    population:
      name: emergency changes in the period
      expr: >-
        emergency.files.filter(f, timestamp(f.front_matter.date) >= period.start &&
        timestamp(f.front_matter.date) < period.end)
      key: r.path
      columns:
        - {name: date, expr: 'r.front_matter.date'}
        - {name: period, expr: period.id}
  - id: OP-02
    title: Not here
    family: computer_operations
    objective: o
    risk: r
    owner: o
    frequency: daily
    not_applicable: no mainframe
    evidence:
      - {id: emergency, collector: file, params: {paths: [records/emergency/*.md]}}
    population: {name: jobs, expr: emergency.files, key: r.path}
`

func emergencyParams() map[string]any {
	return map[string]any{"paths": []any{"records/emergency/*.md"}}
}

func change(repo string, number, approvals int, approvers ...string) map[string]any {
	l := []any{}
	for _, a := range approvers {
		l = append(l, a)
	}
	return map[string]any{
		"repo": repo, "number": number, "title": fmt.Sprintf("change %d", number), "approvals": approvals, "approvers": l,
		"merged_at": "2026-10-05T04:48:59Z", "ci": map[string]any{"state": "passed", "checks": []any{"test"}}, "bot": false,
	}
}

func pulls(changes ...any) map[string]any { return map[string]any{"changes": changes} }

func popWorld(t *testing.T) *world {
	w := newWorld(t, time.Date(2026, 11, 20, 6, 0, 0, 0, time.UTC))
	w.add("github.pulls", "acme", nil, pulls(change("acme/api", 50, 2, "dokafor", "praman"), change("acme/api", 9, 1, "x")), complete)
	w.add("github.pulls", "beta", nil, pulls(change("beta/web", 3, 0)), complete)
	w.add("file", "", emergencyParams(), map[string]any{"files": []any{
		map[string]any{"path": "records/emergency/b.md", "front_matter": map[string]any{"date": "2026-11-10T00:00:00Z"}},
		map[string]any{"path": "records/emergency/old.md", "front_matter": map[string]any{"date": "2026-08-20T00:00:00Z"}},
		map[string]any{"path": "records/emergency/a.md", "front_matter": map[string]any{"date": "2026-10-21T00:00:00Z"}},
	}}, complete)
	return w
}

func popCatalog(t *testing.T) *catalog.Catalog {
	t.Helper()
	cat, err := catalog.Parse("controls.yaml", []byte(popConfig), catalog.Options{Collectors: popIdx})
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

func (w *world) populations(t *testing.T, cat *catalog.Catalog) map[string]Population {
	t.Helper()
	ps := Populations(Input{Catalog: cat, Manifest: w.man, Commit: "c0ffee", Collectors: popIdx, ReadItem: func(p string) (*evidence.Item, error) {
		if it, ok := w.items[p]; ok {
			return it, nil
		}
		return nil, fmt.Errorf("no file %s", p)
	}})
	out := map[string]Population{}
	var order []string
	for _, p := range ps {
		out[p.Control] = p
		order = append(order, p.Control)
	}
	if got := strings.Join(order, " "); got != "CM-02 CM-08 OP-02" {
		t.Errorf("populations in order %q, want every control with a population in catalog order", got)
	}
	return out
}

func rows(p Population) []string {
	var out []string
	for _, r := range p.Records {
		out = append(out, r.Key+" | "+strings.Join(r.Values, " | "))
	}
	return out
}

func TestPopulations(t *testing.T) {
	ps := popWorld(t).populations(t, popCatalog(t))

	cm02 := ps["CM-02"]
	if cm02.Err != nil {
		t.Fatal(cm02.Err)
	}
	if cm02.Name != "merged pull requests" || strings.Join(cm02.Columns, ",") != "title,approvals,approvers,merged_at,ci,ratio,bot" {
		t.Errorf("CM-02 header %q %q", cm02.Name, cm02.Columns)
	}
	// Sorted by key as bytes ("#50" before "#9"), across both sources;
	// lists joined, maps as JSON, timestamps RFC 3339, doubles shortest.
	want := []string{
		`acme/api#50 | change 50 | 2 | dokafor, praman | 2026-10-05T04:48:59Z | {"checks":["test"],"state":"passed"} | 0.5 | false`,
		`acme/api#9 | change 9 | 1 | x | 2026-10-05T04:48:59Z | {"checks":["test"],"state":"passed"} | 0.25 | false`,
		`beta/web#3 | change 3 | 0 |  | 2026-10-05T04:48:59Z | {"checks":["test"],"state":"passed"} | 0 | false`,
	}
	if got := rows(cm02); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("CM-02 records:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(cm02.Evidence) != 2 || !strings.Contains(cm02.Evidence[0], "github/acme/pulls") || !strings.Contains(cm02.Evidence[1], "github/beta/pulls") {
		t.Errorf("CM-02 evidence %v", cm02.Evidence)
	}

	// Only records dated in the period, and the period is bound as in assertions.
	cm08 := ps["CM-08"]
	if cm08.Err != nil {
		t.Fatal(cm08.Err)
	}
	want = []string{
		"records/emergency/a.md | 2026-10-21T00:00:00Z | 2026-Q4",
		"records/emergency/b.md | 2026-11-10T00:00:00Z | 2026-Q4",
	}
	if got := rows(cm08); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("CM-08 records:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	if op := ps["OP-02"]; op.Err == nil || !strings.Contains(op.Err.Error(), "OP-02 is not applicable (no mainframe)") || len(op.Records) != 0 {
		t.Errorf("OP-02 = %v, %d records", op.Err, len(op.Records))
	}
}

// TestPopulationProblems: a population that cannot be drawn is an error
// naming the control and the field, with no records, never an empty
// population that would read as "nothing to test".
func TestPopulationProblems(t *testing.T) {
	for _, tc := range []struct {
		name    string
		control string
		world   func(*world)
		edit    func(*catalog.Population)
		want    string
	}{
		{name: "missing item", control: "CM-02",
			world: func(w *world) { delete(w.items, w.man.Items[1].Path); w.man.Items = w.man.Items[:1] },
			want:  "CM-02 population.expr: evidence pulls cannot be used: evidence " + evidence.ItemPath("github.pulls", "beta", nil, "2026-Q4") + " is not in this snapshot"},
		{name: "incomplete item", control: "CM-08",
			world: func(w *world) { w.items[w.man.Items[2].Path].Provenance.Complete = false },
			want:  "CM-08 population.expr: evidence emergency cannot be used: evidence is incomplete"},
		{name: "collector error", control: "CM-02",
			world: func(w *world) {
				w.items[w.man.Items[0].Path].Provenance.Error = &collect.ErrorInfo{Kind: collect.KindUnavailable, Message: "token lacks read:org"}
			},
			want: "CM-02 population.expr: evidence pulls cannot be used: token lacks read:org"},
		{name: "stale item", control: "CM-08",
			world: func(w *world) { w.man.Items[2].Run = "run-0" },
			want:  "was not collected by this run"},
		{name: "not a list", control: "CM-02",
			edit: func(p *catalog.Population) { p.Expr = "pulls[0]" },
			want: "CM-02 population.expr: returned map, not a list of records"},
		{name: "expr fails", control: "CM-02",
			edit: func(p *catalog.Population) { p.Expr = "pulls.map(s, s.nothing).flatten()" },
			want: "CM-02 population.expr: no such key: nothing"},
		{name: "key fails", control: "CM-02",
			edit: func(p *catalog.Population) { p.Key = "r.nokey" },
			want: "CM-02 population.key: record 1: no such key: nokey"},
		{name: "column fails", control: "CM-02",
			edit: func(p *catalog.Population) { p.Columns[0].Expr = "r.author" },
			want: `CM-02 population.columns.title: record 1 (key "acme/api#50"): no such key: author`},
		{name: "duplicate key", control: "CM-02",
			edit: func(p *catalog.Population) { p.Key = "r.repo" },
			want: `CM-02 population.key: key "acme/api" identifies 2 records`},
		{name: "empty key", control: "CM-02",
			edit: func(p *catalog.Population) { p.Key = `r.number == 9 ? "" : r.repo + string(r.number)` },
			want: "CM-02 population.key: record 2 has an empty key"},
		{name: "no evidence", control: "CM-02",
			edit: func(p *catalog.Population) { p.Expr = `[{"repo": "x", "number": 1}]` },
			want: "CM-02 population.expr refers to no evidence"},
		{name: "does not compile", control: "CM-02",
			edit: func(p *catalog.Population) { p.Key = "r.repo +" },
			want: "CM-02 population: " + `assertion "population" population.key 1:9: syntax error`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := popWorld(t)
			if tc.world != nil {
				tc.world(w)
			}
			cat := popCatalog(t)
			if tc.edit != nil {
				tc.edit(cat.Control(tc.control).Population)
			}
			p := w.populations(t, cat)[tc.control]
			if p.Err == nil || !strings.Contains(p.Err.Error(), tc.want) {
				t.Fatalf("error = %v, want it to contain %q", p.Err, tc.want)
			}
			if len(p.Records) != 0 {
				t.Errorf("a population that could not be drawn has %d records", len(p.Records))
			}
		})
	}
}

// TestPopulationOfEmptyEvidence: evidence that is usable but lists nothing
// is an empty population, not an error (a quarter without emergency changes).
func TestPopulationOfEmptyEvidence(t *testing.T) {
	w := popWorld(t)
	w.items[w.man.Items[2].Path].Data = map[string]any{"files": []any{}}
	p := w.populations(t, popCatalog(t))["CM-08"]
	if p.Err != nil || len(p.Records) != 0 || p.Records == nil {
		t.Errorf("empty evidence gave %v, %#v", p.Err, p.Records)
	}
}
