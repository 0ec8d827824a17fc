package rbac

import (
	"cmp"
	"slices"
	"strings"
)

// SubjectAccess is one subject with its effective permissions.
type SubjectAccess struct {
	// Subject is the SubjectRef String form.
	Subject   string `json:"subject"`
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
	Category  string `json:"category"`
	// Permissions are every rule reaching the subject, directly or through
	// the groups the authenticator puts it in (see SubjectRef.Requestor):
	// ClusterRoleBindings by name, then RoleBindings by namespace and name,
	// each role's rules in order.
	Permissions []Permission `json:"permissions"`
}

// Permission is one rule reaching a subject, and where it applies.
type Permission struct {
	// Namespace is where the rule applies; "" is cluster-wide.
	Namespace string `json:"namespace,omitempty"`
	Grant     Grant  `json:"grant"`
}

// subjectHits is one subject of the population with the bindings that
// apply to it.
type subjectHits struct {
	ref  SubjectRef
	str  string
	hits []hit
}

// Subjects lists every subject any binding names and every service account
// in the inventory, sorted by Subject, each with its effective permissions.
// A User subject named like a service account ("system:serviceaccount:<ns>:
// <name>") is listed as that service account: it is the same requestor.
func (e *Evaluator) Subjects() []SubjectAccess {
	pop := e.population()
	out := make([]SubjectAccess, len(pop))
	// One array for every subject's permissions: hundreds of thousands of
	// them in a big cluster, and one allocation instead of one per subject.
	n := 0
	for _, s := range pop {
		for _, h := range s.hits {
			if r := e.bindings[h.binding].role; r != nil {
				n += len(r.rules)
			}
		}
	}
	arena := make([]Permission, 0, n)
	for i, s := range pop {
		start := len(arena)
		for _, h := range s.hits {
			b := e.bindings[h.binding]
			if b.role == nil {
				continue
			}
			for ri := range b.role.rules {
				arena = append(arena, Permission{
					Namespace: b.namespace,
					Grant: Grant{
						Binding:   b.id,
						Role:      b.role.id,
						Subject:   b.subjectRefs[h.subject],
						RuleIndex: ri,
						Rule:      b.role.rules[ri],
					},
				})
			}
		}
		out[i] = SubjectAccess{
			Subject:     s.str,
			Kind:        s.ref.Kind,
			Name:        s.ref.Name,
			Namespace:   s.ref.Namespace,
			Category:    s.ref.Category(),
			Permissions: arena[start:len(arena):len(arena)], // capped: an append must not reach the next subject's
		}
	}
	return out
}

// population finds the subjects and their bindings once per Evaluator.
// Each subject's bindings are its own (by username) merged with those of
// its groups; the groups' merged lists are built once per distinct group
// set (every service account of a namespace shares one), not per subject.
func (e *Evaluator) population() []subjectHits {
	e.popOnce.Do(func() {
		refs := map[string]SubjectRef{}
		add := func(r SubjectRef) {
			if r.Kind == KindUser {
				if ns, name, ok := splitServiceAccountUsername(r.Name); ok {
					r = SubjectRef{Kind: KindServiceAccount, Namespace: ns, Name: name}
				}
			}
			refs[r.String()] = r
		}
		for _, b := range e.bindings {
			for j, s := range b.subjects {
				if b.subjectRefs[j] == "" || s.Name == "" {
					continue // never matches; a Problem says so
				}
				add(SubjectRef{Kind: s.Kind, Name: s.Name, Namespace: cmp.Or(s.Namespace, b.namespace)})
			}
		}
		for _, sa := range e.serviceAccounts {
			if sa.Namespace != "" && sa.Name != "" {
				add(SubjectRef{Kind: KindServiceAccount, Namespace: sa.Namespace, Name: sa.Name})
			}
		}

		pop := make([]subjectHits, 0, len(refs))
		for str, r := range refs {
			pop = append(pop, subjectHits{ref: r, str: str})
		}
		slices.SortFunc(pop, func(a, b subjectHits) int { return strings.Compare(a.str, b.str) })

		groupHits := map[string][]hit{}
		for i := range pop {
			user, groups := pop[i].ref.Requestor()
			key := strings.Join(groups, "\n")
			gh, ok := groupHits[key]
			if !ok {
				lists := make([][]hit, 0, len(groups))
				for _, g := range groups {
					lists = append(lists, e.byGroup[g])
				}
				gh = mergeHits(lists...)
				groupHits[key] = gh
			}
			if pop[i].ref.Kind != KindGroup { // a group is no user, not even ""
				gh = merge2(dedupeHits(e.byUser[user], false), gh)
			}
			pop[i].hits = gh
		}
		e.pop = pop
	})
	return e.pop
}
