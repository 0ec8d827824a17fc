package evidence

import (
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/evident-project/evident/generator/collect"
	"github.com/evident-project/evident/generator/period"
)

// TestCostGoesToTheManifest: what a collection cost changes from run to run
// while the world does not, so it is recorded in the manifest and the item
// keeps its bytes.
func TestCostGoesToTheManifest(t *testing.T) {
	store, err := OpenOrInit(filepath.Join(t.TempDir(), "evidence"))
	if err != nil {
		t.Fatal(err)
	}
	pm := period.Model{FiscalYearStart: 1, Location: time.UTC}
	const path = "items/github/gh/pulls/2026-Q4.json"
	var itemBlobs []string
	for i, cost := range []map[string]int{{"requests": 40}, {"requests": 40, "not_modified": 38}} {
		at := time.Date(2026, 11, 1+i, 6, 0, 0, 0, time.UTC)
		snap, err := store.Commit(context.Background(), Run{
			RunID: at.Format(time.RFC3339), Started: at, Finished: at, Config: []byte("version: 1\n"), Period: pm.Containing(at),
			Items: map[string]*Item{path: {
				Schema: ItemSchema, Collector: "github.pulls", Source: "gh", Period: "2026-Q4",
				Provenance: collect.Provenance{Collector: "github.pulls", Complete: true}, Data: map[string]any{"changes": 3},
			}},
			Costs: map[string]map[string]int{path: cost},
		})
		if err != nil {
			t.Fatal(err)
		}
		mi, _ := snap.Manifest.Item(path)
		if !reflect.DeepEqual(mi.Cost, cost) {
			t.Errorf("run %d: manifest cost %v, want %v", i+1, mi.Cost, cost)
		}
		b, _ := snap.ReadFile(path)
		if strings.Contains(string(b), "not_modified") || strings.Contains(string(b), "cost") {
			t.Errorf("the item holds the cost:\n%s", b)
		}
		itemBlobs = append(itemBlobs, mi.SHA256)
		if i == 1 && !strings.Contains(snap.Message, "no evidence changed") {
			t.Errorf("an unchanged world at another cost changed evidence: %q", snap.Message)
		}
	}
	if itemBlobs[0] != itemBlobs[1] {
		t.Error("the item changed with its cost")
	}
}
