package kube

import (
	"context"
	"strings"
	"testing"

	"github.com/evident-project/evident/generator/catalog"
	"github.com/evident-project/evident/generator/collect"
)

const kubeconfig = `apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: dev
  cluster: {server: "https://dev.example.com:6443"}
- name: prod
  cluster: {server: "https://prod.example.com"}
contexts:
- name: dev
  context: {cluster: dev, user: u}
- name: prod
  context: {cluster: prod, user: u}
users:
- name: u
  user: {token: secret-token-value}
`

func TestOpenCluster(t *testing.T) {
	base := writeFiles(t, map[string]string{"conf/kubeconfig": kubeconfig})
	t.Setenv("HOME", base)
	t.Setenv("KUBECONFIG", "")
	for _, tc := range []struct {
		src  catalog.KubernetesSource
		host string
	}{
		{catalog.KubernetesSource{ID: "a", Kubeconfig: "conf/kubeconfig"}, "dev.example.com:6443"},
		{catalog.KubernetesSource{ID: "b", Kubeconfig: "conf/kubeconfig", Context: "prod"}, "prod.example.com"},
		{catalog.KubernetesSource{ID: "c", Kubeconfig: "~/conf/kubeconfig", Context: "prod"}, "prod.example.com"},
	} {
		cs, err := OpenCluster(context.Background(), &tc.src, base)
		if err != nil {
			t.Fatalf("%+v: %v", tc.src, err)
		}
		if got := serverOf(cs); got != tc.host {
			t.Errorf("%+v: server %q, want %q", tc.src, got, tc.host)
		}
	}
	for _, tc := range []struct {
		src  catalog.KubernetesSource
		kind collect.ErrorKind
		want string
	}{
		{catalog.KubernetesSource{Kubeconfig: "conf/missing"}, collect.KindNotFound, "conf/missing"},
		{catalog.KubernetesSource{Kubeconfig: "conf/kubeconfig", Context: "staging"}, collect.KindInvalid, "context staging"},
	} {
		_, err := OpenCluster(context.Background(), &tc.src, base)
		if k := collect.KindOf(err); k != tc.kind || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), base) {
			t.Errorf("%+v: %v (%s), want %s naming %q", tc.src, err, k, tc.kind, tc.want)
		}
	}
}

func TestLiveProvenanceNamesServerNotCredentials(t *testing.T) {
	base := writeFiles(t, map[string]string{"kubeconfig": kubeconfig})
	src := &catalog.KubernetesSource{ID: "prod", Kubeconfig: "kubeconfig", Context: "prod"}
	s, err := begin(context.Background(), rbacDef, collect.Request{Source: src, BaseDir: base})
	if err != nil {
		t.Fatal(err)
	}
	// Opening does not connect; the first list fails on the unreachable
	// host, after the source is recorded.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _ = s.load(ctx, OpenCluster, What{RBAC: true})
	if s.source["server"] != "prod.example.com" || s.source["context"] != "prod" {
		t.Errorf("source %v", s.source)
	}
	for k, v := range s.source {
		if strings.Contains(v, "secret-token") || strings.Contains(v, base) {
			t.Errorf("source %s = %q leaks a credential or local path", k, v)
		}
	}
}
