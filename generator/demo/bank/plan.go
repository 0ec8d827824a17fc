package bank

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"sort"
	"strings"
	"time"
)

// SigningMode says how a commit is signed, as the story intends it; the
// evidence collectors must reach the same verdict from the repository alone.
type SigningMode string

// Signing modes of planned commits.
const (
	// SigningSSH is a valid SSH signature by a key in allowed_signers.
	SigningSSH SigningMode = "ssh"
	// SigningSSHNotYetValid is signed by a listed key before its valid-after date.
	SigningSSHNotYetValid SigningMode = "ssh-not-yet-valid"
	// SigningSSHUnknownKey is a valid SSH signature by a key missing from allowed_signers.
	SigningSSHUnknownKey SigningMode = "ssh-unknown-key"
	// SigningPGP is a valid OpenPGP signature made while the key was unexpired.
	SigningPGP SigningMode = "pgp"
	// SigningPGPExpiredKey is a cryptographically valid OpenPGP signature made after the key expired.
	SigningPGPExpiredKey SigningMode = "pgp-expired-key"
	// SigningBad is a signature that does not verify against the commit.
	SigningBad SigningMode = "bad"
	// SigningNone is an unsigned commit.
	SigningNone SigningMode = "unsigned"
)

// CommitKind says how a commit came to be on its branch.
type CommitKind string

// Kinds of planned commits.
const (
	// KindInitial is the first commit of a repository (the import).
	KindInitial CommitKind = "initial"
	// KindPRCommit is a commit on a pull request branch.
	KindPRCommit CommitKind = "pr-commit"
	// KindMerge is the two-parent merge of a pull request into main.
	KindMerge CommitKind = "merge"
	// KindDirect is a person pushing straight to main, bypassing review.
	KindDirect CommitKind = "direct"
	// KindAutomation is release-bot committing to main (releases, staging bumps).
	KindAutomation CommitKind = "automation"
)

// Repository IDs of the bank.
const (
	CoreLedger  = "core-ledger"  // Go general-ledger service
	PaymentsAPI = "payments-api" // Go ACH and wire origination API
	InfraGitops = "infra-gitops" // Kubernetes manifests and Helm values synced by Argo CD
)

// The audit period the demo covers: 2026-Q3 and 2026-Q4.
var (
	periodStart = time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	q4Start     = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	periodEnd   = time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC)
)

// PlannedCommit is one commit of the timeline, known before it is written.
type PlannedCommit struct {
	Repo      string     // repository ID
	Seq       int        // position in the repository's plan, 0-based
	Hash      string     // commit hash once written, empty before
	When      time.Time  // author and committer date, in the committer's zone
	Author    string     // Person.ID
	Committer string     // Person.ID
	Subject   string     // first line of the message
	Kind      CommitKind // how the commit reached its branch
	Branch    string     // branch it was committed on ("main" or the PR head)
	// PR is the pull request the commit belongs to, 0 for none. Automation
	// commits carry the number of the release pull request release-bot
	// opened for them, which landed the commit on main unchanged.
	PR             int
	PRAuthor       string      // Person.ID who opened the PR, set on PR commits, merges and automation
	Signing        SigningMode // how it is signed
	KeyFingerprint string      // key that produced the signature; empty when unsigned
	Changelog      bool        // whether the commit updates CHANGELOG.md
	Files          []string    // paths changed relative to the first parent, sorted
	Message        string      // the full commit message
	Parents        []string    // parent commit hashes once written, first parent first
}

// plannedCommit carries what the writer needs beyond the public plan.
type plannedCommit struct {
	PlannedCommit
	files        map[string]string
	key          *signingKey
	signedMsg    string // for SigningBad: the message that was actually signed
	mergedBranch string // for merges: the PR branch being merged
}

// release is a version published by release-bot.
type release struct {
	app, version string
	at           time.Time
}

type fixedEvent struct {
	at  time.Time
	run func(at time.Time)
}

type planner struct {
	repo     string
	rng      *rand.Rand
	ppl      *people
	m        repoModel
	weights  map[string]float64
	out      []*plannedCommit
	snapshot map[string]string
	last     time.Time
	prNum    int
	fixed    []fixedEvent
	releases []release

	laptopUsed, selfMergeUsed, reviewerFixUsed bool
}

func newPlanner(seed int64, repo string, ppl *people, m repoModel, weights map[string]float64) *planner {
	h := fnv.New64a()
	h.Write([]byte(repo))
	return &planner{
		repo:     repo,
		rng:      rand.New(rand.NewPCG(uint64(seed), h.Sum64())),
		ppl:      ppl,
		m:        m,
		weights:  weights,
		snapshot: map[string]string{},
		last:     periodStart,
	}
}

// plan builds the whole timeline of all three repositories.
func plan(seed int64, ppl *people) (map[string][]*plannedCommit, error) {
	ledger, payments, infra := newCoreLedger(), newPaymentsAPI(), newInfraGitops()
	out := map[string][]*plannedCommit{}
	var releases []release

	for _, r := range []struct {
		id      string
		g       *goRepo
		first   string
		weights map[string]float64
	}{
		{CoreLedger, ledger, "mchen", map[string]float64{"mchen": 4, "talvarez": 4, "dokafor": 1.5, "praman": 0.5}},
		{PaymentsAPI, payments, "dokafor", map[string]float64{"dokafor": 4, "talvarez": 2.5, "mchen": 1.5, "swhitfield": 2}},
	} {
		p := newPlanner(seed, r.id, ppl, r.g, r.weights)
		r.g.shuffle(p.rng)
		g := r.g
		// release-bot cuts a release every other Thursday afternoon if anything changed.
		for d := time.Date(2026, 7, 9, 15, 0, 0, 0, time.UTC); d.Before(periodEnd); d = d.AddDate(0, 0, 14) {
			day := d
			for !isWorkday(day) {
				day = day.AddDate(0, 0, 1)
			}
			p.fixed = append(p.fixed, fixedEvent{at: day.Add(time.Duration(p.rng.IntN(300)) * time.Second), run: func(at time.Time) {
				if g.cl.empty() {
					return
				}
				v := g.release(at)
				p.commit(KindAutomation, ppl.byID["release-bot"], at, "chore(release): "+v, "Release notes are in CHANGELOG.md.\n")
				p.releases = append(p.releases, release{app: g.name, version: v, at: at})
			}})
		}
		if r.id == PaymentsAPI {
			// A Friday-night hotfix pushed straight to main; its message was
			// edited after it was signed, so the signature no longer verifies.
			dan := ppl.byID["dokafor"]
			p.fixed = append(p.fixed, fixedEvent{at: time.Date(2026, 11, 13, 21, 47, 12, 0, dan.Zone), run: func(at time.Time) {
				g.forceKnob("wire.review_threshold_usd", "250000")
				c := p.commit(KindDirect, dan, at, "hotfix: raise wire review threshold to 250000 during Fed outage",
					"Approved by Treasury on the incident bridge (INC-9120). Revert on Monday.\n")
				c.Signing = SigningBad
				c.signedMsg = strings.Replace(c.Message, "250000", "25000", 1)
			}})
			// The hotfix is reverted through a normal, reviewed PR.
			revert := "fix(wire): restore the $25000 manual review threshold"
			g.queued = append(g.queued, &work{
				title: revert, slug: "restore-wire-review-threshold", section: "Fixed", clChance: 1,
				entry:     "Restore the $25,000 wire review threshold raised by the INC-9120 hotfix",
				preferred: []string{"dokafor"}, notBefore: time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC),
				steps: []step{{subject: revert, body: "Reverts the INC-9120 hotfix that was pushed straight to main on 2026-11-13;\nthe Fed outage is over.", apply: func(*tree) {
					g.forceKnob("wire.review_threshold_usd", "25000")
				}}},
			})
		}
		sortFixed(p.fixed)
		if err := p.run(r.first); err != nil {
			return nil, err
		}
		out[r.id] = p.out
		releases = append(releases, p.releases...)
	}

	p := newPlanner(seed, InfraGitops, ppl, infra, map[string]float64{"praman": 4.5, "swhitfield": 3, "dokafor": 1, "mchen": 1.5})
	sort.Slice(releases, func(i, j int) bool { return releases[i].at.Before(releases[j].at) })
	bot := ppl.byID["release-bot"]
	for _, rel := range releases {
		p.fixed = append(p.fixed, fixedEvent{at: rel.at.Add(time.Duration(540+p.rng.IntN(360)) * time.Second), run: func(at time.Time) {
			st := infra.stagingBump(rel.app, rel.version)
			st.apply(&infra.tree)
			p.commit(KindAutomation, bot, at, st.subject, st.body)
		}})
		infra.promotions = append(infra.promotions, promotion{app: rel.app, version: rel.version, earliest: rel.at.Add(20 * time.Hour)})
	}
	priya := ppl.byID["praman"]
	p.fixed = append(p.fixed, fixedEvent{at: time.Date(2026, 8, 21, 2, 14, 37, 0, priya.Zone), run: func(at time.Time) {
		st := infra.emergencyMemory("payments-api")
		st.apply(&infra.tree)
		p.commit(KindDirect, priya, at, st.subject, st.body)
	}})
	sortFixed(p.fixed)
	if err := p.run("praman"); err != nil {
		return nil, err
	}
	out[InfraGitops] = p.out
	return out, nil
}

func sortFixed(f []fixedEvent) {
	sort.SliceStable(f, func(i, j int) bool { return f[i].at.Before(f[j].at) })
}

// run plans one repository: the import, then pull requests back to back,
// with fixed events (releases, hotfixes) slotted in between them.
func (p *planner) run(firstAuthor string) error {
	who := p.ppl.byID[firstAuthor]
	t := workTime(periodStart, who.Zone, p.rng)
	subj, body := p.m.initial()
	// The repository was migrated two days before the audit period began,
	// so the import is history the period inherits, not a change made in
	// it; the period's own work is timed from t as before.
	p.last = t.AddDate(0, 0, -2).Add(-time.Second)
	p.commit(KindInitial, who, t.AddDate(0, 0, -2), subj, body)
	p.last = t

	var pending *work
	for {
		at := p.last.Add(time.Duration(6*60+p.rng.IntN(74*60)) * time.Minute)
		if pending == nil {
			pending = p.m.next(p.rng, at)
			p.preparePR(pending, at)
		}
		author := pending.author
		merger := p.chooseMerger(author, at)
		times := p.projectPR(at, author, merger, len(pending.steps))
		mergeAt := times[len(times)-1]
		if len(p.fixed) > 0 && !p.fixed[0].at.After(mergeAt) {
			f := p.fixed[0]
			p.fixed = p.fixed[1:]
			if t := laterOf(f.at, p.last.Add(time.Minute)); !t.After(periodEnd) {
				f.run(t)
			}
			continue
		}
		if mergeAt.After(periodEnd) {
			break
		}
		p.emitPR(pending, author, merger, times)
		pending = nil
	}
	for _, f := range p.fixed {
		if t := laterOf(f.at, p.last.Add(time.Minute)); !t.After(periodEnd) {
			f.run(t)
		}
	}
	for i, c := range p.out {
		c.Seq = i
		if len(c.files) == 0 && c.Kind != KindMerge {
			return fmt.Errorf("plan %s: commit %d %q changes nothing", p.repo, i, c.Subject)
		}
	}
	return nil
}

func laterOf(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func (p *planner) chooseAuthor(w *work) *Person {
	ids := w.preferred
	if len(ids) == 0 {
		for id := range p.weights {
			ids = append(ids, id)
		}
		sort.Strings(ids) // map order is random; the plan must not be
	}
	total := 0.0
	for _, id := range ids {
		total += p.weight(id)
	}
	x := p.rng.Float64() * total
	for _, id := range ids {
		if x -= p.weight(id); x < 0 {
			return p.ppl.byID[id]
		}
	}
	return p.ppl.byID[ids[len(ids)-1]]
}

func (p *planner) weight(id string) float64 {
	if w, ok := p.weights[id]; ok {
		return w
	}
	return 1
}

// chooseMerger picks who merges a PR: the release manager or a peer, never
// the author, except for one self-merge in infra-gitops that the
// segregation-of-duties check is meant to find.
func (p *planner) chooseMerger(author *Person, at time.Time) *Person {
	if p.repo == InfraGitops && author.ID == "praman" && !p.selfMergeUsed && !at.Before(time.Date(2026, 10, 26, 0, 0, 0, 0, time.UTC)) {
		return author // selfMergeUsed is set once the PR is actually emitted
	}
	lead := "hbrooks"
	if p.repo == InfraGitops && author.ID != "praman" && p.rng.Float64() < 0.55 {
		lead = "praman"
	}
	if p.rng.Float64() < 0.6 && lead != author.ID {
		return p.ppl.byID[lead]
	}
	var peers []string
	for _, id := range []string{"mchen", "dokafor", "talvarez", "praman", "hbrooks"} {
		if id != author.ID {
			peers = append(peers, id)
		}
	}
	return p.ppl.byID[pick(p.rng, peers)]
}

// projectPR returns the commit times of a PR's steps followed by its merge.
func (p *planner) projectPR(start time.Time, author, merger *Person, n int) []time.Time {
	ts := []time.Time{workTime(start, author.Zone, p.rng)}
	for i := 1; i < n; i++ {
		ts = append(ts, workTime(ts[i-1].Add(time.Duration(15+p.rng.IntN(200))*time.Minute), author.Zone, p.rng))
	}
	return append(ts, workTime(ts[n-1].Add(time.Duration(30+p.rng.IntN(22*60))*time.Minute), merger.Zone, p.rng))
}

// holidays are the Federal Reserve holidays in the period; the bank (and
// its release process) does not ship on them.
var holidays = map[string]bool{
	"2026-07-03": true, "2026-09-07": true, "2026-10-12": true,
	"2026-11-11": true, "2026-11-26": true, "2026-12-25": true,
}

func isWorkday(d time.Time) bool {
	return d.Weekday() != time.Saturday && d.Weekday() != time.Sunday && !holidays[d.Format("2006-01-02")]
}

// workTime moves t into the next working hours (09:00–18:30 on a workday) of loc.
func workTime(t time.Time, loc *time.Location, rng *rand.Rand) time.Time {
	l := t.In(loc)
	day := time.Date(l.Year(), l.Month(), l.Day(), 9, 0, 0, 0, loc)
	weekday := isWorkday
	if weekday(day) && !l.Before(day) && l.Before(day.Add(9*time.Hour+30*time.Minute)) {
		return l.Truncate(time.Second)
	}
	if !weekday(day) || !l.Before(day) {
		day = day.AddDate(0, 0, 1)
		for !weekday(day) {
			day = day.AddDate(0, 0, 1)
		}
	}
	return day.Add(time.Duration(rng.IntN(100*60)) * time.Second)
}

// preparePR assigns the PR its number and author and decides whether (and
// how) it updates the changelog: most PRs add an entry in their last
// commit, some in a separate follow-up commit, some forget. In the first
// payments-api PR of Q4 with a follow-up commit, a reviewer pushes that
// commit to the author's branch, and then approves the PR they have now
// co-written: the self-approval the segregation-of-duties check is meant
// to find. Only the follow-up's author changes, so the timeline does not.
func (p *planner) preparePR(w *work, at time.Time) {
	p.prNum += 1 + p.rng.IntN(3) // issues share the number sequence
	w.pr = p.prNum
	w.author = p.chooseAuthor(w)
	chance := w.clChance
	if w.author.Role == RoleContractor {
		chance /= 2
	}
	if p.rng.Float64() >= chance {
		return
	}
	entry := w.entry
	if entry == "" {
		_, e, _ := strings.Cut(w.title, ": ")
		entry = capitalize(e)
	}
	addEntry := func(*tree) {
		cl := p.m.changelog()
		cl.add(w.section, fmt.Sprintf("%s (#%d)", entry, w.pr))
		p.m.base().set("CHANGELOG.md", cl.render())
	}
	if p.rng.Float64() < 0.3 {
		st := step{subject: pick(p.rng, []string{"Update CHANGELOG.md", "docs(changelog): add entry for #" + fmt.Sprint(w.pr), "Add changelog entry"}), apply: addEntry}
		if p.repo == PaymentsAPI && !p.reviewerFixUsed && !at.Before(q4Start) && w.author.KeyKind != KeyNone {
			p.reviewerFixUsed = true
			st.by = "mchen"
			if w.author.ID == st.by {
				st.by = "dokafor"
			}
		}
		w.steps = append(w.steps, st)
		return
	}
	last := &w.steps[len(w.steps)-1]
	apply := last.apply
	last.apply = func(t *tree) { addEntry(t); apply(t) }
}

func (p *planner) emitPR(w *work, author, merger *Person, times []time.Time) {
	pr := w.pr
	branch := author.ID + "/" + w.slug
	changed := map[string]bool{}
	for i, st := range w.steps {
		st.apply(p.m.base())
		who := author
		if st.by != "" {
			who = p.ppl.byID[st.by]
		}
		c := p.commit(KindPRCommit, who, times[i], st.subject, st.body)
		c.Branch, c.PR, c.PRAuthor = branch, pr, author.ID
		for _, f := range c.Files {
			changed[f] = true
		}
		if p.repo == CoreLedger && author.ID == "mchen" && !p.laptopUsed && !c.When.Before(mayaLaptopFrom) {
			// Maya signs from her new laptop before registering its key.
			p.laptopUsed = true
			c.Signing, c.key, c.KeyFingerprint = SigningSSHUnknownKey, p.ppl.laptop, p.ppl.laptop.fingerprint
		}
	}
	c := p.commit(KindMerge, merger, times[len(times)-1],
		fmt.Sprintf("Merge pull request #%d from first-harbor-bank/%s", pr, branch), w.title)
	c.PR, c.PRAuthor, c.mergedBranch = pr, author.ID, branch
	if merger == author {
		p.selfMergeUsed = true
	}
	for f := range changed {
		c.Files = append(c.Files, f)
	}
	sort.Strings(c.Files)
	c.Changelog = changed["CHANGELOG.md"]
}

// commit plans one commit by who at (or just after) at, capturing every
// file the model changed since the previous commit.
func (p *planner) commit(kind CommitKind, who *Person, at time.Time, subject, body string) *plannedCommit {
	at = at.In(who.Zone).Truncate(time.Second)
	if !at.After(p.last) {
		at = p.last.Add(time.Duration(60+p.rng.IntN(240)) * time.Second).In(who.Zone)
	}
	p.last = at
	msg := subject + "\n"
	if body = strings.TrimRight(body, "\n"); body != "" {
		msg += "\n" + body + "\n"
	}
	c := &plannedCommit{
		PlannedCommit: PlannedCommit{
			Repo: p.repo, When: at, Author: who.ID, Committer: who.ID, Subject: subject,
			Kind: kind, Branch: "main", Message: msg,
		},
		files: map[string]string{},
	}
	for path, content := range p.m.base().files {
		if p.snapshot[path] != content {
			c.files[path] = content
			p.snapshot[path] = content
			c.Files = append(c.Files, path)
		}
	}
	sort.Strings(c.Files)
	_, c.Changelog = c.files["CHANGELOG.md"]
	if kind == KindInitial {
		c.Changelog = false
	}
	if kind == KindAutomation {
		// release-bot opens a pull request for every commit it makes.
		p.prNum++
		c.PR, c.PRAuthor = p.prNum, who.ID
	}
	p.sign(c, who)
	p.out = append(p.out, c)
	return c
}

// sign decides the signing mode from the signer's key and the commit time.
func (p *planner) sign(c *plannedCommit, who *Person) {
	k := p.ppl.keys[who.ID]
	if k == nil {
		c.Signing = SigningNone
		return
	}
	c.key, c.KeyFingerprint = k, k.fingerprint
	switch who.KeyKind {
	case KeySSH:
		c.Signing = SigningSSH
		if !who.ValidAfter.IsZero() && c.When.Before(who.ValidAfter) {
			c.Signing = SigningSSHNotYetValid
		}
	case KeyPGP:
		c.Signing = SigningPGP
		if !who.KeyExpires.IsZero() && !c.When.Before(who.KeyExpires) {
			c.Signing = SigningPGPExpiredKey
		}
	}
}
