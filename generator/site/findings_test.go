package site

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evident-project/evident/generator/catalog"
	"github.com/evident-project/evident/generator/check"
	"github.com/evident-project/evident/generator/collect/file"
	"github.com/evident-project/evident/generator/findings"
)

func TestFindingsPage(t *testing.T) {
	yes := true
	in := verifyInput(nil)
	in.Catalog.Controls = []catalog.Control{
		{ID: "CM-02", Title: "Two approvals", Family: catalog.FamilyChangeManagement, Owner: "Head of Engineering", Key: true,
			Objective: "Every change has two approvals.", Risk: "unauthorised change"},
		{ID: "SK-01", Title: "No secrets committed", Family: catalog.FamilyLogicalAccess, Owner: "Security",
			Objective: "No secrets.", Risk: "leaked credentials"},
	}
	in.Catalog.Findings.Classification = []catalog.ClassificationRule{{Class: catalog.MaterialWeakness, Key: &yes}}
	in.Catalog.Exceptions = []catalog.Exception{{ID: "EX-1", Control: "CM-02", Reason: "<b>migration</b>", Approver: "CIO", Approved: "2026-07-01", Expires: "2026-10-31"}}
	rep := &check.Report{Controls: []check.ControlResult{
		{ID: "CM-02", Key: true, Outcome: check.Fail, Reason: "1 of 1 assertions failed", Assertions: []check.AssertionResult{{
			Name: "two", Expr: "pulls.all(c, c.approvals >= 2)", Severity: "critical", Outcome: check.Fail, Message: "Fewer than two approvals.",
			Failures: []string{`acme/api#7 <script>alert(1)</script>`},
			Evidence: []string{"items/file/x/2026-Q4.json", "items/github/missing/2026-Q4.json"},
		}}},
		{ID: "SK-01", Outcome: check.Unknown, Reason: "cannot start gitleaks", Assertions: []check.AssertionResult{{Name: "no-leaks", Severity: "high", Outcome: check.Unknown, Reason: "cannot start gitleaks"}}},
	}}
	in.Report = rep
	in.Findings = FindingsInput{
		Report: findings.Compute(findings.Input{
			Catalog: in.Catalog, Report: rep, AsOf: time.Date(2026, 11, 16, 6, 0, 0, 0, time.UTC),
			Plans: []file.Record{{Path: "action-plans/CM-02.yaml", Text: "control: CM-02\nowner: \"<i>Dana</i>\"\nactions: [Restore approvals.]\ntarget_date: 2026-11-01\nstatus: open\n"}},
		}),
		PlansEvidence: "items/file/x/2026-Q4.json",
	}
	dir := t.TempDir()
	if err := Build(in, dir); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "findings.html"))
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	for _, want := range []string{
		`<article class="fnd" id="finding-CM-02"`, `<article class="fnd" id="finding-SK-01"`,
		`<th scope="row"><span class="fnd-class fnd-material_weakness">Material weakness</span></th><td>1</td><td>1</td><td>0</td>`,
		`<th scope="row"><span class="fnd-class fnd-control_deficiency">Control deficiency</span></th><td>1</td><td>0</td><td>1</td>`,
		"<dt>Criteria</dt>", "<dt>Condition</dt>", "<dt>Cause</dt>", "<dt>Effect</dt>", "<dt>Recommendation</dt>",
		"acme/api#7 &lt;script&gt;alert(1)&lt;/script&gt;", "&lt;i&gt;Dana&lt;/i&gt;", "&lt;b&gt;migration&lt;/b&gt;", // evidence and config text is escaped
		"No evidence could be evaluated: cannot start gitleaks",
		`<span class="badge fail">overdue</span>`, `<span class="badge fail">expired</span>`,
		"No management action plan is on record for this finding",
		`<a href="controls/CM-02.html">`, `<a class="mono" href="evidence/items/file/x/2026-Q4.json">`,
		"items/github/missing/2026-Q4.json (not in this snapshot)",
		"1 of 2 findings has no management action plan on record; 1 has a plan past its target date.",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("findings page lacks %q", want)
		}
	}
	if strings.Contains(page, "<script>") || strings.Contains(page, `href="evidence/items/github/missing`) {
		t.Error("findings page carries raw evidence markup or links a file the snapshot does not hold")
	}
	// Material weakness before control deficiency, key before non-key.
	if strings.Index(page, `id="finding-CM-02"`) > strings.Index(page, `id="finding-SK-01"`) {
		t.Error("findings are not ordered most severe class first")
	}
}

func TestRemediationStatus(t *testing.T) {
	cases := []struct {
		f    findings.Finding
		want string
	}{
		{findings.Finding{Outcome: check.Excepted}, "risk accepted under an exception"},
		{findings.Finding{Outcome: check.Fail}, "no management action plan on record"},
		{findings.Finding{Outcome: check.Fail, Plans: []findings.ActionPlan{{Status: findings.PlanOpen}, {Status: findings.PlanInProgress, Overdue: true}}}, "action plan overdue"},
		{findings.Finding{Outcome: check.Fail, Plans: []findings.ActionPlan{{Status: findings.PlanImplemented}}}, "reported implemented, but the control does not pass in this snapshot"},
		{findings.Finding{Outcome: check.Fail, Plans: []findings.ActionPlan{{Status: findings.PlanOpen}, {Status: findings.PlanInProgress}}}, "action plan in progress"},
		{findings.Finding{Outcome: check.Unknown, Plans: []findings.ActionPlan{{Status: findings.PlanOpen}}}, "action plan open, not started"},
	}
	for _, tc := range cases {
		if got := remediationStatus(tc.f); got != tc.want {
			t.Errorf("remediationStatus(%+v) = %q, want %q", tc.f.Plans, got, tc.want)
		}
	}
}
