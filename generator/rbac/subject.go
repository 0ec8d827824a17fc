package rbac

import (
	"fmt"
	"strings"
)

// The names the authenticator and RBAC give special meaning to
// (k8s.io/apiserver/pkg/authentication/user and .../serviceaccount).
const (
	// GroupMasters is the group the kube-apiserver allows everything before
	// RBAC is asked (its privileged-group authorizer).
	GroupMasters = "system:masters"
	// GroupAuthenticated is every authenticated requestor.
	GroupAuthenticated = "system:authenticated"
	// GroupUnauthenticated is every anonymous requestor.
	GroupUnauthenticated = "system:unauthenticated"
	// GroupServiceAccounts is every service account.
	GroupServiceAccounts = "system:serviceaccounts"
	// UserAnonymous is the user the anonymous authenticator presents.
	UserAnonymous = "system:anonymous"

	serviceAccountUserPrefix  = "system:serviceaccount:"
	serviceAccountGroupPrefix = "system:serviceaccounts:"
)

// Subject kinds, as binding subjects spell them.
const (
	KindUser           = "User"           // KindUser is a user, matched by name.
	KindGroup          = "Group"          // KindGroup is a group, matched by membership.
	KindServiceAccount = "ServiceAccount" // KindServiceAccount is matched by its username.
)

// Subject categories, see SubjectRef.Category.
const (
	CategorySystem              = "system"                // CategorySystem is a system:* user or group.
	CategoryEveryone            = "everyone"              // CategoryEveryone is system:authenticated or system:unauthenticated.
	CategoryServiceAccountGroup = "service_account_group" // CategoryServiceAccountGroup is all service accounts, or a namespace's.
	CategoryServiceAccount      = "service_account"       // CategoryServiceAccount is one service account.
	CategoryUser                = "user"                  // CategoryUser is a person's (or a tool's) user.
	CategoryGroup               = "group"                 // CategoryGroup is any other group.
)

// SubjectRef is a subject in evidence form.
type SubjectRef struct {
	// Kind is "User", "Group" or "ServiceAccount".
	Kind string
	Name string
	// Namespace is set for service accounts only.
	Namespace string
}

// ParseSubject reads the String form of a subject: "user:<name>",
// "group:<name>" or "serviceaccount:<namespace>:<name>".
func ParseSubject(s string) (SubjectRef, error) {
	kind, rest, ok := strings.Cut(s, ":")
	if ok && rest != "" {
		switch kind {
		case "user":
			return SubjectRef{Kind: KindUser, Name: rest}, nil
		case "group":
			return SubjectRef{Kind: KindGroup, Name: rest}, nil
		case "serviceaccount":
			// Namespaces cannot hold a colon, so the first one ends it; a
			// name with a colon is not a service account name either.
			ns, name, ok := strings.Cut(rest, ":")
			if ok && ns != "" && name != "" && !strings.Contains(name, ":") {
				return SubjectRef{Kind: KindServiceAccount, Namespace: ns, Name: name}, nil
			}
			return SubjectRef{}, fmt.Errorf("parse subject %q: a service account is serviceaccount:<namespace>:<name>", s)
		}
	}
	return SubjectRef{}, fmt.Errorf("parse subject %q: want user:<name>, group:<name> or serviceaccount:<namespace>:<name>", s)
}

// String is the evidence form ParseSubject reads.
func (s SubjectRef) String() string {
	switch s.Kind {
	case KindUser:
		return "user:" + s.Name
	case KindGroup:
		return "group:" + s.Name
	case KindServiceAccount:
		return "serviceaccount:" + s.Namespace + ":" + s.Name
	}
	// Not a kind RBAC matches; still say what it was rather than hide it.
	return strings.ToLower(s.Kind) + ":" + s.Name
}

// Requestor is how the authenticator presents the subject: a service account
// is user "system:serviceaccount:<ns>:<name>" in groups
// system:serviceaccounts, system:serviceaccounts:<ns> and
// system:authenticated; a user is its name in system:authenticated
// (system:anonymous is in system:unauthenticated instead, as the anonymous
// authenticator presents it); a group is user "" in groups <name> and
// system:authenticated, or only system:unauthenticated for that group.
func (s SubjectRef) Requestor() (user string, groups []string) {
	switch s.Kind {
	case KindServiceAccount:
		return serviceAccountUsername(s.Namespace, s.Name), []string{GroupServiceAccounts, serviceAccountGroupPrefix + s.Namespace, GroupAuthenticated}
	case KindUser:
		if s.Name == UserAnonymous {
			return s.Name, []string{GroupUnauthenticated}
		}
		return s.Name, []string{GroupAuthenticated}
	case KindGroup:
		if s.Name == GroupUnauthenticated || s.Name == GroupAuthenticated {
			return "", []string{s.Name}
		}
		return "", []string{s.Name, GroupAuthenticated}
	}
	return s.Name, nil
}

// Category sorts the subject for an access review: "system" (a user or group
// named system:* other than the broad groups), "everyone"
// (system:authenticated, system:unauthenticated), "service_account_group"
// (system:serviceaccounts, system:serviceaccounts:<ns>), "service_account",
// "user" or "group".
func (s SubjectRef) Category() string {
	switch s.Kind {
	case KindServiceAccount:
		return CategoryServiceAccount
	case KindGroup:
		switch {
		case s.Name == GroupAuthenticated || s.Name == GroupUnauthenticated:
			return CategoryEveryone
		case s.Name == GroupServiceAccounts || strings.HasPrefix(s.Name, serviceAccountGroupPrefix):
			return CategoryServiceAccountGroup
		case strings.HasPrefix(s.Name, "system:"):
			return CategorySystem
		}
		return CategoryGroup
	}
	if strings.HasPrefix(s.Name, "system:") {
		return CategorySystem
	}
	return CategoryUser
}

// serviceAccountUsername is serviceaccount.MakeUsername.
func serviceAccountUsername(namespace, name string) string {
	return serviceAccountUserPrefix + namespace + ":" + name
}

// splitServiceAccountUsername is serviceaccount.SplitUsername without the
// name validation: it only has to recognise usernames RBAC would match.
func splitServiceAccountUsername(user string) (namespace, name string, ok bool) {
	rest, ok := strings.CutPrefix(user, serviceAccountUserPrefix)
	if !ok {
		return "", "", false
	}
	namespace, name, ok = strings.Cut(rest, ":")
	if !ok || namespace == "" || name == "" || strings.Contains(name, ":") {
		return "", "", false
	}
	return namespace, name, true
}
