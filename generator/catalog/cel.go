package catalog

import (
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/google/cel-go/cel"
	celast "github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/ext"

	"github.com/evident-project/evident/generator/period"
)

// The variables every assertion can use besides its control's evidence ids.
const (
	// VarPeriod is the audit period under test, a map(string, dyn) built by PeriodVar.
	VarPeriod = "period"
	// VarNow is the run's clock, a timestamp.
	VarNow = "now"
)

// reservedNames cannot be evidence ids: the assertion variables, CEL's
// keywords and type names, and the namespaces of the enabled extensions.
// Declaring any of them would either fail or silently shadow something an
// assertion author expects to work.
var reservedNames = map[string]bool{
	VarPeriod: true, VarNow: true,
	// CEL keywords and reserved words.
	"true": true, "false": true, "null": true, "in": true, "as": true, "break": true,
	"const": true, "continue": true, "else": true, "for": true, "function": true,
	"if": true, "import": true, "let": true, "loop": true, "package": true,
	"namespace": true, "return": true, "var": true, "void": true, "while": true,
	// Type names, which are identifiers in CEL.
	"bool": true, "bytes": true, "double": true, "duration": true, "dyn": true,
	"int": true, "list": true, "map": true, "null_type": true, "string": true,
	"timestamp": true, "type": true, "uint": true, "optional_type": true,
	// Extension namespaces (math.greatest, strings.quote, cel.bind, ...).
	"math": true, "strings": true, "sets": true, "lists": true, "optional": true,
	"cel": true, "base64": true,
}

// evidenceIDPattern matches valid evidence ids; it mirrors the jsonschema
// pattern on Evidence.ID (a test keeps them equal).
var evidenceIDPattern = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// checkEvidenceID reports why id cannot name an evidence variable, or nil.
func checkEvidenceID(id string) error {
	switch {
	case !evidenceIDPattern.MatchString(id):
		return fmt.Errorf("evidence id %q is not a valid CEL name; use lower-case letters, digits and \"_\", starting with a letter, e.g. \"pull_requests\"", id)
	case reservedNames[id]:
		return fmt.Errorf("evidence id %q is reserved in assertions; rename it, e.g. %q", id, id+"_data")
	case strings.HasPrefix(id, "__"):
		return fmt.Errorf("evidence id %q starts with \"__\", which CEL keeps for its own variables; rename it", id)
	}
	return nil
}

// baseEnv is built once: creating the standard library and extensions is
// the expensive part, and Extend shares it between controls.
var baseEnv = sync.OnceValues(func() (*cel.Env, error) {
	// The extensions are unversioned (latest): cel-go's version is pinned
	// in go.mod, and its library versions only ever add functions, so old
	// assertions keep their meaning when it is upgraded.
	return cel.NewEnv(
		cel.Variable(VarPeriod, cel.MapType(cel.StringType, cel.DynType)),
		cel.Variable(VarNow, cel.TimestampType),
		ext.Strings(),
		ext.Lists(),
		ext.Sets(),
		ext.Math(),
		ext.Bindings(),
		cel.OptionalTypes(),
	)
})

// NewEnv returns the CEL environment for a control's assertions. Each
// evidence id is a dyn variable (its value comes from the evidence items as
// Evidence.Resolve describes); period is map(string, dyn) with keys id
// (string), start and end (timestamps, end exclusive), fiscal_year and quarter
// (ints), see PeriodVar; now is a timestamp. The strings, lists, sets, math
// and bindings extensions and optional types are enabled.
func NewEnv(evidenceIDs []string) (*cel.Env, error) {
	base, err := baseEnv()
	if err != nil {
		return nil, fmt.Errorf("cel environment: %w", err)
	}
	seen := make(map[string]bool, len(evidenceIDs))
	opts := make([]cel.EnvOption, 0, len(evidenceIDs))
	for _, id := range evidenceIDs {
		if err := checkEvidenceID(id); err != nil {
			return nil, fmt.Errorf("cel environment: %w", err)
		}
		if seen[id] {
			return nil, fmt.Errorf("cel environment: evidence id %q declared twice", id)
		}
		seen[id] = true
		opts = append(opts, cel.Variable(id, cel.DynType))
	}
	env, err := base.Extend(opts...)
	if err != nil {
		return nil, fmt.Errorf("cel environment: %w", err)
	}
	return env, nil
}

// PeriodVar is the value of the period variable for p.
func PeriodVar(p period.Period) map[string]any {
	return map[string]any{
		"id":          p.ID,
		"start":       p.Start,
		"end":         p.End,
		"fiscal_year": int64(p.FiscalYear),
		"quarter":     int64(p.Quarter),
	}
}

// ExprProblem is one reason an assertion's CEL did not compile.
type ExprProblem struct {
	// Field is the assertion field: "expr", "failures" or "when".
	Field string
	// Line and Column are 1-based, within the expression text; 0 when the
	// problem is with the expression as a whole.
	Line, Column int
	// Msg says what is wrong and what to change, lower-case.
	Msg string
	// Undeclared is set when the problem is a reference to a variable that
	// is not declared: most likely an evidence id the control lacks.
	Undeclared string
}

// CompileError lists every problem in one assertion's CEL.
type CompileError struct {
	// Assertion is the assertion's name.
	Assertion string
	// Problems are in the order expr, failures, when.
	Problems []ExprProblem
}

// Error formats one problem per line.
func (e *CompileError) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "assertion %q %s", e.Assertion, p.Field)
		if p.Line > 0 {
			fmt.Fprintf(&b, " %d:%d", p.Line, p.Column)
		}
		b.WriteString(": " + p.Msg)
	}
	return b.String()
}

// outputKind says which result types an assertion field may have.
type outputKind int

const (
	wantBool outputKind = iota
	wantList
	// wantAny accepts any type (a population key is turned into a string).
	wantAny
)

// CompileAssertion parses and type-checks an assertion's expr, failures and
// when expressions in env (from NewEnv). failures and when are nil when the
// assertion leaves them empty. expr and when must be bool, failures a list;
// dyn is accepted for all three since evidence is dyn, and the evaluator
// checks the runtime type. A non-nil err is a *CompileError.
func CompileAssertion(env *cel.Env, a Assertion) (expr, failures, when *cel.Ast, err error) {
	var problems []ExprProblem
	if strings.TrimSpace(a.Expr) == "" {
		problems = append(problems, ExprProblem{Field: "expr", Msg: "is empty; write a CEL expression that is true when the control operates"})
	} else {
		expr, problems = compileField(env, "expr", a.Expr, wantBool, problems)
	}
	if a.Failures != "" {
		failures, problems = compileField(env, "failures", a.Failures, wantList, problems)
	}
	if a.When != "" {
		when, problems = compileField(env, "when", a.When, wantBool, problems)
	}
	if len(problems) > 0 {
		return nil, nil, nil, &CompileError{Assertion: a.Name, Problems: problems}
	}
	return expr, failures, when, nil
}

func compileField(env *cel.Env, field, text string, want outputKind, problems []ExprProblem) (*cel.Ast, []ExprProblem) {
	parsed, iss := env.Parse(text)
	if iss.Err() != nil {
		// Only the first syntax error: the parser's later ones are usually
		// echoes of the first.
		e := iss.Errors()[0]
		return nil, append(problems, ExprProblem{
			Field: field, Line: e.Location.Line(), Column: e.Location.Column() + 1,
			Msg: lowerFirst(e.Message) + "; fix the CEL syntax",
		})
	}
	checked, iss := env.Check(parsed)
	if iss.Err() != nil {
		seen := map[string]bool{}
		for _, e := range iss.Errors() {
			p := ExprProblem{Field: field, Line: e.Location.Line(), Column: e.Location.Column() + 1}
			var fn string
			p.Msg, p.Undeclared, fn = describeCheckError(parsed, e.ExprID, e.Message)
			if fn != "" {
				p.Column = callNameColumn(text, p.Line, p.Column, fn)
			}
			key := fmt.Sprintf("%d:%d:%s", p.Line, p.Column, p.Msg)
			if !seen[key] {
				seen[key] = true
				problems = append(problems, p)
			}
		}
		return nil, problems
	}
	t := checked.OutputType()
	switch {
	case t.Kind() == types.DynKind:
	case want == wantBool && t.Kind() != types.BoolKind:
		return nil, append(problems, ExprProblem{Field: field, Msg: fmt.Sprintf(
			"has type %s, want bool; make it a condition, e.g. compare the value with ==, < or size()", cel.FormatCELType(t))})
	case want == wantList && t.Kind() != types.ListKind:
		return nil, append(problems, ExprProblem{Field: field, Msg: fmt.Sprintf(
			"has type %s, want a list; return the offending records, e.g. prs.filter(p, !p.approved).map(p, p.title)", cel.FormatCELType(t))})
	}
	return checked, problems
}

var undeclaredMsg = regexp.MustCompile(`^undeclared reference to '([^']+)'`)

// describeCheckError rewrites a checker error for a config author and
// returns the message, the undeclared variable or the unknown function. CEL
// says "undeclared reference" for both; the node the error is attached to
// tells them apart.
func describeCheckError(parsed *cel.Ast, id int64, msg string) (text, variable, function string) {
	m := undeclaredMsg.FindStringSubmatch(msg)
	if m == nil {
		return lowerFirst(msg) + "; fix the expression", "", ""
	}
	name := m[1]
	if n := findExpr(parsed, id); n != nil && n.Kind() == celast.CallKind {
		return fmt.Sprintf("unknown function %q; check its name against the CEL standard library and the strings, lists, sets, math and bindings extensions", name), "", name
	}
	return fmt.Sprintf("refers to %q, which is not declared; declare it as evidence or fix the name", name), name, ""
}

// callNameColumn moves a call's position from its "(", where CEL puts it,
// back to the start of the function name, where the typo is.
func callNameColumn(text string, line, col int, name string) int {
	off := exprOffset(text, line, col)
	r := []rune(text)
	n := len([]rune(name))
	if off <= len(r) && off-n >= 0 && string(r[off-n:off]) == name {
		return col - n
	}
	return col
}

// findExpr returns the node with the given id in a parsed expression, or nil.
func findExpr(a *cel.Ast, id int64) celast.Expr {
	var found celast.Expr
	celast.PreOrderVisit(a.NativeRep().Expr(), celast.NewExprVisitor(func(e celast.Expr) {
		if found == nil && e.ID() == id {
			found = e
		}
	}))
	return found
}
