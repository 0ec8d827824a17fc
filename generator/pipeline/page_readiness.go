package pipeline

import (
	"github.com/evident-project/evident/generator/readiness"
	"github.com/evident-project/evident/generator/site"
)

// readiness judges the checklist as of the snapshot, or as of the period's
// end when the snapshot was taken after it.
func (pc *pageContext) readiness(in *site.Input) error {
	m := pc.Snapshot.Manifest
	asOf := m.Finished
	if asOf.After(m.Period.End) {
		asOf = m.Period.End
	}
	recs := readiness.Records{}
	for _, s := range pc.Catalog.Readiness {
		for _, it := range s.Items {
			if it.Record == nil {
				continue
			}
			rf := recordFiles(pc.Snapshot, pc.Catalog, "readiness/"+it.ID)
			recs[it.ID] = readiness.RecordInput{Path: rf.Path, Files: rf.Files, Missing: rf.Missing}
		}
	}
	in.Readiness = site.ReadinessInput{Checklist: readiness.Compute(readiness.Input{
		Catalog: pc.Catalog, Report: pc.Report, Records: recs, Period: m.Period.ID, AsOf: asOf,
	})}
	return nil
}
