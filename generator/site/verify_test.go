package site

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evident-project/evident/generator/catalog"
	"github.com/evident-project/evident/generator/check"
	"github.com/evident-project/evident/generator/evidence"
	"github.com/evident-project/evident/generator/evidence/verify"
)

func verifyInput(v *Verification) Input {
	files := map[string][]byte{
		"manifest.json":             []byte("{}\n"),
		"config/controls.yaml":      []byte("version: 1\n"),
		"config/keys/cosign.pub":    []byte("-----BEGIN PUBLIC KEY-----\n"),
		"items/file/x/2026-Q4.json": []byte("{}\n"),
	}
	ref := func(p string) evidence.FileRef {
		return evidence.FileRef{Path: p, SHA256: evidence.SHA256(files[p]), Size: int64(len(files[p]))}
	}
	m := &evidence.Manifest{
		RunID: "r1", Sequence: 1, Finished: time.Date(2026, 11, 16, 6, 0, 0, 0, time.UTC),
		Config: ref("config/controls.yaml"), Trust: []evidence.FileRef{ref("config/keys/cosign.pub")},
		Items: []evidence.ManifestItem{{FileRef: ref("items/file/x/2026-Q4.json"), Collector: "file"}},
	}
	cat := &catalog.Catalog{Organization: catalog.Organization{Name: "Bank"}, Integrity: catalog.Integrity{Manifest: catalog.ManifestSigning{Key: "keys/cosign.pub"}}}
	return Input{
		Catalog: cat, Report: &check.Report{}, Manifest: m, Commit: strings.Repeat("a", 40),
		ReadFile: func(p string) ([]byte, error) {
			if b, ok := files[p]; ok {
				return b, nil
			}
			return nil, os.ErrNotExist
		},
		Verification: v,
	}
}

func TestVerificationPage(t *testing.T) {
	dir := t.TempDir()
	rep := &verify.Report{
		Head: strings.Repeat("a", 40), LatestManifest: strings.Repeat("b", 64),
		Snapshots: []verify.Snapshot{{Commit: strings.Repeat("a", 40), Sequence: 1}},
		Problems:  []verify.Problem{{Commit: strings.Repeat("a", 40), File: "items/<x>.json", Check: verify.CheckItem, What: "sha256 is <bad>"}},
		Gaps:      []verify.Gap{{Due: time.Date(2026, 8, 16, 6, 0, 0, 0, time.UTC), Until: time.Date(2026, 9, 1, 6, 0, 0, 0, time.UTC)}},
	}
	in := verifyInput(&Verification{
		Report: rep, Integrity: catalog.Integrity{Schedule: "0 6 1,16 * *", Manifest: catalog.ManifestSigning{Key: "keys/cosign.pub"}},
		ManifestCommand: "cosign verify-blob --key ../cosign.pub manifest.json",
	})
	if err := Build(in, dir); err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile(filepath.Join(dir, "verify", "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`<span class="badge fail">failed</span>`,
		"items/&lt;x&gt;.json", "sha256 is &lt;bad&gt;", // evidence text is escaped
		"1 scheduled run(s) missing", "2026-08-16 06:00 UTC",
		"cosign verify-blob --key ../cosign.pub manifest.json",
		`href="cosign.pub"`, "cosign public key for manifest signatures",
		strings.Repeat("b", 64),
	} {
		if !strings.Contains(string(page), want) {
			t.Errorf("verification page lacks %q", want)
		}
	}
	sums, err := os.ReadFile(filepath.Join(dir, "verify", "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(sums), "\n"); n != 3 {
		t.Errorf("SHA256SUMS has %d lines, want config, trust file and item:\n%s", n, sums)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "verify", "cosign.pub")); err != nil || !strings.HasPrefix(string(b), "-----BEGIN PUBLIC KEY") {
		t.Errorf("the trusted key is not published byte for byte: %q %v", b, err)
	}
}

func TestVerificationPageWithoutResult(t *testing.T) {
	dir := t.TempDir()
	in := verifyInput(&Verification{Error: "fetch the public Sigstore trusted root: offline"})
	if err := Build(in, dir); err != nil {
		t.Fatal(err)
	}
	page, _ := os.ReadFile(filepath.Join(dir, "verify", "index.html"))
	if !strings.Contains(string(page), "not verified for this build: fetch the public Sigstore trusted root: offline") {
		t.Errorf("the page does not say why the history was not verified")
	}
	if strings.Contains(string(page), `badge pass`) {
		t.Errorf("an unverified history shows a pass badge")
	}
}
