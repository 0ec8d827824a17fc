package history

import (
	"fmt"
	"sort"

	"github.com/evident-project/evident/generator/check"
)

// Ratio is "N of D". It is unknown (Known false, Why set) when the evidence
// cannot give it: a share of nothing is not 100%, and a share over part of
// the population would mislead.
type Ratio struct {
	N     int    `json:"n"`
	D     int    `json:"d"`
	Known bool   `json:"known"`
	Why   string `json:"why,omitempty"`
}

// Percent is 100·N/D; 0 when unknown.
func (r Ratio) Percent() float64 {
	if !r.Known || r.D == 0 {
		return 0
	}
	return 100 * float64(r.N) / float64(r.D)
}

func (r Ratio) String() string {
	if !r.Known {
		return "unknown (" + r.Why + ")"
	}
	return fmt.Sprintf("%.1f%% (%d of %d)", r.Percent(), r.N, r.D)
}

func ratio(n, d int, empty string) Ratio {
	if d == 0 {
		return Ratio{Why: empty}
	}
	return Ratio{N: n, D: d, Known: true}
}

// Point is one snapshot's figures for the trend charts.
type Point struct {
	Snap
	// Checked is false when the snapshot could not be re-checked; Why says why.
	Checked bool                  `json:"checked"`
	Why     string                `json:"why,omitempty"`
	Counts  map[check.Outcome]int `json:"counts,omitempty"`
	// PassRate is the share of the controls that apply (all but not
	// applicable) that pass; excepted is not pass. KeyPassRate is the same
	// over key controls.
	PassRate    Ratio `json:"pass_rate"`
	KeyPassRate Ratio `json:"key_pass_rate"`
	// Signed and Verified are the shares of the period's commits so far on
	// the protected branches carrying a signature, and one that verified
	// against a trusted key.
	Signed   Ratio `json:"signed"`
	Verified Ratio `json:"verified"`
	// TwoApprovals is the share of the period's human-authored merged
	// changes so far with two or more approvals (bot changes are left out,
	// as CM-02 leaves them out).
	TwoApprovals Ratio `json:"two_approvals"`
}

// PointOf computes one snapshot's figures from its summary.
func PointOf(s *Summary) Point {
	p := Point{Snap: s.Snap, Checked: s.Error == "", Why: s.Error}
	if p.Checked {
		p.Counts = map[check.Outcome]int{}
		var pass, applies, keyPass, keyApplies int
		for _, c := range s.Controls {
			p.Counts[c.Outcome]++
			if c.Outcome == check.NotApplicable {
				continue
			}
			applies++
			if c.Key {
				keyApplies++
			}
			if c.Outcome == check.Pass {
				pass++
				if c.Key {
					keyPass++
				}
			}
		}
		p.PassRate = ratio(pass, applies, "no control applies")
		p.KeyPassRate = ratio(keyPass, keyApplies, "no key control applies")
	} else {
		p.PassRate = Ratio{Why: "the snapshot could not be re-checked: " + s.Error}
		p.KeyPassRate = p.PassRate
	}

	var commits, signed, verified, changes, two int
	var commitItems, pullItems int
	commitWhy, pullWhy := "", ""
	paths := make([]string, 0, len(s.Figures))
	for path := range s.Figures {
		paths = append(paths, path)
	}
	sort.Strings(paths)
	for _, path := range paths {
		f := s.Figures[path]
		switch f.Collector {
		case "git.commits":
			commitItems++
			if !f.Usable && commitWhy == "" {
				commitWhy = path + ": " + f.Why
			}
			commits, signed, verified = commits+f.Commits, signed+f.Signed, verified+f.Verified
		case "github.pulls":
			pullItems++
			if !f.Usable && pullWhy == "" {
				pullWhy = path + ": " + f.Why
			}
			changes, two = changes+f.Changes-f.BotChanges, two+f.TwoApprovals
		}
	}
	switch {
	case commitItems == 0:
		p.Signed = Ratio{Why: "no git.commits evidence was collected in this snapshot"}
		p.Verified = p.Signed
	case commitWhy != "":
		p.Signed = Ratio{Why: commitWhy}
		p.Verified = p.Signed
	default:
		p.Signed = ratio(signed, commits, "no commits in the period yet")
		p.Verified = ratio(verified, commits, "no commits in the period yet")
	}
	switch {
	case pullItems == 0:
		p.TwoApprovals = Ratio{Why: "no github.pulls evidence was collected in this snapshot"}
	case pullWhy != "":
		p.TwoApprovals = Ratio{Why: pullWhy}
	default:
		p.TwoApprovals = ratio(two, changes, "no human-authored change merged in the period yet")
	}
	return p
}

// Points computes every entry's figures, oldest first.
func Points(entries []Entry) []Point {
	out := make([]Point, len(entries))
	for i := range entries {
		out[i] = PointOf(&entries[i].Summary)
	}
	return out
}
