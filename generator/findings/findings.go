// Package findings turns a snapshot's check report into audit findings in
// the report language auditors use (criteria, condition, cause, effect,
// recommendation), classifies each as a control deficiency, significant
// deficiency or material weakness by the rules in controls.yaml, and joins
// management's action plans and the exceptions that cover it. It is pure:
// the pipeline hands it the report, the collected plan files and the
// populations the samples page drew.
package findings

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/evident-project/evident/generator/catalog"
	"github.com/evident-project/evident/generator/check"
	"github.com/evident-project/evident/generator/collect/file"
)

// Input is everything findings are computed from.
type Input struct {
	Catalog *catalog.Catalog
	Report  *check.Report
	// Plans are the action plan files collected into the snapshot;
	// PlansMissing says why they could not be read (empty when Plans is
	// what was on record, even if empty).
	Plans        []file.Record
	PlansMissing string
	// Populations are the controls' populations and samples, by control id.
	Populations map[string]Population
	// Added are failures found outside the check report, by the pages
	// that close a loop the assertions cannot see (a revoke decision of
	// the access review still present after its date): each fails the
	// named control as if one of its assertions had.
	Added []Added
	// AsOf is the time findings are judged at (plans overdue, exceptions
	// expired): the snapshot's time, as the check report's outcomes are.
	AsOf time.Time
}

// Added is one failure of a control found outside the check report.
type Added struct {
	Control   string
	Assertion check.AssertionResult
}

// Population is one control's tested population and its sample.
type Population struct {
	// Name says what one record is, plural: "merged pull requests".
	Name string
	// Keys identify every record of the population.
	Keys []string
	// Sample are the keys of the sampled records; when it holds every
	// record the whole population was tested.
	Sample []string
	// Problem says why no population could be drawn; empty when one was.
	Problem string
}

// Report is the period's findings as of one snapshot.
type Report struct {
	AsOf     time.Time
	Findings []Finding
	// Counts are findings by class; Key counts key-control findings by class.
	Counts, Key map[catalog.DeficiencyClass]int
	// Overdue counts findings with an overdue plan; NoPlan those without one.
	Overdue, NoPlan int
	// Closed are plans whose control is no longer a finding: remediated,
	// pending the auditor's re-test.
	Closed []ClosedPlan
	// PlanErrors are the action plan problems, file:line:col; a plan with
	// one is left out.
	PlanErrors []string
	// PlansMissing says why no plan could be read from the snapshot.
	PlansMissing string
}

// ClosedPlan is an action plan whose control passes (or is not applicable)
// in this snapshot.
type ClosedPlan struct {
	ActionPlan
	Outcome check.Outcome
}

// Finding is one control that did not operate effectively or could not be
// tested, written up as an auditor would.
type Finding struct {
	Control, Title string
	Family         catalog.Family
	Owner          string
	Key            bool
	// Outcome is fail, unknown (not tested: no usable evidence) or
	// excepted (a failure accepted under an unexpired exception).
	Outcome check.Outcome
	// Severity is the worst severity among the assertions behind the finding.
	Severity catalog.Severity
	Class    catalog.DeficiencyClass
	// Rule is the 1-based classification rule that gave Class; 0 when none
	// matched and the finding is a control deficiency by default.
	Rule int
	// Basis says, in words, why the finding has its class.
	Basis string
	// Compensating are the control's declared compensating controls and
	// their outcomes; Compensated is true when one of them passes.
	Compensating []Compensation
	Compensated  bool

	Criteria  Criteria
	Condition Condition
	// Cause is management's root cause from its action plan; CauseKnown
	// is false when no plan states one.
	Cause      string
	CauseKnown bool
	Effect     string
	// Recommendation is the control's own, or one derived from the
	// condition when the control declares none (Derived).
	Recommendation string
	Derived        bool

	Plans      []ActionPlan
	Exceptions []Exception
	// Evidence are the evidence paths the failing assertions read.
	Evidence []string
}

// Compensation is one compensating control's outcome.
type Compensation struct {
	Control, Title string
	Outcome        check.Outcome
}

// Criteria is what the control should achieve and how it is tested.
type Criteria struct {
	Objective string
	Tests     []Test
}

// Test is one assertion behind the finding.
type Test struct {
	Assertion, Expr string
	Severity        catalog.Severity
	Outcome         check.Outcome
}

// Condition is what the evidence shows.
type Condition struct {
	// Summary are the condition's sentences: the population figures and,
	// for untested assertions, why nothing could be evaluated.
	Summary []string
	// Deviations are the failing (or untested) assertions with what failed.
	Deviations []Deviation
}

// Deviation is one assertion's failure, with the records or settings that
// failed it.
type Deviation struct {
	Assertion string
	Outcome   check.Outcome
	Severity  catalog.Severity
	// Message is the failure in the control pack's words; Reason why the
	// assertion is unknown or excepted.
	Message, Reason string
	// Failures are the first MaxFailures offenders; More counts the rest.
	Failures []string
	More     int
	// Count is the number of offenders listed by the assertion.
	Count int
}

// MaxFailures is how many offenders a deviation lists; the control page
// and the evidence have all of them.
const MaxFailures = 25

// Exception is an exception or risk acceptance that names the control.
type Exception struct {
	ID, Assertion, Reason, Approver, Approved, Expires string
	// Active is true when it excuses failures as of the snapshot; Expired
	// when its expiry date has passed; Pending when it is approved with a
	// date after the snapshot.
	Active, Expired, Pending bool
}

// Compute writes up every finding of the report.
func Compute(in Input) Report {
	out := Report{
		AsOf:   in.AsOf,
		Counts: map[catalog.DeficiencyClass]int{}, Key: map[catalog.DeficiencyClass]int{},
		PlansMissing: in.PlansMissing,
	}
	plans, errs := ParsePlans(in.Plans, in.Catalog, in.AsOf)
	for _, e := range errs {
		out.PlanErrors = append(out.PlanErrors, e.Error())
	}
	results := map[string]*check.ControlResult{}
	for i := range in.Report.Controls {
		results[in.Report.Controls[i].ID] = &in.Report.Controls[i]
	}
	for _, a := range in.Added {
		r := results[a.Control]
		if r == nil {
			continue
		}
		// A copy: the check report stays what the assertions found.
		cp := *r
		cp.Assertions = append(append([]check.AssertionResult(nil), r.Assertions...), a.Assertion)
		if a.Assertion.Outcome == check.Fail && cp.Outcome != check.Fail {
			cp.Outcome, cp.Reason = check.Fail, ""
		}
		results[a.Control] = &cp
	}
	isFinding := map[string]bool{}
	for i := range in.Catalog.Controls {
		c := &in.Catalog.Controls[i]
		r := results[c.ID]
		if r == nil || !findingOutcome(r.Outcome) {
			continue
		}
		isFinding[c.ID] = true
		f := write(in, c, r, results)
		for _, p := range plans {
			if p.Control == c.ID {
				f.Plans = append(f.Plans, p)
			}
		}
		for _, p := range f.Plans {
			if p.Cause != "" {
				f.Cause, f.CauseKnown = p.Cause, true
				break
			}
		}
		if !f.CauseKnown {
			f.Cause = "Not determined — management to document the root cause in its action plan (" + in.Catalog.Findings.ActionPlansGlob() + ")."
		}
		out.Findings = append(out.Findings, f)
		out.Counts[f.Class]++
		if f.Key {
			out.Key[f.Class]++
		}
		if len(f.Plans) == 0 {
			out.NoPlan++
		}
		for _, p := range f.Plans {
			if p.Overdue {
				out.Overdue++
				break
			}
		}
	}
	for _, p := range plans {
		if !isFinding[p.Control] {
			cp := ClosedPlan{ActionPlan: p, Outcome: check.Unknown}
			if r := results[p.Control]; r != nil {
				cp.Outcome = r.Outcome
			}
			out.Closed = append(out.Closed, cp)
		}
	}
	sort.SliceStable(out.Findings, func(i, j int) bool {
		a, b := out.Findings[i], out.Findings[j]
		if ca, cb := classRank(a.Class), classRank(b.Class); ca != cb {
			return ca > cb
		}
		if a.Key != b.Key {
			return a.Key
		}
		return severityRank(a.Severity) < severityRank(b.Severity)
	})
	return out
}

// findingOutcome says which outcomes are findings: a failure, a failure
// accepted under an exception (still a deficiency, only a governed one),
// and a control nothing could be evaluated for, which is never a pass.
func findingOutcome(o check.Outcome) bool {
	return o == check.Fail || o == check.Unknown || o == check.Excepted
}

func write(in Input, c *catalog.Control, r *check.ControlResult, results map[string]*check.ControlResult) Finding {
	f := Finding{
		Control: c.ID, Title: c.Title, Family: c.Family, Owner: c.Owner, Key: c.Key, Outcome: r.Outcome,
		Criteria: Criteria{Objective: strings.TrimSpace(c.Objective)},
	}
	seenEv := map[string]bool{}
	var failures []string
	var unknown []string
	for _, a := range r.Assertions {
		if a.Outcome != check.Fail && a.Outcome != check.Unknown && a.Outcome != check.Excepted {
			continue
		}
		f.Criteria.Tests = append(f.Criteria.Tests, Test{Assertion: a.Name, Expr: a.Expr, Severity: a.Severity, Outcome: a.Outcome})
		d := Deviation{Assertion: a.Name, Outcome: a.Outcome, Severity: a.Severity, Message: a.Message, Reason: a.Reason, Count: len(a.Failures)}
		if a.Outcome == check.Unknown {
			d.Message = "No evidence could be evaluated: " + a.Reason
			unknown = append(unknown, a.Name)
		}
		d.Failures = a.Failures
		if len(d.Failures) > MaxFailures {
			d.Failures, d.More = d.Failures[:MaxFailures], len(d.Failures)-MaxFailures
		}
		f.Condition.Deviations = append(f.Condition.Deviations, d)
		if a.Outcome == r.Outcome && severityRank(a.Severity) < severityRank(f.Severity) {
			f.Severity = a.Severity
		}
		if a.Outcome != check.Unknown {
			failures = append(failures, a.Failures...)
		}
		for _, p := range a.Evidence {
			if !seenEv[p] {
				seenEv[p] = true
				f.Evidence = append(f.Evidence, p)
			}
		}
	}
	if r.Outcome == check.Unknown && len(r.Assertions) == 0 {
		// Nothing declared to test: the control's own reason says so.
		f.Condition.Deviations = append(f.Condition.Deviations, Deviation{Outcome: check.Unknown, Message: "No evidence could be evaluated: " + r.Reason})
	}
	f.Condition.Summary = conditionSummary(r, in.Populations[c.ID], failures, unknown)
	f.Effect = effect(c, r.Outcome)
	f.Recommendation, f.Derived = recommendation(c, r)
	for _, id := range c.Compensating {
		comp := Compensation{Control: id, Outcome: check.Unknown}
		if cc := in.Catalog.Control(id); cc != nil {
			comp.Title = cc.Title
		}
		if cr := results[id]; cr != nil {
			comp.Outcome = cr.Outcome
		}
		f.Compensating = append(f.Compensating, comp)
		f.Compensated = f.Compensated || comp.Outcome == check.Pass
	}
	f.Class, f.Rule = Classify(in.Catalog.Findings.Classification, Facts{Key: c.Key, Severity: f.Severity, Compensated: f.Compensated, Outcome: r.Outcome})
	f.Basis = basis(in.Catalog.Findings.Classification, f)
	f.Exceptions = exceptions(in.Catalog, c.ID, in.AsOf)
	return f
}

// conditionSummary states the condition's figures in the report language:
// "During testing of 25 sampled merged pull requests, 2 showed an exception."
func conditionSummary(r *check.ControlResult, pop Population, failures, unknown []string) []string {
	var out []string
	switch {
	case r.Outcome == check.Unknown:
		out = append(out, "No evidence could be evaluated: "+r.Reason+". The control could not be tested, so it is not shown to have operated.")
	case r.Outcome == check.Excepted:
		out = append(out, fmt.Sprintf("%s; the failure is accepted under an exception (below) and remains a deficiency until the control passes.", sentence(r.Reason)))
	default:
		out = append(out, sentence(r.Reason)+".")
	}
	if r.Outcome != check.Unknown && len(unknown) > 0 {
		out = append(out, fmt.Sprintf("In addition, %s could not be evaluated for want of usable evidence: %s.", plural(len(unknown), "assertion", "assertions"), strings.Join(unknown, ", ")))
	}
	if pop.Name == "" && pop.Problem == "" {
		return out
	}
	if pop.Problem != "" {
		return append(out, fmt.Sprintf("No population of %s could be drawn for testing: %s.", orRecords(pop.Name), pop.Problem))
	}
	total := len(pop.Keys)
	if total == 0 {
		return append(out, fmt.Sprintf("The population of %s for the period is empty.", pop.Name))
	}
	if r.Outcome == check.Unknown {
		return append(out, fmt.Sprintf("The population holds %d %s, none of which could be tested.", total, pop.Name))
	}
	m := newMatcher(failures)
	inPop := 0
	for _, k := range pop.Keys {
		if m.match(k) {
			inPop++
		}
	}
	// A record count is only stated when the failures name records of the
	// population: "0 of 25" would otherwise claim a clean sample the
	// evidence does not show.
	switch {
	case len(failures) == 0:
		return append(out, fmt.Sprintf("The population holds %d %s; the failing assertions list no offending records, so how many of them failed cannot be stated.", total, pop.Name))
	case inPop == 0:
		return append(out, fmt.Sprintf("The population holds %d %s; none of the %s listed names one of its records (they concern settings, or name records another way), so no record count is given.",
			total, pop.Name, plural(len(failures), "deviation", "deviations")))
	}
	if len(pop.Sample) >= total {
		return append(out, fmt.Sprintf("%d of %d %s (the whole population was tested) showed an exception.", inPop, total, pop.Name))
	}
	inSample := 0
	for _, k := range pop.Sample {
		if m.match(k) {
			inSample++
		}
	}
	return append(out, fmt.Sprintf("During testing of %d sampled %s (from a population of %d), %d showed an exception; across the whole population, %d of %d did.",
		len(pop.Sample), pop.Name, total, inSample, inPop, total))
}

func orRecords(name string) string {
	if name == "" {
		return "records"
	}
	return name
}

// sentence capitalises a reason for use at the start of a sentence.
func sentence(s string) string {
	s = strings.TrimSuffix(strings.TrimSpace(s), ".")
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// familyEffect is what a failure of the family does to the assurance over
// financial reporting, in the words of the seed's control objectives.
var familyEffect = map[catalog.Family]string{
	catalog.FamilyChangeManagement:    "This reduces assurance that changes to systems supporting financial reporting are reviewed, approved, tested and traceable.",
	catalog.FamilySegregationOfDuties: "A single individual may be able to make, approve and deploy a change without an independent preventive control.",
	catalog.FamilyLogicalAccess:       "This reduces assurance that only authorised users and workloads can perform privileged actions.",
	catalog.FamilyPrivilegedActivity:  "Privileged operations may go unlimited, unlogged or unreviewed, so unauthorised actions could go undetected.",
	catalog.FamilyAuditLogging:        "Evidence of unauthorised actions may be altered, truncated or lost, weakening detection and investigation.",
	catalog.FamilyEvidenceRetention:   "The organisation may be unable to demonstrate that its controls existed and operated during the period.",
	catalog.FamilyComputerOperations:  "Production and supporting systems may not operate predictably, or incidents may not be handled in a governed way.",
	catalog.FamilyBackupRecovery:      "Financial data and the systems that process it may not be recoverable completely and on time after a failure.",
	catalog.FamilyProgramDevelopment:  "Security-relevant changes may reach production without being designed and verified appropriately.",
}

func effect(c *catalog.Control, o check.Outcome) string {
	risk := sentence(c.Risk) + "."
	if fe, ok := familyEffect[c.Family]; ok {
		risk += " " + fe
	}
	if o == check.Unknown {
		return "Until the control can be tested, management cannot show that it operated, and the risk it addresses is to be treated as unmitigated. " + risk
	}
	return risk
}

func recommendation(c *catalog.Control, r *check.ControlResult) (string, bool) {
	if s := strings.TrimSpace(c.Recommendation); s != "" {
		return s, false
	}
	if r.Outcome == check.Unknown {
		return "Restore the evidence the control is tested from (" + strings.TrimSuffix(r.Reason, ".") + ") so that it can be tested, then re-test it; until then treat the control as not operating.", true
	}
	return "Correct the deviations listed under the condition and address their cause so that the control meets the criteria, then re-test it in a later snapshot.", true
}

// Facts are what classification rules match on.
type Facts struct {
	Key         bool
	Severity    catalog.Severity
	Compensated bool
	Outcome     check.Outcome
}

// Classify gives the class of the first rule that matches, with its 1-based
// index; a finding no rule matches is a control deficiency (rule 0). An
// excepted finding matches rules on outcome fail: the exception governs the
// failure, it does not make it less of one.
func Classify(rules []catalog.ClassificationRule, f Facts) (catalog.DeficiencyClass, int) {
	outcome := string(f.Outcome)
	if f.Outcome == check.Excepted {
		outcome = string(check.Fail)
	}
	for i, r := range rules {
		if r.Key != nil && *r.Key != f.Key {
			continue
		}
		if len(r.Severities) > 0 && !contains(r.Severities, f.Severity) {
			continue
		}
		if r.Compensated != nil && *r.Compensated != f.Compensated {
			continue
		}
		if len(r.Outcomes) > 0 && !contains(r.Outcomes, outcome) {
			continue
		}
		return r.Class, i + 1
	}
	return catalog.ControlDeficiency, 0
}

func basis(rules []catalog.ClassificationRule, f Finding) string {
	facts := []string{}
	if f.Key {
		facts = append(facts, "key control")
	} else {
		facts = append(facts, "non-key control")
	}
	if f.Severity != "" {
		facts = append(facts, "severity "+string(f.Severity))
	}
	switch {
	case f.Compensated:
		facts = append(facts, "a compensating control passes")
	case len(f.Compensating) > 0:
		facts = append(facts, "no compensating control passes")
	default:
		facts = append(facts, "no compensating control declared")
	}
	facts = append(facts, "outcome "+string(f.Outcome))
	if f.Rule == 0 {
		if len(rules) == 0 {
			return strings.Join(facts, ", ") + "; controls.yaml declares no classification rules, so every finding is a control deficiency"
		}
		return strings.Join(facts, ", ") + "; no classification rule matches, so it is a control deficiency"
	}
	return fmt.Sprintf("%s; classification rule %d of findings.classification", strings.Join(facts, ", "), f.Rule)
}

func exceptions(cat *catalog.Catalog, control string, asOf time.Time) []Exception {
	var out []Exception
	for _, x := range cat.Exceptions {
		if x.Control != control {
			continue
		}
		e := Exception{ID: x.ID, Assertion: x.Assertion, Reason: x.Reason, Approver: x.Approver, Approved: x.Approved, Expires: x.Expires}
		// Same dating as the check: an exception excuses failures through
		// its expiry day, and not before its approval date.
		if exp, err := time.Parse(time.DateOnly, x.Expires); err == nil && !asOf.Before(exp.AddDate(0, 0, 1)) {
			e.Expired = true
		}
		if ap, err := time.Parse(time.DateOnly, x.Approved); err == nil && x.Approved != "" && asOf.Before(ap) {
			e.Pending = true
		}
		e.Active = !e.Expired && !e.Pending
		out = append(out, e)
	}
	return out
}

// matcher finds which record keys appear among failure strings. A key
// matches where it stands on its own in a failure ("acme/api#42
// approvals=1" names acme/api#42, not acme/api#4), so a population's
// records can be counted from the offenders an assertion lists without the
// assertion knowing about populations. Every word-bounded span of every
// failure goes into a set once, so matching a population of thousands of
// records costs one lookup each.
type matcher map[string]bool

func newMatcher(failures []string) matcher {
	m := matcher{}
	for _, f := range failures {
		var starts, ends []int
		for i := 0; i <= len(f); i++ {
			if i < len(f) && (i == 0 || !wordByte(f[i-1])) {
				starts = append(starts, i)
			}
			if i > 0 && (i == len(f) || !wordByte(f[i])) {
				ends = append(ends, i)
			}
		}
		for _, s := range starts {
			for _, e := range ends {
				if e > s {
					m[f[s:e]] = true
				}
			}
		}
	}
	return m
}

func (m matcher) match(key string) bool { return key != "" && m[key] }

func wordByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '_' || b >= 0x80
}

func contains[T comparable](l []T, v T) bool {
	for _, x := range l {
		if x == v {
			return true
		}
	}
	return false
}

func classRank(c catalog.DeficiencyClass) int {
	for i, x := range catalog.DeficiencyClasses {
		if x == c {
			return i
		}
	}
	return -1
}

func severityRank(s catalog.Severity) int {
	for i, x := range catalog.Severities {
		if x == s {
			return i
		}
	}
	return len(catalog.Severities)
}
