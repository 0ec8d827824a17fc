package pipeline

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/evident-project/evident/generator/catalog"
	"github.com/evident-project/evident/generator/check"
	"github.com/evident-project/evident/generator/collect"
	"github.com/evident-project/evident/generator/evidence"
	"github.com/evident-project/evident/generator/export"
	"github.com/evident-project/evident/generator/site"
)

// ExportOptions configure `evident export`.
type ExportOptions struct {
	EvidenceDir string
	// Period is the audit period to package, e.g. "2026-Q4".
	Period string
	// OutDir receives <name>.tar.gz and <name>.zip.
	OutDir string
	// Rev is where to look for the period's snapshots; empty means HEAD.
	Rev        string
	Registry   *collect.Registry
	ConfigPath string
	Log        io.Writer
}

// ExportResult says what was written.
type ExportResult struct {
	Name string
	// Closing is the period's last snapshot, which the package shows.
	Closing *evidence.Snapshot
	// Files is how many files the package holds, SHA256SUMS included.
	Files int
	// Archives are the written paths, .tar.gz first.
	Archives []string
}

// PackageName is the archives' name and top folder for a period.
func PackageName(org, period string) string {
	slug := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-':
			return r
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		}
		return '-'
	}, org)
	for strings.Contains(slug, "--") {
		slug = strings.ReplaceAll(slug, "--", "-")
	}
	if slug = strings.Trim(slug, "-"); slug == "" {
		slug = "evidence"
	}
	return "evident-" + slug + "-" + period
}

// packageSections group the package index by the evidence an auditor asks
// for (the seed's "evidence package for SOX 404 auditors"), so each request
// maps to files.
var packageSections = []struct {
	Name     string
	Families []catalog.Family
}{
	{"Change management evidence", []catalog.Family{catalog.FamilyChangeManagement, catalog.FamilyProgramDevelopment, catalog.FamilySegregationOfDuties}},
	{"Access control evidence", []catalog.Family{catalog.FamilyLogicalAccess, catalog.FamilyPrivilegedActivity}},
	{"Audit logging evidence", []catalog.Family{catalog.FamilyAuditLogging, catalog.FamilyEvidenceRetention}},
	{"Operations, backup and incident response evidence", []catalog.Family{catalog.FamilyComputerOperations, catalog.FamilyBackupRecovery}},
}

// Export writes the period's evidence package: its closing snapshot's
// evidence files, every manifest and signature of the period (so the hash
// chain can be re-verified), the site as of the close, an index and
// SHA256SUMS. Nothing is written unless the whole package could be made.
func Export(o ExportOptions) (*ExportResult, error) {
	if o.Period == "" {
		return nil, fmt.Errorf("export: no period given (--period 2026-Q4)")
	}
	store, head, err := openAt(o.EvidenceDir, o.Rev)
	if err != nil {
		return nil, err
	}
	var inPeriod []*evidence.Snapshot // newest first
	seen := map[string]bool{}
	for s := head; ; {
		seen[s.Manifest.Period.ID] = true
		if s.Manifest.Period.ID == o.Period {
			inPeriod = append(inPeriod, s)
		}
		if s.Parent.IsZero() {
			break
		}
		if s, err = store.Snapshot(s.Parent); err != nil {
			return nil, fmt.Errorf("export: read history: %w", err)
		}
	}
	if len(inPeriod) == 0 {
		ids := make([]string, 0, len(seen))
		for id := range seen {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		return nil, fmt.Errorf("export: no snapshot of period %s in the evidence repository; periods on record: %s", o.Period, strings.Join(ids, ", "))
	}
	closing := inPeriod[0]
	logf := func(format string, a ...any) {
		if o.Log != nil {
			fmt.Fprintf(o.Log, format+"\n", a...)
		}
	}
	logf("packaging %s as of snapshot #%d (%s), %d snapshots in the period", o.Period, closing.Manifest.Sequence, closing.Commit.String()[:12], len(inPeriod))

	var files []export.File
	add := func(path string, data []byte) { files = append(files, export.File{Path: path, Data: data}) }
	read := func(s *evidence.Snapshot, p string, optional bool) error {
		b, err := s.ReadFile(p)
		if err != nil {
			if optional {
				return nil
			}
			return fmt.Errorf("export: read %s at %s: %w", p, s.Commit.String()[:12], err)
		}
		add("evidence/"+p, b)
		return nil
	}
	m := closing.Manifest
	for _, p := range []string{evidence.ManifestPath, m.Config.Path} {
		if err := read(closing, p, false); err != nil {
			return nil, err
		}
	}
	if err := read(closing, evidence.ManifestBundlePath, true); err != nil {
		return nil, err
	}
	for _, t := range m.Trust {
		if err := read(closing, t.Path, false); err != nil {
			return nil, err
		}
	}
	for _, it := range m.Items {
		if it.Period == o.Period {
			if err := read(closing, it.Path, false); err != nil {
				return nil, err
			}
		}
	}
	for _, s := range inPeriod {
		dir := fmt.Sprintf("history/%04d-%s/", s.Manifest.Sequence, s.Commit.String()[:12])
		for _, p := range []string{evidence.ManifestPath, evidence.ManifestBundlePath} {
			if b, err := s.ReadFile(p); err == nil {
				add(dir+p, b)
			} else if p == evidence.ManifestPath {
				return nil, fmt.Errorf("export: read %s at %s: %w", p, s.Commit.String()[:12], err)
			}
		}
	}

	tmp, err := os.MkdirTemp("", "evident-export-")
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	defer os.RemoveAll(tmp)
	siteDir := filepath.Join(tmp, "site")
	rep, err := Build(BuildOptions{EvidenceDir: o.EvidenceDir, SiteDir: siteDir, Rev: closing.Commit.String(), Registry: o.Registry, ConfigPath: o.ConfigPath})
	if err != nil {
		return nil, fmt.Errorf("export: build the site as of the close: %w", err)
	}
	err = filepath.WalkDir(siteDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if strings.HasPrefix(d.Name(), ".") {
			return nil // build bookkeeping, not part of the site
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(siteDir, p)
		add("site/"+filepath.ToSlash(rel), b)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("export: read the built site: %w", err)
	}

	cat, err := check.CatalogOf(closing, o.Registry)
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	name := PackageName(cat.Organization.Name, o.Period)
	add("INDEX.md", packageIndex(name, closing, cat, rep, files))
	add("VERIFY.md", []byte(verifyGuide(name, closing)))

	pkg := &export.Package{Name: name, Time: m.Finished, Files: files}
	if err := os.MkdirAll(o.OutDir, 0o755); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	res := &ExportResult{Name: name, Closing: closing, Files: len(files) + 1}
	// Both archives are made in memory first: a failure leaves nothing
	// half-written in the output folder.
	var tgz, zp bytes.Buffer
	if err := pkg.WriteTarGz(&tgz); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	if err := pkg.WriteZip(&zp); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	for _, a := range []struct {
		ext  string
		data []byte
	}{{".tar.gz", tgz.Bytes()}, {".zip", zp.Bytes()}} {
		p := filepath.Join(o.OutDir, name+a.ext)
		if err := writeFileAtomic(p, a.data); err != nil {
			return nil, fmt.Errorf("export: %w", err)
		}
		res.Archives = append(res.Archives, p)
		logf("wrote %s (%d bytes)", p, len(a.data))
	}
	return res, nil
}

func writeFileAtomic(p string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(p), "."+filepath.Base(p)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(f.Name(), p)
}

// packageIndex is INDEX.md: what the package holds, by the evidence an
// auditor requests, each control's files with their digests.
func packageIndex(name string, closing *evidence.Snapshot, cat *catalog.Catalog, rep *check.Report, files []export.File) []byte {
	m := closing.Manifest
	have := map[string]bool{}
	for _, f := range files {
		have[f.Path] = true
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", name)
	fmt.Fprintf(&b, "Evidence package for SOX 404 IT general controls: %s", mdText(cat.Organization.Name))
	if cat.Organization.System != "" {
		fmt.Fprintf(&b, ", %s", mdText(cat.Organization.System))
	}
	fmt.Fprintf(&b, ", period %s (%s to %s).\n\n", m.Period.ID, m.Period.Start.Format("2006-01-02"), m.Period.End.AddDate(0, 0, -1).Format("2006-01-02"))
	fmt.Fprintf(&b, "As of the period's closing snapshot: #%d, evidence commit `%s`, collected %s (run `%s`).\n\n",
		m.Sequence, closing.Commit, m.Finished.Format("2006-01-02 15:04 MST"), m.RunID)
	b.WriteString("Check the files first: `sha256sum -c SHA256SUMS`, then see VERIFY.md for the signatures and the hash chain.\n\n")
	b.WriteString("## Contents\n\n")
	b.WriteString("| Path | What it is |\n|---|---|\n")
	for _, row := range [][2]string{
		{"site/index.html", "the evidence site as of the close: dashboard, control pages, history"},
		{"site/readiness.html", "the quarterly readiness checklist"},
		{"site/reviews.html", "the quarterly access review"},
		{"site/attestation/", "CFO and CIO attestation letter drafts (HTML and Markdown)"},
		{"site/findings.html", "findings, deficiency classes and management action plans"},
		{"site/samples.html", "populations and reproducible samples (CSV in site/samples/)"},
		{"site/verify/index.html", "integrity verification of the evidence history"},
		{"evidence/", "the closing snapshot's manifest, signature bundle, config, trusted keys and the period's evidence items"},
		{"history/", "every manifest and signature bundle of the period, oldest to newest by sequence number"},
	} {
		fmt.Fprintf(&b, "| `%s` | %s |\n", row[0], row[1])
	}
	b.WriteString("\n")
	for _, sec := range packageContents(cat, rep, m, func(p string) bool { return have["evidence/"+p] }) {
		fmt.Fprintf(&b, "## %s\n\n", sec.Name)
		for _, c := range sec.Controls {
			fmt.Fprintf(&b, "### %s — %s (%s)\n\n", c.ID, mdText(c.Title), c.Outcome)
			fmt.Fprintf(&b, "Control page: `site/controls/%s.html`\n\n", c.ID)
			for _, f := range c.Files {
				fmt.Fprintf(&b, "- `evidence/%s` (%s) sha256 `%s`\n", f.Path, f.Collector, f.SHA256)
			}
			if len(c.Files) == 0 {
				b.WriteString("- no evidence file of this period backs this control\n")
			}
			b.WriteString("\n")
		}
	}
	return []byte(b.String())
}

// packageContents groups the controls by the evidence auditors request,
// each with the evidence files of the period (those keep says are in the
// package) that back it.
func packageContents(cat *catalog.Catalog, rep *check.Report, m *evidence.Manifest, keep func(path string) bool) []site.PackageSection {
	digest := map[string]string{}
	for _, it := range m.Items {
		digest[it.Path] = it.SHA256
	}
	results := map[string]check.ControlResult{}
	for _, r := range rep.Controls {
		results[r.ID] = r
	}
	var out []site.PackageSection
	for _, sec := range packageSections {
		ps := site.PackageSection{Name: sec.Name}
		for i := range cat.Controls {
			c := &cat.Controls[i]
			if !slices.Contains(sec.Families, c.Family) {
				continue
			}
			r := results[c.ID]
			pc := site.PackageControl{ID: c.ID, Title: c.Title, Outcome: string(r.Outcome)}
			for _, e := range r.Evidence {
				for _, p := range e.Paths {
					if keep(p) {
						pc.Files = append(pc.Files, site.PackageFile{Path: p, Collector: e.Collector, SHA256: digest[p]})
					}
				}
			}
			ps.Controls = append(ps.Controls, pc)
		}
		if len(ps.Controls) > 0 {
			out = append(out, ps)
		}
	}
	return out
}

// mdText keeps config text from opening Markdown syntax in the index.
func mdText(s string) string {
	return strings.NewReplacer("\n", " ", "|", `\|`, "`", "'", "<", "&lt;", ">", "&gt;", "[", `\[`, "]", `\]`, "*", `\*`, "_", `\_`).Replace(s)
}

func verifyGuide(name string, closing *evidence.Snapshot) string {
	return "# Verifying " + name + "\n\n" +
		"1. Every file against its digest: `sha256sum -c SHA256SUMS` (run in this folder).\n" +
		"2. Every evidence file against the manifest that vouches for it: each line of `evidence/manifest.json` `items` gives its sha256; `sha256sum evidence/items/...` must match.\n" +
		"3. The manifest's signature: `evidence/manifest.sigstore.json` is a Sigstore bundle over `evidence/manifest.json`; verify it with `cosign verify-blob` and the identity or key the config trusts (the exact command is on `site/verify/index.html`).\n" +
		"4. The hash chain: each `history/<seq>-<commit>/manifest.json` names the sha256 of the one before it in `previous`; `sha256sum` of one manifest must equal the next one's `previous`.\n" +
		"5. Against the evidence repository itself: `git -C <evidence clone> cat-file -e " + closing.Commit.String() + "` and `evident verify --evidence <clone>` re-run every check above on the whole history.\n"
}
