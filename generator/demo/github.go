package demo

import (
	"bufio"
	"fmt"
	"hash/fnv"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/evident-project/evident/generator/collect"
	"github.com/evident-project/evident/generator/collect/github"
	"github.com/evident-project/evident/generator/collect/github/fakegithub"
	"github.com/evident-project/evident/generator/collect/github/ghapi"
	"github.com/evident-project/evident/generator/demo/bank"
)

// The bank's GitHub organisation exists only inside the demo process: the
// github collectors reach it through fakegithub's http.RoundTripper, no
// port opened. Its pull requests, reviews, checks and commits are derived
// from the bank's git repositories as they stand at each simulated run, so
// every merge commit has its pull request with the real head and merge
// commit hashes, and nothing merged after a run's date is visible to it.
const (
	bankOrg       = "first-harbor-bank"
	bankGitHubAPI = "https://github.firstharbor.example/api/v3/"
	// bankTokenEnv names the variable the demo config declares; the demo
	// hands the collectors bankToken through it, in memory. It is not a
	// GitHub token: only the in-process fake accepts it.
	bankTokenEnv = "FHB_GITHUB_TOKEN"
	bankToken    = "evident-demo-token-accepted-only-by-the-in-process-fake"
	// evidenceLogin is the machine user the token belongs to: an owner,
	// since 2FA status and invitations are visible to owners only.
	evidenceLogin   = "fhb-evidence"
	releaseBotLogin = "fhb-release-bot[bot]"
	// codeQLAppID is GitHub Advanced Security's app, which reports CodeQL.
	codeQLAppID = 57789
)

// Stories of the organisation that the git history does not hold.
var (
	// Tomás disabled two-factor authentication when he replaced his phone;
	// the organisation does not require it (it was switched off for the
	// Bitbucket migration's importer account and never switched back on).
	tomasNo2FAFrom = time.Date(2026, 10, 5, 14, 20, 0, 0, time.UTC)
	// A contractor was invited to infra-gitops and had not accepted yet.
	contractorInvited = time.Date(2026, 11, 12, 16, 5, 0, 0, time.UTC)
	// When the organisation's settings were made (before the period).
	orgSetUp = time.Date(2026, 6, 29, 17, 0, 0, 0, time.UTC)
)

// Ruleset ids of the organisation.
const (
	rulesetTags       = 3101 // organisation: tags are protected (not a branch ruleset)
	rulesetSignedTry  = 3102 // organisation: signed commits, in evaluate mode only
	rulesetInfraMain  = 4101 // infra-gitops: its only protection
	runnerGroupDeploy = 2
)

// bankGitHub is the organisation's in-process GitHub.
type bankGitHub struct {
	b   *bank.Bank
	srv *fakegithub.Server

	mu  sync.Mutex
	now time.Time

	// stalePR is the payments-api pull request whose second approval was
	// given before the author's last push and never renewed.
	stalePR int
}

func newBankGitHub(b *bank.Bank) *bankGitHub {
	g := &bankGitHub{b: b, srv: fakegithub.New(nil), stalePR: stalePR(b.Planned())}
	g.srv.AddToken(bankToken, fakegithub.Viewer{Login: evidenceLogin, RepoAdmin: true, OrgOwner: true})
	return g
}

// stalePR chooses, from the whole timeline, the first pull request merged
// into payments-api in Q4 with two or more commits, all by its author.
func stalePR(plan []bank.PlannedCommit) int {
	q4 := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	commits := map[int]int{}
	foreign := map[int]bool{}
	for _, c := range plan {
		if c.Repo == bank.PaymentsAPI && c.Kind == bank.KindPRCommit {
			commits[c.PR]++
			foreign[c.PR] = foreign[c.PR] || c.Author != c.PRAuthor
		}
	}
	for _, c := range plan {
		if c.Repo == bank.PaymentsAPI && c.Kind == bank.KindMerge && !c.When.Before(q4) && commits[c.PR] >= 2 && !foreign[c.PR] {
			return c.PR
		}
	}
	return 0
}

// collectors are the five github collectors pointed at the fake. Each gets
// its own ETag cache, empty at the start of every demo build: collectors run
// concurrently, and with one shared cache whichever first read a changed
// answer (a branch list, say) would turn another's read of it into a 304,
// so the cost recorded in the manifest would differ from build to build
// while the demo must be byte-for-byte reproducible.
func (g *bankGitHub) collectors() []collect.Collector {
	opts := func() []github.Option {
		return []github.Option{
			github.WithTransport(g.srv.Transport()),
			github.WithEnv(func(k string) (string, bool) {
				if k == bankTokenEnv {
					return bankToken, true
				}
				return "", false
			}),
			github.WithClock(g.clock),
			github.WithStore(ghapi.NewMemStore()),
		}
	}
	return []collect.Collector{
		github.NewBranchProtection(opts()...), github.NewPulls(opts()...), github.NewAccess(opts()...),
		github.NewActions(opts()...), github.NewCodeowners(opts()...),
	}
}

func (g *bankGitHub) clock() time.Time {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.now
}

// advanceTo shows the organisation as it was at at: the bank's repositories
// must already be advanced to at. The hourly rate-limit budget is full
// again, as it would be two weeks after the previous run.
func (g *bankGitHub) advanceTo(at time.Time) error {
	w, err := g.world(at)
	if err != nil {
		return err
	}
	g.srv.Update(func(cur *fakegithub.World) { *cur = *w })
	g.srv.SetRateLimit(5000, 5000)
	g.mu.Lock()
	g.now = at
	g.mu.Unlock()
	return nil
}

// world builds the organisation at at from the bank's written history.
func (g *bankGitHub) world(at time.Time) (*fakegithub.World, error) {
	w := fakegithub.NewWorld()
	o := w.Org(bankOrg)
	g.people(o, at)
	plan := g.b.Planned()
	for _, br := range g.b.Repos {
		var commits []bank.PlannedCommit
		for _, c := range plan {
			if c.Repo == br.ID {
				commits = append(commits, c)
			}
		}
		r := o.Repo(br.ID)
		r.DefaultBranch = br.Branch
		settings(o, r)
		g.history(r, commits, at)
		if err := codeowners(o, r, br.Path); err != nil {
			return nil, err
		}
	}
	return w, nil
}

// login is a bank person's GitHub login.
func login(id string) string {
	if id == "release-bot" {
		return releaseBotLogin
	}
	return id
}

// people sets the organisation's members, teams, collaborators and
// invitations: the bank's engineers and release manager are members, the
// contractor an outside collaborator, release-bot a GitHub App.
func (g *bankGitHub) people(o *fakegithub.Org, at time.Time) {
	o.TwoFactorRequired = false
	o.Members = []*fakegithub.Member{
		{Login: evidenceLogin, Role: "admin", TwoFactor: true},
		{Login: "pnatarajan", Role: "admin", TwoFactor: true}, // Priya Natarajan, Security
	}
	for _, p := range g.b.People {
		switch p.Role {
		case bank.RoleEngineer, bank.RoleReleaseManager:
			m := &fakegithub.Member{Login: login(p.ID), Role: "member", TwoFactor: true}
			if p.Role == bank.RoleReleaseManager {
				m.Role = "admin"
			}
			if p.ID == "talvarez" && !at.Before(tomasNo2FAFrom) {
				m.TwoFactor = false
			}
			o.Members = append(o.Members, m)
		case bank.RoleContractor:
			o.OutsideCollaborators = append(o.OutsideCollaborators, login(p.ID))
		}
	}
	all := map[string]string{bank.CoreLedger: "push", bank.PaymentsAPI: "push", bank.InfraGitops: "push"}
	o.Teams = []*fakegithub.Team{
		{Slug: "engineering", Name: "Engineering", Members: map[string]string{"mchen": "member", "dokafor": "member", "praman": "member", "talvarez": "member"}, Repos: all},
		{Slug: "release-managers", Name: "Release managers", Members: map[string]string{"hbrooks": "maintainer"},
			Repos: map[string]string{bank.CoreLedger: "maintain", bank.PaymentsAPI: "maintain", bank.InfraGitops: "maintain"}},
		{Slug: "ledger-team", Name: "Ledger team", Members: map[string]string{"mchen": "maintainer", "talvarez": "member"}, Repos: map[string]string{bank.CoreLedger: "push"}},
		{Slug: "dba", Name: "Database administrators", Members: map[string]string{"talvarez": "maintainer"}, Repos: map[string]string{bank.CoreLedger: "push"}},
		{Slug: "payments-team", Name: "Payments team", Members: map[string]string{"dokafor": "maintainer", "talvarez": "member", "mchen": "member"}, Repos: map[string]string{bank.PaymentsAPI: "push"}},
		// Treasury owns the payment limits in CODEOWNERS but was only ever
		// given read access, so GitHub cannot request its review.
		{Slug: "treasury", Name: "Treasury", Members: map[string]string{}, Repos: map[string]string{bank.PaymentsAPI: "pull"}},
		{Slug: "platform", Name: "Platform", Members: map[string]string{"praman": "maintainer", "dokafor": "member"}, Repos: map[string]string{bank.InfraGitops: "maintain"}},
		{Slug: "security", Name: "Security", Members: map[string]string{"pnatarajan": "maintainer"}, Repos: all},
	}
	if !at.Before(contractorInvited) {
		o.Invitations = append(o.Invitations, &fakegithub.Invitation{Login: "rkapoor-contractor", Inviter: "praman",
			CreatedAt: contractorInvited, Repo: bank.InfraGitops, Permission: "pull"})
	}
	o.DefaultWorkflowPermissions, o.CanApprovePullRequestReviews = "read", false
	o.Secrets = []*fakegithub.Secret{
		{Name: "SLACK_RELEASE_WEBHOOK", CreatedAt: orgSetUp, UpdatedAt: orgSetUp, Visibility: "selected", SelectedRepos: []string{bank.CoreLedger, bank.PaymentsAPI}},
	}
	o.RunnerGroups = []*fakegithub.RunnerGroup{
		{ID: 1, Name: "Default", Visibility: "all", Default: true},
		{ID: runnerGroupDeploy, Name: "production-deploy", Visibility: "selected", RestrictedToWorkflows: true,
			SelectedRepos: []string{bank.CoreLedger, bank.PaymentsAPI}, Runners: []*fakegithub.Runner{
				{ID: 41, Name: "fhb-deploy-01", OS: "linux", Status: "online", Labels: []string{"self-hosted", "linux", "prod-deploy"}},
				{ID: 42, Name: "fhb-deploy-02", OS: "linux", Status: "online", Labels: []string{"self-hosted", "linux", "prod-deploy"}},
			}},
	}
	o.Rulesets = []*fakegithub.Ruleset{
		{ID: rulesetTags, Name: "release tags", Target: "tag", Enforcement: "active", Include: []string{"refs/tags/v*"}, RepoInclude: []string{"~ALL"},
			Rules: []fakegithub.Rule{{Type: "deletion"}, {Type: "non_fast_forward"}}, UpdatedAt: orgSetUp},
		// Signed commits were trialled in evaluate mode: GitHub reports
		// what would have been blocked, and enforces nothing.
		{ID: rulesetSignedTry, Name: "signed commits (trial)", Target: "branch", Enforcement: "evaluate", Include: []string{"~DEFAULT_BRANCH"},
			RepoInclude: []string{"~ALL"}, Rules: []fakegithub.Rule{{Type: "required_signatures"}}, UpdatedAt: orgSetUp},
	}
}

// settings are a repository's protection, environments and secrets:
// core-ledger is protected the way the control pack asks; payments-api's
// classic protection keeps stale approvals, does not bind administrators
// and lets the payments on-call lead push past it; infra-gitops has no
// classic protection at all, only a ruleset, whose bypass list lets the
// platform team merge without the required approvals.
func settings(o *fakegithub.Org, r *fakegithub.Repo) {
	goChecks := []string{"test", "CodeQL"}
	goApps := map[string]int64{"test": fakegithub.GitHubActionsAppID, "CodeQL": codeQLAppID}
	secret := func(name string) *fakegithub.Secret {
		return &fakegithub.Secret{Name: name, CreatedAt: orgSetUp, UpdatedAt: orgSetUp}
	}
	production := func() *fakegithub.Environment {
		return &fakegithub.Environment{Name: "production", Reviewers: []fakegithub.EnvReviewer{{Type: "Team", Name: "release-managers"}},
			PreventSelfReview: true, ProtectedBranches: true, CreatedAt: orgSetUp, Secrets: []*fakegithub.Secret{secret("REGISTRY_PUSH_TOKEN")}}
	}
	switch r.Name {
	case bank.CoreLedger:
		r.Branch(r.DefaultBranch).Protection = &fakegithub.Protection{
			ReviewsRequired: true, RequiredApprovals: 2, DismissStaleReviews: true, RequireCodeOwnerReviews: true, RequireLastPushApproval: true,
			Contexts: goChecks, AppIDs: goApps, Strict: true, EnforceAdmins: true,
		}
		r.Environments = []*fakegithub.Environment{production(), {Name: "staging", CreatedAt: orgSetUp}}
		r.Secrets = []*fakegithub.Secret{secret("CODECOV_TOKEN")}
	case bank.PaymentsAPI:
		r.Branch(r.DefaultBranch).Protection = &fakegithub.Protection{
			ReviewsRequired: true, RequiredApprovals: 2, RequireCodeOwnerReviews: true,
			Contexts: goChecks, AppIDs: goApps, Strict: true, BypassUsers: []string{"dokafor"},
		}
		r.Environments = []*fakegithub.Environment{production(), {Name: "sandbox", CreatedAt: orgSetUp}}
		r.Secrets = []*fakegithub.Secret{secret("CODECOV_TOKEN")}
	case bank.InfraGitops:
		r.Rulesets = []*fakegithub.Ruleset{{
			ID: rulesetInfraMain, Name: "protect main", Target: "branch", Enforcement: "active", Include: []string{"~DEFAULT_BRANCH"},
			BypassActors: []fakegithub.BypassActor{{ActorID: fakegithub.UserID("team:platform"), ActorType: "Team", BypassMode: "always"}},
			Rules: []fakegithub.Rule{
				{Type: "deletion"}, {Type: "non_fast_forward"},
				{Type: "pull_request", Parameters: map[string]any{
					"required_approving_review_count": 2, "dismiss_stale_reviews_on_push": true, "require_code_owner_review": true,
					"require_last_push_approval": true, "required_review_thread_resolution": false,
				}},
				{Type: "required_status_checks", Parameters: map[string]any{
					"strict_required_status_checks_policy": true,
					"required_status_checks":               []any{map[string]any{"context": "kubeconform"}, map[string]any{"context": "trivy-config"}},
				}},
			},
			UpdatedAt: orgSetUp,
		}}
		r.Secrets = []*fakegithub.Secret{secret("ARGOCD_WEBHOOK_SECRET")}
	}
	for _, p := range o.OutsideCollaborators {
		if r.Name != bank.CoreLedger {
			r.Collaborators = append(r.Collaborators, &fakegithub.Collaborator{Login: p, Permission: "push", Outside: true})
		}
	}
}

// stableID is a stable numeric id for a record, so answers about unchanged
// records keep their bytes (and ETags) from run to run.
func stableID(parts ...any) int64 {
	h := fnv.New64a()
	for _, p := range parts {
		fmt.Fprintf(h, "%v\x00", p)
	}
	return int64(h.Sum64() >> 12)
}

// verification is how GitHub labels a commit's signature. It knows the
// keys registered on accounts, not allowed_signers' valid-after dates.
func verification(m bank.SigningMode) (bool, string) {
	switch m {
	case bank.SigningSSH, bank.SigningSSHNotYetValid, bank.SigningPGP:
		return true, "valid"
	case bank.SigningSSHUnknownKey:
		return false, "unknown_key"
	case bank.SigningPGPExpiredKey:
		return false, "expired_key"
	case bank.SigningBad:
		return false, "invalid"
	}
	return false, "unsigned"
}

// history puts the repository's written commits, pull requests, reviews,
// checks and workflow runs in place as of at. commits is the repository's
// whole plan in order; the written ones have a hash.
func (g *bankGitHub) history(r *fakegithub.Repo, commits []bank.PlannedCommit, at time.Time) {
	people := map[string]bank.Person{}
	for _, p := range g.b.People {
		people[p.ID] = p
	}
	titles := map[int]string{}
	for _, c := range commits {
		if c.Kind == bank.KindMerge {
			_, body, _ := strings.Cut(c.Message, "\n\n")
			titles[c.PR], _, _ = strings.Cut(body, "\n")
		}
	}
	var main []string
	branch := map[int][]bank.PlannedCommit{}
	for i, c := range commits {
		if c.Hash == "" {
			break
		}
		a, cm := people[c.Author], people[c.Committer]
		verified, reason := verification(c.Signing)
		r.Commits[c.Hash] = &fakegithub.Commit{
			SHA: c.Hash, Message: c.Message, AuthorLogin: login(c.Author), AuthorName: a.Name, AuthorEmail: a.Email,
			CommitterLogin: login(c.Committer), CommitEmail: cm.Email, Date: c.When, Parents: c.Parents,
			Verified: verified, VerificationReason: reason,
		}
		switch c.Kind {
		case bank.KindPRCommit:
			branch[c.PR] = append(branch[c.PR], c)
		case bank.KindMerge:
			p := g.mergedPull(r, c, branch[c.PR], titles[c.PR])
			delete(branch, c.PR)
			r.Pulls = append(r.Pulls, p)
			main = append(main, p.Landed...)
		case bank.KindAutomation:
			// release-bot's pull request lands its commit unchanged once
			// the release manager approved it and its checks passed,
			// before the next commit of the repository.
			gap := 24 * time.Minute
			if i+1 < len(commits) {
				gap = min(gap, commits[i+1].When.Sub(c.When))
			}
			merged := c.When.Add(gap / 2).Truncate(time.Second)
			p := g.botPull(r, c, merged, at)
			r.Pulls = append(r.Pulls, p)
			if p.State == "closed" {
				main = append(main, c.Hash)
			} else {
				r.BranchLog[p.HeadRef] = []string{c.Hash}
				r.Branch(p.HeadRef)
			}
		default: // the import and the direct pushes
			main = append(main, c.Hash)
		}
	}
	// Pull requests not merged yet: open, their branch beside main.
	for _, n := range slices.Sorted(maps.Keys(branch)) {
		cs := branch[n]
		head := cs[len(cs)-1]
		ref := cs[0].Branch
		p := &fakegithub.Pull{Number: n, Title: titles[n], Author: login(cs[0].PRAuthor), Base: r.DefaultBranch, HeadRef: ref, HeadSHA: head.Hash,
			State: "open", CreatedAt: opened(cs[0]), UpdatedAt: head.When}
		var log []string
		for _, c := range cs {
			p.CommitSHAs = append(p.CommitSHAs, c.Hash)
			log = append([]string{c.Hash}, log...)
		}
		g.checks(r, head, time.Time{}, at)
		r.Pulls = append(r.Pulls, p)
		r.BranchLog[ref] = log
		r.Branch(ref)
	}
	slices.Reverse(main)
	r.BranchLog[r.DefaultBranch] = main
}

// opened is when a pull request was opened: just after its first push.
func opened(first bank.PlannedCommit) time.Time { return first.When.Add(3 * time.Minute) }

// reviewers may approve any change: every member with write access who
// reviews code (the contractor and the bot do not).
var reviewers = []string{"dokafor", "hbrooks", "mchen", "praman", "talvarez"}

// mergedPull is the pull request a merge commit closed, with its reviews:
// two independent approvals of the final head, the merger's last, except
//   - whoever pushed a commit to someone else's branch approves it too (a
//     self-approval: it is their code);
//   - the author who merged their own change (with the platform team's
//     bypass) had one approval;
//   - in the stale-approval story one approval was given before the
//     author's last push, which payments-api's protection does not dismiss.
func (g *bankGitHub) mergedPull(r *fakegithub.Repo, m bank.PlannedCommit, cs []bank.PlannedCommit, title string) *fakegithub.Pull {
	headSHA := m.Parents[len(m.Parents)-1]
	head := cs[len(cs)-1]
	p := &fakegithub.Pull{
		Number: m.PR, Title: title, Author: login(m.PRAuthor), Base: r.DefaultBranch, HeadRef: cs[0].Branch, HeadSHA: headSHA,
		State: "closed", CreatedAt: opened(cs[0]), UpdatedAt: m.When, ClosedAt: m.When, MergedAt: m.When, MergedBy: login(m.Committer),
		MergeCommitSHA: m.Hash,
	}
	writers := map[string]bool{m.PRAuthor: true}
	var coWriters []string
	for _, c := range cs {
		p.CommitSHAs = append(p.CommitSHAs, c.Hash)
		if !writers[c.Author] {
			writers[c.Author] = true
			coWriters = append(coWriters, c.Author)
		}
	}
	p.Landed = append(slices.Clone(p.CommitSHAs), m.Hash)

	want := 2
	if m.Committer == m.PRAuthor {
		want = 1
	}
	var approvers []string
	merger := ""
	if !writers[m.Committer] {
		merger = m.Committer
	}
	for k := 0; len(approvers)+len(nonEmpty(merger)) < want; k++ {
		var pool []string
		for _, u := range reviewers {
			if !writers[u] && u != m.Committer && !slices.Contains(approvers, u) {
				pool = append(pool, u)
			}
		}
		if len(pool) == 0 {
			break
		}
		approvers = append(approvers, pool[stableID(r.Name, m.PR, k)%int64(len(pool))])
	}
	approvers = append(approvers, nonEmpty(merger)...)
	voters := slices.Concat(coWriters, approvers)
	span := m.When.Sub(head.When)
	for k, u := range voters {
		at := head.When.Add(span * time.Duration(k+1) / time.Duration(len(voters)+1)).Truncate(time.Second)
		commit := headSHA
		if r.Name == bank.PaymentsAPI && m.PR == g.stalePR && k == len(coWriters) && len(cs) >= 2 {
			before := cs[len(cs)-2]
			commit, at = before.Hash, before.When.Add(head.When.Sub(before.When)/2).Truncate(time.Second)
		}
		p.Reviews = append(p.Reviews, &fakegithub.Review{ID: stableID(r.Name, m.PR, u, commit), User: login(u), State: "APPROVED", CommitID: commit, SubmittedAt: at})
	}
	sort.SliceStable(p.Reviews, func(i, j int) bool { return p.Reviews[i].SubmittedAt.Before(p.Reviews[j].SubmittedAt) })
	g.checks(r, bank.PlannedCommit{Hash: headSHA, When: head.When, PRAuthor: m.PRAuthor, Branch: cs[0].Branch}, m.When, m.When)
	return p
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

// botPull is release-bot's pull request for one automation commit,
// approved and merged by the release manager (the platform lead for the
// staging bumps of infra-gitops).
func (g *bankGitHub) botPull(r *fakegithub.Repo, c bank.PlannedCommit, merged, at time.Time) *fakegithub.Pull {
	approver := "hbrooks"
	if r.Name == bank.InfraGitops {
		approver = "praman"
	}
	p := &fakegithub.Pull{
		Number: c.PR, Title: c.Subject, Author: releaseBotLogin, AuthorBot: true, Base: r.DefaultBranch,
		HeadRef: fmt.Sprintf("release-bot/pr-%d", c.PR), HeadSHA: c.Hash, State: "open", CreatedAt: c.When.Add(time.Second),
		UpdatedAt: c.When.Add(time.Second), CommitSHAs: []string{c.Hash},
	}
	review := c.When.Add(merged.Sub(c.When) * 3 / 4).Truncate(time.Second)
	if !review.After(at) {
		p.Reviews = []*fakegithub.Review{{ID: stableID(r.Name, c.PR, approver, c.Hash), User: approver, State: "APPROVED", CommitID: c.Hash, SubmittedAt: review}}
	}
	if !merged.After(at) {
		p.State, p.UpdatedAt, p.ClosedAt, p.MergedAt, p.MergedBy = "closed", merged, merged, merged, approver
		p.MergeCommitSHA, p.Landed = c.Hash, []string{c.Hash}
	}
	g.checks(r, bank.PlannedCommit{Hash: c.Hash, When: c.When, PRAuthor: c.PRAuthor, Branch: p.HeadRef}, merged, at)
	return p
}

// checks records CI on a head commit, finished before by (when set) and
// only what had happened by at: GitHub Actions' test job and CodeQL for
// the Go services, the external CI's kubeconform and trivy commit statuses
// for infra-gitops, which has no workflows.
func (g *bankGitHub) checks(r *fakegithub.Repo, head bank.PlannedCommit, by, at time.Time) {
	t := func(d time.Duration) time.Time {
		x := head.When.Add(d)
		if !by.IsZero() && !x.Before(by) {
			x = head.When.Add(by.Sub(head.When) * 9 / 10)
		}
		return x.Truncate(time.Second)
	}
	if r.Name == bank.InfraGitops {
		for _, ctx := range []string{"kubeconform", "trivy-config"} {
			if done := t(4 * time.Minute); !done.After(at) {
				r.Statuses[head.Hash] = append(r.Statuses[head.Hash], &fakegithub.Status{ID: stableID(r.Name, head.Hash, ctx), Context: ctx,
					State: "success", Creator: "fhb-ci", CreatedAt: done})
			}
		}
		return
	}
	started := t(time.Minute)
	if started.After(at) {
		return
	}
	for _, run := range []struct{ name, path string }{{"ci", ".github/workflows/ci.yaml"}, {"CodeQL", "dynamic/github-code-scanning/codeql"}} {
		r.WorkflowRuns = append(r.WorkflowRuns, &fakegithub.WorkflowRun{ID: stableID(r.Name, head.Hash, run.name), Name: run.name, Path: run.path,
			HeadSHA: head.Hash, HeadBranch: head.Branch, Event: "pull_request", Status: "completed", Conclusion: "success",
			Actor: login(head.PRAuthor), CreatedAt: started})
	}
	for _, cr := range []struct {
		name, app string
		appID     int64
		took      time.Duration
	}{
		{"test", "github-actions", fakegithub.GitHubActionsAppID, 7 * time.Minute},
		{"Analyze (go)", "github-actions", fakegithub.GitHubActionsAppID, 9 * time.Minute},
		{"CodeQL", "github-advanced-security", codeQLAppID, 10 * time.Minute},
	} {
		run := &fakegithub.CheckRun{ID: stableID(r.Name, head.Hash, cr.name), Name: cr.name, AppID: cr.appID, AppSlug: cr.app, Status: "in_progress", StartedAt: started}
		if done := t(cr.took); !done.After(at) {
			run.Status, run.Conclusion, run.CompletedAt = "completed", "success", done
		}
		r.CheckRuns[head.Hash] = append(r.CheckRuns[head.Hash], run)
	}
}

// canWrite are the team permissions GitHub accepts of a code owner.
var canWrite = map[string]bool{"push": true, "maintain": true, "admin": true}

// codeowners reads the repository's CODEOWNERS from the bank's working
// tree (main, as of the run) and reports what GitHub would: an owner team
// that does not exist or cannot write to the repository is an error.
func codeowners(o *fakegithub.Org, r *fakegithub.Repo, worktree string) error {
	const path = ".github/CODEOWNERS"
	f, err := os.Open(filepath.Join(worktree, filepath.FromSlash(path)))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("demo: github world: %w", err)
	}
	defer f.Close()
	r.CodeownersPath = path
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		fields := strings.Fields(line)
		if len(fields) < 2 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		col := strings.Index(line, fields[0]) + len(fields[0])
		for _, owner := range fields[1:] {
			col = strings.Index(line[col:], owner) + col
			slug, ok := strings.CutPrefix(owner, "@"+o.Login+"/")
			if t := o.Team(slug); ok && (t == nil || !canWrite[t.Repos[r.Name]]) {
				r.CodeownersErrors = append(r.CodeownersErrors, fakegithub.CodeownersError{
					Line: n, Column: col + 1, Kind: "Unknown owner", Source: line,
					Message: fmt.Sprintf("Unknown owner on line %d: make sure the team %s exists, is publicly visible, and has write access to the repository\n\n  %s\n  %s^",
						n, owner, line, strings.Repeat(" ", col)),
				})
			}
			col += len(owner)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("demo: github world: read %s: %w", path, err)
	}
	return nil
}
