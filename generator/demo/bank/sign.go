package bank

import (
	"bytes"
	"crypto"
	"fmt"
	"io"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/go-git/go-git/v5"
	"github.com/hiddeco/sshsig"
	"golang.org/x/crypto/ssh"
)

// SSHSigner signs git objects the way `git commit -S` does with
// gpg.format=ssh: an armored SSHSIG over the object, namespace "git", SHA-512.
type SSHSigner struct {
	Key ssh.Signer // private key; ed25519 keys give reproducible signatures
}

var _ git.Signer = SSHSigner{}

// Sign returns the armored SSH signature of message.
func (s SSHSigner) Sign(message io.Reader) ([]byte, error) {
	sig, err := sshsig.Sign(message, s.Key, sshsig.HashSHA512, "git")
	if err != nil {
		return nil, fmt.Errorf("ssh sign: %w", err)
	}
	return sshsig.Armor(sig), nil
}

// PGPSigner makes a detached, armored OpenPGP signature whose creation time
// is Time (the commit time), so signatures are reproducible. Unlike
// openpgp.ArmoredDetachSign it does not refuse an expired key: the demo needs
// signatures made after a key expired, exactly as an unrenewed key would make
// them with a client that does not check expiry.
type PGPSigner struct {
	Entity *openpgp.Entity // signs with its primary key, which must be decrypted
	Time   time.Time       // signature creation time, truncated to the second
}

var _ git.Signer = PGPSigner{}

// Sign returns the armored detached signature of message.
func (s PGPSigner) Sign(message io.Reader) ([]byte, error) {
	priv := s.Entity.PrivateKey
	if priv == nil || priv.Encrypted {
		return nil, fmt.Errorf("pgp sign: no usable private key")
	}
	off := false
	cfg := &packet.Config{NonDeterministicSignaturesViaNotation: &off}
	sig := &packet.Signature{
		Version:      priv.PublicKey.Version,
		SigType:      packet.SigTypeBinary,
		PubKeyAlgo:   priv.PublicKey.PubKeyAlgo,
		Hash:         crypto.SHA512,
		CreationTime: s.Time.Truncate(time.Second),
		IssuerKeyId:  &priv.PublicKey.KeyId,
	}
	h, err := sig.PrepareSign(cfg)
	if err != nil {
		return nil, fmt.Errorf("pgp sign: %w", err)
	}
	if _, err := io.Copy(h, message); err != nil {
		return nil, fmt.Errorf("pgp sign: read payload: %w", err)
	}
	if err := sig.Sign(h, priv, cfg); err != nil {
		return nil, fmt.Errorf("pgp sign: %w", err)
	}
	var buf bytes.Buffer
	w, err := armor.Encode(&buf, "PGP SIGNATURE", nil)
	if err != nil {
		return nil, err
	}
	if err := sig.Serialize(w); err != nil {
		return nil, fmt.Errorf("pgp sign: serialize: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}

// tamperedSigner signs a different payload than the one it is given: the
// commit message was edited after signing, so the stored signature is genuine
// but no longer matches the commit (what `git verify-commit` reports as bad).
type tamperedSigner struct {
	inner            git.Signer
	committed        string // message actually stored in the commit
	originallySigned string // message the author signed
}

func (t tamperedSigner) Sign(message io.Reader) ([]byte, error) {
	b, err := io.ReadAll(message)
	if err != nil {
		return nil, err
	}
	orig := bytes.Replace(b, []byte(t.committed), []byte(t.originallySigned), 1)
	if bytes.Equal(orig, b) {
		return nil, fmt.Errorf("tampered signer: committed message not found in payload")
	}
	return t.inner.Sign(bytes.NewReader(orig))
}
