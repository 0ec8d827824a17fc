package pipeline

import (
	"fmt"
	"strings"

	"github.com/evident-project/evident/generator/check"
	"github.com/evident-project/evident/generator/evidence"
	"github.com/evident-project/evident/generator/review"
	"github.com/evident-project/evident/generator/site"
)

// ReviewPopulation is the privileged access in one snapshot's period, as
// the access review covers it.
type ReviewPopulation struct {
	Grants []review.Grant
	// Platform counts built-in Kubernetes identities left out (see
	// review.FromKube).
	Platform int
	// Evidence are the items read.
	Evidence []string
	// Problem says why the population is not whole: an item unusable or
	// no access evidence at all.
	Problem string
}

// reviewPopulation reads the privileged population from a snapshot's
// github.access and kube.rbac items of its own period.
func reviewPopulation(snap *evidence.Snapshot) ReviewPopulation {
	m := snap.Manifest
	out := ReviewPopulation{Grants: []review.Grant{}, Evidence: []string{}}
	var problems []string
	seen := map[string]bool{}
	for _, it := range m.Items {
		if it.Period != m.Period.ID || (it.Collector != "github.access" && it.Collector != "kube.rbac") {
			continue
		}
		out.Evidence = append(out.Evidence, it.Path)
		item, err := snap.Item(it.Path)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		if ok, why := item.Usable(); !ok {
			problems = append(problems, it.Path+": "+why)
			continue
		}
		var gs []review.Grant
		if it.Collector == "github.access" {
			gs, err = review.FromGitHub(it.Path, item.Data)
		} else {
			var platform []string
			gs, platform, err = review.FromKube(it.Path, item.Data)
			for _, p := range platform {
				if !seen["platform\x00"+p] {
					seen["platform\x00"+p] = true
					out.Platform++
				}
			}
		}
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		// Several items may read the same source (kube.rbac with different
		// access questions): a grant counts once, from the first item.
		for _, g := range gs {
			if !seen[g.Key()] {
				seen[g.Key()] = true
				out.Grants = append(out.Grants, g)
			}
		}
	}
	if len(out.Evidence) == 0 {
		problems = append(problems, "the snapshot holds no github.access or kube.rbac evidence for "+m.Period.ID)
	}
	out.Problem = strings.Join(problems, "; ")
	return out
}

// previousClosing is the closing snapshot of the period before snap's, nil
// when snap's period is the first on record.
func previousClosing(store *evidence.Store, snap *evidence.Snapshot) (*evidence.Snapshot, error) {
	for h := snap.Parent; !h.IsZero(); {
		s, err := store.Snapshot(h)
		if err != nil {
			return nil, fmt.Errorf("read history: %w", err)
		}
		if s.Manifest.Period.ID != snap.Manifest.Period.ID {
			return s, nil
		}
		h = s.Parent
	}
	return nil, nil
}

// reviews matches the period's privileged population with the reviewers'
// decisions collected into the snapshot, compares it with the previous
// period's closing snapshot, and turns revocations still in place into
// failures of the control the review evidences (access_reviews.control).
func (pc *pageContext) reviews(in *site.Input) error {
	m := pc.Snapshot.Manifest
	pop := reviewPopulation(pc.Snapshot)
	rin := review.Input{Period: m.Period.ID, Population: pop.Grants, Problem: pop.Problem, AsOf: m.Finished}
	out := site.ReviewsInput{Population: pop.Evidence, Platform: pop.Platform, Control: pc.Catalog.AccessReviews.Control}

	prev, err := previousClosing(pc.Store, pc.Snapshot)
	if err != nil {
		return err
	}
	if prev != nil {
		rin.PreviousPeriod, out.PreviousCommit = prev.Manifest.Period.ID, prev.Commit.String()
		pp := reviewPopulation(prev)
		rin.Previous, rin.PreviousProblem = pp.Grants, pp.Problem
	}

	rf := recordFiles(pc.Snapshot, pc.Catalog, "access_reviews")
	out.Decisions = rf.Path
	out.FileName = strings.Replace(pc.Catalog.AccessReviews.DecisionsGlob(), "*", m.Period.ID, 1)
	rin.FilesMissing = rf.Missing
	for _, f := range rf.Files {
		pf := review.Parse(f.Path, []byte(f.Text))
		switch pf.Period {
		case m.Period.ID:
			if rin.File != nil {
				out.Duplicate = append(out.Duplicate, f.Path)
				continue
			}
			rin.File, out.FileName = pf, f.Path
		case rin.PreviousPeriod:
			rin.PreviousFile = pf
		}
	}
	r := review.Compute(rin)
	out.Review = r
	out.PreviousPeriod, out.PreviousProblem = rin.PreviousPeriod, rin.PreviousProblem
	ev := append(append([]string(nil), pop.Evidence...), rf.Path)
	out.Summary = site.ReviewSummary{
		Period: m.Period.ID, Population: len(r.Rows), Decided: r.Decided, Revoked: r.Revoked,
		OpenRevocations: len(r.Open), SelfReviews: r.Self, Complete: r.Complete, CompletedOn: r.CompletedOn,
		Unknown: r.Unknown, Evidence: ev,
	}
	if c := pc.Catalog.AccessReviews.Control; c != "" && len(r.Open) > 0 {
		var failures []string
		for _, o := range r.Open {
			failures = append(failures, fmt.Sprintf("%s: %s, revoked by %s on %s (%s review), still present on %s",
				o.Grant.Principal, o.Grant.Access(), o.Decision.Reviewer, o.Decision.Date, o.Period, m.Finished.UTC().Format("2006-01-02")))
		}
		out.Added = append(out.Added, check.AssertionResult{
			Name:     "revocations-carried-out",
			Expr:     "every revoke decision of the access review is absent from the snapshots after its date (computed by evident from " + rf.Path + ")",
			Severity: "high", Outcome: check.Fail, Failures: failures, Evidence: ev,
			Message: "Access the reviewers decided to revoke is still in place after the decision.",
		})
	}
	in.Reviews = out
	return nil
}
