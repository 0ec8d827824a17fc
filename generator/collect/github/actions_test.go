package github

import (
	"context"
	"reflect"
	"testing"

	"github.com/evident-project/evident/generator/catalog"
	"github.com/evident-project/evident/generator/collect"
	"github.com/evident-project/evident/generator/collect/github/fakegithub"
	"github.com/evident-project/evident/generator/period"
)

func actionsWorld(w *fakegithub.World) {
	o := stdOrg(w)
	o.Teams = []*fakegithub.Team{{Slug: "release", Name: "Release"}}
	o.DefaultWorkflowPermissions = "read"
	o.Secrets = []*fakegithub.Secret{
		{Name: "AWS_SECRET_ACCESS_KEY", Visibility: "all", CreatedAt: at(1, 1), UpdatedAt: at(2, 1)},
		{Name: "DEPLOY_KEY", Visibility: "selected", SelectedRepos: []string{"api"}, CreatedAt: at(1, 1), UpdatedAt: at(1, 1)},
	}
	o.RunnerGroups = []*fakegithub.RunnerGroup{
		{ID: 1, Name: "Default", Visibility: "all", Default: true, Runners: []*fakegithub.Runner{{ID: 1, Name: "linux-1", OS: "linux", Status: "online", Labels: []string{"self-hosted", "linux"}}}},
		{ID: 2, Name: "prod", Visibility: "selected", AllowsPublicRepositories: true, SelectedRepos: []string{"api"},
			Runners: []*fakegithub.Runner{{ID: 2, Name: "prod-1", OS: "linux", Status: "online", Labels: []string{"prod"}}}},
	}
	api := o.Repo("api")
	api.Branch("main").Protection = fullClassic()
	api.DefaultWorkflowPermissions = "write"
	api.CanApprovePullRequestReviews = ptr(true)
	api.Secrets = []*fakegithub.Secret{{Name: "NPM_TOKEN", CreatedAt: at(3, 1), UpdatedAt: at(3, 1)}}
	api.Runners = []*fakegithub.Runner{{ID: 3, Name: "api-runner", OS: "macos", Status: "offline"}}
	api.Environments = []*fakegithub.Environment{
		{Name: "production", WaitTimer: 30, PreventSelfReview: true, Reviewers: []fakegithub.EnvReviewer{{Type: "Team", Name: "release"}, {Type: "User", Name: "alice"}},
			CustomBranchPolicies: true, BranchPolicies: []string{"main", "release/*"}, Secrets: []*fakegithub.Secret{{Name: "PROD_DB", CreatedAt: at(4, 1), UpdatedAt: at(4, 1)}}},
		{Name: "staging"},
	}
	for i := 1; i <= 3; i++ {
		p := w.MergePR(api, fakegithub.PRSpec{Author: "bob", Approvers: []string{"alice", "carol"}, MergedAt: at(i, 10)})
		api.WorkflowRuns = append(api.WorkflowRuns, &fakegithub.WorkflowRun{ID: w.NextID(), Name: "CI", Path: ".github/workflows/ci.yml",
			HeadSHA: p.HeadSHA, HeadBranch: p.HeadRef, Event: "pull_request", Status: "completed", Conclusion: "success", Actor: "bob", CreatedAt: at(i, 9)})
	}
}

func TestActionsScenario(t *testing.T) {
	e := newEnv(t, fakegithub.Admin, actionsWorld)
	dir := t.TempDir()
	opts := append(append([]Option{}, e.opts...), WithCacheDir(dir))
	res := mustCollect(t, NewActions(opts...), e.request())
	if !res.Provenance.Complete {
		t.Fatalf("incomplete: %v", res.Provenance.Notes)
	}
	d := res.Data.(*ActionsData)
	want := []WorkflowPermissions{{"organization", ptr("read"), ptr(false)}, {"acme/api", ptr("write"), ptr(true)}}
	if !reflect.DeepEqual(d.WorkflowPermissions, want) {
		t.Errorf("workflow permissions %+v", d.WorkflowPermissions)
	}
	prod := d.Environments[0]
	if prod.Name != "production" || !prod.PreventSelfReview || prod.WaitTimer != 30 ||
		!reflect.DeepEqual(prod.RequiredReviewers, []string{"team:release", "user:alice"}) ||
		prod.DeploymentBranchPolicy == nil || !reflect.DeepEqual(prod.DeploymentBranchPolicy.Branches, []string{"main", "release/*"}) {
		t.Errorf("production %+v", prod)
	}
	if st := d.Environments[1]; st.Name != "staging" || st.DeploymentBranchPolicy != nil || len(st.RequiredReviewers) != 0 {
		t.Errorf("staging %+v", st)
	}
	scopes := map[string]string{}
	for _, s := range d.Secrets {
		scopes[s.Name] = s.Scope + "/" + s.Visibility
	}
	if !reflect.DeepEqual(scopes, map[string]string{"AWS_SECRET_ACCESS_KEY": "organization/all", "DEPLOY_KEY": "organization/selected",
		"NPM_TOKEN": "repository/repository", "PROD_DB": "environment/environment"}) {
		t.Errorf("secrets %v", scopes)
	}
	if d.Secrets[1].Name != "DEPLOY_KEY" || !reflect.DeepEqual(d.Secrets[1].SelectedRepos, []string{"acme/api"}) {
		t.Errorf("selected secret %+v", d.Secrets[1])
	}
	if len(d.RunnerGroups) != 2 || d.RunnerGroups[0].Repos != nil || !reflect.DeepEqual(d.RunnerGroups[1].Repos, []string{"acme/api"}) {
		t.Errorf("runner groups %+v", d.RunnerGroups)
	}
	var public []string
	for _, r := range d.Runners {
		if r.SelfHosted && r.AllowsPublicRepositories {
			public = append(public, r.Name)
		}
	}
	if len(d.Runners) != 3 || !reflect.DeepEqual(public, []string{"prod-1"}) {
		t.Errorf("runners %+v", d.Runners)
	}
	if len(d.WorkflowRuns) != 3 || d.WorkflowRuns[0].Pull != 1 || d.WorkflowRuns[0].Conclusion != "success" || d.WorkflowRuns[0].Workflow != "CI" {
		t.Errorf("runs %+v", d.WorkflowRuns)
	}
	// Rerun: the runs of heads already read are carried, not re-read.
	e.srv.ResetCounts()
	again := mustCollect(t, NewActions(opts...), e.request())
	if !reflect.DeepEqual(again.Data, res.Data) {
		t.Error("rerun changed the data")
	}
	if n := e.srv.Counts().ByPath["/repos/acme/api/actions/runs"]; n != 0 {
		t.Errorf("rerun read workflow runs %d times", n)
	}
}

func TestActionsHidden(t *testing.T) {
	e := newEnv(t, fakegithub.Viewer{Login: "reader"}, actionsWorld)
	res := mustCollect(t, NewActions(e.opts...), e.request())
	if res.Provenance.Complete {
		t.Fatal("complete although secrets and settings are hidden")
	}
	m := asMap(t, res.Data)
	wp := m["workflow_permissions"].([]any)[0].(map[string]any)
	if wp["default_workflow_permissions"] != nil || wp["can_approve_pull_request_reviews"] != nil {
		t.Errorf("hidden workflow permissions %v", wp)
	}
	if !hasNote(res.Provenance, "organisation secrets are not visible") {
		t.Errorf("notes %v", res.Provenance.Notes)
	}
}

// TestActionsRealdata decodes the published environments, repository
// secrets and workflow-run examples.
func TestActionsRealdata(t *testing.T) {
	e := newEnv(t, fakegithub.Admin, func(w *fakegithub.World) {
		r := w.Org("octo-org").Repo("Hello-World")
		r.DefaultBranch = "master"
		r.Environments = []*fakegithub.Environment{{Name: "staging", CustomBranchPolicies: true, BranchPolicies: []string{"master"}}}
	})
	if err := e.srv.LoadExamples(realdata, "octo-org", "Hello-World", "master"); err != nil {
		t.Fatal(err)
	}
	q1, _ := period.Model{}.Parse("2011-Q1")
	req := e.request()
	req.Period = q1
	req.Source = &catalog.GitHubSource{ID: "ex", Org: "octo-org", Repos: []string{"Hello-World"}, APIURL: e.srv.URL(), TokenEnv: "TEST_GH_TOKEN"}
	res := mustCollect(t, NewActions(e.opts...), req)
	d := res.Data.(*ActionsData)
	env := EnvironmentInfo{Repo: "octo-org/Hello-World", Name: "staging", RequiredReviewers: []string{"team:justice-league", "user:octocat"},
		WaitTimer: 30, DeploymentBranchPolicy: &BranchPolicyInfo{CustomBranchPolicies: true, Branches: []string{"master"}},
		ProtectionRules: []string{"wait_timer", "required_reviewers", "branch_policy"}}
	if len(d.Environments) != 1 || !reflect.DeepEqual(d.Environments[0], env) {
		t.Errorf("environment\n %+v\nwant\n %+v", d.Environments, env)
	}
	var repoSecrets []string
	for _, s := range d.Secrets {
		if s.Scope == "repository" {
			repoSecrets = append(repoSecrets, s.Name+" "+s.CreatedAt+" "+s.UpdatedAt)
		}
	}
	if !reflect.DeepEqual(repoSecrets, []string{"GH_TOKEN 2019-08-10T14:59:22Z 2020-01-10T14:59:22Z", "GIST_ID 2020-01-10T10:59:22Z 2020-01-11T11:59:22Z"}) {
		t.Errorf("repository secrets %q", repoSecrets)
	}
	run := WorkflowRunInfo{Repo: "octo-org/Hello-World", Pull: fakegithub.ExamplePull, HeadSHA: "acb5820ced9479c074f688cc328bf03f341a511d",
		Workflow: "Build", Path: ".github/workflows/build.yml@main", Event: "push", Status: "queued", Actor: "octocat", CreatedAt: "2020-01-22T19:33:08Z"}
	if len(d.WorkflowRuns) != 1 || !reflect.DeepEqual(d.WorkflowRuns[0], run) {
		t.Errorf("runs\n %+v\nwant\n %+v", d.WorkflowRuns, run)
	}
}

func TestActionsFaults(t *testing.T) {
	e := newEnv(t, fakegithub.Admin, actionsWorld)
	e.srv.Inject(fakegithub.Fault{Path: "/repos/acme/api/environments", Kind: fakegithub.FaultTruncated, Times: 1})
	e.srv.Inject(fakegithub.Fault{Path: "/orgs/acme/actions/runner-groups", Kind: fakegithub.FaultSecondary, RetryAfter: 5, Times: 1})
	if res := mustCollect(t, NewActions(e.opts...), e.request()); !res.Provenance.Complete || len(res.Data.(*ActionsData).Environments) != 2 {
		t.Errorf("after recovered faults: %+v", res.Provenance)
	}
	e.srv.Inject(fakegithub.Fault{Path: "/repos/acme/api/actions/runs", Kind: fakegithub.Fault502})
	if _, err := NewActions(e.opts...).Collect(context.Background(), e.request()); collect.KindOf(err) != collect.KindTransient {
		t.Fatalf("err %v", err)
	}
}

func TestActionsContract(t *testing.T) {
	runContract(t, NewActions, actionsWorld)
}
