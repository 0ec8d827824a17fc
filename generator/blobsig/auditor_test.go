package blobsig

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sigstore/sigstore-go/pkg/root"
)

var (
	keyConfig     = VerifierConfig{PublicKeyPath: "cosign.pub", TrustedRootPath: TrustedRootFileName}
	keylessConfig = VerifierConfig{CertificateIdentity: workflowIdentity(workflowRef), CertificateOIDCIssuer: GitHubActionsIssuer}
)

func TestAuditorCommand(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  VerifierConfig
		want string
	}{
		{"key", keyConfig,
			"cosign verify-blob --key cosign.pub --bundle manifest.sigstore.json --new-bundle-format --trusted-root trusted_root.json --insecure-ignore-tlog manifest.json"},
		{"key, online auditor", VerifierConfig{PublicKeyPath: "keys/cosign.pub"},
			"cosign verify-blob --key keys/cosign.pub --bundle manifest.sigstore.json --new-bundle-format --insecure-ignore-tlog manifest.json"},
		{"keyless, public-good", keylessConfig,
			"cosign verify-blob --bundle manifest.sigstore.json --new-bundle-format --certificate-identity https://github.com/acme/evidence/.github/workflows/evident.yml@refs/heads/main --certificate-oidc-issuer https://token.actions.githubusercontent.com manifest.json"},
		{"keyless regexp, private root", VerifierConfig{CertificateIdentityRegexp: `^https://github\.com/acme/`, CertificateOIDCIssuer: GitHubActionsIssuer, TrustedRootPath: "my root.json"},
			`cosign verify-blob --bundle manifest.sigstore.json --new-bundle-format --certificate-identity-regexp '^https://github\.com/acme/' --certificate-oidc-issuer https://token.actions.githubusercontent.com --trusted-root 'my root.json' manifest.json`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.cfg.Validate(); err != nil {
				t.Fatal(err)
			}
			if got := AuditorCommand("manifest.json", BundleFileName, tc.cfg); got != tc.want {
				t.Fatalf("AuditorCommand =\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"plain.json":  "plain.json",
		"it's":        `'it'\''s'`,
		"$(rm -rf /)": "'$(rm -rf /)'",
		"":            "''",
	} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestVerifierConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		cfg  VerifierConfig
		want string
	}{
		{VerifierConfig{}, "a public key or a certificate identity"},
		{VerifierConfig{PublicKeyPath: "k", CertificateIdentity: "x"}, "not both"},
		{VerifierConfig{CertificateIdentity: "x"}, "OIDC issuer is required"},
		{VerifierConfig{CertificateOIDCIssuer: GitHubActionsIssuer}, "certificate identity (exact or regexp) is required"},
		{VerifierConfig{CertificateIdentityRegexp: "(", CertificateOIDCIssuer: GitHubActionsIssuer}, "regexp"},
	} {
		if err := tc.cfg.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate(%+v) = %v, want %q", tc.cfg, err, tc.want)
		}
	}
}

func TestEmptyTrustedRoot(t *testing.T) {
	tr, err := root.NewTrustedRootFromJSON(EmptyTrustedRoot())
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.FulcioCertificateAuthorities()) != 0 || len(tr.RekorLogs()) != 0 || len(tr.CTLogs()) != 0 || len(tr.TimestampingAuthorities()) != 0 {
		t.Fatalf("the empty trusted root trusts something: %+v", tr)
	}
}

func TestLoadVerifier(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ks := mustKeySigner(t, seededEd25519(4))
	keyCfg := VerifierConfig{PublicKeyPath: write("cosign.pub", ks.PublicKeyPEM()), TrustedRootPath: write("empty.json", EmptyTrustedRoot())}
	kv, err := LoadVerifier(keyCfg)
	if err != nil {
		t.Fatal(err)
	}
	if s, err := kv.VerifyBlob(manifest, mustSign(t, ks, manifest)); err != nil || s.KeyFingerprint != ks.Fingerprint() {
		t.Fatalf("key verifier from config: %+v, %v", s, err)
	}

	ss := newTestSigstore(t)
	idCfg := keylessConfig
	idCfg.TrustedRootPath = write("trusted_root.json", ss.trustedRootJSON())
	iv, err := LoadVerifier(idCfg)
	if err != nil {
		t.Fatal(err)
	}
	if s, err := iv.VerifyBlob(manifest, mustSign(t, ss.keylessSigner(workflowRef), manifest)); err != nil || s.Identity != keylessConfig.CertificateIdentity {
		t.Fatalf("identity verifier from config: %+v, %v", s, err)
	}

	for _, tc := range []struct {
		cfg  VerifierConfig
		want string
	}{
		{keylessConfig, "needs a trusted root"},
		{VerifierConfig{PublicKeyPath: filepath.Join(dir, "absent.pub")}, "no such file"},
		{VerifierConfig{PublicKeyPath: keyCfg.TrustedRootPath}, "load verifier " + keyCfg.TrustedRootPath},
		{VerifierConfig{CertificateIdentity: "x", CertificateOIDCIssuer: "y", TrustedRootPath: keyCfg.PublicKeyPath}, "trusted root"},
		{VerifierConfig{}, "verifier config"},
	} {
		if _, err := LoadVerifier(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("LoadVerifier(%+v) = %v, want %q", tc.cfg, err, tc.want)
		}
	}
}
