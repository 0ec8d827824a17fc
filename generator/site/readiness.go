package site

import "github.com/evident-project/evident/generator/readiness"

// ReadinessInput is the quarterly readiness checklist.
type ReadinessInput struct {
	Checklist readiness.Checklist
}

// readiness writes readiness.html.
func (b *builder) readiness() {
	c := b.in.Readiness.Checklist
	b.w.page("readiness.html", "layout-readiness", struct {
		page
		Checklist readiness.Checklist
		Statuses  []string
	}{page{"Readiness checklist", "", b.info}, c, []string{string(readiness.Done), string(readiness.NotDone), string(readiness.Unknown), string(readiness.NotApplicable)}})
}
