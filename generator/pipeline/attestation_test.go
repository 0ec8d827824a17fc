package pipeline_test

// The attestation figures on the demo bank, against values counted by hand
// from the demo's evidence JSON (python3 over the items a `evident demo
// --seed 1` run writes; the counting is described beside each number), and
// what becomes of each line when the evidence behind it is taken away.

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evident-project/evident/generator/attest"
	"github.com/evident-project/evident/generator/collect/all"
	"github.com/evident-project/evident/generator/demo"
	"github.com/evident-project/evident/generator/pipeline"
	"github.com/evident-project/evident/generator/site"
)

const (
	q4Pulls = "items/github/first-harbor-bank/pulls/2026-Q4.json"
	q3Pulls = "items/github/first-harbor-bank/pulls/2026-Q3.json"
	// The Q3 pages are rendered as of Q3's closing snapshot, #4 of 8.
	q3Rev = "HEAD~4"
)

type want struct {
	value     string
	supported bool
	// text and why must appear in the line and its exception.
	text, why string
	// details must all appear among the records listed under it.
	details []string
}

func checkFigures(t *testing.T, a attest.Attestation, wants map[string]want) {
	t.Helper()
	for id, w := range wants {
		f, ok := a.Figure(id)
		if !ok {
			t.Errorf("%s: no such figure", id)
			continue
		}
		if f.Value != w.value || f.Supported != w.supported {
			t.Errorf("%s = %q supported=%v, want %q supported=%v (%s; %s)", id, f.Value, f.Supported, w.value, w.supported, f.Text, f.Exception)
		}
		if !strings.Contains(f.Text, w.text) {
			t.Errorf("%s text %q, want it to contain %q", id, f.Text, w.text)
		}
		if !strings.Contains(f.Exception, w.why) {
			t.Errorf("%s exception %q, want it to contain %q", id, f.Exception, w.why)
		}
		for _, d := range w.details {
			if !strings.Contains(strings.Join(f.Details, "\n"), d) {
				t.Errorf("%s details %q, want %q", id, f.Details, d)
			}
		}
	}
}

func TestAttestationOnTheDemo(t *testing.T) {
	reg := all.Registry()
	res, err := demo.Build(context.Background(), demo.Options{Out: filepath.Join(t.TempDir(), "demo"), Seed: 1, Registry: reg})
	if err != nil {
		t.Fatalf("build demo: %v", err)
	}
	run := func(t *testing.T, c pipeline.AttestationCase) attest.Attestation {
		t.Helper()
		a, err := pipeline.AttestationFor(res.EvidenceDir, res.ConfigPath, reg, c)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}

	t.Run("Q4 as collected", func(t *testing.T) {
		a := run(t, pipeline.AttestationCase{Rev: "HEAD"})
		checkFigures(t, a, map[string]want{
			// pulls/2026-Q4.json: 47 changes, 16 with bot:true; of the 31
			// others, 29 have approvals >= 2 (infra-gitops#78 and
			// payments-api#59 have 1 each).
			attest.TwoPersonReview: {value: "29 of 31", text: "(93.5%)", why: "2 changes were merged with fewer than two independent approvals",
				details: []string{`first-harbor-bank/infra-gitops#78`, `first-harbor-bank/payments-api#59 "fix(api): redact account numbers in request logs": 1 independent approval(s) (approved by hbrooks)`}},
			// git/{core-ledger,infra-gitops,payments-api}/commits/2026-Q4.json:
			// 32+28+29 = 89 commits, signature.status "verified" on 31+26+23 = 80.
			attest.SignedCommits: {value: "80 of 89", text: "(89.9%)", why: "9 commits are unsigned or not verified",
				details: []string{"payments-api 69ffe171b0aa by Daniel Okafor: bad"}},
			// pulls/2026-Q4.json direct_pushes: one, 69ffe171 on
			// payments-api:main; audit_log/2026-Q4.json is an error item
			// (collector github.audit_log not available).
			attest.UnauthorizedChanges: {value: "1 or more", text: "1 direct push to protected branches detected; branch-protection bypasses not determined",
				why:     "collector github.audit_log not available",
				details: []string{"direct push 69ffe171b0aa to first-harbor-bank/payments-api:main by dokafor on 2026-11-13T20:47:12Z"}},
			// self_approved: true on payments-api#58 only, of 47.
			attest.SelfApproval: {value: "1 of 47", why: "1 change was approved by its own author",
				details: []string{"first-harbor-bank/payments-api#58"}},
			// self_merged: true on infra-gitops#78 only (approvals 1), of 47.
			attest.SelfMerge: {value: "1 of 47", text: "1 change was merged by its author in all", why: "without two independent approvals",
				details: []string{"first-harbor-bank/infra-gitops#78"}},
			// AC-01 and AC-02 reference least-privilege-rbac: AC-01 is
			// unknown (the demo has no verify-rbac.sh), AC-02 fails.
			attest.RBACLeastPrivilege: {value: "0 of 2 controls pass", why: "AC-01 is unknown"},
			// AL-01 passes, AL-06 (the live bucket read) fails; AL-02
			// passes, AL-06 fails; AL-03 passes.
			attest.LogRetention:    {value: "1 of 2 controls pass", why: "AL-06 fails"},
			attest.LogImmutability: {value: "1 of 2 controls pass", why: "AL-06 fails"},
			attest.LogIntegrity:    {value: "1 of 1 controls pass", supported: true, text: "AL-03 passes"},
			// CM-06 and SD-02 fail.
			attest.BranchProtection: {value: "0 of 2 controls pass", why: "CM-06 fails"},
			// No collector reads a secret-access audit log.
			attest.SecretAccessEvents: {why: "no audit-log source configured"},
			// 8 commits in the evidence repository, one run (16 August)
			// missing from the schedule (demo.RunDates).
			attest.EvidenceIntegrity: {value: "8 snapshots", supported: true, text: "hash chain intact, every manifest and commit signature verifies; 1 run missing"},
		})
		for _, l := range a.Letters {
			if l.Supported || !strings.Contains(l.Conclusion, "does not support") {
				t.Errorf("%s letter concludes what the evidence does not support: %s", l.ID, l.Conclusion)
			}
		}
		if a.Letters[0].Name != "Margaret Okafor" || a.Letters[1].Name != "Daniel Reyes" {
			t.Errorf("signatories from the demo config: %q, %q", a.Letters[0].Name, a.Letters[1].Name)
		}
	})

	t.Run("Q3 at its closing snapshot", func(t *testing.T) {
		a := run(t, pipeline.AttestationCase{Rev: q3Rev})
		checkFigures(t, a, map[string]want{
			// pulls/2026-Q3.json: 76 changes, 20 by bots; all 56 others
			// have approvals >= 2; none self_approved or self_merged.
			attest.TwoPersonReview: {value: "56 of 56", supported: true, text: "20 changes opened by bots are outside the two-person rule"},
			attest.SelfApproval:    {value: "0 of 76", supported: true},
			attest.SelfMerge:       {value: "0 of 76", supported: true},
			// commits/2026-Q3.json: 48+56+44 = 148, verified 43+44+38 = 125.
			attest.SignedCommits: {value: "125 of 148", text: "(84.5%)", why: "23 commits are unsigned or not verified"},
			// direct_pushes: one, 817d93f7 on infra-gitops:main.
			attest.UnauthorizedChanges: {value: "1 or more", why: "1 change reached protected branches outside the reviewed path",
				details: []string{"direct push 817d93f73604 to first-harbor-bank/infra-gitops:main by praman"}},
			// 4 snapshots up to #4; the 16 August run is missing.
			attest.EvidenceIntegrity: {value: "4 snapshots", supported: true, text: "1 run missing"},
		})
		if !a.Open || a.PeriodLast != "2026-09-30" {
			t.Errorf("Q3's closing snapshot (16 September) is before the quarter ended: open=%v last=%s", a.Open, a.PeriodLast)
		}
	})

	// Taking away the evidence behind a figure turns its line into an
	// exception, even where the figure was supported.
	t.Run("pulls removed", func(t *testing.T) {
		a := run(t, pipeline.AttestationCase{Rev: q3Rev, Drop: []string{q3Pulls}})
		gone := "evidence " + q3Pulls + " is not in this snapshot"
		checkFigures(t, a, map[string]want{
			attest.TwoPersonReview:     {why: gone, text: "not determined"},
			attest.SelfApproval:        {why: gone},
			attest.SelfMerge:           {why: gone},
			attest.UnauthorizedChanges: {why: gone},
			// The control-based line on the same evidence follows its
			// controls; the commits line does not depend on pulls at all.
			attest.SignedCommits: {value: "125 of 148", why: "23 commits"},
		})
	})
	t.Run("one repository's commits removed", func(t *testing.T) {
		p := "items/git/core-ledger/commits/2026-Q4.json"
		a := run(t, pipeline.AttestationCase{Rev: "HEAD", Drop: []string{p}})
		// The other two repositories alone would read 49 of 57; a share of
		// part of the population is not the share.
		checkFigures(t, a, map[string]want{attest.SignedCommits: {why: "evidence " + p + " is not in this snapshot"}})
	})
	t.Run("log-integrity record removed", func(t *testing.T) {
		base := run(t, pipeline.AttestationCase{Rev: "HEAD"})
		f, _ := base.Figure(attest.LogIntegrity)
		if len(f.Evidence) == 0 {
			t.Fatal("the log-integrity line names no evidence")
		}
		a := run(t, pipeline.AttestationCase{Rev: "HEAD", Drop: f.Evidence})
		checkFigures(t, a, map[string]want{attest.LogIntegrity: {value: "0 of 1 controls pass", why: "AL-03 is unknown"}})
	})
	t.Run("verification unavailable", func(t *testing.T) {
		a := run(t, pipeline.AttestationCase{Rev: "HEAD", VerifyErr: errors.New("verify: read keys/cosign.pub: file does not exist")})
		checkFigures(t, a, map[string]want{attest.EvidenceIntegrity: {why: "could not be verified: verify: read keys/cosign.pub"}})
	})
	t.Run("access review summary", func(t *testing.T) {
		a := run(t, pipeline.AttestationCase{Rev: "HEAD", Reviews: &site.ReviewSummary{Period: "2026-Q4", Unknown: "no decisions file access-reviews/2026-Q4.yaml"}})
		checkFigures(t, a, map[string]want{attest.AccessReviewDone: {why: "no decisions file access-reviews/2026-Q4.yaml"}})
		a = run(t, pipeline.AttestationCase{Rev: "HEAD", Reviews: &site.ReviewSummary{Period: "2026-Q4", Population: 9, Decided: 9, Revoked: 2, Complete: true, CompletedOn: "2026-10-07"}})
		checkFigures(t, a, map[string]want{attest.AccessReviewDone: {value: "2026-10-07", supported: true, text: "completed (2026-10-07): 9 of 9"}})
	})

	// The built site carries the letters: the CFO letter says DRAFT, names
	// its signatory, prints the exceptions and links the pulls evidence.
	t.Run("site", func(t *testing.T) {
		b, err := os.ReadFile(filepath.Join(res.SiteDir, "attestation", "cfo.html"))
		if err != nil {
			t.Fatal(err)
		}
		page := string(b)
		for _, s := range []string{"DRAFT", "Margaret Okafor", "EXCEPTION", `href="../evidence/` + q4Pulls + `"`, `href="../controls/CM-02.html"`, "29 of 31"} {
			if !strings.Contains(page, s) {
				t.Errorf("attestation/cfo.html lacks %q", s)
			}
		}
		mdb, err := os.ReadFile(filepath.Join(res.SiteDir, "attestation", "cio.md"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(mdb), "Daniel Reyes, Chief Information Officer") || !strings.Contains(string(mdb), "(../evidence/items/github/first-harbor-bank/pulls/2026-Q4.json)") {
			t.Errorf("attestation/cio.md:\n%s", mdb)
		}
		for _, p := range []string{"index.html", "cio.html", "cfo.md"} {
			if _, err := os.Stat(filepath.Join(res.SiteDir, "attestation", p)); err != nil {
				t.Error(err)
			}
		}
		if _, err := os.Stat(filepath.Join(res.SiteDir, "periods", "2026-Q3", "attestation", "cfo.html")); err != nil {
			t.Errorf("the closed quarter has no letter: %v", err)
		}
	})
}
