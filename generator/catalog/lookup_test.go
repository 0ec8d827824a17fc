package catalog

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"reflect"
	"testing"
	"time"
)

func loadFull(t *testing.T) *Catalog {
	t.Helper()
	c, err := Load("testdata/valid/full.yaml", testOpts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestLoadRecordsFileRawDigest(t *testing.T) {
	c := loadFull(t)
	raw, err := os.ReadFile("testdata/valid/full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(raw)
	if c.File != "testdata/valid/full.yaml" || string(c.Raw) != string(raw) || c.Digest != hex.EncodeToString(sum[:]) {
		t.Errorf("File %q, Digest %q: want the path and the sha256 of the raw bytes", c.File, c.Digest)
	}
}

func TestLoadMissingFile(t *testing.T) {
	if _, err := Load("testdata/does-not-exist.yaml", testOpts); err == nil {
		t.Error("Load of a missing file succeeded")
	}
}

func TestPositions(t *testing.T) {
	c := loadFull(t)
	checks := []struct {
		name string
		got  Position
		want Position
	}{
		{"git source", c.Sources.Git[0].Pos, Position{14, 7}},
		{"github source", c.Sources.GitHub[0].Pos, Position{23, 7}},
		{"kubernetes source", c.Sources.Kubernetes[2].Pos, Position{33, 7}},
		{"control", c.Controls[0].Pos, Position{35, 5}},
		{"evidence", c.Controls[0].Evidence[1].Pos, Position{58, 9}},
		{"assertion", c.Controls[0].Assertions[1].Pos, Position{78, 9}},
		{"exception", c.Exceptions[1].Pos, Position{122, 5}},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s at %d:%d, want %d:%d", ch.name, ch.got.Line, ch.got.Column, ch.want.Line, ch.want.Column)
		}
	}
}

func TestDecodedValues(t *testing.T) {
	c := loadFull(t)
	cm := c.Control("CM-01")
	if cm == nil {
		t.Fatal("Control(CM-01) is nil")
	}
	if !cm.Key || cm.Nature != "preventive" || cm.Family != FamilyChangeManagement || cm.Frequency != FrequencyPerChange {
		t.Errorf("control fields: %+v", cm)
	}
	wantParams := map[string]any{
		"since":  "2026-01-01", // a date stays as written, not a time.Time
		"max":    500,
		"follow": true,
		"paths":  []any{"src/", "cmd/"},
		"nested": map[string]any{"a": 1, "b": []any{"x", "y"}},
	}
	if got := cm.Evidence[0].Params; !reflect.DeepEqual(got, wantParams) {
		t.Errorf("params = %#v\nwant %#v", got, wantParams)
	}
	if got := cm.Assertions[1].Expr; got != "prs.pulls.all(p, p.approvals >= 2)\n" {
		t.Errorf("folded expr = %q", got)
	}
	if c.Exceptions[0].Approved != "2026-01-15" || c.Exceptions[0].Expires != "2026-06-30" {
		t.Errorf("exception dates = %q, %q", c.Exceptions[0].Approved, c.Exceptions[0].Expires)
	}
	if c.Control("XX-01") != nil {
		t.Error("Control of an unknown id is not nil")
	}
}

func TestSourceByID(t *testing.T) {
	c := loadFull(t)
	cases := []struct {
		id, kind string
		typ      any
	}{
		{"payments-api", SourceKindGit, &GitSource{}},
		{"ledger", SourceKindGit, &GitSource{}},
		{"gh-acme", SourceKindGitHub, &GitHubSource{}},
		{"gitops", SourceKindKubernetes, &KubernetesSource{}},
	}
	for _, cs := range cases {
		src, kind := c.SourceByID(cs.id)
		if kind != cs.kind || reflect.TypeOf(src) != reflect.TypeOf(cs.typ) {
			t.Errorf("SourceByID(%q) = %T, %q; want %T, %q", cs.id, src, kind, cs.typ, cs.kind)
		}
	}
	if gs, _ := c.SourceByID("ledger"); gs.(*GitSource) != &c.Sources.Git[1] {
		t.Error("SourceByID does not point into the catalog")
	}
	if src, kind := c.SourceByID("nope"); src != nil || kind != "" {
		t.Errorf("SourceByID(nope) = %v, %q", src, kind)
	}
}

func TestResolve(t *testing.T) {
	c := loadFull(t)
	cases := []struct {
		control, evidence string
		ids               []string
		list              bool
	}{
		{"CM-01", "commits", []string{"payments-api", "ledger"}, true},   // neither: every git source
		{"CM-01", "prs", []string{"gh-acme"}, false},                     // source: one item
		{"CM-01", "two_repos", []string{"payments-api", "ledger"}, true}, // sources: a list
		{"CM-01", "policy", []string{""}, false},                         // no source kind: a map
		{"AC-02.1", "rbac", []string{"prod", "gitops", "in-cluster"}, true},
	}
	for _, cs := range cases {
		var e *Evidence
		for i := range c.Control(cs.control).Evidence {
			if ev := &c.Control(cs.control).Evidence[i]; ev.ID == cs.evidence {
				e = ev
			}
		}
		kind, _, _ := testCollectors.Known(e.Collector)
		ids, list := e.Resolve(c, kind)
		if !reflect.DeepEqual(ids, cs.ids) || list != cs.list {
			t.Errorf("%s/%s: Resolve = %v, %v; want %v, %v", cs.control, cs.evidence, ids, list, cs.ids, cs.list)
		}
	}
}

func TestPeriodModel(t *testing.T) {
	m, err := loadFull(t).PeriodModel()
	if err != nil {
		t.Fatal(err)
	}
	if m.FiscalYearStart != time.July || m.Location.String() != "America/New_York" {
		t.Errorf("model = %v in %v, want July in America/New_York", m.FiscalYearStart, m.Location)
	}
	if p := m.Containing(time.Date(2026, 8, 1, 12, 0, 0, 0, time.UTC)); p.ID != "2027-Q1" {
		t.Errorf("August 2026 is in %s, want 2027-Q1", p.ID)
	}
	minimal, err := Load("testdata/valid/minimal.yaml", testOpts)
	if err != nil {
		t.Fatal(err)
	}
	m, err = minimal.PeriodModel()
	if err != nil || m.FiscalYearStart != time.January || m.Location != time.UTC {
		t.Errorf("default model = %v in %v (%v), want January in UTC", m.FiscalYearStart, m.Location, err)
	}
	for _, bad := range []PeriodModel{{FiscalYearStart: 13}, {Timezone: "Mars/Olympus"}, {Timezone: "Local"}} {
		if _, err := (&Catalog{Period: bad}).PeriodModel(); err == nil {
			t.Errorf("PeriodModel(%+v) succeeded", bad)
		}
	}
}

// TestNilCollectorIndex checks that without an index the loader skips the
// collector checks but still validates everything else.
func TestNilCollectorIndex(t *testing.T) {
	doc := `version: 1
organization: {name: Acme}
controls:
  - id: CM-01
    title: t
    family: change_management
    objective: o
    risk: r
    owner: o
    frequency: daily
    evidence:
      - id: x
        collector: not.a.collector
        source: missing
`
	_, err := Parse("c.yaml", []byte(doc), Options{})
	want := `c.yaml:14:17: evidence "x" names source "missing", which is not declared; declare it under sources: or fix the id`
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}
