package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"

	"github.com/evident-project/evident/generator/blobsig"
	"github.com/evident-project/evident/generator/check"
	"github.com/evident-project/evident/generator/collect"
	"github.com/evident-project/evident/generator/evidence"
	"github.com/evident-project/evident/generator/evidence/trust"
	"github.com/evident-project/evident/generator/history"
	"github.com/evident-project/evident/generator/site"
	"github.com/evident-project/evident/generator/version"
)

// BuildOptions configures a site build.
type BuildOptions struct {
	EvidenceDir string
	SiteDir     string
	// Rev is the snapshot to render; empty means HEAD.
	Rev      string
	Registry *collect.Registry
	// History is how many runs each control page shows; default 20.
	History int
	Log     io.Writer
	// ConfigPath, when it exists, is the reviewed controls.yaml whose
	// integrity section the verification page trusts; otherwise the keys
	// recorded in the snapshot are used and the page says so.
	ConfigPath string
	// Packages also writes each period's evidence package (see Export)
	// into <site>/packages/, linked from the package page.
	Packages bool
	// CacheDir is where results derived from one snapshot or one pair of
	// snapshots (verification, history entries) are kept between builds;
	// empty means .git/evident-cache in the evidence repository. It may be
	// the folder collect keeps its ETag caches in: a CI job that persists
	// it (and the site folder, for the closed periods' pages) rebuilds
	// only what the new snapshot changed.
	CacheDir string
}

// PackagesDir is the site folder Build publishes the evidence packages in.
const PackagesDir = "packages"

// verification turns a verify result into the site's page model, with the
// exact cosign command for the declared trust. Paths in the commands are
// relative to a clone of the evidence repository with the page's downloads
// one folder up.
func verification(v *VerifyResult) *site.Verification {
	out := &site.Verification{Report: v.Report, Integrity: v.Integrity, TrustFromEvidence: v.TrustFromEvidence}
	m := v.Integrity.Manifest
	var cfg blobsig.VerifierConfig
	switch {
	case m.Key != "":
		// cosign insists on a trusted root even when only the key is
		// trusted; an empty one keeps the auditor offline.
		cfg = blobsig.VerifierConfig{PublicKeyPath: "../" + path.Base(m.Key), TrustedRootPath: "../" + blobsig.TrustedRootFileName}
		out.Downloads = map[string][]byte{blobsig.TrustedRootFileName: blobsig.EmptyTrustedRoot()}
	case m.IsKeyless():
		cfg = blobsig.VerifierConfig{CertificateIdentity: m.Keyless.Identity, CertificateIdentityRegexp: m.Keyless.IdentityRegexp, CertificateOIDCIssuer: m.Keyless.Issuer}
		if m.Keyless.TrustedRoot != "" {
			cfg.TrustedRootPath = "../" + path.Base(m.Keyless.TrustedRoot)
		}
	default:
		return out
	}
	out.ManifestCommand = blobsig.AuditorCommand(evidence.ManifestPath, evidence.ManifestBundlePath, cfg)
	return out
}

// Build renders the site for one snapshot, from the evidence repository
// alone: the snapshot's period at the top, and every earlier period as it
// stood at its closing snapshot (the last one collected in it) under
// periods/<ID>/, so an auditor can open any quarter "as of" its close.
func Build(o BuildOptions) (*check.Report, error) {
	store, snap, err := openAt(o.EvidenceDir, o.Rev)
	if err != nil {
		return nil, err
	}
	closing, err := closingSnapshots(store, snap)
	if err != nil {
		return nil, err
	}
	links := periodLinks(closing)
	// A closed period's pages depend only on its closing snapshot and on
	// how the site is built, so they are kept from the previous build when
	// its key matches: a daily rebuild renders only the open period.
	kept := o.SiteDir + ".periods-kept"
	if err := os.RemoveAll(kept); err != nil {
		return nil, fmt.Errorf("build: %w", err)
	}
	if err := os.Rename(filepath.Join(o.SiteDir, "periods"), kept); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("build: keep the closed periods' pages: %w", err)
	}
	defer os.RemoveAll(kept)
	rep, err := buildOne(o, store, snap, links, "", o.SiteDir)
	if err != nil {
		return nil, err
	}
	for i, c := range closing[1:] {
		id := c.Manifest.Period.ID
		sub := periodLinks(closing)
		for j := range sub {
			sub[j].Current = j == i+1
		}
		dir := filepath.Join(o.SiteDir, "periods", id)
		key, err := periodKey(o, c, sub)
		if err != nil {
			return nil, err
		}
		if old, err := os.ReadFile(filepath.Join(kept, id, periodKeyFile)); err == nil && string(old) == key {
			if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
				return nil, fmt.Errorf("build: %w", err)
			}
			if err := os.Rename(filepath.Join(kept, id), dir); err != nil {
				return nil, fmt.Errorf("build: reuse period %s: %w", id, err)
			}
			if o.Log != nil {
				fmt.Fprintf(o.Log, "closed period %s unchanged since the last build (snapshot #%d)\n", id, c.Manifest.Sequence)
			}
			continue
		}
		if o.Log != nil {
			fmt.Fprintf(o.Log, "rendering closed period %s as of snapshot #%d\n", id, c.Manifest.Sequence)
		}
		if _, err := buildOne(o, store, c, sub, "../../", dir); err != nil {
			return nil, fmt.Errorf("build period %s: %w", id, err)
		}
		if err := os.WriteFile(filepath.Join(dir, periodKeyFile), []byte(key), 0o644); err != nil {
			return nil, fmt.Errorf("build period %s: %w", id, err)
		}
	}
	if o.Packages {
		for _, c := range closing {
			if _, err := Export(ExportOptions{EvidenceDir: o.EvidenceDir, Period: c.Manifest.Period.ID, OutDir: filepath.Join(o.SiteDir, PackagesDir),
				Rev: snap.Commit.String(), Registry: o.Registry, ConfigPath: o.ConfigPath, Log: o.Log}); err != nil {
				return nil, fmt.Errorf("build: publish the evidence package: %w", err)
			}
		}
	}
	return rep, nil
}

// periodKeyFile holds, in a closed period's folder, the key of the build
// that rendered it.
const periodKeyFile = ".evident-build"

// periodKey is everything a closed period's pages are rendered from besides
// the closing snapshot's own content (fixed by its commit): the program,
// the period selector, the reviewed config the verification page trusts,
// and the build options.
func periodKey(o BuildOptions, c *evidence.Snapshot, links []site.PeriodLink) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "evident %s\ncommit %s\nhistory %d\npackages %t\n", version.String(), c.Commit, o.History, o.Packages)
	for _, l := range links {
		asOf := l.AsOf
		if !l.Closed {
			asOf = "" // closed pages show the open period without its date
		}
		fmt.Fprintf(h, "period %s %s %t %t %s\n", l.ID, l.Href, l.Closed, l.Current, asOf)
	}
	if o.ConfigPath != "" {
		b, err := os.ReadFile(o.ConfigPath)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("build: %w", err)
		}
		// The config says which key files to trust; their content is part
		// of what the verification page states, so it is in the key too.
		fmt.Fprintf(h, "config %x\n", sha256.Sum256(b))
		if err == nil {
			cat, err := LoadCatalog(o.ConfigPath, o.Registry)
			if err != nil {
				return "", err
			}
			files, err := trust.Files(cat.Integrity, trust.DirReader(filepath.Dir(o.ConfigPath)))
			if err != nil {
				return "", fmt.Errorf("build: %w", err)
			}
			names := make([]string, 0, len(files))
			for n := range files {
				names = append(names, n)
			}
			sort.Strings(names)
			for _, n := range names {
				fmt.Fprintf(h, "trust %s %x\n", n, sha256.Sum256(files[n]))
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// closingSnapshots returns snap followed by the closing snapshot of every
// earlier period in its history, newest first.
func closingSnapshots(store *evidence.Store, snap *evidence.Snapshot) ([]*evidence.Snapshot, error) {
	out := []*evidence.Snapshot{snap}
	seen := map[string]bool{snap.Manifest.Period.ID: true}
	for h := snap.Parent; !h.IsZero(); {
		s, err := store.Snapshot(h)
		if err != nil {
			return nil, fmt.Errorf("build: read history: %w", err)
		}
		if id := s.Manifest.Period.ID; !seen[id] {
			seen[id] = true
			out = append(out, s)
		}
		h = s.Parent
	}
	return out, nil
}

// periodLinks is the period selector: the first entry is the top of the
// site, the others their periods/<ID>/ folders.
func periodLinks(closing []*evidence.Snapshot) []site.PeriodLink {
	out := make([]site.PeriodLink, len(closing))
	for i, c := range closing {
		l := site.PeriodLink{ID: c.Manifest.Period.ID, Href: "index.html", Closed: i > 0, Current: i == 0,
			AsOf: c.Manifest.Finished.Format("2006-01-02")}
		if i > 0 {
			l.Href = "periods/" + l.ID + "/index.html"
		}
		out[i] = l
	}
	return out
}

// buildOne renders one snapshot's pages into dir; top is the path from dir
// back to the top of the whole site.
func buildOne(o BuildOptions, store *evidence.Store, snap *evidence.Snapshot, periods []site.PeriodLink, top, dir string) (*check.Report, error) {
	cat, err := check.CatalogOf(snap, o.Registry)
	if err != nil {
		return nil, err
	}
	rep, err := check.EvaluateSnapshot(snap, cat, o.Registry)
	if err != nil {
		return nil, err
	}
	vres, err := verifySnapshot(context.Background(), store, snap, cat, VerifyOptions{
		ConfigPath: o.ConfigPath, Registry: o.Registry, Now: snap.Manifest.Finished, Cached: true, CacheDir: o.CacheDir,
	})
	var ver *site.Verification
	if err != nil {
		// A site that cannot show its verification (the public Sigstore
		// root unreachable offline, a trusted key file missing) still
		// renders; the page says it was not verified, and why.
		ver = &site.Verification{Integrity: cat.Integrity, Error: err.Error()}
		if o.Log != nil {
			fmt.Fprintf(o.Log, "warning: the verification page shows no result: %v\n", err)
		}
	} else {
		ver = verification(vres)
	}
	pc := &pageContext{Store: store, Snapshot: snap, Catalog: cat, Report: rep, Registry: o.Registry, Verify: vres, VerifyErr: err, Packages: o.Packages, CacheDir: o.CacheDir}
	hist, err := pc.controlHistory(o.History)
	if err != nil {
		return nil, err
	}
	in := site.Input{
		Catalog: cat, Report: rep, Manifest: snap.Manifest, Commit: snap.Commit.String(),
		History: hist, Defs: o.Registry.Defs(), ReadFile: snap.ReadFile, Version: version.String(),
		Verification: ver, Periods: periods, Top: top,
	}
	if err := pc.fill(&in); err != nil {
		return nil, err
	}
	if err := site.Build(in, dir); err != nil {
		return nil, err
	}
	if o.Log != nil {
		fmt.Fprintf(o.Log, "built site for snapshot #%d (%s) into %s\n", snap.Manifest.Sequence, snap.Commit.String()[:12], dir)
	}
	return rep, nil
}

// controlHistory is the last n runs (default 20) the control pages show,
// newest first. Each earlier run's outcomes come from its history entry
// (see historyEntries), computed once per snapshot and cached, rather than
// from checking it again on every build; only when the history cannot be
// read is each run re-checked here, so the pages still show it.
func (pc *pageContext) controlHistory(n int) ([]site.HistoryEntry, error) {
	if n <= 0 {
		n = 20
	}
	// One more than shown, so the oldest shown run can say what changed.
	snaps, err := pc.Store.History(pc.Snapshot.Commit, n+1)
	if err != nil {
		return nil, fmt.Errorf("build: read history: %w", err)
	}
	summaries := map[string]*history.Summary{}
	if entries, err := pc.history(); err == nil {
		for i := range entries {
			summaries[entries[i].Summary.Commit] = &entries[i].Summary
		}
	}
	var hist []site.HistoryEntry
	for i, s := range snaps {
		if i == n {
			break
		}
		h := site.HistoryEntry{Commit: s.Commit.String(), Manifest: s.Manifest, Changed: map[string]bool{}}
		switch sum, ok := summaries[h.Commit]; {
		case i == 0:
			h.Checked, h.Controls = true, reportControls(pc.Report)
		case ok:
			h.Checked, h.Controls = sum.Error == "", summaryControls(sum)
		default:
			if r, err := check.Snapshot(s, pc.Registry); err == nil {
				h.Checked, h.Controls = true, reportControls(r)
			}
		}
		var prev *evidence.Manifest
		if i+1 < len(snaps) {
			prev = snaps[i+1].Manifest
		}
		for _, it := range s.Manifest.Items {
			if prev == nil {
				h.Changed[it.Path] = true
				continue
			}
			if old, ok := prev.Item(it.Path); !ok || old.SHA256 != it.SHA256 {
				h.Changed[it.Path] = true
			}
		}
		hist = append(hist, h)
	}
	return hist, nil
}

func reportControls(r *check.Report) map[string]site.HistoryControl {
	out := make(map[string]site.HistoryControl, len(r.Controls))
	for _, c := range r.Controls {
		var paths []string
		seen := map[string]bool{}
		for _, e := range c.Evidence {
			for _, p := range e.Paths {
				if !seen[p] {
					seen[p] = true
					paths = append(paths, p)
				}
			}
		}
		sort.Strings(paths)
		out[c.ID] = site.HistoryControl{Outcome: c.Outcome, Paths: paths}
	}
	return out
}

func summaryControls(s *history.Summary) map[string]site.HistoryControl {
	out := make(map[string]site.HistoryControl, len(s.Controls))
	for _, c := range s.Controls {
		out[c.ID] = site.HistoryControl{Outcome: c.Outcome, Paths: c.Paths}
	}
	return out
}
