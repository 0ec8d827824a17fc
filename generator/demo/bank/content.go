package bank

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"time"
)

// tree is the simulated content of one repository's working tree.
type tree struct {
	files map[string]string
}

func (t *tree) set(path, content string) { t.files[path] = content }

// appendBlock adds a code block to the end of a file, creating it with head
// when it does not exist yet.
func (t *tree) appendBlock(path, head, block string) {
	cur, ok := t.files[path]
	if !ok {
		cur = head
	}
	t.files[path] = strings.TrimRight(cur, "\n") + "\n\n" + strings.TrimSpace(block) + "\n"
}

// appendLine adds a line to a list at the end of a file, creating it with
// head when it does not exist yet.
func (t *tree) appendLine(path, head, line string) {
	cur, ok := t.files[path]
	if !ok {
		cur = head
	}
	t.files[path] = cur + line + "\n"
}

// step is one commit of a piece of work.
type step struct {
	subject string
	body    string
	apply   func(t *tree)
	// by is the person who commits the step when it is not the PR's
	// author (a reviewer pushing a fix to the branch); empty otherwise.
	by string
}

// work is one pull request's worth of change.
type work struct {
	title     string // conventional-commit subject of the first commit and the PR title
	slug      string // branch name suffix
	section   string // Keep a Changelog section the change belongs in
	entry     string // changelog line (without the PR reference)
	clChance  float64
	steps     []step
	preferred []string  // person IDs who usually do this kind of work; empty means anyone
	notBefore time.Time // the story only makes sense after this date

	pr     int     // PR number, assigned when the planner takes the work up
	author *Person // who opens the PR
}

// repoModel produces the content history of one repository.
type repoModel interface {
	base() *tree
	changelog() *changelog
	initial() (subject, body string)
	next(rng *rand.Rand, at time.Time) *work
}

// changelog renders a Keep a Changelog file from structured entries so
// releases can move entries from Unreleased into a version section.
type changelog struct {
	intro      string
	unreleased map[string][]string
	history    string
}

var sectionOrder = []string{"Added", "Changed", "Fixed", "Security"}

func (c *changelog) add(section, entry string) {
	if c.unreleased == nil {
		c.unreleased = map[string][]string{}
	}
	c.unreleased[section] = append(c.unreleased[section], entry)
}

func (c *changelog) empty() bool { return len(c.unreleased) == 0 }

func (c *changelog) sections() string {
	var b strings.Builder
	for _, s := range sectionOrder {
		if len(c.unreleased[s]) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n### %s\n", s)
		for _, e := range c.unreleased[s] {
			fmt.Fprintf(&b, "- %s\n", e)
		}
	}
	return b.String()
}

func (c *changelog) release(version string, day time.Time) {
	c.history = fmt.Sprintf("## [%s] - %s\n%s\n", version, day.Format("2006-01-02"), c.sections()) + c.history
	c.unreleased = nil
}

func (c *changelog) render() string {
	return "# Changelog\n\n" + c.intro + "\n\n## [Unreleased]\n" + c.sections() + "\n" + c.history
}

// knob is a configuration value that changes over time through small PRs.
type knob struct {
	key     string
	values  []string // successive values; values[0] is the initial one
	pos     int
	subject string // commit subject; %s is the new value
	why     string // body sentence explaining the change
}

func (k *knob) cur() string { return k.values[k.pos] }

// yamlKnobs renders a flat "section.key: value" knob list as nested YAML.
func yamlKnobs(header string, knobs []*knob) string {
	var b strings.Builder
	b.WriteString(header)
	last := ""
	for _, k := range knobs {
		sec, key, _ := strings.Cut(k.key, ".")
		if sec != last {
			fmt.Fprintf(&b, "%s:\n", sec)
			last = sec
		}
		fmt.Fprintf(&b, "  %s: %s\n", key, k.values[k.pos])
	}
	return b.String()
}

// dep is a Go module dependency that gets bumped now and then.
type dep struct {
	path       string
	maj, minor int
	patch      int
}

func (d *dep) version() string { return fmt.Sprintf("v%d.%d.%d", d.maj, d.minor, d.patch) }

func renderGoMod(module, goVersion string, deps []*dep) string {
	sorted := append([]*dep(nil), deps...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].path < sorted[j].path })
	var b strings.Builder
	fmt.Fprintf(&b, "module %s\n\ngo %s\n\nrequire (\n", module, goVersion)
	for _, d := range sorted {
		fmt.Fprintf(&b, "\t%s %s\n", d.path, d.version())
	}
	b.WriteString(")\n")
	return b.String()
}

// renderGoSum writes go.sum lines whose hashes are derived from the module
// path and version, so a bump changes go.sum the way it does for real.
func renderGoSum(deps []*dep) string {
	sorted := append([]*dep(nil), deps...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].path < sorted[j].path })
	var b strings.Builder
	for _, d := range sorted {
		for _, suffix := range []string{"", "/go.mod"} {
			sum := sha256.Sum256([]byte(d.path + "@" + d.version() + suffix))
			fmt.Fprintf(&b, "%s %s%s h1:%s\n", d.path, d.version(), suffix, base64.StdEncoding.EncodeToString(sum[:]))
		}
	}
	return b.String()
}

// codeItem is a hand-written Go change: a function added to a package file,
// optionally with its unit test.
type codeItem struct {
	typ, scope, title string
	file              string // e.g. internal/ledger/journal.go
	code              string
	test              string
	section           string
	preferred         []string
}

// funcName returns the name of the first function or method in code.
func funcName(code string) string {
	for _, line := range strings.Split(code, "\n") {
		rest, ok := strings.CutPrefix(line, "func ")
		if !ok {
			continue
		}
		if strings.HasPrefix(rest, "(") {
			rest = rest[strings.Index(rest, ")")+2:]
		}
		return rest[:strings.IndexAny(rest, "([")]
	}
	return ""
}

// pkgOf returns the Go package name of a file path.
func pkgOf(file string) string {
	parts := strings.Split(file, "/")
	return parts[len(parts)-2]
}

// slugify makes a branch-name suffix, cut at a word boundary the way
// people shorten branch names.
func slugify(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if b.Len() >= 40 {
			if cut := strings.LastIndexByte(b.String()[:40], '-'); cut > 0 {
				return b.String()[:cut]
			}
			break
		}
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		default:
			if !dash && b.Len() > 0 {
				b.WriteByte('-')
				dash = true
			}
		}
	}
	return strings.Trim(b.String(), "-")
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func pick[T any](rng *rand.Rand, xs []T) T { return xs[rng.IntN(len(xs))] }
