package kube_test

// Integration tests of the kube collectors and of the RBAC evaluator against
// a real kube-apiserver (internal/kubetest), over real-world manifests read
// in place from shared/realdata. They skip under -short when the binaries
// are missing and fail otherwise. Run them with
//
//	go test -race -run Integration ./generator/collect/kube/

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	"github.com/evident-project/evident/generator/catalog"
	evcheck "github.com/evident-project/evident/generator/check"
	"github.com/evident-project/evident/generator/collect"
	"github.com/evident-project/evident/generator/collect/all"
	"github.com/evident-project/evident/generator/collect/kube"
	"github.com/evident-project/evident/generator/evidence"
	"github.com/evident-project/evident/generator/pipeline"
	"github.com/evident-project/evident/generator/rbac"
	"github.com/evident-project/evident/internal/kubetest"
)

// realdata is the real-world manifests, read in place: they are others'
// work and are never copied into this repository.
const realdata = "../../../../shared/realdata/k8s"

// manifestSet is one real-world project's manifests, as a YAML stream a
// cluster can be given.
type manifestSet struct {
	name string
	docs []byte
}

func readReal(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(realdata, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatalf("read real-world manifests: %v", err)
	}
	return b
}

// externalSecretsRelease is the external-secrets Helm snapshot with the
// placeholders helm-unittest leaves (release RELEASE-NAME, namespace
// NAMESPACE) filled in as `helm install es -n external-secrets` would: the
// API server rejects both as they stand (a namespace and a service account
// name must be lower-case DNS labels).
func externalSecretsRelease(t *testing.T) []byte {
	t.Helper()
	raw := readReal(t, "external-secrets/rendered-rbac.from-helm-unittest-snapshot.yaml")
	return []byte(strings.NewReplacer("RELEASE-NAME", "es", "NAMESPACE", "external-secrets").Replace(string(raw)))
}

// kustomizeBuild renders a kustomization folder, as `kubectl apply -k`
// would before sending it.
func kustomizeBuild(t *testing.T, dir string) []byte {
	t.Helper()
	m, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	b, err := m.AsYaml()
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	return b
}

// realRBACSets are the four real-world RBAC manifest sets.
func realRBACSets(t *testing.T) []manifestSet {
	t.Helper()
	return []manifestSet{
		{"cert-manager", readReal(t, "cert-manager/rbac-only.yaml")},
		{"ingress-nginx", readReal(t, "ingress-nginx/rbac-only.yaml")},
		{"external-secrets", externalSecretsRelease(t)},
		{"onepassword-operator", kustomizeBuild(t, filepath.Join(realdata, "onepassword-operator/config-rbac@9c3b1b9"))},
	}
}

// adminClient is a clientset for the cluster's admin with the client-side
// rate limit out of the way: the tests ask thousands of questions.
func adminClient(t *testing.T, c *kubetest.Cluster) kubernetes.Interface {
	t.Helper()
	cfg := c.Config()
	cfg.QPS, cfg.Burst = 1e6, 1e6
	cfg.Timeout = 30 * time.Second
	// Protobuf, as kube-controller-manager talks: JSON would make the
	// client, not the server, the bottleneck of the matrix under -race.
	cfg.ContentType = "application/vnd.kubernetes.protobuf"
	cfg.AcceptContentTypes = "application/vnd.kubernetes.protobuf,application/json"
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// applySets applies each set in turn.
func applySets(t *testing.T, ctx context.Context, c *kubetest.Cluster, sets []manifestSet) {
	t.Helper()
	for _, s := range sets {
		if err := kubetest.Apply(ctx, c.Config(), s.docs); err != nil {
			t.Fatalf("apply %s: %v", s.name, err)
		}
	}
}

// standInForAggregation does what kube-controller-manager's
// clusterrole-aggregation controller would do in a real cluster, because
// only kube-apiserver runs here: the aggregated ClusterRoles (the built-in
// admin, edit and view, which cert-manager's and external-secrets' roles
// aggregate into) would otherwise keep the empty rules they were created
// with. It reads the ClusterRoles with the package's live reader, computes
// the aggregation as the controller does (rbac.Aggregate, which transcribes
// its syncClusterRole and repeats it until roles that aggregate aggregated
// roles settle), and updates each aggregated ClusterRole whose rules
// changed on the server. It returns the names it updated.
func standInForAggregation(t *testing.T, ctx context.Context, cs kubernetes.Interface) []string {
	t.Helper()
	o, _, _, err := kube.ReadCluster(ctx, cs, kube.What{RBAC: true})
	if err != nil {
		t.Fatalf("aggregation stand-in: read cluster: %v", err)
	}
	inv := o.Inventory()
	rbac.Aggregate(inv)
	var updated []string
	for _, r := range inv.ClusterRoles {
		if len(r.Aggregation) == 0 {
			continue
		}
		cur, err := cs.RbacV1().ClusterRoles().Get(ctx, r.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("aggregation stand-in: %v", err)
		}
		want := policyRules(r.Rules)
		// The controller's own test: equality.Semantic, so nil and empty
		// lists are the same and an unchanged role is not written.
		if equality.Semantic.DeepEqual(cur.Rules, want) {
			continue
		}
		cur.Rules = want
		if _, err := cs.RbacV1().ClusterRoles().Update(ctx, cur, metav1.UpdateOptions{FieldManager: "clusterrole-aggregation-controller"}); err != nil {
			t.Fatalf("aggregation stand-in: update ClusterRole %s: %v", r.Name, err)
		}
		updated = append(updated, r.Name)
	}
	return updated
}

func policyRules(rules []rbac.Rule) []rbacv1.PolicyRule {
	out := make([]rbacv1.PolicyRule, 0, len(rules))
	for _, r := range rules {
		out = append(out, rbacv1.PolicyRule{
			Verbs: slices.Clone(r.Verbs), APIGroups: slices.Clone(r.APIGroups), Resources: slices.Clone(r.Resources),
			ResourceNames: slices.Clone(r.ResourceNames), NonResourceURLs: slices.Clone(r.NonResourceURLs),
		})
	}
	return out
}

// waitForAuthorizer returns once the API server's RBAC authorizer has seen
// every RBAC write made so far. It serves from informers, one per kind, each
// delivering its kind's events in order: a probe of each kind, written last
// and seen allowing a request, proves its informer is past every earlier
// write. The probes are deleted again (and their deletion seen), so the
// inventory a test reads afterwards is what it applied and nothing more.
func waitForAuthorizer(t *testing.T, ctx context.Context, cs kubernetes.Interface) {
	t.Helper()
	const name, ns = "evident-integration-sync-probe", "default"
	rules := []rbacv1.PolicyRule{{Verbs: []string{"get"}, APIGroups: []string{"evident.test"}, Resources: []string{"syncprobes"}}}
	rb := cs.RbacV1()
	ref := func(kind string) rbacv1.RoleRef {
		return rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: kind, Name: name}
	}
	subjects := func(user string) []rbacv1.Subject {
		return []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: "User", Name: user}}
	}
	meta := metav1.ObjectMeta{Name: name}
	nsMeta := metav1.ObjectMeta{Name: name, Namespace: ns}
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("authorizer sync probe: %v", err)
		}
	}
	must(rb.ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: meta, Rules: rules}, metav1.CreateOptions{}))
	must(rb.ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: meta, RoleRef: ref("ClusterRole"), Subjects: subjects(name + "-cluster")}, metav1.CreateOptions{}))
	must(rb.Roles(ns).Create(ctx, &rbacv1.Role{ObjectMeta: nsMeta, Rules: rules}, metav1.CreateOptions{}))
	must(rb.RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{ObjectMeta: nsMeta, RoleRef: ref("Role"), Subjects: subjects(name + "-namespace")}, metav1.CreateOptions{}))
	probe := func() (cluster, namespaced bool) {
		ask := func(user, namespace string) bool {
			allowed, _, err := subjectAccessReview(ctx, cs, rbac.Request{User: user, Verb: "get", APIGroup: "evident.test", Resource: "syncprobes", Namespace: namespace})
			if err != nil {
				t.Fatalf("authorizer sync probe: %v", err)
			}
			return allowed
		}
		return ask(name+"-cluster", ""), ask(name+"-namespace", ns)
	}
	poll := func(want bool) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			c, n := probe()
			if c == want && n == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("authorizer sync probe: still cluster=%v namespaced=%v after 30s, want %v", c, n, want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	poll(true)
	for _, err := range []error{
		rb.RoleBindings(ns).Delete(ctx, name, metav1.DeleteOptions{}),
		rb.Roles(ns).Delete(ctx, name, metav1.DeleteOptions{}),
		rb.ClusterRoleBindings().Delete(ctx, name, metav1.DeleteOptions{}),
		rb.ClusterRoles().Delete(ctx, name, metav1.DeleteOptions{}),
	} {
		if err != nil {
			t.Fatalf("authorizer sync probe: delete: %v", err)
		}
	}
	poll(false)
}

// subjectAccessReview asks the real authorizer r, as the requestor r names.
func subjectAccessReview(ctx context.Context, cs kubernetes.Interface, r rbac.Request) (allowed bool, reason string, err error) {
	spec := authorizationv1.SubjectAccessReviewSpec{User: r.User, Groups: r.Groups}
	if r.Path != "" {
		spec.NonResourceAttributes = &authorizationv1.NonResourceAttributes{Path: r.Path, Verb: r.Verb}
	} else {
		spec.ResourceAttributes = &authorizationv1.ResourceAttributes{
			Namespace: r.Namespace, Verb: r.Verb, Group: r.APIGroup, Resource: r.Resource, Subresource: r.Subresource, Name: r.Name,
		}
	}
	res, err := cs.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authorizationv1.SubjectAccessReview{Spec: spec}, metav1.CreateOptions{})
	if err != nil {
		return false, "", err
	}
	reason = res.Status.Reason
	if res.Status.EvaluationError != "" {
		reason += " (evaluation error: " + res.Status.EvaluationError + ")"
	}
	return res.Status.Allowed && !res.Status.Denied, reason, nil
}

// questionsInventory lists the cluster's RBAC objects with plain typed
// clients, apart from the package's live reader, so the questions are
// chosen from what the server holds: an object the reader dropped or
// mangled is still asked about, and shows as a disagreement.
func questionsInventory(t *testing.T, ctx context.Context, cs kubernetes.Interface) *rbac.Inventory {
	t.Helper()
	fail := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("list for the matrix: %v", err)
		}
	}
	rb := cs.RbacV1()
	inv := &rbac.Inventory{}
	rules := func(in []rbacv1.PolicyRule) []rbac.Rule {
		var out []rbac.Rule
		for _, r := range in {
			out = append(out, rbac.Rule{Verbs: r.Verbs, APIGroups: r.APIGroups, Resources: r.Resources, ResourceNames: r.ResourceNames, NonResourceURLs: r.NonResourceURLs})
		}
		return out
	}
	binding := func(ns, name string, ref rbacv1.RoleRef, subjects []rbacv1.Subject) rbac.Binding {
		b := rbac.Binding{Namespace: ns, Name: name, RoleRef: rbac.RoleRef{Kind: ref.Kind, Name: ref.Name}}
		for _, s := range subjects {
			b.Subjects = append(b.Subjects, rbac.Subject{Kind: s.Kind, Name: s.Name, Namespace: s.Namespace})
		}
		return b
	}
	crs, err := rb.ClusterRoles().List(ctx, metav1.ListOptions{})
	fail(err)
	for _, r := range crs.Items {
		inv.ClusterRoles = append(inv.ClusterRoles, rbac.Role{Name: r.Name, Rules: rules(r.Rules)})
	}
	roles, err := rb.Roles("").List(ctx, metav1.ListOptions{})
	fail(err)
	for _, r := range roles.Items {
		inv.Roles = append(inv.Roles, rbac.Role{Namespace: r.Namespace, Name: r.Name, Rules: rules(r.Rules)})
	}
	crbs, err := rb.ClusterRoleBindings().List(ctx, metav1.ListOptions{})
	fail(err)
	for _, b := range crbs.Items {
		inv.ClusterRoleBindings = append(inv.ClusterRoleBindings, binding("", b.Name, b.RoleRef, b.Subjects))
	}
	rbs, err := rb.RoleBindings("").List(ctx, metav1.ListOptions{})
	fail(err)
	for _, b := range rbs.Items {
		inv.RoleBindings = append(inv.RoleBindings, binding(b.Namespace, b.Name, b.RoleRef, b.Subjects))
	}
	sas, err := cs.CoreV1().ServiceAccounts("").List(ctx, metav1.ListOptions{})
	fail(err)
	for _, sa := range sas.Items {
		inv.ServiceAccounts = append(inv.ServiceAccounts, rbac.ServiceAccount{Namespace: sa.Namespace, Name: sa.Name})
	}
	nss, err := cs.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
	fail(err)
	for _, ns := range nss.Items {
		inv.Namespaces = append(inv.Namespaces, rbac.Namespace{Name: ns.Name})
	}
	return inv
}

// liveInventory reads the cluster's RBAC with the package's live reader.
func liveInventory(t *testing.T, ctx context.Context, cs kubernetes.Interface) *rbac.Inventory {
	t.Helper()
	o, _, _, err := kube.ReadCluster(ctx, cs, kube.What{RBAC: true})
	if err != nil {
		t.Fatalf("read cluster: %v", err)
	}
	return o.Inventory()
}

// The agreement matrix: the questions asked of both the real authorizer
// and the offline evaluator.

// matrixVerbs are the verbs every subject is asked about.
var matrixVerbs = []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection", "escalate", "bind", "impersonate", "approve", "use"}

// otherURLVerbs are the non-resource verbs besides get, taken in turn.
var otherURLVerbs = []string{"post", "put", "patch", "delete", "head", "options"}

// groupResource is a resource (with subresource) as a request names it.
type groupResource struct{ group, resource, sub string }

// baseResources are asked about for every subject with every verb: the
// resources an access review cares about most.
var baseResources = []groupResource{
	{"", "secrets", ""}, {"", "configmaps", ""}, {"", "pods", ""}, {"", "pods", "exec"}, {"", "pods", "attach"}, {"", "pods", "log"},
	{"", "services", ""}, {"", "serviceaccounts", ""}, {"", "serviceaccounts", "token"}, {"", "events", ""}, {"", "namespaces", ""},
	{"", "nodes", ""}, {"", "nodes", "proxy"}, {"apps", "deployments", ""}, {"coordination.k8s.io", "leases", ""},
	{rbacv1.GroupName, "roles", ""}, {rbacv1.GroupName, "rolebindings", ""}, {rbacv1.GroupName, "clusterroles", ""}, {rbacv1.GroupName, "clusterrolebindings", ""},
	{"apiextensions.k8s.io", "customresourcedefinitions", ""},
	{"admissionregistration.k8s.io", "validatingwebhookconfigurations", ""}, {"admissionregistration.k8s.io", "mutatingwebhookconfigurations", ""},
	{"certificates.k8s.io", "certificatesigningrequests", ""}, {"certificates.k8s.io", "certificatesigningrequests", "approval"},
	{"", "users", ""}, {"", "groups", ""}, {"authentication.k8s.io", "uids", ""}, {"certificates.k8s.io", "signers", ""},
	{"policy", "podsecuritypolicies", ""},
}

// baseURLs are the non-resource URLs asked about besides those the rules name.
var baseURLs = []string{"/metrics", "/healthz", "/api", "/version", "/livez", "/readyz", "/apis/apps/v1", "/openapi/v2", "/logs", "/debug/pprof/"}

const (
	unusedNamespace = "evident-unused"      // a namespace nothing names
	madeUpGroup     = "evident.example.com" // what a rule's "*" group stands for
	madeUpResource  = "evidentwidgets"      // what a rule's "*" resource stands for
	otherName       = "evident-other-name"  // a name no resourceNames lists
)

// subject is a requestor of the matrix.
type subject struct {
	ref    rbac.SubjectRef
	user   string
	groups []string
	home   string // the namespace a RoleBinding for it most likely sits in
}

func newSubject(ref rbac.SubjectRef) subject {
	s := subject{ref: ref, home: "default"}
	s.user, s.groups = ref.Requestor()
	switch {
	case ref.Kind == rbac.KindServiceAccount:
		s.home = ref.Namespace
	case ref.Kind == rbac.KindGroup && strings.HasPrefix(ref.Name, "system:serviceaccounts:"):
		s.home = strings.TrimPrefix(ref.Name, "system:serviceaccounts:")
	}
	return s
}

// appliesTo is whether a binding subject matches the requestor, as the
// authorizer's appliesTo says. It only chooses which questions to ask
// densely: a mistake here loses coverage, it cannot hide a disagreement.
func (s subject) appliesTo(b rbac.Binding, bs rbac.Subject) bool {
	switch bs.Kind {
	case rbac.KindUser:
		return s.user != "" && bs.Name == s.user
	case rbac.KindGroup:
		return slices.Contains(s.groups, bs.Name)
	case rbac.KindServiceAccount:
		return s.user == "system:serviceaccount:"+cmp.Or(bs.Namespace, b.Namespace)+":"+bs.Name
	}
	return false
}

// question is one authorization question of the matrix.
type question struct {
	subject string
	req     rbac.Request
}

type questionKey struct{ subject, verb, group, resource, sub, name, namespace, path string }

type matrix struct {
	qs   []question
	seen map[questionKey]bool
}

func (m *matrix) add(s subject, r rbac.Request) {
	k := questionKey{s.ref.String(), r.Verb, r.APIGroup, r.Resource, r.Subresource, r.Name, r.Namespace, r.Path}
	if m.seen[k] {
		return
	}
	m.seen[k] = true
	r.User, r.Groups = s.user, s.groups
	m.qs = append(m.qs, question{subject: k.subject, req: r})
}

// pick chooses one of n deterministically from the parts of a question, so
// a sparse block covers every value across the matrix and a rerun asks the
// same questions.
func pick(n int, parts ...string) int {
	h := uint32(2166136261) // FNV-1a
	for _, p := range parts {
		for i := 0; i < len(p); i++ {
			h ^= uint32(p[i])
			h *= 16777619
		}
		h ^= 0xff
		h *= 16777619
	}
	return int(h % uint32(n))
}

// ruleResources are the resources a rule names, as requests would name
// them; a "*" group or resource also stands for one no rule names.
func ruleResources(rule rbac.Rule) []groupResource {
	var out []groupResource
	for _, g := range rule.APIGroups {
		groups := []string{g}
		if g == "*" {
			groups = append(groups, madeUpGroup)
		}
		for _, full := range rule.Resources {
			res, sub, _ := strings.Cut(full, "/")
			names := []string{res}
			if res == "*" {
				names = append(names, madeUpResource)
			}
			for _, gg := range groups {
				for _, rr := range names {
					out = append(out, groupResource{gg, rr, sub})
				}
			}
		}
	}
	return out
}

// ruleURLs are the paths a rule's non-resource URLs match, and the paths
// just outside a prefix ("/api/*" matches "/api/v1" and "/api/", not "/api").
func ruleURLs(rule rbac.Rule) []string {
	var out []string
	for _, u := range rule.NonResourceURLs {
		if u == "*" {
			out = append(out, "/evident-any")
			continue
		}
		out = append(out, u)
		if prefix, ok := strings.CutSuffix(u, "*"); ok {
			out = append(out, prefix, prefix+"evident", strings.TrimSuffix(prefix, "/"))
		}
	}
	return out
}

// buildMatrix builds the questions over inv. Every subject is asked about
// every verb on every base resource, every resource any rule names and
// every non-resource URL, sparsely; and about each rule that reaches it,
// densely (the rule's verbs and one it lacks, each resource it names, where
// its binding applies and where it does not, listed names and another).
// Literal "*" values are asked too, as the authorizer matches them.
func buildMatrix(inv *rbac.Inventory) (*matrix, []subject, []string) {
	// Namespaces: cluster-wide, every namespace of the cluster and every
	// one the RBAC objects name, and one nothing names.
	nsSet := map[string]bool{"": true, "default": true, unusedNamespace: true}
	for _, n := range inv.Namespaces {
		nsSet[n.Name] = true
	}
	for _, r := range inv.Roles {
		nsSet[r.Namespace] = true
	}
	bindings := slices.Concat(inv.ClusterRoleBindings, inv.RoleBindings)
	for _, b := range bindings {
		if b.Namespace != "" {
			nsSet[b.Namespace] = true
		}
		for _, s := range b.Subjects {
			if s.Kind == rbac.KindServiceAccount {
				nsSet[cmp.Or(s.Namespace, b.Namespace)] = true
			}
		}
	}
	for _, sa := range inv.ServiceAccounts {
		nsSet[sa.Namespace] = true
	}
	namespaces := slices.Sorted(mapsKeys(nsSet))

	// Subjects: every binding subject and service account, the groups the
	// authenticator adds, a user nothing names and the anonymous user.
	refs := map[string]rbac.SubjectRef{}
	addRef := func(r rbac.SubjectRef) { refs[r.String()] = r }
	for _, b := range bindings {
		for _, s := range b.Subjects {
			switch s.Kind {
			case rbac.KindUser, rbac.KindGroup:
				addRef(rbac.SubjectRef{Kind: s.Kind, Name: s.Name})
			case rbac.KindServiceAccount:
				addRef(rbac.SubjectRef{Kind: s.Kind, Namespace: cmp.Or(s.Namespace, b.Namespace), Name: s.Name})
			}
		}
	}
	for _, sa := range inv.ServiceAccounts {
		addRef(rbac.SubjectRef{Kind: rbac.KindServiceAccount, Namespace: sa.Namespace, Name: sa.Name})
	}
	for _, g := range []string{rbac.GroupServiceAccounts, rbac.GroupAuthenticated, rbac.GroupUnauthenticated} {
		addRef(rbac.SubjectRef{Kind: rbac.KindGroup, Name: g})
	}
	for _, ns := range namespaces[1:] {
		addRef(rbac.SubjectRef{Kind: rbac.KindGroup, Name: "system:serviceaccounts:" + ns})
	}
	addRef(rbac.SubjectRef{Kind: rbac.KindUser, Name: "evident-unbound-user"})
	addRef(rbac.SubjectRef{Kind: rbac.KindUser, Name: rbac.UserAnonymous})
	addRef(rbac.SubjectRef{Kind: rbac.KindServiceAccount, Namespace: unusedNamespace, Name: "ghost"})
	var subjects []subject
	for _, k := range slices.Sorted(mapsKeys(refs)) {
		subjects = append(subjects, newSubject(refs[k]))
	}

	// Roles by reference, as bindings resolve them.
	roles := map[string]rbac.Role{}
	for _, r := range inv.ClusterRoles {
		roles["ClusterRole/"+r.Name] = r
	}
	for _, r := range inv.Roles {
		roles["Role/"+r.Namespace+"/"+r.Name] = r
	}
	roleOf := func(b rbac.Binding) (rbac.Role, bool) {
		if b.RoleRef.Kind == "Role" {
			r, ok := roles["Role/"+b.Namespace+"/"+b.RoleRef.Name]
			return r, ok
		}
		r, ok := roles["ClusterRole/"+b.RoleRef.Name]
		return r, ok
	}

	// Every resource and URL any rule names.
	resSet := map[groupResource]bool{}
	urlSet := map[string]bool{}
	for _, u := range baseURLs {
		urlSet[u] = true
	}
	for _, r := range slices.Concat(inv.ClusterRoles, inv.Roles) {
		for _, rule := range r.Rules {
			for _, gr := range ruleResources(rule) {
				resSet[gr] = true
			}
			for _, u := range ruleURLs(rule) {
				urlSet[u] = true
			}
		}
	}
	for _, gr := range baseResources {
		delete(resSet, gr)
	}
	ruleRes := slices.SortedFunc(mapsKeys(resSet), func(a, b groupResource) int {
		return cmp.Or(cmp.Compare(a.group, b.group), cmp.Compare(a.resource, b.resource), cmp.Compare(a.sub, b.sub))
	})
	urls := slices.Sorted(mapsKeys(urlSet))

	m := &matrix{seen: map[questionKey]bool{}}
	req := func(verb string, gr groupResource, name, ns string) rbac.Request {
		return rbac.Request{Verb: verb, APIGroup: gr.group, Resource: gr.resource, Subresource: gr.sub, Name: name, Namespace: ns}
	}
	for _, s := range subjects {
		id := s.ref.String()
		// Every verb on every base resource, in one namespace each, the
		// namespaces taken in turn.
		for _, gr := range baseResources {
			for _, v := range matrixVerbs {
				m.add(s, req(v, gr, "", namespaces[pick(len(namespaces), id, v, gr.group, gr.resource, gr.sub)]))
			}
		}
		// Every resource a rule names, for a third of the subjects each
		// (taken in turn; the subjects a rule reaches are asked about it
		// densely below): one verb, one namespace each.
		for _, gr := range ruleRes {
			if pick(3, id, gr.group, gr.resource, gr.sub, "sample") != 0 {
				continue
			}
			v := matrixVerbs[pick(len(matrixVerbs), id, gr.group, gr.resource, gr.sub)]
			m.add(s, req(v, gr, "", namespaces[pick(len(namespaces), id, v, gr.group, gr.resource, gr.sub, "ns")]))
		}
		// Every URL with get, and half of them with one other verb.
		for _, u := range urls {
			m.add(s, rbac.Request{Verb: "get", Path: u})
			if pick(2, id, u, "sample") == 0 {
				m.add(s, rbac.Request{Verb: otherURLVerbs[pick(len(otherURLVerbs), id, u)], Path: u})
			}
		}
		// Literal wildcards: the authorizer matches "*" in a request only
		// against "*" in a rule.
		for _, ns := range []string{"", s.home} {
			m.add(s, req("*", groupResource{"*", "*", ""}, "", ns))
			m.add(s, req("get", groupResource{"*", "*", ""}, "", ns))
			m.add(s, req("*", groupResource{"", "secrets", ""}, "", ns))
			m.add(s, req("get", groupResource{"", "pods", "*"}, "", ns))
		}
		// A literal "*" namespace is a name like any other to the
		// authorizer: no RoleBinding lives there.
		m.add(s, req("get", groupResource{"", "pods", ""}, "", "*"))
		m.add(s, req("get", groupResource{"", "secrets", ""}, "", "*"))

		// Densely, each rule that reaches the subject through a binding.
		for _, b := range bindings {
			if !slices.ContainsFunc(b.Subjects, func(bs rbac.Subject) bool { return s.appliesTo(b, bs) }) {
				continue
			}
			role, ok := roleOf(b)
			if !ok {
				// A dangling binding grants nothing; ask what it names.
				m.add(s, req("get", groupResource{"", "pods", ""}, "", b.Namespace))
				continue
			}
			// Where the binding applies, and where it does not.
			where := []string{b.Namespace, unusedNamespace}
			if b.Namespace == "" {
				where = []string{"", s.home}
			}
			for ri, rule := range role.Rules {
				verbs := slices.Clone(rule.Verbs)
				if slices.Contains(verbs, "*") {
					verbs = append(verbs, matrixVerbs...)
				}
				// One verb the rule lacks, to see it refused.
				for i := range matrixVerbs {
					if v := matrixVerbs[(pick(len(matrixVerbs), id, role.Name, fmt.Sprint(ri))+i)%len(matrixVerbs)]; !slices.Contains(rule.Verbs, v) && !slices.Contains(rule.Verbs, "*") {
						verbs = append(verbs, v)
						break
					}
				}
				names := []string{"", otherName}
				if len(rule.ResourceNames) > 0 {
					names = append(slices.Clone(rule.ResourceNames), "", otherName)
				}
				for _, gr := range ruleResources(rule) {
					for _, v := range verbs {
						for _, ns := range where {
							for _, n := range names {
								m.add(s, req(v, gr, n, ns))
							}
						}
					}
				}
				for _, u := range ruleURLs(rule) {
					for _, v := range verbs {
						m.add(s, rbac.Request{Verb: v, Path: u})
					}
				}
			}
		}
	}
	return m, subjects, namespaces
}

func mapsKeys[K comparable, V any](m map[K]V) func(func(K) bool) {
	return func(yield func(K) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// answer is the two answers to one question.
type answer struct {
	server       bool
	serverReason string
	err          error
	decision     rbac.Decision
}

// askAll asks every question of the server (workers at a time) and of the
// evaluator.
func askAll(ctx context.Context, cs kubernetes.Interface, e *rbac.Evaluator, qs []question, workers int) []answer {
	out := make([]answer, len(qs))
	next := atomic.Int64{}
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(qs) || ctx.Err() != nil {
					return
				}
				a := &out[i]
				a.server, a.serverReason, a.err = subjectAccessReview(ctx, cs, qs[i].req)
				a.decision = e.Authorize(qs[i].req)
			}
		})
	}
	wg.Wait()
	return out
}

func describeRequest(r rbac.Request) string {
	if r.Path != "" {
		return fmt.Sprintf("%s nonResourceURL %q", r.Verb, r.Path)
	}
	res := r.Resource
	if r.Subresource != "" {
		res += "/" + r.Subresource
	}
	s := fmt.Sprintf("%s group=%q resource=%q", r.Verb, r.APIGroup, res)
	if r.Name != "" {
		s += fmt.Sprintf(" name=%q", r.Name)
	}
	if r.Namespace == "" {
		return s + " cluster-wide"
	}
	return s + fmt.Sprintf(" namespace=%q", r.Namespace)
}

func describeGrant(g *rbac.Grant) string {
	if g == nil {
		return "none"
	}
	return fmt.Sprintf("%s → %s rule %d %+v (as %s)", g.Binding, g.Role, g.RuleIndex, g.Rule, g.Subject)
}

// TestIntegrationEvaluatorAgreesWithTheAPIServer holds the offline RBAC
// evaluator to the real authorizer's answers over the four real-world
// manifest sets, applied together to one cluster (so the built-in view,
// edit and admin aggregate cert-manager's and external-secrets' roles at
// once, and every set's subjects are asked about every other set's
// namespaces), with the bootstrap policy of a fresh kube-apiserver beneath
// them.
func TestIntegrationEvaluatorAgreesWithTheAPIServer(t *testing.T) {
	c := kubetest.Start(t)
	ctx := t.Context()
	cs := adminClient(t, c)
	begin := time.Now()
	applySets(t, ctx, c, realRBACSets(t))
	if got := standInForAggregation(t, ctx, cs); !slices.Equal(got, []string{"admin", "edit", "view"}) {
		t.Errorf("aggregation stand-in updated %v, want admin, edit and view", got)
	}
	waitForAuthorizer(t, ctx, cs)
	inv := liveInventory(t, ctx, cs)
	// The stand-in settled: aggregating again changes nothing.
	again := *inv
	again.ClusterRoles = slices.Clone(inv.ClusterRoles)
	rbac.Aggregate(&again)
	for i := range inv.ClusterRoles {
		if !equality.Semantic.DeepEqual(inv.ClusterRoles[i].Rules, again.ClusterRoles[i].Rules) {
			t.Errorf("ClusterRole %s not settled by the aggregation stand-in", inv.ClusterRoles[i].Name)
		}
	}
	e := rbac.New(inv)
	setup := time.Since(begin)

	m, subjects, namespaces := buildMatrix(questionsInventory(t, ctx, cs))
	begin = time.Now()
	answers := askAll(ctx, cs, e, m.qs, 16)
	took := time.Since(begin)

	var disagree, failed, allowed, granted int
	byBinding := map[bool]int{} // allowed through a RoleBinding (true) or a ClusterRoleBinding
	const maxShown = 50
	for i, a := range answers {
		q := m.qs[i]
		if a.err != nil {
			if failed++; failed <= maxShown {
				t.Errorf("SubjectAccessReview for %s: %s: %v", q.subject, describeRequest(q.req), a.err)
			}
			continue
		}
		if a.server {
			allowed++
		}
		if a.decision.Grant != nil {
			granted++
			byBinding[strings.HasPrefix(a.decision.Grant.Binding, "RoleBinding/")]++
		}
		if a.server == a.decision.Allowed {
			continue
		}
		if disagree++; disagree <= maxShown {
			t.Errorf("disagreement: %s may %s\n\tAPI server: allowed=%v (%s)\n\tevaluator:  allowed=%v grant=%s (%s)",
				q.subject, describeRequest(q.req), a.server, a.serverReason, a.decision.Allowed, describeGrant(a.decision.Grant), a.decision.Reason)
		}
	}
	n := len(m.qs)
	t.Logf("setup (apply, aggregate, sync, read) %v; %d questions (%d subjects, %d namespaces) in %v (%.0f/s); API server allowed %d; evaluator granted %d through RBAC (%d by RoleBindings); %d disagreements, %d failed requests; agreement %.3f%%",
		setup.Round(time.Millisecond), n, len(subjects), len(namespaces), took.Round(time.Millisecond), float64(n)/took.Seconds(),
		allowed, granted, byBinding[true], disagree, failed, 100*float64(n-disagree-failed)/float64(n))
	if disagree > maxShown {
		t.Errorf("%d disagreements in all (%d shown)", disagree, maxShown)
	}
	if failed > maxShown {
		t.Errorf("%d failed SubjectAccessReviews in all (%d shown)", failed, maxShown)
	}
	// A matrix that asks nothing, or whose answers are all the same, proves
	// nothing.
	if n < 20000 || allowed < n/50 || allowed > n/2 || byBinding[true] < 100 {
		t.Errorf("matrix too weak: %d questions, %d allowed, %d allowed through RoleBindings", n, allowed, byBinding[true])
	}
}

// gitopsFolder writes the real-world projects as a GitOps repository would
// hold them, in a new folder: cert-manager's and ingress-nginx's full
// release manifests (namespaces, CRDs, RBAC, webhooks, workloads), the
// external-secrets release, onepassword-operator's kustomization folder,
// and the namespaces those two assume exist. It returns the folder that
// holds "gitops/" (the config's folder) and the YAML stream per file, in
// the order to apply them.
func gitopsFolder(t *testing.T) (base string, apply []manifestSet) {
	t.Helper()
	base = t.TempDir()
	dir := filepath.Join(base, "gitops")
	write := func(rel string, b []byte) {
		t.Helper()
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// kubectl apply (and a cluster) needs every namespace an object names
	// to exist; a repository declares those its charts do not create.
	namespaces := []byte("apiVersion: v1\nkind: Namespace\nmetadata: {name: external-secrets}\n---\n" +
		"apiVersion: v1\nkind: Namespace\nmetadata: {name: system}\n")
	files := []manifestSet{
		{"namespaces.yaml", namespaces},
		{"cert-manager.yaml", readReal(t, "cert-manager/cert-manager-v1.19.4.yaml")},
		{"ingress-nginx.yaml", readReal(t, "ingress-nginx/deploy.yaml")},
		{"external-secrets.yaml", externalSecretsRelease(t)},
	}
	for _, f := range files {
		write(f.name, f.docs)
	}
	const op = "onepassword-operator/config-rbac@9c3b1b9"
	entries, err := os.ReadDir(filepath.Join(realdata, op))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		write(path("onepassword-operator", e.Name()), readReal(t, path(op, e.Name())))
	}
	files = append(files, manifestSet{"onepassword-operator", kustomizeBuild(t, filepath.Join(dir, "onepassword-operator"))})
	return base, files
}

func path(elem ...string) string { return strings.Join(elem, "/") }

// accessChecks are declared access questions over the real-world
// projects, in every form a check takes: plain, cluster-wide, a
// subresource, a non-resource URL, a custom resource, and the wildcards
// "delete *" and namespace "*".
var accessChecks = []any{
	check("serviceaccount:cert-manager:cert-manager-cainjector", "list", "secrets", "", true),
	check("serviceaccount:cert-manager:cert-manager-webhook", "get", "secrets", "cert-manager", false),
	check("serviceaccount:cert-manager:cert-manager", "create", "certificaterequests", "payments", true),
	check("serviceaccount:cert-manager:cert-manager", "delete", "*", "*", true),
	check("serviceaccount:ingress-nginx:ingress-nginx", "list", "secrets", "", true),
	check("serviceaccount:ingress-nginx:ingress-nginx", "get", "secrets", "kube-system", false),
	check("serviceaccount:ingress-nginx:ingress-nginx", "update", "ingresses/status", "*", true),
	check("serviceaccount:ingress-nginx:ingress-nginx", "delete", "*", "*", false),
	check("serviceaccount:system:onepassword-connect-operator", "delete", "*", "*", true),
	check("serviceaccount:system:onepassword-connect-operator", "get", "secrets", "payments", true),
	check("serviceaccount:external-secrets:es-external-secrets", "get", "secrets", "*", true),
	check("serviceaccount:external-secrets:es-external-secrets", "create", "pods/exec", "*", false),
	check("group:system:serviceaccounts", "delete", "*", "*", false),
	check("group:system:authenticated", "get", "/healthz", "", true),
	check("user:alice", "get", "pods", "default", false),
	check("serviceaccount:kube-system:replicaset-controller", "create", "pods", "kube-system", true),
}

func check(subject, verb, resource, namespace string, expect bool) map[string]any {
	return map[string]any{"subject": subject, "verb": verb, "resource": resource, "namespace": namespace, "expect": expect}
}

// canonical is the bytes the evidence store would write for v.
func canonical(t *testing.T, v any) []byte {
	t.Helper()
	b, err := evidence.Canonical(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// firstDifference shows where two texts part: the first differing line
// with a few lines of context, and how many lines each has that the other
// lacks (counted as multisets, so one inserted object does not count as
// every line after it).
func firstDifference(a, b []byte) string {
	la, lb := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	first := 0
	for first < len(la) && first < len(lb) && la[first] == lb[first] {
		first++
	}
	if first == len(la) && first == len(lb) {
		return "identical"
	}
	count := map[string]int{}
	for _, l := range la {
		count[l]++
	}
	for _, l := range lb {
		count[l]--
	}
	onlyA, onlyB := 0, 0
	for _, n := range count {
		if n > 0 {
			onlyA += n
		} else {
			onlyB -= n
		}
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "%d lines only in live, %d only in gitops; first difference at line %d:\n", onlyA, onlyB, first+1)
	for i := max(0, first-4); i < first; i++ {
		fmt.Fprintf(&sb, "         %5d | %s\n", i+1, la[i])
	}
	for _, side := range []struct {
		mark  string
		lines []string
	}{{"live  ", la}, {"gitops", lb}} {
		for i := first; i < min(first+6, len(side.lines)); i++ {
			fmt.Fprintf(&sb, "  %s %5d | %s\n", side.mark, i+1, side.lines[i])
		}
	}
	return sb.String()
}

// TestIntegrationLiveAndGitOpsEvidenceAreIdentical applies a GitOps
// folder to a fresh cluster and collects both collectors from each: the
// cluster through a kubeconfig as a user would point evident at it, and
// the folder as its GitOps source. Their data must be the same bytes; only
// provenance tells them apart.
func TestIntegrationLiveAndGitOpsEvidenceAreIdentical(t *testing.T) {
	c := kubetest.Start(t)
	ctx := t.Context()
	cs := adminClient(t, c)
	base, files := gitopsFolder(t)
	applySets(t, ctx, c, files)
	standInForAggregation(t, ctx, cs)
	waitForAuthorizer(t, ctx, cs)

	live := &catalog.KubernetesSource{ID: "prod", Kubeconfig: c.Kubeconfig(t), Context: kubetest.ContextName}
	gitops := &catalog.KubernetesSource{ID: "prod", Manifests: "gitops"}
	for _, tc := range []struct {
		collector collect.Collector
		params    map[string]any
	}{
		{kube.NewRBAC(nil), map[string]any{"checks": accessChecks}},
		{kube.NewAdmission(nil), nil},
	} {
		name := tc.collector.Def().Name
		t.Run(name, func(t *testing.T) {
			results := map[string]*collect.Result{}
			for mode, src := range map[string]*catalog.KubernetesSource{"live": live, "gitops": gitops} {
				res, err := collectOrPanic(ctx, tc.collector, collect.Request{Source: src, SourceID: src.ID, Params: tc.params, BaseDir: base})
				if err != nil {
					t.Fatalf("collect %s %s: %v", name, mode, err)
				}
				if got := res.Provenance.Source["mode"]; got != mode {
					t.Errorf("%s provenance mode = %q", mode, got)
				}
				results[mode] = res
			}
			lb, gb := canonical(t, results["live"].Data), canonical(t, results["gitops"].Data)
			if !bytes.Equal(lb, gb) {
				t.Errorf("%s data differs between the cluster and the folder it was applied from: %s", name, firstDifference(lb, gb))
				if dir := os.Getenv("EVIDENT_TEST_DUMP"); dir != "" {
					// Both files, to diff at leisure.
					_ = os.WriteFile(filepath.Join(dir, name+".live.json"), lb, 0o644)
					_ = os.WriteFile(filepath.Join(dir, name+".gitops.json"), gb, 0o644)
				}
			}
			t.Logf("%s: %d bytes of data, identical=%v; live reads %d, gitops reads %d", name, len(lb), bytes.Equal(lb, gb),
				len(results["live"].Provenance.Reads), len(results["gitops"].Provenance.Reads))
			if d, ok := results["live"].Data.(*kube.RBACData); ok {
				for _, ch := range d.Checks {
					if ch.Allowed == nil || *ch.Allowed != ch.Expect {
						t.Errorf("check %s %s %s %q: allowed=%v want %v (%s %s)", ch.Subject, ch.Verb, ch.Resource, ch.Namespace, fmtBool(ch.Allowed), ch.Expect, ch.Reason, ch.Error)
					}
				}
				if len(d.Checks) != len(accessChecks) || d.Summary.ChecksUnexpected != 0 || len(d.Inventory.CustomResources) == 0 {
					t.Errorf("summary %+v, %d custom resources", d.Summary, len(d.Inventory.CustomResources))
				}
			}
			if d, ok := results["live"].Data.(*kube.AdmissionData); ok && d.Summary.Webhooks == 0 {
				t.Errorf("no webhooks read: %+v", d.Summary)
			}
		})
	}
}

// collectOrPanic is Collect, with a panic reported as an error: a collector
// that panics on some input must fail the test that found it, not end the
// test binary and hide every other result.
func collectOrPanic(ctx context.Context, c collect.Collector, req collect.Request) (res *collect.Result, err error) {
	defer func() {
		if p := recover(); p != nil {
			res, err = nil, fmt.Errorf("collector panicked: %v\n%s", p, debug.Stack())
		}
	}()
	return c.Collect(ctx, req)
}

func fmtBool(b *bool) string {
	if b == nil {
		return "null"
	}
	return fmt.Sprint(*b)
}

// cutProxy forwards TCP connections to the API server until cut, when it
// closes its listener and every connection it holds: to a client the
// server is gone (connections drop, new ones are refused), which the
// harness offers no other way to arrange mid-collection.
type cutProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  []net.Conn
	cut    bool
}

func startCutProxy(t *testing.T, target string) *cutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln, target: target}
	t.Cleanup(p.Cut)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", target)
			if err != nil {
				_ = c.Close()
				continue
			}
			if !p.track(c, up) {
				return
			}
			go func() { _, _ = io.Copy(up, c); _ = up.Close() }()
			go func() { _, _ = io.Copy(c, up); _ = c.Close() }()
		}
	}()
	return p
}

func (p *cutProxy) track(cs ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cut {
		for _, c := range cs {
			_ = c.Close()
		}
		return false
	}
	p.conns = append(p.conns, cs...)
	return true
}

// Cut takes the server away.
func (p *cutProxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cut {
		return
	}
	p.cut = true
	_ = p.ln.Close()
	for _, c := range p.conns {
		_ = c.Close()
	}
}

func (p *cutProxy) URL() string { return "https://" + p.ln.Addr().String() }

// cutAfter lets the first n requests through, then cuts the proxy before
// sending the next, and records every request made.
type cutAfter struct {
	rt    http.RoundTripper
	n     int
	proxy *cutProxy
	mu    sync.Mutex
	seen  []string
}

func (c *cutAfter) RoundTrip(req *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.seen = append(c.seen, req.Method+" "+req.URL.Path)
	k := len(c.seen)
	c.mu.Unlock()
	if k > c.n {
		c.proxy.Cut()
	}
	return c.rt.RoundTrip(req)
}

func (c *cutAfter) requests() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.seen)
}

// cutOpener opens the cluster through a fresh proxy that goes away after n
// requests; the collectors' Opener is their one boundary with the API.
func cutOpener(t *testing.T, c *kubetest.Cluster, n int) (kube.Opener, *cutAfter) {
	t.Helper()
	host := strings.TrimPrefix(c.Host(), "https://")
	p := startCutProxy(t, host)
	ca := &cutAfter{n: n, proxy: p}
	cfg := c.Config()
	cfg.Host = p.URL()
	cfg.Timeout = 20 * time.Second
	cfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper { ca.rt = rt; return ca }
	return func(ctx context.Context, src *catalog.KubernetesSource, baseDir string) (kubernetes.Interface, error) {
		return kubernetes.NewForConfig(cfg)
	}, ca
}

// stepOf is the step a collector error must name when request r (METHOD
// path) is the one that failed.
func stepOf(r string) string {
	method, p, _ := strings.Cut(r, " ")
	switch {
	case p == "/api" || p == "/apis" || strings.Count(p, "/") <= 3 && method == "GET" && !strings.HasPrefix(p, "/api/v1/"):
		return "discover api resources"
	case strings.HasSuffix(p, "/subjectaccessreviews"):
		return "create subjectaccessreview"
	}
	return "list " + p[strings.LastIndex(p, "/")+1:]
}

// TestIntegrationClusterGoneMidCollection takes the API server away before
// each request of a collection in turn: every collection must fail with a
// transient *collect.Error naming the step it was at, and return no data.
func TestIntegrationClusterGoneMidCollection(t *testing.T) {
	c := kubetest.StartShared(t)
	ctx := t.Context()
	params := map[string]any{"checks": []any{
		check("serviceaccount:kube-system:replicaset-controller", "create", "pods", "kube-system", true),
		check("serviceaccount:kube-system:replicaset-controller", "delete", "*", "*", true),
		check("user:alice", "get", "secrets", "default", false),
	}}
	src := &catalog.KubernetesSource{ID: "prod", Kubeconfig: "unused: the opener is injected"}
	for _, tc := range []struct {
		newC   func(kube.Opener) collect.Collector
		params map[string]any
	}{{kube.NewRBAC, params}, {kube.NewAdmission, nil}} {
		name := tc.newC(nil).Def().Name
		t.Run(name, func(t *testing.T) {
			req := collect.Request{Source: src, SourceID: src.ID, Params: tc.params}
			open, rec := cutOpener(t, c, 1<<30)
			if _, err := collectOrPanic(ctx, tc.newC(open), req); err != nil {
				t.Fatalf("uncut collection: %v", err)
			}
			all := rec.requests()
			t.Logf("%s makes %d requests: %v", name, len(all), all)
			if len(all) < 4 {
				t.Fatalf("only %d requests recorded", len(all))
			}
			for k := range all {
				begin := time.Now()
				open, rec := cutOpener(t, c, k)
				res, err := collectOrPanic(ctx, tc.newC(open), req)
				var ce *collect.Error
				switch {
				case err == nil:
					t.Errorf("cut before request %d (%s): collection succeeded", k+1, all[k])
					continue
				case !errors.As(err, &ce):
					t.Errorf("cut before request %d (%s): error %T is not a *collect.Error: %v", k+1, all[k], err, err)
					continue
				}
				want := stepOf(all[k])
				if ce.Kind != collect.KindTransient || !strings.Contains(ce.Step, want) || !strings.HasPrefix(ce.Step, "collect "+name+" prod") {
					t.Errorf("cut before request %d (%s): kind %q, step %q; want transient, naming %q", k+1, all[k], ce.Kind, ce.Step, want)
				}
				if res != nil {
					t.Errorf("cut before request %d: data returned with the error: %+v", k+1, res.Provenance)
				}
				if got := rec.requests(); !slices.Equal(got[:min(k+1, len(got))], all[:k+1]) {
					t.Errorf("cut before request %d: requests %v, want them to begin %v", k+1, got, all[:k+1])
				}
				t.Logf("cut before request %2d (%s): %s error after %v: %v", k+1, all[k], ce.Kind, time.Since(begin).Round(time.Millisecond), err)
			}
		})
	}
}

// TestIntegrationForbiddenList collects as a user bound to nothing, then
// as one who may read only ClusterRoles: the collection fails as a
// permission error naming the list that was refused.
func TestIntegrationForbiddenList(t *testing.T) {
	c := kubetest.StartShared(t)
	ctx := t.Context()
	auditor := kubetest.WriteKubeconfig(t, c.TokenConfig(t, kubetest.AuditorUser))
	src := &catalog.KubernetesSource{ID: "prod", Kubeconfig: auditor}
	req := collect.Request{Source: src, SourceID: src.ID}
	expect := func(t *testing.T, col collect.Collector, want string) {
		t.Helper()
		res, err := collectOrPanic(ctx, col, req)
		var ce *collect.Error
		if !errors.As(err, &ce) {
			t.Fatalf("error %v (%T), want a *collect.Error", err, err)
		}
		if ce.Kind != collect.KindPermission || !strings.HasSuffix(ce.Step, want) || !apierrors.IsForbidden(ce.Err) || res != nil {
			t.Errorf("error kind %q step %q (%v), data %v; want permission at %q, no data", ce.Kind, ce.Step, ce.Err, res != nil, want)
		}
		t.Logf("%s: %v", col.Def().Name, err)
	}
	t.Run("bound to nothing", func(t *testing.T) {
		expect(t, kube.NewRBAC(nil), "list clusterroles")
		expect(t, kube.NewAdmission(nil), "list namespaces")
	})
	t.Run("may read clusterroles only", func(t *testing.T) {
		const name = "evident-integration-auditor-clusterroles"
		doc := fmt.Sprintf(`apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: %[1]s}
rules: [{apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [list]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: %[1]s}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: %[1]s}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: %[2]q}]
`, name, kubetest.AuditorsGroup)
		if err := kubetest.Apply(ctx, c.Config(), []byte(doc)); err != nil {
			t.Fatal(err)
		}
		cs := adminClient(t, c)
		t.Cleanup(func() {
			_ = cs.RbacV1().ClusterRoleBindings().Delete(context.Background(), name, metav1.DeleteOptions{})
			_ = cs.RbacV1().ClusterRoles().Delete(context.Background(), name, metav1.DeleteOptions{})
		})
		waitForAuthorizer(t, ctx, cs)
		expect(t, kube.NewRBAC(nil), "list roles")
	})
}

// k8s05Checks are the checks control K8-05 of the default controls.yaml
// declares, read from the file.
func k8s05Checks(t *testing.T) []any {
	t.Helper()
	b, err := os.ReadFile("../../../controls.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Controls []struct {
			ID       string `yaml:"id"`
			Evidence []struct {
				Collector string         `yaml:"collector"`
				Params    map[string]any `yaml:"params"`
			} `yaml:"evidence"`
		} `yaml:"controls"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	for _, c := range doc.Controls {
		for _, e := range c.Evidence {
			if c.ID == "K8-05" && e.Collector == "kube.rbac" {
				l, _ := e.Params["checks"].([]any)
				if len(l) == 0 {
					t.Fatal("K8-05 declares no checks")
				}
				return l
			}
		}
	}
	t.Fatal("controls.yaml has no K8-05 with kube.rbac evidence")
	return nil
}

const collectorSA = "system:serviceaccount:evident:evident-collector"

// collectorKubeconfig applies evident's own footprint and writes a
// kubeconfig that acts as its service account, with the groups the
// authenticator gives a service account.
func collectorKubeconfig(t *testing.T, ctx context.Context, c *kubetest.Cluster) string {
	t.Helper()
	b, err := os.ReadFile("../../../deploy/k8s/rbac.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := kubetest.Apply(ctx, c.Config(), b); err != nil {
		t.Fatalf("apply deploy/k8s/rbac.yaml: %v", err)
	}
	waitForAuthorizer(t, ctx, adminClient(t, c))
	return kubetest.WriteKubeconfig(t, c.ConfigFor(collectorSA, "system:serviceaccounts", "system:serviceaccounts:evident", "system:authenticated"))
}

// TestIntegrationCollectorFootprintIsEnoughAndLeast collects both
// collectors as evident's own service account, with nothing but
// deploy/k8s/rbac.yaml granting it anything: the collection succeeds, and
// K8-05's checks (may read RBAC and admission objects and ask
// SubjectAccessReviews; may not touch secrets, write anything or exec)
// come out as expected, answered by the cluster.
func TestIntegrationCollectorFootprintIsEnoughAndLeast(t *testing.T) {
	c := kubetest.StartShared(t)
	ctx := t.Context()
	kc := collectorKubeconfig(t, ctx, c)
	src := &catalog.KubernetesSource{ID: "prod", Kubeconfig: kc, Context: kubetest.ContextName}
	checks := k8s05Checks(t)
	res, err := collectOrPanic(ctx, kube.NewRBAC(nil), collect.Request{Source: src, SourceID: src.ID, Params: map[string]any{"checks": checks}})
	if err != nil {
		t.Fatalf("kube.rbac as %s: %v", collectorSA, err)
	}
	d := res.Data.(*kube.RBACData)
	if len(d.Checks) != len(checks) {
		t.Fatalf("%d checks answered, want %d", len(d.Checks), len(checks))
	}
	for _, ch := range d.Checks {
		if ch.Allowed == nil || *ch.Allowed != ch.Expect {
			t.Errorf("K8-05: %s %s %s %q: allowed=%s, want %v (%s %s)", ch.Subject, ch.Verb, ch.Resource, ch.Namespace, fmtBool(ch.Allowed), ch.Expect, ch.Reason, ch.Error)
		}
	}
	for _, p := range d.Problems {
		if strings.Contains(p.Message, "SubjectAccessReview") {
			t.Errorf("the cluster and the evaluator disagree: %+v", p)
		}
	}
	if !slices.ContainsFunc(res.Provenance.Reads, func(r collect.Read) bool {
		return strings.Contains(r.Target, "subjectaccessreviews") && r.Count == len(checks)
	}) {
		t.Errorf("the checks were not answered by the cluster: reads %+v", res.Provenance.Reads)
	}
	t.Logf("kube.rbac as the collector: %d checks as expected; %+v", len(d.Checks), d.Summary)
	if _, err := collectOrPanic(ctx, kube.NewAdmission(nil), collect.Request{Source: src, SourceID: src.ID}); err != nil {
		t.Errorf("kube.admission as %s: %v", collectorSA, err)
	}
}

// TestIntegrationCollectorFootprintIsMinimal takes each rule away from
// evident's ClusterRole in turn, and each verb of a rule with several:
// each must break a collection, or the footprint grants more than the
// collectors use.
func TestIntegrationCollectorFootprintIsMinimal(t *testing.T) {
	c := kubetest.StartShared(t)
	ctx := t.Context()
	kc := collectorKubeconfig(t, ctx, c)
	cs := adminClient(t, c)
	t.Cleanup(func() {
		// Leave the footprint as deploy/k8s/rbac.yaml has it.
		b, _ := os.ReadFile("../../../deploy/k8s/rbac.yaml")
		_ = kubetest.Apply(context.Background(), c.Config(), b)
	})
	orig, err := cs.RbacV1().ClusterRoles().Get(ctx, "evident-collector", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	src := &catalog.KubernetesSource{ID: "prod", Kubeconfig: kc, Context: kubetest.ContextName}
	params := map[string]any{"checks": k8s05Checks(t)}
	// collectBoth returns the first failure of the two collectors.
	collectBoth := func() error {
		if _, err := collectOrPanic(ctx, kube.NewRBAC(nil), collect.Request{Source: src, SourceID: src.ID, Params: params}); err != nil {
			return err
		}
		_, err := collectOrPanic(ctx, kube.NewAdmission(nil), collect.Request{Source: src, SourceID: src.ID})
		return err
	}
	with := func(rules []rbacv1.PolicyRule) error {
		t.Helper()
		cur, err := cs.RbacV1().ClusterRoles().Get(ctx, orig.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		cur.Rules = rules
		if _, err := cs.RbacV1().ClusterRoles().Update(ctx, cur, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		waitForAuthorizer(t, ctx, cs)
		return collectBoth()
	}
	if err := with(orig.Rules); err != nil {
		t.Fatalf("with the whole footprint: %v", err)
	}
	for i, r := range orig.Rules {
		rules := slices.Delete(slices.Clone(orig.Rules), i, i+1)
		err := with(rules)
		if err == nil {
			t.Errorf("without rule %d %v %v %v, both collectors still succeed: the footprint grants it for nothing", i, r.APIGroups, r.Resources, r.Verbs)
			continue
		}
		if collect.KindOf(err) != collect.KindPermission {
			t.Errorf("without rule %d: %v, want a permission error", i, err)
		}
		t.Logf("without rule %d %v %v: %v", i, r.APIGroups, r.Resources, err)
	}
	// And each verb of a rule that grants several.
	for i, r := range orig.Rules {
		if len(r.Verbs) < 2 {
			continue
		}
		for j, v := range r.Verbs {
			rules := slices.Clone(orig.Rules)
			rules[i] = *r.DeepCopy()
			rules[i].Verbs = slices.Delete(slices.Clone(r.Verbs), j, j+1)
			if err := with(rules); err == nil {
				t.Errorf("without %s in rule %d %v, both collectors still succeed: the footprint grants it for nothing", v, i, r.Resources)
			}
		}
	}
}

// TestIntegrationPipelineEndToEnd runs the pipeline as `evident collect`
// and `evident check` do, with a controls.yaml whose one kubernetes source
// is the cluster, reached as evident's own service account: control K8-05,
// as the default pack declares it, passes; the same control with a check
// the cluster contradicts fails, and its finding names the subject.
func TestIntegrationPipelineEndToEnd(t *testing.T) {
	c := kubetest.StartShared(t)
	ctx := t.Context()
	kc := collectorKubeconfig(t, ctx, c)

	// K8-05 exactly as the default pack declares it.
	raw, err := os.ReadFile("../../../controls.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var pack struct {
		Controls []map[string]any `json:"controls"`
	}
	if err := yaml.Unmarshal(raw, &pack); err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(pack.Controls, func(c map[string]any) bool { return c["id"] == "K8-05" })
	if i < 0 {
		t.Fatal("controls.yaml has no K8-05")
	}
	k805 := pack.Controls[i]
	// A copy that declares the garbage collector may delete nothing: the
	// bootstrap policy lets it delete everything.
	violating := map[string]any{}
	b, _ := yaml.Marshal(k805)
	if err := yaml.Unmarshal(b, &violating); err != nil {
		t.Fatal(err)
	}
	const gc = "serviceaccount:kube-system:generic-garbage-collector"
	violating["id"], violating["title"] = "K8-99", "The garbage collector deletes nothing (deliberately false)"
	violating["evidence"] = []any{map[string]any{"id": "rbac", "collector": "kube.rbac", "params": map[string]any{"checks": []any{
		check("serviceaccount:evident:evident-collector", "list", "clusterrolebindings", "", true),
		check(gc, "delete", "*", "*", false),
	}}}}
	cfg := map[string]any{
		"version":      1,
		"organization": map[string]any{"name": "Test Bank"},
		"sources":      map[string]any{"kubernetes": []any{map[string]any{"id": "prod", "kubeconfig": kc, "context": kubetest.ContextName}}},
		"controls":     []any{k805, violating},
	}
	out, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "controls.yaml")
	if err := os.WriteFile(cfgPath, out, 0o644); err != nil {
		t.Fatal(err)
	}
	reg := all.Registry().With(kube.Collectors()...)
	var log bytes.Buffer
	ev := filepath.Join(dir, "evidence")
	snap, err := pipeline.Collect(ctx, pipeline.CollectOptions{ConfigPath: cfgPath, EvidenceDir: ev, Registry: reg, Log: &log})
	if err != nil {
		t.Fatalf("collect: %v\n%s", err, log.String())
	}
	t.Logf("%s", log.String())
	rep, _, err := pipeline.CheckAt(ev, "HEAD", reg)
	if err != nil {
		t.Fatalf("check: %v", err)
	}
	outcomes := map[string]evcheck.ControlResult{}
	for _, cr := range rep.Controls {
		outcomes[cr.ID] = cr
	}
	if got := outcomes["K8-05"]; got.Outcome != evcheck.Pass {
		t.Errorf("K8-05 is %s (%s), want pass: %+v", got.Outcome, got.Reason, got.Assertions)
	}
	got := outcomes["K8-99"]
	if got.Outcome != evcheck.Fail {
		t.Fatalf("K8-99 is %s (%s), want fail: %+v", got.Outcome, got.Reason, got.Assertions)
	}
	var failures []string
	for _, a := range got.Assertions {
		failures = append(failures, a.Failures...)
	}
	if len(failures) != 1 || !strings.Contains(failures[0], gc+" may delete *") {
		t.Errorf("K8-99 failures %q, want one naming %s", failures, gc)
	}
	t.Logf("snapshot #%d; K8-05 %s; K8-99 %s: %q", snap.Manifest.Sequence, outcomes["K8-05"].Outcome, got.Outcome, failures)
}

// TestIntegrationWildcardCheckAllowedOutsideRBAC declares a wildcard check
// that the system:masters authorizer allows, before RBAC is asked, so the
// evaluator allows it with no grant: the live collector must still answer
// it (confirmed by the cluster), as GitOps mode does.
func TestIntegrationWildcardCheckAllowedOutsideRBAC(t *testing.T) {
	c := kubetest.StartShared(t)
	src := &catalog.KubernetesSource{ID: "prod", Kubeconfig: c.Kubeconfig(t), Context: kubetest.ContextName}
	res, err := collectOrPanic(t.Context(), kube.NewRBAC(nil), collect.Request{Source: src, SourceID: src.ID,
		Params: map[string]any{"checks": []any{check("group:system:masters", "delete", "*", "*", true)}}})
	if err != nil {
		t.Fatalf("collect: %v", err)
	}
	if ch := res.Data.(*kube.RBACData).Checks[0]; ch.Allowed == nil || !*ch.Allowed {
		t.Errorf("system:masters delete * = %s (%s %s), want allowed", fmtBool(ch.Allowed), ch.Reason, ch.Error)
	}
}

// TestIntegrationFreshClusterHasNoCustomResources collects a fresh
// cluster, with no CustomResourceDefinition: every API group it serves is
// Kubernetes' own, so custom_resources must be empty, as it is for a
// folder without CRDs.
func TestIntegrationFreshClusterHasNoCustomResources(t *testing.T) {
	c := kubetest.StartShared(t)
	src := &catalog.KubernetesSource{ID: "prod", Kubeconfig: c.Kubeconfig(t), Context: kubetest.ContextName}
	res, err := collectOrPanic(t.Context(), kube.NewRBAC(nil), collect.Request{Source: src, SourceID: src.ID})
	if err != nil {
		t.Fatalf("collect: %v", err)
	}
	if got := res.Data.(*kube.RBACData).Inventory.CustomResources; len(got) != 0 {
		t.Errorf("a fresh kube-apiserver %s lists custom resources %+v: their groups are built in", c.Version(), got)
	}
}
