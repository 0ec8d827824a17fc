package check

import (
	"encoding/json"
	"fmt"
	"maps"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"

	"github.com/evident-project/evident/generator/catalog"
	"github.com/evident-project/evident/generator/sample"
)

// Population is the set of records a control's test is performed over, as
// drawn from one snapshot (catalog.Population says how), for auditors to
// sample.
type Population struct {
	Control string
	// Name says what one record is, plural: "merged pull requests".
	Name    string
	Columns []string
	// Records are sorted by key, every value rendered as text.
	Records []sample.Record
	// Evidence are the paths of the evidence the population expression
	// reads.
	Evidence []string
	// Err says why no population could be drawn: its evidence is missing
	// or unusable, or an expression failed. Records is empty then, so an
	// unreadable population is never shown as an empty one.
	Err error
}

// Populations draws the population of every control that declares one, in
// catalog order. Evidence items are read once and shared between controls.
func Populations(in Input) []Population {
	cache := map[string]*itemState{}
	base := baseVars(in)
	var out []Population
	for i := range in.Catalog.Controls {
		c := &in.Catalog.Controls[i]
		if c.Population == nil {
			continue
		}
		p := Population{Control: c.ID, Name: c.Population.Name, Records: []sample.Record{}, Evidence: []string{}}
		for _, col := range c.Population.Columns {
			p.Columns = append(p.Columns, col.Name)
		}
		if err := drawPopulation(in, c, cache, base, &p); err != nil {
			p.Records, p.Err = []sample.Record{}, err
		}
		out = append(out, p)
	}
	return out
}

// baseVars are the variables every control's expressions see besides its
// evidence: the period and the snapshot's time, as Evaluate binds them.
func baseVars(in Input) map[string]any {
	m := in.Manifest
	periodVal := map[string]any{"id": m.Period.ID, "start": m.Period.Start, "end": m.Period.End}
	if pm, err := in.Catalog.PeriodModel(); err == nil {
		if p, err := pm.Parse(m.Period.ID); err == nil {
			periodVal = catalog.PeriodVar(p)
		}
	}
	return map[string]any{"period": periodVal, "now": m.Finished}
}

func drawPopulation(in Input, c *catalog.Control, cache map[string]*itemState, base map[string]any, p *Population) error {
	if c.NotApplicable != "" {
		return fmt.Errorf("%s is not applicable (%s), so it has no population to test", c.ID, c.NotApplicable)
	}
	vars := maps.Clone(base)
	evs := map[string]EvidenceResult{}
	var ids []string
	for _, ev := range c.Evidence {
		ids = append(ids, ev.ID)
		er, val := evalEvidence(in, ev, cache)
		evs[ev.ID] = er
		if er.Usable {
			vars[ev.ID] = val
		}
	}
	env, err := catalog.NewEnv(ids)
	if err != nil {
		return fmt.Errorf("%s population: %w", c.ID, err)
	}
	cp, err := catalog.CompilePopulation(env, *c.Population)
	if err != nil {
		return fmt.Errorf("%s population: %w", c.ID, err)
	}
	var unusable []string
	for _, id := range references(cp.Expr) {
		er, ok := evs[id]
		if !ok {
			continue
		}
		p.Evidence = append(p.Evidence, er.Paths...)
		if !er.Usable {
			unusable = append(unusable, fmt.Sprintf("evidence %s cannot be used: %s", id, er.Reason))
		}
	}
	if len(p.Evidence) == 0 {
		return fmt.Errorf("%s population.expr refers to no evidence, so the population would not come from this snapshot", c.ID)
	}
	if len(unusable) > 0 {
		return fmt.Errorf("%s population.expr: %s", c.ID, strings.Join(unusable, "; "))
	}

	list, err := evalList(env, cp.Expr, vars)
	if err != nil {
		return fmt.Errorf("%s population.expr: %w", c.ID, err)
	}
	key, err := cp.RecordEnv.Program(cp.Key)
	if err != nil {
		return fmt.Errorf("%s population.key: %w", c.ID, err)
	}
	cols := make([]cel.Program, len(cp.Columns))
	for i, ast := range cp.Columns {
		if cols[i], err = cp.RecordEnv.Program(ast); err != nil {
			return fmt.Errorf("%s population.columns.%s: %w", c.ID, p.Columns[i], err)
		}
	}
	rvars := maps.Clone(vars)
	records := make([]sample.Record, 0, len(list))
	for i, r := range list {
		rvars[catalog.PopulationVar] = r
		k, _, err := key.Eval(rvars)
		if err != nil {
			return fmt.Errorf("%s population.key: record %d: %w", c.ID, i+1, err)
		}
		rec := sample.Record{Key: render(k), Values: make([]string, 0, len(cols))}
		for j, prg := range cols {
			v, _, err := prg.Eval(rvars)
			if err != nil {
				return fmt.Errorf("%s population.columns.%s: record %d (key %q): %w", c.ID, p.Columns[j], i+1, rec.Key, err)
			}
			rec.Values = append(rec.Values, render(v))
		}
		records = append(records, rec)
	}
	if err := sample.CheckKeys(records); err != nil {
		return fmt.Errorf("%s population.key: %w", c.ID, err)
	}
	sample.SortByKey(records)
	p.Records = records
	return nil
}

// references are the variables an expression reads (evidence ids, period,
// now), sorted; function names are not variables.
func references(ast *cel.Ast) []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range ast.NativeRep().ReferenceMap() {
		if r.Name != "" && !seen[r.Name] && len(r.OverloadIDs) == 0 {
			seen[r.Name] = true
			out = append(out, r.Name)
		}
	}
	sort.Strings(out)
	return out
}

func evalList(env *cel.Env, ast *cel.Ast, vars map[string]any) ([]ref.Val, error) {
	prg, err := env.Program(ast)
	if err != nil {
		return nil, err
	}
	v, _, err := prg.Eval(vars)
	if err != nil {
		return nil, err
	}
	l, ok := v.(traits.Lister)
	if !ok {
		return nil, fmt.Errorf("returned %s, not a list of records", v.Type().TypeName())
	}
	n, ok := l.Size().(types.Int)
	if !ok {
		return nil, fmt.Errorf("the list of records has no size")
	}
	out := make([]ref.Val, 0, int(n))
	for i := types.Int(0); i < n; i++ {
		out = append(out, l.Get(i))
	}
	return out, nil
}

// render is how a value appears in the population table and CSV: text as
// is, numbers in shortest form, a list of values joined by ", " (approvers),
// a map as JSON, null as empty.
func render(v ref.Val) string {
	switch t := v.(type) {
	case traits.Lister:
		var parts []string
		it := t.Iterator()
		for it.HasNext() == types.True {
			parts = append(parts, render(it.Next()))
		}
		return strings.Join(parts, ", ")
	case traits.Mapper:
		b, err := json.Marshal(plain(v))
		if err != nil {
			return fmt.Sprint(v.Value())
		}
		return string(b)
	}
	switch p := plain(v).(type) {
	case nil:
		return ""
	case string:
		return p
	case bool:
		return strconv.FormatBool(p)
	case int64:
		return strconv.FormatInt(p, 10)
	case uint64:
		return strconv.FormatUint(p, 10)
	case float64:
		return strconv.FormatFloat(p, 'g', -1, 64)
	default:
		return fmt.Sprint(p)
	}
}

// plain converts a CEL value into plain Go values for JSON.
func plain(v ref.Val) any {
	switch t := v.(type) {
	case types.String:
		return string(t)
	case types.Int:
		return int64(t)
	case types.Uint:
		return uint64(t)
	case types.Double:
		return float64(t)
	case types.Bool:
		return bool(t)
	case types.Null:
		return nil
	case types.Timestamp:
		return t.Time.UTC().Format(time.RFC3339Nano)
	case types.Duration:
		return t.Duration.String()
	case traits.Lister:
		out := []any{}
		it := t.Iterator()
		for it.HasNext() == types.True {
			out = append(out, plain(it.Next()))
		}
		return out
	case traits.Mapper:
		out := map[string]any{}
		it := t.Iterator()
		for it.HasNext() == types.True {
			k := it.Next()
			out[render(k)] = plain(t.Get(k))
		}
		return out
	}
	return fmt.Sprint(v.Value())
}
