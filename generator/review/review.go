// Package review computes a quarterly user access review: the privileged
// population the collectors saw, what changed since the previous quarter,
// and the reviewers' decisions kept in the config repository
// (access-reviews/2026-Q4.yaml). It is pure: the pipeline reads the
// evidence and the decision files and passes them in.
//
// The seeds ask for quarterly access reviews as evidence of logical access
// (seed bindy:access-controls/access-reviews, itgc:review-evidence/
// quarterly-access-reviews); an auditor re-performs one by comparing the
// population of privileged access with the decisions on record, so both
// are kept side by side here, keyed by (principal, access).
package review

import (
	"sort"
	"strings"
)

// Grant is one privileged (principal, access) pair under review.
type Grant struct {
	// Principal is who holds the access: a GitHub login, or a Kubernetes
	// subject ("user:alice@bank", "group:ops", "serviceaccount:ns:name").
	Principal string `json:"principal"`
	// System is where: "GitHub first-harbor-bank", "Kubernetes payments-prod".
	System string `json:"system"`
	// Scope is what the right applies to: "organisation", a repository,
	// "cluster", "namespace payments".
	Scope string `json:"scope"`
	// Right is the privileged right: owner, admin, maintain, member
	// without 2FA, cluster-admin, read secrets, escalate, bind or impersonate.
	Right string `json:"right"`
	// Via says how the right is held (a team, a binding and its role).
	Via string `json:"via,omitempty"`
	// Evidence is the evidence item path the grant was read from.
	Evidence string `json:"evidence"`
}

// Access is the grant's access as the decisions file names it:
// "GitHub first-harbor-bank: maintain on first-harbor-bank/infra-gitops".
func (g Grant) Access() string { return g.System + ": " + g.Right + " on " + g.Scope }

// Key identifies a grant across snapshots.
func (g Grant) Key() string { return g.Principal + "\x00" + g.Access() }

// slot identifies where a grant is held, without the right, so a changed
// right on the same scope reads as a permission change, not a removal and
// an addition.
func (g Grant) slot() string { return g.Principal + "\x00" + g.System + "\x00" + g.Scope }

// SortGrants orders grants by system, principal, scope and right.
func SortGrants(gs []Grant) {
	sort.Slice(gs, func(i, j int) bool {
		a, b := gs[i], gs[j]
		if a.System != b.System {
			return a.System < b.System
		}
		if a.Principal != b.Principal {
			return a.Principal < b.Principal
		}
		if a.Scope != b.Scope {
			return a.Scope < b.Scope
		}
		return a.Right < b.Right
	})
}

// ChangeKind says how a grant changed since the previous quarter.
type ChangeKind string

const (
	Added   ChangeKind = "added"
	Removed ChangeKind = "removed"
	// Changed is a different right on the same principal, system and scope.
	Changed ChangeKind = "permission changed"
)

// Change is one difference between the previous quarter's population and
// this one's.
type Change struct {
	Kind ChangeKind
	// Grant is the grant now (the removed one for Removed).
	Grant Grant
	// Was are the rights held on the same scope before, for Changed.
	Was []string
}

// Diff lists the changes from the previous population to the current one,
// in the current population's order, removals last.
func Diff(prev, cur []Grant) []Change {
	prevKeys, curKeys := map[string]bool{}, map[string]bool{}
	prevSlot, curSlot := map[string][]string{}, map[string]bool{}
	for _, g := range prev {
		prevKeys[g.Key()] = true
		prevSlot[g.slot()] = append(prevSlot[g.slot()], g.Right)
	}
	for _, g := range cur {
		curKeys[g.Key()] = true
		curSlot[g.slot()] = true
	}
	var out []Change
	for _, g := range cur {
		if prevKeys[g.Key()] {
			continue
		}
		if was, ok := prevSlot[g.slot()]; ok {
			var gone []string
			for _, r := range was {
				if !curKeys[g.Principal+"\x00"+g.System+": "+r+" on "+g.Scope] {
					gone = append(gone, r)
				}
			}
			if len(gone) > 0 {
				out = append(out, Change{Kind: Changed, Grant: g, Was: gone})
				continue
			}
		}
		out = append(out, Change{Kind: Added, Grant: g})
	}
	for _, g := range prev {
		if curKeys[g.Key()] {
			continue
		}
		if curSlot[g.slot()] {
			continue // reported as a permission change of the slot
		}
		out = append(out, Change{Kind: Removed, Grant: g})
	}
	return out
}

// Decision values.
const (
	Keep   = "keep"
	Revoke = "revoke"
)

// Decision is one reviewer's decision on one (principal, access) pair.
type Decision struct {
	Principal string `yaml:"principal"`
	Access    string `yaml:"access"`
	// Decision is keep or revoke; empty while the pair is undecided.
	Decision string `yaml:"decision"`
	Reviewer string `yaml:"reviewer"`
	// Date is the decision's date, YYYY-MM-DD.
	Date string `yaml:"date"`
	Note string `yaml:"note,omitempty"`

	// Pos is where the decision is written, file:line:col.
	Pos string `yaml:"-"`
}

func (d Decision) key() string { return d.Principal + "\x00" + d.Access }

// Decided reports whether the decision is complete: keep or revoke, by a
// named reviewer, on a date.
func (d Decision) Decided() bool {
	return (d.Decision == Keep || d.Decision == Revoke) && d.Reviewer != "" && d.Date != ""
}

// SelfReview reports whether the reviewer decided on their own access. A
// Kubernetes user subject is the reviewer when its name is the reviewer's
// or starts with the reviewer's name and "@" (user:alice@bank for alice).
func (d Decision) SelfReview() bool {
	r := strings.ToLower(strings.TrimSpace(d.Reviewer))
	if r == "" {
		return false
	}
	p := strings.ToLower(d.Principal)
	p = strings.TrimPrefix(p, "user:")
	return p == r || strings.HasPrefix(p, r+"@") || strings.HasPrefix(r, p+"@")
}
