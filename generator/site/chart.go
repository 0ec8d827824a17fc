package site

import (
	"bytes"
	"fmt"
	"html/template"
	"math"
	"strings"
)

// ChartKind is how a chart draws its series.
type ChartKind int

// Chart kinds.
const (
	// LineChart draws each series as a line over the labels, broken where
	// a value is unknown (never drawn as zero).
	LineChart ChartKind = iota
	// BarChart draws one group of bars per label.
	BarChart
)

// Chart is an inline SVG chart with its text equivalent: a description
// in words inside the SVG (role="img" with <title> and <desc>) and a data
// table beside it. It is drawn in Go and needs no script; every text in it
// goes through html/template, so labels from evidence are escaped.
type Chart struct {
	// ID is unique on the page; the SVG's title and desc ids derive from it.
	ID    string
	Title string
	// Summary opens the description, before the figures read from the data.
	Summary string
	Kind    ChartKind
	// Unit follows every value, e.g. "%".
	Unit string
	// Max is the top of the value axis; 0 scales to the data.
	Max float64
	// XTitle heads the table's label column.
	XTitle string
	Labels []string
	Series []ChartSeries
	// OpenTable shows the data table unfolded (for short tables).
	OpenTable bool
}

// ChartSeries is one line, or one bar of each group.
type ChartSeries struct {
	Name   string
	Values []ChartValue
}

// ChartValue is one value. Text is what the table shows (e.g. "75.0% (6 of
// 8)", or why the value is unknown); empty shows the value itself.
type ChartValue struct {
	V     float64
	Known bool
	Text  string
}

const (
	chartW, chartH                       = 720, 240
	padLeft, padRight, padTop, padBottom = 52, 16, 12, 36
	// maxDots is how many points a line may have and still mark each.
	maxDots = 60
)

// seriesStyle tells the series apart by colour and by dash, so they stay
// distinct in greyscale print and for colour-blind readers. Each colour
// has at least 3:1 contrast with white.
var seriesStyle = []struct{ Color, Dash string }{
	{"#0969da", ""}, {"#bc4c00", "7 4"}, {"#8250df", "2 3"}, {"#1a7f37", "9 3 2 3"},
}

type chartView struct {
	Chart
	W, H    int
	Desc    string
	Grid    []axisMark
	Ticks   []axisMark
	Lines   []lineView
	Bars    []barView
	Unknown []axisMark
	Rows    []chartRow
	Legend  []legendEntry
	X0, X1  string
}

type axisMark struct {
	X, Y  string
	Label string
}

type lineView struct {
	Color, Dash string
	Paths       []string
	Dots        []axisMark
}

type barView struct {
	X, Y, W, H, Color string
	Title             string
}

type chartRow struct {
	Label string
	Cells []string
}

type legendEntry struct {
	Name, Color, Dash string
}

var chartTmpl = template.Must(template.New("chart").Parse(`<figure class="chart" id="{{.ID}}">
<figcaption>{{.Title}}</figcaption>
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {{.W}} {{.H}}" role="img" aria-labelledby="{{.ID}}-title {{.ID}}-desc" class="chart-svg">
<title id="{{.ID}}-title">{{.Title}}</title>
<desc id="{{.ID}}-desc">{{.Desc}}</desc>
{{range .Grid}}<line x1="{{$.X0}}" x2="{{$.X1}}" y1="{{.Y}}" y2="{{.Y}}" stroke="#d0d7de" stroke-width="1"/>
<text x="{{.X}}" y="{{.Y}}" dy="4" text-anchor="end" font-size="12" fill="#57606a">{{.Label}}</text>
{{end}}{{range .Ticks}}<text x="{{.X}}" y="{{.Y}}" text-anchor="middle" font-size="12" fill="#57606a">{{.Label}}</text>
{{end}}{{range .Lines}}<g fill="none" stroke="{{.Color}}" stroke-width="2"{{with .Dash}} stroke-dasharray="{{.}}"{{end}}>
{{range .Paths}}<polyline points="{{.}}"/>
{{end}}{{range .Dots}}<circle cx="{{.X}}" cy="{{.Y}}" r="3" fill="#fff" stroke-dasharray="none"/>
{{end}}</g>
{{end}}{{range .Bars}}<rect x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{.H}}" fill="{{.Color}}"><title>{{.Title}}</title></rect>
{{end}}{{range .Unknown}}<text x="{{.X}}" y="{{.Y}}" text-anchor="middle" font-size="12" fill="#57606a">?<title>{{.Label}}</title></text>
{{end}}</svg>
<ul class="legend">{{range .Legend}}<li><svg viewBox="0 0 28 10" width="28" height="10" aria-hidden="true" focusable="false"><line x1="1" y1="5" x2="27" y2="5" stroke="{{.Color}}" stroke-width="3"{{with .Dash}} stroke-dasharray="{{.}}"{{end}}/></svg> {{.Name}}</li>{{end}}</ul>
<details class="chart-data"{{if .OpenTable}} open{{end}}><summary>Data table: {{.Title}}</summary>
<table>
<caption>{{.Title}}</caption>
<thead><tr><th scope="col">{{.XTitle}}</th>{{range .Series}}<th scope="col">{{.Name}}</th>{{end}}</tr></thead>
<tbody>
{{range .Rows}}<tr><th scope="row">{{.Label}}</th>{{range .Cells}}<td>{{.}}</td>{{end}}</tr>
{{end}}</tbody>
</table>
</details>
</figure>`))

// HTML renders the chart: the figure with its SVG, legend and data table.
func (c Chart) HTML() (template.HTML, error) {
	var buf bytes.Buffer
	if err := chartTmpl.Execute(&buf, c.view()); err != nil {
		return "", fmt.Errorf("render chart %s: %w", c.ID, err)
	}
	// The output of html/template, whose every text and attribute from
	// the chart's data was escaped in its context.
	return template.HTML(buf.String()), nil
}

func (c Chart) view() chartView {
	v := chartView{Chart: c, W: chartW, H: chartH, X0: coord(padLeft), X1: coord(chartW - padRight)}
	top := c.top()
	plotW, plotH := float64(chartW-padLeft-padRight), float64(chartH-padTop-padBottom)
	y := func(val float64) float64 { return padTop + plotH*(1-math.Min(math.Max(val, 0), top)/top) }
	for i := 0; i <= 4; i++ {
		val := top * float64(i) / 4
		v.Grid = append(v.Grid, axisMark{X: coord(padLeft - 6), Y: coord(y(val)), Label: c.format(val, 0)})
	}
	n := len(c.Labels)
	labelY := coord(chartH - padBottom + 18)
	for i, s := range c.Series {
		st := seriesStyle[i%len(seriesStyle)]
		v.Legend = append(v.Legend, legendEntry{Name: s.Name, Color: st.Color, Dash: st.Dash})
	}
	switch c.Kind {
	case LineChart:
		x := func(i int) float64 {
			if n <= 1 {
				return padLeft + plotW/2
			}
			return padLeft + plotW*float64(i)/float64(n-1)
		}
		for _, i := range tickIndexes(n, 6) {
			v.Ticks = append(v.Ticks, axisMark{X: coord(x(i)), Y: labelY, Label: c.Labels[i]})
		}
		for si, s := range c.Series {
			st := seriesStyle[si%len(seriesStyle)]
			lv := lineView{Color: st.Color, Dash: st.Dash}
			var seg []string
			var segStart int
			flush := func() {
				if len(seg) > 1 {
					lv.Paths = append(lv.Paths, strings.Join(seg, " "))
				} else if len(seg) == 1 && n > maxDots {
					// A lone known value between unknown ones is still shown.
					lv.Dots = append(lv.Dots, axisMark{X: coord(x(segStart)), Y: coord(y(s.Values[segStart].V))})
				}
				seg = nil
			}
			for i := 0; i < n; i++ {
				val := valueAt(s, i)
				if !val.Known {
					flush()
					continue
				}
				if len(seg) == 0 {
					segStart = i
				}
				seg = append(seg, coord(x(i))+","+coord(y(val.V)))
				if n <= maxDots {
					lv.Dots = append(lv.Dots, axisMark{X: coord(x(i)), Y: coord(y(val.V))})
				}
			}
			flush()
			v.Lines = append(v.Lines, lv)
		}
	case BarChart:
		if n == 0 || len(c.Series) == 0 {
			break
		}
		group := plotW / float64(n)
		bar := group * 0.8 / float64(len(c.Series))
		ticks := map[int]bool{}
		for _, i := range tickIndexes(n, 12) {
			ticks[i] = true
		}
		for i := 0; i < n; i++ {
			if ticks[i] {
				v.Ticks = append(v.Ticks, axisMark{X: coord(padLeft + group*(float64(i)+0.5)), Y: labelY, Label: c.Labels[i]})
			}
			for si, s := range c.Series {
				val := valueAt(s, i)
				bx := padLeft + group*float64(i) + group*0.1 + bar*float64(si)
				if !val.Known {
					v.Unknown = append(v.Unknown, axisMark{X: coord(bx + bar/2), Y: coord(chartH - padBottom - 4), Label: s.Name + ", " + c.Labels[i] + ": " + c.cell(val)})
					continue
				}
				by := y(val.V)
				v.Bars = append(v.Bars, barView{X: coord(bx), Y: coord(by), W: coord(bar), H: coord(chartH - padBottom - by),
					Color: seriesStyle[si%len(seriesStyle)].Color, Title: s.Name + ", " + c.Labels[i] + ": " + c.cell(val)})
			}
		}
	}
	for i, l := range c.Labels {
		r := chartRow{Label: l}
		for _, s := range c.Series {
			r.Cells = append(r.Cells, c.cell(valueAt(s, i)))
		}
		v.Rows = append(v.Rows, r)
	}
	v.Desc = c.describe()
	return v
}

func valueAt(s ChartSeries, i int) ChartValue {
	if i < len(s.Values) {
		return s.Values[i]
	}
	return ChartValue{}
}

// top is the value axis maximum: Max, or the data's maximum rounded up.
func (c Chart) top() float64 {
	if c.Max > 0 {
		return c.Max
	}
	m := 0.0
	for _, s := range c.Series {
		for _, v := range s.Values {
			if v.Known && v.V > m {
				m = v.V
			}
		}
	}
	if m <= 0 {
		return 1
	}
	step := math.Pow(10, math.Floor(math.Log10(m)))
	return math.Ceil(m/step) * step
}

func (c Chart) format(v float64, decimals int) string {
	return fmt.Sprintf("%.*f%s", decimals, v, c.Unit)
}

func (c Chart) cell(v ChartValue) string {
	switch {
	case v.Text != "":
		return v.Text
	case v.Known:
		return c.format(v.V, 1)
	}
	return "unknown"
}

// describe is the chart in words for those who cannot see it: for each
// series its first and latest value, its range and how many are unknown.
func (c Chart) describe() string {
	parts := []string{}
	if c.Summary != "" {
		parts = append(parts, c.Summary)
	}
	for _, s := range c.Series {
		first, last, lo, hi := -1, -1, -1, -1
		unknown := 0
		for i := range c.Labels {
			v := valueAt(s, i)
			if !v.Known {
				unknown++
				continue
			}
			if first < 0 {
				first = i
			}
			last = i
			if lo < 0 || v.V < s.Values[lo].V {
				lo = i
			}
			if hi < 0 || v.V > s.Values[hi].V {
				hi = i
			}
		}
		if first < 0 {
			parts = append(parts, fmt.Sprintf("%s: unknown at every point.", s.Name))
			continue
		}
		at := func(i int) string { return c.format(s.Values[i].V, 1) + " at " + c.Labels[i] }
		d := fmt.Sprintf("%s: %s", s.Name, at(first))
		if last != first {
			d += ", latest " + at(last)
		}
		if lo != hi {
			d += fmt.Sprintf("; lowest %s, highest %s", at(lo), at(hi))
		}
		if unknown > 0 {
			d += fmt.Sprintf("; unknown at %d of %d points", unknown, len(c.Labels))
		}
		parts = append(parts, d+".")
	}
	return strings.Join(parts, " ")
}

// tickIndexes picks at most max evenly spread indexes of n labels,
// always the first and the last.
func tickIndexes(n, max int) []int {
	if n <= max {
		out := make([]int, n)
		for i := range out {
			out[i] = i
		}
		return out
	}
	var out []int
	for k := 0; k < max; k++ {
		i := int(math.Round(float64(k) * float64(n-1) / float64(max-1)))
		if len(out) == 0 || out[len(out)-1] != i {
			out = append(out, i)
		}
	}
	return out
}

func coord(f float64) string { return fmt.Sprintf("%.1f", f) }
