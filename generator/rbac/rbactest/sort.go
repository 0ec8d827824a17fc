package rbactest

import (
	"slices"

	"github.com/evident-project/evident/generator/rbac"
)

// sortInventory puts inv in the order evidence stores it (see
// rbac.Inventory).
func sortInventory(inv *rbac.Inventory) {
	inv.Sort()
	inv.ServiceAccounts = slices.Compact(inv.ServiceAccounts)
}
