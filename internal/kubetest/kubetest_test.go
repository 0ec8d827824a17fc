package kubetest_test

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/evident-project/evident/internal/kubetest"
)

func TestMain(m *testing.M) { os.Exit(kubetest.Main(m)) }

func clientset(t *testing.T, cfg *rest.Config) *kubernetes.Clientset {
	t.Helper()
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// readerManifest lets the service account reader in ns get secrets there,
// and only there.
func readerManifest(ns string) string {
	return `
apiVersion: v1
kind: ServiceAccount
metadata: {name: reader, namespace: ` + ns + `}
---
# a comment-only document in between is skipped
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: secret-getter, namespace: ` + ns + `}
rules:
- apiGroups: [""]
  resources: [secrets]
  verbs: [get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: reader-gets-secrets, namespace: ` + ns + `}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: secret-getter}
subjects:
- {kind: ServiceAccount, name: reader, namespace: ` + ns + `}
`
}

func TestSubjectAccessReviewSeesAppliedRBAC(t *testing.T) {
	c := kubetest.StartShared(t)
	ctx := t.Context()
	const ns = "sar-team"
	if err := kubetest.Apply(ctx, c.Config(), []byte(readerManifest(ns))); err != nil {
		t.Fatal(err)
	}
	cs := clientset(t, c.Config())
	sa := "system:serviceaccount:" + ns + ":reader"
	saGroups := []string{"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"}
	for _, tc := range []struct {
		namespace, verb, resource string
		allowed                   bool
	}{
		{ns, "get", "secrets", true},
		{ns, "list", "secrets", false},
		{ns, "get", "configmaps", false},
		{"default", "get", "secrets", false},
		{"kube-system", "get", "secrets", false},
	} {
		sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
			User:   sa,
			Groups: saGroups,
			ResourceAttributes: &authorizationv1.ResourceAttributes{
				Namespace: tc.namespace, Verb: tc.verb, Resource: tc.resource,
			},
		}}
		got, err := cs.AuthorizationV1().SubjectAccessReviews().Create(ctx, sar, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("%s %s in %s: %v", tc.verb, tc.resource, tc.namespace, err)
		}
		if got.Status.Allowed != tc.allowed {
			t.Errorf("%s %s in %s: allowed = %v, want %v (reason %q)", tc.verb, tc.resource, tc.namespace,
				got.Status.Allowed, tc.allowed, got.Status.Reason)
		}
	}
}

func TestImpersonatedServiceAccountIsForbiddenOutsideItsNamespace(t *testing.T) {
	c := kubetest.StartShared(t)
	ctx := t.Context()
	const ns = "impersonation-team"
	manifest := readerManifest(ns) + `---
apiVersion: v1
kind: Secret
metadata: {name: s, namespace: ` + ns + `}
stringData: {k: v}
---
apiVersion: v1
kind: Secret
metadata: {name: s, namespace: impersonation-other}
stringData: {k: v}
`
	if err := kubetest.Apply(ctx, c.Config(), []byte(manifest)); err != nil {
		t.Fatal(err)
	}
	cs := clientset(t, c.ConfigFor("system:serviceaccount:"+ns+":reader"))
	if _, err := cs.CoreV1().Secrets(ns).Get(ctx, "s", metav1.GetOptions{}); err != nil {
		t.Errorf("get secret in own namespace: %v", err)
	}
	_, err := cs.CoreV1().Secrets("impersonation-other").Get(ctx, "s", metav1.GetOptions{})
	if !apierrors.IsForbidden(err) {
		t.Errorf("get secret in another namespace: err = %v, want Forbidden", err)
	}
}

func TestStaticTokenUsersAuthenticate(t *testing.T) {
	c := kubetest.StartShared(t)
	ctx := t.Context()

	admin := clientset(t, c.TokenConfig(t, kubetest.AdminUser))
	if _, err := admin.CoreV1().Namespaces().List(ctx, metav1.ListOptions{}); err != nil {
		t.Errorf("admin list namespaces: %v", err)
	}
	for _, u := range []string{kubetest.NobodyUser, kubetest.AuditorUser} {
		_, err := clientset(t, c.TokenConfig(t, u)).CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
		if !apierrors.IsForbidden(err) {
			t.Errorf("%s list namespaces: err = %v, want Forbidden", u, err)
		}
	}

	// Whoever the server thinks the auditor is, with the token file's group.
	ssr, err := clientset(t, c.TokenConfig(t, kubetest.AuditorUser)).AuthenticationV1().
		SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("auditor self subject review: %v", err)
	}
	if got := ssr.Status.UserInfo; got.Username != kubetest.AuditorUser || !slices.Contains(got.Groups, kubetest.AuditorsGroup) {
		t.Errorf("auditor is %q in %v, want %q in %s", got.Username, got.Groups, kubetest.AuditorUser, kubetest.AuditorsGroup)
	}

	// Binding the auditors group is what lets the auditor in.
	binding := `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: kubetest-namespace-lister}
rules:
- {apiGroups: [""], resources: [namespaces], verbs: [list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: kubetest-auditors-list-namespaces}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: kubetest-namespace-lister}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: Group, name: "` + kubetest.AuditorsGroup + `"}
`
	if err := kubetest.Apply(ctx, c.Config(), []byte(binding)); err != nil {
		t.Fatal(err)
	}
	// The authorizer sees the binding through its informer, a moment
	// after the write: forbidden until then, allowed within seconds.
	auditor := clientset(t, c.TokenConfig(t, kubetest.AuditorUser))
	var listErr error
	if err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 15*time.Second, true, func(ctx context.Context) (bool, error) {
		_, listErr = auditor.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
		return listErr == nil, nil
	}); err != nil {
		t.Errorf("auditor list namespaces after binding its group: %v (still after 15s)", listErr)
	}

	// Anonymous requests are off, so a wrong token is Unauthorized, not a
	// Forbidden system:anonymous.
	bad := c.Config()
	bad.BearerToken = "not-a-token"
	_, err = clientset(t, bad).CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
	if !apierrors.IsUnauthorized(err) {
		t.Errorf("wrong token: err = %v, want Unauthorized", err)
	}
}

func TestKubeconfigWorksLikeAUsersFile(t *testing.T) {
	c := kubetest.StartShared(t)
	path := c.Kubeconfig(t)
	raw, err := clientcmd.LoadFromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if raw.CurrentContext != kubetest.ContextName {
		t.Errorf("current context %q, want %q", raw.CurrentContext, kubetest.ContextName)
	}
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
		&clientcmd.ClientConfigLoadingRules{ExplicitPath: path},
		&clientcmd.ConfigOverrides{CurrentContext: kubetest.ContextName},
	).ClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	v, err := clientset(t, cfg).Discovery().ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	if v.GitVersion != c.Version() {
		t.Errorf("version through kubeconfig %q, want %q", v.GitVersion, c.Version())
	}

	// An impersonating config keeps its impersonation in the file.
	nobody := kubetest.WriteKubeconfig(t, c.ConfigFor("someone"))
	cfg, err = clientcmd.BuildConfigFromFlags("", nobody)
	if err != nil {
		t.Fatal(err)
	}
	_, err = clientset(t, cfg).CoreV1().Secrets("kube-system").List(context.Background(), metav1.ListOptions{})
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), `"someone"`) {
		t.Errorf("impersonated kubeconfig: err = %v, want Forbidden for someone", err)
	}
}

func TestApplyReplacesAndNamesTheFailingDocument(t *testing.T) {
	c := kubetest.StartShared(t)
	ctx := t.Context()
	defer kubetest.SetMappingWait(time.Second)()
	role := func(verbs string) string {
		return `
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: changing}
rules:
- {apiGroups: [""], resources: [pods], verbs: ` + verbs + `}
`
	}
	if err := kubetest.Apply(ctx, c.Config(), []byte(role("[get, list]"))); err != nil {
		t.Fatal(err)
	}
	if err := kubetest.Apply(ctx, c.Config(), []byte(role("[watch]"))); err != nil {
		t.Fatal(err)
	}
	// No namespace means "default", as with kubectl.
	got, err := clientset(t, c.Config()).RbacV1().Roles("default").Get(ctx, "changing", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if v := got.Rules[0].Verbs; len(v) != 1 || v[0] != "watch" {
		t.Errorf("verbs after re-apply %v, want [watch]: Apply must replace, not merge", v)
	}

	for _, tc := range []struct{ docs, want string }{
		{
			docs: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: fine, namespace: apply-errors}\n---\n" +
				"apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: broken, namespace: apply-errors}\n" +
				"roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role}\n",
			want: "apply document 2 (RoleBinding apply-errors/broken): create:",
		},
		{
			docs: "apiVersion: example.com/v1\nkind: Nothing\nmetadata: {name: x}\n",
			want: "apply document 1 (Nothing x): find resource for example.com/v1, Kind=Nothing",
		},
		{
			docs: "kind: List\napiVersion: v1\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a, namespace: apply-errors}}\n" +
				"- {apiVersion: v1, kind: ConfigMap, metadata: {name: 'Not Valid', namespace: apply-errors}}\n",
			want: "apply document 1 item 2 (ConfigMap apply-errors/Not Valid): create:",
		},
	} {
		err := kubetest.Apply(ctx, c.Config(), []byte(tc.docs))
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("Apply error:\n got %v\nwant prefix %s", err, tc.want)
		}
	}
}
