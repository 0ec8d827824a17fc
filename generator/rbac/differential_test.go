package rbac_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/evident-project/evident/generator/rbac"
	"github.com/evident-project/evident/generator/rbac/rbactest"
)

// questionSet draws authorization questions from an inventory's own
// vocabulary (its subjects, verbs, groups, resources, names, namespaces,
// URLs) plus near misses, so most questions touch some rule.
type questionSet struct {
	r          *rand.Rand
	requestors []rbac.Request // User and Groups only
	verbs      []string
	resources  [][3]string // group, resource, subresource
	names      []string
	namespaces []string
	paths      []string
	groups     []string
}

func newQuestionSet(seed uint64, inv *rbac.Inventory, e *rbac.Evaluator) *questionSet {
	q := &questionSet{r: rand.New(rand.NewPCG(seed, 7))}
	seen := map[string]bool{}
	add := func(list *[]string, v string) {
		if k := fmt.Sprintf("%p/%s", list, v); !seen[k] {
			seen[k] = true
			*list = append(*list, v)
		}
	}
	for _, v := range []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection", "escalate", "bind", "impersonate", "use", "approve"} {
		add(&q.verbs, v)
	}
	var groupNames, resourceNames []string
	for _, v := range []string{"", "apps", "rbac.authorization.k8s.io", "other.example.com"} {
		add(&groupNames, v)
	}
	for _, v := range []string{"pods", "secrets", "configmaps", "deployments", "widgets"} {
		add(&resourceNames, v)
	}
	q.names = []string{"", "", "other"}
	q.paths = []string{"/metrics", "/healthz", "/api", "/apis", "/apis/apps/v1", "/debug/pprof", "/"}
	roles := append(slices.Clone(inv.ClusterRoles), inv.Roles...)
	for _, role := range roles {
		for _, rule := range role.Rules {
			for _, v := range rule.Verbs {
				if v != "*" {
					add(&q.verbs, v)
				}
			}
			for _, g := range rule.APIGroups {
				if g != "*" {
					add(&groupNames, g)
				}
			}
			for _, res := range rule.Resources {
				name, sub, _ := strings.Cut(res, "/")
				if name != "*" {
					add(&resourceNames, name)
				}
				for _, g := range rule.APIGroups {
					q.resources = append(q.resources, [3]string{g, name, sub})
				}
			}
			for _, n := range rule.ResourceNames {
				add(&q.names, n)
			}
			for _, u := range rule.NonResourceURLs {
				add(&q.paths, strings.TrimRight(u, "*"))
				add(&q.paths, strings.TrimRight(u, "*")+"x/y")
			}
		}
	}
	// Resolve the wildcards to concrete values.
	for i, res := range q.resources {
		if res[0] == "*" {
			q.resources[i][0] = groupNames[q.r.IntN(len(groupNames))]
		}
		if res[1] == "*" {
			q.resources[i][1] = resourceNames[q.r.IntN(len(resourceNames))]
		}
		if res[2] == "*" {
			q.resources[i][2] = "status"
		}
	}
	q.resources = append(q.resources, [3]string{"", "pods", "exec"}, [3]string{"apps", "deployments", "status"}, [3]string{"", "nodes", "proxy"})
	q.namespaces = []string{"", "", "no-such-namespace"}
	for _, b := range inv.RoleBindings {
		add(&q.namespaces, b.Namespace)
	}
	for _, s := range e.Subjects() {
		ref, err := rbac.ParseSubject(s.Subject)
		if err != nil {
			panic(err)
		}
		u, g := ref.Requestor()
		q.requestors = append(q.requestors, rbac.Request{User: u, Groups: g})
		if ref.Kind == rbac.KindGroup {
			add(&q.groups, ref.Name)
		}
	}
	q.requestors = append(q.requestors,
		rbac.Request{User: "nobody", Groups: []string{"system:authenticated"}},
		rbac.Request{User: "system:anonymous", Groups: []string{"system:unauthenticated"}},
		rbac.Request{User: "root", Groups: []string{"system:masters"}},
		rbac.Request{User: "system:serviceaccount:no-such-namespace:default", Groups: []string{"system:serviceaccounts", "system:serviceaccounts:no-such-namespace", "system:authenticated"}},
	)
	return q
}

func (q *questionSet) next() rbac.Request {
	pick := func(l []string) string { return l[q.r.IntN(len(l))] }
	r := q.requestors[q.r.IntN(len(q.requestors))]
	r.Groups = slices.Clone(r.Groups)
	if len(q.groups) > 0 && q.r.IntN(4) == 0 { // a user in some more groups
		r.Groups = append(r.Groups, pick(q.groups))
	}
	r.Verb = pick(q.verbs)
	r.Namespace = pick(q.namespaces)
	if q.r.IntN(15) == 0 {
		r.Path, r.Namespace = pick(q.paths), ""
		return r
	}
	res := q.resources[q.r.IntN(len(q.resources))]
	r.APIGroup, r.Resource, r.Subresource = res[0], res[1], res[2]
	if q.r.IntN(5) == 0 { // near misses: drop or add a subresource
		if r.Subresource != "" {
			r.Subresource = ""
		} else {
			r.Subresource = "status"
		}
	}
	r.Name = pick(q.names)
	return r
}

// agree asks n questions of the evaluator and the oracle and fails on the
// first disagreement; it also checks each grant is a rule that really
// allows the request, through a binding in scope, and that AuthorizeAny
// with some fields widened to "*" still allows what Authorize allows.
func agree(t *testing.T, inv *rbac.Inventory, n int, seed uint64) (allowed int) {
	t.Helper()
	e := rbac.New(inv)
	o := oracle{inv}
	q := newQuestionSet(seed, inv, e)
	for range n {
		r := q.next()
		d := e.Authorize(r)
		if want := o.authorize(r); d.Allowed != want {
			t.Fatalf("Authorize(%+v) = %v (%s); upstream says %v", r, d.Allowed, d.Reason, want)
		}
		if !d.Allowed {
			continue
		}
		allowed++
		if d.Grant != nil {
			if !oracleRuleAllows(r, &d.Grant.Rule) {
				t.Fatalf("Authorize(%+v): granted by a rule that does not allow it: %+v", r, d.Grant)
			}
			if strings.HasPrefix(d.Grant.Binding, "RoleBinding/") && !strings.HasPrefix(d.Grant.Binding, "RoleBinding/"+r.Namespace+"/") {
				t.Fatalf("Authorize(%+v): granted through a RoleBinding of another namespace: %+v", r, d.Grant)
			}
		}
		w := r
		for _, f := range []*string{&w.Verb, &w.APIGroup, &w.Resource, &w.Namespace} {
			if q.r.IntN(2) == 0 && w.Path == "" {
				*f = "*"
			}
		}
		if !e.AuthorizeAny(w).Allowed {
			t.Fatalf("Authorize(%+v) allows, AuthorizeAny(%+v) does not", r, w)
		}
		if r.Name != "" && !e.AuthorizeAny(r).Allowed {
			t.Fatalf("AuthorizeAny(%+v) differs from Authorize on a concrete request", r)
		}
	}
	return allowed
}

// TestAgreesWithUpstreamSynthetic holds the indexed evaluator to the plain
// transcription over a synthetic cluster with every feature in it.
func TestAgreesWithUpstreamSynthetic(t *testing.T) {
	inv := rbactest.Synthetic(42, rbactest.Size{Roles: 300, Bindings: 1500, Subjects: 600, Namespaces: 12})
	rbac.Aggregate(inv)
	n := 20000
	if testing.Short() {
		n = 5000
	}
	allowed := agree(t, inv, n, 1)
	t.Logf("%d questions, %d allowed", n, allowed)
	if allowed < n/20 {
		t.Fatalf("only %d of %d questions allowed: the question set misses the rules", allowed, n)
	}
}
