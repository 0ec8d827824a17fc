package history

import (
	"encoding/json"
	"fmt"
	"path"
	"sort"

	"github.com/evident-project/evident/generator/evidence"
)

// Doc is one decoded evidence item, as the describers and figures read it.
type Doc struct {
	Path      string
	Collector string
	Period    string
	Complete  bool
	// Error is the collector's error message; empty when it succeeded.
	Error   string
	Records map[string]int
	// Data is the item's generic JSON, numbers as json.Number.
	Data any
}

// Decode parses an item file.
func Decode(p string, b []byte) (*Doc, error) {
	it, err := evidence.ParseItem(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	d := &Doc{Path: p, Collector: it.Collector, Period: it.Period, Complete: it.Provenance.Complete, Records: it.Provenance.Records, Data: it.Data}
	if it.Provenance.Error != nil {
		d.Error = it.Provenance.Error.Message
		if d.Error == "" {
			d.Error = "the collector failed"
		}
	}
	return d, nil
}

// usable mirrors evidence.Item.Usable: only complete, error-free evidence
// supports a figure.
func (d *Doc) usable() (bool, string) {
	if d.Error != "" {
		return false, d.Error
	}
	if !d.Complete {
		return false, "evidence is incomplete (provenance.complete is false)"
	}
	return true, ""
}

// PathPair is one item to describe: New in the newer snapshot compared with
// Old in the older one (empty when there is nothing to compare with).
type PathPair struct{ Old, New string }

// Pairs lists the items whose changes the newer snapshot's controls need
// described: those whose bytes changed, those first collected and, when the
// period turned, the new period's file against the previous period's file
// of the same evidence (so a setting changed at the turn of a quarter is
// still seen). older is nil for the first snapshot, which has no changes.
func Pairs(oldM, newM *evidence.Manifest, older, newer *Summary) []PathPair {
	if older == nil || oldM == nil {
		return nil
	}
	oldItems := manifestIndex(oldM)
	newItems := manifestIndex(newM)
	// The previous snapshot's paths by folder, for the period turn.
	byDir := map[string][]string{}
	for _, p := range older.usedPaths() {
		byDir[path.Dir(p)] = append(byDir[path.Dir(p)], p)
	}
	var out []PathPair
	for _, p := range newer.usedPaths() {
		ni, ok := newItems[p]
		if !ok {
			// Not in the snapshot: check already made the control unknown
			// and says why; there is nothing to describe.
			continue
		}
		if oi, ok := oldItems[p]; ok {
			if oi.SHA256 != ni.SHA256 {
				out = append(out, PathPair{Old: p, New: p})
			}
			continue
		}
		old := ""
		for _, q := range byDir[path.Dir(p)] {
			if _, ok := oldItems[q]; ok && q != p {
				old = q
				break
			}
		}
		out = append(out, PathPair{Old: old, New: p})
	}
	return out
}

func manifestIndex(m *evidence.Manifest) map[string]evidence.ManifestItem {
	out := make(map[string]evidence.ManifestItem, len(m.Items))
	for _, it := range m.Items {
		out[it.Path] = it
	}
	return out
}

// Figures are what the charts count in one item. Only the fields of its
// collector are set.
type Figures struct {
	Collector string `json:"collector"`
	Usable    bool   `json:"usable"`
	Why       string `json:"why,omitempty"`
	// git.commits: commits on the protected branch in the period so far,
	// those carrying a signature, and those whose signature verified.
	Commits  int `json:"commits,omitempty"`
	Signed   int `json:"signed,omitempty"`
	Verified int `json:"verified,omitempty"`
	// github.pulls: merged changes, those authored by bots (which CM-02
	// does not require two approvals of), and human changes with two or
	// more approvals.
	Changes      int `json:"changes,omitempty"`
	BotChanges   int `json:"bot_changes,omitempty"`
	TwoApprovals int `json:"two_approvals,omitempty"`
}

// figureCollectors are the collectors the charts count.
var figureCollectors = map[string]bool{"git.commits": true, "github.pulls": true}

// FigurePlan says which of the newer snapshot's items the charts count,
// which figures can be taken over from the older summary (same bytes, same
// figures) and which must be computed from the decoded item.
func FigurePlan(oldM, newM *evidence.Manifest, older *Summary) (reuse map[string]Figures, compute []string) {
	reuse = map[string]Figures{}
	var oldItems map[string]evidence.ManifestItem
	if oldM != nil {
		oldItems = manifestIndex(oldM)
	}
	for _, it := range newM.Items {
		// Items of earlier periods stay in the tree unchanged; only what
		// this run collected for its period describes the snapshot.
		if !figureCollectors[it.Collector] || it.Period != newM.Period.ID || it.Run != newM.RunID {
			continue
		}
		if older != nil {
			if oi, ok := oldItems[it.Path]; ok && oi.SHA256 == it.SHA256 {
				if f, ok := older.Figures[it.Path]; ok {
					reuse[it.Path] = f
					continue
				}
			}
		}
		compute = append(compute, it.Path)
	}
	sort.Strings(compute)
	return reuse, compute
}

// FiguresOf counts one item's figures; ok is false for a collector the
// charts do not count.
func FiguresOf(d *Doc) (Figures, bool) {
	if !figureCollectors[d.Collector] {
		return Figures{}, false
	}
	f := Figures{Collector: d.Collector}
	f.Usable, f.Why = d.usable()
	if !f.Usable {
		return f, true
	}
	data := obj(d.Data)
	switch d.Collector {
	case "git.commits":
		// The collector's own summary, which CM-01 asserts on too, so the
		// chart and the control count the same commits.
		sum := obj(data["summary"])
		f.Commits, f.Signed, f.Verified = int(num(sum, "commits")), int(num(sum, "signed")), int(num(sum, "verified"))
	case "github.pulls":
		for _, c := range arr(data["changes"]) {
			c := obj(c)
			f.Changes++
			if boolean(c, "bot") {
				f.BotChanges++
				continue
			}
			if num(c, "approvals") >= 2 {
				f.TwoApprovals++
			}
		}
	}
	return f, true
}

// Accessors over generic JSON: a missing or mistyped value reads as zero,
// because the describers only ever compare like with like.
func obj(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func arr(v any) []any {
	a, _ := v.([]any)
	return a
}

func str(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

func boolean(m map[string]any, k string) bool {
	b, _ := m[k].(bool)
	return b
}

func num(m map[string]any, k string) float64 {
	f, _ := number(m[k])
	return f
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	case float64:
		return n, true
	case int:
		return float64(n), true
	}
	return 0, false
}

func strs(v any) []string {
	var out []string
	for _, e := range arr(v) {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}
