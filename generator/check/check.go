// Package check evaluates every control's assertions against one evidence
// snapshot. It is pure: the same snapshot always gives the same report, so
// any past commit can be re-checked offline.
package check

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"

	"github.com/evident-project/evident/generator/catalog"
	"github.com/evident-project/evident/generator/evidence"
)

// Outcome is the result of an assertion or a control.
type Outcome string

// Outcomes. A collector error, a hidden field or a partial read is Unknown,
// never Pass.
const (
	Pass          Outcome = "pass"
	Fail          Outcome = "fail"
	Unknown       Outcome = "unknown"
	NotApplicable Outcome = "not_applicable"
	Excepted      Outcome = "excepted"
)

// Outcomes lists every outcome in display order.
var Outcomes = []Outcome{Pass, Fail, Excepted, Unknown, NotApplicable}

// Report is the evaluation of one snapshot.
type Report struct {
	Snapshot SnapshotRef     `json:"snapshot"`
	Summary  Summary         `json:"summary"`
	Controls []ControlResult `json:"controls"`
	Findings []Finding       `json:"findings"`
}

// SnapshotRef identifies the evidence a report was computed from.
type SnapshotRef struct {
	Commit   string    `json:"commit"`
	RunID    string    `json:"run_id"`
	Sequence int       `json:"sequence"`
	Period   string    `json:"period"`
	AsOf     time.Time `json:"as_of"`
	Config   string    `json:"config_sha256"`
}

// Summary counts outcomes.
type Summary struct {
	Controls map[Outcome]int `json:"controls"`
	Key      map[Outcome]int `json:"key_controls"`
	Total    int             `json:"total"`
	KeyTotal int             `json:"key_total"`
}

// ControlResult is one control's outcome with its assertions.
type ControlResult struct {
	ID         string            `json:"id"`
	Title      string            `json:"title"`
	Family     catalog.Family    `json:"family"`
	Key        bool              `json:"key"`
	Owner      string            `json:"owner"`
	Outcome    Outcome           `json:"outcome"`
	Reason     string            `json:"reason,omitempty"`
	Evidence   []EvidenceResult  `json:"evidence"`
	Assertions []AssertionResult `json:"assertions"`
}

// EvidenceResult says which files back an evidence declaration and whether
// they can support a conclusion.
type EvidenceResult struct {
	ID        string   `json:"id"`
	Collector string   `json:"collector"`
	Paths     []string `json:"paths"`
	Usable    bool     `json:"usable"`
	Reason    string   `json:"reason,omitempty"`
}

// AssertionResult is one assertion's outcome.
type AssertionResult struct {
	Name      string           `json:"name"`
	Expr      string           `json:"expr"`
	Severity  catalog.Severity `json:"severity"`
	Message   string           `json:"message"`
	Outcome   Outcome          `json:"outcome"`
	Reason    string           `json:"reason,omitempty"`
	Failures  []string         `json:"failures,omitempty"`
	Exception string           `json:"exception,omitempty"`
	Evidence  []string         `json:"evidence"`
}

// Finding is a failed (or excepted) assertion, in the auditor's terms.
type Finding struct {
	Control   string           `json:"control"`
	Title     string           `json:"title"`
	Key       bool             `json:"key"`
	Assertion string           `json:"assertion"`
	Severity  catalog.Severity `json:"severity"`
	Condition string           `json:"condition"`
	Failures  []string         `json:"failures,omitempty"`
	Outcome   Outcome          `json:"outcome"`
	Exception string           `json:"exception,omitempty"`
}

// Input is everything an evaluation reads.
type Input struct {
	Catalog  *catalog.Catalog
	Manifest *evidence.Manifest
	Commit   string
	// ReadItem returns the item stored at path in the snapshot.
	ReadItem func(path string) (*evidence.Item, error)
	// Collectors gives each collector's source kind.
	Collectors catalog.CollectorIndex
}

// CatalogOf loads the config a snapshot was collected with.
func CatalogOf(snap *evidence.Snapshot, idx catalog.CollectorIndex) (*catalog.Catalog, error) {
	cat, err := catalog.Parse(evidence.ConfigPath, snap.Config, catalog.Options{Collectors: idx})
	if err != nil {
		return nil, fmt.Errorf("check snapshot %s: load its config: %w", snap.Commit.String()[:12], err)
	}
	return cat, nil
}

// Snapshot evaluates a stored snapshot with the config it was collected with.
func Snapshot(snap *evidence.Snapshot, idx catalog.CollectorIndex) (*Report, error) {
	cat, err := CatalogOf(snap, idx)
	if err != nil {
		return nil, err
	}
	return EvaluateSnapshot(snap, cat, idx)
}

// EvaluateSnapshot evaluates a stored snapshot with its already loaded config.
func EvaluateSnapshot(snap *evidence.Snapshot, cat *catalog.Catalog, idx catalog.CollectorIndex) (*Report, error) {
	return Evaluate(Input{Catalog: cat, Manifest: snap.Manifest, Commit: snap.Commit.String(), ReadItem: snap.Item, Collectors: idx})
}

// Evaluate computes the report for one snapshot.
func Evaluate(in Input) (*Report, error) {
	m := in.Manifest
	now := m.Finished
	rep := &Report{
		Snapshot: SnapshotRef{Commit: in.Commit, RunID: m.RunID, Sequence: m.Sequence, Period: m.Period.ID, AsOf: now, Config: m.Config.SHA256},
		Summary:  Summary{Controls: map[Outcome]int{}, Key: map[Outcome]int{}},
		Controls: []ControlResult{},
		Findings: []Finding{},
	}
	periodVal := map[string]any{"id": m.Period.ID, "start": m.Period.Start, "end": m.Period.End}
	if pm, err := in.Catalog.PeriodModel(); err == nil {
		if p, err := pm.Parse(m.Period.ID); err == nil {
			periodVal = catalog.PeriodVar(p)
		}
	}
	items := map[string]*itemState{}
	for i := range in.Catalog.Controls {
		c := &in.Catalog.Controls[i]
		cr := evalControl(in, c, items, periodVal, now)
		rep.Controls = append(rep.Controls, cr)
		rep.Summary.Total++
		rep.Summary.Controls[cr.Outcome]++
		if c.Key {
			rep.Summary.KeyTotal++
			rep.Summary.Key[cr.Outcome]++
		}
		for _, a := range cr.Assertions {
			if a.Outcome == Fail || a.Outcome == Excepted {
				rep.Findings = append(rep.Findings, Finding{
					Control: c.ID, Title: c.Title, Key: c.Key, Assertion: a.Name, Severity: a.Severity,
					Condition: a.Message, Failures: a.Failures, Outcome: a.Outcome, Exception: a.Exception,
				})
			}
		}
	}
	sort.SliceStable(rep.Findings, func(i, j int) bool {
		return severityRank(rep.Findings[i].Severity) < severityRank(rep.Findings[j].Severity)
	})
	return rep, nil
}

type itemState struct {
	item   *evidence.Item
	value  any
	usable bool
	reason string
}

// loadItem reads and converts one item once per evaluation.
func loadItem(in Input, path string, cache map[string]*itemState) *itemState {
	if st, ok := cache[path]; ok {
		return st
	}
	st := &itemState{}
	cache[path] = st
	mi, ok := in.Manifest.Item(path)
	switch {
	case !ok:
		st.reason = "evidence " + path + " is not in this snapshot"
		return st
	case mi.Run != in.Manifest.RunID:
		st.reason = "evidence " + path + " was not collected by this run (last collected by " + mi.Run + ")"
		return st
	}
	it, err := in.ReadItem(path)
	if err != nil {
		st.reason = err.Error()
		return st
	}
	st.item = it
	if ok, why := it.Usable(); !ok {
		st.reason = why
		return st
	}
	st.usable = true
	st.value = celValue(it.Data)
	return st
}

func evalControl(in Input, c *catalog.Control, cache map[string]*itemState, periodVal map[string]any, now time.Time) ControlResult {
	cr := ControlResult{ID: c.ID, Title: c.Title, Family: c.Family, Key: c.Key, Owner: c.Owner, Evidence: []EvidenceResult{}, Assertions: []AssertionResult{}}
	if c.NotApplicable != "" {
		cr.Outcome, cr.Reason = NotApplicable, c.NotApplicable
		return cr
	}
	vars := map[string]any{"period": periodVal, "now": now}
	evOK := map[string]EvidenceResult{}
	var ids []string
	for _, ev := range c.Evidence {
		ids = append(ids, ev.ID)
		er, val := evalEvidence(in, ev, cache)
		cr.Evidence = append(cr.Evidence, er)
		evOK[ev.ID] = er
		if er.Usable {
			vars[ev.ID] = val
		}
	}
	env, err := catalog.NewEnv(ids)
	if err != nil {
		cr.Outcome, cr.Reason = Unknown, "cannot build the assertion environment: "+err.Error()
		return cr
	}
	for _, a := range c.Assertions {
		cr.Assertions = append(cr.Assertions, evalAssertion(in, env, c, a, vars, evOK, now))
	}
	cr.Outcome, cr.Reason = aggregate(cr)
	return cr
}

// evalEvidence finds the files behind one evidence declaration, loads them
// and returns whether they can support a conclusion, with the CEL value
// assertions see: one item's data, or a list of them (catalog.Evidence.Resolve).
func evalEvidence(in Input, ev catalog.Evidence, cache map[string]*itemState) (EvidenceResult, any) {
	er := EvidenceResult{ID: ev.ID, Collector: ev.Collector, Paths: []string{}}
	kind, _, _ := in.Collectors.Known(ev.Collector)
	sources, list := ev.Resolve(in.Catalog, kind)
	if len(sources) == 0 {
		er.Reason = fmt.Sprintf("no %s source is declared in controls.yaml", kind)
		return er, nil
	}
	var reasons []string
	vals := []any{}
	for _, src := range sources {
		p := evidence.ItemPath(ev.Collector, src, ev.Params, in.Manifest.Period.ID)
		er.Paths = append(er.Paths, p)
		st := loadItem(in, p, cache)
		if !st.usable {
			reasons = append(reasons, st.reason)
		}
		vals = append(vals, st.value)
	}
	er.Usable = len(reasons) == 0
	er.Reason = strings.Join(dedupe(reasons), "; ")
	if !list {
		return er, vals[0]
	}
	return er, vals
}

func evalAssertion(in Input, env *cel.Env, c *catalog.Control, a catalog.Assertion, vars map[string]any, evOK map[string]EvidenceResult, now time.Time) AssertionResult {
	ar := AssertionResult{Name: a.Name, Expr: a.Expr, Severity: a.Severity, Message: a.Message, Evidence: []string{}}
	prg, refs, err := compile(env, a.Expr)
	if err != nil {
		ar.Outcome, ar.Reason = Unknown, "assertion does not compile: "+err.Error()
		return ar
	}
	var missing []string
	used := 0
	for _, id := range refs {
		er, ok := evOK[id]
		if !ok {
			continue
		}
		used++
		ar.Evidence = append(ar.Evidence, er.Paths...)
		if !er.Usable {
			missing = append(missing, er.Reason)
		}
	}
	if used == 0 {
		ar.Outcome, ar.Reason = Unknown, "assertion refers to no evidence, so it cannot show the control operated"
		return ar
	}
	if len(missing) > 0 {
		ar.Outcome, ar.Reason = Unknown, strings.Join(dedupe(missing), "; ")
		return ar
	}
	if a.When != "" {
		ok, err := evalBool(env, a.When, vars)
		if err != nil {
			ar.Outcome, ar.Reason = Unknown, "when: "+err.Error()
			return ar
		}
		if !ok {
			ar.Outcome, ar.Reason = NotApplicable, "condition `"+a.When+"` is false for this period"
			return ar
		}
	}
	val, _, err := prg.Eval(vars)
	if err != nil {
		ar.Outcome, ar.Reason = Unknown, "evaluation error: "+err.Error()
		return ar
	}
	b, ok := val.Value().(bool)
	if !ok {
		ar.Outcome, ar.Reason = Unknown, fmt.Sprintf("assertion returned %s, not a bool", val.Type().TypeName())
		return ar
	}
	if b {
		ar.Outcome = Pass
		return ar
	}
	ar.Outcome = Fail
	if a.Failures != "" {
		ar.Failures = evalStrings(env, a.Failures, vars)
	}
	if ex := coveringException(in.Catalog, c.ID, a.Name, now); ex != nil {
		ar.Outcome, ar.Exception = Excepted, ex.ID
		ar.Reason = fmt.Sprintf("excepted by %s (approved by %s, expires %s): %s", ex.ID, ex.Approver, ex.Expires, ex.Reason)
	} else if ex := expiredException(in.Catalog, c.ID, a.Name, now); ex != nil {
		ar.Reason = fmt.Sprintf("exception %s expired on %s and no longer excuses this failure", ex.ID, ex.Expires)
	}
	return ar
}

func compile(env *cel.Env, expr string) (cel.Program, []string, error) {
	ast, iss := env.Compile(expr)
	if iss != nil && iss.Err() != nil {
		return nil, nil, iss.Err()
	}
	seen := map[string]bool{}
	var refs []string
	for _, r := range ast.NativeRep().ReferenceMap() {
		if r.Name != "" && !seen[r.Name] && len(r.OverloadIDs) == 0 {
			seen[r.Name] = true
			refs = append(refs, r.Name)
		}
	}
	sort.Strings(refs)
	prg, err := env.Program(ast)
	return prg, refs, err
}

func evalBool(env *cel.Env, expr string, vars map[string]any) (bool, error) {
	prg, _, err := compile(env, expr)
	if err != nil {
		return false, err
	}
	v, _, err := prg.Eval(vars)
	if err != nil {
		return false, err
	}
	b, ok := v.Value().(bool)
	if !ok {
		return false, fmt.Errorf("returned %s, not a bool", v.Type().TypeName())
	}
	return b, nil
}

// evalStrings evaluates a failures expression; a failure to list the
// offenders is itself reported, since the finding would otherwise look empty.
func evalStrings(env *cel.Env, expr string, vars map[string]any) []string {
	prg, _, err := compile(env, expr)
	if err != nil {
		return []string{"(failures expression does not compile: " + err.Error() + ")"}
	}
	v, _, err := prg.Eval(vars)
	if err != nil {
		return []string{"(failures expression failed: " + err.Error() + ")"}
	}
	return toStrings(v)
}

var reflectAnySlice = reflect.TypeOf([]any{})

func toStrings(v ref.Val) []string {
	native, err := v.ConvertToNative(reflectAnySlice)
	if err != nil {
		return []string{fmt.Sprint(v.Value())}
	}
	var out []string
	for _, x := range native.([]any) {
		switch t := x.(type) {
		case string:
			out = append(out, t)
		case ref.Val:
			out = append(out, fmt.Sprint(t.Value()))
		default:
			out = append(out, fmt.Sprint(t))
		}
	}
	return out
}

// aggregate rolls assertion outcomes up to the control: any failure fails
// it; otherwise anything unknown makes it unknown; a control with no
// assertions is unknown, since nothing shows it operated.
func aggregate(cr ControlResult) (Outcome, string) {
	if len(cr.Assertions) == 0 {
		return Unknown, "no assertions are declared, so nothing shows the control operated"
	}
	count := map[Outcome]int{}
	var unknownReasons []string
	for _, a := range cr.Assertions {
		count[a.Outcome]++
		if a.Outcome == Unknown {
			unknownReasons = append(unknownReasons, a.Reason)
		}
	}
	switch {
	case count[Fail] > 0:
		return Fail, fmt.Sprintf("%d of %d assertions failed", count[Fail], len(cr.Assertions))
	case count[Unknown] > 0:
		return Unknown, strings.Join(dedupe(unknownReasons), "; ")
	case count[Excepted] > 0:
		return Excepted, fmt.Sprintf("%d failing assertions are covered by approved exceptions", count[Excepted])
	case count[NotApplicable] == len(cr.Assertions):
		return NotApplicable, "no assertion applies this period"
	}
	return Pass, ""
}

func coveringException(cat *catalog.Catalog, control, assertion string, now time.Time) *catalog.Exception {
	for i := range cat.Exceptions {
		ex := &cat.Exceptions[i]
		if !exceptionCovers(ex, control, assertion) {
			continue
		}
		approved, _ := time.Parse(time.DateOnly, ex.Approved)
		if ex.Approved != "" && now.Before(approved) {
			continue
		}
		if expires, err := time.Parse(time.DateOnly, ex.Expires); err == nil && now.Before(expires.AddDate(0, 0, 1)) {
			return ex
		}
	}
	return nil
}

func expiredException(cat *catalog.Catalog, control, assertion string, now time.Time) *catalog.Exception {
	for i := range cat.Exceptions {
		ex := &cat.Exceptions[i]
		expires, err := time.Parse(time.DateOnly, ex.Expires)
		if exceptionCovers(ex, control, assertion) && err == nil && !now.Before(expires.AddDate(0, 0, 1)) {
			return ex
		}
	}
	return nil
}

func exceptionCovers(ex *catalog.Exception, control, assertion string) bool {
	return ex.Control == control && (ex.Assertion == "" || ex.Assertion == assertion)
}

func severityRank(s catalog.Severity) int {
	for i, x := range catalog.Severities {
		if x == s {
			return i
		}
	}
	return len(catalog.Severities)
}

func dedupe(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// celValue converts decoded JSON into values CEL compares naturally:
// integral numbers become int64 so `count == 0` works without casts.
func celValue(v any) any {
	switch t := v.(type) {
	case json.Number:
		if i, err := strconv.ParseInt(string(t), 10, 64); err == nil {
			return i
		}
		f, _ := t.Float64()
		return f
	case float64:
		if t == float64(int64(t)) {
			return int64(t)
		}
		return t
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, x := range t {
			m[k] = celValue(x)
		}
		return m
	case []any:
		l := make([]any, len(t))
		for i, x := range t {
			l[i] = celValue(x)
		}
		return l
	case nil:
		return types.NullValue
	}
	return v
}
