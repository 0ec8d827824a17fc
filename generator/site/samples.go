package site

import (
	"strconv"
	"strings"

	"github.com/evident-project/evident/generator/catalog"
	"github.com/evident-project/evident/generator/evidence"
	"github.com/evident-project/evident/generator/sample"
)

// SamplesInput is the auditor-samples page model: every declared population
// of the period with its reproducible sample.
type SamplesInput struct {
	// Seed is the published seed: sha256 of the period's closing manifest.
	Seed string
	// ManifestCommit is the evidence commit whose manifest gave the seed.
	ManifestCommit string
	// Period is the audit period the samples belong to.
	Period string
	// Closed is true when a later period's snapshot exists, so
	// ManifestCommit is the period's closing snapshot and the seed is
	// final; while the period is open every run gives a new seed.
	Closed bool
	// Sizes is the configured sampling table.
	Sizes    catalog.Sampling
	Controls []ControlSample
}

// ControlSample is one control's population and sample for the period.
type ControlSample struct {
	Control   string
	Title     string
	Frequency catalog.Frequency
	Key       bool
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

// sampleView is one control's section of samples.html.
type sampleView struct {
	ControlSample
	// Keys is the site path of the keys file for the shell re-derivation;
	// empty when a key holds a line break, which a line-per-key file
	// cannot carry.
	Keys string
	// Check is a one-record re-derivation with the first pick's key and
	// the rank it must print.
	Check, CheckRank string
	// Loop re-derives the whole sample from the keys file.
	Loop string
}

// sizeRow is one line of the sampling table.
type sizeRow struct {
	Frequency catalog.Frequency
	Size      int
}

// samples writes samples.html and, per control with a drawn population,
// samples/<ID>-population.csv, samples/<ID>-sample.csv and
// samples/<ID>-keys.txt (one key per line, for the shell loop).
func (b *builder) samples() {
	in := b.in.Samples
	var views []sampleView
	for _, cs := range in.Controls {
		v := sampleView{ControlSample: cs}
		if cs.Problem == "" {
			b.writeSampleFiles(&v)
		}
		views = append(views, v)
	}
	var sizes []sizeRow
	for _, f := range catalog.Frequencies {
		sizes = append(sizes, sizeRow{f, in.Sizes.SampleSize(f)})
	}
	b.w.page("samples.html", "layout-samples", struct {
		page
		In        SamplesInput
		Algorithm string
		Manifest  string
		Sizes     []sizeRow
		Controls  []sampleView
	}{page{"Auditor samples", "", b.info}, in, sample.Algorithm, "evidence/" + evidence.ManifestPath, sizes, views})
}

func (b *builder) writeSampleFiles(v *sampleView) {
	pop, err := sample.PopulationCSV(v.Columns, v.Records)
	if err != nil {
		v.Problem = err.Error()
		return
	}
	smp, err := sample.SampleCSV(v.Columns, v.Sample)
	if err != nil {
		v.Problem = err.Error()
		return
	}
	b.w.write(v.PopulationCSV, pop)
	b.w.write(v.SampleCSV, smp)
	if keys, ok := keysFile(v.Records); ok {
		v.Keys = "samples/" + v.Control + "-keys.txt"
		b.w.write(v.Keys, keys)
		v.Loop = shellLoop(v.Sample.Seed, v.Control+"-keys.txt", v.Sample.Requested)
	}
	if len(v.Sample.Picks) > 0 {
		p := v.Sample.Picks[0]
		v.Check = "printf '%s%s' " + v.Sample.Seed + " " + shellQuote(p.Key) + " | sha256sum"
		v.CheckRank = p.Rank
	}
}

// keysFile is the population's keys, one per line in key order, exactly as
// ranked (no CSV quoting or formula guard, which would change the hash).
func keysFile(records []sample.Record) ([]byte, bool) {
	var sb strings.Builder
	for _, r := range records {
		if strings.ContainsAny(r.Key, "\n\r") {
			return nil, false
		}
		sb.WriteString(r.Key)
		sb.WriteByte('\n')
	}
	return []byte(sb.String()), true
}

// shellLoop ranks every key of a keys file and keeps the first n: the whole
// algorithm in POSIX sh and coreutils, printing rank and key per line.
func shellLoop(seed, keys string, n int) string {
	return "SEED=" + seed + "\n" +
		`while IFS= read -r k; do printf '%s %s\n' "$(printf '%s%s' "$SEED" "$k" | sha256sum | cut -d' ' -f1)" "$k"; done < ` +
		keys + " | LC_ALL=C sort | head -n " + strconv.Itoa(n)
}

// shellQuote quotes s for a POSIX shell: single quotes, each ' as '\”.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
