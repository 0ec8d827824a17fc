package pipeline

import (
	"context"
	"slices"

	"github.com/evident-project/evident/generator/attest"
	"github.com/evident-project/evident/generator/check"
	"github.com/evident-project/evident/generator/collect"
	"github.com/evident-project/evident/generator/evidence"
	"github.com/evident-project/evident/generator/site"
)

// AttestationCase is a what-if for the attestation tests in pipeline_test,
// which need the demo (and the demo imports this package): the snapshot at
// Rev as buildOne sees it, with the changes below.
type AttestationCase struct {
	Rev string
	// Drop are item paths removed from the snapshot's manifest before it is
	// checked, as if the run had not collected them.
	Drop []string
	// VerifyErr, when set, replaces the history's verification.
	VerifyErr error
	// Reviews, when set, replaces the access-review page's summary.
	Reviews *site.ReviewSummary
}

// AttestationFor computes the attestation page's input the way buildOne
// does, for the case c.
func AttestationFor(evidenceDir, configPath string, reg *collect.Registry, c AttestationCase) (attest.Attestation, error) {
	store, snap, err := openAt(evidenceDir, c.Rev)
	if err != nil {
		return attest.Attestation{}, err
	}
	snap.Manifest.Items = slices.DeleteFunc(snap.Manifest.Items, func(it evidence.ManifestItem) bool { return slices.Contains(c.Drop, it.Path) })
	cat, err := check.CatalogOf(snap, reg)
	if err != nil {
		return attest.Attestation{}, err
	}
	rep, err := check.EvaluateSnapshot(snap, cat, reg)
	if err != nil {
		return attest.Attestation{}, err
	}
	vres, verr := verifySnapshot(context.Background(), store, snap, cat, VerifyOptions{ConfigPath: configPath, Registry: reg, Now: snap.Manifest.Finished})
	if c.VerifyErr != nil {
		vres, verr = nil, c.VerifyErr
	}
	pc := &pageContext{Store: store, Snapshot: snap, Catalog: cat, Report: rep, Registry: reg, Verify: vres, VerifyErr: verr}
	var in site.Input
	if err := pc.reviews(&in); err != nil {
		return attest.Attestation{}, err
	}
	if c.Reviews != nil {
		in.Reviews.Summary = *c.Reviews
	}
	if err := pc.attestation(&in); err != nil {
		return attest.Attestation{}, err
	}
	return in.Attestation.Attestation, nil
}
