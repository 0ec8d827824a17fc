package rbac

import "strings"

// The matching below transcribes k8s.io/kubernetes pkg/apis/rbac/v1
// evaluation_helpers.go and plugin/pkg/auth/authorizer/rbac RuleAllows
// (v1.37) literally, odd corners included (a resourceNames entry "" matches
// a request without a name; "/api**" is the prefix "/api"), because the
// integration tests hold the evaluator to the real authorizer's answers.

const all = "*"

// ruleAllows is upstream RuleAllows.
func ruleAllows(r *Request, rule *Rule) bool {
	if r.Path == "" {
		combined := r.Resource
		if r.Subresource != "" {
			combined = r.Resource + "/" + r.Subresource
		}
		return verbMatches(rule, r.Verb) &&
			apiGroupMatches(rule, r.APIGroup) &&
			resourceMatches(rule, combined, r.Subresource) &&
			resourceNameMatches(rule, r.Name)
	}
	return verbMatches(rule, r.Verb) && nonResourceURLMatches(rule, r.Path)
}

func verbMatches(rule *Rule, verb string) bool {
	for _, v := range rule.Verbs {
		if v == all || v == verb {
			return true
		}
	}
	return false
}

func apiGroupMatches(rule *Rule, group string) bool {
	for _, g := range rule.APIGroups {
		if g == all || g == group {
			return true
		}
	}
	return false
}

func resourceMatches(rule *Rule, combined, subresource string) bool {
	for _, res := range rule.Resources {
		if res == all || res == combined {
			return true
		}
		if subresource != "" && len(res) == len(subresource)+2 && strings.HasPrefix(res, "*/") && strings.HasSuffix(res, subresource) {
			return true
		}
	}
	return false
}

func resourceNameMatches(rule *Rule, name string) bool {
	if len(rule.ResourceNames) == 0 {
		return true
	}
	for _, n := range rule.ResourceNames {
		if n == name {
			return true
		}
	}
	return false
}

func nonResourceURLMatches(rule *Rule, path string) bool {
	for _, u := range rule.NonResourceURLs {
		if u == all || u == path {
			return true
		}
		if strings.HasSuffix(u, "*") && strings.HasPrefix(path, strings.TrimRight(u, "*")) {
			return true
		}
	}
	return false
}

// ruleCouldAllow is ruleAllows with "*" in the request meaning "some value":
// true when some concrete request that agrees with r's other fields would
// be allowed by rule. See Evaluator.AuthorizeAny for what each wildcard
// stands for.
func ruleCouldAllow(r *Request, rule *Rule) bool {
	verbOK := verbMatches(rule, r.Verb)
	if r.Verb == all {
		verbOK = len(rule.Verbs) > 0
	}
	if !verbOK {
		return false
	}
	if r.Path != "" {
		if r.Path == all {
			return len(rule.NonResourceURLs) > 0
		}
		return nonResourceURLMatches(rule, r.Path)
	}
	if r.APIGroup == all {
		if len(rule.APIGroups) == 0 {
			return false
		}
	} else if !apiGroupMatches(rule, r.APIGroup) {
		return false
	}
	if !resourceCouldMatch(rule, r.Resource, r.Subresource) {
		return false
	}
	// "Anything" includes every name: a rule limited to resourceNames still
	// allows the verb on those objects.
	if r.Name == "" || r.Name == all {
		return true
	}
	return resourceNameMatches(rule, r.Name)
}

// resourceCouldMatch widens resourceMatches: resource "*" is any resource,
// subresource "*" is the resource itself or any of its subresources; with
// resource "*" and no subresource every resource and subresource counts.
func resourceCouldMatch(rule *Rule, resource, subresource string) bool {
	switch {
	case resource != all && subresource != all:
		combined := resource
		if subresource != "" {
			combined = resource + "/" + subresource
		}
		return resourceMatches(rule, combined, subresource)
	case resource == all && (subresource == "" || subresource == all):
		return len(rule.Resources) > 0
	case resource == all:
		for _, res := range rule.Resources {
			if res == all || strings.HasSuffix(res, "/"+subresource) {
				return true
			}
		}
		return false
	default: // a resource and any of its subresources
		for _, res := range rule.Resources {
			if res == all || res == resource || strings.HasPrefix(res, resource+"/") || strings.HasPrefix(res, "*/") {
				return true
			}
		}
		return false
	}
}
