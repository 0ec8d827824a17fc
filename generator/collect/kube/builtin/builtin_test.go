package builtin_test

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"

	"github.com/evident-project/evident/generator/collect/kube/builtin"
	"github.com/evident-project/evident/internal/kubetest"
)

var update = flag.Bool("update", false, "rewrite "+file+" from what a real kube-apiserver creates")

const file = "kube-v1.37.yaml"

const header = `# The RBAC objects and namespaces a fresh kube-apiserver ` + builtin.KubernetesVersion + ` creates
# (its bootstrap policy), which evident's GitOps mode assumes every cluster
# has: manifests bind to cluster-admin, view, edit and the like without
# defining them.
#
# Generated; do not edit. Dumped by TestBuiltinDefaultsMatchTheRealAPIServer
# from a real kube-apiserver (internal/kubetest) right after start: every
# ClusterRole, ClusterRoleBinding, Role, RoleBinding and Namespace, each
# reduced to apiVersion, kind, metadata.name, metadata.namespace,
# metadata.labels and aggregationRule/rules/roleRef/subjects, sorted by kind,
# namespace and name. Regenerate (after a new version in
# internal/kubetest.KubeVersion and ` + "`make kube`" + `) with
#
#   go test ./generator/collect/kube/builtin -run TestBuiltinDefaultsMatchTheRealAPIServer -update
#
# No kube-controller-manager ran, so the aggregated ClusterRoles (admin, edit,
# view) have only their aggregationRule: in a live cluster the aggregation
# controller fills in their rules from the roles their selectors match.
`

// kindSpec is a kind the file holds and the resource to list it by.
type kindSpec struct {
	gvr  schema.GroupVersionResource
	kind string
}

// kinds are what the file holds, in the order it holds them.
var kinds = []kindSpec{
	{schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}, "Namespace"},
	{rbacGVR("clusterroles"), "ClusterRole"},
	{rbacGVR("clusterrolebindings"), "ClusterRoleBinding"},
	{rbacGVR("roles"), "Role"},
	{rbacGVR("rolebindings"), "RoleBinding"},
}

func rbacGVR(resource string) schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: resource}
}

func TestBuiltinDefaultsMatchTheRealAPIServer(t *testing.T) {
	c := kubetest.Start(t)
	if c.Version() != builtin.KubernetesVersion {
		t.Fatalf("kube-apiserver is %s, the defaults are of %s: rebuild it with `make kube`, "+
			"or for a new release change KubernetesVersion and the file name and regenerate", c.Version(), builtin.KubernetesVersion)
	}
	objs, err := dump(t.Context(), c.Config())
	if err != nil {
		t.Fatal(err)
	}
	got, err := render(objs)
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s: %d objects", file, len(objs))
		return
	}
	if want := builtin.Defaults(); !bytes.Equal(got, want) {
		t.Errorf("%s is not what kube-apiserver %s creates; if the server is right, regenerate with -update.\n%s",
			file, c.Version(), diffDocs(want, got))
	}
}

// TestDefaultsFileIsCanonical checks, without a server, that the file is
// what render makes of its own objects, so a hand edit or a merge that
// reorders it shows up in every test run.
func TestDefaultsFileIsCanonical(t *testing.T) {
	objs, err := parse(builtin.Defaults())
	if err != nil {
		t.Fatal(err)
	}
	got, err := render(objs)
	if err != nil {
		t.Fatal(err)
	}
	if want := builtin.Defaults(); !bytes.Equal(got, want) {
		t.Errorf("%s is not in canonical form (-file +canonical):\n%s", file, diffDocs(want, got))
	}
}

// TestDefaultsHoldWhatManifestsBindTo spot-checks the objects GitOps
// evaluation leans on most.
func TestDefaultsHoldWhatManifestsBindTo(t *testing.T) {
	objs, err := parse(builtin.Defaults())
	if err != nil {
		t.Fatal(err)
	}
	byKey := map[string]*unstructured.Unstructured{}
	for _, o := range objs {
		byKey[key(o)] = o
	}
	for _, ns := range kubetest.SystemNamespaces {
		if byKey["Namespace "+ns] == nil {
			t.Errorf("no Namespace %s", ns)
		}
	}
	for _, k := range []string{
		"ClusterRole cluster-admin", "ClusterRole admin", "ClusterRole edit", "ClusterRole view",
		"ClusterRole system:aggregate-to-view", "ClusterRoleBinding cluster-admin",
		"ClusterRoleBinding system:basic-user", "Role kube-system/extension-apiserver-authentication-reader",
	} {
		if byKey[k] == nil {
			t.Errorf("no %s", k)
		}
	}
	if o := byKey["ClusterRole cluster-admin"]; o != nil {
		rules, _, _ := unstructured.NestedSlice(o.Object, "rules")
		if len(rules) == 0 || !strings.Contains(fmt.Sprint(rules), "verbs:[*]") {
			t.Errorf("cluster-admin rules %v, want a * rule", rules)
		}
	}
	if o := byKey["ClusterRoleBinding cluster-admin"]; o != nil {
		subjects, _, _ := unstructured.NestedSlice(o.Object, "subjects")
		if !strings.Contains(fmt.Sprint(subjects), "name:system:masters") {
			t.Errorf("cluster-admin binding subjects %v, want system:masters", subjects)
		}
	}
	if o := byKey["ClusterRole view"]; o != nil {
		if _, ok := o.Object["aggregationRule"]; !ok {
			t.Error("view has no aggregationRule")
		}
	}
}

// dump lists every object of the kinds the file holds.
func dump(ctx context.Context, cfg *rest.Config) ([]*unstructured.Unstructured, error) {
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("dump: dynamic client: %w", err)
	}
	var objs []*unstructured.Unstructured
	for _, k := range kinds {
		list, err := dyn.Resource(k.gvr).List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, fmt.Errorf("dump: list %s: %w", k.gvr.Resource, err)
		}
		for i := range list.Items {
			o := &list.Items[i]
			// List items do not reliably carry their own type.
			o.SetAPIVersion(k.gvr.GroupVersion().String())
			o.SetKind(k.kind)
			objs = append(objs, reduce(o))
		}
	}
	return objs, nil
}

// parse reads a stream render wrote back into its objects.
func parse(b []byte) ([]*unstructured.Unstructured, error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(b)))
	var objs []*unstructured.Unstructured
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return objs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("parse: %w", err)
		}
		var m map[string]any
		if err := yaml.Unmarshal(doc, &m); err != nil {
			return nil, fmt.Errorf("parse: %w", err)
		}
		if m == nil { // the header alone, before the first ---
			continue
		}
		objs = append(objs, reduce(&unstructured.Unstructured{Object: m}))
	}
}

// reduce keeps what authorization depends on; the rest (uid, timestamps,
// resourceVersion, managedFields, the autoupdate annotation) differs per
// cluster or does not matter to who may do what.
func reduce(o *unstructured.Unstructured) *unstructured.Unstructured {
	md := map[string]any{"name": o.GetName()}
	if ns := o.GetNamespace(); ns != "" {
		md["namespace"] = ns
	}
	if l := o.GetLabels(); len(l) > 0 {
		labels := map[string]any{}
		for k, v := range l {
			labels[k] = v
		}
		md["labels"] = labels
	}
	out := map[string]any{"apiVersion": o.GetAPIVersion(), "kind": o.GetKind(), "metadata": md}
	for _, f := range []string{"aggregationRule", "rules", "roleRef", "subjects"} {
		if v, ok := o.Object[f]; ok && v != nil {
			out[f] = v
		}
	}
	return &unstructured.Unstructured{Object: out}
}

func kindIndex(kind string) int {
	return slices.IndexFunc(kinds, func(k kindSpec) bool { return k.kind == kind })
}

// render is the file: the header, then the objects sorted by kind (in
// kinds order), namespace and name, as sigs.k8s.io/yaml writes them (the
// key order kubectl's -o yaml has).
func render(objs []*unstructured.Unstructured) ([]byte, error) {
	objs = slices.Clone(objs)
	slices.SortFunc(objs, func(a, b *unstructured.Unstructured) int {
		return cmp.Or(
			cmp.Compare(kindIndex(a.GetKind()), kindIndex(b.GetKind())),
			cmp.Compare(a.GetNamespace(), b.GetNamespace()),
			cmp.Compare(a.GetName(), b.GetName()),
		)
	})
	var b bytes.Buffer
	b.WriteString(header)
	for _, o := range objs {
		y, err := yaml.Marshal(o.Object)
		if err != nil {
			return nil, fmt.Errorf("render %s: %w", key(o), err)
		}
		b.WriteString("---\n")
		b.Write(y)
	}
	return b.Bytes(), nil
}

func key(o *unstructured.Unstructured) string {
	name := o.GetName()
	if ns := o.GetNamespace(); ns != "" {
		name = ns + "/" + name
	}
	return o.GetKind() + " " + name
}

// diffDocs explains how two renderings differ object by object, which
// reads better than one diff of a file thousands of lines long.
func diffDocs(want, got []byte) string {
	wantHead, wantDocs, wantOrder := split(want)
	gotHead, gotDocs, gotOrder := split(got)
	var b strings.Builder
	if wantHead != gotHead {
		fmt.Fprintf(&b, "header:\n%s", lineDiff(wantHead, gotHead))
	}
	for _, k := range wantOrder {
		if _, ok := gotDocs[k]; !ok {
			fmt.Fprintf(&b, "only in the file: %s\n", k)
		}
	}
	for _, k := range gotOrder {
		w, ok := wantDocs[k]
		switch {
		case !ok:
			fmt.Fprintf(&b, "not in the file: %s\n%s", k, indent(gotDocs[k]))
		case w != gotDocs[k]:
			fmt.Fprintf(&b, "differs: %s (-file +new)\n%s", k, lineDiff(w, gotDocs[k]))
		}
	}
	if b.Len() == 0 && !slices.Equal(wantOrder, gotOrder) {
		b.WriteString("same objects in a different order\n")
	}
	if b.Len() == 0 {
		b.WriteString("(no difference in the objects; whitespace or separators differ)\n")
	}
	return b.String()
}

// split cuts a rendering at its "---" lines into the header and the
// documents by key.
func split(b []byte) (head string, docs map[string]string, order []string) {
	var parts []string
	var cur strings.Builder
	for line := range strings.Lines(string(b)) {
		if line == "---\n" {
			parts = append(parts, cur.String())
			cur.Reset()
			continue
		}
		cur.WriteString(line)
	}
	parts = append(parts, cur.String())
	head = parts[0]
	docs = map[string]string{}
	for i, p := range parts[1:] {
		var m map[string]any
		k := fmt.Sprintf("document %d (unparsable)", i+1)
		if err := yaml.Unmarshal([]byte(p), &m); err == nil {
			k = key(&unstructured.Unstructured{Object: m})
		}
		docs[k] = p
		order = append(order, k)
	}
	return head, docs, order
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n    ") + "\n"
}

// lineDiff is a minimal line diff (longest common subsequence), enough
// for documents of a few hundred lines.
func lineDiff(a, b string) string {
	x := strings.Split(strings.TrimSuffix(a, "\n"), "\n")
	y := strings.Split(strings.TrimSuffix(b, "\n"), "\n")
	lcs := make([][]int, len(x)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(y)+1)
	}
	for i := len(x) - 1; i >= 0; i-- {
		for j := len(y) - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out strings.Builder
	i, j := 0, 0
	for i < len(x) || j < len(y) {
		switch {
		case i < len(x) && j < len(y) && x[i] == y[j]:
			fmt.Fprintf(&out, "      %s\n", x[i])
			i++
			j++
		case j < len(y) && (i == len(x) || lcs[i][j+1] >= lcs[i+1][j]):
			fmt.Fprintf(&out, "    + %s\n", y[j])
			j++
		default:
			fmt.Fprintf(&out, "    - %s\n", x[i])
			i++
		}
	}
	return out.String()
}
