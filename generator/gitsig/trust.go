package gitsig

import (
	"bytes"
	"errors"
	"time"
)

// Trust is a set of trusted commit-signing keys: OpenPGP keyrings and SSH
// allowed_signers files. Build it with NewTrust and the Add methods, then
// call Verify; Verify does not modify it, so one Trust may verify from many
// goroutines once it is built.
type Trust struct {
	// pgp and ssh are nil until a keyring, or an allowed_signers file, is
	// added: "none declared" reads differently in a note from "not in the
	// declared keys".
	pgp *pgpTrust
	ssh *sshTrust
	now time.Time
}

// NewTrust returns a Trust with no keys. now is the verifying clock, used
// only for PGP: a key expired by now is recorded (key_expired_at) while a
// signature made before still verifies, and a signature whose own lifetime
// has run out by now is expired_key. Pass the run's clock so the same run
// gives the same verdicts; zero means time.Now.
func NewTrust(now time.Time) *Trust {
	if now.IsZero() {
		now = time.Now()
	}
	return &Trust{now: now}
}

// AddPGPKeyring trusts the keys of one OpenPGP keyring file: armored public
// key blocks (several concatenated is common) or a binary keyring. It
// returns how many primary keys were added and, for each key go-crypto
// cannot use, why it was skipped; a file with no usable key is an error,
// since trusting nothing from it is surely not what was declared.
func (t *Trust) AddPGPKeyring(data []byte) (added int, skipped []string, err error) {
	ents, skipped, err := readPGPKeyring(data)
	if err != nil {
		return 0, nil, err
	}
	if len(ents) == 0 {
		return 0, skipped, errors.New("no usable keys")
	}
	if t.pgp == nil {
		t.pgp = &pgpTrust{byID: map[uint64][]*pgpKey{}}
	}
	t.pgp.add(ents)
	return len(ents), skipped, nil
}

// AddAllowedSigners trusts the lines of one allowed_signers file
// (ssh-keygen(1), gpg.ssh.allowedSignersFile). name prefixes error
// positions and notes as "name:line". Unlike ssh-keygen, a line it cannot
// parse is an error, not skipped. An empty file still counts as declared.
func (t *Trust) AddAllowedSigners(data []byte, name string) (added int, err error) {
	signers, err := parseAllowedSigners(bytes.NewReader(data), name)
	if err != nil {
		return 0, err
	}
	if t.ssh == nil {
		t.ssh = &sshTrust{byKey: map[string][]*allowedSigner{}, caKeys: map[string][]*allowedSigner{}}
	}
	t.ssh.add(signers)
	return len(signers), nil
}

// Verify classifies c's signature against the trusted keys. The format is
// chosen by the armor's first line, as git's get_format_by_sig does. A nil
// Trust trusts no key.
func (t *Trust) Verify(c *Commit) Signature {
	if t == nil {
		t = &Trust{now: time.Now()}
	}
	sig := c.Signature
	switch {
	case sig == nil:
		return Signature{Kind: KindNone, Status: StatusNone}
	case bytes.HasPrefix(sig, []byte("-----BEGIN PGP SIGNATURE-----")), bytes.HasPrefix(sig, []byte("-----BEGIN PGP MESSAGE-----")):
		return t.pgp.verifyPGP(sig, c.Payload, t.now)
	case bytes.HasPrefix(sig, []byte("-----BEGIN SSH SIGNATURE-----")):
		return t.ssh.verifySSH(sig, c.Payload, c.Committer.When)
	case bytes.HasPrefix(sig, []byte("-----BEGIN SIGNED MESSAGE-----")):
		return Signature{Kind: KindX509, Status: StatusUnknownKey, Note: "x509 verification not supported"}
	}
	return Signature{Kind: KindUnknown, Status: StatusError, Note: "signature in an unrecognised format"}
}
