package bank

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// goRepo models a Go service repository (core-ledger, payments-api).
type goRepo struct {
	tree
	cl         changelog
	name       string
	module     string
	goVersion  string
	version    [3]int
	code       []codeItem
	knobs      []*knob
	configPath string
	configHead string
	configDoc  string // markdown file recording why config values changed
	deps       []*dep
	migrations []migrationItem
	nextMig    int
	chores     []*work
	queued     []*work // follow-ups the story needs, taken first once due
	importMsg  string
}

// migrationItem is a SQL schema migration shipped with the code that needs it.
type migrationItem struct {
	name, title, sql string
}

func (g *goRepo) base() *tree           { return &g.tree }
func (g *goRepo) changelog() *changelog { return &g.cl }
func (g *goRepo) versionString() string {
	return fmt.Sprintf("v%d.%d.%d", g.version[0], g.version[1], g.version[2])
}
func (g *goRepo) initial() (string, string) {
	return "chore: import " + g.name + " from Bitbucket", g.importMsg
}

func (g *goRepo) renderConfig() { g.set(g.configPath, yamlKnobs(g.configHead, g.knobs)) }
func (g *goRepo) renderGoMod() {
	g.set("go.mod", renderGoMod(g.module, g.goVersion, g.deps))
	g.set("go.sum", renderGoSum(g.deps))
}

// shuffle randomises the order in which hand-written work is picked up, so a
// different seed tells a different (but equally plausible) story.
func (g *goRepo) shuffle(rng *rand.Rand) {
	rng.Shuffle(len(g.code), func(i, j int) { g.code[i], g.code[j] = g.code[j], g.code[i] })
	rng.Shuffle(len(g.chores), func(i, j int) { g.chores[i], g.chores[j] = g.chores[j], g.chores[i] })
}

// next picks the next PR. Dependency bumps come at a steady rate; the
// hand-written work is drawn in proportion to what is left of each kind, so
// features, config changes and chores are spread over both quarters
// instead of the features all landing first.
func (g *goRepo) next(rng *rand.Rand, at time.Time) *work {
	if len(g.queued) > 0 && !g.queued[0].notBefore.After(at) {
		w := g.queued[0]
		g.queued = g.queued[1:]
		return w
	}
	openKnobs := 0
	for _, k := range g.knobs {
		openKnobs += len(k.values) - 1 - k.pos
	}
	left := []int{len(g.code), openKnobs, len(g.migrations) - g.nextMig, len(g.chores)}
	total := 0
	for _, n := range left {
		total += n
	}
	if total == 0 || rng.Float64() < 0.2 {
		return g.depWork(rng)
	}
	x := rng.IntN(total)
	switch {
	case x < left[0]:
		it := g.code[0]
		g.code = g.code[1:]
		return g.codeWork(rng, it)
	case x < left[0]+left[1]:
		return g.knobWork(rng)
	case x < left[0]+left[1]+left[2]:
		return g.migrationWork()
	default:
		w := g.chores[0]
		g.chores = g.chores[1:]
		return w
	}
}

func (g *goRepo) codeWork(rng *rand.Rand, it codeItem) *work {
	title := fmt.Sprintf("%s(%s): %s", it.typ, it.scope, it.title)
	pkg := pkgOf(it.file)
	testFile := strings.TrimSuffix(it.file, ".go") + "_test.go"
	testHead := fmt.Sprintf("package %s\n\nimport \"testing\"\n", pkg)
	w := &work{title: title, slug: slugify(it.title), section: it.section, entry: capitalize(it.title), clChance: 0.88, preferred: it.preferred}
	if w.section == "" {
		w.section = map[string]string{"feat": "Added", "fix": "Fixed", "perf": "Changed", "refactor": "Changed"}[it.typ]
	}
	code := it.code
	separateTest := it.test != "" && rng.Float64() < 0.55
	w.steps = append(w.steps, step{subject: title, apply: func(t *tree) {
		t.appendBlock(it.file, "package "+pkg+"\n", code)
		if it.test != "" && !separateTest {
			t.appendBlock(testFile, testHead, it.test)
		}
	}})
	if separateTest {
		w.steps = append(w.steps, step{subject: fmt.Sprintf("test(%s): add unit test for %s", it.scope, funcName(it.code)), apply: func(t *tree) {
			t.appendBlock(testFile, testHead, it.test)
		}})
	}
	// Reviewers here routinely ask for errors to be wrapped; that is the
	// follow-up commit a PR most often gets.
	if strings.Contains(code, `%v", err)`) && rng.Float64() < 0.5 {
		w.steps = append(w.steps, step{subject: "Address review feedback: wrap errors with %w", apply: func(t *tree) {
			t.files[it.file] = strings.Replace(t.files[it.file], `%v", err)`, `%w", err)`, 1)
		}})
	}
	return w
}

func (g *goRepo) knobWork(rng *rand.Rand) *work {
	var open []*knob
	for _, k := range g.knobs {
		if k.pos+1 < len(k.values) {
			open = append(open, k)
		}
	}
	if len(open) == 0 {
		return nil
	}
	k := pick(rng, open)
	from, to := k.cur(), k.values[k.pos+1]
	title := fmt.Sprintf(k.subject, strings.Trim(to, `"`))
	_, short, _ := strings.Cut(title, ": ")
	w := &work{
		title: title, slug: slugify(short), section: "Changed", clChance: 0.8,
		entry: fmt.Sprintf("`%s` is now %s (was %s)", k.key, to, from),
		steps: []step{{subject: title, body: k.why, apply: func(*tree) { k.pos++; g.renderConfig() }}},
	}
	// Reviewers often ask for the change to be recorded in the config
	// history doc before they approve.
	if rng.Float64() < 0.45 {
		w.steps = append(w.steps, step{subject: "docs: record the " + k.key + " change", apply: func(t *tree) {
			t.appendLine(g.configDoc, "# Configuration history\n\nWhy each runtime setting has the value it has. Newest last.\n\n",
				fmt.Sprintf("- `%s`: %s → %s. %s", k.key, strings.Trim(from, `"`), strings.Trim(to, `"`), k.why))
		}})
	}
	return w
}

func (g *goRepo) depWork(rng *rand.Rand) *work {
	d := pick(rng, g.deps)
	from := d.version()
	nd := *d
	if rng.Float64() < 0.25 {
		nd.minor++
		nd.patch = 0
	} else {
		nd.patch++
	}
	to := nd.version()
	title := fmt.Sprintf("build(deps): bump %s from %s to %s", d.path, strings.TrimPrefix(from, "v"), strings.TrimPrefix(to, "v"))
	parts := strings.Split(d.path, "/")
	short := parts[len(parts)-1]
	if len(parts) > 1 && len(short) >= 2 && short[0] == 'v' && short[1] >= '0' && short[1] <= '9' {
		short = parts[len(parts)-2] // github.com/jackc/pgx/v5 -> pgx
	}
	return &work{
		title: title, slug: slugify("bump " + short + " " + to), section: "Changed", clChance: 0.6,
		entry: fmt.Sprintf("Bump %s to %s", d.path, to),
		steps: []step{{subject: title, apply: func(*tree) { *d = nd; g.renderGoMod() }}},
	}
}

func (g *goRepo) migrationWork() *work {
	m := g.migrations[g.nextMig]
	g.nextMig++
	n := g.nextMig + 1 // 0001 is the initial schema
	path := fmt.Sprintf("migrations/%04d_%s.sql", n, m.name)
	title := "feat(db): " + m.title
	return &work{
		title: title, slug: slugify(m.name), section: "Changed", clChance: 0.9, entry: capitalize(m.title),
		steps: []step{{subject: title, body: "Migration is additive and safe to run while the service is serving traffic.", apply: func(t *tree) {
			t.set(path, "-- "+capitalize(m.title)+".\n"+strings.TrimSpace(m.sql)+"\n")
		}}},
	}
}

// forceKnob sets a knob to a value outside its planned progression (a hotfix).
func (g *goRepo) forceKnob(key, value string) {
	for _, k := range g.knobs {
		if k.key == key {
			rest := append([]string{value}, k.values[k.pos+1:]...)
			k.values = append(k.values[:k.pos+1:k.pos+1], rest...)
			k.pos++
			g.renderConfig()
			return
		}
	}
	panic("bank: unknown knob " + key)
}

// release moves the unreleased changelog entries into a new version.
func (g *goRepo) release(at time.Time) (version string) {
	if g.cl.unreleased["Added"] != nil {
		g.version[1]++
		g.version[2] = 0
	} else {
		g.version[2]++
	}
	version = g.versionString()
	g.cl.release(strings.TrimPrefix(version, "v"), at)
	g.set("VERSION", strings.TrimPrefix(version, "v")+"\n")
	g.set("CHANGELOG.md", g.cl.render())
	return version
}

// commonChores are CI and documentation PRs both Go services receive.
func commonChores(g *goRepo, runbookName, runbook string) []*work {
	ci := func(goVer string, race, vuln, pinned bool) string {
		checkout, setup := "actions/checkout@v4", "actions/setup-go@v5"
		if pinned {
			checkout = "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2"
			setup = "actions/setup-go@0aaccfd150d50ccaeb58ebd88d36e91967a5f35b # v5.4.0"
		}
		testCmd := "go test ./..."
		if race {
			testCmd = "go test -race ./..."
		}
		s := fmt.Sprintf(`name: ci
on:
  pull_request:
  push:
    branches: [main]
permissions:
  contents: read
jobs:
  test:
    runs-on: ubuntu-24.04
    steps:
      - uses: %s
      - uses: %s
        with:
          go-version: "%s"
      - run: go vet ./...
      - run: %s
`, checkout, setup, goVer, testCmd)
		if vuln {
			s += "      - run: go run golang.org/x/vuln/cmd/govulncheck@v1.1.4 ./...\n"
		}
		return s
	}
	type ciState struct{ race, vuln, pinned bool }
	st := &ciState{}
	render := func(t *tree) { t.set(".github/workflows/ci.yaml", ci(g.goVersion, st.race, st.vuln, st.pinned)) }
	g.set(".github/workflows/ci.yaml", ci(g.goVersion, false, false, false))
	return []*work{
		{title: "ci: run tests with the race detector", slug: "ci-race", section: "Changed", clChance: 0.1,
			steps: []step{{subject: "ci: run tests with the race detector", apply: func(t *tree) { st.race = true; render(t) }}}},
		{title: "ci: run govulncheck on every pull request", slug: "ci-govulncheck", section: "Security", clChance: 0.3, entry: "CI runs govulncheck on every pull request",
			steps: []step{{subject: "ci: run govulncheck on every pull request", body: "Requested by the security team after the Q2 pen-test readout.", apply: func(t *tree) { st.vuln = true; render(t) }}}},
		{title: "ci: pin GitHub Actions to commit SHAs", slug: "ci-pin-actions", section: "Security", clChance: 0.3, entry: "Pin CI actions to immutable commit SHAs",
			steps: []step{{subject: "ci: pin GitHub Actions to commit SHAs", body: "Tags are mutable; pinning closes the supply-chain finding from the ITGC walkthrough.", apply: func(t *tree) { st.pinned = true; render(t) }}}},
		{title: "docs: add " + runbookName + " runbook", slug: "docs-runbook", section: "Changed", clChance: 0.1,
			steps: []step{{subject: "docs: add " + runbookName + " runbook", apply: func(t *tree) { t.set("docs/runbooks/"+slugify(runbookName)+".md", runbook) }}}},
		{title: "docs(readme): describe local development setup", slug: "docs-readme-dev", section: "Changed", clChance: 0,
			steps: []step{{subject: "docs(readme): describe local development setup", apply: func(t *tree) {
				t.set("README.md", strings.TrimRight(t.files["README.md"], "\n")+"\n\n## Local development\n\n```sh\ndocker compose up -d postgres\nmake migrate\ngo test ./...\n```\n")
			}}}},
	}
}
