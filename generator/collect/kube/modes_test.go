package kube

import (
	"context"
	"encoding/json"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	fakediscovery "k8s.io/client-go/discovery/fake"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/evident-project/evident/generator/collect"
	"github.com/evident-project/evident/generator/rbac"
)

// clusterFrom is the cluster a folder gives once applied to a fresh
// kube-apiserver and its aggregation controller has run: the defaults and
// the folder's objects, aggregated ClusterRoles filled, CRDs served.
func clusterFrom(t *testing.T, base, dir string) *fake.Clientset {
	t.Helper()
	m, err := ParseManifests(context.Background(), base, dir)
	if err != nil {
		t.Fatal(err)
	}
	d, err := builtinManifests()
	if err != nil {
		t.Fatal(err)
	}
	o := Overlay(&d.Objects, &m.Objects)
	inv := o.Inventory()
	rbac.Aggregate(inv)
	aggregated := map[string][]rbac.Rule{}
	for _, r := range inv.ClusterRoles {
		aggregated[r.Name] = r.Rules
	}
	var objs []runtime.Object
	for i := range o.ClusterRoles {
		cr := o.ClusterRoles[i].DeepCopy()
		if cr.AggregationRule != nil {
			cr.Rules = nil
			for _, r := range aggregated[cr.Name] {
				cr.Rules = append(cr.Rules, rbacv1.PolicyRule{Verbs: r.Verbs, APIGroups: r.APIGroups, Resources: r.Resources, ResourceNames: r.ResourceNames, NonResourceURLs: r.NonResourceURLs})
			}
		}
		// What the API server adds, and the evidence must drop.
		cr.UID, cr.ResourceVersion = "uid-1", "7"
		cr.ManagedFields = []metav1.ManagedFieldsEntry{{Manager: "kubectl"}}
		objs = append(objs, cr)
	}
	for i := range o.Roles {
		objs = append(objs, &o.Roles[i])
	}
	for i := range o.ClusterRoleBindings {
		objs = append(objs, &o.ClusterRoleBindings[i])
	}
	for i := range o.RoleBindings {
		objs = append(objs, &o.RoleBindings[i])
	}
	for i := range o.ServiceAccounts {
		objs = append(objs, &o.ServiceAccounts[i])
	}
	for i := range o.Namespaces {
		ns := o.Namespaces[i].DeepCopy()
		ns.Labels = namespaceLabels(ns) // the API server sets the name label
		objs = append(objs, ns)
	}
	for i := range o.ValidatingWebhookConfigurations {
		objs = append(objs, &o.ValidatingWebhookConfigurations[i])
	}
	for i := range o.MutatingWebhookConfigurations {
		objs = append(objs, &o.MutatingWebhookConfigurations[i])
	}
	for i := range o.ValidatingAdmissionPolicies {
		objs = append(objs, &o.ValidatingAdmissionPolicies[i])
	}
	for i := range o.ValidatingAdmissionPolicyBindings {
		objs = append(objs, &o.ValidatingAdmissionPolicyBindings[i])
	}
	cs := newFake(t, objs, nil)
	var lists []*metav1.APIResourceList
	for _, r := range o.CustomResources {
		lists = append(lists, &metav1.APIResourceList{GroupVersion: r.Group + "/v1", APIResources: []metav1.APIResource{
			{Name: r.Resource, Kind: r.Kind, Namespaced: r.Namespaced}, {Name: r.Resource + "/status", Kind: r.Kind, Namespaced: r.Namespaced},
		}})
	}
	// Kubernetes' own groups are served too, and are not custom resources.
	lists = append(lists, &metav1.APIResourceList{GroupVersion: "v1", APIResources: []metav1.APIResource{{Name: "pods", Kind: "Pod", Namespaced: true}}})
	cs.Discovery().(*fakediscovery.FakeDiscovery).Resources = lists
	return cs
}

const modesFolder = `apiVersion: v1
kind: Namespace
metadata:
  name: payments
  labels: {pod-security.kubernetes.io/enforce: restricted, pod-security.kubernetes.io/enforce-version: latest, team: pay}
  annotations: {owner: alice}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: certificates.cert-manager.io}
spec:
  group: cert-manager.io
  names: {plural: certificates, kind: Certificate}
  scope: Namespaced
  versions: [{name: v1, served: true, storage: true}]
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: no-latest}
spec:
  matchConstraints:
    resourceRules: [{apiGroups: [apps], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [deployments]}]
  validations: [{expression: "true"}]
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: no-latest}
spec: {policyName: no-latest, validationActions: [Deny]}
---
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata: {name: injector}
webhooks:
- name: inject.example.com
  sideEffects: None
  failurePolicy: Ignore
  admissionReviewVersions: [v1]
  clientConfig: {service: {namespace: injector, name: injector, port: 8443}}
  namespaceSelector: {matchExpressions: [{key: control-plane, operator: NotIn, values: ["true"]}]}
  rules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}]
`

func TestModesGiveIdenticalData(t *testing.T) {
	for _, folder := range []struct{ base, dir string }{
		{realdata, "cert-manager/rbac-only.yaml"},
		{realdata, "onepassword-operator/config-rbac@9c3b1b9"},
		{writeFiles(t, map[string]string{"deploy/cluster.yaml": modesFolder}), "deploy"},
	} {
		t.Run(folder.dir, func(t *testing.T) {
			params := map[string]any{"checks": []any{
				check("serviceaccount:cert-manager:cert-manager", "create", "secrets", "payments", true),
				check("serviceaccount:cert-manager:cert-manager", "*", "*", "*", false),
				check("serviceaccount:system:onepassword-connect-operator", "delete", "*", "*", false),
				check("group:viewers", "get", "certificates", "payments", false),
				check("user:alice", "get", "/healthz", "", true),
			}}
			cs := clusterFrom(t, folder.base, folder.dir)
			open := fakeOpener(func(string) *fake.Clientset { return cs })
			for _, pair := range []struct {
				live, gitops collect.Collector
			}{{NewRBAC(open), NewRBAC(nil)}, {NewAdmission(open), NewAdmission(nil)}} {
				req := gitopsRequest(folder.base, folder.dir, nil)
				live := liveRequest("gitops", nil)
				if pair.live.Def().Name == "kube.rbac" {
					req.Params, live.Params = params, params
				}
				a := mustCollect(t, pair.live, live)
				b := mustCollect(t, pair.gitops, req)
				ja, _ := json.MarshalIndent(a.Data, "", " ")
				jb, _ := json.MarshalIndent(b.Data, "", " ")
				if string(ja) != string(jb) {
					t.Fatalf("%s: live and gitops data differ:\n%s", pair.live.Def().Name, firstDiff(string(ja), string(jb)))
				}
				if a.Provenance.Source["mode"] != "live" || b.Provenance.Source["mode"] != "gitops" {
					t.Errorf("modes %v %v", a.Provenance.Source, b.Provenance.Source)
				}
			}
		})
	}
}

// firstDiff shows where two texts part.
func firstDiff(a, b string) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	lo := max(0, i-300)
	return "live:\n" + a[lo:min(len(a), i+300)] + "\n---\ngitops:\n" + b[lo:min(len(b), i+300)]
}
