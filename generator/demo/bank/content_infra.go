package bank

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// infraRepo models infra-gitops: Helm values, RBAC and policies that Argo CD
// syncs into the staging and prod clusters.
type infraRepo struct {
	tree
	cl           changelog
	values       []*helmValues
	bindings     map[string][]*binding // env -> bindings
	alerts       []*alert
	podSecurity  map[string]string // env -> pod security level
	prodAutoSync bool
	handcrafted  []*work
	promotions   []promotion
}

// promotion is a prod deployment waiting for a human PR after a release
// reached staging.
type promotion struct {
	app, version string
	earliest     time.Time
}

type helmValues struct {
	app, env, image string
	tag             string
	replicas        int
	cpu, mem        string
	memLimitPos     int
}

// memLimits are the memory limit steps; routine PRs stop one short of the
// last so an emergency raise always has somewhere to go.
var memLimits = []string{"768Mi", "1Gi", "1536Mi", "2Gi", "3Gi"}

type subject struct{ kind, name string }

type binding struct {
	kind, name, namespace, role string
	subjects                    []subject
}

type alert struct {
	name, expr, unit string
	thresholds       []string
	pos              int
	severity         string
	summary          string
	enabled          bool
}

func newInfraGitops() *infraRepo {
	r := &infraRepo{
		tree: tree{files: map[string]string{}},
		cl: changelog{
			intro:   "Changes to what runs in the First Harbor Bank clusters. Every entry maps to a\nmerged pull request; Argo CD applies main to the clusters.",
			history: "## [2026.06] - 2026-06-30\n\n### Changed\n- Move core-ledger and payments-api to Helm chart 4.x\n",
		},
		podSecurity:  map[string]string{"staging": "baseline", "prod": "baseline"},
		prodAutoSync: true,
		bindings: map[string][]*binding{
			"prod": {
				{kind: "ClusterRoleBinding", name: "cluster-admins", role: "cluster-admin", subjects: []subject{{"User", "priya.raman@firstharbor.bank"}, {"User", "ops.admin@firstharbor.bank"}}},
				{kind: "RoleBinding", name: "ledger-operators", namespace: "ledger", role: "edit", subjects: []subject{{"Group", "ledger-team"}, {"User", "jordan.doe@firstharbor.bank"}}},
				{kind: "RoleBinding", name: "payments-operators", namespace: "payments", role: "edit", subjects: []subject{{"Group", "payments-team"}}},
			},
			"staging": {
				{kind: "RoleBinding", name: "developers", namespace: "payments-staging", role: "edit", subjects: []subject{{"Group", "engineering"}}},
				{kind: "RoleBinding", name: "developers", namespace: "ledger-staging", role: "edit", subjects: []subject{{"Group", "engineering"}}},
			},
		},
		alerts: []*alert{
			{name: "PaymentsLatencyHigh", expr: `histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{app="payments-api"}[5m]))) * 1000 > %s`, unit: "ms", thresholds: []string{"800", "600", "500"}, severity: "page", summary: "payments-api p99 latency above threshold", enabled: true},
			{name: "LedgerDown", expr: `up{app="core-ledger"} == 0`, severity: "page", summary: "core-ledger is down", enabled: true},
			{name: "LedgerPostingLag", expr: `ledger_posting_lag_seconds > %s`, unit: "s", thresholds: []string{"300", "600"}, severity: "page", summary: "ledger posting lag above threshold"},
			{name: "PaymentsErrorRate", expr: `sum(rate(http_requests_total{app="payments-api",code=~"5.."}[5m])) / sum(rate(http_requests_total{app="payments-api"}[5m])) * 100 > %s`, unit: "%", thresholds: []string{"2", "1"}, severity: "page", summary: "payments-api 5xx rate above threshold"},
		},
	}
	for _, app := range []struct{ name, image, tag string }{
		{"core-ledger", "registry.firstharbor.bank/core/core-ledger", "v1.12.0"},
		{"payments-api", "registry.firstharbor.bank/pay/payments-api", "v2.7.3"},
	} {
		r.values = append(r.values,
			&helmValues{app: app.name, env: "staging", image: app.image, tag: app.tag, replicas: 2, cpu: "250m", mem: "256Mi", memLimitPos: 0},
			&helmValues{app: app.name, env: "prod", image: app.image, tag: app.tag, replicas: 3, cpu: "500m", mem: "512Mi", memLimitPos: 1})
	}
	r.set("README.md", "# infra-gitops\n\nDesired state of the staging and prod Kubernetes clusters. Argo CD syncs `main`;\nnothing is applied by hand. Production changes need an approving review from\n@first-harbor-bank/platform and a change ticket (CHG-…) in the PR description.\n")
	r.set(".github/CODEOWNERS", "* @first-harbor-bank/platform\n/platform/rbac/ @first-harbor-bank/platform @first-harbor-bank/security\n")
	r.set("clusters/prod/kustomization.yaml", "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ../../platform/namespaces.yaml\n  - ../../platform/rbac/prod-rolebindings.yaml\n  - ../../platform/monitoring/alerts.yaml\n  - ../../argocd/applications.yaml\n")
	r.set("clusters/staging/kustomization.yaml", "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ../../platform/namespaces.yaml\n  - ../../platform/rbac/staging-rolebindings.yaml\n  - ../../argocd/applications.yaml\n")
	for _, v := range r.values {
		r.renderValues(v)
	}
	r.renderRBAC("prod")
	r.renderRBAC("staging")
	r.renderAlerts()
	r.renderNamespaces()
	r.renderArgo()
	r.set("CHANGELOG.md", r.cl.render())
	r.handcrafted = r.handcraftedWork()
	return r
}

func (r *infraRepo) base() *tree           { return &r.tree }
func (r *infraRepo) changelog() *changelog { return &r.cl }
func (r *infraRepo) initial() (string, string) {
	return "chore: import cluster manifests from the ops repository", "Argo CD is switched to this repository on 2026-07-06; until then it is read-only.\n"
}

func (r *infraRepo) valuesFor(app, env string) *helmValues {
	for _, v := range r.values {
		if v.app == app && v.env == env {
			return v
		}
	}
	panic("bank: no values for " + app + "/" + env)
}

func (r *infraRepo) renderValues(v *helmValues) {
	r.set(fmt.Sprintf("apps/%s/values-%s.yaml", v.app, v.env), fmt.Sprintf(`# Helm values for %s in %s. Argo CD application: %s-%s.
image:
  repository: %s
  tag: %s
replicaCount: %d
resources:
  requests:
    cpu: %s
    memory: %s
  limits:
    memory: %s
podDisruptionBudget:
  minAvailable: %d
securityContext:
  runAsNonRoot: true
  readOnlyRootFilesystem: true
  allowPrivilegeEscalation: false
`, v.app, v.env, v.app, v.env, v.image, v.tag, v.replicas, v.cpu, v.mem, memLimits[v.memLimitPos], max(1, v.replicas-1)))
}

func (r *infraRepo) renderRBAC(env string) {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s role bindings. Reviewed in the quarterly user access review (ITGC AC-04).\n", capitalize(env))
	for i, bd := range r.bindings[env] {
		if i > 0 {
			b.WriteString("---\n")
		}
		fmt.Fprintf(&b, "apiVersion: rbac.authorization.k8s.io/v1\nkind: %s\nmetadata:\n  name: %s\n", bd.kind, bd.name)
		if bd.namespace != "" {
			fmt.Fprintf(&b, "  namespace: %s\n", bd.namespace)
		}
		fmt.Fprintf(&b, "roleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: %s\nsubjects:\n", bd.role)
		for _, s := range bd.subjects {
			fmt.Fprintf(&b, "  - kind: %s\n    apiGroup: rbac.authorization.k8s.io\n    name: %s\n", s.kind, s.name)
		}
	}
	r.set("platform/rbac/"+env+"-rolebindings.yaml", b.String())
}

func (r *infraRepo) renderAlerts() {
	var b strings.Builder
	b.WriteString("apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata:\n  name: bank-services\n  namespace: monitoring\nspec:\n  groups:\n    - name: bank-services\n      rules:\n")
	for _, a := range r.alerts {
		if !a.enabled {
			continue
		}
		expr := a.expr
		if len(a.thresholds) > 0 {
			expr = fmt.Sprintf(a.expr, a.thresholds[a.pos])
		}
		fmt.Fprintf(&b, "        - alert: %s\n          expr: %s\n          for: 5m\n          labels:\n            severity: %s\n          annotations:\n            summary: %s\n", a.name, expr, a.severity, a.summary)
	}
	r.set("platform/monitoring/alerts.yaml", b.String())
}

func (r *infraRepo) renderNamespaces() {
	var b strings.Builder
	for i, ns := range []struct{ name, env string }{{"ledger", "prod"}, {"payments", "prod"}, {"ledger-staging", "staging"}, {"payments-staging", "staging"}} {
		if i > 0 {
			b.WriteString("---\n")
		}
		lvl := r.podSecurity[ns.env]
		fmt.Fprintf(&b, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s\n  labels:\n    pod-security.kubernetes.io/enforce: %s\n    pod-security.kubernetes.io/audit: restricted\n", ns.name, lvl)
	}
	r.set("platform/namespaces.yaml", b.String())
}

func (r *infraRepo) renderArgo() {
	var b strings.Builder
	for i, v := range r.values {
		if i > 0 {
			b.WriteString("---\n")
		}
		fmt.Fprintf(&b, "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: %s-%s\n  namespace: argocd\nspec:\n  project: %s\n  source:\n    repoURL: https://github.firstharbor.bank/first-harbor-bank/infra-gitops.git\n    targetRevision: main\n    path: charts/%s\n    helm:\n      valueFiles: [../../apps/%s/values-%s.yaml]\n  destination:\n    server: https://%s.k8s.firstharbor.bank\n    namespace: %s\n", v.app, v.env, v.env, v.app, v.app, v.env, v.env, nsOf(v.app, v.env))
		if v.env == "staging" || r.prodAutoSync {
			b.WriteString("  syncPolicy:\n    automated:\n      prune: true\n      selfHeal: true\n")
		}
	}
	r.set("argocd/applications.yaml", b.String())
}

func nsOf(app, env string) string {
	ns := strings.TrimPrefix(strings.TrimSuffix(app, "-api"), "core-")
	if env == "staging" {
		ns += "-staging"
	}
	return ns
}

func (r *infraRepo) next(rng *rand.Rand, at time.Time) *work {
	if len(r.promotions) > 0 && !r.promotions[0].earliest.After(at) {
		p := r.promotions[0]
		r.promotions = r.promotions[1:]
		return r.promotionWork(rng, p)
	}
	for {
		switch x := rng.Float64(); {
		case x < 0.40:
			for i, w := range r.handcrafted {
				if !w.notBefore.After(at) {
					r.handcrafted = append(r.handcrafted[:i:i], r.handcrafted[i+1:]...)
					return w
				}
			}
		case x < 0.80:
			return r.capacityWork(rng)
		default:
			if w := r.alertWork(rng); w != nil {
				return w
			}
		}
	}
}

func (r *infraRepo) promotionWork(rng *rand.Rand, p promotion) *work {
	title := fmt.Sprintf("deploy(prod): promote %s to %s", p.app, p.version)
	body := fmt.Sprintf("Staging soak passed with no alerts. Change ticket: CHG-%d.\n", 40100+rng.IntN(900))
	return &work{
		title: title, slug: slugify("promote " + p.app + " " + p.version), section: "Changed", clChance: 0.9,
		entry:     fmt.Sprintf("Promote %s %s to production", p.app, p.version),
		preferred: []string{"praman", "dokafor", "mchen"},
		steps: []step{{subject: title, body: body, apply: func(*tree) {
			v := r.valuesFor(p.app, "prod")
			v.tag = p.version
			r.renderValues(v)
		}}},
	}
}

// stagingBump is what release-bot commits when a service publishes a release.
func (r *infraRepo) stagingBump(app, version string) step {
	return step{
		subject: fmt.Sprintf("chore(deploy): bump %s to %s in staging", app, version),
		body:    fmt.Sprintf("Automated by release-bot after %s %s was published.\n", app, version),
		apply: func(*tree) {
			v := r.valuesFor(app, "staging")
			v.tag = version
			r.renderValues(v)
		},
	}
}

// emergencyMemory is the out-of-hours fix pushed straight to main during an incident.
func (r *infraRepo) emergencyMemory(app string) step {
	v := r.valuesFor(app, "prod")
	return step{
		subject: fmt.Sprintf("fix(prod): raise %s memory limit after OOMKills", app),
		body:    "Emergency change during INC-8790; retroactive change ticket CHG-40377.\n",
		apply: func(*tree) {
			v.memLimitPos++
			r.renderValues(v)
		},
	}
}

func (r *infraRepo) capacityWork(rng *rand.Rand) *work {
	v := pick(rng, r.values)
	if rng.Float64() < 0.35 && v.memLimitPos+2 < len(memLimits) {
		to := memLimits[v.memLimitPos+1]
		title := fmt.Sprintf("fix(%s): raise %s memory limit to %s", v.app, v.env, to)
		return &work{title: title, slug: slugify(v.app + " " + v.env + " memory"), section: "Changed", clChance: 0.75,
			entry: fmt.Sprintf("%s %s memory limit is now %s", v.app, v.env, to),
			steps: []step{{subject: title, body: "Working set has been within 10% of the limit since the last release.", apply: func(*tree) { v.memLimitPos++; r.renderValues(v) }}}}
	}
	to := v.replicas + 1
	if v.replicas >= 5 || (v.replicas > 2 && rng.Float64() < 0.4) {
		to = v.replicas - 1
	}
	title := fmt.Sprintf("chore(%s): scale %s to %d replicas", v.app, v.env, to)
	body := "Sized from the last 30 days of CPU utilisation."
	if to > v.replicas {
		body = "Headroom for month-end batch volume."
	}
	return &work{title: title, slug: slugify(v.app + " " + v.env + " replicas"), section: "Changed", clChance: 0.6,
		entry: fmt.Sprintf("%s %s runs %d replicas", v.app, v.env, to),
		steps: []step{{subject: title, body: body, apply: func(*tree) { v.replicas = to; r.renderValues(v) }}}}
}

func (r *infraRepo) alertWork(rng *rand.Rand) *work {
	var open []*alert
	for _, a := range r.alerts {
		if a.enabled && a.pos+1 < len(a.thresholds) {
			open = append(open, a)
		}
	}
	if len(open) == 0 {
		return nil
	}
	a := pick(rng, open)
	to := a.thresholds[a.pos+1]
	title := fmt.Sprintf("chore(monitoring): set %s threshold to %s%s", a.name, to, a.unit)
	return &work{title: title, slug: slugify(a.name + " threshold"), section: "Changed", clChance: 0.5,
		entry: fmt.Sprintf("%s fires at %s%s", a.name, to, a.unit),
		steps: []step{{subject: title, body: "Tuned after reviewing last month's pages with the on-call rotation.", apply: func(*tree) { a.pos++; r.renderAlerts() }}}}
}

func (r *infraRepo) binding(env, name string) *binding {
	for _, b := range r.bindings[env] {
		if b.name == name {
			return b
		}
	}
	panic("bank: no binding " + env + "/" + name)
}

func (r *infraRepo) handcraftedWork() []*work {
	one := func(title, section, entry, body string, preferred []string, apply func()) *work {
		_, short, _ := strings.Cut(title, ": ")
		return &work{title: title, slug: slugify(short), section: section, entry: entry, clChance: 0.85, preferred: preferred,
			steps: []step{{subject: title, body: body, apply: func(*tree) { apply() }}}}
	}
	enable := func(name string) func() {
		return func() {
			for _, a := range r.alerts {
				if a.name == name {
					a.enabled = true
				}
			}
			r.renderAlerts()
		}
	}
	after := func(w *work, y int, m time.Month, d int) *work {
		w.notBefore = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
		return w
	}
	return []*work{
		one("rbac(prod): grant payments-oncall read access in payments", "Security", "payments-oncall can view the payments namespace",
			"On-call needs to read pod status and logs during incidents. Approved in ACCESS-3312.", []string{"praman"}, func() {
				r.bindings["prod"] = append(r.bindings["prod"], &binding{kind: "RoleBinding", name: "payments-oncall-view", namespace: "payments", role: "view", subjects: []subject{{"Group", "payments-oncall"}}})
				r.renderRBAC("prod")
			}),
		after(one("rbac(prod): remove jordan.doe from ledger-operators", "Security", "Remove access for a departed engineer",
			"Offboarded on 2026-08-28 (HR-10442); access was still present in the Q3 access review.", []string{"praman"}, func() {
				b := r.binding("prod", "ledger-operators")
				b.subjects = b.subjects[:1]
				r.renderRBAC("prod")
			}), 2026, time.October, 12),
		one("rbac(staging): grant contractors edit access in payments-staging", "Security", "Contractors can deploy to payments-staging",
			"Needed for the ISO 20022 migration work. Staging only; expires with the SOW on 2026-12-31.", []string{"swhitfield"}, func() {
				r.bindings["staging"] = append(r.bindings["staging"], &binding{kind: "RoleBinding", name: "contractors", namespace: "payments-staging", role: "edit", subjects: []subject{{"Group", "contractors"}}})
				r.renderRBAC("staging")
			}),
		one("rbac(prod): replace individual cluster-admin bindings with platform-admins", "Security", "cluster-admin is granted through the platform-admins group only",
			"Individual bindings bypassed the group membership review (audit observation AO-2026-07).", []string{"praman"}, func() {
				r.binding("prod", "cluster-admins").subjects = []subject{{"Group", "platform-admins"}}
				r.renderRBAC("prod")
			}),
		one("rbac(prod): add break-glass binding for the incident commander", "Security", "Break-glass cluster-admin for the incident commander group",
			"Membership of incident-commander is granted for 4 hours through the PAM tool and logged.", []string{"praman", "dokafor"}, func() {
				r.bindings["prod"] = append(r.bindings["prod"], &binding{kind: "ClusterRoleBinding", name: "break-glass", role: "cluster-admin", subjects: []subject{{"Group", "incident-commander"}}})
				r.renderRBAC("prod")
			}),
		one("feat(netpol): default-deny ingress in the payments namespace", "Security", "Default-deny ingress in payments",
			"", []string{"praman", "swhitfield"}, func() {
				r.set("platform/network-policies/payments-default-deny.yaml", "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: default-deny-ingress\n  namespace: payments\nspec:\n  podSelector: {}\n  policyTypes: [Ingress]\n")
			}),
		one("feat(netpol): allow payments-api to reach core-ledger on 8443 only", "Security", "payments-api may only reach core-ledger on port 8443",
			"", []string{"praman", "swhitfield"}, func() {
				r.set("platform/network-policies/ledger-from-payments.yaml", "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: allow-payments-api\n  namespace: ledger\nspec:\n  podSelector:\n    matchLabels:\n      app: core-ledger\n  ingress:\n    - from:\n        - namespaceSelector:\n            matchLabels:\n              kubernetes.io/metadata.name: payments\n          podSelector:\n            matchLabels:\n              app: payments-api\n      ports:\n        - port: 8443\n          protocol: TCP\n")
			}),
		one("feat(monitoring): page when ledger posting lag exceeds 5 minutes", "Added", "Page on ledger posting lag", "", nil, enable("LedgerPostingLag")),
		one("feat(monitoring): page on payments-api 5xx rate above 2%", "Added", "Page on payments-api error rate", "", nil, enable("PaymentsErrorRate")),
		one("chore(staging): enforce the restricted pod security standard", "Security", "Staging namespaces enforce restricted pod security", "", []string{"praman", "swhitfield"}, func() {
			r.podSecurity["staging"] = "restricted"
			r.renderNamespaces()
		}),
		after(one("chore(prod): enforce the restricted pod security standard", "Security", "Prod namespaces enforce restricted pod security", "Staging has run restricted for two weeks without violations.", []string{"praman"}, func() {
			r.podSecurity["prod"] = "restricted"
			r.renderNamespaces()
		}), 2026, time.September, 14),
		one("feat(argocd): require manual sync for prod applications", "Security", "Prod applications sync manually",
			"Auto-sync let a merged change reach prod before the change window (INC-8812).", []string{"praman"}, func() {
				r.prodAutoSync = false
				r.renderArgo()
			}),
	}
}
