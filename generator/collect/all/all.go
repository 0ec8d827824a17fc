// Package all fills the collector registry: the one place that lists every
// collector this build has, and those the control pack already names but a
// later version will provide.
package all

import (
	"github.com/evident-project/evident/generator/collect"
	"github.com/evident-project/evident/generator/collect/command"
	"github.com/evident-project/evident/generator/collect/cosign"
	"github.com/evident-project/evident/generator/collect/file"
	"github.com/evident-project/evident/generator/collect/github"
	"github.com/evident-project/evident/generator/collect/gitrepo"
	"github.com/evident-project/evident/generator/collect/integrity"
	"github.com/evident-project/evident/generator/collect/kube"
)

// Registry returns a registry with every collector of this build.
func Registry() *collect.Registry {
	r := collect.NewRegistry()
	r.Register(gitrepo.New())
	r.Register(file.New())
	r.Register(command.New())
	r.Register(integrity.New())
	r.Register(cosign.New())
	// The GitHub collectors share one HTTP stack: one concurrency bound and
	// one rate-limit pause across all of them, one ETag cache (in the run's
	// cache folder), a GitHub App token minted once.
	for _, c := range github.Collectors() {
		r.Register(c)
	}
	// kube.rbac and kube.admission: a live cluster through client-go, or a
	// GitOps folder of manifests.
	for _, c := range kube.Collectors() {
		r.Register(c)
	}

	// Named by controls.yaml today; until built, their evidence is recorded
	// as "collector X not available" and dependent controls are unknown.
	for name, kind := range map[string]string{
		"github.audit_log": "github",
	} {
		r.Plan(name, kind)
	}
	return r
}
