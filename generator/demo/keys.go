package demo

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/crypto/ssh"

	"github.com/evident-project/evident/generator/blobsig"
	"github.com/evident-project/evident/generator/evidence"
	"github.com/evident-project/evident/generator/gitsig"
)

// The demo's schedule: the 1st and 16th of each month at 06:00 UTC.
const demoSchedule = "0 6 1,16 * *"

// Paths of the demo's trusted public keys, relative to its controls.yaml.
const (
	demoCosignPub      = "keys/cosign.pub"
	demoAllowedSigners = "keys/allowed_signers"
)

// demoSigners derives the evidence signing keys from the seed. Both are
// ed25519, whose signatures are deterministic, so the same seed still gives
// byte-identical signed evidence. They live only in memory: the demo writes
// the public halves, which is all `evident verify` and an auditor need.
func demoSigners(seed int64, configDir string) (evidence.Signers, error) {
	key := func(purpose string) ed25519.PrivateKey {
		var b [8]byte
		binary.BigEndian.PutUint64(b[:], uint64(seed))
		s := sha256.Sum256(append(b[:], "evident demo "+purpose...))
		return ed25519.NewKeyFromSeed(s[:])
	}
	manifest, err := blobsig.NewKeySigner(key("manifest"))
	if err != nil {
		return evidence.Signers{}, fmt.Errorf("demo: manifest signing key: %w", err)
	}
	block, err := ssh.MarshalPrivateKey(key("commit"), "")
	if err != nil {
		return evidence.Signers{}, fmt.Errorf("demo: commit signing key: %w", err)
	}
	commit, err := gitsig.NewSSHSigner(pem.EncodeToMemory(block))
	if err != nil {
		return evidence.Signers{}, fmt.Errorf("demo: commit signing key: %w", err)
	}
	line, err := gitsig.AllowedSignersLine("evidence-bot@firstharbor.example", commit.PublicKey())
	if err != nil {
		return evidence.Signers{}, fmt.Errorf("demo: allowed_signers: %w", err)
	}
	for rel, b := range map[string][]byte{
		demoCosignPub:      manifest.PublicKeyPEM(),
		demoAllowedSigners: []byte(line + "\n"),
	} {
		p := filepath.Join(configDir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return evidence.Signers{}, fmt.Errorf("demo: %w", err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return evidence.Signers{}, fmt.Errorf("demo: %w", err)
		}
	}
	return evidence.Signers{Manifest: manifest, Commit: commit}, nil
}
