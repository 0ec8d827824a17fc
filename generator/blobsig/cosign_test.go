package blobsig

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evident-project/evident/internal/testtools"
)

// Interop with the real cosign CLI (v2.6.5, built by `make tools`): what an
// auditor runs must accept evident's bundles and reject the same tampering
// evident rejects.

// cosignDir is a folder laid out as the evidence package an auditor gets.
type cosignDir struct {
	t   *testing.T
	bin string
	dir string
}

func newCosignDir(t *testing.T) *cosignDir {
	bin := testtools.Cosign(t)
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "home"), 0o755); err != nil {
		t.Fatal(err)
	}
	return &cosignDir{t: t, bin: bin, dir: dir}
}

func (c *cosignDir) write(name string, data []byte) {
	c.t.Helper()
	if err := os.WriteFile(filepath.Join(c.dir, name), data, 0o600); err != nil {
		c.t.Fatal(err)
	}
}

func (c *cosignDir) read(name string) []byte {
	c.t.Helper()
	data, err := os.ReadFile(filepath.Join(c.dir, name))
	if err != nil {
		c.t.Fatal(err)
	}
	return data
}

// run runs cosign with a clean environment: nothing from the developer's
// COSIGN_* / SIGSTORE_* settings or ~/.sigstore cache leaks in.
func (c *cosignDir) run(env []string, args ...string) (string, error) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.bin, args...)
	cmd.Dir = c.dir
	cmd.Env = append([]string{"HOME=" + filepath.Join(c.dir, "home"), "PATH=" + os.Getenv("PATH")}, env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// auditor runs the exact command line AuditorCommand prints, through a shell.
func (c *cosignDir) auditor(cfg VerifierConfig) (string, error) {
	c.t.Helper()
	line := AuditorCommand("manifest.json", BundleFileName, cfg)
	rest, ok := strings.CutPrefix(line, "cosign ")
	if !ok {
		c.t.Fatalf("auditor command does not start with cosign: %s", line)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", shellQuote(c.bin)+" "+rest)
	cmd.Dir = c.dir
	cmd.Env = []string{"HOME=" + filepath.Join(c.dir, "home"), "PATH=" + os.Getenv("PATH")}
	out, err := cmd.CombinedOutput()
	return line + "\n" + string(out), err
}

func (c *cosignDir) wantAccepted(cfg VerifierConfig) {
	c.t.Helper()
	out, err := c.auditor(cfg)
	if err != nil || !strings.Contains(out, "Verified OK") {
		c.t.Fatalf("cosign rejected evident's bundle (%v):\n%s", err, out)
	}
}

func (c *cosignDir) wantRejected(cfg VerifierConfig, says string) {
	c.t.Helper()
	out, err := c.auditor(cfg)
	if err == nil || strings.Contains(out, "Verified OK") || !strings.Contains(out, says) {
		c.t.Fatalf("cosign did not reject with %q (%v):\n%s", says, err, out)
	}
}

// rejection is one tampering case, checked against evident and cosign alike.
type rejection struct {
	name       string
	setup      func(c *cosignDir) // rewrites files of a good package
	kind       error              // evident's error kind
	cosignSays string             // in cosign's output
}

func runRejections(t *testing.T, good map[string][]byte, cfg VerifierConfig, cases []rejection) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newCosignDir(t)
			for name, data := range good {
				c.write(name, data)
			}
			tc.setup(c)
			c.wantRejected(cfg, tc.cosignSays)
			v, err := LoadVerifier(withDir(cfg, c.dir))
			if err != nil {
				t.Fatal(err)
			}
			_, err = v.VerifyBlob(c.read("manifest.json"), c.read(BundleFileName))
			wantKind(t, err, tc.kind)
		})
	}
}

// withDir resolves the config's relative paths in dir, as evident would
// when it checks an evidence package.
func withDir(cfg VerifierConfig, dir string) VerifierConfig {
	if cfg.PublicKeyPath != "" {
		cfg.PublicKeyPath = filepath.Join(dir, cfg.PublicKeyPath)
	}
	if cfg.TrustedRootPath != "" {
		cfg.TrustedRootPath = filepath.Join(dir, cfg.TrustedRootPath)
	}
	return cfg
}

func TestCosignVerifiesKeyBundles(t *testing.T) {
	filePriv, filePub, err := GenerateKeyPair([]byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	ecdsaSigner, err := LoadKeySigner(filePriv, []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	if string(ecdsaSigner.PublicKeyPEM()) != string(filePub) {
		t.Fatal("loaded key does not match its public key")
	}
	other := mustKeySigner(t, seededEd25519(99))

	for name, s := range map[string]*KeySigner{
		"ecdsa cosign key": ecdsaSigner,
		// cosign verify-blob v2.6.5 accepts Ed25519 public keys: it loads a
		// --key with pure Ed25519, which is what evident signs with.
		"ed25519 in-memory key": mustKeySigner(t, seededEd25519(5)),
	} {
		t.Run(name, func(t *testing.T) {
			good := map[string][]byte{
				"manifest.json":     manifest,
				BundleFileName:      mustSign(t, s, manifest),
				"cosign.pub":        s.PublicKeyPEM(),
				TrustedRootFileName: EmptyTrustedRoot(),
			}
			c := newCosignDir(t)
			for n, d := range good {
				c.write(n, d)
			}
			c.wantAccepted(keyConfig)

			runRejections(t, good, keyConfig, []rejection{
				{"tampered payload", func(c *cosignDir) { c.write("manifest.json", append([]byte(" "), manifest...)) }, ErrBadSignature, "failed to verify signature"},
				{"swapped bundle", func(c *cosignDir) { c.write(BundleFileName, mustSign(t, s, otherManifest)) }, ErrBadSignature, "failed to verify signature"},
				{"wrong key", func(c *cosignDir) { c.write("cosign.pub", other.PublicKeyPEM()) }, ErrUntrustedKey, "failed to verify signature"},
				{"bundle from another key", func(c *cosignDir) { c.write(BundleFileName, mustSign(t, other, manifest)) }, ErrUntrustedKey, "failed to verify signature"},
			})
		})
	}
}

func TestCosignVerifiesKeylessBundles(t *testing.T) {
	ss := newTestSigstore(t)
	good := map[string][]byte{
		"manifest.json":     manifest,
		BundleFileName:      mustSign(t, ss.keylessSigner(workflowRef), manifest),
		TrustedRootFileName: ss.trustedRootJSON(),
	}
	cfg := keylessConfig
	cfg.TrustedRootPath = TrustedRootFileName

	// cosign verifies offline against the virtual instance's trusted root,
	// with its default checks: certificate chain, embedded SCT, Rekor entry
	// (SET and inclusion proof) and identity. No --insecure-* flag.
	c := newCosignDir(t)
	for n, d := range good {
		c.write(n, d)
	}
	c.wantAccepted(cfg)
	regexpCfg := cfg
	regexpCfg.CertificateIdentity, regexpCfg.CertificateIdentityRegexp = "", `^https://github\.com/acme/evidence/`
	c.wantAccepted(regexpCfg)

	foreign := newTestSigstore(t)
	runRejections(t, good, cfg, []rejection{
		{"tampered payload", func(c *cosignDir) { c.write("manifest.json", append([]byte(" "), manifest...)) }, ErrBadSignature, "failed to verify signature"},
		{"swapped bundle", func(c *cosignDir) {
			c.write(BundleFileName, mustSign(t, ss.keylessSigner(workflowRef), otherManifest))
		}, ErrBadSignature, "failed to verify signature"},
		{"wrong identity", func(c *cosignDir) {
			c.write(BundleFileName, mustSign(t, ss.keylessSigner(otherRef), manifest))
		}, ErrWrongIdentity, "no matching CertificateIdentity"},
		{"untrusted sigstore", func(c *cosignDir) { c.write(TrustedRootFileName, foreign.trustedRootJSON()) }, ErrUntrustedKey, "failed to verify"},
	})
	wrongIssuer := cfg
	wrongIssuer.CertificateOIDCIssuer = "https://accounts.google.com"
	runRejections(t, good, wrongIssuer, []rejection{
		{"wrong issuer", func(*cosignDir) {}, ErrWrongIdentity, "no matching CertificateIdentity"},
	})
}

func TestEvidentVerifiesCosignSignBlob(t *testing.T) {
	c := newCosignDir(t)
	priv, pub, err := GenerateKeyPair([]byte("s3cret"))
	if err != nil {
		t.Fatal(err)
	}
	c.write("cosign.key", priv)
	c.write("cosign.pub", pub)
	c.write("manifest.json", manifest)
	// cosign reads the password evident's key was encrypted with.
	if out, err := c.run([]string{"COSIGN_PASSWORD=s3cret"}, "sign-blob", "--key", "cosign.key",
		"--bundle", "cosign.sigstore.json", "--new-bundle-format", "--tlog-upload=false", "--yes", "manifest.json"); err != nil {
		t.Fatalf("cosign sign-blob: %v\n%s", err, out)
	}
	bundle := c.read("cosign.sigstore.json")
	v := mustKeyVerifier(t, pub)
	got, err := v.VerifyBlob(manifest, bundle)
	if err != nil {
		t.Fatalf("evident rejected cosign's bundle: %v\n%s", err, bundle)
	}
	if want, _ := PublicKeyFingerprint(pub); got.KeyFingerprint != want {
		t.Fatalf("signer %+v, want key %s", got, want)
	}
	_, err = v.VerifyBlob(otherManifest, bundle)
	wantKind(t, err, ErrBadSignature)
	_, err = mustKeyVerifier(t, mustKeySigner(t, seededEd25519(1)).PublicKeyPEM()).VerifyBlob(manifest, bundle)
	wantKind(t, err, ErrUntrustedKey)

	// Without --new-bundle-format cosign v2 writes its legacy bundle, which
	// evident names rather than misreads.
	if out, err := c.run([]string{"COSIGN_PASSWORD=s3cret"}, "sign-blob", "--key", "cosign.key",
		"--bundle", "legacy.json", "--tlog-upload=false", "--yes", "manifest.json"); err != nil {
		t.Fatalf("cosign sign-blob (legacy): %v\n%s", err, out)
	}
	_, err = v.VerifyBlob(manifest, c.read("legacy.json"))
	wantKind(t, err, ErrMalformedBundle)
	if !strings.Contains(err.Error(), "--new-bundle-format") {
		t.Fatalf("legacy bundle error does not say how to fix it: %v", err)
	}
}

func TestEvidentSignsWithCosignGeneratedKey(t *testing.T) {
	c := newCosignDir(t)
	if out, err := c.run([]string{"COSIGN_PASSWORD=from-cosign"}, "generate-key-pair"); err != nil {
		t.Fatalf("cosign generate-key-pair: %v\n%s", err, out)
	}
	s, err := LoadKeySigner(c.read("cosign.key"), []byte("from-cosign"))
	if err != nil {
		t.Fatal(err)
	}
	if string(s.PublicKeyPEM()) != string(c.read("cosign.pub")) {
		t.Fatal("evident derives another public key from cosign's private key")
	}
	c.write("manifest.json", manifest)
	c.write(BundleFileName, mustSign(t, s, manifest))
	c.write(TrustedRootFileName, EmptyTrustedRoot())
	c.wantAccepted(keyConfig)
}
