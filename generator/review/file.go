package review

import (
	"bytes"
	"fmt"
	"path"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// File is one period's decisions file as read from the config repository.
type File struct {
	Path   string
	Period string
	// Decisions are the well-formed decisions, in file order; a malformed
	// one is left out and named in Problems.
	Decisions []Decision
	Problems  []string
}

// decisionFields are the fields a decision may have.
var decisionFields = map[string]bool{"principal": true, "access": true, "decision": true, "reviewer": true, "date": true, "note": true}

// Parse reads a decisions file. The period is the file's `period:` or,
// without one, its name (access-reviews/2026-Q4.yaml is 2026-Q4). Every
// problem names file:line:col.
func Parse(p string, data []byte) *File {
	f := &File{Path: p, Period: strings.TrimSuffix(path.Base(p), path.Ext(p))}
	bad := func(line, col int, format string, a ...any) {
		f.Problems = append(f.Problems, fmt.Sprintf("%s:%d:%d: %s", p, line, col, fmt.Sprintf(format, a...)))
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		f.Problems = append(f.Problems, fmt.Sprintf("%s: invalid YAML: %v", p, err))
		return f
	}
	if len(doc.Content) == 0 {
		bad(1, 1, "the file is empty; it needs `decisions:` (run `evident review start` to write one)")
		return f
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		bad(root.Line, root.Column, "expected a mapping with `period:` and `decisions:`")
		return f
	}
	var list *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		switch k.Value {
		case "period":
			f.Period = v.Value
		case "decisions":
			list = v
		default:
			bad(k.Line, k.Column, "unknown field %q (want period, decisions)", k.Value)
		}
	}
	if list == nil {
		bad(root.Line, root.Column, "no `decisions:` list")
		return f
	}
	if list.Kind != yaml.SequenceNode {
		if list.Tag != "!!null" {
			bad(list.Line, list.Column, "`decisions:` must be a list")
		}
		return f
	}
	for _, n := range list.Content {
		if n.Kind != yaml.MappingNode {
			bad(n.Line, n.Column, "a decision must be a mapping with principal, access, decision, reviewer, date")
			continue
		}
		ok := true
		for i := 0; i < len(n.Content); i += 2 {
			if k := n.Content[i]; !decisionFields[k.Value] {
				bad(k.Line, k.Column, "unknown field %q (want principal, access, decision, reviewer, date, note)", k.Value)
				ok = false
			}
		}
		var d Decision
		if err := n.Decode(&d); err != nil {
			bad(n.Line, n.Column, "%v", err)
			continue
		}
		d.Pos = fmt.Sprintf("%s:%d:%d", p, n.Line, n.Column)
		d.Decision = strings.ToLower(strings.TrimSpace(d.Decision))
		field := func(name string) (int, int) {
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == name {
					return n.Content[i+1].Line, n.Content[i+1].Column
				}
			}
			return n.Line, n.Column
		}
		if d.Principal == "" || d.Access == "" {
			bad(n.Line, n.Column, "a decision needs principal and access")
			continue
		}
		switch d.Decision {
		case "", Keep, Revoke:
		default:
			l, c := field("decision")
			bad(l, c, "decision %q: want keep or revoke (or empty while undecided)", d.Decision)
			ok = false
		}
		if d.Date != "" {
			if _, err := time.Parse("2006-01-02", d.Date); err != nil {
				l, c := field("date")
				bad(l, c, "date %q: want YYYY-MM-DD", d.Date)
				ok = false
			}
		}
		if d.Decision != "" && (d.Reviewer == "" || d.Date == "") {
			bad(n.Line, n.Column, "the %s decision on %s needs a reviewer and a date", d.Decision, d.Principal)
		}
		if ok {
			f.Decisions = append(f.Decisions, d)
		}
	}
	return f
}

// Start writes a decisions file for period, pre-filled with every pair of
// the population: decisions undecided, except that a pair already decided
// in keep (for example a file being refreshed) keeps its decision. A
// previous period's decision on the same pair is shown as a comment, never
// copied: each quarter's review is a new decision.
func Start(period string, pop []Grant, keep, previous *File) ([]byte, error) {
	pop = append([]Grant(nil), pop...)
	SortGrants(pop)
	old := map[string]Decision{}
	if keep != nil {
		for _, d := range keep.Decisions {
			old[d.key()] = d
		}
	}
	prev := map[string]Decision{}
	if previous != nil {
		for _, d := range previous.Decisions {
			prev[d.key()] = d
		}
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "# Access review %s: one decision per privileged (principal, access) pair,\n", period)
	b.WriteString("# written by `evident review start` from the latest evidence snapshot.\n")
	b.WriteString("# For each pair set decision to keep or revoke, reviewer to who decided (not\n")
	b.WriteString("# the principal themselves) and date (YYYY-MM-DD). A revoked access still\n")
	b.WriteString("# present in a later snapshot becomes a finding.\n")
	root := &yaml.Node{Kind: yaml.MappingNode}
	str := func(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }
	list := &yaml.Node{Kind: yaml.SequenceNode}
	root.Content = append(root.Content, str("period"), str(period), str("decisions"), list)
	for _, g := range pop {
		d := Decision{Principal: g.Principal, Access: g.Access()}
		if o, ok := old[d.key()]; ok {
			d = o
		}
		n := &yaml.Node{Kind: yaml.MappingNode}
		var notes []string
		if g.Via != "" {
			notes = append(notes, "via "+g.Via)
		}
		if p, ok := prev[d.key()]; ok && p.Decided() {
			notes = append(notes, fmt.Sprintf("%s: %s by %s on %s", previous.Period, p.Decision, p.Reviewer, p.Date))
		} else if previous != nil {
			notes = append(notes, "not in the "+previous.Period+" review")
		}
		n.HeadComment = strings.Join(notes, "; ")
		for _, kv := range [][2]string{{"principal", d.Principal}, {"access", d.Access}, {"decision", d.Decision}, {"reviewer", d.Reviewer}, {"date", d.Date}, {"note", d.Note}} {
			n.Content = append(n.Content, str(kv[0]), str(kv[1]))
		}
		list.Content = append(list.Content, n)
	}
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return nil, fmt.Errorf("write the decisions file: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("write the decisions file: %w", err)
	}
	return b.Bytes(), nil
}
