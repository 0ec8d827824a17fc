package kube

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/evident-project/evident/generator/collect"
	"github.com/evident-project/evident/generator/rbac"
)

const saDoc = `apiVersion: v1
kind: ServiceAccount
metadata: {name: op, namespace: apps}
`

func TestManifestErrorsNameFileAndLine(t *testing.T) {
	for name, tc := range map[string]struct {
		file, content, want string
	}{
		"bad yaml":      {"a.yaml", saDoc + "---\n# Source: chart\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: [x\n", "deploy/a.yaml:6: bad YAML"},
		"no kind":       {"a.yaml", saDoc + "---\napiVersion: v1\nmetadata: {name: x}\n", "deploy/a.yaml:5: document has no apiVersion or kind"},
		"no apiVersion": {"b.yml", "kind: Role\nmetadata: {name: x}\n", "deploy/b.yml:1: document has no apiVersion or kind"},
		"unknown rbac kind": {"a.yaml", "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBindin\nmetadata: {name: x}\n",
			"deploy/a.yaml:1: unknown kind ClusterRoleBindin in rbac.authorization.k8s.io/v1"},
		"unknown admission kind": {"a.yaml", "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingWebhook\nmetadata: {name: x}\n",
			"unknown kind ValidatingWebhook in admissionregistration.k8s.io/v1"},
		"version not served": {"a.yaml", "apiVersion: rbac.authorization.k8s.io/v1beta1\nkind: Role\nmetadata: {name: x}\n",
			"Kubernetes v1.37 does not serve rbac.authorization.k8s.io/v1beta1"},
		"unknown field": {"a.yaml", "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: x}\nrulez: []\n",
			`deploy/a.yaml:1: malformed ClusterRole "x"`},
		"wrong type": {"a.yaml", "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: x}\nrules: {verbs: get}\n",
			`malformed ClusterRole "x"`},
		"duplicate key": {"a.yaml", "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: x, name: y}\n", "deploy/a.yaml:1: bad YAML"},
		"rule without verbs": {"a.yaml", "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: x}\nrules: [{apiGroups: [''], resources: [pods]}]\n",
			"rules[0]: verbs must contain at least one value"},
		"role ref kind": {"a.yaml", "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: x}\nroleRef: {kind: Role, name: r}\n",
			`roleRef.kind is "Role", want ClusterRole`},
		"subject without namespace": {"a.yaml", "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: x}\nroleRef: {kind: ClusterRole, name: r}\nsubjects: [{kind: ServiceAccount, name: s}]\n",
			"namespace is required for a ServiceAccount of a ClusterRoleBinding"},
		"no name": {"a.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {labels: {a: b}}\n", "Namespace has no metadata.name"},
		"list item": {"a.yaml", "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ServiceAccount, metadata: {name: a}}\n- {apiVersion: v1}\n",
			"deploy/a.yaml:1: item 1: document has no apiVersion or kind"},
		"not an object": {"a.json", `["x"]`, "deploy/a.json:1: document is not an object"},
		"crd scope": {"a.yaml", "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: w.example.com}\nspec: {group: example.com, names: {plural: w, kind: W}, scope: Global, versions: [{name: v1, served: true}]}\n",
			`spec.scope is "Global"`},
	} {
		t.Run(name, func(t *testing.T) {
			dir := writeFiles(t, map[string]string{"deploy/" + tc.file: tc.content})
			for _, c := range []collect.Collector{NewRBAC(nil), NewAdmission(nil)} {
				_, err := c.Collect(context.Background(), gitopsRequest(dir, "deploy", nil))
				if k := kindOf(t, err); k != collect.KindInvalid {
					t.Fatalf("kind %s, want invalid: %v", k, err)
				}
				if !strings.Contains(err.Error(), tc.want) {
					t.Errorf("error %q does not say %q", err, tc.want)
				}
				var me *ManifestError
				if !errors.As(err, &me) {
					t.Errorf("error is not a *ManifestError: %v", err)
				}
				if strings.Contains(err.Error(), dir) {
					t.Errorf("error names the checkout path: %v", err)
				}
			}
		})
	}
}

func TestBindingToMissingRoleIsAProblem(t *testing.T) {
	dir := writeFiles(t, map[string]string{"deploy/rb.yaml": saDoc + `---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: ghost, namespace: apps}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: nowhere}
subjects: [{kind: ServiceAccount, name: op}]
`})
	d := rbacData(t, mustCollect(t, NewRBAC(nil), gitopsRequest(dir, "deploy", nil)))
	found := false
	for _, p := range d.Problems {
		found = found || p.Object == "RoleBinding/apps/ghost" && strings.Contains(p.Message, "nowhere")
	}
	if !found || d.Summary.Problems != len(d.Problems) {
		t.Errorf("problems = %+v, want RoleBinding/apps/ghost naming the missing role", d.Problems)
	}
	// The subject's namespace is kept as written (empty): the authorizer
	// defaults it to the binding's, and so does the evaluator.
	if got := d.Inventory.RoleBindings[0]; got.Name != "ghost" || got.Subjects[0].Namespace != "" {
		t.Errorf("first role binding = %+v, want ghost as written", got)
	}
}

func TestFolderWalk(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"deploy/b/roles.yml": `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleList
items:
- metadata: {name: lister}
  rules: [{apiGroups: [""], resources: [pods], verbs: [list]}]
`,
		"deploy/a/list.json": `{"apiVersion": "v1", "kind": "List", "items": [
  {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "apps", "labels": {"team": "a"}}},
  {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "apps"}}
]}`,
		"deploy/a/svc.yaml":              "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n---\n---\n# only a comment\n",
		"deploy/.github/workflows/x.yml": "on: push\n",
		"deploy/README.md":               "not yaml",
		"deploy/dup.yaml": `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: lister}
rules: [{apiGroups: [""], resources: [pods], verbs: [get]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: cluster-admin}
rules: [{apiGroups: [""], resources: [pods], verbs: [get]}]
`,
	})
	res := mustCollect(t, NewRBAC(nil), gitopsRequest(dir, "deploy", nil))
	d := rbacData(t, res)
	var targets []string
	for _, r := range res.Provenance.Reads {
		targets = append(targets, r.Target)
	}
	want := "builtin:kube-apiserver-v1.37.2-defaults.yaml deploy/a/list.json deploy/a/svc.yaml deploy/b/roles.yml deploy/dup.yaml"
	if got := strings.Join(targets, " "); got != want {
		t.Errorf("reads %s, want %s", got, want)
	}
	if r := res.Provenance.Reads[2]; r.Count != 1 || !strings.HasPrefix(r.Status, "sha256:") {
		t.Errorf("svc.yaml read = %+v, want 1 document (empty ones dropped) and its sha256", r)
	}
	// The later declaration wins, and the duplicate is named.
	lister := findRole(d.Inventory.ClusterRoles, "", "lister")
	if lister == nil || lister.Rules[0].Verbs[0] != "get" {
		t.Errorf("lister = %+v, want dup.yaml's (later) rules", lister)
	}
	if !hasNote(res.Provenance, "ClusterRole/lister is declared at deploy/b/roles.yml:1: item 0 and again at deploy/dup.yaml:1") {
		t.Errorf("no duplicate note: %q", res.Provenance.Notes)
	}
	// A folder object replaces the default of the same name.
	if ca := findRole(d.Inventory.ClusterRoles, "", "cluster-admin"); ca == nil || len(ca.Rules) != 1 || ca.Rules[0].Resources[0] != "pods" {
		t.Errorf("cluster-admin = %+v, want the folder's", ca)
	}
	if !hasNote(res.Provenance, "apps/v1 Deployment (1), v1 Service (1)") || !hasNote(res.Provenance, "built-in RBAC defaults of kube-apiserver v1.37.2") {
		t.Errorf("notes %q", res.Provenance.Notes)
	}
	// Namespaces: the built-in ones and the folder's, with the name label
	// the API server sets.
	var names []string
	for _, n := range d.Inventory.Namespaces {
		names = append(names, n.Name)
		if n.Labels[namespaceNameLabel] != n.Name {
			t.Errorf("namespace %s labels %v lack %s", n.Name, n.Labels, namespaceNameLabel)
		}
	}
	if got := strings.Join(names, " "); got != "apps default kube-node-lease kube-public kube-system" {
		t.Errorf("namespaces %s", got)
	}
}

func TestKustomizationFolder(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"deploy/app/kustomization.yaml": "namespace: payments\nresources: [sa.yaml, role.yaml]\n",
		"deploy/app/sa.yaml":            "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: api}\n",
		"deploy/app/role.yaml": `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: api}
rules: [{apiGroups: [""], resources: [configmaps], verbs: [get]}]
`,
		// Not named by the kustomization: kubectl apply -k would not apply it.
		"deploy/app/unused.yaml": "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: unused}\n",
		"deploy/top.yaml":        saDoc,
	})
	res := mustCollect(t, NewRBAC(nil), gitopsRequest(dir, "deploy", nil))
	d := rbacData(t, res)
	var sas []string
	for _, sa := range d.Inventory.ServiceAccounts {
		sas = append(sas, sa.Namespace+"/"+sa.Name)
	}
	if got := strings.Join(sas, " "); got != "apps/op payments/api" {
		t.Errorf("service accounts %s, want apps/op and payments/api (transformers applied, unused.yaml not read)", got)
	}
	if findRole(d.Inventory.Roles, "payments", "api") == nil {
		t.Error("the kustomization's namespace transformer was not applied to the Role")
	}
	if r := res.Provenance.Reads[1]; r.Method != "kustomize build" || r.Target != "deploy/app" || r.Count != 2 {
		t.Errorf("kustomize read %+v", r)
	}

	broken := writeFiles(t, map[string]string{"deploy/kustomization.yaml": "resources: [missing.yaml]\n"})
	_, err := NewRBAC(nil).Collect(context.Background(), gitopsRequest(broken, "deploy", nil))
	if kindOf(t, err) != collect.KindInvalid || !strings.Contains(err.Error(), "kustomize build") || strings.Contains(err.Error(), broken) {
		t.Errorf("broken kustomization: %v", err)
	}
	remote := writeFiles(t, map[string]string{"deploy/kustomization.yaml": "resources: [\"https://github.com/acme/base//rbac?ref=v1\"]\n"})
	_, err = NewRBAC(nil).Collect(context.Background(), gitopsRequest(remote, "deploy", nil))
	if kindOf(t, err) != collect.KindInvalid || !strings.Contains(err.Error(), "is remote") {
		t.Errorf("remote base: %v", err)
	}
}

func TestCustomResourceDefinitionsResolveChecks(t *testing.T) {
	dir := writeFiles(t, map[string]string{"deploy/crd.yaml": `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: dnszones.bindy.firestoned.io}
spec:
  group: bindy.firestoned.io
  names: {plural: dnszones, singular: dnszone, kind: DNSZone, listKind: DNSZoneList}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: old.example.com}
spec: {group: example.com, names: {plural: old, kind: Old}, scope: Cluster, versions: [{name: v1, served: false}]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: zones}
rules: [{apiGroups: [bindy.firestoned.io], resources: [dnszones], verbs: [get, delete]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: zones, namespace: dns-system}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: zones}
subjects: [{kind: ServiceAccount, name: bindy, namespace: dns-system}]
`})
	sa := "serviceaccount:dns-system:bindy"
	res := mustCollect(t, NewRBAC(nil), gitopsRequest(dir, "deploy", map[string]any{"checks": []any{
		check(sa, "delete", "dnszones", "dns-system", false),
		check(sa, "delete", "dnszones.bindy.firestoned.io", "other", false),
		check(sa, "get", "old", "", false),
	}}))
	// An unanswered check must leave the item incomplete: a null must never
	// read as "may not" and let a least-privilege control pass.
	if res.Provenance.Complete || !hasNote(res.Provenance, "1 of 3 checks could not be answered") {
		t.Errorf("provenance complete=%v notes=%q, want incomplete with the unanswered check noted", res.Provenance.Complete, res.Provenance.Notes)
	}
	d := rbacData(t, res)
	if got := d.Inventory.CustomResources; len(got) != 1 || got[0] != (rbac.APIResource{Group: "bindy.firestoned.io", Resource: "dnszones", Kind: "DNSZone", Namespaced: true}) {
		t.Errorf("custom resources %+v, want dnszones only (old is served by no version)", got)
	}
	if c := d.Checks[0]; c.Allowed == nil || !*c.Allowed || c.GrantedBy.Binding != "RoleBinding/dns-system/zones" {
		t.Errorf("check 0 = %+v", c)
	}
	if c := d.Checks[1]; c.Allowed == nil || *c.Allowed {
		t.Errorf("check 1 = %+v, want denied outside dns-system", c)
	}
	if c := d.Checks[2]; c.Allowed != nil || !strings.Contains(c.Error, "no built-in resource") {
		t.Errorf("check 2 = %+v, want unanswered", c)
	}
}

func TestParseManifestsSingleFileAndMissing(t *testing.T) {
	m, err := ParseManifests(context.Background(), realdata, "ingress-nginx/rbac-only.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Reads) != 1 || m.Reads[0].Target != "ingress-nginx/rbac-only.yaml" || len(m.ClusterRoles) == 0 {
		t.Errorf("reads %+v, %d cluster roles", m.Reads, len(m.ClusterRoles))
	}
	_, err = NewAdmission(nil).Collect(context.Background(), gitopsRequest(t.TempDir(), "nope", nil))
	if kindOf(t, err) != collect.KindNotFound || !strings.Contains(err.Error(), "nope") {
		t.Errorf("missing folder: %v", err)
	}
}
