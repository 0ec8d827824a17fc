package pipeline

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/evident-project/evident/generator/collect/all"
	"github.com/evident-project/evident/generator/evidence"
)

const testConfig = `version: 1
organization: {name: Test Bank}
sources:
  git:
    - {id: app, path: app, branch: main}
controls:
  - id: CM-01
    title: Signed commits
    family: change_management
    objective: every change is signed
    risk: unattributable changes
    owner: Head of Engineering
    frequency: continuous
    key: true
    evidence:
      - {id: commits, collector: git.commits}
    assertions:
      - name: all-verified
        expr: size(commits) > 0 && commits.all(r, r.summary.commits > 0 && r.summary.verified == r.summary.commits)
        severity: high
        message: commits on the protected branch are not signed by a trusted key
  - id: AC-01
    title: Quarterly access review
    family: logical_access
    objective: access is reviewed every quarter
    risk: stale access
    owner: CISO
    frequency: quarterly
    key: true
    evidence:
      - {id: reviews, collector: file, params: {paths: ["records/*.md"]}}
      - {id: slow, collector: command, params: {argv: [sh, -c, "sleep 0.2; echo ok"]}}
    assertions:
      - name: review-done
        expr: reviews.files.exists(f, f.front_matter.period == period.id) && slow.exit_code == 0
        severity: high
        message: no completed access review for the period
  - id: CM-03
    title: PR approvals
    family: segregation_of_duties
    objective: two approvals
    risk: unreviewed change
    owner: Head of Engineering
    frequency: per_change
    evidence:
      - {id: pulls, collector: github.pulls}
    assertions:
      - {name: approved, expr: 'pulls.all(p, p.approved)', severity: high, message: unapproved changes}
`

func gitCmd(t testing.TB, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=Ana", "GIT_AUTHOR_EMAIL=ana@example.com", "GIT_COMMITTER_NAME=Ana", "GIT_COMMITTER_EMAIL=ana@example.com",
		"GIT_AUTHOR_DATE=2026-10-05T10:00:00Z", "GIT_COMMITTER_DATE=2026-10-05T10:00:00Z")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// setup writes a config folder with a real git repository and one record.
func setup(t testing.TB) (cfg, evDir string) {
	t.Helper()
	dir := t.TempDir()
	app := filepath.Join(dir, "app")
	os.MkdirAll(app, 0o755)
	gitCmd(t, app, "init", "-q", "-b", "main")
	os.WriteFile(filepath.Join(app, "main.go"), []byte("package main\n"), 0o644)
	gitCmd(t, app, "add", ".")
	gitCmd(t, app, "commit", "-q", "-m", "initial")
	os.MkdirAll(filepath.Join(dir, "records"), 0o755)
	os.WriteFile(filepath.Join(dir, "records", "2026-Q4.md"), []byte("---\nperiod: 2026-Q4\nstatus: completed\n---\n"), 0o644)
	cfg = filepath.Join(dir, "controls.yaml")
	os.WriteFile(cfg, []byte(testConfig), 0o644)
	return cfg, filepath.Join(dir, "evidence")
}

func at(s string) func() time.Time {
	t, _ := time.Parse(time.RFC3339, s)
	return func() time.Time { return t }
}

func TestCollectTwiceChangesOnlyTheManifest(t *testing.T) {
	cfg, ev := setup(t)
	reg := all.Registry()
	for _, now := range []string{"2026-11-01T06:00:00Z", "2026-11-02T06:00:00Z"} {
		if _, err := Collect(context.Background(), CollectOptions{ConfigPath: cfg, EvidenceDir: ev, Registry: reg, Now: at(now)}); err != nil {
			t.Fatal(err)
		}
	}
	if got := gitCmd(t, ev, "diff", "--name-only", "HEAD~1", "HEAD"); got != "manifest.json" {
		t.Errorf("second unchanged run changed %q, want only manifest.json", got)
	}
	if msg := gitCmd(t, ev, "log", "-1", "--format=%s"); msg != "evidence 2026-Q4: no evidence changed" {
		t.Errorf("commit subject %q", msg)
	}
	gitCmd(t, ev, "fsck", "--full", "--strict")
	if st := gitCmd(t, ev, "status", "--porcelain"); st != "" {
		t.Errorf("work tree not in sync with HEAD:\n%s", st)
	}

	// The chain: the second manifest names the first by its sha256.
	store, _ := evidence.Open(ev)
	h, _ := store.Head()
	snaps, err := store.History(h, 0)
	if err != nil || len(snaps) != 2 {
		t.Fatalf("history: %d snapshots, %v", len(snaps), err)
	}
	if snaps[0].Manifest.Previous != evidence.SHA256(snaps[1].ManifestBytes) || snaps[1].Manifest.Previous != "" {
		t.Error("manifest chain broken")
	}
	for _, it := range snaps[0].Manifest.Items {
		b, _ := snaps[0].ReadFile(it.Path)
		if evidence.SHA256(b) != it.SHA256 || int64(len(b)) != it.Size {
			t.Errorf("%s: manifest digest does not match the file", it.Path)
		}
	}

	rep, _, err := CheckAt(ev, "HEAD", reg)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"CM-01": "fail", "AC-01": "pass", "CM-03": "unknown"}
	for _, c := range rep.Controls {
		if string(c.Outcome) != want[c.ID] {
			t.Errorf("%s = %s (%s), want %s", c.ID, c.Outcome, c.Reason, want[c.ID])
		}
	}

	// A change in the world shows as a changed item with what changed.
	app := filepath.Join(filepath.Dir(cfg), "app")
	os.WriteFile(filepath.Join(app, "b.go"), []byte("package main\n"), 0o644)
	gitCmd(t, app, "add", ".")
	gitCmd(t, app, "commit", "-q", "-m", "second")
	if _, err := Collect(context.Background(), CollectOptions{ConfigPath: cfg, EvidenceDir: ev, Registry: reg, Now: at("2026-11-03T06:00:00Z")}); err != nil {
		t.Fatal(err)
	}
	msg := gitCmd(t, ev, "log", "-1", "--format=%B")
	if !strings.Contains(msg, "changed items/git/app/commits/2026-Q4.json (commits 1 → 2)") {
		t.Errorf("commit message does not say what changed:\n%s", msg)
	}
}

func TestFailedRunLeavesRepositoryAsItWas(t *testing.T) {
	cfg, ev := setup(t)
	reg := all.Registry()
	if _, err := Collect(context.Background(), CollectOptions{ConfigPath: cfg, EvidenceDir: ev, Registry: reg, Now: at("2026-11-01T06:00:00Z")}); err != nil {
		t.Fatal(err)
	}
	before := gitCmd(t, ev, "rev-parse", "HEAD")

	// A config error.
	good, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, []byte(strings.Replace(string(good), "title: Signed commits", "titel: Signed commits", 1)), 0o644)
	if _, err := Collect(context.Background(), CollectOptions{ConfigPath: cfg, EvidenceDir: ev, Registry: reg}); err == nil {
		t.Fatal("collect with an invalid config succeeded")
	}
	os.WriteFile(cfg, good, 0o644)

	// A canceled run.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Collect(ctx, CollectOptions{ConfigPath: cfg, EvidenceDir: ev, Registry: reg}); err == nil {
		t.Fatal("canceled collect succeeded")
	}
	if after := gitCmd(t, ev, "rev-parse", "HEAD"); after != before {
		t.Errorf("failed runs moved HEAD %s → %s", before, after)
	}
}

// TestKilledCollectNeverLeavesAHalfCommit kills a real collect process with
// SIGKILL at random points and checks the repository after each kill: git
// fsck passes, HEAD is a complete snapshot, and check still runs on it.
func TestKilledCollectNeverLeavesAHalfCommit(t *testing.T) {
	cfg, ev := setup(t)
	reg := all.Registry()
	if _, err := Collect(context.Background(), CollectOptions{ConfigPath: cfg, EvidenceDir: ev, Registry: reg, Now: at("2026-11-01T06:00:00Z")}); err != nil {
		t.Fatal(err)
	}
	child := func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^TestKillChild$")
		cmd.Env = append(os.Environ(), "EVIDENT_KILL_CHILD=1", "EVIDENT_KILL_CONFIG="+cfg, "EVIDENT_KILL_EVIDENCE="+ev)
		return cmd
	}
	// Time one whole child run, so kills land anywhere in it, the final
	// commit included, whatever the machine's speed.
	start := time.Now()
	if out, err := child().CombinedOutput(); err != nil {
		t.Fatalf("child run: %v\n%s", err, out)
	}
	full := time.Since(start)
	rng := rand.New(rand.NewPCG(1, 2))
	app := filepath.Join(filepath.Dir(cfg), "app")
	killed, completed, moved := 0, 0, 0
	for i := 0; i < 16; i++ {
		// Change the world each time so every run has a real commit to make.
		os.WriteFile(filepath.Join(app, fmt.Sprintf("f%d.go", i)), []byte("package main\n"), 0o644)
		gitCmd(t, app, "add", ".")
		gitCmd(t, app, "commit", "-q", "-m", fmt.Sprintf("change %d", i))
		before := gitCmd(t, ev, "rev-parse", "HEAD")

		cmd := child()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(rng.Int64N(int64(full) * 11 / 10)))
		if err := cmd.Process.Signal(syscall.SIGKILL); err == nil {
			if err := cmd.Wait(); err != nil {
				killed++
			} else {
				completed++
			}
		} else {
			cmd.Wait()
			completed++
		}
		gitCmd(t, ev, "fsck", "--full", "--strict")
		after := gitCmd(t, ev, "rev-parse", "HEAD")
		if after != before {
			moved++
			if parent := gitCmd(t, ev, "rev-parse", "HEAD~1"); parent != before {
				t.Fatalf("run %d: HEAD %s does not descend from %s", i, after, before)
			}
		}
		if _, _, err := CheckAt(ev, "HEAD", reg); err != nil {
			t.Fatalf("run %d: check on HEAD after a kill: %v", i, err)
		}
	}
	t.Logf("one run takes %s; %d runs killed, %d completed, %d moved HEAD", full.Round(time.Millisecond), killed, completed, moved)
	if killed == 0 {
		t.Error("no run was killed mid-way; the test exercised nothing")
	}
}

// TestKillChild is the process TestKilledCollectNeverLeavesAHalfCommit kills.
func TestKillChild(t *testing.T) {
	if os.Getenv("EVIDENT_KILL_CHILD") == "" {
		return
	}
	_, err := Collect(context.Background(), CollectOptions{
		ConfigPath: os.Getenv("EVIDENT_KILL_CONFIG"), EvidenceDir: os.Getenv("EVIDENT_KILL_EVIDENCE"), Registry: all.Registry(),
	})
	if err != nil {
		t.Fatal(err)
	}
}
