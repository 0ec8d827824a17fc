package pipeline

import (
	"fmt"
	"slices"

	"github.com/evident-project/evident/generator/attest"
	"github.com/evident-project/evident/generator/collect/github"
	"github.com/evident-project/evident/generator/collect/gitrepo"
	"github.com/evident-project/evident/generator/evidence"
	"github.com/evident-project/evident/generator/site"
)

// attestation computes the CFO and CIO letter drafts from the snapshot's
// items, its report, the access-review summary (filled by the reviews page
// before this one) and the history's verification.
func (pc *pageContext) attestation(in *site.Input) error {
	m := pc.Snapshot.Manifest
	ai := attest.Input{
		Period: m.Period.ID, PeriodEnd: m.Period.End, AsOf: m.Finished,
		Catalog: pc.Catalog, Report: pc.Report,
		Pulls:     declaredSources[github.PullsData](pc, "github.pulls"),
		Commits:   declaredSources[gitrepo.Data](pc, "git.commits"),
		AuditLogs: declaredSources[attest.AuditLogData](pc, "github.audit_log"),
		// SecretAccess stays empty: no collector of this build reads an
		// audit log of secret access (github.audit_log records repository
		// events; kube.* read RBAC, not the API-server audit log), so the
		// letters print that line as an exception until one does.
		AccessReview: accessReviewOf(in.Reviews.Summary),
		Integrity:    pc.integrity(),
	}
	in.Attestation = site.AttestationInput{Attestation: attest.Compute(ai)}
	return nil
}

// declaredSources reads the items the config's evidence declarations of
// collector expect in this snapshot — the same paths the controls read —
// so a source whose item is missing is a problem, not silently absent from
// the count. Nil when no control declares the collector.
func declaredSources[T any](pc *pageContext, collector string) []attest.Source[T] {
	var kind string
	if pc.Registry != nil {
		kind, _, _ = pc.Registry.Known(collector)
	}
	var paths []string
	declared := false
	for _, c := range pc.Catalog.Controls {
		for _, ev := range c.Evidence {
			if ev.Collector != collector {
				continue
			}
			declared = true
			srcs, _ := ev.Resolve(pc.Catalog, kind)
			for _, src := range srcs {
				p := evidence.ItemPath(collector, src, ev.Params, pc.Snapshot.Manifest.Period.ID)
				if !slices.Contains(paths, p) {
					paths = append(paths, p)
				}
			}
		}
	}
	if !declared {
		return nil
	}
	if len(paths) == 0 {
		return []attest.Source[T]{{Problem: fmt.Sprintf("no %s source is declared in controls.yaml", kind)}}
	}
	slices.Sort(paths)
	out := make([]attest.Source[T], 0, len(paths))
	for _, p := range paths {
		s := attest.Source[T]{Path: p}
		it, problem := pc.usableItem(p)
		if problem == "" {
			var d T
			if err := decodeData(it.Data, &d); err != nil {
				problem = fmt.Sprintf("read %s: %v", p, err)
			} else {
				s.Data = &d
			}
		}
		s.Problem = problem
		out = append(out, s)
	}
	return out
}

// usableItem reads an item of this run, or says why it cannot support a
// figure, in the words check uses for the same evidence.
func (pc *pageContext) usableItem(p string) (*evidence.Item, string) {
	m := pc.Snapshot.Manifest
	mi, ok := m.Item(p)
	switch {
	case !ok:
		return nil, "evidence " + p + " is not in this snapshot"
	case mi.Run != m.RunID:
		return nil, "evidence " + p + " was not collected by this run (last collected by " + mi.Run + ")"
	}
	it, err := pc.Snapshot.Item(p)
	if err != nil {
		return nil, err.Error()
	}
	if ok, why := it.Usable(); !ok {
		return nil, why
	}
	return it, ""
}

func accessReviewOf(s site.ReviewSummary) attest.AccessReview {
	return attest.AccessReview{
		Period: s.Period, Population: s.Population, Decided: s.Decided, Revoked: s.Revoked, OpenRevocations: s.OpenRevocations,
		SelfReviews: s.SelfReviews, Complete: s.Complete, CompletedOn: s.CompletedOn, Unknown: s.Unknown, Evidence: s.Evidence,
	}
}

// integrity is the history's verification as the letters state it, with
// the manifest (and its signature bundle, when the snapshot has one) as the
// files an auditor re-verifies.
func (pc *pageContext) integrity() attest.Integrity {
	ev := []string{evidence.ManifestPath}
	if _, err := pc.Snapshot.ReadFile(evidence.ManifestBundlePath); err == nil {
		ev = append(ev, evidence.ManifestBundlePath)
	}
	switch {
	case pc.VerifyErr != nil:
		return attest.Integrity{Error: pc.VerifyErr.Error(), Evidence: ev}
	case pc.Verify == nil || pc.Verify.Report == nil:
		return attest.Integrity{Error: "the history was not verified", Evidence: ev}
	}
	r := pc.Verify.Report
	out := attest.Integrity{
		OK: r.OK, ChainOK: r.ChainOK(), SignaturesOK: r.SignaturesOK(),
		Snapshots: len(r.Snapshots), FilesHashed: r.FilesHashed, Gaps: len(r.Gaps),
		TrustFromEvidence: pc.Verify.TrustFromEvidence, Evidence: ev,
	}
	for _, p := range r.Problems {
		out.Problems = append(out.Problems, p.String())
	}
	return out
}
