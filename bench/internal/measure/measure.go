// Package measure times benchmark commands as separate processes (wall
// time, CPU time, peak RSS) and formats the figures, so every script under
// bench/ measures and prints alike.
package measure

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"time"
)

// TimeBin is GNU time, which reports a command's peak RSS.
const TimeBin = "/usr/bin/time"

// Sample is one run of a command.
type Sample struct {
	Wall, CPU time.Duration
	MaxRSS    int64 // bytes
}

// Run runs args once in dir under GNU time for its peak RSS: the largest
// single process among it and the children it waited for, not their sum.
// Not wait4's rusage of our own child: Go starts children with vfork, and
// Linux counts the parent's RSS at the fork (the benchmark's, tens of MiB
// or more) into the child's high-water mark. CPU time (user+sys,
// waited-for children included) does come from wait4, for its microsecond
// resolution, and wall time from our clock.
func Run(dir string, env, args []string) (s Sample, stdout, stderr string, err error) {
	f, err := os.CreateTemp("", "bench-time")
	if err != nil {
		return Sample{}, "", "", err
	}
	f.Close()
	defer os.Remove(f.Name())
	c := exec.Command(TimeBin, append([]string{"-f", "%M", "-o", f.Name()}, args...)...)
	c.Dir, c.Env = dir, env
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	start := time.Now()
	err = c.Run()
	wall := time.Since(start)
	if err != nil {
		return Sample{}, out.String(), errb.String(), fmt.Errorf("%s: %v\n%s", strings.Join(args, " "), err, Tail(errb.String()))
	}
	tb, err := os.ReadFile(f.Name())
	if err != nil {
		return Sample{}, "", "", err
	}
	lines := strings.Split(strings.TrimSpace(string(tb)), "\n")
	kb, err := strconv.ParseInt(lines[len(lines)-1], 10, 64)
	if err != nil {
		return Sample{}, "", "", fmt.Errorf("%s: peak RSS from %s: %q", args[0], TimeBin, tb)
	}
	return Sample{Wall: wall, CPU: c.ProcessState.UserTime() + c.ProcessState.SystemTime(), MaxRSS: kb << 10},
		out.String(), errb.String(), nil
}

// Median is the median of each figure on its own.
func Median(samples []Sample) Sample {
	pick := func(f func(Sample) int64) int64 {
		v := make([]int64, len(samples))
		for i, s := range samples {
			v[i] = f(s)
		}
		sort.Slice(v, func(i, j int) bool { return v[i] < v[j] })
		return v[len(v)/2]
	}
	return Sample{
		Wall:   time.Duration(pick(func(m Sample) int64 { return int64(m.Wall) })),
		CPU:    time.Duration(pick(func(m Sample) int64 { return int64(m.CPU) })),
		MaxRSS: pick(func(m Sample) int64 { return m.MaxRSS }),
	}
}

// Command runs name in dir and returns its standard output; the error
// carries the end of its standard error.
func Command(dir string, env []string, name string, args ...string) (string, error) {
	c := exec.Command(name, args...)
	c.Dir, c.Env = dir, env
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	if err := c.Run(); err != nil {
		return "", fmt.Errorf("%s %s: %v\n%s", name, strings.Join(args, " "), err, Tail(errb.String()))
	}
	return out.String(), nil
}

// Tail is the last 4,000 bytes of s.
func Tail(s string) string {
	if len(s) > 4000 {
		return "…" + s[len(s)-4000:]
	}
	return s
}

// LoadAvg is the 1-minute load average, or "unknown".
func LoadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) > 0 {
		return f[0]
	}
	return "unknown"
}

// ToolVersions is the first line of each command's version output, for
// the tools a benchmark compares with; a command that fails is left out.
func ToolVersions(cmds ...[]string) string {
	var v []string
	for _, c := range cmds {
		out, err := exec.Command(c[0], c[1:]...).CombinedOutput()
		if err != nil {
			continue
		}
		line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
		v = append(v, line)
	}
	return strings.Join(v, "; ")
}

// Dur rounds to the millisecond, or to a tenth of a second from 10 s.
func Dur(d time.Duration) string {
	if d >= 10*time.Second {
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Millisecond).String()
}

// MiB formats bytes in MiB.
func MiB(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// KiB formats bytes in KiB.
func KiB(b int64) string { return fmt.Sprintf("%.1f KiB", float64(b)/(1<<10)) }

// Thousands writes n with comma separators.
func Thousands(n int) string {
	s := strconv.Itoa(n)
	if n < 0 {
		return "-" + Thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
