package kubetest

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDecodeDocsSkipsEmptyDocumentsAndExpandsLists(t *testing.T) {
	docs := `# only a comment
---
apiVersion: v1
kind: ConfigMap
metadata: {name: a, namespace: x}
---
---
{"apiVersion": "v1", "kind": "List", "items": [
  {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "b"}},
  {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "c"}}]}
`
	got, err := decodeDocs([]byte(docs))
	if err != nil {
		t.Fatal(err)
	}
	var desc []string
	for _, d := range got {
		desc = append(desc, d.where+": "+describe(d.obj))
	}
	// The leading comment is not a document of its own, as in YAML; the
	// empty one between the two markers is.
	want := []string{"document 1: ConfigMap x/a", "document 3 item 1: Secret b", "document 3 item 2: ClusterRole c"}
	if strings.Join(desc, "\n") != strings.Join(want, "\n") {
		t.Errorf("decoded\n%s\nwant\n%s", strings.Join(desc, "\n"), strings.Join(want, "\n"))
	}
}

func TestSplitDocs(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"a: 1\n", []string{"a: 1\n"}},
		{"---\na: 1\n---\nb: 2\n", []string{"a: 1\n", "b: 2\n"}},
		{"# head\n\n--- # first\na: 1\n---\n---\n", []string{"a: 1\n", "", ""}},
		{"a: 1\n--- {b: 2}\n----\n", []string{"a: 1\n", "{b: 2}\n----\n"}},
		{"a: 1\r\n---\r\nb: 2\r\n", []string{"a: 1\r\n", "b: 2\r\n"}},
	} {
		var got []string
		for _, d := range splitDocs([]byte(tc.in)) {
			got = append(got, string(d))
		}
		if strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("splitDocs(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestDecodeDocsNamesTheBadDocument(t *testing.T) {
	for _, tc := range []struct{ docs, want string }{
		{"kind: ConfigMap\n---\na: [unclosed\n", "apply: parse document 2:"},
		{"apiVersion: v1\nkind: ConfigMap\n---\nmetadata: {name: x}\n", "apply: decode document 2:"},
	} {
		_, err := decodeDocs([]byte(tc.docs))
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("decodeDocs(%q) error %v, want prefix %q", tc.docs, err, tc.want)
		}
	}
}

func TestFindBinariesHonoursTheEnvironment(t *testing.T) {
	dir := t.TempDir()
	exe := filepath.Join(dir, "kube-apiserver")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	notExe := filepath.Join(dir, "etcd")
	if err := os.WriteFile(notExe, nil, 0o644); err != nil {
		t.Fatal(err)
	}

	t.Setenv(EnvKubeAPIServer, exe)
	if p, err := findAPIServer(); err != nil || p != exe {
		t.Errorf("findAPIServer() = %q, %v; want %q", p, err, exe)
	}
	t.Setenv(EnvEtcd, notExe)
	if _, err := findEtcd(); err == nil || !strings.Contains(err.Error(), EnvEtcd+"="+notExe) {
		t.Errorf("findEtcd() with a non-executable error %v, want one naming %s", err, EnvEtcd)
	}
	t.Setenv(EnvKubeAPIServer, filepath.Join(dir, "missing"))
	if _, err := findAPIServer(); err == nil {
		t.Error("findAPIServer() with a missing file: no error")
	}
}

func TestEtcdEnvDropsConflictingVariables(t *testing.T) {
	t.Setenv("ETCD_NAME", "other")
	for _, kv := range etcdEnv() {
		if strings.HasPrefix(kv, "ETCD_NAME=") {
			t.Errorf("etcdEnv keeps %s, which etcd would refuse alongside --name", kv)
		}
	}
}

func TestStartRetriesWhenAPortIsTaken(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	taken := l.Addr().(*net.TCPAddr).Port
	calls := 0
	pickPorts = func(n int) ([]int, error) {
		calls++
		ports, err := freePorts(n)
		if calls == 1 && err == nil {
			ports[0] = taken // etcd's client port
		}
		return ports, err
	}
	defer func() { pickPorts = freePorts }()

	c := Start(t)
	if calls != 2 {
		t.Errorf("picked ports %d times, want 2 (one lost race, one start)", calls)
	}
	if !strings.Contains(c.etcd.log, "attempt2") {
		t.Errorf("etcd log %s, want it in the second attempt's directory", c.etcd.log)
	}
}
