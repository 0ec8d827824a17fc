package blobsig

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"errors"
	"testing"
)

var (
	manifest      = []byte("{\n  \"run_id\": \"2026-11-23T02:00:00Z\",\n  \"items\": []\n}\n")
	otherManifest = []byte("{\n  \"run_id\": \"2026-11-24T02:00:00Z\",\n  \"items\": []\n}\n")
)

// errKinds are the typed verification failures; a failure must match exactly one.
var errKinds = []error{ErrBadSignature, ErrUntrustedKey, ErrWrongIdentity, ErrMalformedBundle}

func wantKind(t *testing.T, err, kind error) {
	t.Helper()
	if err == nil {
		t.Fatalf("verification passed, want %v", kind)
	}
	for _, k := range errKinds {
		if got := errors.Is(err, k); got != (k == kind) {
			t.Fatalf("errors.Is(err, %v) = %v for error: %v (want kind %v)", k, got, err, kind)
		}
	}
}

func seededEd25519(seed byte) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
}

func mustKeySigner(t *testing.T, priv crypto.Signer) *KeySigner {
	t.Helper()
	s, err := NewKeySigner(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustSign(t *testing.T, s BlobSigner, payload []byte) []byte {
	t.Helper()
	b, err := s.SignBlob(context.Background(), payload)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustKeyVerifier(t *testing.T, publicPEM []byte) *KeyVerifier {
	t.Helper()
	v, err := NewKeyVerifier(publicPEM)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
