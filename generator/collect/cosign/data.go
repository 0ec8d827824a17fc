package cosign

// Artifact statuses.
const (
	// StatusVerified is an artifact with a signature by the declared signer.
	StatusVerified = "verified"
	// StatusUnsigned is an artifact with no signature at all.
	StatusUnsigned = "unsigned"
	// StatusBadSignature is an artifact whose signatures do not verify.
	StatusBadSignature = "bad_signature"
	// StatusWrongIdentity is an artifact validly signed, but by another identity.
	StatusWrongIdentity = "wrong_identity"
	// StatusUnreachable is an artifact that could not be read.
	StatusUnreachable = "unreachable"
	// StatusNotFound is a declared attestation file that does not exist.
	StatusNotFound = "not_found"
)

// statuses lists every artifact status, so by_status always has all of them.
var statuses = []string{StatusVerified, StatusUnsigned, StatusBadSignature, StatusWrongIdentity, StatusUnreachable}

// Data is the evidence the collector produces.
type Data struct {
	// Mode is "key" or "keyless".
	Mode string `json:"mode"`
	// Key is the declared public key, in key mode.
	Key *KeyInfo `json:"key,omitempty"`
	// Identity is the declared keyless identity, in keyless mode.
	Identity *IdentityInfo `json:"identity,omitempty"`
	// Artifacts are the declared artifacts, in declared order.
	Artifacts []Artifact `json:"artifacts"`
	// Summary counts the artifacts by outcome.
	Summary Summary `json:"summary"`
}

// KeyInfo names the key signatures were checked against.
type KeyInfo struct {
	// Path is the key file as declared, relative to the config folder.
	Path string `json:"path"`
	// SHA256 is the hex sha256 of the key's DER SubjectPublicKeyInfo.
	SHA256 string `json:"sha256"`
}

// IdentityInfo is the keyless identity as declared.
type IdentityInfo struct {
	// Subject is the exact certificate SAN expected.
	Subject string `json:"subject,omitempty"`
	// SubjectRegexp matches the certificate SAN instead of Subject.
	SubjectRegexp string `json:"subject_regexp,omitempty"`
	// Issuer is the exact OIDC issuer expected.
	Issuer string `json:"issuer,omitempty"`
	// IssuerRegexp matches the OIDC issuer instead of Issuer.
	IssuerRegexp string `json:"issuer_regexp,omitempty"`
	// TrustedRoot is the trusted_root.json path as declared.
	TrustedRoot string `json:"trusted_root"`
}

// Artifact is the verification outcome of one declared artifact.
type Artifact struct {
	// Name is the artifact's declared name.
	Name string `json:"name"`
	// Kind is "image" or "blob".
	Kind string `json:"kind"`
	// Reference is the image reference or blob path as declared.
	Reference string `json:"reference"`
	// Digest is the artifact's sha256 digest, "" when it could not be read.
	Digest string `json:"digest,omitempty"`
	// Status is one of the Status* constants.
	Status string `json:"status"`
	// Reason says why the status is not verified.
	Reason string `json:"reason,omitempty"`
	// SignatureSource is the blob signature file used, for blobs.
	SignatureSource string `json:"signature_source,omitempty"`
	// Signatures is how many signatures were found.
	Signatures int `json:"signatures"`
	// Signers are the declared signers whose signatures verified.
	Signers []Signer `json:"signers"`
	// OtherSigners made valid signatures but are not the declared identity.
	OtherSigners []Signer `json:"other_signers,omitempty"`
	// SBOM is true when a verified SBOM attestation is attached; nil when
	// attestations could not be read.
	SBOM *bool `json:"sbom,omitempty"`
	// Provenance is true when a verified SLSA provenance attestation is
	// attached; nil when attestations could not be read.
	Provenance *bool `json:"provenance,omitempty"`
	// BuilderID is the builder named by the first verified provenance.
	BuilderID string `json:"builder_id,omitempty"`
	// SourceRepo is the source repository named by that provenance.
	SourceRepo string `json:"source_repo,omitempty"`
	// Attestations are every attestation found, verified or not.
	Attestations []Attestation `json:"attestations"`
	// AttestationsError says why attestations could not be read; sbom and
	// provenance are then absent.
	AttestationsError string `json:"attestations_error,omitempty"`
}

// Signer is who made a signature: a key, or a certificate's subject and issuer.
type Signer struct {
	// KeySHA256 is the signing key's fingerprint, in key mode.
	KeySHA256 string `json:"key_sha256,omitempty"`
	// Subject is the certificate's SAN (workflow URI or email), keyless.
	Subject string `json:"subject,omitempty"`
	// Issuer is the certificate's OIDC issuer, keyless.
	Issuer string `json:"issuer,omitempty"`
}

// Attestation is one in-toto attestation attached to an artifact.
type Attestation struct {
	// PredicateType is from the verified statement, or as claimed when
	// the attestation did not verify.
	PredicateType string `json:"predicate_type"`
	// Status is verified, bad_signature, wrong_identity or not_found.
	Status string `json:"status"`
	// Reason says why the status is not verified.
	Reason string `json:"reason,omitempty"`
	// Source is the bundle file, for blob attestations.
	Source string `json:"source,omitempty"`
	// BuilderID is the builder a verified SLSA provenance names.
	BuilderID string `json:"builder_id,omitempty"`
	// SourceRepo is the source repository a verified SLSA provenance names.
	SourceRepo string `json:"source_repo,omitempty"`
}

// Summary counts the artifacts by outcome.
type Summary struct {
	// Artifacts is the number of declared artifacts.
	Artifacts int `json:"artifacts"`
	// ByStatus counts artifacts per status, every status present.
	ByStatus map[string]int `json:"by_status"`
	// WithSBOM counts artifacts with a verified SBOM attestation.
	WithSBOM int `json:"with_sbom"`
	// WithProvenance counts artifacts with a verified SLSA provenance.
	WithProvenance int `json:"with_provenance"`
	// NotVerified names the artifacts whose status is not verified.
	NotVerified []string `json:"not_verified"`
}

func summarize(arts []Artifact) Summary {
	s := Summary{Artifacts: len(arts), ByStatus: map[string]int{}, NotVerified: []string{}}
	for _, st := range statuses {
		s.ByStatus[st] = 0
	}
	for _, a := range arts {
		s.ByStatus[a.Status]++
		if a.Status != StatusVerified {
			s.NotVerified = append(s.NotVerified, a.Name)
		}
		if a.SBOM != nil && *a.SBOM {
			s.WithSBOM++
		}
		if a.Provenance != nil && *a.Provenance {
			s.WithProvenance++
		}
	}
	return s
}
