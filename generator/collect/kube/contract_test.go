package kube

import (
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/evident-project/evident/generator/collect"
	"github.com/evident-project/evident/generator/collect/collecttest"
)

// failingWorld is world, except for the sources named after a failure:
// "forbidden" refuses to list what, "timeout" times out listing it.
func failingWorld(t *testing.T, what string) func(id string) *fake.Clientset {
	return func(id string) *fake.Clientset {
		cs := newFake(t, world(), nil)
		fail := func(err error) {
			cs.PrependReactor("list", what, func(k8stesting.Action) (bool, runtime.Object, error) { return true, nil, err })
		}
		gr := schema.GroupResource{Resource: what}
		switch id {
		case "forbidden":
			fail(apierrors.NewForbidden(gr, "", nil))
		case "timeout":
			fail(apierrors.NewServerTimeout(gr, "list", 1))
		case "unavailable":
			fail(apierrors.NewServiceUnavailable("etcd is down"))
		}
		return cs
	}
}

var contractChecks = map[string]any{"checks": []any{
	map[string]any{"subject": "serviceaccount:apps:operator", "verb": "get", "resource": "secrets", "namespace": "apps", "expect": true},
	map[string]any{"subject": "serviceaccount:apps:operator", "verb": "delete", "resource": "*", "namespace": "*", "expect": false},
	map[string]any{"subject": "group:developers", "verb": "patch", "resource": "deployments", "namespace": "apps", "expect": false},
}}

func TestContractRBACLive(t *testing.T) {
	open := fakeOpener(failingWorld(t, "clusterroles"))
	collecttest.Run(t, collecttest.Suite{
		New:     func() collect.Collector { return NewRBAC(open) },
		Request: func(t *testing.T) collect.Request { return liveRequest("prod", contractChecks) },
		Failing: func(t *testing.T) map[collect.ErrorKind]collect.Request {
			return map[collect.ErrorKind]collect.Request{
				collect.KindPermission: liveRequest("forbidden", nil),
				collect.KindTransient:  liveRequest("timeout", nil),
				collect.KindInvalid:    liveRequest("prod", map[string]any{"checks": []any{map[string]any{"subject": "bob", "verb": "get", "resource": "pods", "expect": true}}}),
			}
		},
	})
}

func TestContractAdmissionLive(t *testing.T) {
	open := fakeOpener(failingWorld(t, "validatingwebhookconfigurations"))
	collecttest.Run(t, collecttest.Suite{
		New:     func() collect.Collector { return NewAdmission(open) },
		Request: func(t *testing.T) collect.Request { return liveRequest("prod", nil) },
		Failing: func(t *testing.T) map[collect.ErrorKind]collect.Request {
			return map[collect.ErrorKind]collect.Request{
				collect.KindPermission: liveRequest("forbidden", nil),
				collect.KindTransient:  liveRequest("unavailable", nil),
				collect.KindInvalid:    liveRequest("prod", map[string]any{"checks": []any{}}),
			}
		},
	})
}

const contractFolder = `apiVersion: v1
kind: ServiceAccount
metadata: {name: operator, namespace: apps}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: operator}
rules:
- {apiGroups: [""], resources: [secrets], verbs: [get, list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: operator}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: operator}
subjects: [{kind: ServiceAccount, name: operator, namespace: apps}]
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: guard}
webhooks:
- name: guard.example.com
  sideEffects: None
  admissionReviewVersions: [v1]
  clientConfig: {service: {namespace: guard, name: guard}}
`

func TestContractGitOps(t *testing.T) {
	for name, newC := range map[string]func(Opener) collect.Collector{"rbac": NewRBAC, "admission": NewAdmission} {
		t.Run(name, func(t *testing.T) {
			collecttest.Run(t, collecttest.Suite{
				New: func() collect.Collector { return newC(nil) },
				Request: func(t *testing.T) collect.Request {
					params := map[string]any(nil)
					if name == "rbac" {
						params = contractChecks
					}
					return gitopsRequest(writeFiles(t, map[string]string{"deploy/rbac.yaml": contractFolder}), "deploy", params)
				},
				Failing: func(t *testing.T) map[collect.ErrorKind]collect.Request {
					bad := writeFiles(t, map[string]string{"deploy/rbac.yaml": "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: x}\nrulez: []\n"})
					return map[collect.ErrorKind]collect.Request{
						collect.KindInvalid:  gitopsRequest(bad, "deploy", nil),
						collect.KindNotFound: gitopsRequest(t.TempDir(), "no-such-folder", nil),
					}
				},
			})
		})
	}
}
