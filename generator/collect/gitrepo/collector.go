package gitrepo

import (
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/storage/memory"

	"github.com/evident-project/evident/generator/catalog"
	"github.com/evident-project/evident/generator/collect"
	"github.com/evident-project/evident/generator/gitsig"
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

// loadTrust reads the declared keyring and allowed-signers files, recording
// each file read with the sha256 of its bytes.
func loadTrust(baseDir string, keys catalog.TrustedKeys, now time.Time) (*gitsig.Trust, []collect.Read, []string, error) {
	tr := gitsig.NewTrust(now)
	var reads []collect.Read
	var notes []string
	for _, f := range keys.PGP {
		data, sum, err := readKeyFile(baseDir, f)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("read pgp keyring %s: %w", f, err)
		}
		n, skipped, err := tr.AddPGPKeyring(data)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("parse pgp keyring %s: %w", f, err)
		}
		for _, s := range skipped {
			notes = append(notes, fmt.Sprintf("pgp keyring %s: a key was skipped: %s", f, s))
		}
		reads = append(reads, collect.Read{Method: "read", Target: f, Status: "sha256:" + sum, Count: n})
	}
	for _, f := range keys.SSHAllowedSigners {
		data, sum, err := readKeyFile(baseDir, f)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("read ssh allowed signers %s: %w", f, err)
		}
		n, err := tr.AddAllowedSigners(data, f)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("parse ssh allowed signers: %w", err)
		}
		reads = append(reads, collect.Read{Method: "read", Target: f, Status: "sha256:" + sum, Count: n})
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

// walker lists the commits reachable from a head.
type walker struct {
	repo   *git.Repository
	trust  *gitsig.Trust
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
		c, err := gitsig.ReadCommit(w.repo.Storer, h)
		if err != nil {
			return nil, walked, false, err
		}
		walked++
		if shallowSet[h] && len(c.Parents) > 0 {
			shallow = true
		} else {
			for _, p := range c.Parents {
				ph := plumbing.NewHash(p)
				if !seen[ph] {
					seen[ph] = true
					stack = append(stack, ph)
				}
			}
		}
		if !w.period.Contains(c.Committer.When) {
			continue
		}
		parents := make([]string, len(c.Parents))
		copy(parents, c.Parents)
		commits = append(commits, Commit{
			SHA:       h.String(),
			Author:    person(c.Author),
			Committer: person(c.Committer),
			Parents:   parents,
			Merge:     len(parents) > 1,
			Subject:   c.Subject,
			Signature: w.trust.Verify(c),
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

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func person(id gitsig.Ident) Person {
	return Person{Name: id.Name, Email: id.Email, Date: id.When.UTC().Format(time.RFC3339)}
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
