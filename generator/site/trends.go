package site

import (
	"fmt"
	"strings"

	"github.com/evident-project/evident/generator/catalog"
	"github.com/evident-project/evident/generator/check"
	"github.com/evident-project/evident/generator/history"
)

// TrendsInput is the history pages' model: the figures of every snapshot
// up to the rendered one and each control's steps, computed by the history
// package from the evidence repository.
type TrendsInput struct {
	// Points are the snapshots' figures, oldest first.
	Points []history.Point
	// Steps are each control's steps, newest first, by control id.
	Steps map[string][]history.Step
	// Error says why the history could not be read; the pages say so
	// rather than showing a partial history as if it were whole.
	Error string
}

// stepView is one step as the timeline shows it.
type stepView struct {
	Date, Period   string
	Sequence       int
	From, To       commitRef
	Was, Outcome   check.Outcome
	OutcomeChanged bool
	First          bool
	Changes        []changeView
	// Diff is the git command that shows the step's evidence changes.
	Diff string
}

type commitRef struct {
	Commit, Short, Href string
}

type changeView struct {
	Kind    history.ChangeKind
	Text    string
	Path    string
	OldPath string
	// Href links the evidence file when this site holds the version the
	// change was read from (the step ends at the rendered snapshot).
	Href string
}

// periodSteps is an earlier period's part of a control's timeline.
type periodSteps struct {
	Period string
	// Href is that period's own history page, when the site has one.
	Href  string
	Steps []stepView
	// Hidden counts the steps that changed only evidence, shown in full
	// on the period's own page.
	Hidden int
}

type controlTrend struct {
	Control *catalog.Control
	Result  check.ControlResult
	// Since is when the current outcome was first recorded or last changed.
	Since       string
	PeriodSteps int
	// Changes counts the period's outcome changes.
	Changes int
	Last    *stepView
}

type snapshotRow struct {
	Anchor, Date, Period, Commit string
	Sequence                     int
	Checked                      bool
	Why                          string
	Counts                       map[check.Outcome]int
	Pass, Signed, Verified, Two  string
	Current                      bool
}

// trends writes history.html and one history/<ID>.html per control.
func (b *builder) trends() {
	t := b.in.Trends
	results := map[string]check.ControlResult{}
	for _, r := range b.in.Report.Controls {
		results[r.ID] = r
	}
	period := b.info.Period

	var controls []controlTrend
	for i := range b.in.Catalog.Controls {
		c := &b.in.Catalog.Controls[i]
		ct := controlTrend{Control: c, Result: results[c.ID]}
		for j, st := range t.Steps[c.ID] {
			if st.To.Period == period {
				ct.PeriodSteps++
				if st.OutcomeChanged() {
					ct.Changes++
				}
			}
			if j == 0 {
				v := b.stepView(st, "")
				ct.Last = &v
			}
			if ct.Since == "" && (st.From == nil || st.OutcomeChanged()) {
				ct.Since = st.To.Finished.Format("2006-01-02")
			}
		}
		controls = append(controls, ct)
	}

	var rows []snapshotRow
	for i := len(t.Points) - 1; i >= 0; i-- {
		p := t.Points[i]
		rows = append(rows, snapshotRow{
			Anchor: snapshotAnchor(p.Commit), Date: p.Finished.Format("2006-01-02 15:04"), Period: p.Period, Commit: p.Commit, Sequence: p.Sequence,
			Checked: p.Checked, Why: p.Why, Counts: p.Counts, Pass: p.PassRate.String(), Signed: p.Signed.String(), Verified: p.Verified.String(),
			Two: p.TwoApprovals.String(), Current: p.Commit == b.in.Commit,
		})
	}
	var first, last string
	if n := len(t.Points); n > 0 {
		first, last = t.Points[0].Finished.Format("2006-01-02"), t.Points[n-1].Finished.Format("2006-01-02")
	}
	b.w.page("history.html", "layout-history", struct {
		page
		// Control is nil: history.html and history/<ID>.html share a template.
		Control     *catalog.Control
		Error       string
		Snapshots   int
		First, Last string
		Charts      []Chart
		Controls    []controlTrend
		Rows        []snapshotRow
	}{page{"History and trends", "", b.info}, nil, t.Error, len(t.Points), first, last, trendCharts(t.Points), controls, rows})

	for _, ct := range controls {
		var current []stepView
		var earlier []periodSteps
		for _, st := range t.Steps[ct.Control.ID] {
			if st.To.Period == period {
				current = append(current, b.stepView(st, "../"))
				continue
			}
			if len(earlier) == 0 || earlier[len(earlier)-1].Period != st.To.Period {
				earlier = append(earlier, periodSteps{Period: st.To.Period, Href: b.periodHistoryHref(st.To.Period, ct.Control.ID)})
			}
			ps := &earlier[len(earlier)-1]
			// The period's own page has its full timeline; here only what
			// changed a conclusion, unless there is no such page.
			if ps.Href != "" && !st.Notable() {
				ps.Hidden++
				continue
			}
			ps.Steps = append(ps.Steps, b.stepView(st, "../"))
		}
		b.w.page("history/"+ct.Control.ID+".html", "layout-history", struct {
			page
			Error   string
			Control *catalog.Control
			Result  check.ControlResult
			Since   string
			Current []stepView
			Earlier []periodSteps
		}{page{ct.Control.ID + " history", "../", b.info}, t.Error, ct.Control, ct.Result, ct.Since, current, earlier})
	}
}

func snapshotAnchor(commit string) string { return "snapshot-" + commit }

// stepView shapes a step for a page at root (the path to the site root).
func (b *builder) stepView(st history.Step, root string) stepView {
	v := stepView{
		Date: st.To.Finished.Format("2006-01-02 15:04"), Period: st.To.Period, Sequence: st.To.Sequence,
		To: b.commitRef(st.To.Commit, root), Was: st.Was, Outcome: st.Outcome, OutcomeChanged: st.OutcomeChanged(), First: st.From == nil,
	}
	if st.From != nil {
		v.From = b.commitRef(st.From.Commit, root)
	}
	current := st.To.Commit == b.in.Commit
	for _, c := range st.Changes {
		cv := changeView{Kind: c.Kind, Text: c.Text, Path: c.Path, OldPath: c.OldPath}
		if current && c.Path != "" {
			if _, ok := b.in.Manifest.Item(c.Path); ok {
				cv.Href = root + "evidence/" + c.Path
			}
		}
		v.Changes = append(v.Changes, cv)
	}
	if paths := st.Paths(); st.From != nil && len(paths) > 0 {
		v.Diff = fmt.Sprintf("git diff %s %s -- %s", v.From.Short, v.To.Short, strings.Join(paths, " "))
	}
	return v
}

func (b *builder) commitRef(commit, root string) commitRef {
	short := commit
	if len(short) > 12 {
		short = short[:12]
	}
	return commitRef{Commit: commit, Short: short, Href: root + "history.html#" + snapshotAnchor(commit)}
}

// periodHistoryHref is the path from a history/<ID>.html page to the
// same control's history page in the named period's part of the site.
func (b *builder) periodHistoryHref(periodID, control string) string {
	for _, p := range b.in.Periods {
		if p.ID == periodID {
			return "../" + b.in.Top + strings.TrimSuffix(p.Href, "index.html") + "history/" + control + ".html"
		}
	}
	return ""
}

// trendCharts are the site-wide charts: three per-snapshot lines and the
// figures at each period's close.
func trendCharts(points []history.Point) []Chart {
	if len(points) == 0 {
		return nil
	}
	labels := make([]string, len(points))
	for i, p := range points {
		labels[i] = fmt.Sprintf("%s (#%d)", p.Finished.Format("2006-01-02"), p.Sequence)
	}
	series := func(name string, get func(history.Point) history.Ratio) ChartSeries {
		s := ChartSeries{Name: name}
		for _, p := range points {
			s.Values = append(s.Values, ratioValue(get(p)))
		}
		return s
	}
	charts := []Chart{
		{ID: "chart-pass", Title: "Controls passing, per snapshot", Kind: LineChart, Unit: "%", Max: 100, XTitle: "Snapshot", Labels: labels,
			Summary: "Share of the controls that apply which pass, in each snapshot re-checked with its own config; excepted and unknown are not pass.",
			Series: []ChartSeries{
				series("All controls", func(p history.Point) history.Ratio { return p.PassRate }),
				series("Key controls", func(p history.Point) history.Ratio { return p.KeyPassRate }),
			}},
		{ID: "chart-signed", Title: "Commits signed, period to date", Kind: LineChart, Unit: "%", Max: 100, XTitle: "Snapshot", Labels: labels,
			Summary: "Share of the period's commits on the protected branches that carry a signature, and that carry one verifying against a trusted key; the share restarts with each period.",
			Series: []ChartSeries{
				series("Signed", func(p history.Point) history.Ratio { return p.Signed }),
				series("Verified signature", func(p history.Point) history.Ratio { return p.Verified }),
			}},
		{ID: "chart-approvals", Title: "Changes with two or more approvals, period to date", Kind: LineChart, Unit: "%", Max: 100, XTitle: "Snapshot", Labels: labels,
			Summary: "Share of the period's human-authored merged changes approved by two or more people other than their authors; bot changes are left out, as control CM-02 leaves them out.",
			Series: []ChartSeries{
				series("Two or more approvals", func(p history.Point) history.Ratio { return p.TwoApprovals }),
			}},
	}
	// Each period's last snapshot: what the period closed (or stands) at.
	var closes []history.Point
	for i, p := range points {
		if i+1 == len(points) || points[i+1].Period != p.Period {
			closes = append(closes, p)
		}
	}
	bar := Chart{ID: "chart-periods", Title: "At each period's latest snapshot", Kind: BarChart, Unit: "%", Max: 100, XTitle: "Period", OpenTable: true,
		Summary: "For each period, the figures of its last snapshot: its close for a closed period, the latest snapshot for the open one."}
	pass := ChartSeries{Name: "Controls passing"}
	verified := ChartSeries{Name: "Commits with a verified signature"}
	two := ChartSeries{Name: "Changes with two or more approvals"}
	for _, p := range closes {
		bar.Labels = append(bar.Labels, p.Period)
		pass.Values = append(pass.Values, ratioValue(p.PassRate))
		verified.Values = append(verified.Values, ratioValue(p.Verified))
		two.Values = append(two.Values, ratioValue(p.TwoApprovals))
	}
	bar.Series = []ChartSeries{pass, verified, two}
	return append(charts, bar)
}

func ratioValue(r history.Ratio) ChartValue {
	return ChartValue{V: r.Percent(), Known: r.Known, Text: r.String()}
}
