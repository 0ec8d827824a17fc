package catalog

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// decoder turns a yaml.Node tree into the catalog types. It is written by
// hand instead of using yaml.v3's own decoding because it must reject unknown
// and duplicate keys with a position and a suggestion, and remember where
// every value came from so validation can point at it.
type decoder struct {
	file string
	errs ErrorList
	// nodes maps the address of every decoded value (e.g. &ctl.Family) to the
	// node it came from. Keying by address rather than by a path string lets
	// validation ask "where is this field?" with the field itself.
	nodes map[any]*yaml.Node
	// bad holds the addresses of values that already have an error (wrong
	// YAML kind, or a misspelt key that probably meant them), so validation
	// does not pile a second "is missing" error onto the same mistake.
	bad map[any]bool
	// budget bounds the work spent walking aliases, which can otherwise
	// expand a small file exponentially ("billion laughs").
	budget int
}

// maxNodes is the most nodes, aliases expanded, that one file may hold.
const maxNodes = 1_000_000

func newDecoder(file string) *decoder {
	return &decoder{file: file, nodes: map[any]*yaml.Node{}, bad: map[any]bool{}, budget: maxNodes}
}

func (d *decoder) errAt(line, col int, format string, args ...any) {
	d.errs = append(d.errs, &Error{File: d.file, Line: line, Col: col, Msg: fmt.Sprintf(format, args...)})
}

func (d *decoder) errNode(n *yaml.Node, format string, args ...any) {
	d.errAt(n.Line, n.Column, format, args...)
}

var yamlLineErr = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parseYAML reads data as exactly one YAML document and returns its root
// node, or nil after recording why it could not.
func (d *decoder) parseYAML(data []byte) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			d.errAt(1, 1, `the file is empty; start it with "version: 1"`)
			return nil
		}
		d.syntaxError(err)
		return nil
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		d.errAt(next.Line, next.Column, `a second YAML document starts here; keep the whole catalog in one document (remove "---")`)
	case !errors.Is(err, io.EOF):
		d.syntaxError(err)
	}
	if len(doc.Content) == 0 {
		d.errAt(1, 1, `the file is empty; start it with "version: 1"`)
		return nil
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		d.errAt(root.Line, root.Column, `the file is empty; start it with "version: 1"`)
		return nil
	}
	return root
}

// syntaxError records a YAML parser error. yaml.v3 reports only a line, so
// the column is 1.
func (d *decoder) syntaxError(err error) {
	msg := err.Error()
	line := 1
	if m := yamlLineErr.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	d.errAt(line, 1, "invalid YAML: %s; check the indentation and quoting here and on the line above", msg)
}

// resolve follows aliases to the node they name; errors about the value then
// point at the anchored text, which is where it has to be fixed.
func (d *decoder) resolve(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// spend charges one node against the budget and reports whether to go on.
func (d *decoder) spend(n *yaml.Node) bool {
	d.budget--
	if d.budget == 0 {
		d.errNode(n, "the file expands to more than %d values through aliases; remove the aliases that repeat large blocks", maxNodes)
	}
	return d.budget > 0
}

// decode fills v from n; name is the key the value sits under, for messages.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, name string) {
	if !d.spend(n) {
		return
	}
	n = d.resolve(n)
	addr := v.Addr().Interface()
	d.nodes[addr] = n
	if v.Kind() == reflect.Struct {
		setPos(v, n)
	}
	// An empty value ("title:" or "title: null") leaves the zero value;
	// validation then reports the field as empty where that matters.
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		d.decodeStruct(n, v, name)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.wrongKind(n, addr, name, "a list")
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		v.Set(s)
		for i, item := range n.Content {
			d.decode(item, v.Index(i), fmt.Sprintf("%s item %d", name, i+1))
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			d.wrongKind(n, addr, name, "a mapping")
			return
		}
		if v.Type().Elem().Kind() == reflect.Interface {
			if m, ok := d.decodeAny(n, name).(map[string]any); ok {
				v.Set(reflect.ValueOf(m))
			}
			return
		}
		// A typed map (sampling sizes by frequency): each value decoded
		// into its type, so errors point at the value.
		m := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			elem := reflect.New(v.Type().Elem()).Elem()
			d.decode(val, elem, name+"."+k.Value)
			m.SetMapIndex(reflect.ValueOf(k.Value).Convert(v.Type().Key()), elem)
		}
		v.Set(m)
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		d.decode(n, p.Elem(), name)
		v.Set(p)
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			d.wrongKind(n, addr, name, "a string")
			return
		}
		v.SetString(n.Value)
	case reflect.Int:
		var i int
		if n.Kind != yaml.ScalarNode || n.Tag != "!!int" || n.Decode(&i) != nil {
			d.wrongKind(n, addr, name, "a whole number")
			return
		}
		v.SetInt(int64(i))
	case reflect.Bool:
		var b bool
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" || n.Decode(&b) != nil {
			d.wrongKind(n, addr, name, "true or false")
			return
		}
		v.SetBool(b)
	default:
		// Only reachable if types.go gains a field of a kind this decoder
		// does not handle; fail loudly rather than drop the value.
		panic(fmt.Sprintf("catalog: cannot decode into %s", v.Type()))
	}
}

func (d *decoder) wrongKind(n *yaml.Node, addr any, name, want string) {
	d.bad[addr] = true
	d.errNode(n, "%s: want %s, got %s; %s", name, want, describe(n), kindHint(n, want))
}

// kindHint says how to write a value of the wanted kind.
func kindHint(n *yaml.Node, want string) string {
	switch want {
	case "a list":
		return `write each item on its own line starting with "- ", or as [a, b]`
	case "a mapping":
		return "write name: value pairs, one per line and indented under the key"
	case "a string":
		return "write the text on one line, quoted if it contains [ ] { } or \": \""
	}
	if n.Kind == yaml.ScalarNode && (n.Style == yaml.DoubleQuotedStyle || n.Style == yaml.SingleQuotedStyle) {
		return "remove the quotes"
	}
	if want == "true or false" {
		return "write true or false"
	}
	return "write digits only"
}

// describe names what a node holds, in the words a YAML author uses.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	return strconv.Quote(n.Value)
}

// setPos records n's position in the struct's Pos field, if it has one.
func setPos(v reflect.Value, n *yaml.Node) {
	if f := v.FieldByName("Pos"); f.IsValid() && f.Type() == reflect.TypeFor[Position]() {
		f.Set(reflect.ValueOf(Position{Line: n.Line, Column: n.Column}))
	}
}

// field is a struct field as controls.yaml spells it.
type field struct {
	name  string
	index int
}

// yamlFields lists t's fields by their yaml names, in declaration order.
func yamlFields(t reflect.Type) []field {
	var out []field
	for i := range t.NumField() {
		sf := t.Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("yaml"), ",")
		if !sf.IsExported() || name == "" || name == "-" {
			continue
		}
		out = append(out, field{name: name, index: i})
	}
	return out
}

// structNames says what each mapping is, for "unknown field" messages.
var structNames = map[reflect.Type]string{
	reflect.TypeFor[Organization]():     "organization",
	reflect.TypeFor[Signatory]():        "signatory",
	reflect.TypeFor[PeriodModel]():      "period",
	reflect.TypeFor[Sources]():          "sources",
	reflect.TypeFor[GitSource]():        "git source",
	reflect.TypeFor[TrustedKeys]():      "trusted_keys",
	reflect.TypeFor[GitHubSource]():     "github source",
	reflect.TypeFor[KubernetesSource](): "kubernetes source",
	reflect.TypeFor[Control]():          "control",
	reflect.TypeFor[References]():       "references",
	reflect.TypeFor[Evidence]():         "evidence",
	reflect.TypeFor[Assertion]():        "assertion",
	reflect.TypeFor[Exception]():        "exception",
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, name string) {
	if n.Kind != yaml.MappingNode {
		d.wrongKind(n, v.Addr().Interface(), name, "a mapping")
		return
	}
	fields := yamlFields(v.Type())
	names := make([]string, len(fields))
	byName := make(map[string]int, len(fields))
	for i, f := range fields {
		names[i] = f.name
		byName[f.name] = f.index
	}
	what := "in " + structNames[v.Type()]
	if v.Type() == reflect.TypeFor[Catalog]() {
		what = "at the top level"
	}
	seen := map[string]*yaml.Node{}
	var guesses []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := d.resolve(n.Content[i]), n.Content[i+1]
		if !d.checkKey(k, seen) {
			continue
		}
		idx, ok := byName[k.Value]
		if !ok {
			if s := suggest(k.Value, names); s != "" {
				d.errNode(k, "unknown field %q %s; did you mean %q?", k.Value, what, s)
				guesses = append(guesses, s)
			} else {
				d.errNode(k, "unknown field %q %s; valid fields are %s", k.Value, what, strings.Join(names, ", "))
			}
			continue
		}
		d.decode(val, v.Field(idx), k.Value)
	}
	// A misspelt key most likely meant the suggested field; if that field is
	// absent, mark it so validation does not also call it missing.
	for _, g := range guesses {
		if _, present := seen[g]; !present {
			d.bad[v.Field(byName[g]).Addr().Interface()] = true
		}
	}
}

// checkKey rejects keys that are not plain names, merge keys and duplicates;
// it reports whether the pair should be decoded.
func (d *decoder) checkKey(k *yaml.Node, seen map[string]*yaml.Node) bool {
	switch {
	case k.Kind != yaml.ScalarNode:
		d.errNode(k, "a key must be a plain name, not %s; write name: value", describe(k))
		return false
	case k.Tag == "!!merge":
		d.errNode(k, "merge keys (<<) are not supported; write the fields out in full")
		return false
	}
	if first, dup := seen[k.Value]; dup {
		d.errNode(k, "duplicate key %q (first at line %d); remove one of them", k.Value, first.Line)
		return false
	}
	seen[k.Value] = k
	return true
}

// decodeAny decodes free-form values (collector params) into JSON-shaped Go
// values: map[string]any, []any, string, bool, int, float64 or nil.
func (d *decoder) decodeAny(n *yaml.Node, name string) any {
	if !d.spend(n) {
		return nil
	}
	n = d.resolve(n)
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		seen := map[string]*yaml.Node{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := d.resolve(n.Content[i])
			if d.checkKey(k, seen) {
				m[k.Value] = d.decodeAny(n.Content[i+1], k.Value)
			}
		}
		return m
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for _, item := range n.Content {
			s = append(s, d.decodeAny(item, name))
		}
		return s
	}
	switch n.Tag {
	case "!!str", "!!timestamp", "!!binary":
		// Dates stay as written: params end up in JSON evidence, which has no
		// time type, and collectors parse the layout they document.
		return n.Value
	case "!!null":
		return nil
	}
	var x any
	if err := n.Decode(&x); err != nil {
		d.errNode(n, "%s: cannot read %q: %v; quote it to pass it as a string", name, n.Value, err)
		return nil
	}
	if f, ok := x.(float64); ok && (math.IsInf(f, 0) || math.IsNaN(f)) {
		d.errNode(n, "%s: %s cannot be recorded in JSON evidence; use a finite number", name, n.Value)
		return nil
	}
	return x
}
