package github

import (
	"context"
	"reflect"
	"testing"

	"github.com/evident-project/evident/generator/catalog"
	"github.com/evident-project/evident/generator/collect"
	"github.com/evident-project/evident/generator/collect/github/fakegithub"
)

func codeownersWorld(w *fakegithub.World) {
	o := stdOrg(w)
	o.Repo("api").CodeownersPath = ".github/CODEOWNERS"
	web := o.Repo("web")
	web.CodeownersPath = "docs/CODEOWNERS"
	web.CodeownersErrors = []fakegithub.CodeownersError{{Line: 2, Column: 7, Kind: "Unknown owner", Source: "*.go @ghost", Message: "Unknown owner on line 2"}}
	o.Repo("scratch")
}

func TestCodeownersScenario(t *testing.T) {
	e := newEnv(t, fakegithub.Admin, codeownersWorld)
	res := mustCollect(t, NewCodeowners(e.opts...), e.request())
	d := res.Data.(*CodeownersData)
	want := []CodeownersState{
		{Repo: "acme/api", Branch: "main", Exists: true, Path: ".github/CODEOWNERS", AlsoPresent: []string{}, Errors: []CodeownersError{}, Valid: true},
		{Repo: "acme/scratch", Branch: "main", AlsoPresent: []string{}, Errors: []CodeownersError{}},
		{Repo: "acme/web", Branch: "main", Exists: true, Path: "docs/CODEOWNERS", AlsoPresent: []string{},
			Errors: []CodeownersError{{Line: 2, Column: 7, Kind: "Unknown owner", Source: "*.go @ghost", Message: "Unknown owner on line 2", Path: "docs/CODEOWNERS"}}},
	}
	if !reflect.DeepEqual(d.Repositories, want) {
		t.Errorf("codeowners\n %+v\nwant\n %+v", d.Repositories, want)
	}
	if res.Provenance.Records["valid"] != 1 || !res.Provenance.Complete {
		t.Errorf("provenance %+v", res.Provenance)
	}
}

// TestCodeownersRealdata decodes the published codeowners-errors example.
func TestCodeownersRealdata(t *testing.T) {
	e := newEnv(t, fakegithub.Admin, func(w *fakegithub.World) {
		r := w.Org("octo-org").Repo("Hello-World")
		r.DefaultBranch = "master"
		r.CodeownersPath = ".github/CODEOWNERS"
	})
	if err := e.srv.LoadExamples(realdata, "octo-org", "Hello-World", "master"); err != nil {
		t.Fatal(err)
	}
	req := e.request()
	req.Source = &catalog.GitHubSource{ID: "ex", Org: "octo-org", Repos: []string{"Hello-World"}, APIURL: e.srv.URL(), TokenEnv: "TEST_GH_TOKEN"}
	res := mustCollect(t, NewCodeowners(e.opts...), req)
	got := res.Data.(*CodeownersData).Repositories[0]
	want := []CodeownersError{
		{Line: 3, Column: 1, Kind: "Invalid pattern", Source: "***/*.rb @monalisa", Suggestion: "Did you mean `**/*.rb`?",
			Message: "Invalid pattern on line 3: Did you mean `**/*.rb`?\n\n  ***/*.rb @monalisa\n  ^", Path: ".github/CODEOWNERS"},
		{Line: 7, Column: 7, Kind: "Invalid owner", Source: "*.txt docs@", Message: "Invalid owner on line 7:\n\n  *.txt docs@\n        ^", Path: ".github/CODEOWNERS"},
	}
	if !got.Exists || got.Valid || !reflect.DeepEqual(got.Errors, want) {
		t.Errorf("codeowners from the example\n %+v\nwant errors\n %+v", got, want)
	}
}

func TestCodeownersFaults(t *testing.T) {
	e := newEnv(t, fakegithub.Admin, codeownersWorld)
	e.srv.Inject(fakegithub.Fault{Path: "/repos/acme/web/codeowners/errors", Kind: fakegithub.FaultShortBody, Times: 1})
	if res := mustCollect(t, NewCodeowners(e.opts...), e.request()); len(res.Data.(*CodeownersData).Repositories[2].Errors) != 1 {
		t.Error("errors lost after a recovered short body")
	}
	e.srv.Inject(fakegithub.Fault{Path: "/repos/acme/api/contents/*", Kind: fakegithub.Fault500})
	if _, err := NewCodeowners(e.opts...).Collect(context.Background(), e.request()); collect.KindOf(err) != collect.KindTransient {
		t.Fatalf("err %v", err)
	}
}

func TestCodeownersContract(t *testing.T) {
	runContract(t, NewCodeowners, codeownersWorld)
}
