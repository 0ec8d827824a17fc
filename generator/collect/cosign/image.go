package cosign

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	cosignlib "github.com/sigstore/cosign/v2/pkg/cosign"
	"github.com/sigstore/cosign/v2/pkg/oci"
	ociremote "github.com/sigstore/cosign/v2/pkg/oci/remote"
	"github.com/sigstore/cosign/v2/pkg/oci/static"

	"github.com/evident-project/evident/generator/collect"
)

// image verifies one OCI image's cosign signatures and attestations, read
// from the tags cosign writes them to ("sha256-<hex>.sig" and ".att").
func (v *verifier) image(ctx context.Context, a artifactParam) (Artifact, error) {
	art := Artifact{Name: a.Name, Kind: "image", Reference: a.Image, Signers: []Signer{}, Attestations: []Attestation{}}
	ref, err := name.ParseReference(a.Image)
	if err != nil { // parseParams already checked; kept for safety
		return art, collect.Errorf(collect.KindInvalid, step+": parse image "+a.Image, err)
	}
	canceled := func() error {
		if cerr := ctx.Err(); cerr != nil {
			return collect.Errorf(collect.KindCanceled, step+": image "+a.Name, cerr)
		}
		return nil
	}
	unreachable := func(reason string) (Artifact, error) {
		if err := canceled(); err != nil {
			return art, err
		}
		art.Status, art.Reason = StatusUnreachable, reason
		return art, nil
	}
	// The manifest is read first: without it a missing image would look
	// merely unsigned, since its signature tag is missing too.
	desc, err := remote.Head(ref, v.remoteOpts(ctx)...)
	if err != nil {
		return unreachable(registryReason("read image manifest", err))
	}
	h := desc.Digest
	art.Digest = h.String()
	digest := ref.Context().Digest(h.String())
	ociOpt := ociremote.WithRemoteOptions(v.remoteOpts(ctx)...)

	sigTag, err := ociremote.SignatureTag(digest, ociOpt)
	if err != nil {
		return unreachable("name signature tag: " + oneLine(err))
	}
	sigs, err := fetchSignatures(sigTag, ociOpt)
	if err != nil {
		return unreachable(registryReason("read signatures", err))
	}
	art.Signatures = len(sigs)
	if len(sigs) == 0 {
		art.Status, art.Reason = StatusUnsigned, "no cosign signature in the registry (tag "+sigTag.TagStr()+" does not exist)"
	} else {
		outs := make([]outcome, 0, len(sigs))
		for _, sig := range sigs {
			o, err := v.judge(ctx, func(withID bool) error {
				_, err := cosignlib.VerifyImageSignature(ctx, sig, h, v.checkOpts(ctx, cosignlib.SimpleClaimVerifier, withID))
				return err
			}, v.signerOf(sig))
			if err != nil {
				return art, err
			}
			outs = append(outs, o)
		}
		aggregate(&art, outs)
	}

	attTag, err := ociremote.AttestationTag(digest, ociOpt)
	if err != nil {
		art.AttestationsError = "name attestation tag: " + oneLine(err)
		return art, nil
	}
	atts, err := fetchSignatures(attTag, ociOpt)
	if err != nil {
		if err := canceled(); err != nil {
			return art, err
		}
		art.AttestationsError = registryReason("read attestations", err)
		return art, nil
	}
	for _, att := range atts {
		o, err := v.judge(ctx, func(withID bool) error {
			_, err := cosignlib.VerifyBlobAttestation(ctx, att, h, v.checkOpts(ctx, cosignlib.IntotoSubjectClaimVerifier, withID))
			return err
		}, v.signerOf(att))
		if err != nil {
			return art, err
		}
		env, _ := att.Payload()
		pt, pred := statementOfEnvelope(env)
		if o.status != StatusVerified {
			if ann, _ := att.Annotations(); pt == "" && ann != nil {
				pt = ann["predicateType"]
			}
		}
		art.Attestations = append(art.Attestations, attestationOf(pt, pred, o))
	}
	setAttestationFlags(&art)
	return art, nil
}

// fetchSignatures reads every signature or attestation layer under tag into
// memory, so that a registry failure surfaces here as unreachable rather
// than later, inside verification, as a bad signature. A missing tag is an
// empty list.
func fetchSignatures(tag name.Tag, opt ociremote.Option) ([]oci.Signature, error) {
	sigs, err := ociremote.Signatures(tag, opt)
	if err != nil {
		return nil, err
	}
	list, err := sigs.Get()
	if err != nil {
		return nil, err
	}
	out := make([]oci.Signature, 0, len(list))
	for i, s := range list {
		c, err := static.Copy(s)
		if err != nil {
			return nil, fmt.Errorf("layer %d: %w", i, err)
		}
		out = append(out, c)
	}
	return out, nil
}

// aggregate sets an artifact's status from its signatures' outcomes: any
// verified signature verifies it; otherwise a valid signature by another
// identity is the more telling finding than an invalid one.
func aggregate(art *Artifact, outs []outcome) {
	rank := map[string]int{StatusVerified: 3, StatusWrongIdentity: 2, StatusBadSignature: 1}
	best := outcome{}
	for _, o := range outs {
		switch o.status {
		case StatusVerified:
			art.Signers = addSigner(art.Signers, o.signer)
		case StatusWrongIdentity:
			art.OtherSigners = addSigner(art.OtherSigners, o.signer)
		}
		if rank[o.status] > rank[best.status] {
			best = o
		}
	}
	art.Status = best.status
	if best.status != StatusVerified {
		art.Reason = best.reason
	}
}

// setAttestationFlags derives sbom and provenance from the verified
// attestations; only attestations by the declared signer count.
func setAttestationFlags(art *Artifact) {
	sbom, prov := false, false
	for _, at := range art.Attestations {
		if at.Status != StatusVerified {
			continue
		}
		isSBOM, isProv := predicateKind(at.PredicateType)
		sbom = sbom || isSBOM
		if isProv && !prov {
			prov = true
			art.BuilderID, art.SourceRepo = at.BuilderID, at.SourceRepo
		}
	}
	art.SBOM, art.Provenance = &sbom, &prov
}
