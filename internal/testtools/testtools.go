// Package testtools finds the upstream CLIs that interop tests run against,
// so every package looks for them the same way.
package testtools

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// EnvCosign names a cosign binary to use instead of the one `make tools` builds.
const EnvCosign = "EVIDENT_COSIGN"

// Cosign returns the path of the cosign CLI: $EVIDENT_COSIGN, else
// <module root>/.tools/bin/cosign (what `make tools` builds), else cosign on
// PATH. A missing cosign skips the test under -short and fails it otherwise,
// so a full run never passes without having run the interop tests.
func Cosign(t testing.TB) string {
	t.Helper()
	p, err := find("cosign", EnvCosign)
	if err == nil {
		return p
	}
	msg := fmt.Sprintf("cosign CLI not found: run `make tools` (%v)", err)
	if testing.Short() {
		t.Skip(msg)
	}
	t.Fatal(msg)
	return ""
}

// find looks for a tool by environment variable, in <module root>/.tools/bin
// and on PATH, in that order.
func find(name, env string) (string, error) {
	if p := os.Getenv(env); p != "" {
		if err := Executable(p); err != nil {
			return "", fmt.Errorf("%s=%s: %w", env, p, err)
		}
		return filepath.Abs(p)
	}
	var tried []string
	if root, err := ModuleRoot(); err == nil {
		p := filepath.Join(root, ".tools", "bin", name)
		if Executable(p) == nil {
			return p, nil
		}
		tried = append(tried, p)
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	tried = append(tried, "$PATH")
	return "", fmt.Errorf("not in %s or %v", env, tried)
}

// Executable reports why p is not an executable file, or nil.
func Executable(p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	if fi.IsDir() || fi.Mode().Perm()&0o111 == 0 {
		return errors.New("not an executable file")
	}
	return nil
}

// ModuleRoot is the nearest directory above the working directory (a test
// runs in its package's directory) that holds go.mod.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// EnvChromium names a Chromium binary to use instead of Debian's.
const EnvChromium = "EVIDENT_CHROMIUM"

// Chromium returns the path of the Chromium the browser tests drive:
// $EVIDENT_CHROMIUM, else chromium on PATH (Debian's package, which
// `make browser-deps` installs). Missing, it skips under -short and fails
// otherwise, like Cosign.
func Chromium(t testing.TB) string {
	t.Helper()
	p, err := find("chromium", EnvChromium)
	if err == nil {
		return p
	}
	msg := fmt.Sprintf("chromium not found: run `make browser-deps` (%v)", err)
	if testing.Short() {
		t.Skip(msg)
	}
	t.Fatal(msg)
	return ""
}

// AxeScript returns axe-core's axe.min.js as `make browser-deps` installs it
// from internal/browsertest/package-lock.json; missing, it skips under
// -short and fails otherwise.
func AxeScript(t testing.TB) []byte {
	t.Helper()
	root, err := ModuleRoot()
	if err == nil {
		var b []byte
		if b, err = os.ReadFile(filepath.Join(root, "internal", "browsertest", "node_modules", "axe-core", "axe.min.js")); err == nil {
			return b
		}
	}
	msg := fmt.Sprintf("axe-core not installed: run `make browser-deps` (%v)", err)
	if testing.Short() {
		t.Skip(msg)
	}
	t.Fatal(msg)
	return nil
}
