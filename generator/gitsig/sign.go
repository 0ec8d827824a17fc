package gitsig

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/hiddeco/sshsig"
	"golang.org/x/crypto/ssh"
)

// Signer signs a commit payload and returns the armored signature. It is
// go-git's git.Signer, so a Signer also fits git.CommitOptions.Signer.
type Signer interface {
	// Sign returns the armored signature of message.
	Sign(message io.Reader) ([]byte, error)
}

// SSHSigner signs commits with an SSH key, as `git -c gpg.format=ssh commit
// -S` does through `ssh-keygen -Y sign -n git`: an sshsig over the payload's
// sha512 in the "git" namespace, armored exactly as ssh-keygen armors it.
// ed25519 and RSA (rsa-sha2-512) signatures are deterministic, so the same
// commit signed twice is the same object; ECDSA signatures are not.
type SSHSigner struct {
	key ssh.Signer
}

// NewSSHSigner parses an unencrypted OpenSSH private key file (ed25519,
// ECDSA or RSA, as ssh.ParsePrivateKey reads them).
func NewSSHSigner(privateKey []byte) (*SSHSigner, error) {
	key, err := ssh.ParsePrivateKey(privateKey)
	if err != nil {
		return nil, fmt.Errorf("parse ssh private key: %w", err)
	}
	return &SSHSigner{key: key}, nil
}

// PublicKey is the key an allowed_signers line must name to trust this
// signer's commits.
func (s *SSHSigner) PublicKey() ssh.PublicKey { return s.key.PublicKey() }

// Sign returns the armored SSH signature of message.
func (s *SSHSigner) Sign(message io.Reader) ([]byte, error) {
	sig, err := sshsig.Sign(message, s.key, sshsig.HashSHA512, sshNamespace)
	if err != nil {
		return nil, fmt.Errorf("ssh sign: %w", err)
	}
	return armorSSH(sig.Marshal()), nil
}

// armorSSH armors a signature blob as OpenSSH's sshsig_armor does: base64 in
// 70-column lines, each ending in a newline. sshsig.Armor wraps at 64 (PEM),
// which verifies just as well but would make our commits differ byte for
// byte from the ones git and ssh-keygen make.
func armorSSH(blob []byte) []byte {
	const width = 70
	b64 := base64.StdEncoding.EncodeToString(blob)
	var b bytes.Buffer
	b.WriteString("-----BEGIN SSH SIGNATURE-----\n")
	for len(b64) > width {
		b.WriteString(b64[:width])
		b.WriteByte('\n')
		b64 = b64[width:]
	}
	b.WriteString(b64)
	b.WriteString("\n-----END SSH SIGNATURE-----\n")
	return b.Bytes()
}

// PGPSigner signs commits with an OpenPGP key: an armored detached binary
// signature, as `git commit -S` gets from gpg.
type PGPSigner struct {
	entity *openpgp.Entity
	// Clock, when set, dates the signatures: with an EdDSA or RSA key and a
	// fixed clock the same commit is signed to the same bytes (reproducible
	// demo commits). nil means time.Now.
	Clock func() time.Time
}

// NewPGPSigner reads an armored private key (gpg --armor
// --export-secret-keys) holding exactly one key, not passphrase-protected.
// The key's current signing key signs: a signing subkey if it has one.
func NewPGPSigner(armoredPrivateKey []byte) (*PGPSigner, error) {
	ents, err := openpgp.ReadArmoredKeyRing(bytes.NewReader(armoredPrivateKey))
	if err != nil {
		return nil, fmt.Errorf("parse pgp private key: %w", err)
	}
	if len(ents) != 1 {
		return nil, fmt.Errorf("parse pgp private key: want one key, found %d", len(ents))
	}
	e := ents[0]
	if e.PrivateKey == nil {
		return nil, errors.New("parse pgp private key: the key block holds no private key")
	}
	keys := []*packet.PrivateKey{e.PrivateKey}
	for _, sk := range e.Subkeys {
		keys = append(keys, sk.PrivateKey)
	}
	for _, k := range keys {
		if k != nil && k.Encrypted {
			return nil, errors.New("parse pgp private key: the key is passphrase-protected")
		}
	}
	return &PGPSigner{entity: e}, nil
}

// Fingerprint is the primary key's fingerprint, upper-case hex: the signer a
// verified signature by this key names.
func (s *PGPSigner) Fingerprint() string {
	return fmt.Sprintf("%X", s.entity.PrimaryKey.Fingerprint)
}

// Sign returns the armored detached signature of message.
func (s *PGPSigner) Sign(message io.Reader) ([]byte, error) {
	salted := false
	cfg := &packet.Config{
		Time: s.Clock,
		// go-crypto salts v4 signatures with a random notation by default;
		// gpg does not, and without it EdDSA and RSA signatures are
		// deterministic, which reproducible commits rely on.
		NonDeterministicSignaturesViaNotation: &salted,
	}
	var b bytes.Buffer
	if err := openpgp.ArmoredDetachSign(&b, s.entity, message, cfg); err != nil {
		return nil, fmt.Errorf("pgp sign: %w", err)
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}

// SignCommit signs c as git does: the payload is the commit encoded without
// its signature, and the signature goes in the gpgsig header (c's
// PGPSignature, which git uses for SSH signatures too). A signature c
// already had is replaced. c.Hash is left as it was; the signed commit's id
// is known once it is encoded and stored.
func SignCommit(c *object.Commit, s Signer) error {
	payload := &plumbing.MemoryObject{}
	if err := c.EncodeWithoutSignature(payload); err != nil {
		return fmt.Errorf("sign commit: encode payload: %w", err)
	}
	r, err := payload.Reader()
	if err != nil {
		return fmt.Errorf("sign commit: read payload: %w", err)
	}
	sig, err := s.Sign(r)
	if err != nil {
		return fmt.Errorf("sign commit: %w", err)
	}
	if len(bytes.TrimSpace(sig)) == 0 {
		return errors.New("sign commit: the signer returned no signature")
	}
	c.PGPSignature = string(sig)
	return nil
}

// AllowedSignersLine is the allowed_signers line (gpg.ssh.allowedSignersFile)
// that trusts pub to sign commits as principal, limited to the "git"
// namespace so the key cannot vouch for other sshsig uses. It has no
// trailing newline. The principal is quoted when it has spaces or would
// read as a comment; a principal the format cannot carry is an error:
// empty, or with a comma (which would make it several), a double quote or a
// control character.
func AllowedSignersLine(principal string, pub ssh.PublicKey) (string, error) {
	if principal == "" {
		return "", errors.New("allowed signers line: empty principal")
	}
	if strings.ContainsAny(principal, `,"`) || strings.ContainsFunc(principal, isControl) {
		return "", fmt.Errorf("allowed signers line: principal %q cannot be written in allowed_signers", principal)
	}
	if pub == nil {
		return "", errors.New("allowed signers line: no public key")
	}
	if _, ok := pub.(*ssh.Certificate); ok {
		return "", errors.New("allowed signers line: a certificate is trusted through its CA's cert-authority line, not by itself")
	}
	if strings.ContainsAny(principal, " \t") || principal[0] == '#' {
		principal = `"` + principal + `"`
	}
	key := strings.TrimSuffix(string(ssh.MarshalAuthorizedKey(pub)), "\n")
	return principal + ` namespaces="` + sshNamespace + `" ` + key, nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }
