// Package kubetest runs a real kube-apiserver, backed by a real etcd, on
// loopback for integration tests, so collectors and the RBAC evaluator are
// checked against the authorizer they model instead of a fake of it.
//
// Only kube-apiserver runs: there is no controller manager, so nothing
// aggregates ClusterRoles, creates service-account tokens on its own or
// garbage-collects; a test that needs one of those stands in for it.
package kubetest

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// The static users every cluster authenticates by bearer token (see StaticUsers).
const (
	// AdminUser is in system:masters, which RBAC lets do anything.
	AdminUser = "kubetest-admin"
	// AuditorUser is in AuditorsGroup, which nothing is bound to until a
	// test binds it.
	AuditorUser = "kubetest-auditor"
	// NobodyUser is only in system:authenticated.
	NobodyUser = "kubetest-nobody"
)

// AuditorsGroup is AuditorUser's group, for tests that bind a role to a
// group rather than a user.
const AuditorsGroup = "kubetest:auditors"

// ContextName is the kubeconfig context (and cluster) name Kubeconfig writes.
const ContextName = "kubetest"

// SystemNamespaces are the namespaces a fresh kube-apiserver creates; Start
// returns only once they all exist.
var SystemNamespaces = []string{"default", "kube-node-lease", "kube-public", "kube-system"}

// User is a static user of the cluster's token file.
type User struct {
	Name string
	// Groups are the groups the token file gives, besides the
	// system:authenticated every authenticated user gets.
	Groups []string
}

// StaticUsers are the users of the token file, with their groups.
var StaticUsers = []User{
	{Name: AdminUser, Groups: []string{"system:masters"}},
	{Name: AuditorUser, Groups: []string{AuditorsGroup}},
	{Name: NobodyUser},
}

// startTimeout bounds a whole start: on an idle machine it takes a few
// seconds, but the tests share two cores with builds and -race runs.
const startTimeout = 3 * time.Minute

// Cluster is a running kube-apiserver and its etcd.
type Cluster struct {
	host    string // https://127.0.0.1:<port>
	caPEM   []byte
	tokens  map[string]string
	version string
	startup time.Duration

	etcd, apiserver *process
	stopOnce        sync.Once
}

// Start starts a fresh etcd and kube-apiserver for the test and stops them
// when it ends. The binaries are found as findBinaries says: missing, the
// test skips under -short and fails otherwise.
func Start(t testing.TB) *Cluster {
	t.Helper()
	bins := findBinaries(t)
	ctx, cancel := context.WithTimeout(t.Context(), startTimeout)
	defer cancel()
	c, err := start(ctx, t, bins, t.TempDir())
	if c != nil {
		t.Cleanup(func() {
			c.stop()
			if t.Failed() {
				t.Log(c.logTails(40))
			}
		})
	}
	if err != nil {
		t.Fatalf("kubetest: %v", err)
	}
	return c
}

// shared is the one cluster StartShared hands out per test binary.
var shared struct {
	main bool // Main is running the tests
	once sync.Once
	c    *Cluster
	dir  string
	err  error
}

// Main runs the tests and then stops the cluster StartShared started, if
// any. A package that calls StartShared needs
//
//	func TestMain(m *testing.M) { os.Exit(kubetest.Main(m)) }
//
// because a cluster shared between tests outlives each of them, so no
// test's Cleanup can stop it.
func Main(m *testing.M) int {
	shared.main = true
	code := m.Run()
	if shared.c != nil {
		shared.c.stop()
		if code != 0 {
			fmt.Fprintln(os.Stderr, shared.c.logTails(40))
		}
	}
	if shared.dir != "" {
		_ = os.RemoveAll(shared.dir)
	}
	return code
}

// StartShared returns the test binary's one shared cluster, starting it on
// the first call. Tests that share it must not depend on each other's
// objects: use a namespace (and cluster-scoped names) of the test's own.
func StartShared(t testing.TB) *Cluster {
	t.Helper()
	if !shared.main {
		t.Fatal("kubetest: StartShared needs TestMain to call kubetest.Main")
	}
	bins := findBinaries(t)
	shared.once.Do(func() {
		shared.dir, shared.err = os.MkdirTemp("", "kubetest-")
		if shared.err != nil {
			return
		}
		// Not t.Context(): the cluster outlives the test that starts it.
		ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
		defer cancel()
		shared.c, shared.err = start(ctx, t, bins, shared.dir)
	})
	if shared.err != nil {
		msg := fmt.Sprintf("kubetest: shared cluster: %v", shared.err)
		if shared.c != nil {
			msg += "\n" + shared.c.logTails(40)
		}
		t.Fatal(msg)
	}
	return shared.c
}

// Host is the server's URL, https://127.0.0.1:<port>.
func (c *Cluster) Host() string { return c.host }

// CAData is the PEM certificate of the CA that signed the serving
// certificate.
func (c *Cluster) CAData() []byte { return slices.Clone(c.caPEM) }

// Version is the server's /version gitVersion, e.g. "v1.37.2".
func (c *Cluster) Version() string { return c.version }

// StartupTime is how long Start took from launching etcd to the server
// being ready with its bootstrap RBAC and system namespaces.
func (c *Cluster) StartupTime() time.Duration { return c.startup }

// Config is a client config for AdminUser. Each call returns a new config
// the caller may change.
func (c *Cluster) Config() *rest.Config {
	return c.tokenConfig(AdminUser)
}

// ConfigFor is the admin config impersonating user in groups, for testing
// what someone other than an admin may do without a token for them. The
// server adds system:authenticated to the groups itself.
func (c *Cluster) ConfigFor(user string, groups ...string) *rest.Config {
	cfg := c.Config()
	cfg.Impersonate = rest.ImpersonationConfig{UserName: user, Groups: slices.Clone(groups)}
	return cfg
}

// TokenConfig is a client config authenticating as one of StaticUsers by
// its bearer token, so the request goes through the real authenticator.
func (c *Cluster) TokenConfig(t testing.TB, user string) *rest.Config {
	t.Helper()
	if _, ok := c.tokens[user]; !ok {
		t.Fatalf("kubetest: %q is not a static user", user)
	}
	return c.tokenConfig(user)
}

func (c *Cluster) tokenConfig(user string) *rest.Config {
	return &rest.Config{
		Host:            c.host,
		BearerToken:     c.tokens[user],
		TLSClientConfig: rest.TLSClientConfig{CAData: c.CAData()},
		// client-go's default 5 QPS would make a test that applies a few
		// dozen objects spend its time in the client's rate limiter.
		QPS:       200,
		Burst:     400,
		UserAgent: "evident-kubetest",
	}
}

// Kubeconfig writes a kubeconfig file for AdminUser, with current context
// ContextName, and returns its path, so code that reads a kubeconfig like
// a user's can be pointed at the cluster.
func (c *Cluster) Kubeconfig(t testing.TB) string {
	t.Helper()
	return WriteKubeconfig(t, c.Config())
}

// WriteKubeconfig writes cfg (server, CA, bearer token and impersonation;
// the fields a Cluster's configs use) as a kubeconfig file with current
// context ContextName, in a temporary directory of t, and returns its path.
func WriteKubeconfig(t testing.TB, cfg *rest.Config) string {
	t.Helper()
	kc := clientcmdapi.NewConfig()
	kc.Clusters[ContextName] = &clientcmdapi.Cluster{
		Server:                   cfg.Host,
		CertificateAuthorityData: cfg.CAData,
	}
	kc.AuthInfos[ContextName] = &clientcmdapi.AuthInfo{
		Token:             cfg.BearerToken,
		Impersonate:       cfg.Impersonate.UserName,
		ImpersonateGroups: cfg.Impersonate.Groups,
	}
	kc.Contexts[ContextName] = &clientcmdapi.Context{Cluster: ContextName, AuthInfo: ContextName}
	kc.CurrentContext = ContextName
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		t.Fatalf("kubetest: write kubeconfig: %v", err)
	}
	return path
}

// stop stops the apiserver, then etcd, so the apiserver does not spend its
// shutdown retrying a vanished etcd.
func (c *Cluster) stop() {
	c.stopOnce.Do(func() {
		if c.apiserver != nil {
			c.apiserver.stop(15 * time.Second)
		}
		if c.etcd != nil {
			c.etcd.stop(10 * time.Second)
		}
	})
}

// logTails is the end of both servers' logs, for a failed test.
func (c *Cluster) logTails(n int) string {
	var b strings.Builder
	for _, p := range []*process{c.etcd, c.apiserver} {
		if p != nil {
			fmt.Fprintf(&b, "--- last %d lines of %s ---\n%s\n", n, p.log, p.tail(n))
		}
	}
	return b.String()
}

// errPortTaken is a server exiting because a port picked as free was taken
// before it bound it; start then tries again with other ports.
var errPortTaken = errors.New("port taken before the server bound it")

// start starts a cluster in dir, retrying when it loses a port race. The
// returned cluster is non-nil whenever a process was launched, so the
// caller can stop it and show its logs even on error.
func start(ctx context.Context, t testing.TB, bins binaries, dir string) (*Cluster, error) {
	t.Helper()
	const attempts = 3
	for i := 1; ; i++ {
		d := dir
		if i > 1 {
			d = filepath.Join(dir, "attempt"+strconv.Itoa(i))
			if err := os.Mkdir(d, 0o700); err != nil {
				return nil, fmt.Errorf("create attempt dir: %w", err)
			}
		}
		c, err := startOnce(ctx, bins, d)
		if err == nil {
			t.Logf("kubetest: kube-apiserver %s ready at %s in %v", c.version, c.host, c.startup.Round(time.Millisecond))
			return c, nil
		}
		if !errors.Is(err, errPortTaken) || i == attempts {
			return c, err
		}
		t.Logf("kubetest: %v; retrying with other ports", err)
		if c != nil {
			c.stop()
		}
	}
}

func startOnce(ctx context.Context, bins binaries, dir string) (*Cluster, error) {
	begin := time.Now()
	f, err := writePKI(dir)
	if err != nil {
		return nil, err
	}
	ports, err := pickPorts(3)
	if err != nil {
		return nil, err
	}
	etcdURL := "http://127.0.0.1:" + strconv.Itoa(ports[0])
	peerURL := "http://127.0.0.1:" + strconv.Itoa(ports[1])
	c := &Cluster{
		host:   "https://127.0.0.1:" + strconv.Itoa(ports[2]),
		caPEM:  f.caPEM,
		tokens: f.tokens,
	}

	etcdArgs, err := etcdFlags(bins.etcd, filepath.Join(dir, "etcd-data"), etcdURL, peerURL)
	if err != nil {
		return nil, err
	}
	c.etcd, err = launch("etcd", bins.etcd, dir, etcdArgs, etcdEnv())
	if err != nil {
		return nil, err
	}
	if err := waitFor(ctx, c.etcd, func() (bool, string) { return etcdHealthy(ctx, etcdURL) }); err != nil {
		return c, fmt.Errorf("wait for etcd: %w", err)
	}

	c.apiserver, err = launch("kube-apiserver", bins.apiserver, dir, apiserverFlags(dir, f, etcdURL, ports[2]), os.Environ())
	if err != nil {
		return c, err
	}
	client, err := c.httpClient()
	if err != nil {
		return c, err
	}
	if err := waitFor(ctx, c.apiserver, func() (bool, string) { return c.ready(ctx, client) }); err != nil {
		return c, fmt.Errorf("wait for kube-apiserver: %w", err)
	}
	if err := c.readVersion(ctx, client); err != nil {
		return c, err
	}
	c.startup = time.Since(begin)
	return c, nil
}

// etcdFlags are the flags for a one-member etcd on loopback. The flags that
// differ between etcd releases are passed only if this etcd has them.
func etcdFlags(bin, dataDir, clientURL, peerURL string) ([]string, error) {
	help, err := etcdHelp(bin)
	if err != nil {
		return nil, err
	}
	args := []string{
		"--name=kubetest",
		"--data-dir=" + dataDir,
		"--listen-client-urls=" + clientURL,
		"--advertise-client-urls=" + clientURL,
		"--listen-peer-urls=" + peerURL,
		"--initial-advertise-peer-urls=" + peerURL,
		"--initial-cluster=kubetest=" + peerURL,
		"--initial-cluster-state=new",
	}
	// A test cluster's data is thrown away, so durability buys nothing;
	// not syncing makes writes (the RBAC bootstrap is hundreds) cheaper.
	// etcd 3.4 does not have the flag; 3.5 and later do.
	if strings.Contains(help, "--unsafe-no-fsync") {
		args = append(args, "--unsafe-no-fsync")
	}
	// 3.4 defaults to the older capnslog logger, which is deprecated.
	if strings.Contains(help, "--logger") {
		args = append(args, "--logger=zap", "--log-outputs=stderr")
	}
	return args, nil
}

var etcdHelps sync.Map // binary path -> its --help text

func etcdHelp(bin string) (string, error) {
	if h, ok := etcdHelps.Load(bin); ok {
		return h.(string), nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--help")
	cmd.Env = etcdEnv()
	// etcd prints its help to stderr and may exit non-zero after it.
	out, _ := cmd.CombinedOutput()
	if !bytes.Contains(out, []byte("--data-dir")) {
		return "", fmt.Errorf("read etcd --help: unexpected output: %.200s", out)
	}
	etcdHelps.Store(bin, string(out))
	return string(out), nil
}

// etcdEnv drops ETCD_* variables, because etcd refuses to start when an
// environment variable and a flag set the same option, and keeps etcd 3.4
// willing to run on arm64.
func etcdEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ETCD_") {
			env = append(env, kv)
		}
	}
	if runtime.GOARCH != "amd64" {
		env = append(env, "ETCD_UNSUPPORTED_ARCH="+runtime.GOARCH)
	}
	return env
}

func apiserverFlags(dir string, f *files, etcdURL string, port int) []string {
	return []string{
		"--etcd-servers=" + etcdURL,
		"--bind-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(port),
		// Without it the server looks for a non-loopback interface to
		// advertise and fails on a machine without a default route.
		"--advertise-address=127.0.0.1",
		// The endpoint reconciler would keep trying to publish the loopback
		// advertise address as the kubernetes service's endpoint, which
		// validation rejects (Kubernetes' own integration tests do the same).
		"--endpoint-reconciler-type=none",
		"--tls-cert-file=" + f.servingCert,
		"--tls-private-key-file=" + f.servingKey,
		// Unused with an explicit serving certificate, but the default,
		// /var/run/kubernetes, is outside the test's directory.
		"--cert-dir=" + filepath.Join(dir, "apiserver-certs"),
		"--token-auth-file=" + f.tokenFile,
		"--anonymous-auth=false",
		"--authorization-mode=RBAC",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + f.saPublic,
		"--service-account-signing-key-file=" + f.saPrivate,
		"--service-cluster-ip-range=10.0.0.0/24",
		"--profiling=false",
	}
}

// waitFor polls check until it says ready, the process exits or ctx ends.
// check returns a description of the last state, for the error.
func waitFor(ctx context.Context, p *process, check func() (ready bool, state string)) error {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	last := "no answer yet"
	for {
		if done, err := p.exited(); done {
			if p.logContains("address already in use") {
				return fmt.Errorf("%s exited (%v): %w", p.name, err, errPortTaken)
			}
			return fmt.Errorf("%s exited early (%v)", p.name, err)
		}
		ok, state := check()
		if ok {
			return nil
		}
		if state != "" {
			last = state
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w; last: %s", context.Cause(ctx), last)
		case <-tick.C:
		}
	}
}

// etcdClient times out each request, so a port that accepts but never
// answers (someone else's server) cannot stall waitFor past its exit check.
var etcdClient = &http.Client{Timeout: 2 * time.Second}

func etcdHealthy(ctx context.Context, url string) (bool, string) {
	body, status, err := get(ctx, etcdClient, url+"/health", "")
	if err != nil {
		return false, err.Error()
	}
	return status == http.StatusOK && strings.Contains(body, `"health":"true"`), body
}

// readyCheck is the post-start hook that writes the bootstrap RBAC
// policy; until it has finished, authorization answers are not the ones a
// real cluster gives.
const readyCheck = "[+]poststarthook/rbac/bootstrap-roles ok"

// ready is /readyz passing, including the RBAC bootstrap, and the system
// namespaces existing (they are created by controllers /readyz does not
// wait for).
func (c *Cluster) ready(ctx context.Context, client *http.Client) (bool, string) {
	tok := c.tokens[AdminUser]
	body, status, err := get(ctx, client, c.host+"/readyz?verbose", tok)
	if err != nil {
		return false, err.Error()
	}
	if status != http.StatusOK {
		return false, fmt.Sprintf("readyz %d: %s", status, failing(body))
	}
	if !strings.Contains(body, readyCheck) {
		// Ready without the check means this server no longer has it: say
		// so rather than waiting for a line that never comes.
		return false, fmt.Sprintf("readyz passes but does not list %q", readyCheck)
	}
	for _, ns := range SystemNamespaces {
		_, status, err := get(ctx, client, c.host+"/api/v1/namespaces/"+ns, tok)
		if err != nil {
			return false, err.Error()
		}
		if status != http.StatusOK {
			return false, fmt.Sprintf("namespace %s: %d", ns, status)
		}
	}
	return true, ""
}

// failing keeps the failing lines of a verbose readyz body.
func failing(body string) string {
	var bad []string
	for line := range strings.SplitSeq(body, "\n") {
		if strings.HasPrefix(line, "[-]") {
			bad = append(bad, line)
		}
	}
	if len(bad) == 0 {
		return strings.TrimSpace(body)
	}
	return strings.Join(bad, "; ")
}

func (c *Cluster) readVersion(ctx context.Context, client *http.Client) error {
	body, status, err := get(ctx, client, c.host+"/version", c.tokens[AdminUser])
	if err != nil {
		return fmt.Errorf("read version: %w", err)
	}
	var v struct {
		GitVersion string `json:"gitVersion"`
	}
	if status != http.StatusOK {
		return fmt.Errorf("read version: status %d: %s", status, body)
	}
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		return fmt.Errorf("read version: %w", err)
	}
	c.version = v.GitVersion
	return nil
}

func (c *Cluster) httpClient() (*http.Client, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(c.caPEM) {
		return nil, errors.New("load generated ca certificate")
	}
	return &http.Client{
		Timeout:   5 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}},
	}, nil
}

func get(ctx context.Context, client *http.Client, url, token string) (string, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", 0, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", 0, err
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return string(b), resp.StatusCode, err
}

// pickPorts is freePorts, replaced in a test to lose the port race.
var pickPorts = freePorts

// freePorts asks the kernel for n distinct free loopback ports. They are
// free when this returns, not necessarily when a server binds them; start
// retries when a server loses that race.
func freePorts(n int) ([]int, error) {
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("pick a free port: %w", err)
		}
		// Held open until all are picked, so the n are distinct.
		defer func() { _ = l.Close() }()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
