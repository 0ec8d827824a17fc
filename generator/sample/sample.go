// Package sample draws auditor samples from a control's population so that
// anyone can draw the same sample again without evident: the choice depends
// only on a published seed and on the records' keys, through sha256 and a
// sort. A pseudo-random generator (math/rand) would need its exact stream,
// which is an implementation detail of one Go release, not a spec an auditor
// can redo in a shell or a spreadsheet.
//
// The algorithm (Algorithm, "evident.sample/v1"):
//
//  1. The seed is the lowercase hex sha256 of the bytes of the period's
//     closing manifest.json: 64 characters, see Seed.
//  2. Each record's rank is the lowercase hex sha256 of the UTF-8 bytes of
//     the seed immediately followed by the record's key, no separator (the
//     seed has a fixed length, so the concatenation is unambiguous), see Rank.
//  3. The records are ordered by rank, as byte strings (ties, which would
//     need a sha256 collision, by key).
//  4. The sample is the first n records of that order; when n is at least
//     the population's size, the whole population, in that order.
//
// The package is pure: no I/O, the same input always gives the same output.
package sample

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
)

// Algorithm names the selection procedure above; it is published with every
// sample, and changes name if the procedure ever changes.
const Algorithm = "evident.sample/v1"

// Record is one member of a population: its unique key and the values of
// the population's columns, in column order.
type Record struct {
	Key    string
	Values []string
}

// Pick is one sampled record.
type Pick struct {
	// Position is 1-based, in selection order.
	Position int
	// Rank is the record's hex sha256 rank.
	Rank string
	Record
}

// Sample is the outcome of one draw.
type Sample struct {
	Algorithm string
	Seed      string
	// Requested is the sample size the sampling table asks for.
	Requested int
	// Population is the number of records drawn from.
	Population int
	// Picks are the selected records in selection order.
	Picks []Pick
}

// Whole reports whether the sample is the whole population (the requested
// size is at least the population, so every record is tested).
func (s Sample) Whole() bool { return s.Requested >= s.Population }

// Seed is the sample seed of a manifest: the lowercase hex sha256 of its bytes.
func Seed(manifest []byte) string {
	d := sha256.Sum256(manifest)
	return hex.EncodeToString(d[:])
}

// Rank is a record's rank under seed: hex sha256(seed || key).
func Rank(seed, key string) string {
	h := sha256.New()
	h.Write([]byte(seed))
	h.Write([]byte(key))
	return hex.EncodeToString(h.Sum(nil))
}

// Draw selects n records from the population under seed. Keys must be
// unique and non-empty: a record that cannot be told apart from another
// cannot be re-derived by an auditor, so a population with one is refused
// rather than sampled.
func Draw(seed string, records []Record, n int) (Sample, error) {
	if !validSeed(seed) {
		return Sample{}, fmt.Errorf("draw sample: seed %q is not a lowercase hex sha256", seed)
	}
	if n < 1 {
		return Sample{}, fmt.Errorf("draw sample: sample size %d; a sample has at least one record", n)
	}
	if err := CheckKeys(records); err != nil {
		return Sample{}, fmt.Errorf("draw sample: %w", err)
	}
	picks := make([]Pick, len(records))
	for i, r := range records {
		picks[i] = Pick{Rank: Rank(seed, r.Key), Record: r}
	}
	sort.Slice(picks, func(i, j int) bool {
		if picks[i].Rank != picks[j].Rank {
			return picks[i].Rank < picks[j].Rank
		}
		return picks[i].Key < picks[j].Key
	})
	if n < len(picks) {
		picks = picks[:n]
	}
	for i := range picks {
		picks[i].Position = i + 1
	}
	return Sample{Algorithm: Algorithm, Seed: seed, Requested: n, Population: len(records), Picks: picks}, nil
}

// CheckKeys reports the first empty or repeated key, naming how many records
// share it.
func CheckKeys(records []Record) error {
	count := make(map[string]int, len(records))
	for i, r := range records {
		if r.Key == "" {
			return fmt.Errorf("record %d has an empty key; every record needs a key that identifies it", i+1)
		}
		count[r.Key]++
	}
	for _, r := range records {
		if c := count[r.Key]; c > 1 {
			return fmt.Errorf("key %q identifies %d records; keys must be unique", r.Key, c)
		}
	}
	return nil
}

// SortByKey orders records by key, as byte strings (the order of
// `LC_ALL=C sort`), so a population exports the same way whatever order the
// evidence listed it in.
func SortByKey(records []Record) {
	sort.SliceStable(records, func(i, j int) bool { return records[i].Key < records[j].Key })
}

func validSeed(s string) bool {
	if len(s) != 2*sha256.Size {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
