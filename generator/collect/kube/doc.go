// Package kube collects Kubernetes RBAC and admission evidence: kube.rbac
// (the RBAC inventory, every subject's effective access, the privileged
// population and declared access checks) and kube.admission (admission
// policies, webhooks and namespace Pod Security labels).
//
// A source is either a live cluster, read through typed client-go clients
// only (never secrets), or a GitOps folder of manifests, read over the
// built-in defaults of a fresh kube-apiserver. Both are normalised through
// one Objects value, so a cluster and the folder it was applied from give
// byte-identical data; what differs between the modes is in provenance.
package kube

import "github.com/evident-project/evident/generator/collect"

// Collectors returns the kube collectors of this build, opening live
// clusters with OpenCluster.
func Collectors() []collect.Collector {
	return []collect.Collector{NewRBAC(nil), NewAdmission(nil)}
}
