package rbac

import (
	"strings"
	"testing"
)

func rule(verbs, groups, resources []string) Rule {
	return Rule{Verbs: verbs, APIGroups: groups, Resources: resources}
}

func l(s ...string) []string { return s }

func crb(name, role string, subjects ...Subject) Binding {
	return Binding{Name: name, RoleRef: RoleRef{Kind: "ClusterRole", Name: role}, Subjects: subjects}
}

func rb(ns, name, kind, role string, subjects ...Subject) Binding {
	return Binding{Namespace: ns, Name: name, RoleRef: RoleRef{Kind: kind, Name: role}, Subjects: subjects}
}

func user(name string) Subject  { return Subject{Kind: KindUser, Name: name} }
func group(name string) Subject { return Subject{Kind: KindGroup, Name: name} }
func sa(ns, name string) Subject {
	return Subject{Kind: KindServiceAccount, Namespace: ns, Name: name}
}

// asUser is a request from a user in system:authenticated.
func asUser(name string, r Request) Request {
	r.User, r.Groups = name, []string{GroupAuthenticated}
	return r
}

func asSA(ns, name string, r Request) Request {
	r.User, r.Groups = SubjectRef{Kind: KindServiceAccount, Namespace: ns, Name: name}.Requestor()
	return r
}

// oneRule is an inventory where alice holds rule through a
// ClusterRoleBinding.
func oneRule(r Rule) *Inventory {
	return &Inventory{
		ClusterRoles:        []Role{{Name: "r", Rules: []Rule{r}}},
		ClusterRoleBindings: []Binding{crb("b", "r", user("alice"))},
	}
}

// TestRuleMatching mirrors upstream's evaluation_helpers.go semantics, one
// row per corner.
func TestRuleMatching(t *testing.T) {
	pods := func(verb string) Request { return Request{Verb: verb, Resource: "pods", Namespace: "ns"} }
	cases := []struct {
		name string
		rule Rule
		req  Request
		want bool
	}{
		{"verb exact", rule(l("get"), l(""), l("pods")), pods("get"), true},
		{"verb other", rule(l("get"), l(""), l("pods")), pods("delete"), false},
		{"verb star", rule(l("*"), l(""), l("pods")), pods("deletecollection"), true},
		{"verb star is not a prefix", rule(l("get*"), l(""), l("pods")), pods("get"), false},
		{"no verbs", rule(nil, l(""), l("pods")), pods("get"), false},

		{"group core", rule(l("get"), l(""), l("pods")), pods("get"), true},
		{"group other", rule(l("get"), l("apps"), l("pods")), pods("get"), false},
		{"group star", rule(l("get"), l("*"), l("deployments")), Request{Verb: "get", APIGroup: "apps", Resource: "deployments"}, true},
		{"no groups", rule(l("get"), nil, l("pods")), pods("get"), false},

		{"resource star", rule(l("get"), l(""), l("*")), pods("get"), true},
		{"resource star covers subresources", rule(l("get"), l(""), l("*")), Request{Verb: "get", Resource: "pods", Subresource: "log"}, true},
		{"resource without its subresource", rule(l("get"), l(""), l("pods")), Request{Verb: "get", Resource: "pods", Subresource: "log"}, false},
		{"exact subresource", rule(l("get"), l(""), l("pods/log")), Request{Verb: "get", Resource: "pods", Subresource: "log"}, true},
		{"subresource rule, no subresource asked", rule(l("get"), l(""), l("pods/log")), pods("get"), false},
		{"star slash subresource", rule(l("get"), l("apps"), l("*/status")), Request{Verb: "get", APIGroup: "apps", Resource: "deployments", Subresource: "status"}, true},
		{"star slash other subresource", rule(l("get"), l("apps"), l("*/status")), Request{Verb: "get", APIGroup: "apps", Resource: "deployments", Subresource: "scale"}, false},
		{"star slash subresource, no subresource asked", rule(l("get"), l("apps"), l("*/status")), Request{Verb: "get", APIGroup: "apps", Resource: "deployments"}, false},
		{"star slash same-length subresource", rule(l("get"), l(""), l("*/scale")), Request{Verb: "get", Resource: "nodes", Subresource: "proxy"}, false},
		{"star slash suffix only", rule(l("get"), l("apps"), l("*/status")), Request{Verb: "get", APIGroup: "apps", Resource: "deployments", Subresource: "xstatus"}, false},
		{"resource prefix is no match", rule(l("get"), l(""), l("pod")), pods("get"), false},
		{"resource slash star is literal", rule(l("get"), l(""), l("pods/*")), Request{Verb: "get", Resource: "pods", Subresource: "log"}, false},

		{"names empty match all", rule(l("get"), l(""), l("secrets")), Request{Verb: "get", Resource: "secrets", Name: "x"}, true},
		{"names match", Rule{Verbs: l("get"), APIGroups: l(""), Resources: l("secrets"), ResourceNames: l("a", "x")}, Request{Verb: "get", Resource: "secrets", Name: "x"}, true},
		{"names other", Rule{Verbs: l("get"), APIGroups: l(""), Resources: l("secrets"), ResourceNames: l("a")}, Request{Verb: "get", Resource: "secrets", Name: "x"}, false},
		{"names never match a nameless request", Rule{Verbs: l("list"), APIGroups: l(""), Resources: l("secrets"), ResourceNames: l("a")}, Request{Verb: "list", Resource: "secrets"}, false},
		{"names star is literal", Rule{Verbs: l("get"), APIGroups: l(""), Resources: l("secrets"), ResourceNames: l("*")}, Request{Verb: "get", Resource: "secrets", Name: "x"}, false},
		// Upstream compares names literally, so an empty name in the list
		// matches a request without one (validation does not forbid it).
		{"names empty entry matches nameless", Rule{Verbs: l("list"), APIGroups: l(""), Resources: l("secrets"), ResourceNames: l("")}, Request{Verb: "list", Resource: "secrets"}, true},

		{"url star", Rule{Verbs: l("get"), NonResourceURLs: l("*")}, Request{Verb: "get", Path: "/metrics"}, true},
		{"url exact", Rule{Verbs: l("get"), NonResourceURLs: l("/healthz")}, Request{Verb: "get", Path: "/healthz"}, true},
		{"url exact other", Rule{Verbs: l("get"), NonResourceURLs: l("/healthz")}, Request{Verb: "get", Path: "/healthz/ping"}, false},
		{"url prefix", Rule{Verbs: l("get"), NonResourceURLs: l("/apis/*")}, Request{Verb: "get", Path: "/apis/apps/v1"}, true},
		{"url prefix itself", Rule{Verbs: l("get"), NonResourceURLs: l("/apis/*")}, Request{Verb: "get", Path: "/apis/"}, true},
		{"url prefix without slash", Rule{Verbs: l("get"), NonResourceURLs: l("/apis/*")}, Request{Verb: "get", Path: "/apis"}, false},
		{"url double star is one prefix", Rule{Verbs: l("get"), NonResourceURLs: l("/api**")}, Request{Verb: "get", Path: "/apis"}, true},
		{"url verb", Rule{Verbs: l("post"), NonResourceURLs: l("*")}, Request{Verb: "get", Path: "/metrics"}, false},
		{"url rule, resource request", Rule{Verbs: l("*"), NonResourceURLs: l("*")}, pods("get"), false},
		{"resource rule, url request", rule(l("*"), l("*"), l("*")), Request{Verb: "get", Path: "/metrics"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := New(oneRule(c.rule)).Authorize(asUser("alice", c.req))
			if d.Allowed != c.want {
				t.Fatalf("Allowed = %v, want %v (%s)", d.Allowed, c.want, d.Reason)
			}
			if c.want && (d.Grant == nil || d.Grant.Binding != "ClusterRoleBinding/b" || d.Grant.Role != "ClusterRole/r" || d.Grant.Subject != "user:alice") {
				t.Fatalf("Grant = %+v", d.Grant)
			}
			if !c.want && d.Grant != nil {
				t.Fatalf("denied with a grant: %+v", d.Grant)
			}
		})
	}
}

// bindingInventory exercises scopes and subjects.
func bindingInventory() *Inventory {
	return &Inventory{
		ClusterRoles: []Role{
			{Name: "pod-reader", Rules: []Rule{rule(l("get", "list"), l(""), l("pods"))}},
			{Name: "secret-reader", Rules: []Rule{rule(l("get"), l(""), l("secrets"))}},
		},
		Roles: []Role{
			{Namespace: "a", Name: "cm-writer", Rules: []Rule{rule(l("create"), l(""), l("configmaps"))}},
			{Namespace: "b", Name: "cm-writer", Rules: []Rule{rule(l("delete"), l(""), l("configmaps"))}},
		},
		ClusterRoleBindings: []Binding{
			crb("global-pods", "pod-reader", user("carol")),
			crb("sa-no-ns", "pod-reader", Subject{Kind: KindServiceAccount, Name: "orphan"}),
			crb("ops", "secret-reader", group("ops")),
			crb("gone", "no-such-role", user("dave")),
		},
		RoleBindings: []Binding{
			rb("a", "local-secrets", "ClusterRole", "secret-reader", user("bob")),
			rb("a", "cm", "Role", "cm-writer", Subject{Kind: KindServiceAccount, Name: "app"}, user("bob")),
			rb("b", "cm", "Role", "cm-writer", sa("a", "app")),
			rb("b", "pods-as-user", "ClusterRole", "pod-reader", user("system:serviceaccount:a:worker")),
			rb("a", "missing", "Role", "nope", user("erin")),
			rb("a", "kind", "ClusterRole", "pod-reader", Subject{Kind: "user", Name: "frank"}),
		},
	}
}

func TestAuthorizeScopesAndSubjects(t *testing.T) {
	e := New(bindingInventory())
	get := func(res, ns string) Request { return Request{Verb: "get", Resource: res, Namespace: ns} }
	cases := []struct {
		name    string
		req     Request
		want    bool
		binding string
		subject string
	}{
		{"cluster binding cluster-wide", asUser("carol", get("pods", "")), true, "ClusterRoleBinding/global-pods", "user:carol"},
		{"cluster binding in a namespace", asUser("carol", get("pods", "zzz")), true, "ClusterRoleBinding/global-pods", "user:carol"},
		{"cluster binding other verb", asUser("carol", Request{Verb: "delete", Resource: "pods"}), false, "", ""},
		{"role binding in its namespace", asUser("bob", get("secrets", "a")), true, "RoleBinding/a/local-secrets", "user:bob"},
		{"role binding cluster-wide", asUser("bob", get("secrets", "")), false, "", ""},
		{"role binding other namespace", asUser("bob", get("secrets", "b")), false, "", ""},
		{"namespace star is no wildcard to Authorize", asUser("bob", get("secrets", "*")), false, "", ""},
		{"role binding to own-namespace Role", asUser("bob", Request{Verb: "create", Resource: "configmaps", Namespace: "a"}), true, "RoleBinding/a/cm", "user:bob"},
		{"own-namespace Role, not the other's", asUser("bob", Request{Verb: "delete", Resource: "configmaps", Namespace: "a"}), false, "", ""},
		{"group membership", Request{User: "x", Groups: l("ops"), Verb: "get", Resource: "secrets", Namespace: "q"}, true, "ClusterRoleBinding/ops", "group:ops"},
		{"group not a member", Request{User: "ops", Groups: l(GroupAuthenticated), Verb: "get", Resource: "secrets"}, false, "", ""},
		{"user is not a group", Request{User: "x", Groups: l("carol"), Verb: "get", Resource: "pods"}, false, "", ""},
		{"service account defaulted to binding namespace", asSA("a", "app", Request{Verb: "create", Resource: "configmaps", Namespace: "a"}), true, "RoleBinding/a/cm", "serviceaccount:a:app"},
		{"service account explicit namespace", asSA("a", "app", Request{Verb: "delete", Resource: "configmaps", Namespace: "b"}), true, "RoleBinding/b/cm", "serviceaccount:a:app"},
		{"service account of another namespace", asSA("b", "app", Request{Verb: "delete", Resource: "configmaps", Namespace: "b"}), false, "", ""},
		{"service account username by hand", Request{User: "system:serviceaccount:a:app", Verb: "create", Resource: "configmaps", Namespace: "a"}, true, "RoleBinding/a/cm", "serviceaccount:a:app"},
		{"service account without namespace in a cluster binding", asSA("", "orphan", get("pods", "")), false, "", ""},
		{"service account without namespace, any namespace", asSA("default", "orphan", get("pods", "x")), false, "", ""},
		{"user subject named as a service account", asSA("a", "worker", get("pods", "b")), true, "RoleBinding/b/pods-as-user", "user:system:serviceaccount:a:worker"},
		{"missing ClusterRole grants nothing", asUser("dave", get("pods", "")), false, "", ""},
		{"missing Role grants nothing", asUser("erin", get("pods", "a")), false, "", ""},
		{"lower-case kind never matches", asUser("frank", get("pods", "a")), false, "", ""},
		{"system:masters before RBAC", Request{User: "root", Groups: l(GroupMasters), Verb: "escalate", APIGroup: "rbac.authorization.k8s.io", Resource: "clusterroles"}, true, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := e.Authorize(c.req)
			if d.Allowed != c.want {
				t.Fatalf("Allowed = %v, want %v (%s)", d.Allowed, c.want, d.Reason)
			}
			switch {
			case c.want && c.binding == "":
				if d.Grant != nil || !strings.Contains(d.Reason, "system:masters") {
					t.Fatalf("want an allow outside RBAC, got %+v", d)
				}
			case c.want:
				if d.Grant == nil || d.Grant.Binding != c.binding || d.Grant.Subject != c.subject {
					t.Fatalf("Grant = %+v, want binding %s subject %s", d.Grant, c.binding, c.subject)
				}
				if !strings.HasPrefix(d.Reason, "RBAC: allowed by ") {
					t.Fatalf("Reason = %q", d.Reason)
				}
			case d.Grant != nil:
				t.Fatalf("denied with a grant: %+v", d.Grant)
			}
		})
	}
}

func TestAuthorizeReasons(t *testing.T) {
	e := New(bindingInventory())
	cases := []struct {
		req  Request
		want string
	}{
		{asSA("a", "app", Request{Verb: "create", Resource: "configmaps", Namespace: "a"}),
			`RBAC: allowed by RoleBinding "cm/a" of Role "cm-writer" to ServiceAccount "app/a"`},
		{asUser("carol", Request{Verb: "list", Resource: "pods"}),
			`RBAC: allowed by ClusterRoleBinding "global-pods" of ClusterRole "pod-reader" to User "carol"`},
		{asUser("dave", Request{Verb: "get", Resource: "pods"}),
			`RBAC: clusterrole.rbac.authorization.k8s.io "no-such-role" not found`},
		{Request{User: "dave", Groups: l("x"), Verb: "get", APIGroup: "apps", Resource: "deployments", Subresource: "scale", Name: "web", Namespace: "a"},
			`RBAC: clusterrole.rbac.authorization.k8s.io "no-such-role" not found`},
		{Request{User: "erin", Verb: "get", APIGroup: "apps", Resource: "deployments", Subresource: "scale", Name: "web", Namespace: "a"},
			`RBAC: role.rbac.authorization.k8s.io "nope" not found`},
		{Request{User: "zed", Groups: l("g"), Verb: "get", APIGroup: "apps", Resource: "deployments", Subresource: "scale", Name: "web", Namespace: "a"},
			`RBAC: no rules authorize user "zed" with groups ["g"] to "get" resource "deployments.apps/scale" named "web" in namespace "a"`},
		{Request{User: "zed", Verb: "get", Path: "/metrics"},
			`RBAC: no rules authorize user "zed" with groups [] to "get" nonResourceURL "/metrics" cluster-wide`},
	}
	for _, c := range cases {
		if got := e.Authorize(c.req).Reason; got != c.want {
			t.Errorf("Reason\n got %s\nwant %s", got, c.want)
		}
	}
	// Two unresolved bindings: upstream's aggregate error.
	inv := &Inventory{ClusterRoleBindings: []Binding{crb("a", "x", user("u")), crb("b", "y", user("u")), crb("c", "x", user("u"))}}
	want := `RBAC: [clusterrole.rbac.authorization.k8s.io "x" not found, clusterrole.rbac.authorization.k8s.io "y" not found]`
	if got := New(inv).Authorize(Request{User: "u", Verb: "get", Resource: "pods"}).Reason; got != want {
		t.Errorf("Reason\n got %s\nwant %s", got, want)
	}
}

// TestAuthorizeOrder: the first grant is deterministic: ClusterRoleBindings
// by name, then the namespace's RoleBindings by name, rules in order, and
// the first subject of a binding that applies.
func TestAuthorizeOrder(t *testing.T) {
	inv := &Inventory{
		ClusterRoles: []Role{{Name: "r", Rules: []Rule{
			rule(l("list"), l(""), l("pods")),
			rule(l("get"), l(""), l("pods")),
			rule(l("*"), l(""), l("pods")),
		}}},
		Roles: []Role{{Namespace: "n", Name: "r", Rules: []Rule{rule(l("get"), l(""), l("pods"))}}},
		// Deliberately out of order.
		RoleBindings: []Binding{
			rb("n", "zz", "Role", "r", user("u")),
			rb("n", "aa", "Role", "r", user("u")),
		},
		ClusterRoleBindings: []Binding{
			crb("z", "r", user("u")),
			crb("m", "r", group(GroupAuthenticated), user("u")),
		},
	}
	d := New(inv).Authorize(asUser("u", Request{Verb: "get", Resource: "pods", Namespace: "n"}))
	if d.Grant == nil || d.Grant.Binding != "ClusterRoleBinding/m" || d.Grant.RuleIndex != 1 || d.Grant.Subject != "group:system:authenticated" {
		t.Fatalf("Grant = %+v", d.Grant)
	}
	inv.ClusterRoleBindings = nil
	d = New(inv).Authorize(asUser("u", Request{Verb: "get", Resource: "pods", Namespace: "n"}))
	if d.Grant == nil || d.Grant.Binding != "RoleBinding/n/aa" || d.Grant.Role != "Role/n/r" || d.Grant.RuleIndex != 0 {
		t.Fatalf("Grant = %+v", d.Grant)
	}
}

func TestProblems(t *testing.T) {
	inv := bindingInventory()
	inv.ClusterRoleBindings = append(inv.ClusterRoleBindings,
		Binding{Name: "to-role", RoleRef: RoleRef{Kind: "Role", Name: "cm-writer"}, Subjects: []Subject{user("u")}},
		Binding{Name: "odd-kind", RoleRef: RoleRef{Kind: "Policy", Name: "x"}, Subjects: []Subject{user("u")}},
		crb("gone", "pod-reader", user("dave")), // a second "gone"
	)
	inv.ClusterRoles = append(inv.ClusterRoles, Role{Name: "bad-agg", Aggregation: []LabelSelector{{MatchExpressions: []LabelExpression{{Key: "k", Operator: "Like"}}}}})
	want := []Problem{
		{"ClusterRole/bad-agg", `aggregation selector 0: "Like" is not a valid label selector operator; the aggregation controller leaves its rules as they are`},
		{"ClusterRoleBinding/gone", "defined 2 times; the evaluator uses the first by content"},
		{"ClusterRoleBinding/gone", `role "ClusterRole/no-such-role" not found`},
		{"ClusterRoleBinding/odd-kind", `unsupported role reference kind "Policy"; it grants nothing`},
		{"ClusterRoleBinding/sa-no-ns", `service account subject "orphan" has no namespace, so it never matches`},
		{"ClusterRoleBinding/to-role", `role "Role/cm-writer" not found: a ClusterRoleBinding can only grant a ClusterRole`},
		{"RoleBinding/a/kind", `subject 0 has kind "user", which never matches (User, Group and ServiceAccount do)`},
		{"RoleBinding/a/missing", `role "Role/a/nope" not found`},
	}
	e := New(inv)
	got := e.Problems()
	if len(got) != len(want) {
		t.Fatalf("Problems = %d, want %d:\n%v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("Problems[%d]\n got %v\nwant %v", i, got[i], want[i])
		}
	}
	// Of the two "gone" bindings the first by content is kept, wherever it
	// was listed: the one binding the missing role sorts first ("dave"
	// ties; "no-such-role" < "pod-reader").
	if d := e.Authorize(asUser("dave", Request{Verb: "get", Resource: "pods"})); d.Allowed {
		t.Fatalf("kept the wrong duplicate: %+v", d)
	}
}
