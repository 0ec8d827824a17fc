package sample

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// testSeed is the seed of a fixed manifest, so tests do not depend on one
// another's inputs.
var testSeed = Seed([]byte(`{"run_id":"test"}` + "\n"))

func records(keys ...string) []Record {
	out := make([]Record, len(keys))
	for i, k := range keys {
		out[i] = Record{Key: k, Values: []string{"v-" + k}}
	}
	return out
}

func keysOf(s Sample) []string {
	out := make([]string, len(s.Picks))
	for i, p := range s.Picks {
		out[i] = p.Key
	}
	return out
}

// TestSeedIsSHA256 pins Seed to the published definition with the FIPS
// 180-2 test vectors, so "sha256sum manifest.json" gives the same seed.
func TestSeedIsSHA256(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
	} {
		if got := Seed([]byte(tc.in)); got != tc.want {
			t.Errorf("Seed(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

// TestRankIsSHA256OfSeedAndKey re-derives ranks with crypto/sha256 directly
// from the package doc's definition (seed immediately followed by key, no
// separator), and pins that concatenation with a known vector.
func TestRankIsSHA256OfSeedAndKey(t *testing.T) {
	if got, want := Rank("ab", "c"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"; got != want {
		t.Errorf(`Rank("ab", "c") = %s, want sha256("abc") %s`, got, want)
	}
	for _, key := range []string{"first-harbor-bank/core-ledger#50", "", "ü/ß#1", "a b", "=cmd|' /C calc'!A0"} {
		d := sha256.Sum256([]byte(testSeed + key))
		if got, want := Rank(testSeed, key), hex.EncodeToString(d[:]); got != want {
			t.Errorf("Rank(seed, %q) = %s, want %s", key, got, want)
		}
	}
}

// TestDrawRederived computes the sample the way an auditor would, from the
// definition alone (hash every key, sort, take the first n), and compares.
func TestDrawRederived(t *testing.T) {
	var recs []Record
	for i := 1; i <= 40; i++ {
		recs = append(recs, Record{Key: fmt.Sprintf("acme/api#%d", i), Values: []string{strconv.Itoa(i)}})
	}
	for _, n := range []int{1, 5, 25, 40, 100} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			s, err := Draw(testSeed, recs, n)
			if err != nil {
				t.Fatal(err)
			}
			type ranked struct{ rank, key string }
			var all []ranked
			for _, r := range recs {
				d := sha256.Sum256([]byte(testSeed + r.Key))
				all = append(all, ranked{hex.EncodeToString(d[:]), r.Key})
			}
			sort.Slice(all, func(i, j int) bool { return all[i].rank < all[j].rank })
			want := min(n, len(recs))
			if len(s.Picks) != want {
				t.Fatalf("%d picks, want %d", len(s.Picks), want)
			}
			for i, p := range s.Picks {
				if p.Key != all[i].key || p.Rank != all[i].rank || p.Position != i+1 {
					t.Errorf("pick %d = {%d %s %s}, want {%d %s %s}", i, p.Position, p.Rank, p.Key, i+1, all[i].rank, all[i].key)
				}
				if len(p.Values) != 1 || p.Values[0] != strings.TrimPrefix(p.Key, "acme/api#") {
					t.Errorf("pick %s lost its values: %v", p.Key, p.Values)
				}
			}
			if s.Algorithm != Algorithm || s.Seed != testSeed || s.Requested != n || s.Population != len(recs) {
				t.Errorf("sample header = %s %s %d %d", s.Algorithm, s.Seed, s.Requested, s.Population)
			}
			if s.Whole() != (n >= len(recs)) {
				t.Errorf("Whole() = %v for n=%d of %d", s.Whole(), n, len(recs))
			}
		})
	}
}

// TestDrawShellRederivation runs the one-liner the samples page publishes
// (printf '%s%s' SEED KEY | sha256sum, then LC_ALL=C sort) and checks it
// selects the same records in the same order.
func TestDrawShellRederivation(t *testing.T) {
	for _, tool := range []string{"sh", "sha256sum", "sort", "head"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed: %v", tool, err)
		}
	}
	keys := []string{"acme/api#1", "acme/api#2", "acme/web#10", "grant:org:alice", "records/emergency/2026-10-21.md", "a b", "x%sy"}
	const n = 4
	s, err := Draw(testSeed, records(keys...), n)
	if err != nil {
		t.Fatal(err)
	}
	script := `while IFS= read -r k; do printf '%s %s\n' "$(printf '%s%s' "$SEED" "$k" | sha256sum | cut -d' ' -f1)" "$k"; done | LC_ALL=C sort | head -n "$N" | cut -d' ' -f2-`
	cmd := exec.Command("sh", "-c", script)
	cmd.Env = []string{"SEED=" + testSeed, "N=" + strconv.Itoa(n), "PATH=/usr/bin:/bin"}
	cmd.Stdin = strings.NewReader(strings.Join(keys, "\n") + "\n")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("shell re-derivation: %v", err)
	}
	got := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if want := keysOf(s); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("shell selects %q, Draw selects %q", got, want)
	}
}

// TestDrawDoesNotDependOnInputOrder: the evidence may list records in any
// order; the sample must not change with it.
func TestDrawDoesNotDependOnInputOrder(t *testing.T) {
	keys := []string{"k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8"}
	a, err := Draw(testSeed, records(keys...), 3)
	if err != nil {
		t.Fatal(err)
	}
	rev := append([]string(nil), keys...)
	for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
		rev[i], rev[j] = rev[j], rev[i]
	}
	b, err := Draw(testSeed, records(rev...), 3)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(keysOf(a)) != fmt.Sprint(keysOf(b)) {
		t.Errorf("order changes the sample: %v vs %v", keysOf(a), keysOf(b))
	}
}

// TestDrawDependsOnSeed: another closing manifest must give another sample,
// or the seed would not be doing anything.
func TestDrawDependsOnSeed(t *testing.T) {
	var keys []string
	for i := 0; i < 200; i++ {
		keys = append(keys, fmt.Sprintf("r%03d", i))
	}
	a, err := Draw(testSeed, records(keys...), 10)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Draw(Seed([]byte("another manifest")), records(keys...), 10)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(keysOf(a)) == fmt.Sprint(keysOf(b)) {
		t.Errorf("two seeds drew the same sample %v", keysOf(a))
	}
}

func TestDrawEmptyPopulation(t *testing.T) {
	s, err := Draw(testSeed, nil, 25)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Picks) != 0 || s.Population != 0 || s.Requested != 25 {
		t.Errorf("empty population drew %+v", s)
	}
}

func TestDrawRefuses(t *testing.T) {
	for _, tc := range []struct {
		name, seed string
		recs       []Record
		n          int
		want       string
	}{
		{"short seed", "abc", records("a"), 1, "not a lowercase hex sha256"},
		{"uppercase seed", strings.ToUpper(testSeed), records("a"), 1, "not a lowercase hex sha256"},
		{"non-hex seed", strings.Repeat("g", 64), records("a"), 1, "not a lowercase hex sha256"},
		{"zero size", testSeed, records("a"), 0, "sample size 0"},
		{"negative size", testSeed, records("a"), -3, "sample size -3"},
		{"empty key", testSeed, records("a", ""), 1, "record 2 has an empty key"},
		{"duplicate key", testSeed, records("a", "b", "a", "a"), 1, `key "a" identifies 3 records`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Draw(tc.seed, tc.recs, tc.n)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Draw error = %v, want it to contain %q", err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "draw sample: ") {
				t.Errorf("error %q does not name the step", err)
			}
		})
	}
}

func TestSortByKey(t *testing.T) {
	recs := records("b", "B", "a#10", "a#2", "é", "a")
	SortByKey(recs)
	var got []string
	for _, r := range recs {
		got = append(got, r.Key)
	}
	// Byte order, as LC_ALL=C sort: upper case before lower, "#1" before "#2".
	if want := "B a a#10 a#2 b é"; strings.Join(got, " ") != want {
		t.Errorf("SortByKey = %q, want %q", strings.Join(got, " "), want)
	}
}

func TestNeutralize(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"plain", "plain"},
		{"=1+1", "'=1+1"},
		{"+1", "'+1"},
		{"-1", "'-1"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\tx", "'\tx"},
		{"\rx", "'\rx"},
		{"a=b", "a=b"},
		{" =1", " =1"},
		{"'quoted", "'quoted"},
	} {
		if got := Neutralize(tc.in); got != tc.want {
			t.Errorf("Neutralize(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func readCSV(t *testing.T, b []byte) [][]string {
	t.Helper()
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatalf("exported CSV does not parse: %v\n%s", err, b)
	}
	return rows
}

// TestCSVInjection: values from evidence that a spreadsheet would run are
// exported inert, and values that break naive CSV (commas, quotes, line
// breaks) survive a round trip.
func TestCSVInjection(t *testing.T) {
	hostile := []Record{
		{Key: "=HYPERLINK(\"http://evil.example\",\"x\")", Values: []string{"+cmd|' /C calc'!A0", "-2+3"}},
		{Key: "@SUM(1,2)", Values: []string{"title, with \"quotes\"\nand a line break", "\t=1"}},
		{Key: "acme/api#7", Values: []string{"<script>alert(1)</script>", "\r=2"}},
	}
	cols := []string{"title", "note"}
	b, err := PopulationCSV(cols, hostile)
	if err != nil {
		t.Fatal(err)
	}
	rows := readCSV(t, b)
	want := [][]string{
		{"key", "title", "note"},
		{"'=HYPERLINK(\"http://evil.example\",\"x\")", "'+cmd|' /C calc'!A0", "'-2+3"},
		{"'@SUM(1,2)", "title, with \"quotes\"\nand a line break", "'\t=1"},
		{"acme/api#7", "<script>alert(1)</script>", "'\r=2"},
	}
	if fmt.Sprintf("%q", rows) != fmt.Sprintf("%q", want) {
		t.Errorf("population csv =\n%q\nwant\n%q", rows, want)
	}
	for _, row := range rows {
		for _, c := range row {
			if c != "" && strings.ContainsAny(c[:1], formulaStarts) {
				t.Errorf("cell %q would be evaluated by a spreadsheet", c)
			}
		}
	}

	s, err := Draw(testSeed, hostile, 2)
	if err != nil {
		t.Fatal(err)
	}
	b, err = SampleCSV(cols, s)
	if err != nil {
		t.Fatal(err)
	}
	rows = readCSV(t, b)
	if got := strings.Join(rows[0], ","); got != "position,rank_sha256,key,title,note" {
		t.Errorf("sample csv header = %s", got)
	}
	if len(rows) != 3 {
		t.Fatalf("sample csv has %d rows, want header + 2", len(rows))
	}
	for i, p := range s.Picks {
		row := rows[i+1]
		if row[0] != strconv.Itoa(p.Position) || row[1] != p.Rank || row[2] != Neutralize(p.Key) {
			t.Errorf("sample row %d = %q, want position %d rank %s key %s", i+1, row[:3], p.Position, p.Rank, Neutralize(p.Key))
		}
		for _, c := range row {
			if c != "" && strings.ContainsAny(c[:1], formulaStarts) {
				t.Errorf("cell %q would be evaluated by a spreadsheet", c)
			}
		}
	}
}

func TestCSVColumnMismatch(t *testing.T) {
	bad := []Record{{Key: "a", Values: []string{"1"}}}
	if _, err := PopulationCSV([]string{"x", "y"}, bad); err == nil || !strings.Contains(err.Error(), `population csv: record "a" has 1 values for 2 columns`) {
		t.Errorf("PopulationCSV error = %v", err)
	}
	s, err := Draw(testSeed, bad, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := SampleCSV([]string{"x", "y"}, s); err == nil || !strings.Contains(err.Error(), `sample csv: record "a" has 1 values for 2 columns`) {
		t.Errorf("SampleCSV error = %v", err)
	}
}

func TestCSVEmptyPopulation(t *testing.T) {
	b, err := PopulationCSV([]string{"title"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != "key,title\n" {
		t.Errorf("empty population csv = %q, want only the header", b)
	}
}
