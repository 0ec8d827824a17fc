package site

import "github.com/evident-project/evident/generator/check"

// FindingsInput is what the findings page shows beyond the check report.
type FindingsInput struct{}

// findings writes findings.html.
func (b *builder) findings() {
	b.w.page("findings.html", "layout-findings", struct {
		page
		Report *check.Report
	}{page{"Findings", "", b.info}, b.in.Report})
}
