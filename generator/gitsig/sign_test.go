package gitsig

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/pem"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/ProtonMail/go-crypto/openpgp/s2k"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/memory"
	"github.com/hiddeco/sshsig"
	"golang.org/x/crypto/ssh"
)

var emptyTree = plumbing.NewHash("4b825dc642cb6eb9a060e54bf8d69288fbee4904")

// opensshKey encodes a private key as an OpenSSH private key file.
func opensshKey(t *testing.T, priv any) []byte {
	t.Helper()
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(block)
}

// signAndRead signs c, stores it in memory and reads it back the way a
// verifier reads a stored commit.
func signAndRead(t *testing.T, c *object.Commit, s Signer, alter func(*object.Commit)) *Commit {
	t.Helper()
	if err := SignCommit(c, s); err != nil {
		t.Fatal(err)
	}
	if alter != nil {
		alter(c)
	}
	st := memory.NewStorage()
	h := storeObject(t, st, c)
	parsed, err := ReadCommit(st, h)
	if err != nil {
		t.Fatal(err)
	}
	return parsed
}

func TestSSHSignerRoundTrip(t *testing.T) {
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	when := time.Date(2026, 10, 15, 9, 30, 0, 0, time.UTC)
	for name, priv := range map[string]any{
		"ed25519": ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize)),
		"ecdsa":   ecKey,
		"rsa":     rsaKey,
	} {
		t.Run(name, func(t *testing.T) {
			s, err := NewSSHSigner(opensshKey(t, priv))
			if err != nil {
				t.Fatal(err)
			}
			sig, err := s.Sign(strings.NewReader("payload"))
			if err != nil {
				t.Fatal(err)
			}
			parsed, err := sshsig.Unarmor(sig)
			if err != nil {
				t.Fatalf("unarmor %q: %v", sig, err)
			}
			if parsed.Namespace != "git" || parsed.HashAlgorithm != sshsig.HashSHA512 {
				t.Errorf("namespace %q hash %q, want git and sha512", parsed.Namespace, parsed.HashAlgorithm)
			}
			if name == "rsa" && parsed.Signature.Format != ssh.KeyAlgoRSASHA512 {
				t.Errorf("rsa signature format %q, want %q as ssh-keygen uses", parsed.Signature.Format, ssh.KeyAlgoRSASHA512)
			}
			for _, l := range strings.Split(strings.TrimSuffix(string(sig), "\n"), "\n") {
				if len(l) > 70 {
					t.Errorf("armor line of %d columns, ssh-keygen writes at most 70: %q", len(l), l)
				}
			}

			line, err := AllowedSignersLine("ci@evident.example", s.PublicKey())
			if err != nil {
				t.Fatal(err)
			}
			trust := NewTrust(when)
			if _, err := trust.AddAllowedSigners([]byte(line+"\n"), "allowed_signers"); err != nil {
				t.Fatal(err)
			}
			good := signAndRead(t, testCommit(emptyTree, "evidence\n", when), s, nil)
			if v := trust.Verify(good); v.Kind != KindSSH || v.Status != StatusVerified || v.Signer != "ci@evident.example" ||
				v.Key != ssh.FingerprintSHA256(s.PublicKey()) || !v.VerifiedAtSigning {
				t.Errorf("signed commit: %+v", v)
			}
			bad := signAndRead(t, testCommit(emptyTree, "evidence\n", when), s, func(c *object.Commit) { c.Message = "other\n" })
			if v := trust.Verify(bad); v.Status != StatusBad {
				t.Errorf("altered commit: %+v", v)
			}
		})
	}
}

// TestSignersDeterministic pins what reproducible demo commits rely on:
// ed25519 SSH signatures, and PGP signatures with a fixed clock, are the
// same bytes every time.
func TestSignersDeterministic(t *testing.T) {
	ssh1, err := NewSSHSigner(opensshKey(t, ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, ed25519.SeedSize))))
	if err != nil {
		t.Fatal(err)
	}
	created := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	pgp, err := NewPGPSigner(pgpPrivateKey(t, created, 0))
	if err != nil {
		t.Fatal(err)
	}
	signedAt := created.Add(48 * time.Hour)
	pgp.Clock = func() time.Time { return signedAt }
	for name, s := range map[string]Signer{"ssh": ssh1, "pgp": pgp} {
		a, err := s.Sign(strings.NewReader("tree x\n\nmsg\n"))
		if err != nil {
			t.Fatal(err)
		}
		b, err := s.Sign(strings.NewReader("tree x\n\nmsg\n"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s: two signatures of one message differ:\n%s\n%s", name, a, b)
		}
	}
	sig, err := pgp.Sign(strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := parsePGPSignature(sig)
	if err != nil {
		t.Fatal(err)
	}
	if !p.CreationTime.Equal(signedAt) || len(p.Notations) != 0 {
		t.Errorf("pgp signature created %v with %d notations, want %v and none", p.CreationTime, len(p.Notations), signedAt)
	}
}

// pgpPrivateKey makes an armored, unprotected ed25519 private key created
// at created, expiring after lifetime (0: never).
func pgpPrivateKey(t *testing.T, created time.Time, lifetime time.Duration) []byte {
	t.Helper()
	e := pgpEntity(t, "Evident CI", "ci@evident.example", created, lifetime)
	return armorKeys(t, openpgp.PrivateKeyType, func(w io.Writer) error { return e.SerializePrivate(w, nil) })
}

func pgpEntity(t *testing.T, name, email string, created time.Time, lifetime time.Duration) *openpgp.Entity {
	t.Helper()
	cfg := &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA, Time: func() time.Time { return created }, KeyLifetimeSecs: uint32(lifetime / time.Second)}
	e, err := openpgp.NewEntity(name, "", email, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func armorKeys(t *testing.T, blockType string, write func(io.Writer) error) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := armor.Encode(&b, blockType, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := write(w); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestPGPSignerRoundTrip signs with PGPSigner and verifies with Trust,
// including a key that expired after signing: verified, with the expiry
// recorded (a deliberate difference from git, which says Y).
func TestPGPSignerRoundTrip(t *testing.T) {
	created := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	key := pgpPrivateKey(t, created, 30*24*time.Hour)
	s, err := NewPGPSigner(key)
	if err != nil {
		t.Fatal(err)
	}
	signedAt := created.Add(24 * time.Hour)
	s.Clock = func() time.Time { return signedAt }
	// The public half, as it would be published for auditors.
	ents, err := openpgp.ReadArmoredKeyRing(bytes.NewReader(key))
	if err != nil {
		t.Fatal(err)
	}
	pub := armorKeys(t, openpgp.PublicKeyType, ents[0].Serialize)

	c := signAndRead(t, testCommit(emptyTree, "evidence\n", signedAt), s, nil)
	for _, tc := range []struct {
		now     time.Time
		expired string
	}{
		{now: created.Add(10 * 24 * time.Hour)},
		{now: created.Add(60 * 24 * time.Hour), expired: "2026-10-01T00:00:00Z"},
	} {
		trust := NewTrust(tc.now)
		if n, _, err := trust.AddPGPKeyring(pub); err != nil || n != 1 {
			t.Fatalf("AddPGPKeyring: %d, %v", n, err)
		}
		v := trust.Verify(c)
		if v.Kind != KindPGP || v.Status != StatusVerified || v.Signer != s.Fingerprint() || v.SignedAt != "2026-09-02T00:00:00Z" ||
			!v.VerifiedAtSigning || v.KeyExpiredAt != tc.expired || (tc.expired != "") != strings.Contains(v.Note, "git reports Y") {
			t.Errorf("now %s: %+v", tc.now.Format(time.DateOnly), v)
		}
	}
	trust := NewTrust(created)
	if _, _, err := trust.AddPGPKeyring(pub); err != nil {
		t.Fatal(err)
	}
	bad := signAndRead(t, testCommit(emptyTree, "evidence\n", signedAt), s, func(c *object.Commit) { c.Author.Name = "Mallory" })
	if v := trust.Verify(bad); v.Status != StatusBad {
		t.Errorf("altered commit: %+v", v)
	}
}

func TestNewSignerErrors(t *testing.T) {
	edKey := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, ed25519.SeedSize))
	protected, err := ssh.MarshalPrivateKeyWithPassphrase(edKey, "", []byte("secret"))
	if err != nil {
		t.Fatal(err)
	}
	for name, key := range map[string][]byte{
		"garbage":               []byte("not a key"),
		"passphrase-protected":  pem.EncodeToMemory(protected),
		"public key, not a key": ssh.MarshalAuthorizedKey(mustSSHPublic(t, edKey)),
	} {
		if _, err := NewSSHSigner(key); err == nil || !strings.HasPrefix(err.Error(), "parse ssh private key: ") {
			t.Errorf("ssh %s: error %v", name, err)
		}
	}

	created := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	a := pgpEntity(t, "A", "a@example.com", created, 0)
	b := pgpEntity(t, "B", "b@example.com", created, 0)
	enc := pgpEntity(t, "C", "c@example.com", created, 0)
	// A cheap S2K: the test is about refusing a protected key, not its strength.
	cheap := &packet.Config{S2KConfig: &s2k.Config{S2KMode: s2k.IteratedSaltedS2K, S2KCount: 1024}}
	if err := enc.EncryptPrivateKeys([]byte("secret"), cheap); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		key  []byte
		want string
	}{
		"garbage":              {[]byte("not a key"), "parse pgp private key: "},
		"public key only":      {armorKeys(t, openpgp.PublicKeyType, a.Serialize), "holds no private key"},
		"two keys":             {armorKeys(t, openpgp.PrivateKeyType, func(w io.Writer) error { a.SerializePrivate(w, nil); return b.SerializePrivate(w, nil) }), "want one key, found 2"},
		"passphrase-protected": {armorKeys(t, openpgp.PrivateKeyType, func(w io.Writer) error { return enc.SerializePrivateWithoutSigning(w, nil) }), "passphrase-protected"},
	} {
		if _, err := NewPGPSigner(tc.key); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("pgp %s: error %v, want %q", name, err, tc.want)
		}
	}
}

func mustSSHPublic(t *testing.T, priv ed25519.PrivateKey) ssh.PublicKey {
	t.Helper()
	pub, err := ssh.NewPublicKey(priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

type signerFunc func(io.Reader) ([]byte, error)

func (f signerFunc) Sign(r io.Reader) ([]byte, error) { return f(r) }

func TestSignCommit(t *testing.T) {
	when := time.Date(2026, 10, 15, 9, 30, 0, 0, time.UTC)
	c := testCommit(emptyTree, "evidence\n", when)
	c.PGPSignature = "-----BEGIN SSH SIGNATURE-----\nold\n-----END SSH SIGNATURE-----\n"
	var payload []byte
	err := SignCommit(c, signerFunc(func(r io.Reader) ([]byte, error) {
		var err error
		payload, err = io.ReadAll(r)
		return []byte("SIG\n"), err
	}))
	if err != nil {
		t.Fatal(err)
	}
	// The payload is the commit without any signature, the old one included.
	want := "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n" +
		"author Evident CI <ci@evident.example> 1792056600 +0000\n" +
		"committer Evident CI <ci@evident.example> 1792056600 +0000\n\nevidence\n"
	if string(payload) != want {
		t.Errorf("payload\n%q\nwant\n%q", payload, want)
	}
	if c.PGPSignature != "SIG\n" {
		t.Errorf("signature %q", c.PGPSignature)
	}

	boom := errors.New("boom")
	for name, s := range map[string]Signer{
		"signer fails":    signerFunc(func(io.Reader) ([]byte, error) { return nil, boom }),
		"empty signature": signerFunc(func(io.Reader) ([]byte, error) { return []byte("\n"), nil }),
	} {
		c := testCommit(emptyTree, "evidence\n", when)
		err := SignCommit(c, s)
		if err == nil || !strings.HasPrefix(err.Error(), "sign commit: ") || c.PGPSignature != "" {
			t.Errorf("%s: error %v, signature %q", name, err, c.PGPSignature)
		}
		if name == "signer fails" && !errors.Is(err, boom) {
			t.Errorf("%s: %v does not wrap the signer's error", name, err)
		}
	}
}

func TestAllowedSignersLine(t *testing.T) {
	pub := mustSSHPublic(t, ed25519.NewKeyFromSeed(bytes.Repeat([]byte{2}, ed25519.SeedSize)))
	key := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub)))
	for principal, want := range map[string]string{
		"ci@evident.example": `ci@evident.example namespaces="git" ` + key,
		"Evident CI@example": `"Evident CI@example" namespaces="git" ` + key,
		"#ci@example":        `"#ci@example" namespaces="git" ` + key,
		"*@evident.example":  `*@evident.example namespaces="git" ` + key,
	} {
		got, err := AllowedSignersLine(principal, pub)
		if err != nil {
			t.Fatalf("%q: %v", principal, err)
		}
		if got != want {
			t.Errorf("%q:\n got %s\nwant %s", principal, got, want)
		}
		// It reads back as one principal, trusted for git only.
		s, ok, err := parseAllowedSignerLine(got)
		if err != nil || !ok || len(s.principals) != 1 || s.principals[0] != principal ||
			!s.hasNamespaces || s.namespaces != "git" || !equalKeys(s.key, pub) {
			t.Errorf("%q reads back as %+v (ok %v, err %v)", got, s, ok, err)
		}
	}

	signer, err := ssh.NewSignerFromKey(ed25519.NewKeyFromSeed(bytes.Repeat([]byte{3}, ed25519.SeedSize)))
	if err != nil {
		t.Fatal(err)
	}
	cert := &ssh.Certificate{Key: pub, CertType: ssh.UserCert, ValidPrincipals: []string{"ci"}, ValidBefore: ssh.CertTimeInfinity}
	if err := cert.SignCert(rand.Reader, signer); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		principal string
		pub       ssh.PublicKey
	}{
		"empty":       {"", pub},
		"comma":       {"a@x,b@x", pub},
		"quote":       {`a"b@x`, pub},
		"newline":     {"a@x\nb@x ssh-ed25519 AAAA", pub},
		"no key":      {"a@x", nil},
		"certificate": {"a@x", cert},
	} {
		if line, err := AllowedSignersLine(tc.principal, tc.pub); err == nil || !strings.HasPrefix(err.Error(), "allowed signers line: ") {
			t.Errorf("%s: line %q, error %v", name, line, err)
		}
	}
}

// TestVerifyFormats covers the dispatch on the armor's first line and the
// notes for keys that were never declared.
func TestVerifyFormats(t *testing.T) {
	s, err := NewSSHSigner(opensshKey(t, ed25519.NewKeyFromSeed(bytes.Repeat([]byte{4}, ed25519.SeedSize))))
	if err != nil {
		t.Fatal(err)
	}
	when := time.Date(2026, 10, 15, 9, 30, 0, 0, time.UTC)
	sshSigned := signAndRead(t, testCommit(emptyTree, "x\n", when), s, nil)
	pgp, err := NewPGPSigner(pgpPrivateKey(t, when.Add(-time.Hour), 0))
	if err != nil {
		t.Fatal(err)
	}
	pgpSigned := signAndRead(t, testCommit(emptyTree, "x\n", when), pgp, nil)
	header := func(sig string) *Commit {
		return &Commit{Signature: []byte(sig), Payload: []byte("tree x\n\nx\n"), Committer: Ident{When: when}}
	}
	var none *Trust
	for _, tc := range []struct {
		name   string
		trust  *Trust
		c      *Commit
		kind   Kind
		status Status
		note   string
	}{
		{"unsigned", NewTrust(when), &Commit{}, KindNone, StatusNone, ""},
		{"x509", NewTrust(when), header("-----BEGIN SIGNED MESSAGE-----\nMIAG\n-----END SIGNED MESSAGE-----\n"), KindX509, StatusUnknownKey, "x509 verification not supported"},
		{"unknown format", NewTrust(when), header("-----BEGIN SOMETHING-----\n"), KindUnknown, StatusError, "signature in an unrecognised format"},
		{"ssh, none declared", NewTrust(when), sshSigned, KindSSH, StatusUnknownKey, "no ssh allowed signers declared for this repository"},
		{"pgp, none declared", NewTrust(when), pgpSigned, KindPGP, StatusUnknownKey, "no pgp keyring declared for this repository"},
		{"nil trust", none, sshSigned, KindSSH, StatusUnknownKey, "no ssh allowed signers declared for this repository"},
		{"malformed pgp", NewTrust(when), header("-----BEGIN PGP SIGNATURE-----\n\n!!!\n-----END PGP SIGNATURE-----\n"), KindPGP, StatusError, "malformed pgp signature: "},
	} {
		v := tc.trust.Verify(tc.c)
		if v.Kind != tc.kind || v.Status != tc.status || !strings.HasPrefix(v.Note, tc.note) || (tc.note == "" && v.Note != "") {
			t.Errorf("%s: %+v, want %s/%s note %q", tc.name, v, tc.kind, tc.status, tc.note)
		}
	}

	// An empty allowed_signers file still counts as declared.
	tr := NewTrust(when)
	if n, err := tr.AddAllowedSigners([]byte("# nobody yet\n"), "allowed_signers"); err != nil || n != 0 {
		t.Fatalf("empty allowed signers: %d, %v", n, err)
	}
	if v := tr.Verify(sshSigned); v.Status != StatusUnknownKey || v.Note != "key not in allowed signers" {
		t.Errorf("empty allowed signers: %+v", v)
	}
	if _, _, err := tr.AddPGPKeyring([]byte("no keys here")); err == nil {
		t.Errorf("a keyring with no keys was accepted")
	}
}
