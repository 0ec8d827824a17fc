package demo

import (
	"testing"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/evident-project/evident/generator/collect/github/fakegithub"
	"github.com/evident-project/evident/generator/demo/bank"
)

// TestGitHubWorldMatchesTheBanksGit checks the organisation at every run
// date against the bank's git repositories as they stand then: GitHub's
// main holds exactly the commits git's main reaches, each served with its
// real message, date and parents; every merge commit has its closed pull
// request whose head is the merge's second parent; nothing is merged,
// reviewed or checked after the run; pull requests still open have their
// branch tip as head.
func TestGitHubWorldMatchesTheBanksGit(t *testing.T) {
	t.Parallel()
	b, err := bank.New(bank.Options{Seed: 7, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	g := newBankGitHub(b)
	open, merged := 0, 0
	for _, at := range RunDates {
		if err := b.AdvanceTo(at); err != nil {
			t.Fatal(err)
		}
		w, err := g.world(at)
		if err != nil {
			t.Fatal(err)
		}
		o := w.Orgs[bankOrg]
		for _, br := range b.Repos {
			var r *fakegithub.Repo
			for _, x := range o.Repos {
				if x.Name == br.ID {
					r = x
				}
			}
			if r == nil {
				t.Fatalf("%s: no repository %s", at, br.ID)
			}
			repo, err := git.PlainOpen(br.Path)
			if err != nil {
				t.Fatal(err)
			}
			ref, err := repo.Reference(plumbing.NewBranchReferenceName(br.Branch), true)
			if err != nil {
				t.Fatal(err)
			}
			log, err := repo.Log(&git.LogOptions{From: ref.Hash()})
			if err != nil {
				t.Fatal(err)
			}
			reachable := map[string]*object.Commit{}
			if err := log.ForEach(func(c *object.Commit) error {
				reachable[c.Hash.String()] = c
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			onMain := map[string]bool{}
			for _, sha := range r.BranchLog[r.DefaultBranch] {
				onMain[sha] = true
				if reachable[sha] == nil {
					t.Errorf("%s %s: GitHub's main has %s, git's main does not reach it", at, br.ID, sha)
				}
			}
			pulls := map[string]*fakegithub.Pull{}
			for _, p := range r.Pulls {
				if p.State == "closed" {
					pulls[p.MergeCommitSHA] = p
				}
			}
			for sha, c := range reachable {
				if !onMain[sha] {
					t.Errorf("%s %s: git's main reaches %s (%s), GitHub's main does not", at, br.ID, sha[:12], c.Message)
				}
				served := r.Commits[sha]
				if served == nil || served.Message != c.Message || !served.Date.Equal(c.Committer.When) || len(served.Parents) != len(c.ParentHashes) {
					t.Errorf("%s %s: GitHub serves %s as %+v, git has %q at %s with %d parents", at, br.ID, sha[:12], served, c.Message, c.Committer.When, len(c.ParentHashes))
					continue
				}
				for i, p := range c.ParentHashes {
					if served.Parents[i] != p.String() {
						t.Errorf("%s %s: %s parent %d is %s on GitHub, %s in git", at, br.ID, sha[:12], i, served.Parents[i], p)
					}
				}
				if len(c.ParentHashes) != 2 {
					continue
				}
				p := pulls[sha]
				if p == nil {
					t.Errorf("%s %s: merge commit %s (%s) has no merged pull request", at, br.ID, sha[:12], c.Message)
					continue
				}
				merged++
				if p.HeadSHA != c.ParentHashes[1].String() || !p.MergedAt.Equal(c.Committer.When) || p.CommitSHAs[len(p.CommitSHAs)-1] != p.HeadSHA {
					t.Errorf("%s %s #%d: head %s merged %s, want the merge's second parent %s at %s", at, br.ID, p.Number, p.HeadSHA, p.MergedAt, c.ParentHashes[1], c.Committer.When)
				}
			}
			for _, p := range r.Pulls {
				for _, rv := range p.Reviews {
					if rv.SubmittedAt.After(at) || p.State == "closed" && rv.SubmittedAt.After(p.MergedAt) {
						t.Errorf("%s %s #%d: review by %s at %s, after the run or the merge", at, br.ID, p.Number, rv.User, rv.SubmittedAt)
					}
				}
				for _, cr := range r.CheckRuns[p.HeadSHA] {
					if cr.CompletedAt.After(at) || p.State == "closed" && cr.CompletedAt.After(p.MergedAt) {
						t.Errorf("%s %s #%d: check %s completed %s, after the run or the merge", at, br.ID, p.Number, cr.Name, cr.CompletedAt)
					}
				}
				switch {
				case p.State == "closed" && p.MergedAt.After(at):
					t.Errorf("%s %s #%d: merged at %s, after the run", at, br.ID, p.Number, p.MergedAt)
				case p.State == "closed" && !onMain[p.MergeCommitSHA]:
					t.Errorf("%s %s #%d: merge commit %s is not on main", at, br.ID, p.Number, p.MergeCommitSHA)
				case p.State == "open":
					open++
					tip, err := repo.Reference(plumbing.NewBranchReferenceName(p.HeadRef), true)
					if err != nil || tip.Hash().String() != p.HeadSHA {
						t.Errorf("%s %s #%d: open with head %s, git's %s is %v (%v)", at, br.ID, p.Number, p.HeadSHA, p.HeadRef, tip, err)
					}
				}
			}
		}
	}
	if open == 0 || merged == 0 {
		t.Errorf("the run dates saw %d open and %d merged pull requests; the test needs both", open, merged)
	}
}

// TestCodeownersErrorsFollowTeamAccess checks that GitHub's CODEOWNERS
// errors come from the bank's file and the organisation's teams: only the
// treasury team, which can read but not write payments-api, is reported.
func TestCodeownersErrorsFollowTeamAccess(t *testing.T) {
	t.Parallel()
	b, err := bank.New(bank.Options{Seed: 7, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.AdvanceTo(RunDates[0]); err != nil {
		t.Fatal(err)
	}
	w, err := newBankGitHub(b).world(RunDates[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range w.Orgs[bankOrg].Repos {
		if r.CodeownersPath != ".github/CODEOWNERS" {
			t.Errorf("%s: CODEOWNERS at %q", r.Name, r.CodeownersPath)
		}
		want := 0
		if r.Name == bank.PaymentsAPI {
			want = 1
		}
		if len(r.CodeownersErrors) != want {
			t.Fatalf("%s: %d CODEOWNERS errors, want %d: %+v", r.Name, len(r.CodeownersErrors), want, r.CodeownersErrors)
		}
		for _, e := range r.CodeownersErrors {
			if e.Line != 2 || e.Source[e.Column-1:] != "@first-harbor-bank/treasury" || e.Kind != "Unknown owner" {
				t.Errorf("%s: error %+v, want the treasury owner on line 2", r.Name, e)
			}
		}
	}
}
