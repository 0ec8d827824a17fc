// Package trust turns the integrity section of controls.yaml into the
// signers a run uses and the verifiers `evident verify` uses. It is the one
// place that knows which signature library backs which declaration.
package trust

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"

	"github.com/evident-project/evident/generator/blobsig"
	"github.com/evident-project/evident/generator/catalog"
	"github.com/evident-project/evident/generator/evidence"
	"github.com/evident-project/evident/generator/evidence/verify"
	"github.com/evident-project/evident/generator/gitsig"
)

// ReadFile reads a file named in the config, by its path relative to the
// config file.
type ReadFile func(rel string) ([]byte, error)

// DirReader reads config-relative paths from the config file's folder.
func DirReader(baseDir string) ReadFile {
	return func(rel string) ([]byte, error) {
		p := rel
		if !filepath.IsAbs(p) {
			p = filepath.Join(baseDir, rel)
		}
		return os.ReadFile(p)
	}
}

// SnapshotReader reads config-relative paths from the trust files a
// snapshot recorded (config/<path>).
func SnapshotReader(sn *evidence.Snapshot) ReadFile {
	return func(rel string) ([]byte, error) {
		return sn.ReadFile(evidence.TrustPath(rel))
	}
}

// Files lists the public key files the integrity section names, with their
// bytes, in a stable order. A declared file that cannot be read is an error:
// verifying against fewer keys than declared would be silently wrong.
func Files(in catalog.Integrity, read ReadFile) (map[string][]byte, error) {
	var names []string
	if in.Manifest.Key != "" {
		names = append(names, in.Manifest.Key)
	}
	if in.Manifest.Keyless.TrustedRoot != "" {
		names = append(names, in.Manifest.Keyless.TrustedRoot)
	}
	names = append(names, in.Commits.SSHAllowedSigners...)
	names = append(names, in.Commits.PGP...)
	out := map[string][]byte{}
	for _, n := range names {
		b, err := read(n)
		if err != nil {
			return nil, fmt.Errorf("read trusted key %s: %w", n, err)
		}
		out[n] = b
	}
	return out, nil
}

// Options builds what verify trusts from the integrity section, and lists
// the files it read (path and sha256) for provenance.
func Options(in catalog.Integrity, read ReadFile, now time.Time) (verify.Options, []evidence.FileRef, error) {
	files, err := Files(in, read)
	if err != nil {
		return verify.Options{}, nil, err
	}
	o := verify.Options{Checkpoint: in.Checkpoint, Now: now}
	switch {
	case in.Manifest.Key != "":
		v, err := blobsig.NewKeyVerifier(files[in.Manifest.Key])
		if err != nil {
			return o, nil, fmt.Errorf("trusted manifest key %s: %w", in.Manifest.Key, err)
		}
		o.Manifest = manifestVerifier{v}
	case in.Manifest.IsKeyless():
		k := in.Manifest.Keyless
		id := blobsig.Identity{SubjectAlternativeName: k.Identity, SubjectAlternativeNameRegexp: k.IdentityRegexp, Issuer: k.Issuer}
		var tm root.TrustedMaterial
		if k.TrustedRoot != "" {
			if tm, err = root.NewTrustedRootFromJSON(files[k.TrustedRoot]); err != nil {
				return o, nil, fmt.Errorf("keyless trusted_root %s: %w", k.TrustedRoot, err)
			}
		} else if tm, err = root.FetchTrustedRoot(); err != nil {
			// The public-good instance's root comes through TUF; offline
			// verification needs integrity.manifest.keyless.trusted_root.
			return o, nil, fmt.Errorf("fetch the public Sigstore trusted root (declare integrity.manifest.keyless.trusted_root to verify offline): %w", err)
		}
		v, err := blobsig.NewIdentityVerifier(id, tm)
		if err != nil {
			return o, nil, fmt.Errorf("trusted keyless identity %s: %w", k, err)
		}
		o.Manifest = manifestVerifier{v}
	}
	if len(in.Commits.PGP)+len(in.Commits.SSHAllowedSigners) > 0 {
		t := gitsig.NewTrust(now)
		for _, n := range in.Commits.SSHAllowedSigners {
			if _, err := t.AddAllowedSigners(files[n], n); err != nil {
				return o, nil, fmt.Errorf("trusted commit keys %s: %w", n, err)
			}
		}
		for _, n := range in.Commits.PGP {
			if _, _, err := t.AddPGPKeyring(files[n]); err != nil {
				return o, nil, fmt.Errorf("trusted commit keys %s: %w", n, err)
			}
		}
		o.Commit = commitVerifier{t}
	}
	if in.Schedule != "" {
		if o.Schedule, err = catalog.ParseSchedule(in.Schedule); err != nil {
			return o, nil, fmt.Errorf("integrity schedule: %w", err)
		}
	}
	refs := make([]evidence.FileRef, 0, len(files))
	for n, b := range files {
		refs = append(refs, evidence.FileRef{Path: n, SHA256: evidence.SHA256(b), Size: int64(len(b))})
	}
	sort.Slice(refs, func(i, j int) bool { return refs[i].Path < refs[j].Path })
	return o, refs, nil
}

type manifestVerifier struct{ v blobsig.Verifier }

func (m manifestVerifier) VerifyBlob(payload, bundle []byte) (string, error) {
	s, err := m.v.VerifyBlob(payload, bundle)
	if err != nil {
		return "", err
	}
	return s.String(), nil
}

type commitVerifier struct{ t *gitsig.Trust }

func (c commitVerifier) VerifyCommit(raw []byte) (string, error) {
	pc, err := gitsig.ParseCommit(raw)
	if err != nil {
		return "", err
	}
	sig := c.t.Verify(pc)
	if sig.Status != gitsig.StatusVerified {
		msg := fmt.Sprintf("%s signature is %s", sig.Kind, sig.Status)
		if sig.Note != "" {
			msg += ": " + sig.Note
		}
		return "", errors.New(msg)
	}
	who := sig.Signer
	if sig.Key != "" {
		who += " (" + sig.Key + ")"
	}
	return strings.TrimSpace(string(sig.Kind) + " " + who), nil
}

// SignerOptions are the secrets a run signs with; they come from the
// environment or flags, never from controls.yaml itself.
type SignerOptions struct {
	// ManifestKey is a cosign private key (PEM); Password decrypts it.
	ManifestKey []byte
	Password    []byte
	// Keyless, when set, signs through Fulcio and Rekor with an OIDC token.
	Keyless *blobsig.KeylessOptions
	// CommitKey is an OpenSSH or armored OpenPGP private key.
	CommitKey []byte
}

// Signers builds the signers for a run. Where the config declares trust
// but no signing secret was given, the run fails: committing an unsigned
// snapshot that verify will then reject helps nobody.
func Signers(in catalog.Integrity, o SignerOptions) (evidence.Signers, error) {
	var s evidence.Signers
	switch {
	case len(o.ManifestKey) > 0:
		k, err := blobsig.LoadKeySigner(o.ManifestKey, o.Password)
		if err != nil {
			return s, fmt.Errorf("manifest signing key: %w", err)
		}
		s.Manifest = k
	case o.Keyless != nil:
		k, err := blobsig.NewKeylessSigner(*o.Keyless)
		if err != nil {
			return s, fmt.Errorf("keyless manifest signing: %w", err)
		}
		s.Manifest = k
	case in.Manifest.Key != "":
		return s, errors.New("integrity.manifest.key is declared but no signing key was given: set EVIDENT_SIGNING_KEY (and COSIGN_PASSWORD) or integrity.manifest.signing_key")
	case in.Manifest.IsKeyless():
		return s, errors.New("integrity.manifest.keyless is declared but no OIDC token is available: run in GitHub Actions with `permissions: id-token: write`")
	}
	if len(o.CommitKey) > 0 {
		var err error
		if strings.Contains(string(o.CommitKey), "PGP PRIVATE KEY") {
			s.Commit, err = gitsig.NewPGPSigner(o.CommitKey)
		} else {
			s.Commit, err = gitsig.NewSSHSigner(o.CommitKey)
		}
		if err != nil {
			return s, fmt.Errorf("commit signing key: %w", err)
		}
	} else if len(in.Commits.PGP)+len(in.Commits.SSHAllowedSigners) > 0 {
		return s, errors.New("integrity.commits declares trusted keys but no commit signing key was given: set EVIDENT_COMMIT_SIGNING_KEY or integrity.commits.signing_key")
	}
	return s, nil
}
