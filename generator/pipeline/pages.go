package pipeline

import (
	"encoding/json"
	"fmt"

	"github.com/evident-project/evident/generator/catalog"
	"github.com/evident-project/evident/generator/check"
	"github.com/evident-project/evident/generator/collect"
	"github.com/evident-project/evident/generator/collect/file"
	"github.com/evident-project/evident/generator/evidence"
	"github.com/evident-project/evident/generator/history"
	"github.com/evident-project/evident/generator/site"
)

// pageContext is what the reporting pages are computed from: the rendered
// snapshot, its config and report, and the store for its history. Each page
// has a function in the file named after it that turns this into its
// site input.
type pageContext struct {
	Store    *evidence.Store
	Snapshot *evidence.Snapshot
	Catalog  *catalog.Catalog
	Report   *check.Report
	Registry *collect.Registry
	// Verify is the history's verification up to Snapshot; nil (with
	// VerifyErr set) when it could not be run.
	Verify    *VerifyResult
	VerifyErr error
	// Packages says the build publishes the evidence packages beside the
	// site (BuildOptions.Packages).
	Packages bool
	// CacheDir is BuildOptions.CacheDir.
	CacheDir string

	// The history entries up to Snapshot, once computed (see history).
	hist     []history.Entry
	histErr  error
	histDone bool
}

// fill computes every reporting page's input.
func (pc *pageContext) fill(in *site.Input) error {
	steps := []struct {
		name string
		run  func(*site.Input) error
	}{
		{"readiness", pc.readiness},
		{"access reviews", pc.reviews},
		{"attestation", pc.attestation},
		{"samples", pc.samples},
		{"findings", pc.findings},
		{"trends", pc.trends},
		{"evidence package", pc.pkg},
		{"search", pc.search},
	}
	for _, s := range steps {
		if err := s.run(in); err != nil {
			return fmt.Errorf("build %s page: %w", s.name, err)
		}
	}
	return nil
}

// RecordFiles is one human input as collected into a snapshot.
type RecordFiles struct {
	// Path is the evidence item's path, for links.
	Path string
	// Files are the matched files with their text; empty when none matched.
	Files []file.Record
	// Missing says why the input cannot be read from this snapshot (not
	// collected, collector error); empty when Files is what was on record.
	Missing string
}

// recordFiles reads the named human input (see catalog.RecordInputs) from a
// snapshot collected with cat.
func recordFiles(snap *evidence.Snapshot, cat *catalog.Catalog, name string) RecordFiles {
	for _, in := range cat.RecordInputs() {
		if in.Name != name {
			continue
		}
		p := evidence.ItemPath(catalog.RecordCollector, "", in.Params, snap.Manifest.Period.ID)
		out := RecordFiles{Path: p}
		if _, ok := snap.Manifest.Item(p); !ok {
			out.Missing = "this snapshot did not collect " + p
			return out
		}
		it, err := snap.Item(p)
		if err != nil {
			out.Missing = err.Error()
			return out
		}
		if ok, why := it.Usable(); !ok {
			out.Missing = why
			return out
		}
		var d file.Data
		if err := decodeData(it.Data, &d); err != nil {
			out.Missing = fmt.Sprintf("read %s: %v", p, err)
			return out
		}
		out.Files = d.Files
		return out
	}
	return RecordFiles{Missing: "the config declares no human input " + name}
}

// decodeData converts an item's generic data into a collector's type.
func decodeData(data any, v any) error {
	b, err := json.Marshal(data)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}
