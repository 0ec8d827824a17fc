package site_test

// The site in a real browser: Debian's headless Chromium, driven over the
// DevTools protocol, loads every page the demo builds. These are the checks
// an auditor's laptop would fail first: a console error, a request that
// 404s, a link to a page that is not there, markup a screen reader cannot
// use, and evidence text that the browser runs instead of showing.

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/evident-project/evident/generator/collect/all"
	"github.com/evident-project/evident/generator/collect/github/fakegithub"
	"github.com/evident-project/evident/generator/demo"
	"github.com/evident-project/evident/internal/browsertest"
	"github.com/evident-project/evident/internal/testtools"
)

func buildDemo(t *testing.T, scene func(demo.Scene) error) *demo.Result {
	t.Helper()
	res, err := demo.Build(context.Background(), demo.Options{Out: t.TempDir(), Seed: 1, Registry: all.Registry(), Scene: scene})
	if err != nil {
		t.Fatalf("build demo: %v", err)
	}
	return res
}

// sitePages lists every HTML page of the site, relative to it.
func sitePages(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".html") {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func browserOnly(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("browser tests run in `make test` (not under -short)")
	}
}

var idAttr = regexp.MustCompile(`\sid="([^"]+)"`)

// TestSiteInBrowser loads every page of the demo site in screen media and
// asserts a clean console, no failed request, every internal link and
// fragment resolving, and no resource from outside the site.
func TestSiteInBrowser(t *testing.T) {
	browserOnly(t)
	res := buildDemo(t, nil)
	b := browsertest.Start(t, res.SiteDir)
	pages := sitePages(t, res.SiteDir)
	if len(pages) < 20 {
		t.Fatalf("the demo site has %d pages; expected every reporting page and a page per control", len(pages))
	}
	ids := map[string]map[string]bool{}
	idsOf := func(file string) map[string]bool {
		if m, ok := ids[file]; ok {
			return m
		}
		m := map[string]bool{}
		if body, err := os.ReadFile(file); err == nil {
			for _, s := range idAttr.FindAllStringSubmatch(string(body), -1) {
				m[s[1]] = true
			}
		}
		ids[file] = m
		return m
	}
	for _, p := range pages {
		pg, err := b.Visit(p, "screen")
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		for _, prob := range pg.Problems {
			t.Errorf("%s: %s", p, prob)
		}
		for _, l := range pg.Links {
			file, frag, local := b.LocalTarget(l)
			if !local {
				continue
			}
			if _, err := os.Stat(file); err != nil {
				t.Errorf("%s: link %s: no such file in the site", p, l)
				continue
			}
			if frag != "" && strings.HasSuffix(file, ".html") && !idsOf(file)[frag] {
				t.Errorf("%s: link %s: no element with id %q there", p, l, frag)
			}
		}
		external, err := browsertest.Eval[[]string](b, `Array.from(document.querySelectorAll('link[href],script[src],img[src]')).map(e => e.href || e.src).filter(u => !u.startsWith(location.origin) && !u.startsWith('data:'))`)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range external {
			t.Errorf("%s: loads %s from outside the site; the site must work offline", p, u)
		}
	}
}

// TestSiteScreenshotsAndAccessibility writes screen and print screenshots
// of the pages auditors and executives open first into
// test-artifacts/browser/, and runs axe-core's WCAG 2.1 A/AA rules on every
// page: a serious or critical violation fails.
func TestSiteScreenshotsAndAccessibility(t *testing.T) {
	browserOnly(t)
	axe := testtools.AxeScript(t)
	res := buildDemo(t, nil)
	b := browsertest.Start(t, res.SiteDir)
	root, err := testtools.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	art := filepath.Join(root, "test-artifacts", "browser")
	shots := map[string]string{
		"index.html": "dashboard", "readiness.html": "readiness", "reviews.html": "access-review",
		"attestation/cfo.html": "cfo-letter",
	}
	for page, name := range shots {
		for _, media := range []string{"screen", "print"} {
			if _, err := b.Visit(page, media); err != nil {
				t.Fatalf("%s: %v", page, err)
			}
			f := filepath.Join(art, name+"-"+media+".png")
			if err := b.Screenshot(f); err != nil {
				t.Fatalf("%s: %v", page, err)
			}
			if fi, err := os.Stat(f); err != nil || fi.Size() < 5000 {
				t.Errorf("%s in %s media: screenshot %s is missing or blank", page, media, f)
			}
		}
	}
	for _, p := range sitePages(t, res.SiteDir) {
		if strings.HasPrefix(p, "periods/") && !strings.HasSuffix(p, "/index.html") {
			continue // the same templates as the current period's pages
		}
		if _, err := b.Visit(p, "screen"); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		vs, err := b.Axe(axe)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		for _, v := range vs {
			if v.Impact == "serious" || v.Impact == "critical" {
				t.Errorf("%s: %s", p, v)
			}
		}
	}
}

// The hostile payloads: each would run script if the site put evidence
// into the page as HTML, and set window.__evidentPwned.
var payloads = []string{
	`<script>window.__evidentPwned='script'</script>`,
	`<img src=x onerror="window.__evidentPwned='img'">`,
	`"><svg onload="window.__evidentPwned='svg'">`,
	`javascript:window.__evidentPwned='href'`,
}

// TestHostileEvidenceInBrowser plants script and HTML injection in the
// places evidence text comes from — a pull request's title and branch, a
// user name, a commit message, a markdown record — runs the whole demo, and
// asserts in the browser, on every page, that nothing ran and that the
// payloads are shown as text.
func TestHostileEvidenceInBrowser(t *testing.T) {
	browserOnly(t)
	git, err := exec.LookPath("git")
	if err != nil {
		t.Fatalf("git: %v", err)
	}
	hostileLogin := `mallory<img src=x onerror="window.__evidentPwned='login'">`
	res := buildDemo(t, func(s demo.Scene) error {
		s.GitHub(func(w *fakegithub.World) {
			for _, o := range w.Orgs {
				o.Members = append(o.Members, &fakegithub.Member{Login: hostileLogin, Role: "admin", TwoFactor: false})
				for _, r := range o.Repos {
					// The latest merged pull request, so it is in the
					// period the pages report on.
					var last *fakegithub.Pull
					for _, p := range r.Pulls {
						if !p.MergedAt.IsZero() && (last == nil || p.MergedAt.After(last.MergedAt)) {
							last = p
						}
					}
					if last != nil {
						last.Title = payloads[0] + " " + payloads[1]
						last.HeadRef = "feature/" + payloads[2]
						last.Author = hostileLogin
					}
				}
			}
		})
		if s.Run != s.Runs {
			return nil
		}
		md := "---\ndate: " + s.At.Format("2006-01-02") + "\nowner: " + strconv.Quote(payloads[2]) + "\n---\n# Tabletop " + payloads[0] + "\n\n[click](" + payloads[3] + ")\n"
		dir := filepath.Join(s.ConfigDir, "records", "incident-response", "tabletop")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, "hostile.md"), []byte(md), 0o644); err != nil {
			return err
		}
		repos, _ := filepath.Glob(filepath.Join(s.BankDir, "repos", "*", ".git"))
		for _, g := range repos {
			cmd := exec.Command(git, "-C", filepath.Dir(g), "-c", "user.name="+payloads[1], "-c", "user.email=m@example.com",
				"-c", "commit.gpgsign=false", "commit", "--allow-empty", "-m", payloads[0]+" "+payloads[1])
			if out, err := cmd.CombinedOutput(); err != nil {
				return fmt.Errorf("plant a hostile commit: %v: %s", err, out)
			}
		}
		return nil
	})
	b := browsertest.Start(t, res.SiteDir)
	shown := map[string]bool{}
	// search.html?q= renders matching index entries, so the payloads in
	// the search index are shown by the script as well as by the templates.
	for _, p := range append(sitePages(t, res.SiteDir), "search.html?q=evidentPwned") {
		pg, err := b.Visit(p, "screen")
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		for _, prob := range pg.Problems {
			t.Errorf("%s: %s", p, prob)
		}
		ran, err := browsertest.Eval[string](b, `String(window.__evidentPwned ?? '')`)
		if err != nil {
			t.Fatal(err)
		}
		if ran != "" {
			t.Errorf("%s: the %s payload ran", p, ran)
		}
		injected, err := browsertest.Eval[[]string](b, `Array.from(document.querySelectorAll('[onerror],[onload],a[href^="javascript:"]')).map(e => e.outerHTML.slice(0, 120))`)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range injected {
			t.Errorf("%s: evidence became markup: %s", p, e)
		}
		text, err := browsertest.Eval[string](b, `document.body.innerText`)
		if err != nil {
			t.Fatal(err)
		}
		for _, pl := range append(payloads, hostileLogin) {
			if strings.Contains(text, pl) {
				shown[pl] = true
			}
		}
	}
	for _, pl := range append(payloads[:3], hostileLogin) {
		if !shown[pl] {
			t.Errorf("payload %q is shown as text on no page; the test did not reach the pages it means to check", pl)
		}
	}
}

// TestSearchInBrowser types into the search page and follows a result: it
// finds principals from the access evidence and pull requests by title.
func TestSearchInBrowser(t *testing.T) {
	browserOnly(t)
	res := buildDemo(t, nil)
	b := browsertest.Start(t, res.SiteDir)
	for _, tc := range []struct{ q, kind, want string }{
		{"talvarez", "principal", "talvarez"},
		{"pin github actions", "pull request", "ci: pin GitHub Actions to commit SHAs"},
		{"CM-02", "control", "CM-02"},
	} {
		pg, err := b.Visit("search.html?q="+strings.ReplaceAll(tc.q, " ", "+"), "screen")
		if err != nil {
			t.Fatal(err)
		}
		for _, prob := range pg.Problems {
			t.Errorf("search %q: %s", tc.q, prob)
		}
		got, err := browsertest.Eval[[]string](b, `Array.from(document.querySelectorAll('#results li')).map(li => li.querySelector('.kind').textContent + ': ' + li.querySelector('a').textContent)`)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, g := range got {
			if strings.HasPrefix(g, tc.kind+": ") && strings.Contains(g, tc.want) {
				found = true
			}
		}
		if !found {
			t.Errorf("search %q: no %s result with %q among %q", tc.q, tc.kind, tc.want, got)
		}
	}
	// A query nothing matches says so.
	if _, err := b.Visit("search.html?q=zzzz-no-such-thing", "screen"); err != nil {
		t.Fatal(err)
	}
	st, err := browsertest.Eval[string](b, `document.getElementById('search-status').textContent`)
	if err != nil || st != "No results." {
		t.Errorf("status for an unmatched query = %q, %v", st, err)
	}
}
