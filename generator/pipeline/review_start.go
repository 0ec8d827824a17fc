package pipeline

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/evident-project/evident/generator/collect"
	"github.com/evident-project/evident/generator/review"
)

// ReviewStartOptions say which period's decisions file to write.
type ReviewStartOptions struct {
	EvidenceDir string
	// ConfigPath is controls.yaml; the decisions glob is relative to its
	// folder.
	ConfigPath string
	// Period defaults to the period of the snapshot at Rev.
	Period string
	Rev    string
	// Out overrides where the file is written.
	Out      string
	Registry *collect.Registry
}

// ReviewStartResult says what was written.
type ReviewStartResult struct {
	Path   string
	Pairs  int
	Kept   int
	Commit string
}

// ReviewStart writes (or refreshes) a period's access-review decisions file
// pre-filled with the privileged population of the period's latest
// snapshot. Decisions already in the file are kept; pairs no longer in the
// population are dropped from it (the page lists decisions naming no
// access, so nothing is lost silently: the old file is in git).
func ReviewStart(o ReviewStartOptions) (ReviewStartResult, error) {
	var res ReviewStartResult
	cat, err := LoadCatalog(o.ConfigPath, o.Registry)
	if err != nil {
		return res, err
	}
	store, snap, err := openAt(o.EvidenceDir, o.Rev)
	if err != nil {
		return res, fmt.Errorf("review start: %w", err)
	}
	if o.Period == "" {
		o.Period = snap.Manifest.Period.ID
	}
	for snap.Manifest.Period.ID != o.Period {
		if snap.Parent.IsZero() {
			return res, fmt.Errorf("review start: no snapshot of %s in the evidence history from %s; run `evident run` in the period first, or pick another --period", o.Period, o.Rev)
		}
		if snap, err = store.Snapshot(snap.Parent); err != nil {
			return res, fmt.Errorf("review start: read history: %w", err)
		}
	}
	pop := reviewPopulation(snap)
	if pop.Problem != "" {
		return res, fmt.Errorf("review start: the privileged population of %s (snapshot %s) is not whole: %s", o.Period, snap.Commit.String()[:12], pop.Problem)
	}
	glob := cat.AccessReviews.DecisionsGlob()
	dir := filepath.Dir(o.ConfigPath)
	out := o.Out
	if out == "" {
		out = filepath.Join(dir, filepath.FromSlash(strings.Replace(glob, "*", o.Period, 1)))
	}
	var keep *review.File
	if b, err := os.ReadFile(out); err == nil {
		keep = review.Parse(out, b)
		if len(keep.Problems) > 0 {
			return res, fmt.Errorf("review start: %s exists and has problems; fix them first, nothing was written:\n  %s", out, strings.Join(keep.Problems, "\n  "))
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return res, fmt.Errorf("review start: %w", err)
	}
	previous := previousFile(dir, glob, o.Period)
	b, err := review.Start(o.Period, pop.Grants, keep, previous)
	if err != nil {
		return res, err
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return res, fmt.Errorf("review start: %w", err)
	}
	if err := writeFileAtomic(out, b); err != nil {
		return res, fmt.Errorf("review start: %w", err)
	}
	res = ReviewStartResult{Path: out, Pairs: len(pop.Grants), Commit: snap.Commit.String()}
	if keep != nil {
		live := map[string]bool{}
		for _, g := range pop.Grants {
			live[g.Principal+"\x00"+g.Access()] = true
		}
		for _, d := range keep.Decisions {
			if d.Decided() && live[d.Principal+"\x00"+d.Access] {
				res.Kept++
			}
		}
	}
	return res, nil
}

// previousFile is the decisions file of the period before, read from the
// config folder, for the "kept in Q3 by" hints; nil when there is none.
func previousFile(dir, glob, period string) *review.File {
	matches, _ := filepath.Glob(filepath.Join(dir, filepath.FromSlash(glob)))
	var best *review.File
	for _, m := range matches {
		b, err := os.ReadFile(m)
		if err != nil {
			continue
		}
		f := review.Parse(m, b)
		if f.Period < period && (best == nil || f.Period > best.Period) {
			best = f
		}
	}
	return best
}
