package evidence

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/evident-project/evident/generator/collect"
)

// ItemSchema identifies the item file format.
const ItemSchema = "evident.item/v1"

// Item is one evidence file: what one collector read from one source for one
// period. It holds no run timestamps, so re-collecting an unchanged world
// gives the same bytes.
type Item struct {
	Schema     string             `json:"schema"`
	Collector  string             `json:"collector"`
	Source     string             `json:"source,omitempty"`
	Period     string             `json:"period"`
	Params     map[string]any     `json:"params,omitempty"`
	Provenance collect.Provenance `json:"provenance"`
	Data       any                `json:"data"`
}

// Usable reports whether the item can support a conclusion: collected
// without error and complete. Anything else makes dependent assertions unknown.
func (it *Item) Usable() (bool, string) {
	if it.Provenance.Error != nil {
		return false, it.Provenance.Error.Message
	}
	if !it.Provenance.Complete {
		return false, "evidence is incomplete (provenance.complete is false)"
	}
	return true, ""
}

// ParseItem decodes an item file. Numbers stay json.Number so callers can
// keep integers exact.
func ParseItem(b []byte) (*Item, error) {
	var it Item
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	if err := dec.Decode(&it); err != nil {
		return nil, fmt.Errorf("parse item: %w", err)
	}
	if it.Schema != ItemSchema {
		return nil, fmt.Errorf("parse item: schema %q, want %q", it.Schema, ItemSchema)
	}
	return &it, nil
}

// ItemPath is where the evidence of (collector, source, params) for a period
// lives: items/<kind>/<source>/<what>[/p-<params digest>]/<period>.json, e.g.
// items/git/core-ledger/commits/2026-Q4.json. The path depends only on what
// is collected, so every control that needs the same evidence shares one file.
func ItemPath(collector, sourceID string, params map[string]any, periodID string) string {
	parts := strings.SplitN(collector, ".", 2)
	segs := []string{"items", parts[0]}
	if sourceID != "" {
		segs = append(segs, sourceID)
	}
	if len(parts) == 2 {
		segs = append(segs, strings.ReplaceAll(parts[1], ".", "/"))
	}
	if len(params) > 0 {
		segs = append(segs, "p-"+ParamsDigest(params)[:10])
	}
	return strings.Join(append(segs, periodID+".json"), "/")
}

// ParamsDigest is the sha256 of the canonical JSON of params.
func ParamsDigest(params map[string]any) string {
	b, err := Canonical(params)
	if err != nil {
		// Params come from YAML and are always JSON-encodable; fall back to
		// a sorted key dump so a path is still stable.
		keys := make([]string, 0, len(params))
		for k := range params {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b = []byte(fmt.Sprint(keys))
	}
	return SHA256(b)
}
