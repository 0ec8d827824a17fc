package site

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/evident-project/evident/generator/attest"
	"github.com/evident-project/evident/generator/catalog"
	"github.com/evident-project/evident/generator/check"
	"github.com/evident-project/evident/generator/evidence"
)

func TestMarkdownEscape(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"29 of 31 (93.5%)", "29 of 31 (93.5%)"},
		{"<script>x</script>", `\<script\>x\</script\>`},
		{"[click](javascript:x)", `\[click\](javascript:x)`},
		{"![img](x)", `\!\[img\](x)`},
		{"*b* _i_ `c` ~s~", "\\*b\\* \\_i\\_ \\`c\\` \\~s\\~"},
		{"a|b", `a\|b`},
		{`back\slash`, `back\\slash`},
		{"Tom & Jerry", `Tom \& Jerry`},
		{"# not a heading", `\# not a heading`},
		{"- not a list", `\- not a list`},
		{"+ not a list", `\+ not a list`},
		{"  1. not a list", `  1\. not a list`},
		{"12) not a list", `12\) not a list`},
		{"2026 ok", "2026 ok"},
		{"line\nbreak\r\nend", "line break end"},
		{"", ""},
	} {
		if got := md(c.in); got != c.want {
			t.Errorf("md(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if got := mdHref("../evidence/items/a b/(x).json"); got != "../evidence/items/a%20b/%28x%29.json" {
		t.Errorf("mdHref: %q", got)
	}
}

// unescaped finds a "<" or a "](javascript" that Markdown would read as
// markup: one not preceded by the backslash md() puts there.
var unescaped = regexp.MustCompile(`(^|[^\\])(<|\]\(javascript)`)

// TestAttestationPages renders letters whose evidence text is hostile: the
// HTML pages and the Markdown exports show it as text, DRAFT is on every
// letter, and only evidence the snapshot holds is linked.
func TestAttestationPages(t *testing.T) {
	const (
		hostile = `<img src=x onerror="alert(1)"> [click](javascript:alert(1))`
		item    = "items/github/acme/pulls/2026-Q4.json"
		gone    = "items/git/api/commits/2026-Q4.json"
	)
	files := map[string][]byte{"manifest.json": []byte("{}\n"), "config/controls.yaml": []byte("version: 1\n"), item: []byte("{}\n")}
	ref := func(p string) evidence.FileRef {
		return evidence.FileRef{Path: p, SHA256: evidence.SHA256(files[p]), Size: int64(len(files[p]))}
	}
	m := &evidence.Manifest{
		RunID: "r1", Sequence: 3, Finished: time.Date(2026, 11, 16, 6, 0, 0, 0, time.UTC), Config: ref("config/controls.yaml"),
		Period: evidence.ManifestPeriod{ID: "2026-Q4", Start: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)},
		Items:  []evidence.ManifestItem{{FileRef: ref(item), Collector: "github.pulls"}},
	}
	figs := []attest.Figure{
		{ID: attest.TwoPersonReview, Section: attest.SectionChange, Claim: "Code changes reviewed", Text: "1 of 2 changes approved", Value: "1 of 2",
			Exception: "1 change was merged with fewer than two independent approvals", Details: []string{hostile}, Evidence: []string{item},
			Controls: []attest.ControlRef{{ID: "CM-02", Title: "Two approvals", Outcome: check.Fail}}},
		{ID: attest.SignedCommits, Section: attest.SectionChange, Claim: "Commits signed", Text: "Share of commits signed: not determined",
			Exception: "evidence " + gone + " is not in this snapshot", Evidence: []string{gone}},
		{ID: attest.EvidenceIntegrity, Section: attest.SectionIntegrity, Claim: "Evidence verified", Text: "Evidence history verified", Supported: true, Evidence: []string{"manifest.json"}},
	}
	letter := func(id, role, name string) attest.Letter {
		return attest.Letter{ID: id, Role: role, Name: name, Signatory: true, Org: "Acme & Co", Title: "SOX 404 IT General Controls Attestation", Subtitle: "Q4 2026 — Ledger",
			Opening: "I, " + name + ", report on the controls.", Conclusion: "The evidence does not support a conclusion.", Exceptions: 2, Statements: 3,
			Sections: []attest.LetterSection{{Name: attest.SectionChange, Figures: figs[:2]}, {Name: attest.SectionIntegrity, Figures: figs[2:]}}}
	}
	in := Input{
		Catalog: &catalog.Catalog{Organization: catalog.Organization{Name: "Acme & Co"}}, Report: &check.Report{}, Manifest: m, Commit: strings.Repeat("c", 40),
		ReadFile: func(p string) ([]byte, error) {
			if b, ok := files[p]; ok {
				return b, nil
			}
			return nil, os.ErrNotExist
		},
		Attestation: AttestationInput{Attestation: attest.Attestation{Period: "2026-Q4", PeriodLast: "2026-12-31", AsOf: "2026-11-16", Open: true, Figures: figs,
			Letters: []attest.Letter{letter("cfo", "Chief Financial Officer", hostile), letter("cio", "Chief Information Officer", "Ian")}}},
	}
	dir := t.TempDir()
	if err := Build(in, dir); err != nil {
		t.Fatal(err)
	}
	read := func(p string) string {
		b, err := os.ReadFile(filepath.Join(dir, "attestation", p))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	cfo := read("cfo.html")
	for _, want := range []string{
		"DRAFT — NOT SIGNED.", "⚠ EXCEPTION:", "&lt;img src=x onerror=", // hostile text shown as text
		`href="../evidence/` + item + `"`, `href="../controls/CM-02.html"`, `href="../verify/index.html"`,
		`<span class="mono">` + gone + `</span> (not in this snapshot)`, "2 of 3 statements below are exceptions",
		`href="cfo.md"`, `href="cio.html"`, `<link rel="stylesheet" href="../style.css">`,
	} {
		if !strings.Contains(cfo, want) {
			t.Errorf("cfo.html lacks %q", want)
		}
	}
	if strings.Contains(cfo, "<img") || strings.Contains(cfo, `href="../evidence/`+gone) {
		t.Error("cfo.html carries evidence as markup or links evidence the snapshot does not hold")
	}
	if strings.Count(cfo, "✔") != 1 {
		t.Errorf("cfo.html marks %d lines supported, want only the one that is", strings.Count(cfo, "✔"))
	}
	mdText := read("cfo.md")
	for _, want := range []string{
		"> **DRAFT — NOT SIGNED.**", "**Acme \\& Co**", "### 1. Change management controls", "- ⚠️ **EXCEPTION:** 1 of 2 changes approved.",
		`\<img src=x onerror="alert(1)"\> \[click\](javascript:alert(1))`,
		"[" + strings.ReplaceAll(item, "_", `\_`) + "](../evidence/" + item + ")", "; controls: [CM-02](../controls/CM-02.html) fail",
		gone + " (not in this snapshot)", "- ✅ Evidence history verified",
		"Signature: ___", ", Chief Financial Officer  \nDate:",
	} {
		if !strings.Contains(mdText, want) {
			t.Errorf("cfo.md lacks %q:\n%s", want, mdText)
		}
	}
	if unescaped.MatchString(mdText) {
		t.Errorf("cfo.md carries evidence as Markdown markup:\n%s", mdText)
	}
	idx := read("index.html")
	for _, want := range []string{`href="cfo.html"`, `href="cio.md"`, "2 of 3 statements are exceptions", `id="fig-` + attest.SignedCommits + `"`} {
		if !strings.Contains(idx, want) {
			t.Errorf("index.html lacks %q", want)
		}
	}
	read("cio.html")
}

// TestAttestationNotComputed: a site built without the attestation (a
// zero input) still has the page, saying so.
func TestAttestationNotComputed(t *testing.T) {
	m := &evidence.Manifest{RunID: "r", Config: evidence.FileRef{Path: "config/controls.yaml"}}
	in := Input{Catalog: &catalog.Catalog{}, Report: &check.Report{}, Manifest: m, Commit: strings.Repeat("c", 40),
		ReadFile: func(string) ([]byte, error) { return []byte("{}"), nil }}
	dir := t.TempDir()
	if err := Build(in, dir); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "attestation", "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "No attestation was computed for this snapshot.") {
		t.Error("the page does not say the attestation is missing")
	}
}
