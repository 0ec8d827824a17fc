package github

import (
	"context"
	"reflect"
	"testing"

	"github.com/evident-project/evident/generator/catalog"
	"github.com/evident-project/evident/generator/collect"
	"github.com/evident-project/evident/generator/collect/github/fakegithub"
)

func accessWorld(w *fakegithub.World) {
	o := stdOrg(w)
	o.Members[3].TwoFactor = false // dave
	o.Members = append(o.Members, &fakegithub.Member{Login: "deploy-bot", Role: "member", TwoFactor: true, Bot: true})
	o.OutsideCollaborators = []string{"vendor-x", "vendor-y"}
	o.OutsideWithout2FA = []string{"vendor-y"}
	o.Teams = []*fakegithub.Team{
		{Slug: "eng", Name: "Engineering", Members: map[string]string{"bob": "member", "carol": "maintainer"}, Repos: map[string]string{"api": "push", "web": "pull"}},
		{Slug: "ops", Name: "Operations", Members: map[string]string{"dave": "member"}, Repos: map[string]string{"api": "maintain", "other": "admin"}},
	}
	o.Invitations = []*fakegithub.Invitation{
		{Login: "erin", Role: "direct_member", Inviter: "alice", CreatedAt: at(20, 9)},
		{Login: "frank", Repo: "api", Permission: "push", Inviter: "alice", CreatedAt: at(21, 9)},
	}
	api := o.Repo("api")
	api.Collaborators = []*fakegithub.Collaborator{{Login: "vendor-x", Permission: "admin", Outside: true}}
	web := o.Repo("web")
	web.Collaborators = []*fakegithub.Collaborator{{Login: "vendor-y", Permission: "pull", Outside: true}, {Login: "bob", Permission: "admin"}}
	o.Repo("old").Archived = true
}

func TestAccessScenario(t *testing.T) {
	e := newEnv(t, fakegithub.Admin, accessWorld)
	res := mustCollect(t, NewAccess(e.opts...), e.request())
	if !res.Provenance.Complete {
		t.Fatalf("incomplete: %v", res.Provenance.Notes)
	}
	d := res.Data.(*AccessData)
	if d.TwoFactorRequirementEnabled == nil || !*d.TwoFactorRequirementEnabled {
		t.Errorf("2fa requirement %v", d.TwoFactorRequirementEnabled)
	}
	if !reflect.DeepEqual(d.Owners, []string{"alice"}) || !reflect.DeepEqual(d.MembersWithout2FA, []string{"dave"}) ||
		!reflect.DeepEqual(d.OutsideWithout2FA, []string{"vendor-y"}) {
		t.Errorf("owners %v without 2fa %v / %v", d.Owners, d.MembersWithout2FA, d.OutsideWithout2FA)
	}
	if len(d.Members) != 5 || d.Members[0].Login != "alice" || d.Members[0].Role != "owner" || *d.Members[3].TwoFactor || !d.Members[4].Bot {
		t.Errorf("members %+v", d.Members)
	}
	wantOutside := []OutsideCollaborator{
		{Login: "vendor-x", Permission: "admin", Repos: []RepoPermission{{"acme/api", "admin"}}},
		{Login: "vendor-y", Permission: "read", Repos: []RepoPermission{{"acme/web", "read"}}},
	}
	if !reflect.DeepEqual(d.OutsideCollaborators, wantOutside) {
		t.Errorf("outside %+v", d.OutsideCollaborators)
	}
	var api RepoAccess
	for _, r := range d.Repositories {
		if r.Repo == "acme/api" {
			api = r
		}
		if r.Repo == "acme/old" {
			t.Error("archived repository in scope")
		}
	}
	wantAPI := []Collaborator{
		{Login: "alice", Permission: "admin", Teams: []string{}, Owner: true},
		{Login: "bob", Permission: "write", Teams: []string{"eng:write"}},
		{Login: "carol", Permission: "write", Teams: []string{"eng:write"}},
		{Login: "dave", Permission: "maintain", Teams: []string{"ops:maintain"}},
		{Login: "vendor-x", Permission: "admin", Direct: "admin", Teams: []string{}, Outside: true},
	}
	if !reflect.DeepEqual(api.Collaborators, wantAPI) {
		t.Errorf("api collaborators\n %+v\nwant\n %+v", api.Collaborators, wantAPI)
	}
	if !reflect.DeepEqual(api.Teams, []TeamGrant{{"eng", "write"}, {"ops", "maintain"}}) {
		t.Errorf("api teams %+v", api.Teams)
	}
	if len(api.Invitations) != 1 || api.Invitations[0].Login != "frank" || api.Invitations[0].Permission != "write" {
		t.Errorf("api invitations %+v", api.Invitations)
	}
	if len(d.Invitations) != 1 || d.Invitations[0].Login != "erin" || d.Invitations[0].Inviter != "alice" {
		t.Errorf("org invitations %+v", d.Invitations)
	}
	var eng TeamAccess
	for _, tm := range d.Teams {
		if tm.Slug == "eng" {
			eng = tm
		}
	}
	if !reflect.DeepEqual(eng.Members, []string{"bob", "carol"}) || !reflect.DeepEqual(eng.Maintainers, []string{"carol"}) ||
		!reflect.DeepEqual(eng.Repos, []RepoPermission{{"acme/api", "write"}, {"acme/web", "read"}}) {
		t.Errorf("team eng %+v", eng)
	}
	wantPriv := []Privilege{
		{"alice", "org", "owner", "organisation owner"},
		{"dave", "acme/api", "maintain", "team"},
		{"vendor-x", "acme/api", "admin", "direct"},
		{"bob", "acme/web", "admin", "direct"},
	}
	if !reflect.DeepEqual(d.Privileged, wantPriv) {
		t.Errorf("privileged\n %+v\nwant\n %+v", d.Privileged, wantPriv)
	}
}

func TestAccessNonOwnerToken(t *testing.T) {
	e := newEnv(t, fakegithub.Viewer{Login: "reader", RepoAdmin: true}, accessWorld)
	res := mustCollect(t, NewAccess(e.opts...), e.request())
	if res.Provenance.Complete {
		t.Fatal("complete although 2FA data is hidden")
	}
	m := asMap(t, res.Data)
	for _, k := range []string{"two_factor_requirement_enabled", "members_without_2fa", "outside_collaborators_without_2fa", "invitations"} {
		if v, ok := m[k]; !ok || v != nil {
			t.Errorf("%s = %v, want null", k, v)
		}
	}
	for _, mem := range m["members"].([]any) {
		if mem.(map[string]any)["two_factor"] != nil {
			t.Errorf("member 2FA reported without the filter: %v", mem)
		}
	}
}

// TestAccessRealdata decodes the published organisation, member, team,
// team member and collaborator examples.
func TestAccessRealdata(t *testing.T) {
	e := newEnv(t, fakegithub.Admin, func(w *fakegithub.World) {
		o := w.Org("octo-org")
		o.Teams = []*fakegithub.Team{{Slug: "justice-league", Name: "Justice League", Repos: map[string]string{"Hello-World": "admin"}}}
		r := o.Repo("Hello-World")
		r.DefaultBranch = "master"
	})
	if err := e.srv.LoadExamples(realdata, "octo-org", "Hello-World", "master"); err != nil {
		t.Fatal(err)
	}
	req := e.request()
	req.Source = &catalog.GitHubSource{ID: "ex", Org: "octo-org", Repos: []string{"Hello-World"}, APIURL: e.srv.URL(), TokenEnv: "TEST_GH_TOKEN"}
	res := mustCollect(t, NewAccess(e.opts...), req)
	d := res.Data.(*AccessData)
	// orgs--get.json: two_factor_requirement_enabled is true.
	if d.TwoFactorRequirementEnabled == nil || !*d.TwoFactorRequirementEnabled {
		t.Errorf("2fa %v", d.TwoFactorRequirementEnabled)
	}
	// orgs--list-members.json is one generic list served for every filter.
	if !reflect.DeepEqual(d.Owners, []string{"octocat"}) || !reflect.DeepEqual(d.MembersWithout2FA, []string{"octocat"}) {
		t.Errorf("owners %v, without 2fa %v", d.Owners, d.MembersWithout2FA)
	}
	// repos--list-collaborators.json: octocat with role_name "write".
	c := d.Repositories[0].Collaborators
	if len(c) != 1 || c[0].Login != "octocat" || c[0].Permission != "write" || !c[0].Owner {
		t.Errorf("collaborators %+v", c)
	}
	// repos--list-teams.json: justice-league with permission admin.
	if !reflect.DeepEqual(d.Repositories[0].Teams, []TeamGrant{{"justice-league", "admin"}}) {
		t.Errorf("repo teams %+v", d.Repositories[0].Teams)
	}
	// teams--list-members-in-org.json: octocat.
	if len(d.Teams) != 1 || !reflect.DeepEqual(d.Teams[0].Members, []string{"octocat"}) || d.Teams[0].Name != "Justice League" {
		t.Errorf("teams %+v", d.Teams)
	}
}

func TestAccessFaults(t *testing.T) {
	e := newEnv(t, fakegithub.Admin, accessWorld)
	e.srv.Inject(fakegithub.Fault{Path: "/orgs/acme/teams", Kind: fakegithub.Fault502, Times: 2})
	if res := mustCollect(t, NewAccess(e.opts...), e.request()); !res.Provenance.Complete {
		t.Errorf("incomplete after recovered 502s")
	}
	e.srv.Inject(fakegithub.Fault{Path: "/repos/acme/web/collaborators", Kind: fakegithub.Fault500})
	_, err := NewAccess(e.opts...).Collect(context.Background(), e.request())
	if collect.KindOf(err) != collect.KindTransient {
		t.Fatalf("err %v", err)
	}
}

func TestAccessContract(t *testing.T) {
	runContract(t, NewAccess, accessWorld)
}
