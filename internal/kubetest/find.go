package kubetest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evident-project/evident/internal/testtools"
)

// KubeVersion is the Kubernetes release `make kube` builds and the tests
// expect by default.
const KubeVersion = "v1.37.2"

// EnvKubeAPIServer names a kube-apiserver binary to use instead of the one
// `make kube` builds.
const EnvKubeAPIServer = "EVIDENT_KUBE_APISERVER"

// EnvEtcd names an etcd binary to use instead of the one on PATH.
const EnvEtcd = "EVIDENT_ETCD"

// binaries are the two programs a cluster runs.
type binaries struct {
	apiserver, etcd string
}

// findBinaries returns the kube-apiserver and etcd to run. Like
// internal/testtools, a missing one skips the test under -short and fails it
// otherwise, so a full run never passes without having run against the real
// server.
func findBinaries(t testing.TB) binaries {
	t.Helper()
	var b binaries
	var missing []string
	p, err := findAPIServer()
	if err != nil {
		missing = append(missing, fmt.Sprintf("kube-apiserver not found: run `make kube` (%v)", err))
	}
	b.apiserver = p
	p, err = findEtcd()
	if err != nil {
		missing = append(missing, fmt.Sprintf("etcd not found: run `make deps`, which installs the etcd-server package (%v)", err))
	}
	b.etcd = p
	if len(missing) == 0 {
		return b
	}
	msg := strings.Join(missing, "; ")
	if testing.Short() {
		t.Skip(msg)
	}
	t.Fatal(msg)
	return b
}

// findAPIServer looks in $EVIDENT_KUBE_APISERVER, then where `make kube`
// puts the binary. It never looks on PATH: a kube-apiserver found there is
// of an unknown version, and the built-in defaults are pinned to one.
func findAPIServer() (string, error) {
	if p := os.Getenv(EnvKubeAPIServer); p != "" {
		return fromEnv(EnvKubeAPIServer, p)
	}
	root, err := testtools.ModuleRoot()
	if err != nil {
		return "", err
	}
	p := filepath.Join(root, ".tools", "kube", KubeVersion, "kube-apiserver")
	if err := testtools.Executable(p); err != nil {
		return "", fmt.Errorf("not in $%s or %s", EnvKubeAPIServer, p)
	}
	return p, nil
}

// findEtcd looks in $EVIDENT_ETCD, then on PATH (the etcd-server package
// installs /usr/bin/etcd).
func findEtcd() (string, error) {
	if p := os.Getenv(EnvEtcd); p != "" {
		return fromEnv(EnvEtcd, p)
	}
	p, err := exec.LookPath("etcd")
	if err != nil {
		return "", fmt.Errorf("not in $%s or $PATH", EnvEtcd)
	}
	return p, nil
}

func fromEnv(env, p string) (string, error) {
	if err := testtools.Executable(p); err != nil {
		return "", fmt.Errorf("%s=%s: %w", env, p, err)
	}
	return filepath.Abs(p)
}
