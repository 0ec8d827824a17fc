// Package readiness computes the quarterly audit-readiness checklist: each
// line of it is done when the controls it is bound to pass in the snapshot,
// or when a dated manual record in the config repository is younger than
// its cadence. It is pure: the pipeline hands it the report and the records
// as collected.
package readiness

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/evident-project/evident/generator/catalog"
	"github.com/evident-project/evident/generator/check"
	"github.com/evident-project/evident/generator/collect/file"
)

// Status is the state of a checklist line.
type Status string

// Statuses. Unknown is "we cannot tell from the evidence" and never counts
// as done.
const (
	Done          Status = "done"
	NotDone       Status = "not_done"
	Unknown       Status = "unknown"
	NotApplicable Status = "not_applicable"
)

// Checklist is the readiness checklist of one period as of one snapshot.
type Checklist struct {
	Period   string
	AsOf     time.Time
	Sections []Section
	// Counts are over every item; Ready is true only when every item that
	// applies is done.
	Counts map[Status]int
	Total  int
	Ready  bool
}

// Section is one heading of the checklist.
type Section struct {
	Name   string
	Items  []Item
	Counts map[Status]int
}

// Item is one checklist line and why it has its status.
type Item struct {
	ID, Text string
	Status   Status
	// Reasons say what keeps the item from done (one per failing binding).
	Reasons  []string
	Bindings []Binding
	Record   *Record
}

// Binding is one control or assertion an item is bound to.
type Binding struct {
	Control, Assertion string
	Outcome            check.Outcome
	// Message is the assertion's failure message or the control's reason.
	Message string
}

// Record is the state of an item's manual record.
type Record struct {
	// Input is the evidence item holding the collected record files.
	Input   string
	Cadence catalog.Frequency
	// Latest is the newest valid record file; nil when there is none.
	Latest *RecordFile
	// Due is when the latest record goes stale.
	Due time.Time
	// Problems are record files that could not be used, with the reason.
	Problems []string
	// Missing says why the records cannot be read from the snapshot.
	Missing string
}

// RecordFile is one dated record.
type RecordFile struct {
	Path, SHA256, Owner string
	Date                time.Time
}

// Records is one item's record files as collected, keyed by item id.
type Records map[string]RecordInput

// RecordInput is what the snapshot holds for one item's record.
type RecordInput struct {
	// Path is the evidence item's path.
	Path  string
	Files []file.Record
	// Missing says why the files are not available; empty when Files is
	// what was on record (possibly nothing).
	Missing string
}

// Input is what the checklist is computed from.
type Input struct {
	Catalog *catalog.Catalog
	Report  *check.Report
	Records Records
	Period  string
	// AsOf is the time the checklist is judged at: the snapshot's time, or
	// the period's end when the snapshot is later (a closed quarter is
	// judged as it stood when it closed).
	AsOf time.Time
}

// Compute builds the checklist.
func Compute(in Input) Checklist {
	results := map[string]check.ControlResult{}
	for _, r := range in.Report.Controls {
		results[r.ID] = r
	}
	out := Checklist{Period: in.Period, AsOf: in.AsOf, Counts: map[Status]int{}}
	for _, s := range in.Catalog.Readiness {
		sec := Section{Name: s.Section, Counts: map[Status]int{}}
		for _, it := range s.Items {
			item := evalItem(it, results, in)
			sec.Items = append(sec.Items, item)
			sec.Counts[item.Status]++
			out.Counts[item.Status]++
			out.Total++
		}
		out.Sections = append(out.Sections, sec)
	}
	out.Ready = out.Total > 0 && out.Counts[Done]+out.Counts[NotApplicable] == out.Total && out.Counts[Done] > 0
	return out
}

func evalItem(it catalog.ReadinessItem, results map[string]check.ControlResult, in Input) Item {
	item := Item{ID: it.ID, Text: it.Text}
	var states []Status
	for _, ref := range it.Controls {
		b := binding(ref, results)
		item.Bindings = append(item.Bindings, b)
		st := fromOutcome(b.Outcome)
		states = append(states, st)
		if st != Done && st != NotApplicable {
			name := b.Control
			if b.Assertion != "" {
				name += "/" + b.Assertion
			}
			item.Reasons = append(item.Reasons, fmt.Sprintf("%s is %s: %s", name, outcomeWord(b.Outcome), b.Message))
		}
	}
	if it.Record != nil {
		r, st, why := evalRecord(*it.Record, in.Records[it.ID], in.AsOf)
		item.Record = r
		states = append(states, st)
		if why != "" {
			item.Reasons = append(item.Reasons, why)
		}
	}
	item.Status = combine(states)
	return item
}

// combine: any not-done line is not done; otherwise anything unknown makes
// the line unknown; a line where everything is not applicable is not
// applicable.
func combine(states []Status) Status {
	if len(states) == 0 {
		return Unknown
	}
	has := map[Status]bool{}
	for _, s := range states {
		has[s] = true
	}
	switch {
	case has[NotDone]:
		return NotDone
	case has[Unknown]:
		return Unknown
	case has[Done]:
		return Done
	default:
		return NotApplicable
	}
}

func binding(ref string, results map[string]check.ControlResult) Binding {
	id, assertion, _ := strings.Cut(ref, "/")
	b := Binding{Control: id, Assertion: assertion, Outcome: check.Unknown}
	r, ok := results[id]
	if !ok {
		b.Message = "the report has no result for this control"
		return b
	}
	if assertion == "" {
		// The control's own reason is a count ("1 of 2 assertions
		// failed"); the checklist says which.
		b.Outcome, b.Message = r.Outcome, r.Reason
		var msgs []string
		for _, a := range r.Assertions {
			if a.Outcome == check.Fail || a.Outcome == check.Unknown {
				m := a.Message
				if a.Outcome == check.Unknown && a.Reason != "" {
					m = a.Reason
				}
				msgs = append(msgs, a.Name+": "+m)
			}
		}
		if r.Outcome != check.Pass && len(msgs) > 0 {
			b.Message = strings.Join(msgs, "; ")
		}
		return b
	}
	for _, a := range r.Assertions {
		if a.Name == assertion {
			b.Outcome, b.Message = a.Outcome, a.Message
			if a.Reason != "" {
				b.Message = a.Reason
			}
			return b
		}
	}
	b.Message = "the report has no result for this assertion"
	return b
}

// fromOutcome maps a control outcome to a checklist state. An excepted
// failure is not done: a risk acceptance explains a gap, it does not close
// it.
func fromOutcome(o check.Outcome) Status {
	switch o {
	case check.Pass:
		return Done
	case check.Fail, check.Excepted:
		return NotDone
	case check.NotApplicable:
		return NotApplicable
	default:
		return Unknown
	}
}

func outcomeWord(o check.Outcome) string {
	switch o {
	case check.NotApplicable:
		return "not applicable"
	case "":
		return "unknown"
	}
	return string(o)
}

// MaxAge is how old a record may be under a cadence; false for cadences
// that are not a calendar interval (per change, continuous).
func MaxAge(c catalog.Frequency) (years, months, days int, ok bool) {
	switch c {
	case catalog.FrequencyDaily:
		return 0, 0, 1, true
	case catalog.FrequencyWeekly:
		return 0, 0, 7, true
	case catalog.FrequencyMonthly:
		return 0, 1, 0, true
	case catalog.FrequencyQuarterly:
		return 0, 3, 0, true
	case catalog.FrequencySemiannual:
		return 0, 6, 0, true
	case catalog.FrequencyAnnual:
		return 1, 0, 0, true
	}
	return 0, 0, 0, false
}

// dateKeys are the front-matter fields that date a record, in order of
// preference; "date" is the documented one, the others are what teams
// already write in playbooks and review records.
var dateKeys = []string{"date", "completed_on", "last_tested"}

func evalRecord(decl catalog.ReadinessRecord, in RecordInput, asOf time.Time) (*Record, Status, string) {
	r := &Record{Input: in.Path, Cadence: decl.Cadence, Missing: in.Missing}
	if in.Missing != "" {
		return r, Unknown, "the record cannot be read from this snapshot: " + in.Missing
	}
	y, m, d, ok := MaxAge(decl.Cadence)
	if !ok {
		return r, Unknown, fmt.Sprintf("cadence %q is not a calendar interval", decl.Cadence)
	}
	var valid []RecordFile
	for _, f := range in.Files {
		rf, problem := recordFile(f, asOf)
		if problem != "" {
			r.Problems = append(r.Problems, f.Path+": "+problem)
			continue
		}
		valid = append(valid, rf)
	}
	sort.Slice(valid, func(i, j int) bool {
		if !valid[i].Date.Equal(valid[j].Date) {
			return valid[i].Date.After(valid[j].Date)
		}
		return valid[i].Path < valid[j].Path
	})
	if len(valid) == 0 {
		why := fmt.Sprintf("no dated record matches %s", strings.Join(decl.Paths, ", "))
		if len(r.Problems) > 0 {
			why += " (" + strings.Join(r.Problems, "; ") + ")"
		}
		return r, NotDone, why
	}
	r.Latest = &valid[0]
	r.Due = r.Latest.Date.AddDate(y, m, d)
	if asOf.After(r.Due) {
		return r, NotDone, fmt.Sprintf("the latest record (%s, %s) is stale: a %s record was due by %s",
			r.Latest.Path, r.Latest.Date.Format(time.DateOnly), decl.Cadence, r.Due.Format(time.DateOnly))
	}
	return r, Done, ""
}

// recordFile reads a record's date and owner from its front matter. A date
// after asOf is rejected: a record cannot vouch for work not yet done when
// the snapshot was taken.
func recordFile(f file.Record, asOf time.Time) (RecordFile, string) {
	rf := RecordFile{Path: f.Path, SHA256: f.SHA256}
	if f.ParseError != "" {
		return rf, "front matter does not parse: " + f.ParseError
	}
	fm, _ := f.FrontMatter.(map[string]any)
	if fm == nil {
		return rf, "no front matter with a date"
	}
	var raw any
	var key string
	for _, k := range dateKeys {
		if v, ok := fm[k]; ok {
			raw, key = v, k
			break
		}
	}
	if raw == nil {
		return rf, "front matter has no date"
	}
	t, err := parseDate(raw)
	if err != nil {
		return rf, fmt.Sprintf("front matter %s: %v", key, err)
	}
	if t.After(asOf) {
		return rf, fmt.Sprintf("dated %s, after %s", t.Format(time.DateOnly), asOf.Format(time.DateOnly))
	}
	rf.Date = t
	if o, ok := fm["owner"].(string); ok {
		rf.Owner = o
	}
	return rf, ""
}

func parseDate(v any) (time.Time, error) {
	switch x := v.(type) {
	case time.Time:
		return x.UTC(), nil
	case string:
		for _, layout := range []string{time.RFC3339, time.DateOnly} {
			if t, err := time.Parse(layout, x); err == nil {
				return t.UTC(), nil
			}
		}
		return time.Time{}, fmt.Errorf("%q is not a date (use YYYY-MM-DD)", x)
	}
	return time.Time{}, fmt.Errorf("%v is not a date (use YYYY-MM-DD)", v)
}

// Count is the number of items with the named status (for templates, which
// cannot index a map by a named string type).
func (c Checklist) Count(s string) int { return c.Counts[Status(s)] }

// Count is the number of the section's items with the named status.
func (s Section) Count(st string) int { return s.Counts[Status(st)] }
