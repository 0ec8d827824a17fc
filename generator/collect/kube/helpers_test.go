package kube

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	fakediscovery "k8s.io/client-go/discovery/fake"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/evident-project/evident/generator/catalog"
	"github.com/evident-project/evident/generator/collect"
	"github.com/evident-project/evident/generator/rbac"
)

// realdata is the real-world manifests, read in place.
const realdata = "../../../../shared/realdata/k8s"

// fakeOpener opens a fresh fake clientset per call, built by build for the
// source's id, so every collection reads an identical, unshared world.
func fakeOpener(build func(id string) *fake.Clientset) Opener {
	return func(ctx context.Context, src *catalog.KubernetesSource, baseDir string) (kubernetes.Interface, error) {
		return build(src.ID), nil
	}
}

// liveRequest is a request for a live source.
func liveRequest(id string, params map[string]any) collect.Request {
	return collect.Request{Source: &catalog.KubernetesSource{ID: id}, SourceID: id, Params: params}
}

// gitopsRequest is a request for the folder dir under base.
func gitopsRequest(base, dir string, params map[string]any) collect.Request {
	return collect.Request{Source: &catalog.KubernetesSource{ID: "gitops", Manifests: dir}, SourceID: "gitops", Params: params, BaseDir: base}
}

// writeFiles writes name → content under a new temp dir and returns it.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func mustCollect(t *testing.T, c collect.Collector, req collect.Request) *collect.Result {
	t.Helper()
	res, err := c.Collect(context.Background(), req)
	if err != nil {
		t.Fatalf("collect: %v", err)
	}
	return res
}

func rbacData(t *testing.T, res *collect.Result) *RBACData {
	t.Helper()
	d, ok := res.Data.(*RBACData)
	if !ok {
		t.Fatalf("data is %T", res.Data)
	}
	return d
}

func kindOf(t *testing.T, err error) collect.ErrorKind {
	t.Helper()
	if err == nil {
		t.Fatal("collect succeeded, want an error")
	}
	return collect.KindOf(err)
}

func hasNote(p collect.Provenance, sub string) bool {
	for _, n := range p.Notes {
		if strings.Contains(n, sub) {
			return true
		}
	}
	return false
}

func meta(ns, name string) metav1.ObjectMeta { return metav1.ObjectMeta{Namespace: ns, Name: name} }

// world is a small cluster: an operator service account with a ClusterRole
// that reads secrets and deletes its own CRD objects, a developers group
// with view in a namespace, a dangling binding.
func world() []runtime.Object {
	return []runtime.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "apps", Labels: map[string]string{
			"kubernetes.io/metadata.name": "apps", "pod-security.kubernetes.io/enforce": "restricted"}}},
		&corev1.ServiceAccount{ObjectMeta: meta("apps", "operator")},
		&rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "operator", Labels: map[string]string{"app": "op"}, Annotations: map[string]string{"x": "y"}, ResourceVersion: "42"},
			Rules: []rbacv1.PolicyRule{
				{Verbs: []string{"get", "list"}, APIGroups: []string{""}, Resources: []string{"secrets"}},
				{Verbs: []string{"delete"}, APIGroups: []string{"example.com"}, Resources: []string{"widgets"}},
			}},
		&rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "operator"},
			RoleRef:  rbacv1.RoleRef{APIGroup: groupRBAC, Kind: "ClusterRole", Name: "operator"},
			Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "operator", Namespace: "apps"}}},
		&rbacv1.Role{ObjectMeta: meta("apps", "viewer"),
			Rules: []rbacv1.PolicyRule{{Verbs: []string{"get"}, APIGroups: []string{"apps"}, Resources: []string{"deployments"}}}},
		&rbacv1.RoleBinding{ObjectMeta: meta("apps", "developers"),
			RoleRef:  rbacv1.RoleRef{APIGroup: groupRBAC, Kind: "Role", Name: "viewer"},
			Subjects: []rbacv1.Subject{{APIGroup: groupRBAC, Kind: "Group", Name: "developers"}}},
		&rbacv1.RoleBinding{ObjectMeta: meta("apps", "dangling"),
			RoleRef:  rbacv1.RoleRef{APIGroup: groupRBAC, Kind: "Role", Name: "missing"},
			Subjects: []rbacv1.Subject{{APIGroup: groupRBAC, Kind: "User", Name: "alice"}}},
	}
}

// widgets is the discovery of the example.com CRD of world.
var widgets = []*metav1.APIResourceList{{
	GroupVersion: "example.com/v1",
	APIResources: []metav1.APIResource{{Name: "widgets", Kind: "Widget", Namespaced: true}, {Name: "widgets/status", Kind: "Widget", Namespaced: true}},
}, {
	GroupVersion: "apps/v1",
	APIResources: []metav1.APIResource{{Name: "deployments", Kind: "Deployment", Namespaced: true}},
}}

// newFake is a fake cluster of objs whose SubjectAccessReviews are
// answered by sar (nil: by the RBAC evaluator over the fake's own RBAC
// objects, standing in for the real authorizer).
func newFake(t testing.TB, objs []runtime.Object, sar func(authorizationv1.SubjectAccessReviewSpec) bool) *fake.Clientset {
	cs := fake.NewClientset(objs...)
	cs.Discovery().(*fakediscovery.FakeDiscovery).Resources = widgets
	if sar == nil {
		sar = evaluatorSAR(t, objs)
	}
	cs.PrependReactor("create", "subjectaccessreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
		r := a.(k8stesting.CreateAction).GetObject().(*authorizationv1.SubjectAccessReview)
		out := r.DeepCopy()
		out.Status.Allowed = sar(r.Spec)
		return true, out, nil
	})
	return cs
}

// evaluatorSAR answers SubjectAccessReviews with the RBAC evaluator over
// objs: a stand-in authorizer that agrees with the collector's evaluator.
func evaluatorSAR(t testing.TB, objs []runtime.Object) func(authorizationv1.SubjectAccessReviewSpec) bool {
	o := &Objects{}
	for _, obj := range objs {
		switch x := obj.(type) {
		case *rbacv1.ClusterRole:
			o.ClusterRoles = append(o.ClusterRoles, *x)
		case *rbacv1.Role:
			o.Roles = append(o.Roles, *x)
		case *rbacv1.ClusterRoleBinding:
			o.ClusterRoleBindings = append(o.ClusterRoleBindings, *x)
		case *rbacv1.RoleBinding:
			o.RoleBindings = append(o.RoleBindings, *x)
		}
	}
	e := rbac.New(o.Inventory())
	return func(s authorizationv1.SubjectAccessReviewSpec) bool {
		r := rbac.Request{User: s.User, Groups: s.Groups}
		if a := s.NonResourceAttributes; a != nil {
			r.Verb, r.Path = a.Verb, a.Path
		} else if a := s.ResourceAttributes; a != nil {
			r.Verb, r.APIGroup, r.Resource, r.Subresource, r.Name, r.Namespace = a.Verb, a.Group, a.Resource, a.Subresource, a.Name, a.Namespace
		}
		return e.Authorize(r).Allowed
	}
}
