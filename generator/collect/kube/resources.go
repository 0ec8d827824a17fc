package kube

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/evident-project/evident/generator/rbac"
)

// builtinResource is one resource a Kubernetes v1.37 kube-apiserver serves
// out of the box (GA and default-on beta APIs), with its subresources.
type builtinResource struct {
	group, resource string
	namespaced      bool
	subresources    []string
}

// builtinResources is what `kubectl api-resources` lists for a fresh
// v1.37 cluster. Checks name resources the way kubectl does; a bare name is
// looked up here (and among the inventory's custom resources), so a typo is
// an error instead of a check that is silently never allowed.
var builtinResources = []builtinResource{
	// core
	{"", "bindings", true, nil},
	{"", "componentstatuses", false, nil},
	{"", "configmaps", true, nil},
	{"", "endpoints", true, nil},
	{"", "events", true, nil},
	{"", "limitranges", true, nil},
	{"", "namespaces", false, []string{"finalize", "status"}},
	{"", "nodes", false, []string{"proxy", "status"}},
	{"", "persistentvolumeclaims", true, []string{"status"}},
	{"", "persistentvolumes", false, []string{"status"}},
	{"", "pods", true, []string{"attach", "binding", "ephemeralcontainers", "eviction", "exec", "log", "portforward", "proxy", "resize", "status"}},
	{"", "podtemplates", true, nil},
	{"", "replicationcontrollers", true, []string{"scale", "status"}},
	{"", "resourcequotas", true, []string{"status"}},
	{"", "secrets", true, nil},
	{"", "serviceaccounts", true, []string{"token"}},
	{"", "services", true, []string{"proxy", "status"}},
	// admissionregistration.k8s.io
	{"admissionregistration.k8s.io", "mutatingadmissionpolicies", false, []string{"status"}},
	{"admissionregistration.k8s.io", "mutatingadmissionpolicybindings", false, nil},
	{"admissionregistration.k8s.io", "mutatingwebhookconfigurations", false, nil},
	{"admissionregistration.k8s.io", "validatingadmissionpolicies", false, []string{"status"}},
	{"admissionregistration.k8s.io", "validatingadmissionpolicybindings", false, nil},
	{"admissionregistration.k8s.io", "validatingwebhookconfigurations", false, nil},
	// apiextensions.k8s.io, apiregistration.k8s.io
	{"apiextensions.k8s.io", "customresourcedefinitions", false, []string{"status"}},
	{"apiregistration.k8s.io", "apiservices", false, []string{"status"}},
	// apps
	{"apps", "controllerrevisions", true, nil},
	{"apps", "daemonsets", true, []string{"status"}},
	{"apps", "deployments", true, []string{"scale", "status"}},
	{"apps", "replicasets", true, []string{"scale", "status"}},
	{"apps", "statefulsets", true, []string{"scale", "status"}},
	// authentication.k8s.io, authorization.k8s.io
	{"authentication.k8s.io", "selfsubjectreviews", false, nil},
	{"authentication.k8s.io", "tokenreviews", false, nil},
	{"authorization.k8s.io", "localsubjectaccessreviews", true, nil},
	{"authorization.k8s.io", "selfsubjectaccessreviews", false, nil},
	{"authorization.k8s.io", "selfsubjectrulesreviews", false, nil},
	{"authorization.k8s.io", "subjectaccessreviews", false, nil},
	// autoscaling, batch
	{"autoscaling", "horizontalpodautoscalers", true, []string{"status"}},
	{"batch", "cronjobs", true, []string{"status"}},
	{"batch", "jobs", true, []string{"status"}},
	// certificates.k8s.io, coordination.k8s.io
	{"certificates.k8s.io", "certificatesigningrequests", false, []string{"approval", "status"}},
	{"certificates.k8s.io", "clustertrustbundles", false, nil},
	{"certificates.k8s.io", "podcertificaterequests", true, []string{"status"}},
	{"coordination.k8s.io", "leasecandidates", true, nil},
	{"coordination.k8s.io", "leases", true, nil},
	// discovery.k8s.io, events.k8s.io, flowcontrol.apiserver.k8s.io
	{"discovery.k8s.io", "endpointslices", true, nil},
	{"events.k8s.io", "events", true, nil},
	{"flowcontrol.apiserver.k8s.io", "flowschemas", false, []string{"status"}},
	{"flowcontrol.apiserver.k8s.io", "prioritylevelconfigurations", false, []string{"status"}},
	// networking.k8s.io, node.k8s.io, policy
	{"networking.k8s.io", "ingressclasses", false, nil},
	{"networking.k8s.io", "ingresses", true, []string{"status"}},
	{"networking.k8s.io", "ipaddresses", false, nil},
	{"networking.k8s.io", "networkpolicies", true, nil},
	{"networking.k8s.io", "servicecidrs", false, []string{"status"}},
	{"node.k8s.io", "runtimeclasses", false, nil},
	{"policy", "poddisruptionbudgets", true, []string{"status"}},
	// rbac.authorization.k8s.io
	{"rbac.authorization.k8s.io", "clusterrolebindings", false, nil},
	{"rbac.authorization.k8s.io", "clusterroles", false, nil},
	{"rbac.authorization.k8s.io", "rolebindings", true, nil},
	{"rbac.authorization.k8s.io", "roles", true, nil},
	// resource.k8s.io, scheduling.k8s.io
	{"resource.k8s.io", "deviceclasses", false, nil},
	{"resource.k8s.io", "resourceclaims", true, []string{"status"}},
	{"resource.k8s.io", "resourceclaimtemplates", true, nil},
	{"resource.k8s.io", "resourceslices", false, nil},
	{"scheduling.k8s.io", "priorityclasses", false, nil},
	// storage.k8s.io
	{"storage.k8s.io", "csidrivers", false, nil},
	{"storage.k8s.io", "csinodes", false, nil},
	{"storage.k8s.io", "csistoragecapacities", true, nil},
	{"storage.k8s.io", "storageclasses", false, nil},
	{"storage.k8s.io", "volumeattachments", false, []string{"status"}},
	{"storage.k8s.io", "volumeattributesclasses", false, nil},
	// storagemigration.k8s.io (served by default since v1.35)
	{"storagemigration.k8s.io", "storageversionmigrations", false, []string{"status"}},
}

// builtinGroups are the API groups of builtinResources: a resource
// discovery reports in one of them is Kubernetes' own, not a custom one.
var builtinGroups = func() map[string]bool {
	m := map[string]bool{}
	for _, r := range builtinResources {
		m[r.group] = true
	}
	return m
}()

// target is what a check's resource names, resolved.
type target struct {
	// Path is set for a non-resource URL ("/metrics").
	Path string
	// Any is resource "*": every resource of every group.
	Any         bool
	Group       string
	Resource    string
	Subresource string
	// Namespaced is false for cluster-scoped resources.
	Namespaced bool
}

// String is the resource as kubectl spells it: "pods/exec",
// "deployments.apps", "*".
func (t target) String() string {
	switch {
	case t.Path != "":
		return t.Path
	case t.Any:
		return "*"
	}
	s := t.Resource
	if t.Group != "" {
		s += "." + t.Group
	}
	if t.Subresource != "" {
		s += "/" + t.Subresource
	}
	return s
}

// resolveResource reads a check's resource: "*", a non-resource URL
// ("/healthz"), "<resource>[.<group>][/<subresource>]". A bare resource is
// looked up among the built-in resources and the custom resources of the
// inventory; the core group wins a tie, as kubectl's resource mapper
// prefers it, and any other tie is an error. Unknown names are errors too:
// a check that can never be allowed because of a typo must not read as a
// pass.
func resolveResource(s string, custom []rbac.APIResource) (target, error) {
	switch {
	case s == "*":
		return target{Any: true, Namespaced: true}, nil
	case strings.HasPrefix(s, "/"):
		return target{Path: s}, nil
	case s == "" || strings.ContainsAny(s, " \t*"):
		return target{}, fmt.Errorf("resource %q: want \"*\", a non-resource URL, or <resource>[.<group>][/<subresource>]", s)
	}
	name, sub, _ := strings.Cut(s, "/")
	if strings.Contains(sub, "/") || (strings.Contains(s, "/") && sub == "") {
		return target{}, fmt.Errorf("resource %q: want <resource>[.<group>][/<subresource>]", s)
	}
	res, group, qualified := strings.Cut(name, ".")
	if qualified && (res == "" || group == "") {
		return target{}, fmt.Errorf("resource %q: want <resource>.<group>", s)
	}

	type candidate struct {
		t    target
		subs []string // nil: any subresource (custom resources)
		open bool
	}
	var cands []candidate
	for _, b := range builtinResources {
		if b.resource == res && (!qualified || b.group == group) {
			cands = append(cands, candidate{t: target{Group: b.group, Resource: b.resource, Namespaced: b.namespaced}, subs: b.subresources})
		}
	}
	for _, c := range custom {
		if c.Resource == res && (!qualified || c.Group == group) && !(qualified && builtinGroups[group]) {
			cands = append(cands, candidate{t: target{Group: c.Group, Resource: c.Resource, Namespaced: c.Namespaced}, open: true})
		}
	}
	if len(cands) == 0 {
		if qualified {
			return target{}, fmt.Errorf("resource %q: group %s serves no resource %s in Kubernetes v1.37 or in a CustomResourceDefinition of the inventory", s, group, res)
		}
		return target{}, fmt.Errorf("resource %q: no built-in resource of Kubernetes v1.37 or CustomResourceDefinition of the inventory has that name (name resources by their plural, as kubectl api-resources lists them)", s)
	}
	if len(cands) > 1 && !qualified {
		// kubectl's RESTMapper prefers the core group for a bare name.
		var core []candidate
		for _, c := range cands {
			if c.t.Group == "" {
				core = append(core, c)
			}
		}
		if len(core) == 1 {
			cands = core
		}
	}
	if len(cands) > 1 {
		var names []string
		for _, c := range cands {
			names = append(names, c.t.String())
		}
		sort.Strings(names)
		return target{}, fmt.Errorf("resource %q is ambiguous: name one of %s", s, strings.Join(names, ", "))
	}
	c := cands[0]
	if sub != "" {
		if !c.open && !slices.Contains(c.subs, sub) {
			return target{}, fmt.Errorf("resource %q: %s has no subresource %s", s, c.t.String(), sub)
		}
		c.t.Subresource = sub
	}
	return c.t, nil
}
