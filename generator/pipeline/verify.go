package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/evident-project/evident/generator/catalog"
	"github.com/evident-project/evident/generator/collect"
	"github.com/evident-project/evident/generator/evidence"
	"github.com/evident-project/evident/generator/evidence/trust"
	"github.com/evident-project/evident/generator/evidence/verify"
)

// VerifyOptions configures `evident verify`.
type VerifyOptions struct {
	EvidenceDir string
	// ConfigPath is the reviewed controls.yaml whose integrity section says
	// what to trust. When it does not exist, the trust recorded in the
	// snapshot being verified is used, and TrustFromEvidence says so.
	ConfigPath string
	// Rev is where verification starts; empty means HEAD.
	Rev string
	// Checkpoint, when set, overrides integrity.checkpoint.
	Checkpoint string
	Registry   *collect.Registry
	Now        time.Time
	Progress   func(done, total int)
	// Cached reuses, and keeps, each snapshot's result in the evidence
	// repository's cache (see dirCache). The site build uses it so a daily
	// rebuild verifies only the new snapshot; `evident verify`, an
	// auditor's check, never does and recomputes everything.
	Cached bool
	// CacheDir is where Cached keeps the results; empty means
	// .git/evident-cache in the evidence repository.
	CacheDir string
}

// VerifyResult is a verification report with what it trusted.
type VerifyResult struct {
	*verify.Report
	Integrity catalog.Integrity `json:"integrity"`
	// TrustFiles are the key files trust was read from, with digests.
	TrustFiles []evidence.FileRef `json:"trust_files"`
	// TrustFromEvidence is true when no reviewed config was given and the
	// keys recorded in the evidence itself were trusted: whoever could
	// rewrite the evidence could have replaced them too.
	TrustFromEvidence bool `json:"trust_from_evidence"`
}

// Verify checks the evidence repository's whole history.
func Verify(ctx context.Context, o VerifyOptions) (*VerifyResult, error) {
	store, snap, err := openAt(o.EvidenceDir, o.Rev)
	if err != nil {
		return nil, err
	}
	return verifySnapshot(ctx, store, snap, nil, o)
}

// verifySnapshot verifies the history ending at snap, already read from
// store (o.EvidenceDir and o.Rev are not used). snapCat, when the caller has
// it, is snap's own parsed config; it is parsed here otherwise.
func verifySnapshot(ctx context.Context, store *evidence.Store, snap *evidence.Snapshot, snapCat *catalog.Catalog, o VerifyOptions) (*VerifyResult, error) {
	res := &VerifyResult{}
	var read trust.ReadFile
	var in catalog.Integrity
	switch _, err := os.Stat(o.ConfigPath); {
	case o.ConfigPath != "" && err == nil:
		cat, err := LoadCatalog(o.ConfigPath, o.Registry)
		if err != nil {
			return nil, err
		}
		in, read = cat.Integrity, trust.DirReader(filepath.Dir(o.ConfigPath))
	case o.ConfigPath == "" || errors.Is(err, fs.ErrNotExist):
		if snapCat == nil {
			if snapCat, err = catalog.Parse(evidence.ConfigPath, snap.Config, catalog.Options{Collectors: o.Registry}); err != nil {
				return nil, fmt.Errorf("verify: the config recorded in snapshot %s: %w", snap.Commit.String()[:12], err)
			}
		}
		in, read = snapCat.Integrity, trust.SnapshotReader(snap)
		res.TrustFromEvidence = true
	default:
		return nil, fmt.Errorf("verify: %w", err)
	}
	if o.Checkpoint != "" {
		in.Checkpoint = o.Checkpoint
	}
	now := o.Now
	if now.IsZero() {
		now = time.Now()
	}
	opts, files, err := trust.Options(in, read, now)
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	opts.Progress = o.Progress
	if o.Cached {
		opts.Cache = cacheFor(store, o.CacheDir, "verify")
		opts.CacheSalt = trustSalt(in, files, res.TrustFromEvidence)
	}
	rep, err := verify.RunFrom(ctx, store, snap.Commit, opts)
	if err != nil {
		return nil, err
	}
	res.Report, res.Integrity, res.TrustFiles = rep, in, files
	return res, nil
}

// trustSalt digests everything verification trusts, so cached results
// never survive a change of keys, identities or trust source.
func trustSalt(in catalog.Integrity, files []evidence.FileRef, fromEvidence bool) string {
	b, _ := json.Marshal(struct {
		Manifest any
		Commits  any
		Files    []evidence.FileRef
		Evidence bool
	}{in.Manifest, in.Commits, files, fromEvidence})
	return evidence.SHA256(b)
}
