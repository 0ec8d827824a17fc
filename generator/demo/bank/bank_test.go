package bank_test

import (
	"bytes"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"golang.org/x/crypto/ssh"

	"github.com/evident-project/evident/generator/demo/bank"
)

func generate(t testing.TB, seed int64, dir string) *bank.Bank {
	t.Helper()
	b, err := bank.New(bank.Options{Seed: seed, Dir: dir})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := b.AdvanceTo(b.End); err != nil {
		t.Fatalf("AdvanceTo: %v", err)
	}
	return b
}

func open(t testing.TB, path string) *git.Repository {
	t.Helper()
	r, err := git.PlainOpen(path)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func heads(t testing.TB, b *bank.Bank) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, r := range b.Repos {
		ref, err := open(t, r.Path).Reference(plumbing.NewBranchReferenceName(r.Branch), true)
		if err != nil {
			t.Fatalf("%s: %v", r.ID, err)
		}
		out[r.ID] = ref.Hash().String()
	}
	return out
}

func TestSameSeedSameRepositories(t *testing.T) {
	t.Parallel()
	a := generate(t, 1, t.TempDir())
	b := generate(t, 1, t.TempDir())
	c := generate(t, 2, t.TempDir())
	ha, hb, hc := heads(t, a), heads(t, b), heads(t, c)
	if len(ha) != 3 {
		t.Fatalf("want 3 repositories, got %v", ha)
	}
	for id, h := range ha {
		if hb[id] != h {
			t.Errorf("%s: same seed gave different HEADs %s and %s", id, h, hb[id])
		}
		if hc[id] == h {
			t.Errorf("%s: different seeds gave the same HEAD %s", id, h)
		}
	}
	pa, pb := a.Planned(), b.Planned()
	if len(pa) != len(pb) {
		t.Fatalf("plans differ in length: %d vs %d", len(pa), len(pb))
	}
	for i := range pa {
		if pa[i].Hash == "" || pa[i].Hash != pb[i].Hash {
			t.Fatalf("commit %d (%s %q) differs: %q vs %q", i, pa[i].Repo, pa[i].Subject, pa[i].Hash, pb[i].Hash)
		}
	}
	for _, f := range []func(*bank.Bank) string{
		func(b *bank.Bank) string { return b.PGPKeyring },
		func(b *bank.Bank) string { return b.AllowedSigners },
	} {
		x, _ := os.ReadFile(f(a))
		y, _ := os.ReadFile(f(b))
		if len(x) == 0 || !bytes.Equal(x, y) {
			t.Errorf("%s differs between runs with the same seed", filepath.Base(f(a)))
		}
	}
}

func TestAdvanceInStepsEqualsAllAtOnce(t *testing.T) {
	t.Parallel()
	full := generate(t, 5, t.TempDir())
	inc, err := bank.New(bank.Options{Seed: 5, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	openPRStops := 0
	// An odd step lands inside pull requests, between their commits and merge.
	for at := inc.Start; ; at = at.Add(4*24*time.Hour + 13*time.Hour + 37*time.Minute) {
		if at.After(inc.End) {
			at = inc.End
		}
		for range 2 { // the second call must be a no-op
			if err := inc.AdvanceTo(at); err != nil {
				t.Fatalf("AdvanceTo(%s): %v", at, err)
			}
		}
		openPRStops += checkStop(t, inc, at, openPRStops < 3)
		if at.Equal(inc.End) {
			break
		}
	}
	if openPRStops == 0 {
		t.Error("no step stopped inside an open pull request; the test did not exercise that case")
	}
	pf, pi := full.Planned(), inc.Planned()
	for i := range pf {
		if pf[i].Hash != pi[i].Hash {
			t.Fatalf("commit %d (%s %q) differs: %s all at once, %s in steps", i, pf[i].Repo, pf[i].Subject, pf[i].Hash, pi[i].Hash)
		}
	}
	hf, hi := heads(t, full), heads(t, inc)
	for id := range hf {
		if hf[id] != hi[id] {
			t.Errorf("%s: HEAD %s all at once, %s in steps", id, hf[id], hi[id])
		}
	}
}

// checkStop verifies the repositories after AdvanceTo(at): exactly the
// commits dated up to at exist, main points at the last commit on main, an
// open PR's branch points at its last commit, and (when status is set, as
// it is slow) the worktree is clean. It returns how many PRs were open.
func checkStop(t *testing.T, b *bank.Bank, at time.Time, status bool) (openPRs int) {
	t.Helper()
	plan := b.Planned()
	for _, r := range b.Repos {
		repo := open(t, r.Path)
		var lastMain string
		prTip := map[string]string{}
		for _, c := range plan {
			if c.Repo != r.ID {
				continue
			}
			if written := c.Hash != ""; written != !c.When.After(at) {
				t.Fatalf("%s at %s: commit %q dated %s written=%v", r.ID, at, c.Subject, c.When, written)
			}
			if c.Hash == "" {
				continue
			}
			if c.Kind == bank.KindPRCommit {
				prTip[c.Branch] = c.Hash
			} else {
				lastMain = c.Hash
				if c.Kind == bank.KindMerge {
					for br := range prTip {
						if strings.HasSuffix(c.Subject, "/"+br) {
							delete(prTip, br)
						}
					}
				}
			}
		}
		head, err := repo.Head()
		if err != nil {
			if lastMain == "" {
				continue // nothing written yet
			}
			t.Fatalf("%s: %v", r.ID, err)
		}
		if head.Name() != plumbing.NewBranchReferenceName("main") || head.Hash().String() != lastMain {
			t.Errorf("%s at %s: HEAD %s %s, want main at %s", r.ID, at, head.Name(), head.Hash(), lastMain)
		}
		for br, tip := range prTip {
			ref, err := repo.Reference(plumbing.NewBranchReferenceName(br), true)
			if err != nil || ref.Hash().String() != tip {
				t.Errorf("%s at %s: open PR branch %s: %v, want %s", r.ID, at, br, err, tip)
			}
			openPRs++
		}
		if len(prTip) > 0 && status {
			w, err := repo.Worktree()
			if err != nil {
				t.Fatal(err)
			}
			st, err := w.Status()
			if err != nil {
				t.Fatal(err)
			}
			if !st.IsClean() {
				t.Errorf("%s at %s: worktree not clean with a PR open:\n%s", r.ID, at, st)
			}
		}
	}
	return openPRs
}

func quarter(c bank.PlannedCommit) string {
	if c.When.UTC().Month() >= time.October {
		return "Q4"
	}
	return "Q3"
}

func TestPlanTellsTheStory(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	b := generate(t, 11, dir)
	plan := b.Planned()
	people := map[string]bank.Person{}
	for _, p := range b.People {
		people[p.ID] = p
	}

	perQuarter := map[string]int{}
	last := map[string]time.Time{}
	weekend := 0
	modes := map[bank.SigningMode][]bank.PlannedCommit{}
	prs := map[string]map[int]bool{}    // repo -> PR -> updates changelog
	lastPRCommit := map[string]string{} // repo/branch -> hash
	selfMerges := 0
	for _, c := range plan {
		if c.Kind == bank.KindInitial {
			// The import is history the period inherits: migrated just before it began.
			if !c.When.Before(b.Start) || c.When.Before(b.Start.AddDate(0, 0, -7)) {
				t.Errorf("%s import at %s, want in the week before the period", c.Repo, c.When)
			}
		} else {
			perQuarter[c.Repo+" "+quarter(c)]++
			if c.When.Before(b.Start) || c.When.After(b.End) {
				t.Errorf("%s %q at %s is outside the period", c.Repo, c.Subject, c.When)
			}
		}
		if !c.When.After(last[c.Repo]) {
			t.Errorf("%s %q at %s is not after the previous commit", c.Repo, c.Subject, c.When)
		}
		last[c.Repo] = c.When
		if wd := c.When.Weekday(); wd == time.Saturday || wd == time.Sunday {
			weekend++
		}
		modes[c.Signing] = append(modes[c.Signing], c)
		if c.Committer == "swhitfield" && c.Signing != bank.SigningNone {
			t.Errorf("contractor commit %q is signed (%s)", c.Subject, c.Signing)
		}
		switch c.Kind {
		case bank.KindPRCommit:
			if prs[c.Repo] == nil {
				prs[c.Repo] = map[int]bool{}
			}
			prs[c.Repo][c.PR] = prs[c.Repo][c.PR] || c.Changelog
			lastPRCommit[c.Repo+"/"+c.Branch] = c.Hash
		case bank.KindMerge:
			if c.PR == 0 || !strings.HasPrefix(c.Subject, "Merge pull request #") {
				t.Errorf("merge %q lacks its PR", c.Subject)
			}
			if c.Committer == c.PRAuthor {
				selfMerges++
				if c.Repo != bank.InfraGitops {
					t.Errorf("unexpected self-merge in %s: %q", c.Repo, c.Subject)
				}
			}
			branch := c.Subject[strings.Index(c.Subject, "first-harbor-bank/")+len("first-harbor-bank/"):]
			commit, err := open(t, repoPath(b, c.Repo)).CommitObject(plumbing.NewHash(c.Hash))
			if err != nil {
				t.Fatal(err)
			}
			if len(commit.ParentHashes) != 2 || commit.ParentHashes[1].String() != lastPRCommit[c.Repo+"/"+branch] {
				t.Errorf("merge %q: parents %v, want main and PR tip %s", c.Subject, commit.ParentHashes, lastPRCommit[c.Repo+"/"+branch])
			}
		}
	}
	for _, repo := range []string{bank.CoreLedger, bank.PaymentsAPI, bank.InfraGitops} {
		for _, q := range []string{"Q3", "Q4"} {
			if n := perQuarter[repo+" "+q]; n < 40 || n > 80 {
				t.Errorf("%s %s has %d commits, want 40–80", repo, q, n)
			}
		}
		updated := 0
		for _, u := range prs[repo] {
			if u {
				updated++
			}
		}
		if frac := float64(updated) / float64(len(prs[repo])); frac < 0.5 || frac > 0.95 {
			t.Errorf("%s: %d of %d PRs update CHANGELOG.md; want most but not all", repo, updated, len(prs[repo]))
		}
	}
	if weekend > len(plan)/20 {
		t.Errorf("%d of %d commits on weekends; want weekdays mostly", weekend, len(plan))
	}
	if selfMerges != 1 {
		t.Errorf("%d self-merges, want exactly 1", selfMerges)
	}

	if bad := modes[bank.SigningBad]; len(bad) != 1 || bad[0].Repo != bank.PaymentsAPI || quarter(bad[0]) != "Q4" || !strings.HasPrefix(bad[0].Subject, "hotfix") {
		t.Errorf("want one bad signature on a payments-api Q4 hotfix, got %+v", bad)
	}
	allowed, err := os.ReadFile(b.AllowedSigners)
	if err != nil {
		t.Fatal(err)
	}
	listed := allowedFingerprints(t, string(allowed))
	if unk := modes[bank.SigningSSHUnknownKey]; len(unk) != 1 || listed[unk[0].KeyFingerprint] {
		t.Errorf("want one commit signed by an SSH key missing from allowed_signers, got %+v", unk)
	}
	for _, p := range b.People {
		if p.KeyKind == bank.KeySSH && !listed[p.Fingerprint] {
			t.Errorf("%s's SSH key is missing from allowed_signers", p.ID)
		}
	}
	if len(modes[bank.SigningNone]) == 0 || len(modes[bank.SigningSSH]) == 0 || len(modes[bank.SigningPGP]) == 0 {
		t.Error("plan lacks unsigned, SSH-signed or PGP-signed commits")
	}

	// The expiring PGP key signs validly before its expiry and only after it
	// as expired; the valid-after key is "not yet valid" only before that date.
	for _, c := range plan {
		p := people[c.Committer]
		if c.KeyFingerprint != p.Fingerprint {
			continue // the unregistered laptop key
		}
		switch {
		case !p.KeyExpires.IsZero() && p.KeyExpires.Before(b.End):
			want := bank.SigningPGP
			if !c.When.Before(p.KeyExpires) {
				want = bank.SigningPGPExpiredKey
			}
			if c.Signing != want {
				t.Errorf("%q by %s at %s: %s, want %s", c.Subject, p.ID, c.When, c.Signing, want)
			}
		case !p.ValidAfter.IsZero():
			want := bank.SigningSSH
			if c.When.Before(p.ValidAfter) {
				want = bank.SigningSSHNotYetValid
			}
			if c.Signing != want && c.Signing != bank.SigningBad {
				t.Errorf("%q by %s at %s: %s, want %s", c.Subject, p.ID, c.When, c.Signing, want)
			}
		}
	}
	if len(modes[bank.SigningPGPExpiredKey]) == 0 || len(modes[bank.SigningSSHNotYetValid]) == 0 {
		t.Error("plan lacks expired-key or not-yet-valid commits")
	}
	checkExpiredSignature(t, b, modes[bank.SigningPGPExpiredKey][0], people)
	checkKeyring(t, b)

	// Private keys never touch the disk.
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(data, []byte("PRIVATE KEY")) {
			t.Errorf("%s contains a private key", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestPlanRecordsWhatGitHubNeeds checks what the demo's GitHub world is
// built from: every commit's parents as git stored them, a pull request
// number for every merge and every release-bot commit (unique in each
// repository), and exactly one pull request with a commit by someone other
// than its author (the reviewer who then approves it).
func TestPlanRecordsWhatGitHubNeeds(t *testing.T) {
	t.Parallel()
	b := generate(t, 3, t.TempDir())
	repos := map[string]*git.Repository{}
	for _, r := range b.Repos {
		repos[r.ID] = open(t, r.Path)
	}
	numbers := map[string]map[int]string{} // repo -> PR -> what took the number
	var foreign []bank.PlannedCommit
	for _, c := range b.Planned() {
		obj, err := repos[c.Repo].CommitObject(plumbing.NewHash(c.Hash))
		if err != nil {
			t.Fatalf("%s %q: %v", c.Repo, c.Subject, err)
		}
		var parents []string
		for _, p := range obj.ParentHashes {
			parents = append(parents, p.String())
		}
		if strings.Join(parents, " ") != strings.Join(c.Parents, " ") {
			t.Errorf("%s %q: plan says parents %v, git has %v", c.Repo, c.Subject, c.Parents, parents)
		}
		if obj.Message != c.Message {
			t.Errorf("%s %q: plan says message %q, git has %q", c.Repo, c.Subject, c.Message, obj.Message)
		}
		if numbers[c.Repo] == nil {
			numbers[c.Repo] = map[int]string{}
		}
		switch c.Kind {
		case bank.KindMerge, bank.KindAutomation:
			if c.PR == 0 || c.Kind == bank.KindAutomation && c.PRAuthor != "release-bot" {
				t.Errorf("%s %q (%s) has PR %d by %q", c.Repo, c.Subject, c.Kind, c.PR, c.PRAuthor)
			}
			if prev, ok := numbers[c.Repo][c.PR]; ok {
				t.Errorf("%s #%d taken by both %q and %q", c.Repo, c.PR, prev, c.Subject)
			}
			numbers[c.Repo][c.PR] = c.Subject
		case bank.KindPRCommit:
			if c.Author != c.PRAuthor {
				foreign = append(foreign, c)
			}
		case bank.KindInitial, bank.KindDirect:
			if c.PR != 0 {
				t.Errorf("%s %q (%s) has PR %d", c.Repo, c.Subject, c.Kind, c.PR)
			}
		}
	}
	if len(foreign) != 1 || foreign[0].Repo != bank.PaymentsAPI || quarter(foreign[0]) != "Q4" || !slices.Equal(foreign[0].Files, []string{"CHANGELOG.md"}) {
		t.Errorf("want one reviewer commit (a Q4 payments-api changelog entry), got %+v", foreign)
	}
	for seed := range int64(40) {
		// Planning alone is cheap: every seed must tell the story.
		b, err := bank.New(bank.Options{Seed: seed, Dir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, c := range b.Planned() {
			if c.Kind == bank.KindPRCommit && c.Author != c.PRAuthor {
				n++
			}
		}
		if n != 1 {
			t.Errorf("seed %d plans %d reviewer commits, want 1", seed, n)
		}
	}
}

func repoPath(b *bank.Bank, id string) string {
	for _, r := range b.Repos {
		if r.ID == id {
			return r.Path
		}
	}
	return ""
}

// allowedFingerprints parses allowed_signers lines: principal, options, key.
func allowedFingerprints(t *testing.T, s string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, line := range strings.Split(s, "\n") {
		i := strings.Index(line, "ssh-ed25519 ")
		if strings.HasPrefix(line, "#") || i < 0 {
			continue
		}
		if !strings.Contains(line[:i], `namespaces="git"`) {
			t.Errorf("allowed_signers line without namespaces=\"git\": %s", line)
		}
		k, _, _, _, err := ssh.ParseAuthorizedKey([]byte(line[i:]))
		if err != nil {
			t.Fatalf("allowed_signers: %v", err)
		}
		out[ssh.FingerprintSHA256(k)] = true
	}
	return out
}

// checkExpiredSignature checks that a signature made after the key expired
// carries the commit time and that the key really had expired by then.
func checkExpiredSignature(t *testing.T, b *bank.Bank, c bank.PlannedCommit, people map[string]bank.Person) {
	t.Helper()
	commit, err := open(t, repoPath(b, c.Repo)).CommitObject(plumbing.NewHash(c.Hash))
	if err != nil {
		t.Fatal(err)
	}
	blk, err := armor.Decode(strings.NewReader(commit.PGPSignature))
	if err != nil {
		t.Fatalf("decode signature of %s: %v", c.Hash, err)
	}
	p, err := packet.Read(blk.Body)
	if err != nil {
		t.Fatal(err)
	}
	sig, ok := p.(*packet.Signature)
	if !ok {
		t.Fatalf("signature packet is %T", p)
	}
	if !sig.CreationTime.Equal(c.When) {
		t.Errorf("signature created %s, commit at %s", sig.CreationTime, c.When)
	}
	if exp := people[c.Committer].KeyExpires; !sig.CreationTime.After(exp) {
		t.Errorf("signature at %s is not after key expiry %s", sig.CreationTime, exp)
	}
}

// checkKeyring checks that the trusted keyring holds every OpenPGP key,
// including the expired one.
func checkKeyring(t *testing.T, b *bank.Bank) {
	t.Helper()
	f, err := os.Open(b.PGPKeyring)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ring, err := openpgp.ReadArmoredKeyRing(f)
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, e := range ring {
		have[strings.ToUpper(hex.EncodeToString(e.PrimaryKey.Fingerprint))] = true
	}
	for _, p := range b.People {
		if p.KeyKind == bank.KeyPGP && !have[p.Fingerprint] {
			t.Errorf("keyring lacks %s's key %s", p.ID, p.Fingerprint)
		}
	}
}
