// Package builtin holds the objects every Kubernetes cluster has before
// anyone applies a manifest: the RBAC bootstrap policy and the system
// namespaces. GitOps mode, which reads manifests instead of a cluster,
// assumes them, because manifests bind to cluster-admin, view, edit and the
// like without defining them.
package builtin

import (
	_ "embed"
	"slices"
)

// KubernetesVersion is the kube-apiserver release the defaults were dumped
// from.
const KubernetesVersion = "v1.37.2"

// defaults is dumped from a real kube-apiserver; see the file's header for
// how to regenerate it.
//
//go:embed kube-v1.37.yaml
var defaults []byte

// Defaults is a multi-document YAML stream of the ClusterRoles,
// ClusterRoleBindings, Roles, RoleBindings and Namespaces a fresh
// kube-apiserver of KubernetesVersion holds, each reduced to what
// authorization depends on. Each call returns a new copy.
func Defaults() []byte { return slices.Clone(defaults) }
