package kube

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"sort"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/kubernetes"

	"github.com/evident-project/evident/generator/collect"
	"github.com/evident-project/evident/generator/rbac"
)

// pageSize is the list page size: large enough that most clusters answer
// in one page, small enough to keep each response bounded.
const pageSize = 500

// What selects the objects ReadCluster reads.
type What struct {
	// RBAC is roles, bindings, service accounts, namespaces and the
	// custom resources discovery lists.
	RBAC bool
	// Admission is webhook configurations, admission policies and their
	// bindings, and namespaces.
	Admission bool
}

// ReadCluster lists the objects what selects from a live cluster through
// typed clients only (never secrets), page by page, recording each list
// as a read. Errors are *ReadError, naming the list that failed.
func ReadCluster(ctx context.Context, cs kubernetes.Interface, what What) (*Objects, []collect.Read, []string, error) {
	lr := &liveReader{cs: cs}
	o := &Objects{}
	if err := lr.read(ctx, o, what); err != nil {
		return nil, lr.reads, nil, err
	}
	sort.Strings(lr.notes)
	return o, lr.reads, lr.notes, nil
}

// ReadError is a failed read of a live cluster.
type ReadError struct {
	// Step names the read: "list clusterroles".
	Step string
	Err  error
}

func (e *ReadError) Error() string { return e.Step + ": " + e.Err.Error() }

func (e *ReadError) Unwrap() error { return e.Err }

type liveReader struct {
	cs    kubernetes.Interface
	reads []collect.Read
	notes []string
}

func (lr *liveReader) read(ctx context.Context, o *Objects, what What) error {
	var err error
	if what.RBAC {
		rb := lr.cs.RbacV1()
		if o.ClusterRoles, err = listAll(ctx, lr, groupRBAC+"/v1 clusterroles", rb.ClusterRoles().List,
			func(l *rbacv1.ClusterRoleList) []rbacv1.ClusterRole { return l.Items }); err != nil {
			return err
		}
		if o.Roles, err = listAll(ctx, lr, groupRBAC+"/v1 roles", rb.Roles("").List,
			func(l *rbacv1.RoleList) []rbacv1.Role { return l.Items }); err != nil {
			return err
		}
		if o.ClusterRoleBindings, err = listAll(ctx, lr, groupRBAC+"/v1 clusterrolebindings", rb.ClusterRoleBindings().List,
			func(l *rbacv1.ClusterRoleBindingList) []rbacv1.ClusterRoleBinding { return l.Items }); err != nil {
			return err
		}
		if o.RoleBindings, err = listAll(ctx, lr, groupRBAC+"/v1 rolebindings", rb.RoleBindings("").List,
			func(l *rbacv1.RoleBindingList) []rbacv1.RoleBinding { return l.Items }); err != nil {
			return err
		}
		if o.ServiceAccounts, err = listAll(ctx, lr, "v1 serviceaccounts", lr.cs.CoreV1().ServiceAccounts("").List,
			func(l *corev1.ServiceAccountList) []corev1.ServiceAccount { return l.Items }); err != nil {
			return err
		}
	}
	if what.RBAC || what.Admission {
		if o.Namespaces, err = listAll(ctx, lr, "v1 namespaces", lr.cs.CoreV1().Namespaces().List,
			func(l *corev1.NamespaceList) []corev1.Namespace { return l.Items }); err != nil {
			return err
		}
	}
	if what.Admission {
		ar := lr.cs.AdmissionregistrationV1()
		if o.ValidatingWebhookConfigurations, err = listAll(ctx, lr, groupAdmission+"/v1 validatingwebhookconfigurations", ar.ValidatingWebhookConfigurations().List,
			func(l *admissionregistrationv1.ValidatingWebhookConfigurationList) []admissionregistrationv1.ValidatingWebhookConfiguration {
				return l.Items
			}); err != nil {
			return err
		}
		if o.MutatingWebhookConfigurations, err = listAll(ctx, lr, groupAdmission+"/v1 mutatingwebhookconfigurations", ar.MutatingWebhookConfigurations().List,
			func(l *admissionregistrationv1.MutatingWebhookConfigurationList) []admissionregistrationv1.MutatingWebhookConfiguration {
				return l.Items
			}); err != nil {
			return err
		}
		if o.ValidatingAdmissionPolicies, err = listAll(ctx, lr, groupAdmission+"/v1 validatingadmissionpolicies", ar.ValidatingAdmissionPolicies().List,
			func(l *admissionregistrationv1.ValidatingAdmissionPolicyList) []admissionregistrationv1.ValidatingAdmissionPolicy {
				return l.Items
			}); lr.notServed(err, "validatingadmissionpolicies") {
			o.ValidatingAdmissionPolicies = nil
		} else if err != nil {
			return err
		}
		if o.ValidatingAdmissionPolicyBindings, err = listAll(ctx, lr, groupAdmission+"/v1 validatingadmissionpolicybindings", ar.ValidatingAdmissionPolicyBindings().List,
			func(l *admissionregistrationv1.ValidatingAdmissionPolicyBindingList) []admissionregistrationv1.ValidatingAdmissionPolicyBinding {
				return l.Items
			}); lr.notServed(err, "validatingadmissionpolicybindings") {
			o.ValidatingAdmissionPolicyBindings = nil
		} else if err != nil {
			return err
		}
	}
	if what.RBAC {
		if o.CustomResources, err = lr.customResources(ctx); err != nil {
			return err
		}
	}
	return nil
}

// notServed reports a list the cluster does not serve at all (admission
// policies before Kubernetes v1.30): such a cluster has none, which is
// evidence, not a failure.
func (lr *liveReader) notServed(err error, what string) bool {
	var re *ReadError
	if !errors.As(err, &re) || !apierrors.IsNotFound(re.Err) {
		return false
	}
	lr.notes = append(lr.notes, fmt.Sprintf("the cluster does not serve %s/v1 %s (Kubernetes before v1.30): it has none", groupAdmission, what))
	return true
}

// listAll lists every page of one resource.
func listAll[L interface{ GetContinue() string }, T any](ctx context.Context, lr *liveReader, target string,
	list func(context.Context, metav1.ListOptions) (L, error), items func(L) []T) ([]T, error) {
	out := []T{}
	opts := metav1.ListOptions{Limit: pageSize}
	step := "list " + target[strings.LastIndex(target, " ")+1:]
	pages := 0
	for {
		if err := ctx.Err(); err != nil {
			return nil, &ReadError{Step: step, Err: err}
		}
		l, err := list(ctx, opts)
		if err != nil {
			lr.reads = append(lr.reads, collect.Read{Method: "list", Target: target, Status: statusOf(err), Pages: pages, Count: len(out)})
			return nil, &ReadError{Step: step, Err: err}
		}
		pages++
		out = append(out, items(l)...)
		next := l.GetContinue()
		if next == "" {
			break
		}
		if next == opts.Continue {
			return nil, &ReadError{Step: step, Err: fmt.Errorf("page %d repeats the continue token of the page before", pages)}
		}
		opts.Continue = next
	}
	lr.reads = append(lr.reads, collect.Read{Method: "list", Target: target, Status: "ok", Pages: pages, Count: len(out)})
	return out, nil
}

// customResources lists what discovery serves outside Kubernetes' own API
// groups: the resources of CustomResourceDefinitions (and of aggregated API
// servers, which a folder of manifests cannot show).
func (lr *liveReader) customResources(ctx context.Context) ([]rbac.APIResource, error) {
	if err := ctx.Err(); err != nil {
		return nil, &ReadError{Step: "discover api resources", Err: err}
	}
	_, lists, err := lr.cs.Discovery().ServerGroupsAndResourcesWithContext(ctx)
	if err != nil {
		var gd *discovery.ErrGroupDiscoveryFailed
		if !errors.As(err, &gd) {
			lr.reads = append(lr.reads, collect.Read{Method: "discover", Target: "/apis", Status: statusOf(err)})
			return nil, &ReadError{Step: "discover api resources", Err: err}
		}
		// One broken aggregated API (a stale metrics-server) must not hide
		// the rest; checks naming its resources fail to resolve instead.
		var failed []string
		for gv := range gd.Groups {
			failed = append(failed, gv.String())
		}
		sort.Strings(failed)
		lr.notes = append(lr.notes, "discovery failed for "+strings.Join(failed, ", ")+": their resources are missing from custom_resources")
	}
	seen := map[string]bool{}
	out := []rbac.APIResource{}
	for _, l := range lists {
		if l == nil {
			continue
		}
		gv, err := schema.ParseGroupVersion(l.GroupVersion)
		if err != nil || builtinGroups[gv.Group] {
			continue
		}
		for _, r := range l.APIResources {
			if strings.Contains(r.Name, "/") || seen[gv.Group+"/"+r.Name] {
				continue
			}
			seen[gv.Group+"/"+r.Name] = true
			out = append(out, rbac.APIResource{Group: gv.Group, Resource: r.Name, Kind: r.Kind, Namespaced: r.Namespaced})
		}
	}
	lr.reads = append(lr.reads, collect.Read{Method: "discover", Target: "/apis", Status: "ok", Count: len(out)})
	return out, nil
}

// errKind classifies a failed request: forbidden and unauthorized are
// permission problems; timeouts, throttling, 5xx, expired continue tokens
// and transport failures are transient; a missing resource is not found;
// certificate errors and other API statuses are configuration problems a
// retry will not fix.
func errKind(err error) collect.ErrorKind {
	switch {
	case apierrors.IsForbidden(err), apierrors.IsUnauthorized(err):
		return collect.KindPermission
	case apierrors.IsServerTimeout(err), apierrors.IsTimeout(err), apierrors.IsTooManyRequests(err),
		apierrors.IsServiceUnavailable(err), apierrors.IsInternalError(err), apierrors.IsUnexpectedServerError(err),
		apierrors.IsResourceExpired(err), apierrors.IsGone(err):
		return collect.KindTransient
	case apierrors.IsNotFound(err):
		return collect.KindNotFound
	}
	var st apierrors.APIStatus
	if errors.As(err, &st) {
		if c := st.Status().Code; c >= 500 || c == 429 {
			return collect.KindTransient
		}
		return collect.KindInvalid
	}
	var ua x509.UnknownAuthorityError
	var ci x509.CertificateInvalidError
	var he x509.HostnameError
	if errors.As(err, &ua) || errors.As(err, &ci) || errors.As(err, &he) {
		return collect.KindInvalid
	}
	// Refused or reset connections, DNS failures, client timeouts.
	return collect.KindTransient
}

// statusOf is a failed read's status in provenance.
func statusOf(err error) string {
	switch {
	case apierrors.IsForbidden(err):
		return "forbidden"
	case apierrors.IsUnauthorized(err):
		return "unauthorized"
	case apierrors.IsNotFound(err):
		return "not_found"
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "canceled"
	}
	return string(errKind(err))
}
