// Package browsertest drives a real headless Chromium over the DevTools
// protocol (chromedp) for the site's browser tests: it serves a built site
// on loopback, visits pages, and reports what a user's browser would show
// as wrong — console errors, failed requests, broken links, accessibility
// violations (axe-core) — and takes screenshots in screen and print media.
package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/evident-project/evident/internal/testtools"
)

// Browser is one Chromium with one tab, serving one site folder.
type Browser struct {
	t    testing.TB
	ctx  context.Context
	Dir  string
	Base string

	mu     sync.Mutex
	events []string
}

// Start serves dir on loopback and starts Chromium (see testtools.Chromium)
// with the flags a closed network needs: without the background-networking
// ones, Chromium keeps calling Google's hosts and logs the refusals.
func Start(t testing.TB, dir string) *Browser {
	t.Helper()
	exe := testtools.Chromium(t)
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	t.Cleanup(srv.Close)

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })

	b := &Browser{t: t, ctx: ctx, Dir: dir, Base: srv.URL + "/"}
	if err := chromedp.Listen(ctx, b.record); err != nil {
		t.Fatalf("start chromium %s: %v", exe, err)
	}
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatalf("chromium: enable network events: %v", err)
	}
	if _, err := chromedp.Call(ctx, log.Enable, struct{}{}); err != nil {
		t.Fatalf("chromium: enable log events: %v", err)
	}
	return b
}

// record keeps what a user would see as an error; it runs on the reading
// goroutine, so it only appends under the lock.
func (b *Browser) record(ev any) {
	var msg string
	switch e := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeAssert {
			var parts []string
			for _, a := range e.Args {
				parts = append(parts, strings.Trim(string(a.Value), `"`)+a.Description)
			}
			msg = "console." + string(e.Type) + ": " + strings.Join(parts, " ")
		}
	case *runtime.EventExceptionThrown:
		msg = "uncaught exception: " + e.ExceptionDetails.Text
		if e.ExceptionDetails.Exception != nil {
			msg += " " + e.ExceptionDetails.Exception.Description
		}
	case *log.EventEntryAdded:
		if e.Entry.Level == log.EntryLevelError {
			msg = "browser log (" + string(e.Entry.Source) + "): " + e.Entry.Text + " " + e.Entry.URL
		}
	case *network.EventLoadingFailed:
		msg = "request failed: " + e.ErrorText + " " + string(e.BlockedReason)
	case *network.EventResponseReceived:
		if e.Response.Status >= 400 {
			msg = fmt.Sprintf("HTTP %d for %s", e.Response.Status, e.Response.URL)
		}
	}
	if msg != "" {
		b.mu.Lock()
		b.events = append(b.events, msg)
		b.mu.Unlock()
	}
}

// Page is what one visit saw.
type Page struct {
	URL string
	// Problems are console errors, exceptions and failed requests, in order.
	Problems []string
	// Links are the absolute URLs of every a[href], link[href], script[src]
	// and img[src] on the page.
	Links []string
}

// Visit loads rel (a path under the site) in the given media ("screen" or
// "print") and reports what the page did.
func (b *Browser) Visit(rel, media string) (*Page, error) {
	b.mu.Lock()
	b.events = nil
	b.mu.Unlock()
	u := b.Base + rel
	if _, err := chromedp.Call(b.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: media}); err != nil {
		return nil, fmt.Errorf("emulate %s media: %w", media, err)
	}
	if err := chromedp.Do(b.ctx, chromedp.Navigate(u)); err != nil {
		return nil, fmt.Errorf("load %s: %w", u, err)
	}
	links, err := Eval[[]string](b, `Array.from(document.querySelectorAll('a[href],link[href],script[src],img[src]')).map(e => e.href || e.src)`)
	if err != nil {
		return nil, err
	}
	// Let late errors (a script's deferred work, an image) arrive.
	if err := chromedp.Do(b.ctx, chromedp.Sleep(50*time.Millisecond)); err != nil {
		return nil, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return &Page{URL: u, Problems: append([]string(nil), b.events...), Links: links}, nil
}

// Eval evaluates a JavaScript expression on the current page.
func Eval[T any](b *Browser, expr string) (T, error) {
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		return v, fmt.Errorf("evaluate %.60q: %w", expr, err)
	}
	return v, nil
}

// Do runs chromedp actions on the tab (typing, clicking, waiting).
func (b *Browser) Do(steps ...chromedp.Action[chromedp.Void]) error {
	return chromedp.Do(b.ctx, steps...)
}

// Screenshot writes a full-page PNG of the current page.
func (b *Browser) Screenshot(file string) error {
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		return fmt.Errorf("screenshot: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return err
	}
	return os.WriteFile(file, png, 0o644)
}

// Violation is one axe-core rule the page breaks.
type Violation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target []any  `json:"target"`
		HTML   string `json:"html"`
	} `json:"nodes"`
}

func (v Violation) String() string {
	var where []string
	for i, n := range v.Nodes {
		if i == 3 {
			where = append(where, fmt.Sprintf("and %d more", len(v.Nodes)-3))
			break
		}
		where = append(where, fmt.Sprint(n.Target...)+" "+n.HTML)
	}
	return fmt.Sprintf("%s (%s): %s at %s", v.ID, v.Impact, v.Help, strings.Join(where, "; "))
}

// Axe runs axe-core's WCAG 2 A/AA rules on the current page. The script is
// evaluated into the page rather than served, so the site stays as built.
func (b *Browser) Axe(script []byte) ([]Violation, error) {
	if _, err := Eval[chromedp.Void](b, string(script)); err != nil {
		return nil, fmt.Errorf("load axe-core: %w", err)
	}
	raw, err := Eval[[]byte](b, `axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}}).then(r => r.violations)`)
	if err != nil {
		return nil, fmt.Errorf("run axe-core: %w", err)
	}
	var out []Violation
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("read axe-core result: %w", err)
	}
	return out, nil
}

// LocalTarget maps a link on the served site to the file it names and its
// fragment; ok is false for links elsewhere (which a static site must not
// have, see the tests).
func (b *Browser) LocalTarget(link string) (file, fragment string, ok bool) {
	u, err := url.Parse(link)
	if err != nil || !strings.HasPrefix(link, b.Base) {
		return "", "", false
	}
	p := path.Clean("/" + u.Path)
	if strings.HasSuffix(u.Path, "/") {
		p += "/index.html"
	}
	return filepath.Join(b.Dir, filepath.FromSlash(p)), u.Fragment, true
}
