package catalog

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"
)

// CollectorIndex tells the loader which collector names exist and what kind
// of source each reads. collect.Registry satisfies it; the catalog does not
// import collect, which depends on the catalog.
type CollectorIndex interface {
	// Known reports whether name is a registered or planned collector, its
	// source kind ("" for none) and whether this build can run it.
	Known(name string) (sourceKind string, available, known bool)
}

// CollectorParams is optionally implemented by a CollectorIndex
// (collect.Registry does) so that parameters can be checked at validate
// time, with a position, instead of failing the collector at run time.
type CollectorParams interface {
	// Params returns the parameter names a registered collector accepts
	// and which of them are required; ok is false for planned collectors.
	Params(name string) (accepted, required []string, ok bool)
}

// CollectorNames is optionally implemented by a CollectorIndex (collect.Registry
// does) so that an unknown collector name can be answered with the closest
// known one.
type CollectorNames interface {
	// Names returns every known collector name, sorted.
	Names() []string
}

// Options configure loading.
type Options struct {
	// Collectors checks evidence collector names and source kinds; nil skips
	// those checks (for tools that only need the structure).
	Collectors CollectorIndex
}

// Load reads and validates the controls.yaml at path. A config problem is
// returned as an ErrorList naming path:line:col for each.
func Load(path string, opts Options) (*Catalog, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load catalog: %w", err)
	}
	return Parse(path, data, opts)
}

// Parse decodes and validates a controls.yaml held in memory; file names it
// in messages. It returns either a valid catalog or an ErrorList with every
// problem found, sorted by position.
func Parse(file string, data []byte, opts Options) (*Catalog, error) {
	d := newDecoder(file)
	c := &Catalog{}
	if root := d.parseYAML(data); root != nil {
		if root.Kind != yaml.MappingNode {
			d.errNode(root, "the file holds %s; it must be a mapping with version, organization and controls", describe(root))
		} else {
			d.decode(root, reflect.ValueOf(c).Elem(), "")
			c.File = file
			v := &validator{c: c, d: d, opts: opts, lines: splitLines(data)}
			v.validate()
			d.errs = append(d.errs, v.errs...)
		}
	}
	if len(d.errs) > 0 {
		sortErrors(d.errs)
		return nil, d.errs
	}
	sum := sha256.Sum256(data)
	c.File = file
	c.Raw = bytes.Clone(data)
	c.Digest = hex.EncodeToString(sum[:])
	return c, nil
}

// splitLines splits the file the way the YAML parser counts lines.
func splitLines(data []byte) []string {
	s := strings.ReplaceAll(string(data), "\r\n", "\n")
	return strings.Split(s, "\n")
}
