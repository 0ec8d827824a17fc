package kube

import (
	"cmp"
	"context"
	_ "embed"
	"fmt"
	"slices"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/evident-project/evident/generator/collect"
)

//go:embed defs/admission.yml
var admissionDefYAML []byte

// admissionDef is parsed once: a broken def is a build defect.
var admissionDef = collect.MustParseDef(admissionDefYAML)

// AdmissionData is the kube.admission evidence.
type AdmissionData struct {
	// Cluster is the source id.
	Cluster string `json:"cluster"`
	// Policies are the ValidatingAdmissionPolicies, by name.
	Policies []Policy `json:"policies"`
	// Webhooks are every webhook, by configuration then type, in the
	// configuration's order.
	Webhooks []Webhook `json:"webhooks"`
	// Namespaces are every namespace with its Pod Security labels, by name.
	Namespaces []NamespaceSecurity `json:"namespaces"`
	// Problems are configurations that enforce nothing although they look
	// as if they might: a binding to a missing policy, a policy without
	// bindings.
	Problems []string         `json:"problems"`
	Summary  AdmissionSummary `json:"summary"`
}

// Policy is one ValidatingAdmissionPolicy and its bindings.
type Policy struct {
	Name string `json:"name"`
	// FailurePolicy is Fail (the default) or Ignore.
	FailurePolicy string `json:"failure_policy"`
	// Validations counts the CEL validations.
	Validations int `json:"validations"`
	// MatchResources are the policy's matchConstraints, one short string
	// each: "CREATE,UPDATE apps/v1 deployments", "exclude ...",
	// "namespaces: <selector>".
	MatchResources []string        `json:"match_resources"`
	Bindings       []PolicyBinding `json:"bindings"`
	// Enforce is true when the policy fails closed (Fail) and some binding
	// denies (validationActions has Deny).
	Enforce bool `json:"enforce"`
}

// PolicyBinding is one ValidatingAdmissionPolicyBinding of a policy.
type PolicyBinding struct {
	Name              string   `json:"name"`
	ValidationActions []string `json:"validation_actions"`
	// NamespaceSelector is the binding's matchResources.namespaceSelector
	// as a label selector string; "" selects every namespace.
	NamespaceSelector string `json:"namespace_selector"`
	// MatchResources narrow the policy's, in Policy.MatchResources' form.
	MatchResources []string `json:"match_resources"`
}

// Webhook is one admission webhook, with the API server's defaults applied.
type Webhook struct {
	Configuration string `json:"configuration"`
	// Type is "validating" or "mutating".
	Type           string        `json:"type"`
	Name           string        `json:"name"`
	FailurePolicy  string        `json:"failure_policy"`
	SideEffects    string        `json:"side_effects"`
	TimeoutSeconds int32         `json:"timeout_seconds"`
	Rules          []WebhookRule `json:"rules"`
	// NamespaceSelector and ObjectSelector are label selector strings; ""
	// selects everything.
	NamespaceSelector string `json:"namespace_selector"`
	ObjectSelector    string `json:"object_selector"`
	// Exempt says, in words, what the webhook lets through unexamined.
	Exempt []string `json:"exempt"`
	// Service is "namespace/name:port" or the webhook's URL.
	Service string `json:"service"`
}

// WebhookRule is one webhook rule.
type WebhookRule struct {
	Operations  []string `json:"operations"`
	APIGroups   []string `json:"api_groups"`
	APIVersions []string `json:"api_versions"`
	Resources   []string `json:"resources"`
	// Scope is "*" (the default), "Cluster" or "Namespaced".
	Scope string `json:"scope"`
}

// NamespaceSecurity is one namespace and its Pod Security admission labels.
type NamespaceSecurity struct {
	Name        string            `json:"name"`
	Labels      map[string]string `json:"labels"`
	PodSecurity PodSecurity       `json:"pod_security"`
}

// PodSecurity is a namespace's pod-security.kubernetes.io labels; "" when
// a label is absent (the cluster's defaults then apply).
type PodSecurity struct {
	Enforce        string `json:"enforce"`
	EnforceVersion string `json:"enforce_version"`
	Audit          string `json:"audit"`
	AuditVersion   string `json:"audit_version"`
	Warn           string `json:"warn"`
	WarnVersion    string `json:"warn_version"`
}

// AdmissionSummary counts what the evidence holds.
type AdmissionSummary struct {
	Policies            int `json:"policies"`
	PoliciesEnforced    int `json:"policies_enforced"`
	PolicyBindings      int `json:"policy_bindings"`
	Webhooks            int `json:"webhooks"`
	WebhooksFailOpen    int `json:"webhooks_fail_open"`
	Namespaces          int `json:"namespaces"`
	NamespacesEnforcing int `json:"namespaces_enforcing"`
	Problems            int `json:"problems"`
}

// Admission is the kube.admission collector.
type Admission struct{ open Opener }

// NewAdmission returns the kube.admission collector; live clusters are
// opened with open, or OpenCluster when it is nil.
func NewAdmission(open Opener) collect.Collector { return &Admission{open: open} }

// Def returns the collector's embedded metadata.
func (c *Admission) Def() collect.Def { return admissionDef }

// Collect reads the admission policies, webhooks and namespaces of the
// cluster or folder.
func (c *Admission) Collect(ctx context.Context, req collect.Request) (*collect.Result, error) {
	s, err := begin(ctx, admissionDef, req)
	if err != nil {
		return nil, err
	}
	o, err := s.load(ctx, c.open, What{Admission: true})
	if err != nil {
		return nil, err
	}
	data := AdmissionFrom(o)
	data.Cluster = s.id()
	s.notes = append(s.notes,
		"Pod Security admission's cluster defaults and exemptions are kube-apiserver flags (AdmissionConfiguration), not API objects: a namespace without labels gets them, and they cannot be read here",
		"the kube-apiserver never sends requests on webhook configurations or admission policies themselves to webhooks or policies")
	records := map[string]int{
		"policies":        data.Summary.Policies,
		"policy_bindings": data.Summary.PolicyBindings,
		"webhooks":        data.Summary.Webhooks,
		"namespaces":      data.Summary.Namespaces,
	}
	return &collect.Result{Data: data, Provenance: s.provenance(records)}, nil
}

// AdmissionFrom summarises the admission objects of o (Cluster is left
// empty). The API server's defaults are applied, so a manifest that leaves
// a field out reads as the cluster will show it.
func AdmissionFrom(o *Objects) *AdmissionData {
	d := &AdmissionData{Policies: []Policy{}, Webhooks: []Webhook{}, Namespaces: []NamespaceSecurity{}, Problems: []string{}}

	byPolicy := map[string][]PolicyBinding{}
	bindings := slices.Clone(o.ValidatingAdmissionPolicyBindings)
	slices.SortStableFunc(bindings, func(a, b admissionregistrationv1.ValidatingAdmissionPolicyBinding) int {
		return cmp.Compare(a.Name, b.Name)
	})
	policies := map[string]bool{}
	for _, p := range o.ValidatingAdmissionPolicies {
		policies[p.Name] = true
	}
	for _, b := range bindings {
		pb := PolicyBinding{Name: b.Name, ValidationActions: []string{}, MatchResources: []string{}}
		for _, a := range b.Spec.ValidationActions {
			pb.ValidationActions = append(pb.ValidationActions, string(a))
		}
		if m := b.Spec.MatchResources; m != nil {
			pb.NamespaceSelector = selectorString(m.NamespaceSelector)
			pb.MatchResources = matchStrings(m)
		}
		byPolicy[b.Spec.PolicyName] = append(byPolicy[b.Spec.PolicyName], pb)
		if !policies[b.Spec.PolicyName] {
			d.Problems = append(d.Problems, fmt.Sprintf("ValidatingAdmissionPolicyBinding/%s binds policy %s, which does not exist: it enforces nothing", b.Name, b.Spec.PolicyName))
		}
	}
	for _, p := range o.ValidatingAdmissionPolicies {
		pol := Policy{
			Name:           p.Name,
			FailurePolicy:  failurePolicy(p.Spec.FailurePolicy),
			Validations:    len(p.Spec.Validations),
			MatchResources: []string{},
			Bindings:       byPolicy[p.Name],
		}
		if p.Spec.MatchConstraints != nil {
			pol.MatchResources = matchStrings(p.Spec.MatchConstraints)
		}
		if pol.Bindings == nil {
			pol.Bindings = []PolicyBinding{}
			d.Problems = append(d.Problems, fmt.Sprintf("ValidatingAdmissionPolicy/%s has no binding: it enforces nothing", p.Name))
		}
		for _, b := range pol.Bindings {
			pol.Enforce = pol.Enforce || slices.Contains(b.ValidationActions, string(admissionregistrationv1.Deny))
		}
		pol.Enforce = pol.Enforce && pol.FailurePolicy == string(admissionregistrationv1.Fail)
		d.Policies = append(d.Policies, pol)
	}
	slices.SortStableFunc(d.Policies, func(a, b Policy) int { return cmp.Compare(a.Name, b.Name) })

	for _, c := range o.ValidatingWebhookConfigurations {
		for _, w := range c.Webhooks {
			d.Webhooks = append(d.Webhooks, webhook(c.Name, "validating", w.Name, w.FailurePolicy, w.SideEffects, w.TimeoutSeconds,
				w.Rules, w.NamespaceSelector, w.ObjectSelector, w.MatchConditions, w.ClientConfig))
		}
	}
	for _, c := range o.MutatingWebhookConfigurations {
		for _, w := range c.Webhooks {
			d.Webhooks = append(d.Webhooks, webhook(c.Name, "mutating", w.Name, w.FailurePolicy, w.SideEffects, w.TimeoutSeconds,
				w.Rules, w.NamespaceSelector, w.ObjectSelector, w.MatchConditions, w.ClientConfig))
		}
	}
	// Within a configuration the order is the order of invocation, so it
	// is kept.
	slices.SortStableFunc(d.Webhooks, func(a, b Webhook) int {
		return cmp.Or(cmp.Compare(a.Configuration, b.Configuration), cmp.Compare(a.Type, b.Type))
	})

	for i := range o.Namespaces {
		ns := &o.Namespaces[i]
		l := namespaceLabels(ns)
		d.Namespaces = append(d.Namespaces, NamespaceSecurity{Name: ns.Name, Labels: l, PodSecurity: PodSecurity{
			Enforce:        l["pod-security.kubernetes.io/enforce"],
			EnforceVersion: l["pod-security.kubernetes.io/enforce-version"],
			Audit:          l["pod-security.kubernetes.io/audit"],
			AuditVersion:   l["pod-security.kubernetes.io/audit-version"],
			Warn:           l["pod-security.kubernetes.io/warn"],
			WarnVersion:    l["pod-security.kubernetes.io/warn-version"],
		}})
	}
	slices.SortStableFunc(d.Namespaces, func(a, b NamespaceSecurity) int { return cmp.Compare(a.Name, b.Name) })
	slices.Sort(d.Problems)

	d.Summary = AdmissionSummary{
		Policies:       len(d.Policies),
		PolicyBindings: len(bindings),
		Webhooks:       len(d.Webhooks),
		Namespaces:     len(d.Namespaces),
		Problems:       len(d.Problems),
	}
	for _, p := range d.Policies {
		if p.Enforce {
			d.Summary.PoliciesEnforced++
		}
	}
	for _, w := range d.Webhooks {
		if w.FailurePolicy == string(admissionregistrationv1.Ignore) {
			d.Summary.WebhooksFailOpen++
		}
	}
	for _, n := range d.Namespaces {
		if n.PodSecurity.Enforce != "" {
			d.Summary.NamespacesEnforcing++
		}
	}
	return d
}

func failurePolicy(p *admissionregistrationv1.FailurePolicyType) string {
	if p == nil {
		return string(admissionregistrationv1.Fail)
	}
	return string(*p)
}

func webhook(config, typ, name string, fp *admissionregistrationv1.FailurePolicyType, se *admissionregistrationv1.SideEffectClass,
	timeout *int32, rules []admissionregistrationv1.RuleWithOperations, nsSel, objSel *metav1.LabelSelector,
	conds []admissionregistrationv1.MatchCondition, cc admissionregistrationv1.WebhookClientConfig) Webhook {
	w := Webhook{
		Configuration:     config,
		Type:              typ,
		Name:              name,
		FailurePolicy:     failurePolicy(fp),
		TimeoutSeconds:    10,
		Rules:             []WebhookRule{},
		NamespaceSelector: selectorString(nsSel),
		ObjectSelector:    selectorString(objSel),
		Exempt:            []string{},
	}
	if se != nil {
		w.SideEffects = string(*se)
	}
	if timeout != nil {
		w.TimeoutSeconds = *timeout
	}
	for _, r := range rules {
		w.Rules = append(w.Rules, WebhookRule{
			Operations:  operations(r.Operations),
			APIGroups:   nonNil(r.APIGroups),
			APIVersions: nonNil(r.APIVersions),
			Resources:   nonNil(r.Resources),
			Scope:       scope(r.Scope),
		})
	}
	switch {
	case cc.Service != nil:
		port := int32(443)
		if cc.Service.Port != nil {
			port = *cc.Service.Port
		}
		w.Service = fmt.Sprintf("%s/%s:%d", cc.Service.Namespace, cc.Service.Name, port)
	case cc.URL != nil:
		w.Service = *cc.URL
	}
	if w.FailurePolicy == string(admissionregistrationv1.Ignore) {
		w.Exempt = append(w.Exempt, "failurePolicy Ignore: fails open, admitting requests when the webhook cannot be reached or errs")
	}
	w.Exempt = append(w.Exempt, exemptions("namespaces", nsSel)...)
	w.Exempt = append(w.Exempt, exemptions("objects", objSel)...)
	for _, c := range conds {
		w.Exempt = append(w.Exempt, fmt.Sprintf("requests for which matchCondition %s is false: %s", c.Name, c.Expression))
	}
	return w
}

func operations(ops []admissionregistrationv1.OperationType) []string {
	out := make([]string, 0, len(ops))
	for _, o := range ops {
		out = append(out, string(o))
	}
	return out
}

func scope(s *admissionregistrationv1.ScopeType) string {
	if s == nil {
		return string(admissionregistrationv1.AllScopes)
	}
	return string(*s)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return slices.Clone(s)
}

// selectorString is a label selector as kubectl prints one; "" selects
// everything, as an absent selector does.
func selectorString(s *metav1.LabelSelector) string {
	if s == nil {
		return ""
	}
	sel, err := metav1.LabelSelectorAsSelector(s)
	if err != nil {
		return metav1.FormatLabelSelector(s)
	}
	return sel.String()
}

// exemptions says which namespaces or objects a selector leaves out. A
// selector's requirements all have to hold, so failing any one exempts.
func exemptions(what string, s *metav1.LabelSelector) []string {
	if s == nil {
		return nil
	}
	var out []string
	keys := make([]string, 0, len(s.MatchLabels))
	for k := range s.MatchLabels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		out = append(out, fmt.Sprintf("%s not labelled %s=%s", what, k, s.MatchLabels[k]))
	}
	for _, e := range s.MatchExpressions {
		switch e.Operator {
		case metav1.LabelSelectorOpIn:
			out = append(out, fmt.Sprintf("%s whose label %s is not one of %s", what, e.Key, strings.Join(e.Values, ", ")))
		case metav1.LabelSelectorOpNotIn:
			for _, v := range e.Values {
				out = append(out, fmt.Sprintf("%s labelled %s=%s", what, e.Key, v))
			}
		case metav1.LabelSelectorOpExists:
			out = append(out, fmt.Sprintf("%s without label %s", what, e.Key))
		case metav1.LabelSelectorOpDoesNotExist:
			out = append(out, fmt.Sprintf("%s with label %s", what, e.Key))
		default:
			out = append(out, fmt.Sprintf("%s not matching %s %s %v", what, e.Key, e.Operator, e.Values))
		}
	}
	return out
}

// matchStrings are a MatchResources in short strings.
func matchStrings(m *admissionregistrationv1.MatchResources) []string {
	out := []string{}
	for _, r := range m.ResourceRules {
		out = append(out, ruleString(r))
	}
	for _, r := range m.ExcludeResourceRules {
		out = append(out, "exclude "+ruleString(r))
	}
	if s := selectorString(m.NamespaceSelector); s != "" {
		out = append(out, "namespaces: "+s)
	}
	if s := selectorString(m.ObjectSelector); s != "" {
		out = append(out, "objects: "+s)
	}
	return out
}

// ruleString is "CREATE,UPDATE apps/v1 deployments", the core group
// written "core".
func ruleString(r admissionregistrationv1.NamedRuleWithOperations) string {
	list := func(s []string) string {
		if len(s) == 0 {
			return "-"
		}
		return strings.Join(s, ",")
	}
	groups := make([]string, 0, len(r.APIGroups))
	for _, g := range r.APIGroups {
		if g == "" {
			g = "core"
		}
		groups = append(groups, g)
	}
	s := fmt.Sprintf("%s %s/%s %s", list(operations(r.Operations)), list(groups), list(r.APIVersions), list(r.Resources))
	if sc := scope(r.Scope); sc != string(admissionregistrationv1.AllScopes) {
		s += " (" + sc + ")"
	}
	if len(r.ResourceNames) > 0 {
		s += " named " + strings.Join(r.ResourceNames, ",")
	}
	return s
}
