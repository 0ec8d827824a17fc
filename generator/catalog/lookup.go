package catalog

import (
	"fmt"
	"time"

	// Embedded zone data makes timezone validation and period boundaries
	// independent of the machine (CI images often ship without tzdata).
	_ "time/tzdata"

	"github.com/evident-project/evident/generator/period"
)

// Source kinds, as named in collector defs and under sources:.
const (
	// SourceKindGit is a git repository (sources.git).
	SourceKindGit = "git"
	// SourceKindGitHub is a GitHub organisation (sources.github).
	SourceKindGitHub = "github"
	// SourceKindKubernetes is a cluster or manifest folder (sources.kubernetes).
	SourceKindKubernetes = "kubernetes"
)

// SourceKinds lists every source kind in the order sources: declares them.
var SourceKinds = []string{SourceKindGit, SourceKindGitHub, SourceKindKubernetes}

// Control returns the control with the given id, or nil.
func (c *Catalog) Control(id string) *Control {
	for i := range c.Controls {
		if c.Controls[i].ID == id {
			return &c.Controls[i]
		}
	}
	return nil
}

// SourceByID returns the source with the given id (*GitSource, *GitHubSource
// or *KubernetesSource) and its kind, or nil and "".
func (c *Catalog) SourceByID(id string) (any, string) {
	for i := range c.Sources.Git {
		if c.Sources.Git[i].ID == id {
			return &c.Sources.Git[i], SourceKindGit
		}
	}
	for i := range c.Sources.GitHub {
		if c.Sources.GitHub[i].ID == id {
			return &c.Sources.GitHub[i], SourceKindGitHub
		}
	}
	for i := range c.Sources.Kubernetes {
		if c.Sources.Kubernetes[i].ID == id {
			return &c.Sources.Kubernetes[i], SourceKindKubernetes
		}
	}
	return nil, ""
}

// SourceIDs returns the ids of every source of the given kind, in
// declaration order.
func (c *Catalog) SourceIDs(kind string) []string {
	var ids []string
	switch kind {
	case SourceKindGit:
		for _, s := range c.Sources.Git {
			ids = append(ids, s.ID)
		}
	case SourceKindGitHub:
		for _, s := range c.Sources.GitHub {
			ids = append(ids, s.ID)
		}
	case SourceKindKubernetes:
		for _, s := range c.Sources.Kubernetes {
			ids = append(ids, s.ID)
		}
	}
	return ids
}

// PeriodModel returns how this catalog cuts audit periods: its fiscal-year
// start (January when unset) in its timezone (UTC when unset).
func (c *Catalog) PeriodModel() (period.Model, error) {
	m := period.Model{FiscalYearStart: time.January, Location: time.UTC}
	if fy := c.Period.FiscalYearStart; fy != 0 {
		if fy < 1 || fy > 12 {
			return period.Model{}, fmt.Errorf("period model: fiscal_year_start %d is not a month 1-12", fy)
		}
		m.FiscalYearStart = time.Month(fy)
	}
	if tz := c.Period.Timezone; tz != "" {
		loc, err := loadZone(tz)
		if err != nil {
			return period.Model{}, fmt.Errorf("period model: %w", err)
		}
		m.Location = loc
	}
	return m, nil
}

// loadZone loads an IANA zone, refusing "Local": period boundaries must not
// depend on the machine a run happens on.
func loadZone(name string) (*time.Location, error) {
	if name == "Local" {
		return nil, fmt.Errorf("timezone %q depends on the machine running evident", name)
	}
	return time.LoadLocation(name)
}

// Resolve says which sources feed this evidence and so what its CEL variable
// holds. kind is the collector's source kind ("" for collectors that read no
// source). The rule, which the collect runner and the check evaluator share:
//
//   - source: set: the one item for that source; the variable is its data (list false).
//   - sources: set: one item per listed source; the variable is a list of their data, in the listed order.
//   - neither, kind "": one item with no source; the variable is its data
//     (ids is [""], the empty source id, and list is false).
//   - neither, kind set: one item per declared source of that kind, in
//     declaration order; the variable is a list of their data.
func (e Evidence) Resolve(c *Catalog, kind string) (sourceIDs []string, list bool) {
	switch {
	case e.Source != "":
		return []string{e.Source}, false
	case len(e.Sources) > 0:
		return append([]string(nil), e.Sources...), true
	case kind == "":
		return []string{""}, false
	}
	return c.SourceIDs(kind), true
}
