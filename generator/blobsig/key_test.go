package blobsig

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"strings"
	"testing"
)

func TestGenerateKeyPairIsCosignFormat(t *testing.T) {
	priv, pub, err := GenerateKeyPair([]byte("correct horse"))
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := pem.Decode(priv); b == nil || b.Type != "ENCRYPTED SIGSTORE PRIVATE KEY" {
		t.Fatalf("private key PEM:\n%s", priv)
	}
	var enc struct {
		KDF struct {
			Name string `json:"name"`
		} `json:"kdf"`
		Cipher struct {
			Name string `json:"name"`
		} `json:"cipher"`
	}
	b, _ := pem.Decode(priv)
	if err := json.Unmarshal(b.Bytes, &enc); err != nil || enc.KDF.Name != "scrypt" || enc.Cipher.Name != "nacl/secretbox" {
		t.Fatalf("encrypted key envelope: %+v, %v", enc, err)
	}
	blk, _ := pem.Decode(pub)
	if blk == nil || blk.Type != "PUBLIC KEY" {
		t.Fatalf("public key PEM:\n%s", pub)
	}
	key, err := x509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if ec, ok := key.(*ecdsa.PublicKey); !ok || ec.Curve != elliptic.P256() {
		t.Fatalf("public key is %T, want ECDSA P-256 as cosign generates", key)
	}

	s, err := LoadKeySigner(priv, []byte("correct horse"))
	if err != nil {
		t.Fatal(err)
	}
	if string(s.PublicKeyPEM()) != string(pub) {
		t.Fatalf("loaded key's public half differs:\n%s\nvs\n%s", s.PublicKeyPEM(), pub)
	}
	if _, err := LoadKeySigner(priv, []byte("wrong")); err == nil || !strings.Contains(err.Error(), "load signing key: decrypt") {
		t.Fatalf("wrong password: %v", err)
	}
	if _, err := LoadKeySigner(pub, []byte("correct horse")); err == nil || !strings.Contains(err.Error(), "unsupported pem type") {
		t.Fatalf("public key as private key: %v", err)
	}
}

func TestPublicKeyFingerprint(t *testing.T) {
	s := mustKeySigner(t, seededEd25519(1))
	blk, _ := pem.Decode(s.PublicKeyPEM())
	sum := sha256.Sum256(blk.Bytes) // what `openssl pkey -pubin -outform DER | sha256sum` prints
	want := "sha256:" + hex.EncodeToString(sum[:])
	got, err := PublicKeyFingerprint(s.PublicKeyPEM())
	if err != nil || got != want || s.Fingerprint() != want {
		t.Fatalf("fingerprint = %q / %q, %v; want %q", got, s.Fingerprint(), err, want)
	}
	if _, err := PublicKeyFingerprint([]byte("not a key")); err == nil {
		t.Fatal("fingerprint of garbage succeeded")
	}
}

func TestKeySignVerify(t *testing.T) {
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	filePriv, filePub, err := GenerateKeyPair([]byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	fromFile, err := LoadKeySigner(filePriv, []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]*KeySigner{
		"cosign key file":    fromFile,
		"in-memory ecdsa":    mustKeySigner(t, ecKey),
		"in-memory ed25519":  mustKeySigner(t, seededEd25519(2)),
		"empty payload case": mustKeySigner(t, seededEd25519(3)),
	} {
		t.Run(name, func(t *testing.T) {
			payload := manifest
			if name == "empty payload case" {
				payload = nil
			}
			bundle := mustSign(t, s, payload)
			got, err := mustKeyVerifier(t, s.PublicKeyPEM()).VerifyBlob(payload, bundle)
			if err != nil {
				t.Fatal(err)
			}
			if got.KeyFingerprint != s.Fingerprint() || got.Keyless() || got.String() != "key "+s.Fingerprint() {
				t.Fatalf("signer = %+v (%s), want key %s", got, got, s.Fingerprint())
			}
		})
	}
	if string(fromFile.PublicKeyPEM()) != string(filePub) {
		t.Fatal("public key PEM of a loaded cosign key differs from cosign.pub")
	}
}

func TestKeyBundleFormat(t *testing.T) {
	s := mustKeySigner(t, seededEd25519(7))
	bundle := mustSign(t, s, manifest)
	// Ed25519 is deterministic and the JSON is normalized: the same key and
	// manifest give the same bytes in every build, which the demo relies on.
	if again := mustSign(t, mustKeySigner(t, seededEd25519(7)), manifest); string(again) != string(bundle) {
		t.Fatalf("bundle bytes differ between two signatures:\n%s\n%s", bundle, again)
	}
	sum := sha256.Sum256(manifest)
	hint := strings.TrimPrefix(s.Fingerprint(), "sha256:")
	rawHint, _ := hex.DecodeString(hint)
	sig := ed25519Sign(seededEd25519(7), manifest)
	want := `{
  "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
  "verificationMaterial": {
    "publicKey": {
      "hint": "` + base64.StdEncoding.EncodeToString(rawHint) + `"
    }
  },
  "messageSignature": {
    "messageDigest": {
      "algorithm": "SHA2_256",
      "digest": "` + base64.StdEncoding.EncodeToString(sum[:]) + `"
    },
    "signature": "` + base64.StdEncoding.EncodeToString(sig) + `"
  }
}
`
	if string(bundle) != want {
		t.Fatalf("bundle:\n%s\nwant:\n%s", bundle, want)
	}
}

func ed25519Sign(k crypto.Signer, msg []byte) []byte {
	sig, err := k.Sign(nil, msg, crypto.Hash(0))
	if err != nil {
		panic(err)
	}
	return sig
}

func TestKeyVerifyRejects(t *testing.T) {
	signer := mustKeySigner(t, seededEd25519(10))
	other := mustKeySigner(t, seededEd25519(11))
	ecOther, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	v := mustKeyVerifier(t, signer.PublicKeyPEM())
	good := mustSign(t, signer, manifest)
	ks := newTestSigstore(t)
	keyless := mustSign(t, ks.keylessSigner("acme/evidence/.github/workflows/evident.yml@refs/heads/main"), manifest)

	// withoutHint is a bundle by another key that does not name its key.
	withoutHint := strings.Replace(string(mustSign(t, other, manifest)), `"hint": "`+hintOf(t, other)+`"`, `"hint": ""`, 1)
	// badSig keeps digest and hint but carries another key's signature.
	badSig := strings.Replace(string(good), sigOf(t, good), sigOf(t, mustSign(t, other, manifest)), 1)

	for _, tc := range []struct {
		name            string
		payload, bundle []byte
		kind            error
		msg             string
	}{
		{"tampered payload", append([]byte("x"), manifest...), good, ErrBadSignature, "changed after signing"},
		{"swapped bundle", manifest, mustSign(t, signer, otherManifest), ErrBadSignature, "belongs to another file"},
		{"signature replaced", manifest, []byte(badSig), ErrBadSignature, "key " + signer.Fingerprint()},
		{"wrong key", manifest, mustSign(t, other, manifest), ErrUntrustedKey, "signed by key " + other.Fingerprint()},
		{"wrong ecdsa key", manifest, mustSign(t, mustKeySigner(t, ecOther), manifest), ErrUntrustedKey, "not by the trusted key"},
		{"wrong key without hint", manifest, []byte(withoutHint), ErrBadSignature, "key " + signer.Fingerprint()},
		{"keyless bundle", manifest, keyless, ErrUntrustedKey, "Sigstore certificate"},
		{"not json", manifest, []byte("hello"), ErrMalformedBundle, "malformed bundle"},
		{"empty object", manifest, []byte("{}"), ErrMalformedBundle, "malformed bundle"},
		{"legacy cosign bundle", manifest, []byte(`{"base64Signature":"MEUCIQ=="}`), ErrMalformedBundle, "--new-bundle-format"},
		{"dsse envelope", manifest, []byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{"hint":"x"}},"dsseEnvelope":{"payload":"e30=","payloadType":"application/vnd.in-toto+json","signatures":[{"sig":"AA=="}]}}`), ErrMalformedBundle, "no message signature"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := v.VerifyBlob(tc.payload, tc.bundle)
			wantKind(t, err, tc.kind)
			if !strings.Contains(err.Error(), tc.msg) || !strings.HasPrefix(err.Error(), "verify blob: ") {
				t.Fatalf("error %q does not say %q", err, tc.msg)
			}
		})
	}
}

func hintOf(t *testing.T, s *KeySigner) string {
	t.Helper()
	raw, err := hex.DecodeString(strings.TrimPrefix(s.Fingerprint(), "sha256:"))
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(raw)
}

func sigOf(t *testing.T, bundle []byte) string {
	t.Helper()
	var b struct {
		MessageSignature struct {
			Signature string `json:"signature"`
		} `json:"messageSignature"`
	}
	if err := json.Unmarshal(bundle, &b); err != nil || b.MessageSignature.Signature == "" {
		t.Fatalf("no signature in bundle: %v", err)
	}
	return b.MessageSignature.Signature
}

func TestUnsupportedKeys(t *testing.T) {
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	for name, k := range map[string]crypto.Signer{"p384": p384, "rsa": rsaKey, "nil": nil} {
		if _, err := NewKeySigner(k); err == nil || !strings.HasPrefix(err.Error(), "load signing key") {
			t.Errorf("%s: NewKeySigner err = %v", name, err)
		}
	}
	if _, err := NewKeyVerifier([]byte("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")); err == nil {
		t.Error("NewKeyVerifier accepted a broken key")
	}
}

func TestKeySignCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := mustKeySigner(t, seededEd25519(1)).SignBlob(ctx, manifest); err == nil || !strings.Contains(err.Error(), "context canceled") {
		t.Fatalf("SignBlob on a canceled context: %v", err)
	}
}
