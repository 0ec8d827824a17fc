package rbac

import (
	"fmt"
	"slices"
	"sort"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
)

// Aggregate fills every ClusterRole that has Aggregation with the rules of
// the ClusterRoles its selectors match, in place, as kube-controller-manager's
// clusterrole-aggregation controller (syncClusterRole) does: selector by
// selector, the matching ClusterRoles sorted by name, the role itself
// skipped, each rule appended unless an equal one is already there. A role
// with an invalid selector keeps its rules, as the controller gives up on it
// (New reports it as a Problem).
//
// The controller re-syncs every aggregated role whenever any ClusterRole
// changes, so roles that aggregate aggregated roles settle on the
// aggregate of aggregates; Aggregate repeats the sync, in name order, until
// nothing changes.
func Aggregate(inv *Inventory) {
	if inv == nil {
		return
	}
	crs := inv.ClusterRoles
	order := make([]int, len(crs)) // every ClusterRole by name, as the lister lists them
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return crs[order[a]].Name < crs[order[b]].Name })

	type aggregated struct {
		index     int
		selectors []labels.Selector
	}
	var aggs []aggregated
	for _, i := range order {
		if len(crs[i].Aggregation) == 0 {
			continue
		}
		sels, err := aggregationSelectors(crs[i].Aggregation)
		if err != nil {
			continue
		}
		aggs = append(aggs, aggregated{i, sels})
	}
	if len(aggs) == 0 {
		return
	}
	// One pass settles roles that aggregate plain roles; each level of
	// aggregated-into-aggregated takes one more. Cycles need not settle
	// (the controller would keep rewriting them too), hence the bound.
	for pass := 0; pass <= len(aggs); pass++ {
		changed := false
		for _, a := range aggs {
			self := crs[a.index].Name
			rules := []Rule{}
			for _, sel := range a.selectors {
				for _, j := range order {
					if crs[j].Name == self || !sel.Matches(labels.Set(crs[j].Labels)) {
						continue
					}
					for _, r := range crs[j].Rules {
						if !slices.ContainsFunc(rules, r.equal) {
							rules = append(rules, cloneRule(r))
						}
					}
				}
			}
			if !slices.EqualFunc(rules, crs[a.index].Rules, Rule.equal) {
				crs[a.index].Rules = rules
				changed = true
			}
		}
		if !changed {
			return
		}
	}
}

// aggregationSelectors is metav1.LabelSelectorAsSelector for each selector,
// with matchLabels taken in key order so an error names the same key every
// time.
func aggregationSelectors(sels []LabelSelector) ([]labels.Selector, error) {
	out := make([]labels.Selector, 0, len(sels))
	for i, s := range sels {
		sel, err := labelSelector(s)
		if err != nil {
			return nil, fmt.Errorf("aggregation selector %d: %w", i, err)
		}
		out = append(out, sel)
	}
	return out, nil
}

func labelSelector(s LabelSelector) (labels.Selector, error) {
	if len(s.MatchLabels)+len(s.MatchExpressions) == 0 {
		return labels.Everything(), nil
	}
	reqs := make([]labels.Requirement, 0, len(s.MatchLabels)+len(s.MatchExpressions))
	keys := make([]string, 0, len(s.MatchLabels))
	for k := range s.MatchLabels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		r, err := labels.NewRequirement(k, selection.Equals, []string{s.MatchLabels[k]})
		if err != nil {
			return nil, err
		}
		reqs = append(reqs, *r)
	}
	for _, e := range s.MatchExpressions {
		var op selection.Operator
		switch e.Operator {
		case "In":
			op = selection.In
		case "NotIn":
			op = selection.NotIn
		case "Exists":
			op = selection.Exists
		case "DoesNotExist":
			op = selection.DoesNotExist
		default:
			return nil, fmt.Errorf("%q is not a valid label selector operator", e.Operator)
		}
		r, err := labels.NewRequirement(e.Key, op, slices.Clone(e.Values))
		if err != nil {
			return nil, err
		}
		reqs = append(reqs, *r)
	}
	return labels.NewSelector().Add(reqs...), nil
}

// equal is the controller's equality.Semantic.DeepEqual on two rules: order
// matters, nil and empty lists are the same.
func (r Rule) equal(o Rule) bool {
	return slices.Equal(r.Verbs, o.Verbs) &&
		slices.Equal(r.APIGroups, o.APIGroups) &&
		slices.Equal(r.Resources, o.Resources) &&
		slices.Equal(r.ResourceNames, o.ResourceNames) &&
		slices.Equal(r.NonResourceURLs, o.NonResourceURLs)
}

func cloneRule(r Rule) Rule {
	return Rule{
		Verbs:           slices.Clone(r.Verbs),
		APIGroups:       slices.Clone(r.APIGroups),
		Resources:       slices.Clone(r.Resources),
		ResourceNames:   slices.Clone(r.ResourceNames),
		NonResourceURLs: slices.Clone(r.NonResourceURLs),
	}
}
