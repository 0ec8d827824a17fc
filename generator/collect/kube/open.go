package kube

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/evident-project/evident/generator/catalog"
	"github.com/evident-project/evident/generator/collect"
)

// Opener builds the client of a live cluster source. It is the collectors'
// one boundary with the Kubernetes API, so tests hand them a fake
// clientset and integration tests a real kube-apiserver's.
type Opener func(ctx context.Context, src *catalog.KubernetesSource, baseDir string) (kubernetes.Interface, error)

// requestTimeout bounds each API request, so a stalled connection fails
// the collection (transiently, to be retried) instead of hanging the run.
const requestTimeout = 60 * time.Second

// OpenCluster is the default Opener: the source's kubeconfig (with "~"
// expanded, relative to baseDir) and context; with neither set, the
// in-cluster service account when running in a pod, else $KUBECONFIG or
// ~/.kube/config as kubectl loads them. Errors are *collect.Error.
func OpenCluster(ctx context.Context, src *catalog.KubernetesSource, baseDir string) (kubernetes.Interface, error) {
	cfg, err := restConfig(src, baseDir)
	if err != nil {
		return nil, err
	}
	cfg = rest.CopyConfig(cfg)
	cfg.UserAgent = "evident"
	cfg.Timeout = requestTimeout
	// The defaults (5 QPS) would make a few dozen SubjectAccessReviews
	// crawl; the reads are few and light.
	cfg.QPS, cfg.Burst = 20, 40
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, collect.Errorf(collect.KindInvalid, "build client", err)
	}
	return cs, nil
}

func restConfig(src *catalog.KubernetesSource, baseDir string) (*rest.Config, error) {
	if src.Kubeconfig == "" && src.Context == "" {
		cfg, err := rest.InClusterConfig()
		if err == nil {
			return cfg, nil
		}
		if !errors.Is(err, rest.ErrNotInCluster) {
			return nil, collect.Errorf(collect.KindInvalid, "load in-cluster config", err)
		}
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if src.Kubeconfig != "" {
		p, err := expandPath(src.Kubeconfig, baseDir)
		if err != nil {
			return nil, collect.Errorf(collect.KindInvalid, "resolve kubeconfig "+src.Kubeconfig, err)
		}
		if _, err := os.Stat(p); err != nil {
			kind := collect.KindInvalid
			if errors.Is(err, fs.ErrNotExist) {
				kind = collect.KindNotFound
			}
			return nil, collect.Errorf(kind, "read kubeconfig", declared(err, src.Kubeconfig))
		}
		rules.ExplicitPath = p
	}
	overrides := &clientcmd.ConfigOverrides{CurrentContext: src.Context}
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides).ClientConfig()
	if err != nil {
		what := "load kubeconfig"
		if src.Context != "" {
			what = fmt.Sprintf("load kubeconfig context %s", src.Context)
		}
		return nil, collect.Errorf(collect.KindInvalid, what, err)
	}
	return cfg, nil
}

// expandPath expands a leading "~/" to the home directory and makes a
// relative path relative to baseDir, the config file's folder.
func expandPath(p, baseDir string) (string, error) {
	if p == "~" || strings.HasPrefix(p, "~/") {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", err
		}
		return filepath.Join(home, strings.TrimPrefix(p, "~")), nil
	}
	if filepath.IsAbs(p) {
		return p, nil
	}
	return filepath.Join(baseDir, p), nil
}

// serverOf is the API server's host:port, for provenance: never a path,
// token or credential.
func serverOf(cs kubernetes.Interface) string {
	d := cs.Discovery()
	if d == nil {
		return ""
	}
	rc, ok := d.RESTClient().(*rest.RESTClient)
	if !ok || rc == nil || rc.Get() == nil {
		return ""
	}
	return rc.Get().URL().Host
}
