package kube

import (
	"slices"
	"testing"

	"github.com/evident-project/evident/generator/collect"
	"github.com/evident-project/evident/generator/rbac"
)

// The real-world manifests, read in place from shared/realdata/k8s; the
// facts asserted were checked by hand against the files.

func check(subject, verb, resource, namespace string, expect bool) map[string]any {
	return map[string]any{"subject": subject, "verb": verb, "resource": resource, "namespace": namespace, "expect": expect}
}

func collectReal(t *testing.T, path string, checks ...map[string]any) (*RBACData, *collect.Result) {
	t.Helper()
	var params map[string]any
	if len(checks) > 0 {
		l := make([]any, len(checks))
		for i, c := range checks {
			l[i] = c
		}
		params = map[string]any{"checks": l}
	}
	res := mustCollect(t, NewRBAC(nil), gitopsRequest(realdata, path, params))
	return rbacData(t, res), res
}

func holder(l []rbac.Holder, subject string) *rbac.Holder {
	for i := range l {
		if l[i].Subject == subject {
			return &l[i]
		}
	}
	return nil
}

func findRole(l []rbac.Role, ns, name string) *rbac.Role {
	for i := range l {
		if l[i].Namespace == ns && l[i].Name == name {
			return &l[i]
		}
	}
	return nil
}

func TestRealOnePasswordKustomization(t *testing.T) {
	const op = "serviceaccount:system:onepassword-connect-operator"
	d, res := collectReal(t, "onepassword-operator/config-rbac@9c3b1b9",
		check(op, "delete", "*", "*", false),
		check(op, "get", "secrets", "payments", false),
		check(op, "create", "onepassworditems", "payments", true))

	// Rendered with kustomize, not read file by file.
	var kz *collect.Read
	for i, r := range res.Provenance.Reads {
		if r.Method == "kustomize build" {
			kz = &res.Provenance.Reads[i]
		}
		if r.Method == "read" && r.Target != "" && r.Target[0] != 'b' {
			t.Errorf("a kustomization folder's file was read on its own: %+v", r)
		}
	}
	if kz == nil || kz.Target != "onepassword-operator/config-rbac@9c3b1b9" || kz.Count != 11 {
		t.Fatalf("kustomize read = %+v, want the folder with its 11 resources", kz)
	}

	if h := holder(d.Privileged.SecretReaders, op); h == nil || h.Via[0].Role != "ClusterRole/manager-role" {
		t.Errorf("manager service account not a secret reader through manager-role: %+v", h)
	}
	del := d.Checks[0]
	if del.Allowed == nil || !*del.Allowed || del.GrantedBy == nil {
		t.Fatalf("delete * = %+v, want allowed with the granting rule", del)
	}
	if g := del.GrantedBy; g.Binding != "ClusterRoleBinding/manager-rolebinding" || g.Role != "ClusterRole/manager-role" ||
		g.RuleIndex != 0 || !slices.Contains(g.Rule.Verbs, "delete") || !slices.Contains(g.Rule.Resources, "secrets") {
		t.Errorf("delete * granted by %+v, want manager-role rule 0 (delete on core configmaps…secrets)", g)
	}
	if c := d.Checks[1]; c.Allowed == nil || !*c.Allowed {
		t.Errorf("get secrets in any namespace = %+v, want allowed (ClusterRoleBinding)", c)
	}
	// No CRD in the folder: onepassworditems cannot be resolved, so the
	// check is unanswered, never false.
	if c := d.Checks[2]; c.Allowed != nil || c.Error == "" {
		t.Errorf("check on a resource no CRD defines = %+v, want allowed null with an error", c)
	}
	if d.Summary.ChecksUnanswered != 1 || d.Summary.ChecksUnexpected != 2 {
		t.Errorf("summary = %+v, want 1 unanswered and 2 unexpected (the operator may delete, and read secrets)", d.Summary)
	}
	// The leader election Role names no namespace: kubectl apply puts it
	// in default.
	if findRole(d.Inventory.Roles, "default", "leader-election-role") == nil {
		t.Error("leader-election-role not defaulted into namespace default")
	}
}

func TestRealCertManager(t *testing.T) {
	const (
		controller = "serviceaccount:cert-manager:cert-manager"
		cainjector = "serviceaccount:cert-manager:cert-manager-cainjector"
		webhook    = "serviceaccount:cert-manager:cert-manager-webhook"
	)
	d, _ := collectReal(t, "cert-manager/rbac-only.yaml",
		check(cainjector, "list", "secrets", "", true),
		check(webhook, "get", "secrets", "cert-manager", false),
		check(controller, "create", "certificates", "cert-manager", true))

	if h := holder(d.Privileged.SecretReaders, cainjector); h == nil || h.Via[0].Binding != "ClusterRoleBinding/cert-manager-cainjector" || h.Via[0].Namespace != "" {
		t.Errorf("cainjector secret access = %+v, want cluster-wide through ClusterRoleBinding/cert-manager-cainjector", h)
	}
	if h := holder(d.Privileged.SecretReaders, controller); h == nil || h.Via[0].Namespace != "" {
		t.Errorf("controller secret access = %+v, want cluster-wide", h)
	}
	// The webhook may read only its CA secret, by name.
	if h := holder(d.Privileged.SecretReaders, webhook); h == nil || !slices.Equal(h.Via[0].ResourceNames, []string{"cert-manager-webhook-ca"}) || h.Via[0].Namespace != "cert-manager" {
		t.Errorf("webhook secret access = %+v, want cert-manager-webhook-ca in cert-manager only", h)
	}
	if c := d.Checks[0]; c.Allowed == nil || !*c.Allowed || c.GrantedBy.Binding != "ClusterRoleBinding/cert-manager-cainjector" {
		t.Errorf("cainjector list secrets = %+v", c)
	}
	// A request without a name is not allowed by a resourceNames rule.
	if c := d.Checks[1]; c.Allowed == nil || *c.Allowed {
		t.Errorf("webhook get secrets (no name) = %+v, want denied", c)
	}
	if c := d.Checks[2]; c.Allowed != nil {
		t.Errorf("check on certificates without its CRD = %+v, want unanswered", c)
	}
	// cert-manager's view and edit roles aggregate into the built-in view,
	// edit and admin, as kube-controller-manager would fill them.
	for _, name := range []string{"view", "edit", "admin"} {
		r := findRole(d.Inventory.ClusterRoles, "", name)
		if r == nil || !slices.ContainsFunc(r.Rules, func(x rbac.Rule) bool {
			return slices.Contains(x.APIGroups, "cert-manager.io") && slices.Contains(x.Resources, "certificates")
		}) {
			t.Errorf("built-in %s does not aggregate cert-manager's certificates rule", name)
		}
	}
}

func TestRealIngressNginx(t *testing.T) {
	const sa = "serviceaccount:ingress-nginx:ingress-nginx"
	d, _ := collectReal(t, "ingress-nginx/rbac-only.yaml",
		check(sa, "list", "secrets", "", true),
		check(sa, "get", "secrets", "kube-system", false),
		check(sa, "get", "secrets", "ingress-nginx", true),
		check(sa, "update", "ingresses/status", "*", true))
	for i, want := range []bool{true, false, true, true} {
		if c := d.Checks[i]; c.Allowed == nil || *c.Allowed != want || c.Error != "" {
			t.Errorf("check %d %s %s in %q = %+v, want %v", i, c.Verb, c.Resource, c.Namespace, c.Allowed, want)
		}
	}
	if holder(d.Privileged.SecretReaders, sa) == nil || holder(d.Privileged.SecretReaders, "serviceaccount:ingress-nginx:ingress-nginx-admission") == nil {
		t.Error("ingress-nginx service accounts missing from secret_readers")
	}
	if d.Summary.ChecksUnexpected != 0 {
		t.Errorf("summary %+v", d.Summary)
	}
}

func TestRealExternalSecretsHelmSnapshot(t *testing.T) {
	d, res := collectReal(t, "external-secrets/rendered-rbac.from-helm-unittest-snapshot.yaml")
	if holder(d.Privileged.SecretReaders, "serviceaccount:NAMESPACE:RELEASE-NAME-external-secrets") == nil {
		t.Error("the external-secrets controller is not a secret reader")
	}
	if len(res.Provenance.Reads) != 2 || res.Provenance.Reads[1].Count == 0 {
		t.Errorf("reads = %+v", res.Provenance.Reads)
	}
}
