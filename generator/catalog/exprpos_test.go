package catalog

import (
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestScalarPieces checks that a rune inside each scalar style maps back to
// its own line and column: every case holds one "@", and the position found
// through the decoded value must be where "@" is in the file.
func TestScalarPieces(t *testing.T) {
	cases := map[string]struct {
		doc      string
		fallback bool // the layout cannot be mapped exactly
	}{
		"plain":              {doc: "k: a && @b\n"},
		"plain multi-line":   {doc: "k: a &&\n  b ||\n    c @d\n"},
		"single-quoted":      {doc: "k: 'a && @b'\n"},
		"double-quoted":      {doc: "k: \"a &&\n   @b\"\n"},
		"literal":            {doc: "k: |\n  a.all(x,\n    x.y == @z)\n"},
		"literal keep":       {doc: "k: |+\n  a\n  @b\n\n"},
		"literal blank line": {doc: "k: |\n\n  a &&\n\n  @b\n"},
		"folded":             {doc: "k: >-\n  a.all(x,\n  x.y == @z)\n"},
		"nested":             {doc: "a:\n  - k: |\n      one\n      two @\n"},
		"tab indented value": {doc: "k:\t'a\t@'\n"},
		"escape":             {doc: "k: \"\\u0061 && @b\"\n", fallback: true},
		"quote escape":       {doc: "k: 'it''s @'\n", fallback: true},
		"folded blank line":  {doc: "k: >\n  a\n\n  @b\n", fallback: true},
		"indent indicator":   {doc: "k: |2\n   a @\n", fallback: true},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			var doc yaml.Node
			if err := yaml.Unmarshal([]byte(c.doc), &doc); err != nil {
				t.Fatal(err)
			}
			n := findKey(doc.Content[0], "k")
			if n == nil {
				t.Fatal("no k")
			}
			pieces := scalarPieces(n, splitLines([]byte(c.doc)))
			if c.fallback {
				if pieces != nil {
					t.Fatalf("mapped %q, want a fallback", n.Value)
				}
				return
			}
			if pieces == nil {
				t.Fatalf("could not map %q", n.Value)
			}
			off := strings.Index(n.Value, "@")
			off = len([]rune(n.Value[:off]))
			line, col := locate(pieces, off)
			wantLine, wantCol := marker(c.doc)
			if line != wantLine || col != wantCol {
				t.Errorf("@ mapped to %d:%d, want %d:%d", line, col, wantLine, wantCol)
			}
		})
	}
}

func findKey(n *yaml.Node, key string) *yaml.Node {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				return n.Content[i+1]
			}
			if f := findKey(n.Content[i+1], key); f != nil {
				return f
			}
		}
	case yaml.SequenceNode:
		for _, c := range n.Content {
			if f := findKey(c, key); f != nil {
				return f
			}
		}
	}
	return nil
}

// marker is the 1-based position of "@" in doc.
func marker(doc string) (int, int) {
	for i, l := range strings.Split(doc, "\n") {
		if j := strings.Index(l, "@"); j >= 0 {
			return i + 1, len([]rune(l[:j])) + 1
		}
	}
	return 0, 0
}

func TestExprOffset(t *testing.T) {
	text := "ab\ncdé\nf"
	for _, c := range []struct{ line, col, want int }{{1, 1, 0}, {1, 3, 2}, {2, 1, 3}, {2, 3, 5}, {3, 1, 7}} {
		if got := exprOffset(text, c.line, c.col); got != c.want {
			t.Errorf("exprOffset(%d:%d) = %d, want %d", c.line, c.col, got, c.want)
		}
	}
}

// TestCRLF checks positions in a file with Windows line endings.
func TestCRLF(t *testing.T) {
	doc := strings.ReplaceAll(`version: 1
organization:
  name: Acme
controls:
  - id: CM-01
    title: t
    family: change_management
    objective: o
    risk: r
    owner: o
    frequency: daily
    assertions:
      - name: a
        expr: |
          true &&
            missing
        severity: low
        message: m
`, "\n", "\r\n")
	_, err := Parse("c.yaml", []byte(doc), testOpts)
	want := `c.yaml:16:13: assertion "a" refers to evidence "missing", which control CM-01 does not declare; declare it under evidence: or fix the name`
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}
