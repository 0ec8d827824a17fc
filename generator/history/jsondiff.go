package history

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// maxLines bounds what one item's description says; the rest is counted,
// and git diff between the two commits shows everything.
const maxLines = 30

// lines collects described changes up to maxLines.
type lines struct {
	out  []string
	more int
}

func (l *lines) add(format string, a ...any) {
	if len(l.out) >= maxLines {
		l.more++
		return
	}
	l.out = append(l.out, fmt.Sprintf(format, a...))
}

func (l *lines) result() []string {
	if l.more > 0 {
		return append(l.out, fmt.Sprintf("… and %d more change(s); git diff between the two commits shows them all", l.more))
	}
	return l.out
}

// pathText names a place in an item's data in words: keys with their
// underscores as spaces, list elements by what identifies them.
func pathText(path []string) string {
	if len(path) == 0 {
		return "data"
	}
	return strings.Join(path, " › ")
}

func word(key string) string { return strings.ReplaceAll(key, "_", " ") }

func with(path []string, seg string) []string {
	return append(append([]string(nil), path...), seg)
}

// diffValue describes how b differs from a at path, generically: the
// fallback for evidence no describer knows, and for the fields of known
// evidence a describer does not name itself.
func diffValue(l *lines, path []string, a, b any) {
	if equal(a, b) {
		return
	}
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		diffMap(l, path, am, bm, nil)
		return
	}
	al, aok := a.([]any)
	bl, bok := b.([]any)
	if aok && bok {
		diffList(l, path, al, bl)
		return
	}
	l.add("%s: %s → %s", pathText(path), brief(a), brief(b))
}

// diffMap compares two objects key by key, leaving out the keys in skip
// (those a describer already described).
func diffMap(l *lines, path []string, a, b map[string]any, skip map[string]bool) {
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		if !skip[k] {
			sorted = append(sorted, k)
		}
	}
	sort.Strings(sorted)
	for _, k := range sorted {
		diffValue(l, with(path, word(k)), a[k], b[k])
	}
}

// diffList compares two lists: scalars as sets, objects matched by the
// fields that identify them (repo and number, login, name…), otherwise
// position by position.
func diffList(l *lines, path []string, a, b []any) {
	if scalars(a) && scalars(b) {
		added, removed := setDiff(a, b)
		if len(added) == 1 && len(removed) == 1 && len(a) == 1 && len(b) == 1 {
			l.add("%s: %s → %s", pathText(path), removed[0], added[0])
			return
		}
		if len(added) > 0 {
			l.add("%s: added %s", pathText(path), listText(added))
		}
		if len(removed) > 0 {
			l.add("%s: removed %s", pathText(path), listText(removed))
		}
		return
	}
	if keys := identity(a, b); keys != nil {
		ai, bi := index(a, keys), index(b, keys)
		for _, e := range b {
			id := label(e.(map[string]any), keys)
			if old, ok := ai[id]; ok {
				diffValue(l, with(path, id), old, e)
			} else {
				l.add("%s: added %s", pathText(path), id)
			}
		}
		for _, e := range a {
			id := label(e.(map[string]any), keys)
			if _, ok := bi[id]; !ok {
				l.add("%s: removed %s", pathText(path), id)
			}
		}
		return
	}
	if len(a) == len(b) {
		for i := range a {
			diffValue(l, with(path, fmt.Sprintf("#%d", i+1)), a[i], b[i])
		}
		return
	}
	l.add("%s: %d → %d entries", pathText(path), len(a), len(b))
}

// identityKeys are the fields that name a list element in evidence, most
// specific first.
var identityKeys = [][]string{
	{"repo", "number"}, {"repo", "branch"}, {"repo", "name"}, {"repo", "id"},
	{"subject"}, {"sha"}, {"login", "scope"}, {"login"}, {"path"},
	{"namespace", "name"}, {"kind", "name"}, {"slug"}, {"id"}, {"name"},
	{"repo"}, {"team"}, {"digest"}, {"reference"}, {"key"}, {"context"}, {"email"},
}

// identity picks the first key set that every element of both lists has
// and that tells the elements of each list apart.
func identity(a, b []any) []string {
	for _, keys := range identityKeys {
		if identifies(a, keys) && identifies(b, keys) {
			return keys
		}
	}
	return nil
}

func identifies(list []any, keys []string) bool {
	seen := map[string]bool{}
	for _, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			return false
		}
		for _, k := range keys {
			if !scalar(m[k]) || m[k] == nil {
				return false
			}
		}
		id := label(m, keys)
		if seen[id] {
			return false
		}
		seen[id] = true
	}
	return true
}

func index(list []any, keys []string) map[string]any {
	out := make(map[string]any, len(list))
	for _, e := range list {
		out[label(e.(map[string]any), keys)] = e
	}
	return out
}

func label(m map[string]any, keys []string) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = scalarText(m[k])
	}
	return strings.Join(parts, " ")
}

func scalar(v any) bool {
	switch v.(type) {
	case nil, string, bool, json.Number, float64, int:
		return true
	}
	return false
}

func scalars(list []any) bool {
	for _, e := range list {
		if !scalar(e) {
			return false
		}
	}
	return true
}

// setDiff returns the texts of b's elements not in a and of a's not in b,
// in their lists' order (evidence lists are sorted, so the order is stable).
func setDiff(a, b []any) (added, removed []string) {
	inA, inB := map[string]int{}, map[string]int{}
	for _, e := range a {
		inA[scalarText(e)]++
	}
	for _, e := range b {
		inB[scalarText(e)]++
	}
	for _, e := range b {
		if t := scalarText(e); inA[t] > 0 {
			inA[t]--
		} else {
			added = append(added, brief(e))
		}
	}
	for _, e := range a {
		if t := scalarText(e); inB[t] > 0 {
			inB[t]--
		} else {
			removed = append(removed, brief(e))
		}
	}
	return added, removed
}

// listText joins up to ten values; the rest are counted.
func listText(vs []string) string {
	if len(vs) > 10 {
		return strings.Join(vs[:10], ", ") + fmt.Sprintf(" and %d more", len(vs)-10)
	}
	return strings.Join(vs, ", ")
}

func scalarText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		return fmt.Sprint(x)
	case json.Number:
		return x.String()
	case float64:
		return fmt.Sprint(x)
	case int:
		return fmt.Sprint(x)
	}
	return fmt.Sprint(v)
}

// brief is a value in a sentence: short strings as they are, digests and
// long text shortened, containers by their size.
func brief(v any) string {
	switch x := v.(type) {
	case nil:
		return "none"
	case string:
		switch {
		case x == "":
			return "(empty)"
		case len(x) >= 40 && hexString(x):
			return x[:12]
		case len([]rune(x)) > 60:
			return string([]rune(x)[:57]) + "…"
		}
		return x
	case map[string]any:
		for _, keys := range identityKeys {
			if identifies([]any{x}, keys) {
				return label(x, keys)
			}
		}
		return fmt.Sprintf("%d fields", len(x))
	case []any:
		if len(x) <= 5 && scalars(x) {
			parts := make([]string, len(x))
			for i, e := range x {
				parts[i] = brief(e)
			}
			return "[" + strings.Join(parts, ", ") + "]"
		}
		return fmt.Sprintf("%d entries", len(x))
	}
	return scalarText(v)
}

func hexString(s string) bool {
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
			return false
		}
	}
	return true
}

// equal compares generic JSON; numbers by value, so 2 and 2.0 are equal.
func equal(a, b any) bool {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !equal(v, w) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equal(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	if fa, ok := number(a); ok {
		fb, ok := number(b)
		return ok && fa == fb
	}
	return a == b
}
