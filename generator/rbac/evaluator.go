package rbac

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
)

// Evaluator answers authorization questions over one inventory, the way the
// kube-apiserver's RBAC authorizer (with the system:masters privileged-group
// authorizer in front of it) does. It is safe for concurrent use.
//
// Values it returns share its rule slices: treat them as read-only.
type Evaluator struct {
	clusterRoles map[string]*role
	roles        map[string]*role // by namespace + "/" + name
	// bindings are the ClusterRoleBindings by name, then the RoleBindings
	// by namespace and name: the order grants are looked for in, so a
	// position in it is also a sort key.
	bindings  []*binding
	nsBinding map[string][2]int // a namespace's RoleBindings, as a bindings[lo:hi] range
	// byUser holds User subjects by name and ServiceAccount subjects by the
	// username they match; byGroup Group subjects by name. Each list is in
	// bindings order, so a requestor's bindings come from merging a few
	// lists instead of scanning every binding as upstream does.
	byUser          map[string][]hit
	byGroup         map[string][]hit
	serviceAccounts []ServiceAccount
	problems        []Problem

	popOnce sync.Once
	pop     []subjectHits
}

type role struct {
	id    string // "ClusterRole/<name>" or "Role/<ns>/<name>"
	rules []Rule

	rightsOnce sync.Once
	rights     [][]ruleRight // per rule, see privileged.go
}

type binding struct {
	id        string // "ClusterRoleBinding/<name>" or "RoleBinding/<ns>/<name>"
	namespace string
	name      string
	roleRef   RoleRef
	subjects  []Subject
	// subjectRefs are the subjects in SubjectRef form, a service account's
	// namespace defaulted to the binding's; "" for a subject that never
	// matches.
	subjectRefs []string
	role        *role  // nil when the reference does not resolve
	roleErr     string // then: the error upstream's resolver gives
}

// hit is one binding subject: bindings[binding].subjects[subject].
type hit struct {
	binding int32
	subject int32
}

// New indexes an inventory as stored. It does not aggregate: call Aggregate
// first for an inventory read from manifests. New copies what it keeps, so
// the caller may change inv afterwards.
func New(inv *Inventory) *Evaluator {
	if inv == nil {
		inv = &Inventory{}
	}
	e := &Evaluator{
		clusterRoles: map[string]*role{},
		roles:        map[string]*role{},
		nsBinding:    map[string][2]int{},
		byUser:       map[string][]hit{},
		byGroup:      map[string][]hit{},
	}

	for _, r := range dedupe(e, "ClusterRole", inv.ClusterRoles, func(r Role) string { return r.Name }) {
		e.clusterRoles[r.Name] = newRole("ClusterRole/"+r.Name, r.Rules)
		if len(r.Aggregation) > 0 {
			if _, err := aggregationSelectors(r.Aggregation); err != nil {
				e.problem("ClusterRole/"+r.Name, err.Error()+"; the aggregation controller leaves its rules as they are")
			}
		}
	}
	for _, r := range dedupe(e, "Role", inv.Roles, func(r Role) string { return r.Namespace + sep + r.Name }) {
		if r.Namespace == "" {
			e.problem("Role/"+r.Name, "a Role without a namespace can never be referenced")
			continue
		}
		e.roles[r.Namespace+"/"+r.Name] = newRole("Role/"+r.Namespace+"/"+r.Name, r.Rules)
	}

	for _, b := range dedupe(e, "ClusterRoleBinding", inv.ClusterRoleBindings, func(b Binding) string { return b.Name }) {
		e.addBinding("ClusterRoleBinding/"+b.Name, "", b)
	}
	rbs := dedupe(e, "RoleBinding", inv.RoleBindings, func(b Binding) string { return b.Namespace + sep + b.Name })
	for i := 0; i < len(rbs); {
		ns := rbs[i].Namespace
		lo := len(e.bindings)
		for ; i < len(rbs) && rbs[i].Namespace == ns; i++ {
			if ns == "" {
				e.problem("RoleBinding/"+rbs[i].Name, "a RoleBinding without a namespace never applies")
				continue
			}
			e.addBinding("RoleBinding/"+ns+"/"+rbs[i].Name, ns, rbs[i])
		}
		if ns != "" {
			e.nsBinding[ns] = [2]int{lo, len(e.bindings)}
		}
	}

	sas := slices.Clone(inv.ServiceAccounts)
	slices.SortFunc(sas, func(a, b ServiceAccount) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	e.serviceAccounts = slices.Compact(sas)

	slices.SortFunc(e.problems, func(a, b Problem) int {
		return cmp.Or(cmp.Compare(a.Object, b.Object), cmp.Compare(a.Message, b.Message))
	})
	e.problems = slices.Compact(e.problems)
	return e
}

func newRole(id string, rules []Rule) *role {
	r := &role{id: id, rules: make([]Rule, len(rules))}
	for i, rule := range rules {
		r.rules[i] = cloneRule(rule)
		// A rule decoded from "verbs": null would otherwise print so,
		// and the same rule from [] would not.
		if r.rules[i].Verbs == nil {
			r.rules[i].Verbs = []string{}
		}
	}
	return r
}

// sep joins a namespace and a name into a sort key that orders by namespace
// first ("a" before "a-b"; "/" would not).
const sep = "\x00"

// dedupe sorts objects by key and keeps one object per key. Two objects
// with one key (two manifests for one name) are a Problem; which one a
// cluster ends up with depends on the order they were applied in, which
// the inventory does not record, so the one kept is the first by content,
// whatever order the inventory lists them in.
func dedupe[T any](e *Evaluator, kind string, objs []T, key func(T) string) []T {
	type keyed struct {
		key string
		obj T
		enc string
	}
	ks := make([]keyed, len(objs))
	for i, o := range objs {
		ks[i] = keyed{key: key(o), obj: o}
	}
	sort.SliceStable(ks, func(a, b int) bool { return ks[a].key < ks[b].key })
	out := make([]T, 0, len(ks))
	for i := 0; i < len(ks); {
		j := i + 1
		for j < len(ks) && ks[j].key == ks[i].key {
			j++
		}
		if j-i > 1 {
			group := ks[i:j]
			for g := range group {
				enc, _ := json.Marshal(group[g].obj)
				group[g].enc = string(enc)
			}
			sort.SliceStable(group, func(a, b int) bool { return group[a].enc < group[b].enc })
			e.problem(kind+"/"+strings.ReplaceAll(ks[i].key, sep, "/"), fmt.Sprintf("defined %d times; the evaluator uses the first by content", j-i))
		}
		out = append(out, ks[i].obj)
		i = j
	}
	return out
}

func (e *Evaluator) problem(object, message string) {
	e.problems = append(e.problems, Problem{Object: object, Message: message})
}

// addBinding resolves the binding's role and indexes its subjects, as
// upstream's GetRoleReferenceRules and appliesToUser would see them.
func (e *Evaluator) addBinding(id, ns string, in Binding) {
	b := &binding{
		id:          id,
		namespace:   ns,
		name:        in.Name,
		roleRef:     in.RoleRef,
		subjects:    slices.Clone(in.Subjects),
		subjectRefs: make([]string, len(in.Subjects)),
	}
	switch in.RoleRef.Kind {
	case "ClusterRole":
		b.role = e.clusterRoles[in.RoleRef.Name]
		if b.role == nil {
			b.roleErr = fmt.Sprintf("clusterrole.rbac.authorization.k8s.io %q not found", in.RoleRef.Name)
			e.problem(id, fmt.Sprintf("role %q not found", "ClusterRole/"+in.RoleRef.Name))
		}
	case "Role":
		b.roleErr = fmt.Sprintf("role.rbac.authorization.k8s.io %q not found", in.RoleRef.Name)
		if ns == "" {
			// Upstream looks the Role up in namespace "", where none is.
			e.problem(id, fmt.Sprintf("role %q not found: a ClusterRoleBinding can only grant a ClusterRole", "Role/"+in.RoleRef.Name))
			break
		}
		b.role = e.roles[ns+"/"+in.RoleRef.Name]
		if b.role == nil {
			e.problem(id, fmt.Sprintf("role %q not found", "Role/"+ns+"/"+in.RoleRef.Name))
		} else {
			b.roleErr = ""
		}
	default:
		b.roleErr = fmt.Sprintf("unsupported role reference kind: %q", in.RoleRef.Kind)
		e.problem(id, fmt.Sprintf("unsupported role reference kind %q; it grants nothing", in.RoleRef.Kind))
	}

	bi := int32(len(e.bindings))
	e.bindings = append(e.bindings, b)
	for j, s := range b.subjects {
		h := hit{binding: bi, subject: int32(j)}
		if s.Name == "" {
			// Validation rejects it; upstream would still compare it.
			e.problem(id, fmt.Sprintf("subject %d (%s) has no name", j, s.Kind))
		}
		switch s.Kind {
		case KindUser:
			e.byUser[s.Name] = append(e.byUser[s.Name], h)
			b.subjectRefs[j] = SubjectRef{Kind: KindUser, Name: s.Name}.String()
		case KindGroup:
			e.byGroup[s.Name] = append(e.byGroup[s.Name], h)
			b.subjectRefs[j] = SubjectRef{Kind: KindGroup, Name: s.Name}.String()
		case KindServiceAccount:
			saNS := cmp.Or(s.Namespace, ns)
			if saNS == "" {
				e.problem(id, fmt.Sprintf("service account subject %q has no namespace, so it never matches", s.Name))
				continue
			}
			u := serviceAccountUsername(saNS, s.Name)
			e.byUser[u] = append(e.byUser[u], h)
			b.subjectRefs[j] = SubjectRef{Kind: KindServiceAccount, Namespace: saNS, Name: s.Name}.String()
		default:
			e.problem(id, fmt.Sprintf("subject %d has kind %q, which never matches (User, Group and ServiceAccount do)", j, s.Kind))
		}
	}
}

// Problems are what the authorizer would trip over in the inventory:
// bindings to roles that do not exist, subjects that can never match,
// invalid aggregation selectors, objects defined twice. Sorted by object,
// then message.
func (e *Evaluator) Problems() []Problem {
	return append([]Problem{}, e.problems...)
}

// hits returns the bindings that apply to a requestor, each with the first
// of its subjects that applies (upstream's appliesTo), in bindings order.
func (e *Evaluator) hits(user string, groups []string) []hit {
	lists := make([][]hit, 0, 1+len(groups))
	if l := e.byUser[user]; len(l) > 0 {
		lists = append(lists, l)
	}
	for i, g := range groups {
		if slices.Contains(groups[:i], g) {
			continue
		}
		if l := e.byGroup[g]; len(l) > 0 {
			lists = append(lists, l)
		}
	}
	return mergeHits(lists...)
}

// mergeHits merges hit lists in bindings order, keeping one hit per
// binding: the one with the lowest subject index.
func mergeHits(lists ...[]hit) []hit {
	switch len(lists) {
	case 0:
		return nil
	case 1:
		return dedupeHits(lists[0], false)
	}
	n := 0
	for _, l := range lists {
		n += len(l)
	}
	out := make([]hit, 0, n)
	for _, l := range lists {
		out = append(out, l...)
	}
	slices.SortFunc(out, func(a, b hit) int {
		return cmp.Or(cmp.Compare(a.binding, b.binding), cmp.Compare(a.subject, b.subject))
	})
	return dedupeHits(out, true)
}

// dedupeHits keeps the first hit of each binding of a sorted list; unless
// owned, it copies before changing anything.
func dedupeHits(l []hit, owned bool) []hit {
	for i := 1; i < len(l); i++ {
		if l[i].binding == l[i-1].binding {
			if !owned {
				l = slices.Clone(l)
			}
			return slices.CompactFunc(l, func(a, b hit) bool { return a.binding == b.binding })
		}
	}
	return l
}

// merge2 merges two sorted, deduplicated hit lists.
func merge2(a, b []hit) []hit {
	if len(a) == 0 {
		return b
	}
	if len(b) == 0 {
		return a
	}
	out := make([]hit, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i].binding < b[j].binding:
			out = append(out, a[i])
			i++
		case a[i].binding > b[j].binding:
			out = append(out, b[j])
			j++
		default:
			out = append(out, hit{a[i].binding, min(a[i].subject, b[j].subject)})
			i++
			j++
		}
	}
	out = append(out, a[i:]...)
	return append(out, b[j:]...)
}

// inScope says whether binding bi is consulted for a request in namespace
// ns: ClusterRoleBindings always, RoleBindings of ns only, or of every
// namespace with anyNS (AuthorizeAny's "*"; to Authorize, as to the API
// server, "*" is just a namespace no binding is in).
func (e *Evaluator) inScope(bi int32, ns string, anyNS bool) bool {
	b := e.bindings[bi]
	return b.namespace == "" || anyNS || b.namespace == ns
}

// Authorize answers r as the kube-apiserver would: system:masters is
// allowed by the privileged-group authorizer; otherwise the first rule, in
// ClusterRoleBindings by name then the namespace's RoleBindings by name,
// each role's rules in order, that allows the request grants it.
func (e *Evaluator) Authorize(r Request) Decision {
	return e.authorize(r, ruleAllows, false)
}

// AuthorizeAny answers "may the subject do this to anything?". Any of Verb,
// APIGroup, Resource, Subresource, Path and Namespace may be "*" for "any";
// Name "" or "*" is any name (so rules limited to resourceNames count), and
// Resource "*" without a Subresource covers subresources too. Namespace "*"
// is any namespace or cluster-wide; "" is cluster-wide only, as in
// Authorize. It returns the first grant, in Authorize's order, of a rule
// that allows some concrete request agreeing with r.
func (e *Evaluator) AuthorizeAny(r Request) Decision {
	return e.authorize(r, ruleCouldAllow, r.Namespace == all)
}

func (e *Evaluator) authorize(r Request, allows func(*Request, *Rule) bool, anyNS bool) Decision {
	if slices.Contains(r.Groups, GroupMasters) {
		return Decision{Allowed: true, Reason: "allowed by the system:masters privileged-group authorizer, before RBAC is asked"}
	}
	var errs []string
	for _, h := range e.hits(r.User, r.Groups) {
		if !e.inScope(h.binding, r.Namespace, anyNS) {
			continue
		}
		b := e.bindings[h.binding]
		if b.role == nil {
			errs = append(errs, b.roleErr)
			continue
		}
		for i := range b.role.rules {
			rule := &b.role.rules[i]
			if allows(&r, rule) {
				return Decision{
					Allowed: true,
					Grant: &Grant{
						Binding:   b.id,
						Role:      b.role.id,
						Subject:   b.subjectRefs[h.subject],
						RuleIndex: i,
						Rule:      *rule,
					},
					Reason: "RBAC: allowed by " + b.describe(int(h.subject)),
				}
			}
		}
	}
	if len(errs) > 0 {
		return Decision{Reason: "RBAC: " + aggregateErrors(errs)}
	}
	return Decision{Reason: "RBAC: " + denial(&r, anyNS)}
}

// describe is upstream's clusterRoleBindingDescriber and
// roleBindingDescriber.
func (b *binding) describe(subject int) string {
	s := b.subjects[subject]
	who := fmt.Sprintf("%s %q", s.Kind, s.Name)
	if s.Kind == KindServiceAccount {
		who = fmt.Sprintf("%s %q", s.Kind, s.Name+"/"+cmp.Or(s.Namespace, b.namespace))
	}
	if b.namespace == "" {
		return fmt.Sprintf("ClusterRoleBinding %q of %s %q to %s", b.name, b.roleRef.Kind, b.roleRef.Name, who)
	}
	return fmt.Sprintf("RoleBinding %q of %s %q to %s", b.name+"/"+b.namespace, b.roleRef.Kind, b.roleRef.Name, who)
}

// aggregateErrors formats like utilerrors.NewAggregate: one message alone,
// several (duplicates dropped) in brackets.
func aggregateErrors(errs []string) string {
	if len(errs) == 1 {
		return errs[0]
	}
	var seen []string
	for _, e := range errs {
		if !slices.Contains(seen, e) {
			seen = append(seen, e)
		}
	}
	if len(seen) == 1 {
		return seen[0]
	}
	return "[" + strings.Join(seen, ", ") + "]"
}

// denial is upstream's log line for a request no rule allows.
func denial(r *Request, anyNS bool) string {
	var op string
	if r.Path == "" {
		op = fmt.Sprintf("%q resource %q", r.Verb, r.Resource)
		if r.APIGroup != "" {
			op = fmt.Sprintf("%q resource %q", r.Verb, r.Resource+"."+r.APIGroup)
		}
		if r.Subresource != "" {
			op = op[:len(op)-1] + "/" + r.Subresource + `"`
		}
		if r.Name != "" {
			op += fmt.Sprintf(" named %q", r.Name)
		}
	} else {
		op = fmt.Sprintf("%q nonResourceURL %q", r.Verb, r.Path)
	}
	scope := "cluster-wide"
	switch {
	case anyNS:
		scope = "in any namespace or cluster-wide"
	case r.Namespace != "":
		scope = fmt.Sprintf("in namespace %q", r.Namespace)
	}
	return fmt.Sprintf("no rules authorize user %q with groups %q to %s %s", r.User, r.Groups, op, scope)
}
