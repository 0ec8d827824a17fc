// Command rbac benchmarks evident's RBAC evaluator on the synthetic cluster
// of rbactest.Bench (2,000 roles, 10,000 bindings, 5,000 subjects) and
// rewrites the "RBAC evaluation" section of bench/RESULTS.md. In one run it
//
//   - runs `go test -run '^$' -bench PrivilegedPopulation -benchmem -count N
//     ./generator/rbac/`: New+Subjects+Privileged in-process, beside the
//     baseline of upstream's resolver scanning every binding per subject;
//   - writes the same cluster as a stored inventory (JSON), builds
//     bench/rbac/eval and runs it -runs times under GNU time (-v) for the
//     peak RSS and times of one full evaluation as a process: decode,
//     aggregate, index, derive, write the evidence JSON.
//
// There is no offline tool to compare with: `kubectl auth can-i --list`
// (SelfSubjectRulesReview) needs a live API server and answers for one
// subject and one namespace per call, so the baseline is upstream's own
// algorithm, in-process.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	resultsfile "github.com/evident-project/evident/bench/internal/results"
	"github.com/evident-project/evident/generator/rbac"
	"github.com/evident-project/evident/generator/rbac/rbactest"
)

const (
	timeBin = "/usr/bin/time"
	heading = "## RBAC evaluation ("
	seed    = 1 // the benchmark's seed, see generator/rbac/bench_test.go
)

func main() {
	count := flag.Int("count", 5, "go test -count for the in-process benchmark")
	runs := flag.Int("runs", 3, "timed runs of the evaluation process; the median is reported")
	results := flag.String("results", "bench/RESULTS.md", "results file whose \"RBAC evaluation\" section is rewritten; empty to skip")
	flag.Parse()
	log.SetFlags(0)
	if err := run(*count, *runs, *results); err != nil {
		log.Fatal("bench rbac: ", err)
	}
}

func run(count, runs int, results string) error {
	if count < 1 || runs < 1 {
		return errors.New("-count and -runs must be at least 1")
	}
	for _, tool := range []string{"go", timeBin} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%s is required: %w", tool, err)
		}
	}
	dir, err := os.MkdirTemp("", "bench-rbac")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	// The stored inventory: as a collector writes it, not yet aggregated
	// (eval aggregates, as for manifests).
	inv := rbactest.Synthetic(seed, rbactest.Bench)
	invPath := filepath.Join(dir, "inventory.json")
	data, err := json.MarshalIndent(inv, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(invPath, append(data, '\n'), 0o644); err != nil {
		return err
	}
	shape := describe(inv)
	log.Printf("inventory: %s, %s of JSON", shape, mib(int64(len(data))+1))

	bin := filepath.Join(dir, "rbac-eval")
	if out, err := exec.Command("go", "build", "-trimpath", "-o", bin, "./bench/rbac/eval").CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./bench/rbac/eval: %v\n%s", err, out)
	}

	load := []string{loadAvg()}
	benchArgs := []string{"test", "-run", "^$", "-bench", "PrivilegedPopulation", "-benchmem", "-count", strconv.Itoa(count), "./generator/rbac/"}
	log.Printf("go %s", strings.Join(benchArgs, " "))
	var benchOut bytes.Buffer
	c := exec.Command("go", benchArgs...)
	// Shown as it comes, so a long run shows progress, and kept to parse.
	c.Stdout, c.Stderr = io.MultiWriter(&benchOut, os.Stderr), os.Stderr
	if err := c.Run(); err != nil {
		return fmt.Errorf("go test -bench: %w", err)
	}
	benches, err := parseBench(benchOut.String())
	if err != nil {
		return err
	}

	var samples []measure
	var derived map[string]int64
	for i := range runs + 1 { // one untimed run first warms the page cache
		outDir := filepath.Join(dir, fmt.Sprintf("out%d", i))
		if err := os.Mkdir(outDir, 0o755); err != nil {
			return err
		}
		m, kv, err := timeEval(bin, invPath, outDir)
		if err != nil {
			return err
		}
		log.Printf("  eval run %d/%d: %s wall, %s cpu, %s peak RSS", i, runs, m.wall, m.cpu, mib(m.maxRSS))
		if i > 0 {
			samples = append(samples, m)
		}
		derived = kv
		os.RemoveAll(outDir)
	}
	load = append(load, loadAvg())

	section := report(count, runs, shape, int64(len(data))+1, benches, median(samples), samples, derived, load)
	fmt.Print(section)
	if results != "" {
		if err := resultsfile.Write(results, heading, section); err != nil {
			return fmt.Errorf("write %s: %w", results, err)
		}
		log.Printf("wrote %s", results)
	}
	return nil
}

// shape is what the generated cluster holds.
type shape struct {
	clusterRoles, aggregated, roles, crbs, rbs, serviceAccounts, namespaces, rules int
}

func describe(inv *rbac.Inventory) shape {
	s := shape{clusterRoles: len(inv.ClusterRoles), roles: len(inv.Roles), crbs: len(inv.ClusterRoleBindings), rbs: len(inv.RoleBindings),
		serviceAccounts: len(inv.ServiceAccounts), namespaces: len(inv.Namespaces)}
	for _, r := range inv.ClusterRoles {
		if len(r.Aggregation) > 0 {
			s.aggregated++
		}
		s.rules += len(r.Rules)
	}
	for _, r := range inv.Roles {
		s.rules += len(r.Rules)
	}
	return s
}

// String says it in a sentence for the results.
func (s shape) String() string {
	return fmt.Sprintf("%d ClusterRoles (%d aggregated) + %d Roles with %d rules before aggregation, %d ClusterRoleBindings + %d RoleBindings, %d service accounts in %d namespaces",
		s.clusterRoles, s.aggregated, s.roles, s.rules, s.crbs, s.rbs, s.serviceAccounts, s.namespaces)
}

// benchResult is one sub-benchmark over -count runs.
type benchResult struct {
	name               string
	nsPerOp            []float64
	bytesPerOp, allocs float64
	metrics            map[string]float64
}

var benchLine = regexp.MustCompile(`^BenchmarkPrivilegedPopulation/(\S+?)(-\d+)?\s+\d+\s+(.*)$`)

func parseBench(out string) ([]*benchResult, error) {
	byName := map[string]*benchResult{}
	var order []string
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		m := benchLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		r := byName[m[1]]
		if r == nil {
			r = &benchResult{name: m[1], metrics: map[string]float64{}}
			byName[m[1]] = r
			order = append(order, m[1])
		}
		f := strings.Fields(m[3])
		for i := 0; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return nil, fmt.Errorf("benchmark line %q: %w", sc.Text(), err)
			}
			switch f[i+1] {
			case "ns/op":
				r.nsPerOp = append(r.nsPerOp, v)
			case "B/op":
				r.bytesPerOp = v
			case "allocs/op":
				r.allocs = v
			default:
				r.metrics[f[i+1]] = v
			}
		}
	}
	if len(order) == 0 {
		return nil, errors.New("no BenchmarkPrivilegedPopulation results in the go test output")
	}
	out2 := make([]*benchResult, len(order))
	for i, n := range order {
		out2[i] = byName[n]
	}
	return out2, nil
}

type measure struct {
	wall, cpu, user, sys time.Duration
	maxRSS               int64 // bytes
}

var (
	rssLine  = regexp.MustCompile(`Maximum resident set size \(kbytes\): (\d+)`)
	userLine = regexp.MustCompile(`User time \(seconds\): ([\d.]+)`)
	sysLine  = regexp.MustCompile(`System time \(seconds\): ([\d.]+)`)
)

// timeEval runs the evaluation once under `/usr/bin/time -v`. Peak RSS
// comes from GNU time, not from our own wait4: Go starts children with
// vfork, and Linux would count this process's RSS at the fork into the
// child's high-water mark.
func timeEval(bin, inv, outDir string) (measure, map[string]int64, error) {
	c := exec.Command(timeBin, "-v", bin, "-inventory", inv, "-out", outDir)
	var stdout, stderr bytes.Buffer
	c.Stdout, c.Stderr = &stdout, &stderr
	start := time.Now()
	if err := c.Run(); err != nil {
		return measure{}, nil, fmt.Errorf("%s: %v\n%s", bin, err, stderr.String())
	}
	wall := time.Since(start)
	var m measure
	m.wall = wall
	tv := stderr.String()
	rss := rssLine.FindStringSubmatch(tv)
	u, s := userLine.FindStringSubmatch(tv), sysLine.FindStringSubmatch(tv)
	if rss == nil || u == nil || s == nil {
		return measure{}, nil, fmt.Errorf("%s -v printed no resource usage:\n%s", timeBin, tv)
	}
	kb, _ := strconv.ParseInt(rss[1], 10, 64)
	m.maxRSS = kb << 10
	m.user, m.sys = seconds(u[1]), seconds(s[1])
	m.cpu = m.user + m.sys
	kv := map[string]int64{}
	for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		if k, v, ok := strings.Cut(line, " "); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return measure{}, nil, fmt.Errorf("eval output %q: %w", line, err)
			}
			kv[k] = n
		}
	}
	return m, kv, nil
}

func seconds(s string) time.Duration {
	f, _ := strconv.ParseFloat(s, 64)
	return time.Duration(f * float64(time.Second))
}

func median(ms []measure) measure {
	pick := func(f func(measure) int64) int64 {
		v := make([]int64, len(ms))
		for i, m := range ms {
			v[i] = f(m)
		}
		sort.Slice(v, func(i, j int) bool { return v[i] < v[j] })
		return v[len(v)/2]
	}
	return measure{
		wall:   time.Duration(pick(func(m measure) int64 { return int64(m.wall) })),
		cpu:    time.Duration(pick(func(m measure) int64 { return int64(m.cpu) })),
		maxRSS: pick(func(m measure) int64 { return m.maxRSS }),
	}
}

func report(count, runs int, s shape, invBytes int64, benches []*benchResult, m measure, samples []measure, kv map[string]int64, load []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s2,000 roles, 10,000 bindings, 5,000 subjects)\n\n", heading)
	fmt.Fprintf(&b, "Command: `bash bench/rbac.sh` (runs `go run ./bench/rbac -count %d -runs %d`, which runs `go test -run '^$' -bench PrivilegedPopulation -benchmem -count %d ./generator/rbac/` and `%s -v` on `bench/rbac/eval`); "+
		"recorded %s on %s/%s, nproc %d, %s. The machine was shared with other work (1-minute load average %s before, %s after), which stretches wall times.\n\n",
		count, runs, count, timeBin, time.Now().UTC().Format("2006-01-02"), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(), load[0], load[len(load)-1])
	fmt.Fprintf(&b, "The cluster: `rbactest.Synthetic(%d, rbactest.Bench)`, %s; a fifth of the bindings are cluster-wide, each binding names 1–3 subjects "+
		"(2,500 service accounts, 2,000 users, 500 groups, plus system:masters, system:authenticated, system:serviceaccounts and per-namespace service-account groups), "+
		"rules mix specific grants, subresources, `*/status`, group and resource wildcards, resourceNames and non-resource URLs, "+
		"and admin/edit/view and expression-selected roles aggregate the labelled ClusterRoles. Stored as evidence JSON it is %s.\n\n", seed, s, mib(invBytes))

	b.WriteString("In-process, per operation (median of the -count runs; min–max in brackets):\n\n")
	b.WriteString("| benchmark | time/op | B/op | allocs/op | derived |\n|---|---:|---:|---:|---|\n")
	var ev, up *benchResult
	for _, r := range benches {
		switch r.name {
		case "evaluator":
			ev = r
		case "upstream-scan":
			up = r
		}
		med, lo, hi := stats(r.nsPerOp)
		var extra []string
		for _, k := range []string{"subjects", "permissions", "holders"} {
			if v, ok := r.metrics[k]; ok {
				extra = append(extra, fmt.Sprintf("%s %s", commas(int64(v)), k))
			}
		}
		name := map[string]string{
			"evaluator":     "`New` + `Subjects` + `Privileged`",
			"upstream-scan": "baseline: upstream `VisitRulesFor` scan of every binding, once per subject (rules only)",
		}[r.name]
		fmt.Fprintf(&b, "| %s | %s (%s–%s) | %s | %s | %s |\n", cmpOr(name, r.name), ms(med), ms(lo), ms(hi), mib(int64(r.bytesPerOp)), commas(int64(r.allocs)), strings.Join(extra, ", "))
	}
	if ev != nil && up != nil {
		e, _, _ := stats(ev.nsPerOp)
		u, _, _ := stats(up.nsPerOp)
		fmt.Fprintf(&b, "\nThe evaluator derives every subject's permissions and the ten privileged categories in 1/%.0f of the time the baseline takes merely to collect the same %s rules: "+
			"it indexes bindings by subject name once, merges each subject's own bindings with its groups' (built once per distinct group set, so every service account of a namespace shares one), "+
			"and classifies each role's rules once however many bindings grant it, where upstream's resolver tests every binding's every subject for each subject.\n",
			u/e, commas(int64(ev.metrics["permissions"])))
	}

	fmt.Fprintf(&b, "\nOne full evaluation as a process (`bench/rbac/eval`: decode the inventory JSON, `Aggregate`, `New`, `Subjects`, `Privileged`, write both as indented evidence JSON), median of %d runs after one untimed run:\n\n", runs)
	b.WriteString("| wall | CPU user+sys | peak RSS |\n|---:|---:|---:|\n")
	fmt.Fprintf(&b, "| %s | %s | %s |\n\n", ms(float64(m.wall)), ms(float64(m.cpu)), mib(m.maxRSS))
	var rss []string
	for _, s := range samples {
		rss = append(rss, mib(s.maxRSS))
	}
	us := func(k string) string { return ms(float64(kv[k]) * 1e3) }
	fmt.Fprintf(&b, "Peak RSS of each run: %s. Its phases in the last run (wall): reading and decoding the inventory %s, `Aggregate` %s, `New`+`Subjects`+`Privileged`+`Problems` %s, "+
		"encoding and writing the evidence %s. It derived %s subjects with %s permissions, %s privileged holdings (%s cluster admins, %s secret readers) and %s problems "+
		"(bindings the generator left pointing at deleted roles); the evidence it wrote is %s of subjects.json and %s of privileged.json.\n",
		strings.Join(rss, ", "), us("decode_us"), us("aggregate_us"), us("evaluate_us"), us("encode_us"),
		commas(kv["subjects"]), commas(kv["permissions"]), commas(kv["holders"]), commas(kv["cluster_admin"]), commas(kv["secret_readers"]),
		commas(kv["problems"]), mib(kv["subjects_bytes"]), mib(kv["privileged_bytes"]))
	b.WriteString("\nThere is no offline tool to compare with: `kubectl auth can-i --list` (a SelfSubjectRulesReview) needs a live API server, answers for the caller only (or one impersonated subject) and one namespace per call, " +
		"so covering this cluster would take 5,000 × 101 calls; the baseline above is the API server's own algorithm run in-process instead.\n")
	return b.String()
}

func stats(v []float64) (med, lo, hi float64) {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[len(s)/2], s[0], s[len(s)-1]
}

func ms(ns float64) string {
	d := time.Duration(ns)
	if d >= 10*time.Second {
		return fmt.Sprintf("%.1f s", d.Seconds())
	}
	if d >= time.Second {
		return fmt.Sprintf("%.2f s", d.Seconds())
	}
	return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond))
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

func commas(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// loadAvg is the 1-minute load average, or "unknown".
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) > 0 {
		return f[0]
	}
	return "unknown"
}
