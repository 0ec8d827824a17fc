// Package demo builds the embedded demo: a fictional bank's repositories
// with two quarters of history, its GitHub organisation (served in-process,
// derived from those repositories), its config repository (the default
// control pack pointed at both, plus the human records controls expect),
// and an evidence repository filled by collection runs at several simulated
// dates. Same seed, same bytes.
package demo

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/evident-project/evident"
	"github.com/evident-project/evident/generator/collect"
	"github.com/evident-project/evident/generator/collect/github/fakegithub"
	"github.com/evident-project/evident/generator/demo/bank"
	"github.com/evident-project/evident/generator/pipeline"
)

// Options configures a demo build.
type Options struct {
	// Out is the folder everything is written under; it is replaced.
	Out      string
	Seed     int64
	Registry *collect.Registry
	Log      io.Writer
	// Kubeconfig, when set, adds a live cluster source (with KubeContext)
	// beside the bank's GitOps folder.
	Kubeconfig  string
	KubeContext string
	// Scene, when set, runs before each collection, after the bank, its
	// GitHub organisation and its records have been advanced to the run's
	// time: tests use it to plant what the bank never produces (hostile
	// text in titles, names and messages, say). Its error stops the demo.
	Scene func(Scene) error
}

// Scene is one run's world as Options.Scene may change it.
type Scene struct {
	At time.Time
	// Run is the 1-based run number, of Runs.
	Run, Runs int
	// GitHub changes the fake organisation the collectors read.
	GitHub func(func(*fakegithub.World))
	// BankDir holds the bank's git repositories (one folder per repository
	// id); ConfigDir the config repository with its records.
	BankDir, ConfigDir string
}

// Result says where the demo put things.
type Result struct {
	ConfigPath  string
	EvidenceDir string
	SiteDir     string
	Index       string
}

// RunDates are the simulated times of the scheduled collection runs, on the
// demo's schedule (the 1st and 16th at 06:00 UTC) — except 16 August, when
// the bank's CI runners were down: a missing run that verify reports and
// the evidence-integrity control shows for Q3.
var RunDates = []time.Time{
	time.Date(2026, 7, 16, 6, 0, 0, 0, time.UTC),
	time.Date(2026, 8, 1, 6, 0, 0, 0, time.UTC),
	time.Date(2026, 9, 1, 6, 0, 0, 0, time.UTC),
	time.Date(2026, 9, 16, 6, 0, 0, 0, time.UTC),
	time.Date(2026, 10, 1, 6, 0, 0, 0, time.UTC),
	time.Date(2026, 10, 16, 6, 0, 0, 0, time.UTC),
	time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC),
	time.Date(2026, 11, 16, 6, 0, 0, 0, time.UTC),
}

// Build generates the whole demo.
func Build(ctx context.Context, o Options) (*Result, error) {
	log := o.Log
	if log == nil {
		log = io.Discard
	}
	out, err := filepath.Abs(o.Out)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	if err := os.RemoveAll(out); err != nil {
		return nil, fmt.Errorf("demo: clear %s: %w", out, err)
	}
	res := &Result{
		ConfigPath:  filepath.Join(out, "config", "controls.yaml"),
		EvidenceDir: filepath.Join(out, "evidence"),
		SiteDir:     filepath.Join(out, "site"),
	}
	res.Index = filepath.Join(res.SiteDir, "index.html")
	configDir := filepath.Dir(res.ConfigPath)
	if err := os.MkdirAll(configDir, 0o755); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	b, err := bank.New(bank.Options{Seed: o.Seed, Dir: filepath.Join(out, "bank")})
	if err != nil {
		return nil, fmt.Errorf("demo: generate bank repositories: %w", err)
	}
	signers, err := demoSigners(o.Seed, configDir)
	if err != nil {
		return nil, err
	}
	reg, artifacts, err := releases(ctx, o.Seed, configDir, o.Registry)
	if err != nil {
		return nil, err
	}
	gh := newBankGitHub(b)
	reg = reg.With(gh.collectors()...)
	if err := writeAuditLogBucketScript(configDir); err != nil {
		return nil, err
	}
	cfg, err := demoConfig(b, configDir, artifacts, o)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(res.ConfigPath, cfg, 0o644); err != nil {
		return nil, fmt.Errorf("demo: write controls.yaml: %w", err)
	}
	for i, at := range RunDates {
		if err := b.AdvanceTo(at); err != nil {
			return nil, fmt.Errorf("demo: advance bank history to %s: %w", at.Format(time.DateOnly), err)
		}
		if err := gh.advanceTo(at); err != nil {
			return nil, err
		}
		if err := writeRecords(configDir, at); err != nil {
			return nil, err
		}
		if o.Scene != nil {
			sc := Scene{At: at, Run: i + 1, Runs: len(RunDates), GitHub: gh.srv.Update, BankDir: filepath.Join(out, "bank"), ConfigDir: configDir}
			if err := o.Scene(sc); err != nil {
				return nil, fmt.Errorf("demo: scene at %s: %w", at.Format(time.DateOnly), err)
			}
		}
		fmt.Fprintf(log, "demo run %d/%d at %s\n", i+1, len(RunDates), at.Format("2006-01-02 15:04"))
		clock := simulatedClock(at)
		if _, err := pipeline.Collect(ctx, pipeline.CollectOptions{
			ConfigPath: res.ConfigPath, EvidenceDir: res.EvidenceDir, Registry: reg,
			Now: clock, Parallelism: 4, Signers: &signers,
		}); err != nil {
			return nil, fmt.Errorf("demo: collect at %s: %w", at.Format(time.DateOnly), err)
		}
	}
	if _, err := pipeline.Build(pipeline.BuildOptions{EvidenceDir: res.EvidenceDir, SiteDir: res.SiteDir, Registry: reg, Log: log, ConfigPath: res.ConfigPath, Packages: true}); err != nil {
		return nil, err
	}
	return res, nil
}

// simulatedClock returns at for the run's start and at plus a fixed
// duration afterwards, so run timestamps (and so commit hashes) are the same
// on every machine.
func simulatedClock(at time.Time) func() time.Time {
	calls := 0
	return func() time.Time {
		calls++
		if calls == 1 {
			return at
		}
		return at.Add(42 * time.Second)
	}
}

// demoConfig is the default control pack with the bank's organisation,
// sources and exceptions put in place; everything else is the pack verbatim,
// so the demo shows the controls a real organisation starts from.
func demoConfig(b *bank.Bank, configDir string, artifacts []releaseArtifact, o Options) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(evident.DefaultControls, &doc); err != nil {
		return nil, fmt.Errorf("demo: parse default controls.yaml: %w", err)
	}
	root := doc.Content[0]
	rel := func(p string) string {
		r, err := filepath.Rel(configDir, p)
		if err != nil {
			return p
		}
		return filepath.ToSlash(r)
	}
	org := map[string]any{
		"name":   "First Harbor Bank",
		"system": "Core ledger and payments platform",
		"signatories": []map[string]string{
			{"role": "Chief Financial Officer", "name": "Margaret Okafor"},
			{"role": "Chief Information Officer", "name": "Daniel Reyes"},
		},
	}
	var gitSources []map[string]any
	for _, r := range b.Repos {
		gitSources = append(gitSources, map[string]any{
			"id":     r.ID,
			"path":   rel(r.Path),
			"branch": r.Branch,
			"trusted_keys": map[string]any{
				"pgp":                 []string{rel(b.PGPKeyring)},
				"ssh_allowed_signers": []string{rel(b.AllowedSigners)},
			},
		})
	}
	exceptions := []map[string]string{{
		"id":        "EX-2026-007",
		"control":   "CM-01",
		"assertion": "all-commits-verified",
		"reason":    "Contractor laptop could not hold a signing key until the hardware token arrived; commits were reviewed in pull requests.",
		"approver":  "Chief Information Security Officer",
		"approved":  "2026-07-20",
		"expires":   "2026-10-31",
	}}
	setKey(root, "organization", org)
	var repos []string
	for _, r := range b.Repos {
		repos = append(repos, r.ID)
	}
	clusters := []map[string]any{{"id": bankCluster, "manifests": bankClusterManifest}}
	if o.Kubeconfig != "" {
		kc, err := filepath.Abs(o.Kubeconfig)
		if err != nil {
			return nil, fmt.Errorf("demo: --kubeconfig: %w", err)
		}
		live := map[string]any{"id": "live", "kubeconfig": kc}
		if o.KubeContext != "" {
			live["context"] = o.KubeContext
		}
		clusters = append(clusters, live)
	}
	setKey(root, "sources", map[string]any{
		"git": gitSources,
		"github": []map[string]any{{
			"id": bankOrg, "org": bankOrg, "repos": repos, "api_url": bankGitHubAPI, "token_env": bankTokenEnv,
		}},
		// GitOps mode: the folder Flux applies to the production cluster;
		// with --kubeconfig a live cluster is read beside it.
		"kubernetes": clusters,
	})
	setKey(root, "exceptions", exceptions)
	setKey(root, "integrity", map[string]any{
		"schedule": demoSchedule,
		"manifest": map[string]any{"key": demoCosignPub},
		"commits":  map[string]any{"ssh_allowed_signers": []string{demoAllowedSigners}},
	})
	var arts []map[string]string
	for _, a := range artifacts {
		arts = append(arts, map[string]string{"name": a.Name, "image": a.Image})
	}
	if err := setEvidenceParams(root, "CI-03", "artifacts", map[string]any{"key": releaseKeyPub, "artifacts": arts}); err != nil {
		return nil, err
	}
	if err := setEvidenceParams(root, "AL-06", "lock", map[string]any{
		"argv":  []string{"sh", auditLogBucketScriptPath, "get-object-lock-configuration", "--bucket", "fhb-audit-logs", "--output", "json"},
		"parse": "json",
	}); err != nil {
		return nil, err
	}
	out, err := yaml.Marshal(&doc)
	if err != nil {
		return nil, fmt.Errorf("demo: write controls.yaml: %w", err)
	}
	return append([]byte("# Generated by `evident demo` from the default control pack.\n"), out...), nil
}

// setEvidenceParams replaces the params of one evidence declaration of one
// control in the pack.
func setEvidenceParams(root *yaml.Node, controlID, evidenceID string, params map[string]any) error {
	ctls := value(root, "controls")
	for _, ctl := range ctls.Content {
		if id := value(ctl, "id"); id == nil || id.Value != controlID {
			continue
		}
		ev := value(ctl, "evidence")
		for _, e := range ev.Content {
			if id := value(e, "id"); id != nil && id.Value == evidenceID {
				setKey(e, "params", params)
				return nil
			}
		}
	}
	return fmt.Errorf("demo: the default pack has no evidence %q in control %s", evidenceID, controlID)
}

// value returns the value node of key in mapping m, or nil.
func value(m *yaml.Node, key string) *yaml.Node {
	if m == nil {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// setKey replaces (or appends) key in a YAML mapping, keeping every other
// key and comment of the pack as it is.
func setKey(m *yaml.Node, key string, value any) {
	var v yaml.Node
	if err := v.Encode(value); err != nil {
		panic(err) // only maps and strings built above
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content[i+1] = &v
			return
		}
	}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: key}, &v)
}
