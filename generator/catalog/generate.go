package catalog

// The JSON Schema in docs/ is generated from the types in this package; a
// test in internal/schemagen fails when it is stale.
//
//go:generate go run ./internal/schemagen
