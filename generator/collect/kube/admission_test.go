package kube

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
)

const admissionFolder = `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: audit-only}
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods], scope: Namespaced}]
    excludeResourceRules: [{apiGroups: [""], apiVersions: ["*"], operations: ["*"], resources: [pods], resourceNames: [debug]}]
    namespaceSelector: {matchLabels: {env: prod}}
  validations: [{expression: "true"}, {expression: "false"}]
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: audit-only}
spec:
  policyName: audit-only
  validationActions: [Audit, Warn]
  matchResources: {namespaceSelector: {matchExpressions: [{key: team, operator: In, values: [a, b]}]}}
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: deny-open}
spec:
  failurePolicy: Ignore
  validations: [{expression: "true"}]
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: deny-open}
spec: {policyName: deny-open, validationActions: [Deny]}
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: enforced}
spec:
  validations: [{expression: "true"}]
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: enforced-b}
spec: {policyName: enforced, validationActions: [Deny]}
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: enforced-a}
spec: {policyName: enforced, validationActions: [Audit]}
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: unbound}
spec: {validations: [{expression: "true"}]}
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: orphan}
spec: {policyName: gone, validationActions: [Deny]}
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: b-defaults}
webhooks:
- name: implicit.example.com
  sideEffects: None
  admissionReviewVersions: [v1]
  clientConfig: {service: {namespace: guard, name: guard}}
  rules: [{apiGroups: [apps], apiVersions: [v1], operations: [CREATE], resources: [deployments]}]
- name: explicit.example.com
  sideEffects: None
  admissionReviewVersions: [v1]
  failurePolicy: Fail
  matchPolicy: Equivalent
  timeoutSeconds: 10
  namespaceSelector: {}
  objectSelector: {}
  clientConfig: {service: {namespace: guard, name: guard, port: 443}}
  rules: [{apiGroups: [apps], apiVersions: [v1], operations: [CREATE], resources: [deployments], scope: "*"}]
---
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata: {name: a-open}
webhooks:
- name: open.example.com
  sideEffects: NoneOnDryRun
  failurePolicy: Ignore
  timeoutSeconds: 3
  admissionReviewVersions: [v1]
  clientConfig: {url: "https://hooks.example.com/mutate"}
  namespaceSelector:
    matchLabels: {inject: "true"}
    matchExpressions:
    - {key: control-plane, operator: NotIn, values: ["true"]}
    - {key: skip, operator: DoesNotExist}
  objectSelector: {matchExpressions: [{key: app, operator: Exists}]}
  matchConditions: [{name: not-system, expression: "!request.userInfo.username.startsWith('system:')"}]
---
apiVersion: admissionregistration.k8s.io/v1beta1
kind: MutatingAdmissionPolicy
metadata: {name: ignored}
spec: {}
---
apiVersion: v1
kind: Namespace
metadata:
  name: payments
  labels:
    pod-security.kubernetes.io/enforce: restricted
    pod-security.kubernetes.io/enforce-version: v1.37
    pod-security.kubernetes.io/warn: restricted
`

func TestAdmission(t *testing.T) {
	dir := writeFiles(t, map[string]string{"deploy/admission.yaml": admissionFolder})
	res := mustCollect(t, NewAdmission(nil), gitopsRequest(dir, "deploy", nil))
	d := res.Data.(*AdmissionData)

	enforce := map[string]bool{}
	for _, p := range d.Policies {
		enforce[p.Name] = p.Enforce
	}
	if want := map[string]bool{"audit-only": false, "deny-open": false, "enforced": true, "unbound": false}; !reflect.DeepEqual(enforce, want) {
		t.Errorf("enforce %v, want %v (Deny needed, and failurePolicy Fail)", enforce, want)
	}
	p := d.Policies[0]
	if p.Name != "audit-only" || p.Validations != 2 || p.FailurePolicy != "Fail" || !slices.Equal(p.MatchResources, []string{
		"CREATE core/v1 pods (Namespaced)", "exclude * core/* pods named debug", "namespaces: env=prod"}) {
		t.Errorf("policy %+v", p)
	}
	if b := p.Bindings[0]; !slices.Equal(b.ValidationActions, []string{"Audit", "Warn"}) || b.NamespaceSelector != "team in (a,b)" {
		t.Errorf("binding %+v", b)
	}
	if d.Policies[2].Bindings[0].Name != "enforced-a" || d.Policies[3].FailurePolicy != "Fail" {
		t.Errorf("bindings not sorted or default failure policy not applied: %+v", d.Policies[2:])
	}
	if want := []string{
		"ValidatingAdmissionPolicy/unbound has no binding: it enforces nothing",
		"ValidatingAdmissionPolicyBinding/orphan binds policy gone, which does not exist: it enforces nothing",
	}; !slices.Equal(d.Problems, want) {
		t.Errorf("problems %q", d.Problems)
	}

	// Sorted by configuration; within one, the order of invocation.
	var names []string
	for _, w := range d.Webhooks {
		names = append(names, w.Configuration+"/"+w.Name)
	}
	if got := strings.Join(names, " "); got != "a-open/open.example.com b-defaults/implicit.example.com b-defaults/explicit.example.com" {
		t.Errorf("webhooks %s", got)
	}
	open := d.Webhooks[0]
	if open.Type != "mutating" || open.Service != "https://hooks.example.com/mutate" || open.TimeoutSeconds != 3 || open.SideEffects != "NoneOnDryRun" {
		t.Errorf("open webhook %+v", open)
	}
	if want := []string{
		"failurePolicy Ignore: fails open, admitting requests when the webhook cannot be reached or errs",
		"namespaces not labelled inject=true",
		"namespaces labelled control-plane=true",
		"namespaces with label skip",
		"objects without label app",
		"requests for which matchCondition not-system is false: !request.userInfo.username.startsWith('system:')",
	}; !slices.Equal(open.Exempt, want) {
		t.Errorf("exempt:\n%q\nwant\n%q", open.Exempt, want)
	}
	if open.NamespaceSelector != "control-plane notin (true),inject=true,!skip" || open.ObjectSelector != "app" {
		t.Errorf("selectors %q %q", open.NamespaceSelector, open.ObjectSelector)
	}
	// Defaults written out and left out read the same, as the API server
	// stores both.
	implicit, explicit := d.Webhooks[1], d.Webhooks[2]
	implicit.Name, explicit.Name = "", ""
	if ji, je := mustJSON(t, implicit), mustJSON(t, explicit); ji != je {
		t.Errorf("defaults differ:\n%s\n%s", ji, je)
	}
	if implicit.Service != "guard/guard:443" || implicit.FailurePolicy != "Fail" || implicit.TimeoutSeconds != 10 || implicit.Rules[0].Scope != "*" || len(implicit.Exempt) != 0 {
		t.Errorf("defaults not applied: %+v", implicit)
	}

	var pay *NamespaceSecurity
	for i := range d.Namespaces {
		if d.Namespaces[i].Name == "payments" {
			pay = &d.Namespaces[i]
		}
		if n := d.Namespaces[i]; n.Name == "kube-system" && n.PodSecurity != (PodSecurity{}) {
			t.Errorf("built-in namespace has pod security %+v", n.PodSecurity)
		}
	}
	if len(d.Namespaces) != 5 || pay == nil || pay.PodSecurity != (PodSecurity{Enforce: "restricted", EnforceVersion: "v1.37", Warn: "restricted"}) {
		t.Errorf("namespaces %+v", d.Namespaces)
	}
	if s := d.Summary; s != (AdmissionSummary{Policies: 4, PoliciesEnforced: 1, PolicyBindings: 5, Webhooks: 3, WebhooksFailOpen: 1, Namespaces: 5, NamespacesEnforcing: 1, Problems: 2}) {
		t.Errorf("summary %+v", s)
	}
	if !hasNote(res.Provenance, "admissionregistration.k8s.io/v1beta1 MutatingAdmissionPolicy (1)") {
		t.Errorf("notes %q", res.Provenance.Notes)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
