// Package site renders the static evidence site from one snapshot, its
// check report and its history. Rendering is pure: the only I/O is writing
// the output folder. Everything from evidence or config goes through
// html/template, so it is escaped.
package site

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/evident-project/evident/generator/catalog"
	"github.com/evident-project/evident/generator/check"
	"github.com/evident-project/evident/generator/collect"
	"github.com/evident-project/evident/generator/evidence"
	"github.com/evident-project/evident/templates"
)

// HistoryEntry is one past run as seen by the site: its re-checked report
// and which evidence files changed since the run before it.
type HistoryEntry struct {
	Commit   string
	Manifest *evidence.Manifest
	// Checked says the run was re-checked with its own config; Controls
	// then holds every control it declares.
	Checked  bool
	Controls map[string]HistoryControl
	// Changed holds the paths whose sha256 differs from the previous run's.
	Changed map[string]bool
}

// HistoryControl is one control's result in an earlier run: its outcome
// and the evidence items it was checked against.
type HistoryControl struct {
	Outcome check.Outcome
	Paths   []string
}

// Input is everything the site is rendered from.
type Input struct {
	Catalog  *catalog.Catalog
	Report   *check.Report
	Manifest *evidence.Manifest
	Commit   string
	// History is newest first and includes the current snapshot.
	History []HistoryEntry
	Defs    []collect.Def
	// ReadFile reads a file of the current snapshot (copied as raw evidence).
	ReadFile func(path string) ([]byte, error)
	Version  string
	// Verification is the history's verification for the "Verify this
	// evidence" page; nil renders the page as not verified.
	Verification *Verification

	// The reporting pages, each computed by its own package from the
	// snapshot and its history (see the file of the same name here).
	Readiness   ReadinessInput
	Reviews     ReviewsInput
	Attestation AttestationInput
	Samples     SamplesInput
	Findings    FindingsInput
	Trends      TrendsInput
	Package     PackageInput
	// Search are the search entries beyond controls and findings, which
	// the site adds from the report.
	Search []SearchEntry
	// Periods are the audit periods the site has pages for, newest first;
	// the period selector links to them.
	Periods []PeriodLink
	// Top is the path from this site's root to the top of the whole site:
	// "" for the current period, "../../" for a closed period rendered
	// under periods/<ID>/.
	Top string
}

// PeriodLink is one entry of the period selector.
type PeriodLink struct {
	ID string
	// Href is relative to the top of the whole site: "index.html" for the
	// current period, "periods/2026-Q3/index.html" for a closed one.
	Href string
	// Closed is true when the period ended before the rendered snapshot.
	Closed bool
	// Current marks the period these pages belong to.
	Current bool
	// AsOf is the time of the snapshot the period's pages show.
	AsOf string
}

// siteInfo is shown on every page.
type siteInfo struct {
	Org, System, Period, PeriodStart, PeriodEnd, Commit, RunID, AsOf, Version string
	Sequence                                                                  int
	// Periods and Top drive the period selector (see Input).
	Periods []PeriodLink
	Top     string
}

type page struct {
	Title string
	Root  string
	Site  siteInfo
}

// Build writes the site into dir, replacing what a previous build left there.
func Build(in Input, dir string) error {
	tmpl, err := parse()
	if err != nil {
		return err
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("build site: clear %s: %w", dir, err)
	}
	m := in.Manifest
	info := siteInfo{
		Org: in.Catalog.Organization.Name, System: in.Catalog.Organization.System,
		Period: m.Period.ID, PeriodStart: m.Period.Start.Format("2006-01-02"), PeriodEnd: m.Period.End.AddDate(0, 0, -1).Format("2006-01-02"),
		Commit: in.Commit, RunID: m.RunID, Sequence: m.Sequence, AsOf: m.Finished.Format("2006-01-02 15:04 MST"), Version: in.Version,
		Periods: in.Periods, Top: in.Top,
	}
	w := &writer{dir: dir, tmpl: tmpl}
	b := &builder{in: in, info: info, w: w}

	results := map[string]check.ControlResult{}
	for _, r := range in.Report.Controls {
		results[r.ID] = r
	}
	w.page("index.html", "layout-index", dashboard(in, info, results))
	b.findings()
	b.readiness()
	b.reviews()
	b.attestation()
	b.samples()
	b.trends()
	b.pkg()
	b.search()
	defs := map[string]collect.Def{}
	for _, d := range in.Defs {
		defs[d.Name] = d
	}
	for i := range in.Catalog.Controls {
		c := &in.Catalog.Controls[i]
		w.page("controls/"+c.ID+".html", "layout-control", controlPage(in, info, c, results[c.ID], defs))
	}
	w.page("evidence/index.html", "layout-evidence", struct {
		page
		Manifest *evidence.Manifest
		Defs     []collect.Def
	}{page{"Evidence", "../", info}, m, in.Defs})

	v := in.Verification
	if v == nil {
		v = &Verification{Integrity: in.Catalog.Integrity}
	}
	w.writeVerification(in, v, info)

	// Raw evidence, byte for byte, so auditors can sha256sum what they see.
	w.copy("evidence/"+evidence.ManifestPath, in.ReadFile, evidence.ManifestPath)
	w.copy("evidence/"+m.Config.Path, in.ReadFile, m.Config.Path)
	for _, t := range m.Trust {
		w.copy("evidence/"+t.Path, in.ReadFile, t.Path)
	}
	w.copy("evidence/"+evidence.ManifestBundlePath, optional(in.ReadFile), evidence.ManifestBundlePath)
	for _, it := range m.Items {
		w.copy("evidence/"+it.Path, in.ReadFile, it.Path)
	}
	css, err := stylesheet()
	if err != nil {
		return err
	}
	w.write("style.css", css)
	return w.err
}

// builder carries what every page needs; each reporting page is a method
// in the file named after it.
type builder struct {
	in   Input
	info siteInfo
	w    *writer
}

// stylesheet is style.css followed by each page's own stylesheet, so pages
// keep their rules beside their template and the site still loads one file.
func stylesheet() ([]byte, error) {
	names, err := fs.Glob(templates.FS, "*.css")
	if err != nil {
		return nil, fmt.Errorf("build site: %w", err)
	}
	sort.Slice(names, func(i, j int) bool {
		return names[i] == "style.css" || (names[j] != "style.css" && names[i] < names[j])
	})
	var out []byte
	for _, n := range names {
		b, err := fs.ReadFile(templates.FS, n)
		if err != nil {
			return nil, fmt.Errorf("build site: %w", err)
		}
		out = append(out, b...)
	}
	return out, nil
}

type familyView struct {
	ID       catalog.Family
	Name     string
	Total    int
	Counts   map[check.Outcome]int
	Controls []controlRow
}

type controlRow struct {
	Control *catalog.Control
	Result  check.ControlResult
}

func dashboard(in Input, info siteInfo, results map[string]check.ControlResult) any {
	var fams []familyView
	for _, f := range catalog.Families {
		fv := familyView{ID: f, Name: familyName(f), Counts: map[check.Outcome]int{}}
		for i := range in.Catalog.Controls {
			c := &in.Catalog.Controls[i]
			if c.Family != f {
				continue
			}
			r := results[c.ID]
			fv.Total++
			fv.Counts[r.Outcome]++
			fv.Controls = append(fv.Controls, controlRow{c, r})
		}
		if fv.Total > 0 {
			fams = append(fams, fv)
		}
	}
	return struct {
		page
		Report   *check.Report
		Families []familyView
	}{page{"Dashboard", "", info}, in.Report, fams}
}

type evidenceView struct {
	Result      check.EvidenceResult
	Description string
	Def         *collect.Def
	Files       []evidence.FileRef
}

type historyRow struct {
	Date, Commit, Period string
	Outcome              check.Outcome
	Changes              []string
}

func controlPage(in Input, info siteInfo, c *catalog.Control, r check.ControlResult, defs map[string]collect.Def) any {
	var evs []evidenceView
	for i, er := range r.Evidence {
		ev := evidenceView{Result: er}
		if i < len(c.Evidence) {
			ev.Description = c.Evidence[i].Description
		}
		if d, ok := defs[er.Collector]; ok {
			ev.Def = &d
		}
		for _, p := range er.Paths {
			if mi, ok := in.Manifest.Item(p); ok {
				ev.Files = append(ev.Files, mi.FileRef)
			}
		}
		evs = append(evs, ev)
	}
	var hist []historyRow
	for i, h := range in.History {
		row := historyRow{
			Date: h.Manifest.Finished.Format("2006-01-02 15:04"), Commit: h.Commit[:12], Period: h.Manifest.Period.ID,
			Outcome: check.Unknown,
		}
		var prev *HistoryControl
		if i+1 < len(in.History) && in.History[i+1].Checked {
			if pc, ok := in.History[i+1].Controls[c.ID]; ok {
				prev = &pc
			}
		}
		if cr, ok := h.Controls[c.ID]; !h.Checked {
			row.Changes = append(row.Changes, "this run's config could not be re-checked")
		} else if !ok {
			row.Outcome = check.NotApplicable
			row.Changes = append(row.Changes, "control not declared in this run's config")
		} else {
			row.Outcome = cr.Outcome
			if prev != nil && prev.Outcome != cr.Outcome {
				row.Changes = append(row.Changes, fmt.Sprintf("outcome %s → %s", prev.Outcome, cr.Outcome))
			}
			for _, p := range cr.Paths {
				if h.Changed[p] {
					row.Changes = append(row.Changes, "changed "+p)
				}
			}
		}
		hist = append(hist, row)
	}
	return struct {
		page
		Control  *catalog.Control
		Result   check.ControlResult
		Evidence []evidenceView
		History  []historyRow
	}{page{c.ID + " " + c.Title, "../", info}, c, r, evs, hist}
}

var familyNames = map[catalog.Family]string{
	catalog.FamilyChangeManagement:    "Change management",
	catalog.FamilySegregationOfDuties: "Segregation of duties",
	catalog.FamilyLogicalAccess:       "Logical access",
	catalog.FamilyPrivilegedActivity:  "Privileged activity oversight",
	catalog.FamilyAuditLogging:        "Audit logging",
	catalog.FamilyEvidenceRetention:   "Evidence and retention",
	catalog.FamilyComputerOperations:  "Computer operations",
	catalog.FamilyBackupRecovery:      "Backup and recovery",
	catalog.FamilyProgramDevelopment:  "Program development (SDLC)",
}

func familyName(f catalog.Family) string {
	if n, ok := familyNames[f]; ok {
		return n
	}
	return string(f)
}

var outcomeLabels = map[check.Outcome]string{
	check.Pass: "pass", check.Fail: "fail", check.Unknown: "unknown", check.NotApplicable: "not applicable", check.Excepted: "excepted",
}

func parse() (map[string]*template.Template, error) {
	funcs := template.FuncMap{
		"outcomes": func() []check.Outcome { return check.Outcomes },
		"label":    func(o any) string { return outcomeLabels[check.Outcome(fmt.Sprint(o))] },
		"family":   familyName,
		"join":     strings.Join,
		"bar":      stackedBar,
		"pct": func(n, total int) string {
			if total == 0 {
				return "0"
			}
			return fmt.Sprintf("%.1f", 100*float64(n)/float64(total))
		},
	}
	layout, err := fs.ReadFile(templates.FS, "layout.html")
	if err != nil {
		return nil, fmt.Errorf("build site: %w", err)
	}
	// One template set per page, so each page's "content" block stands alone.
	out := map[string]*template.Template{}
	pages, err := fs.Glob(templates.FS, "*.html")
	if err != nil {
		return nil, fmt.Errorf("build site: %w", err)
	}
	for _, file := range pages {
		name := strings.TrimSuffix(file, ".html")
		if name == "layout" {
			continue
		}
		body, err := fs.ReadFile(templates.FS, file)
		if err != nil {
			return nil, fmt.Errorf("build site: %w", err)
		}
		t, err := template.New(name).Funcs(funcs).Parse(string(layout) + string(body))
		if err != nil {
			return nil, fmt.Errorf("build site: parse %s.html: %w", name, err)
		}
		out["layout-"+name] = t
	}
	return out, nil
}

type writer struct {
	dir  string
	tmpl map[string]*template.Template
	err  error
}

func (w *writer) page(rel, name string, data any) {
	if w.err != nil {
		return
	}
	var buf bytes.Buffer
	if err := w.tmpl[name].ExecuteTemplate(&buf, "layout", data); err != nil {
		w.err = fmt.Errorf("build site: render %s: %w", rel, err)
		return
	}
	w.write(rel, buf.Bytes())
}

func (w *writer) copy(rel string, read func(string) ([]byte, error), path string) {
	if w.err != nil {
		return
	}
	b, err := read(path)
	if err != nil {
		w.err = fmt.Errorf("build site: copy evidence %s: %w", path, err)
		return
	}
	if b == nil {
		return
	}
	w.write(rel, b)
}

// optional reads a file that may be absent (an unsigned snapshot has no
// bundle): absence copies nothing rather than failing the build.
func optional(read func(string) ([]byte, error)) func(string) ([]byte, error) {
	return func(p string) ([]byte, error) {
		b, err := read(p)
		if err != nil {
			return nil, nil
		}
		return b, nil
	}
}

func (w *writer) write(rel string, b []byte) {
	if w.err != nil {
		return
	}
	full := filepath.Join(w.dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		w.err = fmt.Errorf("build site: %w", err)
		return
	}
	if err := os.WriteFile(full, b, 0o644); err != nil {
		w.err = fmt.Errorf("build site: %w", err)
	}
}

// stackedBar is the outcome bar as inline SVG: widths are attributes, not
// style, so the site's Content-Security-Policy can forbid inline styles. It
// holds only numbers and outcome names, never evidence text; the counts it
// draws are in the table beside it, and in its title.
func stackedBar(counts map[check.Outcome]int, total int) template.HTML {
	var b strings.Builder
	var title []string
	for _, o := range check.Outcomes {
		if n := counts[o]; n > 0 {
			title = append(title, fmt.Sprintf("%s %d", outcomeLabels[o], n))
		}
	}
	fmt.Fprintf(&b, `<svg class="bar" viewBox="0 0 100 1" preserveAspectRatio="none" role="img" aria-label="%s"><title>%s</title>`,
		template.HTMLEscapeString(strings.Join(title, ", ")), template.HTMLEscapeString(strings.Join(title, ", ")))
	if total > 0 {
		x := 0.0
		for _, o := range check.Outcomes {
			if n := counts[o]; n > 0 {
				w := 100 * float64(n) / float64(total)
				fmt.Fprintf(&b, `<rect class="%s" x="%.3f" y="0" width="%.3f" height="1"/>`, template.HTMLEscapeString(string(o)), x, w)
				x += w
			}
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
