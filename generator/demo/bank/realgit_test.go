package bank_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/evident-project/evident/generator/demo/bank"
)

// requireTools fails (never skips) when the real tools are missing: the
// whole point of these tests is that stock git agrees with the plan.
func requireTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("this test needs %q on PATH (install git, gnupg and openssh-client): %v", tool, err)
		}
	}
}

// gitHome returns an environment with git and gpg isolated from the
// machine's configuration, and a GnuPG home that trusts the bank's keyring.
func gitHome(t *testing.T, b *bank.Bank) []string {
	t.Helper()
	home := t.TempDir()
	gnupg := filepath.Join(home, "gnupg")
	if err := os.Mkdir(gnupg, 0o700); err != nil {
		t.Fatal(err)
	}
	// A fixed clock makes gpg's expiry verdicts independent of when the
	// test runs; no-autostart keeps gpg-agent from outliving the test.
	conf := "faked-system-time 20270115T000000\nno-autostart\n"
	if err := os.WriteFile(filepath.Join(gnupg, "gpg.conf"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "GIT_") || k == "HOME" || k == "GNUPGHOME" || k == "LANG" || strings.HasPrefix(k, "LC_") {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "HOME="+home, "GNUPGHOME="+gnupg, "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1", "LC_ALL=C")
	run(t, env, "", "gpg", "--batch", "--import", b.PGPKeyring)
	return env
}

func run(t *testing.T, env []string, dir string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env, cmd.Dir = env, dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, out.String(), errb.String())
	}
	return out.String()
}

// expectedLetters is what `git log %G?` (git 2.39, GnuPG 2.2, OpenSSH 9)
// reports for each signing mode.
func expectedLetters(c bank.PlannedCommit, expiring map[string]bool) string {
	switch c.Signing {
	case bank.SigningSSH:
		return "G"
	case bank.SigningSSHNotYetValid, bank.SigningSSHUnknownKey:
		// ssh-keygen finds no principal valid at the commit time, so git
		// falls back to check-novalidate: a good signature of unknown
		// validity. `git verify-commit` still exits 1 for these.
		return "U"
	case bank.SigningPGP:
		if expiring[c.KeyFingerprint] {
			// gpg judges expiry at verification time, so every signature
			// by a now-expired key shows as Y, even those made in time.
			return "Y"
		}
		return "GU" // U unless someone set ownertrust in the keyring
	case bank.SigningPGPExpiredKey:
		return "Y"
	case bank.SigningBad:
		return "B"
	case bank.SigningNone:
		return "N"
	}
	return "?"
}

func TestRealGitAgreesWithPlan(t *testing.T) {
	t.Parallel()
	requireTools(t, "git", "gpg", "ssh-keygen")
	b := generate(t, 7, t.TempDir())
	env := gitHome(t, b)
	expiring := map[string]bool{}
	for _, p := range b.People {
		if !p.KeyExpires.IsZero() && p.KeyExpires.Before(b.End) {
			expiring[p.Fingerprint] = true
		}
	}
	plan := map[string]bank.PlannedCommit{}
	for _, c := range b.Planned() {
		plan[c.Hash] = c
	}
	var mu sync.Mutex
	seen := map[bank.SigningMode]int{}
	t.Run("repos", func(t *testing.T) {
		for _, r := range b.Repos {
			t.Run(r.ID, func(t *testing.T) {
				// git spawns gpg or ssh-keygen per commit; repositories in
				// parallel keep the test quick.
				t.Parallel()
				out := run(t, env, r.Path, "git", "-c", "gpg.ssh.allowedSignersFile="+b.AllowedSigners, "log", "--all", "--format=%H %G?")
				lines := strings.Split(strings.TrimSpace(out), "\n")
				var want int
				for _, c := range plan {
					if c.Repo == r.ID {
						want++
					}
				}
				if len(lines) != want {
					t.Errorf("git log shows %d commits, plan has %d", len(lines), want)
				}
				for _, line := range lines {
					hash, got, _ := strings.Cut(line, " ")
					c, ok := plan[hash]
					if !ok {
						t.Errorf("commit %s is not in the plan", hash)
						continue
					}
					mu.Lock()
					seen[c.Signing]++
					mu.Unlock()
					if exp := expectedLetters(c, expiring); got == "" || !strings.Contains(exp, got) {
						t.Errorf("%s %q (%s by %s at %s): git says %q, want one of %q",
							hash[:10], c.Subject, c.Signing, c.Committer, c.When.Format("2006-01-02"), got, exp)
					}
				}
				// Ordinary repositories: sound object store, clean worktree, HEAD on main.
				run(t, env, r.Path, "git", "fsck", "--strict", "--no-dangling")
				if st := run(t, env, r.Path, "git", "status", "--porcelain"); st != "" {
					t.Errorf("worktree not clean:\n%s", st)
				}
				if head := strings.TrimSpace(run(t, env, r.Path, "git", "symbolic-ref", "HEAD")); head != "refs/heads/main" {
					t.Errorf("HEAD is %s", head)
				}
			})
		}
	})
	for _, m := range []bank.SigningMode{bank.SigningSSH, bank.SigningSSHNotYetValid, bank.SigningSSHUnknownKey, bank.SigningPGP, bank.SigningPGPExpiredKey, bank.SigningBad, bank.SigningNone} {
		if seen[m] == 0 {
			t.Errorf("no commit with signing mode %s was checked", m)
		}
	}
}

// TestVerifyCommit checks the exact signature formats with `git
// verify-commit`, which an auditor would run by hand.
func TestVerifyCommit(t *testing.T) {
	t.Parallel()
	requireTools(t, "git", "gpg", "ssh-keygen")
	b := generate(t, 7, t.TempDir())
	env := gitHome(t, b)
	first := map[string]bank.PlannedCommit{}
	for _, c := range b.Planned() {
		key := string(c.Signing)
		if c.Signing == bank.SigningSSH || c.Signing == bank.SigningPGP {
			key += "/" + c.Committer
		}
		if _, ok := first[key]; !ok {
			first[key] = c
		}
	}
	verify := func(key string) (bank.PlannedCommit, string, error) {
		c, ok := first[key]
		if !ok {
			t.Fatalf("plan has no %s commit", key)
		}
		cmd := exec.Command("git", "-c", "gpg.ssh.allowedSignersFile="+b.AllowedSigners, "verify-commit", "--raw", c.Hash)
		cmd.Env, cmd.Dir = env, repoPath(b, c.Repo)
		out, err := cmd.CombinedOutput()
		return c, string(out), err
	}
	for _, tc := range []struct {
		key  string
		ok   bool
		want string
	}{
		{"ssh/release-bot", true, `Good "git" signature for release-bot@firstharbor.bank with ED25519 key ` + fingerprintOf(b, "release-bot")},
		{"ssh-not-yet-valid", false, "key is not yet valid"},
		{"ssh-unknown-key", false, "No principal matched"},
		{"bad", false, "Signature verification failed"},
		{"pgp-expired-key", false, "EXPKEYSIG"},
		{"unsigned", false, ""},
	} {
		c, out, err := verify(tc.key)
		if (err == nil) != tc.ok || !strings.Contains(out, tc.want) {
			t.Errorf("verify-commit %s (%s): err=%v, want ok=%v and output containing %q; got:\n%s", c.Hash, tc.key, err, tc.ok, tc.want, out)
		}
	}
	// The signature creation time is the commit time, to the second.
	c, out, err := verify("pgp/hbrooks")
	if want := fmt.Sprintf("VALIDSIG %s %s %d ", fingerprintOf(b, "hbrooks"), c.When.UTC().Format("2006-01-02"), c.When.Unix()); err != nil || !strings.Contains(out, "GOODSIG") || !strings.Contains(out, want) {
		t.Errorf("verify-commit %s (pgp): err=%v, want GOODSIG and %q; got:\n%s", c.Hash, err, want, out)
	}
}

func fingerprintOf(b *bank.Bank, id string) string {
	for _, p := range b.People {
		if p.ID == id {
			return p.Fingerprint
		}
	}
	return ""
}
