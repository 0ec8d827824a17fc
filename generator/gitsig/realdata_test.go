package gitsig

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
)

// realData returns the path of a file under the shared real-world test
// material, which lives beside the repository and is never copied into it.
func realData(t *testing.T, rel string) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(wd, "..", "..", "..", "shared", "realdata", rel)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("real-world test data %s not found (expected shared/ beside the repository): %v", p, err)
	}
	return p
}

// pgpKeyInfo describes one loaded primary key.
type pgpKeyInfo struct {
	fingerprint string
	keyID       string
	expires     time.Time
	revoked     bool
}

// describePGPKeys summarises the primary keys of ents.
func describePGPKeys(ents []*openpgp.Entity) []pgpKeyInfo {
	var out []pgpKeyInfo
	for _, e := range ents {
		selfSig, _ := e.PrimarySelfSignature()
		out = append(out, pgpKeyInfo{
			fingerprint: fmt.Sprintf("%X", e.PrimaryKey.Fingerprint),
			keyID:       fmt.Sprintf("%016X", e.PrimaryKey.KeyId),
			expires:     keyExpiry(e.PrimaryKey, selfSig),
			revoked:     len(e.Revocations) > 0,
		})
	}
	return out
}

// TestWebFlowKeys loads GitHub's web-flow commit-signing keys: the old key
// expired on 2024-01-16, which is exactly the case where an audit of a past
// period must judge validity at signing time.
func TestWebFlowKeys(t *testing.T) {
	for _, name := range []string{"keys/web-flow.asc", "keys/web-flow.gpg"} {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(realData(t, name))
			if err != nil {
				t.Fatal(err)
			}
			ents, skipped, err := readPGPKeyring(data)
			if err != nil {
				t.Fatal(err)
			}
			if len(skipped) != 0 {
				t.Errorf("skipped keys: %v", skipped)
			}
			keys := map[string]pgpKeyInfo{}
			for _, k := range describePGPKeys(ents) {
				keys[k.keyID] = k
			}
			old, ok := keys["4AEE18F83AFDEB23"]
			if !ok {
				t.Fatalf("old web-flow key not loaded; got %v", keys)
			}
			if old.fingerprint != "5DE3E0509C47EA3CF04A42D34AEE18F83AFDEB23" {
				t.Errorf("old key fingerprint %s", old.fingerprint)
			}
			if got := old.expires.UTC().Format(time.DateOnly); got != "2024-01-16" {
				t.Errorf("old key expires %v, want 2024-01-16", old.expires)
			}
			cur, ok := keys["B5690EEEBB952194"]
			if !ok {
				t.Fatalf("current web-flow key not loaded; got %v", keys)
			}
			if cur.fingerprint != "968479A1AFF927E37D1A566BB5690EEEBB952194" || !cur.expires.IsZero() || cur.revoked {
				t.Errorf("current key %+v", cur)
			}
			// Both keys can be looked up by the key id a signature names,
			// through the same path the collector and the evidence store use.
			tr := NewTrust(time.Time{})
			if n, skipped, err := tr.AddPGPKeyring(data); err != nil || n != 2 || len(skipped) != 0 {
				t.Fatalf("AddPGPKeyring: %d keys, skipped %v, err %v", n, skipped, err)
			}
			for _, id := range []uint64{0x4AEE18F83AFDEB23, 0xB5690EEEBB952194} {
				if len(tr.pgp.byID[id]) == 0 {
					t.Errorf("key %016X not indexed", id)
				}
			}
		})
	}
}
