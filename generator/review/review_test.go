package review

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func g(principal, system, scope, right string) Grant {
	return Grant{Principal: principal, System: system, Scope: scope, Right: right}
}

func TestDiff(t *testing.T) {
	prev := []Grant{
		g("alice", "GitHub acme", "acme/api", "admin"),
		g("bob", "GitHub acme", "organisation", "owner"),
		g("carol", "GitHub acme", "acme/web", "maintain"),
	}
	cur := []Grant{
		g("alice", "GitHub acme", "acme/api", "maintain"),
		g("carol", "GitHub acme", "acme/web", "maintain"),
		g("dave", "Kubernetes prod", "cluster", "cluster-admin"),
	}
	var got []string
	for _, c := range Diff(prev, cur) {
		got = append(got, string(c.Kind)+" "+c.Grant.Principal+" "+c.Grant.Right+" was="+strings.Join(c.Was, ","))
	}
	want := []string{
		"permission changed alice maintain was=admin",
		"added dave cluster-admin was=",
		"removed bob owner was=",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Diff = %q, want %q", got, want)
	}
	if d := Diff(cur, cur); len(d) != 0 {
		t.Errorf("Diff of a population with itself = %v", d)
	}
}

func TestParseNamesEveryProblem(t *testing.T) {
	f := Parse("access-reviews/2026-Q4.yaml", []byte(`period: 2026-Q4
decisions:
  - principal: alice
    access: "GitHub acme: admin on acme/api"
    decision: keep
    reviewer: bob
    date: 2026-10-02
  - principal: carol
    access: x
    decision: maybe
    reviewer: bob
    date: 2026-10-02
  - principal: dave
    access: y
    decision: revoke
    reviewer: bob
    date: 02/10/2026
  - principal: erin
    access: z
    decison: keep
  - principal: frank
    access: w
    decision: keep
`))
	want := []string{
		`access-reviews/2026-Q4.yaml:10:15: decision "maybe": want keep or revoke (or empty while undecided)`,
		`access-reviews/2026-Q4.yaml:17:11: date "02/10/2026": want YYYY-MM-DD`,
		`access-reviews/2026-Q4.yaml:20:5: unknown field "decison" (want principal, access, decision, reviewer, date, note)`,
		`access-reviews/2026-Q4.yaml:21:5: the keep decision on frank needs a reviewer and a date`,
	}
	if !reflect.DeepEqual(f.Problems, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(f.Problems, "\n"), strings.Join(want, "\n"))
	}
	if f.Period != "2026-Q4" || len(f.Decisions) != 2 || f.Decisions[0].Principal != "alice" || f.Decisions[1].Principal != "frank" {
		t.Errorf("period %q, decisions %+v", f.Period, f.Decisions)
	}
	if f.Decisions[1].Decided() {
		t.Error("a keep without reviewer and date counts as decided")
	}
	for _, bad := range []string{"", "[1, 2]", "period: x\n", "decisions: 3\n", "a: [\n"} {
		if p := Parse("r.yaml", []byte(bad)).Problems; len(p) == 0 || !strings.HasPrefix(p[0], "r.yaml:") {
			t.Errorf("Parse(%q) problems = %q, want one naming the file", bad, p)
		}
	}
}

func TestSelfReview(t *testing.T) {
	for _, c := range []struct {
		principal, reviewer string
		self                bool
	}{
		{"alice", "alice", true},
		{"alice", "Alice ", true},
		{"user:alice@bank.example", "alice", true},
		{"alice", "alice@bank.example", true},
		{"alice", "bob", false},
		{"group:alice", "alice", false},
		{"alice", "", false},
	} {
		if got := (Decision{Principal: c.principal, Reviewer: c.reviewer}).SelfReview(); got != c.self {
			t.Errorf("principal %q reviewer %q: self = %t, want %t", c.principal, c.reviewer, got, c.self)
		}
	}
}

func file(period string, ds ...Decision) *File { return &File{Period: period, Decisions: ds} }

func dec(p Grant, decision, reviewer, date string) Decision {
	return Decision{Principal: p.Principal, Access: p.Access(), Decision: decision, Reviewer: reviewer, Date: date}
}

func TestCompute(t *testing.T) {
	admin := g("alice", "GitHub acme", "acme/api", "admin")
	owner := g("bob", "GitHub acme", "organisation", "owner")
	ca := g("user:carol@acme", "Kubernetes prod", "cluster", "cluster-admin")
	asOf := time.Date(2026, 10, 16, 6, 0, 0, 0, time.UTC)
	base := Input{Period: "2026-Q4", Population: []Grant{admin, owner, ca}, AsOf: asOf, PreviousPeriod: "2026-Q3", Previous: []Grant{admin, owner}}

	t.Run("complete", func(t *testing.T) {
		in := base
		in.File = file("2026-Q4", dec(admin, "keep", "bob", "2026-10-02"), dec(owner, "keep", "alice", "2026-10-03"), dec(ca, "keep", "bob", "2026-10-01"))
		r := Compute(in)
		if !r.Complete || r.CompletedOn != "2026-10-03" || r.Decided != 3 || r.Self != 0 || r.Unknown != "" || len(r.Open) != 0 {
			t.Errorf("review = %+v", r)
		}
		if len(r.Changes) != 1 || r.Changes[0].Kind != Added || r.Changes[0].Grant.Principal != ca.Principal {
			t.Errorf("changes = %+v", r.Changes)
		}
	})
	t.Run("partial, self-review, stale", func(t *testing.T) {
		in := base
		in.File = file("2026-Q4", dec(admin, "keep", "alice", "2026-10-02"), dec(g("zed", "GitHub acme", "organisation", "owner"), "keep", "bob", "2026-10-02"))
		r := Compute(in)
		if r.Complete || r.Decided != 1 || r.Self != 1 || !r.Rows[0].Self || len(r.Stale) != 1 || r.Stale[0].Principal != "zed" {
			t.Errorf("review = %+v", r)
		}
	})
	t.Run("revocations", func(t *testing.T) {
		in := base
		// Q3 revoked the owner and it is still there: open. Q4 revokes it
		// again (one access, one open revocation) and revokes cluster-admin
		// today (pending until the next snapshot).
		in.PreviousFile = file("2026-Q3", dec(owner, "revoke", "alice", "2026-07-20"))
		in.File = file("2026-Q4", dec(owner, "revoke", "alice", "2026-10-02"), dec(ca, "revoke", "bob", "2026-10-16"))
		r := Compute(in)
		if len(r.Open) != 1 || r.Open[0].Period != "2026-Q3" || r.Open[0].Grant.Principal != "bob" {
			t.Errorf("open = %+v", r.Open)
		}
		if len(r.Pending) != 1 || r.Pending[0].Grant.Principal != ca.Principal {
			t.Errorf("pending = %+v", r.Pending)
		}
		if r.Revoked != 2 {
			t.Errorf("revoked = %d, want 2", r.Revoked)
		}
		// Once the access is gone, nothing is open.
		in.Population = []Grant{admin, ca}
		if r := Compute(in); len(r.Open) != 0 {
			t.Errorf("after removal, open = %+v", r.Open)
		}
	})
	t.Run("unknown, never complete", func(t *testing.T) {
		for name, edit := range map[string]func(*Input){
			"no file":          func(in *Input) {},
			"population":       func(in *Input) { in.Problem = "token lacks read:org" },
			"files unreadable": func(in *Input) { in.FilesMissing = "collector error" },
			"empty population": func(in *Input) { in.Population = nil; in.File = file("2026-Q4") },
		} {
			in := base
			edit(&in)
			if r := Compute(in); r.Unknown == "" || r.Complete {
				t.Errorf("%s: unknown %q, complete %t", name, r.Unknown, r.Complete)
			}
		}
	})
}

func TestStartRoundTrips(t *testing.T) {
	admin := g("alice", "GitHub acme", "acme/api", "admin")
	odd := g(`"x: y" #1`, "GitHub acme", "organisation", "owner")
	prev := file("2026-Q3", dec(admin, "keep", "bob", "2026-07-02"))
	keep := file("2026-Q4", dec(odd, "revoke", "bob", "2026-10-02"))
	b, err := Start("2026-Q4", []Grant{odd, admin}, keep, prev)
	if err != nil {
		t.Fatal(err)
	}
	f := Parse("access-reviews/2026-Q4.yaml", b)
	if len(f.Problems) != 0 || f.Period != "2026-Q4" || len(f.Decisions) != 2 {
		t.Fatalf("parsed back: %+v\n%s", f, b)
	}
	byP := map[string]Decision{}
	for _, d := range f.Decisions {
		byP[d.Principal] = d
	}
	if d := byP[odd.Principal]; d.Access != odd.Access() || d.Decision != "revoke" || d.Reviewer != "bob" {
		t.Errorf("kept decision = %+v", d)
	}
	if d := byP["alice"]; d.Decision != "" || d.Reviewer != "" {
		t.Errorf("the previous quarter's decision was copied: %+v", d)
	}
	if !strings.Contains(string(b), "2026-Q3: keep by bob on 2026-07-02") {
		t.Errorf("no hint of the previous decision:\n%s", b)
	}
}
