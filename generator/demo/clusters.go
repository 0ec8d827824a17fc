package demo

import "github.com/evident-project/evident"

// bankCluster is the kubernetes source id of the bank's production cluster,
// read in GitOps mode from the manifests folder its Flux controllers apply.
const (
	bankCluster         = "payments-prod"
	bankClusterManifest = "clusters/payments-prod"
)

// clusterFiles is the bank's GitOps folder for payments-prod, each file with
// the day it was merged. It holds the stories the Kubernetes controls must
// catch: the Bindy controller's ClusterRole lets it delete DNS zones and
// records it must never delete (AC-02), a monitoring agent can read every
// secret in the cluster (K8-02), one workload namespace only warns on Pod
// Security and one admission policy only audits (K8-03), and from 9 October
// an on-call engineer's "temporary" cluster-admin binding that nobody
// removed (K8-01). Flux alone writes production workloads (K8-04) and
// evident's own footprint is the shipped deploy/k8s/rbac.yaml (K8-05).
func clusterFiles() []record {
	var rs []record
	add := func(written, name, body string) {
		rs = append(rs, record{day(written), bankClusterManifest + "/" + name, body})
	}
	add("2026-07-01", "namespaces.yaml", `apiVersion: v1
kind: Namespace
metadata:
  name: payments-prod
  labels:
    pod-security.kubernetes.io/enforce: restricted
    pod-security.kubernetes.io/enforce-version: latest
---
apiVersion: v1
kind: Namespace
metadata:
  name: dns-system
  labels:
    pod-security.kubernetes.io/enforce: baseline
---
apiVersion: v1
kind: Namespace
metadata:
  name: flux-system
  labels:
    pod-security.kubernetes.io/enforce: baseline
---
# The monitoring stack needs host access the restricted profile refuses;
# the namespace was set to warn "until the exporters are fixed".
apiVersion: v1
kind: Namespace
metadata:
  name: monitoring
  labels:
    pod-security.kubernetes.io/warn: restricted
    pod-security.kubernetes.io/audit: restricted
`)
	add("2026-07-01", "flux.yaml", `apiVersion: v1
kind: ServiceAccount
metadata:
  name: kustomize-controller
  namespace: flux-system
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: helm-controller
  namespace: flux-system
---
# Flux's own install binds its reconcilers to cluster-admin.
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: cluster-reconciler-flux-system
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: cluster-admin
subjects:
  - kind: ServiceAccount
    name: kustomize-controller
    namespace: flux-system
  - kind: ServiceAccount
    name: helm-controller
    namespace: flux-system
`)
	add("2026-07-01", "bindy-crds.yaml", bindyCRDs())
	add("2026-07-01", "bindy.yaml", `apiVersion: v1
kind: ServiceAccount
metadata:
  name: bindy-controller
  namespace: dns-system
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: bindy-controller
rules:
  - apiGroups: [bindy.firestoned.io]
    resources: [dnszones, arecords, aaaarecords, cnamerecords, txtrecords, clusterbind9providers]
    verbs: [get, list, watch, update, patch]
  - apiGroups: [bindy.firestoned.io]
    resources: [bind9instances, bind9clusters]
    verbs: [get, list, watch, create, update, patch, delete]
  - apiGroups: [bindy.firestoned.io]
    resources: ["*/status", "*/finalizers"]
    verbs: [get, update, patch]
  # Added in a hurry to clean up stuck finalizers; it lets the controller
  # delete every Bindy resource, user-owned zones and records included.
  - apiGroups: [bindy.firestoned.io]
    resources: ["*"]
    verbs: [delete]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: bindy-controller
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: bindy-controller
subjects:
  - kind: ServiceAccount
    name: bindy-controller
    namespace: dns-system
---
# RNDC keys: created and deleted, never updated (the immutable pattern).
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: bindy-rndc-keys
  namespace: dns-system
rules:
  - apiGroups: [""]
    resources: [secrets]
    verbs: [get, list, watch, create, delete]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: bindy-rndc-keys
  namespace: dns-system
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: bindy-rndc-keys
subjects:
  - kind: ServiceAccount
    name: bindy-controller
`)
	add("2026-07-01", "people.yaml", `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: platform-breakglass
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: cluster-admin
subjects:
  - kind: Group
    name: platform-breakglass
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: platform-engineers-view
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: view
subjects:
  - kind: Group
    name: platform-engineers
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: developers-view
  namespace: payments-prod
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: view
subjects:
  - kind: Group
    name: developers
`)
	add("2026-07-01", "monitoring.yaml", `apiVersion: v1
kind: ServiceAccount
metadata:
  name: metrics-agent
  namespace: monitoring
---
# The vendor chart's default: it scrapes TLS material from secrets, so it
# may read every secret in every namespace.
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: metrics-agent
rules:
  - apiGroups: [""]
    resources: [nodes, nodes/metrics, services, endpoints, pods, secrets]
    verbs: [get, list, watch]
  - nonResourceURLs: [/metrics]
    verbs: [get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: metrics-agent
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: metrics-agent
subjects:
  - kind: ServiceAccount
    name: metrics-agent
    namespace: monitoring
`)
	add("2026-07-01", "admission.yaml", `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata:
  name: require-image-digest
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules:
      - apiGroups: [apps]
        apiVersions: [v1]
        operations: [CREATE, UPDATE]
        resources: [deployments]
  validations:
    - expression: "object.spec.template.spec.containers.all(c, c.image.contains('@sha256:'))"
      message: images must be pinned by digest
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata:
  name: require-image-digest
spec:
  policyName: require-image-digest
  validationActions: [Deny]
  matchResources:
    namespaceSelector:
      matchLabels:
        kubernetes.io/metadata.name: payments-prod
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata:
  name: disallow-host-path
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules:
      - apiGroups: [""]
        apiVersions: [v1]
        operations: [CREATE, UPDATE]
        resources: [pods]
  validations:
    - expression: "!has(object.spec.volumes) || object.spec.volumes.all(v, !has(v.hostPath))"
      message: hostPath volumes are not allowed
---
# Rolled out in audit mode in July; never switched to Deny.
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata:
  name: disallow-host-path
spec:
  policyName: disallow-host-path
  validationActions: [Warn, Audit]
`)
	add("2026-07-01", "evident.yaml", string(evident.CollectorRBAC))
	add("2026-10-09", "oncall-dokafor.yaml", `# INC-2291: temporary access for the ledger outage on 9 October.
# TODO(dokafor): remove after the post-incident review.
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: oncall-dokafor
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: cluster-admin
subjects:
  - kind: User
    name: daniel.okafor@firstharbor.bank
`)
	return rs
}

// bindyCRDs are the Bindy operator's CustomResourceDefinitions (trimmed to
// what authorization depends on), so the least-privilege checks can name
// its resources and a misspelt one is an error, not a vacuous "may not".
func bindyCRDs() string {
	var out string
	for i, c := range []struct{ plural, kind, scope string }{
		{"dnszones", "DNSZone", "Namespaced"},
		{"arecords", "ARecord", "Namespaced"},
		{"aaaarecords", "AAAARecord", "Namespaced"},
		{"cnamerecords", "CNAMERecord", "Namespaced"},
		{"txtrecords", "TXTRecord", "Namespaced"},
		{"bind9instances", "Bind9Instance", "Namespaced"},
		{"bind9clusters", "Bind9Cluster", "Namespaced"},
		{"clusterbind9providers", "ClusterBind9Provider", "Cluster"},
	} {
		if i > 0 {
			out += "---\n"
		}
		out += "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: " + c.plural + ".bindy.firestoned.io\n" +
			"spec:\n  group: bindy.firestoned.io\n  scope: " + c.scope + "\n  names:\n    plural: " + c.plural + "\n    kind: " + c.kind + "\n" +
			"  versions:\n    - name: v1beta1\n      served: true\n      storage: true\n      schema:\n        openAPIV3Schema:\n          type: object\n          x-kubernetes-preserve-unknown-fields: true\n"
	}
	return out
}
