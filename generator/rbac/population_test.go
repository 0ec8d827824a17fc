package rbac

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestAuthorizeAny(t *testing.T) {
	inv := &Inventory{
		ClusterRoles: []Role{
			{Name: "named-delete", Rules: []Rule{{Verbs: l("delete"), APIGroups: l(""), Resources: l("configmaps"), ResourceNames: l("lock")}}},
			{Name: "status", Rules: []Rule{rule(l("patch"), l("apps"), l("deployments/status"))}},
			{Name: "reader", Rules: []Rule{rule(l("get", "list"), l("*"), l("*"))}},
			{Name: "metrics", Rules: []Rule{{Verbs: l("get"), NonResourceURLs: l("/metrics")}}},
			{Name: "scale", Rules: []Rule{rule(l("update"), l("apps"), l("*/scale"))}},
		},
		ClusterRoleBindings: []Binding{crb("reader", "reader", user("u")), crb("metrics", "metrics", user("u"))},
		RoleBindings: []Binding{
			rb("ns1", "named-delete", "ClusterRole", "named-delete", user("u")),
			rb("ns2", "status", "ClusterRole", "status", user("u")),
			rb("ns2", "scale", "ClusterRole", "scale", user("u")),
		},
	}
	e := New(inv)
	cases := []struct {
		name    string
		req     Request
		binding string // "" = denied
	}{
		{"delete anything anywhere", Request{Verb: "delete", APIGroup: all, Resource: all, Namespace: all}, "RoleBinding/ns1/named-delete"},
		{"delete anything cluster-wide", Request{Verb: "delete", APIGroup: all, Resource: all}, ""},
		{"delete anything in ns1", Request{Verb: "delete", APIGroup: all, Resource: all, Namespace: "ns1"}, "RoleBinding/ns1/named-delete"},
		{"delete anything in ns2", Request{Verb: "delete", APIGroup: all, Resource: all, Namespace: "ns2"}, ""},
		{"delete another name", Request{Verb: "delete", APIGroup: all, Resource: all, Namespace: all, Name: "other"}, ""},
		{"delete that name", Request{Verb: "delete", APIGroup: "", Resource: "configmaps", Namespace: all, Name: "lock"}, "RoleBinding/ns1/named-delete"},
		{"any verb on secrets", Request{Verb: all, Resource: "secrets", Namespace: all}, "ClusterRoleBinding/reader"},
		{"write a subresource", Request{Verb: "patch", APIGroup: all, Resource: all, Namespace: all}, "RoleBinding/ns2/status"},
		{"patch deployments without subresource", Request{Verb: "patch", APIGroup: "apps", Resource: "deployments", Namespace: all}, ""},
		{"patch deployments or its subresources", Request{Verb: "patch", APIGroup: "apps", Resource: "deployments", Subresource: all, Namespace: all}, "RoleBinding/ns2/status"},
		{"update any scale", Request{Verb: "update", APIGroup: all, Resource: all, Subresource: "scale", Namespace: all}, "RoleBinding/ns2/scale"},
		{"update deployments/scale", Request{Verb: "update", APIGroup: "apps", Resource: "deployments", Subresource: "scale", Namespace: "ns2"}, "RoleBinding/ns2/scale"},
		{"update any status", Request{Verb: "update", APIGroup: all, Resource: all, Subresource: "status", Namespace: all}, ""},
		{"any url", Request{Verb: all, Path: all}, "ClusterRoleBinding/metrics"},
		{"post any url", Request{Verb: "post", Path: all}, ""},
		{"concrete like Authorize", Request{Verb: "list", APIGroup: "batch", Resource: "jobs", Namespace: "x"}, "ClusterRoleBinding/reader"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := e.AuthorizeAny(asUser("u", c.req))
			if (c.binding != "") != d.Allowed || (d.Allowed && d.Grant.Binding != c.binding) {
				t.Fatalf("AuthorizeAny = %+v (%s), want binding %q", d.Grant, d.Reason, c.binding)
			}
		})
	}
	if d := e.AuthorizeAny(Request{User: "other", Verb: all, APIGroup: all, Resource: all, Namespace: all}); d.Allowed {
		t.Fatalf("an unbound user may do something: %+v", d)
	}
	if d := e.AuthorizeAny(Request{User: "root", Groups: l(GroupMasters), Verb: "delete", APIGroup: all, Resource: all, Namespace: all}); !d.Allowed || d.Grant != nil {
		t.Fatalf("system:masters: %+v", d)
	}
}

func TestSubjects(t *testing.T) {
	inv := &Inventory{
		ClusterRoles: []Role{
			{Name: "discovery", Rules: []Rule{{Verbs: l("get"), NonResourceURLs: l("/api")}}},
			{Name: "all-sa", Rules: []Rule{rule(l("get"), l(""), l("configmaps"))}},
			{Name: "ns-sa", Rules: []Rule{rule(l("list"), l(""), l("pods")), rule(l("watch"), l(""), l("pods"))}},
			{Name: "own", Rules: []Rule{rule(l("get"), l(""), l("secrets"))}},
			{Name: "anon", Rules: []Rule{{Verbs: l("get"), NonResourceURLs: l("/healthz")}}},
		},
		ClusterRoleBindings: []Binding{
			crb("discovery", "discovery", group(GroupAuthenticated)),
			crb("all-sa", "all-sa", group(GroupServiceAccounts)),
			crb("anon", "anon", group(GroupUnauthenticated)),
			crb("own", "own", user("alice"), sa("apps", "web")),
		},
		RoleBindings: []Binding{
			rb("apps", "ns-sa", "ClusterRole", "ns-sa", group("system:serviceaccounts:apps")),
			rb("apps", "web-local", "ClusterRole", "own", Subject{Kind: KindServiceAccount, Name: "web"}),
		},
		ServiceAccounts: []ServiceAccount{{Namespace: "other", Name: "idle"}, {Namespace: "apps", Name: "web"}},
	}
	subs := New(inv).Subjects()
	byName := map[string]SubjectAccess{}
	var order []string
	for _, s := range subs {
		byName[s.Subject] = s
		order = append(order, s.Subject)
	}
	wantOrder := "group:system:authenticated group:system:serviceaccounts group:system:serviceaccounts:apps group:system:unauthenticated serviceaccount:apps:web serviceaccount:other:idle user:alice"
	if got := strings.Join(order, " "); got != wantOrder {
		t.Fatalf("subjects\n got %s\nwant %s", got, wantOrder)
	}
	grants := func(s string) string {
		var out []string
		for _, p := range byName[s].Permissions {
			out = append(out, p.Namespace+"|"+p.Grant.Binding+"|"+p.Grant.Subject+"|"+p.Grant.Rule.Verbs[0])
		}
		return strings.Join(out, " ")
	}
	cases := map[string]string{
		// Its own, and each implicit group's, in binding order.
		"serviceaccount:apps:web": "|ClusterRoleBinding/all-sa|group:system:serviceaccounts|get " +
			"|ClusterRoleBinding/discovery|group:system:authenticated|get " +
			"|ClusterRoleBinding/own|serviceaccount:apps:web|get " +
			"apps|RoleBinding/apps/ns-sa|group:system:serviceaccounts:apps|list " +
			"apps|RoleBinding/apps/ns-sa|group:system:serviceaccounts:apps|watch " +
			"apps|RoleBinding/apps/web-local|serviceaccount:apps:web|get",
		"serviceaccount:other:idle":    "|ClusterRoleBinding/all-sa|group:system:serviceaccounts|get |ClusterRoleBinding/discovery|group:system:authenticated|get",
		"user:alice":                   "|ClusterRoleBinding/discovery|group:system:authenticated|get |ClusterRoleBinding/own|user:alice|get",
		"group:system:serviceaccounts": "|ClusterRoleBinding/all-sa|group:system:serviceaccounts|get |ClusterRoleBinding/discovery|group:system:authenticated|get",
		"group:system:unauthenticated": "|ClusterRoleBinding/anon|group:system:unauthenticated|get",
	}
	for s, want := range cases {
		if got := grants(s); got != want {
			t.Errorf("%s permissions\n got %s\nwant %s", s, got, want)
		}
	}
	if s := byName["serviceaccount:apps:web"]; s.Kind != KindServiceAccount || s.Namespace != "apps" || s.Name != "web" || s.Category != CategoryServiceAccount {
		t.Errorf("service account entry: %+v", s)
	}
	// Every permission is what Authorize would grant for it.
	e := New(inv)
	for _, s := range subs {
		ref, _ := ParseSubject(s.Subject)
		u, g := ref.Requestor()
		for _, p := range s.Permissions {
			if p.Grant.Rule.NonResourceURLs != nil {
				continue
			}
			d := e.Authorize(Request{User: u, Groups: g, Verb: p.Grant.Rule.Verbs[0], Resource: p.Grant.Rule.Resources[0], Namespace: p.Namespace})
			if !d.Allowed {
				t.Errorf("%s: permission %+v not allowed by Authorize", s.Subject, p)
			}
		}
	}
	// An empty slice, not null, for a subject with no permissions.
	inv.ServiceAccounts = append(inv.ServiceAccounts, ServiceAccount{Namespace: "x", Name: "y"})
	inv.ClusterRoleBindings = nil
	inv.RoleBindings = nil
	b, _ := json.Marshal(New(inv).Subjects()[0])
	if !strings.Contains(string(b), `"permissions":[]`) {
		t.Errorf("no permissions marshals as %s", b)
	}
}

// TestSubjectsFirstMatchingSubject: a binding that names a subject both
// directly and through a group it is in reaches it through whichever the
// binding lists first, as upstream's appliesTo picks.
func TestSubjectsFirstMatchingSubject(t *testing.T) {
	inv := &Inventory{
		ClusterRoles: []Role{{Name: "r", Rules: []Rule{rule(l("get"), l(""), l("pods"))}}},
		ClusterRoleBindings: []Binding{
			crb("group-first", "r", group(GroupAuthenticated), user("alice"), sa("n", "s")),
			crb("user-first", "r", user("alice"), sa("n", "s"), group(GroupAuthenticated)),
		},
	}
	e := New(inv)
	want := map[string]string{
		"user:alice":                 "group:system:authenticated user:alice",
		"serviceaccount:n:s":         "group:system:authenticated serviceaccount:n:s",
		"group:system:authenticated": "group:system:authenticated group:system:authenticated",
	}
	for _, s := range e.Subjects() {
		var got []string
		for _, p := range s.Permissions {
			got = append(got, p.Grant.Subject)
		}
		if w, ok := want[s.Subject]; ok && strings.Join(got, " ") != w {
			t.Errorf("%s reached through %v, want %s", s.Subject, got, w)
		}
		ref, _ := ParseSubject(s.Subject)
		u, g := ref.Requestor()
		if d := e.Authorize(Request{User: u, Groups: g, Verb: "get", Resource: "pods"}); d.Grant == nil || d.Grant.Subject != s.Permissions[0].Grant.Subject {
			t.Errorf("%s: Authorize grants through %+v, Subjects says %s", s.Subject, d.Grant, s.Permissions[0].Grant.Subject)
		}
	}
}

// TestSubjectsServiceAccountAsUser: a User subject named like a service
// account is that service account, listed once, with its groups.
func TestSubjectsServiceAccountAsUser(t *testing.T) {
	inv := &Inventory{
		ClusterRoles:        []Role{{Name: "r", Rules: []Rule{rule(l("get"), l(""), l("pods"))}}},
		ClusterRoleBindings: []Binding{crb("as-user", "r", user("system:serviceaccount:x:y")), crb("sa", "r", group(GroupServiceAccounts))},
		ServiceAccounts:     []ServiceAccount{{Namespace: "x", Name: "y"}},
	}
	var got []string
	for _, s := range New(inv).Subjects() {
		got = append(got, s.Subject+"="+strings.Join(func() []string {
			var b []string
			for _, p := range s.Permissions {
				b = append(b, p.Grant.Binding)
			}
			return b
		}(), ","))
	}
	want := "group:system:serviceaccounts=ClusterRoleBinding/sa serviceaccount:x:y=ClusterRoleBinding/as-user,ClusterRoleBinding/sa"
	if g := strings.Join(got, " "); g != want {
		t.Fatalf("subjects\n got %s\nwant %s", g, want)
	}
}
