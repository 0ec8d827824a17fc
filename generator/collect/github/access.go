package github

import (
	"context"
	_ "embed"
	"fmt"
	"net/url"
	"sort"

	"github.com/evident-project/evident/generator/collect"
	"github.com/evident-project/evident/generator/collect/github/ghapi"
)

//go:embed defs/access.yml
var accessDefYAML []byte

var accessDef = collect.MustParseDef(accessDefYAML)

// Access is the github.access collector.
type Access struct{ s *shared }

// Def returns the collector's embedded metadata.
func (*Access) Def() collect.Def { return accessDef }

// AccessData is the github.access evidence of one source.
type AccessData struct {
	Org                         string                `json:"org"`
	TwoFactorRequirementEnabled *bool                 `json:"two_factor_requirement_enabled"`
	Owners                      []string              `json:"owners"`
	Members                     []OrgMember           `json:"members"`
	MembersWithout2FA           []string              `json:"members_without_2fa"`
	OutsideCollaborators        []OutsideCollaborator `json:"outside_collaborators"`
	OutsideWithout2FA           []string              `json:"outside_collaborators_without_2fa"`
	Teams                       []TeamAccess          `json:"teams"`
	Repositories                []RepoAccess          `json:"repositories"`
	Invitations                 []Invitation          `json:"invitations"`
	Privileged                  []Privilege           `json:"privileged"`
}

// OrgMember is an organisation member.
type OrgMember struct {
	Login string `json:"login"`
	Role  string `json:"role"`
	Bot   bool   `json:"bot"`
	// TwoFactor is false for a member listed with 2FA disabled, null when
	// the list could not be read.
	TwoFactor *bool `json:"two_factor"`
}

// OutsideCollaborator is a person with repository access but no membership.
type OutsideCollaborator struct {
	Login      string           `json:"login"`
	Permission string           `json:"permission"`
	Repos      []RepoPermission `json:"repos"`
}

// RepoPermission is a permission on one repository.
type RepoPermission struct {
	Repo       string `json:"repo"`
	Permission string `json:"permission"`
}

// TeamAccess is a team.
type TeamAccess struct {
	Slug        string           `json:"slug"`
	Name        string           `json:"name"`
	Privacy     string           `json:"privacy"`
	Parent      string           `json:"parent"`
	Members     []string         `json:"members"`
	Maintainers []string         `json:"maintainers"`
	Repos       []RepoPermission `json:"repos"`
}

// RepoAccess is who can reach one repository.
type RepoAccess struct {
	Repo          string         `json:"repo"`
	Collaborators []Collaborator `json:"collaborators"`
	Teams         []TeamGrant    `json:"teams"`
	Invitations   []Invitation   `json:"invitations"`
}

// Collaborator is a person's effective permission on a repository and
// where it comes from.
type Collaborator struct {
	Login      string   `json:"login"`
	Permission string   `json:"permission"`
	Direct     string   `json:"direct"`
	Teams      []string `json:"teams"`
	Owner      bool     `json:"owner"`
	Outside    bool     `json:"outside"`
}

// TeamGrant is a team's permission on a repository.
type TeamGrant struct {
	Team       string `json:"team"`
	Permission string `json:"permission"`
}

// Invitation is a pending invitation.
type Invitation struct {
	Login      string `json:"login"`
	Email      string `json:"email"`
	Role       string `json:"role"`
	Inviter    string `json:"inviter"`
	CreatedAt  string `json:"created_at"`
	Repo       string `json:"repo,omitempty"`
	Permission string `json:"permission,omitempty"`
}

// Privilege is an owner or an admin or maintain grant.
type Privilege struct {
	Login      string `json:"login"`
	Scope      string `json:"scope"`
	Permission string `json:"permission"`
	Via        string `json:"via"`
}

type apiUser struct {
	Login       string `json:"login"`
	Type        string `json:"type"`
	RoleName    string `json:"role_name"`
	Permissions *struct {
		Admin    bool `json:"admin"`
		Maintain bool `json:"maintain"`
		Push     bool `json:"push"`
		Triage   bool `json:"triage"`
		Pull     bool `json:"pull"`
	} `json:"permissions"`
}

// permission names a grant as GitHub's role names do (read, triage,
// write, maintain, admin, or a custom role).
func (u apiUser) permission() string {
	if u.RoleName != "" {
		return u.RoleName
	}
	p := u.Permissions
	switch {
	case p == nil:
		return ""
	case p.Admin:
		return "admin"
	case p.Maintain:
		return "maintain"
	case p.Push:
		return "write"
	case p.Triage:
		return "triage"
	case p.Pull:
		return "read"
	}
	return ""
}

var permOrder = map[string]int{"read": 1, "pull": 1, "triage": 2, "write": 3, "push": 3, "maintain": 4, "admin": 5}

func higher(a, b string) string {
	if permOrder[b] > permOrder[a] || a == "" {
		return b
	}
	return a
}

type apiTeam struct {
	Slug       string `json:"slug"`
	Name       string `json:"name"`
	Privacy    string `json:"privacy"`
	Permission string `json:"permission"`
	RoleName   string `json:"role_name"`
	Parent     *struct {
		Slug string `json:"slug"`
	} `json:"parent"`
	Permissions *struct {
		Admin, Maintain, Push, Triage, Pull bool
	} `json:"permissions"`
}

type apiTeamRepo struct {
	Name string `json:"name"`
	apiUser
}

type apiInvitation struct {
	Login     *string  `json:"login"`
	Email     *string  `json:"email"`
	Role      string   `json:"role"`
	CreatedAt string   `json:"created_at"`
	Inviter   *apiUser `json:"inviter"`
	Invitee   *apiUser `json:"invitee"`
	// Permissions is a repository invitation's permission.
	Permissions string `json:"permissions"`
}

// Collect reads the organisation's access population.
func (a *Access) Collect(ctx context.Context, req collect.Request) (*collect.Result, error) {
	se, err := a.s.begin(ctx, accessDef, "access", req)
	if err != nil {
		return nil, err
	}
	org := se.src.Org
	obase := "orgs/" + esc(org)
	d := &AccessData{Org: org}

	var o struct {
		TwoFactor *bool `json:"two_factor_requirement_enabled"`
	}
	if err := se.c.Get(ctx, obase, nil, &o); err != nil {
		return nil, se.fail(ctx, "get organisation "+org, err)
	}
	d.TwoFactorRequirementEnabled = o.TwoFactor
	if o.TwoFactor == nil {
		se.hide("the organisation's 2FA requirement is not visible to the token (organisation owners only)")
	}

	owners, err := ghapi.List[apiUser](ctx, se.c, obase+"/members", url.Values{"role": {"admin"}}, ghapi.ListOptions[apiUser]{})
	if err != nil {
		return nil, se.fail(ctx, "list owners of "+org, err)
	}
	members, err := ghapi.List[apiUser](ctx, se.c, obase+"/members", nil, ghapi.ListOptions[apiUser]{})
	if err != nil {
		return nil, se.fail(ctx, "list members of "+org, err)
	}
	isOwner := map[string]bool{}
	d.Owners = []string{}
	for _, u := range owners {
		isOwner[u.Login] = true
		d.Owners = append(d.Owners, u.Login)
	}
	sort.Strings(d.Owners)

	no2fa, err := a.twoFactorDisabled(ctx, se, obase+"/members", "members")
	if err != nil {
		return nil, err
	}
	d.MembersWithout2FA = no2fa
	off := map[string]bool{}
	for _, l := range no2fa {
		off[l] = true
	}
	isMember := map[string]bool{}
	d.Members = []OrgMember{}
	for _, u := range members {
		isMember[u.Login] = true
		m := OrgMember{Login: u.Login, Role: "member", Bot: u.Type == "Bot"}
		if isOwner[u.Login] {
			m.Role = "owner"
		}
		if no2fa != nil {
			on := !off[u.Login]
			m.TwoFactor = &on
		}
		d.Members = append(d.Members, m)
	}
	sort.Slice(d.Members, func(i, j int) bool { return d.Members[i].Login < d.Members[j].Login })

	outside, err := ghapi.List[apiUser](ctx, se.c, obase+"/outside_collaborators", nil, ghapi.ListOptions[apiUser]{})
	if err != nil {
		return nil, se.fail(ctx, "list outside collaborators of "+org, err)
	}
	isOutside := map[string]bool{}
	for _, u := range outside {
		isOutside[u.Login] = true
	}
	d.OutsideWithout2FA, err = a.twoFactorDisabled(ctx, se, obase+"/outside_collaborators", "outside collaborators")
	if err != nil {
		return nil, err
	}

	invs, err := ghapi.List[apiInvitation](ctx, se.c, obase+"/invitations", nil, ghapi.ListOptions[apiInvitation]{})
	switch {
	case err == nil:
		d.Invitations = []Invitation{}
		for _, iv := range invs {
			d.Invitations = append(d.Invitations, invitation(iv, ""))
		}
	case ghapi.Status(err) == 403 || ghapi.Status(err) == 404:
		se.hide(fmt.Sprintf("pending organisation invitations are not visible to the token (%v)", err))
	default:
		return nil, se.fail(ctx, "list invitations of "+org, err)
	}

	repos, _, err := se.repos(ctx)
	if err != nil {
		return nil, err
	}
	inScope := map[string]bool{}
	for _, r := range repos {
		inScope[r.Name] = true
	}

	teams, err := ghapi.List[apiTeam](ctx, se.c, obase+"/teams", nil, ghapi.ListOptions[apiTeam]{})
	if err != nil {
		return nil, se.fail(ctx, "list teams of "+org, err)
	}
	d.Teams = make([]TeamAccess, len(teams))
	err = forEach(ctx, 4, len(teams), func(ctx context.Context, i int) error {
		t, err := a.team(ctx, se, obase, teams[i], inScope)
		d.Teams[i] = t
		return err
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(d.Teams, func(i, j int) bool { return d.Teams[i].Slug < d.Teams[j].Slug })
	teamsOf := map[string]map[string][]string{} // repo → login → ["team:perm"]
	for _, t := range d.Teams {
		for _, rp := range t.Repos {
			if teamsOf[rp.Repo] == nil {
				teamsOf[rp.Repo] = map[string][]string{}
			}
			for _, m := range t.Members {
				teamsOf[rp.Repo][m] = append(teamsOf[rp.Repo][m], t.Slug+":"+rp.Permission)
			}
		}
	}

	d.Repositories = make([]RepoAccess, len(repos))
	err = forEach(ctx, 4, len(repos), func(ctx context.Context, i int) error {
		ra, err := a.repo(ctx, se, repos[i], isOwner, isOutside, teamsOf[repos[i].FullName])
		d.Repositories[i] = ra
		return err
	})
	if err != nil {
		return nil, err
	}

	// Outside collaborators with their highest permission in scope.
	perms := map[string][]RepoPermission{}
	for _, ra := range d.Repositories {
		for _, c := range ra.Collaborators {
			if c.Outside {
				perms[c.Login] = append(perms[c.Login], RepoPermission{Repo: ra.Repo, Permission: c.Permission})
			}
		}
	}
	d.OutsideCollaborators = []OutsideCollaborator{}
	for _, u := range outside {
		oc := OutsideCollaborator{Login: u.Login, Repos: perms[u.Login]}
		if oc.Repos == nil {
			oc.Repos = []RepoPermission{}
		}
		for _, rp := range oc.Repos {
			oc.Permission = higher(oc.Permission, rp.Permission)
		}
		d.OutsideCollaborators = append(d.OutsideCollaborators, oc)
	}
	sort.Slice(d.OutsideCollaborators, func(i, j int) bool { return d.OutsideCollaborators[i].Login < d.OutsideCollaborators[j].Login })

	d.Privileged = []Privilege{}
	for _, o := range d.Owners {
		d.Privileged = append(d.Privileged, Privilege{Login: o, Scope: "org", Permission: "owner", Via: "organisation owner"})
	}
	for _, ra := range d.Repositories {
		for _, c := range ra.Collaborators {
			if c.Permission != "admin" && c.Permission != "maintain" || c.Owner {
				continue
			}
			via := "direct"
			if c.Direct == "" || permOrder[c.Direct] < permOrder[c.Permission] {
				via = "team"
			}
			d.Privileged = append(d.Privileged, Privilege{Login: c.Login, Scope: ra.Repo, Permission: c.Permission, Via: via})
		}
	}
	collaborators := 0
	for _, ra := range d.Repositories {
		collaborators += len(ra.Collaborators)
	}
	records := map[string]int{
		"owners": len(d.Owners), "members": len(d.Members), "outside_collaborators": len(d.OutsideCollaborators),
		"teams": len(d.Teams), "repositories": len(d.Repositories), "repo_collaborators": collaborators, "privileged": len(d.Privileged),
	}
	if d.Invitations != nil {
		records["invitations"] = len(d.Invitations)
	}
	return se.result(d, records), nil
}

// twoFactorDisabled lists logins with 2FA disabled, or nil (hidden) when
// only an owner may use the filter.
func (a *Access) twoFactorDisabled(ctx context.Context, se *session, path, what string) ([]string, error) {
	users, err := ghapi.List[apiUser](ctx, se.c, path, url.Values{"filter": {"2fa_disabled"}}, ghapi.ListOptions[apiUser]{})
	switch {
	case err == nil:
		out := []string{}
		for _, u := range users {
			out = append(out, u.Login)
		}
		sort.Strings(out)
		return out, nil
	case ghapi.Status(err) == 403 || ghapi.Status(err) == 422 || ghapi.Status(err) == 404:
		se.hide(fmt.Sprintf("%s with 2FA disabled are not visible to the token (%v)", what, err))
		return nil, nil
	}
	return nil, se.fail(ctx, "list "+what+" with 2fa disabled", err)
}

func (a *Access) team(ctx context.Context, se *session, obase string, t apiTeam, inScope map[string]bool) (TeamAccess, error) {
	tb := obase + "/teams/" + esc(t.Slug)
	ta := TeamAccess{Slug: t.Slug, Name: t.Name, Privacy: t.Privacy, Members: []string{}, Maintainers: []string{}, Repos: []RepoPermission{}}
	if t.Parent != nil {
		ta.Parent = t.Parent.Slug
	}
	members, err := ghapi.List[apiUser](ctx, se.c, tb+"/members", url.Values{"role": {"all"}}, ghapi.ListOptions[apiUser]{})
	if err != nil {
		return ta, se.fail(ctx, "list members of team "+t.Slug, err)
	}
	for _, m := range members {
		ta.Members = append(ta.Members, m.Login)
	}
	maint, err := ghapi.List[apiUser](ctx, se.c, tb+"/members", url.Values{"role": {"maintainer"}}, ghapi.ListOptions[apiUser]{})
	if err != nil {
		return ta, se.fail(ctx, "list maintainers of team "+t.Slug, err)
	}
	for _, m := range maint {
		ta.Maintainers = append(ta.Maintainers, m.Login)
	}
	repos, err := ghapi.List[apiTeamRepo](ctx, se.c, tb+"/repos", nil, ghapi.ListOptions[apiTeamRepo]{})
	if err != nil {
		return ta, se.fail(ctx, "list repositories of team "+t.Slug, err)
	}
	for _, r := range repos {
		if inScope[r.Name] {
			ta.Repos = append(ta.Repos, RepoPermission{Repo: se.src.Org + "/" + r.Name, Permission: r.permission()})
		}
	}
	sort.Strings(ta.Members)
	sort.Strings(ta.Maintainers)
	sort.Slice(ta.Repos, func(i, j int) bool { return ta.Repos[i].Repo < ta.Repos[j].Repo })
	return ta, nil
}

func (a *Access) repo(ctx context.Context, se *session, r repoInfo, isOwner, isOutside map[string]bool, viaTeams map[string][]string) (RepoAccess, error) {
	base := "repos/" + esc(se.src.Org) + "/" + esc(r.Name)
	ra := RepoAccess{Repo: r.FullName, Collaborators: []Collaborator{}, Teams: []TeamGrant{}, Invitations: []Invitation{}}
	all, err := ghapi.List[apiUser](ctx, se.c, base+"/collaborators", url.Values{"affiliation": {"all"}}, ghapi.ListOptions[apiUser]{})
	if err != nil {
		if ghapi.Status(err) == 403 {
			se.hide(fmt.Sprintf("collaborators of %s are not visible to the token (%v)", r.FullName, err))
			ra.Collaborators = nil
			return ra, nil
		}
		return ra, se.fail(ctx, "list collaborators of "+r.FullName, err)
	}
	direct, err := ghapi.List[apiUser](ctx, se.c, base+"/collaborators", url.Values{"affiliation": {"direct"}}, ghapi.ListOptions[apiUser]{})
	if err != nil {
		return ra, se.fail(ctx, "list direct collaborators of "+r.FullName, err)
	}
	directPerm := map[string]string{}
	for _, u := range direct {
		directPerm[u.Login] = u.permission()
	}
	for _, u := range all {
		c := Collaborator{Login: u.Login, Permission: u.permission(), Direct: directPerm[u.Login], Teams: viaTeams[u.Login],
			Owner: isOwner[u.Login], Outside: isOutside[u.Login]}
		if c.Teams == nil {
			c.Teams = []string{}
		}
		sort.Strings(c.Teams)
		ra.Collaborators = append(ra.Collaborators, c)
	}
	sort.Slice(ra.Collaborators, func(i, j int) bool { return ra.Collaborators[i].Login < ra.Collaborators[j].Login })
	teams, err := ghapi.List[apiTeam](ctx, se.c, base+"/teams", nil, ghapi.ListOptions[apiTeam]{})
	if err != nil {
		return ra, se.fail(ctx, "list teams of "+r.FullName, err)
	}
	for _, t := range teams {
		perm := t.RoleName
		if perm == "" {
			perm = t.Permission
		}
		if perm == "push" {
			perm = "write"
		} else if perm == "pull" {
			perm = "read"
		}
		ra.Teams = append(ra.Teams, TeamGrant{Team: t.Slug, Permission: perm})
	}
	sort.Slice(ra.Teams, func(i, j int) bool { return ra.Teams[i].Team < ra.Teams[j].Team })
	invs, err := ghapi.List[apiInvitation](ctx, se.c, base+"/invitations", nil, ghapi.ListOptions[apiInvitation]{})
	switch {
	case err == nil:
		for _, iv := range invs {
			ra.Invitations = append(ra.Invitations, invitation(iv, r.FullName))
		}
	case ghapi.Status(err) == 403:
		se.hide(fmt.Sprintf("invitations to %s are not visible to the token (%v)", r.FullName, err))
		ra.Invitations = nil
	default:
		return ra, se.fail(ctx, "list invitations of "+r.FullName, err)
	}
	return ra, nil
}

func invitation(iv apiInvitation, repo string) Invitation {
	out := Invitation{Role: iv.Role, CreatedAt: iv.CreatedAt, Repo: repo}
	if iv.Login != nil {
		out.Login = *iv.Login
	}
	if iv.Invitee != nil {
		out.Login = iv.Invitee.Login
	}
	if iv.Email != nil {
		out.Email = *iv.Email
	}
	if iv.Inviter != nil {
		out.Inviter = iv.Inviter.Login
	}
	if repo != "" {
		out.Permission = iv.Permissions
	}
	return out
}
