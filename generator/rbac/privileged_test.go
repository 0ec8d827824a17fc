package rbac

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// TestPrivilegedCategories grants one rule to user "u" and checks which
// categories it puts u in, and with which verbs and resources.
func TestPrivilegedCategories(t *testing.T) {
	const (
		core = ""
		rbac = "rbac.authorization.k8s.io"
		adm  = "admissionregistration.k8s.io"
		crd  = "apiextensions.k8s.io"
		cert = "certificates.k8s.io"
		auth = "authentication.k8s.io"
	)
	cases := []struct {
		name       string
		rule       Rule
		namespaced bool
		want       string // "category verbs resources" entries, ";"-separated; "" = none
	}{
		{"cluster-admin", rule(l("*"), l("*"), l("*")), false,
			"cluster_admin * *;secret_readers * *;escalate_bind_impersonate * *;exec * *;node_proxy * *;rbac_writers * *;admission_writers * *;crd_writers * *;csr_approvers * *"},
		{"namespace admin", rule(l("*"), l("*"), l("*")), true,
			"namespace_admin * *;secret_readers * *;escalate_bind_impersonate * *;exec * *;node_proxy * *;rbac_writers * *;admission_writers * *;crd_writers * *;csr_approvers * *"},
		{"wildcards limited by name are not admin", Rule{Verbs: l("*"), APIGroups: l("*"), Resources: l("*"), ResourceNames: l("x")}, false,
			"secret_readers * *;escalate_bind_impersonate * *;exec * *;node_proxy * *;rbac_writers * *;admission_writers * *;crd_writers * *;csr_approvers * *"},
		{"all verbs on core is not admin", rule(l("*"), l(core), l("*")), false,
			"secret_readers * *;escalate_bind_impersonate * *;exec * *;node_proxy * *"},

		{"secret get", rule(l("get", "create"), l(core), l("secrets", "configmaps")), false, "secret_readers get secrets"},
		{"secret list watch", rule(l("list", "watch", "delete"), l(core), l("secrets")), true, "secret_readers list,watch secrets"},
		{"secret any group", rule(l("get"), l("*"), l("secrets")), false, "secret_readers get secrets"},
		{"secret status is not secret read", rule(l("get"), l(core), l("secrets/status")), false, ""},
		{"secret star-slash is not secret read", rule(l("get"), l(core), l("*/status")), false, ""},
		{"secrets of another group", rule(l("get"), l("external-secrets.io"), l("secrets")), false, ""},
		{"secret write only", rule(l("create", "update", "delete"), l(core), l("secrets")), false, ""},

		{"bind roles", rule(l("bind"), l(rbac), l("clusterroles")), false, "escalate_bind_impersonate bind clusterroles"},
		{"escalate roles", rule(l("escalate", "get"), l(rbac), l("roles", "rolebindings")), true, "escalate_bind_impersonate escalate roles"},
		{"bind in the core group", rule(l("bind"), l(core), l("roles")), false, ""},
		{"impersonate users groups", rule(l("impersonate"), l(core), l("users", "groups", "pods")), false, "escalate_bind_impersonate impersonate users,groups"},
		{"impersonate service accounts", rule(l("impersonate"), l(core), l("serviceaccounts")), true, "escalate_bind_impersonate impersonate serviceaccounts"},
		{"impersonate uids and extras", rule(l("impersonate"), l(auth), l("uids", "userextras/scopes")), false, "escalate_bind_impersonate impersonate uids,userextras/scopes"},
		{"impersonate bare userextras matches no request", rule(l("impersonate"), l(auth), l("userextras")), false, ""},
		{"impersonate users in authentication group", rule(l("impersonate"), l(auth), l("users")), false, ""},
		{"get users is not impersonation", rule(l("get"), l(core), l("users")), false, ""},

		{"exec", rule(l("create"), l(core), l("pods/exec")), true, "exec create pods/exec"},
		{"attach via get", rule(l("get", "list"), l(core), l("pods/attach", "pods/log")), false, "exec get pods/attach"},
		{"exec via star-slash", rule(l("create"), l(core), l("*/exec")), false, "exec create */exec"},
		{"pods is not exec", rule(l("create", "get"), l(core), l("pods")), false, ""},
		{"exec with another verb", rule(l("update"), l(core), l("pods/exec")), false, ""},

		{"node proxy", rule(l("get"), l(core), l("nodes/proxy")), false, "node_proxy get nodes/proxy"},
		{"node proxy any verb", rule(l("list", "watch"), l(core), l("*/proxy")), false, "node_proxy list,watch */proxy"},
		{"nodes is not node proxy", rule(l("*"), l(core), l("nodes", "services/proxy")), false, ""},

		{"rbac writer", rule(l("create", "get"), l(rbac), l("rolebindings")), true, "rbac_writers create rolebindings"},
		{"rbac writer all resources", rule(l("patch"), l(rbac), l("*")), false, "rbac_writers patch *"},
		{"rbac reader", rule(l("get", "list", "watch"), l(rbac), l("*")), false, ""},
		{"rbac write in another group", rule(l("create"), l("apps"), l("roles")), false, ""},

		{"admission writer", rule(l("update"), l(adm), l("validatingwebhookconfigurations", "mutatingadmissionpolicybindings")), false,
			"admission_writers update validatingwebhookconfigurations,mutatingadmissionpolicybindings"},
		{"admission reader", rule(l("get", "list"), l(adm), l("mutatingwebhookconfigurations")), false, ""},
		{"crd writer", rule(l("deletecollection"), l(crd), l("customresourcedefinitions")), false, "crd_writers deletecollection customresourcedefinitions"},
		{"crd status is not a crd write", rule(l("update"), l(crd), l("customresourcedefinitions/status")), false, ""},
		{"csr approver", rule(l("update"), l(cert), l("certificatesigningrequests/approval")), false, "csr_approvers update certificatesigningrequests/approval"},
		{"csr create is not approval", rule(l("create", "update"), l(cert), l("certificatesigningrequests")), false, ""},
		{"non-resource only", Rule{Verbs: l("*"), NonResourceURLs: l("*")}, false, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			inv := &Inventory{ClusterRoles: []Role{{Name: "r", Rules: []Rule{c.rule}}}}
			wantNS := ""
			if c.namespaced {
				wantNS = "n"
				inv.RoleBindings = []Binding{rb("n", "b", "ClusterRole", "r", user("u"))}
			} else {
				inv.ClusterRoleBindings = []Binding{crb("b", "r", user("u"))}
			}
			p := New(inv).Privileged()
			var got []string
			for _, cat := range categories(p) {
				for _, h := range cat.holders {
					if h.Subject != "user:u" || h.Category != CategoryUser || len(h.Via) != 1 {
						t.Fatalf("%s: holder %+v", cat.name, h)
					}
					a := h.Via[0]
					if a.Namespace != wantNS || a.Binding == "" || a.Role != "ClusterRole/r" || a.Subject != "user:u" {
						t.Fatalf("%s: access %+v", cat.name, a)
					}
					got = append(got, fmt.Sprintf("%s %s %s", cat.name, strings.Join(a.Verbs, ","), strings.Join(a.Resources, ",")))
				}
			}
			if g := strings.Join(got, ";"); g != c.want {
				t.Fatalf("categories\n got %s\nwant %s", g, c.want)
			}
		})
	}
}

func TestPrivilegedHolders(t *testing.T) {
	inv := &Inventory{
		ClusterRoles: []Role{
			{Name: "cluster-admin", Rules: []Rule{rule(l("*"), l("*"), l("*")), {Verbs: l("*"), NonResourceURLs: l("*")}}},
			{Name: "one-secret", Rules: []Rule{{Verbs: l("get"), APIGroups: l(""), Resources: l("secrets"), ResourceNames: l("tls", "db")}}},
		},
		ClusterRoleBindings: []Binding{
			crb("cluster-admin", "cluster-admin", group(GroupMasters)),
			crb("sa-secrets", "one-secret", group(GroupServiceAccounts)),
		},
		RoleBindings:    []Binding{rb("apps", "web", "ClusterRole", "one-secret", Subject{Kind: KindServiceAccount, Name: "web"})},
		ServiceAccounts: []ServiceAccount{{Namespace: "apps", Name: "web"}},
	}
	p := New(inv).Privileged()
	// system:masters holds cluster-admin through its binding, nothing made up.
	if len(p.ClusterAdmin) != 1 || p.ClusterAdmin[0].Subject != "group:system:masters" || p.ClusterAdmin[0].Category != CategorySystem ||
		p.ClusterAdmin[0].Via[0].Binding != "ClusterRoleBinding/cluster-admin" {
		t.Fatalf("ClusterAdmin = %+v", p.ClusterAdmin)
	}
	var readers []string
	for _, h := range p.SecretReaders {
		var via []string
		for _, a := range h.Via {
			via = append(via, fmt.Sprintf("%s@%s:%s", a.Subject, a.Namespace, strings.Join(a.ResourceNames, ",")))
		}
		readers = append(readers, h.Subject+"="+strings.Join(via, "+"))
	}
	want := "group:system:masters=group:system:masters@: " +
		"group:system:serviceaccounts=group:system:serviceaccounts@:tls,db " +
		"serviceaccount:apps:web=group:system:serviceaccounts@:tls,db+serviceaccount:apps:web@apps:tls,db"
	if got := strings.Join(readers, " "); got != want {
		t.Fatalf("SecretReaders\n got %s\nwant %s", got, want)
	}

	// Empty lists are [], not null.
	b, err := json.Marshal(New(&Inventory{}).Privileged())
	if err != nil {
		t.Fatal(err)
	}
	want = `{"cluster_admin":[],"namespace_admin":[],"secret_readers":[],"escalate_bind_impersonate":[],"exec":[],"node_proxy":[],"rbac_writers":[],"admission_writers":[],"crd_writers":[],"csr_approvers":[]}`
	if string(b) != want {
		t.Fatalf("empty Privileged = %s", b)
	}
}

type category struct {
	name    string
	holders []Holder
}

func categories(p Privileged) []category {
	return []category{
		{"cluster_admin", p.ClusterAdmin}, {"namespace_admin", p.NamespaceAdmin}, {"secret_readers", p.SecretReaders},
		{"escalate_bind_impersonate", p.EscalateBindImpersonate}, {"exec", p.Exec}, {"node_proxy", p.NodeProxy},
		{"rbac_writers", p.RBACWriters}, {"admission_writers", p.AdmissionWriters}, {"crd_writers", p.CRDWriters},
		{"csr_approvers", p.CSRApprovers},
	}
}
