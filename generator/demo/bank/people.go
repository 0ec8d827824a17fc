package bank

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"golang.org/x/crypto/ssh"
)

// Roles a Person can have; checks use them to reason about segregation of duties.
const (
	RoleEngineer       = "engineer"        // writes code and reviews peers
	RoleReleaseManager = "release-manager" // merges most PRs, never authors them
	RoleContractor     = "contractor"      // external, has no signing key
	RoleBot            = "bot"             // release automation
)

// Signing key kinds a Person can use.
const (
	KeySSH  = "ssh-ed25519"     // SSH key listed in allowed_signers
	KeyPGP  = "openpgp-ed25519" // OpenPGP (EdDSA) key in the trusted keyring
	KeyNone = ""                // commits unsigned
)

// Person is someone (or something) that commits to the bank's repositories.
type Person struct {
	ID          string         // short handle used in branch names, e.g. "mchen"
	Name        string         // display name as it appears in commits
	Email       string         // commit e-mail, also the allowed_signers principal
	Role        string         // one of the Role* constants
	Zone        *time.Location // fixed UTC offset the person commits from
	KeyKind     string         // one of the Key* constants
	Fingerprint string         // SSH "SHA256:…" or 40-hex OpenPGP fingerprint; empty when unsigned
	ValidAfter  time.Time      // allowed_signers valid-after; zero when unrestricted
	KeyExpires  time.Time      // OpenPGP key expiry; zero when it never expires
}

// signingKey is private key material that only ever lives in memory.
type signingKey struct {
	fingerprint string
	ssh         ssh.Signer      // set for SSH keys
	pgp         *openpgp.Entity // set for OpenPGP keys
}

// personSpec is the static description of the cast; keys are derived from the seed.
type personSpec struct {
	id, name, email, role string
	offsetHours           float64
	keyKind               string
	comment               string    // ssh key comment / host it was generated on
	validAfter            time.Time // allowed_signers valid-after
	pgpCreated            time.Time
	pgpExpires            time.Time
}

// Dates that drive the signing stories in the timeline.
var (
	// Priya's key was only approved in allowed_signers when she finished
	// onboarding, so her July commits predate its valid-after.
	priyaKeyValidAfter = time.Date(2026, 8, 3, 0, 0, 0, 0, time.UTC)
	// Tomás's OpenPGP key was created with a two-year expiry that nobody renewed.
	tomasKeyCreated = time.Date(2024, 11, 1, 14, 12, 9, 0, time.UTC)
	tomasKeyExpires = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	helenKeyCreated = time.Date(2025, 3, 10, 16, 40, 31, 0, time.UTC)
	helenKeyExpires = time.Date(2028, 3, 10, 16, 40, 31, 0, time.UTC)
	// Maya signs one commit from a new laptop whose key was never registered.
	mayaLaptopFrom = time.Date(2026, 10, 19, 0, 0, 0, 0, time.UTC)
)

var cast = []personSpec{
	{id: "mchen", name: "Maya Chen", email: "maya.chen@firstharbor.bank", role: RoleEngineer, offsetHours: -5, keyKind: KeySSH, comment: "maya@fhb-mbp-0142"},
	{id: "dokafor", name: "Daniel Okafor", email: "daniel.okafor@firstharbor.bank", role: RoleEngineer, offsetHours: 1, keyKind: KeySSH, comment: "dokafor@fhb-tp-0377"},
	{id: "praman", name: "Priya Raman", email: "priya.raman@firstharbor.bank", role: RoleEngineer, offsetHours: 5.5, keyKind: KeySSH, comment: "priya@fhb-mbp-0519", validAfter: priyaKeyValidAfter},
	{id: "talvarez", name: "Tomás Alvarez", email: "tomas.alvarez@firstharbor.bank", role: RoleEngineer, offsetHours: -3, keyKind: KeyPGP, pgpCreated: tomasKeyCreated, pgpExpires: tomasKeyExpires},
	{id: "hbrooks", name: "Helen Brooks", email: "helen.brooks@firstharbor.bank", role: RoleReleaseManager, offsetHours: -5, keyKind: KeyPGP, pgpCreated: helenKeyCreated, pgpExpires: helenKeyExpires},
	{id: "swhitfield", name: "Sam Whitfield", email: "sam.whitfield@contractors.firstharbor.bank", role: RoleContractor, offsetHours: -8, keyKind: KeyNone},
	{id: "release-bot", name: "release-bot", email: "release-bot@firstharbor.bank", role: RoleBot, offsetHours: 0, keyKind: KeySSH, comment: "release-bot@ci"},
}

// keyRand returns a deterministic random stream for one key, so the same seed
// always yields the same keys (and therefore the same commit hashes).
func keyRand(seed int64, label string) *rand.ChaCha8 {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(seed))
	return rand.NewChaCha8(sha256.Sum256(append(b[:], "evident/demo/bank/key/"+label...)))
}

func newSSHKey(seed int64, label string) (*signingKey, error) {
	var s [ed25519.SeedSize]byte
	if _, err := keyRand(seed, label).Read(s[:]); err != nil {
		return nil, err
	}
	signer, err := ssh.NewSignerFromKey(ed25519.NewKeyFromSeed(s[:]))
	if err != nil {
		return nil, fmt.Errorf("ssh key %s: %w", label, err)
	}
	return &signingKey{fingerprint: ssh.FingerprintSHA256(signer.PublicKey()), ssh: signer}, nil
}

func pgpConfig(seed int64, label string, now time.Time) *packet.Config {
	off := false
	return &packet.Config{
		Rand:          keyRand(seed, label),
		Time:          func() time.Time { return now },
		Algorithm:     packet.PubKeyAlgoEdDSA, // legacy EdDSA: what GnuPG 2.2 understands
		Curve:         packet.Curve25519,
		DefaultHash:   crypto.SHA512,
		DefaultCipher: packet.CipherAES256,
		// Salt notations would make signatures depend on the random stream
		// position; EdDSA is deterministic without them.
		NonDeterministicSignaturesViaNotation: &off,
	}
}

func newPGPKey(seed int64, sp personSpec) (*signingKey, error) {
	cfg := pgpConfig(seed, sp.id+"/pgp", sp.pgpCreated)
	if !sp.pgpExpires.IsZero() {
		cfg.KeyLifetimeSecs = uint32(sp.pgpExpires.Sub(sp.pgpCreated) / time.Second)
	}
	e, err := openpgp.NewEntity(sp.name, "", sp.email, cfg)
	if err != nil {
		return nil, fmt.Errorf("openpgp key %s: %w", sp.id, err)
	}
	return &signingKey{fingerprint: fmt.Sprintf("%X", e.PrimaryKey.Fingerprint), pgp: e}, nil
}

// people holds the generated cast and their in-memory keys.
type people struct {
	list    []Person
	byID    map[string]*Person
	keys    map[string]*signingKey // person ID -> registered key
	laptop  *signingKey            // Maya's unregistered key
	signers string                 // allowed_signers file content
	keyring string                 // armored public keyring content
}

func newPeople(seed int64) (*people, error) {
	p := &people{byID: map[string]*Person{}, keys: map[string]*signingKey{}}
	var allowed strings.Builder
	allowed.WriteString("# Engineers and automation allowed to sign commits (managed via access request ITSM-4471).\n")
	var ring bytes.Buffer
	aw, err := armor.Encode(&ring, openpgp.PublicKeyType, nil)
	if err != nil {
		return nil, err
	}
	for _, sp := range cast {
		per := Person{
			ID: sp.id, Name: sp.name, Email: sp.email, Role: sp.role,
			Zone:    time.FixedZone(zoneName(sp.offsetHours), int(sp.offsetHours*3600)),
			KeyKind: sp.keyKind, ValidAfter: sp.validAfter, KeyExpires: sp.pgpExpires,
		}
		var k *signingKey
		switch sp.keyKind {
		case KeySSH:
			if k, err = newSSHKey(seed, sp.id+"/ssh"); err != nil {
				return nil, err
			}
			opts := `namespaces="git"`
			if !sp.validAfter.IsZero() {
				opts += `,valid-after="` + sp.validAfter.UTC().Format("20060102") + `Z"`
			}
			line := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k.ssh.PublicKey())))
			fmt.Fprintf(&allowed, "%s %s %s %s\n", sp.email, opts, line, sp.comment)
		case KeyPGP:
			if k, err = newPGPKey(seed, sp); err != nil {
				return nil, err
			}
			if err := k.pgp.Serialize(aw); err != nil {
				return nil, fmt.Errorf("serialize public key %s: %w", sp.id, err)
			}
		}
		if k != nil {
			per.Fingerprint = k.fingerprint
			p.keys[sp.id] = k
		}
		p.list = append(p.list, per)
	}
	if err := aw.Close(); err != nil {
		return nil, err
	}
	for i := range p.list {
		p.byID[p.list[i].ID] = &p.list[i]
	}
	if p.laptop, err = newSSHKey(seed, "mchen/ssh-laptop"); err != nil {
		return nil, err
	}
	p.signers = allowed.String()
	p.keyring = ring.String() + "\n"
	return p, nil
}

func zoneName(h float64) string {
	sign := "+"
	if h < 0 {
		sign, h = "-", -h
	}
	return fmt.Sprintf("%s%02d%02d", sign, int(h), int((h-float64(int(h)))*60))
}
