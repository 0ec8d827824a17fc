package site

import "github.com/evident-project/evident/generator/sample"

// SamplesInput is the auditor-samples page model (being built by the
// samples work; the fields below are the contract findings read).
type SamplesInput struct {
	// Seed is the published seed: sha256 of the period's closing manifest.
	Seed string
	// ManifestCommit is the evidence commit whose manifest gave the seed.
	ManifestCommit string
	Controls       []ControlSample
}

// ControlSample is one control's population and sample for the period.
type ControlSample struct {
	Control string
	// Name says what one record is, plural: "merged pull requests".
	Name    string
	Columns []string
	// Records is the whole population, sorted by key.
	Records []sample.Record
	Sample  sample.Sample
	// PopulationCSV and SampleCSV are site paths of the CSV exports.
	PopulationCSV, SampleCSV string
	// Evidence are the evidence paths the population was drawn from.
	Evidence []string
	// Problem says why no population could be drawn; empty when one was.
	Problem string
}

func (b *builder) samples() {}
