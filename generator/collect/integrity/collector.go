// Package integrity is the evident.integrity collector: the evidence
// repository verifying itself, so evidence integrity is a control with its
// own history like any other.
package integrity

import (
	"context"
	_ "embed"
	"errors"
	"os"
	"path/filepath"
	"time"

	"github.com/evident-project/evident/generator/collect"
	"github.com/evident-project/evident/generator/evidence"
	"github.com/evident-project/evident/generator/evidence/trust"
	"github.com/evident-project/evident/generator/evidence/verify"
)

//go:embed def.yml
var defYAML []byte

var def = collect.MustParseDef(defYAML)

// maxProblems bounds the problems listed in the item; a history rewritten
// from the root would otherwise copy itself into the evidence.
const maxProblems = 100

// Data is the evidence item's data.
type Data struct {
	Snapshots      int      `json:"snapshots"`
	Head           string   `json:"head"`
	ChainOK        bool     `json:"chain_ok"`
	SignaturesOK   bool     `json:"signatures_ok"`
	LatestManifest string   `json:"latest_manifest"`
	Checkpoint     string   `json:"checkpoint"`
	Problems       []string `json:"problems"`
	ProblemCount   int      `json:"problem_count"`
	Schedule       string   `json:"schedule"`
	MissingRuns    []string `json:"missing_runs"` // null without a schedule
}

// Collector verifies the evidence repository.
type Collector struct{}

// New returns the evident.integrity collector.
func New() collect.Collector { return Collector{} }

// Def is the collector's metadata.
func (Collector) Def() collect.Def { return def }

// Collect verifies the history of req.EvidenceDir up to its current HEAD.
func (Collector) Collect(ctx context.Context, req collect.Request) (*collect.Result, error) {
	const step = "collect evident.integrity"
	if req.Catalog == nil {
		return nil, collect.Errorf(collect.KindInvalid, step+": no catalog in the request", nil)
	}
	prov := collect.Provenance{Collector: def.Name, Version: def.Version, Source: map[string]string{"repository": "evidence"}}
	if _, err := os.Stat(filepath.Join(req.EvidenceDir, ".git")); errors.Is(err, os.ErrNotExist) {
		prov.Notes = append(prov.Notes, "the evidence repository does not exist yet: nothing to verify before the first run")
		return &collect.Result{Data: Data{Problems: []string{}}, Provenance: prov}, nil
	}
	store, err := evidence.Open(req.EvidenceDir)
	if err != nil {
		return nil, collect.Errorf(collect.KindNotFound, step, err)
	}
	head, err := store.Head()
	if errors.Is(err, evidence.ErrNoSnapshot) {
		prov.Notes = append(prov.Notes, "the evidence repository has no snapshot yet: nothing to verify before the first run")
		return &collect.Result{Data: Data{Problems: []string{}}, Provenance: prov}, nil
	}
	if err != nil {
		return nil, collect.Errorf(collect.KindUnavailable, step, err)
	}
	in := req.Catalog.Integrity
	opts, files, err := trust.Options(in, trust.DirReader(req.BaseDir), req.Now)
	if err != nil {
		return nil, collect.Errorf(collect.KindInvalid, step, err)
	}
	for _, f := range files {
		prov.Reads = append(prov.Reads, collect.Read{Method: "read", Target: f.Path + " sha256:" + f.SHA256, Status: "ok"})
	}
	rep, err := verify.RunFrom(ctx, store, head, opts)
	if err != nil {
		if ctx.Err() != nil {
			return nil, collect.Errorf(collect.KindCanceled, step, err)
		}
		return nil, collect.Errorf(collect.KindUnavailable, step, err)
	}
	prov.Reads = append(prov.Reads, collect.Read{Method: "walk", Target: "evidence history to " + head.String(), Status: "ok", Count: len(rep.Snapshots)})
	d := Data{
		Snapshots:      len(rep.Snapshots),
		Head:           rep.Head,
		ChainOK:        rep.ChainOK(),
		SignaturesOK:   rep.SignaturesOK(),
		LatestManifest: rep.LatestManifest,
		Checkpoint:     in.Checkpoint,
		Problems:       []string{},
		ProblemCount:   len(rep.Problems),
		Schedule:       in.Schedule,
	}
	for i, p := range rep.Problems {
		if i == maxProblems {
			break
		}
		d.Problems = append(d.Problems, p.String())
	}
	if in.Schedule != "" {
		d.MissingRuns = []string{}
		for _, g := range rep.Gaps {
			if req.Period.Contains(g.Due) {
				d.MissingRuns = append(d.MissingRuns, g.Due.Format(time.RFC3339))
			}
		}
	}
	prov.Records = map[string]int{"snapshots": d.Snapshots, "problems": d.ProblemCount}
	if d.MissingRuns != nil {
		prov.Records["missing_runs"] = len(d.MissingRuns)
	}
	prov.Complete = true
	return &collect.Result{Data: d, Provenance: prov}, nil
}
