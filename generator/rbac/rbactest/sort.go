package rbactest

import (
	"cmp"
	"slices"

	"github.com/evident-project/evident/generator/rbac"
)

// sortInventory puts inv in the order evidence stores it (see
// rbac.Inventory).
func sortInventory(inv *rbac.Inventory) {
	byNSName := func(a, b rbac.Role) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	}
	slices.SortFunc(inv.ClusterRoles, byNSName)
	slices.SortFunc(inv.Roles, byNSName)
	byBinding := func(a, b rbac.Binding) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	}
	slices.SortFunc(inv.ClusterRoleBindings, byBinding)
	slices.SortFunc(inv.RoleBindings, byBinding)
	slices.SortFunc(inv.ServiceAccounts, func(a, b rbac.ServiceAccount) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	inv.ServiceAccounts = slices.Compact(inv.ServiceAccounts)
	slices.SortFunc(inv.Namespaces, func(a, b rbac.Namespace) int { return cmp.Compare(a.Name, b.Name) })
}
