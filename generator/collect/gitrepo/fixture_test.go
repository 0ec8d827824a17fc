package gitrepo

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// fixture is a repository built with real git, gpg and ssh-keygen, shared
// by the tests of this package (key generation is the slow part).
type fixture struct {
	// dir is the base directory; repo, keys/ and allowed_signers live in it.
	dir  string
	repo string // relative to dir
	// env is the isolated environment for git and gpg.
	env []string
	// pgpFiles and sshFiles are the trusted key files, relative to dir.
	pgpFiles, sshFiles []string
	// fpr maps a PGP key's email to its primary fingerprint; subkeyID maps
	// it to its signing subkey id, for keys that sign with a subkey.
	fpr, subkeyID map[string]string
	// sshFP maps an SSH key name to its SHA256 fingerprint.
	sshFP map[string]string
	// eveExpires is the expiry gpg reports for Eve's key, RFC 3339.
	eveExpires string
	// outOfPeriod is the sha of the commit dated before the period.
	outOfPeriod string
}

var (
	fixtureOnce sync.Once
	sharedFix   *fixture
	fixtureErr  error
	fixtureRoot string
)

// The period every fixture commit (but one) falls in, and the run clock.
var (
	testPeriodID = "2026-Q4"
	testNow      = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
)

func TestMain(m *testing.M) {
	code := m.Run()
	if sharedFix != nil {
		for _, home := range []string{"gnupg", "gnupg-other"} {
			cmd := exec.Command("gpgconf", "--kill", "gpg-agent")
			cmd.Env = append(os.Environ(), "GNUPGHOME="+filepath.Join(sharedFix.dir, home))
			_ = cmd.Run()
		}
	}
	if fixtureRoot != "" {
		os.RemoveAll(fixtureRoot)
	}
	os.Exit(code)
}

// requireTools fails the test when git, gpg or ssh-keygen is missing: the
// agreement tests are the point, so they must never be skipped.
func requireTools(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"git", "gpg", "gpgconf", "ssh-keygen"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is required on PATH for the git agreement tests (apt-get install git gnupg openssh-client): %v", tool, err)
		}
	}
}

// getFixture builds the shared fixture once.
func getFixture(t *testing.T) *fixture {
	t.Helper()
	requireTools(t)
	fixtureOnce.Do(func() {
		root, err := os.MkdirTemp("", "gitrepo")
		if err != nil {
			fixtureErr = err
			return
		}
		fixtureRoot = root
		sharedFix, fixtureErr = buildFixture(root)
	})
	if fixtureErr != nil {
		t.Fatalf("build fixture repository: %v", fixtureErr)
	}
	return sharedFix
}

type runner struct {
	dir string
	env []string
	err error
}

// run runs a command in dir and returns its trimmed stdout; the first
// failure is kept and later calls do nothing.
func (r *runner) run(dir string, stdin string, extraEnv []string, name string, args ...string) string {
	if r.err != nil {
		return ""
	}
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(append([]string{}, r.env...), extraEnv...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		r.err = fmt.Errorf("%s %s: %v\n%s", name, strings.Join(args, " "), err, errb.String())
		return ""
	}
	return strings.TrimSpace(out.String())
}

func gpgParams(name, email, extra string) string {
	return fmt.Sprintf(`%%no-protection
Key-Type: eddsa
Key-Curve: ed25519
Key-Usage: sign
Name-Real: %s
Name-Email: %s
Expire-Date: 0
%s%%commit
`, name, email, extra)
}

func buildFixture(dir string) (*fixture, error) {
	f := &fixture{dir: dir, repo: "repo", fpr: map[string]string{}, subkeyID: map[string]string{}, sshFP: map[string]string{}}
	home := filepath.Join(dir, "gnupg")
	other := filepath.Join(dir, "gnupg-other")
	for _, d := range []string{home, other} {
		if err := os.Mkdir(d, 0o700); err != nil {
			return nil, err
		}
	}
	f.env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + dir,
		"GNUPGHOME=" + home,
		"GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_CONFIG_NOSYSTEM=1",
		"TZ=UTC",
		"LC_ALL=C",
	}
	r := &runner{dir: dir, env: f.env}
	otherEnv := []string{"GNUPGHOME=" + other}
	fake := func(ts string) []string { return []string{"FAKETIME=" + ts} }

	// gpg.program wrappers pin the signature creation time to the commit date.
	for name, extra := range map[string]string{"gpg-at": "", "gpg-at-sigexpire": "--default-sig-expire 1d"} {
		script := "#!/bin/sh\nexec gpg --faked-system-time \"$FAKETIME\" " + extra + " \"$@\"\n"
		if err := os.WriteFile(filepath.Join(dir, name), []byte(script), 0o755); err != nil {
			return nil, err
		}
	}

	// PGP keys, all created 2026-09-01.
	const created = "20260901T000000!"
	r.run(dir, gpgParams("Alice", "alice@example.com", ""), nil, "gpg", "--batch", "--faked-system-time", created, "--gen-key")
	r.run(dir, `%no-protection
Key-Type: eddsa
Key-Curve: ed25519
Key-Usage: cert
Subkey-Type: eddsa
Subkey-Curve: ed25519
Subkey-Usage: sign
Name-Real: Sam Subkey
Name-Email: sam@example.com
Expire-Date: 0
%commit
`, nil, "gpg", "--batch", "--faked-system-time", created, "--gen-key")
	r.run(dir, `%no-protection
Key-Type: RSA
Key-Length: 2048
Key-Usage: sign
Name-Real: Rita RSA
Name-Email: rita@example.com
Expire-Date: 0
%commit
`, nil, "gpg", "--batch", "--faked-system-time", created, "--gen-key")
	r.run(dir, gpgParams("Eve Expiring", "eve@example.com", ""), nil, "gpg", "--batch", "--faked-system-time", created, "--gen-key")
	r.run(dir, gpgParams("Rob Revoked", "rob@example.com", ""), nil, "gpg", "--batch", "--faked-system-time", created, "--gen-key")
	// Uma's key is made elsewhere and imported without trust (git: U);
	// Olga's key is never imported (git: E).
	r.run(dir, gpgParams("Uma Untrusted", "uma@example.com", ""), otherEnv, "gpg", "--batch", "--faked-system-time", created, "--gen-key")
	r.run(dir, gpgParams("Olga Other", "olga@example.com", ""), otherEnv, "gpg", "--batch", "--faked-system-time", created, "--gen-key")
	uma := r.run(dir, "", otherEnv, "gpg", "--armor", "--export", "uma@example.com")
	r.run(dir, uma, nil, "gpg", "--batch", "--import")
	for _, email := range []string{"alice@example.com", "sam@example.com", "rita@example.com", "eve@example.com", "rob@example.com", "uma@example.com"} {
		cols := r.run(dir, "", nil, "gpg", "--with-colons", "--list-keys", email)
		for _, line := range strings.Split(cols, "\n") {
			fields := strings.Split(line, ":")
			if fields[0] == "fpr" && f.fpr[email] == "" {
				f.fpr[email] = fields[9]
			}
			if fields[0] == "sub" && strings.Contains(fields[11], "s") {
				f.subkeyID[email] = fields[4]
			}
		}
	}

	// SSH keys.
	for _, k := range []string{"ssh-alice", "ssh-window", "ssh-unknown", "ssh-filens", "ssh-ca"} {
		r.run(dir, "", nil, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", k, "-f", filepath.Join(dir, k))
		if r.err == nil {
			fp := r.run(dir, "", nil, "ssh-keygen", "-lf", filepath.Join(dir, k+".pub"))
			f.sshFP[k] = strings.Fields(fp)[1]
		}
	}
	if r.err != nil {
		return nil, r.err
	}
	pub := func(k string) string {
		b, _ := os.ReadFile(filepath.Join(dir, k+".pub"))
		return strings.TrimSpace(string(b))
	}
	allowed := strings.Join([]string{
		"# trusted commit signers",
		"alice@example.com namespaces=\"git\" " + pub("ssh-alice"),
		"",
		`  "win dow@example.com,w2@example.com" valid-after="20261010",valid-before="20261020Z" ` + pub("ssh-window"),
		`files@example.com namespaces="file" ` + pub("ssh-filens"),
		`*@example.com cert-authority ` + pub("ssh-ca"),
	}, "\n") + "\n"
	if err := os.WriteFile(filepath.Join(dir, "allowed_signers"), []byte(allowed), 0o644); err != nil {
		return nil, err
	}
	f.sshFiles = []string{"allowed_signers"}

	// The repository.
	repo := filepath.Join(dir, f.repo)
	r.run(dir, "", nil, "git", "init", "-q", "-b", "main", repo)
	r.run(repo, "", nil, "git", "config", "user.name", "Dev One")
	r.run(repo, "", nil, "git", "config", "user.email", "dev@example.com")
	at := func(date string) []string {
		return []string{"GIT_AUTHOR_DATE=" + date, "GIT_COMMITTER_DATE=" + date}
	}
	// commit makes an empty commit; how says how to sign it.
	commit := func(date, subject string, sign ...string) {
		args := append(sign, "commit", "-q", "--allow-empty", "-m", subject)
		ts := strings.NewReplacer("-", "", ":", "", "Z", "!").Replace(date)
		r.run(repo, "", append(at(date), fake(ts)...), "git", args...)
	}
	gpgSign := func(key string) []string {
		return []string{"-c", "gpg.program=" + filepath.Join(dir, "gpg-at"), "-c", "user.signingkey=" + key, "-c", "commit.gpgsign=true"}
	}
	sshSign := func(key string) []string {
		return []string{"-c", "gpg.format=ssh", "-c", "user.signingkey=" + filepath.Join(dir, key), "-c", "commit.gpgsign=true"}
	}
	// withGPGHome signs with a key from the other homedir.
	otherSign := func(date, subject, key string) {
		args := append(gpgSign(key), "commit", "-q", "--allow-empty", "-m", subject)
		ts := strings.NewReplacer("-", "", ":", "", "Z", "!").Replace(date)
		r.run(repo, "", append(append(at(date), fake(ts)...), otherEnv...), "git", args...)
	}

	commit("2026-09-20T10:00:00Z", "before the period")
	f.outOfPeriod = r.run(repo, "", nil, "git", "rev-parse", "HEAD")
	commit("2026-10-01T09:00:00Z", "unsigned")
	commit("2026-10-02T09:00:00Z", "pgp alice", gpgSign("alice@example.com")...)
	commit("2026-10-03T09:00:00Z", "pgp sam subkey", gpgSign("sam@example.com")...)
	commit("2026-10-04T09:00:00Z", "pgp rita rsa", gpgSign("rita@example.com")...)
	commit("2026-10-05T09:00:00Z", "pgp eve before expiry", gpgSign("eve@example.com")...)
	commit("2026-10-20T09:00:00Z", "pgp eve after expiry", gpgSign("eve@example.com")...)
	commit("2026-10-06T09:00:00Z", "pgp rob revoked", gpgSign("rob@example.com")...)
	otherSign("2026-10-07T09:00:00Z", "pgp uma untrusted", "uma@example.com")
	otherSign("2026-10-07T10:00:00Z", "pgp olga unknown", "olga@example.com")
	commit("2026-10-08T09:00:00Z", "pgp alice signature expired",
		"-c", "gpg.program="+filepath.Join(dir, "gpg-at-sigexpire"), "-c", "user.signingkey=alice@example.com", "-c", "commit.gpgsign=true")
	commit("2026-10-09T09:00:00Z", "ssh alice", sshSign("ssh-alice")...)
	commit("2026-10-09T10:00:00Z", "ssh unknown key", sshSign("ssh-unknown")...)
	commit("2026-10-09T11:00:00Z", "ssh window before valid-after", sshSign("ssh-window")...)
	commit("2026-10-15T09:00:00Z", "ssh window inside", sshSign("ssh-window")...)
	commit("2026-10-20T00:00:00Z", "ssh window at valid-before", sshSign("ssh-window")...)
	commit("2026-10-21T09:00:00Z", "ssh window after valid-before", sshSign("ssh-window")...)
	commit("2026-10-22T09:00:00Z", "ssh namespace file only", sshSign("ssh-filens")...)

	// A merge, signed by Alice.
	r.run(repo, "", nil, "git", "checkout", "-q", "-b", "feature")
	commit("2026-10-23T09:00:00Z", "feature work", gpgSign("alice@example.com")...)
	r.run(repo, "", nil, "git", "checkout", "-q", "main")
	r.run(repo, "", append(at("2026-10-24T09:00:00Z"), fake("20261024T090000!")...),
		"git", append(gpgSign("alice@example.com"), "merge", "-q", "--no-ff", "-m", "merge feature", "feature")...)

	// Tampered and malformed commits, written as raw objects on top of main.
	templatePGP := r.run(repo, "", nil, "git", "log", "--format=%H", "-1", "--grep=^pgp alice$")
	templateSSH := r.run(repo, "", nil, "git", "log", "--format=%H", "-1", "--grep=^ssh alice$")
	rewrite := func(template, subject, date string, mutateSig func(string) string) {
		if r.err != nil {
			return
		}
		raw := r.run(repo, "", nil, "git", "cat-file", "commit", template) + "\n"
		head := r.run(repo, "", nil, "git", "rev-parse", "HEAD")
		hdr, _, _ := strings.Cut(raw, "\n\n")
		ts, _ := time.Parse(time.RFC3339, date)
		var lines []string
		var sig []string
		inSig := false
		for _, l := range strings.Split(hdr, "\n") {
			switch {
			case strings.HasPrefix(l, "parent "):
				l = "parent " + head
			case strings.HasPrefix(l, "committer "), strings.HasPrefix(l, "author "):
				i := strings.LastIndex(l, ">")
				l = fmt.Sprintf("%s %d +0000", l[:i+1], ts.Unix())
			case strings.HasPrefix(l, "gpgsig "):
				inSig = true
				sig = append(sig, strings.TrimPrefix(l, "gpgsig "))
				continue
			case inSig && strings.HasPrefix(l, " "):
				sig = append(sig, strings.TrimPrefix(l, " "))
				continue
			}
			inSig = false
			lines = append(lines, l)
		}
		s := strings.Join(sig, "\n")
		if mutateSig != nil {
			s = mutateSig(s)
		}
		// The signature goes back after committer, folded as git writes it.
		var out []string
		for _, l := range lines {
			out = append(out, l)
			if strings.HasPrefix(l, "committer ") {
				out = append(out, "gpgsig "+strings.ReplaceAll(s, "\n", "\n "))
			}
		}
		obj := strings.Join(out, "\n") + "\n\n" + subject + "\n"
		sha := r.run(repo, obj, nil, "git", "hash-object", "-t", "commit", "-w", "--stdin")
		r.run(repo, "", nil, "git", "update-ref", "refs/heads/main", sha)
	}
	// Same signature, different commit (date and message): the signature is bad.
	rewrite(templatePGP, "pgp tampered message", "2026-11-02T09:00:00Z", nil)
	rewrite(templateSSH, "ssh tampered message", "2026-11-03T09:00:00Z", nil)
	// A well-formed signature packet whose signature value is wrong.
	var corruptErr error
	rewrite(templatePGP, "pgp corrupted signature value", "2026-11-04T09:00:00Z", func(s string) string {
		out, err := corruptPGPSignature(s)
		if err != nil {
			corruptErr = err
		}
		return out
	})
	if corruptErr != nil {
		return nil, corruptErr
	}
	// Armor whose base64 is garbage: gpg finds no signature at all.
	rewrite(templatePGP, "pgp malformed armor", "2026-11-05T09:00:00Z", func(s string) string {
		lines := strings.Split(s, "\n")
		for i, l := range lines {
			if len(l) > 40 && !strings.HasPrefix(l, "-----") {
				lines[i] = strings.Repeat("A", len(l))
			}
		}
		return strings.Join(lines, "\n")
	})
	// An X.509 (gpgsm) signature header.
	rewrite(templatePGP, "x509 signature", "2026-11-06T09:00:00Z", func(string) string {
		return "-----BEGIN SIGNED MESSAGE-----\nMIAGCSqGSIb3DQEHAqCAMIACAQExDzANBglghkgBZQMEAgEFADCABgkqhkiG9w0B\n-----END SIGNED MESSAGE-----"
	})
	commit("2026-11-10T09:00:00Z", "pgp alice again", gpgSign("alice@example.com")...)

	// Only now expire Eve's key (on 2026-10-10, between her two signatures)
	// and revoke Rob's: the signatures were made before either happened.
	r.run(dir, "", nil, "gpg", "--batch", "--faked-system-time", "20260915T000000!", "--quick-set-expire", f.fpr["eve@example.com"], "2026-10-10")
	for _, line := range strings.Split(r.run(dir, "", nil, "gpg", "--with-colons", "--list-keys", "eve@example.com"), "\n") {
		if fields := strings.Split(line, ":"); fields[0] == "pub" {
			var secs int64
			fmt.Sscan(fields[6], &secs)
			f.eveExpires = time.Unix(secs, 0).UTC().Format(time.RFC3339)
		}
	}
	rev, err := os.ReadFile(filepath.Join(home, "openpgp-revocs.d", f.fpr["rob@example.com"]+".rev"))
	if err != nil && r.err == nil {
		return nil, err
	}
	// gpg prefixes the armor with ':' so the certificate is not imported by accident.
	r.run(dir, regexp.MustCompile(`(?m)^:-----BEGIN`).ReplaceAllString(string(rev), "-----BEGIN"), nil, "gpg", "--batch", "--import")

	// evident's trusted keyrings: the team's keys, and a contractor's (Uma).
	if err := os.Mkdir(filepath.Join(dir, "keys"), 0o755); err != nil {
		return nil, err
	}
	team := r.run(dir, "", nil, "gpg", "--armor", "--export", "alice@example.com", "sam@example.com", "rita@example.com", "eve@example.com", "rob@example.com")
	contractor := r.run(dir, "", nil, "gpg", "--armor", "--export", "uma@example.com")
	if r.err != nil {
		return nil, r.err
	}
	for name, data := range map[string]string{"keys/team.asc": team, "keys/contractor.asc": contractor} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data+"\n"), 0o644); err != nil {
			return nil, err
		}
	}
	f.pgpFiles = []string{"keys/team.asc", "keys/contractor.asc"}
	return f, r.err
}

// corruptPGPSignature flips a bit in the signature value of an armored
// signature and re-armors it with a correct checksum, so the packet parses
// but does not verify.
func corruptPGPSignature(armored string) (string, error) {
	block, err := armor.Decode(strings.NewReader(armored))
	if err != nil {
		return "", err
	}
	var body bytes.Buffer
	if _, err := body.ReadFrom(block.Body); err != nil {
		return "", err
	}
	if _, err := packet.Read(bytes.NewReader(body.Bytes())); err != nil {
		return "", err
	}
	b := body.Bytes()
	b[len(b)-5] ^= 0x01 // inside the last MPI (the signature value)
	var out bytes.Buffer
	w, err := armor.Encode(&out, "PGP SIGNATURE", nil)
	if err != nil {
		return "", err
	}
	w.Write(b)
	w.Close()
	return strings.TrimSpace(out.String()), nil
}

// gitLog returns, per commit sha reachable from main, git's view of its
// signature: %G? %GK %GP %GS.
func (f *fixture) gitLog(t *testing.T, format string) map[string][]string {
	t.Helper()
	cmd := exec.Command("git", "-c", "gpg.ssh.allowedSignersFile="+filepath.Join(f.dir, "allowed_signers"),
		"log", "--format=%H%x1f"+format+"%x1e", "main")
	cmd.Dir = filepath.Join(f.dir, f.repo)
	cmd.Env = f.env
	var errb bytes.Buffer
	cmd.Stderr = &errb
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git log: %v\n%s", err, errb.String())
	}
	res := map[string][]string{}
	for _, rec := range strings.Split(string(out), "\x1e") {
		rec = strings.TrimSpace(rec)
		if rec == "" {
			continue
		}
		fields := strings.Split(rec, "\x1f")
		res[fields[0]] = fields[1:]
	}
	return res
}
