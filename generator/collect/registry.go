package collect

import (
	"fmt"
	"sort"
)

// Registry lists the collectors this build has, and the names of collectors
// that are declared in the product but not built yet (so a controls.yaml can
// name them today and get an honest "unknown" instead of a config error).
type Registry struct {
	collectors map[string]Collector
	planned    map[string]string // name -> source kind
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{collectors: map[string]Collector{}, planned: map[string]string{}}
}

// Register adds a collector; it panics on an invalid or duplicate def, since
// the registry is filled once, in code, at start-up.
func (r *Registry) Register(c Collector) {
	d := c.Def()
	if err := d.Validate(); err != nil {
		panic(err)
	}
	if _, dup := r.collectors[d.Name]; dup {
		panic(fmt.Sprintf("collector %s registered twice", d.Name))
	}
	delete(r.planned, d.Name)
	r.collectors[d.Name] = c
}

// With returns a copy of the registry in which cs replace the collectors of
// the same names (the demo points cosign.artifacts at its in-process
// registry this way, leaving the caller's registry as it was).
func (r *Registry) With(cs ...Collector) *Registry {
	out := NewRegistry()
	for n, c := range r.collectors {
		out.collectors[n] = c
	}
	for n, k := range r.planned {
		out.planned[n] = k
	}
	for _, c := range cs {
		delete(out.collectors, c.Def().Name)
		out.Register(c)
	}
	return out
}

// Plan declares a collector name that a later version will provide.
func (r *Registry) Plan(name, sourceKind string) {
	if _, ok := r.collectors[name]; ok {
		return
	}
	r.planned[name] = sourceKind
}

// Lookup returns the collector named name.
func (r *Registry) Lookup(name string) (Collector, bool) {
	c, ok := r.collectors[name]
	return c, ok
}

// Known reports whether name is registered or planned, and its source kind.
func (r *Registry) Known(name string) (sourceKind string, available, known bool) {
	if c, ok := r.collectors[name]; ok {
		return c.Def().SourceKind, true, true
	}
	if k, ok := r.planned[name]; ok {
		return k, false, true
	}
	return "", false, false
}

// Params returns the parameters a registered collector declares in its
// def.yml, and which are required.
func (r *Registry) Params(name string) (accepted, required []string, ok bool) {
	c, ok := r.collectors[name]
	if !ok {
		return nil, nil, false
	}
	for _, p := range c.Def().Params {
		accepted = append(accepted, p.Name)
		if p.Required {
			required = append(required, p.Name)
		}
	}
	return accepted, required, true
}

// Names returns every registered and planned name, sorted.
func (r *Registry) Names() []string {
	var out []string
	for n := range r.collectors {
		out = append(out, n)
	}
	for n := range r.planned {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Defs returns the defs of the registered collectors, sorted by name.
func (r *Registry) Defs() []Def {
	var out []Def
	for _, c := range r.collectors {
		out = append(out, c.Def())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
