package blobsig

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"
)

const (
	workflowRef = "acme/evidence/.github/workflows/evident.yml@refs/heads/main"
	otherRef    = "acme/evidence/.github/workflows/release.yml@refs/heads/main"
)

var workflowID = Identity{SubjectAlternativeName: workflowIdentity(workflowRef), Issuer: GitHubActionsIssuer}

func mustIdentityVerifier(t *testing.T, id Identity, tm root.TrustedMaterial) *IdentityVerifier {
	t.Helper()
	v, err := NewIdentityVerifier(id, tm)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestKeylessSignVerify(t *testing.T) {
	ss := newTestSigstore(t)
	start := time.Now().Add(-time.Second)
	bundle := mustSign(t, ss.keylessSigner(workflowRef), manifest)

	var shape struct {
		MediaType            string `json:"mediaType"`
		VerificationMaterial struct {
			Certificate *struct {
				RawBytes string `json:"rawBytes"`
			} `json:"certificate"`
			TlogEntries []struct {
				LogIndex         string          `json:"logIndex"`
				InclusionPromise json.RawMessage `json:"inclusionPromise"`
				InclusionProof   json.RawMessage `json:"inclusionProof"`
				KindVersion      struct {
					Kind string `json:"kind"`
				} `json:"kindVersion"`
			} `json:"tlogEntries"`
		} `json:"verificationMaterial"`
	}
	if err := json.Unmarshal(bundle, &shape); err != nil {
		t.Fatal(err)
	}
	vm := shape.VerificationMaterial
	if shape.MediaType != BundleMediaType || vm.Certificate == nil || len(vm.TlogEntries) != 1 ||
		vm.TlogEntries[0].KindVersion.Kind != "hashedrekord" || vm.TlogEntries[0].InclusionProof == nil || vm.TlogEntries[0].InclusionPromise == nil {
		t.Fatalf("keyless bundle lacks certificate or logged entry:\n%s", bundle)
	}

	// The trusted root goes through JSON, as cosign --trusted-root reads it.
	fromJSON, err := root.NewTrustedRootFromJSON(ss.trustedRootJSON())
	if err != nil {
		t.Fatal(err)
	}
	for name, id := range map[string]Identity{
		"exact":  workflowID,
		"regexp": {SubjectAlternativeNameRegexp: `^https://github\.com/acme/evidence/\.github/workflows/evident\.yml@refs/heads/`, Issuer: GitHubActionsIssuer},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := mustIdentityVerifier(t, id, fromJSON).VerifyBlob(manifest, bundle)
			if err != nil {
				t.Fatal(err)
			}
			want := Signer{Identity: workflowIdentity(workflowRef), Issuer: GitHubActionsIssuer, LogIndex: 25_000_001, LogID: hex.EncodeToString(logID(ss.rekorKey()))}
			it := got.IntegratedTime
			got.IntegratedTime = time.Time{}
			if got != want || it.Before(start.Truncate(time.Second)) || it.After(time.Now()) || !got.Keyless() {
				t.Fatalf("signer = %+v at %s, want %+v at about %s", got, it, want, start)
			}
			if s := (Signer{Identity: got.Identity, Issuer: got.Issuer, LogIndex: got.LogIndex, IntegratedTime: it}).String(); !strings.Contains(s, "Rekor log index 25000001") {
				t.Fatalf("String() = %q", s)
			}
		})
	}
}

func TestKeylessVerifyRejects(t *testing.T) {
	ss := newTestSigstore(t)
	signer := ss.keylessSigner(workflowRef)
	good := mustSign(t, signer, manifest)
	v := mustIdentityVerifier(t, workflowID, ss.trustedRoot())

	// Another Sigstore instance, with its own CA and logs.
	foreign := newTestSigstore(t)
	// A CA that leaves out certificate transparency; only a signer that does
	// not check its own bundles produces one.
	noSCT := newTestSigstore(t)
	noSCT.omitSCT = true
	unchecked := noSCT.keylessOptions(workflowRef)
	unchecked.TrustedMaterial = nil
	noSCTSigner, err := NewKeylessSigner(unchecked)
	if err != nil {
		t.Fatal(err)
	}

	var stripped map[string]any
	if err := json.Unmarshal(good, &stripped); err != nil {
		t.Fatal(err)
	}
	delete(stripped["verificationMaterial"].(map[string]any), "tlogEntries")
	strippedJSON, _ := json.Marshal(stripped)

	for _, tc := range []struct {
		name            string
		verifier        *IdentityVerifier
		payload, bundle []byte
		kind            error
		msg             string
	}{
		{"tampered payload", v, append(append([]byte(nil), manifest...), ' '), good, ErrBadSignature, "changed after signing"},
		{"swapped bundle", v, manifest, mustSign(t, signer, otherManifest), ErrBadSignature, "another file"},
		{"signature from another signing", v, manifest, []byte(strings.Replace(string(good), sigOf(t, good), sigOf(t, mustSign(t, signer, manifest)), 1)), ErrBadSignature, "transparency log signature does not match"},
		{"other workflow", v, manifest, mustSign(t, ss.keylessSigner(otherRef), manifest), ErrWrongIdentity, "signed by " + workflowIdentity(otherRef)},
		{"other issuer", mustIdentityVerifier(t, Identity{SubjectAlternativeName: workflowIdentity(workflowRef), Issuer: "https://accounts.google.com"}, ss.trustedRoot()), manifest, good, ErrWrongIdentity, "issuer https://accounts.google.com"},
		{"regexp mismatch", mustIdentityVerifier(t, Identity{SubjectAlternativeNameRegexp: `release\.yml`, Issuer: GitHubActionsIssuer}, ss.trustedRoot()), manifest, good, ErrWrongIdentity, `~release\.yml`},
		{"foreign sigstore", v, manifest, mustSign(t, foreign.keylessSigner(workflowRef), manifest), ErrUntrustedKey, "not issued by a trusted Fulcio CA"},
		{"no SCT", mustIdentityVerifier(t, workflowID, noSCT.trustedRoot()), manifest, mustSign(t, noSCTSigner, manifest), ErrUntrustedKey, "no SCT"},
		{"log entry stripped", v, manifest, strippedJSON, ErrUntrustedKey, "no transparency-log entry"},
		{"key-signed bundle", v, manifest, mustSign(t, mustKeySigner(t, seededEd25519(1)), manifest), ErrUntrustedKey, "signed with a key"},
		{"malformed", v, manifest, []byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}`), ErrMalformedBundle, "malformed bundle"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.verifier.VerifyBlob(tc.payload, tc.bundle)
			wantKind(t, err, tc.kind)
			if !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("error %q does not say %q", err, tc.msg)
			}
		})
	}
}

func TestNewIdentityVerifierValidates(t *testing.T) {
	tm := newTestSigstore(t).trustedRoot()
	for _, tc := range []struct {
		id   Identity
		tm   root.TrustedMaterial
		want string
	}{
		{Identity{Issuer: GitHubActionsIssuer}, tm, "certificate identity (exact or regexp) is required"},
		{Identity{SubjectAlternativeName: "a", SubjectAlternativeNameRegexp: "b", Issuer: GitHubActionsIssuer}, tm, "not both"},
		{Identity{SubjectAlternativeName: "a"}, tm, "OIDC issuer is required"},
		{Identity{SubjectAlternativeNameRegexp: "(", Issuer: GitHubActionsIssuer}, tm, "identity verifier"},
		{workflowID, nil, "trusted material"},
	} {
		if _, err := NewIdentityVerifier(tc.id, tc.tm); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NewIdentityVerifier(%+v) err = %v, want %q", tc.id, err, tc.want)
		}
	}
}

func TestKeylessSignerErrors(t *testing.T) {
	ss := newTestSigstore(t)
	ctx := context.Background()

	badRuntime := ss.tokenSource(workflowRef)
	badRuntime.RequestToken = "stolen"
	wrongAudience := ss.tokenSource(workflowRef)
	wrongAudience.Audience = "not-sigstore"
	otherRoot := ss.keylessOptions(workflowRef)
	otherRoot.TrustedMaterial = newTestSigstore(t).trustedRoot()

	for _, tc := range []struct {
		name string
		opts KeylessOptions
		want string
	}{
		{"runtime refuses the request token", KeylessOptions{Token: badRuntime, CertificateProvider: ss.fulcio(), TransparencyLog: ss.rekor()}, "github actions oidc token: GET"},
		{"fulcio refuses the audience", KeylessOptions{Token: wrongAudience, CertificateProvider: ss.fulcio(), TransparencyLog: ss.rekor()}, `fulcio certificate: Fulcio returned 401: {"message":"audience \"not-sigstore\"`},
		{"fulcio refuses a forged token", KeylessOptions{Token: StaticToken(newTestSigstore(t).jwt(githubClaims{Issuer: GitHubActionsIssuer, Subject: "x", Audience: SigstoreAudience, Expiry: time.Now().Add(time.Minute).Unix(), JobWorkflowRef: workflowRef})), CertificateProvider: ss.fulcio(), TransparencyLog: ss.rekor()}, "not signed by the OIDC issuer"},
		{"empty static token", KeylessOptions{Token: StaticToken(""), CertificateProvider: ss.fulcio(), TransparencyLog: ss.rekor()}, "empty identity token"},
		{"self-check against another root", otherRoot, "check new bundle"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := NewKeylessSigner(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			_, err = s.SignBlob(ctx, manifest)
			if err == nil || !strings.HasPrefix(err.Error(), "sign blob keyless: ") || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("SignBlob err = %v, want %q", err, tc.want)
			}
		})
	}

	if _, err := NewKeylessSigner(KeylessOptions{}); err == nil {
		t.Error("NewKeylessSigner without a token source succeeded")
	}
	if _, err := GitHubActionsTokenFromEnv(func(string) string { return "" }); err == nil || !strings.Contains(err.Error(), "id-token: write") {
		t.Errorf("GitHubActionsTokenFromEnv without variables: %v", err)
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := ss.keylessSigner(workflowRef).SignBlob(canceled, manifest); err == nil || !strings.Contains(err.Error(), "context canceled") {
		t.Errorf("SignBlob on a canceled context: %v", err)
	}
}

func TestStaticTokenSignsToo(t *testing.T) {
	ss := newTestSigstore(t)
	tok := ss.jwt(githubClaims{Issuer: GitHubActionsIssuer, Subject: "repo:acme/evidence:ref:refs/heads/main", Audience: SigstoreAudience,
		Expiry: time.Now().Add(time.Minute).Unix(), JobWorkflowRef: workflowRef})
	s, err := NewKeylessSigner(KeylessOptions{Token: StaticToken(tok), CertificateProvider: ss.fulcio(), TransparencyLog: ss.rekor(), TrustedMaterial: ss.trustedRoot()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mustIdentityVerifier(t, workflowID, ss.trustedRoot()).VerifyBlob(manifest, mustSign(t, s, manifest)); err != nil {
		t.Fatal(err)
	}
}
