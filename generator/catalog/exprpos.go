package catalog

import (
	"strings"

	"gopkg.in/yaml.v3"
)

// A CEL error has a line and column inside the expression; the author needs
// the line and column in controls.yaml. yaml.v3 gives only where the scalar
// starts, so the mapping is rebuilt from the raw lines for each scalar style
// and then verified against the decoded value: when the rebuilt text does not
// reproduce the value exactly (escape sequences, blank lines in folded
// text, indentation indicators), we fall back to the start of the scalar
// rather than point at the wrong character.

// piece is a run of the scalar's value that sits on one line of the file.
type piece struct {
	off  int // rune offset of the run in the value
	line int // 1-based file line
	col  int // 1-based file column of the run's first rune
	n    int // runes in the run
}

// candidate is one file line's worth of possible scalar content.
type candidate struct {
	line, col int
	text      []rune
}

// scalarPieces maps n's value onto the file, or returns nil when it cannot
// do so reliably. lines are the file's lines without line terminators.
func scalarPieces(n *yaml.Node, lines []string) []piece {
	if n.Kind != yaml.ScalarNode || n.Line < 1 || n.Line > len(lines) {
		return nil
	}
	value := []rune(n.Value)
	switch n.Style {
	case 0, yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle:
		col := n.Column
		if n.Style != 0 {
			col++ // skip the opening quote
		}
		first := []rune(lines[n.Line-1])
		if col-1 > len(first) {
			return nil
		}
		cands := []candidate{{line: n.Line, col: col, text: first[col-1:]}}
		for l := n.Line + 1; l <= len(lines); l++ {
			r := []rune(lines[l-1])
			lead := leadingSpace(r)
			cands = append(cands, candidate{line: l, col: lead + 1, text: r[lead:]})
		}
		// Flow scalars fold each line break into one space.
		return matchPieces(value, cands, " ")
	case yaml.LiteralStyle, yaml.FoldedStyle:
		header := strings.TrimSpace(lines[n.Line-1][max(0, n.Column-1):])
		if strings.ContainsAny(header, "123456789") {
			return nil // explicit indentation indicator: not worth modelling
		}
		indent := -1
		var cands []candidate
		for l := n.Line + 1; l <= len(lines); l++ {
			r := []rune(lines[l-1])
			if indent < 0 {
				if len(strings.TrimSpace(lines[l-1])) == 0 {
					cands = append(cands, candidate{line: l, col: 1})
					continue
				}
				indent = leadingSpace(r)
			}
			var text []rune
			if len(r) > indent {
				text = r[indent:]
			}
			cands = append(cands, candidate{line: l, col: indent + 1, text: text})
		}
		seps := "\n"
		if n.Style == yaml.FoldedStyle {
			seps = " \n"
		}
		// Chomping only changes trailing line breaks, which no error points at.
		return matchPieces([]rune(strings.TrimRight(n.Value, "\n")), cands, seps)
	}
	return nil
}

// matchPieces lays value over the candidate lines: each line must continue
// the value exactly, apart from trailing blanks that folding drops, and each
// line break must appear in the value as one of seps.
func matchPieces(value []rune, cands []candidate, seps string) []piece {
	off := 0
	var out []piece
	for _, c := range cands {
		k := 0
		for k < len(c.text) && off+k < len(value) && c.text[k] == value[off+k] {
			k++
		}
		out = append(out, piece{off: off, line: c.line, col: c.col, n: k})
		off += k
		if off == len(value) {
			return out
		}
		if leadingSpace(c.text[k:]) != len(c.text[k:]) || !strings.ContainsRune(seps, value[off]) {
			return nil
		}
		off++ // the line break, folded or kept
	}
	return nil
}

// leadingSpace counts the spaces and tabs r starts with.
func leadingSpace(r []rune) int {
	i := 0
	for i < len(r) && (r[i] == ' ' || r[i] == '\t') {
		i++
	}
	return i
}

// exprOffset turns a 1-based line and column inside text into a rune offset.
func exprOffset(text string, line, col int) int {
	off := 0
	for i, l := range strings.Split(text, "\n") {
		if i == line-1 {
			return off + col - 1
		}
		off += len([]rune(l)) + 1
	}
	return off
}

// locate returns the file position of the rune at offset off in the value
// the pieces describe.
func locate(pieces []piece, off int) (line, col int) {
	p := pieces[0]
	for _, q := range pieces[1:] {
		if q.off > off {
			break
		}
		p = q
	}
	// An offset on a folded line break maps to the end of its line.
	return p.line, p.col + min(off-p.off, p.n)
}
