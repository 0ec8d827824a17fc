package rbac_test

import (
	"testing"

	"github.com/evident-project/evident/generator/rbac"
	"github.com/evident-project/evident/generator/rbac/rbactest"
)

// BenchmarkPrivilegedPopulation times what an access review costs: index
// the inventory (New), every subject's effective permissions (Subjects) and
// the privileged population (Privileged), on the synthetic cluster of
// rbactest.Bench (2,000 roles, 10,000 bindings, 5,000 subjects), already
// aggregated as a collected inventory is.
//
// upstream-scan is the baseline: upstream's resolver (VisitRulesFor: a
// linear scan of every binding) asked once per subject for its rules in
// every namespace at once. It only collects rules; it categorises nothing,
// so it is a lower bound for evaluating without an index.
func BenchmarkPrivilegedPopulation(b *testing.B) {
	inv := rbactest.Synthetic(1, rbactest.Bench)
	rbac.Aggregate(inv)

	b.Run("evaluator", func(b *testing.B) {
		b.ReportAllocs()
		var subjects, perms, holders int
		for b.Loop() {
			e := rbac.New(inv)
			s := e.Subjects()
			p := e.Privileged()
			subjects, perms, holders = len(s), 0, 0
			for _, a := range s {
				perms += len(a.Permissions)
			}
			for _, c := range categories(p) {
				holders += len(c.holders)
			}
		}
		b.ReportMetric(float64(subjects), "subjects")
		b.ReportMetric(float64(perms), "permissions")
		b.ReportMetric(float64(holders), "holders")
	})

	b.Run("upstream-scan", func(b *testing.B) {
		b.ReportAllocs()
		subs := rbac.New(inv).Subjects()
		sc := newScanner(inv)
		var perms int
		for b.Loop() {
			perms = 0
			for _, s := range subs {
				ref, _ := rbac.ParseSubject(s.Subject)
				user, groups := ref.Requestor()
				// One scan of every binding: each RoleBinding is tested
				// in its own namespace, as RulesFor(namespace) would.
				perms += sc.rulesEverywhere(user, groups)
			}
		}
		b.ReportMetric(float64(perms), "permissions")
	})
}

// scanner is upstream's resolver with its listers' keyed lookups
// (GetRole and GetClusterRole are map reads in the informer cache), so the
// baseline pays for its scan of the bindings, not for finding roles.
type scanner struct {
	inv          *rbac.Inventory
	clusterRoles map[string][]rbac.Rule
	roles        map[[2]string][]rbac.Rule
}

func newScanner(inv *rbac.Inventory) *scanner {
	s := &scanner{inv: inv, clusterRoles: map[string][]rbac.Rule{}, roles: map[[2]string][]rbac.Rule{}}
	for _, r := range inv.ClusterRoles {
		s.clusterRoles[r.Name] = r.Rules
	}
	for _, r := range inv.Roles {
		s.roles[[2]string{r.Namespace, r.Name}] = r.Rules
	}
	return s
}

// rulesEverywhere counts the rules reaching the user cluster-wide and in
// every namespace, with one linear pass over the bindings.
func (s *scanner) rulesEverywhere(user string, groups []string) int {
	n := 0
	for _, b := range s.inv.ClusterRoleBindings {
		if appliesTo(user, groups, b.Subjects, "") && b.RoleRef.Kind == "ClusterRole" {
			n += len(s.clusterRoles[b.RoleRef.Name])
		}
	}
	for _, b := range s.inv.RoleBindings {
		if !appliesTo(user, groups, b.Subjects, b.Namespace) {
			continue
		}
		switch b.RoleRef.Kind {
		case "ClusterRole":
			n += len(s.clusterRoles[b.RoleRef.Name])
		case "Role":
			n += len(s.roles[[2]string{b.Namespace, b.RoleRef.Name}])
		}
	}
	return n
}

// categories is the test's view of Privileged, see privileged_test.go.
type category struct {
	name    string
	holders []rbac.Holder
}

func categories(p rbac.Privileged) []category {
	return []category{
		{"cluster_admin", p.ClusterAdmin}, {"namespace_admin", p.NamespaceAdmin}, {"secret_readers", p.SecretReaders},
		{"escalate_bind_impersonate", p.EscalateBindImpersonate}, {"exec", p.Exec}, {"node_proxy", p.NodeProxy},
		{"rbac_writers", p.RBACWriters}, {"admission_writers", p.AdmissionWriters}, {"crd_writers", p.CRDWriters},
		{"csr_approvers", p.CSRApprovers},
	}
}
