package github

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	gh "github.com/google/go-github/v60/github"

	"github.com/evident-project/evident/generator/collect"
	"github.com/evident-project/evident/generator/collect/github/ghapi"
)

//go:embed defs/pulls.yml
var pullsDefYAML []byte

var pullsDef = collect.MustParseDef(pullsDefYAML)

// Pulls is the github.pulls collector.
type Pulls struct{ s *shared }

// Def returns the collector's embedded metadata.
func (*Pulls) Def() collect.Def { return pullsDef }

// PullsData is the github.pulls evidence of one source.
type PullsData struct {
	Org          string         `json:"org"`
	Period       string         `json:"period"`
	Repositories []PullsRepo    `json:"repositories"`
	Changes      []Change       `json:"changes"`
	DirectPushes []DirectPush   `json:"direct_pushes"`
	Summary      ChangesSummary `json:"summary"`
}

// PullsRepo is a repository and the base branches read.
type PullsRepo struct {
	Repo     string   `json:"repo"`
	Branches []string `json:"branches"`
}

// Change is one merged pull request with what it proves.
type Change struct {
	Repo           string `json:"repo"`
	Number         int    `json:"number"`
	Title          string `json:"title"`
	Base           string `json:"base"`
	Author         string `json:"author"`
	Bot            bool   `json:"bot"`
	MergedBy       string `json:"merged_by"`
	MergedAt       string `json:"merged_at"`
	HeadSHA        string `json:"head_sha"`
	MergeCommitSHA string `json:"merge_commit_sha"`
	URL            string `json:"url"`
	// Approvals counts independent approvals of the final head before
	// the merge.
	Approvals          int      `json:"approvals"`
	Approvers          []string `json:"approvers"`
	BotApprovals       []string `json:"bot_approvals"`
	StaleApprovals     []string `json:"stale_approvals"`
	DismissedApprovals []string `json:"dismissed_approvals"`
	SelfApproved       bool     `json:"self_approved"`
	SelfMerged         bool     `json:"self_merged"`
	Commits            int      `json:"commits"`
	CommitAuthors      []string `json:"commit_authors"`
	Reviews            []Review `json:"reviews"`
	CIPassed           bool     `json:"ci_passed"`
	// CIState is passed, failed, pending, none or after_merge.
	CIState  string       `json:"ci_state"`
	Checks   []CheckRun   `json:"checks"`
	Statuses []StatusInfo `json:"statuses"`
}

// Review is one submitted review.
type Review struct {
	User        string `json:"user"`
	State       string `json:"state"`
	CommitID    string `json:"commit_id"`
	SubmittedAt string `json:"submitted_at"`
}

// CheckRun is a check run on a change's head commit.
type CheckRun struct {
	Name        string `json:"name"`
	App         string `json:"app"`
	AppID       int64  `json:"app_id"`
	Status      string `json:"status"`
	Conclusion  string `json:"conclusion"`
	CompletedAt string `json:"completed_at"`
	BeforeMerge bool   `json:"before_merge"`
}

// StatusInfo is a commit status on a change's head commit.
type StatusInfo struct {
	Context     string `json:"context"`
	State       string `json:"state"`
	Creator     string `json:"creator"`
	UpdatedAt   string `json:"updated_at"`
	BeforeMerge bool   `json:"before_merge"`
}

// DirectPush is a commit on a protected branch no merged pull request brought.
type DirectPush struct {
	Repo      string `json:"repo"`
	Branch    string `json:"branch"`
	SHA       string `json:"sha"`
	Author    string `json:"author"`
	Committer string `json:"committer"`
	Date      string `json:"date"`
	Subject   string `json:"subject"`
	Verified  bool   `json:"verified"`
	Note      string `json:"note,omitempty"`
}

// ChangesSummary counts the population.
type ChangesSummary struct {
	Changes      int `json:"changes"`
	BotChanges   int `json:"bot_changes"`
	SelfApproved int `json:"self_approved"`
	SelfMerged   int `json:"self_merged"`
	// StaleOnly counts changes whose only approvals were stale or dismissed.
	StaleOnly    int `json:"stale_only"`
	CINotPassed  int `json:"ci_not_passed"`
	DirectPushes int `json:"direct_pushes"`
}

// pullState is what a collection keeps for the next one, per repository,
// branch and period: each change with the updated_at it was read at, the
// commits each brought, and the commit→pull request lookups made.
type pullState struct {
	Version   string                  `json:"version"`
	Watermark time.Time               `json:"watermark"`
	Changes   map[string]storedChange `json:"changes"`
	// Resolved maps a commit sha to the pull request that brought it to
	// the branch (0: none did).
	Resolved map[string]int `json:"resolved"`
}

type storedChange struct {
	UpdatedAt time.Time `json:"updated_at"`
	Landed    []string  `json:"landed"`
	Change    Change    `json:"change"`
}

func (p *Pulls) stateKey(se *session, repo, branch string) string {
	return "state/github.pulls/v" + pullsDef.Version + " " + se.c.BaseURL() + " " + repo + " " + branch + " " + se.req.Period.ID
}

func (p *Pulls) loadState(se *session, key string) *pullState {
	st := &pullState{Version: pullsDef.Version, Changes: map[string]storedChange{}, Resolved: map[string]int{}}
	store, err := p.s.cache(se.req.CacheDir)
	if err != nil {
		return st
	}
	b, ok := store.Load(key)
	if !ok {
		return st
	}
	var prev pullState
	if json.Unmarshal(b, &prev) != nil || prev.Version != pullsDef.Version || prev.Changes == nil {
		return st
	}
	if prev.Resolved == nil {
		prev.Resolved = map[string]int{}
	}
	return &prev
}

func (p *Pulls) saveState(se *session, key string, st *pullState) {
	store, err := p.s.cache(se.req.CacheDir)
	if err != nil {
		return
	}
	b, err := json.Marshal(st)
	if err == nil {
		err = store.Save(key, b)
	}
	if err != nil {
		se.note("incremental state not saved (" + err.Error() + "): the next collection will read every change again")
	}
}

// Collect reads the period's merged pull requests and direct pushes.
func (p *Pulls) Collect(ctx context.Context, req collect.Request) (*collect.Result, error) {
	se, err := p.s.begin(ctx, pullsDef, "pulls", req, "branches")
	if err != nil {
		return nil, err
	}
	if req.Period.ID == "" || !req.Period.End.After(req.Period.Start) {
		return nil, collect.Errorf(collect.KindInvalid, se.step, fmt.Errorf("no audit period"))
	}
	extra, err := stringList(req.Params, "branches")
	if err != nil {
		return nil, collect.Errorf(collect.KindInvalid, se.step, err)
	}
	repos, _, err := se.repos(ctx)
	if err != nil {
		return nil, err
	}
	type result struct {
		repo    PullsRepo
		changes []Change
		pushes  []DirectPush
		carried int
	}
	results := make([]result, len(repos))
	err = forEach(ctx, 4, len(repos), func(ctx context.Context, i int) error {
		r := repos[i]
		branches, err := baseBranches(ctx, se, r, extra)
		if err != nil {
			return err
		}
		res := result{repo: PullsRepo{Repo: r.FullName, Branches: branches}}
		for _, b := range branches {
			ch, dp, carried, err := p.branch(ctx, se, r, b)
			if err != nil {
				return err
			}
			res.changes = append(res.changes, ch...)
			res.pushes = append(res.pushes, dp...)
			res.carried += carried
		}
		results[i] = res
		return nil
	})
	if err != nil {
		return nil, err
	}
	data := &PullsData{Org: se.src.Org, Period: req.Period.ID, Repositories: []PullsRepo{}, Changes: []Change{}, DirectPushes: []DirectPush{}}
	carried := 0
	for _, r := range results {
		data.Repositories = append(data.Repositories, r.repo)
		data.Changes = append(data.Changes, r.changes...)
		data.DirectPushes = append(data.DirectPushes, r.pushes...)
		carried += r.carried
	}
	sort.Slice(data.Changes, func(i, j int) bool {
		a, b := data.Changes[i], data.Changes[j]
		if a.Repo != b.Repo {
			return a.Repo < b.Repo
		}
		return a.Number < b.Number
	})
	sort.Slice(data.DirectPushes, func(i, j int) bool {
		a, b := data.DirectPushes[i], data.DirectPushes[j]
		if a.Repo != b.Repo {
			return a.Repo < b.Repo
		}
		if a.Date != b.Date {
			return a.Date < b.Date
		}
		return a.SHA < b.SHA
	})
	data.Summary = summarizeChanges(data)
	fixed := []string{
		"approvals count people other than the author and the pull request's commit authors whose latest review approved the final head commit before the merge; bots are listed under bot_approvals, not counted",
		"direct pushes are commits whose committer date is in the period on a base branch and that no merged pull request brought; committer dates are claimed by the committer",
	}
	if carried > 0 {
		fixed = append(fixed, fmt.Sprintf("%d of %d changes carried over from the previous collection (not updated since; state in the github cache)", carried, len(data.Changes)))
	}
	return se.result(data, map[string]int{
		"repositories": len(data.Repositories), "changes": len(data.Changes), "direct_pushes": len(data.DirectPushes),
		"bot_changes": data.Summary.BotChanges,
	}, fixed...), nil
}

// baseBranches are the default branch, the protected ones and the extra.
func baseBranches(ctx context.Context, se *session, r repoInfo, extra []string) ([]string, error) {
	listed, err := ghapi.List[apiBranch](ctx, se.c, "repos/"+esc(se.src.Org)+"/"+esc(r.Name)+"/branches", url.Values{"protected": {"true"}}, ghapi.ListOptions[apiBranch]{})
	if err != nil {
		return nil, se.fail(ctx, "list protected branches of "+r.FullName, err)
	}
	names := append([]string{r.DefaultBranch}, extra...)
	for _, b := range listed {
		names = append(names, b.Name)
	}
	sort.Strings(names)
	return uniq(names), nil
}

func ts(t *gh.Timestamp) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.Time.UTC()
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func isBot(u *gh.User) bool {
	return u != nil && (u.GetType() == "Bot" || strings.HasSuffix(u.GetLogin(), "[bot]"))
}

// branch collects one base branch: the merged pull requests (reading again
// only those updated since the previous collection) and the direct pushes.
func (p *Pulls) branch(ctx context.Context, se *session, r repoInfo, branch string) ([]Change, []DirectPush, int, error) {
	per := se.req.Period
	key := p.stateKey(se, r.FullName, branch)
	st := p.loadState(se, key)
	base := "repos/" + esc(se.src.Org) + "/" + esc(r.Name)

	// Newest update first: a pull request merged in the period was updated
	// at or after its merge, so the list can stop at the period start, or
	// at what the previous collection already read.
	stop := per.Start
	if st.Watermark.After(stop) {
		stop = st.Watermark
	}
	listed, err := ghapi.List[*gh.PullRequest](ctx, se.c, base+"/pulls",
		url.Values{"state": {"closed"}, "base": {branch}, "sort": {"updated"}, "direction": {"desc"}},
		ghapi.ListOptions[*gh.PullRequest]{Stop: func(pr *gh.PullRequest) bool { return ts(pr.UpdatedAt).Before(stop) }})
	if err != nil {
		return nil, nil, 0, se.fail(ctx, "list pull requests of "+r.FullName+" into "+branch, err)
	}
	var todo []*gh.PullRequest
	watermark := st.Watermark
	for _, pr := range listed {
		up := ts(pr.UpdatedAt)
		if up.After(watermark) {
			watermark = up
		}
		merged := ts(pr.MergedAt)
		if merged.IsZero() || !per.Contains(merged) || pr.GetBase().GetRef() != branch && pr.GetBase().GetRef() != "" {
			continue
		}
		if prev, ok := st.Changes[strconv.Itoa(pr.GetNumber())]; ok && prev.UpdatedAt.Equal(up) {
			continue
		}
		todo = append(todo, pr)
	}
	fresh := make([]storedChange, len(todo))
	err = forEach(ctx, 8, len(todo), func(ctx context.Context, i int) error {
		sc, err := p.change(ctx, se, r, base, todo[i])
		fresh[i] = sc
		return err
	})
	if err != nil {
		return nil, nil, 0, err
	}
	for i, pr := range todo {
		st.Changes[strconv.Itoa(pr.GetNumber())] = fresh[i]
	}
	st.Watermark = watermark

	pushes, err := p.directPushes(ctx, se, r, base, branch, st)
	if err != nil {
		return nil, nil, 0, err
	}
	p.saveState(se, key, st)

	var out []Change
	for _, sc := range st.Changes {
		out = append(out, sc.Change)
	}
	return out, pushes, len(st.Changes) - len(todo), nil
}

// change reads one merged pull request's details and derives its record.
func (p *Pulls) change(ctx context.Context, se *session, r repoInfo, base string, listed *gh.PullRequest) (storedChange, error) {
	n := listed.GetNumber()
	what := fmt.Sprintf("#%d of %s", n, r.FullName)
	var pr gh.PullRequest
	if err := se.c.Get(ctx, fmt.Sprintf("%s/pulls/%d", base, n), nil, &pr); err != nil {
		return storedChange{}, se.fail(ctx, "get pull request "+what, err)
	}
	reviews, err := ghapi.List[*gh.PullRequestReview](ctx, se.c, fmt.Sprintf("%s/pulls/%d/reviews", base, n), nil, ghapi.ListOptions[*gh.PullRequestReview]{})
	if err != nil {
		return storedChange{}, se.fail(ctx, "list reviews "+what, err)
	}
	commits, err := ghapi.List[*gh.RepositoryCommit](ctx, se.c, fmt.Sprintf("%s/pulls/%d/commits", base, n), nil, ghapi.ListOptions[*gh.RepositoryCommit]{})
	if err != nil {
		return storedChange{}, se.fail(ctx, "list commits "+what, err)
	}
	head := pr.GetHead().GetSHA()
	if head == "" {
		head = listed.GetHead().GetSHA()
	}
	var checks []*gh.CheckRun
	var statuses []*gh.RepoStatus
	if head != "" {
		checks, err = ghapi.List[*gh.CheckRun](ctx, se.c, base+"/commits/"+head+"/check-runs", nil, ghapi.ListOptions[*gh.CheckRun]{Field: "check_runs"})
		if err != nil {
			return storedChange{}, se.fail(ctx, "list check runs of "+what, err)
		}
		statuses, err = ghapi.List[*gh.RepoStatus](ctx, se.c, base+"/commits/"+head+"/status", nil, ghapi.ListOptions[*gh.RepoStatus]{Field: "statuses"})
		if err != nil {
			return storedChange{}, se.fail(ctx, "get commit status of "+what, err)
		}
	}
	if pr.Number == nil {
		pr = *listed
	}
	c := deriveChange(r.FullName, &pr, head, reviews, commits, checks, statuses)
	landed := []string{}
	if c.MergeCommitSHA != "" {
		landed = append(landed, c.MergeCommitSHA)
	}
	for _, rc := range commits {
		landed = append(landed, rc.GetSHA())
	}
	if len(commits) >= 250 {
		se.note(fmt.Sprintf("%s has %d or more commits; GitHub lists 250, the rest are matched through the commit→pull request lookup", what, len(commits)))
	}
	return storedChange{UpdatedAt: ts(pr.UpdatedAt), Landed: landed, Change: c}, nil
}

// deriveChange computes approvals, self-approval, self-merge and CI.
func deriveChange(repo string, pr *gh.PullRequest, head string, reviews []*gh.PullRequestReview, commits []*gh.RepositoryCommit,
	checks []*gh.CheckRun, statuses []*gh.RepoStatus) Change {
	merged := ts(pr.MergedAt)
	author := pr.GetUser().GetLogin()
	c := Change{
		Repo: repo, Number: pr.GetNumber(), Title: pr.GetTitle(), Base: pr.GetBase().GetRef(), Author: author, Bot: isBot(pr.GetUser()),
		MergedBy: pr.GetMergedBy().GetLogin(), MergedAt: fmtTime(merged), HeadSHA: head, MergeCommitSHA: pr.GetMergeCommitSHA(),
		URL: pr.GetHTMLURL(), Approvers: []string{}, BotApprovals: []string{}, StaleApprovals: []string{}, DismissedApprovals: []string{},
		CommitAuthors: []string{}, Reviews: []Review{}, Checks: []CheckRun{}, Statuses: []StatusInfo{}, Commits: len(commits),
	}
	c.SelfMerged = c.MergedBy != "" && c.MergedBy == author

	// People who wrote the change cannot independently approve it.
	writers := map[string]bool{author: true}
	for _, rc := range commits {
		for _, u := range []*gh.User{rc.GetAuthor(), rc.GetCommitter()} {
			if l := u.GetLogin(); l != "" && l != "web-flow" && !isBot(u) {
				writers[l] = true
			}
		}
		if l := rc.GetAuthor().GetLogin(); l != "" {
			c.CommitAuthors = append(c.CommitAuthors, l)
		}
	}
	sort.Strings(c.CommitAuthors)
	c.CommitAuthors = uniq(c.CommitAuthors)
	if c.CommitAuthors == nil {
		c.CommitAuthors = []string{}
	}

	// Each reviewer's latest decisive review counts, as GitHub counts it.
	type last struct {
		state, commit string
		at            time.Time
		bot           bool
	}
	latest := map[string]last{}
	var order []string
	sorted := append([]*gh.PullRequestReview(nil), reviews...)
	sort.SliceStable(sorted, func(i, j int) bool { return ts(sorted[i].SubmittedAt).Before(ts(sorted[j].SubmittedAt)) })
	for _, rv := range sorted {
		u := rv.GetUser().GetLogin()
		state := rv.GetState()
		c.Reviews = append(c.Reviews, Review{User: u, State: state, CommitID: rv.GetCommitID(), SubmittedAt: fmtTime(ts(rv.SubmittedAt))})
		if state == "APPROVED" && writers[u] {
			c.SelfApproved = true
		}
		switch state {
		case "APPROVED", "CHANGES_REQUESTED", "DISMISSED":
			if !merged.IsZero() && ts(rv.SubmittedAt).After(merged) {
				continue // a review after the merge did not gate it
			}
			if _, ok := latest[u]; !ok {
				order = append(order, u)
			}
			latest[u] = last{state: state, commit: rv.GetCommitID(), at: ts(rv.SubmittedAt), bot: isBot(rv.GetUser())}
		}
	}
	for _, u := range order {
		l := latest[u]
		switch {
		case l.state == "DISMISSED":
			c.DismissedApprovals = append(c.DismissedApprovals, u)
		case l.state != "APPROVED":
		case l.commit != head:
			c.StaleApprovals = append(c.StaleApprovals, u+"@"+short(l.commit))
		case writers[u]:
			// Self-approval: recorded above, never counted.
		case l.bot:
			c.BotApprovals = append(c.BotApprovals, u)
		default:
			c.Approvers = append(c.Approvers, u)
		}
	}
	sort.Strings(c.Approvers)
	c.Approvals = len(c.Approvers)

	// CI on the head: the latest run of each check (GitHub lists the
	// latest by default) and each status context.
	reported, passed, pending := 0, true, false
	afterMerge := false
	for _, cr := range checks {
		done := ts(cr.CompletedAt)
		before := !done.IsZero() && (merged.IsZero() || !done.After(merged))
		c.Checks = append(c.Checks, CheckRun{Name: cr.GetName(), App: cr.GetApp().GetSlug(), AppID: cr.GetApp().GetID(), Status: cr.GetStatus(),
			Conclusion: cr.GetConclusion(), CompletedAt: fmtTime(done), BeforeMerge: before})
		reported++
		switch {
		case cr.GetStatus() != "completed":
			pending = true
		case !before:
			afterMerge = true
		case cr.GetConclusion() != "success" && cr.GetConclusion() != "neutral" && cr.GetConclusion() != "skipped":
			passed = false
		}
	}
	for _, s := range statuses {
		up := ts(s.UpdatedAt)
		if up.IsZero() {
			up = ts(s.CreatedAt)
		}
		before := merged.IsZero() || !up.After(merged)
		c.Statuses = append(c.Statuses, StatusInfo{Context: s.GetContext(), State: s.GetState(), Creator: s.GetCreator().GetLogin(),
			UpdatedAt: fmtTime(up), BeforeMerge: before})
		reported++
		switch {
		case s.GetState() == "pending":
			pending = true
		case !before:
			afterMerge = true
		case s.GetState() != "success":
			passed = false
		}
	}
	sort.Slice(c.Checks, func(i, j int) bool { return c.Checks[i].Name+c.Checks[i].App < c.Checks[j].Name+c.Checks[j].App })
	sort.Slice(c.Statuses, func(i, j int) bool { return c.Statuses[i].Context < c.Statuses[j].Context })
	switch {
	case reported == 0:
		c.CIState = "none"
	case !passed:
		c.CIState = "failed"
	case pending:
		c.CIState = "pending"
	case afterMerge:
		c.CIState = "after_merge"
	default:
		c.CIState, c.CIPassed = "passed", true
	}
	return c
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

// directPushes lists the branch's commits in the period and keeps those
// no merged pull request brought.
func (p *Pulls) directPushes(ctx context.Context, se *session, r repoInfo, base, branch string, st *pullState) ([]DirectPush, error) {
	per := se.req.Period
	commits, err := ghapi.List[*gh.RepositoryCommit](ctx, se.c, base+"/commits", url.Values{
		"sha": {branch}, "since": {fmtTime(per.Start)}, "until": {fmtTime(per.End.Add(-time.Second))},
	}, ghapi.ListOptions[*gh.RepositoryCommit]{})
	if err != nil {
		if ghapi.Status(err) == 409 { // an empty repository
			return nil, nil
		}
		return nil, se.fail(ctx, "list commits of "+r.FullName+" "+branch, err)
	}
	landed := map[string]int{}
	for num, sc := range st.Changes {
		n, _ := strconv.Atoi(num)
		for _, sha := range sc.Landed {
			landed[sha] = n
		}
	}
	var candidates []*gh.RepositoryCommit
	for _, rc := range commits {
		date := ts(rc.GetCommit().GetCommitter().Date)
		if !date.IsZero() && !per.Contains(date) {
			continue // the API's since/until filter is trusted but checked
		}
		if _, ok := landed[rc.GetSHA()]; ok {
			continue
		}
		if _, ok := st.Resolved[rc.GetSHA()]; ok {
			if st.Resolved[rc.GetSHA()] != 0 {
				continue
			}
		}
		candidates = append(candidates, rc)
	}
	// Ask GitHub which pull request brought each remaining commit: pull
	// requests merged outside the period, rebase merges and pull requests
	// of more than 250 commits land commits no listed change names.
	var mu sync.Mutex
	err = forEach(ctx, 8, len(candidates), func(ctx context.Context, i int) error {
		sha := candidates[i].GetSHA()
		mu.Lock()
		_, known := st.Resolved[sha]
		mu.Unlock()
		if known {
			return nil
		}
		prs, err := ghapi.List[*gh.PullRequest](ctx, se.c, base+"/commits/"+sha+"/pulls", nil, ghapi.ListOptions[*gh.PullRequest]{})
		if err != nil {
			return se.fail(ctx, "list pull requests of commit "+short(sha)+" in "+r.FullName, err)
		}
		found := 0
		for _, pr := range prs {
			if pr.MergedAt != nil && pr.GetBase().GetRef() == branch {
				found = pr.GetNumber()
			}
		}
		mu.Lock()
		st.Resolved[sha] = found
		mu.Unlock()
		return nil
	})
	if err != nil {
		return nil, err
	}
	if branch != r.DefaultBranch && len(candidates) > 0 {
		se.note(fmt.Sprintf("%s %s is not the default branch: GitHub's commit→pull request lookup only finds merged pull requests on the default branch, so a commit merged here may be listed as a direct push", r.FullName, branch))
	}
	out := []DirectPush{}
	for _, rc := range candidates {
		if st.Resolved[rc.GetSHA()] != 0 {
			continue
		}
		cm := rc.GetCommit()
		author := rc.GetAuthor().GetLogin()
		if author == "" {
			author = cm.GetAuthor().GetName()
		}
		committer := rc.GetCommitter().GetLogin()
		if committer == "" {
			committer = cm.GetCommitter().GetName()
		}
		subject, _, _ := strings.Cut(cm.GetMessage(), "\n")
		out = append(out, DirectPush{
			Repo: r.FullName, Branch: branch, SHA: rc.GetSHA(), Author: author, Committer: committer,
			Date: fmtTime(ts(cm.GetCommitter().Date)), Subject: subject, Verified: cm.GetVerification().GetVerified(),
		})
	}
	return out, nil
}

func summarizeChanges(d *PullsData) ChangesSummary {
	s := ChangesSummary{Changes: len(d.Changes), DirectPushes: len(d.DirectPushes)}
	for _, c := range d.Changes {
		if c.Bot {
			s.BotChanges++
		}
		if c.SelfApproved {
			s.SelfApproved++
		}
		if c.SelfMerged {
			s.SelfMerged++
		}
		if c.Approvals == 0 && len(c.StaleApprovals)+len(c.DismissedApprovals) > 0 {
			s.StaleOnly++
		}
		if !c.CIPassed {
			s.CINotPassed++
		}
	}
	return s
}
