// Package evident embeds the default SOX 404 ITGC control pack, so the demo
// and `evident init` ship exactly the controls.yaml reviewed in this repo.
package evident

import _ "embed"

// DefaultControls is the default controls.yaml.
//
//go:embed controls.yaml
var DefaultControls []byte
