package rbac

// Request is one authorization question, in the terms of a
// SubjectAccessReview: who (User and Groups, as the authenticator would
// present them) wants to do what.
type Request struct {
	User   string
	Groups []string
	// Resource requests.
	Verb        string
	APIGroup    string
	Resource    string
	Subresource string
	Name        string
	// Namespace is "" for a cluster-wide request (all namespaces, or a
	// cluster-scoped resource).
	Namespace string
	// Path is set, instead of the resource fields, for a non-resource URL.
	Path string
}

// Decision is the evaluator's answer.
type Decision struct {
	Allowed bool `json:"allowed"`
	// Grant is the binding, role and rule that allowed it (nil when denied,
	// or when allowed outside RBAC, see Reason).
	Grant *Grant `json:"grant,omitempty"`
	// Reason says why, in the authorizer's words.
	Reason string `json:"reason"`
}

// Grant is the path by which a permission reaches a subject.
type Grant struct {
	// Binding is "ClusterRoleBinding/<name>" or "RoleBinding/<ns>/<name>".
	Binding string `json:"binding"`
	// Role is "ClusterRole/<name>" or "Role/<ns>/<name>".
	Role string `json:"role"`
	// Subject is the binding subject that matched, in SubjectRef form: it may
	// be a group the subject belongs to ("group:system:serviceaccounts").
	Subject string `json:"subject"`
	// RuleIndex is the rule's position in the role's (resolved) rules.
	RuleIndex int  `json:"rule_index"`
	Rule      Rule `json:"rule"`
}

// Problem is something in the inventory the authorizer would trip over,
// e.g. a binding to a role that does not exist.
type Problem struct {
	Object  string `json:"object"`
	Message string `json:"message"`
}
