package gitsig

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// Both signers fit go-git's own commit signing option.
var (
	_ git.Signer = (*SSHSigner)(nil)
	_ git.Signer = (*PGPSigner)(nil)
)

// requireTools fails the test when git, gpg or ssh-keygen is missing: these
// tests are the proof that git accepts what we sign and that we agree with
// git, so they must never be skipped (make deps installs the tools).
func requireTools(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"git", "gpg", "gpgconf", "ssh-keygen"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is required on PATH for the git interop tests (make deps): %v", tool, err)
		}
	}
}

// sandbox is an isolated HOME, GnuPG homes and git configuration, so that
// nothing on the machine (a ~/.gitconfig, a system gitconfig, the user's
// keyring or gpg-agent) can change what git or gpg say.
type sandbox struct {
	dir string
	env []string
	// signerHome holds the PGP private keys; verifierHome holds only the
	// trusted public key, as an auditor's machine would.
	signerHome, verifierHome string
}

func newSandbox(t *testing.T) *sandbox {
	t.Helper()
	requireTools(t)
	dir := t.TempDir()
	s := &sandbox{dir: dir, signerHome: filepath.Join(dir, "gnupg-signer"), verifierHome: filepath.Join(dir, "gnupg")}
	for _, d := range []string{s.signerHome, s.verifierHome} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
		home := d
		t.Cleanup(func() {
			cmd := exec.Command("gpgconf", "--kill", "gpg-agent")
			cmd.Env = append(s.baseEnv(), "GNUPGHOME="+home)
			_ = cmd.Run()
		})
	}
	s.env = append(s.baseEnv(), "GNUPGHOME="+s.verifierHome)
	return s
}

func (s *sandbox) baseEnv() []string {
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + s.dir,
		"GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_CONFIG_NOSYSTEM=1",
		"TZ=UTC",
		"LC_ALL=C",
	}
}

// run runs a command in dir; a non-zero exit is returned as an
// *exec.ExitError, and stdout comes back trimmed.
func (s *sandbox) run(dir, stdin string, extraEnv []string, name string, args ...string) (string, string, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(append([]string{}, s.env...), extraEnv...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return strings.TrimSpace(out.String()), errb.String(), err
}

// must runs a command that has to succeed.
func (s *sandbox) must(t *testing.T, dir, stdin string, extraEnv []string, name string, args ...string) string {
	t.Helper()
	out, stderr, err := s.run(dir, stdin, extraEnv, name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr)
	}
	return out
}

// sshKey makes an SSH key pair with ssh-keygen and returns the private key
// file's path and bytes.
func (s *sandbox) sshKey(t *testing.T, name string, keygenArgs ...string) (string, []byte) {
	t.Helper()
	path := filepath.Join(s.dir, name)
	args := append([]string{"-q", "-N", "", "-C", name, "-f", path}, keygenArgs...)
	s.must(t, s.dir, "", nil, "ssh-keygen", args...)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return path, b
}

// pgpKey makes an ed25519 OpenPGP key in the signer's home and returns its
// armored secret and public keys.
func (s *sandbox) pgpKey(t *testing.T, name, email string) (secret, public []byte) {
	t.Helper()
	signer := []string{"GNUPGHOME=" + s.signerHome}
	params := fmt.Sprintf("%%no-protection\nKey-Type: eddsa\nKey-Curve: ed25519\nKey-Usage: sign\nName-Real: %s\nName-Email: %s\nExpire-Date: 0\n%%commit\n", name, email)
	s.must(t, s.dir, params, signer, "gpg", "--batch", "--gen-key")
	secret = []byte(s.must(t, s.dir, "", signer, "gpg", "--batch", "--armor", "--export-secret-keys", email))
	public = []byte(s.must(t, s.dir, "", signer, "gpg", "--batch", "--armor", "--export", email))
	return secret, public
}

// gitVerdict is what git says of one commit.
type gitVerdict struct {
	// exit is git verify-commit's exit status.
	exit int
	// letter is %G?.
	letter string
}

func (s *sandbox) gitVerify(t *testing.T, repo, allowedSigners string, sha plumbing.Hash) gitVerdict {
	t.Helper()
	cfg := []string{"-c", "gpg.ssh.allowedSignersFile=" + allowedSigners}
	var v gitVerdict
	_, stderr, err := s.run(repo, "", nil, "git", append(cfg, "verify-commit", sha.String())...)
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		v.exit = ee.ExitCode()
	default:
		t.Fatalf("git verify-commit %s: %v\n%s", sha, err, stderr)
	}
	v.letter = s.must(t, repo, "", nil, "git", append(cfg, "log", "-1", "--format=%G?", sha.String())...)
	return v
}

// storeTree writes a tree holding one file and returns its id.
func storeTree(t *testing.T, s storer.EncodedObjectStorer, content string) plumbing.Hash {
	t.Helper()
	blob := s.NewEncodedObject()
	blob.SetType(plumbing.BlobObject)
	w, err := blob.Writer()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte(content)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	bh, err := s.SetEncodedObject(blob)
	if err != nil {
		t.Fatal(err)
	}
	tree := &object.Tree{Entries: []object.TreeEntry{{Name: "README", Mode: filemode.Regular, Hash: bh}}}
	return storeObject(t, s, tree)
}

func storeObject(t *testing.T, s storer.EncodedObjectStorer, o interface {
	Encode(plumbing.EncodedObject) error
}) plumbing.Hash {
	t.Helper()
	obj := s.NewEncodedObject()
	if err := o.Encode(obj); err != nil {
		t.Fatal(err)
	}
	h, err := s.SetEncodedObject(obj)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func testCommit(tree plumbing.Hash, msg string, when time.Time) *object.Commit {
	who := object.Signature{Name: "Evident CI", Email: "ci@evident.example", When: when}
	return &object.Commit{Author: who, Committer: who, Message: msg, TreeHash: tree}
}

// TestGitAcceptsSignedCommits writes commits signed by SSHSigner and
// PGPSigner into a real repository with go-git, and asks real git about
// each: git accepts the good ones, rejects the altered ones and the one by
// a key it does not trust, and Trust.Verify agrees case by case.
func TestGitAcceptsSignedCommits(t *testing.T) {
	sb := newSandbox(t)

	// Signing keys made by the standard tools, as an operator would.
	_, edKey := sb.sshKey(t, "ci_ed25519", "-t", "ed25519")
	_, ecKey := sb.sshKey(t, "ci_ecdsa", "-t", "ecdsa", "-b", "256")
	_, rsaKey := sb.sshKey(t, "ci_rsa", "-t", "rsa", "-b", "2048")
	_, strangerKey := sb.sshKey(t, "stranger_ed25519", "-t", "ed25519")
	pgpSecret, pgpPublic := sb.pgpKey(t, "Evident CI", "ci@evident.example")
	otherSecret, _ := sb.pgpKey(t, "Somebody Else", "else@example.com")

	newSSH := func(key []byte) *SSHSigner {
		s, err := NewSSHSigner(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	ed, ec, rsa, stranger := newSSH(edKey), newSSH(ecKey), newSSH(rsaKey), newSSH(strangerKey)
	pgp, err := NewPGPSigner(pgpSecret)
	if err != nil {
		t.Fatal(err)
	}
	other, err := NewPGPSigner(otherSecret)
	if err != nil {
		t.Fatal(err)
	}

	// The trust both sides use: an allowed_signers file written with
	// AllowedSignersLine, and the public key imported into the verifier's
	// GnuPG home with ultimate owner trust (so git says G, not U).
	var lines []string
	for _, p := range []struct {
		principal string
		signer    *SSHSigner
	}{{"ci@evident.example", ed}, {"ecdsa@evident.example", ec}, {"Evident RSA@evident.example", rsa}} {
		l, err := AllowedSignersLine(p.principal, p.signer.PublicKey())
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, l)
	}
	allowed := []byte(strings.Join(lines, "\n") + "\n")
	allowedPath := filepath.Join(sb.dir, "allowed_signers")
	if err := os.WriteFile(allowedPath, allowed, 0o644); err != nil {
		t.Fatal(err)
	}
	sb.must(t, sb.dir, string(pgpPublic), nil, "gpg", "--batch", "--import")
	sb.must(t, sb.dir, pgp.Fingerprint()+":6:\n", nil, "gpg", "--batch", "--import-ownertrust")
	trust := NewTrust(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
	if n, err := trust.AddAllowedSigners(allowed, "allowed_signers"); err != nil || n != 3 {
		t.Fatalf("AddAllowedSigners: %d lines, %v", n, err)
	}
	if n, skipped, err := trust.AddPGPKeyring(pgpPublic); err != nil || n != 1 || len(skipped) != 0 {
		t.Fatalf("AddPGPKeyring: %d keys, skipped %v, %v", n, skipped, err)
	}

	repoDir := filepath.Join(sb.dir, "repo")
	repo, err := git.PlainInit(repoDir, false)
	if err != nil {
		t.Fatal(err)
	}
	st := repo.Storer
	tree := storeTree(t, st, "evidence\n")
	otherTree := storeTree(t, st, "altered evidence\n")
	when := time.Date(2026, 10, 15, 9, 30, 0, 0, time.UTC)

	cases := []struct {
		name   string
		signer Signer
		// alter changes the commit after it was signed, keeping the signature.
		alter     func(*object.Commit)
		git       gitVerdict
		kind      Kind
		status    Status
		signedBy  string
		deviation string
	}{
		{name: "ssh ed25519", signer: ed, git: gitVerdict{0, "G"}, kind: KindSSH, status: StatusVerified, signedBy: "ci@evident.example"},
		{name: "ssh ecdsa", signer: ec, git: gitVerdict{0, "G"}, kind: KindSSH, status: StatusVerified, signedBy: "ecdsa@evident.example"},
		{name: "ssh rsa", signer: rsa, git: gitVerdict{0, "G"}, kind: KindSSH, status: StatusVerified, signedBy: "Evident RSA@evident.example"},
		{name: "pgp", signer: pgp, git: gitVerdict{0, "G"}, kind: KindPGP, status: StatusVerified, signedBy: pgp.Fingerprint()},
		{name: "ssh message altered", signer: ed, alter: func(c *object.Commit) { c.Message = "evidence 2026-Q4: nothing to see\n" },
			git: gitVerdict{1, "B"}, kind: KindSSH, status: StatusBad},
		{name: "ssh tree altered", signer: ed, alter: func(c *object.Commit) { c.TreeHash = otherTree },
			git: gitVerdict{1, "B"}, kind: KindSSH, status: StatusBad},
		{name: "pgp message altered", signer: pgp, alter: func(c *object.Commit) { c.Message = "evidence 2026-Q4: nothing to see\n" },
			git: gitVerdict{1, "B"}, kind: KindPGP, status: StatusBad},
		{name: "pgp tree altered", signer: pgp, alter: func(c *object.Commit) { c.TreeHash = otherTree },
			git: gitVerdict{1, "B"}, kind: KindPGP, status: StatusBad},
		{name: "ssh key not in allowed signers", signer: stranger, git: gitVerdict{1, "U"}, kind: KindSSH, status: StatusUnknownKey,
			deviation: "git 2.39 prints U for a good signature by an untrusted ssh key"},
		{name: "pgp key not in keyring", signer: other, git: gitVerdict{1, "E"}, kind: KindPGP, status: StatusUnknownKey},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := testCommit(tree, fmt.Sprintf("evidence 2026-Q4: run %d\n", i), when)
			if err := SignCommit(c, tc.signer); err != nil {
				t.Fatal(err)
			}
			if tc.alter != nil {
				tc.alter(c)
			}
			sha := storeObject(t, st, c)

			got := sb.gitVerify(t, repoDir, allowedPath, sha)
			if got != tc.git {
				t.Errorf("git verify-commit exits %d with %%G? %s, want %d and %s", got.exit, got.letter, tc.git.exit, tc.git.letter)
			}
			parsed, err := ReadCommit(st, sha)
			if err != nil {
				t.Fatal(err)
			}
			v := trust.Verify(parsed)
			if v.Kind != tc.kind || v.Status != tc.status || v.Signer != tc.signedBy {
				t.Errorf("Verify: %s/%s signer %q (%s), want %s/%s signer %q", v.Kind, v.Status, v.Signer, v.Note, tc.kind, tc.status, tc.signedBy)
			}
			// Accepted by git exactly when verified by evident.
			if (got.exit == 0) != (v.Status == StatusVerified) {
				t.Errorf("git exit %d but evident says %s", got.exit, v.Status)
			}
			agrees := gitLetterStatus[got.letter] == v.Status
			if agrees == (tc.deviation != "") {
				t.Errorf("git %%G? %s vs evident %s: deviation %q", got.letter, v.Status, tc.deviation)
			}
		})
	}
}

// gitLetterStatus is the status each %G? letter maps to when evident and
// git agree (see the package doc).
var gitLetterStatus = map[string]Status{
	"G": StatusVerified, "U": StatusVerified, "E": StatusUnknownKey, "B": StatusBad,
	"X": StatusExpiredKey, "Y": StatusExpiredKey, "R": StatusRevokedKey, "N": StatusNone,
}

// TestSignCommitMatchesGit has real git sign a commit with an SSH key
// (git -c gpg.format=ssh commit -S) and SignCommit sign the same commit
// with the same key: for the deterministic key types the two objects, and
// so their ids, are identical byte for byte.
func TestSignCommitMatchesGit(t *testing.T) {
	sb := newSandbox(t)
	for _, kt := range [][]string{{"-t", "ed25519"}, {"-t", "rsa", "-b", "3072"}} {
		t.Run(kt[1], func(t *testing.T) {
			path, key := sb.sshKey(t, "git_"+kt[1], kt...)
			repoDir := filepath.Join(sb.dir, "repo-"+kt[1])
			sb.must(t, sb.dir, "", nil, "git", "init", "-q", "-b", "main", repoDir)
			const date = "2026-10-15T09:30:00Z"
			dates := []string{"GIT_AUTHOR_DATE=" + date, "GIT_COMMITTER_DATE=" + date}
			commit := func(msg string) string {
				sb.must(t, repoDir, "", dates, "git", "-c", "user.name=Evident CI", "-c", "user.email=ci@evident.example",
					"-c", "gpg.format=ssh", "-c", "user.signingkey="+path,
					"commit", "-q", "-S", "--allow-empty", "-m", msg)
				return sb.must(t, repoDir, "", nil, "git", "rev-parse", "HEAD")
			}
			// A parent, so the header order with a parent line is checked too.
			parent := commit("evidence 2026-Q4: first run")
			want := commit("evidence 2026-Q4: " + kt[1])

			repo, err := git.PlainOpen(repoDir)
			if err != nil {
				t.Fatal(err)
			}
			signer, err := NewSSHSigner(key)
			if err != nil {
				t.Fatal(err)
			}
			when, _ := time.Parse(time.RFC3339, date)
			c := testCommit(plumbing.NewHash("4b825dc642cb6eb9a060e54bf8d69288fbee4904"), "evidence 2026-Q4: "+kt[1]+"\n", when)
			c.ParentHashes = []plumbing.Hash{plumbing.NewHash(parent)}
			if err := SignCommit(c, signer); err != nil {
				t.Fatal(err)
			}
			got := storeObject(t, repo.Storer, c)
			if got.String() != want {
				ours, _ := ReadCommit(repo.Storer, got)
				theirs, _ := ReadCommit(repo.Storer, plumbing.NewHash(want))
				t.Fatalf("SignCommit made %s, git made %s\nours:\n%s\ngit's:\n%s", got, want, ours.Signature, theirs.Signature)
			}
		})
	}
}

// TestSSHSignatureMatchesSSHKeygen compares SSHSigner's output with
// ssh-keygen -Y sign -n git, which is what git runs: identical bytes for an
// ed25519 key.
func TestSSHSignatureMatchesSSHKeygen(t *testing.T) {
	sb := newSandbox(t)
	path, key := sb.sshKey(t, "id_ed25519", "-t", "ed25519")
	signer, err := NewSSHSigner(key)
	if err != nil {
		t.Fatal(err)
	}
	for _, msg := range []string{"", "tree x\n\nshort\n", strings.Repeat("a long payload line\n", 500)} {
		msgPath := filepath.Join(sb.dir, "msg")
		if err := os.WriteFile(msgPath, []byte(msg), 0o644); err != nil {
			t.Fatal(err)
		}
		sb.must(t, sb.dir, "", nil, "ssh-keygen", "-Y", "sign", "-n", "git", "-f", path, msgPath)
		want, err := os.ReadFile(msgPath + ".sig")
		if err != nil {
			t.Fatal(err)
		}
		os.Remove(msgPath + ".sig")
		got, err := signer.Sign(strings.NewReader(msg))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("message of %d bytes: SSHSigner gave\n%s\nssh-keygen gave\n%s", len(msg), got, want)
		}
	}
}
