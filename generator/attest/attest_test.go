package attest

import (
	"strings"
	"testing"
	"time"

	"github.com/evident-project/evident/generator/catalog"
	"github.com/evident-project/evident/generator/check"
	"github.com/evident-project/evident/generator/collect/github"
	"github.com/evident-project/evident/generator/collect/gitrepo"
)

func TestRatioPercent(t *testing.T) {
	for _, c := range []struct {
		r    Ratio
		want string
	}{
		{Ratio{29, 31}, "93.5%"},       // 93.548…
		{Ratio{80, 89}, "89.9%"},       // 89.887…
		{Ratio{1, 3}, "33.3%"},         // 33.333…
		{Ratio{2, 3}, "66.7%"},         // 66.666… rounds up
		{Ratio{5, 5}, "100.0%"},        // the whole population
		{Ratio{0, 5}, "0.0%"},          // none of it
		{Ratio{9999, 10000}, ">99.9%"}, // 99.99% must not print as 100.0%
		{Ratio{1, 10000}, "<0.1%"},     // 0.01% must not print as 0.0%
		{Ratio{0, 0}, "n/a"},
	} {
		if got := c.r.Percent(); got != c.want {
			t.Errorf("%v: Percent() = %q, want %q", c.r, got, c.want)
		}
	}
	if (Ratio{0, 0}).All() {
		t.Error("an empty population is not all of it")
	}
}

// fixture is a small world in which every statement holds: two people's
// changes each approved by two others, a bot's change approved once, every
// commit verified, a clean audit log, a complete access review, a verified
// history, and a control bound to every control-based statement, passing.
func fixture() Input {
	var ctls []catalog.Control
	var results []check.ControlResult
	for i, ref := range []string{refLeastPrivilege, refRetention, refImmutable, refLogIntegrity, refTwoReviewers, refNoDirectPushes, refTwoPerson, refSigned, refSelfApproval, refAccessReviews, refSecretAudit, refEvidence} {
		id := "C-" + string(rune('A'+i))
		ctls = append(ctls, catalog.Control{ID: id, Title: "control " + id, References: catalog.References{Seeds: []string{ref}}})
		results = append(results, check.ControlResult{ID: id, Outcome: check.Pass, Evidence: []check.EvidenceResult{{ID: "e", Paths: []string{"items/x/" + id + ".json"}}}})
	}
	return Input{
		Period: "2026-Q4", PeriodEnd: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), AsOf: time.Date(2027, 1, 2, 6, 0, 0, 0, time.UTC),
		Catalog: &catalog.Catalog{
			Organization: catalog.Organization{Name: "Acme Bank", System: "Ledger", Signatories: []catalog.Signatory{
				{Role: "Chief Financial Officer", Name: "Ann Ledger"}, {Role: "Chief Information Officer", Name: "Ian Stack"},
			}},
			Controls: ctls,
		},
		Report: &check.Report{Controls: results},
		Pulls: []Source[github.PullsData]{{Path: "items/github/acme/pulls/2026-Q4.json", Data: &github.PullsData{Changes: []github.Change{
			{Repo: "acme/api", Number: 1, Title: "fix", Author: "ana", MergedBy: "bo", Approvals: 2, Approvers: []string{"bo", "cy"}},
			{Repo: "acme/api", Number: 2, Title: "feat", Author: "bo", MergedBy: "bo", SelfMerged: true, Approvals: 3, Approvers: []string{"ana", "cy", "di"}},
			{Repo: "acme/api", Number: 3, Title: "deps", Author: "dependabot[bot]", Bot: true, MergedBy: "ana", Approvals: 1},
		}}}},
		Commits: []Source[gitrepo.Data]{{Path: "items/git/api/commits/2026-Q4.json", Data: &gitrepo.Data{
			Repository: gitrepo.Repository{ID: "api"},
			Commits: []gitrepo.Commit{
				{SHA: "aaaaaaaaaaaaaaaa", Signature: gitrepo.Signature{Status: gitrepo.StatusVerified}},
				{SHA: "bbbbbbbbbbbbbbbb", Signature: gitrepo.Signature{Status: gitrepo.StatusVerified}},
			},
		}}},
		AuditLogs: []Source[AuditLogData]{{Path: "items/github/acme/audit_log/2026-Q4.json", Data: &AuditLogData{Events: []AuditEvent{
			{Action: "repo.create", Actor: "ana"},
			// Protection working: a push was refused, nothing changed.
			{Action: "protected_branch.rejected_ref_update", Actor: "bo", Repo: "acme/api"},
		}}}},
		SecretAccess: []Source[SecretAccessData]{{Path: "items/kube/prod/audit/2026-Q4.json", Data: &SecretAccessData{Events: 12}}},
		AccessReview: AccessReview{Period: "2026-Q4", Population: 4, Decided: 4, Revoked: 1, Complete: true, CompletedOn: "2026-10-08", Evidence: []string{"items/file/p-1/2026-Q4.json"}},
		Integrity:    Integrity{OK: true, ChainOK: true, SignaturesOK: true, Snapshots: 8, FilesHashed: 120, Evidence: []string{"manifest.json"}},
	}
}

func figure(t *testing.T, a Attestation, id string) Figure {
	t.Helper()
	f, ok := a.Figure(id)
	if !ok {
		t.Fatalf("no figure %s", id)
	}
	return f
}

func TestEverythingSupported(t *testing.T) {
	a := Compute(fixture())
	if n := a.Exceptions(); n != 0 {
		for _, f := range a.Figures {
			if !f.Supported {
				t.Errorf("%s: %s", f.ID, f.Exception)
			}
		}
		t.Fatalf("%d exceptions in a world where everything holds", n)
	}
	want := map[string]string{
		TwoPersonReview:     "2 of 2",
		SignedCommits:       "2 of 2",
		UnauthorizedChanges: "0",
		SelfApproval:        "0 of 3",
		SelfMerge:           "0 of 3",
		AccessReviewDone:    "2026-10-08",
		SecretAccessEvents:  "0",
		EvidenceIntegrity:   "8 snapshots",
		RBACLeastPrivilege:  "1 of 1 controls pass",
	}
	for id, v := range want {
		if f := figure(t, a, id); f.Value != v {
			t.Errorf("%s = %q, want %q (%s)", id, f.Value, v, f.Text)
		}
	}
	if f := figure(t, a, TwoPersonReview); !strings.Contains(f.Text, "1 change opened by a bot is outside") {
		t.Errorf("the bot's change is not named: %s", f.Text)
	}
	if f := figure(t, a, SelfMerge); !strings.Contains(f.Text, "1 change was merged by its author in all") {
		t.Errorf("the self-merge after two approvals is not counted: %s", f.Text)
	}
	for _, l := range a.Letters {
		if !l.Supported || l.Exceptions != 0 || l.Statements != len(a.Figures) {
			t.Errorf("%s letter: supported=%v exceptions=%d statements=%d", l.ID, l.Supported, l.Exceptions, l.Statements)
		}
		if !strings.Contains(l.Opening, "certify") || !strings.Contains(l.Conclusion, "were operating effectively as of December 31, 2026") {
			t.Errorf("%s letter: opening %q conclusion %q", l.ID, l.Opening, l.Conclusion)
		}
	}
	if a.Letters[0].Name != "Ann Ledger" || a.Letters[1].Name != "Ian Stack" || a.Letters[0].ID != "cfo" {
		t.Errorf("signatories: %+v %+v", a.Letters[0], a.Letters[1])
	}
	if a.Letters[0].Subtitle != "Q4 2026 — Ledger" {
		t.Errorf("subtitle %q", a.Letters[0].Subtitle)
	}
}

// TestExceptions changes one thing in the supported world per case and
// asserts the line it feeds becomes an exception with its reason, and the
// others stay supported.
func TestExceptions(t *testing.T) {
	change := func(in *Input, i int, c github.Change) {
		in.Pulls[0].Data.Changes[i] = c
	}
	for _, c := range []struct {
		name  string
		edit  func(*Input)
		lines []string // the figures that must become exceptions
		value string   // the first line's value after the change
		why   string   // in its exception
		det   string   // in its details, when set
	}{
		{"one approval", func(in *Input) {
			change(in, 0, github.Change{Repo: "acme/api", Number: 1, Title: "fix", Author: "ana", Approvals: 1, Approvers: []string{"bo"}})
		}, []string{TwoPersonReview}, "1 of 2", "1 change was merged with fewer than two independent approvals", `acme/api#1 "fix": 1 independent approval(s) (approved by bo)`},
		{"only bots", func(in *Input) { in.Pulls[0].Data.Changes = in.Pulls[0].Data.Changes[2:] },
			[]string{TwoPersonReview}, "0 of 0", "never exercised", ""},
		{"pulls missing", func(in *Input) {
			in.Pulls[0].Data, in.Pulls[0].Problem = nil, "evidence items/github/acme/pulls/2026-Q4.json is not in this snapshot"
		},
			[]string{TwoPersonReview, UnauthorizedChanges, SelfApproval, SelfMerge}, "", "is not in this snapshot", ""},
		{"no github source", func(in *Input) { in.Pulls = nil },
			[]string{TwoPersonReview, UnauthorizedChanges, SelfApproval, SelfMerge}, "", "no github.pulls evidence is declared", ""},
		{"unsigned commit", func(in *Input) {
			in.Commits[0].Data.Commits[1] = gitrepo.Commit{SHA: "cccccccccccccccc", Subject: "wip", Author: gitrepo.Person{Name: "Bo"}, Signature: gitrepo.Signature{Status: gitrepo.StatusNone}}
		}, []string{SignedCommits}, "1 of 2", "1 commit is unsigned or not verified", `api cccccccccccc by Bo: none ("wip")`},
		{"unknown key", func(in *Input) { in.Commits[0].Data.Commits[0].Signature.Status = gitrepo.StatusUnknownKey },
			[]string{SignedCommits}, "1 of 2", "not verified", ""},
		{"no commits", func(in *Input) { in.Commits[0].Data.Commits = nil }, []string{SignedCommits}, "0 of 0", "no commit", ""},
		{"commits incomplete", func(in *Input) { in.Commits[0].Data, in.Commits[0].Problem = nil, "evidence is incomplete" },
			[]string{SignedCommits}, "", "items/git/api/commits/2026-Q4.json: evidence is incomplete", ""},
		{"direct push", func(in *Input) {
			in.Pulls[0].Data.DirectPushes = []github.DirectPush{{Repo: "acme/api", Branch: "main", SHA: "dddddddddddddddd", Committer: "bo", Date: "2026-11-13T20:47:12Z", Subject: "hotfix"}}
		}, []string{UnauthorizedChanges}, "1", "1 change reached protected branches", `direct push dddddddddddd to acme/api:main by bo on 2026-11-13T20:47:12Z ("hotfix")`},
		{"protection overridden", func(in *Input) {
			l := in.AuditLogs[0].Data
			l.Events = append(l.Events, AuditEvent{Action: "protected_branch.policy_override", Actor: "root", Repo: "acme/api", CreatedAt: "2026-11-01T00:00:00Z"})
		}, []string{UnauthorizedChanges}, "1", "outside the reviewed path", "branch protection overridden (protected_branch.policy_override) in acme/api by root"},
		{"audit log unavailable", func(in *Input) {
			in.AuditLogs[0].Data, in.AuditLogs[0].Problem = nil, "collector github.audit_log not available"
		},
			[]string{UnauthorizedChanges}, "0 or more", "bypasses of branch protection cannot be ruled out", ""},
		{"no audit log", func(in *Input) { in.AuditLogs = nil },
			[]string{UnauthorizedChanges}, "0 or more", "no source-control audit-log evidence is declared", ""},
		{"self-approved", func(in *Input) { in.Pulls[0].Data.Changes[0].SelfApproved = true },
			[]string{SelfApproval}, "1 of 3", "1 change was approved by its own author", `acme/api#1 "fix" approved by its author ana`},
		{"self-merged without approvals", func(in *Input) {
			change(in, 1, github.Change{Repo: "acme/api", Number: 2, Title: "feat", Author: "bo", MergedBy: "bo", SelfMerged: true, Approvals: 1})
		}, []string{SelfMerge, TwoPersonReview}, "1 of 3", "merged by its own author without two independent approvals", "merged by its author bo with 1 independent approval(s)"},
		{"review summary not computed", func(in *Input) { in.AccessReview = AccessReview{} },
			[]string{AccessReviewDone}, "", "no access-review summary", ""},
		{"review of another period", func(in *Input) { in.AccessReview.Period = "2026-Q3" },
			[]string{AccessReviewDone}, "", "for 2026-Q3, not 2026-Q4", ""},
		{"review unknown", func(in *Input) { in.AccessReview.Unknown = "no decisions file access-reviews/2026-Q4.yaml" },
			[]string{AccessReviewDone}, "", "no decisions file", ""},
		{"review incomplete", func(in *Input) {
			in.AccessReview.Decided, in.AccessReview.Complete, in.AccessReview.CompletedOn = 3, false, ""
		},
			[]string{AccessReviewDone}, "3 of 4", "1 grant is without a decision", ""},
		{"self review", func(in *Input) { in.AccessReview.SelfReviews = 1 },
			[]string{AccessReviewDone}, "2026-10-08", "1 decision was made by the principal about their own access", ""},
		{"revocation not done", func(in *Input) { in.AccessReview.OpenRevocations = 1 },
			[]string{AccessReviewDone}, "2026-10-08", "1 revoked grant is still in place", ""},
		{"empty population", func(in *Input) { in.AccessReview.Population, in.AccessReview.Decided = 0, 0 },
			[]string{AccessReviewDone}, "2026-10-08", "population is empty", ""},
		{"no secret-access log", func(in *Input) { in.SecretAccess = nil },
			[]string{SecretAccessEvents}, "", "no audit-log source configured", ""},
		{"secret read", func(in *Input) {
			in.SecretAccess[0].Data.Unauthorized = []SecretAccessEvent{{Actor: "user:eve", Verb: "get", Namespace: "prod", Name: "db", At: "2026-11-02T03:04:05Z"}}
		}, []string{SecretAccessEvents}, "1", "1 secret was read by identities not approved", "user:eve get secret prod/db"},
		{"secret log unusable", func(in *Input) { in.SecretAccess[0].Data, in.SecretAccess[0].Problem = nil, "forbidden" },
			[]string{SecretAccessEvents}, "", "forbidden", ""},
		{"rbac control unknown", func(in *Input) {
			in.Report.Controls[0] = check.ControlResult{ID: "C-A", Outcome: check.Unknown, Reason: "collect command ./verify-rbac.sh: no such file",
				Assertions: []check.AssertionResult{{Name: "verification-passes", Outcome: check.Unknown, Reason: "evidence verify is unusable"}}}
		}, []string{RBACLeastPrivilege}, "0 of 1 controls pass", "C-A is unknown: collect command ./verify-rbac.sh", "C-A/verification-passes is unknown: evidence verify is unusable"},
		{"retention control fails", func(in *Input) {
			in.Report.Controls[1] = check.ControlResult{ID: "C-B", Outcome: check.Fail,
				Assertions: []check.AssertionResult{{Name: "seven-year-lifecycle", Outcome: check.Fail, Message: "rule expires early", Failures: []string{"logs: expires after 30 days"}}}}
		}, []string{LogRetention}, "0 of 1 controls pass", "C-B fails", "C-B/seven-year-lifecycle: logs: expires after 30 days"},
		{"excepted is not supported", func(in *Input) { in.Report.Controls[2].Outcome = check.Excepted },
			[]string{LogImmutability}, "0 of 1 controls pass", "covered by an approved exception", ""},
		{"only not applicable", func(in *Input) { in.Report.Controls[3].Outcome = check.NotApplicable },
			[]string{LogIntegrity}, "0 of 1 controls pass", "no bound control applies", ""},
		{"control not in report", func(in *Input) { in.Report.Controls = in.Report.Controls[:5] },
			[]string{BranchProtection}, "0 of 1 controls pass", "does not list this control", ""},
		{"no control bound", func(in *Input) { in.Catalog.Controls = in.Catalog.Controls[1:] },
			[]string{RBACLeastPrivilege}, "", "no control in controls.yaml is bound", ""},
		{"verification failed to run", func(in *Input) { in.Integrity = Integrity{Error: "read trusted key keys/cosign.pub: no such file"} },
			[]string{EvidenceIntegrity}, "", "could not be verified: read trusted key", ""},
		{"chain broken", func(in *Input) {
			in.Integrity.OK, in.Integrity.ChainOK, in.Integrity.Problems = false, false, []string{"abc123 items/x.json: item: sha256 does not match"}
		}, []string{EvidenceIntegrity}, "8 snapshots", "1 integrity check failed", "abc123 items/x.json: item: sha256 does not match"},
		{"self-vouched keys", func(in *Input) { in.Integrity.TrustFromEvidence = true },
			[]string{EvidenceIntegrity}, "8 snapshots", "keys recorded in the evidence itself", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := fixture()
			c.edit(&in)
			a := Compute(in)
			want := map[string]bool{}
			for _, id := range c.lines {
				want[id] = true
			}
			for _, f := range a.Figures {
				if f.Supported == want[f.ID] {
					t.Errorf("%s: supported=%v (%s; %s)", f.ID, f.Supported, f.Text, f.Exception)
				}
				if !f.Supported && f.Exception == "" {
					t.Errorf("%s: an exception without a reason", f.ID)
				}
			}
			f := figure(t, a, c.lines[0])
			if f.Value != c.value {
				t.Errorf("%s value = %q, want %q (%s)", f.ID, f.Value, c.value, f.Text)
			}
			if !strings.Contains(f.Exception, c.why) {
				t.Errorf("%s exception = %q, want it to say %q", f.ID, f.Exception, c.why)
			}
			if c.det != "" && !strings.Contains(strings.Join(f.Details, "\n"), c.det) {
				t.Errorf("%s details = %q, want %q", f.ID, f.Details, c.det)
			}
			for _, l := range a.Letters {
				if l.Supported || l.Exceptions != len(c.lines) {
					t.Errorf("%s letter: supported=%v exceptions=%d, want %d", l.ID, l.Supported, l.Exceptions, len(c.lines))
				}
				if strings.Contains(l.Opening, "certify") || !strings.Contains(l.Conclusion, "does not support") {
					t.Errorf("%s letter claims what the evidence does not support: %q / %q", l.ID, l.Opening, l.Conclusion)
				}
			}
		})
	}
}

func TestDetailsAreBounded(t *testing.T) {
	in := fixture()
	var cs []gitrepo.Commit
	for i := 0; i < maxDetails+5; i++ {
		cs = append(cs, gitrepo.Commit{SHA: "x", Signature: gitrepo.Signature{Status: gitrepo.StatusBad}})
	}
	in.Commits[0].Data.Commits = cs
	f := figure(t, Compute(in), SignedCommits)
	if len(f.Details) != maxDetails+1 || f.Details[maxDetails] != "… and 5 more (see the evidence)" {
		t.Errorf("details: %d lines, last %q", len(f.Details), f.Details[len(f.Details)-1])
	}
	if f.Value != "0 of 25" {
		t.Errorf("value %q", f.Value)
	}
}

func TestEvidenceAndControlsAreLinked(t *testing.T) {
	in := fixture()
	in.Pulls = append(in.Pulls, Source[github.PullsData]{Path: "items/github/beta/pulls/2026-Q4.json", Problem: "rate limited"})
	a := Compute(in)
	f := figure(t, a, TwoPersonReview)
	if strings.Join(f.Evidence, ",") != "items/github/acme/pulls/2026-Q4.json,items/github/beta/pulls/2026-Q4.json" {
		t.Errorf("evidence %v", f.Evidence)
	}
	if f.Supported || !strings.Contains(f.Exception, "items/github/beta/pulls/2026-Q4.json: rate limited") {
		t.Errorf("one unusable org of two must make the line an exception: %+v", f)
	}
	if len(f.Controls) != 1 || f.Controls[0].ID != "C-G" || f.Controls[0].Outcome != check.Pass {
		t.Errorf("controls %+v", f.Controls)
	}
	r := figure(t, a, RBACLeastPrivilege)
	if strings.Join(r.Evidence, ",") != "items/x/C-A.json" {
		t.Errorf("control evidence %v", r.Evidence)
	}
}

func TestLetterWording(t *testing.T) {
	in := fixture()
	in.AsOf = time.Date(2026, 11, 16, 6, 0, 0, 0, time.UTC)
	in.Catalog.Organization.Signatories = []catalog.Signatory{{Role: "CFO"}}
	a := Compute(in)
	if !a.Open || a.PeriodLast != "2026-12-31" || a.AsOf != "2026-11-16" {
		t.Fatalf("period: %+v", a)
	}
	cfo, cio := a.Letters[0], a.Letters[1]
	if !cfo.Signatory || cfo.Role != "CFO" || cfo.Name != "" || len(cfo.Notes) != 0 {
		t.Errorf("cfo signatory: %+v", cfo)
	}
	if !strings.Contains(cfo.Opening, "I, [CFO], CFO, certify that for the quarter ending December 31, 2026 (evidence as of November 16, 2026; the quarter has not ended)") {
		t.Errorf("open-quarter opening: %q", cfo.Opening)
	}
	if !strings.Contains(cfo.Conclusion, "as of November 16, 2026") || !strings.Contains(cfo.Opening, "support Acme Bank's financial reporting") {
		t.Errorf("cfo: %q / %q", cfo.Opening, cfo.Conclusion)
	}
	if cio.Signatory || cio.Role != "Chief Information Officer" || len(cio.Notes) != 1 || !strings.Contains(cio.Notes[0], "names no Chief Information Officer") {
		t.Errorf("cio without a configured signatory: %+v", cio)
	}
	if !strings.Contains(cio.Opening, "for which I am responsible as Chief Information Officer") {
		t.Errorf("cio opening: %q", cio.Opening)
	}
	var names []string
	for _, s := range cfo.Sections {
		names = append(names, s.Name)
	}
	if strings.Join(names, "|") != strings.Join(Sections, "|") {
		t.Errorf("sections %v", names)
	}
}
