package site

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"testing"
)

// svgOf returns the chart's SVG (the first one: the legend swatches follow)
// parsed as XML, which also proves it well-formed.
func svgOf(t *testing.T, html string) []xml.StartElement {
	t.Helper()
	start := strings.Index(html, "<svg")
	end := strings.Index(html, "</svg>")
	if start < 0 || end < 0 {
		t.Fatalf("no svg in %s", html)
	}
	dec := xml.NewDecoder(strings.NewReader(html[start : end+len("</svg>")]))
	var out []xml.StartElement
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("svg is not well-formed XML: %v\n%s", err, html[start:end])
		}
		if se, ok := tok.(xml.StartElement); ok {
			out = append(out, se)
		}
	}
}

func count(els []xml.StartElement, name string) int {
	n := 0
	for _, e := range els {
		if e.Name.Local == name {
			n++
		}
	}
	return n
}

func attr(e xml.StartElement, name string) string {
	for _, a := range e.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func known(v float64) ChartValue { return ChartValue{V: v, Known: true} }

func TestLineChart(t *testing.T) {
	c := Chart{
		ID: "pass", Title: "Pass rate", Kind: LineChart, Unit: "%", Max: 100, XTitle: "Snapshot",
		Labels: []string{"2026-07-16", "2026-08-01", "2026-08-16", "2026-09-01", "2026-09-16"},
		Series: []ChartSeries{
			{Name: "All controls", Values: []ChartValue{known(50), known(62.5), {Text: "unknown (collector failed)"}, known(75), known(87.5)}},
			{Name: "Key controls", Values: []ChartValue{known(40), known(40), known(40), known(40), {Text: "7 of 8", V: 87.5, Known: true}}},
		},
	}
	h, err := c.HTML()
	if err != nil {
		t.Fatal(err)
	}
	out := string(h)
	els := svgOf(t, out)
	if attr(els[0], "role") != "img" || attr(els[0], "aria-labelledby") != "pass-title pass-desc" {
		t.Errorf("svg is not an labelled image: %v", els[0].Attr)
	}
	if count(els, "title") != 1 || count(els, "desc") != 1 {
		t.Errorf("want one title and one desc, got %d, %d", count(els, "title"), count(els, "desc"))
	}
	// The unknown value breaks the line: it is never drawn as zero.
	if n := count(els, "polyline"); n != 3 {
		t.Errorf("%d polylines, want 2 for the first series (broken at the unknown value) and 1 for the second", n)
	}
	if n := count(els, "circle"); n != 9 {
		t.Errorf("%d point marks, want 9 (every known value)", n)
	}
	for _, want := range []string{
		// The description says the figures in words.
		"All controls: 50.0% at 2026-07-16, latest 87.5% at 2026-09-16; lowest 50.0% at 2026-07-16, highest 87.5% at 2026-09-16; unknown at 1 of 5 points.",
		"Key controls: 40.0% at 2026-07-16, latest 87.5% at 2026-09-16; lowest 40.0% at 2026-07-16, highest 87.5% at 2026-09-16.",
		// The text-equivalent table, with the unknown value's reason.
		`<th scope="col">Snapshot</th><th scope="col">All controls</th><th scope="col">Key controls</th>`,
		`<tr><th scope="row">2026-08-16</th><td>unknown (collector failed)</td><td>40.0%</td></tr>`,
		`<tr><th scope="row">2026-09-16</th><td>87.5%</td><td>7 of 8</td></tr>`,
		`<caption>Pass rate</caption>`,
		// Axis: 0 to 100%.
		`>0%</text>`, `>100%</text>`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
	// Series differ by dash as well as colour.
	if !strings.Contains(out, `stroke-dasharray="7 4"`) {
		t.Error("second series has no dash pattern")
	}
}

func TestChartEscapesEverything(t *testing.T) {
	evil := `<script>alert(1)</script>"'&`
	for _, kind := range []ChartKind{LineChart, BarChart} {
		c := Chart{ID: `x" onload="alert(1)`, Title: evil, Summary: evil, Kind: kind, XTitle: evil, Labels: []string{evil, "b"},
			Series: []ChartSeries{{Name: evil, Values: []ChartValue{known(1), {Text: evil}}}}}
		h, err := c.HTML()
		if err != nil {
			t.Fatal(err)
		}
		out := string(h)
		if strings.Contains(out, "<script") || strings.Contains(out, `" onload="`) {
			t.Errorf("kind %d: unescaped payload in\n%s", kind, out)
		}
		if !strings.Contains(out, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Errorf("kind %d: payload not shown as text", kind)
		}
		svgOf(t, out)
	}
}

func TestBarChart(t *testing.T) {
	c := Chart{
		ID: "periods", Title: "At each period's close", Kind: BarChart, Unit: "%", Max: 100, XTitle: "Period", OpenTable: true,
		Labels: []string{"2026-Q3", "2026-Q4"},
		Series: []ChartSeries{
			{Name: "Pass rate", Values: []ChartValue{known(50), known(100)}},
			{Name: "Verified signatures", Values: []ChartValue{{Text: "unknown (no git.commits evidence)"}, known(25)}},
		},
	}
	h, err := c.HTML()
	if err != nil {
		t.Fatal(err)
	}
	out := string(h)
	els := svgOf(t, out)
	// Three known bars; the unknown one is a "?" mark, not a zero bar.
	if n := count(els, "rect"); n != 3 {
		t.Errorf("%d bars, want 3", n)
	}
	heights := map[string]bool{}
	for _, e := range els {
		if e.Name.Local == "rect" {
			heights[attr(e, "height")] = true
		}
	}
	// plot height 192: 50% → 96, 100% → 192, 25% → 48.
	for _, h := range []string{"96.0", "192.0", "48.0"} {
		if !heights[h] {
			t.Errorf("no bar of height %s in %v", h, heights)
		}
	}
	for _, want := range []string{">?<title>Verified signatures, 2026-Q3: unknown (no git.commits evidence)</title>", `<details class="chart-data" open>`, ">2026-Q3</text>"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
}

func TestChartScalesAndTicks(t *testing.T) {
	c := Chart{Series: []ChartSeries{{Values: []ChartValue{known(3), known(47)}}}}
	if top := c.top(); top != 50 {
		t.Errorf("top %v, want 50", top)
	}
	if top := (Chart{}).top(); top != 1 {
		t.Errorf("empty chart top %v", top)
	}
	for _, tc := range []struct {
		n, max int
		want   string
	}{{3, 6, "[0 1 2]"}, {730, 6, "[0 146 292 437 583 729]"}, {7, 6, "[0 1 2 4 5 6]"}} {
		if got := fmt.Sprint(tickIndexes(tc.n, tc.max)); got != tc.want {
			t.Errorf("tickIndexes(%d, %d) = %s, want %s", tc.n, tc.max, got, tc.want)
		}
	}
	// Many points: no mark per point, but a lone known value still shows.
	vals := make([]ChartValue, 100)
	vals[50] = known(10)
	h, err := Chart{ID: "c", Kind: LineChart, Labels: make([]string, 100), Series: []ChartSeries{{Values: vals}}}.HTML()
	if err != nil {
		t.Fatal(err)
	}
	if els := svgOf(t, string(h)); count(els, "circle") != 1 || count(els, "polyline") != 0 {
		t.Errorf("lone value: %d circles, %d polylines", count(els, "circle"), count(els, "polyline"))
	}
}
