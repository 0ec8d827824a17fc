package github

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/evident-project/evident/generator/catalog"
	"github.com/evident-project/evident/generator/collect"
	"github.com/evident-project/evident/generator/collect/collecttest"
	"github.com/evident-project/evident/generator/collect/github/fakegithub"
	"github.com/evident-project/evident/generator/period"
)

// realdata is GitHub's published examples, read in place.
const realdata = "../../../../shared/realdata/github"

const testToken = "ghp_testTokenValue0000000000000000000"

// q4 is the audit period of the scenarios: 2026-Q4.
var q4 = func() period.Period {
	p, err := period.Model{}.Parse("2026-Q4")
	if err != nil {
		panic(err)
	}
	return p
}()

// at is a time inside the period.
func at(day, hour int) time.Time { return time.Date(2026, 10, day, hour, 0, 0, 0, time.UTC) }

// sleeps records waits instead of sleeping.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeps) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

// env is a fake GitHub with the options that point collectors at it.
type env struct {
	t      testing.TB
	srv    *fakegithub.Server
	sleeps *sleeps
	opts   []Option
}

// newEnv starts a fake serving the world build makes, accepting testToken
// as viewer v.
func newEnv(t testing.TB, v fakegithub.Viewer, build func(w *fakegithub.World)) *env {
	t.Helper()
	w := fakegithub.NewWorld()
	if build != nil {
		build(w)
	}
	srv := fakegithub.New(w).Start()
	t.Cleanup(srv.Close)
	srv.AddToken(testToken, v)
	sl := &sleeps{}
	e := &env{t: t, srv: srv, sleeps: sl}
	e.opts = []Option{
		WithTransport(srv.Client().Transport),
		WithEnv(func(k string) (string, bool) { return testToken, k == "TEST_GH_TOKEN" }),
		WithSleep(sl.sleep),
		WithRetries(3, time.Millisecond),
		WithRequestTimeout(2 * time.Second),
	}
	return e
}

// source is the catalog source for org acme on the fake.
func (e *env) source(repos ...string) *catalog.GitHubSource {
	return &catalog.GitHubSource{ID: "gh", Org: "acme", Repos: repos, APIURL: e.srv.URL(), TokenEnv: "TEST_GH_TOKEN"}
}

func (e *env) request(repos ...string) collect.Request {
	return collect.Request{Source: e.source(repos...), SourceID: "gh", Period: q4, Now: time.Date(2027, 1, 2, 0, 0, 0, 0, time.UTC), BaseDir: e.t.TempDir()}
}

// collect runs c and fails the test on error.
func mustCollect(t *testing.T, c collect.Collector, req collect.Request) *collect.Result {
	t.Helper()
	res, err := c.Collect(context.Background(), req)
	if err != nil {
		t.Fatalf("collect: %v", err)
	}
	return res
}

// asMap round-trips data through JSON, as the evidence store will, so
// tests see nulls and field names exactly as assertions will.
func asMap(t *testing.T, v any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func hasNote(p collect.Provenance, sub string) bool {
	for _, n := range p.Notes {
		if strings.Contains(n, sub) {
			return true
		}
	}
	return false
}

// org gives the standard org: alice (owner), bob, carol, dave members.
func stdOrg(w *fakegithub.World) *fakegithub.Org {
	o := w.Org("acme")
	o.Members = []*fakegithub.Member{
		{Login: "alice", Role: "admin", TwoFactor: true},
		{Login: "bob", Role: "member", TwoFactor: true},
		{Login: "carol", Role: "member", TwoFactor: true},
		{Login: "dave", Role: "member", TwoFactor: true},
	}
	return o
}

func ptr[T any](v T) *T { return &v }

// runContract runs the collecttest contract. Each request gets a fresh
// fake of the same world, so both collections of the determinism check
// read an identical source; collectors get options that fit any fake.
func runContract(t *testing.T, newC func(...Option) collect.Collector, build func(*fakegithub.World)) {
	opts := []Option{
		WithEnv(func(k string) (string, bool) { return testToken, k == "TEST_GH_TOKEN" }),
		WithRetries(1, time.Millisecond), WithRequestTimeout(5 * time.Second),
	}
	collecttest.Run(t, collecttest.Suite{
		New: func() collect.Collector { return newC(opts...) },
		Request: func(t *testing.T) collect.Request {
			return newEnv(t, fakegithub.Admin, build).request()
		},
		Failing: func(t *testing.T) map[collect.ErrorKind]collect.Request {
			e := newEnv(t, fakegithub.Admin, build)
			missing := e.request("no-such-repo")
			bad := e.request()
			bad.Params = map[string]any{"no_such_param": true}
			noToken := e.request()
			src := e.source()
			src.TokenEnv = "EVIDENT_UNSET_TOKEN_VARIABLE"
			noToken.Source = src
			return map[collect.ErrorKind]collect.Request{
				collect.KindNotFound:   missing,
				collect.KindInvalid:    bad,
				collect.KindPermission: noToken,
			}
		},
	})
}
