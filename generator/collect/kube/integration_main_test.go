package kube_test

import (
	"os"
	"testing"

	"github.com/evident-project/evident/internal/kubetest"
)

// TestMain stops the cluster kubetest.StartShared starts for the
// integration tests: a cluster shared between tests outlives each of them.
// A test binary has one TestMain, so this is the package's only one.
func TestMain(m *testing.M) { os.Exit(kubetest.Main(m)) }
