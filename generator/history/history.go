// Package history says, in words, what changed for each control between
// consecutive evidence snapshots, and computes the series the trend charts
// draw. It is pure: the pipeline reads the snapshots and passes them in.
//
// The work is split so that everything expensive is a function of one
// snapshot pair and can be cached by the pipeline under the two commits: an
// Entry (the newer snapshot's Summary and the described changes of the
// evidence items that differ from the older one). Steps, timelines and
// points are then cheap to derive from the entries on every build.
package history

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"time"

	"github.com/evident-project/evident/generator/check"
	"github.com/evident-project/evident/generator/evidence"
)

// Schema versions what an Entry holds and how it is computed. Bump it when
// a describer, a figure or a Summary field changes, so cached entries made
// by an older build are recomputed rather than shown.
const Schema = "evident.history/v1"

// Snap identifies one snapshot.
type Snap struct {
	Commit   string    `json:"commit"`
	Sequence int       `json:"sequence"`
	Period   string    `json:"period"`
	Finished time.Time `json:"finished"`
	// Config is the sha256 of the config the snapshot ran with.
	Config string `json:"config"`
}

// SnapOf identifies the snapshot a manifest describes.
func SnapOf(commit string, m *evidence.Manifest) Snap {
	return Snap{Commit: commit, Sequence: m.Sequence, Period: m.Period.ID, Finished: m.Finished, Config: m.Config.SHA256}
}

// Summary is what history keeps of one snapshot: enough to compare it with
// the next one without reading it again.
type Summary struct {
	Snap
	// Error says why the snapshot could not be re-checked with its own
	// config; Controls is then empty and no outcome is claimed for it.
	Error    string         `json:"error,omitempty"`
	Controls []ControlState `json:"controls"`
	// Figures are the chart figures of this run's items, by path.
	Figures map[string]Figures `json:"figures,omitempty"`
}

// ControlState is one control's result in a snapshot.
type ControlState struct {
	ID         string           `json:"id"`
	Title      string           `json:"title"`
	Key        bool             `json:"key,omitempty"`
	Outcome    check.Outcome    `json:"outcome"`
	Reason     string           `json:"reason,omitempty"`
	Assertions []AssertionState `json:"assertions,omitempty"`
	// Paths are the evidence items the control was checked against.
	Paths []string `json:"paths,omitempty"`
}

// AssertionState is one assertion's result in a snapshot.
type AssertionState struct {
	Name    string        `json:"name"`
	Outcome check.Outcome `json:"outcome"`
	// Expr is a digest of the expression, so a changed expression is
	// noticed without keeping its text in every snapshot.
	Expr     string `json:"expr"`
	Message  string `json:"message,omitempty"`
	Reason   string `json:"reason,omitempty"`
	Failures int    `json:"failures,omitempty"`
}

// Summarize keeps what history needs of a snapshot's report. rep is nil
// when the snapshot could not be re-checked; checkErr then says why.
func Summarize(s Snap, rep *check.Report, checkErr error, figures map[string]Figures) Summary {
	out := Summary{Snap: s, Figures: figures}
	if rep == nil {
		out.Error = "the snapshot could not be re-checked"
		if checkErr != nil {
			out.Error = checkErr.Error()
		}
		return out
	}
	for _, c := range rep.Controls {
		cs := ControlState{ID: c.ID, Title: c.Title, Key: c.Key, Outcome: c.Outcome, Reason: c.Reason}
		for _, a := range c.Assertions {
			sum := sha256.Sum256([]byte(a.Expr))
			cs.Assertions = append(cs.Assertions, AssertionState{
				Name: a.Name, Outcome: a.Outcome, Expr: hex.EncodeToString(sum[:8]),
				Message: a.Message, Reason: a.Reason, Failures: len(a.Failures),
			})
		}
		seen := map[string]bool{}
		for _, e := range c.Evidence {
			for _, p := range e.Paths {
				if !seen[p] {
					seen[p] = true
					cs.Paths = append(cs.Paths, p)
				}
			}
		}
		sort.Strings(cs.Paths)
		out.Controls = append(out.Controls, cs)
	}
	return out
}

// Control returns the named control's state, or nil.
func (s *Summary) Control(id string) *ControlState {
	for i := range s.Controls {
		if s.Controls[i].ID == id {
			return &s.Controls[i]
		}
	}
	return nil
}

// usedPaths is every evidence path some control was checked against.
func (s *Summary) usedPaths() []string {
	seen := map[string]bool{}
	var out []string
	for _, c := range s.Controls {
		for _, p := range c.Paths {
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	sort.Strings(out)
	return out
}

// Entry is the cacheable result for one snapshot pair: the newer snapshot's
// summary and what changed in the evidence items it was checked against.
type Entry struct {
	// Older is the commit compared with; empty for the first snapshot.
	Older   string  `json:"older,omitempty"`
	Summary Summary `json:"summary"`
	// Items are the described changes, by the newer item's path.
	Items map[string]ItemChange `json:"items,omitempty"`
}

// ItemChange is what changed in one evidence item between two snapshots.
type ItemChange struct {
	// OldPath is the item compared with: the same path, the previous
	// period's file when the period turned, or empty when the item is new.
	OldPath string `json:"old_path,omitempty"`
	// Texts are the changes in words, most important first.
	Texts []string `json:"texts"`
}
