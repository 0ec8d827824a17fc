package catalog

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/google/cel-go/cel"
	"gopkg.in/yaml.v3"
)

// The id patterns mirror the jsonschema tags in types.go; a test keeps them
// equal so the schema and the loader accept the same files.
var (
	sourceIDPattern      = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)
	controlIDPattern     = regexp.MustCompile(`^[A-Z][A-Z0-9]*-[0-9A-Z.-]+$`)
	assertionNamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)
)

// dateLayout is how exception dates are written.
const dateLayout = "2006-01-02"

// natures are the valid Control.Nature values.
var natures = []string{"preventive", "detective"}

// validator checks a decoded catalog. It reads positions from the decoder's
// node table, so every message can point at the offending value.
type validator struct {
	c     *Catalog
	d     *decoder
	opts  Options
	lines []string
	errs  ErrorList
	// sourceKinds maps each declared source id to its kind.
	sourceKinds map[string]string
	sourceIDs   []string
}

// node returns the YAML node a decoded value came from, or nil when the key
// was absent.
func (v *validator) node(addr any) *yaml.Node {
	return v.d.nodes[addr]
}

// present reports whether the key holding addr was written in the file.
func (v *validator) present(addr any) bool {
	return v.node(addr) != nil
}

// written reports whether the key holding addr has a usable value: present,
// not null, and decoded without error.
func (v *validator) written(addr any) bool {
	n := v.node(addr)
	return n != nil && n.Tag != "!!null" && !v.d.bad[addr]
}

// at is the position of the value at addr, or fallback when it is absent.
func (v *validator) at(addr any, fallback Position) Position {
	if n := v.node(addr); n != nil {
		return Position{Line: n.Line, Column: n.Column}
	}
	return fallback
}

func (v *validator) errf(p Position, format string, args ...any) {
	v.errs = append(v.errs, &Error{File: v.c.File, Line: p.Line, Col: p.Column, Msg: fmt.Sprintf(format, args...)})
}

// required reports a missing or blank string field (unless the decoder
// already reported a problem with it) and whether the field has a value.
// what names the field in the message, hint says what to write.
func required[S ~string](v *validator, s *S, parent Position, what, hint string) bool {
	if strings.TrimSpace(string(*s)) != "" {
		return true
	}
	if v.d.bad[s] {
		return false
	}
	state := "is missing"
	if v.present(s) {
		state = "is empty"
	}
	v.errf(v.at(s, parent), "%s %s; %s", what, state, hint)
	return false
}

// enum reports a missing value or one outside valid, suggesting the closest
// valid one. label prefixes the message ("control CM-01"), field names the key.
func enum[S ~string](v *validator, s *S, parent Position, label, field string, valid []S) {
	if !required(v, s, parent, label+": "+field, "use one of "+quoteList(valid)) {
		return
	}
	if slices.Contains(valid, *s) {
		return
	}
	names := make([]string, len(valid))
	for i, x := range valid {
		names[i] = string(x)
	}
	hint := "use one of " + quoteList(valid)
	if sug := didYouMean(string(*s), names); sug != "" {
		hint = sug
	}
	v.errf(v.at(s, parent), "%s: unknown %s %q; %s", label, field, *s, hint)
}

func (v *validator) validate() {
	c := v.c
	root := v.at(c, Position{Line: 1, Column: 1})
	switch {
	case v.d.bad[&c.Version]:
	case !v.written(&c.Version):
		v.errf(v.at(&c.Version, root), `version is missing; add "version: 1" at the top of the file`)
	case c.Version != Version:
		v.errf(v.at(&c.Version, root), "version %d is not supported; this build reads version %d, so set \"version: %d\"", c.Version, Version, Version)
	}
	v.organization(root)
	v.period()
	v.sources()
	v.controls(root)
	v.exceptions()
	v.integrity()
	v.reporting()
}

func (v *validator) organization(root Position) {
	o := &v.c.Organization
	if !v.present(o) {
		v.errf(root, "organization is missing; add organization: with the name of the entity whose controls these are")
		return
	}
	pos := v.at(o, root)
	required(v, &o.Name, pos, "organization.name", "set it to the legal name of the entity whose controls these are")
	for i := range o.Signatories {
		s := &o.Signatories[i]
		required(v, &s.Role, v.at(s, pos), "signatory role", `set it to the officer's role, e.g. "Chief Financial Officer"`)
	}
}

func (v *validator) period() {
	p := &v.c.Period
	if v.written(&p.FiscalYearStart) && (p.FiscalYearStart < 1 || p.FiscalYearStart > 12) {
		v.errf(v.at(&p.FiscalYearStart, Position{}), "fiscal_year_start %d is not a month; use 1 (January) to 12 (December)", p.FiscalYearStart)
	}
	switch {
	case p.Timezone == "Local":
		v.errf(v.at(&p.Timezone, Position{}), "timezone \"Local\" depends on the machine running evident; name an IANA zone such as \"America/New_York\" or \"UTC\"")
	case p.Timezone != "":
		if _, err := loadZone(p.Timezone); err != nil {
			v.errf(v.at(&p.Timezone, Position{}), "unknown timezone %q; use an IANA zone name such as \"America/New_York\", \"Europe/London\" or \"UTC\"", p.Timezone)
		}
	}
}

func (v *validator) sources() {
	v.sourceKinds = map[string]string{}
	first := map[string]Position{}
	// declare records a source id and returns how messages name the source.
	declare := func(kind string, id *string, pos Position) string {
		if !required(v, id, pos, kind+" source id", "add id: so evidence can name the source") {
			return kind + " source"
		}
		label := fmt.Sprintf("%s source %q", kind, *id)
		at := v.at(id, pos)
		if !sourceIDPattern.MatchString(*id) {
			v.errf(at, `source id %q is not valid; use lower-case letters, digits, ".", "_" and "-", starting with a letter or digit`, *id)
		}
		if p, dup := first[*id]; dup {
			v.errf(at, "duplicate source id %q (first declared at line %d); give each source a unique id", *id, p.Line)
			return label
		}
		first[*id] = at
		v.sourceKinds[*id] = kind
		v.sourceIDs = append(v.sourceIDs, *id)
		return label
	}
	for i := range v.c.Sources.Git {
		s := &v.c.Sources.Git[i]
		label := declare(SourceKindGit, &s.ID, s.Pos)
		switch {
		case s.Path == "" && s.URL == "":
			v.errf(s.Pos, "%s has neither path nor url; set path for a local repository or url for one to clone", label)
		case s.Path != "" && s.URL != "":
			v.errf(v.at(&s.URL, s.Pos), "%s sets both path and url; keep one", label)
		}
	}
	for i := range v.c.Sources.GitHub {
		s := &v.c.Sources.GitHub[i]
		label := declare(SourceKindGitHub, &s.ID, s.Pos)
		required(v, &s.Org, s.Pos, label+": org", "set it to the GitHub organisation login")
		if a := &s.App; v.present(a) {
			apos := v.at(a, s.Pos)
			if a.ID <= 0 {
				v.errf(apos, "%s: app needs id, the GitHub App's numeric id", label)
			}
			required(v, &a.PrivateKeyFile, apos, label+": app.private_key_file", "name the app's private key file (PEM)")
			if s.TokenEnv != "" {
				v.errf(v.at(&s.TokenEnv, s.Pos), "%s sets both token_env and app; authenticate one way", label)
			}
		}
	}
	for i := range v.c.Sources.Kubernetes {
		s := &v.c.Sources.Kubernetes[i]
		label := declare(SourceKindKubernetes, &s.ID, s.Pos)
		if s.Manifests == "" {
			continue // a live cluster; no kubeconfig nor context means in-cluster
		}
		for _, f := range []struct {
			name string
			val  *string
		}{{"kubeconfig", &s.Kubeconfig}, {"context", &s.Context}} {
			if *f.val != "" {
				v.errf(v.at(f.val, s.Pos), "%s sets both manifests and %s; use manifests for a folder of manifests, or kubeconfig/context for a live cluster, not both", label, f.name)
			}
		}
	}
}

// controlName names a control in messages, even one without an id.
func controlName(ctl *Control) string {
	if ctl.ID == "" {
		return "this control"
	}
	return "control " + ctl.ID
}

func (v *validator) controls(root Position) {
	if len(v.c.Controls) == 0 {
		if !v.d.bad[&v.c.Controls] {
			state := "missing"
			if v.present(&v.c.Controls) {
				state = "empty"
			}
			v.errf(v.at(&v.c.Controls, root), "controls is %s; declare at least one control", state)
		}
		return
	}
	first := map[string]Position{}
	for i := range v.c.Controls {
		ctl := &v.c.Controls[i]
		if required(v, &ctl.ID, ctl.Pos, "control id", `add id:, e.g. "CM-01"`) {
			at := v.at(&ctl.ID, ctl.Pos)
			if !controlIDPattern.MatchString(ctl.ID) {
				v.errf(at, `control id %q is not valid; use an upper-case prefix, a dash and a number, e.g. "CM-01" or "AC-02.1"`, ctl.ID)
			}
			if p, dup := first[ctl.ID]; dup {
				v.errf(at, "duplicate control id %q (first declared at line %d); give each control a unique id", ctl.ID, p.Line)
			} else {
				first[ctl.ID] = at
			}
		}
		v.control(ctl)
	}
}

func (v *validator) control(ctl *Control) {
	name := controlName(ctl)
	required(v, &ctl.Title, ctl.Pos, name+": title", "add a short name for the control")
	enum(v, &ctl.Family, ctl.Pos, name, "family", Families)
	required(v, &ctl.Objective, ctl.Pos, name+": objective", "state what the control achieves, in the auditor's words")
	required(v, &ctl.Risk, ctl.Pos, name+": risk", "state what goes wrong without the control")
	required(v, &ctl.Owner, ctl.Pos, name+": owner", "name the accountable role or team")
	enum(v, &ctl.Frequency, ctl.Pos, name, "frequency", Frequencies)
	if v.written(&ctl.Nature) && !slices.Contains(natures, ctl.Nature) {
		v.errf(v.at(&ctl.Nature, ctl.Pos), "%s: unknown nature %q; use preventive or detective", name, ctl.Nature)
	}
	ids := v.evidence(ctl)
	v.assertions(ctl, ids)
}

// evidence validates a control's evidence and returns the ids an assertion
// may use.
func (v *validator) evidence(ctl *Control) []string {
	var ids []string
	first := map[string]Position{}
	for i := range ctl.Evidence {
		e := &ctl.Evidence[i]
		if required(v, &e.ID, e.Pos, "evidence id", `add id:, the name assertions use, e.g. "pull_requests"`) {
			at := v.at(&e.ID, e.Pos)
			if err := checkEvidenceID(e.ID); err != nil {
				v.errf(at, "%v", err)
			} else if p, dup := first[e.ID]; dup {
				v.errf(at, "duplicate evidence id %q in %s (first declared at line %d); give each evidence a unique id", e.ID, controlName(ctl), p.Line)
			} else {
				first[e.ID] = at
				ids = append(ids, e.ID)
			}
		}
		v.evidenceSources(ctl, e)
	}
	return ids
}

// evidenceSources checks the collector and the sources it is pointed at.
func (v *validator) evidenceSources(ctl *Control, e *Evidence) {
	label := "evidence"
	if e.ID != "" {
		label = fmt.Sprintf("evidence %q", e.ID)
	}
	if e.Source != "" && len(e.Sources) > 0 {
		v.errf(v.at(&e.Sources, e.Pos), "%s sets both source and sources; keep source for one source or sources for several", label)
	}
	if v.present(&e.Sources) && len(e.Sources) == 0 && !v.d.bad[&e.Sources] {
		v.errf(v.at(&e.Sources, e.Pos), "%s has an empty sources list; list source ids or remove sources", label)
	}
	// refs are the source ids written, each with the address of its value.
	type ref struct {
		id   string
		addr *string
	}
	var refs []ref
	if e.Source != "" {
		refs = append(refs, ref{e.Source, &e.Source})
	}
	listed := map[string]bool{}
	for j := range e.Sources {
		s := &e.Sources[j]
		if v.d.bad[s] {
			continue
		}
		if listed[*s] {
			v.errf(v.at(s, e.Pos), "%s lists source %q twice; remove one", label, *s)
			continue
		}
		listed[*s] = true
		refs = append(refs, ref{*s, s})
	}
	for _, r := range refs {
		if _, ok := v.sourceKinds[r.id]; !ok {
			hint := "declare it under sources: or fix the id"
			if s := didYouMean(r.id, v.sourceIDs); s != "" {
				hint = s
			}
			v.errf(v.at(r.addr, e.Pos), "%s names source %q, which is not declared; %s", label, r.id, hint)
		}
	}

	if !required(v, &e.Collector, e.Pos, label+": collector", `add collector:, a collector name such as "git.commits"`) {
		return
	}
	idx := v.opts.Collectors
	if idx == nil {
		return // no registry to check against (schema-only use)
	}
	at := v.at(&e.Collector, e.Pos)
	kind, _, known := idx.Known(e.Collector)
	if !known {
		hint := "check the name against the collector list"
		if names, ok := idx.(CollectorNames); ok {
			if s := didYouMean(e.Collector, names.Names()); s != "" {
				hint = s
			} else {
				hint = "known collectors are " + strings.Join(names.Names(), ", ")
			}
		}
		v.errf(at, "%s: unknown collector %q; %s", label, e.Collector, hint)
		return
	}
	v.params(e, label)
	if kind == "" {
		if len(refs) > 0 {
			field := "source"
			if len(e.Sources) > 0 {
				field = "sources"
			}
			v.errf(v.at(refs[0].addr, e.Pos), "%s: collector %s reads no source; remove %s", label, e.Collector, field)
		}
		return
	}
	for _, r := range refs {
		if got, ok := v.sourceKinds[r.id]; ok && got != kind {
			v.errf(v.at(r.addr, e.Pos), "%s: collector %s reads %s sources, but %q is a %s source; name a %s source", label, e.Collector, kind, r.id, got, kind)
		}
	}
	// Without source(s) the evidence reads every source of the kind. With
	// none declared that is allowed (a pack is written before an
	// organisation has, say, a cluster): check reports such evidence as
	// unusable, so its assertions are unknown, never a vacuous pass.
}

// params checks an evidence declaration's parameters against what its
// collector declares: a misspelt or missing parameter is a config error here,
// with its position, rather than an unknown control after the run.
func (v *validator) params(e *Evidence, label string) {
	idx, ok := v.opts.Collectors.(CollectorParams)
	if !ok || v.d.bad[&e.Params] {
		return
	}
	accepted, required, ok := idx.Params(e.Collector)
	if !ok {
		return
	}
	pos := v.at(&e.Params, v.at(&e.Collector, e.Pos))
	var unknown []string
	for name := range e.Params {
		if !slices.Contains(accepted, name) {
			unknown = append(unknown, name)
		}
	}
	sort.Strings(unknown)
	// A misspelt required parameter is reported once, as the misspelling.
	meant := map[string]bool{}
	for _, name := range unknown {
		hint := "accepted parameters are " + quoteList(accepted)
		if len(accepted) == 0 {
			hint = "it takes none; remove params:"
		} else if s := didYouMean(name, accepted); s != "" {
			hint = s
			for _, a := range accepted {
				if strings.Contains(s, `"`+a+`"`) {
					meant[a] = true
				}
			}
		}
		at := pos
		if n := v.node(&e.Params); n != nil {
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == name {
					at = Position{Line: n.Content[i].Line, Column: n.Content[i].Column}
				}
			}
		}
		v.errf(at, "%s: collector %s has no parameter %q; %s", label, e.Collector, name, hint)
	}
	for _, name := range required {
		if _, ok := e.Params[name]; !ok && !meant[name] {
			v.errf(pos, "%s: collector %s needs parameter %q; add it under params: (see the collector's description on the site's evidence page)", label, e.Collector, name)
		}
	}
}

func (v *validator) assertions(ctl *Control, ids []string) {
	// ids holds only names the evidence checks accepted, so NewEnv can fail
	// only on a bug in the base environment; say so rather than go quiet.
	env, envErr := NewEnv(ids)
	if envErr != nil && len(ctl.Assertions) > 0 {
		v.errf(ctl.Pos, "%s: cannot check assertions: %v; this is a bug in evident, please report it", controlName(ctl), envErr)
	}
	first := map[string]Position{}
	for i := range ctl.Assertions {
		a := &ctl.Assertions[i]
		label := "assertion"
		if required(v, &a.Name, a.Pos, "assertion name", `add name:, e.g. "two-approvers"`) {
			label = fmt.Sprintf("assertion %q", a.Name)
			at := v.at(&a.Name, a.Pos)
			if !assertionNamePattern.MatchString(a.Name) {
				v.errf(at, `assertion name %q is not valid; use lower-case letters, digits, "_" and "-", e.g. "two-approvers"`, a.Name)
			}
			if p, dup := first[a.Name]; dup {
				v.errf(at, "duplicate assertion name %q in %s (first declared at line %d); give each assertion a unique name", a.Name, controlName(ctl), p.Line)
			} else {
				first[a.Name] = at
			}
		}
		enum(v, &a.Severity, a.Pos, label, "severity", Severities)
		required(v, &a.Message, a.Pos, label+": message", "describe the failure in the auditor's words")
		if !required(v, &a.Expr, a.Pos, label+": expr", "write a CEL expression that is true when the control operates") {
			continue
		}
		if envErr == nil {
			v.compile(ctl, a, label, env)
		}
	}
}

// compile reports an assertion's CEL problems at their place in the file.
func (v *validator) compile(ctl *Control, a *Assertion, label string, env *cel.Env) {
	_, _, _, err := CompileAssertion(env, *a)
	var ce *CompileError
	if !errors.As(err, &ce) {
		if err != nil {
			v.errf(a.Pos, "%s: %v", label, err)
		}
		return
	}
	fields := map[string]*string{"expr": &a.Expr, "failures": &a.Failures, "when": &a.When}
	for _, p := range ce.Problems {
		addr := fields[p.Field]
		pos := v.exprPos(addr, a.Pos, p)
		if p.Undeclared != "" {
			hint := "declare it under evidence: or fix the name"
			if s := didYouMean(p.Undeclared, evidenceIDs(ctl)); s != "" {
				hint += ": " + s
			}
			v.errf(pos, "%s refers to evidence %q, which %s does not declare; %s", label, p.Undeclared, controlName(ctl), hint)
			continue
		}
		v.errf(pos, "%s %s: %s", label, p.Field, p.Msg)
	}
}

// exprPos maps a problem's place in an expression to the file. When the
// scalar's layout cannot be mapped exactly it points at the expression's
// start.
func (v *validator) exprPos(addr *string, fallback Position, p ExprProblem) Position {
	n := v.node(addr)
	if n == nil {
		return fallback
	}
	start := Position{Line: n.Line, Column: n.Column}
	if p.Line == 0 {
		return start
	}
	pieces := scalarPieces(n, v.lines)
	if pieces == nil {
		return start
	}
	line, col := locate(pieces, exprOffset(*addr, p.Line, p.Column))
	return Position{Line: line, Column: col}
}

func evidenceIDs(ctl *Control) []string {
	ids := make([]string, 0, len(ctl.Evidence))
	for _, e := range ctl.Evidence {
		ids = append(ids, e.ID)
	}
	return ids
}

func (v *validator) exceptions() {
	first := map[string]Position{}
	for i := range v.c.Exceptions {
		x := &v.c.Exceptions[i]
		label := "exception"
		if required(v, &x.ID, x.Pos, "exception id", `add id:, e.g. "EXC-2026-01"`) {
			label = fmt.Sprintf("exception %q", x.ID)
			at := v.at(&x.ID, x.Pos)
			if p, dup := first[x.ID]; dup {
				v.errf(at, "duplicate exception id %q (first declared at line %d); give each exception a unique id", x.ID, p.Line)
			} else {
				first[x.ID] = at
			}
		}
		if required(v, &x.Control, x.Pos, label+": control", "set it to the id of the control the exception covers") {
			v.exceptionTarget(x, label)
		}
		required(v, &x.Reason, x.Pos, label+": reason", "say why the failure is accepted")
		required(v, &x.Approver, x.Pos, label+": approver", "name who approved the exception")
		approved := v.date(&x.Approved, x.Pos, label, "approved", false)
		expires := v.date(&x.Expires, x.Pos, label, "expires", true)
		if !approved.IsZero() && !expires.IsZero() && expires.Before(approved) {
			v.errf(v.at(&x.Expires, x.Pos), "%s expires %s, before it was approved on %s; fix the dates", label, x.Expires, x.Approved)
		}
	}
}

// exceptionTarget checks that the control and assertion an exception names exist.
func (v *validator) exceptionTarget(x *Exception, label string) {
	ctl := v.c.Control(x.Control)
	if ctl == nil {
		ids := make([]string, len(v.c.Controls))
		for i, c := range v.c.Controls {
			ids[i] = c.ID
		}
		hint := "fix the control id"
		if s := didYouMean(x.Control, ids); s != "" {
			hint = s
		}
		v.errf(v.at(&x.Control, x.Pos), "%s covers control %q, which is not declared; %s", label, x.Control, hint)
		return
	}
	if x.Assertion == "" {
		return
	}
	names := make([]string, len(ctl.Assertions))
	for i, a := range ctl.Assertions {
		names[i] = a.Name
		if a.Name == x.Assertion {
			return
		}
	}
	hint := "fix the name, or remove assertion: to cover the whole control"
	if s := didYouMean(x.Assertion, names); s != "" {
		hint = s
	}
	v.errf(v.at(&x.Assertion, x.Pos), "%s names assertion %q, which control %s does not declare; %s", label, x.Assertion, ctl.ID, hint)
}

// date parses a YYYY-MM-DD field, reporting a bad or (when required) missing
// value; it returns the zero time when there is no usable date.
func (v *validator) date(s *string, parent Position, label, field string, mandatory bool) time.Time {
	if *s == "" {
		if mandatory {
			required(v, s, parent, label+": "+field, "set it to the last day the exception excuses a failure, as YYYY-MM-DD")
		}
		return time.Time{}
	}
	t, err := time.Parse(dateLayout, *s)
	if err != nil {
		v.errf(v.at(s, parent), "%s: %s %q is not a date; write YYYY-MM-DD, e.g. 2026-12-31", label, field, *s)
		return time.Time{}
	}
	return t
}
