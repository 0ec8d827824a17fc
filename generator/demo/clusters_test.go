package demo

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/evident-project/evident/generator/check"
	"github.com/evident-project/evident/generator/collect"
	"github.com/evident-project/evident/generator/collect/all"
	"github.com/evident-project/evident/generator/pipeline"
	"github.com/evident-project/evident/internal/kubetest"
)

// checkKubernetesStories checks that the bank's GitOps cluster folder gives
// every Kubernetes control a real outcome, and that each finding the folder
// was written to hold is found, named, and only from the day it was merged.
func checkKubernetesStories(t *testing.T, res *Result, head *check.Report, reg *collect.Registry) {
	t.Helper()
	// 2026-09-16: before the on-call cluster-admin binding of 9 October.
	before, _, err := pipeline.CheckAt(res.EvidenceDir, "HEAD~4", reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"AC-02", "K8-01", "K8-02", "K8-03", "K8-04", "K8-05"} {
		for _, ev := range control(t, head, id).Evidence {
			if !ev.Usable {
				t.Errorf("%s evidence %s is unusable: %s", id, ev.ID, ev.Reason)
			}
		}
	}
	contains := func(fs []string, parts ...string) bool {
		return slices.ContainsFunc(fs, func(f string) bool {
			for _, p := range parts {
				if !strings.Contains(f, p) {
					return false
				}
			}
			return true
		})
	}
	// The Bindy controller may delete user zones and records; its secret
	// access matches the immutable-key design.
	ac02 := failures(t, head, "AC-02", "checks-match-design")
	for _, r := range []string{"dnszones", "arecords", "clusterbind9providers"} {
		if !contains(ac02, "bindy-controller may delete "+r, `ClusterRoleBinding "bindy-controller"`) {
			t.Errorf("AC-02 failures %q do not name the delete on %s and its binding", ac02, r)
		}
	}
	if contains(ac02, "secrets") {
		t.Errorf("AC-02 failures %q name secret access, which matches the design", ac02)
	}
	// The on-call engineer's cluster-admin shows from the first run after it was merged.
	if a := assertion(t, before, "K8-01", "cluster-admin-limited"); a.Outcome != check.Pass {
		t.Errorf("K8-01 before 9 October = %s %q, want pass (Flux and break-glass are approved)", a.Outcome, a.Failures)
	}
	if k := failures(t, head, "K8-01", "cluster-admin-limited"); len(k) != 1 || !contains(k, "user:daniel.okafor@firstharbor.bank", "oncall-dokafor") {
		t.Errorf("K8-01 failures = %q, want only the on-call engineer's binding", k)
	}
	if a := assertion(t, before, "K8-02", "no-escalation-or-exec"); a.Outcome != check.Pass {
		t.Errorf("K8-02 no-escalation-or-exec before 9 October = %s %q, want pass", a.Outcome, a.Failures)
	}
	readers := failures(t, before, "K8-02", "secret-readers-approved")
	if len(readers) != 1 || !contains(readers, "serviceaccount:monitoring:metrics-agent", "cluster-wide") {
		t.Errorf("K8-02 unapproved secret readers before 9 October = %q, want only the monitoring agent", readers)
	}
	if readers := failures(t, head, "K8-02", "secret-readers-approved"); !contains(readers, "user:daniel.okafor@firstharbor.bank") {
		t.Errorf("K8-02 unapproved secret readers = %q, want the on-call engineer too", readers)
	}
	if k := failures(t, head, "K8-03", "policies-enforced"); len(k) != 1 || !contains(k, "disallow-host-path") {
		t.Errorf("K8-03 policies-enforced failures = %q, want the audit-only disallow-host-path", k)
	}
	if k := failures(t, head, "K8-03", "namespaces-enforce-pod-security"); len(k) != 1 || !contains(k, "monitoring (warn/audit only)") {
		t.Errorf("K8-03 namespace failures = %q, want the warn-only monitoring namespace", k)
	}
	for _, id := range []string{"K8-04", "K8-05"} {
		if c := control(t, head, id); c.Outcome != check.Pass {
			t.Errorf("%s = %s (%s), want pass", id, c.Outcome, c.Reason)
		}
	}
}

// TestDemoWithLiveCluster builds the demo with --kubeconfig pointing at a
// real kube-apiserver: the Kubernetes controls then read the live cluster
// beside the bank's GitOps folder, and its evidence is complete and read
// by the cluster itself (SubjectAccessReview), not by the offline evaluator.
func TestDemoWithLiveCluster(t *testing.T) {
	c := kubetest.Start(t)
	reg := all.Registry()
	res, err := Build(t.Context(), Options{
		Out: filepath.Join(t.TempDir(), "demo"), Seed: 7, Registry: reg,
		Kubeconfig: c.Kubeconfig(t), KubeContext: kubetest.ContextName,
	})
	if err != nil {
		t.Fatal(err)
	}
	rep, snap, err := pipeline.CheckAt(res.EvidenceDir, "HEAD", reg)
	if err != nil {
		t.Fatal(err)
	}
	var live int
	for _, it := range snap.Manifest.Items {
		if it.Collector != "kube.rbac" || !strings.Contains(it.Path, "/live/") || it.Period != snap.Manifest.Period.ID {
			continue
		}
		live++
		item, err := snap.Item(it.Path)
		if err != nil {
			t.Fatal(err)
		}
		if item.Provenance.Source["mode"] != "live" {
			t.Errorf("%s: source=%v, want a live read", it.Path, item.Provenance.Source)
		}
		// Only AC-02's checks may go unanswered: they name the Bindy
		// resources, which the fresh cluster does not serve.
		raw, err := json.Marshal(item.Data)
		if err != nil {
			t.Fatal(err)
		}
		unservedBindy := strings.Contains(string(raw), "group bindy.firestoned.io serves no resource")
		if !item.Provenance.Complete && !unservedBindy {
			t.Errorf("%s: incomplete live read: %v", it.Path, item.Provenance.Notes)
		}
		if it.Path != "items/kube/live/rbac/2026-Q4.json" && !slices.ContainsFunc(item.Provenance.Reads, func(r collect.Read) bool {
			return strings.Contains(r.Target, "subjectaccessreviews")
		}) {
			t.Errorf("%s: checks were not asked of the cluster: reads %v", it.Path, item.Provenance.Reads)
		}
	}
	if live == 0 {
		t.Fatal("no kube.rbac evidence of the live cluster")
	}
	// The fresh cluster has no evident service account, so the collector's
	// own least-privilege checks fail there, naming the live cluster.
	if k := failures(t, rep, "K8-05", "collector-least-privilege"); !slices.ContainsFunc(k, func(f string) bool {
		return strings.HasPrefix(f, "live: serviceaccount:evident:evident-collector may not list clusterrolebindings")
	}) {
		t.Errorf("K8-05 failures = %q, want the live cluster's missing collector access", k)
	}
}
