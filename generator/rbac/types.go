// Package rbac is evident's own Kubernetes RBAC evaluator: a pure function
// of an inventory of roles and bindings that answers "may this subject do
// this?" the way the kube-apiserver's RBAC authorizer does, names the rule
// that granted it, and derives every subject's effective permissions and the
// privileged-access population an access review needs.
//
// It exists beside the live SubjectAccessReview because GitOps manifests and
// past evidence have no API server to ask; the integration tests hold the
// two to 100% agreement over real-world manifests.
package rbac

import (
	"cmp"
	"slices"
)

// Inventory is every RBAC object of one cluster (or of one folder of
// manifests), in the shape evidence stores it: sorted, metadata reduced to
// what authorization depends on, so a cluster and its GitOps source give the
// same bytes.
type Inventory struct {
	// ClusterRoles are sorted by name.
	ClusterRoles []Role `json:"cluster_roles"`
	// Roles are sorted by namespace, then name.
	Roles []Role `json:"roles"`
	// ClusterRoleBindings are sorted by name.
	ClusterRoleBindings []Binding `json:"cluster_role_bindings"`
	// RoleBindings are sorted by namespace, then name.
	RoleBindings []Binding `json:"role_bindings"`
	// ServiceAccounts are sorted by namespace, then name.
	ServiceAccounts []ServiceAccount `json:"service_accounts"`
	// Namespaces are sorted by name.
	Namespaces []Namespace `json:"namespaces"`
	// CustomResources are the resources CustomResourceDefinitions add,
	// sorted by group then plural, so checks can name them without a group.
	CustomResources []APIResource `json:"custom_resources"`
}

// Role is a Role (Namespace set) or a ClusterRole (Namespace empty).
type Role struct {
	Namespace string            `json:"namespace,omitempty"`
	Name      string            `json:"name"`
	Labels    map[string]string `json:"labels,omitempty"`
	// Aggregation is a ClusterRole's aggregationRule.clusterRoleSelectors;
	// its Rules are then the union of the selected ClusterRoles' rules.
	Aggregation []LabelSelector `json:"aggregation,omitempty"`
	Rules       []Rule          `json:"rules"`
}

// Rule is one RBAC policy rule, as written.
type Rule struct {
	Verbs           []string `json:"verbs"`
	APIGroups       []string `json:"api_groups,omitempty"`
	Resources       []string `json:"resources,omitempty"`
	ResourceNames   []string `json:"resource_names,omitempty"`
	NonResourceURLs []string `json:"non_resource_urls,omitempty"`
}

// LabelSelector is a Kubernetes label selector.
type LabelSelector struct {
	MatchLabels      map[string]string `json:"match_labels,omitempty"`
	MatchExpressions []LabelExpression `json:"match_expressions,omitempty"`
}

// LabelExpression is one matchExpressions entry.
type LabelExpression struct {
	Key      string   `json:"key"`
	Operator string   `json:"operator"`
	Values   []string `json:"values,omitempty"`
}

// Binding is a RoleBinding (Namespace set) or ClusterRoleBinding.
type Binding struct {
	Namespace string    `json:"namespace,omitempty"`
	Name      string    `json:"name"`
	RoleRef   RoleRef   `json:"role_ref"`
	Subjects  []Subject `json:"subjects"`
}

// RoleRef names the role a binding grants: Kind is Role or ClusterRole.
type RoleRef struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
}

// Subject is a binding subject as written: Kind is User, Group or
// ServiceAccount; Namespace is set for service accounts.
type Subject struct {
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
}

// ServiceAccount is one service account object.
type ServiceAccount struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
}

// Namespace is one namespace with its labels (Pod Security admission
// reads them).
type Namespace struct {
	Name   string            `json:"name"`
	Labels map[string]string `json:"labels,omitempty"`
}

// APIResource is one resource a CustomResourceDefinition serves.
type APIResource struct {
	Group      string `json:"group"`
	Resource   string `json:"resource"`
	Kind       string `json:"kind"`
	Namespaced bool   `json:"namespaced"`
}

// Sort puts the inventory in the order evidence stores it (documented on
// each field), so the same objects give the same bytes whatever order they
// were read in.
func (inv *Inventory) Sort() {
	byNSName := func(a, b Role) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	}
	slices.SortStableFunc(inv.ClusterRoles, byNSName)
	slices.SortStableFunc(inv.Roles, byNSName)
	byBinding := func(a, b Binding) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	}
	slices.SortStableFunc(inv.ClusterRoleBindings, byBinding)
	slices.SortStableFunc(inv.RoleBindings, byBinding)
	slices.SortStableFunc(inv.ServiceAccounts, func(a, b ServiceAccount) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	slices.SortStableFunc(inv.Namespaces, func(a, b Namespace) int { return cmp.Compare(a.Name, b.Name) })
	slices.SortStableFunc(inv.CustomResources, func(a, b APIResource) int {
		return cmp.Or(cmp.Compare(a.Group, b.Group), cmp.Compare(a.Resource, b.Resource))
	})
}
