package kube

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"sort"
	"strings"
	"sync"

	"k8s.io/client-go/kubernetes"

	"github.com/evident-project/evident/generator/catalog"
	"github.com/evident-project/evident/generator/collect"
	"github.com/evident-project/evident/generator/collect/kube/builtin"
)

// Modes, as provenance names them.
const (
	modeLive   = "live"
	modeGitOps = "gitops"
)

// session is one Collect call: the source, how it is read, and what the
// item will say about it.
type session struct {
	def  collect.Def
	src  *catalog.KubernetesSource
	req  collect.Request
	step string
	mode string

	// client is the live cluster's; nil in GitOps mode.
	client kubernetes.Interface
	reads  []collect.Read
	notes  []string
	source map[string]string
}

// begin checks the request: a Kubernetes source, only the parameters the
// collector takes, a context still live.
func begin(ctx context.Context, def collect.Def, req collect.Request, params ...string) (*session, error) {
	src, ok := req.Source.(*catalog.KubernetesSource)
	if !ok || src == nil {
		return nil, collect.Errorf(collect.KindInvalid, "collect "+def.Name, fmt.Errorf("source is %T, want a kubernetes source", req.Source))
	}
	id := src.ID
	if id == "" {
		id = req.SourceID
	}
	s := &session{def: def, src: src, req: req, step: "collect " + def.Name + " " + id}
	if err := ctx.Err(); err != nil {
		return nil, collect.Errorf(collect.KindCanceled, s.step, err)
	}
	var unknown []string
	for k := range req.Params {
		if !slices.Contains(params, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		takes := "none"
		if len(params) > 0 {
			takes = strings.Join(params, ", ")
		}
		return nil, collect.Errorf(collect.KindInvalid, s.step, fmt.Errorf("unknown parameters %v: %s takes %s", unknown, def.Name, takes))
	}
	s.mode = modeLive
	s.source = map[string]string{"cluster": id, "mode": modeLive}
	if src.Manifests != "" {
		if src.Kubeconfig != "" || src.Context != "" {
			return nil, collect.Errorf(collect.KindInvalid, s.step, errors.New("source sets both manifests and kubeconfig/context"))
		}
		s.mode = modeGitOps
		s.source = map[string]string{"cluster": id, "mode": modeGitOps, "manifests": src.Manifests}
	}
	return s, nil
}

// id is the source id the evidence names.
func (s *session) id() string { return s.source["cluster"] }

// fail wraps err as the typed error of a failed step; a canceled context
// wins over whatever the failing call returned, so the runner sees why.
func (s *session) fail(ctx context.Context, kind collect.ErrorKind, what string, err error) error {
	step := s.step
	if what != "" {
		step += ": " + what
	}
	if ctx.Err() != nil {
		return collect.Errorf(collect.KindCanceled, step, ctx.Err())
	}
	return collect.Errorf(kind, step, err)
}

// load reads the source's objects: from the cluster, or from the folder
// over the built-in defaults of a fresh kube-apiserver.
func (s *session) load(ctx context.Context, open Opener, what What) (*Objects, error) {
	if s.mode == modeGitOps {
		return s.loadManifests(ctx, what)
	}
	if open == nil {
		open = OpenCluster
	}
	cs, err := open(ctx, s.src, s.req.BaseDir)
	if err != nil {
		var ce *collect.Error
		if errors.As(err, &ce) {
			return nil, s.fail(ctx, ce.Kind, ce.Step, ce.Err)
		}
		return nil, s.fail(ctx, errKind(err), "open cluster", err)
	}
	s.client = cs
	if s.src.Context != "" {
		s.source["context"] = s.src.Context
	}
	if host := serverOf(cs); host != "" {
		s.source["server"] = host
	}
	o, reads, notes, err := ReadCluster(ctx, cs, what)
	s.reads = append(s.reads, reads...)
	if err != nil {
		var re *ReadError
		if errors.As(err, &re) {
			return nil, s.fail(ctx, errKind(re.Err), re.Step, re.Err)
		}
		return nil, s.fail(ctx, errKind(err), "read cluster", err)
	}
	s.notes = append(s.notes, notes...)
	return o, nil
}

func (s *session) loadManifests(ctx context.Context, what What) (*Objects, error) {
	m, err := ParseManifests(ctx, s.req.BaseDir, s.src.Manifests)
	if err != nil {
		kind := collect.KindInvalid
		if errors.Is(err, fs.ErrNotExist) {
			kind = collect.KindNotFound
		}
		return nil, s.fail(ctx, kind, "read manifests "+s.src.Manifests, err)
	}
	defaults, err := builtinManifests()
	if err != nil {
		return nil, s.fail(ctx, collect.KindInvalid, "read built-in defaults", err)
	}
	s.reads = append(s.reads, defaults.Reads...)
	s.reads = append(s.reads, m.Reads...)
	if len(m.Reads) == 0 {
		s.notes = append(s.notes, "the folder holds no manifests")
	}
	s.notes = append(s.notes, fmt.Sprintf("assumes the built-in RBAC defaults of kube-apiserver %v (its bootstrap roles, bindings and namespaces); a folder object of the same kind, namespace and name replaces the default, as kubectl apply would", builtin.KubernetesVersion))
	if len(m.Ignored) > 0 {
		var kinds []string
		for k, n := range m.Ignored {
			kinds = append(kinds, fmt.Sprintf("%s (%d)", k, n))
		}
		sort.Strings(kinds)
		s.notes = append(s.notes, "objects of kinds this collector does not read were counted and ignored: "+strings.Join(kinds, ", "))
	}
	s.notes = append(s.notes, m.Duplicates...)
	s.notes = append(s.notes, "the manifests show the declared state, not what is running: objects created outside the folder (by operators, controllers, Helm hooks or kubectl) are not in it")
	return Overlay(&defaults.Objects, &m.Objects), nil
}

var (
	defaultsOnce sync.Once
	defaults     *Manifests
	defaultsErr  error
)

// builtinManifests parses the built-in defaults once: they are the same
// bytes for every run of this build.
func builtinManifests() (*Manifests, error) {
	defaultsOnce.Do(func() {
		b := builtin.Defaults()
		name := fmt.Sprintf("builtin:kube-apiserver-%v-defaults.yaml", builtin.KubernetesVersion)
		p := &parser{m: &Manifests{Ignored: map[string]int{}}, seen: map[string]string{}}
		docs := splitDocuments(b)
		for _, d := range docs {
			if err := p.document(bytes.Clone(d.data), fmt.Sprintf("%s:%d", name, d.line)); err != nil {
				defaultsErr = err
				return
			}
		}
		p.m.Reads = []collect.Read{{Method: "read", Target: name, Status: "sha256:" + sha256Hex(b), Count: len(docs)}}
		defaults = p.m
	})
	return defaults, defaultsErr
}

// provenance assembles the item's provenance.
func (s *session) provenance(records map[string]int) collect.Provenance {
	notes := append([]string(nil), s.notes...)
	reads := s.reads
	if reads == nil {
		reads = []collect.Read{}
	}
	return collect.Provenance{
		Collector: s.def.Name,
		Version:   s.def.Version,
		Source:    s.source,
		Reads:     reads,
		Records:   records,
		Complete:  true,
		Notes:     notes,
	}
}
