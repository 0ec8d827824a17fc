package cosign

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sigstore/sigstore/pkg/signature/payload"

	"github.com/evident-project/evident/generator/collect"
	"github.com/evident-project/evident/generator/collect/collecttest"
	"github.com/evident-project/evident/generator/collect/cosign/cosigntest"
)

const (
	host       = "registry.evident.test"
	workflow   = "https://github.com/acme/payments/.github/workflows/release.yml@refs/heads/main"
	ghIssuer   = "https://token.actions.githubusercontent.com"
	builderID  = "https://github.com/actions/runner/github-hosted"
	sourceRepo = "https://github.com/acme/payments"
)

// fastRetry keeps registry-failure tests quick; production keeps
// go-containerregistry's default backoff.
var fastRetry = WithRetryBackoff(remote.Backoff{Duration: time.Millisecond, Factor: 1, Steps: 2})

func writeFile(t *testing.T, dir, rel string, b []byte) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// must unwraps a setup step; a failing setup panics, which fails the test
// with the stack of the step that broke.
func must[T any](v T, err error) T {
	if err != nil {
		panic("test setup: " + err.Error())
	}
	return v
}

// keyWorld is a registry and a config folder for key-mode verification.
type keyWorld struct {
	reg    *cosigntest.Registry
	dir    string
	params map[string]any
}

// newKeyWorld builds every key-mode case: images signed by the release key
// (with SLSA provenance and an SBOM), unsigned, signed by another key,
// carrying a release-key signature made for another image, and missing;
// blobs with a good sigstore bundle, an altered blob, a bare .sig and none.
func newKeyWorld(t *testing.T) *keyWorld {
	t.Helper()
	ctx := context.Background()
	reg := cosigntest.NewRegistry(host)
	key, other := cosigntest.KeyFromSeed("release"), cosigntest.KeyFromSeed("intruder")
	signer, intruder := cosigntest.Signer{Key: key}, cosigntest.Signer{Key: other}
	dir := t.TempDir()
	writeFile(t, dir, "keys/release-cosign.pub", cosigntest.PublicKeyPEM(key))

	api := must(reg.PushImage(ctx, "acme/payments-api", "payments-api v1.4.0"))
	if err := reg.SignImage(ctx, api, signer); err != nil {
		t.Fatal(err)
	}
	if err := reg.AttestImage(ctx, api, signer, cosigntest.SLSAProvenanceV1, cosigntest.SLSAProvenance(builderID, sourceRepo)); err != nil {
		t.Fatal(err)
	}
	if err := reg.AttestImage(ctx, api, signer, cosigntest.SPDXDocument, map[string]any{"spdxVersion": "SPDX-2.3", "name": "payments-api"}); err != nil {
		t.Fatal(err)
	}
	// A provenance signed by someone else must not count.
	if err := reg.AttestImage(ctx, api, intruder, "https://cyclonedx.org/bom", map[string]any{"bomFormat": "CycloneDX"}); err != nil {
		t.Fatal(err)
	}
	worker := must(reg.PushImage(ctx, "acme/ledger-worker", "ledger-worker v2.0.0"))
	forged := must(reg.PushImage(ctx, "acme/forged", "forged v0.0.1"))
	if err := reg.SignImage(ctx, forged, intruder); err != nil {
		t.Fatal(err)
	}
	copied := must(reg.PushImage(ctx, "acme/copied", "copied v0.0.1"))
	apiPayload := must(payload.Cosign{Image: api}.MarshalJSON())
	if err := reg.SignImagePayload(ctx, copied, apiPayload, signer); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte("never pushed"))
	ghost := host + "/acme/ghost@sha256:" + hex.EncodeToString(sum[:])

	cli := []byte("ledger-cli 1.0 release tarball")
	writeFile(t, dir, "dist/ledger-cli.tar.gz", cli)
	writeFile(t, dir, "dist/ledger-cli.tar.gz.sigstore.json", must(cosigntest.SignBlobBundle(cli, signer)))
	writeFile(t, dir, "dist/ledger-cli.intoto.json", must(cosigntest.AttestBlobBundle("ledger-cli.tar.gz", cli, signer, cosigntest.SLSAProvenanceV1, cosigntest.SLSAProvenance(builderID, sourceRepo))))
	writeFile(t, dir, "dist/altered.tar.gz", append([]byte("ledger-cli 1.0 release tarball"), '!'))
	writeFile(t, dir, "dist/altered.tar.gz.sigstore.json", must(cosigntest.SignBlobBundle(cli, signer)))
	notes := []byte("release notes")
	writeFile(t, dir, "dist/notes.txt", notes)
	writeFile(t, dir, "dist/notes.txt.sig", must(cosigntest.SignBlob(notes, key)))
	writeFile(t, dir, "dist/checksums.txt", []byte("abc  ledger-cli.tar.gz\n"))

	return &keyWorld{reg: reg, dir: dir, params: map[string]any{
		"key": "keys/release-cosign.pub",
		"artifacts": []any{
			map[string]any{"name": "payments-api", "image": api.String()},
			map[string]any{"name": "ledger-worker", "image": worker.String()},
			map[string]any{"name": "forged", "image": forged.String()},
			map[string]any{"name": "copied", "image": copied.String()},
			map[string]any{"name": "ghost", "image": ghost},
			map[string]any{"name": "ledger-cli", "blob": "dist/ledger-cli.tar.gz", "attestations": []any{"dist/ledger-cli.intoto.json", "dist/missing.intoto.json"}},
			map[string]any{"name": "altered", "blob": "dist/altered.tar.gz"},
			map[string]any{"name": "notes", "blob": "dist/notes.txt"},
			map[string]any{"name": "checksums", "blob": "dist/checksums.txt"},
		},
	}}
}

func (w *keyWorld) request() collect.Request {
	return collect.Request{BaseDir: w.dir, Params: w.params}
}

func (w *keyWorld) collector(opts ...Option) collect.Collector {
	return New(append([]Option{WithTransport(w.reg.Transport()), fastRetry}, opts...)...)
}

func collectData(t *testing.T, c collect.Collector, req collect.Request) (*Data, collect.Provenance) {
	t.Helper()
	res, err := c.Collect(context.Background(), req)
	if err != nil {
		t.Fatalf("collect: %v", err)
	}
	return res.Data.(*Data), res.Provenance
}

func byName(t *testing.T, d *Data, n string) Artifact {
	t.Helper()
	for _, a := range d.Artifacts {
		if a.Name == n {
			return a
		}
	}
	t.Fatalf("no artifact %q in %+v", n, d.Artifacts)
	return Artifact{}
}

func wantStatus(t *testing.T, a Artifact, status, reasonContains string) {
	t.Helper()
	if a.Status != status {
		t.Errorf("%s: status %s (%s), want %s", a.Name, a.Status, a.Reason, status)
		return
	}
	if !strings.Contains(a.Reason, reasonContains) {
		t.Errorf("%s: reason %q does not mention %q", a.Name, a.Reason, reasonContains)
	}
}

func boolIs(p *bool, want bool) bool { return p != nil && *p == want }

func TestContract(t *testing.T) {
	w := newKeyWorld(t)
	collecttest.Run(t, collecttest.Suite{
		New:     func() collect.Collector { return w.collector() },
		Request: func(t *testing.T) collect.Request { return w.request() },
		Failing: func(t *testing.T) map[collect.ErrorKind]collect.Request {
			missingKey := map[string]any{"key": "keys/nope.pub", "artifacts": w.params["artifacts"]}
			return map[collect.ErrorKind]collect.Request{
				collect.KindInvalid:  {BaseDir: w.dir, Params: map[string]any{"key": "keys/release-cosign.pub"}},
				collect.KindNotFound: {BaseDir: w.dir, Params: missingKey},
			}
		},
	})
}

func TestKeyStatuses(t *testing.T) {
	w := newKeyWorld(t)
	d, prov := collectData(t, w.collector(), w.request())
	keySHA := d.Key.SHA256
	if len(keySHA) != 64 {
		t.Fatalf("key sha256 %q", keySHA)
	}

	api := byName(t, d, "payments-api")
	wantStatus(t, api, StatusVerified, "")
	if len(api.Signers) != 1 || api.Signers[0].KeySHA256 != keySHA {
		t.Errorf("payments-api signers %+v, want the release key %s", api.Signers, keySHA)
	}
	if !boolIs(api.Provenance, true) || api.BuilderID != builderID || api.SourceRepo != sourceRepo {
		t.Errorf("payments-api provenance %v builder %q source %q", api.Provenance, api.BuilderID, api.SourceRepo)
	}
	if !boolIs(api.SBOM, true) {
		t.Errorf("payments-api sbom %v, want true", api.SBOM)
	}
	if len(api.Attestations) != 3 {
		t.Fatalf("payments-api attestations %+v, want 3", api.Attestations)
	}
	for _, at := range api.Attestations {
		if at.PredicateType == "https://cyclonedx.org/bom" && at.Status != StatusBadSignature {
			t.Errorf("attestation by another key: %+v, want bad_signature", at)
		}
	}
	if !strings.HasPrefix(api.Digest, "sha256:") || api.Kind != "image" {
		t.Errorf("payments-api digest %q kind %q", api.Digest, api.Kind)
	}

	worker := byName(t, d, "ledger-worker")
	wantStatus(t, worker, StatusUnsigned, "no cosign signature")
	if !boolIs(worker.SBOM, false) || !boolIs(worker.Provenance, false) {
		t.Errorf("unsigned image: sbom %v provenance %v, want false false", worker.SBOM, worker.Provenance)
	}
	wantStatus(t, byName(t, d, "forged"), StatusBadSignature, "another key")
	wantStatus(t, byName(t, d, "copied"), StatusBadSignature, "digest")
	ghost := byName(t, d, "ghost")
	wantStatus(t, ghost, StatusUnreachable, "not found in the registry")
	if ghost.SBOM != nil || ghost.Provenance != nil {
		t.Errorf("unreachable image claims sbom %v provenance %v", ghost.SBOM, ghost.Provenance)
	}

	cli := byName(t, d, "ledger-cli")
	wantStatus(t, cli, StatusVerified, "")
	if cli.SignatureSource != "dist/ledger-cli.tar.gz.sigstore.json" || cli.Kind != "blob" {
		t.Errorf("ledger-cli source %q kind %q", cli.SignatureSource, cli.Kind)
	}
	if !boolIs(cli.Provenance, true) || cli.BuilderID != builderID || !boolIs(cli.SBOM, false) {
		t.Errorf("ledger-cli provenance %v builder %q sbom %v", cli.Provenance, cli.BuilderID, cli.SBOM)
	}
	if len(cli.Attestations) != 2 || cli.Attestations[1].Status != StatusNotFound {
		t.Errorf("ledger-cli attestations %+v, want the missing one not_found", cli.Attestations)
	}
	wantStatus(t, byName(t, d, "altered"), StatusBadSignature, "declared key")
	notes := byName(t, d, "notes")
	wantStatus(t, notes, StatusVerified, "")
	if notes.SignatureSource != "dist/notes.txt.sig" {
		t.Errorf("notes signature source %q", notes.SignatureSource)
	}
	wantStatus(t, byName(t, d, "checksums"), StatusUnsigned, "dist/checksums.txt.sigstore.json")

	s := d.Summary
	if s.Artifacts != 9 || s.ByStatus[StatusVerified] != 3 || s.ByStatus[StatusUnsigned] != 2 ||
		s.ByStatus[StatusBadSignature] != 3 || s.ByStatus[StatusUnreachable] != 1 || s.ByStatus[StatusWrongIdentity] != 0 ||
		s.WithProvenance != 2 || s.WithSBOM != 1 || len(s.NotVerified) != 6 {
		t.Errorf("summary %+v", s)
	}
	if prov.Records["artifacts"] != 9 || prov.Records["verified"] != 3 || !prov.Complete {
		t.Errorf("provenance records %v complete %v", prov.Records, prov.Complete)
	}
	var sawGhost404, sawKeyRead bool
	for _, r := range prov.Reads {
		if strings.Contains(r.Target, "acme/ghost/manifests/") && r.Status == "404" {
			sawGhost404 = true
		}
		if r.Method == "read" && r.Target == "keys/release-cosign.pub" && r.Status == "ok" {
			sawKeyRead = true
		}
	}
	if !sawGhost404 || !sawKeyRead {
		t.Errorf("reads do not show the failed ghost manifest read (%v) or the key read (%v): %+v", sawGhost404, sawKeyRead, prov.Reads)
	}
	if !strings.Contains(strings.Join(prov.Notes, "\n"), "unreachable artifacts (see the failed reads): ghost") {
		t.Errorf("notes %q do not name the unreachable artifact", prov.Notes)
	}
}

// TestSameWorldSameData rebuilds the world from the same seeds (a new
// registry, signatures made again) and expects byte-identical evidence,
// provenance included, which is what the demo relies on.
func TestSameWorldSameData(t *testing.T) {
	a, b := newKeyWorld(t), newKeyWorld(t)
	da, pa := collectData(t, a.collector(), a.request())
	db, pb := collectData(t, b.collector(), b.request())
	ja, jb := must(json.Marshal(struct{ D, P any }{da, pa})), must(json.Marshal(struct{ D, P any }{db, pb}))
	if string(ja) != string(jb) {
		t.Fatalf("same world, different evidence:\n%s\n---\n%s", ja, jb)
	}
}

func TestRegistryDown(t *testing.T) {
	reg := cosigntest.NewRegistry(host)
	srv := httptest.NewServer(reg.Handler())
	key := cosigntest.KeyFromSeed("release")
	dir := t.TempDir()
	writeFile(t, dir, "k.pub", cosigntest.PublicKeyPEM(key))
	// Push through the real HTTP server under its 127.0.0.1 address.
	img, err := cosigntest.Image("down")
	if err != nil {
		t.Fatal(err)
	}
	tag := must(name.NewTag(strings.TrimPrefix(srv.URL, "http://") + "/acme/api:latest"))
	if err := remote.Write(tag, img); err != nil {
		t.Fatal(err)
	}
	dg := must(img.Digest())
	ref := tag.Context().Digest(dg.String()).String()
	params := map[string]any{"key": "k.pub", "artifacts": []any{map[string]any{"name": "api", "image": ref}}}

	// Up: reachable over real HTTP, and unsigned.
	d, _ := collectData(t, New(fastRetry), collect.Request{BaseDir: dir, Params: params})
	wantStatus(t, d.Artifacts[0], StatusUnsigned, "")

	srv.Close()
	d, prov := collectData(t, New(fastRetry), collect.Request{BaseDir: dir, Params: params})
	a := d.Artifacts[0]
	wantStatus(t, a, StatusUnreachable, "read image manifest")
	if a.SBOM != nil || a.Provenance != nil || a.Digest != "" {
		t.Errorf("down registry: %+v", a)
	}
	failed := false
	for _, r := range prov.Reads {
		failed = failed || r.Status == "unreachable"
	}
	if !failed || !prov.Complete {
		t.Errorf("reads %+v complete %v: want a failed read recorded and the item complete", prov.Reads, prov.Complete)
	}

	// A registry answering 503 to everything.
	down := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: http.StatusServiceUnavailable, Body: http.NoBody, Header: http.Header{}, Request: r}, nil
	})
	d, _ = collectData(t, New(WithTransport(down), fastRetry), collect.Request{BaseDir: dir, Params: map[string]any{
		"key": "k.pub", "artifacts": []any{map[string]any{"name": "api", "image": host + "/acme/api@" + dg.String()}},
	}})
	wantStatus(t, d.Artifacts[0], StatusUnreachable, "HTTP 503")
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// keylessWorld signs with certificates from a throw-away CA. Its trusted
// root has no Rekor or CT log, so these tests disable the transparency log
// and SCT checks with the unexported test option; TestKeylessRequiresTlog
// shows that without it the same signatures are rejected.
type keylessWorld struct {
	reg    *cosigntest.Registry
	dir    string
	params map[string]any
}

func newKeylessWorld(t *testing.T) *keylessWorld {
	t.Helper()
	ctx := context.Background()
	now := time.Now()
	ca := must(cosigntest.NewCA("fulcio test", now.Add(-time.Hour), now.Add(24*time.Hour)))
	rogue := must(cosigntest.NewCA("rogue", now.Add(-time.Hour), now.Add(24*time.Hour)))
	good := must(ca.Issue(cosigntest.KeyFromSeed("ci"), workflow, ghIssuer, now.Add(-time.Minute), now.Add(10*time.Minute)))
	fork := must(ca.Issue(cosigntest.KeyFromSeed("fork"), "https://github.com/mallory/payments/.github/workflows/release.yml@refs/heads/main", ghIssuer, now.Add(-time.Minute), now.Add(10*time.Minute)))
	human := must(ca.Issue(cosigntest.KeyFromSeed("human"), "dev@acme.example", "https://accounts.google.com", now.Add(-time.Minute), now.Add(10*time.Minute)))
	outsider := must(rogue.Issue(cosigntest.KeyFromSeed("ci"), workflow, ghIssuer, now.Add(-time.Minute), now.Add(10*time.Minute)))

	reg := cosigntest.NewRegistry(host)
	dir := t.TempDir()
	writeFile(t, dir, "keys/trusted_root.json", must(ca.TrustedRootJSON()))
	push := func(repo string, s *cosigntest.Signer) name.Digest {
		d := must(reg.PushImage(ctx, repo, repo))
		if s != nil {
			if err := reg.SignImage(ctx, d, *s); err != nil {
				t.Fatal(err)
			}
		}
		return d
	}
	api := push("acme/payments-api", &good)
	if err := reg.AttestImage(ctx, api, good, cosigntest.SLSAProvenanceV1, cosigntest.SLSAProvenance(builderID, sourceRepo)); err != nil {
		t.Fatal(err)
	}
	forked := push("acme/forked", &fork)
	byHuman := push("acme/by-human", &human)
	rogueSigned := push("acme/rogue", &outsider)
	blob := []byte("ledger-cli keyless")
	writeFile(t, dir, "dist/cli.tgz", blob)
	writeFile(t, dir, "dist/cli.tgz.sigstore.json", must(cosigntest.SignBlobBundle(blob, good)))
	writeFile(t, dir, "dist/forked.tgz", blob)
	writeFile(t, dir, "dist/forked.tgz.sigstore.json", must(cosigntest.SignBlobBundle(blob, fork)))

	return &keylessWorld{reg: reg, dir: dir, params: map[string]any{
		"identity":     map[string]any{"subject": workflow, "issuer": ghIssuer},
		"trusted_root": "keys/trusted_root.json",
		"artifacts": []any{
			map[string]any{"name": "payments-api", "image": api.String()},
			map[string]any{"name": "forked", "image": forked.String()},
			map[string]any{"name": "by-human", "image": byHuman.String()},
			map[string]any{"name": "rogue", "image": rogueSigned.String()},
			map[string]any{"name": "cli", "blob": "dist/cli.tgz"},
			map[string]any{"name": "forked-cli", "blob": "dist/forked.tgz"},
		},
	}}
}

func TestKeylessStatuses(t *testing.T) {
	w := newKeylessWorld(t)
	c := New(WithTransport(w.reg.Transport()), fastRetry, withoutTransparencyChecks())
	d, prov := collectData(t, c, collect.Request{BaseDir: w.dir, Params: w.params})
	if d.Mode != "keyless" || d.Identity == nil || d.Identity.Subject != workflow {
		t.Errorf("mode %q identity %+v", d.Mode, d.Identity)
	}
	want := Signer{Subject: workflow, Issuer: ghIssuer}
	api := byName(t, d, "payments-api")
	wantStatus(t, api, StatusVerified, "")
	if len(api.Signers) != 1 || api.Signers[0] != want {
		t.Errorf("payments-api signers %+v, want %+v", api.Signers, want)
	}
	if !boolIs(api.Provenance, true) || api.BuilderID != builderID {
		t.Errorf("keyless provenance %v builder %q", api.Provenance, api.BuilderID)
	}
	forked := byName(t, d, "forked")
	wantStatus(t, forked, StatusWrongIdentity, "mallory")
	if len(forked.OtherSigners) != 1 || forked.OtherSigners[0].Issuer != ghIssuer || len(forked.Signers) != 0 {
		t.Errorf("forked signers %+v other %+v", forked.Signers, forked.OtherSigners)
	}
	wantStatus(t, byName(t, d, "by-human"), StatusWrongIdentity, "dev@acme.example (issuer https://accounts.google.com)")
	wantStatus(t, byName(t, d, "rogue"), StatusBadSignature, "")
	cli := byName(t, d, "cli")
	wantStatus(t, cli, StatusVerified, "")
	if len(cli.Signers) != 1 || cli.Signers[0] != want {
		t.Errorf("cli signers %+v", cli.Signers)
	}
	wantStatus(t, byName(t, d, "forked-cli"), StatusWrongIdentity, "mallory")
	if !strings.Contains(strings.Join(prov.Notes, " "), "transparency log and SCT checks were disabled") {
		t.Errorf("notes %q do not say the checks were disabled", prov.Notes)
	}
}

// TestKeylessRequiresTlog runs the production configuration against the
// same world: signatures without a transparency log entry do not verify.
func TestKeylessRequiresTlog(t *testing.T) {
	w := newKeylessWorld(t)
	d, _ := collectData(t, New(WithTransport(w.reg.Transport()), fastRetry), collect.Request{BaseDir: w.dir, Params: w.params})
	for _, a := range d.Artifacts {
		if a.Status != StatusBadSignature {
			t.Errorf("%s: status %s (%s), want bad_signature without a transparency log entry", a.Name, a.Status, a.Reason)
		}
	}
	if r := byName(t, d, "payments-api").Reason; !strings.Contains(r, "offline") && !strings.Contains(r, "tlog") && !strings.Contains(r, "transparency") {
		t.Errorf("reason %q does not point at the missing transparency log entry", r)
	}
}

func TestParamErrors(t *testing.T) {
	w := newKeyWorld(t)
	arts := []any{map[string]any{"name": "a", "blob": "dist/notes.txt"}}
	cases := []struct {
		name   string
		params map[string]any
		kind   collect.ErrorKind
		msg    string
	}{
		{"no signer", map[string]any{"artifacts": arts}, collect.KindInvalid, "one of key or identity"},
		{"both signers", map[string]any{"key": "k", "identity": map[string]any{"subject": "s", "issuer": "i"}, "artifacts": arts}, collect.KindInvalid, "exclusive"},
		{"unknown param", map[string]any{"key": "k", "artifacts": arts, "provenance": true}, collect.KindInvalid, "unknown field"},
		{"no artifacts", map[string]any{"key": "keys/release-cosign.pub"}, collect.KindInvalid, "artifacts"},
		{"duplicate name", map[string]any{"key": "k", "artifacts": []any{arts[0], arts[0]}}, collect.KindInvalid, "twice"},
		{"image and blob", map[string]any{"key": "k", "artifacts": []any{map[string]any{"name": "a", "blob": "b", "image": "r/i"}}}, collect.KindInvalid, "exactly one of image or blob"},
		{"escaping path", map[string]any{"key": "../k", "artifacts": arts}, collect.KindInvalid, "inside the config folder"},
		{"bad image", map[string]any{"key": "k", "artifacts": []any{map[string]any{"name": "a", "image": "UPPER/Case@@"}}}, collect.KindInvalid, "image"},
		{"keyless without root", map[string]any{"identity": map[string]any{"subject": "s", "issuer": "i"}, "artifacts": arts}, collect.KindInvalid, "trusted_root"},
		{"keyless bad regexp", map[string]any{"identity": map[string]any{"subject_regexp": "(", "issuer": "i"}, "trusted_root": "r.json", "artifacts": arts}, collect.KindInvalid, "subject_regexp"},
		{"keyless bare sig", map[string]any{"identity": map[string]any{"subject": "s", "issuer": "i"}, "trusted_root": "r.json", "artifacts": []any{map[string]any{"name": "a", "blob": "b", "signature": "b.sig"}}}, collect.KindInvalid, "bare signature"},
		{"missing key", map[string]any{"key": "keys/none.pub", "artifacts": arts}, collect.KindNotFound, "keys/none.pub"},
		{"malformed key", map[string]any{"key": "dist/notes.txt", "artifacts": arts}, collect.KindInvalid, "parse key"},
		{"missing root", map[string]any{"identity": map[string]any{"subject": "s", "issuer": "i"}, "trusted_root": "none.json", "artifacts": arts}, collect.KindNotFound, "trusted root"},
		{"malformed root", map[string]any{"identity": map[string]any{"subject": "s", "issuer": "i"}, "trusted_root": "dist/notes.txt", "artifacts": arts}, collect.KindInvalid, "parse trusted root"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := w.collector().Collect(context.Background(), collect.Request{BaseDir: w.dir, Params: tc.params})
			if err == nil {
				t.Fatal("succeeded")
			}
			if k := collect.KindOf(err); k != tc.kind {
				t.Errorf("kind %s, want %s: %v", k, tc.kind, err)
			}
			if !strings.Contains(err.Error(), tc.msg) || !strings.HasPrefix(err.Error(), "collect cosign.artifacts") {
				t.Errorf("error %q does not start with the step or mention %q", err, tc.msg)
			}
		})
	}
}

// TestCanceledMidway cancels while the registry is answering and expects a
// canceled error, not an artifact marked unreachable.
func TestCanceledMidway(t *testing.T) {
	w := newKeyWorld(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	inner := w.reg.Transport()
	rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		cancel()
		return inner.RoundTrip(r)
	})
	_, err := New(WithTransport(rt), fastRetry).Collect(ctx, w.request())
	if k := collect.KindOf(err); k != collect.KindCanceled {
		t.Fatalf("kind %s, want canceled: %v", k, err)
	}
}
