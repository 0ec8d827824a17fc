// Command build benchmarks `evident build` over a long evidence history:
// a full build of the site, and the rebuild a daily run does after one new
// snapshot. It generates an evidence repository of -days daily snapshots
// by running the real pipeline (the default control pack, the five GitHub
// collectors reading an in-process fake GitHub organisation of -repos
// repositories into which -pulls pull requests are merged over the
// period, signed manifests and commits), packs it as a clone would be,
// and then times the evident binary as separate processes: the full build
// with every cache empty, then, for each of -runs new snapshots collected
// in between, the rebuild into the same site folder. `git archive` of the
// rendered snapshot's tree, the least a site could do (publish the
// evidence files as they are), is timed beside them for scale. Wall time,
// CPU time and peak RSS are medians; the figures go into the "site build"
// section of bench/RESULTS.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/evident-project/evident"
	"github.com/evident-project/evident/bench/internal/fixture"
	"github.com/evident-project/evident/bench/internal/measure"
	resultsfile "github.com/evident-project/evident/bench/internal/results"
	"github.com/evident-project/evident/generator/collect"
	"github.com/evident-project/evident/generator/collect/all"
	"github.com/evident-project/evident/generator/collect/github"
	"github.com/evident-project/evident/generator/collect/github/fakegithub"
	"github.com/evident-project/evident/generator/collect/github/ghapi"
	"github.com/evident-project/evident/generator/evidence"
	"github.com/evident-project/evident/generator/pipeline"
)

// heading starts this benchmark's section of the results file.
const heading = "## site build ("

const (
	org       = "bench-bank"
	apiURL    = "https://github.bench.example/api/v3/"
	tokenEnv  = "BENCH_GITHUB_TOKEN"
	token     = "accepted-only-by-the-in-process-fake"
	botLogin  = "bench-evidence"
	schedule  = "0 6 * * *"
	cosignPub = "keys/cosign.pub"
	signers   = "keys/allowed_signers"
	engineers = 60
)

func main() {
	days := flag.Int("days", 730, "daily snapshots in the generated history")
	repos := flag.Int("repos", 50, "repositories in the GitHub organisation")
	pulls := flag.Int("pulls", 20000, "pull requests merged over the history")
	runs := flag.Int("runs", 3, "timed full builds, and rebuilds after one new snapshot each; medians are reported")
	results := flag.String("results", "bench/RESULTS.md", "results file whose \"site build\" section is rewritten; empty to skip")
	keep := flag.Bool("keep", false, "keep the generated repositories, sites and binary")
	bin := flag.String("bin", "", "an evident binary to time instead of building ./cmd/evident")
	profile := flag.String("profile", "", "after the timed runs, collect one more snapshot and rebuild in-process, writing a CPU profile (rebuild.cpu.pprof) into this folder")
	flag.Parse()
	log.SetFlags(0)
	if err := run(*days, *repos, *pulls, *runs, *results, *keep, *bin, *profile); err != nil {
		log.Fatal("bench build: ", err)
	}
}

func run(days, repos, pulls, runs int, results string, keep bool, bin, profile string) error {
	if days < 2 || repos < 1 || pulls < 0 || runs < 1 {
		return errors.New("-days must be at least 2, -repos and -runs at least 1")
	}
	for _, tool := range []string{"git", "go", measure.TimeBin} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%s is required on PATH: %w", tool, err)
		}
	}
	dir, err := os.MkdirTemp("", "bench-build")
	if err != nil {
		return err
	}
	defer func() {
		if keep {
			log.Printf("kept %s", dir)
		} else {
			os.RemoveAll(dir)
		}
	}()
	env := []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + dir,
		"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1", "TZ=UTC", "LC_ALL=C",
	}
	if bin == "" {
		// In its own folder: evident reads an "evident" settings file from
		// the working directory, and would take the binary for one.
		bin = filepath.Join(dir, "bin", "evident")
		build := exec.Command("go", "build", "-trimpath", "-o", bin, "./cmd/evident")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("go build ./cmd/evident: %w", err)
		}
	} else if bin, err = filepath.Abs(bin); err != nil {
		return err
	}

	// The history ends runs days before today, so the snapshots the
	// rebuilds follow are not in the future.
	now := time.Now().UTC()
	last := time.Date(now.Year(), now.Month(), now.Day(), 6, 0, 0, 0, time.UTC).AddDate(0, 0, -runs)
	if last.Add(time.Duration(runs) * 24 * time.Hour).After(now) {
		last = last.AddDate(0, 0, -1)
	}
	g, err := newGenerator(dir, repos, pulls, days, last.AddDate(0, 0, -(days-1)))
	if err != nil {
		return err
	}
	t0 := time.Now()
	for d := 0; d < days; d++ {
		if err := g.day(context.Background()); err != nil {
			return err
		}
		if (d+1)%50 == 0 || d+1 == days {
			log.Printf("  %d/%d snapshots (%d pull requests merged), %s", d+1, days, g.merged, time.Since(t0).Round(time.Second))
		}
	}
	g.genTime = time.Since(t0)
	g.generated = g.merged
	t1 := time.Now()
	if _, err := measure.Command(g.evidenceDir, env, "git", "repack", "-adq"); err != nil {
		return err
	}
	if _, err := measure.Command(g.evidenceDir, env, "git", "prune"); err != nil {
		return err
	}
	g.packTime = time.Since(t1)
	if err := g.describe(env); err != nil {
		return err
	}
	log.Printf("generated %d snapshots in %s (+ %s to pack): %s pull requests, pack %s", days, g.genTime.Round(time.Second), g.packTime.Round(time.Second),
		measure.Thousands(g.merged), measure.MiB(g.packBytes))

	site := filepath.Join(dir, "site")
	build := []string{bin, "build", "--config", g.configPath, "--evidence", g.evidenceDir, "--site", site}
	cache := filepath.Join(g.evidenceDir, ".git", "evident-cache")
	r := &report{g: g, runs: runs, load: []string{measure.LoadAvg()}}
	readAll(g.evidenceDir) // the repository in the page cache, as for every later run

	archive := filepath.Join(dir, "archive")
	for i := 0; i < runs; i++ {
		// Cold: no site to keep closed periods from, no cache of
		// verification or history entries, as on a fresh clone.
		if err := os.RemoveAll(site); err != nil {
			return err
		}
		if err := os.RemoveAll(cache); err != nil {
			return err
		}
		m, out, err := timed(g.evidenceDir, env, build)
		if err != nil {
			return err
		}
		r.full = append(r.full, m)
		r.fullLog = out
		log.Printf("  full build %d/%d: %s wall, %s cpu, %s peak RSS", i+1, runs, measure.Dur(m.Wall), measure.Dur(m.CPU), measure.MiB(m.MaxRSS))

		os.RemoveAll(archive)
		if err := os.MkdirAll(archive, 0o755); err != nil {
			return err
		}
		m, _, err = timed(g.evidenceDir, env, []string{"sh", "-c", "git archive HEAD | tar -x -C " + archive})
		if err != nil {
			return err
		}
		r.archive = append(r.archive, m)
	}
	if r.siteBytes, r.siteFiles, err = du(site); err != nil {
		return err
	}
	if r.archiveBytes, _, err = du(archive); err != nil {
		return err
	}
	if r.cacheBytes, r.cacheFiles, err = du(cache); err != nil {
		return err
	}
	for i := 0; i < runs; i++ {
		if err := g.day(context.Background()); err != nil {
			return err
		}
		readAll(g.evidenceDir)
		m, out, err := timed(g.evidenceDir, env, build)
		if err != nil {
			return err
		}
		r.rebuild = append(r.rebuild, m)
		r.rebuildLog = out
		log.Printf("  rebuild %d/%d after snapshot #%d: %s wall, %s cpu, %s peak RSS", i+1, runs, g.seq, measure.Dur(m.Wall), measure.Dur(m.CPU), measure.MiB(m.MaxRSS))
	}
	r.load = append(r.load, measure.LoadAvg())
	fmt.Print(r.table())
	if profile != "" {
		if err := g.profileRebuild(profile, site); err != nil {
			return err
		}
	}
	if results != "" {
		if err := resultsfile.Write(results, heading, r.markdown()); err != nil {
			return err
		}
		log.Printf("wrote %s", results)
	}
	return nil
}

// timed runs args once; a build that prints no site is an error.
func timed(dir string, env, args []string) (measure.Sample, string, error) {
	m, out, errOut, err := measure.Run(dir, env, args)
	if err != nil {
		return measure.Sample{}, "", err
	}
	return m, out + errOut, nil
}

// generator is the organisation, its fake GitHub and the evidence
// repository its daily runs write.
type generator struct {
	configDir, configPath, evidenceDir string
	srv                                *fakegithub.Server
	reg                                *collect.Registry
	sig                                evidence.Signers
	rng                                *rand.Rand
	repos, pulls, days                 int

	mu  sync.Mutex
	now time.Time

	next   time.Time // the next run
	seq    int       // snapshots committed
	merged int       // pull requests merged so far
	// generated is merged when the history was complete.
	generated int
	first     time.Time

	// What the organisation went through, for the report.
	directPushes, weakened, no2FA int

	genTime, packTime time.Duration
	packBytes         int64
	objects, commits  int
}

func newGenerator(dir string, repos, pulls, days int, first time.Time) (*generator, error) {
	g := &generator{
		configDir: filepath.Join(dir, "config"), evidenceDir: filepath.Join(dir, "evidence"),
		srv: fakegithub.New(nil), rng: rand.New(rand.NewPCG(7, 11)),
		repos: repos, pulls: pulls, days: days, next: first, first: first,
	}
	g.configPath = filepath.Join(g.configDir, "controls.yaml")
	var err error
	if g.sig, err = fixture.Signers(g.configDir, cosignPub, signers); err != nil {
		return nil, err
	}
	cfg, err := config()
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(g.configPath, cfg, 0o644); err != nil {
		return nil, err
	}
	g.srv.AddToken(token, fakegithub.Viewer{Login: botLogin, RepoAdmin: true, OrgOwner: true})
	g.srv.Update(g.setUp)
	// One ETag store per collector, kept across runs as a scheduled job
	// keeps its cache: each run re-reads only what changed.
	opts := func() []github.Option {
		return []github.Option{
			github.WithTransport(g.srv.Transport()),
			github.WithEnv(func(k string) (string, bool) { return token, k == tokenEnv }),
			github.WithClock(g.clock),
			github.WithStore(ghapi.NewMemStore()),
		}
	}
	g.reg = all.Registry().With(
		github.NewBranchProtection(opts()...), github.NewPulls(opts()...), github.NewAccess(opts()...),
		github.NewActions(opts()...), github.NewCodeowners(opts()...))
	return g, nil
}

// config is the default control pack with the organisation's GitHub as its
// only source: the controls reading git repositories or clusters are
// unknown, as they are for a team that has declared GitHub alone.
func config() ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(evident.DefaultControls, &doc); err != nil {
		return nil, fmt.Errorf("parse default controls.yaml: %w", err)
	}
	root := doc.Content[0]
	fixture.SetKey(root, "organization", map[string]any{"name": "Bench Bank", "system": "Payments platform"})
	fixture.SetKey(root, "sources", map[string]any{"github": []map[string]any{{"id": org, "org": org, "api_url": apiURL, "token_env": tokenEnv}}})
	fixture.SetKey(root, "integrity", map[string]any{
		"schedule": schedule,
		"manifest": map[string]any{"key": cosignPub},
		"commits":  map[string]any{"ssh_allowed_signers": []string{signers}},
	})
	return yaml.Marshal(&doc)
}

func (g *generator) clock() time.Time {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.now
}

func engineer(i int) string { return fmt.Sprintf("eng-%02d", i%engineers) }

func repoName(i int) string { return fmt.Sprintf("svc-%02d", i) }

func protection() *fakegithub.Protection {
	return &fakegithub.Protection{
		ReviewsRequired: true, RequiredApprovals: 2, DismissStaleReviews: true, RequireCodeOwnerReviews: true,
		RequireLastPushApproval: true, Contexts: []string{"ci/test"},
		AppIDs: map[string]int64{"ci/test": fakegithub.GitHubActionsAppID}, Strict: true, EnforceAdmins: true,
		Signatures: true, LinearHistory: true,
	}
}

// setUp is the organisation before the first run: owners, engineers in
// two teams, every repository's main branch protected.
func (g *generator) setUp(w *fakegithub.World) {
	o := w.Org(org)
	o.TwoFactorRequired = false
	o.Members = []*fakegithub.Member{{Login: botLogin, Role: "admin", TwoFactor: true}, {Login: "cto", Role: "admin", TwoFactor: true}, {Login: "ciso", Role: "admin", TwoFactor: true}}
	platform := &fakegithub.Team{Slug: "platform", Name: "Platform", Members: map[string]string{}, Repos: map[string]string{}}
	payments := &fakegithub.Team{Slug: "payments", Name: "Payments", Members: map[string]string{}, Repos: map[string]string{}}
	for i := 0; i < engineers; i++ {
		o.Members = append(o.Members, &fakegithub.Member{Login: engineer(i), Role: "member", TwoFactor: true})
		t := payments
		if i < 10 {
			t = platform
		}
		t.Members[engineer(i)] = "member"
	}
	o.Teams = []*fakegithub.Team{platform, payments}
	for i := 0; i < g.repos; i++ {
		r := o.Repo(repoName(i))
		r.Branch("main").Protection = protection()
		r.CodeownersPath = ".github/CODEOWNERS"
		r.Environments = []*fakegithub.Environment{{Name: "production", PreventSelfReview: true, Reviewers: []fakegithub.EnvReviewer{{Type: "Team", Name: "platform"}}}}
		platform.Repos[r.Name] = "maintain"
		payments.Repos[r.Name] = "push"
	}
}

// day moves the organisation on to the next run and collects it: the pull
// requests merged since the previous run (an even share of -pulls per
// day), and now and then what an auditor looks for — a direct push, a
// branch protection weakened for a week, an engineer without two-factor
// authentication for ten days.
func (g *generator) day(ctx context.Context) error {
	at := g.next
	d := g.seq
	share := g.pulls*(d+1)/g.days - g.pulls*d/g.days
	if d >= g.days {
		share = g.pulls / g.days
	}
	g.srv.Update(func(w *fakegithub.World) {
		o := w.Orgs[org]
		for k := 0; k < share; k++ {
			r := o.Repos[g.rng.IntN(len(o.Repos))]
			author := g.rng.IntN(engineers)
			approvers := []string{engineer(author + 1 + g.rng.IntN(engineers-2))}
			if g.rng.IntN(20) != 0 { // one change in twenty has a single approval
				second := engineer(author + 1 + g.rng.IntN(engineers-1))
				if second != approvers[0] {
					approvers = append(approvers, second)
				}
			}
			merged := at.Add(-time.Duration(1+g.rng.IntN(23*60)) * time.Minute)
			p := w.MergePR(r, fakegithub.PRSpec{Author: engineer(author), Approvers: approvers, MergedAt: merged,
				CreatedAt: merged.Add(-time.Duration(30+g.rng.IntN(48*60)) * time.Minute), Commits: 1 + g.rng.IntN(3)})
			r.WorkflowRuns = append(r.WorkflowRuns, &fakegithub.WorkflowRun{ID: w.NextID(), Name: "CI", Path: ".github/workflows/ci.yml",
				HeadSHA: p.HeadSHA, HeadBranch: p.HeadRef, Event: "pull_request", Status: "completed", Conclusion: "success", Actor: p.Author, CreatedAt: p.CreatedAt})
			g.merged++
		}
		if d%45 == 20 {
			w.DirectPush(o.Repos[g.rng.IntN(len(o.Repos))], "main", engineer(g.rng.IntN(engineers)), at.Add(-3*time.Hour), "hotfix: roll back the fee table")
			g.directPushes++
		}
		switch d % 90 {
		case 30:
			o.Repos[(d/90)%len(o.Repos)].Branch("main").Protection.RequiredApprovals = 1
			g.weakened++
		case 37:
			o.Repos[(d/90)%len(o.Repos)].Branch("main").Protection.RequiredApprovals = 2
		}
		switch d % 30 {
		case 10:
			o.Members[3+(d/30)%engineers].TwoFactor = false
			g.no2FA++
		case 20:
			o.Members[3+(d/30)%engineers].TwoFactor = true
		}
	})
	// A full hourly budget: a day has passed since the previous run.
	g.srv.SetRateLimit(15000, 15000)
	g.mu.Lock()
	g.now = at
	g.mu.Unlock()
	calls := 0
	clock := func() time.Time {
		calls++
		if calls == 1 {
			return at
		}
		return at.Add(42 * time.Second)
	}
	if _, err := pipeline.Collect(ctx, pipeline.CollectOptions{
		ConfigPath: g.configPath, EvidenceDir: g.evidenceDir, Registry: g.reg,
		Now: clock, Parallelism: 4, Signers: &g.sig,
	}); err != nil {
		return fmt.Errorf("collect at %s: %w", at.Format(time.DateOnly), err)
	}
	g.seq++
	g.next = at.AddDate(0, 0, 1)
	return nil
}

// profileRebuild collects one more snapshot and rebuilds the site
// in-process under the CPU profiler.
func (g *generator) profileRebuild(dir, site string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := g.day(context.Background()); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(dir, "rebuild.cpu.pprof"))
	if err != nil {
		return err
	}
	defer f.Close()
	if err := pprof.StartCPUProfile(f); err != nil {
		return err
	}
	start := time.Now()
	_, err = pipeline.Build(pipeline.BuildOptions{EvidenceDir: g.evidenceDir, SiteDir: site, Registry: all.Registry(), ConfigPath: g.configPath})
	pprof.StopCPUProfile()
	if err != nil {
		return err
	}
	log.Printf("profiled an in-process rebuild (%s) into %s", time.Since(start).Round(time.Millisecond), dir)
	return nil
}

// describe counts the packed repository's objects.
func (g *generator) describe(env []string) error {
	out, err := measure.Command(g.evidenceDir, env, "git", "count-objects", "-v")
	if err != nil {
		return err
	}
	for _, l := range strings.Split(out, "\n") {
		k, v, _ := strings.Cut(l, ": ")
		var n int64
		fmt.Sscan(v, &n)
		switch k {
		case "size-pack":
			g.packBytes = n << 10
		case "in-pack":
			g.objects = int(n)
		}
	}
	out, err = measure.Command(g.evidenceDir, env, "git", "rev-list", "--count", "HEAD")
	if err != nil {
		return err
	}
	_, err = fmt.Sscan(out, &g.commits)
	return err
}

// readAll reads every file under dir once, so the timed runs find it in
// the page cache.
func readAll(dir string) {
	filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err == nil && e.Type().IsRegular() {
			os.ReadFile(p)
		}
		return nil
	})
}

// du is the bytes and files under dir.
func du(dir string) (bytes int64, files int, err error) {
	err = filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.Type().IsRegular() {
			fi, err := e.Info()
			if err != nil {
				return err
			}
			bytes += fi.Size()
			files++
		}
		return nil
	})
	return bytes, files, err
}

type report struct {
	g                       *generator
	runs                    int
	full, rebuild, archive  []measure.Sample
	fullLog, rebuildLog     string
	siteBytes, archiveBytes int64
	siteFiles               int
	cacheBytes              int64
	cacheFiles              int
	load                    []string
}

func (r *report) table() string {
	full, re, ar := measure.Median(r.full), measure.Median(r.rebuild), measure.Median(r.archive)
	var b strings.Builder
	fmt.Fprintf(&b, "| run | wall | CPU user+sys | peak RSS | ÷ full build: wall / CPU |\n|---|---:|---:|---:|---:|\n")
	row := func(name string, m measure.Sample) {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %.1f%% / %.1f%% |\n", name, measure.Dur(m.Wall), measure.Dur(m.CPU), measure.MiB(m.MaxRSS),
			100*m.Wall.Seconds()/full.Wall.Seconds(), 100*m.CPU.Seconds()/full.CPU.Seconds())
	}
	row(fmt.Sprintf("full build of snapshot #%d, every cache empty", r.g.days), full)
	row("rebuild after one new snapshot", re)
	row("`git archive HEAD | tar -x` (the raw evidence, unrendered)", ar)
	return b.String()
}

func (r *report) markdown() string {
	g := r.g
	var b strings.Builder
	fmt.Fprintf(&b, "%s%s daily snapshots, %d repositories, %s merged pull requests)\n\n", heading, measure.Thousands(g.days), g.repos, measure.Thousands(g.pulls))
	fmt.Fprintf(&b, "Command: `bash bench/build.sh` (runs `go run ./bench/build -days %d -repos %d -pulls %d -runs %d`); recorded %s on %s/%s, nproc %d, %s, %s. "+
		"1-minute load average %s before the timed runs, %s after.\n\n",
		g.days, g.repos, g.pulls, r.runs, time.Now().UTC().Format(time.DateOnly), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(),
		measure.ToolVersions([]string{"git", "--version"}), r.load[0], r.load[len(r.load)-1])
	fmt.Fprintf(&b, "The repository: %s snapshots, one per daily run (schedule `%s`) from %s, each collected by the real pipeline (`pipeline.Collect`) with the default control pack "+
		"and the five GitHub collectors reading an in-process fake GitHub organisation of %d repositories, 60 engineers in two teams and 3 owners, with the ETag store kept between runs as a scheduled job keeps it. "+
		"%s pull requests were merged over the two years (an even share a day, one in twenty with a single approval, 1–3 commits each, a CI run for each), with %d direct pushes, %d branch protections weakened to one approval for a week and %d engineers without two-factor authentication for ten days. "+
		"Every manifest is signed (a cosign bundle, ed25519 key) and every commit carries an SSH signature. Generating took %s and packing (`git repack -ad`) %s, neither part of the benchmark: "+
		"%s objects in %s of pack, %d commits.\n\n",
		measure.Thousands(g.days), schedule, g.first.Format(time.DateOnly), g.repos, measure.Thousands(g.generated),
		g.directPushes, g.weakened, g.no2FA, g.genTime.Round(time.Second), g.packTime.Round(time.Second),
		measure.Thousands(g.objects), measure.MiB(g.packBytes), g.commits)
	fmt.Fprintf(&b, "Each figure is the median of %d runs of the evident binary as a separate process (GNU time's %%M for the peak RSS), the repository read once beforehand so it is in the page cache. "+
		"A full build starts with no site folder and no `.git/evident-cache` (a fresh clone); each rebuild follows one more snapshot collected into the same repository (%d new pull requests), into the site folder and caches the previous build left, as the scheduled job does.\n\n",
		r.runs, g.pulls/g.days)
	b.WriteString(r.table())
	fmt.Fprintf(&b, "\nThe full build wrote %s files (%s) and left %s in %d cache files; the raw tree `git archive` unpacks is %s.\n\n",
		measure.Thousands(r.siteFiles), measure.MiB(r.siteBytes), measure.MiB(r.cacheBytes), r.cacheFiles, measure.MiB(r.archiveBytes))
	// The temporary folder is this machine's, not the reader's.
	fmt.Fprintf(&b, "What the last rebuild reported:\n\n```\n%s```\n", strings.ReplaceAll(r.rebuildLog, filepath.Dir(r.g.evidenceDir), "$BENCH"))
	return b.String()
}
