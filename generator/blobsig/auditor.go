package blobsig

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/sigstore/sigstore-go/pkg/root"
)

// TrustedRootFileName is the conventional name of a Sigstore trusted root.
const TrustedRootFileName = "trusted_root.json"

// emptyTrustedRoot trusts no CA, CT log, Rekor log or TSA.
const emptyTrustedRoot = `{"mediaType": "` + root.TrustedRootMediaType01 + `"}` + "\n"

// EmptyTrustedRoot returns a trusted_root.json that trusts no Sigstore
// service. Key-based evidence ships it beside the bundle: cosign v2.6.5
// verify-blob insists on a trusted root for new-format bundles even when
// --key is the only thing trusted, and without --trusted-root it fetches the
// public-good root over TUF, which fails on an offline auditor's machine.
func EmptyTrustedRoot() []byte { return []byte(emptyTrustedRoot) }

// VerifierConfig says which signer the evidence must come from, in the terms
// of cosign verify-blob's flags, so that evident's own check and the command
// printed for auditors come from one description and cannot drift apart.
type VerifierConfig struct {
	// PublicKeyPath is the cosign public key (key-based signing).
	PublicKeyPath string `json:"public_key,omitempty"`
	// CertificateIdentity is the exact certificate SAN (keyless signing).
	CertificateIdentity string `json:"certificate_identity,omitempty"`
	// CertificateIdentityRegexp matches the certificate SAN (keyless signing).
	CertificateIdentityRegexp string `json:"certificate_identity_regexp,omitempty"`
	// CertificateOIDCIssuer is the OIDC issuer the certificate must record.
	CertificateOIDCIssuer string `json:"certificate_oidc_issuer,omitempty"`
	// TrustedRootPath is a trusted_root.json. Keyless: the Sigstore instance
	// to trust; empty means the public-good instance, which cosign fetches
	// over TUF. Key-based: EmptyTrustedRoot, so cosign works offline.
	TrustedRootPath string `json:"trusted_root,omitempty"`
}

// Keyless reports whether the config names a certificate identity rather than a key.
func (c VerifierConfig) Keyless() bool { return c.PublicKeyPath == "" }

// Validate checks that the config names exactly one kind of signer.
func (c VerifierConfig) Validate() error {
	identity := c.CertificateIdentity != "" || c.CertificateIdentityRegexp != "" || c.CertificateOIDCIssuer != ""
	switch {
	case c.PublicKeyPath != "" && identity:
		return errors.New("verifier config: give a public key or a certificate identity, not both")
	case c.PublicKeyPath != "":
		return nil
	case !identity:
		return errors.New("verifier config: a public key or a certificate identity and OIDC issuer is required")
	}
	if _, err := regexp.Compile(c.CertificateIdentityRegexp); err != nil {
		return fmt.Errorf("verifier config: certificate identity regexp: %w", err)
	}
	if err := c.identity().validate(); err != nil {
		return fmt.Errorf("verifier config: %w", err)
	}
	return nil
}

func (c VerifierConfig) identity() Identity {
	return Identity{SubjectAlternativeName: c.CertificateIdentity, SubjectAlternativeNameRegexp: c.CertificateIdentityRegexp, Issuer: c.CertificateOIDCIssuer}
}

// LoadVerifier reads the files the config names and returns the verifier.
// A keyless config needs TrustedRootPath: fetching the public-good root is
// the caller's choice to make (root.FetchTrustedRoot, then NewIdentityVerifier).
func LoadVerifier(c VerifierConfig) (Verifier, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if !c.Keyless() {
		pem, err := os.ReadFile(c.PublicKeyPath)
		if err != nil {
			return nil, fmt.Errorf("load verifier: %w", err)
		}
		v, err := NewKeyVerifier(pem)
		if err != nil {
			return nil, fmt.Errorf("load verifier %s: %w", c.PublicKeyPath, err)
		}
		return v, nil
	}
	if c.TrustedRootPath == "" {
		return nil, errors.New("load verifier: a keyless verifier needs a trusted root (trusted_root.json)")
	}
	tr, err := root.NewTrustedRootFromPath(c.TrustedRootPath)
	if err != nil {
		return nil, fmt.Errorf("load verifier: trusted root %s: %w", c.TrustedRootPath, err)
	}
	v, err := NewIdentityVerifier(c.identity(), tr)
	if err != nil {
		return nil, fmt.Errorf("load verifier: %w", err)
	}
	return v, nil
}

// AuditorCommand is the cosign v2.6.5 command line that verifies the
// manifest at manifestPath with the bundle at bundlePath for the signer
// config names; the site's "Verify this evidence" page prints it. Paths are
// printed as given, so pass them relative to where the auditor runs it.
//
// --new-bundle-format is implied by the bundle's content in v2.6.5 but is
// spelled out so that a damaged bundle is reported as such rather than
// retried as a legacy one. Key-based bundles carry no transparency-log entry,
// hence --insecure-ignore-tlog: the key itself is the trust anchor.
func AuditorCommand(manifestPath, bundlePath string, v VerifierConfig) string {
	args := []string{"cosign", "verify-blob"}
	if !v.Keyless() {
		args = append(args, "--key", v.PublicKeyPath)
	}
	args = append(args, "--bundle", bundlePath, "--new-bundle-format")
	if v.Keyless() {
		if v.CertificateIdentity != "" {
			args = append(args, "--certificate-identity", v.CertificateIdentity)
		} else {
			args = append(args, "--certificate-identity-regexp", v.CertificateIdentityRegexp)
		}
		args = append(args, "--certificate-oidc-issuer", v.CertificateOIDCIssuer)
	}
	if v.TrustedRootPath != "" {
		args = append(args, "--trusted-root", v.TrustedRootPath)
	}
	if !v.Keyless() {
		args = append(args, "--insecure-ignore-tlog")
	}
	args = append(args, manifestPath)
	for i, a := range args {
		args[i] = shellQuote(a)
	}
	return strings.Join(args, " ")
}

var shellSafe = regexp.MustCompile(`^[A-Za-z0-9@%+=:,./_-]+$`)

// shellQuote makes an argument survive a POSIX shell unchanged.
func shellQuote(s string) string {
	if shellSafe.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
