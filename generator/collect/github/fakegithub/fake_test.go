package fakegithub

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evident-project/evident/generator/collect/github/ghapi"
)

const realdata = "../../../../../shared/realdata/github"

var t0 = time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC)

func get(t *testing.T, s *Server, path, token, inm string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", s.URL()+strings.TrimPrefix(path, "/"), nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if inm != "" {
		req.Header.Set("If-None-Match", inm)
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func world() *World {
	w := NewWorld()
	o := w.Org("acme")
	o.Members = []*Member{{Login: "alice", Role: "admin", TwoFactor: true}, {Login: "bob", Role: "member"}}
	r := o.Repo("api")
	r.Branch("main").Protection = &Protection{RequiredApprovals: 2, ReviewsRequired: true, EnforceAdmins: true}
	for i := 0; i < 250; i++ {
		w.MergePR(r, PRSpec{Author: "bob", Approvers: []string{"alice"}, MergedAt: t0.Add(time.Duration(i) * time.Hour)})
	}
	return w
}

func TestPaginationCountsAndETags(t *testing.T) {
	s := New(world()).Start()
	defer s.Close()
	resp, b := get(t, s, "/repos/acme/api/pulls?state=closed&per_page=100", "", "")
	var page1 []map[string]any
	json.Unmarshal(b, &page1)
	if resp.StatusCode != 200 || len(page1) != 100 {
		t.Fatalf("status %d, %d items", resp.StatusCode, len(page1))
	}
	if l := resp.Header.Get("Link"); !strings.Contains(l, `page=2`) || !strings.Contains(l, `rel="next"`) || !strings.Contains(l, "/api/v3/repos/acme/api/pulls") {
		t.Errorf("link %q", l)
	}
	etag := resp.Header.Get("ETag")
	resp, _ = get(t, s, "/repos/acme/api/pulls?state=closed&per_page=100&page=3", "", "")
	if resp.Header.Get("Link") == "" || strings.Contains(resp.Header.Get("Link"), `rel="next"`) {
		t.Errorf("last page link %q", resp.Header.Get("Link"))
	}
	resp2, body := get(t, s, "/repos/acme/api/pulls?state=closed&per_page=100", "", etag)
	if resp2.StatusCode != 304 || len(body) != 0 {
		t.Fatalf("conditional request: %d %q", resp2.StatusCode, body)
	}
	if resp.Header.Get("X-RateLimit-Remaining") != "4998" || resp2.Header.Get("X-RateLimit-Remaining") != "4998" {
		t.Errorf("budget %s then %s: a 304 must not spend it", resp.Header.Get("X-RateLimit-Remaining"), resp2.Header.Get("X-RateLimit-Remaining"))
	}
	c := s.Counts()
	if c.Total != 3 || c.NotModified != 1 || c.ByPath["/repos/acme/api/pulls"] != 3 {
		t.Errorf("counts %+v", c)
	}
	// A change in the world changes the ETag.
	s.Update(func(w *World) { w.Orgs["acme"].Repo("api").Pulls[249].UpdatedAt = t0.Add(1000 * time.Hour) })
	if resp, _ := get(t, s, "/repos/acme/api/pulls?state=closed&per_page=100&sort=updated&direction=desc", "", etag); resp.StatusCode != 200 {
		t.Errorf("changed list answered %d", resp.StatusCode)
	}
}

func TestViewers(t *testing.T) {
	w := world()
	o := w.Orgs["acme"]
	o.Repo("api").Rulesets = []*Ruleset{{ID: 7, Name: "main", Target: "branch", Enforcement: "active", Include: []string{"~DEFAULT_BRANCH"},
		BypassActors: []BypassActor{{ActorID: 5, ActorType: "RepositoryRole", BypassMode: "always"}},
		Rules:        []Rule{{Type: "deletion"}}}}
	s := New(w).Start()
	defer s.Close()
	s.AddToken("admin", Admin)
	s.AddToken("reader", Viewer{Login: "reader"})
	if resp, _ := get(t, s, "/orgs/acme", "", ""); resp.StatusCode != 401 {
		t.Errorf("no token: %d", resp.StatusCode)
	}
	check := func(path, tok string, status int, has, lacks string) {
		t.Helper()
		resp, b := get(t, s, path, tok, "")
		if resp.StatusCode != status {
			t.Errorf("%s as %s: %d %s", path, tok, resp.StatusCode, b)
		}
		if has != "" && !strings.Contains(string(b), has) {
			t.Errorf("%s as %s lacks %s: %s", path, tok, has, b)
		}
		if lacks != "" && strings.Contains(string(b), lacks) {
			t.Errorf("%s as %s shows %s: %s", path, tok, lacks, b)
		}
	}
	check("/orgs/acme", "admin", 200, `"two_factor_requirement_enabled":true`, "")
	check("/orgs/acme", "reader", 200, "", "two_factor")
	check("/orgs/acme/members?filter=2fa_disabled", "admin", 200, "bob", "alice")
	check("/orgs/acme/members?filter=2fa_disabled", "reader", 422, "", "")
	check("/repos/acme/api/branches/main/protection", "admin", 200, `"required_approving_review_count":2`, "")
	check("/repos/acme/api/branches/main/protection", "reader", 404, `"Not Found"`, "")
	check("/repos/acme/api/branches/dev/protection", "admin", 404, "Branch not found", "")
	check("/repos/acme/api/rulesets/7", "admin", 200, `"bypass_actors":[{`, "")
	check("/repos/acme/api/rulesets/7", "reader", 200, `"rules"`, "bypass_actors")
	check("/repos/acme/api/rules/branches/main", "reader", 200, `"ruleset_id":7`, "")
	s.Update(func(w *World) { w.Orgs["acme"].Repo("api").Branch("dev") })
	check("/repos/acme/api/branches/dev/protection", "admin", 404, "Branch not protected", "")
}

func TestFaults(t *testing.T) {
	s := New(world()).Start()
	defer s.Close()
	s.Inject(Fault{Path: "/repos/acme/api/pulls/1/reviews", Kind: Fault502, Times: 1})
	s.Inject(Fault{Path: "/repos/acme/api/pulls/2*", Kind: FaultSecondary, RetryAfter: 3, Times: 1})
	s.Inject(Fault{Path: "/repos/acme/api/pulls/3", Kind: FaultTruncated})
	if resp, _ := get(t, s, "/repos/acme/api/pulls/1/reviews", "", ""); resp.StatusCode != 502 {
		t.Errorf("first: %d", resp.StatusCode)
	}
	if resp, _ := get(t, s, "/repos/acme/api/pulls/1/reviews", "", ""); resp.StatusCode != 200 {
		t.Errorf("second: %d", resp.StatusCode)
	}
	resp, _ := get(t, s, "/repos/acme/api/pulls/2/commits", "", "")
	if resp.StatusCode != 403 || resp.Header.Get("Retry-After") != "3" {
		t.Errorf("secondary: %d %v", resp.StatusCode, resp.Header)
	}
	resp, b := get(t, s, "/repos/acme/api/pulls/3", "", "")
	if resp.StatusCode != 200 || json.Valid(b) || len(b) == 0 {
		t.Errorf("truncated: %d valid=%v", resp.StatusCode, json.Valid(b))
	}
	if c := s.Counts(); c.Total != 4 {
		t.Errorf("counted %d requests, want 4", c.Total)
	}
}

func TestSlowFaultAndTransport(t *testing.T) {
	s := New(world())
	s.Inject(Fault{Path: "/orgs/acme", Kind: FaultSlow, Delay: 5 * time.Second})
	c, err := ghapi.New(ghapi.Config{BaseURL: "http://fake.invalid", Transport: s.Transport(), RequestTimeout: 50 * time.Millisecond, Retries: -1})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = c.Get(context.Background(), "orgs/acme", nil, new(map[string]any))
	if err == nil || !strings.Contains(err.Error(), "timed out") || time.Since(start) > 3*time.Second {
		t.Fatalf("slow answer: %v after %s", err, time.Since(start))
	}
	var repo map[string]any
	if err := c.Get(context.Background(), "repos/acme/api", nil, &repo); err != nil || repo["default_branch"] != "main" {
		t.Fatalf("in-process transport: %v %v", err, repo)
	}
}

func TestAppTokens(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	s := New(world()).Start()
	defer s.Close()
	s.AddApp(77, &key.PublicKey)
	creds, err := ghapi.NewAppInstallation(ghapi.AppConfig{AppID: 77, Org: "acme", BaseURL: s.URL(), Transport: s.Client().Transport,
		PrivateKeyPEM: pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := ghapi.New(ghapi.Config{BaseURL: s.URL(), Transport: s.Client().Transport, Credentials: creds})
	var org map[string]any
	if err := c.Get(context.Background(), "orgs/acme", nil, &org); err != nil || org["two_factor_requirement_enabled"] != true {
		t.Fatalf("%v %v", err, org)
	}
}

func TestExamplesServedVerbatim(t *testing.T) {
	s := New(nil).Start()
	defer s.Close()
	if err := s.LoadExamples(realdata, "octo-org", "Hello-World", "master"); err != nil {
		t.Fatal(err)
	}
	for file, path := range ExampleFiles("octo-org", "Hello-World", "master") {
		want, err := os.ReadFile(filepath.Join(realdata, file))
		if err != nil {
			t.Fatal(err)
		}
		resp, got := get(t, s, path+"?per_page=100", "", "")
		if resp.StatusCode != 200 || string(got) != string(want) {
			t.Errorf("%s at %s: %d, body differs", file, path, resp.StatusCode)
		}
	}
}

func TestMergePRWithGivenSHAs(t *testing.T) {
	w := NewWorld()
	r := w.Org("bank").Repo("ledger")
	head, merge := strings.Repeat("a", 40), strings.Repeat("b", 40)
	p := w.MergePR(r, PRSpec{Author: "bob", HeadSHA: head, MergeCommitSHA: merge, MergedAt: t0})
	if p.HeadSHA != head || p.MergeCommitSHA != merge || r.BranchLog["main"][0] != merge || r.Commits[head] == nil || len(r.CheckRuns[head]) != 1 {
		t.Fatalf("pull %+v", p)
	}
}
