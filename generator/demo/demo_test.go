package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/evident-project/evident/generator/check"
	"github.com/evident-project/evident/generator/collect"
	"github.com/evident-project/evident/generator/collect/all"
	"github.com/evident-project/evident/generator/collect/github"
	"github.com/evident-project/evident/generator/demo/bank"
	"github.com/evident-project/evident/generator/evidence"
	"github.com/evident-project/evident/generator/pipeline"
)

// TestDemoIsDeterministicAndHonest builds the demo twice with the same seed:
// the evidence repositories must be identical down to the commit hash, every
// control must have a page, and no control may pass without usable evidence.
func TestDemoIsDeterministicAndHonest(t *testing.T) {
	reg := all.Registry()
	var heads []string
	var res *Result
	for i := 0; i < 2; i++ {
		r, err := Build(context.Background(), Options{Out: filepath.Join(t.TempDir(), "demo"), Seed: 7, Registry: reg})
		if err != nil {
			t.Fatal(err)
		}
		store, err := evidence.Open(r.EvidenceDir)
		if err != nil {
			t.Fatal(err)
		}
		h, err := store.Head()
		if err != nil {
			t.Fatal(err)
		}
		heads = append(heads, h.String())
		res = r
	}
	if heads[0] != heads[1] {
		t.Errorf("same seed, different evidence: %s vs %s", heads[0], heads[1])
	}

	rep, snap, err := pipeline.CheckAt(res.EvidenceDir, "HEAD", reg)
	if err != nil {
		t.Fatal(err)
	}
	if snap.Manifest.Sequence != len(RunDates) {
		t.Errorf("demo has %d snapshots, want %d", snap.Manifest.Sequence, len(RunDates))
	}
	seen := map[check.Outcome]int{}
	for _, c := range rep.Controls {
		seen[c.Outcome]++
		if _, err := os.Stat(filepath.Join(res.SiteDir, "controls", c.ID+".html")); err != nil {
			t.Errorf("control %s has no page: %v", c.ID, err)
		}
		if c.Outcome != check.Pass {
			continue
		}
		for _, ev := range c.Evidence {
			if !ev.Usable {
				t.Errorf("%s passes although its evidence %s is unusable: %s", c.ID, ev.ID, ev.Reason)
			}
		}
	}
	// The demo's story needs every kind of outcome but not_applicable.
	for _, o := range []check.Outcome{check.Pass, check.Fail, check.Unknown} {
		if seen[o] == 0 {
			t.Errorf("demo shows no %s control: %v", o, seen)
		}
	}
	// The bank's signing exception excused CM-01 until it expired on 2026-10-31.
	q3, _, err := pipeline.CheckAt(res.EvidenceDir, "HEAD~2", reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []*check.Report{q3, rep} {
		for _, c := range r.Controls {
			if c.ID != "CM-01" {
				continue
			}
			want := check.Excepted
			if r == rep {
				want = check.Fail
			}
			if c.Outcome != want {
				t.Errorf("CM-01 at run %s = %s, want %s (%s)", r.Snapshot.RunID, c.Outcome, want, c.Reason)
			}
		}
	}
	// The evidence is signed and verifies against the demo config's trust;
	// the one run the bank missed is reported, and is not an integrity failure.
	vres, err := pipeline.Verify(context.Background(), pipeline.VerifyOptions{
		EvidenceDir: res.EvidenceDir, ConfigPath: res.ConfigPath, Registry: reg, Now: RunDates[len(RunDates)-1],
	})
	if err != nil {
		t.Fatal(err)
	}
	if !vres.OK || vres.TrustFromEvidence {
		t.Errorf("demo evidence does not verify against its config: %v", vres.Problems)
	}
	for _, s := range vres.Snapshots {
		if s.ManifestSigner == "" || s.CommitSigner == "" {
			t.Errorf("snapshot #%d is not signed: manifest %q, commit %q", s.Sequence, s.ManifestSigner, s.CommitSigner)
		}
	}
	if len(vres.Gaps) != 1 || !vres.Gaps[0].Due.Equal(time.Date(2026, 8, 16, 6, 0, 0, 0, time.UTC)) {
		t.Errorf("gaps = %v, want the missed run of 2026-08-16 06:00", vres.Gaps)
	}
	// The git evidence must show the story the bank was built to tell.
	byStatus := map[string]int{}
	for _, it := range snap.Manifest.Items {
		if it.Collector != "git.commits" || it.Period != snap.Manifest.Period.ID {
			continue
		}
		item, err := snap.Item(it.Path)
		if err != nil {
			t.Fatal(err)
		}
		data := item.Data.(map[string]any)
		for k, v := range data["summary"].(map[string]any)["by_status"].(map[string]any) {
			n, _ := v.(interface{ Int64() (int64, error) }).Int64()
			byStatus[k] += int(n)
		}
	}
	for _, s := range []string{"verified", "none", "bad", "unknown_key", "expired_key"} {
		if byStatus[s] == 0 {
			t.Errorf("demo Q4 git evidence has no %s commit: %v", s, byStatus)
		}
	}
	checkGitHubStories(t, res, rep, snap, reg)
	checkKubernetesStories(t, res, rep, reg)
}

// githubControls are the controls of the pack whose evidence comes from
// the github collectors the demo runs (PA-03 needs github.audit_log, which
// this build does not have).
var githubControls = []string{"CM-02", "CM-03", "CM-06", "CM-09", "CI-01", "CI-02", "CI-04", "CI-05", "SD-01", "SD-02", "AC-03", "AC-05", "PD-01"}

// checkGitHubStories checks the bank's GitHub organisation in the demo's
// evidence: every GitHub-based control has a real outcome, and the stories
// the organisation was built to tell are found by the controls meant to
// find them — against the bank's own timeline, regenerated from the seed.
func checkGitHubStories(t *testing.T, res *Result, head *check.Report, snap *evidence.Snapshot, reg *collect.Registry) {
	t.Helper()
	last := RunDates[len(RunDates)-1]
	b, err := bank.New(bank.Options{Seed: 7, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.AdvanceTo(last); err != nil {
		t.Fatal(err)
	}
	q3, q3snap, err := pipeline.CheckAt(res.EvidenceDir, "HEAD~4", reg)
	if err != nil {
		t.Fatal(err)
	}
	if q3snap.Manifest.Period.ID != "2026-Q3" || !q3snap.Manifest.Started.Equal(RunDates[3]) {
		t.Fatalf("HEAD~4 is %s at %s, want the last 2026-Q3 run", q3snap.Manifest.Period.ID, q3snap.Manifest.Started)
	}

	for _, id := range githubControls {
		c := control(t, head, id)
		if c.Outcome != check.Pass && c.Outcome != check.Fail {
			t.Errorf("%s is %s (%s), want a real outcome from the bank's GitHub evidence", id, c.Outcome, c.Reason)
		}
	}

	// The two direct pushes: one per quarter, each found in its quarter.
	var direct []bank.PlannedCommit
	selfApproved, selfMerged := "", ""
	for _, c := range b.Planned() {
		switch {
		case c.Kind == bank.KindDirect:
			direct = append(direct, c)
		case c.Kind == bank.KindPRCommit && c.Author != c.PRAuthor:
			selfApproved = fmt.Sprintf("%s/%s#%d self-approved", bankOrg, c.Repo, c.PR)
		case c.Kind == bank.KindMerge && c.Committer == c.PRAuthor:
			selfMerged = fmt.Sprintf("%s/%s#%d self-merged by %s", bankOrg, c.Repo, c.PR, c.Committer)
		}
	}
	slices.SortFunc(direct, func(a, b bank.PlannedCommit) int { return a.When.Compare(b.When) })
	if len(direct) != 2 {
		t.Fatalf("the bank has %d direct pushes, want 2", len(direct))
	}
	for i, r := range []*check.Report{q3, head} {
		c := direct[i]
		want := []string{fmt.Sprintf("%s/%s@%s by %s: %s", bankOrg, c.Repo, c.Hash[:12], c.Author, c.Subject)}
		if got := failures(t, r, "CM-06", "no-direct-pushes"); !slices.Equal(got, want) {
			t.Errorf("CM-06 direct pushes at %s = %q, want %q", r.Snapshot.AsOf.Format(time.DateOnly), got, want)
		}
	}

	// The self-approval (a reviewer who pushed to the branch, then approved
	// it) and the self-merge (with the platform team's ruleset bypass).
	if got := failures(t, head, "SD-01", "no-self-approval"); selfApproved == "" || selfMerged == "" ||
		!slices.Contains(got, selfApproved) || !slices.Contains(got, selfMerged) || len(got) != 2 {
		t.Errorf("SD-01 self-approval failures = %q, want %q and %q", got, selfApproved, selfMerged)
	}

	// The stale approval: given before the author's last push, kept by
	// payments-api's protection, not counted.
	var pulls github.PullsData
	itemData(t, snap, "github.pulls", &pulls)
	var stale []github.Change
	for _, c := range pulls.Changes {
		if len(c.StaleApprovals) > 0 {
			stale = append(stale, c)
		}
		if m, err := time.Parse(time.RFC3339, c.MergedAt); err != nil || m.After(last) {
			t.Errorf("%s#%d merged at %q, after the run that collected it", c.Repo, c.Number, c.MergedAt)
		}
	}
	if len(stale) != 1 || stale[0].Approvals != 1 || stale[0].Repo != bankOrg+"/"+bank.PaymentsAPI ||
		!slices.Contains(failures(t, head, "CM-02", "merged-changes-have-two-approvals"), fmt.Sprintf("%s#%d approvals=1", stale[0].Repo, stale[0].Number)) {
		t.Errorf("want one payments-api change whose stale approval is not counted and which CM-02 names, got %+v", stale)
	} else {
		user, sha, _ := strings.Cut(stale[0].StaleApprovals[0], "@")
		found := false
		for _, c := range b.Planned() {
			found = found || c.Repo == bank.PaymentsAPI && c.PR == stale[0].Number && c.Kind == bank.KindPRCommit && strings.HasPrefix(c.Hash, sha) && c.Hash != stale[0].HeadSHA
		}
		if !found || slices.Contains(stale[0].Approvers, user) {
			t.Errorf("stale approval %s is not of an earlier commit of #%d, or is counted: %+v", stale[0].StaleApprovals[0], stale[0].Number, stale[0])
		}
	}

	// Every change GitHub reports is a pull request whose head and merge
	// commit are the bank's; every merge commit of the quarter is there.
	byMerge := map[string]github.Change{}
	for _, c := range pulls.Changes {
		byMerge[c.MergeCommitSHA] = c
	}
	merges := 0
	for _, c := range b.Planned() {
		if c.Kind != bank.KindMerge || c.Hash == "" || c.When.Before(time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)) {
			continue
		}
		merges++
		ch, ok := byMerge[c.Hash]
		if !ok || ch.HeadSHA != c.Parents[1] || ch.Number != c.PR || ch.Author != c.PRAuthor {
			t.Errorf("merge %s (%s) is reported as %+v", c.Hash[:12], c.Subject, ch)
		}
	}
	if merges == 0 || pulls.Summary.Changes != merges+pulls.Summary.BotChanges {
		t.Errorf("%d changes (%d by release-bot) for %d merge commits", pulls.Summary.Changes, pulls.Summary.BotChanges, merges)
	}

	// The member without 2FA, who disabled it in October.
	if got := failures(t, head, "AC-03", "no-members-without-2fa"); !slices.Equal(got, []string{"talvarez"}) {
		t.Errorf("AC-03 members without 2FA = %q, want talvarez", got)
	}
	if c := assertion(t, q3, "AC-03", "no-members-without-2fa"); c.Outcome != check.Pass {
		t.Errorf("AC-03 members without 2FA in Q3 = %s %q, want pass: 2FA was disabled in October", c.Outcome, c.Failures)
	}

	// infra-gitops has no classic protection, only a ruleset, and counts
	// as protected with the ruleset's settings.
	var prot github.ProtectionData
	itemData(t, snap, "github.branch_protection", &prot)
	infra := bankOrg + "/" + bank.InfraGitops
	for _, br := range prot.Branches {
		if br.Repo != infra {
			continue
		}
		if !br.Protected || !slices.Equal(br.ProtectedBy, []string{fmt.Sprintf("ruleset %d", rulesetInfraMain)}) ||
			br.RequiredApprovals != 2 || !br.DismissStaleReviews || br.AllowForcePushes {
			t.Errorf("%s:%s = protected %v by %v, approvals %d, dismiss stale %v, force pushes %v; want protected by its ruleset alone",
				br.Repo, br.Branch, br.Protected, br.ProtectedBy, br.RequiredApprovals, br.DismissStaleReviews, br.AllowForcePushes)
		}
	}
	for _, f := range failures(t, head, "CM-02", "protection-requires-two-approvals") {
		if strings.HasPrefix(f, infra) {
			t.Errorf("CM-02 counts the rulesets-only repository as unprotected: %s", f)
		}
	}
	if c := assertion(t, head, "CM-06", "no-force-push-or-delete"); c.Outcome != check.Pass {
		t.Errorf("CM-06 no-force-push-or-delete = %s %q, want pass with infra-gitops protected by its ruleset", c.Outcome, c.Failures)
	}
}

func control(t *testing.T, r *check.Report, id string) check.ControlResult {
	t.Helper()
	for _, c := range r.Controls {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("no control %s", id)
	return check.ControlResult{}
}

func assertion(t *testing.T, r *check.Report, id, name string) check.AssertionResult {
	t.Helper()
	for _, a := range control(t, r, id).Assertions {
		if a.Name == name {
			return a
		}
	}
	t.Fatalf("%s has no assertion %s", id, name)
	return check.AssertionResult{}
}

// failures are a failed assertion's failures; anything but a fail is an error.
func failures(t *testing.T, r *check.Report, id, name string) []string {
	t.Helper()
	a := assertion(t, r, id, name)
	if a.Outcome != check.Fail {
		t.Errorf("%s %s at %s is %s (%s), want fail", id, name, r.Snapshot.AsOf.Format(time.DateOnly), a.Outcome, a.Reason)
	}
	return a.Failures
}

// itemData decodes the data of the snapshot's one item of collector into v.
func itemData(t *testing.T, snap *evidence.Snapshot, collector string, v any) {
	t.Helper()
	for _, it := range snap.Manifest.Items {
		if it.Collector != collector || it.Period != snap.Manifest.Period.ID {
			continue
		}
		item, err := snap.Item(it.Path)
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(item.Data)
		if err == nil {
			err = json.Unmarshal(b, v)
		}
		if err != nil {
			t.Fatalf("%s: %v", it.Path, err)
		}
		return
	}
	t.Fatalf("no %s item in snapshot #%d", collector, snap.Manifest.Sequence)
}
