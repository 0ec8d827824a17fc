package site

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/evident-project/evident/generator/attest"
	"github.com/evident-project/evident/generator/check"
)

// AttestationInput is the period's attestation figures and the two letter
// drafts (attest.Compute).
type AttestationInput struct {
	Attestation attest.Attestation
}

// attestDir is where the letters live; their links go one level up.
const attestDir = "attestation/"

// up is the way from attestation/ back to the site root, where the
// evidence, control and verification pages are.
const up = "../"

// linkView is one link of a figure: Href is relative to attestation/ and
// empty when the target is not in the site (an item this snapshot lacks),
// which the page then names as text.
type linkView struct {
	Label, Href string
}

type controlLinkView struct {
	ID, Title, Href string
	Outcome         check.Outcome
}

type figureView struct {
	attest.Figure
	Evidence []linkView
	Controls []controlLinkView
}

type sectionView struct {
	Number  int
	Name    string
	Figures []figureView
}

type letterView struct {
	attest.Letter
	Sections []sectionView
	// Page and Markdown are the letter's files, relative to attestation/.
	Page, Markdown string
}

// attestation writes attestation/index.html, a page and a Markdown export
// per letter.
func (b *builder) attestation() {
	a := b.in.Attestation.Attestation
	var letters []letterView
	for _, l := range a.Letters {
		lv := letterView{Letter: l, Page: l.ID + ".html", Markdown: l.ID + ".md"}
		for i, s := range l.Sections {
			sv := sectionView{Number: i + 1, Name: s.Name}
			for _, f := range s.Figures {
				sv.Figures = append(sv.Figures, b.figureView(f))
			}
			lv.Sections = append(lv.Sections, sv)
		}
		letters = append(letters, lv)
	}
	var figures []figureView
	for _, f := range a.Figures {
		figures = append(figures, b.figureView(f))
	}
	type view struct {
		page
		A       attest.Attestation
		Letters []letterView
		Figures []figureView
		// Letter is set on a letter's page, nil on the index.
		Letter *letterView
	}
	b.w.page(attestDir+"index.html", "layout-attestation", view{page: page{"Attestation drafts", up, b.info}, A: a, Letters: letters, Figures: figures})
	for i := range letters {
		l := &letters[i]
		b.w.page(attestDir+l.Page, "layout-attestation", view{page: page{l.Role + " attestation (draft)", up, b.info}, A: a, Letters: letters, Letter: l})
		b.w.write(attestDir+l.Markdown, []byte(letterMarkdown(b.info, l)))
	}
}

// figureView resolves a figure's evidence and controls to site links; an
// evidence path this snapshot does not hold is named without a link.
func (b *builder) figureView(f attest.Figure) figureView {
	fv := figureView{Figure: f}
	for _, p := range f.Evidence {
		l := linkView{Label: p}
		if _, ok := b.in.Manifest.Item(p); ok || p == b.in.Manifest.Config.Path || isSnapshotFile(p) {
			l.Href = up + "evidence/" + p
		}
		fv.Evidence = append(fv.Evidence, l)
	}
	if f.ID == attest.EvidenceIntegrity {
		fv.Evidence = append(fv.Evidence, linkView{Label: "verification of the whole history", Href: up + verifyDir + "index.html"})
	}
	for _, c := range f.Controls {
		fv.Controls = append(fv.Controls, controlLinkView{ID: c.ID, Title: c.Title, Href: up + "controls/" + c.ID + ".html", Outcome: c.Outcome})
	}
	return fv
}

// isSnapshotFile reports the files the site copies besides the items.
func isSnapshotFile(p string) bool {
	return p == "manifest.json" || p == "manifest.sigstore.json"
}

// mdEscaper backslash-escapes the characters that make Markdown markup
// anywhere in a line (emphasis, code, links, HTML, tables), and flattens
// line breaks so evidence text cannot start a block of its own.
var mdEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", `*`, `\*`, `_`, `\_`, `[`, `\[`, `]`, `\]`, `<`, `\<`, `>`, `\>`,
	`|`, `\|`, `~`, `\~`, `&`, `\&`, `!`, `\!`, "\r\n", " ", "\n", " ", "\r", " ",
)

// md escapes text from evidence or config for Markdown: the characters
// above everywhere, and those that start a block (heading, list, quote,
// ordered list) when they lead the text.
func md(s string) string {
	s = mdEscaper.Replace(s)
	t := strings.TrimLeft(s, " ")
	lead := s[:len(s)-len(t)]
	switch {
	case t == "":
	case strings.ContainsRune("#+-=", rune(t[0])):
		return lead + `\` + t
	default:
		// "1. " or "1) " would start an ordered list.
		i := 0
		for i < len(t) && t[i] >= '0' && t[i] <= '9' {
			i++
		}
		if i > 0 && i < len(t) && (t[i] == '.' || t[i] == ')') {
			return lead + t[:i] + `\` + t[i:]
		}
	}
	return s
}

// mdHref percent-encodes each segment of a relative path for a
// Markdown link destination, so no character of it ends the link.
func mdHref(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if s != ".." {
			segs[i] = url.PathEscape(s)
		}
	}
	return strings.Join(segs, "/")
}

// letterMarkdown is the letter as Markdown: the same text, marks and
// links as its page, with every string from evidence or config escaped.
func letterMarkdown(info siteInfo, l *letterView) string {
	var b strings.Builder
	fmt.Fprintf(&b, "> **DRAFT — NOT SIGNED.** Generated by evident %s from evidence commit %s (snapshot #%d, as of %s). ",
		md(info.Version), md(info.Commit), info.Sequence, md(info.AsOf))
	b.WriteString("Every figure links to the evidence behind it; a statement the evidence does not support is marked EXCEPTION with its reason.\n\n")
	for _, n := range l.Notes {
		fmt.Fprintf(&b, "> Note: %s\n\n", md(n))
	}
	if l.Org != "" {
		fmt.Fprintf(&b, "**%s**\n\n", md(l.Org))
	}
	fmt.Fprintf(&b, "# %s\n\n## %s\n\n%s\n\n", md(l.Title), md(l.Subtitle), md(l.Opening))
	for _, s := range l.Sections {
		fmt.Fprintf(&b, "### %d. %s\n\n", s.Number, md(s.Name))
		for _, f := range s.Figures {
			if f.Supported {
				fmt.Fprintf(&b, "- ✅ %s", md(f.Text))
			} else {
				fmt.Fprintf(&b, "- ⚠️ **EXCEPTION:** %s. Reason: %s", md(f.Text), md(f.Exception))
			}
			var refs, ctls []string
			for _, e := range f.Evidence {
				if e.Href == "" {
					refs = append(refs, md(e.Label)+" (not in this snapshot)")
					continue
				}
				refs = append(refs, "["+md(e.Label)+"]("+mdHref(e.Href)+")")
			}
			for _, c := range f.Controls {
				ctls = append(ctls, "["+md(c.ID)+"]("+mdHref(c.Href)+") "+md(outcomeLabels[c.Outcome]))
			}
			if len(refs) > 0 {
				fmt.Fprintf(&b, " — evidence: %s", strings.Join(refs, "; "))
			}
			if len(ctls) > 0 {
				fmt.Fprintf(&b, "; controls: %s", strings.Join(ctls, ", "))
			}
			b.WriteString("\n")
			for _, d := range f.Details {
				fmt.Fprintf(&b, "  - %s\n", md(d))
			}
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "%s\n\n", md(l.Conclusion))
	name := "____________________" // left blank for the officer to write
	if l.Name != "" {
		name = md(l.Name)
	}
	fmt.Fprintf(&b, "Signature: ___________________________  \n%s, %s  \nDate: ___________________________\n", name, md(l.Role))
	return b.String()
}
