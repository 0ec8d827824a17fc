package rbac_test

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/evident-project/evident/generator/rbac"
)

// TestOnePasswordOperator reads the operator's real RBAC manifests (as
// kustomize would apply them, into namespace "system") and checks what an
// access review must show: the operator's service account reads secrets,
// and may delete them in every namespace.
func TestOnePasswordOperator(t *testing.T) {
	inv := loadManifests(t, "system", filepath.Join(realdata, "onepassword-operator", "config-rbac@9c3b1b9"))
	rbac.Aggregate(inv)
	e := rbac.New(inv)
	if p := e.Problems(); len(p) != 0 {
		t.Fatalf("problems: %v", p)
	}

	const subject = "serviceaccount:system:onepassword-connect-operator"
	ref, err := rbac.ParseSubject(subject)
	if err != nil {
		t.Fatal(err)
	}
	user, groups := ref.Requestor()

	p := e.Privileged()
	i := slices.IndexFunc(p.SecretReaders, func(h rbac.Holder) bool { return h.Subject == subject })
	if i < 0 {
		t.Fatalf("%s is not a secret reader: %+v", subject, p.SecretReaders)
	}
	h := p.SecretReaders[i]
	if h.Category != rbac.CategoryServiceAccount || len(h.Via) != 1 {
		t.Fatalf("holder %+v", h)
	}
	if a := h.Via[0]; a.Namespace != "" || a.Binding != "ClusterRoleBinding/manager-rolebinding" || a.Role != "ClusterRole/manager-role" ||
		!slices.Equal(a.Verbs, []string{"get", "list", "watch"}) || !slices.Equal(a.Resources, []string{"secrets"}) || a.Subject != subject {
		t.Fatalf("access %+v", a)
	}

	for _, ns := range []string{"", "default", "kube-system", "payments", "system"} {
		d := e.Authorize(rbac.Request{User: user, Groups: groups, Verb: "delete", Resource: "secrets", Name: "db-password", Namespace: ns})
		if !d.Allowed || d.Grant == nil || d.Grant.Binding != "ClusterRoleBinding/manager-rolebinding" {
			t.Fatalf("delete secrets in %q: %+v", ns, d)
		}
	}
	if d := e.AuthorizeAny(rbac.Request{User: user, Groups: groups, Verb: "delete", Resource: "secrets", Namespace: "*"}); !d.Allowed {
		t.Fatalf("AuthorizeAny delete secrets: %+v", d)
	}
	// And what it may not do.
	for _, r := range []rbac.Request{
		{Verb: "deletecollection", Resource: "secrets", Namespace: "default"},
		{Verb: "get", Resource: "secrets", Subresource: "status", Namespace: "default"},
		{Verb: "create", APIGroup: "rbac.authorization.k8s.io", Resource: "clusterrolebindings"},
		{Verb: "update", APIGroup: "apps", Resource: "deployments", Subresource: "finalizers", Name: "other", Namespace: "x"},
	} {
		r.User, r.Groups = user, groups
		want := r.Verb == "update" // deployments/finalizers has an unrestricted rule too
		if d := e.Authorize(r); d.Allowed != want {
			t.Errorf("Authorize(%+v) = %+v, want allowed %v", r, d, want)
		}
	}
	// The leader-election Role, bound in its own namespace only.
	leases := rbac.Request{User: user, Groups: groups, Verb: "delete", APIGroup: "coordination.k8s.io", Resource: "leases"}
	for ns, want := range map[string]bool{"system": true, "default": false, "": false} {
		leases.Namespace = ns
		if d := e.Authorize(leases); d.Allowed != want {
			t.Errorf("delete leases in %q = %+v, want %v", ns, d, want)
		}
	}
}

// realInventory is every real-world RBAC manifest set in one cluster, with
// bootstrap-like admin/edit/view aggregated roles that cert-manager's
// labels feed.
func realInventory(t *testing.T) *rbac.Inventory {
	inv := loadManifests(t, "system", filepath.Join(realdata, "onepassword-operator", "config-rbac@9c3b1b9"))
	for _, f := range []string{"cert-manager/rbac-only.yaml", "ingress-nginx/rbac-only.yaml", "external-secrets/rendered-rbac.from-helm-unittest-snapshot.yaml"} {
		more := loadManifests(t, "default", filepath.Join(realdata, f))
		inv.ClusterRoles = append(inv.ClusterRoles, more.ClusterRoles...)
		inv.Roles = append(inv.Roles, more.Roles...)
		inv.ClusterRoleBindings = append(inv.ClusterRoleBindings, more.ClusterRoleBindings...)
		inv.RoleBindings = append(inv.RoleBindings, more.RoleBindings...)
		inv.ServiceAccounts = append(inv.ServiceAccounts, more.ServiceAccounts...)
	}
	for _, agg := range []string{"admin", "edit", "view", "cluster-reader"} {
		inv.ClusterRoles = append(inv.ClusterRoles, rbac.Role{Name: agg, Aggregation: []rbac.LabelSelector{{MatchLabels: map[string]string{"rbac.authorization.k8s.io/aggregate-to-" + agg: "true"}}}})
	}
	inv.ClusterRoleBindings = append(inv.ClusterRoleBindings,
		rbac.Binding{Name: "viewers", RoleRef: rbac.RoleRef{Kind: "ClusterRole", Name: "view"}, Subjects: []rbac.Subject{{Kind: "Group", Name: "auditors"}}})
	inv.RoleBindings = append(inv.RoleBindings,
		rbac.Binding{Namespace: "cert-manager", Name: "editors", RoleRef: rbac.RoleRef{Kind: "ClusterRole", Name: "edit"}, Subjects: []rbac.Subject{{Kind: "User", Name: "alice"}}})
	sortInventory(inv)
	rbac.Aggregate(inv)
	return inv
}

func TestAgreesWithUpstreamRealManifests(t *testing.T) {
	inv := realInventory(t)
	// cert-manager's aggregate-to-view role reached view.
	for _, cr := range inv.ClusterRoles {
		if cr.Name == "view" && len(cr.Rules) == 0 {
			t.Fatal("view aggregated nothing")
		}
	}
	n := 30000
	if testing.Short() {
		n = 5000
	}
	allowed := agree(t, inv, n, 2)
	t.Logf("%d questions, %d allowed; %d cluster roles, %d roles, %d cluster role bindings, %d role bindings",
		n, allowed, len(inv.ClusterRoles), len(inv.Roles), len(inv.ClusterRoleBindings), len(inv.RoleBindings))
	if allowed < n/50 {
		t.Fatalf("only %d of %d questions allowed", allowed, n)
	}
}
