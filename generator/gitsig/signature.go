package gitsig

// Signature is the outcome of checking one commit signature. It is part of
// the evidence format (gitrepo's commits[].signature), so its JSON names are
// a contract with assertions; every field is always present so assertions
// need no has() guards.
type Signature struct {
	// Kind is the signature format.
	Kind Kind `json:"kind"`
	// Status is the verification outcome against the trusted keys.
	Status Status `json:"status"`
	// Signer is the PGP primary key fingerprint (upper-case hex) or the SSH
	// principal from allowed_signers; "" when the key is not trusted.
	Signer string `json:"signer"`
	// Key is the PGP signing key id (upper-case hex) or the SSH key
	// fingerprint ("SHA256:...").
	Key string `json:"key"`
	// SignedAt is the PGP signature creation time (RFC 3339, UTC); "" for SSH,
	// whose signatures carry no time.
	SignedAt string `json:"signed_at"`
	// KeyExpiredAt is when the signing key expired, if it has.
	KeyExpiredAt string `json:"key_expired_at"`
	// VerifiedAtSigning is true when the signature verifies and the key was
	// valid (trusted, unexpired, unrevoked) when the signature was made.
	VerifiedAtSigning bool `json:"verified_at_signing"`
	// Note says why, when the status is not self-explanatory.
	Note string `json:"note"`
}

// Kind is a signature format.
type Kind string

// Signature kinds.
const (
	// KindNone is an unsigned commit.
	KindNone Kind = "none"
	// KindPGP is an OpenPGP signature.
	KindPGP Kind = "pgp"
	// KindSSH is an SSH signature (sshsig).
	KindSSH Kind = "ssh"
	// KindX509 is an X.509 (gpgsm, CMS) signature.
	KindX509 Kind = "x509"
	// KindUnknown is a signature header in no format git knows.
	KindUnknown Kind = "unknown"
)

// Status is a signature verification outcome.
type Status string

// Signature statuses.
const (
	// StatusNone: the commit is unsigned.
	StatusNone Status = "none"
	// StatusVerified: a trusted key made the signature while it was valid.
	StatusVerified Status = "verified"
	// StatusUnknownKey: the signing key is not trusted (or cannot be checked).
	StatusUnknownKey Status = "unknown_key"
	// StatusBad: the signature does not match the commit.
	StatusBad Status = "bad"
	// StatusExpiredKey: the signature was made after the key expired (or the
	// signature itself has expired).
	StatusExpiredKey Status = "expired_key"
	// StatusRevokedKey: the signing key has been revoked.
	StatusRevokedKey Status = "revoked_key"
	// StatusError: the signature is malformed or could not be processed.
	StatusError Status = "error"
)

// Statuses lists every status, in display order.
var Statuses = []Status{StatusVerified, StatusNone, StatusUnknownKey, StatusBad, StatusExpiredKey, StatusRevokedKey, StatusError}
