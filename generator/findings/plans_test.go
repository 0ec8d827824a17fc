package findings

import (
	"strings"
	"testing"
	"time"

	"github.com/evident-project/evident/generator/catalog"
	"github.com/evident-project/evident/generator/collect/file"
)

func planCatalog() *catalog.Catalog {
	return &catalog.Catalog{Controls: []catalog.Control{
		{ID: "CM-02", Assertions: []catalog.Assertion{{Name: "two-approvals"}}},
		{ID: "AC-03"},
	}}
}

func TestParsePlans(t *testing.T) {
	asOf := time.Date(2026, 11, 16, 6, 0, 0, 0, time.UTC)
	cases := []struct {
		name string
		text string
		// want are "control target status overdue" per plan read.
		want []string
		// errs are "line:col: fragment" per problem.
		errs []string
	}{
		{
			name: "one plan per file",
			text: `control: CM-02
assertion: two-approvals
response: Management agrees with the observation.
cause: Branch protection was relaxed during an outage and not restored.
owner: Head of Engineering
co_owners: [Director of Product Security]
actions:
  - Restore two required approvals on main.
  - Alert on branch-protection changes.
target_date: 2026-12-15
status: in_progress
`,
			want: []string{"CM-02 2026-12-15 in_progress false"},
		},
		{
			name: "a list of plans, one overdue, one implemented past its date",
			text: `plans:
  - control: CM-02
    owner: Head of Engineering
    actions: [Restore approvals.]
    target_date: "2026-11-15"
    status: open
  - control: AC-03
    owner: CISO
    actions: [Require 2FA.]
    target_date: 2026-10-01
    status: implemented
  - control: AC-03
    owner: CISO
    actions: [Remove members without 2FA.]
    target_date: 2026-11-16
    status: open
`,
			// Due on the as-of day itself is not yet overdue.
			want: []string{"CM-02 2026-11-15 open true", "AC-03 2026-10-01 implemented false", "AC-03 2026-11-16 open false"},
		},
		{
			name: "every field problem at its place, the good plan kept",
			text: `plans:
  - control: CM-20
    owner: Head of Engineering
    actions: [x]
    target_date: 2026-13-01
    status: started
  - control: CM-02
    assertion: one-approval
    owner: ""
    actons: [x]
    target_date: 2026-12-01
    status: open
  - control: AC-03
    owner: CISO
    actions: [Require 2FA.]
    target_date: 2026-12-01
    status: open
`,
			want: []string{"AC-03 2026-12-01 open false"},
			errs: []string{
				`2:14: control "CM-20" is not declared`,
				`5:18: target_date "2026-13-01" is not a date`,
				`6:13: status "started" is not one of open, in_progress, implemented`,
				`8:16: control CM-02 declares no assertion "one-approval"`,
				`9:12: owner is empty`,
				`10:5: unknown field "actons"; did you mean "actions"?`,
				`7:5: action plan has no actions`,
			},
		},
		{
			name: "missing required fields",
			text: "control: CM-02\n",
			errs: []string{"1:1: action plan has no owner", "1:1: action plan has no actions", "1:1: action plan has no target_date", "1:1: action plan has no status"},
		},
		{
			name: "wrong shapes",
			text: "control: [CM-02]\nowner: x\nactions: do it\ntarget_date: 2026-12-01\nstatus: open\n",
			errs: []string{"1:10: control must be text, not a list", "3:10: actions must be a list, not a scalar"},
		},
		{
			name: "empty actions list",
			text: "control: CM-02\nowner: x\nactions: []\ntarget_date: 2026-12-01\nstatus: open\n",
			errs: []string{"1:1: action plan lists no actions"},
		},
		{
			name: "duplicate key",
			text: "control: CM-02\ncontrol: AC-03\nowner: x\nactions: [y]\ntarget_date: 2026-12-01\nstatus: open\n",
			errs: []string{"2:1: control: is written twice"},
		},
		{
			name: "syntax error names the line",
			text: "control: CM-02\nowner: [x\nactions: [y]\n",
			errs: []string{"not valid YAML"},
		},
		{
			name: "not a mapping",
			text: "- control: CM-02\n",
			errs: []string{"1:1: an action plan file is a mapping"},
		},
		{
			name: "empty file",
			text: "",
			errs: []string{"1:1: the file is empty"},
		},
		{
			name: "plans is not a list",
			text: "plans: {control: CM-02}\n",
			errs: []string{"1:8: plans: must be a non-empty list"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			plans, errs := ParsePlans([]file.Record{{Path: "action-plans/p.yaml", Text: tc.text}}, planCatalog(), asOf)
			var got []string
			for _, p := range plans {
				got = append(got, strings.Join([]string{p.Control, p.Target.Format(time.DateOnly), string(p.Status), boolString(p.Overdue)}, " "))
				if p.File != "action-plans/p.yaml" || p.Line == 0 {
					t.Errorf("plan %s: location %s:%d", p.Control, p.File, p.Line)
				}
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("plans:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			if len(errs) != len(tc.errs) {
				t.Errorf("got %d errors, want %d:\n%v", len(errs), len(tc.errs), errs)
			}
			for _, want := range tc.errs {
				found := false
				for _, e := range errs {
					if strings.HasPrefix(e.Error(), "action-plans/p.yaml:") && strings.Contains(e.Error(), want) {
						found = true
					}
				}
				if !found {
					t.Errorf("no error %q in:\n%v", want, catalog.ErrorList(errs))
				}
			}
		})
	}
}

func TestParsePlansSyntaxErrorLine(t *testing.T) {
	_, errs := ParsePlans([]file.Record{{Path: "a.yaml", Text: "control: CM-02\nowner: x\n  bad: indent\n"}}, planCatalog(), time.Now())
	if len(errs) != 1 || errs[0].Line != 3 || !strings.HasPrefix(errs[0].Error(), "a.yaml:3:1: not valid YAML: ") {
		t.Fatalf("errors = %v", errs)
	}
}

func TestParsePlansTruncated(t *testing.T) {
	plans, errs := ParsePlans([]file.Record{{Path: "big.yaml", Text: "control: CM-02\n", Truncated: true}}, planCatalog(), time.Now())
	if len(plans) != 0 || len(errs) != 1 || !strings.Contains(errs[0].Error(), "larger than the collector keeps") {
		t.Fatalf("plans %v errors %v", plans, errs)
	}
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
