package evidence

import "testing"

func TestCanonicalIsStable(t *testing.T) {
	type s struct {
		Zeta  int            `json:"zeta"`
		Alpha map[string]any `json:"alpha"`
	}
	b, err := Canonical(s{Zeta: 12345678901234567, Alpha: map[string]any{"b": "<&>", "a": []any{2, 1}}})
	if err != nil {
		t.Fatal(err)
	}
	want := "{\n  \"alpha\": {\n    \"a\": [\n      2,\n      1\n    ],\n    \"b\": \"<&>\"\n  },\n  \"zeta\": 12345678901234567\n}\n"
	if string(b) != want {
		t.Errorf("canonical json:\n%s\nwant:\n%s", b, want)
	}
}

func TestItemPath(t *testing.T) {
	cases := []struct {
		collector, source string
		params            map[string]any
		want              string
	}{
		{"git.commits", "core-ledger", nil, "items/git/core-ledger/commits/2026-Q4.json"},
		{"github.branch_protection", "acme", nil, "items/github/acme/branch_protection/2026-Q4.json"},
		{"file", "", map[string]any{"paths": []any{"a/*.md"}}, "items/file/p-"},
	}
	for _, c := range cases {
		got := ItemPath(c.collector, c.source, c.params, "2026-Q4")
		if c.params == nil && got != c.want || c.params != nil && (len(got) != len(c.want)+10+len("/2026-Q4.json") || got[:len(c.want)] != c.want) {
			t.Errorf("ItemPath(%s, %s) = %s", c.collector, c.source, got)
		}
	}
	a := ItemPath("file", "", map[string]any{"paths": []any{"a"}, "text": true}, "2026-Q4")
	b := ItemPath("file", "", map[string]any{"text": true, "paths": []any{"a"}}, "2026-Q4")
	if a != b || a == ItemPath("file", "", map[string]any{"paths": []any{"b"}}, "2026-Q4") {
		t.Error("params digest depends on key order or ignores values")
	}
}
