package fakegithub

import (
	"fmt"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

func ts(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339)
}

func user(login string, bot bool) any {
	if login == "" {
		return nil
	}
	typ := "User"
	if bot || strings.HasSuffix(login, "[bot]") {
		typ = "Bot"
	}
	return map[string]any{
		"login": login, "id": UserID(login), "node_id": "U_" + login, "type": typ, "site_admin": false,
		"url": "https://api.github.com/users/" + login, "html_url": "https://github.com/" + login,
	}
}

func team(t *Team, perm string) map[string]any {
	m := map[string]any{"id": UserID("team:" + t.Slug), "node_id": "T_" + t.Slug, "slug": t.Slug, "name": t.Name,
		"privacy": "closed", "notification_setting": "notifications_enabled", "parent": nil}
	if perm != "" {
		m["permission"] = perm
	}
	return m
}

var permRank = map[string]int{"": 0, "pull": 1, "read": 1, "triage": 2, "push": 3, "write": 3, "maintain": 4, "admin": 5}

func permissions(perm string) map[string]bool {
	r := permRank[perm]
	return map[string]bool{"pull": r >= 1, "triage": r >= 2, "push": r >= 3, "maintain": r >= 4, "admin": r >= 5}
}

func roleName(perm string) string {
	switch perm {
	case "pull":
		return "read"
	case "push":
		return "write"
	}
	return perm
}

// route answers one request from the world. The server lock is held.
func (s *Server) route(r *http.Request, p string, v Viewer) (int, []byte, http.Header) {
	if r.Method != http.MethodGet {
		return msg(404, "Not Found")
	}
	var seg []string
	for _, x := range strings.Split(strings.Trim(p, "/"), "/") {
		u, err := url.PathUnescape(x)
		if err != nil {
			return notFound()
		}
		seg = append(seg, u)
	}
	q := r.URL.Query()
	if len(seg) >= 2 && seg[0] == "orgs" {
		o := s.world.Orgs[seg[1]]
		if o == nil {
			return notFound()
		}
		return s.orgRoute(r, p, seg[2:], q, o, v)
	}
	if len(seg) >= 3 && seg[0] == "repos" {
		o := s.world.Orgs[seg[1]]
		if o == nil {
			return notFound()
		}
		var repo *Repo
		for _, x := range o.Repos {
			if x.Name == seg[2] {
				repo = x
			}
		}
		if repo == nil {
			return notFound()
		}
		return s.repoRoute(r, p, seg[3:], q, o, repo, v)
	}
	return notFound()
}

func (s *Server) orgRoute(r *http.Request, p string, seg []string, q url.Values, o *Org, v Viewer) (int, []byte, http.Header) {
	join := strings.Join(seg, "/")
	switch {
	case join == "":
		m := map[string]any{
			"login": o.Login, "id": UserID("org:" + o.Login), "node_id": "O_" + o.Login, "type": "Organization",
			"name": o.Login, "public_repos": 0, "total_private_repos": len(o.Repos),
			"default_repository_permission": "read", "members_can_create_repositories": false,
		}
		// GitHub shows the 2FA requirement to organisation owners only.
		if v.OrgOwner {
			m["two_factor_requirement_enabled"] = o.TwoFactorRequired
		}
		return ok(m, nil)
	case join == "repos":
		var out []any
		for _, x := range o.sortedRepos() {
			out = append(out, s.repoJSON(o, x, v))
		}
		items, h := page(r, p, out)
		return ok(items, h)
	case join == "members":
		filter, role := q.Get("filter"), q.Get("role")
		if (filter == "2fa_disabled" || filter == "2fa_insecure") && !v.OrgOwner {
			return msg(422, "Only organization owners can filter by two-factor authentication status.")
		}
		var out []any
		for _, m := range o.Members {
			if filter == "2fa_disabled" && m.TwoFactor {
				continue
			}
			if role == "admin" && m.Role != "admin" || role == "member" && m.Role != "member" {
				continue
			}
			out = append(out, user(m.Login, m.Bot))
		}
		items, h := page(r, p, out)
		return ok(items, h)
	case join == "outside_collaborators":
		if q.Get("filter") == "2fa_disabled" && !v.OrgOwner {
			return msg(422, "Only organization owners can filter by two-factor authentication status.")
		}
		var out []any
		for _, l := range o.OutsideCollaborators {
			if q.Get("filter") == "2fa_disabled" && !contains(o.OutsideWithout2FA, l) {
				continue
			}
			out = append(out, user(l, false))
		}
		items, h := page(r, p, out)
		return ok(items, h)
	case join == "teams":
		var out []any
		for _, t := range o.Teams {
			out = append(out, team(t, ""))
		}
		items, h := page(r, p, out)
		return ok(items, h)
	case len(seg) == 3 && seg[0] == "teams" && (seg[2] == "members" || seg[2] == "repos"):
		t := o.Team(seg[1])
		if t == nil {
			return notFound()
		}
		var out []any
		if seg[2] == "members" {
			for _, l := range sortedKeys(t.Members) {
				if rq := q.Get("role"); rq != "" && rq != "all" && rq != t.Members[l] {
					continue
				}
				out = append(out, user(l, false))
			}
		} else {
			for _, name := range sortedKeys(t.Repos) {
				perm := t.Repos[name]
				out = append(out, map[string]any{"name": name, "full_name": o.Login + "/" + name, "permissions": permissions(perm), "role_name": roleName(perm)})
			}
		}
		items, h := page(r, p, out)
		return ok(items, h)
	case join == "invitations":
		if !v.OrgOwner {
			return msg(403, "You must be an admin to view invitations")
		}
		var out []any
		for i, inv := range o.Invitations {
			if inv.Repo != "" {
				continue
			}
			out = append(out, map[string]any{"id": i + 1, "login": nilIfEmpty(inv.Login), "email": nilIfEmpty(inv.Email), "role": inv.Role,
				"created_at": ts(inv.CreatedAt), "inviter": user(inv.Inviter, false), "team_count": 0, "invitation_source": "member"})
		}
		items, h := page(r, p, out)
		return ok(items, h)
	case join == "rulesets":
		var out []any
		for _, rs := range o.Rulesets {
			out = append(out, rulesetSummary(rs, "Organization", o.Login))
		}
		items, h := page(r, p, out)
		return ok(items, h)
	case len(seg) == 2 && seg[0] == "rulesets":
		id, _ := strconv.ParseInt(seg[1], 10, 64)
		for _, rs := range o.Rulesets {
			if rs.ID == id {
				return ok(rulesetDetail(rs, "Organization", o.Login, v.OrgOwner), nil)
			}
		}
		return notFound()
	case join == "actions/secrets":
		if !v.OrgOwner {
			return msg(403, "Resource not accessible by integration")
		}
		return wrapped(r, p, "secrets", orgSecrets(o, o.Secrets))
	case len(seg) == 4 && seg[0] == "actions" && seg[1] == "secrets" && seg[3] == "repositories":
		for _, sec := range o.Secrets {
			if sec.Name == seg[2] {
				var out []any
				for _, n := range sec.SelectedRepos {
					out = append(out, map[string]any{"name": n, "full_name": o.Login + "/" + n})
				}
				return wrapped(r, p, "repositories", out)
			}
		}
		return notFound()
	case join == "actions/runner-groups":
		if !v.OrgOwner {
			return msg(403, "Resource not accessible by integration")
		}
		var out []any
		for _, g := range o.RunnerGroups {
			out = append(out, map[string]any{"id": g.ID, "name": g.Name, "visibility": g.Visibility, "default": g.Default,
				"allows_public_repositories": g.AllowsPublicRepositories, "restricted_to_workflows": g.RestrictedToWorkflows,
				"selected_workflows": []string{}, "inherited": false, "workflow_restrictions_read_only": false})
		}
		return wrapped(r, p, "runner_groups", out)
	case len(seg) == 4 && seg[0] == "actions" && seg[1] == "runner-groups":
		id, _ := strconv.ParseInt(seg[2], 10, 64)
		for _, g := range o.RunnerGroups {
			if g.ID != id {
				continue
			}
			var out []any
			switch seg[3] {
			case "repositories":
				for _, n := range g.SelectedRepos {
					out = append(out, map[string]any{"name": n, "full_name": o.Login + "/" + n})
				}
				return wrapped(r, p, "repositories", out)
			case "runners":
				for _, rn := range g.Runners {
					var labels []any
					for i, l := range rn.Labels {
						labels = append(labels, map[string]any{"id": i + 1, "name": l, "type": "custom"})
					}
					out = append(out, map[string]any{"id": rn.ID, "name": rn.Name, "os": rn.OS, "status": rn.Status, "busy": false, "labels": labels})
				}
				return wrapped(r, p, "runners", out)
			}
		}
		return notFound()
	case join == "actions/permissions/workflow":
		if !v.OrgOwner {
			return msg(403, "Resource not accessible by integration")
		}
		return ok(map[string]any{"default_workflow_permissions": o.DefaultWorkflowPermissions, "can_approve_pull_request_reviews": o.CanApprovePullRequestReviews}, nil)
	}
	return notFound()
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func wrapped(r *http.Request, p, field string, all []any) (int, []byte, http.Header) {
	items, h := page(r, p, all)
	if items == nil {
		items = []any{}
	}
	return ok(map[string]any{"total_count": len(all), field: items}, h)
}

func orgSecrets(o *Org, secs []*Secret) []any {
	var out []any
	for _, sec := range secs {
		m := map[string]any{"name": sec.Name, "created_at": ts(sec.CreatedAt), "updated_at": ts(sec.UpdatedAt), "visibility": sec.Visibility}
		if sec.Visibility == "selected" {
			m["selected_repositories_url"] = "https://api.github.com/orgs/" + o.Login + "/actions/secrets/" + sec.Name + "/repositories"
		}
		out = append(out, m)
	}
	return out
}

func (s *Server) repoJSON(o *Org, r *Repo, v Viewer) map[string]any {
	perm := "push"
	if v.RepoAdmin {
		perm = "admin"
	}
	return map[string]any{
		"id": r.id, "node_id": "R_" + r.Name, "name": r.Name, "full_name": o.Login + "/" + r.Name,
		"owner": user(o.Login, false), "private": r.Private, "visibility": r.Visibility, "archived": r.Archived,
		"fork": false, "default_branch": r.DefaultBranch, "permissions": permissions(perm),
	}
}

// rulesetSummary is a ruleset as the list endpoints show it: no
// conditions, rules or bypass actors.
func rulesetSummary(rs *Ruleset, sourceType, source string) map[string]any {
	return map[string]any{
		"id": rs.ID, "name": rs.Name, "target": rs.Target, "source_type": sourceType, "source": source,
		"enforcement": rs.Enforcement, "node_id": fmt.Sprintf("RRS_%d", rs.ID),
		"created_at": ts(rs.UpdatedAt), "updated_at": ts(rs.UpdatedAt),
	}
}

// rulesetDetail is one ruleset. bypass_actors is left out for a caller
// who cannot edit it, as GitHub does.
func rulesetDetail(rs *Ruleset, sourceType, source string, admin bool) map[string]any {
	m := rulesetSummary(rs, sourceType, source)
	cond := map[string]any{"ref_name": map[string]any{"include": orEmpty(rs.Include), "exclude": orEmpty(rs.Exclude)}}
	if sourceType == "Organization" {
		cond["repository_name"] = map[string]any{"include": orEmpty(rs.RepoInclude), "exclude": orEmpty(rs.RepoExclude), "protected": false}
	}
	m["conditions"] = cond
	var rules []any
	for _, ru := range rs.Rules {
		x := map[string]any{"type": ru.Type}
		if ru.Parameters != nil {
			x["parameters"] = ru.Parameters
		}
		rules = append(rules, x)
	}
	m["rules"] = orEmptyAny(rules)
	if admin {
		var bas []any
		for _, b := range rs.BypassActors {
			bas = append(bas, map[string]any{"actor_id": b.ActorID, "actor_type": b.ActorType, "bypass_mode": b.BypassMode})
		}
		m["bypass_actors"] = orEmptyAny(bas)
		m["current_user_can_bypass"] = "always"
	} else {
		m["current_user_can_bypass"] = "never"
	}
	return m
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func orEmptyAny(s []any) []any {
	if s == nil {
		return []any{}
	}
	return s
}

// refMatches says whether a ruleset's ref conditions cover branch.
func refMatches(rs *Ruleset, repo *Repo, branch string) bool {
	m := func(pats []string) bool {
		for _, p := range pats {
			switch p {
			case "~ALL":
				return true
			case "~DEFAULT_BRANCH":
				if branch == repo.DefaultBranch {
					return true
				}
			default:
				if globRE(strings.TrimPrefix(p, "refs/heads/")).MatchString(branch) {
					return true
				}
			}
		}
		return false
	}
	return m(rs.Include) && !m(rs.Exclude)
}

// globRE compiles a ruleset pattern: "*" within a segment, "**" across.
func globRE(p string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(p); i++ {
		switch {
		case strings.HasPrefix(p[i:], "**/"):
			b.WriteString("(.*/)?")
			i += 2
		case strings.HasPrefix(p[i:], "**"):
			b.WriteString(".*")
			i++
		case p[i] == '*':
			b.WriteString("[^/]*")
		case p[i] == '?':
			b.WriteString("[^/]")
		default:
			b.WriteString(regexp.QuoteMeta(p[i : i+1]))
		}
	}
	return regexp.MustCompile(b.String() + "$")
}

func repoMatches(rs *Ruleset, repo *Repo) bool {
	m := func(pats []string) bool {
		for _, p := range pats {
			if ok, _ := path.Match(p, repo.Name); ok || p == "~ALL" {
				return true
			}
		}
		return false
	}
	return (len(rs.RepoInclude) == 0 || m(rs.RepoInclude)) && !m(rs.RepoExclude)
}

// applicable lists the rulesets that apply to repo: its own and its org's.
func applicable(o *Org, repo *Repo) []struct {
	rs                 *Ruleset
	sourceType, source string
} {
	var out []struct {
		rs                 *Ruleset
		sourceType, source string
	}
	for _, rs := range repo.Rulesets {
		out = append(out, struct {
			rs                 *Ruleset
			sourceType, source string
		}{rs, "Repository", o.Login + "/" + repo.Name})
	}
	for _, rs := range o.Rulesets {
		if repoMatches(rs, repo) {
			out = append(out, struct {
				rs                 *Ruleset
				sourceType, source string
			}{rs, "Organization", o.Login})
		}
	}
	return out
}

func (s *Server) repoRoute(r *http.Request, p string, seg []string, q url.Values, o *Org, repo *Repo, v Viewer) (int, []byte, http.Header) {
	join := strings.Join(seg, "/")
	switch {
	case join == "":
		return ok(s.repoJSON(o, repo, v), nil)
	case join == "branches":
		var out []any
		for _, name := range sortedKeys(repo.Branches) {
			prot := s.branchProtected(o, repo, name)
			if q.Get("protected") == "true" && !prot {
				continue
			}
			out = append(out, map[string]any{"name": name, "commit": map[string]any{"sha": head(repo, name)}, "protected": prot})
		}
		items, h := page(r, p, out)
		return ok(items, h)
	case len(seg) == 2 && seg[0] == "branches":
		if repo.Branches[seg[1]] == nil {
			return msg(404, "Branch not found")
		}
		return ok(map[string]any{"name": seg[1], "commit": map[string]any{"sha": head(repo, seg[1])}, "protected": s.branchProtected(o, repo, seg[1])}, nil)
	case len(seg) >= 3 && seg[0] == "branches" && seg[2] == "protection":
		b := repo.Branches[seg[1]]
		if b == nil {
			return msg(404, "Branch not found")
		}
		if !v.RepoAdmin {
			return notFound()
		}
		if b.Protection == nil {
			return msg(404, "Branch not protected")
		}
		if len(seg) == 4 && seg[3] == "required_signatures" {
			return ok(map[string]any{"url": "https://api.github.com/repos/x", "enabled": b.Protection.Signatures}, nil)
		}
		if len(seg) != 3 {
			return notFound()
		}
		return ok(protectionJSON(b.Protection), nil)
	case len(seg) == 3 && seg[0] == "rules" && seg[1] == "branches":
		var out []any
		for _, a := range applicable(o, repo) {
			if a.rs.Enforcement != "active" || a.rs.Target != "branch" || !refMatches(a.rs, repo, seg[2]) {
				continue
			}
			for _, ru := range a.rs.Rules {
				x := map[string]any{"type": ru.Type, "ruleset_source_type": a.sourceType, "ruleset_source": a.source, "ruleset_id": a.rs.ID}
				if ru.Parameters != nil {
					x["parameters"] = ru.Parameters
				}
				out = append(out, x)
			}
		}
		items, h := page(r, p, out)
		return ok(orEmptyAny(items), h)
	case join == "rulesets":
		var out []any
		for _, a := range applicable(o, repo) {
			if a.sourceType == "Organization" && q.Get("includes_parents") == "false" {
				continue
			}
			out = append(out, rulesetSummary(a.rs, a.sourceType, a.source))
		}
		items, h := page(r, p, out)
		return ok(orEmptyAny(items), h)
	case len(seg) == 2 && seg[0] == "rulesets":
		id, _ := strconv.ParseInt(seg[1], 10, 64)
		for _, a := range applicable(o, repo) {
			if a.rs.ID == id {
				admin := v.RepoAdmin
				if a.sourceType == "Organization" {
					admin = v.OrgOwner
				}
				return ok(rulesetDetail(a.rs, a.sourceType, a.source, admin), nil)
			}
		}
		return notFound()
	case join == "pulls":
		return s.listPulls(r, p, q, o, repo)
	case len(seg) >= 2 && seg[0] == "pulls":
		n, _ := strconv.Atoi(seg[1])
		pr := repo.Pull(n)
		if pr == nil {
			return notFound()
		}
		switch {
		case len(seg) == 2:
			return ok(pullJSON(o, repo, pr, true), nil)
		case len(seg) == 3 && seg[2] == "reviews":
			var out []any
			for _, rv := range pr.Reviews {
				out = append(out, map[string]any{"id": rv.ID, "node_id": fmt.Sprintf("PRR_%d", rv.ID), "user": user(rv.User, rv.UserBot), "body": "",
					"state": rv.State, "submitted_at": ts(rv.SubmittedAt), "commit_id": rv.CommitID, "author_association": "MEMBER"})
			}
			items, h := page(r, p, out)
			return ok(orEmptyAny(items), h)
		case len(seg) == 3 && seg[2] == "commits":
			var out []any
			for _, sha := range pr.CommitSHAs {
				out = append(out, commitJSON(repo.Commits[sha]))
			}
			if len(out) > 250 {
				out = out[:250] // GitHub lists at most 250 commits of a pull request
			}
			items, h := page(r, p, out)
			return ok(orEmptyAny(items), h)
		}
	case join == "commits":
		return s.listCommits(r, p, q, repo)
	case len(seg) == 3 && seg[0] == "commits":
		sha := seg[1]
		switch seg[2] {
		case "check-runs":
			var out []any
			for _, c := range repo.CheckRuns[sha] {
				out = append(out, map[string]any{"id": c.ID, "head_sha": sha, "name": c.Name, "status": c.Status, "conclusion": nilIfEmpty(c.Conclusion),
					"started_at": ts(c.StartedAt), "completed_at": ts(c.CompletedAt),
					"app": map[string]any{"id": c.AppID, "slug": c.AppSlug, "name": c.AppSlug}})
			}
			return wrapped(r, p, "check_runs", out)
		case "status":
			sts := repo.Statuses[sha]
			state := "pending"
			if len(sts) > 0 {
				state = "success"
			}
			var out []any
			for _, st := range sts {
				switch st.State {
				case "failure", "error":
					state = "failure"
				case "pending":
					if state == "success" {
						state = "pending"
					}
				}
				out = append(out, map[string]any{"id": st.ID, "context": st.Context, "state": st.State, "description": "",
					"creator": user(st.Creator, false), "created_at": ts(st.CreatedAt), "updated_at": ts(st.CreatedAt)})
			}
			items, h := page(r, p, out)
			return ok(map[string]any{"state": state, "sha": sha, "total_count": len(out), "statuses": orEmptyAny(items)}, h)
		case "pulls":
			var out []any
			for _, pr := range repo.Pulls {
				if contains(pr.Landed, sha) || contains(pr.CommitSHAs, sha) {
					out = append(out, pullJSON(o, repo, pr, false))
				}
			}
			items, h := page(r, p, out)
			return ok(orEmptyAny(items), h)
		}
	case join == "collaborators":
		return s.listCollaborators(r, p, q, o, repo)
	case join == "teams":
		var out []any
		for _, t := range o.Teams {
			if perm, ok := t.Repos[repo.Name]; ok {
				out = append(out, team(t, perm))
			}
		}
		items, h := page(r, p, out)
		return ok(orEmptyAny(items), h)
	case join == "invitations":
		var out []any
		for i, inv := range o.Invitations {
			if inv.Repo != repo.Name {
				continue
			}
			out = append(out, map[string]any{"id": i + 1, "invitee": user(inv.Login, false), "inviter": user(inv.Inviter, false),
				"permissions": roleName(inv.Permission), "created_at": ts(inv.CreatedAt), "repository": map[string]any{"name": repo.Name}})
		}
		items, h := page(r, p, out)
		return ok(orEmptyAny(items), h)
	case join == "environments":
		var out []any
		for _, e := range repo.Environments {
			out = append(out, envJSON(o, e))
		}
		return wrapped(r, p, "environments", out)
	case len(seg) == 3 && seg[0] == "environments":
		var env *Environment
		for _, e := range repo.Environments {
			if e.Name == seg[1] {
				env = e
			}
		}
		if env == nil {
			return notFound()
		}
		switch seg[2] {
		case "deployment-branch-policies":
			var out []any
			for i, n := range env.BranchPolicies {
				out = append(out, map[string]any{"id": i + 1, "name": n, "type": "branch"})
			}
			return wrapped(r, p, "branch_policies", out)
		case "secrets":
			if !v.RepoAdmin {
				return msg(403, "Resource not accessible by integration")
			}
			return wrapped(r, p, "secrets", plainSecrets(env.Secrets))
		}
	case join == "actions/secrets":
		if !v.RepoAdmin {
			return msg(403, "Resource not accessible by integration")
		}
		return wrapped(r, p, "secrets", plainSecrets(repo.Secrets))
	case join == "actions/organization-secrets":
		if !v.RepoAdmin {
			return msg(403, "Resource not accessible by integration")
		}
		var avail []*Secret
		for _, sec := range o.Secrets {
			if sec.Visibility == "all" || sec.Visibility == "private" && repo.Private || contains(sec.SelectedRepos, repo.Name) {
				avail = append(avail, sec)
			}
		}
		return wrapped(r, p, "secrets", orgSecrets(o, avail))
	case join == "actions/runs":
		var out []any
		for _, run := range repo.WorkflowRuns {
			if hs := q.Get("head_sha"); hs != "" && hs != run.HeadSHA {
				continue
			}
			if b := q.Get("branch"); b != "" && b != run.HeadBranch {
				continue
			}
			if c := q.Get("created"); c != "" && !inRange(c, run.CreatedAt) {
				continue
			}
			out = append(out, map[string]any{"id": run.ID, "name": run.Name, "path": run.Path, "head_branch": run.HeadBranch,
				"head_sha": run.HeadSHA, "event": run.Event, "status": run.Status, "conclusion": nilIfEmpty(run.Conclusion),
				"created_at": ts(run.CreatedAt), "updated_at": ts(run.CreatedAt), "run_attempt": 1, "actor": user(run.Actor, false),
				"triggering_actor": user(run.Actor, false)})
		}
		return wrapped(r, p, "workflow_runs", out)
	case join == "actions/runners":
		if !v.RepoAdmin {
			return msg(403, "Resource not accessible by integration")
		}
		var out []any
		for _, rn := range repo.Runners {
			var labels []any
			for i, l := range rn.Labels {
				labels = append(labels, map[string]any{"id": i + 1, "name": l, "type": "custom"})
			}
			out = append(out, map[string]any{"id": rn.ID, "name": rn.Name, "os": rn.OS, "status": rn.Status, "busy": false, "labels": orEmptyAny(labels)})
		}
		return wrapped(r, p, "runners", out)
	case join == "actions/permissions/workflow":
		if !v.RepoAdmin {
			return msg(403, "Resource not accessible by integration")
		}
		perm, can := repo.DefaultWorkflowPermissions, o.CanApprovePullRequestReviews
		if perm == "" {
			perm = o.DefaultWorkflowPermissions
		}
		if repo.CanApprovePullRequestReviews != nil {
			can = *repo.CanApprovePullRequestReviews
		}
		return ok(map[string]any{"default_workflow_permissions": perm, "can_approve_pull_request_reviews": can}, nil)
	case len(seg) >= 2 && seg[0] == "contents":
		fp := strings.Join(seg[1:], "/")
		if repo.CodeownersPath != "" && fp == repo.CodeownersPath {
			return ok(map[string]any{"type": "file", "name": path.Base(fp), "path": fp, "sha": SHA(repo.Name, fp), "size": 42, "encoding": "base64", "content": ""}, nil)
		}
		return notFound()
	case join == "codeowners/errors":
		if repo.CodeownersPath == "" {
			return notFound()
		}
		out := []any{}
		for _, e := range repo.CodeownersErrors {
			out = append(out, map[string]any{"line": e.Line, "column": e.Column, "kind": e.Kind, "source": e.Source,
				"suggestion": nilIfEmpty(e.Suggestion), "message": e.Message, "path": repo.CodeownersPath})
		}
		return ok(map[string]any{"errors": out}, nil)
	}
	return notFound()
}

func plainSecrets(secs []*Secret) []any {
	var out []any
	for _, sec := range secs {
		out = append(out, map[string]any{"name": sec.Name, "created_at": ts(sec.CreatedAt), "updated_at": ts(sec.UpdatedAt)})
	}
	return out
}

func envJSON(o *Org, e *Environment) map[string]any {
	var rules []any
	if e.WaitTimer > 0 {
		rules = append(rules, map[string]any{"id": 1, "node_id": "GA_1", "type": "wait_timer", "wait_timer": e.WaitTimer})
	}
	if len(e.Reviewers) > 0 {
		var rv []any
		for _, x := range e.Reviewers {
			if x.Type == "Team" {
				t := o.Team(x.Name)
				if t == nil {
					t = &Team{Slug: x.Name, Name: x.Name}
				}
				rv = append(rv, map[string]any{"type": "Team", "reviewer": team(t, "")})
			} else {
				rv = append(rv, map[string]any{"type": "User", "reviewer": user(x.Name, false)})
			}
		}
		rules = append(rules, map[string]any{"id": 2, "node_id": "GA_2", "type": "required_reviewers", "prevent_self_review": e.PreventSelfReview, "reviewers": rv})
	}
	var policy any
	if e.ProtectedBranches || e.CustomBranchPolicies {
		rules = append(rules, map[string]any{"id": 3, "node_id": "GA_3", "type": "branch_policy"})
		policy = map[string]any{"protected_branches": e.ProtectedBranches, "custom_branch_policies": e.CustomBranchPolicies}
	}
	return map[string]any{"id": UserID("env:" + e.Name), "node_id": "EN_" + e.Name, "name": e.Name,
		"created_at": ts(e.CreatedAt), "updated_at": ts(e.CreatedAt),
		"protection_rules": orEmptyAny(rules), "deployment_branch_policy": policy}
}

func inRange(spec string, t time.Time) bool {
	lo, hi, ok := strings.Cut(spec, "..")
	if !ok {
		return true
	}
	if a, err := time.Parse(time.RFC3339, lo); err == nil && t.Before(a) {
		return false
	}
	if b, err := time.Parse(time.RFC3339, hi); err == nil && t.After(b) {
		return false
	}
	return true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func head(repo *Repo, branch string) string {
	if log := repo.BranchLog[branch]; len(log) > 0 {
		return log[0]
	}
	return SHA(repo.Name, branch, "root")
}

func (s *Server) branchProtected(o *Org, repo *Repo, name string) bool {
	if b := repo.Branches[name]; b != nil && b.Protection != nil {
		return true
	}
	for _, a := range applicable(o, repo) {
		if a.rs.Enforcement == "active" && a.rs.Target == "branch" && refMatches(a.rs, repo, name) {
			return true
		}
	}
	return false
}

func protectionJSON(pr *Protection) map[string]any {
	en := func(b bool) map[string]any { return map[string]any{"enabled": b} }
	m := map[string]any{
		"url":                              "https://api.github.com/repos/x/protection",
		"enforce_admins":                   map[string]any{"url": "https://api.github.com/repos/x/protection/enforce_admins", "enabled": pr.EnforceAdmins},
		"required_linear_history":          en(pr.LinearHistory),
		"allow_force_pushes":               en(pr.AllowForce),
		"allow_deletions":                  en(pr.AllowDeletions),
		"block_creations":                  en(false),
		"required_conversation_resolution": en(false),
		"lock_branch":                      en(false),
		"allow_fork_syncing":               en(false),
	}
	if !pr.OmitSignatures {
		m["required_signatures"] = map[string]any{"url": "https://api.github.com/repos/x/protection/required_signatures", "enabled": pr.Signatures}
	}
	if len(pr.Contexts) > 0 {
		var checks []any
		for _, c := range pr.Contexts {
			var app any
			if id := pr.AppIDs[c]; id != 0 {
				app = id
			}
			checks = append(checks, map[string]any{"context": c, "app_id": app})
		}
		m["required_status_checks"] = map[string]any{"strict": pr.Strict, "contexts": pr.Contexts, "checks": checks, "enforcement_level": "everyone"}
	}
	if pr.ReviewsRequired {
		var by []any
		for _, u := range pr.BypassUsers {
			by = append(by, user(u, false))
		}
		m["required_pull_request_reviews"] = map[string]any{
			"dismiss_stale_reviews": pr.DismissStaleReviews, "require_code_owner_reviews": pr.RequireCodeOwnerReviews,
			"required_approving_review_count": pr.RequiredApprovals, "require_last_push_approval": pr.RequireLastPushApproval,
			"bypass_pull_request_allowances": map[string]any{"users": orEmptyAny(by), "teams": []any{}, "apps": []any{}},
		}
	}
	if pr.PushUsers != nil || pr.PushTeams != nil {
		var us, tsl []any
		for _, u := range pr.PushUsers {
			us = append(us, user(u, false))
		}
		for _, t := range pr.PushTeams {
			tsl = append(tsl, team(&Team{Slug: t, Name: t}, ""))
		}
		m["restrictions"] = map[string]any{"users": orEmptyAny(us), "teams": orEmptyAny(tsl), "apps": []any{}}
	}
	return m
}

func pullJSON(o *Org, repo *Repo, pr *Pull, full bool) map[string]any {
	var mergedAt, mergeSHA any
	if !pr.MergedAt.IsZero() {
		mergedAt = ts(pr.MergedAt)
		mergeSHA = pr.MergeCommitSHA
	}
	m := map[string]any{
		"id": UserID(fmt.Sprintf("pr:%s:%d", repo.Name, pr.Number)), "node_id": fmt.Sprintf("PR_%d", pr.Number),
		"number": pr.Number, "state": pr.State, "locked": false, "title": pr.Title, "user": user(pr.Author, pr.AuthorBot), "body": "",
		"created_at": ts(pr.CreatedAt), "updated_at": ts(pr.UpdatedAt), "closed_at": ts(pr.ClosedAt), "merged_at": mergedAt,
		"merge_commit_sha": mergeSHA, "draft": false, "author_association": "MEMBER",
		"head":     map[string]any{"label": o.Login + ":" + pr.HeadRef, "ref": pr.HeadRef, "sha": pr.HeadSHA, "user": user(pr.Author, pr.AuthorBot)},
		"base":     map[string]any{"label": o.Login + ":" + pr.Base, "ref": pr.Base, "sha": head(repo, pr.Base), "user": user(o.Login, false)},
		"html_url": fmt.Sprintf("https://github.com/%s/%s/pull/%d", o.Login, repo.Name, pr.Number),
	}
	if full {
		m["merged"] = !pr.MergedAt.IsZero()
		m["merged_by"] = user(pr.MergedBy, false)
		m["commits"] = len(pr.CommitSHAs)
		m["comments"], m["review_comments"], m["additions"], m["deletions"], m["changed_files"] = 0, 0, 1, 0, 1
	}
	return m
}

func commitJSON(c *Commit) map[string]any {
	var parents []any
	for _, p := range c.Parents {
		parents = append(parents, map[string]any{"sha": p})
	}
	email := c.AuthorEmail
	if email == "" {
		email = c.AuthorLogin + "@users.noreply.github.com"
	}
	cemail := c.CommitEmail
	if cemail == "" {
		cemail = c.CommitterLogin + "@users.noreply.github.com"
	}
	var verifiedAt any
	if c.Verified {
		verifiedAt = ts(c.Date)
	}
	return map[string]any{
		"sha": c.SHA, "node_id": "C_" + c.SHA[:8],
		"commit": map[string]any{
			"author":        map[string]any{"name": c.AuthorName, "email": email, "date": ts(c.Date)},
			"committer":     map[string]any{"name": c.CommitterLogin, "email": cemail, "date": ts(c.Date)},
			"message":       c.Message,
			"tree":          map[string]any{"sha": SHA("tree", c.SHA)},
			"comment_count": 0,
			"verification":  map[string]any{"verified": c.Verified, "reason": c.VerificationReason, "signature": nil, "payload": nil, "verified_at": verifiedAt},
		},
		"author": user(c.AuthorLogin, false), "committer": user(c.CommitterLogin, false),
		"parents": orEmptyAny(parents),
	}
}

func (s *Server) listPulls(r *http.Request, p string, q url.Values, o *Org, repo *Repo) (int, []byte, http.Header) {
	state := q.Get("state")
	if state == "" {
		state = "open"
	}
	var sel []*Pull
	for _, pr := range repo.Pulls {
		if state != "all" && pr.State != state {
			continue
		}
		if b := q.Get("base"); b != "" && pr.Base != b {
			continue
		}
		sel = append(sel, pr)
	}
	sortBy := q.Get("sort")
	desc := q.Get("direction") == "desc" || (q.Get("direction") == "" && (sortBy == "" || sortBy == "created"))
	key := func(pr *Pull) time.Time {
		if sortBy == "updated" {
			return pr.UpdatedAt
		}
		return pr.CreatedAt
	}
	sort.SliceStable(sel, func(i, j int) bool {
		a, b := key(sel[i]), key(sel[j])
		if !a.Equal(b) {
			if desc {
				return a.After(b)
			}
			return a.Before(b)
		}
		if desc {
			return sel[i].Number > sel[j].Number
		}
		return sel[i].Number < sel[j].Number
	})
	var out []any
	for _, pr := range sel {
		out = append(out, pullJSON(o, repo, pr, false))
	}
	items, h := page(r, p, out)
	return ok(orEmptyAny(items), h)
}

func (s *Server) listCommits(r *http.Request, p string, q url.Values, repo *Repo) (int, []byte, http.Header) {
	ref := q.Get("sha")
	if ref == "" {
		ref = repo.DefaultBranch
	}
	log, ok2 := repo.BranchLog[ref]
	if !ok2 {
		if repo.Branches[ref] != nil {
			return msg(409, "Git Repository is empty.")
		}
		return msg(404, "No commit found for SHA: "+ref)
	}
	since, _ := time.Parse(time.RFC3339, q.Get("since"))
	until, _ := time.Parse(time.RFC3339, q.Get("until"))
	var sel []*Commit
	for _, sha := range log {
		c := repo.Commits[sha]
		if !since.IsZero() && c.Date.Before(since) || !until.IsZero() && c.Date.After(until) {
			continue
		}
		sel = append(sel, c)
	}
	sort.SliceStable(sel, func(i, j int) bool { return sel[i].Date.After(sel[j].Date) })
	var out []any
	for _, c := range sel {
		out = append(out, commitJSON(c))
	}
	items, h := page(r, p, out)
	return ok(orEmptyAny(items), h)
}

func (s *Server) listCollaborators(r *http.Request, p string, q url.Values, o *Org, repo *Repo) (int, []byte, http.Header) {
	aff := q.Get("affiliation")
	if aff == "" {
		aff = "all"
	}
	perms := map[string]string{}
	set := func(login, perm string) {
		if permRank[perm] > permRank[perms[login]] {
			perms[login] = perm
		}
	}
	for _, c := range repo.Collaborators {
		if aff == "outside" && !c.Outside {
			continue
		}
		set(c.Login, c.Permission)
	}
	if aff == "all" {
		for _, t := range o.Teams {
			if perm, ok := t.Repos[repo.Name]; ok {
				for l := range t.Members {
					set(l, perm)
				}
			}
		}
		for _, m := range o.Members {
			if m.Role == "admin" {
				set(m.Login, "admin")
			}
		}
	}
	var out []any
	for _, l := range sortedKeys(perms) {
		u := user(l, false).(map[string]any)
		u["permissions"] = permissions(perms[l])
		u["role_name"] = roleName(perms[l])
		out = append(out, u)
	}
	items, h := page(r, p, out)
	return ok(orEmptyAny(items), h)
}
