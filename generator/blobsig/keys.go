package blobsig

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/sigstore/cosign/v2/pkg/cosign"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/sign"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/options"
)

// GenerateKeyPair returns exactly what `cosign generate-key-pair` writes:
// an ECDSA P-256 private key, PKCS #8, encrypted with password in the
// "ENCRYPTED SIGSTORE PRIVATE KEY" PEM format (scrypt + secretbox), and the
// PKIX public key PEM. The cosign CLI can sign and verify with both files.
func GenerateKeyPair(password []byte) (privatePEM, publicPEM []byte, err error) {
	keys, err := cosign.GenerateKeyPair(func(bool) ([]byte, error) { return password, nil })
	if err != nil {
		return nil, nil, fmt.Errorf("generate cosign key pair: %w", err)
	}
	return keys.PrivateBytes, keys.PublicBytes, nil
}

// PublicKeyFingerprint returns "sha256:<hex>" over the key's PKIX DER bytes,
// which an auditor reproduces with
// `openssl pkey -pubin -in cosign.pub -outform DER | sha256sum`.
func PublicKeyFingerprint(publicPEM []byte) (string, error) {
	pub, err := cryptoutils.UnmarshalPEMToPublicKey(publicPEM)
	if err != nil {
		return "", fmt.Errorf("fingerprint public key: %w", err)
	}
	fp, _, err := fingerprints(pub)
	if err != nil {
		return "", fmt.Errorf("fingerprint public key: %w", err)
	}
	return fp, nil
}

// fingerprints returns the displayed fingerprint and the bundle hint (cosign
// writes base64 of the same SHA-256 into publicKey.hint).
func fingerprints(pub crypto.PublicKey) (fingerprint, hint string, err error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", "", err
	}
	sum := sha256.Sum256(der)
	return "sha256:" + hex.EncodeToString(sum[:]), base64.StdEncoding.EncodeToString(sum[:]), nil
}

// KeySigner signs with a long-lived key. Its bundles name the key by hint and
// carry no transparency-log entry, so they verify offline with the public key.
type KeySigner struct {
	kp        *keyPair
	selfCheck root.TrustedMaterial
}

var _ BlobSigner = (*KeySigner)(nil)

// LoadKeySigner decrypts a cosign private key (what `cosign sign-blob --key`
// takes: either PEM type cosign writes) with password.
func LoadKeySigner(privatePEM, password []byte) (*KeySigner, error) {
	// An empty option list selects pure Ed25519, as `cosign sign-blob
	// --tlog-upload=false` does; cosign's default (Ed25519ph) only exists
	// for Rekor's hashedrekord type, which key-based bundles do not use.
	sv, err := cosign.LoadPrivateKey(privatePEM, password, &[]signature.LoadOption{})
	if err != nil {
		return nil, fmt.Errorf("load signing key: %w", err)
	}
	return newKeySigner(sv)
}

// NewKeySigner signs with an in-memory ECDSA P-256 or Ed25519 private key;
// the demo uses a seeded Ed25519 key so its evidence is byte-for-byte
// reproducible (Ed25519 signatures are deterministic, ECDSA ones are not).
func NewKeySigner(priv crypto.Signer) (*KeySigner, error) {
	if priv == nil {
		return nil, errors.New("load signing key: no key")
	}
	sv, err := signature.LoadDefaultSignerVerifier(priv)
	if err != nil {
		return nil, fmt.Errorf("load signing key %T: %w", priv, err)
	}
	return newKeySigner(sv)
}

func newKeySigner(sv signature.SignerVerifier) (*KeySigner, error) {
	pub, err := sv.PublicKey()
	if err != nil {
		return nil, fmt.Errorf("load signing key: public key: %w", err)
	}
	kp := &keyPair{sv: sv, pub: pub}
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		// cosign verify-blob --key hashes with SHA-256 whatever the curve, so
		// only P-256 signatures verify there.
		if k.Curve != elliptic.P256() {
			return nil, fmt.Errorf("load signing key: ECDSA curve %s is not supported: use P-256 (cosign generate-key-pair) or Ed25519", k.Curve.Params().Name)
		}
		kp.algorithm, kp.keyAlgorithm = protocommon.PublicKeyDetails_PKIX_ECDSA_P256_SHA_256, "ECDSA"
	case ed25519.PublicKey:
		kp.algorithm, kp.keyAlgorithm = protocommon.PublicKeyDetails_PKIX_ED25519, "ED25519"
	default:
		return nil, fmt.Errorf("load signing key: key type %T is not supported: use ECDSA P-256 (cosign generate-key-pair) or Ed25519", pub)
	}
	if kp.fingerprint, kp.hint, err = fingerprints(pub); err != nil {
		return nil, fmt.Errorf("load signing key: %w", err)
	}
	if kp.publicPEM, err = cryptoutils.MarshalPublicKeyToPEM(pub); err != nil {
		return nil, fmt.Errorf("load signing key: %w", err)
	}
	verifier, err := signature.LoadVerifier(pub, crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("load signing key: verifier: %w", err)
	}
	return &KeySigner{kp: kp, selfCheck: keyMaterial(verifier)}, nil
}

// PublicKeyPEM is the public key as cosign.pub holds it.
func (s *KeySigner) PublicKeyPEM() []byte { return bytes.Clone(s.kp.publicPEM) }

// Fingerprint is the key's "sha256:<hex>" fingerprint (see PublicKeyFingerprint).
func (s *KeySigner) Fingerprint() string { return s.kp.fingerprint }

// SignBlob signs payload and returns the bundle. The bundle is verified
// before it is returned, so a broken key or signer never yields evidence
// that fails to verify later.
func (s *KeySigner) SignBlob(ctx context.Context, payload []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("sign blob: %w", err)
	}
	pb, err := sign.Bundle(&sign.PlainData{Data: payload}, s.kp, sign.BundleOptions{Context: ctx, TrustedRoot: s.selfCheck})
	if err != nil {
		return nil, fmt.Errorf("sign blob with key %s: %w", s.kp.fingerprint, err)
	}
	out, err := marshalBundle(pb)
	if err != nil {
		return nil, fmt.Errorf("sign blob: %w", err)
	}
	return out, nil
}

// keyPair adapts a sigstore signer to sigstore-go's sign.Keypair.
type keyPair struct {
	sv           signature.SignerVerifier
	pub          crypto.PublicKey
	algorithm    protocommon.PublicKeyDetails
	keyAlgorithm string
	hint         string
	fingerprint  string
	publicPEM    []byte
}

var _ sign.Keypair = (*keyPair)(nil)

// GetHashAlgorithm names SHA-256: the digest every bundle records (see SignData).
func (k *keyPair) GetHashAlgorithm() protocommon.HashAlgorithm {
	return protocommon.HashAlgorithm_SHA2_256
}

// GetSigningAlgorithm is ECDSA P-256 with SHA-256, or pure Ed25519.
func (k *keyPair) GetSigningAlgorithm() protocommon.PublicKeyDetails { return k.algorithm }

// GetHint is cosign's key hint, base64 of the key's SHA-256.
func (k *keyPair) GetHint() []byte { return []byte(k.hint) }

// GetKeyAlgorithm is the name Fulcio would expect; unused for key bundles.
func (k *keyPair) GetKeyAlgorithm() string { return k.keyAlgorithm }

// GetPublicKey is the signing key's public half.
func (k *keyPair) GetPublicKey() crypto.PublicKey { return k.pub }

// GetPublicKeyPem is the public half as cosign.pub holds it.
func (k *keyPair) GetPublicKeyPem() (string, error) { return string(k.publicPEM), nil }

// SignData signs the message itself (ECDSA hashes it with SHA-256, pure
// Ed25519 signs it whole) and reports the message's SHA-256 as the digest,
// so every bundle names the artifact's sha256 whatever the key type.
func (k *keyPair) SignData(ctx context.Context, data []byte) ([]byte, []byte, error) {
	sig, err := k.sv.SignMessage(bytes.NewReader(data), options.WithContext(ctx))
	if err != nil {
		return nil, nil, err
	}
	sum := sha256.Sum256(data)
	return sig, sum[:], nil
}

// keyMaterial trusts exactly one key, whatever hint a bundle gives; the hint
// is checked separately so that a mismatch reads as "untrusted key".
func keyMaterial(v signature.Verifier) root.TrustedMaterial {
	key := root.NewExpiringKey(v, time.Time{}, time.Time{})
	return root.NewTrustedPublicKeyMaterial(func(string) (root.TimeConstrainedVerifier, error) { return key, nil })
}
