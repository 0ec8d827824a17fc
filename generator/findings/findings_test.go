package findings

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/evident-project/evident/generator/catalog"
	"github.com/evident-project/evident/generator/check"
	"github.com/evident-project/evident/generator/collect/file"
)

func ptr(b bool) *bool { return &b }

// rules are the default pack's kind of rules: the first match wins.
var rules = []catalog.ClassificationRule{
	{Class: catalog.MaterialWeakness, Key: ptr(true), Severities: []catalog.Severity{"critical"}, Compensated: ptr(false), Outcomes: []string{"fail"}},
	{Class: catalog.SignificantDeficiency, Key: ptr(true), Severities: []catalog.Severity{"critical", "high"}},
	{Class: catalog.SignificantDeficiency, Key: ptr(true), Outcomes: []string{"unknown"}},
}

func TestClassify(t *testing.T) {
	cases := []struct {
		name  string
		rules []catalog.ClassificationRule
		facts Facts
		want  catalog.DeficiencyClass
		rule  int
	}{
		{"key critical uncompensated fail", rules, Facts{true, "critical", false, check.Fail}, catalog.MaterialWeakness, 1},
		{"excepted counts as the failure it is", rules, Facts{true, "critical", false, check.Excepted}, catalog.MaterialWeakness, 1},
		{"compensated drops to rule 2", rules, Facts{true, "critical", true, check.Fail}, catalog.SignificantDeficiency, 2},
		{"key high", rules, Facts{true, "high", false, check.Fail}, catalog.SignificantDeficiency, 2},
		{"key critical unknown is not rule 1", rules, Facts{true, "critical", false, check.Unknown}, catalog.SignificantDeficiency, 2},
		{"key medium unknown", rules, Facts{true, "medium", false, check.Unknown}, catalog.SignificantDeficiency, 3},
		{"key medium fail matches none", rules, Facts{true, "medium", false, check.Fail}, catalog.ControlDeficiency, 0},
		{"non-key critical matches none", rules, Facts{false, "critical", false, check.Fail}, catalog.ControlDeficiency, 0},
		{"no rules", nil, Facts{true, "critical", false, check.Fail}, catalog.ControlDeficiency, 0},
		{"empty rule matches everything", []catalog.ClassificationRule{{Class: catalog.SignificantDeficiency}}, Facts{false, "low", false, check.Fail}, catalog.SignificantDeficiency, 1},
		{"key false matches non-key only", []catalog.ClassificationRule{{Class: catalog.SignificantDeficiency, Key: ptr(false)}}, Facts{true, "low", false, check.Fail}, catalog.ControlDeficiency, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, rule := Classify(tc.rules, tc.facts)
			if got != tc.want || rule != tc.rule {
				t.Errorf("Classify = %s (rule %d), want %s (rule %d)", got, rule, tc.want, tc.rule)
			}
		})
	}
}

func TestMatcher(t *testing.T) {
	m := newMatcher([]string{"acme/api#42 approvals=1", "payments-prod: user:dana via ClusterRoleBinding/oncall", "core@8c44e5d"})
	cases := map[string]bool{
		"acme/api#42":              true,
		"acme/api#4":               false, // a prefix of another number
		"api#42":                   true,  // stands on its own after a slash
		"pi#42":                    false, // starts inside a word
		"user:dana":                true,
		"payments-prod: user:dana": true,
		"dan":                      false,
		"core@8c44e5d":             true,
		"":                         false,
		"approvals=1":              true,
	}
	for key, want := range cases {
		if got := m.match(key); got != want {
			t.Errorf("match(%q) = %v, want %v", key, got, want)
		}
	}
}

// fixture is a small pack: a key change control with a population, a key
// control whose evidence is missing, a non-key failure, a compensated key
// control, an excepted one and a passing one.
func fixture() Input {
	cat := &catalog.Catalog{
		Controls: []catalog.Control{
			{ID: "CM-02", Title: "Changes are approved by two people", Family: catalog.FamilyChangeManagement, Owner: "Head of Engineering", Key: true,
				Objective: "Every change is approved by two reviewers.", Risk: "a single individual could introduce an unauthorised change",
				Recommendation: "Require two approvals on every protected branch."},
			{ID: "PA-03", Title: "Branch protection changes are monitored", Family: catalog.FamilyPrivilegedActivity, Owner: "CISO", Key: true,
				Objective: "Changes to branch protection are alerted on.", Risk: "protection is relaxed unnoticed"},
			{ID: "CI-03", Title: "Artifacts are signed", Family: catalog.FamilyProgramDevelopment, Owner: "Platform", Key: false,
				Objective: "Release artifacts are signed.", Risk: "tampered artifacts are deployed"},
			{ID: "AL-06", Title: "Object lock read live", Family: catalog.FamilyAuditLogging, Owner: "Platform", Key: true,
				Objective: "The bucket has object lock.", Risk: "logs can be deleted", Compensating: []string{"AL-02", "PA-03"}},
			{ID: "CM-01", Title: "Commits are signed", Family: catalog.FamilyChangeManagement, Owner: "Head of Engineering", Key: true,
				Objective: "Commits are signed.", Risk: "commits are forged"},
			{ID: "AL-02", Title: "Logs are immutable", Family: catalog.FamilyAuditLogging, Owner: "Platform", Key: true,
				Objective: "WORM.", Risk: "logs altered"},
		},
		Exceptions: []catalog.Exception{
			{ID: "EX-1", Control: "CM-01", Assertion: "signed", Reason: "token on order", Approver: "CISO", Approved: "2026-10-01", Expires: "2026-12-31"},
			{ID: "EX-0", Control: "CM-02", Reason: "migration", Approver: "CIO", Approved: "2026-07-01", Expires: "2026-10-31"},
			{ID: "EX-9", Control: "CM-01", Reason: "next year", Approver: "CIO", Approved: "2026-12-01", Expires: "2027-01-31"},
		},
		Findings: catalog.Findings{Classification: rules},
	}
	rep := &check.Report{Controls: []check.ControlResult{
		{ID: "CM-02", Key: true, Outcome: check.Fail, Reason: "1 of 2 assertions failed", Assertions: []check.AssertionResult{
			{Name: "protection", Expr: "protection.all(b, b.approvals >= 2)", Severity: "critical", Outcome: check.Pass},
			{Name: "merged-two-approvals", Expr: "pulls.all(c, c.approvals >= 2)", Severity: "critical", Outcome: check.Fail,
				Message:  "Changes were merged with fewer than two approvals.",
				Failures: []string{"acme/api#2 approvals=1", "acme/api#7 approvals=0", "acme/api#12 approvals=1"},
				Evidence: []string{"items/github.pulls/p/2026-Q4.json"}},
		}},
		{ID: "PA-03", Key: true, Outcome: check.Unknown, Reason: "collector github.audit_log not available", Assertions: []check.AssertionResult{
			{Name: "monitored", Severity: "high", Outcome: check.Unknown, Reason: "collector github.audit_log not available", Evidence: []string{}},
		}},
		{ID: "CI-03", Outcome: check.Fail, Reason: "1 of 1 assertions failed", Assertions: []check.AssertionResult{
			{Name: "signed", Severity: "high", Outcome: check.Fail, Message: "Artifacts lack a signature.", Failures: manyFailures(30)},
		}},
		{ID: "AL-06", Key: true, Outcome: check.Fail, Reason: "1 of 2 assertions failed", Assertions: []check.AssertionResult{
			{Name: "lock", Severity: "critical", Outcome: check.Fail, Message: "No object lock."},
			{Name: "read", Severity: "low", Outcome: check.Unknown, Reason: "bucket not readable"},
		}},
		{ID: "CM-01", Key: true, Outcome: check.Excepted, Reason: "1 failing assertions are covered by approved exceptions", Assertions: []check.AssertionResult{
			{Name: "signed", Severity: "critical", Outcome: check.Excepted, Message: "Unsigned commits.", Exception: "EX-1", Reason: "excepted by EX-1"},
		}},
		{ID: "AL-02", Key: true, Outcome: check.Pass},
	}}
	plans := []file.Record{
		{Path: "action-plans/CM-02.yaml", Text: "control: CM-02\ncause: Protection relaxed in an outage.\nowner: Head of Engineering\nactions: [Restore approvals.]\ntarget_date: 2026-11-01\nstatus: in_progress\n"},
		{Path: "action-plans/AL-02.yaml", Text: "control: AL-02\nowner: Platform\nactions: [Enable object lock.]\ntarget_date: 2026-10-01\nstatus: implemented\n"},
		{Path: "action-plans/bad.yaml", Text: "control: CI-03\nowner: Platform\n"},
	}
	keys := make([]string, 40)
	for i := range keys {
		keys[i] = "acme/api#" + strconv.Itoa(i+1)
	}
	return Input{
		Catalog: cat, Report: rep, Plans: plans,
		Populations: map[string]Population{
			"CM-02": {Name: "merged pull requests", Keys: keys, Sample: []string{"acme/api#7", "acme/api#1", "acme/api#3", "acme/api#12", "acme/api#20"}},
			"CI-03": {Name: "release artifacts", Problem: "population.expr: no such key: artifacts"},
		},
		AsOf: time.Date(2026, 11, 16, 6, 0, 0, 0, time.UTC),
	}
}

func manyFailures(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "artifact-" + strconv.Itoa(i)
	}
	return out
}

func TestCompute(t *testing.T) {
	rep := Compute(fixture())
	var order []string
	byID := map[string]Finding{}
	for _, f := range rep.Findings {
		order = append(order, f.Control+":"+string(f.Class))
		byID[f.Control] = f
	}
	// Material weaknesses first, then significant deficiencies (key before
	// non-key, most severe first), then control deficiencies; a passing
	// control is no finding.
	want := "CM-02:material_weakness CM-01:material_weakness AL-06:significant_deficiency PA-03:significant_deficiency CI-03:control_deficiency"
	if got := strings.Join(order, " "); got != want {
		t.Fatalf("findings:\n %s\nwant\n %s", got, want)
	}
	if rep.Counts[catalog.MaterialWeakness] != 2 || rep.Counts[catalog.SignificantDeficiency] != 2 || rep.Counts[catalog.ControlDeficiency] != 1 ||
		rep.Key[catalog.ControlDeficiency] != 0 || rep.Key[catalog.SignificantDeficiency] != 2 {
		t.Errorf("counts %v key %v", rep.Counts, rep.Key)
	}

	cm02 := byID["CM-02"]
	if cm02.Rule != 1 || cm02.Severity != "critical" || !cm02.CauseKnown || cm02.Cause != "Protection relaxed in an outage." || cm02.Derived ||
		cm02.Recommendation != "Require two approvals on every protected branch." {
		t.Errorf("CM-02: %+v", cm02)
	}
	if len(cm02.Criteria.Tests) != 1 || cm02.Criteria.Tests[0].Assertion != "merged-two-approvals" || cm02.Criteria.Objective != "Every change is approved by two reviewers." {
		t.Errorf("CM-02 criteria: %+v", cm02.Criteria)
	}
	// #2, #7 and #12 are in the population; #7 and #12 were sampled.
	wantSummary := "During testing of 5 sampled merged pull requests (from a population of 40), 2 showed an exception; across the whole population, 3 of 40 did."
	if s := cm02.Condition.Summary; len(s) != 2 || s[0] != "1 of 2 assertions failed." || s[1] != wantSummary {
		t.Errorf("CM-02 condition: %q", s)
	}
	if len(cm02.Plans) != 1 || !cm02.Plans[0].Overdue {
		t.Errorf("CM-02 plans: %+v", cm02.Plans)
	}
	if len(cm02.Exceptions) != 1 || !cm02.Exceptions[0].Expired || cm02.Exceptions[0].Active {
		t.Errorf("CM-02 exceptions: %+v", cm02.Exceptions)
	}
	if strings.Join(cm02.Evidence, ",") != "items/github.pulls/p/2026-Q4.json" {
		t.Errorf("CM-02 evidence: %v", cm02.Evidence)
	}
	if !strings.HasPrefix(cm02.Effect, "A single individual could introduce an unauthorised change. This reduces assurance") {
		t.Errorf("CM-02 effect: %q", cm02.Effect)
	}

	pa03 := byID["PA-03"]
	if pa03.Outcome != check.Unknown || pa03.Rule != 2 || pa03.CauseKnown || !strings.HasPrefix(pa03.Cause, "Not determined — management to document") || !pa03.Derived {
		t.Errorf("PA-03: %+v", pa03)
	}
	if len(pa03.Condition.Deviations) != 1 || pa03.Condition.Deviations[0].Message != "No evidence could be evaluated: collector github.audit_log not available" {
		t.Errorf("PA-03 deviations: %+v", pa03.Condition.Deviations)
	}
	if !strings.HasPrefix(pa03.Condition.Summary[0], "No evidence could be evaluated: collector github.audit_log not available.") ||
		!strings.HasPrefix(pa03.Effect, "Until the control can be tested") || !strings.HasPrefix(pa03.Recommendation, "Restore the evidence") {
		t.Errorf("PA-03 write-up: %q / %q / %q", pa03.Condition.Summary, pa03.Effect, pa03.Recommendation)
	}

	al06 := byID["AL-06"]
	if !al06.Compensated || al06.Rule != 2 || len(al06.Compensating) != 2 || al06.Compensating[0].Outcome != check.Pass || al06.Compensating[1].Outcome != check.Unknown {
		t.Errorf("AL-06: %+v", al06)
	}
	if !strings.Contains(al06.Basis, "a compensating control passes") || !strings.Contains(al06.Basis, "rule 2") {
		t.Errorf("AL-06 basis: %q", al06.Basis)
	}
	if len(al06.Condition.Summary) != 2 || !strings.Contains(al06.Condition.Summary[1], "1 assertion could not be evaluated") {
		t.Errorf("AL-06 condition: %q", al06.Condition.Summary)
	}

	ci03 := byID["CI-03"]
	if ci03.Key || ci03.Rule != 0 || !strings.Contains(ci03.Basis, "non-key control") || !strings.Contains(ci03.Basis, "no classification rule matches") {
		t.Errorf("CI-03: %+v", ci03)
	}
	if d := ci03.Condition.Deviations[0]; len(d.Failures) != MaxFailures || d.More != 5 || d.Count != 30 {
		t.Errorf("CI-03 deviation: %d shown, %d more, count %d", len(d.Failures), d.More, d.Count)
	}
	if s := ci03.Condition.Summary; len(s) != 2 || s[1] != "No population of release artifacts could be drawn for testing: population.expr: no such key: artifacts." {
		t.Errorf("CI-03 condition: %q", s)
	}

	cm01 := byID["CM-01"]
	if cm01.Outcome != check.Excepted || cm01.Rule != 1 || len(cm01.Exceptions) != 2 {
		t.Fatalf("CM-01: %+v", cm01)
	}
	if e := cm01.Exceptions[0]; !e.Active || e.Expired || e.Pending {
		t.Errorf("EX-1: %+v", e)
	}
	if e := cm01.Exceptions[1]; e.Active || !e.Pending {
		t.Errorf("EX-9: %+v", e)
	}

	if rep.NoPlan != 4 || rep.Overdue != 1 {
		t.Errorf("no plan %d, overdue %d", rep.NoPlan, rep.Overdue)
	}
	if len(rep.Closed) != 1 || rep.Closed[0].Control != "AL-02" || rep.Closed[0].Outcome != check.Pass {
		t.Errorf("closed: %+v", rep.Closed)
	}
	if len(rep.PlanErrors) != 3 || !strings.HasPrefix(rep.PlanErrors[0], "action-plans/bad.yaml:1:1: action plan has no actions") {
		t.Errorf("plan errors: %q", rep.PlanErrors)
	}
}

func TestWholePopulationAndEmpty(t *testing.T) {
	r := &check.ControlResult{Outcome: check.Fail, Reason: "1 of 1 assertions failed"}
	fails := []string{"r1 bad", "r3 bad", "setting x"}
	four := Population{Name: "releases", Keys: []string{"r1", "r2", "r3", "r4"}, Sample: []string{"r2"}}
	cases := []struct {
		name  string
		pop   Population
		fails []string
		want  string
	}{
		{"whole population", Population{Name: "releases", Keys: []string{"r1", "r2", "r3"}, Sample: []string{"r2", "r1", "r3"}}, fails,
			"2 of 3 releases (the whole population was tested) showed an exception."},
		{"empty population", Population{Name: "releases", Keys: nil}, fails, "The population of releases for the period is empty."},
		{"clean sample", four, fails,
			"During testing of 1 sampled releases (from a population of 4), 0 showed an exception; across the whole population, 2 of 4 did."},
		{"failures name no record", four, []string{"setting x", "r10 bad"},
			"The population holds 4 releases; none of the 2 deviations listed names one of its records (they concern settings, or name records another way), so no record count is given."},
		{"no failures listed", four, nil,
			"The population holds 4 releases; the failing assertions list no offending records, so how many of them failed cannot be stated."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := conditionSummary(r, tc.pop, tc.fails, nil)
			if len(s) != 2 || s[1] != tc.want {
				t.Errorf("summary %q, want %q", s, tc.want)
			}
		})
	}
	unknown := &check.ControlResult{Outcome: check.Unknown, Reason: "no evidence"}
	s := conditionSummary(unknown, Population{Name: "releases", Keys: []string{"r1"}, Sample: []string{"r1"}}, nil, nil)
	if len(s) != 2 || s[1] != "The population holds 1 releases, none of which could be tested." {
		t.Errorf("unknown summary %q", s)
	}
}

func TestNoRulesAndNoAssertions(t *testing.T) {
	in := Input{
		Catalog: &catalog.Catalog{Controls: []catalog.Control{{ID: "OP-09", Key: true, Objective: "x", Risk: "y"}}},
		Report:  &check.Report{Controls: []check.ControlResult{{ID: "OP-09", Key: true, Outcome: check.Unknown, Reason: "no assertions are declared, so nothing shows the control operated"}}},
		AsOf:    time.Now(),
	}
	rep := Compute(in)
	if len(rep.Findings) != 1 {
		t.Fatalf("findings %+v", rep.Findings)
	}
	f := rep.Findings[0]
	if f.Class != catalog.ControlDeficiency || !strings.Contains(f.Basis, "declares no classification rules") {
		t.Errorf("class %s basis %q", f.Class, f.Basis)
	}
	if len(f.Condition.Deviations) != 1 || !strings.HasPrefix(f.Condition.Deviations[0].Message, "No evidence could be evaluated: no assertions are declared") {
		t.Errorf("deviations %+v", f.Condition.Deviations)
	}
}
