package gitrepo

import (
	"context"
	"strings"
	"testing"

	"github.com/evident-project/evident/generator/catalog"
	"github.com/evident-project/evident/generator/collect"
	"github.com/evident-project/evident/generator/period"
)

// gitStatus maps git's %G? letter to the status evident should report when
// it agrees with git.
var gitStatus = map[string]Status{
	"G": StatusVerified,
	"U": StatusVerified,
	"E": StatusUnknownKey,
	"B": StatusBad,
	"X": StatusExpiredKey,
	"Y": StatusExpiredKey,
	"R": StatusRevokedKey,
	"N": StatusNone,
}

func (f *fixture) request(t *testing.T) collect.Request {
	t.Helper()
	p, err := period.Model{}.Parse(testPeriodID)
	if err != nil {
		t.Fatal(err)
	}
	return collect.Request{
		Source: &catalog.GitSource{
			ID: "fixture", Path: f.repo, Branch: "main",
			TrustedKeys: catalog.TrustedKeys{PGP: f.pgpFiles, SSHAllowedSigners: f.sshFiles},
		},
		SourceID: "fixture",
		Period:   p,
		Now:      testNow,
		BaseDir:  f.dir,
	}
}

func collectData(t *testing.T, req collect.Request) (*Data, *collect.Result) {
	t.Helper()
	res, err := New().Collect(context.Background(), req)
	if err != nil {
		t.Fatalf("collect: %v", err)
	}
	return res.Data.(*Data), res
}

// TestAgreesWithGit compares evident's status with git's %G? for every
// commit in the period. Each case pins both what git 2.39 says and what
// evident says; a case with a deviation documents why they differ (see the
// package doc), and the test fails if they turn out to agree after all, so
// the list of differences stays true.
func TestAgreesWithGit(t *testing.T) {
	f := getFixture(t)
	data, _ := collectData(t, f.request(t))
	git := f.gitLog(t, "%G?%x1f%GK%x1f%GP%x1f%GS")

	type want struct {
		git    string
		kind   Kind
		status Status
		// deviation explains a documented difference from git; "" means
		// evident must agree with git's letter.
		deviation string
	}
	cases := map[string]want{
		"unsigned":                      {"N", KindNone, StatusNone, ""},
		"pgp alice":                     {"G", KindPGP, StatusVerified, ""},
		"pgp sam subkey":                {"G", KindPGP, StatusVerified, ""},
		"pgp rita rsa":                  {"G", KindPGP, StatusVerified, ""},
		"pgp eve before expiry":         {"Y", KindPGP, StatusVerified, "signed while the key was valid: verified at signing, git judges expiry as of today"},
		"pgp eve after expiry":          {"Y", KindPGP, StatusExpiredKey, ""},
		"pgp rob revoked":               {"R", KindPGP, StatusRevokedKey, ""},
		"pgp uma untrusted":             {"U", KindPGP, StatusVerified, ""},
		"pgp olga unknown":              {"E", KindPGP, StatusUnknownKey, ""},
		"pgp alice signature expired":   {"X", KindPGP, StatusExpiredKey, ""},
		"ssh alice":                     {"G", KindSSH, StatusVerified, ""},
		"ssh unknown key":               {"U", KindSSH, StatusUnknownKey, "git 2.39 says U (good signature, unknown key) for a key not in allowed_signers"},
		"ssh window before valid-after": {"U", KindSSH, StatusUnknownKey, "no principal matches at the commit time, so git falls back to U"},
		"ssh window inside":             {"G", KindSSH, StatusVerified, ""},
		"ssh window at valid-before":    {"G", KindSSH, StatusVerified, ""},
		"ssh window after valid-before": {"U", KindSSH, StatusExpiredKey, "no principal matches at the commit time, so git falls back to U"},
		"ssh namespace file only":       {"B", KindSSH, StatusUnknownKey, "the signature is good; the key is not trusted for the git namespace"},
		"feature work":                  {"G", KindPGP, StatusVerified, ""},
		"merge feature":                 {"G", KindPGP, StatusVerified, ""},
		"pgp tampered message":          {"B", KindPGP, StatusBad, ""},
		"ssh tampered message":          {"B", KindSSH, StatusBad, ""},
		"pgp corrupted signature value": {"B", KindPGP, StatusBad, ""},
		"pgp malformed armor":           {"N", KindPGP, StatusError, "gpg finds no signature in the garbage; the commit does carry a signature header"},
		"x509 signature":                {"N", KindX509, StatusUnknownKey, "x509 is not verified; gpgsm cannot parse this one either"},
		"pgp alice again":               {"G", KindPGP, StatusVerified, ""},
	}

	seen := map[string]bool{}
	for _, c := range data.Commits {
		w, ok := cases[c.Subject]
		if !ok {
			t.Errorf("commit %s %q has no expectation", c.SHA, c.Subject)
			continue
		}
		seen[c.Subject] = true
		g, ok := git[c.SHA]
		if !ok {
			t.Errorf("%q: git log does not list %s", c.Subject, c.SHA)
			continue
		}
		letter := g[0]
		if letter != w.git {
			t.Errorf("%q: git says %s, the test expects git to say %s", c.Subject, letter, w.git)
		}
		if c.Signature.Kind != w.kind || c.Signature.Status != w.status {
			t.Errorf("%q: evident says %s/%s (%s), want %s/%s", c.Subject, c.Signature.Kind, c.Signature.Status, c.Signature.Note, w.kind, w.status)
		}
		agrees := gitStatus[letter] == c.Signature.Status
		switch {
		case w.deviation == "" && !agrees:
			t.Errorf("%q: git %s means %s but evident says %s (%s)", c.Subject, letter, gitStatus[letter], c.Signature.Status, c.Signature.Note)
		case w.deviation != "" && agrees:
			t.Errorf("%q: documented deviation (%s) no longer differs from git %s", c.Subject, w.deviation, letter)
		}
		// Where git names a key, evident names the same one.
		gitKey, gitPrimary, gitSigner := g[1], g[2], g[3]
		if gitKey != "" && c.Signature.Key != gitKey {
			t.Errorf("%q: key %q, git %%GK %q", c.Subject, c.Signature.Key, gitKey)
		}
		if c.Signature.Kind == KindPGP && gitPrimary != "" && c.Signature.Signer != gitPrimary {
			t.Errorf("%q: signer %q, git %%GP %q", c.Subject, c.Signature.Signer, gitPrimary)
		}
		if c.Signature.Kind == KindSSH && letter == "G" && c.Signature.Signer != gitSigner {
			t.Errorf("%q: signer %q, git %%GS %q", c.Subject, c.Signature.Signer, gitSigner)
		}
	}
	for s := range cases {
		if !seen[s] {
			t.Errorf("commit %q is missing from the collected data", s)
		}
	}
	for _, c := range data.Commits {
		if c.SHA == f.outOfPeriod {
			t.Errorf("commit %s dated before the period was collected", c.SHA)
		}
	}
}

// TestExpiredKeyValidAtSigning pins the deliberate difference from git for
// PGP keys that expired after signing: verified, with the facts recorded.
func TestExpiredKeyValidAtSigning(t *testing.T) {
	f := getFixture(t)
	data, _ := collectData(t, f.request(t))
	before := findCommit(t, data, "pgp eve before expiry").Signature
	after := findCommit(t, data, "pgp eve after expiry").Signature
	fpr := f.fpr["eve@example.com"]
	if before.Status != StatusVerified || !before.VerifiedAtSigning || before.KeyExpiredAt != f.eveExpires ||
		before.Signer != fpr || before.SignedAt != "2026-10-05T09:00:00Z" || !strings.Contains(before.Note, "git reports Y") {
		t.Errorf("signature before expiry: %+v", before)
	}
	if after.Status != StatusExpiredKey || after.VerifiedAtSigning || after.KeyExpiredAt != f.eveExpires || after.SignedAt != "2026-10-20T09:00:00Z" {
		t.Errorf("signature after expiry: %+v", after)
	}
	if !strings.HasPrefix(f.eveExpires, "2026-10-10T") {
		t.Errorf("gpg reports Eve's key expiring %q, want 2026-10-10", f.eveExpires)
	}
	// With the clock before the expiry, nothing has expired yet.
	req := f.request(t)
	req.Now = testNow.AddDate(0, -2, 0) // 2026-09-23
	early, _ := collectData(t, req)
	if s := findCommit(t, early, "pgp eve before expiry").Signature; s.KeyExpiredAt != "" || s.Status != StatusVerified {
		t.Errorf("before the key expired, the signature reads %+v", s)
	}
}

func TestSignatureDetails(t *testing.T) {
	f := getFixture(t)
	data, _ := collectData(t, f.request(t))
	sam := findCommit(t, data, "pgp sam subkey").Signature
	if sam.Signer != f.fpr["sam@example.com"] || sam.Key != f.subkeyID["sam@example.com"] || sam.Key == "" {
		t.Errorf("subkey signature names signer %s key %s, want primary %s and subkey %s", sam.Signer, sam.Key, f.fpr["sam@example.com"], f.subkeyID["sam@example.com"])
	}
	rob := findCommit(t, data, "pgp rob revoked").Signature
	if rob.VerifiedAtSigning || !strings.Contains(rob.Note, "revoked") {
		t.Errorf("revoked key (revocation certificate dated at key creation): %+v", rob)
	}
	ssh := findCommit(t, data, "ssh alice").Signature
	if ssh.Signer != "alice@example.com" || ssh.Key != f.sshFP["ssh-alice"] || ssh.SignedAt != "" || !ssh.VerifiedAtSigning {
		t.Errorf("ssh signature: %+v", ssh)
	}
	win := findCommit(t, data, "ssh window inside").Signature
	if win.Signer != "win dow@example.com" {
		t.Errorf("quoted principal: signer %q", win.Signer)
	}
	after := findCommit(t, data, "ssh window after valid-before").Signature
	if after.KeyExpiredAt != "2026-10-20T00:00:00Z" || after.VerifiedAtSigning {
		t.Errorf("ssh key past valid-before: %+v", after)
	}
	merge := findCommit(t, data, "merge feature")
	if !merge.Merge || len(merge.Parents) != 2 {
		t.Errorf("merge commit: merge=%v parents=%v", merge.Merge, merge.Parents)
	}
	x := findCommit(t, data, "x509 signature").Signature
	if x.Note != "x509 verification not supported" {
		t.Errorf("x509 note %q", x.Note)
	}
}

func findCommit(t *testing.T, d *Data, subject string) Commit {
	t.Helper()
	for _, c := range d.Commits {
		if c.Subject == subject {
			return c
		}
	}
	t.Fatalf("no commit %q", subject)
	return Commit{}
}
