package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestSchemaUpToDate fails when docs/controls.schema.json is not what the Go
// types generate, so a change to types.go cannot land without its schema.
func TestSchemaUpToDate(t *testing.T) {
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	want, err := generate(filepath.Join(root, catalogDir))
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(root, schemaPath))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from what generator/catalog/types.go generates; run go run ./generator/catalog/internal/schemagen to update it", schemaPath)
	}
}

// TestDescriptionsFromComments guards the comment lookup, which silently
// yields no descriptions when the package path is computed wrongly.
func TestDescriptionsFromComments(t *testing.T) {
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	out, err := generate(filepath.Join(root, catalogDir))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(out, []byte(`"Expr is a CEL expression that evaluates to bool."`)) {
		t.Error("schema lacks the field descriptions taken from types.go doc comments")
	}
}
