package blobsig

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	sgbundle "github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
)

// The kinds of verification failure a caller can tell apart with errors.Is.
var (
	// ErrBadSignature: the signature does not cover this payload, so the
	// payload or the bundle was altered (or the bundle belongs to another file).
	ErrBadSignature = errors.New("bad signature")
	// ErrUntrustedKey: the bundle was signed by a key, certificate authority or
	// transparency log that the verifier does not trust.
	ErrUntrustedKey = errors.New("untrusted key")
	// ErrWrongIdentity: a trusted Sigstore certificate signed the payload, but
	// for another identity or OIDC issuer than the verifier expects.
	ErrWrongIdentity = errors.New("wrong identity")
	// ErrMalformedBundle: the bundle is not a Sigstore message-signature bundle.
	ErrMalformedBundle = errors.New("malformed bundle")
)

// Signer is who signed a verified bundle.
type Signer struct {
	// KeyFingerprint is the "sha256:<hex>" fingerprint of the signing key,
	// for key-based bundles.
	KeyFingerprint string `json:"key_fingerprint,omitempty"`
	// Identity is the certificate's subject alternative name, for keyless
	// bundles (for GitHub Actions, the workflow URL and ref).
	Identity string `json:"identity,omitempty"`
	// Issuer is the OIDC issuer the certificate records, for keyless bundles.
	Issuer string `json:"issuer,omitempty"`
	// LogIndex is the Rekor log index of the signature, for keyless bundles.
	LogIndex int64 `json:"log_index,omitempty"`
	// LogID is the hex id of the Rekor log that holds the entry.
	LogID string `json:"log_id,omitempty"`
	// IntegratedTime is when Rekor logged the signature: the signing time
	// the certificate was checked at.
	IntegratedTime time.Time `json:"integrated_time,omitzero"`
}

// Keyless reports whether a Sigstore certificate, not a long-lived key, signed.
func (s Signer) Keyless() bool { return s.Identity != "" }

// String is the one-line description the site and the CLI print.
func (s Signer) String() string {
	if !s.Keyless() {
		return "key " + s.KeyFingerprint
	}
	return fmt.Sprintf("%s (issuer %s), Rekor log index %d at %s", s.Identity, s.Issuer, s.LogIndex, s.IntegratedTime.UTC().Format(time.RFC3339))
}

// KeyVerifier accepts bundles signed by one public key, offline. It checks
// what `cosign verify-blob --key cosign.pub --insecure-ignore-tlog` checks.
type KeyVerifier struct {
	fingerprint string
	hint        string
	verifier    *verify.Verifier
}

var _ Verifier = (*KeyVerifier)(nil)

// NewKeyVerifier trusts the public key in publicPEM (cosign.pub).
func NewKeyVerifier(publicPEM []byte) (*KeyVerifier, error) {
	pub, err := cryptoutils.UnmarshalPEMToPublicKey(publicPEM)
	if err != nil {
		return nil, fmt.Errorf("load public key: %w", err)
	}
	// SHA-256 and pure Ed25519, as cosign verify-blob loads a --key.
	sv, err := signature.LoadVerifier(pub, crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("load public key: %w", err)
	}
	fp, hint, err := fingerprints(pub)
	if err != nil {
		return nil, fmt.Errorf("load public key: %w", err)
	}
	v, err := verify.NewVerifier(keyMaterial(sv), verify.WithNoObserverTimestamps())
	if err != nil {
		return nil, fmt.Errorf("load public key: %w", err)
	}
	return &KeyVerifier{fingerprint: fp, hint: hint, verifier: v}, nil
}

// Fingerprint is the trusted key's "sha256:<hex>" fingerprint.
func (k *KeyVerifier) Fingerprint() string { return k.fingerprint }

// VerifyBlob checks that the trusted key signed payload.
func (k *KeyVerifier) VerifyBlob(payload, bundle []byte) (Signer, error) {
	b, err := parseBundle(bundle)
	if err != nil {
		return Signer{}, fmt.Errorf("verify blob: %w", err)
	}
	vm := b.GetVerificationMaterial()
	if vm.GetPublicKey() == nil {
		return Signer{}, fmt.Errorf("verify blob: %w: the bundle is signed with a Sigstore certificate, not with key %s", ErrUntrustedKey, k.fingerprint)
	}
	if h := vm.GetPublicKey().GetHint(); h != "" && h != k.hint {
		return Signer{}, fmt.Errorf("verify blob: %w: the bundle is signed by key %s, not by the trusted key %s", ErrUntrustedKey, hintFingerprint(h), k.fingerprint)
	}
	if err := checkDigest(b, payload); err != nil {
		return Signer{}, fmt.Errorf("verify blob: %w", err)
	}
	if _, err := k.verifier.Verify(b, verify.NewPolicy(verify.WithArtifact(bytes.NewReader(payload)), verify.WithKey())); err != nil {
		return Signer{}, fmt.Errorf("verify blob: %w: key %s: %w", ErrBadSignature, k.fingerprint, err)
	}
	return Signer{KeyFingerprint: k.fingerprint}, nil
}

// Identity is the certificate identity a keyless bundle must carry, as
// cosign's --certificate-identity[-regexp] and --certificate-oidc-issuer.
type Identity struct {
	// SubjectAlternativeName must equal the certificate's SAN exactly.
	SubjectAlternativeName string
	// SubjectAlternativeNameRegexp must match the SAN (Go regexp syntax,
	// unanchored, as cosign applies it); used when SubjectAlternativeName is empty.
	SubjectAlternativeNameRegexp string
	// Issuer must equal the OIDC issuer in the certificate, e.g.
	// https://token.actions.githubusercontent.com.
	Issuer string
}

func (id Identity) validate() error {
	switch {
	case id.SubjectAlternativeName == "" && id.SubjectAlternativeNameRegexp == "":
		return errors.New("a certificate identity (exact or regexp) is required")
	case id.SubjectAlternativeName != "" && id.SubjectAlternativeNameRegexp != "":
		return errors.New("give the certificate identity exactly or as a regexp, not both")
	case id.Issuer == "":
		return errors.New("a certificate OIDC issuer is required")
	}
	return nil
}

// String shows the identity as messages print it; "~" marks a regexp.
func (id Identity) String() string {
	san := id.SubjectAlternativeName
	if san == "" {
		san = "~" + id.SubjectAlternativeNameRegexp
	}
	return fmt.Sprintf("%s (issuer %s)", san, id.Issuer)
}

// IdentityVerifier accepts keyless bundles: a certificate from a trusted
// Fulcio with an embedded SCT, a Rekor entry with a verified inclusion proof
// and signed entry timestamp, and the expected identity. It checks what
// `cosign verify-blob --certificate-identity ... --certificate-oidc-issuer ...`
// checks.
type IdentityVerifier struct {
	identity Identity
	policy   verify.CertificateIdentity
	trusted  root.TrustedMaterial
	verifier *verify.Verifier
}

var _ Verifier = (*IdentityVerifier)(nil)

// NewIdentityVerifier trusts the Fulcio CAs, CT logs and Rekor logs in
// trusted (a trusted_root.json, or root.FetchTrustedRoot for the public-good
// instance) and accepts only certificates for id.
func NewIdentityVerifier(id Identity, trusted root.TrustedMaterial) (*IdentityVerifier, error) {
	if err := id.validate(); err != nil {
		return nil, fmt.Errorf("identity verifier: %w", err)
	}
	if trusted == nil {
		return nil, errors.New("identity verifier: trusted material (trusted_root.json) is required")
	}
	policy, err := verify.NewShortCertificateIdentity(id.Issuer, "", id.SubjectAlternativeName, id.SubjectAlternativeNameRegexp)
	if err != nil {
		return nil, fmt.Errorf("identity verifier: %w", err)
	}
	// The same requirements cosign verify-blob sets by default.
	v, err := verify.NewVerifier(trusted,
		verify.WithSignedCertificateTimestamps(1),
		verify.WithTransparencyLog(1),
		verify.WithIntegratedTimestamps(1))
	if err != nil {
		return nil, fmt.Errorf("identity verifier: %w", err)
	}
	return &IdentityVerifier{identity: id, policy: policy, trusted: trusted, verifier: v}, nil
}

// VerifyBlob checks that the expected identity signed payload.
func (v *IdentityVerifier) VerifyBlob(payload, bundle []byte) (Signer, error) {
	b, err := parseBundle(bundle)
	if err != nil {
		return Signer{}, fmt.Errorf("verify blob: %w", err)
	}
	vc, err := b.VerificationContent()
	if err != nil {
		return Signer{}, fmt.Errorf("verify blob: %w: %w", ErrMalformedBundle, err)
	}
	leaf := vc.Certificate()
	if leaf == nil {
		return Signer{}, fmt.Errorf("verify blob: %w: the bundle is signed with a key (%s), not with a Sigstore certificate for %s",
			ErrUntrustedKey, hintFingerprint(b.GetVerificationMaterial().GetPublicKey().GetHint()), v.identity)
	}
	if err := checkDigest(b, payload); err != nil {
		return Signer{}, fmt.Errorf("verify blob: %w", err)
	}
	res, err := v.verifier.Verify(b, verify.NewPolicy(verify.WithArtifact(bytes.NewReader(payload)), verify.WithCertificateIdentity(v.policy)))
	if err != nil {
		return Signer{}, fmt.Errorf("verify blob: %w", v.classify(err, b, leaf))
	}
	s := Signer{}
	if res.Signature != nil && res.Signature.Certificate != nil {
		s.Identity, s.Issuer = res.Signature.Certificate.SubjectAlternativeName, res.Signature.Certificate.Issuer
	}
	entries, err := b.TlogEntries()
	if err != nil {
		return Signer{}, fmt.Errorf("verify blob: %w: %w", ErrMalformedBundle, err)
	}
	logs := v.trusted.RekorLogs()
	for _, e := range entries {
		id := hex.EncodeToString([]byte(e.LogKeyID()))
		if _, ok := logs[id]; ok {
			s.LogIndex, s.LogID, s.IntegratedTime = e.LogIndex(), id, e.IntegratedTime().UTC()
			break
		}
	}
	return s, nil
}

// classify names why sigstore-go rejected a bundle. sigstore-go decides;
// this only asks, in order, the questions whose answer makes the failure
// one of the typed kinds, and otherwise calls it a bad signature.
func (v *IdentityVerifier) classify(err error, b *sgbundle.Bundle, leaf *x509.Certificate) error {
	var noMatch *verify.ErrNoMatchingCertificateIdentity
	if errors.As(err, &noMatch) {
		// sigstore-go checks the identity last, after every signature.
		return fmt.Errorf("%w: signed by %s, want %s: %w", ErrWrongIdentity, certIdentity(leaf), v.identity, err)
	}
	chains, cerr := verify.VerifyLeafCertificate(leaf.NotBefore, leaf, v.trusted)
	if cerr != nil {
		return fmt.Errorf("%w: the certificate for %s was not issued by a trusted Fulcio CA: %w", ErrUntrustedKey, certIdentity(leaf), err)
	}
	if serr := verify.VerifySignedCertificateTimestamp(chains, 1, v.trusted); serr != nil {
		return fmt.Errorf("%w: the certificate for %s has no SCT from a trusted CT log: %w", ErrUntrustedKey, certIdentity(leaf), err)
	}
	if entries, terr := b.TlogEntries(); terr == nil {
		logs, known := v.trusted.RekorLogs(), false
		for _, e := range entries {
			if _, ok := logs[hex.EncodeToString([]byte(e.LogKeyID()))]; ok {
				known = true
			}
		}
		if !known {
			return fmt.Errorf("%w: no transparency-log entry from a trusted Rekor log: %w", ErrUntrustedKey, err)
		}
	}
	return fmt.Errorf("%w: %w", ErrBadSignature, err)
}

// checkDigest compares the payload with the digest the bundle signed. The
// signature check alone would catch a change too; this names it plainly.
func checkDigest(b *sgbundle.Bundle, payload []byte) error {
	md := b.GetMessageSignature().GetMessageDigest()
	var sum []byte
	var name string
	switch md.GetAlgorithm() {
	case protocommon.HashAlgorithm_SHA2_256:
		s := sha256.Sum256(payload)
		sum, name = s[:], "sha256"
	case protocommon.HashAlgorithm_SHA2_384:
		s := sha512.Sum384(payload)
		sum, name = s[:], "sha384"
	case protocommon.HashAlgorithm_SHA2_512:
		s := sha512.Sum512(payload)
		sum, name = s[:], "sha512"
	default:
		return nil
	}
	if !bytes.Equal(sum, md.GetDigest()) {
		return fmt.Errorf("%w: the payload's %s is %x but the bundle signed %x: the file changed after signing, or the bundle belongs to another file",
			ErrBadSignature, name, sum, md.GetDigest())
	}
	return nil
}

// hintFingerprint shows a bundle's key hint the way evident shows keys.
func hintFingerprint(hint string) string {
	raw, err := base64.StdEncoding.DecodeString(hint)
	if err != nil || len(raw) != sha256.Size {
		return fmt.Sprintf("with hint %q", hint)
	}
	return "sha256:" + hex.EncodeToString(raw)
}

func certIdentity(c *x509.Certificate) string {
	var names []string
	for _, u := range c.URIs {
		names = append(names, u.String())
	}
	names = append(names, c.EmailAddresses...)
	if len(names) == 0 {
		return "an unnamed identity"
	}
	return strings.Join(names, ", ")
}
