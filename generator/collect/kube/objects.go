package kube

import (
	"maps"
	"slices"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/evident-project/evident/generator/rbac"
)

// Objects are the Kubernetes objects the kube collectors read, as the
// typed API objects a cluster serves or a folder of manifests declares.
// Both modes fill one Objects and normalise from it, which is what makes
// their evidence byte-identical.
type Objects struct {
	ClusterRoles        []rbacv1.ClusterRole
	Roles               []rbacv1.Role
	ClusterRoleBindings []rbacv1.ClusterRoleBinding
	RoleBindings        []rbacv1.RoleBinding
	ServiceAccounts     []corev1.ServiceAccount
	Namespaces          []corev1.Namespace
	// CustomResources are the resources CustomResourceDefinitions serve; a
	// live cluster reports them through discovery.
	CustomResources []rbac.APIResource

	ValidatingWebhookConfigurations   []admissionregistrationv1.ValidatingWebhookConfiguration
	MutatingWebhookConfigurations     []admissionregistrationv1.MutatingWebhookConfiguration
	ValidatingAdmissionPolicies       []admissionregistrationv1.ValidatingAdmissionPolicy
	ValidatingAdmissionPolicyBindings []admissionregistrationv1.ValidatingAdmissionPolicyBinding
}

// namespaceNameLabel is the label the kube-apiserver sets on every
// namespace to its name (whatever a manifest says), so label selectors can
// pick namespaces by name.
const namespaceNameLabel = "kubernetes.io/metadata.name"

// Overlay returns base with every object of top applied over it: an object
// of the same kind, namespace and name replaces base's, as kubectl apply
// would leave it; the others are added.
func Overlay(base, top *Objects) *Objects {
	objKey := func(m *metav1.ObjectMeta) string { return m.Namespace + "/" + m.Name }
	return &Objects{
		ClusterRoles:        replace(base.ClusterRoles, top.ClusterRoles, func(o *rbacv1.ClusterRole) string { return objKey(&o.ObjectMeta) }),
		Roles:               replace(base.Roles, top.Roles, func(o *rbacv1.Role) string { return objKey(&o.ObjectMeta) }),
		ClusterRoleBindings: replace(base.ClusterRoleBindings, top.ClusterRoleBindings, func(o *rbacv1.ClusterRoleBinding) string { return objKey(&o.ObjectMeta) }),
		RoleBindings:        replace(base.RoleBindings, top.RoleBindings, func(o *rbacv1.RoleBinding) string { return objKey(&o.ObjectMeta) }),
		ServiceAccounts:     replace(base.ServiceAccounts, top.ServiceAccounts, func(o *corev1.ServiceAccount) string { return objKey(&o.ObjectMeta) }),
		Namespaces:          replace(base.Namespaces, top.Namespaces, func(o *corev1.Namespace) string { return objKey(&o.ObjectMeta) }),
		CustomResources:     replace(base.CustomResources, top.CustomResources, func(r *rbac.APIResource) string { return r.Group + "/" + r.Resource }),
		ValidatingWebhookConfigurations: replace(base.ValidatingWebhookConfigurations, top.ValidatingWebhookConfigurations,
			func(o *admissionregistrationv1.ValidatingWebhookConfiguration) string { return objKey(&o.ObjectMeta) }),
		MutatingWebhookConfigurations: replace(base.MutatingWebhookConfigurations, top.MutatingWebhookConfigurations,
			func(o *admissionregistrationv1.MutatingWebhookConfiguration) string { return objKey(&o.ObjectMeta) }),
		ValidatingAdmissionPolicies: replace(base.ValidatingAdmissionPolicies, top.ValidatingAdmissionPolicies,
			func(o *admissionregistrationv1.ValidatingAdmissionPolicy) string { return objKey(&o.ObjectMeta) }),
		ValidatingAdmissionPolicyBindings: replace(base.ValidatingAdmissionPolicyBindings, top.ValidatingAdmissionPolicyBindings,
			func(o *admissionregistrationv1.ValidatingAdmissionPolicyBinding) string { return objKey(&o.ObjectMeta) }),
	}
}

// replace is one kind's Overlay: base's order, then top's new objects.
func replace[T any](base, top []T, key func(*T) string) []T {
	out := slices.Clone(base)
	at := make(map[string]int, len(out))
	for i := range out {
		at[key(&out[i])] = i
	}
	for i := range top {
		k := key(&top[i])
		if j, ok := at[k]; ok {
			out[j] = top[i]
			continue
		}
		at[k] = len(out)
		out = append(out, top[i])
	}
	return out
}

// Inventory normalises the RBAC objects to the rbac.Inventory shapes:
// sorted as rbac.Inventory documents, labels kept, every other piece of
// metadata (annotations, uids, resource versions, timestamps, managed
// fields) dropped, empty lists never nil. It does not aggregate.
func (o *Objects) Inventory() *rbac.Inventory {
	inv := &rbac.Inventory{
		ClusterRoles:        make([]rbac.Role, 0, len(o.ClusterRoles)),
		Roles:               make([]rbac.Role, 0, len(o.Roles)),
		ClusterRoleBindings: make([]rbac.Binding, 0, len(o.ClusterRoleBindings)),
		RoleBindings:        make([]rbac.Binding, 0, len(o.RoleBindings)),
		ServiceAccounts:     make([]rbac.ServiceAccount, 0, len(o.ServiceAccounts)),
		Namespaces:          make([]rbac.Namespace, 0, len(o.Namespaces)),
		CustomResources:     slices.Clone(o.CustomResources),
	}
	if inv.CustomResources == nil {
		inv.CustomResources = []rbac.APIResource{}
	}
	for i := range o.ClusterRoles {
		cr := &o.ClusterRoles[i]
		r := rbac.Role{Name: cr.Name, Labels: labelsOf(cr.Labels), Rules: rulesOf(cr.Rules)}
		if cr.AggregationRule != nil {
			for _, s := range cr.AggregationRule.ClusterRoleSelectors {
				r.Aggregation = append(r.Aggregation, selectorOf(s))
			}
		}
		inv.ClusterRoles = append(inv.ClusterRoles, r)
	}
	for i := range o.Roles {
		ro := &o.Roles[i]
		inv.Roles = append(inv.Roles, rbac.Role{Namespace: ro.Namespace, Name: ro.Name, Labels: labelsOf(ro.Labels), Rules: rulesOf(ro.Rules)})
	}
	for i := range o.ClusterRoleBindings {
		b := &o.ClusterRoleBindings[i]
		inv.ClusterRoleBindings = append(inv.ClusterRoleBindings, bindingOf("", b.Name, b.RoleRef, b.Subjects))
	}
	for i := range o.RoleBindings {
		b := &o.RoleBindings[i]
		inv.RoleBindings = append(inv.RoleBindings, bindingOf(b.Namespace, b.Name, b.RoleRef, b.Subjects))
	}
	for i := range o.ServiceAccounts {
		sa := &o.ServiceAccounts[i]
		inv.ServiceAccounts = append(inv.ServiceAccounts, rbac.ServiceAccount{Namespace: sa.Namespace, Name: sa.Name})
	}
	for i := range o.Namespaces {
		ns := &o.Namespaces[i]
		inv.Namespaces = append(inv.Namespaces, rbac.Namespace{Name: ns.Name, Labels: namespaceLabels(ns)})
	}

	inv.Sort()
	return inv
}

// namespaceLabels are a namespace's labels with the name label the
// kube-apiserver always sets, so a Namespace manifest gives the labels the
// cluster will show.
func namespaceLabels(ns *corev1.Namespace) map[string]string {
	l := maps.Clone(ns.Labels)
	if l == nil {
		l = map[string]string{}
	}
	l[namespaceNameLabel] = ns.Name
	return l
}

func labelsOf(l map[string]string) map[string]string {
	if len(l) == 0 {
		return nil
	}
	return maps.Clone(l)
}

func rulesOf(in []rbacv1.PolicyRule) []rbac.Rule {
	out := make([]rbac.Rule, 0, len(in))
	for _, r := range in {
		verbs := slices.Clone(r.Verbs)
		if verbs == nil {
			verbs = []string{}
		}
		out = append(out, rbac.Rule{
			Verbs:           verbs,
			APIGroups:       orNil(r.APIGroups),
			Resources:       orNil(r.Resources),
			ResourceNames:   orNil(r.ResourceNames),
			NonResourceURLs: orNil(r.NonResourceURLs),
		})
	}
	return out
}

// orNil clones s, an empty list as nil: the API server stores [] and an
// absent list alike, and so must the evidence.
func orNil(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return slices.Clone(s)
}

func selectorOf(s metav1.LabelSelector) rbac.LabelSelector {
	out := rbac.LabelSelector{MatchLabels: labelsOf(s.MatchLabels)}
	for _, e := range s.MatchExpressions {
		out.MatchExpressions = append(out.MatchExpressions, rbac.LabelExpression{Key: e.Key, Operator: string(e.Operator), Values: orNil(e.Values)})
	}
	return out
}

func bindingOf(ns, name string, ref rbacv1.RoleRef, subjects []rbacv1.Subject) rbac.Binding {
	b := rbac.Binding{Namespace: ns, Name: name, RoleRef: rbac.RoleRef{Kind: ref.Kind, Name: ref.Name}, Subjects: make([]rbac.Subject, 0, len(subjects))}
	for _, s := range subjects {
		b.Subjects = append(b.Subjects, rbac.Subject{Kind: s.Kind, Name: s.Name, Namespace: s.Namespace})
	}
	return b
}
