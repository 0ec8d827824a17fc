package github

import (
	"context"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/evident-project/evident/generator/catalog"
	"github.com/evident-project/evident/generator/collect"
	"github.com/evident-project/evident/generator/collect/github/fakegithub"
	"github.com/evident-project/evident/generator/period"
)

// pullsWorld holds every scenario of the issue on acme/api.
func pullsWorld(w *fakegithub.World) {
	o := stdOrg(w)
	api := o.Repo("api")
	api.Branch("main").Protection = fullClassic()
	api.Branch("release/1.0").Protection = fullClassic()
	two := []string{"alice", "carol"}
	w.MergePR(api, fakegithub.PRSpec{Number: 1, Author: "bob", Approvers: two, MergedAt: at(2, 10)})
	w.MergePR(api, fakegithub.PRSpec{Number: 2, Author: "dave", Approvers: []string{"alice"}, SelfApprove: true, MergedAt: at(3, 10)})
	w.MergePR(api, fakegithub.PRSpec{Number: 3, Author: "bob", StaleApprovers: []string{"carol"}, Approvers: []string{"alice"}, MergedAt: at(4, 10)})
	w.MergePR(api, fakegithub.PRSpec{Number: 4, Author: "bob", MergedBy: "alice", MergedAt: at(5, 10)}) // admin merge with bypass
	w.MergePR(api, fakegithub.PRSpec{Number: 5, Author: "dependabot[bot]", AuthorBot: true, Approvers: []string{"alice"}, MergedAt: at(6, 10)})
	w.MergePR(api, fakegithub.PRSpec{Number: 6, Author: "carol", Approvers: []string{"alice", "bob"}, MergedBy: "carol", MergedAt: at(7, 10)})
	w.MergePR(api, fakegithub.PRSpec{Number: 7, Author: "bob", Approvers: two, MergedAt: at(8, 10), Checks: []*fakegithub.CheckRun{
		{Name: "test", AppID: fakegithub.GitHubActionsAppID, AppSlug: "github-actions", Status: "completed", Conclusion: "failure", CompletedAt: at(8, 9)}}})
	w.MergePR(api, fakegithub.PRSpec{Number: 8, Author: "bob", Approvers: two, MergedAt: at(9, 10), Checks: []*fakegithub.CheckRun{
		{Name: "test", AppID: fakegithub.GitHubActionsAppID, AppSlug: "github-actions", Status: "completed", Conclusion: "success", CompletedAt: at(9, 11)}}})
	w.MergePR(api, fakegithub.PRSpec{Number: 9, Author: "bob", Dismissed: []string{"carol"}, Approvers: []string{"alice"}, MergedAt: at(10, 10)})
	w.MergePR(api, fakegithub.PRSpec{Number: 10, Author: "bob", Approvers: two, MergedAt: time.Date(2026, 9, 20, 10, 0, 0, 0, time.UTC)})
	w.MergePR(api, fakegithub.PRSpec{Number: 11, Author: "bob", Approvers: two, MergedAt: at(11, 10), Unmerged: true})
	w.MergePR(api, fakegithub.PRSpec{Number: 12, Author: "bob", Approvers: two, MergedAt: at(12, 10), Strategy: "merge", Commits: 2})
	w.MergePR(api, fakegithub.PRSpec{Number: 13, Author: "bob", Approvers: two, MergedAt: at(13, 10), Strategy: "rebase", Commits: 3})
	w.MergePR(api, fakegithub.PRSpec{Number: 14, Author: "bob", Approvers: two, MergedAt: at(14, 10), Base: "release/1.0",
		Checks: []*fakegithub.CheckRun{}, Statuses: []*fakegithub.Status{{Context: "ci/jenkins", State: "success", Creator: "jenkins", CreatedAt: at(14, 9)}}})
	w.DirectPush(api, "main", "dave", at(15, 12), "hotfix: skip review\n\nurgent")
	w.DirectPush(api, "main", "dave", time.Date(2026, 9, 30, 12, 0, 0, 0, time.UTC), "before the period")
	w.DirectPush(api, "release/1.0", "alice", at(16, 12), "bump version")
}

func changeByNumber(t *testing.T, d *PullsData, n int) Change {
	t.Helper()
	for _, c := range d.Changes {
		if c.Number == n {
			return c
		}
	}
	t.Fatalf("no change #%d", n)
	return Change{}
}

func TestPullsScenarios(t *testing.T) {
	e := newEnv(t, fakegithub.Admin, pullsWorld)
	res := mustCollect(t, NewPulls(e.opts...), e.request("api"))
	if !res.Provenance.Complete {
		t.Fatalf("incomplete: %v", res.Provenance.Notes)
	}
	d := res.Data.(*PullsData)
	var nums []int
	for _, c := range d.Changes {
		nums = append(nums, c.Number)
	}
	if !reflect.DeepEqual(nums, []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13, 14}) {
		t.Fatalf("population %v: want every pull request merged in the period, none before it, none unmerged", nums)
	}
	for _, c := range []struct {
		n                       int
		approvals               int
		self, selfMerged, bot   bool
		ci                      string
		stale, dismissed, check []string
	}{
		{n: 1, approvals: 2, ci: "passed"},
		{n: 2, approvals: 1, self: true, ci: "passed"},
		{n: 3, approvals: 1, ci: "passed", stale: []string{"carol@"}},
		{n: 4, approvals: 0, ci: "passed"},
		{n: 5, approvals: 1, bot: true, ci: "passed"},
		{n: 6, approvals: 2, selfMerged: true, ci: "passed"},
		{n: 7, approvals: 2, ci: "failed"},
		{n: 8, approvals: 2, ci: "after_merge"},
		{n: 9, approvals: 1, ci: "passed", dismissed: []string{"carol"}},
		{n: 12, approvals: 2, ci: "passed"},
		{n: 14, approvals: 2, ci: "passed"},
	} {
		got := changeByNumber(t, d, c.n)
		if got.Approvals != c.approvals || got.SelfApproved != c.self || got.SelfMerged != c.selfMerged || got.Bot != c.bot || got.CIState != c.ci ||
			got.CIPassed != (c.ci == "passed") {
			t.Errorf("#%d: approvals=%d self=%v self_merged=%v bot=%v ci=%s; want %+v", c.n, got.Approvals, got.SelfApproved, got.SelfMerged, got.Bot, got.CIState, c)
		}
		if len(got.StaleApprovals) != len(c.stale) || len(c.stale) > 0 && !strings.HasPrefix(got.StaleApprovals[0], c.stale[0]) {
			t.Errorf("#%d stale approvals %v", c.n, got.StaleApprovals)
		}
		if !reflect.DeepEqual(got.DismissedApprovals, append([]string{}, c.dismissed...)) {
			t.Errorf("#%d dismissed %v", c.n, got.DismissedApprovals)
		}
	}
	c4 := changeByNumber(t, d, 4)
	if c4.MergedBy != "alice" || c4.Author != "bob" {
		t.Errorf("#4 merged by %s, author %s", c4.MergedBy, c4.Author)
	}
	c1 := changeByNumber(t, d, 1)
	if len(c1.Checks) != 1 || c1.Checks[0].App != "github-actions" || c1.Checks[0].AppID != fakegithub.GitHubActionsAppID || !c1.Checks[0].BeforeMerge {
		t.Errorf("#1 checks %+v", c1.Checks)
	}
	c14 := changeByNumber(t, d, 14)
	if c14.Base != "release/1.0" || len(c14.Statuses) != 1 || c14.Statuses[0].Creator != "jenkins" {
		t.Errorf("#14 %+v", c14)
	}

	// Direct pushes: the in-period hotfix on main and the bump on
	// release/1.0; every merge, squash and rebased commit is accounted for.
	var pushes []string
	for _, p := range d.DirectPushes {
		pushes = append(pushes, p.Branch+" "+p.Author+" "+p.Subject)
	}
	want := []string{"main dave hotfix: skip review", "release/1.0 alice bump version"}
	if !reflect.DeepEqual(pushes, want) {
		t.Errorf("direct pushes %q, want %q", pushes, want)
	}
	s := d.Summary
	if s.Changes != 12 || s.BotChanges != 1 || s.SelfApproved != 1 || s.SelfMerged != 1 || s.DirectPushes != 2 || s.CINotPassed != 2 {
		t.Errorf("summary %+v", s)
	}
	m := asMap(t, d)
	ch := m["changes"].([]any)[0].(map[string]any)
	for _, k := range []string{"number", "approvals", "self_approved", "self_merged", "ci_passed", "bot"} {
		if _, ok := ch[k]; !ok {
			t.Errorf("change lacks %q, which controls.yaml reads", k)
		}
	}
}

func TestPulls250AcrossPages(t *testing.T) {
	e := newEnv(t, fakegithub.Admin, func(w *fakegithub.World) {
		o := stdOrg(w)
		r := o.Repo("big")
		for i := 0; i < 250; i++ {
			w.MergePR(r, fakegithub.PRSpec{Author: "bob", Approvers: []string{"alice", "carol"}, MergedAt: at(1, 1).Add(time.Duration(i) * time.Hour)})
		}
	})
	res := mustCollect(t, NewPulls(e.opts...), e.request("big"))
	d := res.Data.(*PullsData)
	if len(d.Changes) != 250 || len(d.DirectPushes) != 0 {
		t.Fatalf("%d changes, %d direct pushes", len(d.Changes), len(d.DirectPushes))
	}
	for _, r := range res.Provenance.Reads {
		switch r.Target {
		case "/repos/acme/big/pulls?base=main&direction=desc&per_page=100&sort=updated&state=closed":
			if r.Pages != 3 || r.Count != 250 {
				t.Errorf("pull list read %+v", r)
			}
		case "/repos/acme/big/commits?per_page=100&sha=main&since=2026-10-01T00%3A00%3A00Z&until=2026-12-31T23%3A59%3A59Z":
			if r.Pages != 3 || r.Count != 250 {
				t.Errorf("commit list read %+v", r)
			}
		}
	}
	if c := e.srv.Counts(); c.Total < 250*5 {
		t.Errorf("only %d requests for 250 changes", c.Total)
	}
}

func TestPullsIncremental(t *testing.T) {
	e := newEnv(t, fakegithub.Admin, pullsWorld)
	store := t.TempDir()
	opts := append(append([]Option{}, e.opts...), WithCacheDir(store))
	first := mustCollect(t, NewPulls(opts...), e.request("api"))
	full := e.srv.Counts().Total

	// Nothing changed: the lists are revalidated, nothing is re-read.
	e.srv.ResetCounts()
	again := mustCollect(t, NewPulls(opts...), e.request("api"))
	c := e.srv.Counts()
	if !reflect.DeepEqual(first.Data, again.Data) {
		t.Fatal("rerun changed the data")
	}
	if c.Total > 8 || c.NotModified < c.Total-0 {
		t.Errorf("rerun made %d requests (%d answered 304); the first run made %d", c.Total, c.NotModified, full)
	}
	if !hasNote(again.Provenance, "12 of 12 changes carried over") {
		t.Errorf("notes %v", again.Provenance.Notes)
	}

	// Three new changes, and a late review on #4 (which bumps its
	// updated_at): only those four are read again.
	e.srv.Update(func(w *fakegithub.World) {
		api := w.Orgs["acme"].Repo("api")
		for i := 0; i < 3; i++ {
			w.MergePR(api, fakegithub.PRSpec{Author: "carol", Approvers: []string{"alice", "bob"}, MergedAt: at(20+i, 10)})
		}
		p4 := api.Pull(4)
		p4.Reviews = append(p4.Reviews, &fakegithub.Review{ID: w.NextID(), User: "carol", State: "COMMENTED", CommitID: p4.HeadSHA, SubmittedAt: at(25, 10)})
		p4.UpdatedAt = at(25, 10)
	})
	e.srv.ResetCounts()
	inc := mustCollect(t, NewPulls(opts...), e.request("api"))
	c = e.srv.Counts()
	for _, n := range []int{15, 16, 17, 4} {
		if c.ByPath["/repos/acme/api/pulls/"+strconv.Itoa(n)+"/reviews"] != 1 {
			t.Errorf("#%d reviews read %d times", n, c.ByPath["/repos/acme/api/pulls/"+strconv.Itoa(n)+"/reviews"])
		}
	}
	if c.ByPath["/repos/acme/api/pulls/1/reviews"] != 0 {
		t.Error("an unchanged change was read again")
	}
	if c.Total > 4*5+10 {
		t.Errorf("incremental run made %d requests for 4 changed pull requests", c.Total)
	}
	// The merged result equals a full collection from scratch.
	fresh := mustCollect(t, NewPulls(e.opts...), e.request("api"))
	if !reflect.DeepEqual(inc.Data, fresh.Data) {
		a, b := asMap(t, inc.Data), asMap(t, fresh.Data)
		t.Errorf("incremental data differs from a full collection:\n%v\n%v", a["summary"], b["summary"])
	}
	if len(inc.Data.(*PullsData).Changes) != 15 {
		t.Errorf("%d changes", len(inc.Data.(*PullsData).Changes))
	}
	// Another period does not reuse this one's state.
	q3, _ := period.Model{}.Parse("2026-Q3")
	req := e.request("api")
	req.Period = q3
	other := mustCollect(t, NewPulls(opts...), req)
	if n := len(other.Data.(*PullsData).Changes); n != 1 {
		t.Errorf("2026-Q3 has %d changes, want 1 (#10)", n)
	}
}

// TestPullsRealdata decodes the published pull request, review, commit and
// check-run examples. The example pull request was merged 2011-01-26 by its
// own author, who also approved an earlier commit than the head.
func TestPullsRealdata(t *testing.T) {
	e := newEnv(t, fakegithub.Admin, func(w *fakegithub.World) {
		r := w.Org("octo-org").Repo("Hello-World")
		r.DefaultBranch = "master"
		r.Branch("master")
	})
	if err := e.srv.LoadExamples(realdata, "octo-org", "Hello-World", "master"); err != nil {
		t.Fatal(err)
	}
	q1, _ := period.Model{}.Parse("2011-Q1")
	req := e.request()
	req.Source = &catalog.GitHubSource{ID: "ex", Org: "octo-org", Repos: []string{"Hello-World"}, APIURL: e.srv.URL(), TokenEnv: "TEST_GH_TOKEN"}
	req.Period = q1
	res := mustCollect(t, NewPulls(e.opts...), req)
	d := res.Data.(*PullsData)
	if len(d.Changes) != 1 {
		t.Fatalf("changes %+v", d.Changes)
	}
	c := d.Changes[0]
	want := Change{
		Repo: "octo-org/Hello-World", Number: 1347, Title: "Amazing new feature", Base: "master", Author: "octocat",
		MergedBy: "octocat", MergedAt: "2011-01-26T19:01:12Z", HeadSHA: fakegithub.ExampleHead,
		MergeCommitSHA: "e5bd3914e2e596debea16f433f57875b5b90bcd6", URL: "https://github.com/octocat/Hello-World/pull/1347",
		Approvers: []string{}, BotApprovals: []string{}, StaleApprovals: []string{"octocat@ecdd80bb5712"}, DismissedApprovals: []string{},
		SelfApproved: true, SelfMerged: true, Commits: 1, CommitAuthors: []string{"octocat"},
		Reviews:  []Review{{User: "octocat", State: "APPROVED", CommitID: "ecdd80bb57125d7ba9641ffaa4d7d2c19d3f3091", SubmittedAt: "2019-11-17T17:43:43Z"}},
		CIState:  "failed",
		Checks:   []CheckRun{{Name: "mighty_readme", App: "octoapp", AppID: 1, Status: "completed", Conclusion: "neutral", CompletedAt: "2018-05-04T01:14:52Z"}},
		Statuses: []StatusInfo{},
	}
	// The review was submitted in 2019, after the 2011 merge: it did not
	// gate the merge, so it is stale by time, not by head. Both keep it
	// out of the count.
	want.StaleApprovals = []string{}
	// The neutral check completed in 2018, after the merge.
	want.CIState = "after_merge"
	if !reflect.DeepEqual(c, want) {
		t.Errorf("change from the examples\n %+v\nwant\n %+v", c, want)
	}
	// The example commit is dated 2011-04-14, outside 2011-Q1.
	if len(d.DirectPushes) != 0 {
		t.Errorf("direct pushes %+v", d.DirectPushes)
	}
}

func TestPullsFaults(t *testing.T) {
	for _, c := range []struct {
		name  string
		fault fakegithub.Fault
		ok    bool
	}{
		{"502 on reviews once", fakegithub.Fault{Path: "/repos/acme/api/pulls/3/reviews", Kind: fakegithub.Fault502, Times: 1}, true},
		{"secondary limit on the list", fakegithub.Fault{Path: "/repos/acme/api/pulls", Kind: fakegithub.FaultSecondary, RetryAfter: 2, Times: 1}, true},
		{"truncated commits once", fakegithub.Fault{Path: "/repos/acme/api/commits", Kind: fakegithub.FaultTruncated, Times: 1}, true},
		{"primary limit once", fakegithub.Fault{Path: "/repos/acme/api/pulls/1", Kind: fakegithub.FaultPrimary, Times: 1}, true},
		{"primary limit beyond the wait", fakegithub.Fault{Path: "/repos/acme/api/pulls/1", Kind: fakegithub.FaultPrimary, RetryAfter: 3600, Times: 1}, false},
		{"500 on check runs", fakegithub.Fault{Path: "/repos/acme/api/commits/*", Kind: fakegithub.Fault500}, false},
		{"slow reviews", fakegithub.Fault{Path: "/repos/acme/api/pulls/2/reviews", Kind: fakegithub.FaultSlow}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, fakegithub.Admin, pullsWorld)
			e.srv.Inject(c.fault)
			opts := append(append([]Option{}, e.opts...), WithRequestTimeout(100*time.Millisecond))
			res, err := NewPulls(opts...).Collect(context.Background(), e.request("api"))
			if c.ok {
				if err != nil || !res.Provenance.Complete {
					t.Fatalf("err %v", err)
				}
				if n := len(res.Data.(*PullsData).Changes); n != 12 {
					t.Errorf("%d changes after a recovered fault", n)
				}
				return
			}
			if collect.KindOf(err) != collect.KindTransient {
				t.Fatalf("err %v, want transient", err)
			}
			if !strings.HasPrefix(err.Error(), "collect github pulls gh: ") {
				t.Errorf("error %q", err)
			}
		})
	}
}

func TestPullsMissingPage(t *testing.T) {
	e := newEnv(t, fakegithub.Admin, pullsWorld)
	// GitHub says five check runs exist but the page holds one.
	var head string
	e.srv.Update(func(w *fakegithub.World) { head = w.Orgs["acme"].Repo("api").Pull(1).HeadSHA })
	e.srv.SetRaw("/repos/acme/api/commits/"+head+"/check-runs", []byte(`{"total_count": 5, "check_runs": [{"id": 1, "name": "test", "status": "completed", "conclusion": "success"}]}`))
	_, err := NewPulls(e.opts...).Collect(context.Background(), e.request("api"))
	if collect.KindOf(err) != collect.KindTransient || !strings.Contains(err.Error(), "1 of 5 items: a page is missing") ||
		!strings.Contains(err.Error(), "list check runs of #1 of acme/api") {
		t.Fatalf("err %v", err)
	}
}

func TestPullsContract(t *testing.T) {
	runContract(t, NewPulls, pullsWorld)
}
