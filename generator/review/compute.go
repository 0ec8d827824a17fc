package review

import (
	"fmt"
	"sort"
	"time"
)

// Input is one period's review as of one snapshot.
type Input struct {
	Period string
	// Population is the privileged access in the snapshot; Problem says why
	// it could not be read in full (then the review cannot be judged).
	Population []Grant
	Problem    string
	// PreviousPeriod is the period before, whose closing snapshot gave
	// Previous; PreviousProblem says why it is not available ("" with
	// PreviousPeriod "" means this is the first period on record).
	PreviousPeriod  string
	Previous        []Grant
	PreviousProblem string
	// File is this period's decisions file, nil when there is none;
	// PreviousFile the previous period's, whose revocations must be gone
	// by now too.
	File, PreviousFile *File
	// FilesMissing says why the decision files could not be read.
	FilesMissing string
	// AsOf is the snapshot's time.
	AsOf time.Time
}

// Row is one grant of the population with its decision.
type Row struct {
	Grant    Grant
	Decision *Decision
	Self     bool
}

// Open is a revoke decision whose access is still present in a snapshot
// taken after the decision: the review's loop is not closed.
type Open struct {
	Decision Decision
	Grant    Grant
	// Period is the period whose review decided it.
	Period string
}

// Review is the computed review.
type Review struct {
	Period  string
	Rows    []Row
	Changes []Change
	// Stale are decisions that name no pair of the population (the access
	// is gone, or the principal or access is misspelt).
	Stale []Decision
	// Pending are revoke decisions still present on the decision's own day.
	Pending []Open
	// Open are revocations not carried out, one per access, by its earliest
	// decision.
	Open []Open
	// Problems are the decision files' errors, file:line:col.
	Problems []string
	Decided  int
	Revoked  int
	Self     int
	// Complete is true when every pair of a fully read population has a
	// decision; CompletedOn is then the date of the last one.
	Complete    bool
	CompletedOn string
	// Unknown says why the review cannot be judged; empty when it can.
	Unknown string
}

// Compute matches the population with the decisions.
func Compute(in Input) Review {
	out := Review{Period: in.Period, Changes: []Change{}}
	pop := append([]Grant(nil), in.Population...)
	SortGrants(pop)
	byKey := map[string]Grant{}
	for _, g := range pop {
		byKey[g.Key()] = g
	}
	decisions := map[string]*Decision{}
	if in.File != nil {
		out.Problems = append(out.Problems, in.File.Problems...)
		for i := range in.File.Decisions {
			d := &in.File.Decisions[i]
			if prev, dup := decisions[d.key()]; dup {
				out.Problems = append(out.Problems, fmt.Sprintf("%s: a second decision for %s (%s); the first, at %s, counts", d.Pos, d.Principal, d.Access, prev.Pos))
				continue
			}
			decisions[d.key()] = d
			if _, ok := byKey[d.key()]; !ok {
				out.Stale = append(out.Stale, *d)
			}
		}
	}
	last := ""
	for _, g := range pop {
		r := Row{Grant: g, Decision: decisions[g.Key()]}
		if d := r.Decision; d != nil && d.Decided() {
			out.Decided++
			if d.Decision == Revoke {
				out.Revoked++
			}
			if d.SelfReview() {
				r.Self = true
				out.Self++
			}
			if d.Date > last {
				last = d.Date
			}
		}
		out.Rows = append(out.Rows, r)
	}
	if in.PreviousPeriod != "" && in.PreviousProblem == "" {
		out.Changes = Diff(in.Previous, pop)
	}
	// A revocation is carried out when the access is gone from a snapshot
	// taken after the decision's day; the previous quarter's decisions
	// are held to it too, since its closing snapshot may predate them.
	asOf := in.AsOf.UTC().Format("2006-01-02")
	counted := map[string]bool{}
	for _, f := range []*File{in.PreviousFile, in.File} {
		if f == nil {
			continue
		}
		for _, d := range f.Decisions {
			if d.Decision != Revoke || !d.Decided() {
				continue
			}
			g, present := byKey[d.key()]
			if !present {
				continue
			}
			if counted[d.key()] {
				continue // revoked again this quarter: one access, one open revocation
			}
			counted[d.key()] = true
			o := Open{Decision: d, Grant: g, Period: f.Period}
			if d.Date >= asOf {
				out.Pending = append(out.Pending, o)
			} else {
				out.Open = append(out.Open, o)
			}
		}
	}
	sort.SliceStable(out.Open, func(i, j int) bool { return out.Open[i].Decision.Date < out.Open[j].Decision.Date })
	switch {
	case in.Problem != "":
		out.Unknown = "the privileged population could not be read in full: " + in.Problem
	case in.FilesMissing != "":
		out.Unknown = "the decision files could not be read: " + in.FilesMissing
	case len(pop) == 0:
		out.Unknown = "the evidence shows no privileged access to review"
	case in.File == nil:
		out.Unknown = "no decisions file for " + in.Period + " is on record"
	}
	if out.Unknown == "" && out.Decided == len(pop) {
		out.Complete, out.CompletedOn = true, last
	}
	return out
}
