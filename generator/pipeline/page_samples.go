package pipeline

import (
	"fmt"

	"github.com/evident-project/evident/generator/check"
	"github.com/evident-project/evident/generator/evidence"
	"github.com/evident-project/evident/generator/sample"
	"github.com/evident-project/evident/generator/site"
)

// samples draws every declared population from the rendered snapshot and a
// sample of it. The seed is the sha256 of this snapshot's manifest.json:
// for a closed period the site is rendered from its closing snapshot, so
// the seed is the closing manifest's; for the open period it is the latest
// manifest's, and the page says the sample is provisional. The manifest
// bytes are read from the commit, not re-serialised, so `sha256sum
// manifest.json` gives the same seed.
func (pc *pageContext) samples(in *site.Input) error {
	mb, err := pc.Snapshot.ReadFile(evidence.ManifestPath)
	if err != nil {
		return fmt.Errorf("read the seed manifest: %w", err)
	}
	seed := sample.Seed(mb)
	m := pc.Snapshot.Manifest
	out := site.SamplesInput{
		Seed: seed, ManifestCommit: pc.Snapshot.Commit.String(),
		Period: m.Period.ID, Closed: periodClosed(in.Periods),
		Sizes: pc.Catalog.Sampling, Controls: []site.ControlSample{},
	}
	pops := check.Populations(check.Input{
		Catalog: pc.Catalog, Manifest: m, Commit: pc.Snapshot.Commit.String(),
		ReadItem: pc.Snapshot.Item, Collectors: pc.Registry,
	})
	for _, p := range pops {
		c := pc.Catalog.Control(p.Control)
		cs := site.ControlSample{
			Control: p.Control, Title: c.Title, Frequency: c.Frequency, Key: c.Key,
			Name: p.Name, Columns: p.Columns, Records: p.Records, Evidence: p.Evidence,
		}
		if p.Err != nil {
			// No CSV paths: there is nothing to export, and the findings
			// page must not link to files that are not written.
			cs.Problem = p.Err.Error()
			out.Controls = append(out.Controls, cs)
			continue
		}
		s, err := sample.Draw(seed, p.Records, pc.Catalog.Sampling.SampleSize(c.Frequency))
		if err != nil {
			cs.Problem = fmt.Sprintf("%s: %v", p.Control, err)
			out.Controls = append(out.Controls, cs)
			continue
		}
		cs.Sample = s
		cs.PopulationCSV = "samples/" + p.Control + "-population.csv"
		cs.SampleCSV = "samples/" + p.Control + "-sample.csv"
		out.Controls = append(out.Controls, cs)
	}
	in.Samples = out
	return nil
}

// periodClosed reports whether the rendered period has ended in the
// evidence, i.e. a later period's snapshot exists, so this snapshot is the
// period's closing one and the seed is final.
func periodClosed(periods []site.PeriodLink) bool {
	for _, p := range periods {
		if p.Current {
			return p.Closed
		}
	}
	return false
}
