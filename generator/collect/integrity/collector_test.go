package integrity

import (
	"context"
	"crypto/ed25519"
	"encoding/pem"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/evident-project/evident/generator/blobsig"
	"github.com/evident-project/evident/generator/catalog"
	"github.com/evident-project/evident/generator/collect"
	"github.com/evident-project/evident/generator/collect/collecttest"
	"github.com/evident-project/evident/generator/evidence"
	"github.com/evident-project/evident/generator/gitsig"
	"github.com/evident-project/evident/generator/period"
)

var pm = period.Model{FiscalYearStart: 1, Location: time.UTC}

// world is an evidence repository of signed snapshots on the 1st and 16th,
// with the run of 16 October missing, and a config trusting its keys.
func world(t *testing.T) collect.Request {
	t.Helper()
	dir := t.TempDir()
	key := func(s string) ed25519.PrivateKey {
		seed := make([]byte, ed25519.SeedSize)
		copy(seed, s)
		return ed25519.NewKeyFromSeed(seed)
	}
	ms, err := blobsig.NewKeySigner(key("manifest"))
	if err != nil {
		t.Fatal(err)
	}
	block, _ := ssh.MarshalPrivateKey(key("commit"), "")
	cs, err := gitsig.NewSSHSigner(pem.EncodeToMemory(block))
	if err != nil {
		t.Fatal(err)
	}
	line, _ := gitsig.AllowedSignersLine("evident@example.com", cs.PublicKey())
	os.MkdirAll(filepath.Join(dir, "keys"), 0o755)
	os.WriteFile(filepath.Join(dir, "keys", "cosign.pub"), ms.PublicKeyPEM(), 0o644)
	os.WriteFile(filepath.Join(dir, "keys", "allowed_signers"), []byte(line+"\n"), 0o644)

	store, err := evidence.OpenOrInit(filepath.Join(dir, "evidence"))
	if err != nil {
		t.Fatal(err)
	}
	for _, at := range []time.Time{
		time.Date(2026, 10, 1, 6, 0, 0, 0, time.UTC),
		time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC),
	} {
		if _, err := store.Commit(context.Background(), evidence.Run{
			RunID: at.Format(time.RFC3339), Started: at, Finished: at.Add(time.Minute), Config: []byte("version: 1\n"),
			Period: pm.Containing(at), Items: map[string]*evidence.Item{}, AuthorName: "evident", AuthorMail: "evident@localhost",
			Signers: evidence.Signers{Manifest: ms, Commit: cs},
		}); err != nil {
			t.Fatal(err)
		}
	}
	cat := &catalog.Catalog{Integrity: catalog.Integrity{
		Schedule: "0 6 1,16 * *",
		Manifest: catalog.ManifestSigning{Key: "keys/cosign.pub"},
		Commits:  catalog.CommitSigning{SSHAllowedSigners: []string{"keys/allowed_signers"}},
	}}
	now := time.Date(2026, 11, 10, 0, 0, 0, 0, time.UTC)
	return collect.Request{Catalog: cat, BaseDir: dir, EvidenceDir: filepath.Join(dir, "evidence"), Now: now, Period: pm.Containing(now)}
}

func TestContract(t *testing.T) {
	collecttest.Run(t, collecttest.Suite{
		New:     New,
		Request: world,
		Failing: func(t *testing.T) map[collect.ErrorKind]collect.Request {
			missingKey := world(t)
			missingKey.Catalog.Integrity.Manifest.Key = "keys/nope.pub"
			return map[collect.ErrorKind]collect.Request{collect.KindInvalid: missingKey}
		},
	})
}

func TestVerifiedHistoryWithAMissedRun(t *testing.T) {
	res, err := New().Collect(context.Background(), world(t))
	if err != nil {
		t.Fatal(err)
	}
	d := res.Data.(Data)
	if d.Snapshots != 2 || !d.ChainOK || !d.SignaturesOK || d.ProblemCount != 0 {
		t.Fatalf("data = %+v", d)
	}
	if want := []string{"2026-10-16T06:00:00Z"}; !reflect.DeepEqual(d.MissingRuns, want) {
		t.Errorf("missing runs = %v, want %v", d.MissingRuns, want)
	}
	if !res.Provenance.Complete {
		t.Error("a verified history should be complete evidence")
	}
}

func TestNothingTrustedIsNotSigned(t *testing.T) {
	req := world(t)
	req.Catalog.Integrity = catalog.Integrity{}
	res, err := New().Collect(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	d := res.Data.(Data)
	if !d.ChainOK || d.SignaturesOK || d.MissingRuns != nil {
		t.Fatalf("with no trust and no schedule: chain %t signatures %t missing %v; want chain ok, signatures not verified, missing runs null", d.ChainOK, d.SignaturesOK, d.MissingRuns)
	}
}

func TestFirstRunHasNothingToVerify(t *testing.T) {
	req := world(t)
	req.EvidenceDir = filepath.Join(t.TempDir(), "new")
	res, err := New().Collect(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if res.Provenance.Complete {
		t.Error("with no history the item must be incomplete, so ER-01 is unknown rather than passed")
	}
}
