package fakegithub

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"sort"
	"time"
)

// World is the fake GitHub's state: organisations with their people,
// repositories, protection, pull requests, commits, checks and Actions
// settings. Mutate it only inside Server.Update.
type World struct {
	Orgs map[string]*Org
	seq  int64
}

// Org is a GitHub organisation.
type Org struct {
	Login string
	// TwoFactorRequired is the organisation's 2FA requirement.
	TwoFactorRequired bool
	Members           []*Member
	// OutsideCollaborators are logins with repository access but no membership.
	OutsideCollaborators []string
	// OutsideWithout2FA are outside collaborators with 2FA disabled.
	OutsideWithout2FA []string
	Teams             []*Team
	Invitations       []*Invitation
	Rulesets          []*Ruleset
	Secrets           []*Secret
	RunnerGroups      []*RunnerGroup
	// DefaultWorkflowPermissions is "read" or "write".
	DefaultWorkflowPermissions string
	// CanApprovePullRequestReviews says whether workflows may approve PRs.
	CanApprovePullRequestReviews bool
	Repos                        []*Repo
}

// Member is an organisation member.
type Member struct {
	Login string
	// Role is "admin" (owner) or "member".
	Role string
	// TwoFactor is false for members with 2FA disabled.
	TwoFactor bool
	Bot       bool
}

// Team is an organisation team.
type Team struct {
	Slug, Name string
	// Members maps login to team role ("member" or "maintainer").
	Members map[string]string
	// Repos maps repository name to the team's permission
	// (pull, triage, push, maintain, admin).
	Repos map[string]string
}

// Invitation is a pending organisation or repository invitation.
type Invitation struct {
	Login, Email, Role, Inviter string
	CreatedAt                   time.Time
	// Repo is set for a repository invitation.
	Repo string
	// Permission is the repository permission offered.
	Permission string
}

// Secret is an Actions secret (the fake keeps no value, as GitHub shows none).
type Secret struct {
	Name                 string
	CreatedAt, UpdatedAt time.Time
	// Visibility is "all", "private" or "selected" (organisation secrets).
	Visibility    string
	SelectedRepos []string
}

// RunnerGroup is an organisation's self-hosted runner group.
type RunnerGroup struct {
	ID                       int64
	Name                     string
	Visibility               string // all, selected, private
	Default                  bool
	AllowsPublicRepositories bool
	RestrictedToWorkflows    bool
	SelectedRepos            []string
	Runners                  []*Runner
}

// Runner is a self-hosted runner.
type Runner struct {
	ID     int64
	Name   string
	OS     string
	Status string
	Labels []string
}

// Ruleset is a repository or organisation ruleset.
type Ruleset struct {
	ID          int64
	Name        string
	Target      string // branch, tag, push
	Enforcement string // active, evaluate, disabled
	// Include and Exclude are ref_name conditions ("refs/heads/main",
	// "~DEFAULT_BRANCH", "~ALL", fnmatch patterns).
	Include, Exclude []string
	// RepoInclude and RepoExclude are repository_name conditions of an
	// organisation ruleset.
	RepoInclude, RepoExclude []string
	BypassActors             []BypassActor
	Rules                    []Rule
	UpdatedAt                time.Time
}

// BypassActor may bypass a ruleset.
type BypassActor struct {
	ActorID    int64
	ActorType  string // RepositoryRole, Team, Integration, OrganizationAdmin, DeployKey
	BypassMode string // always, pull_request
}

// Rule is one ruleset rule with its parameters as GitHub writes them.
type Rule struct {
	Type       string
	Parameters map[string]any
}

// Repo is a repository.
type Repo struct {
	Name          string
	DefaultBranch string
	Private       bool
	Archived      bool
	Visibility    string
	Branches      map[string]*Branch
	Rulesets      []*Ruleset
	Pulls         []*Pull
	// Commits holds every commit by sha.
	Commits map[string]*Commit
	// BranchLog lists each branch's commits, newest first, as the
	// commits API returns them.
	BranchLog     map[string][]string
	CheckRuns     map[string][]*CheckRun
	Statuses      map[string][]*Status
	Collaborators []*Collaborator
	Environments  []*Environment
	Secrets       []*Secret
	WorkflowRuns  []*WorkflowRun
	// Runners are repository-level self-hosted runners.
	Runners []*Runner
	// DefaultWorkflowPermissions and CanApprovePullRequestReviews are the
	// repository's Actions token settings ("" inherits the org's).
	DefaultWorkflowPermissions   string
	CanApprovePullRequestReviews *bool
	// CodeownersPath is where the CODEOWNERS file is ("" for none).
	CodeownersPath   string
	CodeownersErrors []CodeownersError
	id               int64
}

// Branch is a branch with its classic protection (nil when unprotected).
type Branch struct {
	Name       string
	Protection *Protection
}

// Protection is classic branch protection.
type Protection struct {
	RequiredApprovals       int
	DismissStaleReviews     bool
	RequireCodeOwnerReviews bool
	RequireLastPushApproval bool
	// ReviewsRequired is false when pull request reviews are not required.
	ReviewsRequired bool
	// Contexts are required status checks; AppIDs gives the app that must
	// report each (0 for any).
	Contexts       []string
	AppIDs         map[string]int64
	Strict         bool
	EnforceAdmins  bool
	Signatures     bool
	LinearHistory  bool
	AllowForce     bool
	AllowDeletions bool
	// PushUsers / PushTeams restrict who may push (nil: no restriction).
	PushUsers, PushTeams []string
	// BypassUsers may bypass the pull request requirement.
	BypassUsers []string
	// OmitSignatures leaves required_signatures out of the answer, as
	// GitHub's published example does.
	OmitSignatures bool
}

// Pull is a pull request.
type Pull struct {
	Number    int
	Title     string
	Author    string
	AuthorBot bool
	Base      string
	HeadRef   string
	HeadSHA   string
	State     string // open, closed
	CreatedAt time.Time
	UpdatedAt time.Time
	ClosedAt  time.Time
	MergedAt  time.Time
	MergedBy  string
	// MergeCommitSHA is the commit the merge put on the base branch.
	MergeCommitSHA string
	// Landed are every commit the merge put on the base branch.
	Landed  []string
	Reviews []*Review
	// CommitSHAs are the pull request's commits, oldest first.
	CommitSHAs []string
}

// Review is a pull request review.
type Review struct {
	ID          int64
	User        string
	UserBot     bool
	State       string // APPROVED, CHANGES_REQUESTED, COMMENTED, DISMISSED
	CommitID    string
	SubmittedAt time.Time
}

// Commit is a commit.
type Commit struct {
	SHA                      string
	Message                  string
	AuthorLogin, AuthorName  string
	CommitterLogin           string
	Date                     time.Time
	Parents                  []string
	Verified                 bool
	VerificationReason       string
	AuthorEmail, CommitEmail string
}

// CheckRun is a check run on a commit.
type CheckRun struct {
	ID          int64
	Name        string
	AppID       int64
	AppSlug     string
	Status      string // queued, in_progress, completed
	Conclusion  string // success, failure, neutral, cancelled, skipped, timed_out, action_required
	StartedAt   time.Time
	CompletedAt time.Time
}

// Status is a commit status.
type Status struct {
	ID        int64
	Context   string
	State     string // pending, success, error, failure
	Creator   string
	CreatedAt time.Time
}

// Collaborator is a repository collaborator.
type Collaborator struct {
	Login string
	// Permission is pull, triage, push, maintain or admin.
	Permission string
	// Outside is true for a collaborator who is not an org member.
	Outside bool
}

// Environment is a deployment environment.
type Environment struct {
	Name              string
	WaitTimer         int
	Reviewers         []EnvReviewer
	PreventSelfReview bool
	// ProtectedBranches and CustomBranchPolicies are the deployment branch
	// policy; both false means any branch may deploy.
	ProtectedBranches    bool
	CustomBranchPolicies bool
	BranchPolicies       []string
	Secrets              []*Secret
	CreatedAt            time.Time
}

// EnvReviewer is a required reviewer of an environment.
type EnvReviewer struct {
	Type string // User or Team
	Name string // login or team slug
}

// WorkflowRun is an Actions workflow run.
type WorkflowRun struct {
	ID         int64
	Name       string
	Path       string
	HeadSHA    string
	HeadBranch string
	Event      string
	Status     string
	Conclusion string
	Actor      string
	CreatedAt  time.Time
}

// CodeownersError is an error GitHub reports for a CODEOWNERS file.
type CodeownersError struct {
	Line, Column          int
	Kind, Source, Message string
	Suggestion            string
}

// NewWorld returns an empty world.
func NewWorld() *World { return &World{Orgs: map[string]*Org{}} }

// Org returns the organisation login, creating it with 2FA required.
func (w *World) Org(login string) *Org {
	if o, ok := w.Orgs[login]; ok {
		return o
	}
	o := &Org{Login: login, TwoFactorRequired: true, DefaultWorkflowPermissions: "read"}
	w.Orgs[login] = o
	return o
}

// NextID returns a fresh id.
func (w *World) NextID() int64 {
	w.seq++
	return w.seq
}

// Repo returns the repository name, creating it with a main branch.
func (o *Org) Repo(name string) *Repo {
	for _, r := range o.Repos {
		if r.Name == name {
			return r
		}
	}
	r := &Repo{
		Name: name, DefaultBranch: "main", Private: true, Visibility: "private",
		Branches:  map[string]*Branch{"main": {Name: "main"}},
		Commits:   map[string]*Commit{},
		BranchLog: map[string][]string{},
		CheckRuns: map[string][]*CheckRun{},
		Statuses:  map[string][]*Status{},
		id:        int64(len(o.Repos) + 1000),
	}
	o.Repos = append(o.Repos, r)
	return r
}

// Member returns the member login, or nil.
func (o *Org) Member(login string) *Member {
	for _, m := range o.Members {
		if m.Login == login {
			return m
		}
	}
	return nil
}

// Team returns the team slug, or nil.
func (o *Org) Team(slug string) *Team {
	for _, t := range o.Teams {
		if t.Slug == slug {
			return t
		}
	}
	return nil
}

// Branch returns the branch name, creating it.
func (r *Repo) Branch(name string) *Branch {
	if b, ok := r.Branches[name]; ok {
		return b
	}
	b := &Branch{Name: name}
	r.Branches[name] = b
	return b
}

// Pull returns pull request n, or nil.
func (r *Repo) Pull(n int) *Pull {
	for _, p := range r.Pulls {
		if p.Number == n {
			return p
		}
	}
	return nil
}

// SHA makes a stable fake commit id from parts.
func SHA(parts ...any) string {
	h := sha1.Sum([]byte(fmt.Sprint(parts...)))
	return hex.EncodeToString(h[:])
}

// UserID gives a login a stable numeric id.
func UserID(login string) int64 {
	h := fnv.New32a()
	h.Write([]byte(login))
	return int64(h.Sum32()%9_000_000) + 1_000_000
}

// AddCommit records c and puts it on top of branch.
func (r *Repo) AddCommit(branch string, c *Commit) *Commit {
	if c.SHA == "" {
		c.SHA = SHA(r.Name, branch, c.Message, c.Date.UnixNano(), len(r.Commits))
	}
	if c.AuthorName == "" {
		c.AuthorName = c.AuthorLogin
	}
	if c.CommitterLogin == "" {
		c.CommitterLogin = c.AuthorLogin
	}
	if c.VerificationReason == "" {
		c.VerificationReason = "unsigned"
		if c.Verified {
			c.VerificationReason = "valid"
		}
	}
	if log := r.BranchLog[branch]; len(log) > 0 && c.Parents == nil {
		c.Parents = []string{log[0]}
	}
	r.Commits[c.SHA] = c
	r.BranchLog[branch] = append([]string{c.SHA}, r.BranchLog[branch]...)
	r.Branch(branch)
	return c
}

// PRSpec describes a merged pull request for MergePR.
type PRSpec struct {
	Number int
	Author string
	// AuthorBot marks a bot author (login ending in [bot]).
	AuthorBot bool
	Base      string
	// Approvers approve the final head commit.
	Approvers []string
	// StaleApprovers approved an earlier commit, then a force-push
	// replaced it.
	StaleApprovers []string
	// Dismissed approvals were dismissed by an admin.
	Dismissed []string
	// SelfApprove adds an approval by the author.
	SelfApprove bool
	// MergedBy defaults to the first approver, else the author.
	MergedBy  string
	CreatedAt time.Time
	MergedAt  time.Time
	// Checks on the head commit; nil gives one successful "test" run by
	// GitHub Actions before the merge.
	Checks []*CheckRun
	// Statuses on the head commit.
	Statuses []*Status
	// Commits is how many commits the pull request has (default 1).
	Commits int
	// Strategy is squash (default), merge or rebase.
	Strategy string
	// Unmerged leaves the pull request closed without merging.
	Unmerged bool
	// HeadSHA and MergeCommitSHA, when set, name the head and the commit
	// the merge lands (squash or merge strategy), so a fake can match
	// commits that exist in a real git repository (the demo's).
	HeadSHA, MergeCommitSHA string
}

// GitHubActionsAppID is the app id GitHub Actions reports check runs with.
const GitHubActionsAppID = 15368

// MergePR adds a merged pull request to the repository, putting the
// commits the strategy lands on its base branch.
func (w *World) MergePR(r *Repo, s PRSpec) *Pull {
	if s.Base == "" {
		s.Base = r.DefaultBranch
	}
	if s.Number == 0 {
		s.Number = len(r.Pulls) + 1
		for r.Pull(s.Number) != nil {
			s.Number++
		}
	}
	if s.CreatedAt.IsZero() {
		s.CreatedAt = s.MergedAt.Add(-2 * time.Hour)
	}
	if s.Commits <= 0 {
		s.Commits = 1
	}
	author := s.Author
	p := &Pull{
		Number: s.Number, Title: fmt.Sprintf("Change %d", s.Number), Author: author, AuthorBot: s.AuthorBot,
		Base: s.Base, HeadRef: fmt.Sprintf("feature/%d", s.Number), State: "closed",
		CreatedAt: s.CreatedAt,
	}
	// The pull request's own commits, one an hour after creation.
	var shas []string
	for i := 0; i < s.Commits; i++ {
		c := &Commit{
			SHA:     SHA(r.Name, "pr", s.Number, i),
			Message: fmt.Sprintf("work for #%d (%d)", s.Number, i+1), AuthorLogin: author,
			Date: s.CreatedAt.Add(time.Duration(i) * time.Minute),
		}
		if i > 0 {
			c.Parents = []string{shas[i-1]}
		} else if log := r.BranchLog[s.Base]; len(log) > 0 {
			c.Parents = []string{log[0]}
		}
		r.Commits[c.SHA] = c
		shas = append(shas, c.SHA)
	}
	if s.HeadSHA != "" {
		last := r.Commits[shas[len(shas)-1]]
		delete(r.Commits, last.SHA)
		last.SHA = s.HeadSHA
		r.Commits[last.SHA] = last
		shas[len(shas)-1] = s.HeadSHA
	}
	head := shas[len(shas)-1]
	p.HeadSHA, p.CommitSHAs = head, shas
	reviewAt := s.CreatedAt.Add(30 * time.Minute)
	review := func(user, state, commit string) {
		p.Reviews = append(p.Reviews, &Review{ID: w.NextID(), User: user, State: state, CommitID: commit, SubmittedAt: reviewAt})
		reviewAt = reviewAt.Add(time.Minute)
	}
	if len(s.StaleApprovers) > 0 {
		old := SHA(r.Name, "pr", s.Number, "before-force-push")
		r.Commits[old] = &Commit{SHA: old, Message: "first attempt", AuthorLogin: author, Date: s.CreatedAt}
		for _, u := range s.StaleApprovers {
			review(u, "APPROVED", old)
		}
	}
	for _, u := range s.Dismissed {
		review(u, "DISMISSED", head)
	}
	for _, u := range s.Approvers {
		review(u, "APPROVED", head)
	}
	if s.SelfApprove {
		review(author, "APPROVED", head)
	}
	if s.Unmerged {
		p.ClosedAt, p.UpdatedAt = s.MergedAt, s.MergedAt
		r.Pulls = append(r.Pulls, p)
		return p
	}
	p.MergedAt, p.ClosedAt, p.UpdatedAt = s.MergedAt, s.MergedAt, s.MergedAt
	p.MergedBy = s.MergedBy
	if p.MergedBy == "" {
		p.MergedBy = author
		if len(s.Approvers) > 0 {
			p.MergedBy = s.Approvers[0]
		}
	}
	switch s.Strategy {
	case "merge":
		var prevTip []string
		if log := r.BranchLog[s.Base]; len(log) > 0 {
			prevTip = []string{log[0]}
		}
		for _, sha := range shas {
			r.BranchLog[s.Base] = append([]string{sha}, r.BranchLog[s.Base]...)
		}
		m := r.AddCommit(s.Base, &Commit{
			SHA:     firstOf(s.MergeCommitSHA, SHA(r.Name, "merge", s.Number)),
			Message: fmt.Sprintf("Merge pull request #%d", s.Number), AuthorLogin: p.MergedBy,
			CommitterLogin: "web-flow", Date: s.MergedAt, Verified: true,
			Parents: append(prevTip, head),
		})
		p.MergeCommitSHA = m.SHA
		p.Landed = append(append([]string{}, shas...), m.SHA)
	case "rebase":
		for i := range shas {
			c := r.AddCommit(s.Base, &Commit{
				SHA:     SHA(r.Name, "rebased", s.Number, i),
				Message: fmt.Sprintf("work for #%d (%d)", s.Number, i+1), AuthorLogin: author,
				CommitterLogin: "web-flow", Date: s.MergedAt.Add(time.Duration(i) * time.Second),
			})
			p.Landed = append(p.Landed, c.SHA)
		}
		p.MergeCommitSHA = p.Landed[len(p.Landed)-1]
	default:
		c := r.AddCommit(s.Base, &Commit{
			SHA:     firstOf(s.MergeCommitSHA, SHA(r.Name, "squash", s.Number)),
			Message: fmt.Sprintf("Change %d (#%d)", s.Number, s.Number), AuthorLogin: author,
			CommitterLogin: "web-flow", Date: s.MergedAt, Verified: true,
		})
		p.MergeCommitSHA = c.SHA
		p.Landed = []string{c.SHA}
	}
	checks := s.Checks
	if checks == nil {
		checks = []*CheckRun{{Name: "test", AppID: GitHubActionsAppID, AppSlug: "github-actions", Status: "completed", Conclusion: "success",
			StartedAt: s.CreatedAt.Add(5 * time.Minute), CompletedAt: s.CreatedAt.Add(15 * time.Minute)}}
	}
	for _, c := range checks {
		if c.ID == 0 {
			c.ID = w.NextID()
		}
		r.CheckRuns[head] = append(r.CheckRuns[head], c)
	}
	for _, st := range s.Statuses {
		if st.ID == 0 {
			st.ID = w.NextID()
		}
		r.Statuses[head] = append(r.Statuses[head], st)
	}
	r.Pulls = append(r.Pulls, p)
	return p
}

func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// DirectPush puts a commit on branch without a pull request.
func (w *World) DirectPush(r *Repo, branch, author string, at time.Time, msg string) *Commit {
	return r.AddCommit(branch, &Commit{Message: msg, AuthorLogin: author, Date: at})
}

// sortedRepos returns the org's repositories by name.
func (o *Org) sortedRepos() []*Repo {
	out := append([]*Repo(nil), o.Repos...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
