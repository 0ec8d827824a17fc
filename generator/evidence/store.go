package evidence

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/index"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/filesystem"

	"github.com/evident-project/evident/generator/period"
)

// Well-known paths inside a snapshot.
const (
	ManifestPath = "manifest.json"
	// ManifestBundlePath is the cosign (sigstore) bundle over manifest.json;
	// the name follows cosign's "<artifact>.sigstore.json" convention.
	ManifestBundlePath = "manifest.sigstore.json"
	ConfigPath         = "config/controls.yaml"
	branchRef          = plumbing.ReferenceName("refs/heads/main")
)

// TrustPath is where a trust file named in the config (relative to the
// config file) is stored in a snapshot.
func TrustPath(rel string) string {
	return "config/" + strings.TrimPrefix(path.Clean("/"+filepath.ToSlash(rel)), "/")
}

// BlobSigner signs manifest.json; the bundle it returns is committed beside it.
type BlobSigner interface {
	SignBlob(ctx context.Context, payload []byte) (bundle []byte, err error)
}

// CommitSigner signs an encoded commit the way git does (go-git's Signer
// shape): the result goes into the commit's gpgsig header.
type CommitSigner interface {
	Sign(message io.Reader) ([]byte, error)
}

// Signers sign a snapshot as it is committed; a nil signer leaves that part
// unsigned, which `evident verify` reports.
type Signers struct {
	Manifest BlobSigner
	Commit   CommitSigner
}

// ErrNoSnapshot is returned when the evidence repository has no commit yet.
var ErrNoSnapshot = errors.New("the evidence repository has no snapshot yet; run `evident collect` first")

// Store is the evidence repository: an ordinary git repository written only
// by evident, one commit per run.
type Store struct {
	dir  string
	repo *git.Repository
}

// Open opens the evidence repository at dir.
func Open(dir string) (*Store, error) {
	repo, err := git.PlainOpen(dir)
	if err != nil {
		return nil, fmt.Errorf("open evidence repository %s: %w", dir, err)
	}
	return &Store{dir: dir, repo: repo}, nil
}

// OpenOrInit opens the evidence repository at dir, creating it on first use.
func OpenOrInit(dir string) (*Store, error) {
	if _, err := os.Stat(filepath.Join(dir, ".git")); err == nil {
		return Open(dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create evidence repository %s: %w", dir, err)
	}
	repo, err := git.PlainInitWithOptions(dir, &git.PlainInitOptions{
		InitOptions: git.InitOptions{DefaultBranch: branchRef},
	})
	if err != nil {
		return nil, fmt.Errorf("create evidence repository %s: %w", dir, err)
	}
	return &Store{dir: dir, repo: repo}, nil
}

// Dir is the repository's directory.
func (s *Store) Dir() string { return s.dir }

// Repository exposes the underlying go-git repository for read-only callers.
func (s *Store) Repository() *git.Repository { return s.repo }

// Head returns the current snapshot commit, or ErrNoSnapshot.
func (s *Store) Head() (plumbing.Hash, error) {
	ref, err := s.repo.Reference(branchRef, true)
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		return plumbing.ZeroHash, ErrNoSnapshot
	}
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("read evidence head: %w", err)
	}
	return ref.Hash(), nil
}

// Resolve turns a revision (HEAD, a branch, a tag, a full or short hash,
// HEAD~3) into a snapshot commit.
func (s *Store) Resolve(rev string) (plumbing.Hash, error) {
	if rev == "" || rev == "HEAD" {
		return s.Head()
	}
	h, err := s.repo.ResolveRevision(plumbing.Revision(rev))
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("resolve evidence revision %q: %w", rev, err)
	}
	return *h, nil
}

// Snapshot is one evidence commit, read lazily from git objects (never from
// the work tree, so any past commit reads the same way).
type Snapshot struct {
	Commit        plumbing.Hash
	Parent        plumbing.Hash
	Message       string
	Manifest      *Manifest
	ManifestBytes []byte
	Config        []byte
	tree          *object.Tree
}

// Snapshot reads the snapshot at commit h.
func (s *Store) Snapshot(h plumbing.Hash) (*Snapshot, error) {
	c, err := s.repo.CommitObject(h)
	if err != nil {
		return nil, fmt.Errorf("read snapshot %s: %w", short(h), err)
	}
	tree, err := c.Tree()
	if err != nil {
		return nil, fmt.Errorf("read snapshot %s tree: %w", short(h), err)
	}
	snap := &Snapshot{Commit: h, Message: c.Message, tree: tree}
	if c.NumParents() > 0 {
		snap.Parent = c.ParentHashes[0]
	}
	if snap.ManifestBytes, err = snap.ReadFile(ManifestPath); err != nil {
		return nil, err
	}
	if snap.Manifest, err = ParseManifest(snap.ManifestBytes); err != nil {
		return nil, fmt.Errorf("read snapshot %s: %w", short(h), err)
	}
	if snap.Config, err = snap.ReadFile(snap.Manifest.Config.Path); err != nil {
		return nil, err
	}
	return snap, nil
}

// ReadFile returns the bytes of path in the snapshot.
func (sn *Snapshot) ReadFile(path string) ([]byte, error) {
	f, err := sn.tree.File(path)
	if err != nil {
		return nil, fmt.Errorf("read %s at %s: %w", path, short(sn.Commit), err)
	}
	r, err := f.Reader()
	if err != nil {
		return nil, fmt.Errorf("read %s at %s: %w", path, short(sn.Commit), err)
	}
	defer r.Close()
	return io.ReadAll(r)
}

// Item reads and parses the evidence item at path.
func (sn *Snapshot) Item(path string) (*Item, error) {
	b, err := sn.ReadFile(path)
	if err != nil {
		return nil, err
	}
	it, err := ParseItem(b)
	if err != nil {
		return nil, fmt.Errorf("%s at %s: %w", path, short(sn.Commit), err)
	}
	return it, nil
}

// History returns up to limit snapshots, newest first, following first
// parents from h. limit <= 0 means all.
func (s *Store) History(h plumbing.Hash, limit int) ([]*Snapshot, error) {
	var out []*Snapshot
	for !h.IsZero() && (limit <= 0 || len(out) < limit) {
		snap, err := s.Snapshot(h)
		if err != nil {
			return nil, err
		}
		out = append(out, snap)
		h = snap.Parent
	}
	return out, nil
}

// Run is everything one collection run produced.
type Run struct {
	RunID    string
	Started  time.Time
	Finished time.Time
	Tool     Tool
	Config   []byte
	// TrustFiles are the trusted public key files the config names, by
	// their path relative to the config file; stored under config/.
	TrustFiles map[string][]byte
	// Costs are what collecting each item cost this run, by path.
	Costs      map[string]map[string]int
	Period     period.Period
	Items      map[string]*Item // by path
	AuthorName string
	AuthorMail string
	Signers    Signers
}

// Commit writes the run as one new snapshot commit. Objects are written
// first and the branch is moved last with an atomic rename, so a run that
// fails or is killed at any point leaves the branch where it was — a signer
// that fails (a wrong password, Fulcio unreachable) included.
func (s *Store) Commit(ctx context.Context, run Run) (*Snapshot, error) {
	unlock, err := s.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()

	var prev *Snapshot
	parent, err := s.Head()
	switch {
	case errors.Is(err, ErrNoSnapshot):
		parent = plumbing.ZeroHash
	case err != nil:
		return nil, err
	default:
		if prev, err = s.Snapshot(parent); err != nil {
			return nil, fmt.Errorf("commit evidence: read previous snapshot: %w", err)
		}
	}

	files := map[string][]byte{}
	prevItems := map[string]ManifestItem{}
	if prev != nil {
		// Carry every earlier file forward: a snapshot's tree is the whole
		// evidence record, not just this run's part of it.
		for _, it := range prev.Manifest.Items {
			b, err := prev.ReadFile(it.Path)
			if err != nil {
				return nil, fmt.Errorf("commit evidence: carry forward: %w", err)
			}
			files[it.Path] = b
			prevItems[it.Path] = it
		}
	}

	m := &Manifest{
		Schema:   ManifestSchema,
		RunID:    run.RunID,
		Sequence: 1,
		Started:  run.Started.UTC(),
		Finished: run.Finished.UTC(),
		Tool:     run.Tool,
		Period:   ManifestPeriod{ID: run.Period.ID, Start: run.Period.Start.UTC(), End: run.Period.End.UTC()},
	}
	if prev != nil {
		m.Sequence = prev.Manifest.Sequence + 1
		m.Previous = SHA256(prev.ManifestBytes)
	}
	files[ConfigPath] = run.Config
	m.Config = FileRef{Path: ConfigPath, SHA256: SHA256(run.Config), Size: int64(len(run.Config))}
	// Trust files of an earlier config are not carried forward: each
	// snapshot holds the keys its own config trusted.
	configFiles := map[string]bool{ConfigPath: true}
	for rel, b := range run.TrustFiles {
		p := TrustPath(rel)
		files[p] = b
		configFiles[p] = true
		m.Trust = append(m.Trust, FileRef{Path: p, SHA256: SHA256(b), Size: int64(len(b))})
	}
	sort.Slice(m.Trust, func(i, j int) bool { return m.Trust[i].Path < m.Trust[j].Path })

	var changes []string
	written := map[string]bool{}
	for path, it := range run.Items {
		b, err := Canonical(it)
		if err != nil {
			return nil, fmt.Errorf("commit evidence: encode %s: %w", path, err)
		}
		old, existed := prevItems[path]
		switch {
		case !existed:
			changes = append(changes, "added "+path+describeRecords(it))
		case old.SHA256 != SHA256(b):
			// files[path] still holds the previous bytes, carried forward above.
			changes = append(changes, "changed "+path+describeRecordDelta(files[path], it))
		}
		files[path] = b
		written[path] = true
	}
	for path, b := range files {
		if configFiles[path] {
			continue
		}
		mi := ManifestItem{FileRef: FileRef{Path: path, SHA256: SHA256(b), Size: int64(len(b))}}
		if old, ok := prevItems[path]; ok {
			mi = old
		}
		if it, ok := run.Items[path]; ok {
			mi.SHA256, mi.Size = SHA256(b), int64(len(b))
			mi.Collector, mi.Source, mi.Period = it.Collector, it.Source, it.Period
			mi.Complete = it.Provenance.Complete && it.Provenance.Error == nil
		}
		if written[path] {
			mi.Run = run.RunID
			mi.Cost = run.Costs[path]
		}
		m.Items = append(m.Items, mi)
	}
	sort.Slice(m.Items, func(i, j int) bool { return m.Items[i].Path < m.Items[j].Path })
	mb, err := Canonical(m)
	if err != nil {
		return nil, fmt.Errorf("commit evidence: encode manifest: %w", err)
	}
	files[ManifestPath] = mb
	if run.Signers.Manifest != nil {
		bundle, err := run.Signers.Manifest.SignBlob(ctx, mb)
		if err != nil {
			return nil, fmt.Errorf("commit evidence: sign manifest: %w", err)
		}
		files[ManifestBundlePath] = bundle
	}

	tree, err := s.writeTree(files)
	if err != nil {
		return nil, fmt.Errorf("commit evidence: %w", err)
	}
	sig := object.Signature{Name: run.AuthorName, Email: run.AuthorMail, When: run.Finished.UTC()}
	commit := &object.Commit{
		Author:    sig,
		Committer: sig,
		Message:   commitMessage(run, m, changes),
		TreeHash:  tree,
	}
	if !parent.IsZero() {
		commit.ParentHashes = []plumbing.Hash{parent}
	}
	if run.Signers.Commit != nil {
		if err := signCommit(commit, run.Signers.Commit); err != nil {
			return nil, fmt.Errorf("commit evidence: sign commit: %w", err)
		}
	}
	h, err := s.writeObject(commit)
	if err != nil {
		return nil, fmt.Errorf("commit evidence: write commit: %w", err)
	}
	if err := s.moveBranch(parent, h); err != nil {
		return nil, err
	}
	s.syncWorktree(h)
	return s.Snapshot(h)
}

// signCommit signs c as git does: over the commit encoded without its
// signature, the result stored in the gpgsig header (PGPSignature in go-git,
// used for SSH signatures too).
func signCommit(c *object.Commit, signer CommitSigner) error {
	obj := &plumbing.MemoryObject{}
	if err := c.EncodeWithoutSignature(obj); err != nil {
		return err
	}
	r, err := obj.Reader()
	if err != nil {
		return err
	}
	defer r.Close()
	sig, err := signer.Sign(r)
	if err != nil {
		return err
	}
	c.PGPSignature = string(sig)
	return nil
}

func commitMessage(run Run, m *Manifest, changes []string) string {
	sort.Strings(changes)
	var b strings.Builder
	if len(changes) == 0 {
		fmt.Fprintf(&b, "evidence %s: no evidence changed\n", run.Period.ID)
	} else {
		fmt.Fprintf(&b, "evidence %s: %d of %d items changed\n", run.Period.ID, len(changes), len(run.Items))
	}
	fmt.Fprintf(&b, "\nrun %s (#%d), %s, config sha256 %s\n", m.RunID, m.Sequence, m.Tool.Name+" "+m.Tool.Version, m.Config.SHA256)
	if len(changes) > 0 {
		b.WriteString("\n")
		for _, c := range changes {
			b.WriteString(c + "\n")
		}
	}
	return b.String()
}

func describeRecords(it *Item) string {
	if len(it.Provenance.Records) == 0 {
		return ""
	}
	var parts []string
	for _, k := range sortedKeys(it.Provenance.Records) {
		parts = append(parts, fmt.Sprintf("%s %d", k, it.Provenance.Records[k]))
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

func describeRecordDelta(prevBytes []byte, it *Item) string {
	old, err := ParseItem(prevBytes)
	if err != nil {
		return describeRecords(it)
	}
	var parts []string
	for _, k := range sortedKeys(it.Provenance.Records) {
		if o, n := old.Provenance.Records[k], it.Provenance.Records[k]; o != n {
			parts = append(parts, fmt.Sprintf("%s %d → %d", k, o, n))
		}
	}
	if old.Provenance.Complete != it.Provenance.Complete {
		parts = append(parts, fmt.Sprintf("complete %t → %t", old.Provenance.Complete, it.Provenance.Complete))
	}
	if len(parts) == 0 {
		return " (content)"
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// writeTree writes the blobs and nested trees for files (path → bytes) and
// returns the root tree hash.
func (s *Store) writeTree(files map[string][]byte) (plumbing.Hash, error) {
	type dir struct {
		files map[string]plumbing.Hash
		dirs  map[string]*dir
	}
	newDir := func() *dir { return &dir{files: map[string]plumbing.Hash{}, dirs: map[string]*dir{}} }
	root := newDir()
	for path, content := range files {
		blob := s.repo.Storer.NewEncodedObject()
		blob.SetType(plumbing.BlobObject)
		w, err := blob.Writer()
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("write blob %s: %w", path, err)
		}
		if _, err := w.Write(content); err != nil {
			return plumbing.ZeroHash, fmt.Errorf("write blob %s: %w", path, err)
		}
		if err := w.Close(); err != nil {
			return plumbing.ZeroHash, fmt.Errorf("write blob %s: %w", path, err)
		}
		h, err := s.repo.Storer.SetEncodedObject(blob)
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("write blob %s: %w", path, err)
		}
		parts := strings.Split(path, "/")
		d := root
		for _, p := range parts[:len(parts)-1] {
			if d.dirs[p] == nil {
				d.dirs[p] = newDir()
			}
			d = d.dirs[p]
		}
		d.files[parts[len(parts)-1]] = h
	}
	var write func(d *dir) (plumbing.Hash, error)
	write = func(d *dir) (plumbing.Hash, error) {
		var entries []object.TreeEntry
		for name, h := range d.files {
			entries = append(entries, object.TreeEntry{Name: name, Mode: filemode.Regular, Hash: h})
		}
		for name, sub := range d.dirs {
			h, err := write(sub)
			if err != nil {
				return plumbing.ZeroHash, err
			}
			entries = append(entries, object.TreeEntry{Name: name, Mode: filemode.Dir, Hash: h})
		}
		// git orders tree entries as if directory names ended in "/".
		key := func(e object.TreeEntry) string {
			if e.Mode == filemode.Dir {
				return e.Name + "/"
			}
			return e.Name
		}
		sort.Slice(entries, func(i, j int) bool { return key(entries[i]) < key(entries[j]) })
		return s.writeObject(&object.Tree{Entries: entries})
	}
	return write(root)
}

type encodable interface {
	Encode(plumbing.EncodedObject) error
}

func (s *Store) writeObject(o encodable) (plumbing.Hash, error) {
	obj := s.repo.Storer.NewEncodedObject()
	if err := o.Encode(obj); err != nil {
		return plumbing.ZeroHash, err
	}
	return s.repo.Storer.SetEncodedObject(obj)
}

// moveBranch points refs/heads/main at h if it still points at old. go-git's
// own SetReference truncates the ref file before writing it, so a kill in
// between would leave an empty ref; replaceFile does what git does.
func (s *Store) moveBranch(old, h plumbing.Hash) error {
	cur, err := s.Head()
	if err != nil && !errors.Is(err, ErrNoSnapshot) {
		return err
	}
	if cur != old {
		return fmt.Errorf("commit evidence: branch moved from %s to %s during the run; nothing was written", short(old), short(cur))
	}
	refPath := filepath.Join(s.dir, ".git", filepath.FromSlash(string(branchRef)))
	if err := os.MkdirAll(filepath.Dir(refPath), 0o755); err != nil {
		return fmt.Errorf("commit evidence: update branch: %w", err)
	}
	if err := replaceFile(refPath, []byte(h.String()+"\n")); err != nil {
		return fmt.Errorf("commit evidence: update branch: %w", err)
	}
	return nil
}

// replaceFile replaces path with b by git's lock-file protocol: write
// path.lock, sync it, rename it over path. A rename is atomic on POSIX file
// systems, so a reader (or a kill) sees the old file or the new one, never
// a truncated one.
func replaceFile(path string, b []byte) error {
	lock := path + ".lock"
	f, err := os.OpenFile(lock, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	_, werr := f.Write(b)
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		os.Remove(lock)
		return err
	}
	if err := os.Rename(lock, path); err != nil {
		os.Remove(lock)
		return err
	}
	return nil
}

// syncWorktree makes the checked-out files match the new snapshot, for
// people browsing the folder. It is a convenience only: every reader uses
// git objects, so a failure here (or a kill during it) loses nothing and the
// next run repairs it. The index is replaced atomically (atomicIndex), so a
// kill never leaves a truncated .git/index that git itself would refuse.
func (s *Store) syncWorktree(h plumbing.Hash) {
	fsStorer, ok := s.repo.Storer.(*filesystem.Storage)
	if !ok {
		return
	}
	repo, err := git.Open(atomicIndex{fsStorer, filepath.Join(s.dir, ".git")}, osfs.New(s.dir))
	if err != nil {
		return
	}
	wt, err := repo.Worktree()
	if err != nil {
		return
	}
	_ = wt.Reset(&git.ResetOptions{Commit: h, Mode: git.HardReset})
}

// atomicIndex writes .git/index with replaceFile, as git does; go-git's own
// SetIndex truncates the file and writes it in place.
type atomicIndex struct {
	*filesystem.Storage
	gitDir string
}

// SetIndex replaces the index atomically.
func (a atomicIndex) SetIndex(idx *index.Index) error {
	var buf bytes.Buffer
	if err := index.NewEncoder(&buf).Encode(idx); err != nil {
		return err
	}
	return replaceFile(filepath.Join(a.gitDir, "index"), buf.Bytes())
}

// lock takes an exclusive advisory lock for the duration of a commit, so two
// runs never interleave. flock is released by the kernel when the process
// dies, so a killed run never leaves a stale lock behind.
func (s *Store) lock() (func(), error) {
	path := filepath.Join(s.dir, ".git", "evident.lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock evidence repository: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock evidence repository: another evident run holds %s", path)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

func short(h plumbing.Hash) string { return h.String()[:12] }
