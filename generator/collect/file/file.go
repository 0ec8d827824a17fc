// Package file is the collector for records kept as files in the config
// repository: the human side of controls (access reviews, tabletop exercises,
// restore tests, exported settings), which change only through reviewed PRs.
package file

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/evident-project/evident/generator/collect"
	"github.com/evident-project/evident/generator/evidence"
)

//go:embed def.yml
var defYAML []byte

// maxText bounds the text kept per file so a stray binary or log cannot bloat
// the evidence repository.
const maxText = 64 << 10

// Collector reads files matching glob patterns.
type Collector struct{ def collect.Def }

// New returns the file collector.
func New() collect.Collector {
	return &Collector{def: collect.MustParseDef(defYAML)}
}

// Def returns the collector's metadata.
func (c *Collector) Def() collect.Def { return c.def }

// Record is one matched file.
type Record struct {
	Path        string `json:"path"`
	SHA256      string `json:"sha256"`
	Size        int64  `json:"size"`
	FrontMatter any    `json:"front_matter"`
	Text        string `json:"text,omitempty"`
	Truncated   bool   `json:"truncated,omitempty"`
	ParseError  string `json:"parse_error,omitempty"`
}

// Data is the evidence the collector produces.
type Data struct {
	Patterns []string `json:"patterns"`
	Count    int      `json:"count"`
	Files    []Record `json:"files"`
}

// Collect reads every file matching the declared patterns.
func (c *Collector) Collect(ctx context.Context, req collect.Request) (*collect.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, collect.Errorf(collect.KindCanceled, "collect file", err)
	}
	patterns, err := stringList(req.Params["paths"])
	if err != nil || len(patterns) == 0 {
		return nil, collect.Errorf(collect.KindInvalid, "collect file: params.paths", fmt.Errorf("want a non-empty list of glob patterns"))
	}
	wantText, _ := req.Params["text"].(bool)
	for _, p := range patterns {
		if _, err := path.Match(strings.ReplaceAll(p, "**", "*"), ""); err != nil || path.IsAbs(p) || strings.HasPrefix(path.Clean(p), "..") {
			return nil, collect.Errorf(collect.KindInvalid, "collect file: params.paths", fmt.Errorf("pattern %q must be a relative glob inside the config folder", p))
		}
	}
	base := req.BaseDir
	if info, err := os.Stat(base); err != nil || !info.IsDir() {
		return nil, collect.Errorf(collect.KindNotFound, "collect file: open config folder", fmt.Errorf("%s is not a folder", base))
	}
	prov := collect.Provenance{
		Collector: c.def.Name, Version: c.def.Version,
		Source:  map[string]string{"root": "config repository"},
		Records: map[string]int{},
	}
	matched := map[string]bool{}
	err = filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		rel, _ := filepath.Rel(base, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if d.Name() == ".git" {
				return filepath.SkipDir
			}
			return nil
		}
		for _, pat := range patterns {
			if match(pat, rel) {
				matched[rel] = true
				break
			}
		}
		return nil
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil, collect.Errorf(collect.KindCanceled, "collect file: walk", ctx.Err())
		}
		return nil, collect.Errorf(collect.KindInvalid, "collect file: walk", err)
	}
	prov.Reads = append(prov.Reads, collect.Read{Method: "walk", Target: strings.Join(patterns, ", "), Status: "ok", Count: len(matched)})
	paths := make([]string, 0, len(matched))
	for p := range matched {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	data := Data{Patterns: patterns, Files: []Record{}}
	for _, rel := range paths {
		b, err := os.ReadFile(filepath.Join(base, filepath.FromSlash(rel)))
		if err != nil {
			return nil, collect.Errorf(collect.KindInvalid, "collect file: read "+rel, err)
		}
		prov.Reads = append(prov.Reads, collect.Read{Method: "read", Target: rel, Status: "ok"})
		rec := Record{Path: rel, SHA256: evidence.SHA256(b), Size: int64(len(b))}
		rec.FrontMatter, rec.ParseError = structured(rel, b)
		if wantText {
			t := b
			if len(t) > maxText {
				t, rec.Truncated = t[:maxText], true
			}
			rec.Text = string(t)
		}
		data.Files = append(data.Files, rec)
	}
	data.Count = len(data.Files)
	prov.Records["files"] = data.Count
	prov.Complete = true
	return &collect.Result{Data: data, Provenance: prov}, nil
}

// structured extracts what a record states: front matter of Markdown, or the
// whole document of YAML/JSON. A parse failure is evidence too, so it is
// returned as text rather than failing the collection.
func structured(name string, b []byte) (any, string) {
	var v any
	switch strings.ToLower(path.Ext(name)) {
	case ".md", ".markdown":
		fm, ok := frontMatter(b)
		if !ok {
			return nil, ""
		}
		if err := yaml.Unmarshal(fm, &v); err != nil {
			return nil, "front matter: " + err.Error()
		}
	case ".yaml", ".yml":
		if err := yaml.Unmarshal(b, &v); err != nil {
			return nil, err.Error()
		}
	case ".json":
		if err := json.Unmarshal(b, &v); err != nil {
			return nil, err.Error()
		}
	default:
		return nil, ""
	}
	return jsonSafe(v), ""
}

func frontMatter(b []byte) ([]byte, bool) {
	b = bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
	if !bytes.HasPrefix(b, []byte("---\n")) {
		return nil, false
	}
	rest := b[4:]
	end := bytes.Index(rest, []byte("\n---"))
	if end < 0 {
		return nil, false
	}
	return rest[:end+1], true
}

// jsonSafe turns YAML's map[any]any and time values into JSON-encodable ones.
func jsonSafe(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			t[k] = jsonSafe(x)
		}
		return t
	case map[any]any:
		m := make(map[string]any, len(t))
		for k, x := range t {
			m[fmt.Sprint(k)] = jsonSafe(x)
		}
		return m
	case []any:
		for i, x := range t {
			t[i] = jsonSafe(x)
		}
		return t
	case interface{ Format(string) string }: // time.Time from YAML timestamps
		return t.Format("2006-01-02T15:04:05Z07:00")
	}
	return v
}

// match reports whether rel matches a glob where "**" spans folders.
func match(pattern, rel string) bool {
	return matchParts(strings.Split(pattern, "/"), strings.Split(rel, "/"))
}

func matchParts(pat, parts []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			for i := 0; i <= len(parts); i++ {
				if matchParts(pat[1:], parts[i:]) {
					return true
				}
			}
			return false
		}
		if len(parts) == 0 {
			return false
		}
		if ok, _ := path.Match(pat[0], parts[0]); !ok {
			return false
		}
		pat, parts = pat[1:], parts[1:]
	}
	return len(parts) == 0
}

func stringList(v any) ([]string, error) {
	switch t := v.(type) {
	case string:
		return []string{t}, nil
	case []any:
		out := make([]string, 0, len(t))
		for _, x := range t {
			s, ok := x.(string)
			if !ok {
				return nil, fmt.Errorf("%v is not a string", x)
			}
			out = append(out, s)
		}
		return out, nil
	case []string:
		return t, nil
	}
	return nil, fmt.Errorf("want a list of strings")
}
