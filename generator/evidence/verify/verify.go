// Package verify re-checks an evidence repository's whole history the way an
// auditor would: every file against its manifest, the manifest hash chain,
// the cosign signature over each manifest, the signature on each commit, a
// pinned checkpoint, and the schedule of runs. It only reads git objects, so
// it sees exactly what a clone of the repository holds.
package verify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/storage/filesystem"
	"github.com/robfig/cron/v3"

	"github.com/evident-project/evident/generator/evidence"
)

// ManifestVerifier checks a cosign bundle over manifest.json bytes and says
// who signed (a key fingerprint, or a certificate identity).
type ManifestVerifier interface {
	VerifyBlob(payload, bundle []byte) (signer string, err error)
}

// CommitVerifier checks the signature of a raw git commit object and says
// who signed.
type CommitVerifier interface {
	VerifyCommit(raw []byte) (signer string, err error)
}

// Options says what to trust. A nil verifier is not "skip": every snapshot
// is then reported as not verifiable, because an auditor cannot rely on a
// signature nobody checked.
type Options struct {
	Manifest ManifestVerifier
	Commit   CommitVerifier
	// Checkpoint is a manifest sha256 the history must still contain.
	Checkpoint string
	// Schedule, when set, is used to report scheduled runs missing from the
	// history up to Now.
	Schedule cron.Schedule
	Now      time.Time
	// Progress, when set, is called after each snapshot is checked.
	Progress func(done, total int)
	// Cache, when set, keeps each snapshot's result between runs under a
	// key made of CacheSalt and the commit. Set CacheSalt to a digest of
	// everything trusted (keys, identities): a commit's hash fixes its
	// content and every commit below it, so with the same trust its result
	// cannot change — except a PGP signature's expiry, which depends on
	// Now, so PGP-signed commits are keyed by Now's date as well.
	Cache     Cache
	CacheSalt string
}

// Cache stores verification results by key; a Get that fails or returns
// what cannot be decoded is a miss, never an error.
type Cache interface {
	Get(key string) ([]byte, bool)
	Put(key string, value []byte)
}

// cached is one snapshot's result as the cache keeps it.
type cached struct {
	Snapshot Snapshot `json:"snapshot"`
	Digest   string   `json:"digest"`
	Sequence int      `json:"sequence"`
}

func (v *verifier) cacheKey(c *object.Commit, root bool) string {
	day := ""
	if strings.HasPrefix(c.PGPSignature, "-----BEGIN PGP") {
		day = v.o.Now.UTC().Format("2006-01-02")
	}
	return sha256Hex([]byte(fmt.Sprintf("evident.verify/v1\n%s\n%s\n%t\n%s", v.o.CacheSalt, c.Hash, root, day)))
}

// snapshotCached is snapshot through the cache.
func (v *verifier) snapshotCached(c *object.Commit, root bool, prevDigest string, prevSeq int) (Snapshot, string, int) {
	if v.o.Cache == nil {
		return v.snapshot(c, root, prevDigest, prevSeq)
	}
	key := v.cacheKey(c, root)
	if b, ok := v.o.Cache.Get(key); ok {
		var e cached
		if json.Unmarshal(b, &e) == nil && e.Snapshot.Commit == c.Hash.String() {
			return e.Snapshot, e.Digest, e.Sequence
		}
	}
	s, digest, seq := v.snapshot(c, root, prevDigest, prevSeq)
	if b, err := json.Marshal(cached{s, digest, seq}); err == nil {
		v.o.Cache.Put(key, b)
	}
	return s, digest, seq
}

// The checks a problem can come from, as printed and in JSON.
const (
	CheckStructure         = "structure"
	CheckItem              = "item"
	CheckUnlisted          = "unlisted"
	CheckChain             = "chain"
	CheckManifestSignature = "manifest-signature"
	CheckCommitSignature   = "commit-signature"
	CheckCheckpoint        = "checkpoint"
)

// Problem is one thing that does not hold, and where.
type Problem struct {
	Commit string `json:"commit"`
	File   string `json:"file,omitempty"`
	Check  string `json:"check"`
	What   string `json:"what"`
}

func (p Problem) String() string {
	where := shortHash(p.Commit)
	if p.File != "" {
		where += " " + p.File
	}
	return fmt.Sprintf("%s: %s: %s", where, p.Check, p.What)
}

// Snapshot is the result for one evidence commit.
type Snapshot struct {
	Commit         string    `json:"commit"`
	Sequence       int       `json:"sequence"`
	RunID          string    `json:"run_id"`
	Period         string    `json:"period"`
	Started        time.Time `json:"started"`
	Files          int       `json:"files"`
	ManifestSHA256 string    `json:"manifest_sha256"`
	ManifestSigner string    `json:"manifest_signer,omitempty"`
	CommitSigner   string    `json:"commit_signer,omitempty"`
	Problems       []Problem `json:"problems,omitempty"`
}

// Gap is a scheduled run with no snapshot: the slot from Due until the next
// one passed without a run starting.
type Gap struct {
	Due   time.Time `json:"due"`
	Until time.Time `json:"until"`
}

// Checkpoint is the result of looking for the pinned manifest digest.
type Checkpoint struct {
	SHA256   string `json:"sha256"`
	Found    bool   `json:"found"`
	Commit   string `json:"commit,omitempty"`
	Sequence int    `json:"sequence,omitempty"`
}

// Report is the whole verification: OK only when every check held for every
// snapshot. Gaps are findings about the schedule, not integrity failures.
type Report struct {
	Head string `json:"head"`
	// LatestManifest is the sha256 of HEAD's manifest: the checkpoint to pin
	// for the next verification.
	LatestManifest string      `json:"latest_manifest"`
	Snapshots      []Snapshot  `json:"snapshots"`
	Checkpoint     *Checkpoint `json:"checkpoint,omitempty"`
	Gaps           []Gap       `json:"gaps"`
	// FilesHashed counts distinct blobs read and hashed; files shared by
	// several snapshots are the same git object and are hashed once.
	FilesHashed int       `json:"files_hashed"`
	Problems    []Problem `json:"problems"`
	OK          bool      `json:"ok"`
}

// ChainOK reports whether every item, listing and chain check held.
func (r *Report) ChainOK() bool {
	return !r.has(CheckStructure, CheckItem, CheckUnlisted, CheckChain, CheckCheckpoint)
}

// SignaturesOK reports whether every manifest and commit signature verified.
func (r *Report) SignaturesOK() bool {
	return !r.has(CheckManifestSignature, CheckCommitSignature)
}

func (r *Report) has(checks ...string) bool {
	for _, p := range r.Problems {
		for _, c := range checks {
			if p.Check == c {
				return true
			}
		}
	}
	return false
}

// Run verifies the history of store from its HEAD.
func Run(ctx context.Context, store *evidence.Store, o Options) (*Report, error) {
	head, err := store.Head()
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	return RunFrom(ctx, store, head, o)
}

// RunFrom verifies the history that ends at head (for `--at` and for the
// integrity collector, which checks the history before its own run).
func RunFrom(ctx context.Context, store *evidence.Store, head plumbing.Hash, o Options) (*Report, error) {
	v := &verifier{store: store, objects: store.Repository().Storer, o: o, blobs: map[plumbing.Hash]blobSum{}, trees: map[plumbing.Hash][]object.TreeEntry{}}
	// go-git's default storage opens, stats and closes the packfile for
	// every object it reads, cached or not, and keeps a 96 MiB object cache;
	// verify reads some 400,000 objects over 1,000 snapshots, mostly the same
	// trees again, so it reads through storage that keeps the pack open, and
	// a cache sized for the trees and delta bases it revisits.
	if fs, ok := store.Repository().Storer.(*filesystem.Storage); ok {
		st := filesystem.NewStorageWithOptions(fs.Filesystem(), cache.NewObjectLRU(16*cache.MiByte),
			filesystem.Options{KeepDescriptors: true})
		defer st.Close()
		v.objects = st
	}
	chain, err := v.firstParents(ctx, head)
	if err != nil {
		return nil, err
	}
	rep := &Report{Head: head.String(), Gaps: []Gap{}, Problems: []Problem{}}
	prevDigest, prevSeq := "", 0
	var starts []time.Time
	// Oldest first, so each manifest's link is checked against the digest
	// of the snapshot actually below it.
	for i := len(chain) - 1; i >= 0; i-- {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("verify: %w", err)
		}
		c := chain[i]
		snap, digest, seq := v.snapshotCached(c, i == len(chain)-1, prevDigest, prevSeq)
		rep.Snapshots = append(rep.Snapshots, snap)
		rep.Problems = append(rep.Problems, snap.Problems...)
		if !snap.Started.IsZero() {
			starts = append(starts, snap.Started)
		}
		prevDigest, prevSeq = digest, seq
		if o.Progress != nil {
			o.Progress(len(rep.Snapshots), len(chain))
		}
	}
	// Newest first, as git log shows them.
	for i, j := 0, len(rep.Snapshots)-1; i < j; i, j = i+1, j-1 {
		rep.Snapshots[i], rep.Snapshots[j] = rep.Snapshots[j], rep.Snapshots[i]
	}
	rep.LatestManifest = prevDigest
	rep.FilesHashed = len(v.blobs)
	if o.Checkpoint != "" {
		rep.Checkpoint = &Checkpoint{SHA256: o.Checkpoint}
		for _, s := range rep.Snapshots {
			if s.ManifestSHA256 == o.Checkpoint {
				rep.Checkpoint.Found, rep.Checkpoint.Commit, rep.Checkpoint.Sequence = true, s.Commit, s.Sequence
				break
			}
		}
		if !rep.Checkpoint.Found {
			rep.Problems = append(rep.Problems, Problem{
				Commit: head.String(), File: evidence.ManifestPath, Check: CheckCheckpoint,
				What: fmt.Sprintf("the checkpoint manifest %s is not in the history: the branch was rewound or rewritten since it was pinned", o.Checkpoint),
			})
		}
	}
	if o.Schedule != nil && len(starts) > 0 {
		rep.Gaps = Gaps(o.Schedule, starts, o.Now)
	}
	rep.OK = len(rep.Problems) == 0
	return rep, nil
}

type blobSum struct {
	sha  string
	size int64
}

type verifier struct {
	store   *evidence.Store
	objects storer.EncodedObjectStorer
	o       Options
	blobs   map[plumbing.Hash]blobSum
	trees   map[plumbing.Hash][]object.TreeEntry
}

// firstParents lists the commits from head to the root. Evidence history is
// linear; a merge is reported where it is met, and its first parent followed.
func (v *verifier) firstParents(ctx context.Context, head plumbing.Hash) ([]*object.Commit, error) {
	var out []*object.Commit
	seen := map[plumbing.Hash]bool{}
	for h := head; !h.IsZero(); {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("verify: %w", err)
		}
		if seen[h] {
			return nil, fmt.Errorf("verify: commit %s is its own ancestor", shortHash(h.String()))
		}
		seen[h] = true
		c, err := object.GetCommit(v.objects, h)
		if err != nil {
			return nil, fmt.Errorf("verify: read commit %s: %w", shortHash(h.String()), err)
		}
		out = append(out, c)
		if c.NumParents() == 0 {
			break
		}
		h = c.ParentHashes[0]
	}
	return out, nil
}

// snapshot checks one commit. It returns the manifest's digest and sequence
// for the next link (empty when the manifest is unreadable, which then also
// breaks the link above it, as it should).
func (v *verifier) snapshot(c *object.Commit, root bool, prevDigest string, prevSeq int) (Snapshot, string, int) {
	s := Snapshot{Commit: c.Hash.String()}
	add := func(file, check, format string, args ...any) {
		s.Problems = append(s.Problems, Problem{Commit: s.Commit, File: file, Check: check, What: fmt.Sprintf(format, args...)})
	}
	if c.NumParents() > 1 {
		add("", CheckStructure, "a merge commit; evidence history is written one commit per run, never merged")
	}
	v.commitSignature(c, &s, add)

	files, err := v.files(c)
	if err != nil {
		add("", CheckStructure, "%v", err)
		return s, "", 0
	}
	s.Files = len(files)
	mh, ok := files[evidence.ManifestPath]
	if !ok {
		add(evidence.ManifestPath, CheckStructure, "missing: the commit has no manifest")
		return s, "", 0
	}
	mb, err := v.readBlob(mh)
	if err != nil {
		add(evidence.ManifestPath, CheckStructure, "unreadable: %v", err)
		return s, "", 0
	}
	digest := sha256Hex(mb)
	s.ManifestSHA256 = digest
	v.manifestSignature(mb, files, &s, add)
	m, err := evidence.ParseManifest(mb)
	if err != nil {
		add(evidence.ManifestPath, CheckStructure, "%v", err)
		return s, digest, 0
	}
	s.Sequence, s.RunID, s.Period, s.Started = m.Sequence, m.RunID, m.Period.ID, m.Started

	switch {
	case root && m.Previous != "":
		add(evidence.ManifestPath, CheckChain, "the first snapshot links to a previous manifest %s that is not in the history: earlier snapshots were dropped", m.Previous)
	case !root && prevDigest == "":
		add(evidence.ManifestPath, CheckChain, "the snapshot below has no readable manifest, so this link cannot be checked")
	case !root && m.Previous != prevDigest:
		add(evidence.ManifestPath, CheckChain, "previous manifest is %s but the snapshot below has manifest %s: a snapshot was dropped, reordered or forged", orNone(m.Previous), prevDigest)
	}
	want := prevSeq + 1
	if root {
		want = 1
	}
	if m.Sequence != want && (root || prevSeq != 0) {
		add(evidence.ManifestPath, CheckChain, "sequence %d where %d was due", m.Sequence, want)
	}

	listed := map[string]bool{
		evidence.ManifestPath:       true,
		evidence.ManifestBundlePath: true,
	}
	for _, ref := range m.Files() {
		listed[ref.Path] = true
		bh, ok := files[ref.Path]
		if !ok {
			add(ref.Path, CheckItem, "listed in the manifest but missing from the commit")
			continue
		}
		sum, err := v.sum(bh)
		if err != nil {
			add(ref.Path, CheckItem, "unreadable: %v", err)
			continue
		}
		if sum.sha != ref.SHA256 {
			add(ref.Path, CheckItem, "sha256 is %s, the manifest says %s", sum.sha, ref.SHA256)
		}
		if sum.size != ref.Size {
			add(ref.Path, CheckItem, "size is %d bytes, the manifest says %d", sum.size, ref.Size)
		}
	}
	var unlisted []string
	for p := range files {
		if !listed[p] {
			unlisted = append(unlisted, p)
		}
	}
	sort.Strings(unlisted)
	for _, p := range unlisted {
		add(p, CheckUnlisted, "in the commit but not in the manifest")
	}
	return s, digest, m.Sequence
}

func (v *verifier) manifestSignature(mb []byte, files map[string]plumbing.Hash, s *Snapshot, add func(file, check, format string, args ...any)) {
	bh, ok := files[evidence.ManifestBundlePath]
	if !ok {
		add(evidence.ManifestBundlePath, CheckManifestSignature, "missing: the manifest is not signed")
		return
	}
	if v.o.Manifest == nil {
		add(evidence.ManifestBundlePath, CheckManifestSignature, "not checked: no trusted manifest key or identity is declared (integrity.manifest in controls.yaml)")
		return
	}
	bundle, err := v.readBlob(bh)
	if err != nil {
		add(evidence.ManifestBundlePath, CheckManifestSignature, "unreadable: %v", err)
		return
	}
	signer, err := v.o.Manifest.VerifyBlob(mb, bundle)
	if err != nil {
		add(evidence.ManifestBundlePath, CheckManifestSignature, "%v", err)
		return
	}
	s.ManifestSigner = signer
}

func (v *verifier) commitSignature(c *object.Commit, s *Snapshot, add func(file, check, format string, args ...any)) {
	if c.PGPSignature == "" {
		add("", CheckCommitSignature, "the commit is not signed")
		return
	}
	if v.o.Commit == nil {
		add("", CheckCommitSignature, "not checked: no trusted commit key is declared (integrity.commits in controls.yaml)")
		return
	}
	raw, err := v.rawObject(plumbing.CommitObject, c.Hash)
	if err != nil {
		add("", CheckCommitSignature, "unreadable: %v", err)
		return
	}
	signer, err := v.o.Commit.VerifyCommit(raw)
	if err != nil {
		add("", CheckCommitSignature, "%v", err)
		return
	}
	s.CommitSigner = signer
}

// files lists every regular file in the commit's tree with its blob hash.
// Anything else (a symlink, a submodule) has no place in evidence and is
// reported through the returned error.
func (v *verifier) files(c *object.Commit) (map[string]plumbing.Hash, error) {
	out := map[string]plumbing.Hash{}
	if err := v.listTree(c.TreeHash, "", out); err != nil {
		return nil, err
	}
	return out, nil
}

// listTree adds the files under tree h to out. Trees are decoded once per
// hash: consecutive snapshots share all but the few directories a run
// changed, so a long history costs little more than its distinct trees.
func (v *verifier) listTree(h plumbing.Hash, prefix string, out map[string]plumbing.Hash) error {
	entries, ok := v.trees[h]
	if !ok {
		t, err := object.GetTree(v.objects, h)
		if err != nil {
			return fmt.Errorf("read tree: %w", err)
		}
		entries = t.Entries
		v.trees[h] = entries
	}
	for _, e := range entries {
		name := prefix + e.Name
		switch e.Mode {
		case filemode.Dir:
			if err := v.listTree(e.Hash, name+"/", out); err != nil {
				return err
			}
		case filemode.Regular:
			out[name] = e.Hash
		default:
			return fmt.Errorf("%s has mode %s; evidence holds regular files only", name, e.Mode)
		}
	}
	return nil
}

// sum hashes a blob once: identical files in many snapshots are one git
// object, so a long history costs little more than its distinct files.
func (v *verifier) sum(h plumbing.Hash) (blobSum, error) {
	if s, ok := v.blobs[h]; ok {
		return s, nil
	}
	obj, err := v.objects.EncodedObject(plumbing.BlobObject, h)
	if err != nil {
		return blobSum{}, err
	}
	r, err := obj.Reader()
	if err != nil {
		return blobSum{}, err
	}
	defer r.Close()
	hash := sha256.New()
	n, err := io.Copy(hash, r)
	if err != nil {
		return blobSum{}, err
	}
	s := blobSum{sha: hex.EncodeToString(hash.Sum(nil)), size: n}
	v.blobs[h] = s
	return s, nil
}

func (v *verifier) readBlob(h plumbing.Hash) ([]byte, error) {
	return v.rawObject(plumbing.BlobObject, h)
}

func (v *verifier) rawObject(t plumbing.ObjectType, h plumbing.Hash) ([]byte, error) {
	obj, err := v.objects.EncodedObject(t, h)
	if err != nil {
		return nil, err
	}
	r, err := obj.Reader()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

// Gaps lists the schedule's slots, from the first run until now, in which no
// run started. A slot runs from one scheduled time to the next, so a run
// that started late (CI queues, GitHub's cron delays) still counts for it.
func Gaps(sched cron.Schedule, starts []time.Time, now time.Time) []Gap {
	sorted := append([]time.Time(nil), starts...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Before(sorted[j]) })
	gaps := []Gap{}
	const maxSlots = 100_000 // a "* * * * *" schedule over years must not hang verify
	slot := sched.Next(sorted[0])
	i := 0
	for n := 0; n < maxSlots; n++ {
		next := sched.Next(slot)
		if next.IsZero() || next.After(now) {
			break
		}
		for i < len(sorted) && sorted[i].Before(slot) {
			i++
		}
		if i == len(sorted) || !sorted[i].Before(next) {
			gaps = append(gaps, Gap{Due: slot.UTC(), Until: next.UTC()})
		}
		slot = next
	}
	return gaps
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func shortHash(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}
