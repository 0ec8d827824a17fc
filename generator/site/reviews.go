package site

import (
	"github.com/evident-project/evident/generator/check"
	"github.com/evident-project/evident/generator/review"
)

// ReviewsInput is the access-review page model.
type ReviewsInput struct {
	// Summary is what the attestation letters state about the review.
	Summary ReviewSummary
	Review  review.Review
	// Population are the evidence items the population was read from;
	// Platform counts built-in Kubernetes identities left out of it.
	Population []string
	Platform   int
	// PreviousPeriod and PreviousCommit are the period compared with and
	// its closing snapshot; PreviousProblem says why its population is
	// not whole (then no changes are listed).
	PreviousPeriod, PreviousCommit, PreviousProblem string
	// Decisions is the evidence item holding the decision files; FileName
	// the period's file in the config repository (expected, when absent).
	Decisions, FileName string
	// Duplicate are further files for the same period, ignored.
	Duplicate []string
	// Control is the control the review evidences; Added its failures
	// found by the review (revocations still in place), for the findings.
	Control string
	Added   []check.AssertionResult
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

// reviews writes reviews.html.
func (b *builder) reviews() {
	b.w.page("reviews.html", "layout-reviews", struct {
		page
		In ReviewsInput
	}{page{"Access reviews", "", b.info}, b.in.Reviews})
}
