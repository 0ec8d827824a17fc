// Package pipeline runs the stages in order — catalog, collect, evidence,
// check, site — and is what every command calls. Each stage stays in its own
// package; this one only passes typed values between them.
package pipeline

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/evident-project/evident/generator/blobsig"
	"github.com/evident-project/evident/generator/catalog"
	"github.com/evident-project/evident/generator/check"
	"github.com/evident-project/evident/generator/collect"
	"github.com/evident-project/evident/generator/evidence"
	"github.com/evident-project/evident/generator/evidence/trust"
	"github.com/evident-project/evident/generator/period"
	"github.com/evident-project/evident/generator/version"
)

// CollectOptions configures one collection run.
type CollectOptions struct {
	ConfigPath  string
	EvidenceDir string
	// Period is "YYYY-QN"; empty means the period containing Now.
	Period   string
	Registry *collect.Registry
	// Now is the run's clock; nil means time.Now. The demo simulates dates with it.
	Now         func() time.Time
	Parallelism int
	Timeout     time.Duration
	Retries     int
	// CacheDir is where collectors keep state between runs (ETag caches);
	// empty means .git/evident-cache inside the evidence repository, which
	// is never committed and lasts as long as that clone does.
	CacheDir string
	// Log receives progress lines; nil discards them.
	Log io.Writer

	// SigningKey is the cosign private key file; empty means the config's
	// integrity.manifest.signing_key. SigningPassword decrypts it.
	SigningKey      string
	SigningPassword []byte
	// CommitSigningKey is the commit signing key file; empty means the
	// config's integrity.commits.signing_key.
	CommitSigningKey string
	// Keyless signs through Fulcio and Rekor when the config declares
	// integrity.manifest.keyless and no key is given.
	Keyless *blobsig.KeylessOptions
	// Signers, when set, replace all of the above (the demo signs with
	// in-memory keys).
	Signers *evidence.Signers
}

// LoadCatalog loads and validates a controls.yaml.
func LoadCatalog(path string, reg *collect.Registry) (*catalog.Catalog, error) {
	return catalog.Load(path, catalog.Options{Collectors: reg})
}

// ResolvePeriod returns the named period, or the one containing now.
func ResolvePeriod(cat *catalog.Catalog, id string, now time.Time) (period.Period, error) {
	pm, err := cat.PeriodModel()
	if err != nil {
		return period.Period{}, err
	}
	if id == "" {
		return pm.Containing(now), nil
	}
	return pm.Parse(id)
}

// Collect runs every collector the catalog needs and commits the result as
// one snapshot. Any error before the commit leaves the evidence repository
// exactly as it was.
func Collect(ctx context.Context, o CollectOptions) (*evidence.Snapshot, error) {
	now := o.Now
	if now == nil {
		now = time.Now
	}
	log := o.Log
	if log == nil {
		log = io.Discard
	}
	cat, err := LoadCatalog(o.ConfigPath, o.Registry)
	if err != nil {
		return nil, err
	}
	started := now().UTC()
	p, err := ResolvePeriod(cat, o.Period, started)
	if err != nil {
		return nil, fmt.Errorf("collect: %w", err)
	}
	baseDir, err := filepath.Abs(filepath.Dir(o.ConfigPath))
	if err != nil {
		return nil, fmt.Errorf("collect: %w", err)
	}
	// Signing is set up before anything is collected, so a wrong password
	// or a missing key fails in a second, not after an hour of collection.
	signers, err := runSigners(cat, baseDir, o)
	if err != nil {
		return nil, fmt.Errorf("collect: %w", err)
	}
	trustFiles, err := trust.Files(cat.Integrity, trust.DirReader(baseDir))
	if err != nil {
		return nil, fmt.Errorf("collect: %w", err)
	}
	tasks := collect.Plan(cat, o.Registry, p, evidence.ItemPath)
	fmt.Fprintf(log, "collecting %d evidence items for %s (%s)\n", len(tasks), p.ID, cat.Organization.Name)
	runner := &collect.Runner{
		Registry: o.Registry, Parallelism: o.Parallelism, Timeout: o.Timeout, Retries: o.Retries,
		Progress: func(done, total int, out collect.Outcome) {
			status := "ok"
			if out.Err != nil {
				status = string(collect.KindOf(out.Err)) + ": " + out.Err.Error()
			}
			fmt.Fprintf(log, "  [%d/%d] %s %s (%s)\n", done, total, out.Task.Path, status, out.Duration.Round(time.Millisecond))
		},
	}
	cacheDir := o.CacheDir
	if gitDir := filepath.Join(o.EvidenceDir, ".git"); cacheDir == "" {
		// Before the first snapshot there is no repository to keep it in,
		// and nothing cached yet; the cache then lasts the run.
		if _, err := os.Stat(gitDir); err == nil {
			cacheDir = filepath.Join(gitDir, "evident-cache")
		}
	}
	outcomes, err := runner.Run(ctx, cat, tasks, collect.Request{Period: p, Now: started, BaseDir: baseDir, EvidenceDir: o.EvidenceDir, CacheDir: cacheDir})
	if err != nil {
		return nil, err
	}
	items := map[string]*evidence.Item{}
	costs := map[string]map[string]int{}
	for _, out := range outcomes {
		items[out.Task.Path] = itemOf(out, o.Registry, p.ID)
		if out.Result != nil && len(out.Result.Cost) > 0 {
			costs[out.Task.Path] = out.Result.Cost
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("collect: interrupted before commit: %w", err)
	}
	store, err := evidence.OpenOrInit(o.EvidenceDir)
	if err != nil {
		return nil, err
	}
	finished := now().UTC()
	if finished.Before(started) {
		finished = started
	}
	snap, err := store.Commit(ctx, evidence.Run{
		RunID:      runID(finished, cat.Digest),
		Started:    started,
		Finished:   finished,
		Tool:       evidence.Tool{Name: "evident", Version: version.String()},
		Config:     cat.Raw,
		Period:     p,
		Items:      items,
		AuthorName: "evident",
		AuthorMail: "evident@localhost",
		Signers:    signers,
		TrustFiles: trustFiles,
		Costs:      costs,
	})
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "committed snapshot #%d %s: %s", snap.Manifest.Sequence, snap.Commit.String()[:12], firstLine(snap.Message))
	return snap, nil
}

// runSigners builds the run's signers from the options and the config.
func runSigners(cat *catalog.Catalog, baseDir string, o CollectOptions) (evidence.Signers, error) {
	if o.Signers != nil {
		return *o.Signers, nil
	}
	in := cat.Integrity
	so := trust.SignerOptions{Password: o.SigningPassword}
	read := func(flag, declared string) ([]byte, error) {
		p := flag
		if p == "" && declared != "" {
			p = filepath.Join(baseDir, declared)
		}
		if p == "" {
			return nil, nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("read signing key: %w", err)
		}
		return b, nil
	}
	var err error
	if so.ManifestKey, err = read(o.SigningKey, in.Manifest.SigningKey); err != nil {
		return evidence.Signers{}, err
	}
	if so.CommitKey, err = read(o.CommitSigningKey, in.Commits.SigningKey); err != nil {
		return evidence.Signers{}, err
	}
	if len(so.ManifestKey) == 0 && in.Manifest.IsKeyless() {
		so.Keyless = o.Keyless
	}
	return trust.Signers(in, so)
}

// itemOf turns a task outcome into an evidence item. A failed collector
// still yields an item: the failure is evidence, and it makes every
// dependent assertion unknown rather than silently absent.
func itemOf(out collect.Outcome, reg *collect.Registry, periodID string) *evidence.Item {
	it := &evidence.Item{
		Schema:    evidence.ItemSchema,
		Collector: out.Task.Collector,
		Source:    out.Task.SourceID,
		Period:    periodID,
		Params:    out.Task.Params,
	}
	if out.Err == nil && out.Result != nil {
		it.Provenance, it.Data = out.Result.Provenance, out.Result.Data
		return it
	}
	it.Provenance = collect.Provenance{
		Collector: out.Task.Collector,
		Reads:     []collect.Read{},
		Records:   map[string]int{},
		Error:     &collect.ErrorInfo{Kind: collect.KindOf(out.Err), Message: out.Err.Error(), Attempts: out.Attempts},
	}
	if c, ok := reg.Lookup(out.Task.Collector); ok {
		it.Provenance.Version = c.Def().Version
	}
	if out.Task.SourceID != "" {
		it.Provenance.Source = map[string]string{"id": out.Task.SourceID}
	}
	return it
}

// runID is readable (the finish time) and unique per config.
func runID(t time.Time, configDigest string) string {
	return t.UTC().Format("20060102T150405Z") + "-" + configDigest[:8]
}

func firstLine(s string) string {
	for i, r := range s {
		if r == '\n' {
			return s[:i+1]
		}
	}
	return s + "\n"
}

// CheckAt evaluates the snapshot at rev ("" or HEAD for the latest).
func CheckAt(evidenceDir, rev string, reg *collect.Registry) (*check.Report, *evidence.Snapshot, error) {
	_, snap, err := openAt(evidenceDir, rev)
	if err != nil {
		return nil, nil, err
	}
	rep, err := check.Snapshot(snap, reg)
	return rep, snap, err
}

// openAt opens the evidence repository and reads the snapshot at rev.
func openAt(evidenceDir, rev string) (*evidence.Store, *evidence.Snapshot, error) {
	if _, err := os.Stat(evidenceDir); err != nil {
		return nil, nil, fmt.Errorf("evidence repository %s: %w", evidenceDir, evidence.ErrNoSnapshot)
	}
	store, err := evidence.Open(evidenceDir)
	if err != nil {
		return nil, nil, err
	}
	h, err := store.Resolve(rev)
	if err != nil {
		return nil, nil, err
	}
	snap, err := store.Snapshot(h)
	if err != nil {
		return nil, nil, err
	}
	return store, snap, nil
}
