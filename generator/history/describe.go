package history

import (
	"fmt"
	"sort"
	"strings"
)

// Describe says in words what changed in one evidence item from old to new;
// old is nil when the item was first collected. Known evidence (branch
// protection, access, pull requests, commits, RBAC) is described field by
// field in the auditor's terms; anything else by a generic comparison that
// names each changed place in the data.
func Describe(old, new *Doc) []string {
	l := &lines{}
	if old == nil {
		l.add("first collected%s", recordsText(new.Records))
		if ok, why := new.usable(); !ok {
			l.add("the evidence cannot support a conclusion: %s", why)
		}
		return l.result()
	}
	crossPeriod := old.Period != new.Period
	if crossPeriod {
		l.add("period %s began: compared with %s of %s", new.Period, old.Path, old.Period)
	}
	switch {
	case old.Error == "" && new.Error != "":
		l.add("the collector failed: %s", new.Error)
	case old.Error != "" && new.Error == "":
		l.add("the collector succeeded again (it had failed: %s)", old.Error)
	case old.Error != new.Error:
		l.add("the collector failed differently: %s", new.Error)
	}
	if old.Error == "" && new.Error == "" && old.Complete != new.Complete {
		if new.Complete {
			l.add("the evidence is complete again")
		} else {
			l.add("the evidence became incomplete (provenance.complete is false)")
		}
	}
	if old.Data == nil || new.Data == nil {
		return l.result()
	}
	a, b := obj(old.Data), obj(new.Data)
	if a == nil || b == nil {
		diffValue(l, nil, old.Data, new.Data)
		return l.result()
	}
	switch new.Collector {
	case "github.branch_protection":
		describeProtection(l, a, b)
	case "github.access":
		describeAccess(l, a, b)
	case "github.pulls":
		describePulls(l, a, b, crossPeriod)
	case "git.commits":
		describeCommits(l, a, b, crossPeriod)
	case "kube.rbac":
		describeRBAC(l, a, b)
	default:
		diffMap(l, nil, a, b, nil)
	}
	return l.result()
}

func recordsText(r map[string]int) string {
	if len(r) == 0 {
		return ""
	}
	keys := make([]string, 0, len(r))
	for k := range r {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%d %s", r[k], word(k))
	}
	return ": " + strings.Join(parts, ", ")
}

// match pairs the elements of two lists by a key; Old is nil for an added
// element, New for a removed one. Added and kept come in the new list's
// order, then the removed in the old list's.
type match struct {
	ID       string
	Old, New map[string]any
}

func matchBy(a, b []any, key func(map[string]any) string) []match {
	olds := map[string]map[string]any{}
	for _, e := range a {
		if m := obj(e); m != nil {
			olds[key(m)] = m
		}
	}
	news := map[string]bool{}
	var out []match
	for _, e := range b {
		m := obj(e)
		if m == nil {
			continue
		}
		id := key(m)
		news[id] = true
		out = append(out, match{ID: id, Old: olds[id], New: m})
	}
	for _, e := range a {
		m := obj(e)
		if m == nil {
			continue
		}
		if id := key(m); !news[id] {
			out = append(out, match{ID: id, Old: m})
		}
	}
	return out
}

// describeSet says which strings were added to and removed from a list.
func describeSet(l *lines, what string, a, b any) {
	added, removed := setDiff(anyStrings(strs(a)), anyStrings(strs(b)))
	if len(added) > 0 {
		l.add("%s: added %s", what, listText(added))
	}
	if len(removed) > 0 {
		l.add("%s: removed %s", what, listText(removed))
	}
}

func anyStrings(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// shortRepo drops the organisation: every GitHub item is one
// organisation's, which its path already names.
func shortRepo(r string) string {
	if i := strings.LastIndex(r, "/"); i >= 0 {
		return r[i+1:]
	}
	return r
}

func yesNo(v any) string {
	switch v {
	case true:
		return "yes"
	case false:
		return "no"
	}
	return brief(v)
}

func onOff(v any) string {
	switch v {
	case true:
		return "on"
	case false:
		return "off"
	}
	return brief(v)
}

// field is one setting a describer names in words.
type field struct {
	key, words string
	// set compares the value as a set of strings.
	set bool
}

// describeFields describes the named fields of one element and returns
// the keys it covered, so the rest can be compared generically.
func describeFields(l *lines, fields []field, on string, a, b map[string]any) map[string]bool {
	covered := map[string]bool{}
	for _, f := range fields {
		covered[f.key] = true
		x, y := a[f.key], b[f.key]
		if equal(x, y) {
			continue
		}
		switch {
		case f.set:
			describeSet(l, f.words+" on "+on, x, y)
		default:
			if _, isBool := y.(bool); isBool {
				l.add("%s on %s: %s → %s", f.words, on, yesNo(x), yesNo(y))
			} else {
				l.add("%s on %s: %s → %s", f.words, on, brief(x), brief(y))
			}
		}
	}
	return covered
}

var protectionFields = []field{
	{key: "protected", words: "branch protection"},
	{key: "required_approvals", words: "required approvals"},
	{key: "require_pull_request", words: "pull request required"},
	{key: "require_code_owner_reviews", words: "code-owner review required"},
	{key: "dismiss_stale_reviews", words: "stale approvals dismissed"},
	{key: "require_last_push_approval", words: "approval of the last push required"},
	{key: "enforce_admins", words: "rules enforced for administrators"},
	{key: "allow_force_pushes", words: "force pushes allowed"},
	{key: "allow_deletions", words: "branch deletion allowed"},
	{key: "required_signatures", words: "signed commits required"},
	{key: "linear_history", words: "linear history required"},
	{key: "strict_status_checks", words: "branch up to date before merge required"},
	{key: "push_restricted", words: "pushes restricted"},
	{key: "required_status_checks", words: "required status checks", set: true},
	{key: "bypass_actors", words: "allowed to bypass the rules", set: true},
	{key: "push_allowances", words: "allowed to push", set: true},
	{key: "protected_by", words: "protection sources", set: true},
	{key: "hidden", words: "settings hidden from the collector", set: true},
	{key: "default", words: "default branch"},
}

// protectionSkip are per-branch fields restated by the merged values above
// (each source's own policy) or that identify the branch.
var protectionSkip = map[string]bool{"sources": true, "status_check_apps": true, "repo": true, "branch": true}

func describeProtection(l *lines, a, b map[string]any) {
	branchKey := func(m map[string]any) string { return shortRepo(str(m, "repo")) + " " + str(m, "branch") }
	for _, m := range matchBy(arr(a["branches"]), arr(b["branches"]), branchKey) {
		switch {
		case m.Old == nil:
			l.add("protected branch %s first reported: required approvals %s, pull request required %s", m.ID, brief(m.New["required_approvals"]), yesNo(m.New["require_pull_request"]))
		case m.New == nil:
			l.add("protected branch %s no longer reported", m.ID)
		default:
			covered := describeFields(l, protectionFields, m.ID, m.Old, m.New)
			for k := range protectionSkip {
				covered[k] = true
			}
			diffMap(l, []string{"branch " + m.ID}, m.Old, m.New, covered)
		}
	}
	rulesetKey := func(m map[string]any) string {
		return fmt.Sprintf("ruleset %s %q on %s", scalarText(m["id"]), str(m, "name"), shortRepo(str(m, "repo")))
	}
	for _, m := range matchBy(arr(a["rulesets"]), arr(b["rulesets"]), rulesetKey) {
		switch {
		case m.Old == nil:
			l.add("%s added (enforcement %s)", m.ID, str(m.New, "enforcement"))
		case m.New == nil:
			l.add("%s removed", m.ID)
		default:
			if x, y := str(m.Old, "enforcement"), str(m.New, "enforcement"); x != y {
				l.add("enforcement of %s: %s → %s", m.ID, x, y)
			}
			if x, y := boolean(m.Old, "counted"), boolean(m.New, "counted"); x != y {
				if y {
					l.add("%s now counts towards the branch protection", m.ID)
				} else {
					l.add("%s no longer counts towards the branch protection (%s)", m.ID, str(m.New, "note"))
				}
			}
			diffMap(l, []string{m.ID}, m.Old, m.New, map[string]bool{"enforcement": true, "counted": true, "note": true})
		}
	}
	describeRepos(l, a, b)
	diffMap(l, nil, a, b, map[string]bool{"branches": true, "rulesets": true, "repositories": true, "org": true})
}

// describeRepos says which repositories came into or left scope.
func describeRepos(l *lines, a, b map[string]any) {
	for _, m := range matchBy(arr(a["repositories"]), arr(b["repositories"]), func(m map[string]any) string { return shortRepo(str(m, "repo")) }) {
		switch {
		case m.Old == nil:
			l.add("repository %s now in scope", m.ID)
		case m.New == nil:
			l.add("repository %s no longer in scope", m.ID)
		default:
			diffMap(l, []string{"repository " + m.ID}, m.Old, m.New, map[string]bool{"repo": true})
		}
	}
}

func login(m map[string]any) string { return str(m, "login") }

func describeAccess(l *lines, a, b map[string]any) {
	for _, m := range matchBy(arr(a["members"]), arr(b["members"]), login) {
		switch {
		case m.Old == nil:
			l.add("member added: %s (role %s, two-factor authentication %s)", m.ID, str(m.New, "role"), onOff(m.New["two_factor"]))
		case m.New == nil:
			l.add("member removed: %s (was %s)", m.ID, str(m.Old, "role"))
		default:
			if x, y := str(m.Old, "role"), str(m.New, "role"); x != y {
				l.add("role of member %s: %s → %s", m.ID, x, y)
			}
			if x, y := m.Old["two_factor"], m.New["two_factor"]; !equal(x, y) {
				l.add("two-factor authentication of %s: %s → %s", m.ID, onOff(x), onOff(y))
			}
			diffMap(l, []string{"member " + m.ID}, m.Old, m.New, map[string]bool{"login": true, "role": true, "two_factor": true})
		}
	}
	for _, m := range matchBy(arr(a["outside_collaborators"]), arr(b["outside_collaborators"]), login) {
		switch {
		case m.Old == nil:
			l.add("outside collaborator added: %s (%s)", m.ID, repoPermissions(m.New["repos"]))
		case m.New == nil:
			l.add("outside collaborator removed: %s", m.ID)
		default:
			describeRepoAccess(l, "outside collaborator "+m.ID, m.Old["repos"], m.New["repos"])
			diffMap(l, []string{"outside collaborator " + m.ID}, m.Old, m.New, map[string]bool{"login": true, "repos": true})
		}
	}
	describeSet(l, "outside collaborators without two-factor authentication", a["outside_collaborators_without_2fa"], b["outside_collaborators_without_2fa"])
	privKey := func(m map[string]any) string { return str(m, "login") + " on " + shortScope(str(m, "scope")) }
	for _, m := range matchBy(arr(a["privileged"]), arr(b["privileged"]), privKey) {
		switch {
		case m.Old == nil:
			l.add("privileged access added: %s %s (via %s)", str(m.New, "login"), str(m.New, "permission")+" on "+shortScope(str(m.New, "scope")), str(m.New, "via"))
		case m.New == nil:
			l.add("privileged access removed: %s %s", str(m.Old, "login"), str(m.Old, "permission")+" on "+shortScope(str(m.Old, "scope")))
		default:
			if x, y := str(m.Old, "permission"), str(m.New, "permission"); x != y {
				l.add("privileged access of %s: %s → %s", m.ID, x, y)
			}
			if x, y := str(m.Old, "via"), str(m.New, "via"); x != y {
				l.add("privileged access of %s now via %s (was via %s)", m.ID, y, x)
			}
		}
	}
	for _, m := range matchBy(arr(a["teams"]), arr(b["teams"]), func(m map[string]any) string { return str(m, "slug") }) {
		switch {
		case m.Old == nil:
			l.add("team added: %s (members %s; %s)", m.ID, listText(strs(m.New["members"])), repoPermissions(m.New["repos"]))
		case m.New == nil:
			l.add("team removed: %s", m.ID)
		default:
			describeSet(l, "members of team "+m.ID, m.Old["members"], m.New["members"])
			describeSet(l, "maintainers of team "+m.ID, m.Old["maintainers"], m.New["maintainers"])
			describeRepoAccess(l, "team "+m.ID, m.Old["repos"], m.New["repos"])
			diffMap(l, []string{"team " + m.ID}, m.Old, m.New, map[string]bool{"slug": true, "members": true, "maintainers": true, "repos": true})
		}
	}
	for _, r := range matchBy(arr(a["repositories"]), arr(b["repositories"]), func(m map[string]any) string { return shortRepo(str(m, "repo")) }) {
		switch {
		case r.Old == nil:
			l.add("repository %s now in scope", r.ID)
			continue
		case r.New == nil:
			l.add("repository %s no longer in scope", r.ID)
			continue
		}
		for _, m := range matchBy(arr(r.Old["collaborators"]), arr(r.New["collaborators"]), login) {
			switch {
			case m.Old == nil:
				l.add("collaborator added on %s: %s (%s)", r.ID, m.ID, str(m.New, "permission"))
			case m.New == nil:
				l.add("collaborator removed from %s: %s (was %s)", r.ID, m.ID, str(m.Old, "permission"))
			default:
				if x, y := str(m.Old, "permission"), str(m.New, "permission"); x != y {
					l.add("permission of %s on %s: %s → %s", m.ID, r.ID, x, y)
				}
			}
		}
		describeInvitations(l, "to "+r.ID, r.Old["invitations"], r.New["invitations"])
	}
	describeInvitations(l, "to the organisation", a["invitations"], b["invitations"])
	if x, y := a["two_factor_requirement_enabled"], b["two_factor_requirement_enabled"]; !equal(x, y) {
		l.add("organisation requires two-factor authentication: %s → %s", yesNo(x), yesNo(y))
	}
	// owners and members_without_2fa restate the members' roles and 2FA.
	diffMap(l, nil, a, b, map[string]bool{
		"members": true, "outside_collaborators": true, "outside_collaborators_without_2fa": true, "privileged": true,
		"teams": true, "repositories": true, "invitations": true, "two_factor_requirement_enabled": true,
		"owners": true, "members_without_2fa": true, "org": true,
	})
}

func shortScope(s string) string {
	if s == "org" {
		return "the organisation"
	}
	return shortRepo(s)
}

func repoPermissions(v any) string {
	var parts []string
	for _, r := range arr(v) {
		r := obj(r)
		parts = append(parts, str(r, "permission")+" on "+shortRepo(str(r, "repo")))
	}
	if len(parts) == 0 {
		return "no repositories"
	}
	return listText(parts)
}

// describeRepoAccess compares {repo, permission} lists of one principal.
func describeRepoAccess(l *lines, who string, a, b any) {
	for _, m := range matchBy(arr(a), arr(b), func(m map[string]any) string { return shortRepo(str(m, "repo")) }) {
		switch {
		case m.Old == nil:
			l.add("%s: access to %s added (%s)", who, m.ID, str(m.New, "permission"))
		case m.New == nil:
			l.add("%s: access to %s removed (was %s)", who, m.ID, str(m.Old, "permission"))
		default:
			if x, y := str(m.Old, "permission"), str(m.New, "permission"); x != y {
				l.add("%s: permission on %s: %s → %s", who, m.ID, x, y)
			}
		}
	}
}

func describeInvitations(l *lines, where string, a, b any) {
	key := func(m map[string]any) string {
		if s := str(m, "login"); s != "" {
			return s
		}
		return str(m, "email")
	}
	for _, m := range matchBy(arr(a), arr(b), key) {
		switch {
		case m.Old == nil:
			access := str(m.New, "permission")
			if access == "" {
				access = str(m.New, "role")
			}
			l.add("invitation %s pending: %s (%s, invited by %s)", where, m.ID, access, str(m.New, "inviter"))
		case m.New == nil:
			l.add("invitation %s no longer pending: %s (accepted, declined or withdrawn)", where, m.ID)
		}
	}
}

func changeKey(m map[string]any) string {
	return shortRepo(str(m, "repo")) + " #" + scalarText(m["number"])
}

func describePulls(l *lines, a, b map[string]any, crossPeriod bool) {
	if crossPeriod {
		// Changes belong to the period they were merged in: the new
		// period's list starts afresh and is not a change of the old one.
		n, bots, two := countChanges(arr(b["changes"]))
		l.add("%d change(s) merged so far in the new period: %d with two or more approvals, %d by bots", n, two, bots)
		describeNewChanges(l, arr(b["changes"]))
		describeDirectPushes(l, nil, b["direct_pushes"])
		return
	}
	var added []any
	for _, m := range matchBy(arr(a["changes"]), arr(b["changes"]), changeKey) {
		switch {
		case m.Old == nil:
			added = append(added, m.New)
		case m.New == nil:
			l.add("change %s no longer listed", m.ID)
		default:
			if x, y := m.Old["approvals"], m.New["approvals"]; !equal(x, y) {
				l.add("approvals of %s: %s → %s", m.ID, brief(x), brief(y))
			}
			if x, y := m.Old["self_approved"], m.New["self_approved"]; !equal(x, y) {
				l.add("%s self-approved: %s → %s", m.ID, yesNo(x), yesNo(y))
			}
			if x, y := m.Old["ci_passed"], m.New["ci_passed"]; !equal(x, y) {
				l.add("CI passed on %s: %s → %s", m.ID, yesNo(x), yesNo(y))
			}
		}
	}
	if len(added) > 0 {
		n, bots, two := countChanges(added)
		l.add("%d change(s) merged since the previous snapshot: %d with two or more approvals, %d by bots", n, two, bots)
		describeNewChanges(l, added)
	}
	describeDirectPushes(l, a["direct_pushes"], b["direct_pushes"])
}

func countChanges(cs []any) (n, bots, two int) {
	for _, c := range cs {
		c := obj(c)
		n++
		if boolean(c, "bot") {
			bots++
		} else if num(c, "approvals") >= 2 {
			two++
		}
	}
	return n, bots, two
}

// describeNewChanges names the new changes an auditor would ask about.
func describeNewChanges(l *lines, cs []any) {
	for _, c := range cs {
		c := obj(c)
		id := changeKey(c)
		if !boolean(c, "bot") && num(c, "approvals") < 2 {
			l.add("%s merged with %s approval(s) (author %s, merged by %s): %s", id, brief(c["approvals"]), str(c, "author"), str(c, "merged_by"), brief(c["title"]))
		}
		if boolean(c, "self_approved") {
			l.add("%s was approved by its own author %s", id, str(c, "author"))
		}
		if v, ok := c["ci_passed"].(bool); ok && !v {
			l.add("%s merged without CI passing (%s)", id, str(c, "ci_state"))
		}
	}
}

func describeDirectPushes(l *lines, a, b any) {
	key := func(m map[string]any) string { return str(m, "repo") + "@" + str(m, "sha") }
	for _, m := range matchBy(arr(a), arr(b), key) {
		if m.Old == nil {
			l.add("direct push to %s %s by %s, not through a pull request: %s %s", shortRepo(str(m.New, "repo")), str(m.New, "branch"), str(m.New, "committer"), brief(m.New["sha"]), brief(m.New["subject"]))
		}
	}
}

func pct(n, d float64) string {
	if d == 0 {
		return "no commits"
	}
	return fmt.Sprintf("%.1f%% (%d of %d)", 100*n/d, int(n), int(d))
}

func describeCommits(l *lines, a, b map[string]any, crossPeriod bool) {
	repo := obj(b["repository"])
	on := str(repo, "id") + " " + str(repo, "branch")
	sa, sb := obj(a["summary"]), obj(b["summary"])
	if crossPeriod {
		l.add("%s commit(s) on %s so far in the new period; signed %s, verified signatures %s", brief(sb["commits"]), on,
			pct(num(sb, "signed"), num(sb, "commits")), pct(num(sb, "verified"), num(sb, "commits")))
		describeUnverified(l, on, nil, arr(b["commits"]))
		return
	}
	if x, y := num(sa, "commits"), num(sb, "commits"); x != y {
		l.add("commits on %s in the period: %d → %d", on, int(x), int(y))
	}
	if x, y := pct(num(sa, "signed"), num(sa, "commits")), pct(num(sb, "signed"), num(sb, "commits")); x != y {
		l.add("signed-commit share on %s: %s → %s", on, x, y)
	}
	if x, y := pct(num(sa, "verified"), num(sa, "commits")), pct(num(sb, "verified"), num(sb, "commits")); x != y {
		l.add("share of commits with a verified signature on %s: %s → %s", on, x, y)
	}
	var gone []string
	for _, m := range matchBy(arr(a["commits"]), arr(b["commits"]), func(m map[string]any) string { return str(m, "sha") }) {
		if m.New == nil {
			gone = append(gone, brief(m.ID))
		}
	}
	if len(gone) > 0 {
		// A commit of the period that leaves the branch means its history
		// was rewritten (force push) or the branch reset.
		l.add("%d commit(s) no longer on %s, so its history was rewritten: %s", len(gone), on, listText(gone))
	}
	describeUnverified(l, on, arr(a["commits"]), arr(b["commits"]))
	if x, y := a["repository"], b["repository"]; !equal(str(obj(x), "path"), str(obj(y), "path")) {
		l.add("repository of %s read from %s (was %s)", on, str(obj(y), "path"), str(obj(x), "path"))
	}
}

// describeUnverified names the new commits whose signature did not verify.
func describeUnverified(l *lines, on string, a, b []any) {
	for _, m := range matchBy(a, b, func(m map[string]any) string { return str(m, "sha") }) {
		if m.Old != nil || m.New == nil {
			continue
		}
		sig := obj(m.New["signature"])
		st := str(sig, "status")
		if st == "verified" {
			continue
		}
		why := st
		if st == "none" || st == "" {
			why = "unsigned"
		} else if n := str(sig, "note"); n != "" {
			why = st + ": " + n
		}
		l.add("new commit %s on %s by %s has no verified signature (%s): %s", brief(m.ID), on, str(obj(m.New["author"]), "name"), brief(why), brief(m.New["subject"]))
	}
}

// privilegeWords names the kube.rbac privileged categories.
var privilegeWords = map[string]string{
	"admission_writers":         "can change admission control",
	"cluster_admin":             "cluster-admin equivalent",
	"crd_writers":               "can change custom resource definitions",
	"csr_approvers":             "can approve certificate signing requests",
	"escalate_bind_impersonate": "can escalate, bind or impersonate",
	"exec":                      "can exec into pods",
	"namespace_admin":           "namespace admin",
	"node_proxy":                "can proxy to nodes",
	"rbac_writers":              "can change RBAC",
	"secret_readers":            "can read secrets",
}

func subjectText(m map[string]any) string {
	s := str(m, "kind") + " " + str(m, "name")
	if ns := str(m, "namespace"); ns != "" {
		s += " (namespace " + ns + ")"
	}
	return s
}

func bindingText(m map[string]any) string {
	ref := obj(m["role_ref"])
	var subs []string
	for _, s := range arr(m["subjects"]) {
		subs = append(subs, subjectText(obj(s)))
	}
	return fmt.Sprintf("%s %s to %s", str(ref, "kind"), str(ref, "name"), listText(subs))
}

func nsName(m map[string]any) string {
	if ns := str(m, "namespace"); ns != "" {
		return ns + "/" + str(m, "name")
	}
	return str(m, "name")
}

func describeRBAC(l *lines, a, b map[string]any) {
	cluster := str(b, "cluster")
	ia, ib := obj(a["inventory"]), obj(b["inventory"])
	for _, kind := range []struct{ key, name string }{{"cluster_role_bindings", "ClusterRoleBinding"}, {"role_bindings", "RoleBinding"}} {
		for _, m := range matchBy(arr(ia[kind.key]), arr(ib[kind.key]), nsName) {
			switch {
			case m.Old == nil:
				l.add("%s: %s %s added: %s", cluster, kind.name, m.ID, bindingText(m.New))
			case m.New == nil:
				l.add("%s: %s %s removed (it bound %s)", cluster, kind.name, m.ID, bindingText(m.Old))
			case !equal(m.Old, m.New):
				l.add("%s: %s %s now binds %s (was %s)", cluster, kind.name, m.ID, bindingText(m.New), bindingText(m.Old))
			}
		}
	}
	for _, kind := range []struct{ key, name string }{{"cluster_roles", "ClusterRole"}, {"roles", "Role"}, {"service_accounts", "ServiceAccount"}, {"namespaces", "Namespace"}} {
		for _, m := range matchBy(arr(ia[kind.key]), arr(ib[kind.key]), nsName) {
			switch {
			case m.Old == nil:
				l.add("%s: %s %s added", cluster, kind.name, m.ID)
			case m.New == nil:
				l.add("%s: %s %s removed", cluster, kind.name, m.ID)
			case !equal(m.Old["rules"], m.New["rules"]):
				l.add("%s: rules of %s %s changed (%d → %d rules)", cluster, kind.name, m.ID, len(arr(m.Old["rules"])), len(arr(m.New["rules"])))
			default:
				diffMap(l, []string{cluster, kind.name + " " + m.ID}, m.Old, m.New, map[string]bool{"rules": true, "name": true, "namespace": true})
			}
		}
	}
	diffMap(l, []string{cluster, "inventory"}, ia, ib, map[string]bool{"cluster_role_bindings": true, "role_bindings": true, "cluster_roles": true, "roles": true, "service_accounts": true, "namespaces": true})

	pa, pb := obj(a["privileged"]), obj(b["privileged"])
	cats := map[string]bool{}
	for k := range pa {
		cats[k] = true
	}
	for k := range pb {
		cats[k] = true
	}
	sorted := make([]string, 0, len(cats))
	for k := range cats {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	for _, cat := range sorted {
		words := privilegeWords[cat]
		if words == "" {
			words = word(cat)
		}
		for _, m := range matchBy(arr(pa[cat]), arr(pb[cat]), func(m map[string]any) string { return str(m, "subject") }) {
			switch {
			case m.Old == nil:
				l.add("%s: now %s: %s (via %s)", cluster, words, m.ID, viaText(m.New["via"]))
			case m.New == nil:
				l.add("%s: no longer %s: %s", cluster, words, m.ID)
			case !equal(m.Old["via"], m.New["via"]):
				l.add("%s: %s as %s now via %s (was via %s)", cluster, m.ID, words, viaText(m.New["via"]), viaText(m.Old["via"]))
			}
		}
	}
	checkKey := func(m map[string]any) string {
		where := "cluster-wide"
		if ns := str(m, "namespace"); ns == "*" {
			where = "in any namespace"
		} else if ns != "" {
			where = "in namespace " + ns
		}
		return fmt.Sprintf("“%s %s %s %s”", str(m, "subject"), str(m, "verb"), str(m, "resource"), where)
	}
	allowed := func(v any) string {
		if v == true {
			return "allowed"
		}
		return "denied"
	}
	for _, m := range matchBy(arr(a["checks"]), arr(b["checks"]), checkKey) {
		switch {
		case m.Old == nil:
			l.add("%s: check %s added: %s (expected %s)", cluster, m.ID, allowed(m.New["allowed"]), allowed(m.New["expect"]))
		case m.New == nil:
			l.add("%s: check %s removed", cluster, m.ID)
		case !equal(m.Old["allowed"], m.New["allowed"]) || !equal(m.Old["expect"], m.New["expect"]):
			l.add("%s: check %s: %s → %s (expected %s)", cluster, m.ID, allowed(m.Old["allowed"]), allowed(m.New["allowed"]), allowed(m.New["expect"]))
		}
	}
	for _, m := range matchBy(arr(a["problems"]), arr(b["problems"]), func(m map[string]any) string { return str(m, "object") + ": " + str(m, "message") }) {
		switch {
		case m.Old == nil:
			l.add("%s: problem reading the RBAC objects: %s", cluster, m.ID)
		case m.New == nil:
			l.add("%s: problem resolved: %s", cluster, m.ID)
		}
	}
	// subjects and summary restate the inventory per subject and in counts.
	diffMap(l, []string{cluster}, a, b, map[string]bool{
		"inventory": true, "privileged": true, "checks": true, "problems": true, "subjects": true, "summary": true, "cluster": true,
	})
}

func viaText(v any) string {
	var parts []string
	for _, g := range arr(v) {
		g := obj(g)
		parts = append(parts, str(g, "binding")+" of "+str(g, "role"))
	}
	if len(parts) == 0 {
		return "no recorded grant"
	}
	return listText(parts)
}
