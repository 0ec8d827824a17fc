package site

import (
	"github.com/evident-project/evident/generator/catalog"
	"github.com/evident-project/evident/generator/check"
	"github.com/evident-project/evident/generator/findings"
)

// FindingsInput is the findings page: the period's findings as written up
// by the findings package.
type FindingsInput struct {
	Report findings.Report
	// PlansEvidence is the evidence item holding the collected action plan
	// files, for links; empty when none was collected.
	PlansEvidence string
}

// classRow is one line of the summary by class.
type classRow struct {
	Class           catalog.DeficiencyClass
	Total, Key, Non int
}

// findingView is one finding with what the template cannot compute: a one-line remediation status and which evidence files
// exist in the snapshot (only those are linked).
type findingView struct {
	findings.Finding
	Status   string
	Evidence []evidenceLink
}

type evidenceLink struct {
	Path string
	// InSnapshot is false for a path the snapshot does not hold (the
	// collector failed), which is shown but not linked.
	InSnapshot bool
}

// findings writes findings.html.
func (b *builder) findings() {
	r := b.in.Findings.Report
	var rows []classRow
	var total classRow
	// Most severe first, as an auditor's summary reads.
	for i := len(catalog.DeficiencyClasses) - 1; i >= 0; i-- {
		c := catalog.DeficiencyClasses[i]
		row := classRow{Class: c, Total: r.Counts[c], Key: r.Key[c], Non: r.Counts[c] - r.Key[c]}
		rows = append(rows, row)
		total.Total += row.Total
		total.Key += row.Key
		total.Non += row.Non
	}
	var views []findingView
	for _, f := range r.Findings {
		v := findingView{Finding: f, Status: remediationStatus(f)}
		for _, p := range f.Evidence {
			_, ok := b.in.Manifest.Item(p)
			v.Evidence = append(v.Evidence, evidenceLink{Path: p, InSnapshot: ok})
		}
		views = append(views, v)
	}
	_, plansOK := b.in.Manifest.Item(b.in.Findings.PlansEvidence)
	plans := ""
	if plansOK {
		plans = b.in.Findings.PlansEvidence
	}
	b.w.page("findings.html", "layout-findings", struct {
		page
		Report   findings.Report
		Classes  []classRow
		Total    classRow
		Findings []findingView
		// PlansEvidence is the linkable action plan item, or empty.
		PlansEvidence string
		PlansGlob     string
	}{page{"Findings", "", b.info}, r, rows, total, views, plans, b.in.Catalog.Findings.ActionPlansGlob()})
}

// remediationStatus says in a few words where the finding stands: risk
// accepted, remediation overdue, claimed done but not yet shown by the
// evidence, in progress, open, or without any plan.
func remediationStatus(f findings.Finding) string {
	if f.Outcome == check.Excepted {
		return "risk accepted under an exception"
	}
	if len(f.Plans) == 0 {
		return "no management action plan on record"
	}
	overdue, implemented, started := false, true, false
	for _, p := range f.Plans {
		overdue = overdue || p.Overdue
		implemented = implemented && p.Status == findings.PlanImplemented
		started = started || p.Status != findings.PlanOpen
	}
	switch {
	case overdue:
		return "action plan overdue"
	case implemented:
		return "reported implemented, but the control does not pass in this snapshot"
	case started:
		return "action plan in progress"
	}
	return "action plan open, not started"
}
