package github

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/evident-project/evident/generator/catalog"
	"github.com/evident-project/evident/generator/collect"
	"github.com/evident-project/evident/generator/collect/github/fakegithub"
)

// fullClassic is classic protection with every control switched on.
func fullClassic() *fakegithub.Protection {
	return &fakegithub.Protection{
		ReviewsRequired: true, RequiredApprovals: 2, DismissStaleReviews: true, RequireCodeOwnerReviews: true,
		RequireLastPushApproval: true, Contexts: []string{"ci/test", "security/codeql"},
		AppIDs: map[string]int64{"ci/test": fakegithub.GitHubActionsAppID}, Strict: true, EnforceAdmins: true,
		Signatures: true, LinearHistory: true,
	}
}

func protectionWorld(w *fakegithub.World) {
	o := stdOrg(w)
	api := o.Repo("api")
	api.Branch("main").Protection = fullClassic()
	api.Branch("feature/x")
	// Protected by rulesets only.
	ledger := o.Repo("ledger")
	ledger.Rulesets = []*fakegithub.Ruleset{{
		ID: 11, Name: "default branch", Target: "branch", Enforcement: "active", Include: []string{"~DEFAULT_BRANCH"},
		BypassActors: []fakegithub.BypassActor{},
		Rules: []fakegithub.Rule{
			{Type: "pull_request", Parameters: map[string]any{"required_approving_review_count": 2, "dismiss_stale_reviews_on_push": true,
				"require_code_owner_review": true, "require_last_push_approval": true, "required_review_thread_resolution": false}},
			{Type: "required_status_checks", Parameters: map[string]any{"strict_required_status_checks_policy": true,
				"required_status_checks": []any{map[string]any{"context": "build", "integration_id": fakegithub.GitHubActionsAppID}}}},
			{Type: "non_fast_forward"}, {Type: "deletion"}, {Type: "required_signatures"},
		},
	}, {
		ID: 12, Name: "trial", Target: "branch", Enforcement: "evaluate", Include: []string{"~ALL"},
		Rules: []fakegithub.Rule{{Type: "required_linear_history"}},
	}, {
		ID: 13, Name: "tags", Target: "tag", Enforcement: "active", Include: []string{"~ALL"},
		Rules: []fakegithub.Rule{{Type: "deletion"}},
	}}
	// Unprotected.
	o.Repo("scratch")
	// Classic and an organisation ruleset that disagree.
	web := o.Repo("web")
	web.Branch("main").Protection = &fakegithub.Protection{ReviewsRequired: true, RequiredApprovals: 1, AllowForce: true, EnforceAdmins: false,
		BypassUsers: []string{"alice"}}
	web.Branch("release/1.0").Protection = &fakegithub.Protection{ReviewsRequired: true, RequiredApprovals: 1}
	o.Rulesets = []*fakegithub.Ruleset{{
		ID: 21, Name: "org baseline", Target: "branch", Enforcement: "active",
		Include: []string{"refs/heads/main", "refs/heads/release/**/*"}, Exclude: []string{"refs/heads/release/legacy*"},
		RepoInclude:  []string{"web"},
		BypassActors: []fakegithub.BypassActor{{ActorID: 5, ActorType: "RepositoryRole", BypassMode: "always"}},
		Rules: []fakegithub.Rule{{Type: "pull_request", Parameters: map[string]any{"required_approving_review_count": 2,
			"dismiss_stale_reviews_on_push": true, "require_code_owner_review": false, "require_last_push_approval": false}},
			{Type: "non_fast_forward"}},
	}}
}

func branchByName(t *testing.T, d *ProtectionData, repo, branch string) BranchPolicy {
	t.Helper()
	for _, b := range d.Branches {
		if b.Repo == repo && b.Branch == branch {
			return b
		}
	}
	t.Fatalf("no branch %s:%s in %+v", repo, branch, d.Branches)
	return BranchPolicy{}
}

func TestProtectionScenarios(t *testing.T) {
	e := newEnv(t, fakegithub.Admin, protectionWorld)
	res := mustCollect(t, NewBranchProtection(e.opts...), e.request())
	if !res.Provenance.Complete {
		t.Fatalf("admin collection incomplete: %v", res.Provenance.Notes)
	}
	d := res.Data.(*ProtectionData)

	t.Run("classic", func(t *testing.T) {
		b := branchByName(t, d, "acme/api", "main")
		want := Policy{
			RequirePullRequest: true, RequiredApprovals: 2, DismissStaleReviews: true, RequireLastPushApproval: true,
			RequireCodeOwnerReviews: true, RequiredStatusChecks: []string{"ci/test", "security/codeql"},
			StatusCheckApps:    []StatusCheck{{"ci/test", ptr(int64(fakegithub.GitHubActionsAppID))}, {"security/codeql", nil}},
			StrictStatusChecks: true, EnforceAdmins: ptr(true), BypassActors: []string{}, RequiredSignatures: true,
			LinearHistory: true, PushAllowances: []string{},
		}
		if !reflect.DeepEqual(b.Policy, want) {
			t.Errorf("policy\n %+v\nwant\n %+v", b.Policy, want)
		}
		if !b.Protected || !b.Default || !reflect.DeepEqual(b.ProtectedBy, []string{"classic"}) || len(b.Hidden) != 0 {
			t.Errorf("branch %+v", b)
		}
		// The unprotected feature branch is not in scope.
		for _, x := range d.Branches {
			if x.Branch == "feature/x" {
				t.Error("unprotected, undeclared branch evaluated")
			}
		}
	})
	t.Run("rulesets only", func(t *testing.T) {
		b := branchByName(t, d, "acme/ledger", "main")
		if !b.Protected || !reflect.DeepEqual(b.ProtectedBy, []string{"ruleset 11"}) {
			t.Fatalf("branch %+v", b)
		}
		p := b.Policy
		if p.RequiredApprovals != 2 || !p.DismissStaleReviews || !p.RequireLastPushApproval || !p.RequireCodeOwnerReviews ||
			p.AllowForcePushes || p.AllowDeletions || !p.RequiredSignatures || p.LinearHistory ||
			!reflect.DeepEqual(p.RequiredStatusChecks, []string{"build"}) || *p.StatusCheckApps[0].AppID != fakegithub.GitHubActionsAppID ||
			p.EnforceAdmins == nil || !*p.EnforceAdmins || p.BypassActors == nil || len(p.BypassActors) != 0 {
			t.Errorf("policy %+v", p)
		}
		// The evaluate-mode and tag rulesets are listed but not counted.
		for _, rs := range d.Rulesets {
			if rs.Repo != "acme/ledger" {
				continue
			}
			if rs.Counted != (rs.ID == 11) {
				t.Errorf("ruleset %d counted=%v (%s)", rs.ID, rs.Counted, rs.Note)
			}
		}
	})
	t.Run("not protected", func(t *testing.T) {
		b := branchByName(t, d, "acme/scratch", "main")
		if b.Protected || b.RequiredApprovals != 0 || !b.AllowForcePushes || !b.AllowDeletions || b.EnforceAdmins == nil || *b.EnforceAdmins ||
			b.BypassActors == nil || len(b.Hidden) != 0 {
			t.Errorf("unprotected branch %+v", b)
		}
	})
	t.Run("classic and org ruleset disagree: most restrictive wins", func(t *testing.T) {
		b := branchByName(t, d, "acme/web", "main")
		if b.RequiredApprovals != 2 || b.AllowForcePushes || !b.DismissStaleReviews {
			t.Errorf("merged %+v", b.Policy)
		}
		// Classic does not bind admins and the ruleset lets the admin role
		// bypass: admins are not enforced, and both bypasses are listed.
		if b.EnforceAdmins == nil || *b.EnforceAdmins {
			t.Errorf("enforce_admins %v", b.EnforceAdmins)
		}
		want := []string{"RepositoryRole:admin (always, ruleset 21 org baseline)", "user:alice (classic pull request bypass)"}
		if !reflect.DeepEqual(b.BypassActors, want) {
			t.Errorf("bypass %q", b.BypassActors)
		}
		if len(b.Sources) != 2 || b.Sources[0].Policy.RequiredApprovals != 1 || b.Sources[1].Policy.RequiredApprovals != 2 || b.Sources[1].Level != "organization" {
			t.Errorf("sources %+v", b.Sources)
		}
		rel := branchByName(t, d, "acme/web", "release/1.0")
		if !reflect.DeepEqual(rel.ProtectedBy, []string{"classic", "ruleset 21"}) {
			t.Errorf("release/1.0 protected by %v: ** should cross no directory", rel.ProtectedBy)
		}
	})

	t.Run("json shape", func(t *testing.T) {
		m := asMap(t, d)
		b := m["branches"].([]any)[0].(map[string]any)
		for _, k := range []string{"repo", "branch", "protected", "required_approvals", "dismiss_stale_reviews", "require_last_push_approval",
			"require_code_owner_reviews", "required_status_checks", "enforce_admins", "bypass_actors", "required_signatures",
			"linear_history", "allow_force_pushes", "allow_deletions"} {
			if _, ok := b[k]; !ok {
				t.Errorf("branch lacks %q, which controls.yaml reads", k)
			}
		}
	})
	if res.Provenance.Records["branches"] != len(d.Branches) || res.Provenance.Records["repositories"] != 4 {
		t.Errorf("records %v", res.Provenance.Records)
	}
}

func TestProtectionNonAdminToken(t *testing.T) {
	e := newEnv(t, fakegithub.Viewer{Login: "reader"}, protectionWorld)
	res := mustCollect(t, NewBranchProtection(e.opts...), e.request("api", "ledger", "scratch"))
	if res.Provenance.Complete {
		t.Fatal("a token that cannot see protection gave complete evidence")
	}
	d := res.Data.(*ProtectionData)
	api := branchByName(t, d, "acme/api", "main")
	if api.EnforceAdmins != nil || api.BypassActors != nil || len(api.Hidden) == 0 {
		t.Errorf("hidden classic protection read as %+v", api)
	}
	// Protection GitHub hides is not "not protected": the branch list says
	// it is protected.
	if !api.Protected {
		t.Error("hidden protection reported as unprotected")
	}
	ledger := branchByName(t, d, "acme/ledger", "main")
	m := asMap(t, ledger)
	if m["bypass_actors"] != nil || m["enforce_admins"] != nil {
		t.Errorf("hidden bypass list rendered as %v / %v, want null", m["bypass_actors"], m["enforce_admins"])
	}
	if !hasNote(res.Provenance, "not visible to the token") {
		t.Errorf("notes %v", res.Provenance.Notes)
	}
}

// TestProtectionRealdata decodes GitHub's published examples: classic
// protection, required signatures, rules for a branch, the repository's
// rulesets and ruleset 42's detail.
func TestProtectionRealdata(t *testing.T) {
	e := newEnv(t, fakegithub.Admin, func(w *fakegithub.World) {
		o := w.Org("octo-org")
		r := o.Repo("Hello-World")
		r.DefaultBranch = "master"
		r.Branch("master")
	})
	if err := e.srv.LoadExamples(realdata, "octo-org", "Hello-World", "master"); err != nil {
		t.Fatal(err)
	}
	// Ruleset 314 is listed in the example but has no published detail;
	// serve the example's shape for it, targeting other branches.
	v, err := fakegithub.ReadExample(realdata, "extras/repos--get-repo-ruleset.json")
	if err != nil {
		t.Fatal(err)
	}
	rs := v.(map[string]any)
	rs["id"], rs["name"], rs["enforcement"] = 314, "Another ruleset", "evaluate"
	rs["conditions"] = map[string]any{"ref_name": map[string]any{"include": []string{"refs/heads/release/*"}, "exclude": []string{}}}
	b, _ := json.Marshal(rs)
	e.srv.SetRaw("/repos/octo-org/Hello-World/rulesets/314", b)

	src := &catalog.GitHubSource{ID: "ex", Org: "octo-org", Repos: []string{"Hello-World"}, APIURL: e.srv.URL(), TokenEnv: "TEST_GH_TOKEN"}
	req := e.request()
	req.Source = src
	res := mustCollect(t, NewBranchProtection(e.opts...), req)
	d := res.Data.(*ProtectionData)
	br := branchByName(t, d, "octo-org/Hello-World", "master")

	classic := br.Sources[0]
	if classic.Kind != "classic" {
		t.Fatalf("sources %+v", br.Sources)
	}
	cp := classic.Policy
	// Every field of the example the collector uses, value for value.
	want := Policy{
		RequirePullRequest: true, RequiredApprovals: 2, DismissStaleReviews: true, RequireCodeOwnerReviews: true,
		RequireLastPushApproval: true, RequiredStatusChecks: []string{"continuous-integration/travis-ci"},
		StatusCheckApps: []StatusCheck{{Context: "continuous-integration/travis-ci"}}, EnforceAdmins: ptr(true),
		BypassActors: []string{}, RequiredSignatures: true, LinearHistory: true, AllowForcePushes: true, AllowDeletions: true,
		PushRestricted: true, PushAllowances: []string{"user:octocat", "team:justice-league", "app:octoapp"},
	}
	if !reflect.DeepEqual(cp, want) {
		t.Errorf("classic policy from the example\n %+v\nwant\n %+v", cp, want)
	}
	// Rules for the branch: ruleset 42 (repository) and 73 (organisation).
	if !reflect.DeepEqual(br.ProtectedBy, []string{"classic", "ruleset 42", "ruleset 73"}) {
		t.Errorf("protected by %v", br.ProtectedBy)
	}
	r42, r73 := br.Sources[1], br.Sources[2]
	if r42.Name != "super cool ruleset" || r42.Level != "repository" || !reflect.DeepEqual(r42.Rules, []string{"commit_message_pattern"}) ||
		!reflect.DeepEqual(r42.Policy.BypassActors, []string{"Team:234 (always, ruleset 42 super cool ruleset)"}) {
		t.Errorf("ruleset 42 %+v", r42)
	}
	if r73.Level != "organization" || r73.Source != "my-org" || !reflect.DeepEqual(r73.Rules, []string{"commit_author_email_pattern"}) || r73.Policy.BypassActors != nil {
		t.Errorf("ruleset 73 %+v", r73)
	}
	// Ruleset 73 is an organisation ruleset the repository list does not
	// show: its bypass list is unknown, so admin enforcement is too, and
	// the evidence is incomplete.
	if br.EnforceAdmins != nil || br.BypassActors != nil || res.Provenance.Complete {
		t.Errorf("enforce_admins %v bypass %v complete %v", br.EnforceAdmins, br.BypassActors, res.Provenance.Complete)
	}
	// The list's rulesets: 42 counted, 314 (evaluate mode) not.
	got := map[int64]bool{}
	for _, r := range d.Rulesets {
		got[r.ID] = r.Counted
	}
	if !reflect.DeepEqual(got, map[int64]bool{42: true, 314: false}) {
		t.Errorf("rulesets %+v", d.Rulesets)
	}
}

func TestGlob(t *testing.T) {
	for _, c := range []struct {
		pat, name string
		want      bool
	}{
		{"refs/heads/main", "refs/heads/main", true},
		{"refs/heads/release/*", "refs/heads/release/1.0", true},
		{"refs/heads/release/*", "refs/heads/release/1.0/hotfix", false},
		{"refs/heads/release/**", "refs/heads/release/1.0/hotfix", true},
		{"refs/heads/**/*", "refs/heads/main", true},
		{"refs/heads/dev*", "refs/heads/develop", true},
		{"refs/heads/v?", "refs/heads/v1", true},
		{"refs/heads/v[0-9]", "refs/heads/va", false},
		{"refs/heads/v[!0-9]", "refs/heads/va", true},
		{"refs/heads/a.b", "refs/heads/axb", false},
	} {
		if got := globMatch(c.pat, c.name); got != c.want {
			t.Errorf("%s ~ %s = %v, want %v", c.pat, c.name, got, c.want)
		}
	}
	if !refCondition([]string{"~DEFAULT_BRANCH"}, nil, "trunk", "trunk") || refCondition([]string{"~DEFAULT_BRANCH"}, nil, "main", "trunk") {
		t.Error("~DEFAULT_BRANCH")
	}
	if refCondition([]string{"~ALL"}, []string{"refs/heads/main"}, "main", "main") {
		t.Error("an exclude must win over ~ALL")
	}
	if !refCondition([]string{"release/*"}, nil, "release/2", "main") {
		t.Error("a pattern without refs/heads/ is read as a branch pattern")
	}
}

func TestProtectionParamsAndErrors(t *testing.T) {
	e := newEnv(t, fakegithub.Admin, protectionWorld)
	req := e.request("api")
	req.Params = map[string]any{"branches": []any{"feature/x"}}
	res := mustCollect(t, NewBranchProtection(e.opts...), req)
	b := branchByName(t, res.Data.(*ProtectionData), "acme/api", "feature/x")
	if b.Protected {
		t.Errorf("feature/x %+v", b)
	}
	for name, c := range map[string]struct {
		mut  func(*collect.Request)
		kind collect.ErrorKind
		msg  string
	}{
		"unknown param": {func(r *collect.Request) { r.Params = map[string]any{"depth": 1} }, collect.KindInvalid, "unknown parameters [depth]"},
		"bad branches":  {func(r *collect.Request) { r.Params = map[string]any{"branches": "main"} }, collect.KindInvalid, "want a list"},
		"missing repo":  {func(r *collect.Request) { r.Source = e.source("nope") }, collect.KindNotFound, "get repository acme/nope"},
		"missing branch": {func(r *collect.Request) { r.Params = map[string]any{"branches": []any{"gone"}} }, collect.KindNotFound,
			"get protection of acme/api:gone"},
		"wrong source": {func(r *collect.Request) { r.Source = &catalog.GitSource{ID: "x"} }, collect.KindInvalid, "want a github source"},
		"no token": {func(r *collect.Request) { s := e.source("api"); s.TokenEnv = "UNSET_VAR"; r.Source = s }, collect.KindPermission,
			"environment variable UNSET_VAR is empty"},
		"bad token": {func(r *collect.Request) {
			s := e.source("api")
			s.TokenEnv = "OTHER"
			r.Source = s
		}, collect.KindPermission, "401 Bad credentials"},
	} {
		t.Run(name, func(t *testing.T) {
			req := e.request("api")
			c.mut(&req)
			opts := append(append([]Option{}, e.opts...), WithEnv(func(k string) (string, bool) {
				switch k {
				case "TEST_GH_TOKEN":
					return testToken, true
				case "OTHER":
					return "ghp_wrong", true
				}
				return "", false
			}))
			_, err := NewBranchProtection(opts...).Collect(context.Background(), req)
			var ce *collect.Error
			if !errors.As(err, &ce) || ce.Kind != c.kind || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("err %v, want %s containing %q", err, c.kind, c.msg)
			}
			if !strings.HasPrefix(err.Error(), "collect github branch protection") {
				t.Errorf("error %q does not name the collector step", err)
			}
		})
	}
}

func TestProtectionFaults(t *testing.T) {
	for _, c := range []struct {
		name     string
		fault    fakegithub.Fault
		ok       bool
		waits    int
		wantKind collect.ErrorKind
	}{
		{"502 once", fakegithub.Fault{Path: "/repos/acme/api/branches/main/protection", Kind: fakegithub.Fault502, Times: 1}, true, 1, ""},
		{"500 always", fakegithub.Fault{Path: "/repos/acme/api/branches/main/protection", Kind: fakegithub.Fault500}, false, 3, collect.KindTransient},
		{"secondary rate limit", fakegithub.Fault{Path: "/repos/acme/api/rulesets", Kind: fakegithub.FaultSecondary, RetryAfter: 30, Times: 2}, true, 2, ""},
		{"truncated json once", fakegithub.Fault{Path: "/repos/acme/api/rules/branches/main", Kind: fakegithub.FaultTruncated, Times: 1}, true, 1, ""},
		{"truncated json always", fakegithub.Fault{Path: "/repos/acme/api/rules/branches/main", Kind: fakegithub.FaultTruncated}, false, 3, collect.KindTransient},
		{"connection cut mid-body", fakegithub.Fault{Path: "/repos/acme/api/branches", Kind: fakegithub.FaultShortBody, Times: 2}, true, 2, ""},
		{"timeout", fakegithub.Fault{Path: "/repos/acme/api", Kind: fakegithub.FaultSlow}, false, 3, collect.KindTransient},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, fakegithub.Admin, protectionWorld)
			e.srv.Inject(c.fault)
			opts := append(append([]Option{}, e.opts...), WithRequestTimeout(100*time.Millisecond))
			res, err := NewBranchProtection(opts...).Collect(context.Background(), e.request("api"))
			if c.ok {
				if err != nil {
					t.Fatal(err)
				}
				if !res.Provenance.Complete {
					t.Errorf("incomplete after a recovered fault: %v", res.Provenance.Notes)
				}
				found := false
				for _, r := range res.Provenance.Reads {
					found = found || strings.Contains(r.Status, "after")
				}
				if !found {
					t.Errorf("no read records the retry or wait: %+v", res.Provenance.Reads)
				}
			} else {
				if err == nil || collect.KindOf(err) != c.wantKind {
					t.Fatalf("err %v, want %s", err, c.wantKind)
				}
				if strings.Contains(err.Error(), "127.0.0.1") {
					t.Errorf("error names the host: %v", err)
				}
			}
			if got := len(e.sleeps.all()); got != c.waits {
				t.Errorf("%d waits %v, want %d", got, e.sleeps.all(), c.waits)
			}
			if c.fault.Kind == fakegithub.FaultSecondary {
				for _, d := range e.sleeps.all() {
					if d != 30*time.Second {
						t.Errorf("waited %s, Retry-After said 30s", d)
					}
				}
			}
		})
	}
}

func TestProtectionRerunIsAnsweredFromCache(t *testing.T) {
	e := newEnv(t, fakegithub.Admin, protectionWorld)
	dir := t.TempDir()
	opts := append(append([]Option{}, e.opts...), WithCacheDir(dir))
	first := mustCollect(t, NewBranchProtection(opts...), e.request())
	c1 := e.srv.Counts()
	e.srv.ResetCounts()
	second := mustCollect(t, NewBranchProtection(opts...), e.request())
	c2 := e.srv.Counts()
	if !reflect.DeepEqual(first.Data, second.Data) {
		t.Error("rerun from the cache changed the data")
	}
	// Every answer with a body is revalidated; GitHub's 404s ("Branch not
	// protected") carry no ETag and are asked again.
	if c2.Total != c1.Total || c2.NotModified != c2.Total-2 {
		t.Errorf("rerun: %d requests, %d answered 304 (first run %d)", c2.Total, c2.NotModified, c1.Total)
	}
	// The item records the answers, identical whether they came with a
	// body or as a 304; what the rerun cost is in Cost (for the manifest).
	if !reflect.DeepEqual(first.Provenance, second.Provenance) {
		t.Errorf("the rerun's provenance differs from the first run's:\n%+v\n%+v", first.Provenance, second.Provenance)
	}
	if second.Cost["not_modified"] != c2.NotModified || second.Cost["requests"] != c2.Total || first.Cost["not_modified"] != 0 {
		t.Errorf("cost: first %v, rerun %v; the fake counted %d requests, %d answered 304", first.Cost, second.Cost, c2.Total, c2.NotModified)
	}
	if entries, _ := filepath.Glob(filepath.Join(dir, "*", "*")); len(entries) == 0 {
		t.Error("no cache files written")
	}
}

func TestProtectionContract(t *testing.T) {
	runContract(t, NewBranchProtection, protectionWorld)
}
