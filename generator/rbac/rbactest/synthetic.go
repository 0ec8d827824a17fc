// Package rbactest builds seeded synthetic RBAC inventories, for the
// evaluator's benchmark and differential tests and for bench/rbac: a cluster
// shaped like real ones (bootstrap-like roles, aggregated admin/edit/view,
// operators' ClusterRoles, per-namespace Roles, wildcards, subresources,
// resourceNames, service accounts bound through their groups), of any size.
package rbactest

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/evident-project/evident/generator/rbac"
)

// Size is how big a synthetic cluster is.
type Size struct {
	// Roles is ClusterRoles and Roles together; a fifth are ClusterRoles.
	Roles int
	// Bindings is ClusterRoleBindings and RoleBindings together; a fifth
	// are ClusterRoleBindings.
	Bindings int
	// Subjects is the distinct users, groups and service accounts the
	// bindings name (every one is named at least once).
	Subjects int
	// Namespaces the Roles, RoleBindings and service accounts live in.
	Namespaces int
}

// Bench is the benchmark's cluster: 2,000 roles, 10,000 bindings, 5,000
// subjects in 100 namespaces.
var Bench = Size{Roles: 2000, Bindings: 10000, Subjects: 5000, Namespaces: 100}

// resource is one entry of the vocabulary rules draw from.
type resource struct{ group, name string }

var vocabulary = []resource{
	{"", "pods"}, {"", "pods/log"}, {"", "pods/exec"}, {"", "pods/attach"}, {"", "pods/portforward"}, {"", "pods/status"},
	{"", "services"}, {"", "endpoints"}, {"", "configmaps"}, {"", "secrets"}, {"", "serviceaccounts"},
	{"", "serviceaccounts/token"}, {"", "persistentvolumeclaims"}, {"", "events"}, {"", "namespaces"}, {"", "nodes"},
	{"", "nodes/proxy"}, {"", "users"}, {"", "groups"},
	{"apps", "deployments"}, {"apps", "deployments/scale"}, {"apps", "deployments/status"}, {"apps", "statefulsets"},
	{"apps", "daemonsets"}, {"apps", "replicasets"},
	{"batch", "jobs"}, {"batch", "cronjobs"},
	{"networking.k8s.io", "ingresses"}, {"networking.k8s.io", "networkpolicies"},
	{"coordination.k8s.io", "leases"}, {"discovery.k8s.io", "endpointslices"},
	{"rbac.authorization.k8s.io", "roles"}, {"rbac.authorization.k8s.io", "rolebindings"},
	{"rbac.authorization.k8s.io", "clusterroles"}, {"rbac.authorization.k8s.io", "clusterrolebindings"},
	{"admissionregistration.k8s.io", "validatingwebhookconfigurations"}, {"admissionregistration.k8s.io", "mutatingwebhookconfigurations"},
	{"apiextensions.k8s.io", "customresourcedefinitions"},
	{"certificates.k8s.io", "certificatesigningrequests"}, {"certificates.k8s.io", "certificatesigningrequests/approval"},
	{"authentication.k8s.io", "tokenreviews"}, {"authorization.k8s.io", "subjectaccessreviews"},
	{"cert-manager.io", "certificates"}, {"cert-manager.io", "issuers"}, {"cert-manager.io", "certificaterequests"},
	{"external-secrets.io", "externalsecrets"}, {"external-secrets.io", "secretstores"},
	{"monitoring.coreos.com", "servicemonitors"}, {"monitoring.coreos.com", "prometheusrules"},
}

var verbSets = [][]string{
	{"get", "list", "watch"},
	{"get", "list", "watch"},
	{"get"},
	{"create", "update", "patch", "delete"},
	{"get", "list", "watch", "create", "update", "patch", "delete"},
	{"create"},
	{"update", "patch"},
	{"delete", "deletecollection"},
	{"*"},
	{"escalate", "bind"},
	{"impersonate"},
}

const aggregateLabel = "rbac.authorization.k8s.io/aggregate-to-"

// Synthetic builds a cluster of the given size; the same seed and size
// give the same inventory, sorted as evidence stores it.
func Synthetic(seed uint64, size Size) *rbac.Inventory {
	g := &gen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	size.Namespaces = max(size.Namespaces, 1)
	inv := &rbac.Inventory{}
	for i := range size.Namespaces {
		inv.Namespaces = append(inv.Namespaces, rbac.Namespace{Name: fmt.Sprintf("ns-%03d", i)})
	}
	ns := func() string { return inv.Namespaces[g.r.IntN(len(inv.Namespaces))].Name }

	// Bootstrap-like ClusterRoles first, then operators'.
	inv.ClusterRoles = append(inv.ClusterRoles,
		rbac.Role{Name: "cluster-admin", Rules: []rbac.Rule{
			{Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"}},
			{Verbs: []string{"*"}, NonResourceURLs: []string{"*"}},
		}},
		rbac.Role{Name: "system:discovery", Rules: []rbac.Rule{
			{Verbs: []string{"get"}, NonResourceURLs: []string{"/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/readyz", "/version", "/version/"}},
		}},
		rbac.Role{Name: "system:basic-user", Rules: []rbac.Rule{
			{Verbs: []string{"create"}, APIGroups: []string{"authorization.k8s.io"}, Resources: []string{"selfsubjectaccessreviews", "selfsubjectrulesreviews"}},
		}},
	)
	// What operators grant every service account, or everyone: small,
	// harmless roles, as in real clusters (a broad grant of anything more
	// would put every subject in the privileged population).
	inv.ClusterRoles = append(inv.ClusterRoles,
		rbac.Role{Name: "metrics-reader", Rules: []rbac.Rule{{Verbs: []string{"get"}, NonResourceURLs: []string{"/metrics"}}}},
		rbac.Role{Name: "namespace-lister", Rules: []rbac.Rule{{Verbs: []string{"get", "list", "watch"}, APIGroups: []string{""}, Resources: []string{"namespaces"}}}},
		rbac.Role{Name: "crd-viewer", Rules: []rbac.Rule{{Verbs: []string{"get", "list", "watch"}, APIGroups: []string{"apiextensions.k8s.io"}, Resources: []string{"customresourcedefinitions"}}}},
	)
	for _, agg := range []string{"admin", "edit", "view"} {
		inv.ClusterRoles = append(inv.ClusterRoles, rbac.Role{
			Name:        agg,
			Aggregation: []rbac.LabelSelector{{MatchLabels: map[string]string{aggregateLabel + agg: "true"}}},
		})
	}
	clusterRoles := size.Roles / 5
	for i := len(inv.ClusterRoles); i < clusterRoles; i++ {
		role := rbac.Role{Name: fmt.Sprintf("operator-%04d", i), Rules: g.rules()}
		switch k := g.r.IntN(20); {
		case k < 3: // contributes to admin/edit/view, as CRD operators' roles do
			role.Labels = map[string]string{aggregateLabel + []string{"admin", "edit", "view"}[k]: "true"}
		case k == 3: // an aggregated role of its own, selected by expression
			role.Labels = map[string]string{"team": fmt.Sprintf("t%d", g.r.IntN(10))}
			role.Aggregation = []rbac.LabelSelector{{MatchExpressions: []rbac.LabelExpression{
				{Key: "team", Operator: "In", Values: []string{fmt.Sprintf("t%d", g.r.IntN(10))}},
				{Key: aggregateLabel + "view", Operator: "DoesNotExist"},
			}}}
			role.Rules = nil
		case k == 4:
			role.Labels = map[string]string{"team": fmt.Sprintf("t%d", g.r.IntN(10))}
		}
		inv.ClusterRoles = append(inv.ClusterRoles, role)
	}
	for i := clusterRoles; i < size.Roles; i++ {
		inv.Roles = append(inv.Roles, rbac.Role{Namespace: ns(), Name: fmt.Sprintf("app-%04d", i), Rules: g.rules()})
	}
	rolesIn := map[string][]string{}
	for _, r := range inv.Roles {
		rolesIn[r.Namespace] = append(rolesIn[r.Namespace], r.Name)
	}

	// The subjects: half service accounts, two fifths users, the rest
	// groups; a few bindings go to the broad groups on top.
	subjects := make([]rbac.Subject, size.Subjects)
	for i := range subjects {
		switch k := i % 10; {
		case k < 5:
			subjects[i] = rbac.Subject{Kind: rbac.KindServiceAccount, Namespace: ns(), Name: fmt.Sprintf("sa-%04d", i)}
			inv.ServiceAccounts = append(inv.ServiceAccounts, rbac.ServiceAccount{Namespace: subjects[i].Namespace, Name: subjects[i].Name})
		case k < 9:
			subjects[i] = rbac.Subject{Kind: rbac.KindUser, Name: fmt.Sprintf("user-%04d@example.com", i)}
		default:
			subjects[i] = rbac.Subject{Kind: rbac.KindGroup, Name: fmt.Sprintf("team-%04d", i)}
		}
	}
	for i := range size.Namespaces / 4 { // service accounts nobody binds
		inv.ServiceAccounts = append(inv.ServiceAccounts, rbac.ServiceAccount{Namespace: ns(), Name: fmt.Sprintf("default-%d", i)})
	}
	next := 0
	pick := func() rbac.Subject {
		// Every subject once, round robin, then at random.
		if next < len(subjects) {
			next++
			return subjects[next-1]
		}
		return subjects[g.r.IntN(len(subjects))]
	}
	subjectsFor := func(bindingNS string) []rbac.Subject {
		out := make([]rbac.Subject, 1+g.r.IntN(3))
		for i := range out {
			out[i] = pick()
			// RoleBindings often leave a local service account's namespace out.
			if out[i].Kind == rbac.KindServiceAccount && out[i].Namespace == bindingNS && g.r.IntN(2) == 0 {
				out[i].Namespace = ""
			}
		}
		return out
	}

	crbs := size.Bindings / 5
	inv.ClusterRoleBindings = append(inv.ClusterRoleBindings,
		rbac.Binding{Name: "cluster-admin", RoleRef: rbac.RoleRef{Kind: "ClusterRole", Name: "cluster-admin"}, Subjects: []rbac.Subject{{Kind: rbac.KindGroup, Name: rbac.GroupMasters}}},
		rbac.Binding{Name: "system:discovery", RoleRef: rbac.RoleRef{Kind: "ClusterRole", Name: "system:discovery"}, Subjects: []rbac.Subject{{Kind: rbac.KindGroup, Name: rbac.GroupAuthenticated}}},
		rbac.Binding{Name: "system:basic-user", RoleRef: rbac.RoleRef{Kind: "ClusterRole", Name: "system:basic-user"}, Subjects: []rbac.Subject{{Kind: rbac.KindGroup, Name: rbac.GroupAuthenticated}}},
	)
	// A few operators bind every service account, or everyone, to a role
	// of their own; the rest of the broad-group grants are the bootstrap's.
	for i, role := range []string{"metrics-reader", "namespace-lister", "crd-viewer"} {
		broad := []string{rbac.GroupServiceAccounts, rbac.GroupServiceAccounts, rbac.GroupAuthenticated}[i]
		inv.ClusterRoleBindings = append(inv.ClusterRoleBindings, rbac.Binding{
			Name:     "broad-" + role,
			RoleRef:  rbac.RoleRef{Kind: "ClusterRole", Name: role},
			Subjects: []rbac.Subject{{Kind: rbac.KindGroup, Name: broad}},
		})
	}
	for i := len(inv.ClusterRoleBindings); i < crbs; i++ {
		ref := rbac.RoleRef{Kind: "ClusterRole", Name: inv.ClusterRoles[g.r.IntN(len(inv.ClusterRoles))].Name}
		if g.r.IntN(100) == 0 {
			ref.Name = fmt.Sprintf("deleted-%d", i) // a role removed, its binding left behind
		}
		inv.ClusterRoleBindings = append(inv.ClusterRoleBindings, rbac.Binding{Name: fmt.Sprintf("crb-%05d", i), RoleRef: ref, Subjects: subjectsFor("")})
	}
	for i := crbs; i < size.Bindings; i++ {
		bns := ns()
		var ref rbac.RoleRef
		if local := rolesIn[bns]; len(local) > 0 && g.r.IntN(2) == 0 {
			ref = rbac.RoleRef{Kind: "Role", Name: local[g.r.IntN(len(local))]}
		} else {
			ref = rbac.RoleRef{Kind: "ClusterRole", Name: inv.ClusterRoles[g.r.IntN(len(inv.ClusterRoles))].Name}
		}
		subs := subjectsFor(bns)
		if g.r.IntN(100) == 0 { // every service account of the namespace
			subs = append(subs, rbac.Subject{Kind: rbac.KindGroup, Name: "system:serviceaccounts:" + bns})
		}
		inv.RoleBindings = append(inv.RoleBindings, rbac.Binding{Namespace: bns, Name: fmt.Sprintf("rb-%05d", i), RoleRef: ref, Subjects: subs})
	}
	sortInventory(inv)
	return inv
}

type gen struct{ r *rand.Rand }

// rules draws 1–8 rules: mostly specific, some with subresources, names,
// group or resource wildcards, a few non-resource URLs.
func (g *gen) rules() []rbac.Rule {
	out := make([]rbac.Rule, 1+g.r.IntN(8))
	for i := range out {
		if g.r.IntN(40) == 0 {
			out[i] = rbac.Rule{Verbs: []string{"get"}, NonResourceURLs: []string{[]string{"/metrics", "/healthz", "/debug/*"}[g.r.IntN(3)]}}
			continue
		}
		first := vocabulary[g.r.IntN(len(vocabulary))]
		rule := rbac.Rule{
			Verbs:     slices.Clone(verbSets[g.r.IntN(len(verbSets))]),
			APIGroups: []string{first.group},
			Resources: []string{first.name},
		}
		for range g.r.IntN(4) { // more resources of the same group
			if v := vocabulary[g.r.IntN(len(vocabulary))]; v.group == first.group {
				rule.Resources = append(rule.Resources, v.name)
			}
		}
		switch k := g.r.IntN(100); {
		case k < 3:
			rule.Resources = []string{"*"}
		case k < 5:
			rule.APIGroups = []string{"*"}
		case k < 7:
			rule.Resources = append(rule.Resources, "*/status")
		case k < 17:
			rule.ResourceNames = []string{fmt.Sprintf("obj-%d", g.r.IntN(50))}
		}
		out[i] = rule
	}
	return out
}
