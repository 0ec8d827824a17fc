package rbac_test

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/evident-project/evident/generator/rbac"
)

// realdata is the shared folder of real-world manifests, read in place.
const realdata = "../../../shared/realdata/k8s"

// loadManifests reads Kubernetes YAML files (or every .yaml file of a
// folder) into rbacv1 and corev1 objects, then into an Inventory, the way a
// GitOps collector would; namespaced objects without a namespace get
// defaultNS, as `kubectl apply -n` or a kustomization's namespace would
// give them. It does not aggregate.
func loadManifests(t testing.TB, defaultNS string, paths ...string) *rbac.Inventory {
	t.Helper()
	var files []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatalf("load manifests: %v", err)
		}
		if !st.IsDir() {
			files = append(files, p)
			continue
		}
		m, err := filepath.Glob(filepath.Join(p, "*.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	inv := &rbac.Inventory{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatalf("load manifests: %v", err)
		}
		r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
		for {
			doc, err := r.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("load manifests %s: %v", f, err)
			}
			if err := addObject(inv, doc, defaultNS); err != nil {
				t.Fatalf("load manifests %s: %v", f, err)
			}
		}
	}
	sortInventory(inv)
	return inv
}

func addObject(inv *rbac.Inventory, doc []byte, defaultNS string) error {
	var tm metav1.TypeMeta
	if err := yaml.Unmarshal(doc, &tm); err != nil {
		return err
	}
	ns := func(m metav1.ObjectMeta) string {
		if m.Namespace == "" {
			return defaultNS
		}
		return m.Namespace
	}
	switch tm.Kind {
	case "ClusterRole":
		var o rbacv1.ClusterRole
		if err := yaml.UnmarshalStrict(doc, &o); err != nil {
			return err
		}
		r := rbac.Role{Name: o.Name, Labels: o.Labels, Rules: rules(o.Rules)}
		if o.AggregationRule != nil {
			for _, s := range o.AggregationRule.ClusterRoleSelectors {
				sel := rbac.LabelSelector{MatchLabels: s.MatchLabels}
				for _, e := range s.MatchExpressions {
					sel.MatchExpressions = append(sel.MatchExpressions, rbac.LabelExpression{Key: e.Key, Operator: string(e.Operator), Values: e.Values})
				}
				r.Aggregation = append(r.Aggregation, sel)
			}
		}
		inv.ClusterRoles = append(inv.ClusterRoles, r)
	case "Role":
		var o rbacv1.Role
		if err := yaml.UnmarshalStrict(doc, &o); err != nil {
			return err
		}
		inv.Roles = append(inv.Roles, rbac.Role{Namespace: ns(o.ObjectMeta), Name: o.Name, Labels: o.Labels, Rules: rules(o.Rules)})
	case "ClusterRoleBinding":
		var o rbacv1.ClusterRoleBinding
		if err := yaml.UnmarshalStrict(doc, &o); err != nil {
			return err
		}
		inv.ClusterRoleBindings = append(inv.ClusterRoleBindings, rbac.Binding{Name: o.Name, RoleRef: rbac.RoleRef{Kind: o.RoleRef.Kind, Name: o.RoleRef.Name}, Subjects: subjects(o.Subjects)})
	case "RoleBinding":
		var o rbacv1.RoleBinding
		if err := yaml.UnmarshalStrict(doc, &o); err != nil {
			return err
		}
		inv.RoleBindings = append(inv.RoleBindings, rbac.Binding{Namespace: ns(o.ObjectMeta), Name: o.Name, RoleRef: rbac.RoleRef{Kind: o.RoleRef.Kind, Name: o.RoleRef.Name}, Subjects: subjects(o.Subjects)})
	case "ServiceAccount":
		var o corev1.ServiceAccount
		if err := yaml.Unmarshal(doc, &o); err != nil {
			return err
		}
		inv.ServiceAccounts = append(inv.ServiceAccounts, rbac.ServiceAccount{Namespace: ns(o.ObjectMeta), Name: o.Name})
	}
	return nil
}

func rules(in []rbacv1.PolicyRule) []rbac.Rule {
	out := make([]rbac.Rule, len(in))
	for i, r := range in {
		out[i] = rbac.Rule{Verbs: r.Verbs, APIGroups: r.APIGroups, Resources: r.Resources, ResourceNames: r.ResourceNames, NonResourceURLs: r.NonResourceURLs}
	}
	return out
}

func subjects(in []rbacv1.Subject) []rbac.Subject {
	out := make([]rbac.Subject, len(in))
	for i, s := range in {
		out[i] = rbac.Subject{Kind: s.Kind, Name: s.Name, Namespace: s.Namespace}
	}
	return out
}

func sortInventory(inv *rbac.Inventory) {
	sort.SliceStable(inv.ClusterRoles, func(i, j int) bool { return inv.ClusterRoles[i].Name < inv.ClusterRoles[j].Name })
	sort.SliceStable(inv.Roles, func(i, j int) bool {
		a, b := inv.Roles[i], inv.Roles[j]
		return a.Namespace < b.Namespace || a.Namespace == b.Namespace && a.Name < b.Name
	})
	sort.SliceStable(inv.ClusterRoleBindings, func(i, j int) bool { return inv.ClusterRoleBindings[i].Name < inv.ClusterRoleBindings[j].Name })
	sort.SliceStable(inv.RoleBindings, func(i, j int) bool {
		a, b := inv.RoleBindings[i], inv.RoleBindings[j]
		return a.Namespace < b.Namespace || a.Namespace == b.Namespace && a.Name < b.Name
	})
	sort.SliceStable(inv.ServiceAccounts, func(i, j int) bool {
		a, b := inv.ServiceAccounts[i], inv.ServiceAccounts[j]
		return a.Namespace < b.Namespace || a.Namespace == b.Namespace && a.Name < b.Name
	})
	inv.ServiceAccounts = slices.Compact(inv.ServiceAccounts)
}
