package kube

import (
	"strings"
	"testing"

	"github.com/evident-project/evident/generator/rbac"
)

func TestResolveResource(t *testing.T) {
	custom := []rbac.APIResource{
		{Group: "cert-manager.io", Resource: "certificates", Kind: "Certificate", Namespaced: true},
		{Group: "a.example.com", Resource: "widgets", Kind: "Widget", Namespaced: true},
		{Group: "b.example.com", Resource: "widgets", Kind: "Widget"},
		{Group: "example.com", Resource: "events", Kind: "Event", Namespaced: true},
	}
	for in, want := range map[string]string{
		"secrets":                      "secrets",
		"pods/exec":                    "pods/exec",
		"deployments":                  "deployments.apps",
		"deployments.apps":             "deployments.apps",
		"deployments.apps/scale":       "deployments.apps/scale",
		"certificatesigningrequests":   "certificatesigningrequests.certificates.k8s.io",
		"certificates":                 "certificates.cert-manager.io",
		"certificates.cert-manager.io": "certificates.cert-manager.io",
		"certificates/status":          "certificates.cert-manager.io/status",
		"events":                       "events", // core wins, as with kubectl
		"events.events.k8s.io":         "events.events.k8s.io",
		"widgets.b.example.com":        "widgets.b.example.com",
		"*":                            "*",
		"/metrics":                     "/metrics",
	} {
		got, err := resolveResource(in, custom)
		if err != nil || got.String() != want {
			t.Errorf("resolve %q = %q, %v; want %q", in, got.String(), err, want)
		}
	}
	for in, want := range map[string]string{
		"widgets":                 "ambiguous: name one of widgets.a.example.com, widgets.b.example.com",
		"deployment":              "no built-in resource",
		"deployments.extensions":  "group extensions serves no resource deployments",
		"pods.apps":               "group apps serves no resource pods",
		"pods/shell":              "has no subresource shell",
		"secrets.cert-manager.io": "serves no resource secrets",
		"pods//exec":              "want <resource>",
		"deploy ments":            "want",
		".apps":                   "want <resource>.<group>",
	} {
		_, err := resolveResource(in, custom)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("resolve %q: %v, want an error saying %q", in, err, want)
		}
	}
	if got, _ := resolveResource("nodes", nil); got.Namespaced {
		t.Error("nodes resolved as namespaced")
	}
	// A CRD cannot take over a built-in group's name.
	if _, err := resolveResource("widgets.apps", []rbac.APIResource{{Group: "apps", Resource: "widgets"}}); err == nil {
		t.Error("a custom resource in a built-in group resolved")
	}
}
