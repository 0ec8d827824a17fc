// Package bank generates the git repositories of a fictional bank, First
// Harbor Bank, for `evident demo`: three repositories with two quarters
// (2026-Q3 and 2026-Q4) of pull requests, merges, releases and hotfixes,
// signed with SSH and OpenPGP keys in every way an auditor cares about
// (good, unsigned, bad, unknown key, expired key, key not yet valid).
// Each repository starts with its import from Bitbucket, made just before
// the period; after that, every commit reaches main through a pull request
// (release-bot's too) except two direct pushes, one per quarter.
//
// Everything is derived from a seed and written in-process with go-git, so
// the same seed always yields byte-identical repositories (same commit
// hashes) without network access or external tools. History can be grown in
// steps with AdvanceTo, so the demo can run collectors between steps the way
// a scheduled job would see a live organisation.
package bank

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// Options configure New.
type Options struct {
	Seed int64  // drives every random choice and every key
	Dir  string // directory that receives repos/ and keys/; must not already hold them
}

// Bank is the generated world: its repositories, people and trust files.
// It is not safe for concurrent use.
type Bank struct {
	Repos          []Repo    // the repositories, in a fixed order
	PGPKeyring     string    // path of the armored public keyring trusted for commit signatures
	AllowedSigners string    // path of the ssh allowed_signers file (gpg.ssh.allowedSignersFile)
	People         []Person  // everyone who commits, including release-bot
	Start, End     time.Time // the period the timeline covers (UTC)

	repos []*repoWriter
}

// Repo is one generated repository.
type Repo struct {
	ID     string // short name, e.g. "core-ledger"
	Path   string // absolute path of the working tree
	Branch string // default branch ("main")
}

const mainBranch = "main"

// New plans the whole timeline from the seed, creates the empty repositories
// and writes the public trust files. No commit is written until AdvanceTo.
func New(opts Options) (*Bank, error) {
	if opts.Dir == "" {
		return nil, errors.New("demo bank: Dir is required")
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("demo bank: %w", err)
	}
	ppl, err := newPeople(opts.Seed)
	if err != nil {
		return nil, fmt.Errorf("demo bank: keys: %w", err)
	}
	plans, err := plan(opts.Seed, ppl)
	if err != nil {
		return nil, fmt.Errorf("demo bank: %w", err)
	}
	for _, id := range []string{CoreLedger, PaymentsAPI, InfraGitops} {
		if _, err := os.Stat(filepath.Join(dir, "repos", id)); err == nil {
			return nil, fmt.Errorf("demo bank: %s already exists", filepath.Join(dir, "repos", id))
		}
	}
	b := &Bank{
		PGPKeyring:     filepath.Join(dir, "keys", "trusted-pgp-keys.asc"),
		AllowedSigners: filepath.Join(dir, "keys", "allowed_signers"),
		People:         slices.Clone(ppl.list),
		Start:          periodStart,
		End:            periodEnd,
	}
	if err := os.MkdirAll(filepath.Join(dir, "keys"), 0o755); err != nil {
		return nil, fmt.Errorf("demo bank: %w", err)
	}
	// Only public material is written; private keys stay in memory.
	if err := os.WriteFile(b.PGPKeyring, []byte(ppl.keyring), 0o644); err != nil {
		return nil, fmt.Errorf("demo bank: write keyring: %w", err)
	}
	if err := os.WriteFile(b.AllowedSigners, []byte(ppl.signers), 0o644); err != nil {
		return nil, fmt.Errorf("demo bank: write allowed_signers: %w", err)
	}
	for _, id := range []string{CoreLedger, PaymentsAPI, InfraGitops} {
		path := filepath.Join(dir, "repos", id)
		if _, err := git.PlainInitWithOptions(path, &git.PlainInitOptions{
			InitOptions: git.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName(mainBranch)},
		}); err != nil {
			return nil, fmt.Errorf("demo bank: init %s: %w", id, err)
		}
		wt := osfs.New(path)
		dot, err := wt.Chroot(git.GitDirName)
		if err != nil {
			return nil, fmt.Errorf("demo bank: open %s: %w", id, err)
		}
		st, err := newStagedStorage(filesystem.NewStorage(dot, cache.NewObjectLRUDefault()))
		if err != nil {
			return nil, fmt.Errorf("demo bank: open %s: %w", id, err)
		}
		r, err := git.Open(st, wt)
		if err != nil {
			return nil, fmt.Errorf("demo bank: open %s: %w", id, err)
		}
		w, err := r.Worktree()
		if err != nil {
			return nil, fmt.Errorf("demo bank: init %s: %w", id, err)
		}
		b.Repos = append(b.Repos, Repo{ID: id, Path: path, Branch: mainBranch})
		b.repos = append(b.repos, &repoWriter{id: id, path: path, r: r, w: w, st: st, plan: plans[id], people: ppl, branch: mainBranch})
	}
	return b, nil
}

// Planned returns the whole timeline, with Hash set on commits already written.
func (b *Bank) Planned() []PlannedCommit {
	var out []PlannedCommit
	for _, rw := range b.repos {
		for _, c := range rw.plan {
			pc := c.PlannedCommit
			pc.Files = slices.Clone(pc.Files)
			pc.Parents = slices.Clone(pc.Parents)
			out = append(out, pc)
		}
	}
	return out
}

// AdvanceTo writes every planned commit dated at or before t that is not
// written yet. Calling it again with the same or an earlier t does nothing.
// A pull request whose merge lies after t stays open: its branch exists and
// main does not contain it yet.
func (b *Bank) AdvanceTo(t time.Time) error {
	for _, rw := range b.repos {
		if err := rw.advanceTo(t); err != nil {
			return fmt.Errorf("demo bank: %s: %w", rw.id, err)
		}
	}
	return nil
}

// repoWriter turns a repository's plan into commits, one at a time.
type repoWriter struct {
	id, path string
	r        *git.Repository
	w        *git.Worktree
	st       *stagedStorage
	plan     []*plannedCommit
	people   *people
	next     int
	branch   string // branch HEAD points at
}

func (rw *repoWriter) advanceTo(t time.Time) error {
	for rw.next < len(rw.plan) && !rw.plan[rw.next].When.After(t) {
		c := rw.plan[rw.next]
		if err := rw.write(c); err != nil {
			return fmt.Errorf("commit %d %q: %w", c.Seq, c.Subject, err)
		}
		rw.next++
	}
	// Leave the repository the way a server copy looks: HEAD on main, with
	// any open PR's branch present beside it.
	if err := rw.checkout(mainBranch); err != nil {
		return err
	}
	return rw.st.flush()
}

func (rw *repoWriter) checkout(branch string) error {
	if rw.branch == branch {
		return nil
	}
	ref := plumbing.NewBranchReferenceName(branch)
	target, err := rw.r.Reference(ref, true)
	create := errors.Is(err, plumbing.ErrReferenceNotFound)
	if err != nil && !create {
		return err
	}
	head, err := rw.r.Head()
	if err != nil {
		return err
	}
	// The worktree is always clean after a commit, so when the target
	// branch is (or will start) at the current commit only HEAD has to
	// move. A real checkout rewrites and re-hashes every file, which made
	// generation several times slower.
	if create || target.Hash() == head.Hash() {
		if create {
			if err := rw.r.Storer.SetReference(plumbing.NewHashReference(ref, head.Hash())); err != nil {
				return err
			}
		}
		if err := rw.r.Storer.SetReference(plumbing.NewSymbolicReference(plumbing.HEAD, ref)); err != nil {
			return err
		}
		rw.branch = branch
		return nil
	}
	if err := rw.w.Checkout(&git.CheckoutOptions{Branch: ref, Force: true}); err != nil {
		return fmt.Errorf("checkout %s: %w", branch, err)
	}
	rw.branch = branch
	return nil
}

func (rw *repoWriter) write(c *plannedCommit) error {
	var parents []plumbing.Hash
	switch c.Kind {
	case KindPRCommit:
		if err := rw.checkout(c.Branch); err != nil {
			return err
		}
	case KindMerge:
		// The worktree must hold the PR tip; then HEAD is pointed at main
		// without touching the files, so the commit records the PR's tree
		// with main and the PR tip as parents, as `git merge --no-ff` does
		// when main has not moved.
		if err := rw.checkout(c.mergedBranch); err != nil {
			return err
		}
		prRef := plumbing.NewBranchReferenceName(c.mergedBranch)
		tip, err := rw.r.Reference(prRef, true)
		if err != nil {
			return err
		}
		mainRef := plumbing.NewBranchReferenceName(mainBranch)
		mainTip, err := rw.r.Reference(mainRef, true)
		if err != nil {
			return err
		}
		if err := rw.r.Storer.SetReference(plumbing.NewSymbolicReference(plumbing.HEAD, mainRef)); err != nil {
			return err
		}
		rw.branch = mainBranch
		parents = []plumbing.Hash{mainTip.Hash(), tip.Hash()}
		// GitHub deletes the head branch once the PR is merged.
		defer func() { _ = rw.r.Storer.RemoveReference(prRef) }()
	default:
		if err := rw.checkout(mainBranch); err != nil {
			return err
		}
	}
	for _, path := range c.Files {
		content, ok := c.files[path]
		if !ok {
			continue // merges list the PR's files but carry no content
		}
		full := filepath.Join(rw.path, filepath.FromSlash(path))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			return err
		}
		// SkipStatus: a full worktree status per file would dominate the run time.
		if err := rw.w.AddWithOptions(&git.AddOptions{Path: path, SkipStatus: true}); err != nil {
			return fmt.Errorf("add %s: %w", path, err)
		}
	}
	recorded := parents
	if recorded == nil {
		// go-git commits on top of HEAD; the root commit has no parent.
		if head, err := rw.r.Head(); err == nil {
			recorded = []plumbing.Hash{head.Hash()}
		} else if !errors.Is(err, plumbing.ErrReferenceNotFound) {
			return err
		}
	}
	author := rw.people.byID[c.Author]
	committer := rw.people.byID[c.Committer]
	opts := &git.CommitOptions{
		Author:    &object.Signature{Name: author.Name, Email: author.Email, When: c.When},
		Committer: &object.Signature{Name: committer.Name, Email: committer.Email, When: c.When},
		Parents:   parents,
		Signer:    c.signer(),
	}
	h, err := rw.w.Commit(c.Message, opts)
	if err != nil {
		return err
	}
	c.Hash = h.String()
	c.Parents = nil
	for _, p := range recorded {
		c.Parents = append(c.Parents, p.String())
	}
	return nil
}

// signer returns the go-git signer for a planned commit, nil when unsigned.
func (c *plannedCommit) signer() git.Signer {
	if c.key == nil || c.Signing == SigningNone {
		return nil
	}
	var s git.Signer
	if c.key.ssh != nil {
		s = SSHSigner{Key: c.key.ssh}
	} else {
		s = PGPSigner{Entity: c.key.pgp, Time: c.When}
	}
	if c.Signing == SigningBad {
		s = tamperedSigner{inner: s, committed: c.Message, originallySigned: c.signedMsg}
	}
	return s
}
