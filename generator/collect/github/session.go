package github

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync"

	"github.com/evident-project/evident/generator/catalog"
	"github.com/evident-project/evident/generator/collect"
	"github.com/evident-project/evident/generator/collect/github/ghapi"
)

// session is one Collect call: the source, the client recording its
// requests, and what the item will say about its own completeness.
type session struct {
	def  collect.Def
	src  *catalog.GitHubSource
	req  collect.Request
	c    *ghapi.Client
	step string

	mu         sync.Mutex
	notes      []string
	incomplete bool
}

// begin checks the request and builds the client. what is the collector's
// short name in error steps ("pulls", "branch protection").
func (s *shared) begin(ctx context.Context, def collect.Def, what string, req collect.Request, params ...string) (*session, error) {
	src, ok := req.Source.(*catalog.GitHubSource)
	if !ok || src == nil {
		return nil, collect.Errorf(collect.KindInvalid, "collect github "+what, fmt.Errorf("source is %T, want a github source", req.Source))
	}
	name := src.ID
	if name == "" {
		name = req.SourceID
	}
	step := "collect github " + what + " " + name
	if err := ctx.Err(); err != nil {
		return nil, collect.Errorf(collect.KindCanceled, step, err)
	}
	allowed := map[string]bool{}
	for _, p := range params {
		allowed[p] = true
	}
	var unknown []string
	for k := range req.Params {
		if !allowed[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, collect.Errorf(collect.KindInvalid, step, fmt.Errorf("unknown parameters %v: %s takes %v", unknown, def.Name, params))
	}
	if src.Org == "" {
		return nil, collect.Errorf(collect.KindInvalid, step, errors.New("source names no organisation"))
	}
	c, err := s.client(src, req.BaseDir, req.CacheDir)
	if err != nil {
		var ce *collect.Error
		if errors.As(err, &ce) {
			return nil, collect.Errorf(ce.Kind, step+": "+ce.Step, ce.Err)
		}
		return nil, collect.Errorf(collect.KindInvalid, step, err)
	}
	return &session{def: def, src: src, req: req, c: c, step: step}, nil
}

// fail wraps err as the typed error of a failed step. A canceled context
// wins over whatever the request returned, so the runner sees the cause.
func (se *session) fail(ctx context.Context, what string, err error) error {
	step := se.step
	if what != "" {
		step += ": " + what
	}
	if ctx.Err() != nil {
		return collect.Errorf(collect.KindCanceled, step, ctx.Err())
	}
	return ghapi.Wrap(step, err)
}

// hide records that part of the evidence could not be seen: the item is
// incomplete, so assertions on it are unknown, and the note says why.
func (se *session) hide(note string) {
	se.mu.Lock()
	defer se.mu.Unlock()
	se.incomplete = true
	se.notes = append(se.notes, note)
}

// note records an assumption or limit that does not make the item
// incomplete.
func (se *session) note(n string) {
	se.mu.Lock()
	defer se.mu.Unlock()
	se.notes = append(se.notes, n)
}

// result assembles the item's provenance.
func (se *session) result(data any, records map[string]int, fixed ...string) *collect.Result {
	se.mu.Lock()
	defer se.mu.Unlock()
	notes := append([]string(nil), se.notes...)
	sort.Strings(notes)
	notes = dedupe(notes)
	notes = append(fixed, notes...)
	if records == nil {
		records = map[string]int{}
	}
	return &collect.Result{Data: data, Provenance: collect.Provenance{
		Collector: se.def.Name,
		Version:   se.def.Version,
		Source: map[string]string{
			"id": se.src.ID, "org": se.src.Org, "api_url": se.c.BaseURL(),
		},
		Reads:    se.c.Reads(),
		Records:  records,
		Complete: !se.incomplete,
		Notes:    notes,
	}, Cost: se.c.Cost()}
}

func dedupe(s []string) []string {
	var out []string
	for i, x := range s {
		if i == 0 || x != s[i-1] {
			out = append(out, x)
		}
	}
	return out
}

// repoInfo is a repository in scope.
type repoInfo struct {
	ID            int64  `json:"id"`
	Name          string `json:"name"`
	FullName      string `json:"full_name"`
	DefaultBranch string `json:"default_branch"`
	Archived      bool   `json:"archived"`
	Private       bool   `json:"private"`
	Visibility    string `json:"visibility"`
	Permissions   *struct {
		Admin bool `json:"admin"`
		Push  bool `json:"push"`
	} `json:"permissions"`
}

func (r repoInfo) admin() bool { return r.Permissions != nil && r.Permissions.Admin }

// repos returns the repositories in scope: the declared ones, or every
// repository of the organisation. Archived repositories are skipped and
// named in a note: nothing can change in them.
func (se *session) repos(ctx context.Context) ([]repoInfo, []string, error) {
	org := se.src.Org
	var out []repoInfo
	if len(se.src.Repos) == 0 {
		all, err := ghapi.List[repoInfo](ctx, se.c, "orgs/"+esc(org)+"/repos", url.Values{"type": {"all"}}, ghapi.ListOptions[repoInfo]{})
		if err != nil {
			return nil, nil, se.fail(ctx, "list repositories of "+org, err)
		}
		out = all
	} else {
		for _, name := range se.src.Repos {
			var r repoInfo
			if err := se.c.Get(ctx, "repos/"+esc(org)+"/"+esc(name), nil, &r); err != nil {
				if ghapi.Status(err) == 404 {
					return nil, nil, collect.Errorf(collect.KindNotFound, se.step+": get repository "+org+"/"+name,
						fmt.Errorf("%w (missing, or not visible to the token)", err))
				}
				return nil, nil, se.fail(ctx, "get repository "+org+"/"+name, err)
			}
			out = append(out, r)
		}
	}
	var kept []repoInfo
	var archived []string
	for _, r := range out {
		if r.FullName == "" {
			r.FullName = org + "/" + r.Name
		}
		if r.Archived {
			archived = append(archived, r.FullName)
			continue
		}
		kept = append(kept, r)
	}
	sort.Slice(kept, func(i, j int) bool { return kept[i].Name < kept[j].Name })
	sort.Strings(archived)
	if len(archived) > 0 {
		se.note("archived repositories skipped (read-only): " + strings.Join(archived, ", "))
	}
	if archived == nil {
		archived = []string{}
	}
	return kept, archived, nil
}

// esc escapes one path segment (branch names may hold "/").
func esc(s string) string { return url.PathEscape(s) }

// stringList reads a list-of-strings parameter.
func stringList(params map[string]any, key string) ([]string, error) {
	v, ok := params[key]
	if !ok || v == nil {
		return nil, nil
	}
	switch x := v.(type) {
	case []string:
		return x, nil
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			s, ok := e.(string)
			if !ok || s == "" {
				return nil, fmt.Errorf("parameter %s: want a list of names, got %v", key, e)
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, fmt.Errorf("parameter %s: want a list of names, got %T", key, v)
}

// forEach runs f for every index with at most n at a time, stopping at
// the first error. The limiter bounds requests; this bounds goroutines. A
// canceled parent is an error even when no f saw it: callers must never
// take a half-filled result for a complete one.
func forEach(parent context.Context, n, count int, f func(ctx context.Context, i int) error) error {
	if n <= 0 {
		n = 8
	}
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	sem := make(chan struct{}, n)
	for i := 0; i < count; i++ {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := f(ctx, i); err != nil {
				once.Do(func() { first = err; cancel() })
			}
		}()
	}
	wg.Wait()
	if first == nil && parent.Err() != nil {
		return collect.Errorf(collect.KindCanceled, "collect github", parent.Err())
	}
	return first
}
