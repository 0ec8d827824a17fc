package testtools

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// recorder stands in for *testing.T to observe Skip and Fatal.
type recorder struct {
	testing.TB
	skipped, fatal string
}

func (r *recorder) Helper() {}
func (r *recorder) Skip(args ...any) {
	r.skipped = fmt.Sprint(args...)
	runtime.Goexit()
}
func (r *recorder) Fatal(args ...any) {
	r.fatal = fmt.Sprint(args...)
	runtime.Goexit()
}

func callCosign(tb testing.TB) (path string) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		path = Cosign(tb)
	}()
	<-done
	return path
}

func writeExecutable(t *testing.T, dir, name string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCosignFromEnv(t *testing.T) {
	want := writeExecutable(t, t.TempDir(), "my-cosign")
	t.Setenv(EnvCosign, want)
	r := &recorder{TB: t}
	if got := callCosign(r); got != want || r.fatal != "" || r.skipped != "" {
		t.Fatalf("Cosign = %q (fatal %q, skipped %q), want %q", got, r.fatal, r.skipped, want)
	}
}

func TestCosignMissing(t *testing.T) {
	t.Setenv(EnvCosign, filepath.Join(t.TempDir(), "absent"))
	r := &recorder{TB: t}
	callCosign(r)
	got := r.fatal
	if testing.Short() {
		got = r.skipped
	}
	if !strings.Contains(got, "cosign CLI not found: run `make tools`") || !strings.Contains(got, "absent") {
		t.Fatalf("short=%v: fatal %q, skipped %q; want the make tools hint naming the bad path", testing.Short(), r.fatal, r.skipped)
	}
}

func TestFindOnPath(t *testing.T) {
	dir := t.TempDir()
	want := writeExecutable(t, dir, "evident-fake-tool")
	if err := os.WriteFile(filepath.Join(dir, "not-executable"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	got, err := find("evident-fake-tool", "EVIDENT_FAKE_TOOL_UNSET")
	if err != nil || got != want {
		t.Fatalf("find = %q, %v; want %q", got, err, want)
	}
	if _, err := find("not-executable", "EVIDENT_FAKE_TOOL_UNSET"); err == nil {
		t.Fatal("find accepted a file without the executable bit")
	}
}

func TestModuleRoot(t *testing.T) {
	root, err := ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil || !strings.Contains(string(data), "module github.com/evident-project/evident") {
		t.Fatalf("moduleRoot = %s, go.mod: %v", root, err)
	}
}
