package catalog

import (
	"fmt"

	"github.com/google/cel-go/cel"
)

// The declarations below drive the auditor's and the executive's pages:
// the quarterly readiness checklist, access reviews, findings with their
// deficiency class and action plans, and auditor samples. Human inputs they
// read (review decisions, action plans, dated records) are files in the
// config repository, collected into every snapshot like any other evidence,
// so a page rendered from an old commit shows what was on record then.

// Default locations of the human inputs in the config repository.
const (
	DefaultReviewDecisions = "access-reviews/*.yaml"
	DefaultActionPlans     = "action-plans/*.yaml"
)

// ReadinessSection is one heading of the quarterly readiness checklist.
type ReadinessSection struct {
	// Section is the heading, e.g. "Change management".
	Section string `yaml:"section" json:"section" jsonschema:"required,minLength=1"`
	// Items are the checklist lines under it.
	Items []ReadinessItem `yaml:"items" json:"items" jsonschema:"required,minItems=1"`

	Pos Position `yaml:"-" json:"-"`
}

// ReadinessItem is one checklist line, done either when the controls it
// names pass or when a dated record within its cadence exists.
type ReadinessItem struct {
	// ID is stable across quarters, e.g. "prs-two-approvals".
	ID string `yaml:"id" json:"id" jsonschema:"required,pattern=^[a-z0-9][a-z0-9_-]*$"`
	// Text is the line as the checklist states it.
	Text string `yaml:"text" json:"text" jsonschema:"required,minLength=1"`
	// Controls are "CONTROL" or "CONTROL/assertion"; the item is done when
	// every one of them passes.
	Controls []string `yaml:"controls,omitempty" json:"controls,omitempty"`
	// Record is a manual record in the config repository that does the item.
	Record *ReadinessRecord `yaml:"record,omitempty" json:"record,omitempty"`

	Pos Position `yaml:"-" json:"-"`
}

// ReadinessRecord is a dated manual record: Markdown files whose front
// matter has a date (and usually an owner), e.g. the last tabletop exercise.
type ReadinessRecord struct {
	// Paths are glob patterns relative to the config file's folder.
	Paths []string `yaml:"paths" json:"paths" jsonschema:"required,minItems=1"`
	// Cadence is how often the record must be renewed; a record older than
	// one cadence at the end of the period is stale, and the item not done.
	Cadence Frequency `yaml:"cadence" json:"cadence" jsonschema:"required"`

	Pos Position `yaml:"-" json:"-"`
}

// AccessReviews says where the reviewers' decisions are kept.
type AccessReviews struct {
	// Decisions is the glob of decision files, one per period
	// (access-reviews/2026-Q4.yaml); default "access-reviews/*.yaml".
	Decisions string `yaml:"decisions,omitempty" json:"decisions,omitempty"`
	// Control is the control the review evidences (e.g. AC-04): a revoke
	// decision whose access is still present in a later snapshot is a
	// failure of it, and so a finding. Without one such revocations are
	// shown on the review page only.
	Control string `yaml:"control,omitempty" json:"control,omitempty"`

	Pos Position `yaml:"-" json:"-"`
}

// DecisionsGlob is the configured or default decisions glob.
func (a AccessReviews) DecisionsGlob() string {
	if a.Decisions == "" {
		return DefaultReviewDecisions
	}
	return a.Decisions
}

// DeficiencyClass is how severe a control deficiency is, in the terms of
// PCAOB AS 2201.
type DeficiencyClass string

// Deficiency classes, least severe first.
const (
	ControlDeficiency     DeficiencyClass = "control_deficiency"
	SignificantDeficiency DeficiencyClass = "significant_deficiency"
	MaterialWeakness      DeficiencyClass = "material_weakness"
)

// DeficiencyClasses lists the classes, least severe first.
var DeficiencyClasses = []DeficiencyClass{ControlDeficiency, SignificantDeficiency, MaterialWeakness}

// Findings configures how findings are classified and where management's
// action plans are kept.
type Findings struct {
	// Classification rules are tried in order; the first that matches gives
	// the class. A finding no rule matches is a control deficiency.
	Classification []ClassificationRule `yaml:"classification,omitempty" json:"classification,omitempty"`
	// ActionPlans is the glob of action plan files; default "action-plans/*.yaml".
	ActionPlans string `yaml:"action_plans,omitempty" json:"action_plans,omitempty"`

	Pos Position `yaml:"-" json:"-"`
}

// ActionPlansGlob is the configured or default action plan glob.
func (f Findings) ActionPlansGlob() string {
	if f.ActionPlans == "" {
		return DefaultActionPlans
	}
	return f.ActionPlans
}

// ClassificationRule gives a class to the findings it matches. Every
// condition written must hold.
type ClassificationRule struct {
	Class DeficiencyClass `yaml:"class" json:"class" jsonschema:"required,enum=control_deficiency,enum=significant_deficiency,enum=material_weakness"`
	// Key, when written, matches findings on key (true) or non-key (false) controls.
	Key *bool `yaml:"key,omitempty" json:"key,omitempty"`
	// Severities, when written, matches the worst failing assertion's severity.
	Severities []Severity `yaml:"severities,omitempty" json:"severities,omitempty"`
	// Compensated, when written, matches findings whose control has (true)
	// or has not (false) a passing compensating control.
	Compensated *bool `yaml:"compensated,omitempty" json:"compensated,omitempty"`
	// Outcomes, when written, matches the control's outcome (fail, unknown).
	Outcomes []string `yaml:"outcomes,omitempty" json:"outcomes,omitempty"`

	Pos Position `yaml:"-" json:"-"`
}

// Sampling sizes auditor samples by control frequency.
type Sampling struct {
	// Sizes maps a control frequency to the sample size for one period;
	// frequencies not listed take DefaultSampleSizes.
	Sizes map[Frequency]int `yaml:"sizes,omitempty" json:"sizes,omitempty"`

	Pos Position `yaml:"-" json:"-"`
}

// DefaultSampleSizes follow the common attribute-sampling guidance for
// tests of operating effectiveness (a quarter's share of the annual sizes
// in the AICPA audit sampling guide's table for a low deviation rate).
var DefaultSampleSizes = map[Frequency]int{
	FrequencyAnnual:     1,
	FrequencySemiannual: 1,
	FrequencyQuarterly:  1,
	FrequencyMonthly:    2,
	FrequencyWeekly:     5,
	FrequencyDaily:      20,
	FrequencyPerChange:  25,
	FrequencyContinuous: 25,
}

// SampleSize is the configured or default size for a frequency.
func (s Sampling) SampleSize(f Frequency) int {
	if n, ok := s.Sizes[f]; ok {
		return n
	}
	return DefaultSampleSizes[f]
}

// Population declares the records a control's test is performed over
// (merged changes, access grants, deployments), so auditors can sample them.
type Population struct {
	// Name says what one record is, plural: "merged pull requests".
	Name string `yaml:"name" json:"name" jsonschema:"required,minLength=1"`
	// Expr is a CEL expression over the control's evidence that gives the
	// list of records (maps).
	Expr string `yaml:"expr" json:"expr" jsonschema:"required,minLength=1"`
	// Key is a CEL expression over one record, bound as r, giving its
	// unique, stable identifier ("acme/api#42").
	Key string `yaml:"key" json:"key" jsonschema:"required,minLength=1"`
	// Columns are further CEL expressions over r shown and exported per
	// record, by column name.
	Columns []PopulationColumn `yaml:"columns,omitempty" json:"columns,omitempty"`

	Pos Position `yaml:"-" json:"-"`
}

// PopulationColumn is one exported attribute of a population record.
type PopulationColumn struct {
	Name string `yaml:"name" json:"name" jsonschema:"required,minLength=1"`
	Expr string `yaml:"expr" json:"expr" jsonschema:"required,minLength=1"`

	Pos Position `yaml:"-" json:"-"`
}

// PopulationVar is the variable a population's key and columns see.
const PopulationVar = "r"

// CompiledPopulation is a population's CEL, ready to evaluate.
type CompiledPopulation struct {
	// Expr runs in the control's assertion environment and gives a list.
	Expr *cel.Ast
	// Key and Columns run in the record environment (r bound to one record).
	Key     *cel.Ast
	Columns []*cel.Ast
	// RecordEnv is the environment Key and Columns were checked in.
	RecordEnv *cel.Env
}

// CompilePopulation compiles a population against the control's assertion
// environment. Problems name the field ("population.expr", "population.key",
// "population.columns.NAME").
func CompilePopulation(env *cel.Env, p Population) (*CompiledPopulation, error) {
	var problems []ExprProblem
	out := &CompiledPopulation{}
	out.Expr, problems = compileField(env, "population.expr", p.Expr, wantList, problems)
	renv, err := env.Extend(cel.Variable(PopulationVar, cel.DynType))
	if err != nil {
		return nil, fmt.Errorf("cel environment: %w", err)
	}
	out.RecordEnv = renv
	out.Key, problems = compileField(renv, "population.key", p.Key, wantAny, problems)
	for _, c := range p.Columns {
		var ast *cel.Ast
		ast, problems = compileField(renv, "population.columns."+c.Name, c.Expr, wantAny, problems)
		out.Columns = append(out.Columns, ast)
	}
	if len(problems) > 0 {
		return nil, &CompileError{Assertion: "population", Problems: problems}
	}
	return out, nil
}

// RecordInput is one collection of human inputs every run makes with the
// file collector, besides what controls declare: the pages read them from
// the snapshot, never from the working tree.
type RecordInput struct {
	// Name is "access_reviews", "action_plans" or "readiness/ITEM".
	Name string
	// Params are the file collector's params.
	Params map[string]any
}

// RecordCollector is the collector that reads human inputs.
const RecordCollector = "file"

// RecordInputs lists the human inputs the reporting pages read.
func (c *Catalog) RecordInputs() []RecordInput {
	files := func(globs ...string) map[string]any {
		l := make([]any, len(globs))
		for i, g := range globs {
			l[i] = g
		}
		return map[string]any{"paths": l, "text": true}
	}
	out := []RecordInput{
		{"access_reviews", files(c.AccessReviews.DecisionsGlob())},
		{"action_plans", files(c.Findings.ActionPlansGlob())},
	}
	for _, s := range c.Readiness {
		for _, it := range s.Items {
			if it.Record != nil {
				out = append(out, RecordInput{"readiness/" + it.ID, files(it.Record.Paths...)})
			}
		}
	}
	return out
}
