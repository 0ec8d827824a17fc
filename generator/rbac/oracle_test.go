package rbac_test

import (
	"slices"
	"strings"

	"github.com/evident-project/evident/generator/rbac"
)

// oracle is upstream's authorizer transcribed as plainly as possible, from
// k8s.io/kubernetes v1.37 pkg/registry/rbac/validation/rule.go
// (VisitRulesFor, GetRoleReferenceRules, appliesToUser),
// plugin/pkg/auth/authorizer/rbac/rbac.go (RuleAllows),
// pkg/apis/rbac/v1/evaluation_helpers.go and the privileged-group
// authorizer: a linear scan of the bindings as listed, no index, no
// sorting. The evaluator must agree with it on every question.
type oracle struct{ inv *rbac.Inventory }

func (o oracle) authorize(r rbac.Request) bool {
	if slices.Contains(r.Groups, "system:masters") {
		return true
	}
	allowed := false
	o.visitRulesFor(r.User, r.Groups, r.Namespace, func(_, _ string, rule *rbac.Rule) bool {
		if oracleRuleAllows(r, rule) {
			allowed = true
			return false
		}
		return true
	})
	return allowed
}

// visitRulesFor calls visit with each rule that applies to the user in the
// namespace, and the binding and namespace it came through, until visit
// returns false.
func (o oracle) visitRulesFor(user string, groups []string, namespace string, visit func(binding, ns string, rule *rbac.Rule) bool) {
	for _, b := range o.inv.ClusterRoleBindings {
		if !appliesTo(user, groups, b.Subjects, "") {
			continue
		}
		rules, ok := o.roleRules(b.RoleRef, "")
		if !ok {
			continue
		}
		for i := range rules {
			if !visit("ClusterRoleBinding/"+b.Name, "", &rules[i]) {
				return
			}
		}
	}
	if namespace == "" {
		return
	}
	for _, b := range o.inv.RoleBindings {
		if b.Namespace != namespace || !appliesTo(user, groups, b.Subjects, namespace) {
			continue
		}
		rules, ok := o.roleRules(b.RoleRef, namespace)
		if !ok {
			continue
		}
		for i := range rules {
			if !visit("RoleBinding/"+b.Namespace+"/"+b.Name, namespace, &rules[i]) {
				return
			}
		}
	}
}

func (o oracle) roleRules(ref rbac.RoleRef, ns string) ([]rbac.Rule, bool) {
	switch ref.Kind {
	case "Role":
		for _, r := range o.inv.Roles {
			if ns != "" && r.Namespace == ns && r.Name == ref.Name {
				return r.Rules, true
			}
		}
	case "ClusterRole":
		for _, r := range o.inv.ClusterRoles {
			if r.Name == ref.Name {
				return r.Rules, true
			}
		}
	}
	return nil, false
}

func appliesTo(user string, groups []string, subjects []rbac.Subject, namespace string) bool {
	for _, s := range subjects {
		switch s.Kind {
		case "User":
			if user == s.Name {
				return true
			}
		case "Group":
			if slices.Contains(groups, s.Name) {
				return true
			}
		case "ServiceAccount":
			ns := namespace
			if s.Namespace != "" {
				ns = s.Namespace
			}
			if ns != "" && matchesUsername(ns, s.Name, user) {
				return true
			}
		}
	}
	return false
}

// matchesUsername is serviceaccount.MatchesUsername: no concatenation, so
// the baseline benchmark pays what upstream pays.
func matchesUsername(namespace, name, username string) bool {
	rest, ok := strings.CutPrefix(username, "system:serviceaccount:")
	if !ok {
		return false
	}
	rest, ok = strings.CutPrefix(rest, namespace)
	if !ok {
		return false
	}
	rest, ok = strings.CutPrefix(rest, ":")
	return ok && rest == name
}

func oracleRuleAllows(r rbac.Request, rule *rbac.Rule) bool {
	has := func(list []string, v string) bool { return slices.Contains(list, "*") || slices.Contains(list, v) }
	if r.Path != "" {
		if !has(rule.Verbs, r.Verb) {
			return false
		}
		for _, u := range rule.NonResourceURLs {
			if u == "*" || u == r.Path || (strings.HasSuffix(u, "*") && strings.HasPrefix(r.Path, strings.TrimRight(u, "*"))) {
				return true
			}
		}
		return false
	}
	combined := r.Resource
	if r.Subresource != "" {
		combined += "/" + r.Subresource
	}
	resourceOK := false
	for _, res := range rule.Resources {
		if res == "*" || res == combined || (r.Subresource != "" && res == "*/"+r.Subresource) {
			resourceOK = true
		}
	}
	return has(rule.Verbs, r.Verb) && has(rule.APIGroups, r.APIGroup) && resourceOK &&
		(len(rule.ResourceNames) == 0 || slices.Contains(rule.ResourceNames, r.Name))
}
