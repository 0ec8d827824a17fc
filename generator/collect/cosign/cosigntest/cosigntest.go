// Package cosigntest builds the world the cosign.artifacts collector verifies,
// entirely in-process: an OCI registry reached through an http.RoundTripper
// (no port is opened), deterministic images, cosign-format image signatures
// and attestations, and sigstore bundles for blobs, made with a given key or
// with a certificate from a throw-away certificate authority.
//
// It is test and demo support: the collector never imports it. Signatures are
// made the way cosign lays them out in a registry (the "sha256-<hex>.sig" and
// ".att" tags, simple-signing payloads, DSSE in-toto envelopes), using
// cosign's own oci packages, so the collector is exercised against the real
// format rather than a private one.
package cosigntest

import (
	"archive/tar"
	"bytes"
	"context"
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
	"log"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	ggcrstatic "github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	ocimutate "github.com/sigstore/cosign/v2/pkg/oci/mutate"
	ociremote "github.com/sigstore/cosign/v2/pkg/oci/remote"
	"github.com/sigstore/cosign/v2/pkg/oci/static"
	ctypes "github.com/sigstore/cosign/v2/pkg/types"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/sign"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/dsse"
	"github.com/sigstore/sigstore/pkg/signature/payload"
)

// InTotoPayloadType is the DSSE payload type of in-toto statements.
const InTotoPayloadType = ctypes.IntotoPayloadType

// SLSAProvenanceV1 is the predicate type of SLSA v1 build provenance.
const SLSAProvenanceV1 = "https://slsa.dev/provenance/v1"

// SPDXDocument is the predicate type cosign uses for SPDX SBOMs.
const SPDXDocument = "https://spdx.dev/Document"

// Registry is an in-process OCI registry reachable only through Transport.
type Registry struct {
	// Host is the registry host name references use, e.g. "registry.evident.test".
	Host    string
	handler http.Handler
}

// NewRegistry returns an empty in-memory registry answering for host.
func NewRegistry(host string) *Registry {
	return &Registry{Host: host, handler: registry.New(registry.Logger(log.New(io.Discard, "", 0)))}
}

// Handler is the registry's HTTP handler, for serving it with httptest.
func (r *Registry) Handler() http.Handler { return r.handler }

// Transport returns a RoundTripper that serves every request from the
// in-memory registry, whatever host or scheme it names, so no port is opened.
func (r *Registry) Transport() http.RoundTripper { return handlerTransport{r.handler} }

type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		defer req.Body.Close()
	}
	if err := req.Context().Err(); err != nil {
		return nil, err
	}
	in := req.Clone(req.Context())
	in.RequestURI = req.URL.RequestURI()
	if in.Body == nil { // a server always sees a body, and the registry relies on it
		in.Body = http.NoBody
	}
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, in)
	resp := rec.Result()
	resp.Request = req
	return resp, nil
}

// Ref returns "host/repo" for this registry.
func (r *Registry) Ref(repo string) string { return r.Host + "/" + repo }

// KeyFromSeed derives a P-256 key from seed, so a demo signs with the same key
// (and records the same fingerprint) on every run. Never use it for real keys.
func KeyFromSeed(seed string) *ecdsa.PrivateKey {
	// A hash is a valid P-256 scalar with overwhelming probability; the
	// counter covers the rest.
	for i := 0; ; i++ {
		h := sha256.Sum256([]byte(fmt.Sprintf("evident-test-key/%d/%s", i, seed)))
		if k, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), h[:]); err == nil {
			return k
		}
	}
}

// PublicKeyPEM encodes a public key the way `cosign generate-key-pair` writes cosign.pub.
func PublicKeyPEM(k *ecdsa.PrivateKey) []byte {
	b, err := cryptoutils.MarshalPublicKeyToPEM(k.Public())
	if err != nil {
		panic(err) // a P-256 key always marshals
	}
	return b
}

// Signer is who signs: a key alone, or a key with a certificate (keyless).
type Signer struct {
	// Key is the signing key.
	Key *ecdsa.PrivateKey
	// CertPEM is the signing certificate; empty for key signing.
	CertPEM []byte
	// ChainPEM is the certificate's issuing chain, leaf excluded.
	ChainPEM []byte
}

// PushImage pushes a small image whose bytes, and so whose digest, depend only
// on seed, to repo (on r) under tag "latest", and returns its digest reference.
func (r *Registry) PushImage(ctx context.Context, repo, seed string) (name.Digest, error) {
	img, err := Image(seed)
	if err != nil {
		return name.Digest{}, err
	}
	tag, err := name.NewTag(r.Ref(repo)+":latest", name.Insecure)
	if err != nil {
		return name.Digest{}, err
	}
	if err := remote.Write(tag, img, remote.WithContext(ctx), remote.WithTransport(r.Transport())); err != nil {
		return name.Digest{}, fmt.Errorf("push image %s: %w", tag, err)
	}
	d, err := img.Digest()
	if err != nil {
		return name.Digest{}, err
	}
	return name.NewDigest(tag.Context().String()+"@"+d.String(), name.Insecure)
}

// Image builds a deterministic single-layer OCI image from seed: a fixed tar
// with one file, a fixed creation time and no history.
func Image(seed string) (v1.Image, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	body := []byte("evident test image " + seed + "\n")
	if err := tw.WriteHeader(&tar.Header{Name: "seed.txt", Mode: 0o644, Size: int64(len(body)), ModTime: time.Unix(0, 0).UTC(), Format: tar.FormatPAX}); err != nil {
		return nil, err
	}
	if _, err := tw.Write(body); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	layer := ggcrstatic.NewLayer(buf.Bytes(), types.OCIUncompressedLayer)
	img, err := mutate.AppendLayers(mutate.MediaType(empty.Image, types.OCIManifestSchema1), layer)
	if err != nil {
		return nil, err
	}
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cfg = cfg.DeepCopy()
	cfg.Architecture, cfg.OS = "amd64", "linux"
	cfg.Created = v1.Time{Time: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	return mutate.ConfigFile(img, cfg)
}

// SignImage attaches a cosign signature of digest by s, as `cosign sign` does
// with --tlog-upload=false. Signatures are deterministic (RFC 6979).
func (r *Registry) SignImage(ctx context.Context, digest name.Digest, s Signer) error {
	p, err := payload.Cosign{Image: digest, ClaimedIdentity: digest.String()}.MarshalJSON()
	if err != nil {
		return err
	}
	return r.SignImagePayload(ctx, digest, p, s)
}

// SignImagePayload attaches a signature by s over an arbitrary payload to
// digest; tests use it to attach a signature made for another image.
func (r *Registry) SignImagePayload(ctx context.Context, digest name.Digest, p []byte, s Signer) error {
	raw, err := detSigner{s.Key}.SignMessage(bytes.NewReader(p))
	if err != nil {
		return fmt.Errorf("sign payload: %w", err)
	}
	var opts []static.Option
	if len(s.CertPEM) > 0 {
		opts = append(opts, static.WithCertChain(s.CertPEM, s.ChainPEM))
	}
	sig, err := static.NewSignature(p, base64.StdEncoding.EncodeToString(raw), opts...)
	if err != nil {
		return err
	}
	ro := r.remoteOpts(ctx)
	se, err := ociremote.SignedEntity(digest, ro)
	if err != nil {
		return fmt.Errorf("read signed entity %s: %w", digest, err)
	}
	se, err = ocimutate.AttachSignatureToEntity(se, sig)
	if err != nil {
		return err
	}
	return ociremote.WriteSignatures(digest.Repository, se, ro)
}

// AttestImage attaches a cosign attestation (a DSSE-signed in-toto statement
// whose subject is digest) by s, as `cosign attest` does.
func (r *Registry) AttestImage(ctx context.Context, digest name.Digest, s Signer, predicateType string, predicate any) error {
	h, err := v1.NewHash(digest.DigestStr())
	if err != nil {
		return err
	}
	stmt, err := Statement(digest.Context().String(), h.Hex, predicateType, predicate)
	if err != nil {
		return err
	}
	env, err := dsse.WrapSigner(detSigner{s.Key}, InTotoPayloadType).SignMessage(bytes.NewReader(stmt))
	if err != nil {
		return fmt.Errorf("sign attestation: %w", err)
	}
	opts := []static.Option{static.WithLayerMediaType(ctypes.DssePayloadType), static.WithAnnotations(map[string]string{"predicateType": predicateType})}
	if len(s.CertPEM) > 0 {
		opts = append(opts, static.WithCertChain(s.CertPEM, s.ChainPEM))
	}
	att, err := static.NewAttestation(env, opts...)
	if err != nil {
		return err
	}
	ro := r.remoteOpts(ctx)
	se, err := ociremote.SignedEntity(digest, ro)
	if err != nil {
		return fmt.Errorf("read signed entity %s: %w", digest, err)
	}
	se, err = ocimutate.AttachAttestationToEntity(se, att)
	if err != nil {
		return err
	}
	return ociremote.WriteAttestations(digest.Repository, se, ro)
}

func (r *Registry) remoteOpts(ctx context.Context) ociremote.Option {
	return ociremote.WithRemoteOptions(remote.WithContext(ctx), remote.WithTransport(r.Transport()))
}

// Statement returns an in-toto v1 statement about one subject.
func Statement(subject, sha256Hex, predicateType string, predicate any) ([]byte, error) {
	return json.Marshal(map[string]any{
		"_type":         "https://in-toto.io/Statement/v1",
		"subject":       []any{map[string]any{"name": subject, "digest": map[string]string{"sha256": sha256Hex}}},
		"predicateType": predicateType,
		"predicate":     predicate,
	})
}

// SLSAProvenance returns a minimal SLSA v1 provenance predicate naming the
// builder and the source repository, shaped like GitHub's generator output.
func SLSAProvenance(builderID, repository string) map[string]any {
	return map[string]any{
		"buildDefinition": map[string]any{
			"buildType":          "https://actions.github.io/buildtypes/workflow/v1",
			"externalParameters": map[string]any{"workflow": map[string]any{"repository": repository, "ref": "refs/heads/main", "path": ".github/workflows/release.yml"}},
		},
		"runDetails": map[string]any{"builder": map[string]any{"id": builderID}},
	}
}

// SignBlob returns the base64 signature `cosign sign-blob --key` prints.
func SignBlob(blob []byte, key *ecdsa.PrivateKey) ([]byte, error) {
	raw, err := detSigner{key}.SignMessage(bytes.NewReader(blob))
	if err != nil {
		return nil, err
	}
	return []byte(base64.StdEncoding.EncodeToString(raw)), nil
}

// SignBlobBundle returns a sigstore bundle (v0.3 JSON, as `cosign sign-blob
// --new-bundle-format` writes) of blob signed by s, without transparency log
// entry or timestamp.
func SignBlobBundle(blob []byte, s Signer) ([]byte, error) {
	return bundleOf(&sign.PlainData{Data: blob}, s)
}

// AttestBlobBundle returns a sigstore bundle holding a DSSE-signed in-toto
// statement about blob, as `cosign attest-blob --new-bundle-format` writes.
func AttestBlobBundle(blobName string, blob []byte, s Signer, predicateType string, predicate any) ([]byte, error) {
	sum := sha256.Sum256(blob)
	stmt, err := Statement(blobName, hex.EncodeToString(sum[:]), predicateType, predicate)
	if err != nil {
		return nil, err
	}
	return bundleOf(&sign.DSSEData{Data: stmt, PayloadType: InTotoPayloadType}, s)
}

func bundleOf(content sign.Content, s Signer) ([]byte, error) {
	kp := &keypair{key: s.Key}
	opts := sign.BundleOptions{}
	if len(s.CertPEM) > 0 {
		blk, _ := pem.Decode(s.CertPEM)
		if blk == nil {
			return nil, errors.New("certificate is not PEM")
		}
		opts.CertificateProvider = fixedCert(blk.Bytes)
	}
	pb, err := sign.Bundle(content, kp, opts)
	if err != nil {
		return nil, fmt.Errorf("build bundle: %w", err)
	}
	b, err := bundle.NewBundle(pb)
	if err != nil {
		return nil, err
	}
	return b.MarshalJSON()
}

// detSigner signs with RFC 6979 deterministic ECDSA (a nil random source),
// so the same key and payload give the same signature bytes, and a demo's
// signature layers, and so its registry reads, are identical run to run.
type detSigner struct{ key *ecdsa.PrivateKey }

func (d detSigner) PublicKey(...signature.PublicKeyOption) (crypto.PublicKey, error) {
	return d.key.Public(), nil
}

func (d detSigner) SignMessage(r io.Reader, _ ...signature.SignOption) ([]byte, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(b)
	return d.key.Sign(nil, sum[:], crypto.SHA256)
}

// keypair adapts a fixed P-256 key to sigstore-go's signing interface.
type keypair struct{ key *ecdsa.PrivateKey }

func (k *keypair) GetHashAlgorithm() protocommon.HashAlgorithm {
	return protocommon.HashAlgorithm_SHA2_256
}
func (k *keypair) GetSigningAlgorithm() protocommon.PublicKeyDetails {
	return protocommon.PublicKeyDetails_PKIX_ECDSA_P256_SHA_256
}
func (k *keypair) GetHint() []byte {
	der, _ := x509.MarshalPKIXPublicKey(k.key.Public())
	sum := sha256.Sum256(der)
	return []byte(base64.StdEncoding.EncodeToString(sum[:]))
}
func (k *keypair) GetKeyAlgorithm() string        { return "ECDSA" }
func (k *keypair) GetPublicKey() crypto.PublicKey { return k.key.Public() }
func (k *keypair) GetPublicKeyPem() (string, error) {
	return string(PublicKeyPEM(k.key)), nil
}
func (k *keypair) SignData(_ context.Context, data []byte) ([]byte, []byte, error) {
	sum := sha256.Sum256(data)
	sig, err := k.key.Sign(nil, sum[:], crypto.SHA256) // RFC 6979: deterministic
	return sig, sum[:], err
}

type fixedCert []byte

func (c fixedCert) GetCertificate(context.Context, sign.Keypair, *sign.CertificateProviderOptions) ([]byte, error) {
	return c, nil
}

// CA is a throw-away certificate authority standing in for Fulcio.
type CA struct {
	// Cert is the self-signed root.
	Cert *x509.Certificate
	// CertPEM is Cert in PEM.
	CertPEM []byte
	key     *ecdsa.PrivateKey
}

// Fulcio certificate extensions (github.com/sigstore/fulcio docs/oid-info.md):
// cosign v2 reads the OIDC issuer from the legacy raw 1.1.1 extension,
// sigstore-go from the DER-encoded 1.1.8 one, and Fulcio writes both.
var (
	oidIssuerV1 = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 1}
	oidIssuerV2 = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 8}
)

// NewCA returns a root CA valid from notBefore to notAfter.
func NewCA(commonName string, notBefore, notAfter time.Time) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: commonName, Organization: []string{"evident test"}},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &CA{Cert: cert, CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), key: key}, nil
}

// Issue returns a Fulcio-style code-signing certificate for key, with subject
// as its SAN (an email address, or a URI such as a workflow identity) and
// issuer as its OIDC issuer extensions.
func (ca *CA) Issue(key *ecdsa.PrivateKey, subject, issuer string, notBefore, notAfter time.Time) (Signer, error) {
	issuerV2, err := asn1.MarshalWithParams(issuer, "utf8")
	if err != nil {
		return Signer{}, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	if err != nil {
		return Signer{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
		ExtraExtensions: []pkix.Extension{
			{Id: oidIssuerV1, Value: []byte(issuer)},
			{Id: oidIssuerV2, Value: issuerV2},
		},
	}
	if strings.Contains(subject, "://") {
		u, err := url.Parse(subject)
		if err != nil {
			return Signer{}, err
		}
		tmpl.URIs = []*url.URL{u}
	} else {
		tmpl.EmailAddresses = []string{subject}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, key.Public(), ca.key)
	if err != nil {
		return Signer{}, err
	}
	return Signer{Key: key, CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), ChainPEM: ca.CertPEM}, nil
}

// TrustedRootJSON returns a sigstore trusted_root.json trusting this CA as
// the only certificate authority, with no transparency or CT logs.
func (ca *CA) TrustedRootJSON() ([]byte, error) {
	tr, err := root.NewTrustedRoot(root.TrustedRootMediaType01,
		[]root.CertificateAuthority{&root.FulcioCertificateAuthority{
			Root: ca.Cert, ValidityPeriodStart: ca.Cert.NotBefore, ValidityPeriodEnd: ca.Cert.NotAfter, URI: "https://fulcio.evident.test",
		}}, nil, nil, nil)
	if err != nil {
		return nil, err
	}
	return tr.MarshalJSON()
}
