package kube

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	authorizationv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/evident-project/evident/generator/catalog"
	"github.com/evident-project/evident/generator/collect"
)

// sarLog records the SubjectAccessReviews a fake was asked.
type sarLog struct {
	mu    sync.Mutex
	specs []authorizationv1.SubjectAccessReviewSpec
}

func (l *sarLog) answer(f func(authorizationv1.SubjectAccessReviewSpec) bool) func(authorizationv1.SubjectAccessReviewSpec) bool {
	return func(s authorizationv1.SubjectAccessReviewSpec) bool {
		l.mu.Lock()
		l.specs = append(l.specs, s)
		l.mu.Unlock()
		return f(s)
	}
}

func collectLive(t *testing.T, cs *fake.Clientset, checks ...map[string]any) (*RBACData, *collect.Result) {
	t.Helper()
	var params map[string]any
	if len(checks) > 0 {
		l := make([]any, len(checks))
		for i, c := range checks {
			l[i] = c
		}
		params = map[string]any{"checks": l}
	}
	res := mustCollect(t, NewRBAC(fakeOpener(func(string) *fake.Clientset { return cs })), liveRequest("prod", params))
	return rbacData(t, res), res
}

func TestLiveInventoryIsNormalised(t *testing.T) {
	cs := newFake(t, world(), nil)
	d, res := collectLive(t, cs)
	b, _ := json.Marshal(d.Inventory)
	for _, banned := range []string{"annotations", `"x":"y"`, "resourceVersion", "42", "managed"} {
		if strings.Contains(string(b), banned) {
			t.Errorf("inventory keeps %s: %s", banned, b)
		}
	}
	if r := findRole(d.Inventory.ClusterRoles, "", "operator"); r == nil || r.Labels["app"] != "op" {
		t.Errorf("labels not kept: %+v", r)
	}
	if got := d.Inventory.CustomResources; len(got) != 1 || got[0].Group != "example.com" || got[0].Resource != "widgets" || !got[0].Namespaced {
		t.Errorf("custom resources %+v, want example.com widgets only (apps is built in, status a subresource)", got)
	}
	for _, a := range cs.Actions() {
		if a.GetResource().Resource == "secrets" {
			t.Errorf("the collector touched secrets: %v", a)
		}
	}
	if res.Provenance.Source["mode"] != "live" || res.Provenance.Source["cluster"] != "prod" {
		t.Errorf("source %v", res.Provenance.Source)
	}
	if len(d.Problems) != 1 || d.Problems[0].Object != "RoleBinding/apps/dangling" {
		t.Errorf("problems %+v", d.Problems)
	}
}

// The fake clientset drops Limit and Continue from list options, so
// pagination is tested on listAll with a paging list function.
func TestLivePagination(t *testing.T) {
	var seen []metav1.ListOptions
	pages := func(_ context.Context, opts metav1.ListOptions) (*rbacv1.ClusterRoleList, error) {
		seen = append(seen, opts)
		page := map[string]int{"": 0, "p1": 1, "p2": 2}[opts.Continue]
		l := &rbacv1.ClusterRoleList{Items: []rbacv1.ClusterRole{{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("role-%d", page)}}}}
		if page < 2 {
			l.Continue = fmt.Sprintf("p%d", page+1)
		}
		return l, nil
	}
	lr := &liveReader{}
	items := func(l *rbacv1.ClusterRoleList) []rbacv1.ClusterRole { return l.Items }
	got, err := listAll(context.Background(), lr, "rbac.authorization.k8s.io/v1 clusterroles", pages, items)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || len(seen) != 3 || seen[1].Continue != "p1" || seen[2].Continue != "p2" {
		t.Fatalf("%d roles from list calls %+v", len(got), seen)
	}
	for _, o := range seen {
		if o.Limit != pageSize {
			t.Errorf("list without Limit %d: %+v", pageSize, o)
		}
	}
	if r := lr.reads[0]; r.Pages != 3 || r.Count != 3 || r.Status != "ok" || r.Method != "list" {
		t.Errorf("read %+v, want 3 pages of 3 records", r)
	}

	same := func(context.Context, metav1.ListOptions) (*rbacv1.ClusterRoleList, error) {
		return &rbacv1.ClusterRoleList{ListMeta: metav1.ListMeta{Continue: "same"}}, nil
	}
	_, err = listAll(context.Background(), &liveReader{}, "rbac.authorization.k8s.io/v1 clusterroles", same, items)
	if err == nil || err.Error() != "list clusterroles: page 2 repeats the continue token of the page before" {
		t.Errorf("repeated continue token: %v", err)
	}

	// An expired continue token (410) is transient: a retry starts over.
	gone := func(_ context.Context, opts metav1.ListOptions) (*rbacv1.ClusterRoleList, error) {
		if opts.Continue != "" {
			return nil, apierrors.NewResourceExpired("continue token expired")
		}
		return &rbacv1.ClusterRoleList{ListMeta: metav1.ListMeta{Continue: "p1"}}, nil
	}
	lr = &liveReader{}
	_, err = listAll(context.Background(), lr, "rbac.authorization.k8s.io/v1 clusterroles", gone, items)
	var re *ReadError
	if !errors.As(err, &re) || errKind(re.Err) != collect.KindTransient || lr.reads[0].Pages != 1 {
		t.Errorf("expired token: %v, reads %+v", err, lr.reads)
	}
}

func TestLiveErrorKinds(t *testing.T) {
	gr := schema.GroupResource{Group: groupRBAC, Resource: "rolebindings"}
	for want, err := range map[collect.ErrorKind]error{
		collect.KindPermission: apierrors.NewForbidden(gr, "", errors.New("no")),
		collect.KindTransient:  apierrors.NewTooManyRequests("slow down", 1),
		collect.KindInvalid:    apierrors.NewBadRequest("bad"),
	} {
		cs := newFake(t, world(), nil)
		cs.PrependReactor("list", "rolebindings", func(k8stesting.Action) (bool, runtime.Object, error) { return true, nil, err })
		_, got := NewRBAC(fakeOpener(func(string) *fake.Clientset { return cs })).Collect(context.Background(), liveRequest("prod", nil))
		if k := kindOf(t, got); k != want {
			t.Errorf("%v: kind %s, want %s", err, k, want)
		}
		if !strings.HasPrefix(got.Error(), "collect kube.rbac prod: list rolebindings: ") {
			t.Errorf("error %q does not name the step", got)
		}
	}
	// A SubjectAccessReview the collector may not create.
	cs := newFake(t, world(), nil)
	cs.PrependReactor("create", "subjectaccessreviews", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Group: "authorization.k8s.io", Resource: "subjectaccessreviews"}, "", errors.New("no"))
	})
	_, err := NewRBAC(fakeOpener(func(string) *fake.Clientset { return cs })).Collect(context.Background(),
		liveRequest("prod", map[string]any{"checks": []any{check("user:bob", "get", "pods", "", false)}}))
	if kindOf(t, err) != collect.KindPermission || !strings.Contains(err.Error(), "checks[0]: create subjectaccessreview") {
		t.Errorf("forbidden subjectaccessreview: %v", err)
	}
	// The opener's failure keeps its kind.
	failing := func(context.Context, *catalog.KubernetesSource, string) (kubernetes.Interface, error) {
		return nil, collect.Errorf(collect.KindNotFound, "read kubeconfig", errors.New("no such file"))
	}
	_, err = NewAdmission(failing).Collect(context.Background(), liveRequest("prod", nil))
	if kindOf(t, err) != collect.KindNotFound || err.Error() != "collect kube.admission prod: read kubeconfig: no such file" {
		t.Errorf("opener error: %v", err)
	}
}

func TestLiveChecksAgree(t *testing.T) {
	var log sarLog
	cs := newFake(t, world(), log.answer(evaluatorSAR(t, world())))
	d, res := collectLive(t, cs,
		check("serviceaccount:apps:operator", "get", "secrets", "apps", true),
		check("serviceaccount:apps:operator", "delete", "*", "*", false),
		check("serviceaccount:apps:operator", "*", "pods", "*", false),
		check("group:developers", "get", "deployments.apps", "apps", true))
	if len(d.Problems) != 1 {
		t.Errorf("problems %+v, want only the dangling binding", d.Problems)
	}
	for i, want := range []bool{true, true, false, true} {
		if c := d.Checks[i]; c.Allowed == nil || *c.Allowed != want {
			t.Errorf("check %d = %+v, want %v", i, c, want)
		}
	}
	// The wildcard delete is confirmed through its witness: the concrete
	// request the granting rule allows, where the binding applies.
	w := log.specs[1].ResourceAttributes
	if w == nil || w.Verb != "delete" || w.Group != "example.com" || w.Resource != "widgets" || w.Namespace != "" {
		t.Errorf("witness %+v, want delete example.com widgets cluster-wide", w)
	}
	if g := d.Checks[1].GrantedBy; g == nil || g.RuleIndex != 1 {
		t.Errorf("granted_by %+v, want rule 1 of operator", g)
	}
	// A denied wildcard is asked literally, cluster-wide.
	if a := log.specs[2].ResourceAttributes; a.Verb != "*" || a.Resource != "pods" || a.Namespace != "" {
		t.Errorf("denied wildcard asked as %+v", a)
	}
	if s := log.specs[3]; s.User != "" || strings.Join(s.Groups, ",") != "developers,system:authenticated" {
		t.Errorf("group subject asked as user %q groups %v", s.User, s.Groups)
	}
	last := res.Provenance.Reads[len(res.Provenance.Reads)-1]
	if last.Method != "create" || last.Target != "authorization.k8s.io/v1 subjectaccessreviews" || last.Count != 4 {
		t.Errorf("SAR read %+v", last)
	}
}

func TestLiveChecksDisagree(t *testing.T) {
	// The cluster allows everything (another authorizer, say): every
	// evaluator denial becomes a problem and the cluster's answer stands.
	cs := newFake(t, world(), func(authorizationv1.SubjectAccessReviewSpec) bool { return true })
	d, _ := collectLive(t, cs,
		check("user:bob", "delete", "nodes", "", false),
		check("user:bob", "delete", "*", "*", false))
	for i, c := range d.Checks {
		if c.Allowed == nil || !*c.Allowed || c.GrantedBy != nil || !strings.HasPrefix(c.Reason, "SubjectAccessReview: ") {
			t.Errorf("check %d = %+v, want the cluster's allow", i, c)
		}
	}
	var msgs []string
	for _, p := range d.Problems {
		if p.Object == "user:bob" {
			msgs = append(msgs, p.Message)
		}
	}
	if len(msgs) != 2 || !strings.Contains(msgs[0], "may delete") || !strings.Contains(msgs[0], "SubjectAccessReview allows it") {
		t.Errorf("problems %q", msgs)
	}

	// The cluster denies everything: an evaluator allow is a problem; a
	// wildcard whose witness is denied is left unanswered.
	cs = newFake(t, world(), func(authorizationv1.SubjectAccessReviewSpec) bool { return false })
	d, _ = collectLive(t, cs,
		check("serviceaccount:apps:operator", "get", "secrets", "apps", true),
		check("serviceaccount:apps:operator", "delete", "*", "*", false))
	if c := d.Checks[0]; c.Allowed == nil || *c.Allowed || c.GrantedBy != nil || !strings.Contains(c.Reason, "denies") {
		t.Errorf("check 0 = %+v, want the cluster's deny", c)
	}
	if c := d.Checks[1]; c.Allowed != nil || !strings.Contains(c.Error, "not confirmed") {
		t.Errorf("check 1 = %+v, want unanswered", c)
	}
	if d.Summary.ChecksUnanswered != 1 || d.Summary.Problems != 3 {
		t.Errorf("summary %+v", d.Summary)
	}
}

func TestLiveUnsyncedAggregation(t *testing.T) {
	objs := append(world(),
		&rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "view"},
			AggregationRule: &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{{MatchLabels: map[string]string{"agg": "view"}}}}},
		&rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "widgets-view", Labels: map[string]string{"agg": "view"}},
			Rules: []rbacv1.PolicyRule{{Verbs: []string{"get"}, APIGroups: []string{"example.com"}, Resources: []string{"widgets"}}}})
	d, _ := collectLive(t, newFake(t, objs, nil))
	found := false
	for _, p := range d.Problems {
		found = found || p.Object == "ClusterRole/view" && strings.Contains(p.Message, "has not aggregated")
	}
	if !found {
		t.Errorf("problems %+v, want ClusterRole/view not aggregated", d.Problems)
	}
	if r := findRole(d.Inventory.ClusterRoles, "", "view"); len(r.Rules) != 0 {
		t.Errorf("live view rules %+v, want them as stored (none)", r.Rules)
	}
}

func TestCheckParams(t *testing.T) {
	ok := check("user:bob", "get", "pods", "", false)
	for name, tc := range map[string]struct {
		params map[string]any
		want   string
	}{
		"not a list":    {map[string]any{"checks": "all"}, "checks is string"},
		"item":          {map[string]any{"checks": []any{ok, "x"}}, "checks[1] is string"},
		"missing verb":  {map[string]any{"checks": []any{map[string]any{"subject": "user:bob", "resource": "pods", "expect": true}}}, "checks[0]: verb is required"},
		"no expect":     {map[string]any{"checks": []any{map[string]any{"subject": "user:bob", "verb": "get", "resource": "pods"}}}, "checks[0]: expect is required"},
		"bad subject":   {map[string]any{"checks": []any{ok, check("serviceaccount:bob", "get", "pods", "", true)}}, "checks[1]: parse subject"},
		"unknown field": {map[string]any{"checks": []any{map[string]any{"subject": "user:bob", "verb": "get", "resource": "pods", "expect": true, "name": "x"}}}, "checks[0]: unknown fields [name]"},
		"unknown param": {map[string]any{"check": []any{}}, "unknown parameters [check]"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := NewRBAC(fakeOpener(func(string) *fake.Clientset { return newFake(t, world(), nil) })).Collect(context.Background(), liveRequest("prod", tc.params))
			if kindOf(t, err) != collect.KindInvalid || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want invalid saying %q", err, tc.want)
			}
		})
	}
}

func TestUnresolvedChecksAreUnanswered(t *testing.T) {
	d, _ := collectLive(t, newFake(t, world(), nil),
		check("user:bob", "get", "deployment", "apps", false),
		check("user:bob", "get", "nodes", "apps", false),
		check("user:bob", "get", "/metrics", "apps", false),
		check("user:bob", "get", "/metrics", "", false),
		check("user:bob", "get", "widgets", "apps", false))
	for i, wantErr := range []string{"no built-in resource", "cluster-scoped", "non-resource URL", "", ""} {
		c := d.Checks[i]
		if wantErr == "" {
			if c.Allowed == nil || c.Error != "" {
				t.Errorf("check %d = %+v, want answered", i, c)
			}
			continue
		}
		if c.Allowed != nil || !strings.Contains(c.Error, wantErr) {
			t.Errorf("check %d = %+v, want unanswered with %q", i, c, wantErr)
		}
	}
}

func TestAdmissionPoliciesNotServed(t *testing.T) {
	cs := newFake(t, world(), nil)
	cs.PrependReactor("list", "validatingadmissionpolicies", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewNotFound(schema.GroupResource{Group: groupAdmission, Resource: "validatingadmissionpolicies"}, "")
	})
	res := mustCollect(t, NewAdmission(fakeOpener(func(string) *fake.Clientset { return cs })), liveRequest("prod", nil))
	if !hasNote(res.Provenance, "does not serve admissionregistration.k8s.io/v1 validatingadmissionpolicies") || !res.Provenance.Complete {
		t.Errorf("provenance %+v", res.Provenance)
	}
	if d := res.Data.(*AdmissionData); len(d.Policies) != 0 || len(d.Namespaces) != 1 || d.Namespaces[0].PodSecurity.Enforce != "restricted" {
		t.Errorf("data %+v", d)
	}
}

func TestCanceledMidway(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cs := newFake(t, world(), nil)
	cs.PrependReactor("list", "roles", func(k8stesting.Action) (bool, runtime.Object, error) {
		cancel()
		return true, nil, context.Canceled
	})
	_, err := NewRBAC(fakeOpener(func(string) *fake.Clientset { return cs })).Collect(ctx, liveRequest("prod", nil))
	if kindOf(t, err) != collect.KindCanceled {
		t.Errorf("error %v, want canceled", err)
	}
}
