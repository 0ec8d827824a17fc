package rbac

import (
	"reflect"
	"testing"
)

func TestAggregate(t *testing.T) {
	r := func(verb, res string) Rule { return rule(l(verb), l(""), l(res)) }
	inv := &Inventory{ClusterRoles: []Role{
		// Listed out of name order on purpose: the controller sorts.
		{Name: "z-pods", Labels: map[string]string{"agg": "view", "tier": "a"}, Rules: []Rule{r("get", "pods"), r("list", "pods")}},
		{Name: "a-svc", Labels: map[string]string{"agg": "view", "tier": "b"}, Rules: []Rule{r("get", "services"), r("get", "pods")}},
		{Name: "m-dup", Labels: map[string]string{"agg": "view"}, Rules: []Rule{r("get", "services")}},
		{Name: "edit-only", Labels: map[string]string{"agg": "edit"}, Rules: []Rule{r("create", "pods")}},
		{Name: "unlabelled", Rules: []Rule{r("delete", "pods")}},
		// Selects itself too: skipped. Its stale rule is replaced.
		{Name: "view", Labels: map[string]string{"agg": "view"}, Aggregation: []LabelSelector{{MatchLabels: map[string]string{"agg": "view"}}},
			Rules: []Rule{r("stale", "x")}},
		// Two selectors: selector order first, then names; a role both
		// select contributes once.
		{Name: "edit", Aggregation: []LabelSelector{
			{MatchLabels: map[string]string{"agg": "edit"}},
			{MatchExpressions: []LabelExpression{{Key: "agg", Operator: "In", Values: l("view", "edit")}, {Key: "tier", Operator: "NotIn", Values: l("b")}}},
		}},
		// Aggregates an aggregated role: settles on the aggregate.
		{Name: "admin", Aggregation: []LabelSelector{{MatchExpressions: []LabelExpression{{Key: "agg", Operator: "DoesNotExist"}}}}},
		{Name: "exists", Aggregation: []LabelSelector{{MatchExpressions: []LabelExpression{{Key: "tier", Operator: "Exists"}}}}},
		{Name: "nothing", Aggregation: []LabelSelector{{MatchLabels: map[string]string{"agg": "none"}}}, Rules: []Rule{r("old", "x")}},
		// An invalid selector: the controller gives up; rules stay.
		{Name: "broken", Aggregation: []LabelSelector{{MatchLabels: map[string]string{"bad key!": "x"}}}, Rules: []Rule{r("kept", "x")}},
	}}
	Aggregate(inv)
	got := map[string][]Rule{}
	for _, cr := range inv.ClusterRoles {
		got[cr.Name] = cr.Rules
	}
	want := map[string][]Rule{
		// a-svc, m-dup (duplicate skipped), z-pods; itself skipped.
		"view": {r("get", "services"), r("get", "pods"), r("list", "pods")},
		// selector 0: edit-only; selector 1: edit-only again (skipped),
		// m-dup, view (aggregated), z-pods — all by name.
		"edit": {r("create", "pods"), r("get", "services"), r("get", "pods"), r("list", "pods")},
		// everything without an "agg" label, aggregated ones included,
		// by name: admin (itself, skipped), broken, edit, exists, nothing,
		// unlabelled.
		"admin":   {r("kept", "x"), r("create", "pods"), r("get", "services"), r("get", "pods"), r("list", "pods"), r("delete", "pods")},
		"exists":  {r("get", "services"), r("get", "pods"), r("list", "pods")},
		"nothing": {},
		"broken":  {r("kept", "x")},
	}
	for name, w := range want {
		if !reflect.DeepEqual(got[name], w) {
			t.Errorf("%s rules\n got %v\nwant %v", name, got[name], w)
		}
	}
	if len(inv.ClusterRoles[0].Rules) != 2 || inv.ClusterRoles[0].Name != "z-pods" {
		t.Errorf("a plain role changed, or the order did: %+v", inv.ClusterRoles[0])
	}

	// Idempotent.
	before := cloneRoles(inv.ClusterRoles)
	Aggregate(inv)
	if !reflect.DeepEqual(before, inv.ClusterRoles) {
		t.Error("a second Aggregate changed the inventory")
	}
	// The aggregate is a copy: changing it leaves the source alone.
	got["view"][0].Verbs[0] = "changed"
	if inv.ClusterRoles[1].Rules[0].Verbs[0] != "get" {
		t.Error("Aggregate shares rule slices with the roles it copied from")
	}
	Aggregate(nil)
}

func cloneRoles(rs []Role) []Role {
	out := make([]Role, len(rs))
	for i, r := range rs {
		out[i] = r
		out[i].Rules = make([]Rule, len(r.Rules))
		for j := range r.Rules {
			out[i].Rules[j] = cloneRule(r.Rules[j])
		}
	}
	return out
}
