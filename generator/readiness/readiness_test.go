package readiness

import (
	"strings"
	"testing"
	"time"

	"github.com/evident-project/evident/generator/catalog"
	"github.com/evident-project/evident/generator/check"
	"github.com/evident-project/evident/generator/collect/file"
)

func TestCompute(t *testing.T) {
	asOf := time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)
	rec := func(path, date string) file.Record {
		fm := map[string]any{"owner": "sre"}
		if date != "" {
			fm["date"] = date
		}
		return file.Record{Path: path, FrontMatter: fm}
	}
	cat := &catalog.Catalog{Readiness: []catalog.ReadinessSection{
		{Section: "Change management", Items: []catalog.ReadinessItem{
			{ID: "signed", Text: "commits signed", Controls: []string{"CM-01"}},
			{ID: "approvals", Text: "two approvals", Controls: []string{"CM-02/pulls"}},
			{ID: "both", Text: "signed and approved", Controls: []string{"CM-01", "CM-02/pulls"}},
			{ID: "excepted", Text: "excepted", Controls: []string{"CM-03"}},
			{ID: "ghost", Text: "unknown control", Controls: []string{"XX-99"}},
			{ID: "na", Text: "not applicable", Controls: []string{"CM-05"}},
		}},
		{Section: "Documentation", Items: []catalog.ReadinessItem{
			{ID: "tabletop", Text: "tabletop in six months", Record: &catalog.ReadinessRecord{Paths: []string{"t/*.md"}, Cadence: catalog.FrequencySemiannual}},
			{ID: "stale", Text: "stale record", Record: &catalog.ReadinessRecord{Paths: []string{"s/*.md"}, Cadence: catalog.FrequencyQuarterly}},
			{ID: "none", Text: "no record", Record: &catalog.ReadinessRecord{Paths: []string{"n/*.md"}, Cadence: catalog.FrequencyAnnual}},
			{ID: "uncollected", Text: "not collected", Record: &catalog.ReadinessRecord{Paths: []string{"u/*.md"}, Cadence: catalog.FrequencyAnnual}},
			{ID: "future", Text: "future-dated", Record: &catalog.ReadinessRecord{Paths: []string{"f/*.md"}, Cadence: catalog.FrequencyAnnual}},
			{ID: "record-and-control", Text: "record and failing control", Controls: []string{"CM-02"}, Record: &catalog.ReadinessRecord{Paths: []string{"t/*.md"}, Cadence: catalog.FrequencySemiannual}},
		}},
	}}
	rep := &check.Report{Controls: []check.ControlResult{
		{ID: "CM-01", Outcome: check.Pass},
		{ID: "CM-02", Outcome: check.Fail, Reason: "1 assertion failed", Assertions: []check.AssertionResult{
			{Name: "protection", Outcome: check.Fail, Message: "no protection"},
			{Name: "pulls", Outcome: check.Unknown, Message: "m", Reason: "pulls not collected"},
		}},
		{ID: "CM-03", Outcome: check.Excepted},
		{ID: "CM-05", Outcome: check.NotApplicable},
	}}
	recs := Records{
		"tabletop":           {Path: "items/file/a.json", Files: []file.Record{rec("t/old.md", "2026-03-01"), rec("t/new.md", "2026-09-20")}},
		"record-and-control": {Path: "items/file/a.json", Files: []file.Record{rec("t/new.md", "2026-09-20")}},
		"stale":              {Path: "items/file/b.json", Files: []file.Record{rec("s/q2.md", "2026-09-01"), rec("s/undated.md", "")}},
		"none":               {Path: "items/file/c.json"},
		"uncollected":        {Missing: "this snapshot did not collect items/file/d.json"},
		"future":             {Path: "items/file/e.json", Files: []file.Record{rec("f/x.md", "2027-01-15")}},
	}
	got := Compute(Input{Catalog: cat, Report: rep, Records: recs, Period: "2026-Q4", AsOf: asOf})
	want := map[string]Status{
		"signed": Done, "approvals": Unknown, "both": Unknown, "excepted": NotDone, "ghost": Unknown, "na": NotApplicable,
		"tabletop": Done, "stale": NotDone, "none": NotDone, "uncollected": Unknown, "future": NotDone, "record-and-control": NotDone,
	}
	reasons := map[string]string{
		"approvals":          "CM-02/pulls is unknown: pulls not collected",
		"record-and-control": "CM-02 is fail: protection: no protection; pulls: pulls not collected",
		"ghost":              "no result for this control",
		"stale":              "is stale: a quarterly record was due by 2026-12-01",
		"none":               "no dated record matches n/*.md",
		"uncollected":        "cannot be read from this snapshot",
		"future":             "dated 2027-01-15, after 2026-12-31",
	}
	for _, s := range got.Sections {
		for _, it := range s.Items {
			if it.Status != want[it.ID] {
				t.Errorf("%s: status %s, want %s (reasons %q)", it.ID, it.Status, want[it.ID], it.Reasons)
			}
			if r, ok := reasons[it.ID]; ok && !strings.Contains(strings.Join(it.Reasons, "|"), r) {
				t.Errorf("%s: reasons %q, want one containing %q", it.ID, it.Reasons, r)
			}
			if it.Status == Done && len(it.Reasons) != 0 {
				t.Errorf("%s: done with reasons %q", it.ID, it.Reasons)
			}
		}
	}
	tab := got.Sections[1].Items[0].Record
	if tab.Latest == nil || tab.Latest.Path != "t/new.md" || tab.Latest.Owner != "sre" || tab.Due.Format(time.DateOnly) != "2027-03-20" {
		t.Errorf("tabletop record = %+v", tab)
	}
	if st := got.Sections[1].Items[1].Record; len(st.Problems) != 1 || !strings.Contains(st.Problems[0], "s/undated.md: front matter has no date") {
		t.Errorf("stale problems = %q", st.Problems)
	}
	if got.Total != 12 || got.Counts[Done] != 2 || got.Ready {
		t.Errorf("total %d counts %v ready %v", got.Total, got.Counts, got.Ready)
	}
}

func TestReadyNeedsEveryItem(t *testing.T) {
	cat := &catalog.Catalog{Readiness: []catalog.ReadinessSection{{Section: "s", Items: []catalog.ReadinessItem{
		{ID: "a", Controls: []string{"A"}}, {ID: "b", Controls: []string{"B"}},
	}}}}
	for _, tc := range []struct {
		b    check.Outcome
		want bool
	}{{check.Pass, true}, {check.NotApplicable, true}, {check.Unknown, false}, {check.Fail, false}} {
		rep := &check.Report{Controls: []check.ControlResult{{ID: "A", Outcome: check.Pass}, {ID: "B", Outcome: tc.b}}}
		if got := Compute(Input{Catalog: cat, Report: rep}).Ready; got != tc.want {
			t.Errorf("B %s: ready %v, want %v", tc.b, got, tc.want)
		}
	}
	if Compute(Input{Catalog: &catalog.Catalog{}, Report: &check.Report{}}).Ready {
		t.Error("an empty checklist is not ready")
	}
}
