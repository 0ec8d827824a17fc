package evidence

import (
	"encoding/json"
	"fmt"
	"time"
)

// ManifestSchema identifies the manifest format.
const ManifestSchema = "evident.manifest/v1"

// Manifest is the record of one run: what ran, with which config, for which
// period, every evidence file in the snapshot with its digest, and the digest
// of the previous manifest, which chains the whole history.
type Manifest struct {
	Schema   string    `json:"schema"`
	RunID    string    `json:"run_id"`
	Sequence int       `json:"sequence"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	Tool     Tool      `json:"tool"`
	Config   FileRef   `json:"config"`
	// Trust are the public keys the config declared trusted for this
	// evidence (integrity: in controls.yaml), copied beside it so the site
	// can publish what an auditor verifies with. Verification itself takes
	// its trust from the config repository, never from here.
	Trust  []FileRef      `json:"trust,omitempty"`
	Period ManifestPeriod `json:"period"`
	Items  []ManifestItem `json:"items"`
	// Previous is the sha256 of the previous snapshot's manifest.json bytes;
	// empty only for the first snapshot.
	Previous string `json:"previous"`
}

// Tool names the program that wrote the snapshot.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// FileRef is a file in the snapshot with its digest.
type FileRef struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// ManifestPeriod is the audit period a run collected.
type ManifestPeriod struct {
	ID    string    `json:"id"`
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// ManifestItem is one evidence file in the snapshot.
type ManifestItem struct {
	FileRef
	Collector string `json:"collector"`
	Source    string `json:"source,omitempty"`
	Period    string `json:"period"`
	Complete  bool   `json:"complete"`
	// Run is the id of the run that last collected the file. Items of
	// earlier periods stay in the tree, unchanged, so nothing is ever
	// deleted; check uses only items this run collected.
	Run string `json:"run"`
	// Cost is what collecting the item cost in that run (API requests,
	// answers served from the ETag cache, rate budget left): it varies
	// while the item does not, so it lives here rather than in the item.
	Cost map[string]int `json:"cost,omitempty"`
}

// Files lists every file the manifest vouches for, besides itself: the
// config, the trust files and the evidence items.
func (m *Manifest) Files() []FileRef {
	out := append([]FileRef{m.Config}, m.Trust...)
	for _, it := range m.Items {
		out = append(out, it.FileRef)
	}
	return out
}

// Item returns the manifest entry for path.
func (m *Manifest) Item(path string) (ManifestItem, bool) {
	for _, it := range m.Items {
		if it.Path == path {
			return it, true
		}
	}
	return ManifestItem{}, false
}

// ParseManifest decodes manifest.json.
func ParseManifest(b []byte) (*Manifest, error) {
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("parse manifest: %w", err)
	}
	if m.Schema != ManifestSchema {
		return nil, fmt.Errorf("parse manifest: schema %q, want %q", m.Schema, ManifestSchema)
	}
	return &m, nil
}
