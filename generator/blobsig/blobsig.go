// Package blobsig signs the evidence manifest with cosign-compatible Sigstore
// bundles and verifies them, so that an auditor can check evidence with the
// real `cosign verify-blob` and without evident.
//
// Two signing modes produce the same bundle format (a Sigstore protobuf
// bundle v0.3 in JSON, cosign's `--new-bundle-format`):
//
//   - key-based: a cosign key pair (`cosign generate-key-pair`), or an
//     in-memory ECDSA P-256 or Ed25519 key; the bundle names the key by its
//     hint and carries no transparency-log entry (there is no Rekor to reach
//     in an air-gapped or demo setup).
//   - keyless: an OIDC token (GitHub Actions) buys a short-lived Fulcio
//     certificate, the signature is logged in Rekor, and the bundle carries
//     the certificate and the log entry with its inclusion proof.
package blobsig

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	sgbundle "github.com/sigstore/sigstore-go/pkg/bundle"
	"google.golang.org/protobuf/encoding/protojson"
)

// BundleFileName is the bundle committed beside manifest.json; cosign's
// convention is <artifact>.sigstore.json.
const BundleFileName = "manifest.sigstore.json"

// BundleMediaType is the media type of every bundle evident writes.
const BundleMediaType = "application/vnd.dev.sigstore.bundle.v0.3+json"

// BlobSigner is what the evidence store calls to sign a manifest.
type BlobSigner interface {
	// SignBlob returns a Sigstore bundle (JSON) over payload.
	SignBlob(ctx context.Context, payload []byte) (bundle []byte, err error)
}

// Verifier checks a bundle over a payload and says who signed it.
type Verifier interface {
	// VerifyBlob returns the verified signer, or an error that matches one of
	// ErrBadSignature, ErrUntrustedKey, ErrWrongIdentity, ErrMalformedBundle.
	VerifyBlob(payload, bundle []byte) (Signer, error)
}

// marshalBundle renders a bundle as indented JSON with a trailing newline.
// protojson deliberately varies its whitespace between builds, so the output
// is re-indented: the same signature then always gives the same file bytes,
// which keeps the evidence repository reproducible and its diffs quiet.
func marshalBundle(pb *protobundle.Bundle) ([]byte, error) {
	raw, err := protojson.Marshal(pb)
	if err != nil {
		return nil, fmt.Errorf("encode bundle: %w", err)
	}
	var out bytes.Buffer
	if err := json.Indent(&out, raw, "", "  "); err != nil {
		return nil, fmt.Errorf("indent bundle: %w", err)
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// parseBundle decodes and structurally validates a bundle; every failure is
// ErrMalformedBundle because nothing about the signer can be said yet.
func parseBundle(data []byte) (*sgbundle.Bundle, error) {
	var legacy struct {
		Base64Signature *string `json:"base64Signature"`
	}
	if json.Unmarshal(data, &legacy) == nil && legacy.Base64Signature != nil {
		return nil, fmt.Errorf("%w: a legacy cosign bundle (cosign sign-blob without --new-bundle-format); sign again with --new-bundle-format", ErrMalformedBundle)
	}
	var b sgbundle.Bundle
	if err := b.UnmarshalJSON(data); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformedBundle, err)
	}
	if b.GetMessageSignature() == nil {
		return nil, fmt.Errorf("%w: bundle holds no message signature (a DSSE attestation is not a blob signature)", ErrMalformedBundle)
	}
	return &b, nil
}
