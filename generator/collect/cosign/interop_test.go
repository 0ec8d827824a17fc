package cosign

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/evident-project/evident/generator/collect"
	"github.com/evident-project/evident/generator/collect/cosign/cosigntest"
	"github.com/evident-project/evident/internal/testtools"
)

// cosignCLI runs the upstream cosign CLI in dir, offline: signatures are
// not uploaded to Rekor and verification ignores the transparency log, the
// same trust key-mode verification uses here.
type cosignCLI struct {
	t   *testing.T
	bin string
	dir string
}

func (c cosignCLI) run(args ...string) (string, error) {
	c.t.Helper()
	cmd := exec.Command(c.bin, args...)
	cmd.Dir = c.dir
	// SIGSTORE_ROOT_FILE, like --trusted-root where a command takes it,
	// stops the CLI from fetching sigstore's trust root from its TUF
	// repository: there is no network here, and key verification with
	// --insecure-ignore-tlog uses nothing from it.
	cmd.Env = append(os.Environ(), "COSIGN_PASSWORD=", "HOME="+c.dir, "TUF_ROOT="+filepath.Join(c.dir, ".sigstore"),
		"SIGSTORE_ROOT_FILE="+filepath.Join(c.dir, "unused-ca.pem"))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if strings.Contains(out.String(), "TUF") {
		c.t.Errorf("cosign %s reached for its TUF repository:\n%s", args[0], out.String())
	}
	return out.String(), err
}

func (c cosignCLI) must(args ...string) {
	c.t.Helper()
	if out, err := c.run(args...); err != nil {
		c.t.Fatalf("cosign %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// TestCosignCLIAgreement signs and attests with the real cosign CLI against
// a registry on a loopback port, then checks that the collector's verdict on
// every artifact agrees with `cosign verify` / `verify-blob` /
// `verify-attestation` for the same key.
func TestCosignCLIAgreement(t *testing.T) {
	bin := testtools.Cosign(t)
	dir, other := t.TempDir(), t.TempDir()
	ca, err := cosigntest.NewCA("unused", time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{dir, other} {
		if err := os.WriteFile(filepath.Join(d, "unused-ca.pem"), ca.CertPEM, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "trusted_root.json"), must(ca.TrustedRootJSON()), 0o644); err != nil {
		t.Fatal(err)
	}
	cli := cosignCLI{t: t, bin: bin, dir: dir}
	cli.must("generate-key-pair")
	cosignCLI{t: t, bin: bin, dir: other}.must("generate-key-pair")

	reg := cosigntest.NewRegistry(host)
	srv := httptest.NewServer(reg.Handler())
	defer srv.Close()
	regHost := strings.TrimPrefix(srv.URL, "http://")
	push := func(repo, seed string) string {
		img, err := cosigntest.Image(seed)
		if err != nil {
			t.Fatal(err)
		}
		tag, err := name.NewTag(regHost + "/" + repo + ":latest")
		if err != nil {
			t.Fatal(err)
		}
		if err := remote.Write(tag, img, remote.WithContext(context.Background())); err != nil {
			t.Fatal(err)
		}
		d, _ := img.Digest()
		return tag.Context().Digest(d.String()).String()
	}
	insecure := []string{"--allow-insecure-registry", "--allow-http-registry"}
	verifyFlags := []string{"--key", "cosign.pub", "--insecure-ignore-tlog"}
	withRoot := []string{"--trusted-root", "trusted_root.json"}
	signed, unsigned, foreign := push("acme/api", "cli api"), push("acme/worker", "cli worker"), push("acme/foreign", "cli foreign")
	cli.must(append([]string{"sign", "--key", "cosign.key", "--tlog-upload=false", "--yes"}, append(insecure, signed)...)...)
	cli.must(append([]string{"sign", "--key", filepath.Join(other, "cosign.key"), "--tlog-upload=false", "--yes"}, append(insecure, foreign)...)...)
	pred, _ := json.Marshal(cosigntest.SLSAProvenance(builderID, sourceRepo))
	if err := os.WriteFile(filepath.Join(dir, "provenance.json"), pred, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "sbom.spdx.json"), []byte(`{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","name":"api"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	cli.must(append([]string{"attest", "--key", "cosign.key", "--tlog-upload=false", "--yes", "--type", "slsaprovenance1", "--predicate", "provenance.json"}, append(insecure, signed)...)...)
	cli.must(append([]string{"attest", "--key", "cosign.key", "--tlog-upload=false", "--yes", "--type", "spdxjson", "--predicate", "sbom.spdx.json"}, append(insecure, signed)...)...)

	for name, content := range map[string]string{"legacy.txt": "legacy bundle", "new.txt": "new bundle", "bare.txt": "bare sig", "altered.txt": "original"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cli.must("sign-blob", "--key", "cosign.key", "--tlog-upload=false", "--yes", "--bundle", "legacy.txt.bundle", "legacy.txt")
	cli.must("sign-blob", "--key", "cosign.key", "--tlog-upload=false", "--yes", "--new-bundle-format", "--bundle", "new.txt.sigstore.json", "new.txt")
	cli.must("sign-blob", "--key", "cosign.key", "--tlog-upload=false", "--yes", "--output-signature", "bare.txt.sig", "bare.txt")
	cli.must("sign-blob", "--key", "cosign.key", "--tlog-upload=false", "--yes", "--new-bundle-format", "--bundle", "altered.txt.sigstore.json", "altered.txt")
	if err := os.WriteFile(filepath.Join(dir, "altered.txt"), []byte("tampered"), 0o644); err != nil {
		t.Fatal(err)
	}

	res, err := New(fastRetry).Collect(context.Background(), collect.Request{BaseDir: dir, Params: map[string]any{
		"key": "cosign.pub",
		"artifacts": []any{
			map[string]any{"name": "api", "image": signed},
			map[string]any{"name": "worker", "image": unsigned},
			map[string]any{"name": "foreign", "image": foreign},
			map[string]any{"name": "legacy", "blob": "legacy.txt"},
			map[string]any{"name": "new", "blob": "new.txt"},
			map[string]any{"name": "bare", "blob": "bare.txt"},
			map[string]any{"name": "altered", "blob": "altered.txt"},
		},
	}})
	if err != nil {
		t.Fatal(err)
	}
	d := res.Data.(*Data)
	want := map[string]string{"api": StatusVerified, "worker": StatusUnsigned, "foreign": StatusBadSignature,
		"legacy": StatusVerified, "new": StatusVerified, "bare": StatusVerified, "altered": StatusBadSignature}
	for _, a := range d.Artifacts {
		if a.Status != want[a.Name] {
			t.Errorf("%s: status %s (%s), want %s", a.Name, a.Status, a.Reason, want[a.Name])
		}
		var args []string
		if a.Kind == "image" {
			args = append(append(append([]string{"verify"}, verifyFlags...), withRoot...), append(insecure, a.Reference)...)
		} else {
			args = append([]string{"verify-blob"}, verifyFlags...)
			if strings.HasSuffix(a.SignatureSource, ".sig") {
				args = append(args, "--signature", a.SignatureSource)
			} else {
				args = append(args, "--bundle", a.SignatureSource)
				if strings.HasSuffix(a.SignatureSource, ".sigstore.json") {
					args = append(append(args, "--new-bundle-format"), withRoot...)
				}
			}
			args = append(args, a.Reference)
		}
		out, err := cli.run(args...)
		if cosignOK := err == nil; cosignOK != (a.Status == StatusVerified) {
			t.Errorf("%s: evident says %s, cosign %s exit ok=%v:\n%s", a.Name, a.Status, args[0], cosignOK, out)
		}
	}
	api := byName(t, d, "api")
	if !boolIs(api.Provenance, true) || api.BuilderID != builderID || api.SourceRepo != sourceRepo || !boolIs(api.SBOM, true) {
		t.Errorf("api attestations: provenance %v builder %q source %q sbom %v (%+v)", api.Provenance, api.BuilderID, api.SourceRepo, api.SBOM, api.Attestations)
	}
	for _, typ := range []string{"slsaprovenance1", "spdxjson"} {
		if out, err := cli.run(append(append(append([]string{"verify-attestation", "--type", typ}, verifyFlags...), withRoot...), append(insecure, signed)...)...); err != nil {
			t.Errorf("cosign verify-attestation --type %s disagrees: %v\n%s", typ, err, out)
		}
	}
}

// TestHelpersMakeWhatCosignVerifies checks that the cosigntest helpers the
// tests and the demo sign with produce what the real cosign CLI accepts:
// image signatures, attestations, sigstore bundles and bare signatures.
func TestHelpersMakeWhatCosignVerifies(t *testing.T) {
	bin := testtools.Cosign(t)
	dir := t.TempDir()
	cli := cosignCLI{t: t, bin: bin, dir: dir}
	ca, err := cosigntest.NewCA("unused", time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	key := cosigntest.KeyFromSeed("helpers")
	s := cosigntest.Signer{Key: key}
	blob := []byte("helper blob")
	for name, b := range map[string][]byte{
		"unused-ca.pem":      ca.CertPEM,
		"trusted_root.json":  must(ca.TrustedRootJSON()),
		"det.pub":            cosigntest.PublicKeyPEM(key),
		"blob.txt":           blob,
		"blob.sigstore.json": must(cosigntest.SignBlobBundle(blob, s)),
		"blob.sig":           must(cosigntest.SignBlob(blob, key)),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	reg := cosigntest.NewRegistry(host)
	srv := httptest.NewServer(reg.Handler())
	defer srv.Close()
	// The helpers reach the registry in-process; naming it by the server's
	// address lets the CLI reach the same registry over loopback HTTP.
	reg.Host = strings.TrimPrefix(srv.URL, "http://")
	ctx := context.Background()
	d := must(reg.PushImage(ctx, "acme/helpers", "helpers"))
	if err := reg.SignImage(ctx, d, s); err != nil {
		t.Fatal(err)
	}
	if err := reg.AttestImage(ctx, d, s, cosigntest.SLSAProvenanceV1, cosigntest.SLSAProvenance(builderID, sourceRepo)); err != nil {
		t.Fatal(err)
	}
	leaf := must(ca.Issue(cosigntest.KeyFromSeed("ci"), workflow, ghIssuer, time.Now().Add(-time.Minute), time.Now().Add(10*time.Minute)))
	kd := must(reg.PushImage(ctx, "acme/keyless", "keyless"))
	if err := reg.SignImage(ctx, kd, leaf); err != nil {
		t.Fatal(err)
	}
	flags := []string{"--key", "det.pub", "--insecure-ignore-tlog", "--trusted-root", "trusted_root.json", "--allow-insecure-registry", "--allow-http-registry"}
	keyless := []string{"verify", "--certificate-identity", workflow, "--certificate-oidc-issuer", ghIssuer, "--trusted-root", "trusted_root.json",
		"--insecure-ignore-tlog", "--insecure-ignore-sct", "--allow-insecure-registry", "--allow-http-registry", kd.String()}
	for _, args := range [][]string{
		keyless,
		append(append([]string{"verify"}, flags...), d.String()),
		append(append([]string{"verify-attestation", "--type", "slsaprovenance1"}, flags...), d.String()),
		{"verify-blob", "--key", "det.pub", "--insecure-ignore-tlog", "--trusted-root", "trusted_root.json", "--new-bundle-format", "--bundle", "blob.sigstore.json", "blob.txt"},
		{"verify-blob", "--key", "det.pub", "--insecure-ignore-tlog", "--signature", "blob.sig", "blob.txt"},
	} {
		if out, err := cli.run(args...); err != nil {
			t.Errorf("cosign %s rejects what cosigntest made: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	// And the CLI does check the identity the helper put in the certificate.
	wrong := append([]string(nil), keyless...)
	wrong[2] = "https://github.com/mallory/payments/.github/workflows/release.yml@refs/heads/main"
	if out, err := cli.run(wrong...); err == nil {
		t.Errorf("cosign accepted the helper's certificate for another identity:\n%s", out)
	}
}
