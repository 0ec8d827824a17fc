// Package evident embeds the default SOX 404 ITGC control pack, so the demo
// and `evident init` ship exactly the controls.yaml reviewed in this repo.
package evident

import _ "embed"

// DefaultControls is the default controls.yaml.
//
//go:embed controls.yaml
var DefaultControls []byte

// CollectorRBAC is deploy/k8s/rbac.yaml: evident's own least-privilege
// footprint in a cluster. The demo's GitOps cluster deploys exactly this
// file, so control K8-05 checks the footprint that ships.
//
//go:embed deploy/k8s/rbac.yaml
var CollectorRBAC []byte
