package github

import (
	"context"
	_ "embed"
	"fmt"
	"net/url"

	"github.com/evident-project/evident/generator/collect"
	"github.com/evident-project/evident/generator/collect/github/ghapi"
)

//go:embed defs/codeowners.yml
var codeownersDefYAML []byte

var codeownersDef = collect.MustParseDef(codeownersDefYAML)

// Codeowners is the github.codeowners collector.
type Codeowners struct{ s *shared }

// Def returns the collector's embedded metadata.
func (*Codeowners) Def() collect.Def { return codeownersDef }

// CodeownersData is the github.codeowners evidence of one source.
type CodeownersData struct {
	Org          string            `json:"org"`
	Repositories []CodeownersState `json:"repositories"`
}

// CodeownersState is one repository's CODEOWNERS.
type CodeownersState struct {
	Repo   string `json:"repo"`
	Branch string `json:"branch"`
	Exists bool   `json:"exists"`
	// Path is the file GitHub uses ("" when none exists).
	Path string `json:"path"`
	// AlsoPresent are files in later locations, which GitHub ignores.
	AlsoPresent []string          `json:"also_present"`
	Errors      []CodeownersError `json:"errors"`
	Valid       bool              `json:"valid"`
}

// CodeownersError is an error GitHub reports for the file.
type CodeownersError struct {
	Line       int    `json:"line"`
	Column     int    `json:"column"`
	Kind       string `json:"kind"`
	Source     string `json:"source"`
	Suggestion string `json:"suggestion"`
	Message    string `json:"message"`
	Path       string `json:"path"`
}

// codeownersPaths are where GitHub looks, in its order.
var codeownersPaths = []string{".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"}

// Collect reads each repository's CODEOWNERS state.
func (co *Codeowners) Collect(ctx context.Context, req collect.Request) (*collect.Result, error) {
	se, err := co.s.begin(ctx, codeownersDef, "codeowners", req)
	if err != nil {
		return nil, err
	}
	repos, _, err := se.repos(ctx)
	if err != nil {
		return nil, err
	}
	d := &CodeownersData{Org: se.src.Org, Repositories: make([]CodeownersState, len(repos))}
	err = forEach(ctx, 4, len(repos), func(ctx context.Context, i int) error {
		st, err := co.repo(ctx, se, repos[i])
		d.Repositories[i] = st
		return err
	})
	if err != nil {
		return nil, err
	}
	withFile, valid := 0, 0
	for _, r := range d.Repositories {
		if r.Exists {
			withFile++
		}
		if r.Valid {
			valid++
		}
	}
	return se.result(d, map[string]int{"repositories": len(repos), "with_codeowners": withFile, "valid": valid}), nil
}

func (co *Codeowners) repo(ctx context.Context, se *session, r repoInfo) (CodeownersState, error) {
	base := "repos/" + esc(se.src.Org) + "/" + esc(r.Name)
	st := CodeownersState{Repo: r.FullName, Branch: r.DefaultBranch, AlsoPresent: []string{}, Errors: []CodeownersError{}}
	ref := url.Values{"ref": {r.DefaultBranch}}
	for _, p := range codeownersPaths {
		var f struct {
			Type string `json:"type"`
			Path string `json:"path"`
		}
		err := se.c.Get(ctx, base+"/contents/"+p, ref, &f)
		switch {
		case err == nil && f.Type == "file":
			if st.Exists {
				st.AlsoPresent = append(st.AlsoPresent, p)
			} else {
				st.Exists, st.Path = true, p
			}
		case err == nil, ghapi.Status(err) == 404:
		case ghapi.Status(err) == 403:
			se.hide(fmt.Sprintf("%s %s is not readable by the token (%v)", r.FullName, p, err))
			return st, nil
		default:
			return st, se.fail(ctx, "read "+p+" of "+r.FullName, err)
		}
	}
	if !st.Exists {
		return st, nil
	}
	var out struct {
		Errors []struct {
			Line       int     `json:"line"`
			Column     int     `json:"column"`
			Kind       string  `json:"kind"`
			Source     string  `json:"source"`
			Suggestion *string `json:"suggestion"`
			Message    string  `json:"message"`
			Path       string  `json:"path"`
		} `json:"errors"`
	}
	err := se.c.Get(ctx, base+"/codeowners/errors", ref, &out)
	switch {
	case err == nil:
	case ghapi.Status(err) == 403 || ghapi.Status(err) == 404:
		se.hide(fmt.Sprintf("CODEOWNERS errors of %s could not be read (%v)", r.FullName, err))
		return st, nil
	default:
		return st, se.fail(ctx, "get codeowners errors of "+r.FullName, err)
	}
	for _, e := range out.Errors {
		ce := CodeownersError{Line: e.Line, Column: e.Column, Kind: e.Kind, Source: e.Source, Message: e.Message, Path: e.Path}
		if e.Suggestion != nil {
			ce.Suggestion = *e.Suggestion
		}
		st.Errors = append(st.Errors, ce)
	}
	st.Valid = len(st.Errors) == 0
	return st, nil
}
