package gitsig

import (
	"bytes"
	"crypto/ed25519"
	"strings"
	"testing"
	"time"

	"github.com/hiddeco/sshsig"
	"golang.org/x/crypto/ssh"
)

func testSSHKey(t *testing.T, seed byte) (ssh.Signer, string) {
	t.Helper()
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return signer, strings.TrimSpace(string(ssh.MarshalAuthorizedKey(signer.PublicKey())))
}

func TestParseAllowedSignerLine(t *testing.T) {
	_, key := testSSHKey(t, 1)
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	cases := []struct {
		name       string
		line       string
		skip       bool
		principals []string
		ca         bool
		ns         string
		after      time.Time
		before     time.Time
	}{
		{name: "comment", line: "# alice ssh-ed25519 AAAA", skip: true},
		{name: "indented comment", line: "   # x", skip: true},
		{name: "blank", line: "  \t ", skip: true},
		{name: "plain", line: "alice@example.com " + key, principals: []string{"alice@example.com"}},
		{name: "key comment kept out", line: "alice@example.com " + key + " laptop key", principals: []string{"alice@example.com"}},
		{name: "several principals", line: "a@x,b@x,*@y " + key, principals: []string{"a@x", "b@x", "*@y"}},
		{name: "quoted principal with space", line: `"Alice Doe@x,b@x" ` + key, principals: []string{"Alice Doe@x", "b@x"}},
		{name: "leading whitespace", line: "\t a@x " + key, principals: []string{"a@x"}},
		{name: "namespaces", line: `a@x namespaces="git,file" ` + key, principals: []string{"a@x"}, ns: "git,file"},
		{name: "options case-insensitive", line: `a@x NAMESPACES="git",Valid-After="20260101" ` + key, principals: []string{"a@x"}, ns: "git", after: utc("2026-01-01T00:00:00Z")},
		{name: "validity, no zone is UTC", line: `a@x valid-after="202601021504",valid-before="20270102150405" ` + key,
			principals: []string{"a@x"}, after: utc("2026-01-02T15:04:00Z"), before: utc("2027-01-02T15:04:05Z")},
		{name: "validity with Z and UTC", line: `a@x valid-after="20260101Z",valid-before="20260201UTC" ` + key,
			principals: []string{"a@x"}, after: utc("2026-01-01T00:00:00Z"), before: utc("2026-02-01T00:00:00Z")},
		{name: "escaped quote in value", line: `a@x namespaces="gi\"t" ` + key, principals: []string{"a@x"}, ns: `gi"t`},
		{name: "space inside quoted option", line: `a@x namespaces="git, file" ` + key, principals: []string{"a@x"}, ns: "git, file"},
		{name: "cert authority", line: `*@x cert-authority,namespaces="git" ` + key, principals: []string{"*@x"}, ca: true, ns: "git"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, ok, err := parseAllowedSignerLine(tc.line)
			if err != nil {
				t.Fatalf("parse %q: %v", tc.line, err)
			}
			if ok == tc.skip {
				t.Fatalf("ok=%v for %q", ok, tc.line)
			}
			if tc.skip {
				return
			}
			if strings.Join(s.principals, "|") != strings.Join(tc.principals, "|") {
				t.Errorf("principals %q, want %q", s.principals, tc.principals)
			}
			if s.certAuthority != tc.ca || s.namespaces != tc.ns || s.hasNamespaces != (tc.ns != "") {
				t.Errorf("ca %v namespaces %q (%v), want %v %q", s.certAuthority, s.namespaces, s.hasNamespaces, tc.ca, tc.ns)
			}
			if !s.validAfter.Equal(tc.after) || !s.validBefore.Equal(tc.before) {
				t.Errorf("validity %v..%v, want %v..%v", s.validAfter, s.validBefore, tc.after, tc.before)
			}
			if s.key == nil || !strings.HasPrefix(s.fingerprint, "SHA256:") {
				t.Errorf("key not parsed: %v", s.fingerprint)
			}
		})
	}
}

func TestParseAllowedSignerLineErrors(t *testing.T) {
	_, key := testSSHKey(t, 1)
	for _, line := range []string{
		"alice@example.com",                                         // no key
		"alice@example.com namespaces=\"git\"",                      // options, no key
		"alice@example.com valid-after=20260101 " + key,             // unquoted value
		"alice@example.com bogus=\"x\" " + key,                      // unknown option
		`a@x namespaces="git",namespaces="file" ` + key,             // repeated option
		`a@x valid-after="2026" ` + key,                             // bad time
		`a@x valid-after="20260230" ` + key,                         // impossible date
		`a@x valid-after="20270101",valid-before="20260101" ` + key, // before < after
		`a@x namespaces="git ` + key,                                // unterminated quote
		`"a@x ` + key,                                               // unmatched principal quote
		"a@x ssh-ed25519 !!!notbase64",                              // bad base64
		"a@x ssh-rsa " + strings.Fields(key)[1],                     // type mismatch
		`a@x namespaces="git", ` + key,                              // end of options after comma
	} {
		if _, _, err := parseAllowedSignerLine(line); err == nil {
			t.Errorf("parse %q: want an error", line)
		}
	}
}

func TestParseAllowedSignersFile(t *testing.T) {
	_, k1 := testSSHKey(t, 1)
	_, k2 := testSSHKey(t, 2)
	file := "# team\n\nalice@x " + k1 + "\r\nbob@x namespaces=\"git\" " + k2 + "\n"
	s, err := parseAllowedSigners(strings.NewReader(file), "signers")
	if err != nil {
		t.Fatal(err)
	}
	if len(s) != 2 || s[0].where != "signers:3" || s[1].where != "signers:4" {
		t.Fatalf("parsed %+v", s)
	}
	_, err = parseAllowedSigners(strings.NewReader("alice@x "+k1+"\nbroken\n"), "signers")
	if err == nil || !strings.Contains(err.Error(), "signers:2") {
		t.Errorf("error %v does not name the line", err)
	}
}

func TestMatchPatternList(t *testing.T) {
	for _, tc := range []struct {
		s, list string
		want    bool
	}{
		{"git", "git", true},
		{"git", "file,git", true},
		{"git", "file", false},
		{"git", "g*", true},
		{"git", "g?t", true},
		{"git", "*,!git", false},
		{"git", "!file", false},
		{"git", "", false},
		{"a@example.com", "*@example.com", true},
	} {
		if got := matchPatternList(tc.s, tc.list); got != tc.want {
			t.Errorf("matchPatternList(%q, %q) = %v", tc.s, tc.list, got)
		}
	}
}

// TestVerifySSHWindow checks validity bounds at the commit time, including
// the inclusive valid-before that ssh-keygen uses.
func TestVerifySSHWindow(t *testing.T) {
	signer, key := testSSHKey(t, 3)
	payload := []byte("tree x\n\nmsg\n")
	sig, err := sshsig.Sign(bytes.NewReader(payload), signer, sshsig.HashSHA512, "git")
	if err != nil {
		t.Fatal(err)
	}
	armored := sshsig.Armor(sig)
	trust := NewTrust(time.Time{})
	if _, err := trust.AddAllowedSigners([]byte(`a@x valid-after="20261010Z",valid-before="20261020Z" `+key+"\n"), "s"); err != nil {
		t.Fatal(err)
	}
	tr := trust.ssh
	at := func(s string) time.Time { v, _ := time.Parse(time.RFC3339, s); return v }
	for when, want := range map[string]Status{
		"2026-10-09T23:59:59Z": StatusUnknownKey,
		"2026-10-10T00:00:00Z": StatusVerified,
		"2026-10-20T00:00:00Z": StatusVerified,
		"2026-10-20T00:00:01Z": StatusExpiredKey,
	} {
		if got := tr.verifySSH(armored, payload, at(when)); got.Status != want {
			t.Errorf("at %s: %s (%s), want %s", when, got.Status, got.Note, want)
		}
	}
	if got := tr.verifySSH(armored, append(payload, 'x'), at("2026-10-15T00:00:00Z")); got.Status != StatusBad {
		t.Errorf("tampered payload: %s", got.Status)
	}
	fileSig, _ := sshsig.Sign(bytes.NewReader(payload), signer, sshsig.HashSHA512, "file")
	if got := tr.verifySSH(sshsig.Armor(fileSig), payload, at("2026-10-15T00:00:00Z")); got.Status != StatusBad {
		t.Errorf("signature in the file namespace: %s", got.Status)
	}
	if got := tr.verifySSH([]byte("-----BEGIN SSH SIGNATURE-----\nAAAA\n-----END SSH SIGNATURE-----\n"), payload, at("2026-10-15T00:00:00Z")); got.Status != StatusError {
		t.Errorf("malformed ssh signature: %s", got.Status)
	}
}
