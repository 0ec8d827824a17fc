package verify_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"golang.org/x/crypto/ssh"

	"github.com/evident-project/evident/generator/blobsig"
	"github.com/evident-project/evident/generator/catalog"
	"github.com/evident-project/evident/generator/collect"
	"github.com/evident-project/evident/generator/evidence"
	"github.com/evident-project/evident/generator/evidence/trust"
	"github.com/evident-project/evident/generator/evidence/verify"
	"github.com/evident-project/evident/generator/gitsig"
	"github.com/evident-project/evident/generator/period"
	"github.com/evident-project/evident/internal/testtools"
)

// history is a signed evidence repository of a few snapshots, built with the
// real signers, plus what an attacker without the keys can do to it.
type history struct {
	t       *testing.T
	dir     string
	store   *evidence.Store
	repo    *git.Repository
	commits []plumbing.Hash // oldest first
	keys    map[string][]byte
	in      catalog.Integrity
	rogue   *blobsig.KeySigner // a key nobody trusts
}

var t0 = time.Date(2026, 10, 1, 6, 0, 0, 0, time.UTC)

// seededKey gives a deterministic ed25519 key per name, so failures replay.
func seededKey(name string) ed25519.PrivateKey {
	seed := make([]byte, ed25519.SeedSize)
	copy(seed, name)
	return ed25519.NewKeyFromSeed(seed)
}

func newHistory(t *testing.T, n int) *history {
	t.Helper()
	dir := t.TempDir()
	manifestSigner, err := blobsig.NewKeySigner(seededKey("manifest"))
	if err != nil {
		t.Fatal(err)
	}
	rogue, err := blobsig.NewKeySigner(seededKey("rogue"))
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(seededKey("commit"), "")
	if err != nil {
		t.Fatal(err)
	}
	commitSigner, err := gitsig.NewSSHSigner(pem.EncodeToMemory(block))
	if err != nil {
		t.Fatal(err)
	}
	line, err := gitsig.AllowedSignersLine("evident@example.com", commitSigner.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	h := &history{
		t: t, dir: dir, rogue: rogue,
		keys: map[string][]byte{
			"keys/cosign.pub":       manifestSigner.PublicKeyPEM(),
			"keys/allowed_signers":  []byte(line + "\n"),
			"keys/rogue-cosign.pub": rogue.PublicKeyPEM(),
		},
		in: catalog.Integrity{
			Manifest: catalog.ManifestSigning{Key: "keys/cosign.pub"},
			Commits:  catalog.CommitSigning{SSHAllowedSigners: []string{"keys/allowed_signers"}},
		},
	}
	if h.store, err = evidence.OpenOrInit(filepath.Join(dir, "evidence")); err != nil {
		t.Fatal(err)
	}
	h.repo = h.store.Repository()
	pm := period.Model{FiscalYearStart: 1, Location: time.UTC}
	for i := 0; i < n; i++ {
		at := t0.AddDate(0, 0, 7*i)
		items := map[string]*evidence.Item{}
		for _, src := range []string{"core", "payments"} {
			path := fmt.Sprintf("items/git/%s/commits/2026-Q4.json", src)
			items[path] = &evidence.Item{
				Schema: evidence.ItemSchema, Collector: "git.commits", Source: src, Period: "2026-Q4",
				Provenance: collect.Provenance{Collector: "git.commits", Version: "1", Complete: true, Records: map[string]int{"commits": i + len(src)}},
				Data:       map[string]any{"commits": i + len(src)},
			}
		}
		if _, err := h.store.Commit(context.Background(), evidence.Run{
			RunID: fmt.Sprintf("run-%d", i+1), Started: at, Finished: at.Add(time.Minute),
			Tool: evidence.Tool{Name: "evident", Version: "test"}, Config: []byte("version: 1\n"),
			Period: pm.Containing(at), Items: items, AuthorName: "evident", AuthorMail: "evident@localhost",
			Signers:    evidence.Signers{Manifest: manifestSigner, Commit: commitSigner},
			TrustFiles: map[string][]byte{"keys/cosign.pub": h.keys["keys/cosign.pub"], "keys/allowed_signers": h.keys["keys/allowed_signers"]},
		}); err != nil {
			t.Fatal(err)
		}
		head, _ := h.store.Head()
		h.commits = append(h.commits, head)
	}
	return h
}

func (h *history) options(checkpoint string) verify.Options {
	h.t.Helper()
	in := h.in
	in.Checkpoint = checkpoint
	o, _, err := trust.Options(in, func(rel string) ([]byte, error) {
		b, ok := h.keys[rel]
		if !ok {
			return nil, os.ErrNotExist
		}
		return b, nil
	}, t0.AddDate(1, 0, 0))
	if err != nil {
		h.t.Fatal(err)
	}
	return o
}

func (h *history) verify(checkpoint string) *verify.Report {
	h.t.Helper()
	rep, err := verify.Run(context.Background(), h.store, h.options(checkpoint))
	if err != nil {
		h.t.Fatal(err)
	}
	return rep
}

func (h *history) commit(hash plumbing.Hash) *object.Commit {
	h.t.Helper()
	c, err := h.repo.CommitObject(hash)
	if err != nil {
		h.t.Fatal(err)
	}
	return c
}

// files reads every file of a commit.
func (h *history) files(hash plumbing.Hash) map[string][]byte {
	h.t.Helper()
	tree, err := h.commit(hash).Tree()
	if err != nil {
		h.t.Fatal(err)
	}
	out := map[string][]byte{}
	err = tree.Files().ForEach(func(f *object.File) error {
		s, err := f.Contents()
		out[f.Name] = []byte(s)
		return err
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return out
}

// rewrite writes a copy of commit tmpl with the given files and parent, as
// an attacker would: the old signature is kept (it no longer matches) unless
// dropSig, and nothing is re-signed with a trusted key.
func (h *history) rewrite(tmpl plumbing.Hash, files map[string][]byte, parent plumbing.Hash, dropSig bool) plumbing.Hash {
	h.t.Helper()
	c := *h.commit(tmpl)
	if files != nil {
		c.TreeHash = h.writeTree(files)
	}
	c.ParentHashes = nil
	if !parent.IsZero() {
		c.ParentHashes = []plumbing.Hash{parent}
	}
	if dropSig {
		c.PGPSignature = ""
	}
	return h.writeObject(&c)
}

// rechain re-parents the commits above `from` (oldest first) onto base, as a
// rebase or filter-branch does, and moves the branch to the new tip.
func (h *history) rechain(base plumbing.Hash, commits []plumbing.Hash) plumbing.Hash {
	tip := base
	for _, c := range commits {
		tip = h.rewrite(c, nil, tip, false)
	}
	h.setHead(tip)
	return tip
}

func (h *history) setHead(hash plumbing.Hash) {
	h.t.Helper()
	if err := h.repo.Storer.SetReference(plumbing.NewHashReference("refs/heads/main", hash)); err != nil {
		h.t.Fatal(err)
	}
}

func (h *history) writeObject(o interface {
	Encode(plumbing.EncodedObject) error
}) plumbing.Hash {
	h.t.Helper()
	obj := h.repo.Storer.NewEncodedObject()
	if err := o.Encode(obj); err != nil {
		h.t.Fatal(err)
	}
	hash, err := h.repo.Storer.SetEncodedObject(obj)
	if err != nil {
		h.t.Fatal(err)
	}
	return hash
}

func (h *history) writeTree(files map[string][]byte) plumbing.Hash {
	h.t.Helper()
	sub := map[string]map[string][]byte{}
	var entries []object.TreeEntry
	for p, b := range files {
		if dir, rest, ok := strings.Cut(p, "/"); ok {
			if sub[dir] == nil {
				sub[dir] = map[string][]byte{}
			}
			sub[dir][rest] = b
			continue
		}
		blob := h.repo.Storer.NewEncodedObject()
		blob.SetType(plumbing.BlobObject)
		w, _ := blob.Writer()
		w.Write(b)
		w.Close()
		bh, err := h.repo.Storer.SetEncodedObject(blob)
		if err != nil {
			h.t.Fatal(err)
		}
		entries = append(entries, object.TreeEntry{Name: p, Mode: filemode.Regular, Hash: bh})
	}
	for dir, fs := range sub {
		entries = append(entries, object.TreeEntry{Name: dir, Mode: filemode.Dir, Hash: h.writeTree(fs)})
	}
	sort.Slice(entries, func(i, j int) bool {
		key := func(e object.TreeEntry) string {
			if e.Mode == filemode.Dir {
				return e.Name + "/"
			}
			return e.Name
		}
		return key(entries[i]) < key(entries[j])
	})
	return h.writeObject(&object.Tree{Entries: entries})
}

// amendHead replaces HEAD by a commit with files changed by edit, keeping
// HEAD's (now stale) signature.
func (h *history) amendHead(edit func(map[string][]byte)) plumbing.Hash {
	head := h.commits[len(h.commits)-1]
	files := h.files(head)
	edit(files)
	n := h.rewrite(head, files, h.commits[len(h.commits)-2], false)
	h.setHead(n)
	return n
}

func (h *history) gitCmd(args ...string) string {
	h.t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = filepath.Join(h.dir, "evidence")
	cmd.Env = append(os.Environ(), "HOME="+h.dir, "GIT_CONFIG_NOSYSTEM=1", "GIT_AUTHOR_DATE=2026-11-01T00:00:00Z", "GIT_COMMITTER_DATE=2026-11-01T00:00:00Z")
	out, err := cmd.CombinedOutput()
	if err != nil {
		h.t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// expect is one problem verify must report.
type expect struct {
	commit plumbing.Hash
	file   string
	check  string
}

// mutation is one way to tamper with evidence. cosign and git say whether
// cosign verify-blob (over the manifests) and git verify-commit (over the
// commits) can see it: they cannot see what lies outside the file they sign.
type mutation struct {
	name       string
	apply      func(h *history) (checkpoint string, want []expect)
	cosign     bool
	gitVerify  bool
	sha256sums bool
}

const (
	itemA = "items/git/core/commits/2026-Q4.json"
)

var mutations = []mutation{
	{name: "flipped byte in an item", sha256sums: true, gitVerify: true, apply: func(h *history) (string, []expect) {
		n := h.amendHead(func(f map[string][]byte) { f[itemA][10] ^= 0x01 })
		return "", []expect{{n, itemA, verify.CheckItem}}
	}},
	{name: "item deleted", sha256sums: true, gitVerify: true, apply: func(h *history) (string, []expect) {
		n := h.amendHead(func(f map[string][]byte) { delete(f, itemA) })
		return "", []expect{{n, itemA, verify.CheckItem}}
	}},
	{name: "unlisted file added", gitVerify: true, apply: func(h *history) (string, []expect) {
		n := h.amendHead(func(f map[string][]byte) { f["items/extra/backfilled.json"] = []byte("{}\n") })
		return "", []expect{{n, "items/extra/backfilled.json", verify.CheckUnlisted}}
	}},
	{name: "manifest edited", cosign: true, gitVerify: true, apply: func(h *history) (string, []expect) {
		n := h.amendHead(func(f map[string][]byte) {
			f[evidence.ManifestPath] = bytes.Replace(f[evidence.ManifestPath], []byte(`"run-5"`), []byte(`"run-9"`), 1)
		})
		return "", []expect{{n, evidence.ManifestBundlePath, verify.CheckManifestSignature}}
	}},
	{name: "signature swapped between manifests", cosign: true, gitVerify: true, apply: func(h *history) (string, []expect) {
		older := h.files(h.commits[len(h.commits)-2])[evidence.ManifestBundlePath]
		n := h.amendHead(func(f map[string][]byte) { f[evidence.ManifestBundlePath] = older })
		return "", []expect{{n, evidence.ManifestBundlePath, verify.CheckManifestSignature}}
	}},
	{name: "signature from an untrusted key", cosign: true, gitVerify: true, apply: func(h *history) (string, []expect) {
		n := h.amendHead(func(f map[string][]byte) {
			b, err := h.rogue.SignBlob(context.Background(), f[evidence.ManifestPath])
			if err != nil {
				h.t.Fatal(err)
			}
			f[evidence.ManifestBundlePath] = b
		})
		return "", []expect{{n, evidence.ManifestBundlePath, verify.CheckManifestSignature}}
	}},
	{name: "commit rewritten with --amend", gitVerify: true, apply: func(h *history) (string, []expect) {
		h.gitCmd("-c", "user.name=intruder", "-c", "user.email=intruder@example.com", "-c", "commit.gpgsign=false",
			"commit", "--amend", "--no-edit", "-m", "evidence 2026-Q4: nothing to see")
		n := plumbing.NewHash(h.gitCmd("rev-parse", "HEAD"))
		return "", []expect{{n, "", verify.CheckCommitSignature}}
	}},
	{name: "history reordered", gitVerify: true, apply: func(h *history) (string, []expect) {
		c := h.commits
		// 1 2 3 4 5 → 1 2 4 3 5
		tip := h.rechain(c[1], []plumbing.Hash{c[3], c[2], c[4]})
		mid := h.commit(tip).ParentHashes[0]
		low := h.commit(mid).ParentHashes[0]
		return "", []expect{{low, evidence.ManifestPath, verify.CheckChain}, {mid, evidence.ManifestPath, verify.CheckChain}, {tip, evidence.ManifestPath, verify.CheckChain}}
	}},
	{name: "commit dropped from the middle", gitVerify: true, apply: func(h *history) (string, []expect) {
		c := h.commits
		tip := h.rechain(c[1], []plumbing.Hash{c[3], c[4]})
		return "", []expect{{h.commit(tip).ParentHashes[0], evidence.ManifestPath, verify.CheckChain}}
	}},
	{name: "force-push rewinding history", apply: func(h *history) (string, []expect) {
		cp := evidence.SHA256(h.files(h.commits[4])[evidence.ManifestPath])
		h.setHead(h.commits[2])
		return cp, []expect{{h.commits[2], evidence.ManifestPath, verify.CheckCheckpoint}}
	}},
	{name: "manifest chain link forged", cosign: true, gitVerify: true, apply: func(h *history) (string, []expect) {
		skip := evidence.SHA256(h.files(h.commits[2])[evidence.ManifestPath])
		n := h.amendHead(func(f map[string][]byte) {
			m, err := evidence.ParseManifest(f[evidence.ManifestPath])
			if err != nil {
				h.t.Fatal(err)
			}
			b := bytes.Replace(f[evidence.ManifestPath], []byte(m.Previous), []byte(skip), 1)
			f[evidence.ManifestPath] = b
		})
		return "", []expect{{n, evidence.ManifestPath, verify.CheckChain}, {n, evidence.ManifestBundlePath, verify.CheckManifestSignature}}
	}},
	{name: "evidence commit unsigned", gitVerify: true, apply: func(h *history) (string, []expect) {
		head := h.commits[len(h.commits)-1]
		n := h.rewrite(head, nil, h.commits[len(h.commits)-2], true)
		h.setHead(n)
		return "", []expect{{n, "", verify.CheckCommitSignature}}
	}},
	{name: "manifest signature removed", cosign: true, gitVerify: true, apply: func(h *history) (string, []expect) {
		n := h.amendHead(func(f map[string][]byte) { delete(f, evidence.ManifestBundlePath) })
		return "", []expect{{n, evidence.ManifestBundlePath, verify.CheckManifestSignature}}
	}},
	{name: "item replaced and manifest recomputed", cosign: true, gitVerify: true, apply: func(h *history) (string, []expect) {
		n := h.amendHead(func(f map[string][]byte) {
			old := evidence.SHA256(f[itemA])
			f[itemA] = regexp.MustCompile(`"commits": [1-9][0-9]*`).ReplaceAll(f[itemA], []byte(`"commits": 0`))
			if evidence.SHA256(f[itemA]) == old {
				h.t.Fatal("the item was not changed")
			}
			f[evidence.ManifestPath] = bytes.Replace(f[evidence.ManifestPath], []byte(old), []byte(evidence.SHA256(f[itemA])), 1)
		})
		return "", []expect{{n, evidence.ManifestBundlePath, verify.CheckManifestSignature}}
	}},
}

func TestIntactHistoryVerifies(t *testing.T) {
	h := newHistory(t, 5)
	cp := evidence.SHA256(h.files(h.commits[2])[evidence.ManifestPath])
	rep := h.verify(cp)
	if !rep.OK {
		t.Fatalf("intact history does not verify: %v", rep.Problems)
	}
	if len(rep.Snapshots) != 5 || rep.Snapshots[0].Commit != h.commits[4].String() {
		t.Fatalf("snapshots = %d, newest %s", len(rep.Snapshots), rep.Snapshots[0].Commit)
	}
	for _, s := range rep.Snapshots {
		if !strings.HasPrefix(s.ManifestSigner, "key ") && s.ManifestSigner == "" || s.CommitSigner == "" {
			t.Errorf("snapshot #%d: manifest signer %q, commit signer %q", s.Sequence, s.ManifestSigner, s.CommitSigner)
		}
	}
	if !rep.Checkpoint.Found || rep.Checkpoint.Sequence != 3 {
		t.Errorf("checkpoint = %+v, want found at #3", rep.Checkpoint)
	}
	if want := evidence.SHA256(h.files(h.commits[4])[evidence.ManifestPath]); rep.LatestManifest != want {
		t.Errorf("latest manifest = %s, want %s", rep.LatestManifest, want)
	}
	// Two item files, the config, two trust files: carried-forward files are
	// the same blobs, so 5 snapshots hash far fewer than 5×(files).
	if rep.FilesHashed >= 5*5 {
		t.Errorf("hashed %d blobs for 5 snapshots; shared blobs should be hashed once", rep.FilesHashed)
	}
}

func TestUnsignedHistoryIsNotVerified(t *testing.T) {
	h := newHistory(t, 2)
	rep, err := verify.Run(context.Background(), h.store, verify.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK || rep.SignaturesOK() || !rep.ChainOK() {
		t.Fatalf("with nothing trusted: ok=%t signatures=%t chain=%t; want signatures not verified but chain intact", rep.OK, rep.SignaturesOK(), rep.ChainOK())
	}
}

// TestTamperCorpus applies each mutation to a fresh signed history; evident
// verify must catch every one and name the commit, file and check. The
// standard tools are run over the same tampered history to record what is
// within their reach, so the verification page promises no more than they do.
func TestTamperCorpus(t *testing.T) {
	if len(mutations) < 12 {
		t.Fatalf("the corpus has %d mutations; the issue asks for at least 12", len(mutations))
	}
	cosign := ""
	if !testing.Short() {
		cosign = testtools.Cosign(t)
	}
	for _, m := range mutations {
		t.Run(m.name, func(t *testing.T) {
			h := newHistory(t, 5)
			checkpoint, want := m.apply(h)
			rep := h.verify(checkpoint)
			if rep.OK {
				t.Fatalf("verify passed a tampered history")
			}
			for _, w := range want {
				if !hasProblem(rep, w) {
					t.Errorf("missing problem at %s %q (%s); got:\n%s", w.commit.String()[:12], w.file, w.check, problems(rep))
				}
			}
			for _, p := range rep.Problems {
				if p.Commit == "" || p.What == "" {
					t.Errorf("problem without a place or reason: %+v", p)
				}
			}
			if cosign == "" {
				return
			}
			if got := h.gitCatches(); got != m.gitVerify {
				t.Errorf("git verify-commit catches it: %t, want %t", got, m.gitVerify)
			}
			if got := h.cosignCatches(cosign); got != m.cosign {
				t.Errorf("cosign verify-blob catches it: %t, want %t", got, m.cosign)
			}
			if got := h.sha256sumCatches(); got != m.sha256sums {
				t.Errorf("sha256sum -c against each manifest catches it: %t, want %t", got, m.sha256sums)
			}
		})
	}
}

func hasProblem(rep *verify.Report, w expect) bool {
	for _, p := range rep.Problems {
		if p.Commit == w.commit.String() && p.File == w.file && p.Check == w.check {
			return true
		}
	}
	return false
}

func problems(rep *verify.Report) string {
	var b strings.Builder
	for _, p := range rep.Problems {
		fmt.Fprintf(&b, "  %s\n", p)
	}
	return b.String()
}

// gitCatches runs git verify-commit on every commit of the branch.
func (h *history) gitCatches() bool {
	allowed := filepath.Join(h.dir, "allowed_signers")
	if err := os.WriteFile(allowed, h.keys["keys/allowed_signers"], 0o644); err != nil {
		h.t.Fatal(err)
	}
	for _, c := range strings.Fields(h.gitCmd("rev-list", "--first-parent", "main")) {
		cmd := exec.Command("git", "-c", "gpg.ssh.allowedSignersFile="+allowed, "verify-commit", c)
		cmd.Dir = filepath.Join(h.dir, "evidence")
		cmd.Env = append(os.Environ(), "HOME="+h.dir, "GIT_CONFIG_NOSYSTEM=1")
		if err := cmd.Run(); err != nil {
			return true
		}
	}
	return false
}

// sha256sumCatches checks out every snapshot and runs sha256sum -c over
// the list its own manifest gives, as the verification page shows.
func (h *history) sha256sumCatches() bool {
	for i, c := range strings.Fields(h.gitCmd("rev-list", "--first-parent", "main")) {
		files := h.files(plumbing.NewHash(c))
		m, err := evidence.ParseManifest(files[evidence.ManifestPath])
		if err != nil {
			return true
		}
		dir := filepath.Join(h.dir, fmt.Sprintf("checkout-%d", i))
		for p, b := range files {
			os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o755)
			if err := os.WriteFile(filepath.Join(dir, p), b, 0o644); err != nil {
				h.t.Fatal(err)
			}
		}
		var sums strings.Builder
		for _, r := range m.Files() {
			fmt.Fprintf(&sums, "%s  %s\n", r.SHA256, r.Path)
		}
		cmd := exec.Command("sha256sum", "--quiet", "-c", "-")
		cmd.Dir = dir
		cmd.Stdin = strings.NewReader(sums.String())
		if err := cmd.Run(); err != nil {
			return true
		}
	}
	return false
}

// cosignCatches runs cosign verify-blob on every snapshot's manifest with
// its bundle, as the verification page tells an auditor to.
func (h *history) cosignCatches(cosign string) bool {
	work := filepath.Join(h.dir, "cosign")
	os.MkdirAll(work, 0o755)
	write := func(name string, b []byte) string {
		p := filepath.Join(work, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			h.t.Fatal(err)
		}
		return p
	}
	key := write("cosign.pub", h.keys["keys/cosign.pub"])
	root := write("trusted_root.json", blobsig.EmptyTrustedRoot())
	for _, c := range strings.Fields(h.gitCmd("rev-list", "--first-parent", "main")) {
		files := h.files(plumbing.NewHash(c))
		bundle, ok := files[evidence.ManifestBundlePath]
		if !ok {
			return true
		}
		m := write("manifest.json", files[evidence.ManifestPath])
		b := write("manifest.sigstore.json", bundle)
		cmd := exec.Command(cosign, "verify-blob", "--key", key, "--bundle", b, "--new-bundle-format",
			"--trusted-root", root, "--insecure-ignore-tlog", m)
		cmd.Env = append(os.Environ(), "HOME="+h.dir)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			return true
		}
	}
	return false
}
