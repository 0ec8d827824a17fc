package rbac

import (
	"slices"
	"testing"
)

func TestParseSubject(t *testing.T) {
	good := []struct {
		in   string
		want SubjectRef
	}{
		{"user:alice@example.com", SubjectRef{Kind: KindUser, Name: "alice@example.com"}},
		{"user:system:kube-scheduler", SubjectRef{Kind: KindUser, Name: "system:kube-scheduler"}},
		{"group:system:masters", SubjectRef{Kind: KindGroup, Name: "system:masters"}},
		{"serviceaccount:kube-system:default", SubjectRef{Kind: KindServiceAccount, Namespace: "kube-system", Name: "default"}},
	}
	for _, c := range good {
		got, err := ParseSubject(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseSubject(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
		}
		if s := got.String(); s != c.in {
			t.Errorf("String() = %q, want %q", s, c.in)
		}
	}
	for _, in := range []string{"", "alice", "user:", "group:", "User:alice", "serviceaccount:ns", "serviceaccount::x", "serviceaccount:ns:", "serviceaccount:ns:a:b", "sa:ns:x"} {
		if got, err := ParseSubject(in); err == nil {
			t.Errorf("ParseSubject(%q) = %+v, want an error", in, got)
		}
	}
}

func TestRequestor(t *testing.T) {
	cases := []struct {
		ref    SubjectRef
		user   string
		groups []string
	}{
		{SubjectRef{Kind: KindServiceAccount, Namespace: "ns", Name: "app"}, "system:serviceaccount:ns:app", l("system:serviceaccounts", "system:serviceaccounts:ns", "system:authenticated")},
		{SubjectRef{Kind: KindUser, Name: "alice"}, "alice", l("system:authenticated")},
		{SubjectRef{Kind: KindUser, Name: "system:anonymous"}, "system:anonymous", l("system:unauthenticated")},
		{SubjectRef{Kind: KindGroup, Name: "ops"}, "", l("ops", "system:authenticated")},
		{SubjectRef{Kind: KindGroup, Name: "system:unauthenticated"}, "", l("system:unauthenticated")},
		{SubjectRef{Kind: KindGroup, Name: "system:authenticated"}, "", l("system:authenticated")},
	}
	for _, c := range cases {
		u, g := c.ref.Requestor()
		if u != c.user || !slices.Equal(g, c.groups) {
			t.Errorf("%v.Requestor() = %q %q, want %q %q", c.ref, u, g, c.user, c.groups)
		}
	}
}

func TestCategory(t *testing.T) {
	cases := map[string]string{
		"user:alice":                          CategoryUser,
		"user:system:kube-controller-manager": CategorySystem,
		"user:system:anonymous":               CategorySystem,
		"group:ops":                           CategoryGroup,
		"group:system:masters":                CategorySystem,
		"group:system:nodes":                  CategorySystem,
		"group:system:authenticated":          CategoryEveryone,
		"group:system:unauthenticated":        CategoryEveryone,
		"group:system:serviceaccounts":        CategoryServiceAccountGroup,
		"group:system:serviceaccounts:ns":     CategoryServiceAccountGroup,
		"serviceaccount:kube-system:default":  CategoryServiceAccount,
	}
	for in, want := range cases {
		ref, err := ParseSubject(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := ref.Category(); got != want {
			t.Errorf("%s: Category() = %q, want %q", in, got, want)
		}
	}
}
