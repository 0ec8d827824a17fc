package cosign

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io/fs"
	"strings"

	cosignlib "github.com/sigstore/cosign/v2/pkg/cosign"
	"github.com/sigstore/cosign/v2/pkg/oci/static"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/verify"

	"github.com/evident-project/evident/generator/collect"
)

// sigFile is a candidate signature file for a blob.
type sigFile struct {
	path string
	// bare is a base64 signature alone (cosign sign-blob --output-signature);
	// otherwise the file is a bundle.
	bare bool
}

// blob verifies one file's signature and its declared attestation bundles.
func (v *verifier) blob(ctx context.Context, a artifactParam) (Artifact, error) {
	art := Artifact{Name: a.Name, Kind: "blob", Reference: a.Blob, Signers: []Signer{}, Attestations: []Attestation{}}
	if err := ctx.Err(); err != nil {
		return art, collect.Errorf(collect.KindCanceled, step+": blob "+a.Name, err)
	}
	data, err := readConfigFile(v.base, a.Blob, v.log)
	if err != nil {
		art.Status, art.Reason = StatusUnreachable, "read blob: "+err.Error()
		return art, nil
	}
	sum := sha256.Sum256(data)
	art.Digest = "sha256:" + hex.EncodeToString(sum[:])

	var cands []sigFile
	switch {
	case a.Bundle != "":
		cands = []sigFile{{path: a.Bundle}}
	case a.Signature != "":
		cands = []sigFile{{path: a.Signature, bare: true}}
	default:
		// Where cosign sign-blob's flags conventionally put them.
		cands = []sigFile{{path: a.Blob + ".sigstore.json"}, {path: a.Blob + ".bundle"}, {path: a.Blob + ".sig", bare: true}}
	}
	var (
		found   *sigFile
		content []byte
		tried   []string
	)
	for i := range cands {
		b, err := readConfigFile(v.base, cands[i].path, v.log)
		if errors.Is(err, fs.ErrNotExist) {
			tried = append(tried, cands[i].path)
			continue
		}
		if err != nil {
			art.Status, art.Reason = StatusUnreachable, "read signature: "+err.Error()
			return art, nil
		}
		found, content = &cands[i], b
		break
	}
	if found == nil {
		art.Status, art.Reason = StatusUnsigned, "no signature file: looked for "+strings.Join(tried, ", ")
	} else {
		art.SignatureSource, art.Signatures = found.path, 1
		o, err := v.blobSignature(ctx, data, *found, content)
		if err != nil {
			return art, err
		}
		aggregate(&art, []outcome{o})
	}

	for _, p := range a.Attestations {
		b, err := readConfigFile(v.base, p, v.log)
		if errors.Is(err, fs.ErrNotExist) {
			art.Attestations = append(art.Attestations, Attestation{Source: p, Status: StatusNotFound, Reason: "declared attestation file does not exist"})
			continue
		}
		if err != nil {
			art.AttestationsError = "read attestation: " + err.Error()
			return art, nil
		}
		at, err := v.blobAttestation(ctx, data, b)
		if err != nil {
			return art, err
		}
		at.Source = p
		art.Attestations = append(art.Attestations, at)
	}
	setAttestationFlags(&art)
	return art, nil
}

// blobSignature verifies one signature file over data: a sigstore bundle
// (sigstore-go), a cosign --bundle file or a bare signature (cosign).
func (v *verifier) blobSignature(ctx context.Context, data []byte, f sigFile, content []byte) (outcome, error) {
	if f.bare {
		if v.t.mode == "keyless" {
			return outcome{status: StatusBadSignature, reason: f.path + " is a bare signature: it carries no certificate to check against the declared identity"}, nil
		}
		b64 := strings.TrimSpace(string(content))
		if _, err := base64.StdEncoding.DecodeString(b64); err != nil {
			b64 = base64.StdEncoding.EncodeToString(content) // a raw signature, as cosign verify-blob also accepts
		}
		sig, err := static.NewSignature(data, b64)
		if err != nil {
			return outcome{status: StatusBadSignature, reason: "malformed signature " + f.path + ": " + oneLine(err)}, nil
		}
		return v.judge(ctx, func(withID bool) error {
			_, err := cosignlib.VerifyBlobSignature(ctx, sig, v.checkOpts(ctx, nil, withID))
			return err
		}, v.signerOf(sig))
	}
	var head struct {
		MediaType       string `json:"mediaType"`
		Base64Signature string `json:"base64Signature"`
	}
	if err := json.Unmarshal(content, &head); err != nil {
		return outcome{status: StatusBadSignature, reason: "malformed bundle " + f.path + ": " + oneLine(err)}, nil
	}
	switch {
	case strings.HasPrefix(head.MediaType, "application/vnd.dev.sigstore.bundle"):
		b := &bundle.Bundle{}
		if err := b.UnmarshalJSON(content); err != nil {
			return outcome{status: StatusBadSignature, reason: "malformed sigstore bundle " + f.path + ": " + oneLine(err)}, nil
		}
		var res *verify.VerificationResult
		return v.judge(ctx, func(withID bool) error {
			r, err := v.verifyBundle(b, data, withID)
			res = r
			return err
		}, v.signerOfResult(&res))
	case head.Base64Signature != "":
		var lp cosignlib.LocalSignedPayload
		if err := json.Unmarshal(content, &lp); err != nil {
			return outcome{status: StatusBadSignature, reason: "malformed cosign bundle " + f.path + ": " + oneLine(err)}, nil
		}
		var opts []static.Option
		if lp.Cert != "" {
			// cosign writes the PEM certificate base64-encoded once more.
			certPEM := []byte(lp.Cert)
			if dec, err := base64.StdEncoding.DecodeString(lp.Cert); err == nil && bytes.Contains(dec, []byte("-----BEGIN")) {
				certPEM = dec
			}
			opts = append(opts, static.WithCertChain(certPEM, nil))
		}
		if lp.Bundle != nil {
			opts = append(opts, static.WithBundle(lp.Bundle))
		}
		sig, err := static.NewSignature(data, lp.Base64Signature, opts...)
		if err != nil {
			return outcome{status: StatusBadSignature, reason: "malformed cosign bundle " + f.path + ": " + oneLine(err)}, nil
		}
		return v.judge(ctx, func(withID bool) error {
			_, err := cosignlib.VerifyBlobSignature(ctx, sig, v.checkOpts(ctx, nil, withID))
			return err
		}, v.signerOf(sig))
	}
	return outcome{status: StatusBadSignature, reason: f.path + " is neither a sigstore bundle nor a cosign bundle"}, nil
}

// blobAttestation verifies one sigstore attestation bundle about data;
// sigstore-go checks the statement's subject digest against data.
func (v *verifier) blobAttestation(ctx context.Context, data, content []byte) (Attestation, error) {
	var raw struct {
		DSSE json.RawMessage `json:"dsseEnvelope"`
	}
	_ = json.Unmarshal(content, &raw)
	claimed, _ := statementOfEnvelope(raw.DSSE)
	b := &bundle.Bundle{}
	if err := b.UnmarshalJSON(content); err != nil {
		return Attestation{PredicateType: claimed, Status: StatusBadSignature, Reason: "not a sigstore bundle: " + oneLine(err)}, nil
	}
	var res *verify.VerificationResult
	o, err := v.judge(ctx, func(withID bool) error {
		r, err := v.verifyBundle(b, data, withID)
		res = r
		return err
	}, v.signerOfResult(&res))
	if err != nil {
		return Attestation{}, err
	}
	if o.status != StatusVerified || res == nil || res.Statement == nil {
		if o.status == StatusVerified { // a verified message signature, not an attestation
			o = outcome{status: StatusBadSignature, reason: "bundle holds a signature, not an in-toto attestation"}
		}
		return attestationOf(claimed, nil, o), nil
	}
	var pred map[string]any
	if p := res.Statement.GetPredicate(); p != nil {
		pred = p.AsMap()
	}
	return attestationOf(res.Statement.GetPredicateType(), pred, o), nil
}
