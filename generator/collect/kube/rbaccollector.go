package kube

import (
	"context"
	_ "embed"
	"fmt"
	"slices"
	"sort"
	"strings"

	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/evident-project/evident/generator/collect"
	"github.com/evident-project/evident/generator/rbac"
)

//go:embed defs/rbac.yml
var rbacDefYAML []byte

// rbacDef is parsed once: a broken def is a build defect.
var rbacDef = collect.MustParseDef(rbacDefYAML)

// RBACData is the kube.rbac evidence.
type RBACData struct {
	// Cluster is the source id.
	Cluster   string          `json:"cluster"`
	Inventory *rbac.Inventory `json:"inventory"`
	// Subjects are every subject with its effective permissions.
	Subjects []rbac.SubjectAccess `json:"subjects"`
	// Privileged is the privileged-access population for access reviews.
	Privileged rbac.Privileged `json:"privileged"`
	// Checks are the answers to the declared access questions.
	Checks []Check `json:"checks"`
	// Problems are what the authorizer would trip over in the inventory,
	// and disagreements between the cluster's answers and the evaluator's.
	Problems []rbac.Problem `json:"problems"`
	// CannotShow says what RBAC evidence cannot show.
	CannotShow []string    `json:"cannot_show"`
	Summary    RBACSummary `json:"summary"`
}

// Check is one declared access question and its answer.
type Check struct {
	Subject   string `json:"subject"`
	Verb      string `json:"verb"`
	Resource  string `json:"resource"`
	Namespace string `json:"namespace"`
	Expect    bool   `json:"expect"`
	// Allowed is null when the question could not be answered (see Error).
	Allowed *bool `json:"allowed"`
	// GrantedBy is the binding, role and rule that allow it, when allowed
	// through RBAC.
	GrantedBy *rbac.Grant `json:"granted_by"`
	Reason    string      `json:"reason"`
	Error     string      `json:"error,omitempty"`
}

// RBACSummary counts what the evidence holds.
type RBACSummary struct {
	ClusterRoles        int `json:"cluster_roles"`
	Roles               int `json:"roles"`
	ClusterRoleBindings int `json:"cluster_role_bindings"`
	RoleBindings        int `json:"role_bindings"`
	ServiceAccounts     int `json:"service_accounts"`
	Subjects            int `json:"subjects"`
	PrivilegedSubjects  int `json:"privileged_subjects"`
	Checks              int `json:"checks"`
	// ChecksUnexpected are answered checks whose answer is not the expected one.
	ChecksUnexpected int `json:"checks_unexpected"`
	// ChecksUnanswered are checks whose allowed is null.
	ChecksUnanswered int `json:"checks_unanswered"`
	Problems         int `json:"problems"`
}

// cannotShow is what no RBAC inventory shows, stated in every item so a
// reader of a passing control knows its limits.
var cannotShow = []string{
	"Members of system:masters and of every group are defined by the authenticator (client certificates, OIDC, webhook token authentication), not by RBAC: the evidence names groups, not the people in them.",
	"system:masters is allowed everything by the kube-apiserver before RBAC is asked; holders of its certificates appear in no binding.",
	"Other authorizers the kube-apiserver may run (Node, webhook, ABAC) can allow requests RBAC denies.",
	"Cloud IAM mappings (EKS aws-auth and access entries, GKE IAM, AKS Azure RBAC) grant access outside Kubernetes RBAC.",
	"Whoever can create pods, or workloads that create pods, in a namespace can run them as any service account of that namespace and mount any secret of it, and so effectively holds those permissions.",
	"Who holds a service account's tokens, or a user's credentials, is not visible: only the bindings are.",
	"escalate, bind and impersonate let their holders act beyond their own bindings; they are listed under privileged, not expanded.",
	"The inventory is one point in time: access granted and revoked between two collections is not seen (the audit log shows it).",
}

// RBAC is the kube.rbac collector.
type RBAC struct{ open Opener }

// NewRBAC returns the kube.rbac collector; live clusters are opened with
// open, or OpenCluster when it is nil.
func NewRBAC(open Opener) collect.Collector { return &RBAC{open: open} }

// Def returns the collector's embedded metadata.
func (c *RBAC) Def() collect.Def { return rbacDef }

// Collect reads the cluster's (or folder's) RBAC inventory and derives
// every subject's access, the privileged population and the answers to
// the declared checks.
func (c *RBAC) Collect(ctx context.Context, req collect.Request) (*collect.Result, error) {
	s, err := begin(ctx, rbacDef, req, "checks")
	if err != nil {
		return nil, err
	}
	specs, err := parseChecks(req.Params["checks"])
	if err != nil {
		return nil, collect.Errorf(collect.KindInvalid, s.step+": params", err)
	}
	o, err := s.load(ctx, c.open, What{RBAC: true})
	if err != nil {
		return nil, err
	}
	inv := o.Inventory()
	var problems []rbac.Problem
	if s.mode == modeGitOps {
		// In a cluster kube-controller-manager fills aggregated
		// ClusterRoles; the folder only declares their selectors.
		rbac.Aggregate(inv)
		s.notes = append(s.notes, "aggregated ClusterRoles are filled from the ClusterRoles their selectors match, as kube-controller-manager would",
			"checks are answered by evident's RBAC evaluator (RBAC and the system:masters group only): the cluster's other authorizers are not consulted")
	} else {
		problems = unsyncedAggregation(inv)
		s.notes = append(s.notes, "checks are answered by SubjectAccessReview, the cluster's own authorizers; granted_by is the RBAC evaluator's reading of the inventory as listed")
	}
	e := rbac.New(inv)
	checks, disagreements, err := s.answer(ctx, e, inv, specs)
	if err != nil {
		return nil, err
	}
	problems = append(problems, e.Problems()...)
	problems = append(problems, disagreements...)
	slices.SortStableFunc(problems, func(a, b rbac.Problem) int {
		if c := strings.Compare(a.Object, b.Object); c != 0 {
			return c
		}
		return strings.Compare(a.Message, b.Message)
	})
	problems = slices.Compact(problems)
	if problems == nil {
		problems = []rbac.Problem{}
	}

	subjects := e.Subjects()
	if subjects == nil {
		subjects = []rbac.SubjectAccess{}
	}
	data := &RBACData{
		Cluster:    s.id(),
		Inventory:  inv,
		Subjects:   subjects,
		Privileged: e.Privileged(),
		Checks:     checks,
		Problems:   problems,
		CannotShow: slices.Clone(cannotShow),
	}
	data.Summary = RBACSummary{
		ClusterRoles:        len(inv.ClusterRoles),
		Roles:               len(inv.Roles),
		ClusterRoleBindings: len(inv.ClusterRoleBindings),
		RoleBindings:        len(inv.RoleBindings),
		ServiceAccounts:     len(inv.ServiceAccounts),
		Subjects:            len(subjects),
		PrivilegedSubjects:  privilegedSubjects(data.Privileged),
		Checks:              len(checks),
		Problems:            len(problems),
	}
	for _, ch := range checks {
		switch {
		case ch.Allowed == nil:
			data.Summary.ChecksUnanswered++
		case *ch.Allowed != ch.Expect:
			data.Summary.ChecksUnexpected++
		}
	}
	records := map[string]int{
		"cluster_roles":         len(inv.ClusterRoles),
		"roles":                 len(inv.Roles),
		"cluster_role_bindings": len(inv.ClusterRoleBindings),
		"role_bindings":         len(inv.RoleBindings),
		"service_accounts":      len(inv.ServiceAccounts),
		"namespaces":            len(inv.Namespaces),
		"custom_resources":      len(inv.CustomResources),
		"subjects":              len(subjects),
		"checks":                len(checks),
		"problems":              len(problems),
	}
	prov := s.provenance(records)
	if n := data.Summary.ChecksUnanswered; n > 0 {
		// A check that could not be answered must not read as "may not":
		// the item is incomplete, so the controls that read it are unknown.
		prov.Complete = false
		prov.Notes = append(prov.Notes, fmt.Sprintf("%d of %d checks could not be answered (see each check's error)", n, len(checks)))
	}
	return &collect.Result{Data: data, Provenance: prov}, nil
}

// privilegedSubjects counts the distinct subjects holding any privileged
// right.
func privilegedSubjects(p rbac.Privileged) int {
	seen := map[string]bool{}
	for _, l := range [][]rbac.Holder{
		p.ClusterAdmin, p.NamespaceAdmin, p.SecretReaders, p.EscalateBindImpersonate, p.Exec,
		p.NodeProxy, p.RBACWriters, p.AdmissionWriters, p.CRDWriters, p.CSRApprovers,
	} {
		for _, h := range l {
			seen[h.Subject] = true
		}
	}
	return len(seen)
}

// checkSpec is one declared check.
type checkSpec struct {
	Subject, Verb, Resource, Namespace string
	Expect                             bool
	ref                                rbac.SubjectRef
}

var checkFields = []string{"subject", "verb", "resource", "namespace", "expect"}

// parseChecks reads the checks parameter: a list of {subject, verb,
// resource, namespace (optional), expect}.
func parseChecks(v any) ([]checkSpec, error) {
	if v == nil {
		return nil, nil
	}
	var items []any
	switch l := v.(type) {
	case []any:
		items = l
	case []map[string]any:
		for _, m := range l {
			items = append(items, m)
		}
	default:
		return nil, fmt.Errorf("checks is %T, want a list of {subject, verb, resource, namespace, expect}", v)
	}
	out := make([]checkSpec, 0, len(items))
	for i, it := range items {
		m, ok := it.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("checks[%d] is %T, want {subject, verb, resource, namespace, expect}", i, it)
		}
		var unknown []string
		for k := range m {
			if !slices.Contains(checkFields, k) {
				unknown = append(unknown, k)
			}
		}
		if len(unknown) > 0 {
			sort.Strings(unknown)
			return nil, fmt.Errorf("checks[%d]: unknown fields %v: a check has %s", i, unknown, strings.Join(checkFields, ", "))
		}
		str := func(k string, required bool) (string, error) {
			x, ok := m[k]
			if !ok || x == nil {
				if required {
					return "", fmt.Errorf("checks[%d]: %s is required", i, k)
				}
				return "", nil
			}
			s, ok := x.(string)
			if !ok || (required && strings.TrimSpace(s) == "") {
				return "", fmt.Errorf("checks[%d]: %s must be a non-empty string", i, k)
			}
			return s, nil
		}
		var c checkSpec
		var err error
		if c.Subject, err = str("subject", true); err != nil {
			return nil, err
		}
		if c.Verb, err = str("verb", true); err != nil {
			return nil, err
		}
		if c.Resource, err = str("resource", true); err != nil {
			return nil, err
		}
		if c.Namespace, err = str("namespace", false); err != nil {
			return nil, err
		}
		exp, ok := m["expect"].(bool)
		if !ok {
			return nil, fmt.Errorf("checks[%d]: expect is required, true or false", i)
		}
		c.Expect = exp
		if c.ref, err = rbac.ParseSubject(c.Subject); err != nil {
			return nil, fmt.Errorf("checks[%d]: %w", i, err)
		}
		out = append(out, c)
	}
	return out, nil
}

// answer answers every check. Offline, the evaluator's answer is the
// answer. Live, SubjectAccessReview is: the evaluator supplies granted_by,
// the witness a wildcard check is confirmed with, and any disagreement
// becomes a problem.
func (s *session) answer(ctx context.Context, e *rbac.Evaluator, inv *rbac.Inventory, specs []checkSpec) ([]Check, []rbac.Problem, error) {
	out := make([]Check, 0, len(specs))
	var problems []rbac.Problem
	sars := 0
	for i, spec := range specs {
		if err := ctx.Err(); err != nil {
			return nil, nil, s.fail(ctx, collect.KindCanceled, "checks", err)
		}
		ch := Check{Subject: spec.ref.String(), Verb: spec.Verb, Resource: spec.Resource, Namespace: spec.Namespace, Expect: spec.Expect}
		r, err := request(spec, inv.CustomResources)
		if err != nil {
			ch.Error = err.Error()
			ch.Reason = "not answered"
			out = append(out, ch)
			continue
		}
		wildcard := r.Verb == "*" || r.Resource == "*" || r.Namespace == "*"
		var d rbac.Decision
		if wildcard {
			d = e.AuthorizeAny(r)
		} else {
			d = e.Authorize(r)
		}
		allowed := d.Allowed
		ch.Allowed, ch.GrantedBy, ch.Reason = &allowed, d.Grant, d.Reason
		if s.client == nil {
			out = append(out, ch)
			continue
		}

		// Live: ask the cluster. A wildcard cannot be asked as such, so an
		// allowed one is confirmed through the concrete request its grant
		// allows; a denied one is asked with the literal wildcards, which
		// only a rule holding them (or another authorizer) allows.
		ask := r
		switch {
		case wildcard && d.Allowed && d.Grant != nil:
			ask = witness(r, d.Grant)
		case wildcard && d.Allowed:
			// Allowed outside RBAC (system:masters): no rule to take a
			// witness from, so the cluster is asked the literal wildcards,
			// which that authorizer allows too.
			if r.Namespace == "*" {
				ask.Namespace = ""
			}
		case r.Namespace == "*":
			ask.Namespace = ""
		}
		sars++
		got, reason, err := s.subjectAccessReview(ctx, ask)
		if err != nil {
			return nil, nil, s.fail(ctx, errKind(err), fmt.Sprintf("checks[%d]: create subjectaccessreview", i), err)
		}
		if got == d.Allowed {
			out = append(out, ch)
			continue
		}
		what := fmt.Sprintf("%s %s %s", spec.Verb, spec.Resource, where(spec.Namespace))
		switch {
		case wildcard && d.Allowed:
			ch.Allowed, ch.GrantedBy = nil, nil
			ch.Error = fmt.Sprintf("the evaluator's grant (%s) is not confirmed: SubjectAccessReview denies %s", d.Grant.Binding, describe(ask))
			problems = append(problems, rbac.Problem{Object: ch.Subject, Message: fmt.Sprintf(
				"may %s: the RBAC evaluator over the live inventory allows it through %s, but SubjectAccessReview denies %s (RBAC changed while it was read?)", what, d.Grant.Binding, describe(ask))})
		case got:
			ch.Allowed, ch.GrantedBy = &got, nil
			ch.Reason = "SubjectAccessReview: " + reason
			problems = append(problems, rbac.Problem{Object: ch.Subject, Message: fmt.Sprintf(
				"may %s: SubjectAccessReview allows it, but the RBAC evaluator over the live inventory does not (another authorizer allowed it, or RBAC changed while it was read)", what)})
		default:
			ch.Allowed, ch.GrantedBy = &got, nil
			ch.Reason = "SubjectAccessReview denies it: " + reason
			problems = append(problems, rbac.Problem{Object: ch.Subject, Message: fmt.Sprintf(
				"may %s: the RBAC evaluator over the live inventory allows it through %s, but SubjectAccessReview denies it (RBAC changed while it was read?)", what, d.Grant.Binding)})
		}
		out = append(out, ch)
	}
	if sars > 0 {
		s.reads = append(s.reads, collect.Read{Method: "create", Target: "authorization.k8s.io/v1 subjectaccessreviews", Status: "ok", Count: sars})
	}
	return out, problems, nil
}

// request builds the evaluator's request for a check.
func request(spec checkSpec, custom []rbac.APIResource) (rbac.Request, error) {
	t, err := resolveResource(spec.Resource, custom)
	if err != nil {
		return rbac.Request{}, err
	}
	user, groups := spec.ref.Requestor()
	r := rbac.Request{User: user, Groups: groups, Verb: spec.Verb, Namespace: spec.Namespace}
	switch {
	case t.Path != "":
		if spec.Namespace != "" && spec.Namespace != "*" {
			return rbac.Request{}, fmt.Errorf("resource %q is a non-resource URL: it has no namespace", spec.Resource)
		}
		r.Path, r.Namespace = t.Path, ""
	case t.Any:
		r.APIGroup, r.Resource = "*", "*"
	default:
		r.APIGroup, r.Resource, r.Subresource = t.Group, t.Resource, t.Subresource
		if !t.Namespaced {
			if spec.Namespace != "" && spec.Namespace != "*" {
				return rbac.Request{}, fmt.Errorf("resource %q is cluster-scoped: leave namespace empty", spec.Resource)
			}
			// A RoleBinding never grants a cluster-scoped resource.
			r.Namespace = ""
		}
	}
	return r, nil
}

// witness is the concrete request a wildcard check's grant allows: each
// "*" of the check replaced by the rule's first value (which may itself be
// "*", that the authorizer matches literally), the namespace by the
// binding's.
func witness(r rbac.Request, g *rbac.Grant) rbac.Request {
	w := r
	rule := g.Rule
	if w.Verb == "*" && len(rule.Verbs) > 0 {
		w.Verb = rule.Verbs[0]
	}
	if w.Namespace == "*" {
		w.Namespace = ""
		if rest, ok := strings.CutPrefix(g.Binding, "RoleBinding/"); ok {
			w.Namespace, _, _ = strings.Cut(rest, "/")
		}
	}
	if w.Path != "" {
		if w.Path == "*" && len(rule.NonResourceURLs) > 0 {
			w.Path = rule.NonResourceURLs[0]
		}
		return w
	}
	if w.APIGroup == "*" && len(rule.APIGroups) > 0 {
		w.APIGroup = rule.APIGroups[0]
	}
	if w.Resource == "*" && len(rule.Resources) > 0 {
		res, sub, _ := strings.Cut(rule.Resources[0], "/")
		w.Resource = res
		if w.Subresource == "" {
			w.Subresource = sub
		}
	}
	if w.Name == "" && len(rule.ResourceNames) > 0 {
		w.Name = rule.ResourceNames[0]
	}
	return w
}

// subjectAccessReview asks the cluster whether r is allowed.
func (s *session) subjectAccessReview(ctx context.Context, r rbac.Request) (bool, string, error) {
	spec := authorizationv1.SubjectAccessReviewSpec{User: r.User, Groups: r.Groups}
	if r.Path != "" {
		spec.NonResourceAttributes = &authorizationv1.NonResourceAttributes{Path: r.Path, Verb: r.Verb}
	} else {
		spec.ResourceAttributes = &authorizationv1.ResourceAttributes{
			Namespace: r.Namespace, Verb: r.Verb, Group: r.APIGroup, Resource: r.Resource, Subresource: r.Subresource, Name: r.Name,
		}
	}
	res, err := s.client.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authorizationv1.SubjectAccessReview{Spec: spec}, metav1.CreateOptions{})
	if err != nil {
		return false, "", err
	}
	reason := res.Status.Reason
	if res.Status.EvaluationError != "" {
		reason = strings.TrimSpace(reason + " (evaluation error: " + res.Status.EvaluationError + ")")
	}
	return res.Status.Allowed && !res.Status.Denied, reason, nil
}

// describe is a request in kubectl's words: "get secrets in namespace x".
func describe(r rbac.Request) string {
	if r.Path != "" {
		return r.Verb + " " + r.Path
	}
	res := r.Resource
	if r.APIGroup != "" {
		res += "." + r.APIGroup
	}
	if r.Subresource != "" {
		res += "/" + r.Subresource
	}
	if r.Name != "" {
		res += " named " + r.Name
	}
	return r.Verb + " " + res + " " + where(r.Namespace)
}

func where(ns string) string {
	switch ns {
	case "":
		return "cluster-wide"
	case "*":
		return "in any namespace"
	}
	return "in namespace " + ns
}

// unsyncedAggregation names the aggregated ClusterRoles of a live
// inventory whose rules are not (as a set) what their selectors gather:
// kube-controller-manager has not synced them. The evidence keeps the
// rules as stored, since those are what the authorizer uses.
func unsyncedAggregation(inv *rbac.Inventory) []rbac.Problem {
	cp := *inv
	cp.ClusterRoles = slices.Clone(inv.ClusterRoles)
	rbac.Aggregate(&cp)
	var out []rbac.Problem
	for i, r := range inv.ClusterRoles {
		if len(r.Aggregation) == 0 || sameRules(r.Rules, cp.ClusterRoles[i].Rules) {
			continue
		}
		out = append(out, rbac.Problem{Object: "ClusterRole/" + r.Name, Message: "its rules are not those of the ClusterRoles its aggregationRule selects: kube-controller-manager has not aggregated it (yet); the rules as stored are the ones in force"})
	}
	return out
}

func sameRules(a, b []rbac.Rule) bool {
	set := func(rs []rbac.Rule) map[string]bool {
		m := map[string]bool{}
		for _, r := range rs {
			m[strings.Join([]string{
				strings.Join(r.Verbs, ","), strings.Join(r.APIGroups, ","), strings.Join(r.Resources, ","),
				strings.Join(r.ResourceNames, ","), strings.Join(r.NonResourceURLs, ","),
			}, "|")] = true
		}
		return m
	}
	sa, sb := set(a), set(b)
	if len(sa) != len(sb) {
		return false
	}
	for k := range sa {
		if !sb[k] {
			return false
		}
	}
	return true
}
