// Package attest computes the figures of the quarterly CFO and CIO
// attestation letters from evidence, and drafts the letters around them.
//
// It is pure: the pipeline reads the snapshot and passes the decoded items,
// the check report, the access-review summary and the verification result
// in; nothing here reads a file. Every figure is an integer count (with an
// exact ratio where it is a share) and carries the evidence paths and
// controls it rests on. A statement the evidence does not support — its
// evidence missing or unusable, a control failing or unknown, a count that is
// not what the letter would claim — is an exception with its reason, never a
// supported line.
package attest

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/evident-project/evident/generator/catalog"
	"github.com/evident-project/evident/generator/check"
	"github.com/evident-project/evident/generator/collect/github"
	"github.com/evident-project/evident/generator/collect/gitrepo"
)

// Input is everything the figures are computed from.
type Input struct {
	// Period is the audit period attested, e.g. "2026-Q4"; PeriodEnd is the
	// instant it ends (exclusive, as in the manifest).
	Period    string
	PeriodEnd time.Time
	// AsOf is when the snapshot the letters rest on was collected.
	AsOf time.Time
	// Catalog is the snapshot's config: the controls (with their seed
	// references, which bind the control-based figures) and the signatories.
	Catalog *catalog.Catalog
	// Report is the snapshot's check report.
	Report *check.Report
	// Pulls are the github.pulls items the config expects for the period.
	Pulls []Source[github.PullsData]
	// Commits are the git.commits items the config expects for the period.
	Commits []Source[gitrepo.Data]
	// AuditLogs are the source-control audit-log items (github.audit_log):
	// where branch-protection bypasses are recorded.
	AuditLogs []Source[AuditLogData]
	// SecretAccess are the audit-log sources that record reads of secrets
	// (the Kubernetes API-server audit log); empty when none is configured.
	SecretAccess []Source[SecretAccessData]
	// AccessReview is the period's access review at a glance.
	AccessReview AccessReview
	// Integrity is the verification of the evidence history up to the snapshot.
	Integrity Integrity
}

// Source is one evidence item a figure reads.
type Source[T any] struct {
	// Path is the item's path in the evidence repository; empty for a
	// source that is expected but cannot even be named (no source declared).
	Path string
	// Data is the item's data; nil when Problem is set.
	Data *T
	// Problem says why the item cannot support a figure (not in the
	// snapshot, collector error, incomplete); empty when Data is complete.
	Problem string
}

// AuditLogData is what the github.audit_log collector records for a period
// (docs/controls.md): the organisation's audit-log events.
type AuditLogData struct {
	Events []AuditEvent `json:"events"`
}

// AuditEvent is one source-control audit-log event.
type AuditEvent struct {
	Action    string `json:"action"`
	Actor     string `json:"actor"`
	Repo      string `json:"repo"`
	CreatedAt string `json:"created_at"`
}

// SecretAccessData is what an audit-log source of secret access records for
// a period: the reads of secrets by identities not approved to read them,
// judged by the collector against the reviewed list, as github.pulls judges
// self-approval.
type SecretAccessData struct {
	// Events is how many reads of secrets the log holds for the period.
	Events int `json:"events"`
	// Unauthorized are the reads by identities not approved to read secrets.
	Unauthorized []SecretAccessEvent `json:"unauthorized"`
}

// SecretAccessEvent is one read of a secret.
type SecretAccessEvent struct {
	Actor     string `json:"actor"`
	Verb      string `json:"verb"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	At        string `json:"at"`
}

// AccessReview is the period's access review as the access-review page
// judged it (site.ReviewSummary, copied so this package needs no site).
type AccessReview struct {
	// Period is the period reviewed; empty when no summary was computed.
	Period                   string
	Population, Decided      int
	Revoked, OpenRevocations int
	SelfReviews              int
	Complete                 bool
	// CompletedOn is the date of the last decision when Complete.
	CompletedOn string
	// Unknown says why the review cannot be judged; empty when it can.
	Unknown  string
	Evidence []string
}

// Integrity is the evidence history's verification.
type Integrity struct {
	// Error says why verification could not run; empty when it ran.
	Error string
	// OK is true when every check held for every snapshot; ChainOK and
	// SignaturesOK split it into files/chain and signatures.
	OK, ChainOK, SignaturesOK bool
	Snapshots, FilesHashed    int
	// Gaps counts scheduled runs with no snapshot.
	Gaps int
	// Problems are the failed checks, one line each.
	Problems []string
	// TrustFromEvidence is true when the keys verified against were the
	// ones recorded in the evidence itself, not the reviewed config's.
	TrustFromEvidence bool
	// Evidence are the files the verification vouches for the auditor to
	// re-check (the manifest and its signature bundle).
	Evidence []string
}

// Figure IDs, stable across periods so pages and tests can name a line.
const (
	TwoPersonReview     = "two-person-review"
	SignedCommits       = "signed-commits"
	UnauthorizedChanges = "unauthorized-changes"
	RBACLeastPrivilege  = "rbac-least-privilege"
	AccessReviewDone    = "access-review"
	SecretAccessEvents  = "secret-access"
	LogRetention        = "log-retention"
	LogImmutability     = "log-immutability"
	LogIntegrity        = "log-integrity"
	TwoPersonRule       = "two-person-rule"
	SelfApproval        = "self-approval"
	SelfMerge           = "self-merge"
	BranchProtection    = "branch-protection"
	EvidenceIntegrity   = "evidence-integrity"
)

// Figure is one line of the letters.
type Figure struct {
	ID      string
	Section string
	// Claim is what the letter would state if the evidence supports it, in
	// the seed's words ("No self-approvals detected").
	Claim string
	// Text is what the evidence shows, with the figures: the line printed.
	Text string
	// Value is the figure itself ("29 of 31", "0"); empty when it could
	// not be computed.
	Value string
	// Ratio is set when the figure is a share of a population.
	Ratio *Ratio
	// Supported is true only when the evidence supports Claim; otherwise
	// Exception says why.
	Supported bool
	Exception string
	// Details are the records behind an exception (changes, commits,
	// failures), at most maxDetails and a line saying how many more.
	Details []string
	// Evidence are the evidence paths the figure was computed from.
	Evidence []string
	// Controls are the controls the figure rests on or corresponds to.
	Controls []ControlRef
}

// ControlRef is a control with its outcome in the snapshot.
type ControlRef struct {
	ID, Title string
	Outcome   check.Outcome
	Reason    string
}

// Attestation is the period's figures and the two letters drafted from them.
type Attestation struct {
	Period string
	// PeriodLast is the period's last day, "2006-01-02"; AsOf the
	// snapshot's date.
	PeriodLast, AsOf string
	// Open is true when the snapshot was taken before the period ended.
	Open    bool
	Figures []Figure
	Letters []Letter
}

// Figure returns the figure with the given id.
func (a *Attestation) Figure(id string) (Figure, bool) {
	for _, f := range a.Figures {
		if f.ID == id {
			return f, true
		}
	}
	return Figure{}, false
}

// Exceptions counts the figures the evidence does not support.
func (a *Attestation) Exceptions() int {
	n := 0
	for _, f := range a.Figures {
		if !f.Supported {
			n++
		}
	}
	return n
}

// Section names, in letter order (the seed's sample letter, plus the
// evidence repository's own integrity that every figure rests on).
const (
	SectionChange    = "Change management controls"
	SectionAccess    = "Access control controls"
	SectionLogging   = "Audit logging controls"
	SectionSoD       = "Segregation of duties"
	SectionIntegrity = "Evidence integrity"
)

// Sections lists the section names in letter order.
var Sections = []string{SectionChange, SectionAccess, SectionLogging, SectionSoD, SectionIntegrity}

// Seed references that bind the control-based figures to controls, so a
// control pack with other ids still attests the same statements.
const (
	refLeastPrivilege = "bindy:access-controls/least-privilege-rbac"
	refRetention      = "bindy:audit-logging/7-year-retention"
	refImmutable      = "bindy:audit-logging/immutable-storage"
	refLogIntegrity   = "bindy:audit-logging/log-integrity"
	refTwoReviewers   = "bindy:segregation-of-duties/two-reviewers-required"
	refNoDirectPushes = "bindy:segregation-of-duties/no-direct-pushes"
	refTwoPerson      = "bindy:change-management/two-person-approval"
	refSigned         = "bindy:change-management/cryptographic-commit-signing"
	refSelfApproval   = "bindy:segregation-of-duties/no-self-approval"
	refAccessReviews  = "bindy:access-controls/access-reviews"
	refSecretAudit    = "bindy:access-controls/secret-access-audit-trail"
	refEvidence       = "bindy:evidence-collection/evidence-package"
)

// maxDetails bounds the records listed under one exception: the letter
// names the first ones, the linked evidence has them all.
const maxDetails = 20

// Compute computes every figure and drafts both letters.
func Compute(in Input) Attestation {
	a := Attestation{
		Period: in.Period, PeriodLast: in.PeriodEnd.AddDate(0, 0, -1).Format(time.DateOnly),
		AsOf: in.AsOf.Format(time.DateOnly), Open: in.AsOf.Before(in.PeriodEnd),
	}
	a.Figures = []Figure{
		twoPersonReview(in),
		signedCommits(in),
		unauthorizedChanges(in),
		controlFigure(in, RBACLeastPrivilege, SectionAccess, "RBAC least privilege verified", "RBAC least privilege is not verified", refLeastPrivilege),
		accessReview(in),
		secretAccess(in),
		controlFigure(in, LogRetention, SectionLogging, "Seven-year audit-log retention enforced", "Seven-year audit-log retention is not shown to be enforced", refRetention),
		controlFigure(in, LogImmutability, SectionLogging, "Audit logs immutable (WORM storage)", "Audit-log immutability (WORM storage) is not shown", refImmutable),
		controlFigure(in, LogIntegrity, SectionLogging, "Daily audit-log integrity verification passed", "Daily audit-log integrity verification is not shown to have passed", refLogIntegrity),
		controlFigure(in, TwoPersonRule, SectionSoD, "Two or more approvers required for all code changes", "Two approvers are not shown to be required for all code changes", refTwoReviewers),
		selfApproval(in),
		selfMerge(in),
		controlFigure(in, BranchProtection, SectionSoD, "Branch protection enforced (no direct pushes to protected branches)", "Branch protection is not shown to be enforced", refNoDirectPushes),
		evidenceIntegrity(in),
	}
	a.Letters = letters(in, &a)
	return a
}

// exception marks f unsupported for why, keeping the first reason given
// and appending later ones.
func (f *Figure) exception(why string) {
	f.Supported = false
	if f.Exception == "" {
		f.Exception = why
		return
	}
	f.Exception += "; " + why
}

// details adds the records behind the figure, up to maxDetails, and says
// how many more there are.
func (f *Figure) details(lines []string) {
	if len(lines) > maxDetails {
		lines = append(lines[:maxDetails:maxDetails], fmt.Sprintf("… and %d more (see the evidence)", len(lines)-maxDetails))
	}
	f.Details = append(f.Details, lines...)
}

// sources gathers the usable data of a list of items: the paths for links
// and the problems that keep a figure from being supported. No source at
// all is itself a problem, named with what was expected.
func sources[T any](srcs []Source[T], what string) (data []*T, paths, problems []string) {
	if len(srcs) == 0 {
		return nil, nil, []string{"no " + what + " evidence is declared for this period"}
	}
	for _, s := range srcs {
		if s.Path != "" {
			paths = append(paths, s.Path)
		}
		switch {
		case s.Problem != "":
			problems = append(problems, where(s.Path)+s.Problem)
		case s.Data == nil:
			problems = append(problems, where(s.Path)+"no data")
		default:
			data = append(data, s.Data)
		}
	}
	return data, paths, problems
}

func where(path string) string {
	if path == "" {
		return ""
	}
	return path + ": "
}

// resultsOf indexes the report's control results by id.
func resultsOf(in Input) map[string]check.ControlResult {
	out := map[string]check.ControlResult{}
	if in.Report != nil {
		for _, r := range in.Report.Controls {
			out[r.ID] = r
		}
	}
	return out
}

// controlsFor returns the controls whose seed references include any of
// refs, in catalog order, with their outcome in the report. A control the
// report does not list is unknown.
func controlsFor(in Input, refs ...string) []ControlRef {
	if in.Catalog == nil {
		return nil
	}
	results := resultsOf(in)
	var out []ControlRef
	for _, c := range in.Catalog.Controls {
		if !slices.ContainsFunc(refs, func(r string) bool { return slices.Contains(c.References.Seeds, r) }) {
			continue
		}
		ref := ControlRef{ID: c.ID, Title: c.Title, Outcome: check.Unknown, Reason: "the check report does not list this control"}
		if r, ok := results[c.ID]; ok {
			ref.Outcome, ref.Reason = r.Outcome, r.Reason
		}
		out = append(out, ref)
	}
	return out
}

// controlFigure is a statement that holds exactly when the controls bound
// to it pass: a failing, unknown or excepted control makes it an exception
// (an exception covers a failure, it does not make the statement true).
// Not-applicable controls are skipped, but at least one must pass.
func controlFigure(in Input, id, section, claim, not string, refs ...string) Figure {
	f := Figure{ID: id, Section: section, Claim: claim, Supported: true}
	f.Controls = controlsFor(in, refs...)
	if len(f.Controls) == 0 {
		f.Text = not + ": no control is bound to it"
		f.exception("no control in controls.yaml is bound to this statement (seed reference " + strings.Join(refs, ", ") + ")")
		return f
	}
	results := resultsOf(in)
	var parts []string
	passed := 0
	for _, c := range f.Controls {
		parts = append(parts, c.ID+" "+outcomeWord(c.Outcome))
		r := results[c.ID]
		for _, e := range r.Evidence {
			for _, p := range e.Paths {
				if !slices.Contains(f.Evidence, p) {
					f.Evidence = append(f.Evidence, p)
				}
			}
		}
		switch c.Outcome {
		case check.Pass:
			passed++
		case check.NotApplicable:
		case check.Excepted:
			f.exception(c.ID + " fails, covered by an approved exception")
		default:
			why := c.ID + " " + outcomeWord(c.Outcome)
			if c.Reason != "" {
				why += ": " + c.Reason
			}
			f.exception(why)
		}
		if c.Outcome == check.Pass || c.Outcome == check.NotApplicable {
			continue
		}
		var lines []string
		for _, a := range r.Assertions {
			if a.Outcome == check.Pass || a.Outcome == check.NotApplicable {
				continue
			}
			line := c.ID + "/" + a.Name + " " + outcomeWord(a.Outcome)
			if a.Reason != "" {
				line += ": " + a.Reason
			} else if a.Message != "" {
				line += ": " + a.Message
			}
			lines = append(lines, line)
			for _, fl := range a.Failures {
				lines = append(lines, c.ID+"/"+a.Name+": "+fl)
			}
		}
		f.details(lines)
	}
	if passed == 0 && f.Supported {
		f.exception("no bound control applies to this period")
	}
	f.Text = claim + ": " + strings.Join(parts, ", ")
	if !f.Supported {
		f.Text = not + ": " + strings.Join(parts, ", ")
	}
	f.Value = fmt.Sprintf("%d of %d controls pass", passed, len(f.Controls))
	return f
}

func outcomeWord(o check.Outcome) string {
	switch o {
	case check.Pass:
		return "passes"
	case check.Fail:
		return "fails"
	case check.NotApplicable:
		return "is not applicable"
	case check.Excepted:
		return "is excepted"
	}
	return "is unknown"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
