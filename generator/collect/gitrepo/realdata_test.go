package gitrepo

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evident-project/evident/generator/catalog"
)

// realData returns the path of a file under the shared real-world test
// material, which lives beside the repository and is never copied into it.
func realData(t *testing.T, rel string) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(wd, "..", "..", "..", "..", "shared", "realdata", rel)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("real-world test data %s not found (expected shared/ beside the repository): %v", p, err)
	}
	return p
}

// TestWebFlowKeys declares GitHub's web-flow commit-signing keyring as a
// repository's trusted PGP keys, as an operator auditing a GitHub-hosted
// repository would: both keys (the old one expired on 2024-01-16) load,
// none is skipped, and the read records the file's digest. gitsig's own
// test checks the keys' fingerprints and expiry.
func TestWebFlowKeys(t *testing.T) {
	for _, name := range []string{"web-flow.asc", "web-flow.gpg"} {
		t.Run(name, func(t *testing.T) {
			path := realData(t, "keys/"+name)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			tr, reads, notes, err := loadTrust(filepath.Dir(path), catalog.TrustedKeys{PGP: []string{name}}, testNow)
			if err != nil {
				t.Fatal(err)
			}
			if tr == nil || len(reads) != 1 {
				t.Fatalf("trust %v, reads %+v", tr, reads)
			}
			if r := reads[0]; r.Method != "read" || r.Target != name || r.Status != "sha256:"+sha256Hex(data) || r.Count != 2 {
				t.Errorf("read %+v, want %s with its digest and 2 keys", r, name)
			}
			if len(notes) != 0 {
				t.Errorf("notes %q: no key should be skipped", strings.Join(notes, "; "))
			}
		})
	}
}
