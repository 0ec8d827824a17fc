// Package results rewrites one section of bench/RESULTS.md, so each
// benchmark records its own figures without touching the others'.
package results

import (
	"errors"
	"os"
	"strings"
)

// Write replaces the section that starts with heading (a "## " line, up to
// the next "## " heading) with section, or appends it, leaving every other
// section as it was.
func Write(path, heading, section string) error {
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	text := string(old)
	if text == "" {
		text = "# Benchmarks\n\nFigures recorded by the scripts in bench/; each section names its command.\n"
	}
	if i := strings.Index(text, heading); i >= 0 {
		rest := text[i+len(heading):]
		end := len(text)
		if j := strings.Index(rest, "\n## "); j >= 0 {
			end = i + len(heading) + j + 1
		}
		text = text[:i] + section + "\n" + strings.TrimLeft(text[end:], "\n")
	} else {
		text = strings.TrimRight(text, "\n") + "\n\n" + section
	}
	return os.WriteFile(path, []byte(strings.TrimRight(text, "\n")+"\n"), 0o644)
}
