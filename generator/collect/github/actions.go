package github

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"time"

	gh "github.com/google/go-github/v60/github"

	"github.com/evident-project/evident/generator/collect"
	"github.com/evident-project/evident/generator/collect/github/ghapi"
)

//go:embed defs/actions.yml
var actionsDefYAML []byte

var actionsDef = collect.MustParseDef(actionsDefYAML)

// Actions is the github.actions collector.
type Actions struct{ s *shared }

// Def returns the collector's embedded metadata.
func (*Actions) Def() collect.Def { return actionsDef }

// ActionsData is the github.actions evidence of one source.
type ActionsData struct {
	Org                 string                `json:"org"`
	Period              string                `json:"period"`
	WorkflowPermissions []WorkflowPermissions `json:"workflow_permissions"`
	Environments        []EnvironmentInfo     `json:"environments"`
	Secrets             []SecretInfo          `json:"secrets"`
	RunnerGroups        []RunnerGroupInfo     `json:"runner_groups"`
	Runners             []RunnerInfo          `json:"runners"`
	WorkflowRuns        []WorkflowRunInfo     `json:"workflow_runs"`
}

// WorkflowPermissions is the GITHUB_TOKEN default of an org or repository.
type WorkflowPermissions struct {
	Scope string `json:"scope"`
	// DefaultWorkflowPermissions is "read" or "write"; null when hidden.
	DefaultWorkflowPermissions *string `json:"default_workflow_permissions"`
	// CanApprovePullRequestReviews is null when hidden.
	CanApprovePullRequestReviews *bool `json:"can_approve_pull_request_reviews"`
}

// EnvironmentInfo is a deployment environment.
type EnvironmentInfo struct {
	Repo              string   `json:"repo"`
	Name              string   `json:"name"`
	RequiredReviewers []string `json:"required_reviewers"`
	PreventSelfReview bool     `json:"prevent_self_review"`
	WaitTimer         int      `json:"wait_timer"`
	// DeploymentBranchPolicy is null when any branch may deploy.
	DeploymentBranchPolicy *BranchPolicyInfo `json:"deployment_branch_policy"`
	ProtectionRules        []string          `json:"protection_rules"`
}

// BranchPolicyInfo says which branches may deploy to an environment.
type BranchPolicyInfo struct {
	ProtectedBranches    bool     `json:"protected_branches"`
	CustomBranchPolicies bool     `json:"custom_branch_policies"`
	Branches             []string `json:"branches"`
}

// SecretInfo is an Actions secret's metadata (GitHub never returns values).
type SecretInfo struct {
	Name        string `json:"name"`
	Scope       string `json:"scope"`
	Repo        string `json:"repo,omitempty"`
	Environment string `json:"environment,omitempty"`
	// Visibility is all, private or selected for organisation secrets,
	// and the scope's name otherwise.
	Visibility    string   `json:"visibility"`
	SelectedRepos []string `json:"selected_repos"`
	CreatedAt     string   `json:"created_at"`
	UpdatedAt     string   `json:"updated_at"`
}

// RunnerGroupInfo is an organisation runner group.
type RunnerGroupInfo struct {
	Name                     string   `json:"name"`
	Visibility               string   `json:"visibility"`
	Default                  bool     `json:"default"`
	AllowsPublicRepositories bool     `json:"allows_public_repositories"`
	RestrictedToWorkflows    bool     `json:"restricted_to_workflows"`
	SelectedWorkflows        []string `json:"selected_workflows"`
	// Repos is null for a group visible to all repositories.
	Repos   []string `json:"repos"`
	Runners []string `json:"runners"`
}

// RunnerInfo is a self-hosted runner.
type RunnerInfo struct {
	Name                     string   `json:"name"`
	SelfHosted               bool     `json:"self_hosted"`
	Group                    string   `json:"group"`
	AllowsPublicRepositories bool     `json:"allows_public_repositories"`
	Repo                     string   `json:"repo,omitempty"`
	OS                       string   `json:"os"`
	Status                   string   `json:"status"`
	Labels                   []string `json:"labels"`
}

// WorkflowRunInfo is a workflow run on a merged head.
type WorkflowRunInfo struct {
	Repo       string `json:"repo"`
	Pull       int    `json:"pull"`
	HeadSHA    string `json:"head_sha"`
	Workflow   string `json:"workflow"`
	Path       string `json:"path"`
	Event      string `json:"event"`
	Status     string `json:"status"`
	Conclusion string `json:"conclusion"`
	Actor      string `json:"actor"`
	CreatedAt  string `json:"created_at"`
}

type apiEnvironment struct {
	Name            string `json:"name"`
	ProtectionRules []struct {
		Type              string `json:"type"`
		WaitTimer         int    `json:"wait_timer"`
		PreventSelfReview bool   `json:"prevent_self_review"`
		Reviewers         []struct {
			Type     string `json:"type"`
			Reviewer struct {
				Login string `json:"login"`
				Slug  string `json:"slug"`
			} `json:"reviewer"`
		} `json:"reviewers"`
	} `json:"protection_rules"`
	DeploymentBranchPolicy *struct {
		ProtectedBranches    bool `json:"protected_branches"`
		CustomBranchPolicies bool `json:"custom_branch_policies"`
	} `json:"deployment_branch_policy"`
}

type apiSecret struct {
	Name       string `json:"name"`
	CreatedAt  string `json:"created_at"`
	UpdatedAt  string `json:"updated_at"`
	Visibility string `json:"visibility"`
}

type apiRunnerGroup struct {
	ID                       int64    `json:"id"`
	Name                     string   `json:"name"`
	Visibility               string   `json:"visibility"`
	Default                  bool     `json:"default"`
	AllowsPublicRepositories bool     `json:"allows_public_repositories"`
	RestrictedToWorkflows    bool     `json:"restricted_to_workflows"`
	SelectedWorkflows        []string `json:"selected_workflows"`
}

type apiRunner struct {
	Name   string `json:"name"`
	OS     string `json:"os"`
	Status string `json:"status"`
	Labels []struct {
		Name string `json:"name"`
	} `json:"labels"`
}

type apiWorkflowPermissions struct {
	Default *string `json:"default_workflow_permissions"`
	Approve *bool   `json:"can_approve_pull_request_reviews"`
}

// runsState carries the runs of merged heads already read.
type runsState struct {
	Version   string                       `json:"version"`
	Watermark time.Time                    `json:"watermark"`
	Heads     map[string]int               `json:"heads"` // head sha → pull number
	Runs      map[string][]WorkflowRunInfo `json:"runs"`  // head sha → runs
}

// Collect reads the Actions settings, environments, secrets, runners and
// the workflow runs of the period's merged heads.
func (a *Actions) Collect(ctx context.Context, req collect.Request) (*collect.Result, error) {
	se, err := a.s.begin(ctx, actionsDef, "actions", req, "branches")
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
	org := se.src.Org
	obase := "orgs/" + esc(org)
	d := &ActionsData{Org: org, Period: req.Period.ID, WorkflowPermissions: []WorkflowPermissions{}, Environments: []EnvironmentInfo{},
		Secrets: []SecretInfo{}, RunnerGroups: []RunnerGroupInfo{}, Runners: []RunnerInfo{}, WorkflowRuns: []WorkflowRunInfo{}}

	wp, err := a.workflowPermissions(ctx, se, obase+"/actions/permissions/workflow", "organization")
	if err != nil {
		return nil, err
	}
	d.WorkflowPermissions = append(d.WorkflowPermissions, wp)

	secrets, err := ghapi.List[apiSecret](ctx, se.c, obase+"/actions/secrets", nil, ghapi.ListOptions[apiSecret]{Field: "secrets"})
	switch {
	case err == nil:
		for _, s := range secrets {
			si := SecretInfo{Name: s.Name, Scope: "organization", Visibility: s.Visibility, SelectedRepos: []string{}, CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt}
			if s.Visibility == "selected" {
				repos, err := ghapi.List[repoInfo](ctx, se.c, obase+"/actions/secrets/"+esc(s.Name)+"/repositories", nil, ghapi.ListOptions[repoInfo]{Field: "repositories"})
				if err != nil {
					return nil, se.fail(ctx, "list repositories of organisation secret "+s.Name, err)
				}
				for _, r := range repos {
					si.SelectedRepos = append(si.SelectedRepos, org+"/"+r.Name)
				}
				sort.Strings(si.SelectedRepos)
			}
			d.Secrets = append(d.Secrets, si)
		}
	case ghapi.Status(err) == 403 || ghapi.Status(err) == 404:
		se.hide(fmt.Sprintf("organisation secrets are not visible to the token (%v)", err))
	default:
		return nil, se.fail(ctx, "list organisation secrets of "+org, err)
	}

	groups, err := ghapi.List[apiRunnerGroup](ctx, se.c, obase+"/actions/runner-groups", nil, ghapi.ListOptions[apiRunnerGroup]{Field: "runner_groups"})
	switch {
	case err == nil:
		for _, g := range groups {
			gi, runners, err := a.runnerGroup(ctx, se, obase, g)
			if err != nil {
				return nil, err
			}
			d.RunnerGroups = append(d.RunnerGroups, gi)
			d.Runners = append(d.Runners, runners...)
		}
	case ghapi.Status(err) == 403 || ghapi.Status(err) == 404:
		se.hide(fmt.Sprintf("organisation runner groups are not visible to the token (%v)", err))
	default:
		return nil, se.fail(ctx, "list runner groups of "+org, err)
	}

	repos, _, err := se.repos(ctx)
	if err != nil {
		return nil, err
	}
	type part struct {
		wp      WorkflowPermissions
		envs    []EnvironmentInfo
		secrets []SecretInfo
		runners []RunnerInfo
		runs    []WorkflowRunInfo
	}
	parts := make([]part, len(repos))
	err = forEach(ctx, 4, len(repos), func(ctx context.Context, i int) error {
		r := repos[i]
		base := "repos/" + esc(org) + "/" + esc(r.Name)
		var p part
		var err error
		if p.wp, err = a.workflowPermissions(ctx, se, base+"/actions/permissions/workflow", r.FullName); err != nil {
			return err
		}
		if p.envs, p.secrets, err = a.environments(ctx, se, r, base); err != nil {
			return err
		}
		rs, err := a.secretList(ctx, se, base+"/actions/secrets", "secrets of "+r.FullName)
		if err != nil {
			return err
		}
		for _, s := range rs {
			p.secrets = append(p.secrets, SecretInfo{Name: s.Name, Scope: "repository", Repo: r.FullName, Visibility: "repository",
				SelectedRepos: []string{}, CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt})
		}
		runners, err := ghapi.List[apiRunner](ctx, se.c, base+"/actions/runners", nil, ghapi.ListOptions[apiRunner]{Field: "runners"})
		switch {
		case err == nil:
			for _, rn := range runners {
				p.runners = append(p.runners, runnerInfo(rn, "", false, r.FullName))
			}
		case ghapi.Status(err) == 403 || ghapi.Status(err) == 404:
			se.hide(fmt.Sprintf("self-hosted runners of %s are not visible to the token (%v)", r.FullName, err))
		default:
			return se.fail(ctx, "list runners of "+r.FullName, err)
		}
		branches, err := baseBranches(ctx, se, r, extra)
		if err != nil {
			return err
		}
		for _, b := range branches {
			runs, err := a.runs(ctx, se, r, base, b)
			if err != nil {
				return err
			}
			p.runs = append(p.runs, runs...)
		}
		parts[i] = p
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, p := range parts {
		d.WorkflowPermissions = append(d.WorkflowPermissions, p.wp)
		d.Environments = append(d.Environments, p.envs...)
		d.Secrets = append(d.Secrets, p.secrets...)
		d.Runners = append(d.Runners, p.runners...)
		d.WorkflowRuns = append(d.WorkflowRuns, p.runs...)
	}
	sort.SliceStable(d.WorkflowRuns, func(i, j int) bool {
		x, y := d.WorkflowRuns[i], d.WorkflowRuns[j]
		if x.Repo != y.Repo {
			return x.Repo < y.Repo
		}
		if x.Pull != y.Pull {
			return x.Pull < y.Pull
		}
		if x.CreatedAt != y.CreatedAt {
			return x.CreatedAt < y.CreatedAt
		}
		return x.Workflow < y.Workflow
	})
	return se.result(d, map[string]int{
		"environments": len(d.Environments), "secrets": len(d.Secrets), "runner_groups": len(d.RunnerGroups),
		"runners": len(d.Runners), "workflow_runs": len(d.WorkflowRuns), "repositories": len(repos),
	}, "secret values are never read: GitHub's API returns names and dates only"), nil
}

func (a *Actions) workflowPermissions(ctx context.Context, se *session, path, scope string) (WorkflowPermissions, error) {
	var w apiWorkflowPermissions
	err := se.c.Get(ctx, path, nil, &w)
	switch {
	case err == nil:
		return WorkflowPermissions{Scope: scope, DefaultWorkflowPermissions: w.Default, CanApprovePullRequestReviews: w.Approve}, nil
	case ghapi.Status(err) == 403 || ghapi.Status(err) == 404:
		se.hide(fmt.Sprintf("workflow token permissions of %s are not visible to the token (%v)", scope, err))
		return WorkflowPermissions{Scope: scope}, nil
	}
	return WorkflowPermissions{}, se.fail(ctx, "get workflow permissions of "+scope, err)
}

func (a *Actions) secretList(ctx context.Context, se *session, path, what string) ([]apiSecret, error) {
	s, err := ghapi.List[apiSecret](ctx, se.c, path, nil, ghapi.ListOptions[apiSecret]{Field: "secrets"})
	switch {
	case err == nil:
		return s, nil
	case ghapi.Status(err) == 403 || ghapi.Status(err) == 404:
		se.hide(fmt.Sprintf("%s are not visible to the token (%v)", what, err))
		return nil, nil
	}
	return nil, se.fail(ctx, "list "+what, err)
}

func runnerInfo(rn apiRunner, group string, public bool, repo string) RunnerInfo {
	ri := RunnerInfo{Name: rn.Name, SelfHosted: true, Group: group, AllowsPublicRepositories: public, Repo: repo, OS: rn.OS, Status: rn.Status, Labels: []string{}}
	for _, l := range rn.Labels {
		ri.Labels = append(ri.Labels, l.Name)
	}
	return ri
}

func (a *Actions) runnerGroup(ctx context.Context, se *session, obase string, g apiRunnerGroup) (RunnerGroupInfo, []RunnerInfo, error) {
	gb := obase + "/actions/runner-groups/" + strconv.FormatInt(g.ID, 10)
	gi := RunnerGroupInfo{Name: g.Name, Visibility: g.Visibility, Default: g.Default, AllowsPublicRepositories: g.AllowsPublicRepositories,
		RestrictedToWorkflows: g.RestrictedToWorkflows, SelectedWorkflows: g.SelectedWorkflows, Runners: []string{}}
	if gi.SelectedWorkflows == nil {
		gi.SelectedWorkflows = []string{}
	}
	if g.Visibility == "selected" {
		repos, err := ghapi.List[repoInfo](ctx, se.c, gb+"/repositories", nil, ghapi.ListOptions[repoInfo]{Field: "repositories"})
		if err != nil {
			return gi, nil, se.fail(ctx, "list repositories of runner group "+g.Name, err)
		}
		gi.Repos = []string{}
		for _, r := range repos {
			gi.Repos = append(gi.Repos, se.src.Org+"/"+r.Name)
		}
		sort.Strings(gi.Repos)
	}
	runners, err := ghapi.List[apiRunner](ctx, se.c, gb+"/runners", nil, ghapi.ListOptions[apiRunner]{Field: "runners"})
	if err != nil {
		return gi, nil, se.fail(ctx, "list runners of runner group "+g.Name, err)
	}
	var out []RunnerInfo
	for _, rn := range runners {
		gi.Runners = append(gi.Runners, rn.Name)
		out = append(out, runnerInfo(rn, g.Name, g.AllowsPublicRepositories, ""))
	}
	return gi, out, nil
}

func (a *Actions) environments(ctx context.Context, se *session, r repoInfo, base string) ([]EnvironmentInfo, []SecretInfo, error) {
	envs, err := ghapi.List[apiEnvironment](ctx, se.c, base+"/environments", nil, ghapi.ListOptions[apiEnvironment]{Field: "environments"})
	if err != nil {
		if ghapi.Status(err) == 403 {
			se.hide(fmt.Sprintf("environments of %s are not visible to the token (%v)", r.FullName, err))
			return nil, nil, nil
		}
		return nil, nil, se.fail(ctx, "list environments of "+r.FullName, err)
	}
	var out []EnvironmentInfo
	var secrets []SecretInfo
	for _, e := range envs {
		ei := EnvironmentInfo{Repo: r.FullName, Name: e.Name, RequiredReviewers: []string{}, ProtectionRules: []string{}}
		for _, pr := range e.ProtectionRules {
			ei.ProtectionRules = append(ei.ProtectionRules, pr.Type)
			switch pr.Type {
			case "wait_timer":
				ei.WaitTimer = pr.WaitTimer
			case "required_reviewers":
				ei.PreventSelfReview = pr.PreventSelfReview
				for _, rv := range pr.Reviewers {
					if rv.Type == "Team" {
						ei.RequiredReviewers = append(ei.RequiredReviewers, "team:"+rv.Reviewer.Slug)
					} else {
						ei.RequiredReviewers = append(ei.RequiredReviewers, "user:"+rv.Reviewer.Login)
					}
				}
			}
		}
		sort.Strings(ei.RequiredReviewers)
		if p := e.DeploymentBranchPolicy; p != nil {
			ei.DeploymentBranchPolicy = &BranchPolicyInfo{ProtectedBranches: p.ProtectedBranches, CustomBranchPolicies: p.CustomBranchPolicies, Branches: []string{}}
			if p.CustomBranchPolicies {
				type policy struct {
					Name string `json:"name"`
					Type string `json:"type"`
				}
				pols, err := ghapi.List[policy](ctx, se.c, base+"/environments/"+esc(e.Name)+"/deployment-branch-policies", nil, ghapi.ListOptions[policy]{Field: "branch_policies"})
				if err != nil {
					return nil, nil, se.fail(ctx, "list deployment branch policies of "+r.FullName+" "+e.Name, err)
				}
				for _, pl := range pols {
					name := pl.Name
					if pl.Type == "tag" {
						name = "tag:" + name
					}
					ei.DeploymentBranchPolicy.Branches = append(ei.DeploymentBranchPolicy.Branches, name)
				}
			}
		}
		out = append(out, ei)
		es, err := a.secretList(ctx, se, base+"/environments/"+esc(e.Name)+"/secrets", "secrets of environment "+r.FullName+" "+e.Name)
		if err != nil {
			return nil, nil, err
		}
		for _, s := range es {
			secrets = append(secrets, SecretInfo{Name: s.Name, Scope: "environment", Repo: r.FullName, Environment: e.Name, Visibility: "environment",
				SelectedRepos: []string{}, CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt})
		}
	}
	return out, secrets, nil
}

// runs returns the workflow runs of the heads of pull requests merged into
// branch in the period, reading only heads the previous collection did not.
func (a *Actions) runs(ctx context.Context, se *session, r repoInfo, base, branch string) ([]WorkflowRunInfo, error) {
	per := se.req.Period
	key := "state/github.actions/v" + actionsDef.Version + " " + se.c.BaseURL() + " " + r.FullName + " " + branch + " " + per.ID
	st := runsState{Version: actionsDef.Version, Heads: map[string]int{}, Runs: map[string][]WorkflowRunInfo{}}
	store, _ := a.s.cache(se.req.CacheDir)
	if store != nil {
		if b, ok := store.Load(key); ok {
			var prev runsState
			if json.Unmarshal(b, &prev) == nil && prev.Version == st.Version && prev.Heads != nil && prev.Runs != nil {
				st = prev
			}
		}
	}
	stop := per.Start
	if st.Watermark.After(stop) {
		stop = st.Watermark
	}
	listed, err := ghapi.List[*gh.PullRequest](ctx, se.c, base+"/pulls",
		url.Values{"state": {"closed"}, "base": {branch}, "sort": {"updated"}, "direction": {"desc"}},
		ghapi.ListOptions[*gh.PullRequest]{Stop: func(pr *gh.PullRequest) bool { return ts(pr.UpdatedAt).Before(stop) }})
	if err != nil {
		return nil, se.fail(ctx, "list pull requests of "+r.FullName+" into "+branch, err)
	}
	var todo []*gh.PullRequest
	for _, pr := range listed {
		if up := ts(pr.UpdatedAt); up.After(st.Watermark) {
			st.Watermark = up
		}
		m := ts(pr.MergedAt)
		head := pr.GetHead().GetSHA()
		if m.IsZero() || !per.Contains(m) || head == "" {
			continue
		}
		if _, ok := st.Heads[head]; ok {
			continue
		}
		todo = append(todo, pr)
	}
	found := make([][]WorkflowRunInfo, len(todo))
	err = forEach(ctx, 8, len(todo), func(ctx context.Context, i int) error {
		pr := todo[i]
		type run struct {
			Name       string   `json:"name"`
			Path       string   `json:"path"`
			HeadSHA    string   `json:"head_sha"`
			Event      string   `json:"event"`
			Status     string   `json:"status"`
			Conclusion *string  `json:"conclusion"`
			CreatedAt  string   `json:"created_at"`
			Actor      *apiUser `json:"actor"`
		}
		runs, err := ghapi.List[run](ctx, se.c, base+"/actions/runs", url.Values{"head_sha": {pr.GetHead().GetSHA()}}, ghapi.ListOptions[run]{Field: "workflow_runs"})
		if err != nil {
			return se.fail(ctx, fmt.Sprintf("list workflow runs of #%d of %s", pr.GetNumber(), r.FullName), err)
		}
		out := []WorkflowRunInfo{}
		for _, x := range runs {
			wr := WorkflowRunInfo{Repo: r.FullName, Pull: pr.GetNumber(), HeadSHA: x.HeadSHA, Workflow: x.Name, Path: x.Path, Event: x.Event,
				Status: x.Status, CreatedAt: x.CreatedAt}
			if x.Conclusion != nil {
				wr.Conclusion = *x.Conclusion
			}
			if x.Actor != nil {
				wr.Actor = x.Actor.Login
			}
			out = append(out, wr)
		}
		found[i] = out
		return nil
	})
	if err != nil {
		return nil, err
	}
	for i, pr := range todo {
		st.Heads[pr.GetHead().GetSHA()] = pr.GetNumber()
		st.Runs[pr.GetHead().GetSHA()] = found[i]
	}
	if store != nil {
		if b, err := json.Marshal(st); err == nil {
			if err := store.Save(key, b); err != nil {
				se.note("workflow run state not saved: " + err.Error())
			}
		}
	}
	var out []WorkflowRunInfo
	for _, runs := range st.Runs {
		out = append(out, runs...)
	}
	return out, nil
}
