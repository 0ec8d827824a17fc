package gitrepo

import (
	"bytes"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/storage/memory"

	"github.com/evident-project/evident/generator/catalog"
	"github.com/evident-project/evident/generator/collect"
)

//go:embed def.yml
var defYAML []byte

// def is parsed and validated once: a broken def.yml is a build defect, so
// it panics at start-up rather than failing a run.
var def = collect.MustParseDef(defYAML)

// Collector is the git.commits collector.
type Collector struct{}

// New returns the git.commits collector.
func New() collect.Collector { return Collector{} }

// Def returns the collector's embedded metadata.
func (Collector) Def() collect.Def { return def }

// Collect lists the commits of the source's branch committed in the period,
// with their signature status against the source's trusted keys.
func (Collector) Collect(ctx context.Context, req collect.Request) (*collect.Result, error) {
	src, ok := req.Source.(*catalog.GitSource)
	if !ok || src == nil {
		return nil, collect.Errorf(collect.KindInvalid, "collect git", fmt.Errorf("source is %T, want a git source", req.Source))
	}
	name := src.ID
	if name == "" {
		name = req.SourceID
	}
	step := "collect git " + name
	if err := ctx.Err(); err != nil {
		return nil, collect.Errorf(collect.KindCanceled, step, err)
	}
	if len(req.Params) > 0 {
		keys := make([]string, 0, len(req.Params))
		for k := range req.Params {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return nil, collect.Errorf(collect.KindInvalid, step, fmt.Errorf("unknown parameters %v: git.commits takes none", keys))
	}
	if req.Period.ID == "" || !req.Period.End.After(req.Period.Start) {
		return nil, collect.Errorf(collect.KindInvalid, step, errors.New("no audit period"))
	}
	if src.Path == "" && src.URL == "" {
		return nil, collect.Errorf(collect.KindInvalid, step, errors.New("source has neither path nor url"))
	}
	branch := src.Branch
	if branch == "" {
		branch = "main"
	}
	now := req.Now
	if now.IsZero() {
		now = time.Now()
	}

	prov := collect.Provenance{
		Collector: def.Name,
		Version:   def.Version,
		Source:    map[string]string{"id": name, "branch": branch},
		Records:   map[string]int{},
	}
	if src.Path != "" {
		prov.Source["path"] = src.Path
	} else {
		prov.Source["url"] = src.URL
	}

	// Keys first: a broken trust configuration should fail before any
	// expensive clone.
	tr, reads, notes, err := loadTrust(req.BaseDir, src.TrustedKeys, now)
	if err != nil {
		return nil, collect.Errorf(collect.KindInvalid, step, err)
	}

	repo, openRead, err := openRepo(ctx, req.BaseDir, src, branch)
	if err != nil {
		return nil, collect.Errorf(errKind(err), step+": open repository", err)
	}
	prov.Reads = append(reads, openRead)
	ref, err := repo.Reference(plumbing.NewBranchReferenceName(branch), true)
	if err != nil {
		kind := collect.KindInvalid
		if errors.Is(err, plumbing.ErrReferenceNotFound) {
			kind = collect.KindNotFound
		}
		return nil, collect.Errorf(kind, step+": resolve branch "+branch, err)
	}
	head := ref.Hash()
	prov.Reads = append(prov.Reads, collect.Read{Method: "resolve", Target: "refs/heads/" + branch, Status: "ok"})

	w := walker{repo: repo, trust: tr, period: req.Period, now: now}
	commits, walked, shallow, err := w.walk(ctx, head)
	if err != nil {
		if ctx.Err() != nil {
			return nil, collect.Errorf(collect.KindCanceled, step+": walk "+branch, ctx.Err())
		}
		return nil, collect.Errorf(collect.KindInvalid, step+": walk "+branch, err)
	}
	prov.Reads = append(prov.Reads, collect.Read{Method: "walk", Target: head.String(), Status: "ok", Count: walked})
	prov.Records["commits"] = len(commits)
	prov.Complete = !shallow
	if shallow {
		notes = append(notes, "the repository is shallow: history beyond the shallow boundary was not read")
	}
	prov.Notes = append(notes,
		"committer dates are claimed by the committer, not authenticated; the period filter and ssh key validity use them, as git does")

	data := &Data{
		Repository: Repository{ID: name, Path: src.Path, URL: src.URL, Branch: branch, Head: head.String()},
		Period:     req.Period.ID,
		Commits:    commits,
		Summary:    summarize(commits),
	}
	if src.Path != "" {
		data.Repository.URL = ""
	}
	return &collect.Result{Data: data, Provenance: prov}, nil
}

// openRepo opens the local repository or clones the URL into memory.
func openRepo(ctx context.Context, baseDir string, src *catalog.GitSource, branch string) (*git.Repository, collect.Read, error) {
	if src.Path != "" {
		p := src.Path
		if !filepath.IsAbs(p) {
			p = filepath.Join(baseDir, p)
		}
		if _, err := os.Stat(p); err != nil {
			return nil, collect.Read{}, declaredPath(err, src.Path)
		}
		repo, err := git.PlainOpenWithOptions(p, &git.PlainOpenOptions{EnableDotGitCommonDir: true})
		if err != nil {
			return nil, collect.Read{}, err
		}
		return repo, collect.Read{Method: "open", Target: src.Path, Status: "ok"}, nil
	}
	repo, err := git.CloneContext(ctx, memory.NewStorage(), nil, &git.CloneOptions{
		URL:           src.URL,
		ReferenceName: plumbing.NewBranchReferenceName(branch),
		SingleBranch:  true,
		Tags:          git.NoTags,
	})
	if err != nil {
		return nil, collect.Read{}, err
	}
	return repo, collect.Read{Method: "clone", Target: src.URL, Status: "ok"}, nil
}

// errKind classifies repository open and clone failures.
func errKind(err error) collect.ErrorKind {
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return collect.KindCanceled
	case errors.Is(err, os.ErrNotExist), errors.Is(err, git.ErrRepositoryNotExists),
		errors.Is(err, transport.ErrRepositoryNotFound), errors.Is(err, plumbing.ErrReferenceNotFound),
		errors.As(err, new(git.NoMatchingRefSpecError)), errors.Is(err, transport.ErrEmptyRemoteRepository):
		return collect.KindNotFound
	case errors.Is(err, transport.ErrAuthenticationRequired), errors.Is(err, transport.ErrAuthorizationFailed),
		errors.Is(err, os.ErrPermission):
		return collect.KindPermission
	case errors.Is(err, transport.ErrInvalidAuthMethod):
		return collect.KindInvalid
	}
	var nerr interface{ Timeout() bool }
	if errors.As(err, &nerr) {
		return collect.KindTransient
	}
	return collect.KindInvalid
}

// trust is the parsed trusted keys of one repository, built once per Collect.
type trust struct {
	pgp *pgpTrust
	ssh *sshTrust
	now time.Time
}

// loadTrust reads the declared keyring and allowed-signers files, recording
// each file read with the sha256 of its bytes.
func loadTrust(baseDir string, keys catalog.TrustedKeys, now time.Time) (*trust, []collect.Read, []string, error) {
	tr := &trust{now: now}
	var reads []collect.Read
	var notes []string
	var ents []*openpgp.Entity
	for _, f := range keys.PGP {
		data, sum, err := readKeyFile(baseDir, f)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("read pgp keyring %s: %w", f, err)
		}
		e, skipped, err := readPGPKeyring(data)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("parse pgp keyring %s: %w", f, err)
		}
		if len(e) == 0 {
			return nil, nil, nil, fmt.Errorf("parse pgp keyring %s: no usable keys", f)
		}
		for _, s := range skipped {
			notes = append(notes, fmt.Sprintf("pgp keyring %s: a key was skipped: %s", f, s))
		}
		ents = append(ents, e...)
		reads = append(reads, collect.Read{Method: "read", Target: f, Status: "sha256:" + sum, Count: len(e)})
	}
	if len(ents) > 0 {
		tr.pgp = newPGPTrust(ents)
	}
	var signers []allowedSigner
	for _, f := range keys.SSHAllowedSigners {
		data, sum, err := readKeyFile(baseDir, f)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("read ssh allowed signers %s: %w", f, err)
		}
		s, err := parseAllowedSigners(bytes.NewReader(data), f)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("parse ssh allowed signers: %w", err)
		}
		signers = append(signers, s...)
		reads = append(reads, collect.Read{Method: "read", Target: f, Status: "sha256:" + sum, Count: len(s)})
	}
	if len(keys.SSHAllowedSigners) > 0 {
		tr.ssh = newSSHTrust(signers)
	}
	if len(keys.PGP) == 0 && len(keys.SSHAllowedSigners) == 0 {
		notes = append(notes, "no trusted keys declared: no signature can be verified")
	}
	return tr, reads, notes, nil
}

func readKeyFile(baseDir, f string) (data []byte, sum string, err error) {
	p := f
	if !filepath.IsAbs(p) {
		p = filepath.Join(baseDir, p)
	}
	data, err = os.ReadFile(p)
	if err != nil {
		return nil, "", declaredPath(err, f)
	}
	return data, sha256Hex(data), nil
}

// declaredPath makes a path error name the path as declared in config: an
// absolute path would make the same failure record different evidence bytes
// depending on where the config repository is checked out.
func declaredPath(err error, declared string) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return &fs.PathError{Op: pe.Op, Path: declared, Err: pe.Err}
	}
	return err
}

// verify classifies a commit's signature. The format is chosen by the
// armor's first line, as git's get_format_by_sig does.
func (t *trust) verify(c *rawCommit) Signature {
	sig := c.signature
	switch {
	case sig == nil:
		return Signature{Kind: KindNone, Status: StatusNone}
	case bytes.HasPrefix(sig, []byte("-----BEGIN PGP SIGNATURE-----")), bytes.HasPrefix(sig, []byte("-----BEGIN PGP MESSAGE-----")):
		return t.pgp.verifyPGP(sig, c.payload, t.now)
	case bytes.HasPrefix(sig, []byte("-----BEGIN SSH SIGNATURE-----")):
		return t.ssh.verifySSH(sig, c.payload, c.committer.when)
	case bytes.HasPrefix(sig, []byte("-----BEGIN SIGNED MESSAGE-----")):
		return Signature{Kind: KindX509, Status: StatusUnknownKey, Note: "x509 verification not supported"}
	}
	return Signature{Kind: KindUnknown, Status: StatusError, Note: "signature in an unrecognised format"}
}

// walker lists the commits reachable from a head.
type walker struct {
	repo   *git.Repository
	trust  *trust
	period periodRange
	now    time.Time
}

// walk visits every commit reachable from head, verifying only those whose
// committer date is in the period. Every ancestor is visited because
// committer dates need not decrease along history (rebases, skewed clocks),
// so stopping at the first old commit could miss commits in the period.
func (w *walker) walk(ctx context.Context, head plumbing.Hash) (commits []Commit, walked int, shallow bool, err error) {
	shallowSet := map[plumbing.Hash]bool{}
	if sh, err := w.repo.Storer.Shallow(); err == nil {
		for _, h := range sh {
			shallowSet[h] = true
		}
	}
	seen := map[plumbing.Hash]bool{head: true}
	stack := []plumbing.Hash{head}
	commits = []Commit{}
	for len(stack) > 0 {
		if err := ctx.Err(); err != nil {
			return nil, walked, false, err
		}
		h := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		raw, err := readObject(w.repo, h)
		if err != nil {
			return nil, walked, false, fmt.Errorf("read commit %s: %w", h, err)
		}
		walked++
		c, err := parseCommit(raw)
		if err != nil {
			return nil, walked, false, fmt.Errorf("parse commit %s: %w", h, err)
		}
		if shallowSet[h] && len(c.parents) > 0 {
			shallow = true
		} else {
			for _, p := range c.parents {
				ph := plumbing.NewHash(p)
				if !seen[ph] {
					seen[ph] = true
					stack = append(stack, ph)
				}
			}
		}
		if !w.period.Contains(c.committer.when) {
			continue
		}
		parents := make([]string, len(c.parents))
		copy(parents, c.parents)
		commits = append(commits, Commit{
			SHA:       h.String(),
			Author:    person(c.author),
			Committer: person(c.committer),
			Parents:   parents,
			Merge:     len(parents) > 1,
			Subject:   c.subject,
			Signature: w.trust.verify(c),
		})
	}
	sort.Slice(commits, func(i, j int) bool {
		a, b := commits[i].Committer.Date, commits[j].Committer.Date
		if a != b {
			return a > b
		}
		return commits[i].SHA < commits[j].SHA
	})
	return commits, walked, shallow, nil
}

// periodRange is the part of period.Period the walk needs.
type periodRange interface{ Contains(time.Time) bool }

// readObject reads a commit object's raw bytes.
func readObject(repo *git.Repository, h plumbing.Hash) ([]byte, error) {
	obj, err := repo.Storer.EncodedObject(plumbing.CommitObject, h)
	if err != nil {
		return nil, err
	}
	r, err := obj.Reader()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	b := make([]byte, obj.Size())
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, err
	}
	return b, nil
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func person(id ident) Person {
	return Person{Name: id.name, Email: id.email, Date: rfc3339(id.when)}
}

// summarize counts the commits by outcome.
func summarize(commits []Commit) Summary {
	s := Summary{
		Commits:    len(commits),
		ByStatus:   map[Status]int{},
		Unsigned:   []string{},
		Unverified: []string{},
	}
	for _, st := range Statuses {
		s.ByStatus[st] = 0
	}
	for _, c := range commits {
		s.ByStatus[c.Signature.Status]++
		if c.Merge {
			s.Merges++
		}
		if c.Signature.Kind == KindNone {
			s.Unsigned = append(s.Unsigned, c.SHA)
		} else {
			s.Signed++
		}
		if c.Signature.Status == StatusVerified {
			s.Verified++
		} else {
			s.Unverified = append(s.Unverified, c.SHA)
		}
	}
	s.SignedPct = pct(s.Signed, s.Commits)
	s.VerifiedPct = pct(s.Verified, s.Commits)
	return s
}

// pct is n/total in percent, rounded to one decimal; 0 when total is 0.
func pct(n, total int) float64 {
	if total == 0 {
		return 0
	}
	return math.Round(float64(n)*1000/float64(total)) / 10
}
