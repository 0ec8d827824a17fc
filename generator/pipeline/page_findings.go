package pipeline

import (
	"github.com/evident-project/evident/generator/findings"
	"github.com/evident-project/evident/generator/site"
)

// findings writes up the report's findings with the action plans collected
// into the snapshot and the populations the samples page drew (fill runs
// samples first). Findings are judged as of the snapshot, the time the
// check report's outcomes and exceptions are judged at.
func (pc *pageContext) findings(in *site.Input) error {
	rf := recordFiles(pc.Snapshot, pc.Catalog, "action_plans")
	pops := map[string]findings.Population{}
	for _, cs := range in.Samples.Controls {
		p := findings.Population{Name: cs.Name, Problem: cs.Problem}
		for _, r := range cs.Records {
			p.Keys = append(p.Keys, r.Key)
		}
		for _, pk := range cs.Sample.Picks {
			p.Sample = append(p.Sample, pk.Key)
		}
		pops[cs.Control] = p
	}
	in.Findings = site.FindingsInput{
		Report: findings.Compute(findings.Input{
			Catalog: pc.Catalog, Report: pc.Report,
			Plans: rf.Files, PlansMissing: rf.Missing,
			Populations: pops,
			Added:       added(in.Reviews),
			AsOf:        pc.Snapshot.Manifest.Finished,
		}),
		PlansEvidence: rf.Path,
	}
	return nil
}

// added are the review's failures of the control it evidences.
func added(r site.ReviewsInput) []findings.Added {
	var out []findings.Added
	for _, a := range r.Added {
		out = append(out, findings.Added{Control: r.Control, Assertion: a})
	}
	return out
}
