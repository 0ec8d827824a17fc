package gitrepo

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evident-project/evident/generator/catalog"
	"github.com/evident-project/evident/generator/collect"
	"github.com/evident-project/evident/generator/collect/collecttest"
	"github.com/evident-project/evident/generator/gitsig"
)

func TestContract(t *testing.T) {
	collecttest.Run(t, collecttest.Suite{
		New: New,
		Request: func(t *testing.T) collect.Request {
			return getFixture(t).request(t)
		},
		Failing: func(t *testing.T) map[collect.ErrorKind]collect.Request {
			f := getFixture(t)
			missing := f.request(t)
			missing.Source = &catalog.GitSource{ID: "gone", Path: "no-such-repo"}
			bad := f.request(t)
			bad.Params = map[string]any{"depth": 3}
			return map[collect.ErrorKind]collect.Request{
				collect.KindNotFound: missing,
				collect.KindInvalid:  bad,
			}
		},
	})
}

// TestTypedErrors covers every failure the collector reports, beyond the
// one-per-kind the contract takes.
func TestTypedErrors(t *testing.T) {
	f := getFixture(t)
	garbage := filepath.Join(f.dir, "garbage.asc")
	if err := os.WriteFile(garbage, []byte("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nnot base64 at all!\n-----END PGP PUBLIC KEY BLOCK-----\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	badSigners := filepath.Join(f.dir, "bad_signers")
	if err := os.WriteFile(badSigners, []byte("alice@example.com valid-after=20260101 ssh-ed25519 AAAA\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	src := func(mut func(*catalog.GitSource)) *catalog.GitSource {
		s := &catalog.GitSource{ID: "fixture", Path: f.repo, TrustedKeys: catalog.TrustedKeys{PGP: f.pgpFiles, SSHAllowedSigners: f.sshFiles}}
		mut(s)
		return s
	}
	cases := []struct {
		name string
		src  any
		mut  func(*collect.Request)
		want collect.ErrorKind
		msg  string
	}{
		{"missing path", src(func(s *catalog.GitSource) { s.Path = "nope" }), nil, collect.KindNotFound, "collect git fixture: open repository"},
		{"not a repository", src(func(s *catalog.GitSource) { s.Path = "keys" }), nil, collect.KindNotFound, "open repository"},
		{"missing branch", src(func(s *catalog.GitSource) { s.Branch = "release" }), nil, collect.KindNotFound, "resolve branch release"},
		{"missing keyring", src(func(s *catalog.GitSource) { s.TrustedKeys.PGP = []string{"keys/none.asc"} }), nil, collect.KindInvalid, "read pgp keyring keys/none.asc"},
		{"malformed keyring", src(func(s *catalog.GitSource) { s.TrustedKeys.PGP = []string{"garbage.asc"} }), nil, collect.KindInvalid, "parse pgp keyring garbage.asc"},
		{"keyring with no keys", src(func(s *catalog.GitSource) { s.TrustedKeys.PGP = []string{"allowed_signers"} }), nil, collect.KindInvalid, "parse pgp keyring"},
		{"malformed allowed signers", src(func(s *catalog.GitSource) { s.TrustedKeys.SSHAllowedSigners = []string{"bad_signers"} }), nil, collect.KindInvalid, "bad_signers:1"},
		{"missing allowed signers", src(func(s *catalog.GitSource) { s.TrustedKeys.SSHAllowedSigners = []string{"nope"} }), nil, collect.KindInvalid, "read ssh allowed signers nope"},
		{"wrong source", &catalog.GitHubSource{ID: "gh"}, nil, collect.KindInvalid, "want a git source"},
		{"no path or url", src(func(s *catalog.GitSource) { s.Path = "" }), nil, collect.KindInvalid, "neither path nor url"},
		{"params", src(func(*catalog.GitSource) {}), func(r *collect.Request) { r.Params = map[string]any{"since": "x"} }, collect.KindInvalid, "unknown parameters [since]"},
		{"no period", src(func(*catalog.GitSource) {}), func(r *collect.Request) { r.Period.ID = "" }, collect.KindInvalid, "no audit period"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := f.request(t)
			req.Source = tc.src
			if tc.mut != nil {
				tc.mut(&req)
			}
			_, err := New().Collect(context.Background(), req)
			var ce *collect.Error
			if !errors.As(err, &ce) {
				t.Fatalf("error %v (%T) is not a *collect.Error", err, err)
			}
			if ce.Kind != tc.want {
				t.Errorf("kind %s, want %s: %v", ce.Kind, tc.want, err)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not mention %q", err, tc.msg)
			}
			// Errors end up in evidence: they must not depend on where the
			// config was checked out.
			if strings.Contains(err.Error(), f.dir) {
				t.Errorf("error %q names the absolute base directory", err)
			}
		})
	}
}

// TestCanceledDuringWalk cancels from inside the walk: the loop, not only
// the entry check, must notice.
func TestCanceledDuringWalk(t *testing.T) {
	f := getFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req := f.request(t)
	w := walker{repo: nil, period: req.Period, now: testNow}
	repo, _, err := openRepo(ctx, f.dir, req.Source.(*catalog.GitSource), "main")
	if err != nil {
		t.Fatal(err)
	}
	w.repo = repo
	w.trust = gitsig.NewTrust(testNow)
	ref, err := repo.Head()
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, _, _, err := w.walk(ctx, ref.Hash()); !errors.Is(err, context.Canceled) {
		t.Fatalf("walk with a canceled context: %v", err)
	}
}

func TestDataShape(t *testing.T) {
	f := getFixture(t)
	data, res := collectData(t, f.request(t))
	if data.Repository.ID != "fixture" || data.Repository.Path != "repo" || data.Repository.Branch != "main" || len(data.Repository.Head) != 40 {
		t.Errorf("repository %+v", data.Repository)
	}
	if data.Period != testPeriodID {
		t.Errorf("period %q", data.Period)
	}
	// Newest committer date first, ties by sha.
	for i := 1; i < len(data.Commits); i++ {
		a, b := data.Commits[i-1], data.Commits[i]
		if a.Committer.Date < b.Committer.Date || (a.Committer.Date == b.Committer.Date && a.SHA > b.SHA) {
			t.Errorf("commits out of order at %d: %s %s, %s %s", i, a.Committer.Date, a.SHA, b.Committer.Date, b.SHA)
		}
	}
	s := data.Summary
	n := len(data.Commits)
	if s.Commits != n || s.Merges != 1 {
		t.Errorf("summary commits %d merges %d, want %d and 1", s.Commits, s.Merges, n)
	}
	total := 0
	for _, st := range Statuses {
		if _, ok := s.ByStatus[st]; !ok {
			t.Errorf("by_status lacks %s", st)
		}
		total += s.ByStatus[st]
	}
	if total != n || s.Verified != s.ByStatus[StatusVerified] || len(s.Unverified) != n-s.Verified || len(s.Unsigned) != n-s.Signed {
		t.Errorf("summary inconsistent: %+v", s)
	}
	if want := pct(s.Verified, n); s.VerifiedPct != want || want == 0 {
		t.Errorf("verified_pct %v, want %v", s.VerifiedPct, want)
	}

	// The JSON field names are the contract with assertions.
	b, err := json.Marshal(data)
	if err != nil {
		t.Fatal(err)
	}
	var generic map[string]any
	if err := json.Unmarshal(b, &generic); err != nil {
		t.Fatal(err)
	}
	commit := generic["commits"].([]any)[0].(map[string]any)
	for _, k := range []string{"sha", "author", "committer", "parents", "merge", "subject", "signature"} {
		if _, ok := commit[k]; !ok {
			t.Errorf("commit JSON lacks %q", k)
		}
	}
	sig := commit["signature"].(map[string]any)
	for _, k := range []string{"kind", "status", "signer", "key", "signed_at", "key_expired_at", "verified_at_signing", "note"} {
		if _, ok := sig[k]; !ok {
			t.Errorf("signature JSON lacks %q", k)
		}
	}
	sum := generic["summary"].(map[string]any)
	for _, k := range []string{"commits", "merges", "signed", "verified", "signed_pct", "verified_pct", "by_status", "unsigned", "unverified"} {
		if _, ok := sum[k]; !ok {
			t.Errorf("summary JSON lacks %q", k)
		}
	}
	for _, k := range []string{"name", "email", "date"} {
		if _, ok := commit["author"].(map[string]any)[k]; !ok {
			t.Errorf("author JSON lacks %q", k)
		}
	}

	// Provenance: the reads name the repository, branch, walk and each key
	// file with its digest.
	p := res.Provenance
	if p.Records["commits"] != n || !p.Complete {
		t.Errorf("provenance records %v complete %v", p.Records, p.Complete)
	}
	if p.Source["id"] != "fixture" || p.Source["path"] != "repo" || p.Source["branch"] != "main" {
		t.Errorf("provenance source %v", p.Source)
	}
	methods := map[string]collect.Read{}
	for _, r := range p.Reads {
		methods[r.Method+" "+r.Target] = r
	}
	for _, key := range append(append([]string{}, f.pgpFiles...), f.sshFiles...) {
		b, err := os.ReadFile(filepath.Join(f.dir, key))
		if err != nil {
			t.Fatal(err)
		}
		if r, ok := methods["read "+key]; !ok || r.Status != "sha256:"+sha256Hex(b) || r.Count == 0 {
			t.Errorf("no read of %s with its digest: %+v", key, r)
		}
	}
	if _, ok := methods["open repo"]; !ok {
		t.Errorf("no open read: %+v", p.Reads)
	}
	if _, ok := methods["resolve refs/heads/main"]; !ok {
		t.Errorf("no resolve read: %+v", p.Reads)
	}
	if r, ok := methods["walk "+data.Repository.Head]; !ok || r.Count != n+1 {
		t.Errorf("walk read %+v, want %d commits walked (one is before the period)", r, n+1)
	}
}

func TestNoTrustedKeys(t *testing.T) {
	f := getFixture(t)
	req := f.request(t)
	req.Source = &catalog.GitSource{ID: "fixture", Path: f.repo}
	data, res := collectData(t, req)
	for _, c := range data.Commits {
		if c.Signature.Status == StatusVerified {
			t.Errorf("%q verified with no trusted keys", c.Subject)
		}
	}
	if !strings.Contains(strings.Join(res.Provenance.Notes, "\n"), "no trusted keys declared") {
		t.Errorf("notes do not say no keys were declared: %v", res.Provenance.Notes)
	}
}

func TestEmptyPeriod(t *testing.T) {
	f := getFixture(t)
	req := f.request(t)
	req.Period.Start = req.Period.Start.AddDate(5, 0, 0)
	req.Period.End = req.Period.End.AddDate(5, 0, 0)
	data, _ := collectData(t, req)
	b, _ := json.Marshal(data.Summary)
	if len(data.Commits) != 0 || data.Summary.SignedPct != 0 || !strings.Contains(string(b), `"unsigned":[]`) {
		t.Errorf("empty period: %s", b)
	}
	if b, _ := json.Marshal(data); !strings.Contains(string(b), `"commits":[]`) {
		t.Errorf("commits should be an empty list, not null: %s", b)
	}
}

func TestPct(t *testing.T) {
	for _, tc := range []struct {
		n, total int
		want     float64
	}{{0, 0, 0}, {1, 3, 33.3}, {2, 3, 66.7}, {3, 3, 100}, {1, 8, 12.5}} {
		if got := pct(tc.n, tc.total); got != tc.want {
			t.Errorf("pct(%d, %d) = %v, want %v", tc.n, tc.total, got, tc.want)
		}
	}
}

// TestCloneURL clones the fixture over smart HTTP (git http-backend behind
// httptest) into memory and expects the same evidence as the local path.
func TestCloneURL(t *testing.T) {
	f := getFixture(t)
	gitPath, err := exec.LookPath("git")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(&cgi.Handler{
		Path:   gitPath,
		Args:   []string{"http-backend"},
		Env:    []string{"GIT_PROJECT_ROOT=" + f.dir, "GIT_HTTP_EXPORT_ALL=1", "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1"},
		Stderr: io.Discard,
	})
	defer srv.Close()

	local, _ := collectData(t, f.request(t))
	req := f.request(t)
	src := *req.Source.(*catalog.GitSource)
	src.Path, src.URL = "", srv.URL+"/repo"
	req.Source = &src
	remote, res := collectData(t, req)
	if remote.Repository.URL != src.URL || remote.Repository.Path != "" || res.Provenance.Source["url"] != src.URL {
		t.Errorf("repository %+v, provenance source %v", remote.Repository, res.Provenance.Source)
	}
	a, _ := json.Marshal(local.Commits)
	b, _ := json.Marshal(remote.Commits)
	if string(a) != string(b) {
		t.Errorf("cloned commits differ from the local ones")
	}

	src.URL = srv.URL + "/nope"
	_, err = New().Collect(context.Background(), req)
	if k := collect.KindOf(err); k != collect.KindNotFound {
		t.Errorf("clone of a missing repository: kind %s: %v", k, err)
	}
}
