package demo

import (
	"sort"
	"testing"

	"github.com/evident-project/evident"
	"github.com/evident-project/evident/generator/catalog"
	"github.com/evident-project/evident/generator/collect/file"
	"github.com/evident-project/evident/generator/findings"
)

// The demo's plans must read cleanly against the control pack at every
// run, or the findings page would show parse errors instead of plans; and
// by the last run exactly one is overdue, the one the demo shows.
func TestActionPlansParseAtEveryRun(t *testing.T) {
	cat, err := catalog.Parse("controls.yaml", evident.DefaultControls, catalog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i, at := range RunDates {
		// As the config repository holds them at the run: the latest
		// version of each file written by then.
		latest := map[string]string{}
		for _, r := range actionPlanRecords() {
			if !r.written.After(at) {
				latest[r.path] = r.body
			}
		}
		var files []file.Record
		for p, body := range latest {
			files = append(files, file.Record{Path: p, Text: body})
		}
		sort.Slice(files, func(a, b int) bool { return files[a].Path < files[b].Path })
		plans, errs := findings.ParsePlans(files, cat, at)
		for _, e := range errs {
			t.Errorf("run %d: %v", i+1, e)
		}
		if i != len(RunDates)-1 {
			continue
		}
		var overdue []string
		covered := map[string]bool{}
		for _, p := range plans {
			covered[p.Control] = true
			if p.Overdue {
				overdue = append(overdue, p.Control)
			}
		}
		if len(overdue) != 1 || overdue[0] != "PA-01" {
			t.Errorf("overdue at the last run: %v, want [PA-01]", overdue)
		}
		if covered["CM-05"] {
			t.Error("CM-05 has a plan; the demo leaves that finding without one")
		}
	}
}
