package catalog

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"
)

const schemaFile = "../../docs/controls.schema.json"

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource("controls.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("controls.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// yamlToJSON converts a YAML document to the value the validator expects,
// through JSON so numbers and maps have JSON's shapes.
func yamlToJSON(t *testing.T, data []byte) any {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	js, err := json.Marshal(nodeValue(t, doc.Content[0]))
	if err != nil {
		t.Fatal(err)
	}
	out, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// nodeValue converts a node as an editor's YAML 1.2 language server sees it:
// unquoted dates stay strings (yaml.v3 would make them time.Time).
func nodeValue(t *testing.T, n *yaml.Node) any {
	t.Helper()
	switch n.Kind {
	case yaml.AliasNode:
		return nodeValue(t, n.Alias)
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			m[n.Content[i].Value] = nodeValue(t, n.Content[i+1])
		}
		return m
	case yaml.SequenceNode:
		s := []any{}
		for _, c := range n.Content {
			s = append(s, nodeValue(t, c))
		}
		return s
	}
	if n.Tag == "!!timestamp" {
		return n.Value
	}
	var v any
	if err := n.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestSchemaAcceptsValid validates every valid testdata config against the
// committed schema: what the loader accepts, editors must not flag.
func TestSchemaAcceptsValid(t *testing.T) {
	s := compileSchema(t)
	files, err := filepath.Glob("testdata/valid/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no valid configs: %v", err)
	}
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Validate(yamlToJSON(t, data)); err != nil {
			t.Errorf("%s: %v", path, err)
		}
	}
}

// TestSchemaRejectsUnknownFields checks the schema is as strict as the
// loader about keys, at the top level and nested.
func TestSchemaRejectsUnknownFields(t *testing.T) {
	s := compileSchema(t)
	base, err := os.ReadFile("testdata/valid/minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		"top level": string(base) + "extra: true\n",
		"control":   strings.Replace(string(base), "    title:", "    titel: x\n    title:", 1),
	}
	for name, doc := range cases {
		err := s.Validate(yamlToJSON(t, []byte(doc)))
		if err == nil {
			t.Errorf("%s: schema accepted an unknown field", name)
			continue
		}
		if !strings.Contains(err.Error(), "additional properties") {
			t.Errorf("%s: rejected for another reason: %v", name, err)
		}
		if _, lerr := Parse("x.yaml", []byte(doc), testOpts); lerr == nil {
			t.Errorf("%s: loader accepted what the schema rejects", name)
		}
	}
}

// TestPatternsMatchSchemaTags keeps the loader's id patterns equal to the
// jsonschema tags the schema is generated from.
func TestPatternsMatchSchemaTags(t *testing.T) {
	cases := []struct {
		typ   reflect.Type
		field string
		re    *regexp.Regexp
	}{
		{reflect.TypeFor[GitSource](), "ID", sourceIDPattern},
		{reflect.TypeFor[GitHubSource](), "ID", sourceIDPattern},
		{reflect.TypeFor[KubernetesSource](), "ID", sourceIDPattern},
		{reflect.TypeFor[Control](), "ID", controlIDPattern},
		{reflect.TypeFor[Evidence](), "ID", evidenceIDPattern},
		{reflect.TypeFor[Assertion](), "Name", assertionNamePattern},
	}
	for _, c := range cases {
		f, _ := c.typ.FieldByName(c.field)
		var tag string
		for _, part := range strings.Split(f.Tag.Get("jsonschema"), ",") {
			if p, ok := strings.CutPrefix(part, "pattern="); ok {
				tag = p
			}
		}
		if tag != c.re.String() {
			t.Errorf("%s.%s: schema pattern %q, loader pattern %q", c.typ.Name(), c.field, tag, c.re)
		}
	}
}
