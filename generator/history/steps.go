package history

import (
	"fmt"
	"sort"

	"github.com/evident-project/evident/generator/check"
)

// ChangeKind says what a change is about.
type ChangeKind string

// Change kinds, in the order a step lists them.
const (
	KindControl   ChangeKind = "control"
	KindOutcome   ChangeKind = "outcome"
	KindAssertion ChangeKind = "assertion"
	KindEvidence  ChangeKind = "evidence"
)

// Change is one thing that changed for a control between two snapshots.
type Change struct {
	Kind ChangeKind `json:"kind"`
	Text string     `json:"text"`
	// Path is the evidence item the change was read from (in the newer
	// snapshot); OldPath the item it was compared with, when different.
	Path    string `json:"path,omitempty"`
	OldPath string `json:"old_path,omitempty"`
}

// Step is what changed for one control from one snapshot to the next.
type Step struct {
	Control string `json:"control"`
	// From is nil for the first snapshot.
	From *Snap `json:"from,omitempty"`
	To   Snap  `json:"to"`
	// Was and Outcome are the control's outcome in From and To; empty
	// where it was not declared or the snapshot could not be re-checked.
	Was     check.Outcome `json:"was,omitempty"`
	Outcome check.Outcome `json:"outcome,omitempty"`
	Changes []Change      `json:"changes"`
}

// OutcomeChanged is true when the control's outcome differs from the
// previous snapshot's.
func (s Step) OutcomeChanged() bool { return s.From != nil && s.Was != s.Outcome }

// Notable is true when the step changed a conclusion (the control's or an
// assertion's outcome, or the control itself) rather than only evidence.
func (s Step) Notable() bool {
	for _, c := range s.Changes {
		if c.Kind != KindEvidence {
			return true
		}
	}
	return false
}

// Paths are the evidence items the step's changes were read from.
func (s Step) Paths() []string {
	seen := map[string]bool{}
	var out []string
	for _, c := range s.Changes {
		for _, p := range []string{c.OldPath, c.Path} {
			if p != "" && !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	sort.Strings(out)
	return out
}

var outcomeWords = map[check.Outcome]string{
	check.Pass: "pass", check.Fail: "fail", check.Unknown: "unknown", check.NotApplicable: "not applicable", check.Excepted: "excepted",
}

func outcomeText(o check.Outcome) string {
	if w, ok := outcomeWords[o]; ok {
		return w
	}
	return string(o)
}

// Steps compares the newer entry's snapshot with the older summary (nil for
// the first snapshot) and returns one step per control that changed, in
// the newer config's order, then the controls it no longer declares.
func Steps(older *Summary, e *Entry) []Step {
	newer := &e.Summary
	var out []Step
	if newer.Error != "" {
		if older == nil {
			return nil
		}
		for _, oc := range older.Controls {
			out = append(out, Step{Control: oc.ID, From: &older.Snap, To: newer.Snap, Was: oc.Outcome, Changes: []Change{{
				Kind: KindControl, Text: "this snapshot could not be re-checked with its own config, so no outcome is shown for it: " + newer.Error,
			}}})
		}
		return out
	}
	for _, nc := range newer.Controls {
		st := Step{Control: nc.ID, To: newer.Snap, Outcome: nc.Outcome}
		if older == nil {
			st.Changes = []Change{{Kind: KindOutcome, Text: "first recorded outcome: " + outcomeText(nc.Outcome) + reasonText(nc.Outcome, nc.Reason)}}
			out = append(out, st)
			continue
		}
		st.From = &older.Snap
		oc := older.Control(nc.ID)
		switch {
		case oc == nil && older.Error != "":
			st.Changes = append(st.Changes, Change{Kind: KindControl, Text: "re-checked again after a snapshot that could not be: outcome " + outcomeText(nc.Outcome) + reasonText(nc.Outcome, nc.Reason)})
		case oc == nil:
			st.Changes = append(st.Changes, Change{Kind: KindControl, Text: "control added to the config; first outcome " + outcomeText(nc.Outcome) + reasonText(nc.Outcome, nc.Reason)})
		default:
			st.Was = oc.Outcome
			if oc.Outcome != nc.Outcome {
				st.Changes = append(st.Changes, Change{Kind: KindOutcome, Text: fmt.Sprintf("outcome %s → %s%s", outcomeText(oc.Outcome), outcomeText(nc.Outcome), reasonText(nc.Outcome, nc.Reason))})
			}
			st.Changes = append(st.Changes, assertionChanges(oc.Assertions, nc.Assertions)...)
		}
		st.Changes = append(st.Changes, evidenceChanges(oc, &nc, e.Items)...)
		if len(st.Changes) > 0 {
			out = append(out, st)
		}
	}
	if older != nil {
		for _, oc := range older.Controls {
			if newer.Control(oc.ID) == nil {
				out = append(out, Step{Control: oc.ID, From: &older.Snap, To: newer.Snap, Was: oc.Outcome, Changes: []Change{{
					Kind: KindControl, Text: "control removed from the config",
				}}})
			}
		}
	}
	return out
}

func reasonText(o check.Outcome, reason string) string {
	if reason == "" || o == check.Pass {
		return ""
	}
	return " (" + reason + ")"
}

func assertionChanges(old, new []AssertionState) []Change {
	var out []Change
	olds := map[string]AssertionState{}
	for _, a := range old {
		olds[a.Name] = a
	}
	news := map[string]bool{}
	for _, a := range new {
		news[a.Name] = true
		o, ok := olds[a.Name]
		if !ok {
			out = append(out, Change{Kind: KindAssertion, Text: fmt.Sprintf("assertion %s added to the config; first outcome %s%s", a.Name, outcomeText(a.Outcome), assertionDetail(a))})
			continue
		}
		if o.Expr != a.Expr {
			out = append(out, Change{Kind: KindAssertion, Text: fmt.Sprintf("expression of assertion %s changed in the config", a.Name)})
		}
		switch {
		case o.Outcome != a.Outcome:
			out = append(out, Change{Kind: KindAssertion, Text: fmt.Sprintf("assertion %s: %s → %s%s", a.Name, outcomeText(o.Outcome), outcomeText(a.Outcome), assertionDetail(a))})
		case o.Failures != a.Failures && (a.Outcome == check.Fail || a.Outcome == check.Excepted):
			out = append(out, Change{Kind: KindAssertion, Text: fmt.Sprintf("assertion %s still %s: offending records %d → %d", a.Name, outcomeText(a.Outcome), o.Failures, a.Failures)})
		}
	}
	for _, o := range old {
		if !news[o.Name] {
			out = append(out, Change{Kind: KindAssertion, Text: fmt.Sprintf("assertion %s removed from the config (it was %s)", o.Name, outcomeText(o.Outcome))})
		}
	}
	return out
}

func assertionDetail(a AssertionState) string {
	switch a.Outcome {
	case check.Fail, check.Excepted:
		s := " — " + a.Message
		if a.Failures > 0 {
			s += fmt.Sprintf(" (%d offending records)", a.Failures)
		}
		return s
	case check.Unknown, check.NotApplicable:
		if a.Reason != "" {
			return " (" + a.Reason + ")"
		}
	}
	return ""
}

// evidenceChanges lists the described changes of the items nc was checked
// against, and the items it is no longer or newly checked against. oc is
// nil when there is nothing to compare with.
func evidenceChanges(oc, nc *ControlState, items map[string]ItemChange) []Change {
	var out []Change
	replaced := map[string]bool{}
	for _, p := range nc.Paths {
		if ic, ok := items[p]; ok {
			replaced[ic.OldPath] = true
			for _, t := range ic.Texts {
				out = append(out, Change{Kind: KindEvidence, Text: t, Path: p, OldPath: otherPath(ic.OldPath, p)})
			}
		}
	}
	if oc == nil {
		return out
	}
	olds := map[string]bool{}
	for _, p := range oc.Paths {
		olds[p] = true
	}
	for _, p := range nc.Paths {
		if _, described := items[p]; !described && !olds[p] {
			out = append(out, Change{Kind: KindEvidence, Text: "now also checked against " + p, Path: p})
		}
	}
	news := map[string]bool{}
	for _, p := range nc.Paths {
		news[p] = true
	}
	for _, p := range oc.Paths {
		if !news[p] && !replaced[p] {
			out = append(out, Change{Kind: KindEvidence, Text: "no longer checked against " + p, OldPath: p})
		}
	}
	return out
}

func otherPath(old, new string) string {
	if old == new {
		return ""
	}
	return old
}

// Timelines derives every control's steps from the entries (oldest first),
// each control's steps newest first.
func Timelines(entries []Entry) map[string][]Step {
	out := map[string][]Step{}
	for i := range entries {
		var older *Summary
		if i > 0 {
			older = &entries[i-1].Summary
		}
		for _, st := range Steps(older, &entries[i]) {
			out[st.Control] = append(out[st.Control], st)
		}
	}
	for id, steps := range out {
		for i, j := 0, len(steps)-1; i < j; i, j = i+1, j-1 {
			steps[i], steps[j] = steps[j], steps[i]
		}
		out[id] = steps
	}
	return out
}
