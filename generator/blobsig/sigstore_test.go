package blobsig

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-openapi/strfmt"
	ct "github.com/google/certificate-transparency-go"
	cttls "github.com/google/certificate-transparency-go/tls"
	ctx509 "github.com/google/certificate-transparency-go/x509"
	"github.com/google/certificate-transparency-go/x509util"
	"github.com/sigstore/rekor/pkg/generated/client/entries"
	"github.com/sigstore/rekor/pkg/generated/models"
	"github.com/sigstore/rekor/pkg/types"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/sign"
	"github.com/sigstore/sigstore-go/pkg/testing/ca"
	"github.com/sigstore/sigstore-go/pkg/tlog"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
)

// testSigstore is a Sigstore instance in memory, faked at the network
// boundary so that the signing code runs unchanged up to it:
//
//   - a GitHub Actions OIDC token endpoint (httptest) issuing ES256 JWTs;
//   - Fulcio behind an http.RoundTripper given to sigstore-go's real Fulcio
//     client: it checks the token and the proof of possession and issues a
//     certificate chained to a root from sigstore-go's pkg/testing/ca, with
//     an SCT embedded exactly as Fulcio embeds it (precertificate first);
//   - Rekor behind sign.RekorClient given to sigstore-go's real Rekor
//     client: rekor's own types validate and canonicalize the entry, and
//     sigstore-go's VirtualSigstore signs the SET and the checkpoint.
//
// Its trusted root is what cosign verify-blob --trusted-root reads.
type testSigstore struct {
	t        testing.TB
	vs       *ca.VirtualSigstore
	rootCert *x509.Certificate
	interCA  *x509.Certificate
	interKey *ecdsa.PrivateKey
	ctKey    *ecdsa.PrivateKey
	oidcKey  *ecdsa.PrivateKey
	issuer   string
	// omitSCT makes Fulcio issue certificates without an SCT, as a CA that
	// skips certificate transparency would.
	omitSCT bool

	mu       sync.Mutex
	logIndex int64
	issued   int
}

func newTestSigstore(t testing.TB) *testSigstore {
	t.Helper()
	vs, err := ca.NewVirtualSigstore()
	if err != nil {
		t.Fatal(err)
	}
	rootCert, rootKey, err := ca.GenerateRootCa()
	if err != nil {
		t.Fatal(err)
	}
	interCA, interKey, err := ca.GenerateFulcioIntermediate(rootCert, rootKey)
	if err != nil {
		t.Fatal(err)
	}
	return &testSigstore{
		t: t, vs: vs, rootCert: rootCert, interCA: interCA, interKey: interKey,
		ctKey: mustECKey(t), oidcKey: mustECKey(t), issuer: GitHubActionsIssuer,
		logIndex: 25_000_000,
	}
}

func mustECKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func logID(pub crypto.PublicKey) []byte {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		panic(err)
	}
	sum := sha256.Sum256(der)
	return sum[:]
}

func (s *testSigstore) rekorKey() crypto.PublicKey {
	for _, l := range s.vs.RekorLogs() {
		return l.PublicKey
	}
	panic("virtual sigstore has no rekor log")
}

// trustedRoot is this instance's trusted_root.json content.
func (s *testSigstore) trustedRoot() *root.TrustedRoot {
	s.t.Helper()
	start := time.Now().Add(-time.Hour)
	rekorID, ctID := logID(s.rekorKey()), logID(s.ctKey.Public())
	tr, err := root.NewTrustedRoot(root.TrustedRootMediaType01,
		[]root.CertificateAuthority{&root.FulcioCertificateAuthority{
			Root: s.rootCert, Intermediates: []*x509.Certificate{s.interCA},
			ValidityPeriodStart: start, URI: "https://fulcio.test",
		}},
		map[string]*root.TransparencyLog{hex.EncodeToString(ctID): {
			BaseURL: "https://ctfe.test", ID: ctID, ValidityPeriodStart: start,
			HashFunc: crypto.SHA256, PublicKey: s.ctKey.Public(), SignatureHashFunc: crypto.SHA256,
		}},
		nil,
		map[string]*root.TransparencyLog{hex.EncodeToString(rekorID): {
			BaseURL: "https://rekor.test", ID: rekorID, ValidityPeriodStart: start,
			HashFunc: crypto.SHA256, PublicKey: s.rekorKey(), SignatureHashFunc: crypto.SHA256,
		}})
	if err != nil {
		s.t.Fatal(err)
	}
	return tr
}

// trustedRootJSON round-trips the root through JSON, as cosign reads it.
func (s *testSigstore) trustedRootJSON() []byte {
	s.t.Helper()
	data, err := s.trustedRoot().MarshalJSON()
	if err != nil {
		s.t.Fatal(err)
	}
	return data
}

// githubClaims are the claims of a GitHub Actions OIDC token that Fulcio uses.
type githubClaims struct {
	Issuer         string `json:"iss"`
	Subject        string `json:"sub"`
	Audience       string `json:"aud"`
	Expiry         int64  `json:"exp"`
	IssuedAt       int64  `json:"iat"`
	Repository     string `json:"repository"`
	Ref            string `json:"ref"`
	JobWorkflowRef string `json:"job_workflow_ref"`
}

// workflowIdentity is the certificate identity Fulcio derives for a token
// from job_workflow_ref.
func workflowIdentity(jobWorkflowRef string) string { return "https://github.com/" + jobWorkflowRef }

// jwt signs claims as an ES256 JWT with the fake OIDC issuer's key.
func (s *testSigstore) jwt(c githubClaims) string {
	s.t.Helper()
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			s.t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	signingInput := enc(map[string]string{"alg": "ES256", "typ": "JWT"}) + "." + enc(c)
	sum := sha256.Sum256([]byte(signingInput))
	r, sv, err := ecdsa.Sign(rand.Reader, s.oidcKey, sum[:])
	if err != nil {
		s.t.Fatal(err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	sv.FillBytes(sig[32:])
	return signingInput + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// verifyJWT is Fulcio's token check: signature by the issuer, audience, expiry.
func (s *testSigstore) verifyJWT(tok string) (githubClaims, error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return githubClaims{}, errors.New("not a JWT")
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || len(sig) != 64 {
		return githubClaims{}, errors.New("bad JWT signature encoding")
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if !ecdsa.Verify(&s.oidcKey.PublicKey, sum[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		return githubClaims{}, errors.New("JWT not signed by the OIDC issuer")
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return githubClaims{}, err
	}
	var c githubClaims
	if err := json.Unmarshal(raw, &c); err != nil {
		return githubClaims{}, err
	}
	switch {
	case c.Issuer != s.issuer:
		return c, fmt.Errorf("unknown issuer %q", c.Issuer)
	case c.Audience != SigstoreAudience:
		return c, fmt.Errorf("audience %q, want %q", c.Audience, SigstoreAudience)
	case time.Now().Unix() > c.Expiry:
		return c, errors.New("token expired")
	case c.JobWorkflowRef == "":
		return c, errors.New("no job_workflow_ref claim")
	}
	return c, nil
}

// githubTokenServer is the Actions runtime's token endpoint; requestToken is
// what ACTIONS_ID_TOKEN_REQUEST_TOKEN holds.
func (s *testSigstore) githubTokenServer(requestToken string, c githubClaims) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+requestToken {
			http.Error(w, `{"message":"bad credentials"}`, http.StatusUnauthorized)
			return
		}
		if r.URL.Query().Get("api-version") != "2.0" {
			http.Error(w, `{"message":"api-version lost"}`, http.StatusBadRequest)
			return
		}
		c := c
		c.Audience = r.URL.Query().Get("audience")
		_ = json.NewEncoder(w).Encode(map[string]any{"count": 1, "value": s.jwt(c)})
	}))
	s.t.Cleanup(srv.Close)
	return srv
}

// fulcio is sigstore-go's real Fulcio client pointed at this instance.
func (s *testSigstore) fulcio() *sign.Fulcio {
	return sign.NewFulcio(&sign.FulcioOptions{BaseURL: "https://fulcio.test", Transport: roundTripFunc(s.serveFulcio)})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func (s *testSigstore) serveFulcio(r *http.Request) (*http.Response, error) {
	reply := func(code int, body string) (*http.Response, error) {
		return &http.Response{StatusCode: code, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(strings.NewReader(body)), Request: r}, nil
	}
	if r.Method != http.MethodPost || r.URL.Path != "/api/v2/signingCert" {
		return reply(http.StatusNotFound, `{"message":"not found"}`)
	}
	claims, err := s.verifyJWT(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
	if err != nil {
		return reply(http.StatusUnauthorized, fmt.Sprintf(`{"message":%q}`, err.Error()))
	}
	var req struct {
		PublicKeyRequest struct {
			PublicKey struct {
				Algorithm string `json:"algorithm"`
				Content   string `json:"content"`
			} `json:"publicKey"`
			ProofOfPossession string `json:"proofOfPossession"`
		} `json:"publicKeyRequest"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		return reply(http.StatusBadRequest, `{"message":"bad request"}`)
	}
	pub, err := cryptoutils.UnmarshalPEMToPublicKey([]byte(req.PublicKeyRequest.PublicKey.Content))
	if err != nil {
		return reply(http.StatusBadRequest, `{"message":"bad public key"}`)
	}
	ecPub, ok := pub.(*ecdsa.PublicKey)
	pop, _ := base64.StdEncoding.DecodeString(req.PublicKeyRequest.ProofOfPossession)
	sum := sha256.Sum256([]byte(claims.Subject))
	if !ok || !ecdsa.VerifyASN1(ecPub, sum[:], pop) {
		return reply(http.StatusBadRequest, `{"message":"proof of possession failed"}`)
	}
	leaf, err := s.issue(pub, workflowIdentity(claims.JobWorkflowRef), claims.Issuer)
	if err != nil {
		return reply(http.StatusInternalServerError, fmt.Sprintf(`{"message":%q}`, err.Error()))
	}
	var chain []string
	for _, c := range []*x509.Certificate{leaf, s.interCA, s.rootCert} {
		chain = append(chain, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})))
	}
	body, _ := json.Marshal(map[string]any{"signedCertificateEmbeddedSct": map[string]any{"chain": map[string]any{"certificates": chain}}})
	return reply(http.StatusOK, string(body))
}

var (
	oidFulcioIssuerV1 = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 1}
	oidFulcioIssuerV2 = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 8}
	oidCTPoison       = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 11129, 2, 4, 3}
	oidCTSCTList      = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 11129, 2, 4, 2}
)

// issue makes a Fulcio-style code-signing certificate with an embedded SCT:
// the CT log signs the precertificate, the SCT goes into the final one.
func (s *testSigstore) issue(pub crypto.PublicKey, identity, issuer string) (*x509.Certificate, error) {
	s.mu.Lock()
	s.issued++
	serial := big.NewInt(int64(s.issued))
	s.mu.Unlock()
	san, err := url.Parse(identity)
	if err != nil {
		return nil, err
	}
	issuerV2, err := asn1.MarshalWithParams(issuer, "utf8")
	if err != nil {
		return nil, err
	}
	now := time.Now().Truncate(time.Second)
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		NotBefore:    now,
		NotAfter:     now.Add(10 * time.Minute),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
		URIs:         []*url.URL{san},
		ExtraExtensions: []pkix.Extension{
			{Id: oidFulcioIssuerV1, Value: []byte(issuer)},
			{Id: oidFulcioIssuerV2, Value: issuerV2},
		},
	}
	if s.omitSCT {
		der, err := x509.CreateCertificate(rand.Reader, tmpl, s.interCA, pub, s.interKey)
		if err != nil {
			return nil, err
		}
		return x509.ParseCertificate(der)
	}
	poison := *tmpl
	poison.ExtraExtensions = append(append([]pkix.Extension(nil), tmpl.ExtraExtensions...), pkix.Extension{Id: oidCTPoison, Critical: true, Value: asn1.NullBytes})
	preDER, err := x509.CreateCertificate(rand.Reader, &poison, s.interCA, pub, s.interKey)
	if err != nil {
		return nil, fmt.Errorf("precertificate: %w", err)
	}
	pre, err := ctx509.ParseCertificate(preDER)
	if err != nil {
		return nil, fmt.Errorf("parse precertificate: %w", err)
	}
	tbs, err := ctx509.RemoveCTPoison(pre.RawTBSCertificate)
	if err != nil {
		return nil, err
	}
	sct, err := s.signSCT(tbs, uint64(time.Now().UnixMilli()))
	if err != nil {
		return nil, err
	}
	list, err := x509util.MarshalSCTsIntoSCTList([]*ct.SignedCertificateTimestamp{sct})
	if err != nil {
		return nil, err
	}
	listBytes, err := cttls.Marshal(*list)
	if err != nil {
		return nil, err
	}
	extValue, err := asn1.Marshal(listBytes)
	if err != nil {
		return nil, err
	}
	final := *tmpl
	final.ExtraExtensions = append(append([]pkix.Extension(nil), tmpl.ExtraExtensions...), pkix.Extension{Id: oidCTSCTList, Value: extValue})
	der, err := x509.CreateCertificate(rand.Reader, &final, s.interCA, pub, s.interKey)
	if err != nil {
		return nil, fmt.Errorf("certificate: %w", err)
	}
	return x509.ParseCertificate(der)
}

func (s *testSigstore) signSCT(precertTBS []byte, timestamp uint64) (*ct.SignedCertificateTimestamp, error) {
	var id ct.LogID
	copy(id.KeyID[:], logID(s.ctKey.Public()))
	sct := ct.SignedCertificateTimestamp{SCTVersion: ct.V1, LogID: id, Timestamp: timestamp}
	leaf := ct.MerkleTreeLeaf{
		Version: ct.V1, LeafType: ct.TimestampedEntryLeafType,
		TimestampedEntry: &ct.TimestampedEntry{
			EntryType: ct.PrecertLogEntryType, Timestamp: timestamp,
			PrecertEntry: &ct.PreCert{IssuerKeyHash: sha256.Sum256(s.interCA.RawSubjectPublicKeyInfo), TBSCertificate: precertTBS},
		},
	}
	input, err := ct.SerializeSCTSignatureInput(sct, ct.LogEntry{Leaf: leaf})
	if err != nil {
		return nil, err
	}
	sig, err := cttls.CreateSignature(*s.ctKey, cttls.SHA256, input)
	if err != nil {
		return nil, err
	}
	sct.Signature = ct.DigitallySigned(sig)
	return &sct, nil
}

// rekor is sigstore-go's real Rekor client writing to this instance.
func (s *testSigstore) rekor() *sign.Rekor {
	return sign.NewRekor(&sign.RekorOptions{BaseURL: "https://rekor.test", Client: rekorFunc(s.createLogEntry)})
}

type rekorFunc func(*entries.CreateLogEntryParams) (*entries.CreateLogEntryCreated, error)

func (f rekorFunc) CreateLogEntry(p *entries.CreateLogEntryParams, _ ...entries.ClientOption) (*entries.CreateLogEntryCreated, error) {
	return f(p)
}

func (s *testSigstore) createLogEntry(p *entries.CreateLogEntryParams) (*entries.CreateLogEntryCreated, error) {
	// CreateVersionedEntry runs rekor's own validation, which for
	// hashedrekord verifies the signature over the digest with the certificate.
	impl, err := types.CreateVersionedEntry(p.ProposedEntry)
	if err != nil {
		return nil, entries.NewCreateLogEntryBadRequest()
	}
	body, err := types.CanonicalizeEntry(p.Context, impl)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.logIndex++
	index := s.logIndex
	s.mu.Unlock()
	now := time.Now().Unix()
	id := hex.EncodeToString(logID(s.rekorKey()))
	set, err := s.vs.RekorSignPayload(tlog.RekorPayload{Body: base64.StdEncoding.EncodeToString(body), IntegratedTime: now, LogIndex: index, LogID: id})
	if err != nil {
		return nil, err
	}
	proof, err := s.vs.GetInclusionProof(body)
	if err != nil {
		return nil, err
	}
	leafHash := sha256.Sum256(append([]byte{0}, body...))
	uuid := hex.EncodeToString(leafHash[:])
	return &entries.CreateLogEntryCreated{ETag: uuid, Payload: models.LogEntry{uuid: models.LogEntryAnon{
		Body:           base64.StdEncoding.EncodeToString(body),
		IntegratedTime: &now,
		LogID:          &id,
		LogIndex:       &index,
		Verification:   &models.LogEntryAnonVerification{SignedEntryTimestamp: strfmt.Base64(set), InclusionProof: proof},
	}}}, nil
}

// tokenSource is the GitHub Actions runtime of a job running jobWorkflowRef
// (owner/repo/.github/workflows/file.yml@ref), as the signer reads it from
// the environment.
func (s *testSigstore) tokenSource(jobWorkflowRef string) *GitHubActionsToken {
	s.t.Helper()
	const requestToken = "runtime-request-token"
	repo := strings.SplitN(jobWorkflowRef, "/.github/", 2)[0]
	srv := s.githubTokenServer(requestToken, githubClaims{
		Issuer: s.issuer, Subject: "repo:" + repo + ":ref:refs/heads/main",
		Expiry: time.Now().Add(5 * time.Minute).Unix(), IssuedAt: time.Now().Unix(),
		Repository: repo, Ref: "refs/heads/main", JobWorkflowRef: jobWorkflowRef,
	})
	tok, err := GitHubActionsTokenFromEnv(func(k string) string {
		return map[string]string{
			EnvGitHubTokenRequestURL:   srv.URL + "/token?api-version=2.0",
			EnvGitHubTokenRequestToken: requestToken,
		}[k]
	})
	if err != nil {
		s.t.Fatal(err)
	}
	return tok
}

// keylessOptions wire a signer to this instance: token, Fulcio, Rekor, and
// the self-check against this instance's trusted root.
func (s *testSigstore) keylessOptions(jobWorkflowRef string) KeylessOptions {
	return KeylessOptions{Token: s.tokenSource(jobWorkflowRef), CertificateProvider: s.fulcio(), TransparencyLog: s.rekor(), TrustedMaterial: s.trustedRoot()}
}

// keylessSigner signs as the GitHub Actions workflow jobWorkflowRef through
// the whole token → Fulcio → Rekor path.
func (s *testSigstore) keylessSigner(jobWorkflowRef string) *KeylessSigner {
	s.t.Helper()
	ks, err := NewKeylessSigner(s.keylessOptions(jobWorkflowRef))
	if err != nil {
		s.t.Fatal(err)
	}
	return ks
}
