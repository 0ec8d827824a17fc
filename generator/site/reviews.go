package site

// ReviewsInput is the access-review page model (being built by the access
// review work; Summary is the contract the attestation letters read).
type ReviewsInput struct {
	Summary ReviewSummary
}

// ReviewSummary is the period's access review at a glance: what the CIO
// letter states about it.
type ReviewSummary struct {
	// Period is the audit period reviewed, e.g. "2026-Q4".
	Period string
	// Population is the number of privileged (principal, access) pairs to
	// review; Decided how many have a keep/revoke decision on record.
	Population, Decided int
	// Revoked counts revoke decisions; OpenRevocations those still present
	// in the snapshot after the decision.
	Revoked, OpenRevocations int
	// SelfReviews counts decisions made by the principal about their own access.
	SelfReviews int
	// Complete is true when every pair has a decision.
	Complete bool
	// CompletedOn is the date of the last decision when Complete ("2006-01-02").
	CompletedOn string
	// Unknown says why the review cannot be judged (no population evidence,
	// no decisions file); empty when it can.
	Unknown string
	// Evidence are the evidence paths the figures come from.
	Evidence []string
}

func (b *builder) reviews() {}
