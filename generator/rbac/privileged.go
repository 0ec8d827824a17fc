package rbac

import (
	"slices"
	"strings"
)

// Privileged is the privileged-access population for an access review:
// every subject (see Evaluator.Subjects) holding each right, with every
// path to it. Each list is sorted by subject and never nil.
type Privileged struct {
	// ClusterAdmin holds verbs "*" on apiGroups "*" resources "*",
	// cluster-wide, in a rule without resourceNames: cluster-admin and its
	// equivalents.
	ClusterAdmin []Holder `json:"cluster_admin"`
	// NamespaceAdmin holds the same wildcards through a RoleBinding, within
	// its namespace.
	NamespaceAdmin []Holder `json:"namespace_admin"`
	// SecretReaders hold get, list or watch on core secrets in any scope;
	// grants limited to resourceNames count, their names recorded.
	SecretReaders []Holder `json:"secret_readers"`
	// EscalateBindImpersonate hold escalate or bind on roles or
	// clusterroles (rbac.authorization.k8s.io), or impersonate on users,
	// groups or serviceaccounts (core) or uids or userextras
	// (authentication.k8s.io).
	EscalateBindImpersonate []Holder `json:"escalate_bind_impersonate"`
	// Exec hold create or get on pods/exec or pods/attach.
	Exec []Holder `json:"exec"`
	// NodeProxy hold any verb on nodes/proxy.
	NodeProxy []Holder `json:"node_proxy"`
	// RBACWriters hold create, update, patch, delete or deletecollection on
	// roles, clusterroles, rolebindings or clusterrolebindings.
	RBACWriters []Holder `json:"rbac_writers"`
	// AdmissionWriters hold those write verbs on validating or mutating
	// webhook configurations, admission policies or their bindings
	// (admissionregistration.k8s.io).
	AdmissionWriters []Holder `json:"admission_writers"`
	// CRDWriters hold those write verbs on customresourcedefinitions
	// (apiextensions.k8s.io).
	CRDWriters []Holder `json:"crd_writers"`
	// CSRApprovers hold update or patch on
	// certificatesigningrequests/approval (certificates.k8s.io).
	CSRApprovers []Holder `json:"csr_approvers"`
}

// Holder is one subject holding a privileged right, with every path to it.
type Holder struct {
	Subject   string `json:"subject"`
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
	Category  string `json:"category"`
	// Via are the paths in the order of SubjectAccess.Permissions.
	Via []Access `json:"via"`
}

// Access is one path to a privileged right: the part of one rule that
// gives it, and how the rule reaches the subject.
type Access struct {
	// Namespace is where it applies; "" is cluster-wide.
	Namespace string `json:"namespace,omitempty"`
	// Verbs are the rule's verbs that give the right, as written ("*" too).
	Verbs []string `json:"verbs"`
	// Resources are the rule's resources that give it, as written
	// ("secrets", "*", "*/exec"); the right fixes the API group.
	Resources     []string `json:"resources"`
	ResourceNames []string `json:"resource_names,omitempty"`
	Binding       string   `json:"binding"`
	Role          string   `json:"role"`
	// Subject is the binding subject that matched: the holder itself or a
	// group it is in.
	Subject string `json:"subject"`
}

// The rights, in Privileged's field order.
const (
	rightClusterAdmin = iota
	rightNamespaceAdmin
	rightSecretRead
	rightEscalateBindImpersonate
	rightExec
	rightNodeProxy
	rightRBACWrite
	rightAdmissionWrite
	rightCRDWrite
	rightCSRApprove
	numRights
)

// target is a resource a right is about. A rule resource matches it as
// upstream's ResourceMatches would match some request for it: "*", the
// exact resource (with its subresource), "*/<subresource>"; with anySub,
// whose requests always carry a subresource the requestor chooses
// (userextras/<extra key>), "<resource>/<anything>" and "*/<anything>".
type target struct {
	group, resource, sub string
	anySub               bool
}

// clause is verbs (nil: any) on targets; a right is any of its clauses.
type clause struct {
	verbs   []string
	targets []target
}

var writeVerbs = []string{"create", "update", "patch", "delete", "deletecollection"}

func targets(group string, resources ...string) []target {
	t := make([]target, len(resources))
	for i, r := range resources {
		res, sub, _ := strings.Cut(r, "/")
		t[i] = target{group: group, resource: res, sub: sub}
	}
	return t
}

var rightClauses = [numRights][]clause{
	rightSecretRead: {{verbs: []string{"get", "list", "watch"}, targets: targets("", "secrets")}},
	rightEscalateBindImpersonate: {
		{verbs: []string{"escalate", "bind"}, targets: targets("rbac.authorization.k8s.io", "roles", "clusterroles")},
		{verbs: []string{"impersonate"}, targets: append(targets("", "users", "groups", "serviceaccounts"),
			target{group: "authentication.k8s.io", resource: "uids"},
			target{group: "authentication.k8s.io", resource: "userextras", anySub: true})},
	},
	rightExec:      {{verbs: []string{"create", "get"}, targets: targets("", "pods/exec", "pods/attach")}},
	rightNodeProxy: {{targets: targets("", "nodes/proxy")}},
	rightRBACWrite: {{verbs: writeVerbs, targets: targets("rbac.authorization.k8s.io", "roles", "clusterroles", "rolebindings", "clusterrolebindings")}},
	rightAdmissionWrite: {{verbs: writeVerbs, targets: targets("admissionregistration.k8s.io",
		"validatingwebhookconfigurations", "mutatingwebhookconfigurations",
		"validatingadmissionpolicies", "validatingadmissionpolicybindings",
		"mutatingadmissionpolicies", "mutatingadmissionpolicybindings")}},
	rightCRDWrite:   {{verbs: writeVerbs, targets: targets("apiextensions.k8s.io", "customresourcedefinitions")}},
	rightCSRApprove: {{verbs: []string{"update", "patch"}, targets: targets("certificates.k8s.io", "certificatesigningrequests/approval")}},
}

// ruleRight is one right a rule gives; right is rightClusterAdmin for the
// all-wildcard rule whichever the binding's scope (which decides between
// cluster and namespace admin).
type ruleRight struct {
	right     int
	verbs     []string
	resources []string
}

// ruleRights lists the rights a rule gives.
func ruleRights(rule *Rule) []ruleRight {
	if len(rule.Resources) == 0 {
		return nil // non-resource URLs only
	}
	var out []ruleRight
	if len(rule.ResourceNames) == 0 && slices.Contains(rule.Verbs, all) &&
		slices.Contains(rule.APIGroups, all) && slices.Contains(rule.Resources, all) {
		out = append(out, ruleRight{right: rightClusterAdmin, verbs: []string{all}, resources: []string{all}})
	}
	for right, clauses := range rightClauses {
		var verbs, resources []string
		for _, c := range clauses {
			vs := filter(rule.Verbs, func(v string) bool { return v == all || c.verbs == nil || slices.Contains(c.verbs, v) })
			if len(vs) == 0 {
				continue
			}
			rs := filter(rule.Resources, func(res string) bool {
				for _, t := range c.targets {
					if apiGroupMatches(rule, t.group) && t.matches(res) {
						return true
					}
				}
				return false
			})
			if len(rs) == 0 {
				continue
			}
			verbs, resources = union(verbs, vs, rule.Verbs), union(resources, rs, rule.Resources)
		}
		if len(verbs) > 0 {
			out = append(out, ruleRight{right: right, verbs: verbs, resources: resources})
		}
	}
	return out
}

func (t target) matches(res string) bool {
	if res == all {
		return true
	}
	want := t.resource
	if t.sub != "" {
		want += "/" + t.sub
	}
	if t.anySub {
		// Requests always carry a subresource, so the bare resource
		// ("userextras") matches none of them.
		return strings.HasPrefix(res, t.resource+"/") || strings.HasPrefix(res, "*/")
	}
	return res == want || (t.sub != "" && res == "*/"+t.sub)
}

func filter(s []string, keep func(string) bool) []string {
	var out []string
	for _, v := range s {
		if keep(v) {
			out = append(out, v)
		}
	}
	return out
}

// union adds b to a, both subsets of order, keeping order's order.
func union(a, b, order []string) []string {
	if len(a) == 0 {
		return b
	}
	return filter(order, func(v string) bool { return slices.Contains(a, v) || slices.Contains(b, v) })
}

// rightsOf computes a role's rights once, however many bindings grant it.
func (r *role) rightsOf() [][]ruleRight {
	r.rightsOnce.Do(func() {
		r.rights = make([][]ruleRight, len(r.rules))
		for i := range r.rules {
			r.rights[i] = ruleRights(&r.rules[i])
		}
	})
	return r.rights
}

// Privileged derives the privileged-access population from every
// subject's effective permissions.
func (e *Evaluator) Privileged() Privileged {
	var lists [numRights][]Holder
	for i := range lists {
		lists[i] = []Holder{}
	}
	// Each right's paths go into one array, sized by a counting pass, and
	// each holder's Via is a capped window of it: one allocation per right
	// instead of a growing slice per holder.
	var count [numRights]int
	for _, s := range e.population() {
		for _, h := range s.hits {
			b := e.bindings[h.binding]
			if b.role == nil {
				continue
			}
			for _, rights := range b.role.rightsOf() {
				for _, rr := range rights {
					right := rr.right
					if right == rightClusterAdmin && b.namespace != "" {
						right = rightNamespaceAdmin
					}
					count[right]++
				}
			}
		}
	}
	var via [numRights][]Access
	var start [numRights]int
	for right := range via {
		via[right] = make([]Access, 0, count[right])
	}
	for _, s := range e.population() {
		for _, h := range s.hits {
			b := e.bindings[h.binding]
			if b.role == nil {
				continue
			}
			for ri, rights := range b.role.rightsOf() {
				for _, rr := range rights {
					right := rr.right
					if right == rightClusterAdmin && b.namespace != "" {
						right = rightNamespaceAdmin
					}
					via[right] = append(via[right], Access{
						Namespace:     b.namespace,
						Verbs:         rr.verbs,
						Resources:     rr.resources,
						ResourceNames: b.role.rules[ri].ResourceNames,
						Binding:       b.id,
						Role:          b.role.id,
						Subject:       b.subjectRefs[h.subject],
					})
				}
			}
		}
		for right := range via {
			if len(via[right]) == start[right] {
				continue
			}
			lists[right] = append(lists[right], Holder{
				Subject:   s.str,
				Kind:      s.ref.Kind,
				Name:      s.ref.Name,
				Namespace: s.ref.Namespace,
				Category:  s.ref.Category(),
				Via:       via[right][start[right]:len(via[right]):len(via[right])],
			})
			start[right] = len(via[right])
		}
	}
	return Privileged{
		ClusterAdmin:            lists[rightClusterAdmin],
		NamespaceAdmin:          lists[rightNamespaceAdmin],
		SecretReaders:           lists[rightSecretRead],
		EscalateBindImpersonate: lists[rightEscalateBindImpersonate],
		Exec:                    lists[rightExec],
		NodeProxy:               lists[rightNodeProxy],
		RBACWriters:             lists[rightRBACWrite],
		AdmissionWriters:        lists[rightAdmissionWrite],
		CRDWriters:              lists[rightCRDWrite],
		CSRApprovers:            lists[rightCSRApprove],
	}
}
