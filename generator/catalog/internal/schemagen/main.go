// Command schemagen writes docs/controls.schema.json, the JSON Schema of
// controls.yaml v1, from the Go types in generator/catalog, so editors can
// complete and check a config before evident ever loads it. Run it from
// anywhere in the module:
//
//	go run ./generator/catalog/internal/schemagen
//
// or `go generate ./generator/catalog`. With -check it writes nothing and
// exits 1 when the committed file is stale.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"reflect"

	"github.com/invopop/jsonschema"

	"github.com/evident-project/evident/generator/catalog"
)

// schemaPath is where the schema lives, relative to the module root.
const schemaPath = "docs/controls.schema.json"

// catalogDir is the catalog package, relative to the module root.
const catalogDir = "generator/catalog"

func main() {
	check := flag.Bool("check", false, "do not write; exit 1 if "+schemaPath+" is stale")
	flag.Parse()
	if err := run(*check); err != nil {
		fmt.Fprintln(os.Stderr, "schemagen:", err)
		os.Exit(1)
	}
}

func run(check bool) error {
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	want, err := generate(filepath.Join(root, catalogDir))
	if err != nil {
		return err
	}
	out := filepath.Join(root, schemaPath)
	if check {
		got, err := os.ReadFile(out)
		if err != nil {
			return err
		}
		if !bytes.Equal(got, want) {
			return fmt.Errorf("%s is stale; run go run ./generator/catalog/internal/schemagen", schemaPath)
		}
		return nil
	}
	return os.WriteFile(out, want, 0o644)
}

// moduleRoot is the nearest directory at or above the working directory
// holding go.mod, so the command works from the root and under go generate.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory; run inside the evident module")
		}
		dir = parent
	}
}

// generate reflects the schema from the catalog types; pkgDir is the catalog
// package's source directory, read for the doc comments that become
// descriptions.
func generate(pkgDir string) ([]byte, error) {
	r := &jsonschema.Reflector{
		// The loader reads yaml tags; so does the schema.
		FieldNameTag: "yaml",
		// Required means what the loader requires (jsonschema:"required"),
		// not "has no omitempty".
		RequiredFromJSONSchemaTags: true,
		// No $id: the schema is referenced by path from editors and tests,
		// and an invented URL would suggest it is published there.
		Anonymous: true,
		Mapper:    enums,
	}
	// AddGoComments names packages by joining its first argument with the
	// walked path, so pass the import path of the working directory and the
	// path from there to the package.
	cwd, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	walk, err := filepath.Rel(cwd, pkgDir)
	if err != nil {
		return nil, err
	}
	back, err := filepath.Rel(pkgDir, cwd)
	if err != nil {
		return nil, err
	}
	pkg := reflect.TypeFor[catalog.Catalog]().PkgPath()
	if err := r.AddGoComments(path.Join(pkg, filepath.ToSlash(back)), walk); err != nil {
		return nil, fmt.Errorf("read doc comments in %s: %w", pkgDir, err)
	}
	s := r.Reflect(&catalog.Catalog{})
	s.Title = "evident controls.yaml v1"
	s.Description = "The SOX 404 ITGC control catalog read by evident: the organisation, audit periods, evidence sources, controls with their evidence and CEL assertions, and exceptions. Generated from generator/catalog/types.go; do not edit."
	out, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// enums gives the string enums their values, taken from the same lists the
// loader validates against so the two cannot drift.
func enums(t reflect.Type) *jsonschema.Schema {
	switch t {
	case reflect.TypeFor[catalog.Family]():
		return enum("An ITGC family.", catalog.Families)
	case reflect.TypeFor[catalog.Frequency]():
		return enum("How often a control operates.", catalog.Frequencies)
	case reflect.TypeFor[catalog.Severity]():
		return enum("A finding severity, most severe first.", catalog.Severities)
	}
	return nil
}

func enum[S ~string](desc string, values []S) *jsonschema.Schema {
	s := &jsonschema.Schema{Type: "string", Description: desc}
	for _, v := range values {
		s.Enum = append(s.Enum, string(v))
	}
	return s
}
