package github

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/evident-project/evident/generator/collect/github/fakegithub"
)

// scaleWorld is an organisation of repos repositories, each with perRepo
// pull requests merged during 2026-Q4 (two approvals, CI passed), one
// direct push each, classic protection, a CODEOWNERS file and an
// environment.
func scaleWorld(repos, perRepo int) func(*fakegithub.World) {
	return func(w *fakegithub.World) {
		o := stdOrg(w)
		o.Teams = []*fakegithub.Team{{Slug: "eng", Name: "Engineering", Members: map[string]string{"bob": "member", "carol": "member"}, Repos: map[string]string{}}}
		start := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
		step := (90 * 24 * time.Hour) / time.Duration(perRepo+2)
		for i := 0; i < repos; i++ {
			r := o.Repo(fmt.Sprintf("svc-%02d", i))
			r.Branch("main").Protection = fullClassic()
			r.CodeownersPath = ".github/CODEOWNERS"
			r.Environments = []*fakegithub.Environment{{Name: "production", PreventSelfReview: true, Reviewers: []fakegithub.EnvReviewer{{Type: "User", Name: "alice"}}}}
			o.Teams[0].Repos[r.Name] = "push"
			for j := 0; j < perRepo; j++ {
				p := w.MergePR(r, fakegithub.PRSpec{Author: []string{"bob", "carol", "dave"}[j%3], Approvers: []string{"alice", []string{"carol", "dave", "bob"}[j%3]},
					MergedAt: start.Add(time.Duration(j+1) * step).Add(time.Duration(i) * time.Minute)})
				r.WorkflowRuns = append(r.WorkflowRuns, &fakegithub.WorkflowRun{ID: w.NextID(), Name: "CI", Path: ".github/workflows/ci.yml",
					HeadSHA: p.HeadSHA, HeadBranch: p.HeadRef, Event: "pull_request", Status: "completed", Conclusion: "success", Actor: p.Author, CreatedAt: p.CreatedAt})
			}
			w.DirectPush(r, "main", "dave", start.Add(45*24*time.Hour+time.Duration(i)*time.Minute), "hotfix")
		}
	}
}

// addMerged merges n new pull requests, spread over the repositories.
func addMerged(srv *fakegithub.Server, n int, at time.Time) {
	srv.Update(func(w *fakegithub.World) {
		o := w.Orgs["acme"]
		for k := 0; k < n; k++ {
			r := o.Repos[(k*7)%len(o.Repos)]
			p := w.MergePR(r, fakegithub.PRSpec{Author: "bob", Approvers: []string{"alice", "carol"}, MergedAt: at.Add(time.Duration(k) * time.Minute)})
			r.WorkflowRuns = append(r.WorkflowRuns, &fakegithub.WorkflowRun{ID: w.NextID(), Name: "CI", Path: ".github/workflows/ci.yml",
				HeadSHA: p.HeadSHA, HeadBranch: p.HeadRef, Event: "pull_request", Status: "completed", Conclusion: "success", Actor: p.Author, CreatedAt: p.CreatedAt})
		}
	})
}

// runCost is what one collection of every github collector cost.
type runCost struct {
	requests, notModified int
	wall                  time.Duration
	changes               int
}

func (c runCost) fresh() int { return c.requests - c.notModified }

func collectAll(t testing.TB, e *env, opts []Option) runCost {
	t.Helper()
	e.srv.ResetCounts()
	start := time.Now()
	var changes int
	for _, c := range Collectors(opts...) {
		res, err := c.Collect(context.Background(), e.request())
		if err != nil {
			t.Fatalf("%s: %v", c.Def().Name, err)
		}
		if !res.Provenance.Complete {
			t.Fatalf("%s incomplete: %v", c.Def().Name, res.Provenance.Notes)
		}
		if d, ok := res.Data.(*PullsData); ok {
			changes = len(d.Changes)
		}
	}
	cnt := e.srv.Counts()
	return runCost{requests: cnt.Total, notModified: cnt.NotModified, wall: time.Since(start), changes: changes}
}

// reuseRatio is the share of the full collection's requests a rerun
// answered 304 or did not need: 1 − (rerun answers with a body / full).
func reuseRatio(full, rerun runCost) float64 {
	return 1 - float64(rerun.fresh())/float64(full.requests)
}

// TestRerunCostTargets holds the cost targets at a scale that runs
// in every test run: a rerun with nothing changed is ≥95% answered 304 or
// not needed, and a rerun after 10 new pull requests costs in proportion
// to the 10, not to the population.
func TestRerunCostTargets(t *testing.T) {
	e := newEnv(t, fakegithub.Admin, scaleWorld(6, 40))
	opts := append(append([]Option{}, e.opts...), WithCacheDir(t.TempDir()))
	full := collectAll(t, e, opts)
	if full.changes != 240 {
		t.Fatalf("%d changes, want 240", full.changes)
	}
	rerun := collectAll(t, e, opts)
	if r := reuseRatio(full, rerun); r < 0.95 {
		t.Errorf("rerun: %d requests, %d answered 304; %.1f%% of the full run's %d reused, want ≥95%%", rerun.requests, rerun.notModified, 100*r, full.requests)
	}
	addMerged(e.srv, 10, time.Date(2026, 12, 20, 9, 0, 0, 0, time.UTC))
	delta := collectAll(t, e, opts)
	if delta.changes != 250 {
		t.Fatalf("%d changes after 10 new, want 250", delta.changes)
	}
	// Each new change costs its own reads (pull, reviews, commits, checks,
	// status, workflow runs) plus the lists and commit pages it changes.
	if extra := delta.fresh() - rerun.fresh(); extra > 10*12 {
		t.Errorf("10 new pull requests cost %d more fresh answers than a rerun (full run %d)", extra, full.fresh())
	}
}

// BenchmarkGitHubScale measures the benchmark: 50 repositories and
// 2,000 pull requests merged in the quarter, every github collector over
// a loopback fake GitHub. Run with
//
//	go test -run '^$' -bench GitHubScale -benchtime 1x ./generator/collect/github/
func BenchmarkGitHubScale(b *testing.B) {
	for i := 0; i < b.N; i++ {
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		e := newEnv(b, fakegithub.Admin, scaleWorld(50, 40))
		// A full first collection of 2,000 changes needs more than a
		// personal token's 5,000 requests an hour; give the fake a GitHub
		// App's enterprise budget so the run measures cost, not waiting.
		e.srv.SetRateLimit(15000, 15000)
		runtime.GC()
		var world runtime.MemStats
		runtime.ReadMemStats(&world)
		opts := append(append([]Option{}, e.opts...), WithCacheDir(b.TempDir()))

		var peak atomic.Uint64
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			var m runtime.MemStats
			for {
				select {
				case <-stop:
					return
				case <-time.After(5 * time.Millisecond):
				}
				runtime.ReadMemStats(&m)
				if m.HeapAlloc > peak.Load() {
					peak.Store(m.HeapAlloc)
				}
			}
		}()
		full := collectAll(b, e, opts)
		close(stop)
		wg.Wait()
		rerun := collectAll(b, e, opts)
		addMerged(e.srv, 10, time.Date(2026, 12, 20, 9, 0, 0, 0, time.UTC))
		delta := collectAll(b, e, opts)

		mb := func(v uint64) float64 { return float64(v) / (1 << 20) }
		b.ReportMetric(float64(full.requests), "full-requests")
		b.ReportMetric(full.wall.Seconds(), "full-s")
		b.ReportMetric(float64(rerun.requests), "rerun-requests")
		b.ReportMetric(100*reuseRatio(full, rerun), "rerun-reused-%")
		b.ReportMetric(float64(delta.requests), "delta10-requests")
		b.ReportMetric(float64(delta.fresh()), "delta10-fresh")
		b.ReportMetric(mb(peak.Load()), "peak-heap-MB")
		b.Logf("world: %d changes; heap %.1f MB before the fake, %.1f MB with the fake's world", full.changes, mb(before.HeapAlloc), mb(world.HeapAlloc))
		b.Logf("full:    %6d requests, %6d answered 304, %s", full.requests, full.notModified, full.wall.Round(time.Millisecond))
		b.Logf("rerun:   %6d requests, %6d answered 304, %s; %.1f%% of the full run's requests answered 304 or not needed", rerun.requests, rerun.notModified, rerun.wall.Round(time.Millisecond), 100*reuseRatio(full, rerun))
		b.Logf("delta10: %6d requests, %6d answered 304, %d with a body, %s", delta.requests, delta.notModified, delta.fresh(), delta.wall.Round(time.Millisecond))
		b.Logf("peak heap during the full collection (collectors and fake together): %.1f MB", mb(peak.Load()))
	}
}
