package attest

import (
	"fmt"
	"strings"

	"github.com/evident-project/evident/generator/collect/github"
	"github.com/evident-project/evident/generator/collect/gitrepo"
)

// changes gathers the merged changes and direct pushes of every pulls item.
func changes(in Input) (cs []github.Change, pushes []github.DirectPush, paths, problems []string) {
	data, paths, problems := sources(in.Pulls, "github.pulls")
	for _, d := range data {
		cs = append(cs, d.Changes...)
		pushes = append(pushes, d.DirectPushes...)
	}
	return cs, pushes, paths, problems
}

func changeRef(c github.Change) string {
	return fmt.Sprintf("%s#%d %q", c.Repo, c.Number, c.Title)
}

// twoPersonReview counts the merged changes authored by people that two or
// more people other than the author approved. Changes opened by bots are
// counted apart, as the two-person control treats them (a bot cannot be
// the second person of its own change), and named in the line so the
// reader sees the whole population.
func twoPersonReview(in Input) Figure {
	f := Figure{ID: TwoPersonReview, Section: SectionChange, Claim: "Code changes reviewed and approved via a 2+ person process", Supported: true}
	f.Controls = controlsFor(in, refTwoPerson)
	cs, _, paths, problems := changes(in)
	f.Evidence = paths
	if len(problems) > 0 {
		f.Text = "Changes reviewed and approved by two or more people: not determined"
		f.exception("the pull-request evidence cannot be used: " + strings.Join(problems, "; "))
		return f
	}
	var r Ratio
	bots := 0
	var short []string
	for _, c := range cs {
		if c.Bot {
			bots++
			continue
		}
		r.Of++
		if c.Approvals >= 2 {
			r.N++
			continue
		}
		short = append(short, fmt.Sprintf("%s: %d independent approval(s)%s", changeRef(c), c.Approvals, approvers(c.Approvers)))
	}
	f.Ratio, f.Value = &r, r.String()
	f.Text = fmt.Sprintf("%s code changes merged to protected branches (%s) were reviewed and approved by two or more people other than their author", r, r.Percent())
	if bots > 0 {
		f.Text += fmt.Sprintf("; %s outside the two-person rule", plural(bots, "change opened by a bot is", "changes opened by bots are"))
	}
	switch {
	case r.Of == 0:
		f.exception("no change authored by a person was merged in the period, so the two-person review was never exercised")
	case !r.All():
		f.exception(fmt.Sprintf("%s merged with fewer than two independent approvals", plural(r.Of-r.N, "change was", "changes were")))
		f.details(short)
	}
	return f
}

func approvers(a []string) string {
	if len(a) == 0 {
		return ""
	}
	return " (approved by " + strings.Join(a, ", ") + ")"
}

// signedCommits counts the period's commits on the protected branches whose
// signature verified against a trusted key; signed by an unknown key, bad or
// expired is not verified.
func signedCommits(in Input) Figure {
	f := Figure{ID: SignedCommits, Section: SectionChange, Claim: "100% of commits cryptographically signed", Supported: true}
	f.Controls = controlsFor(in, refSigned)
	data, paths, problems := sources(in.Commits, "git.commits")
	f.Evidence = paths
	if len(problems) > 0 {
		f.Text = "Share of commits signed and verified: not determined"
		f.exception("the commit evidence cannot be used: " + strings.Join(problems, "; "))
		return f
	}
	var r Ratio
	var bad []string
	for _, d := range data {
		for _, c := range d.Commits {
			r.Of++
			if c.Signature.Status == gitrepo.StatusVerified {
				r.N++
				continue
			}
			sha := c.SHA
			if len(sha) > 12 {
				sha = sha[:12]
			}
			bad = append(bad, fmt.Sprintf("%s %s by %s: %s (%q)", d.Repository.ID, sha, c.Author.Name, c.Signature.Status, c.Subject))
		}
	}
	f.Ratio, f.Value = &r, r.String()
	f.Text = fmt.Sprintf("%s commits on protected branches (%s) were cryptographically signed and verified against trusted keys", r, r.Percent())
	switch {
	case r.Of == 0:
		f.exception("no commit was made on the protected branches in the period")
	case !r.All():
		f.exception(fmt.Sprintf("%s unsigned or not verified", plural(r.Of-r.N, "commit is", "commits are")))
		f.details(bad)
	}
	return f
}

// bypassActions are the audit-log events in which branch protection was
// overridden or removed: a change could land around the review. A rejected
// push (protected_branch.rejected_ref_update) is protection working and
// changed nothing, so it is not counted.
var bypassActions = map[string]string{
	"protected_branch.policy_override": "branch protection overridden",
	"protected_branch.destroy":         "branch protection removed",
	"repository_ruleset.destroy":       "repository ruleset removed",
}

// unauthorizedChanges counts the changes that reached a protected branch
// outside the reviewed path: direct pushes (commits on a protected branch
// that no merged pull request brought, as github.pulls records them) and
// branch-protection bypasses in the source-control audit log. Zero is a
// statement only when both sources were read: without the audit log a
// bypass cannot be ruled out.
func unauthorizedChanges(in Input) Figure {
	f := Figure{ID: UnauthorizedChanges, Section: SectionChange, Claim: "0 unauthorized changes detected", Supported: true}
	f.Controls = controlsFor(in, refNoDirectPushes)
	_, pushes, paths, problems := changes(in)
	f.Evidence = paths
	logs, logPaths, logProblems := sources(in.AuditLogs, "source-control audit-log")
	f.Evidence = append(f.Evidence, logPaths...)
	var lines []string
	for _, p := range pushes {
		sha := p.SHA
		if len(sha) > 12 {
			sha = sha[:12]
		}
		line := fmt.Sprintf("direct push %s to %s:%s by %s on %s (%q)", sha, p.Repo, p.Branch, p.Committer, p.Date, p.Subject)
		if p.Note != "" {
			line += " — " + p.Note
		}
		lines = append(lines, line)
	}
	bypasses := 0
	for _, l := range logs {
		for _, e := range l.Events {
			what, ok := bypassActions[e.Action]
			if !ok {
				continue
			}
			bypasses++
			lines = append(lines, fmt.Sprintf("%s (%s) in %s by %s at %s", what, e.Action, e.Repo, e.Actor, e.CreatedAt))
		}
	}
	pullsOK, logsOK := len(problems) == 0, len(logProblems) == 0
	switch {
	case pullsOK && logsOK:
		n := len(pushes) + bypasses
		f.Value = fmt.Sprint(n)
		f.Text = fmt.Sprintf("%s detected: %s to protected branches, %s",
			plural(n, "unauthorized change", "unauthorized changes"), plural(len(pushes), "direct push", "direct pushes"), plural(bypasses, "branch-protection bypass", "branch-protection bypasses"))
	case pullsOK:
		f.Value = fmt.Sprintf("%d or more", len(pushes))
		f.Text = fmt.Sprintf("%s to protected branches detected; branch-protection bypasses not determined", plural(len(pushes), "direct push", "direct pushes"))
	case logsOK:
		f.Value = fmt.Sprintf("%d or more", bypasses)
		f.Text = fmt.Sprintf("%s detected; direct pushes not determined", plural(bypasses, "branch-protection bypass", "branch-protection bypasses"))
	default:
		f.Text = "Unauthorized changes: not determined"
	}
	if !pullsOK {
		f.exception("direct pushes cannot be ruled out, the pull-request evidence cannot be used: " + strings.Join(problems, "; "))
	}
	if !logsOK {
		f.exception("bypasses of branch protection cannot be ruled out, the audit log cannot be used: " + strings.Join(logProblems, "; "))
	}
	if n := len(pushes) + bypasses; n > 0 {
		f.exception(fmt.Sprintf("%s reached protected branches outside the reviewed path", plural(n, "change", "changes")))
	}
	f.details(lines)
	return f
}

// selfApproval counts merged changes approved by their own author.
func selfApproval(in Input) Figure {
	f := Figure{ID: SelfApproval, Section: SectionSoD, Claim: "No self-approvals detected", Supported: true}
	f.Controls = controlsFor(in, refSelfApproval)
	cs, _, paths, problems := changes(in)
	f.Evidence = paths
	if len(problems) > 0 {
		f.Text = "Self-approved changes: not determined"
		f.exception("the pull-request evidence cannot be used: " + strings.Join(problems, "; "))
		return f
	}
	r := Ratio{Of: len(cs)}
	var lines []string
	for _, c := range cs {
		if c.SelfApproved {
			r.N++
			lines = append(lines, changeRef(c)+" approved by its author "+c.Author)
		}
	}
	f.Ratio, f.Value = &r, r.String()
	f.Text = fmt.Sprintf("%s merged changes (%s) were approved by their own author", r, r.Percent())
	switch {
	case r.Of == 0:
		f.exception("no change was merged in the period")
	case r.N > 0:
		f.exception(fmt.Sprintf("%s approved by its own author", plural(r.N, "change was", "changes were")))
		f.details(lines)
	}
	return f
}

// selfMerge counts merged changes merged by their author, and of those the
// ones without two independent approvals: an author merging a change that
// two others approved is the design (the merge is not the control), one
// merging it without them is a segregation-of-duties failure.
func selfMerge(in Input) Figure {
	f := Figure{ID: SelfMerge, Section: SectionSoD, Claim: "No change merged by its author without independent approval", Supported: true}
	f.Controls = controlsFor(in, refSelfApproval)
	cs, _, paths, problems := changes(in)
	f.Evidence = paths
	if len(problems) > 0 {
		f.Text = "Self-merged changes: not determined"
		f.exception("the pull-request evidence cannot be used: " + strings.Join(problems, "; "))
		return f
	}
	r := Ratio{Of: len(cs)}
	merged := 0
	var lines []string
	for _, c := range cs {
		if !c.SelfMerged {
			continue
		}
		merged++
		if c.Approvals < 2 {
			r.N++
			lines = append(lines, fmt.Sprintf("%s merged by its author %s with %d independent approval(s)", changeRef(c), c.MergedBy, c.Approvals))
		}
	}
	f.Ratio, f.Value = &r, r.String()
	f.Text = fmt.Sprintf("%s merged changes (%s) were merged by their own author without two independent approvals; %s in all",
		r, r.Percent(), plural(merged, "change was merged by its author", "changes were merged by their author"))
	switch {
	case r.Of == 0:
		f.exception("no change was merged in the period")
	case r.N > 0:
		f.exception(fmt.Sprintf("%s merged by its own author without two independent approvals", plural(r.N, "change was", "changes were")))
		f.details(lines)
	}
	return f
}

// accessReview states the access review's completion date, and only when
// the review is complete, over a non-empty population, with no reviewer
// deciding on their own access and every revocation carried out.
func accessReview(in Input) Figure {
	ar := in.AccessReview
	f := Figure{ID: AccessReviewDone, Section: SectionAccess, Claim: "Quarterly access review completed", Supported: true, Evidence: ar.Evidence}
	f.Controls = controlsFor(in, refAccessReviews)
	switch {
	case ar.Period == "":
		f.Text = "Quarterly access review: not determined"
		f.exception("no access-review summary was computed for this snapshot")
		return f
	case ar.Period != in.Period:
		f.Text = "Quarterly access review: not determined"
		f.exception(fmt.Sprintf("the access-review summary is for %s, not %s", ar.Period, in.Period))
		return f
	case ar.Unknown != "":
		f.Text = "Quarterly access review: not determined"
		f.exception(ar.Unknown)
		return f
	}
	r := Ratio{N: ar.Decided, Of: ar.Population}
	f.Ratio, f.Value = &r, r.String()
	if ar.Complete && ar.CompletedOn != "" {
		f.Value = ar.CompletedOn
		f.Text = fmt.Sprintf("Quarterly access review completed (%s): %s privileged access grants decided (%s), %s",
			ar.CompletedOn, r, r.Percent(), plural(ar.Revoked, "revocation", "revocations"))
	} else {
		f.Text = fmt.Sprintf("Quarterly access review not completed: %s privileged access grants decided (%s)", r, r.Percent())
	}
	switch {
	case ar.Population == 0:
		f.exception("the privileged population is empty, so nothing was reviewed")
	case !ar.Complete:
		f.exception(fmt.Sprintf("%s without a decision", plural(ar.Population-ar.Decided, "grant is", "grants are")))
	case ar.CompletedOn == "":
		f.exception("the review is complete but no decision is dated")
	}
	if ar.SelfReviews > 0 {
		f.exception(fmt.Sprintf("%s by the principal about their own access", plural(ar.SelfReviews, "decision was made", "decisions were made")))
	}
	if ar.OpenRevocations > 0 {
		f.exception(fmt.Sprintf("%s still in place after the decision", plural(ar.OpenRevocations, "revoked grant is", "revoked grants are")))
	}
	return f
}

// secretAccess counts unauthorized reads of secrets from the configured
// audit-log sources of secret access. Without one the statement rests on
// nothing the pipeline collected, so it is an exception.
func secretAccess(in Input) Figure {
	f := Figure{ID: SecretAccessEvents, Section: SectionAccess, Claim: "0 unauthorized secret access events detected", Supported: true}
	f.Controls = controlsFor(in, refSecretAudit)
	if len(in.SecretAccess) == 0 {
		f.Text = "Unauthorized secret access events: not determined"
		why := "no audit-log source configured: no collector reads an audit log of secret access (the Kubernetes API-server audit log)"
		if len(in.AuditLogs) > 0 {
			why += "; the source-control audit log records repository events, not reads of secrets"
		}
		f.exception(why)
		return f
	}
	data, paths, problems := sources(in.SecretAccess, "secret-access audit-log")
	f.Evidence = paths
	if len(problems) > 0 {
		f.Text = "Unauthorized secret access events: not determined"
		f.exception("the secret-access audit log cannot be used: " + strings.Join(problems, "; "))
		return f
	}
	n, events := 0, 0
	var lines []string
	for _, d := range data {
		events += d.Events
		for _, e := range d.Unauthorized {
			n++
			lines = append(lines, fmt.Sprintf("%s %s secret %s/%s at %s", e.Actor, e.Verb, e.Namespace, e.Name, e.At))
		}
	}
	f.Value = fmt.Sprint(n)
	f.Text = fmt.Sprintf("%s detected among %s in the audit log",
		plural(n, "unauthorized secret access event", "unauthorized secret access events"), plural(events, "secret read", "secret reads"))
	if n > 0 {
		f.exception(fmt.Sprintf("%s read by identities not approved to read secrets", plural(n, "secret was", "secrets were")))
		f.details(lines)
	}
	return f
}

// evidenceIntegrity states that the evidence every figure rests on is the
// evidence that was collected: every file matches its manifest, the
// manifests chain, and every manifest and commit signature verifies against
// keys from the reviewed config (keys read from the evidence itself would
// be vouched for only by the evidence).
func evidenceIntegrity(in Input) Figure {
	v := in.Integrity
	f := Figure{ID: EvidenceIntegrity, Section: SectionIntegrity, Claim: "Evidence integrity verified (100% of files match their signed, hash-chained manifests)", Supported: true, Evidence: v.Evidence}
	f.Controls = controlsFor(in, refEvidence)
	if v.Error != "" {
		f.Text = "Evidence integrity: not verified"
		f.exception("the evidence history could not be verified: " + v.Error)
		return f
	}
	chain, sigs := "intact", "every manifest and commit signature verifies"
	if !v.ChainOK {
		chain = "broken"
	}
	if !v.SignaturesOK {
		sigs = "not every signature verifies"
	}
	f.Value = fmt.Sprintf("%d snapshots", v.Snapshots)
	f.Text = fmt.Sprintf("Evidence history verified: %s, %s hashed, hash chain %s, %s",
		plural(v.Snapshots, "snapshot", "snapshots"), plural(v.FilesHashed, "file", "files"), chain, sigs)
	if v.Gaps > 0 {
		f.Text += fmt.Sprintf("; %s missing from the schedule", plural(v.Gaps, "run", "runs"))
	}
	switch {
	case v.Snapshots == 0:
		f.exception("no snapshot was verified")
	case !v.OK && len(v.Problems) == 0:
		f.exception("the verification did not pass")
	case !v.OK:
		f.exception(fmt.Sprintf("%s failed", plural(len(v.Problems), "integrity check", "integrity checks")))
		f.details(v.Problems)
	}
	if v.TrustFromEvidence {
		f.exception("verified against the keys recorded in the evidence itself, not against the reviewed config's keys: whoever could rewrite the evidence could have replaced them too")
	}
	return f
}
