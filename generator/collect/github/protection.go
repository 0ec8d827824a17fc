package github

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"

	gh "github.com/google/go-github/v60/github"

	"github.com/evident-project/evident/generator/collect"
	"github.com/evident-project/evident/generator/collect/github/ghapi"
)

//go:embed defs/branch_protection.yml
var protectionDefYAML []byte

var protectionDef = collect.MustParseDef(protectionDefYAML)

// BranchProtection is the github.branch_protection collector.
type BranchProtection struct{ s *shared }

// Def returns the collector's embedded metadata.
func (*BranchProtection) Def() collect.Def { return protectionDef }

// ProtectionData is the github.branch_protection evidence of one source.
type ProtectionData struct {
	Org             string         `json:"org"`
	Repositories    []RepoSummary  `json:"repositories"`
	ArchivedSkipped []string       `json:"archived_skipped"`
	Branches        []BranchPolicy `json:"branches"`
	Rulesets        []RulesetInfo  `json:"rulesets"`
}

// RepoSummary is a repository in scope.
type RepoSummary struct {
	Repo          string `json:"repo"`
	DefaultBranch string `json:"default_branch"`
	Visibility    string `json:"visibility"`
	// TokenIsAdmin says whether the token could read admin-only settings.
	TokenIsAdmin bool `json:"token_is_admin"`
}

// Policy is a set of branch rules, from one source or merged.
type Policy struct {
	RequirePullRequest      bool          `json:"require_pull_request"`
	RequiredApprovals       int           `json:"required_approvals"`
	DismissStaleReviews     bool          `json:"dismiss_stale_reviews"`
	RequireLastPushApproval bool          `json:"require_last_push_approval"`
	RequireCodeOwnerReviews bool          `json:"require_code_owner_reviews"`
	RequiredStatusChecks    []string      `json:"required_status_checks"`
	StatusCheckApps         []StatusCheck `json:"status_check_apps"`
	StrictStatusChecks      bool          `json:"strict_status_checks"`
	// EnforceAdmins is null when it cannot be known (hidden bypass list or
	// classic protection).
	EnforceAdmins *bool `json:"enforce_admins"`
	// BypassActors is null, not empty, when the token may not see them.
	BypassActors       []string `json:"bypass_actors"`
	RequiredSignatures bool     `json:"required_signatures"`
	LinearHistory      bool     `json:"linear_history"`
	AllowForcePushes   bool     `json:"allow_force_pushes"`
	AllowDeletions     bool     `json:"allow_deletions"`
	// PushRestricted says only PushAllowances may push.
	PushRestricted bool     `json:"push_restricted"`
	PushAllowances []string `json:"push_allowances"`
}

// StatusCheck is a required check and the app that must report it (nil:
// any app or a commit status).
type StatusCheck struct {
	Context string `json:"context"`
	AppID   *int64 `json:"app_id"`
}

// BranchPolicy is the effective protection of one branch.
type BranchPolicy struct {
	Repo    string `json:"repo"`
	Branch  string `json:"branch"`
	Default bool   `json:"default"`
	// Protected is true when classic protection or an active ruleset applies.
	Protected   bool     `json:"protected"`
	ProtectedBy []string `json:"protected_by"`
	Policy
	Sources []PolicySource `json:"sources"`
	// Hidden lists what the token could not see; any entry makes the item
	// incomplete.
	Hidden []string `json:"hidden"`
}

// PolicySource is one contributor to a branch's policy.
type PolicySource struct {
	// Kind is "classic" or "ruleset".
	Kind        string   `json:"kind"`
	RulesetID   int64    `json:"ruleset_id,omitempty"`
	Name        string   `json:"name,omitempty"`
	Level       string   `json:"level,omitempty"`
	Source      string   `json:"source,omitempty"`
	Enforcement string   `json:"enforcement,omitempty"`
	Rules       []string `json:"rules,omitempty"`
	Policy      Policy   `json:"policy"`
}

// RulesetInfo is a ruleset seen on a repository.
type RulesetInfo struct {
	Repo        string   `json:"repo"`
	ID          int64    `json:"id"`
	Name        string   `json:"name"`
	Level       string   `json:"level"`
	Source      string   `json:"source"`
	Target      string   `json:"target"`
	Enforcement string   `json:"enforcement"`
	Counted     bool     `json:"counted"`
	AppliesTo   []string `json:"applies_to"`
	// BypassVisible is false when GitHub left the bypass list out.
	BypassVisible bool   `json:"bypass_visible"`
	Note          string `json:"note,omitempty"`
}

type apiBranch struct {
	Name      string `json:"name"`
	Protected bool   `json:"protected"`
}

type apiBypassActor struct {
	ActorID    *int64 `json:"actor_id"`
	ActorType  string `json:"actor_type"`
	BypassMode string `json:"bypass_mode"`
}

type apiRule struct {
	Type              string          `json:"type"`
	Parameters        json.RawMessage `json:"parameters"`
	RulesetSourceType string          `json:"ruleset_source_type"`
	RulesetSource     string          `json:"ruleset_source"`
	RulesetID         int64           `json:"ruleset_id"`
}

type apiCondition struct {
	Include []string `json:"include"`
	Exclude []string `json:"exclude"`
}

// apiRuleset decodes a ruleset. go-github v60 folds an absent
// bypass_actors into an empty list; here absent (hidden) stays nil.
type apiRuleset struct {
	ID           int64             `json:"id"`
	Name         string            `json:"name"`
	Target       string            `json:"target"`
	SourceType   string            `json:"source_type"`
	Source       string            `json:"source"`
	Enforcement  string            `json:"enforcement"`
	BypassActors *[]apiBypassActor `json:"bypass_actors"`
	Conditions   *struct {
		RefName        *apiCondition `json:"ref_name"`
		RepositoryName *apiCondition `json:"repository_name"`
		RepositoryID   *struct {
			IDs []int64 `json:"repository_ids"`
		} `json:"repository_id"`
		RepositoryProperty json.RawMessage `json:"repository_property"`
	} `json:"conditions"`
	Rules []apiRule `json:"rules"`
	// detail is false for a summary whose detail could not be read.
	detail bool
}

// Collect reads the effective protection of every protected branch.
func (b *BranchProtection) Collect(ctx context.Context, req collect.Request) (*collect.Result, error) {
	se, err := b.s.begin(ctx, protectionDef, "branch protection", req, "branches")
	if err != nil {
		return nil, err
	}
	extra, err := stringList(req.Params, "branches")
	if err != nil {
		return nil, collect.Errorf(collect.KindInvalid, se.step, err)
	}
	repos, archived, err := se.repos(ctx)
	if err != nil {
		return nil, err
	}
	type out struct {
		branches []BranchPolicy
		rulesets []RulesetInfo
	}
	results := make([]out, len(repos))
	err = forEach(ctx, 8, len(repos), func(ctx context.Context, i int) error {
		br, rs, err := b.repo(ctx, se, repos[i], extra)
		results[i] = out{br, rs}
		return err
	})
	if err != nil {
		return nil, err
	}
	data := &ProtectionData{Org: se.src.Org, ArchivedSkipped: archived, Repositories: []RepoSummary{}, Branches: []BranchPolicy{}, Rulesets: []RulesetInfo{}}
	protected := 0
	for i, r := range repos {
		data.Repositories = append(data.Repositories, RepoSummary{Repo: r.FullName, DefaultBranch: r.DefaultBranch, Visibility: visibility(r), TokenIsAdmin: r.admin()})
		data.Branches = append(data.Branches, results[i].branches...)
		data.Rulesets = append(data.Rulesets, results[i].rulesets...)
	}
	for _, br := range data.Branches {
		if br.Protected {
			protected++
		}
	}
	return se.result(data, map[string]int{
		"repositories": len(data.Repositories), "branches": len(data.Branches),
		"protected_branches": protected, "rulesets": len(data.Rulesets),
	}, "values merged from classic protection and active rulesets keep the most restrictive setting; each source's own values are under sources"), nil
}

func visibility(r repoInfo) string {
	if r.Visibility != "" {
		return r.Visibility
	}
	if r.Private {
		return "private"
	}
	return "public"
}

// repo evaluates one repository's branches.
func (b *BranchProtection) repo(ctx context.Context, se *session, r repoInfo, extra []string) ([]BranchPolicy, []RulesetInfo, error) {
	base := "repos/" + esc(se.src.Org) + "/" + esc(r.Name)
	listed, err := ghapi.List[apiBranch](ctx, se.c, base+"/branches", url.Values{"protected": {"true"}}, ghapi.ListOptions[apiBranch]{})
	if err != nil {
		return nil, nil, se.fail(ctx, "list protected branches of "+r.FullName, err)
	}
	flag := map[string]bool{}
	names := []string{r.DefaultBranch}
	for _, br := range listed {
		flag[br.Name] = br.Protected
		names = append(names, br.Name)
	}
	names = append(names, extra...)
	sort.Strings(names)
	names = uniq(names)

	rulesets, err := b.rulesets(ctx, se, r, base)
	if err != nil {
		return nil, nil, err
	}
	infos := make([]RulesetInfo, 0, len(rulesets))
	applies := map[int64][]string{}
	var branches []BranchPolicy
	for _, name := range names {
		bp, applied, err := b.branch(ctx, se, r, base, name, flag[name], rulesets)
		if err != nil {
			return nil, nil, err
		}
		for _, id := range applied {
			applies[id] = append(applies[id], name)
		}
		branches = append(branches, bp)
	}
	for _, rs := range rulesets {
		info := RulesetInfo{
			Repo: r.FullName, ID: rs.ID, Name: rs.Name, Level: level(rs.SourceType), Source: rs.Source,
			Target: rs.Target, Enforcement: rs.Enforcement, AppliesTo: applies[rs.ID],
			BypassVisible: rs.BypassActors != nil, Counted: len(applies[rs.ID]) > 0,
		}
		if info.AppliesTo == nil {
			info.AppliesTo = []string{}
		}
		switch {
		case !rs.detail:
			info.Note = "ruleset detail not readable"
		case rs.Enforcement != "active":
			info.Note = "not counted: enforcement " + rs.Enforcement
		case rs.Target != "branch":
			info.Note = "not counted: targets " + rs.Target
		}
		infos = append(infos, info)
	}
	return branches, infos, nil
}

func level(sourceType string) string {
	if sourceType == "" {
		return "repository"
	}
	return strings.ToLower(sourceType)
}

func uniq(s []string) []string {
	var out []string
	for i, x := range s {
		if x != "" && (i == 0 || x != s[i-1]) {
			out = append(out, x)
		}
	}
	return out
}

// rulesets lists the repository's rulesets, organisation ones included,
// and reads each one's detail (conditions, rules, bypass actors).
func (b *BranchProtection) rulesets(ctx context.Context, se *session, r repoInfo, base string) ([]*apiRuleset, error) {
	list, err := ghapi.List[*apiRuleset](ctx, se.c, base+"/rulesets", url.Values{"includes_parents": {"true"}}, ghapi.ListOptions[*apiRuleset]{})
	if err != nil {
		switch ghapi.Status(err) {
		case 403:
			se.hide(fmt.Sprintf("rulesets of %s are not visible to the token (%v)", r.FullName, err))
			return nil, nil
		case 404:
			// GitHub Enterprise Server before rulesets: there are none.
			se.note(fmt.Sprintf("%s: the rulesets endpoint answered 404; no rulesets counted", r.FullName))
			return nil, nil
		}
		return nil, se.fail(ctx, "list rulesets of "+r.FullName, err)
	}
	out := make([]*apiRuleset, len(list))
	err = forEach(ctx, 4, len(list), func(ctx context.Context, i int) error {
		d, err := b.rulesetDetail(ctx, se, r, base, list[i])
		out[i] = d
		return err
	})
	return out, err
}

func (b *BranchProtection) rulesetDetail(ctx context.Context, se *session, r repoInfo, base string, sum *apiRuleset) (*apiRuleset, error) {
	var d apiRuleset
	err := se.c.Get(ctx, base+"/rulesets/"+strconv.FormatInt(sum.ID, 10), url.Values{"includes_parents": {"true"}}, &d)
	switch {
	case err == nil:
		d.detail = true
		if d.SourceType == "" {
			d.SourceType = sum.SourceType
		}
		return &d, nil
	case ghapi.Status(err) == 403 || ghapi.Status(err) == 404:
		se.hide(fmt.Sprintf("ruleset %d (%s) of %s could not be read (%v): its conditions and bypass actors are unknown", sum.ID, sum.Name, r.FullName, err))
		c := *sum
		c.BypassActors = nil
		return &c, nil
	}
	return nil, se.fail(ctx, fmt.Sprintf("get ruleset %d of %s", sum.ID, r.FullName), err)
}

// branch evaluates one branch: classic protection, the rulesets GitHub
// says apply (cross-checked with their conditions), merged.
func (b *BranchProtection) branch(ctx context.Context, se *session, r repoInfo, base, name string, listedProtected bool, rulesets []*apiRuleset) (BranchPolicy, []int64, error) {
	bp := BranchPolicy{Repo: r.FullName, Branch: name, Default: name == r.DefaultBranch, ProtectedBy: []string{}, Hidden: []string{}, Sources: []PolicySource{}}
	label := r.FullName + ":" + name
	pbase := base + "/branches/" + esc(name) + "/protection"

	// Classic protection.
	var classic *gh.Protection
	classicHidden := false
	var p gh.Protection
	err := se.c.Get(ctx, pbase, nil, &p)
	switch {
	case err == nil:
		classic = &p
	case ghapi.Status(err) == 404 && ghapi.Message(err) == "Branch not protected":
		// A real negative: nothing classic protects the branch.
	case ghapi.Status(err) == 404 && strings.Contains(ghapi.Message(err), "Branch not found"):
		return bp, nil, collect.Errorf(collect.KindNotFound, se.step+": get protection of "+label, err)
	case ghapi.Status(err) == 403 || ghapi.Status(err) == 404:
		classicHidden = true
		bp.Hidden = append(bp.Hidden, fmt.Sprintf("classic protection (%d %s)", ghapi.Status(err), ghapi.Message(err)))
		se.hide(fmt.Sprintf("classic protection of %s is not visible to the token (%v); it needs repository administration read", label, err))
	default:
		return bp, nil, se.fail(ctx, "get protection of "+label, err)
	}
	if classic != nil && classic.RequiredSignatures == nil {
		// GitHub's published example leaves required_signatures out; it
		// has its own endpoint.
		var sig gh.SignaturesProtectedBranch
		err := se.c.Get(ctx, pbase+"/required_signatures", nil, &sig)
		switch {
		case err == nil:
			classic.RequiredSignatures = &sig
		case ghapi.Status(err) == 403 || ghapi.Status(err) == 404:
			bp.Hidden = append(bp.Hidden, "classic required signatures")
			se.hide(fmt.Sprintf("required signatures of %s could not be read (%v)", label, err))
		default:
			return bp, nil, se.fail(ctx, "get required signatures of "+label, err)
		}
	}

	// Rules GitHub says apply to the branch.
	reported := map[int64][]apiRule{}
	var order []int64
	rules, err := ghapi.List[apiRule](ctx, se.c, base+"/rules/branches/"+esc(name), nil, ghapi.ListOptions[apiRule]{})
	rulesKnown := true
	switch {
	case err == nil:
		for _, ru := range rules {
			if _, ok := reported[ru.RulesetID]; !ok {
				order = append(order, ru.RulesetID)
			}
			reported[ru.RulesetID] = append(reported[ru.RulesetID], ru)
		}
	case ghapi.Status(err) == 404:
		rulesKnown = false
		se.note(fmt.Sprintf("%s: GitHub did not answer rules for the branch (404); rulesets applied by their conditions", label))
	case ghapi.Status(err) == 403:
		rulesKnown = false
		bp.Hidden = append(bp.Hidden, "rules for the branch")
		se.hide(fmt.Sprintf("rules for %s are not visible to the token (%v)", label, err))
	default:
		return bp, nil, se.fail(ctx, "get rules for "+label, err)
	}

	byID := map[int64]*apiRuleset{}
	var matched []int64
	for _, rs := range rulesets {
		byID[rs.ID] = rs
		if rs.detail && rs.Enforcement == "active" && rs.Target == "branch" && rulesetCovers(rs, r, name) {
			matched = append(matched, rs.ID)
		}
	}
	applied := matched
	if rulesKnown {
		applied = order
		for _, id := range matched {
			if _, ok := reported[id]; !ok && len(byID[id].Rules) > 0 {
				se.note(fmt.Sprintf("%s: ruleset %d's conditions match the branch but GitHub reports none of its rules for it; not counted", label, id))
			}
		}
		for _, id := range order {
			if rs := byID[id]; rs != nil && rs.detail && !contains(matched, id) {
				se.note(fmt.Sprintf("%s: GitHub applies ruleset %d although its conditions as read do not match the branch; counted", label, id))
			}
		}
	}

	var sources []PolicySource
	if classic != nil {
		sources = append(sources, PolicySource{Kind: "classic", Policy: classicPolicy(classic)})
		bp.ProtectedBy = append(bp.ProtectedBy, "classic")
	}
	for _, id := range applied {
		rs := byID[id]
		ps := PolicySource{Kind: "ruleset", RulesetID: id}
		var rl []apiRule
		if rulesKnown {
			rl = reported[id]
		}
		if rs != nil {
			ps.Name, ps.Level, ps.Source, ps.Enforcement = rs.Name, level(rs.SourceType), rs.Source, rs.Enforcement
			if !rulesKnown {
				rl = rs.Rules
			}
		} else if len(rl) > 0 {
			ps.Level, ps.Source, ps.Enforcement = level(rl[0].RulesetSourceType), rl[0].RulesetSource, "active"
		}
		pol, types, err := rulesPolicy(rl)
		if err != nil {
			return bp, nil, collect.Errorf(collect.KindInvalid, se.step+fmt.Sprintf(": decode ruleset %d rules for %s", id, label), err)
		}
		ps.Rules = types
		switch {
		case rs == nil || rs.BypassActors == nil:
			// Hidden, or the ruleset was not in the list we could read:
			// null, never an empty list, and admin enforcement unknown.
			pol.BypassActors, pol.EnforceAdmins = nil, nil
			bp.Hidden = append(bp.Hidden, fmt.Sprintf("bypass actors of ruleset %d", id))
			se.hide(fmt.Sprintf("bypass actors of ruleset %d on %s are not visible to the token; admin enforcement and bypass are unknown", id, label))
		default:
			pol.BypassActors, pol.EnforceAdmins = bypassStrings(*rs.BypassActors, rs)
		}
		ps.Policy = pol
		sources = append(sources, ps)
		bp.ProtectedBy = append(bp.ProtectedBy, fmt.Sprintf("ruleset %d", id))
	}
	bp.Sources = sources
	if sources == nil {
		bp.Sources = []PolicySource{}
	}
	bp.Policy = mergePolicies(sources, classicHidden)
	bp.Protected = len(sources) > 0 || (classicHidden && listedProtected)
	return bp, applied, nil
}

// rulesetCovers evaluates a ruleset's conditions for one branch.
func rulesetCovers(rs *apiRuleset, r repoInfo, branch string) bool {
	if rs.Conditions == nil || rs.Conditions.RefName == nil {
		return false
	}
	if !refCondition(rs.Conditions.RefName.Include, rs.Conditions.RefName.Exclude, branch, r.DefaultBranch) {
		return false
	}
	if c := rs.Conditions.RepositoryName; c != nil && !repoCondition(c.Include, c.Exclude, r.Name) {
		return false
	}
	if c := rs.Conditions.RepositoryID; c != nil && len(c.IDs) > 0 {
		found := false
		for _, id := range c.IDs {
			found = found || id == r.ID
		}
		return found
	}
	return true
}

func contains(list []int64, id int64) bool {
	for _, x := range list {
		if x == id {
			return true
		}
	}
	return false
}

func classicPolicy(p *gh.Protection) Policy {
	pol := Policy{RequiredStatusChecks: []string{}, StatusCheckApps: []StatusCheck{}, BypassActors: []string{}, PushAllowances: []string{}}
	f := false
	pol.EnforceAdmins = &f
	if p.EnforceAdmins != nil {
		e := p.EnforceAdmins.Enabled
		pol.EnforceAdmins = &e
	}
	if rv := p.RequiredPullRequestReviews; rv != nil {
		pol.RequirePullRequest = true
		pol.RequiredApprovals = rv.RequiredApprovingReviewCount
		pol.DismissStaleReviews = rv.DismissStaleReviews
		pol.RequireCodeOwnerReviews = rv.RequireCodeOwnerReviews
		pol.RequireLastPushApproval = rv.RequireLastPushApproval
		if a := rv.BypassPullRequestAllowances; a != nil {
			for _, u := range a.Users {
				pol.BypassActors = append(pol.BypassActors, "user:"+u.GetLogin()+" (classic pull request bypass)")
			}
			for _, t := range a.Teams {
				pol.BypassActors = append(pol.BypassActors, "team:"+t.GetSlug()+" (classic pull request bypass)")
			}
			for _, ap := range a.Apps {
				pol.BypassActors = append(pol.BypassActors, "app:"+ap.GetSlug()+" (classic pull request bypass)")
			}
		}
	}
	if sc := p.RequiredStatusChecks; sc != nil {
		pol.StrictStatusChecks = sc.Strict
		if sc.Checks != nil && len(*sc.Checks) > 0 {
			for _, c := range *sc.Checks {
				pol.RequiredStatusChecks = append(pol.RequiredStatusChecks, c.Context)
				pol.StatusCheckApps = append(pol.StatusCheckApps, StatusCheck{Context: c.Context, AppID: c.AppID})
			}
		} else if sc.Contexts != nil {
			for _, c := range *sc.Contexts {
				pol.RequiredStatusChecks = append(pol.RequiredStatusChecks, c)
				pol.StatusCheckApps = append(pol.StatusCheckApps, StatusCheck{Context: c})
			}
		}
	}
	if p.RequiredSignatures != nil && p.RequiredSignatures.Enabled != nil {
		pol.RequiredSignatures = *p.RequiredSignatures.Enabled
	}
	if p.RequireLinearHistory != nil {
		pol.LinearHistory = p.RequireLinearHistory.Enabled
	}
	if p.AllowForcePushes != nil {
		pol.AllowForcePushes = p.AllowForcePushes.Enabled
	}
	if p.AllowDeletions != nil {
		pol.AllowDeletions = p.AllowDeletions.Enabled
	}
	if rs := p.Restrictions; rs != nil {
		pol.PushRestricted = true
		for _, u := range rs.Users {
			pol.PushAllowances = append(pol.PushAllowances, "user:"+u.GetLogin())
		}
		for _, t := range rs.Teams {
			pol.PushAllowances = append(pol.PushAllowances, "team:"+t.GetSlug())
		}
		for _, ap := range rs.Apps {
			pol.PushAllowances = append(pol.PushAllowances, "app:"+ap.GetSlug())
		}
	}
	return pol
}

// rulesPolicy turns a ruleset's rules into a policy. A ruleset blocks
// force pushes and deletion only through its non_fast_forward and
// deletion rules.
func rulesPolicy(rules []apiRule) (Policy, []string, error) {
	pol := Policy{RequiredStatusChecks: []string{}, StatusCheckApps: []StatusCheck{}, PushAllowances: []string{},
		AllowForcePushes: true, AllowDeletions: true}
	var types []string
	for _, ru := range rules {
		types = append(types, ru.Type)
		switch ru.Type {
		case "pull_request":
			var pr struct {
				Count         int  `json:"required_approving_review_count"`
				DismissStale  bool `json:"dismiss_stale_reviews_on_push"`
				CodeOwner     bool `json:"require_code_owner_review"`
				LastPush      bool `json:"require_last_push_approval"`
				ThreadResolve bool `json:"required_review_thread_resolution"`
			}
			if err := json.Unmarshal(ru.Parameters, &pr); err != nil {
				return pol, nil, fmt.Errorf("pull_request parameters: %w", err)
			}
			pol.RequirePullRequest = true
			pol.RequiredApprovals = max(pol.RequiredApprovals, pr.Count)
			pol.DismissStaleReviews = pol.DismissStaleReviews || pr.DismissStale
			pol.RequireCodeOwnerReviews = pol.RequireCodeOwnerReviews || pr.CodeOwner
			pol.RequireLastPushApproval = pol.RequireLastPushApproval || pr.LastPush
		case "required_status_checks":
			var sc struct {
				Checks []struct {
					Context       string `json:"context"`
					IntegrationID *int64 `json:"integration_id"`
				} `json:"required_status_checks"`
				Strict bool `json:"strict_required_status_checks_policy"`
			}
			if err := json.Unmarshal(ru.Parameters, &sc); err != nil {
				return pol, nil, fmt.Errorf("required_status_checks parameters: %w", err)
			}
			pol.StrictStatusChecks = pol.StrictStatusChecks || sc.Strict
			for _, c := range sc.Checks {
				pol.RequiredStatusChecks = append(pol.RequiredStatusChecks, c.Context)
				pol.StatusCheckApps = append(pol.StatusCheckApps, StatusCheck{Context: c.Context, AppID: c.IntegrationID})
			}
		case "required_signatures":
			pol.RequiredSignatures = true
		case "required_linear_history":
			pol.LinearHistory = true
		case "non_fast_forward":
			pol.AllowForcePushes = false
		case "deletion":
			pol.AllowDeletions = false
		case "update":
			// Only bypass actors may push to the branch.
			pol.PushRestricted = true
		}
	}
	sort.Strings(types)
	return pol, uniq(types), nil
}

// repositoryRoles names GitHub's built-in repository role ids as used in
// ruleset bypass lists.
var repositoryRoles = map[int64]string{1: "read", 2: "maintain", 3: "triage", 4: "write", 5: "admin"}

// bypassStrings renders a visible bypass list and says whether admins are
// bound: not when organisation admins or the repository admin role may
// bypass.
func bypassStrings(actors []apiBypassActor, rs *apiRuleset) ([]string, *bool) {
	out := []string{}
	enforced := true
	for _, a := range actors {
		id := int64(0)
		if a.ActorID != nil {
			id = *a.ActorID
		}
		who := fmt.Sprintf("%s:%d", a.ActorType, id)
		switch a.ActorType {
		case "OrganizationAdmin":
			who = "OrganizationAdmin"
			enforced = false
		case "RepositoryRole":
			if n, ok := repositoryRoles[id]; ok {
				who = "RepositoryRole:" + n
			}
			if id == 5 {
				enforced = false
			}
		}
		mode := a.BypassMode
		if mode == "" {
			mode = "always"
		}
		out = append(out, fmt.Sprintf("%s (%s, ruleset %d %s)", who, mode, rs.ID, rs.Name))
	}
	sort.Strings(out)
	return out, &enforced
}

// mergePolicies keeps the most restrictive value of every setting.
func mergePolicies(sources []PolicySource, classicHidden bool) Policy {
	eff := Policy{RequiredStatusChecks: []string{}, StatusCheckApps: []StatusCheck{}, BypassActors: []string{}, PushAllowances: []string{},
		AllowForcePushes: true, AllowDeletions: true}
	adminsEnforced, adminsUnknown, bypassHidden := false, classicHidden, classicHidden
	contexts := map[string]*int64{}
	for _, s := range sources {
		p := s.Policy
		eff.RequirePullRequest = eff.RequirePullRequest || p.RequirePullRequest
		eff.RequiredApprovals = max(eff.RequiredApprovals, p.RequiredApprovals)
		eff.DismissStaleReviews = eff.DismissStaleReviews || p.DismissStaleReviews
		eff.RequireLastPushApproval = eff.RequireLastPushApproval || p.RequireLastPushApproval
		eff.RequireCodeOwnerReviews = eff.RequireCodeOwnerReviews || p.RequireCodeOwnerReviews
		eff.StrictStatusChecks = eff.StrictStatusChecks || p.StrictStatusChecks
		eff.RequiredSignatures = eff.RequiredSignatures || p.RequiredSignatures
		eff.LinearHistory = eff.LinearHistory || p.LinearHistory
		eff.AllowForcePushes = eff.AllowForcePushes && p.AllowForcePushes
		eff.AllowDeletions = eff.AllowDeletions && p.AllowDeletions
		eff.PushRestricted = eff.PushRestricted || p.PushRestricted
		eff.PushAllowances = append(eff.PushAllowances, p.PushAllowances...)
		for _, c := range p.StatusCheckApps {
			if prev, ok := contexts[c.Context]; !ok || (prev == nil && c.AppID != nil) {
				contexts[c.Context] = c.AppID
			}
		}
		switch {
		case p.EnforceAdmins == nil:
			adminsUnknown = true
		case *p.EnforceAdmins:
			adminsEnforced = true
		}
		if p.BypassActors == nil {
			bypassHidden = true
		} else {
			eff.BypassActors = append(eff.BypassActors, p.BypassActors...)
		}
	}
	for _, c := range sortedKeys(contexts) {
		eff.RequiredStatusChecks = append(eff.RequiredStatusChecks, c)
		eff.StatusCheckApps = append(eff.StatusCheckApps, StatusCheck{Context: c, AppID: contexts[c]})
	}
	sort.Strings(eff.PushAllowances)
	eff.PushAllowances = uniq(eff.PushAllowances)
	if eff.PushAllowances == nil {
		eff.PushAllowances = []string{}
	}
	// A hidden bypass list means someone unseen may bypass: admin
	// enforcement is then unknown, never "enforced".
	switch {
	case bypassHidden:
		eff.EnforceAdmins = nil
	case adminsEnforced:
		t := true
		eff.EnforceAdmins = &t
	case adminsUnknown:
		eff.EnforceAdmins = nil
	default:
		f := false
		eff.EnforceAdmins = &f
	}
	if bypassHidden {
		eff.BypassActors = nil
	} else {
		sort.Strings(eff.BypassActors)
		eff.BypassActors = uniq(eff.BypassActors)
		if eff.BypassActors == nil {
			eff.BypassActors = []string{}
		}
	}
	return eff
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
