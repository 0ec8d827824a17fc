package catalog

import (
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types/ref"

	"github.com/evident-project/evident/generator/period"
)

func TestNewEnvRejectsBadIDs(t *testing.T) {
	for _, ids := range [][]string{{"period"}, {"now"}, {"int"}, {"in"}, {"math"}, {"__x"}, {"Bad"}, {"a", "a"}} {
		if _, err := NewEnv(ids); err == nil {
			t.Errorf("NewEnv(%q) succeeded", ids)
		}
	}
	if _, err := NewEnv(nil); err != nil {
		t.Errorf("NewEnv(nil): %v", err)
	}
}

// eval compiles and runs an assertion's expr against vars.
func eval(t *testing.T, ids []string, a Assertion, vars map[string]any) (bool, []any) {
	t.Helper()
	env, err := NewEnv(ids)
	if err != nil {
		t.Fatal(err)
	}
	expr, failures, when, err := CompileAssertion(env, a)
	if err != nil {
		t.Fatal(err)
	}
	if (failures == nil) != (a.Failures == "") || (when == nil) != (a.When == "") {
		t.Fatalf("failures/when ASTs present = %v/%v for %q/%q", failures != nil, when != nil, a.Failures, a.When)
	}
	run := func(ast *cel.Ast) ref.Val {
		prg, err := env.Program(ast)
		if err != nil {
			t.Fatal(err)
		}
		out, _, err := prg.Eval(vars)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	ok, _ := run(expr).Value().(bool)
	var list []any
	if failures != nil {
		native, err := run(failures).ConvertToNative(reflect.TypeFor[[]any]())
		if err != nil {
			t.Fatal(err)
		}
		list = native.([]any)
	}
	return ok, list
}

// TestAssertionsEvaluate runs assertions the way the check package will, on
// JSON-shaped evidence, with the period and now variables.
func TestAssertionsEvaluate(t *testing.T) {
	p, err := period.Model{FiscalYearStart: time.July}.Parse("2027-Q1")
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]any{
		"commits": []any{
			map[string]any{"sha": "a1", "verified": true},
			map[string]any{"sha": "b2", "verified": false},
		},
		VarPeriod: PeriodVar(p),
		VarNow:    time.Date(2026, 8, 15, 0, 0, 0, 0, time.UTC),
	}
	a := Assertion{
		Name:     "signed",
		Expr:     "commits.all(c, c.verified)",
		Failures: "commits.filter(c, !c.verified).map(c, c.sha)",
		When:     "now >= period.start && now < period.end && period.quarter == 1 && period.fiscal_year == 2027 && period.id == '2027-Q1'",
	}
	ok, failures := eval(t, []string{"commits"}, a, vars)
	if ok || len(failures) != 1 || failures[0] != "b2" {
		t.Errorf("signed = %v, failures %v; want false, [b2]", ok, failures)
	}
	whenOnly := a
	whenOnly.Expr = a.When
	whenOnly.Failures, whenOnly.When = "", ""
	if ok, _ := eval(t, []string{"commits"}, whenOnly, vars); !ok {
		t.Error("period/now condition is false")
	}
}

// TestExtensions checks each library NewEnv promises is enabled.
func TestExtensions(t *testing.T) {
	for _, expr := range []string{
		`"a,b".split(",").size() == 2`,          // strings
		`lists.range(3) == [0, 1, 2]`,           // lists
		`sets.contains([1, 2, 3], [2])`,         // sets
		`math.greatest(1, 5, 3) == 5`,           // math
		`cel.bind(x, 2, x * x) == 4`,            // bindings
		`optional.of(1).hasValue()`,             // optional types
		`{"a": 1}.?b.orValue(0) == 0`,           // optional field selection
		`[3, 1, 2].sort() == [1, 2, 3]`,         // lists
		`"Approved".lowerAscii() == "approved"`, // strings
	} {
		if ok, _ := eval(t, nil, Assertion{Name: "x", Expr: expr}, map[string]any{}); !ok {
			t.Errorf("%s is false", expr)
		}
	}
}

func TestCompileAssertionErrors(t *testing.T) {
	env, err := NewEnv([]string{"commits"})
	if err != nil {
		t.Fatal(err)
	}
	_, _, _, err = CompileAssertion(env, Assertion{
		Name:     "bad",
		Expr:     "commits.size()",
		Failures: "true",
		When:     "prs.size() > 0 && sizee(commits)",
	})
	var ce *CompileError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %T %v, want *CompileError", err, err)
	}
	want := []ExprProblem{
		{Field: "expr", Msg: "has type int, want bool; make it a condition, e.g. compare the value with ==, < or size()"},
		{Field: "failures", Msg: "has type bool, want a list; return the offending records, e.g. prs.filter(p, !p.approved).map(p, p.title)"},
		{Field: "when", Line: 1, Column: 1, Undeclared: "prs", Msg: `refers to "prs", which is not declared; declare it as evidence or fix the name`},
		{Field: "when", Line: 1, Column: 19, Msg: `unknown function "sizee"; check its name against the CEL standard library and the strings, lists, sets, math and bindings extensions`},
	}
	if len(ce.Problems) != len(want) {
		t.Fatalf("problems = %+v", ce.Problems)
	}
	for i := range want {
		if ce.Problems[i] != want[i] {
			t.Errorf("problem %d = %+v\nwant %+v", i, ce.Problems[i], want[i])
		}
	}
	if !strings.HasPrefix(ce.Error(), `assertion "bad" expr: has type int`) || !strings.Contains(ce.Error(), "\nassertion \"bad\" when 1:19: unknown function") {
		t.Errorf("Error() = %s", ce.Error())
	}
	if _, _, _, err := CompileAssertion(env, Assertion{Name: "empty"}); err == nil {
		t.Error("an empty expr compiled")
	}
}

// TestNewEnvConcurrent checks environments can be built and used in
// parallel, as the check package does per control (run with -race).
func TestNewEnvConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ids := []string{"commits", "extra" + strings.Repeat("x", i)}
			env, err := NewEnv(ids)
			if err != nil {
				t.Error(err)
				return
			}
			expr, _, _, err := CompileAssertion(env, Assertion{Name: "a", Expr: "commits.size() >= 0"})
			if err != nil {
				t.Error(err)
				return
			}
			prg, err := env.Program(expr)
			if err != nil {
				t.Error(err)
				return
			}
			if out, _, err := prg.Eval(map[string]any{"commits": []any{}}); err != nil || out.Value() != true {
				t.Errorf("eval = %v, %v", out, err)
			}
		}()
	}
	wg.Wait()
}
