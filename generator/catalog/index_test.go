package catalog_test

import (
	"github.com/evident-project/evident/generator/catalog"
	"github.com/evident-project/evident/generator/collect"
)

// The real registry is what the CLI passes as Options.Collectors; this fails
// to compile if the two drift apart.
var (
	_ catalog.CollectorIndex = (*collect.Registry)(nil)
	_ catalog.CollectorNames = (*collect.Registry)(nil)
)
