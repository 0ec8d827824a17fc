package demo

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/evident-project/evident/generator/check"
	"github.com/evident-project/evident/generator/collect/all"
	"github.com/evident-project/evident/generator/evidence"
	"github.com/evident-project/evident/generator/pipeline"
)

// TestDemoIsDeterministicAndHonest builds the demo twice with the same seed:
// the evidence repositories must be identical down to the commit hash, every
// control must have a page, and no control may pass without usable evidence.
func TestDemoIsDeterministicAndHonest(t *testing.T) {
	reg := all.Registry()
	var heads []string
	var res *Result
	for i := 0; i < 2; i++ {
		r, err := Build(context.Background(), Options{Out: filepath.Join(t.TempDir(), "demo"), Seed: 7, Registry: reg})
		if err != nil {
			t.Fatal(err)
		}
		store, err := evidence.Open(r.EvidenceDir)
		if err != nil {
			t.Fatal(err)
		}
		h, err := store.Head()
		if err != nil {
			t.Fatal(err)
		}
		heads = append(heads, h.String())
		res = r
	}
	if heads[0] != heads[1] {
		t.Errorf("same seed, different evidence: %s vs %s", heads[0], heads[1])
	}

	rep, snap, err := pipeline.CheckAt(res.EvidenceDir, "HEAD", reg)
	if err != nil {
		t.Fatal(err)
	}
	if snap.Manifest.Sequence != len(RunDates) {
		t.Errorf("demo has %d snapshots, want %d", snap.Manifest.Sequence, len(RunDates))
	}
	seen := map[check.Outcome]int{}
	for _, c := range rep.Controls {
		seen[c.Outcome]++
		if _, err := os.Stat(filepath.Join(res.SiteDir, "controls", c.ID+".html")); err != nil {
			t.Errorf("control %s has no page: %v", c.ID, err)
		}
		if c.Outcome != check.Pass {
			continue
		}
		for _, ev := range c.Evidence {
			if !ev.Usable {
				t.Errorf("%s passes although its evidence %s is unusable: %s", c.ID, ev.ID, ev.Reason)
			}
		}
	}
	// The demo's story needs every kind of outcome but not_applicable.
	for _, o := range []check.Outcome{check.Pass, check.Fail, check.Unknown} {
		if seen[o] == 0 {
			t.Errorf("demo shows no %s control: %v", o, seen)
		}
	}
	// The bank's signing exception excused CM-01 until it expired on 2026-10-31.
	q3, _, err := pipeline.CheckAt(res.EvidenceDir, "HEAD~2", reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []*check.Report{q3, rep} {
		for _, c := range r.Controls {
			if c.ID != "CM-01" {
				continue
			}
			want := check.Excepted
			if r == rep {
				want = check.Fail
			}
			if c.Outcome != want {
				t.Errorf("CM-01 at run %s = %s, want %s (%s)", r.Snapshot.RunID, c.Outcome, want, c.Reason)
			}
		}
	}
	// The evidence is signed and verifies against the demo config's trust;
	// the one run the bank missed is reported, and is not an integrity failure.
	vres, err := pipeline.Verify(context.Background(), pipeline.VerifyOptions{
		EvidenceDir: res.EvidenceDir, ConfigPath: res.ConfigPath, Registry: reg, Now: RunDates[len(RunDates)-1],
	})
	if err != nil {
		t.Fatal(err)
	}
	if !vres.OK || vres.TrustFromEvidence {
		t.Errorf("demo evidence does not verify against its config: %v", vres.Problems)
	}
	for _, s := range vres.Snapshots {
		if s.ManifestSigner == "" || s.CommitSigner == "" {
			t.Errorf("snapshot #%d is not signed: manifest %q, commit %q", s.Sequence, s.ManifestSigner, s.CommitSigner)
		}
	}
	if len(vres.Gaps) != 1 || !vres.Gaps[0].Due.Equal(time.Date(2026, 8, 16, 6, 0, 0, 0, time.UTC)) {
		t.Errorf("gaps = %v, want the missed run of 2026-08-16 06:00", vres.Gaps)
	}
	// The git evidence must show the story the bank was built to tell.
	byStatus := map[string]int{}
	for _, it := range snap.Manifest.Items {
		if it.Collector != "git.commits" || it.Period != snap.Manifest.Period.ID {
			continue
		}
		item, err := snap.Item(it.Path)
		if err != nil {
			t.Fatal(err)
		}
		data := item.Data.(map[string]any)
		for k, v := range data["summary"].(map[string]any)["by_status"].(map[string]any) {
			n, _ := v.(interface{ Int64() (int64, error) }).Int64()
			byStatus[k] += int(n)
		}
	}
	for _, s := range []string{"verified", "none", "bad", "unknown_key", "expired_key"} {
		if byStatus[s] == 0 {
			t.Errorf("demo Q4 git evidence has no %s commit: %v", s, byStatus)
		}
	}
}
