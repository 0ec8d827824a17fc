package site

import (
	"encoding/json"
	"fmt"
	"io/fs"

	"github.com/evident-project/evident/generator/check"
	"github.com/evident-project/evident/templates"
)

// SearchEntry is one thing the site's search finds.
type SearchEntry struct {
	// Kind is shown beside the result: control, finding, principal, pull request.
	Kind string `json:"k"`
	// Title is the result's link text; Text more words it is found by.
	Title string `json:"t"`
	Text  string `json:"x,omitempty"`
	// Href is relative to the site's root, always a page or file of the site.
	Href string `json:"u"`
}

// search writes search.html, its script and its index. The index is a
// script (search-index.js) rather than JSON fetched at run time, so search
// works from file:// — an unpacked evidence package — where browsers
// refuse fetch. The script puts evidence text in the page only through
// textContent, never as markup.
func (b *builder) search() {
	var entries []SearchEntry
	for _, c := range b.in.Catalog.Controls {
		entries = append(entries, SearchEntry{Kind: "control", Title: c.ID + " " + c.Title,
			Text: familyName(c.Family) + " " + c.Owner + " " + c.Objective + " " + c.Risk, Href: "controls/" + c.ID + ".html"})
	}
	for _, r := range b.in.Report.Controls {
		if r.Outcome != check.Fail && r.Outcome != check.Unknown {
			continue
		}
		text := r.Reason
		for _, a := range r.Assertions {
			if a.Outcome == check.Fail || a.Outcome == check.Unknown {
				text += " " + a.Name + " " + a.Message
				for _, f := range a.Failures {
					text += " " + f
				}
			}
		}
		entries = append(entries, SearchEntry{Kind: "finding", Title: fmt.Sprintf("%s %s (%s)", r.ID, r.Title, outcomeLabels[r.Outcome]), Text: text, Href: "findings.html"})
	}
	entries = append(entries, b.in.Search...)
	idx, err := json.Marshal(entries)
	if err != nil {
		b.w.err = fmt.Errorf("build site: search index: %w", err)
		return
	}
	// json.Marshal escapes <, > and & as \u003c..., so no evidence text can
	// close the script or open markup in it.
	b.w.write("search-index.js", append(append([]byte("window.EVIDENT_SEARCH = "), idx...), ";\n"...))
	js, err := fs.ReadFile(templates.FS, "search.js")
	if err != nil {
		b.w.err = fmt.Errorf("build site: %w", err)
		return
	}
	b.w.write("search.js", js)
	b.w.page("search.html", "layout-search", struct {
		page
		Count int
	}{page{"Search", "", b.info}, len(entries)})
}
