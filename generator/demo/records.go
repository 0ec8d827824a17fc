package demo

import (
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// record is a human record in the bank's config repository; it appears in
// the demo's history on the day it was written.
type record struct {
	written time.Time
	path    string
	body    string
}

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// rfc is the date form the control pack's assertions parse with timestamp().
func rfc(s string) string { return s + "T00:00:00Z" }

func md(front string, body string) string { return "---\n" + front + "---\n" + body }

// bankRecords is the bank's paper trail for two quarters: mostly in order,
// with the gaps an auditor would find (Q4 privileged-activity review still
// open, a failed restore test, an emergency change without its post-review).
func bankRecords() []record {
	var rs []record
	add := func(written, path, body string) { rs = append(rs, record{day(written), path, body}) }

	add("2026-07-01", "CHANGELOG.md", "# Changelog\n\nControl-relevant changes to the config repository, with author attribution.\n")
	for _, p := range []struct{ id, title, tested string }{
		{"P1", "DNS or ledger outage", "2026-06-12"},
		{"P3", "Unauthorized change on a protected branch", "2026-06-12"},
		{"P5", "Rollback of a failed release", "2026-06-12"},
	} {
		add("2026-07-01", "records/incident-response/playbooks/"+p.id+".md",
			md(fmt.Sprintf("title: %q\nlast_tested: %q\n", p.id+" "+p.title, rfc(p.tested)), "Steps, owners and escalation for "+p.title+".\n"))
	}
	add("2026-07-01", "records/incident-response/tabletop/2026-06-12.md",
		md(fmt.Sprintf("date: %q\nscenario: \"Compromised maintainer account pushes to core-ledger\"\noutcome: \"passed; two follow-ups\"\n", rfc("2026-06-12")), "Participants: platform, security, payments on-call.\n"))
	add("2026-07-01", "records/log-retention/s3-object-lock.json",
		`{"ObjectLockConfiguration":{"ObjectLockEnabled":"Enabled","Rule":{"DefaultRetention":{"Mode":"COMPLIANCE","Years":7}}}}`+"\n")
	add("2026-07-01", "records/log-retention/s3-lifecycle.json",
		`{"Rules":[{"ID":"audit-7y","Status":"Enabled","Expiration":{"Days":2557},"Transitions":[{"Days":90,"StorageClass":"GLACIER"}]}]}`+"\n")

	for _, r := range []struct{ written, period, completed, status string }{
		{"2026-07-06", "2026-Q3", "2026-07-06", "completed"},
		{"2026-10-07", "2026-Q4", "2026-10-07", "completed"},
	} {
		add(r.written, "records/access-reviews/"+r.period+".md", md(fmt.Sprintf(
			"period: %q\nstatus: %s\nreviewer: \"Priya Natarajan (Security)\"\napprover: \"Daniel Reyes (CIO)\"\ncompleted_on: %q\nscope: \"GitHub org first-harbor, production clusters, AWS production accounts\"\n",
			r.period, r.status, rfc(r.completed)), "Removed 3 stale collaborators; downgraded 1 admin to maintain.\n"))
	}
	add("2026-09-25", "records/privileged-activity-reviews/2026-Q3.md",
		md("period: \"2026-Q3\"\nstatus: completed\nreviewer: \"Priya Natarajan (Security)\"\nunauthorized_secret_access: 0\n", "Reviewed cluster-admin and break-glass use; no exceptions.\n"))
	add("2026-11-12", "records/privileged-activity-reviews/2026-Q4.md",
		md("period: \"2026-Q4\"\nstatus: in_progress\nreviewer: \"Priya Natarajan (Security)\"\nunauthorized_secret_access: 0\n", "Break-glass use on 2026-11-03 still to be reviewed.\n"))

	for _, t := range []struct{ date, result string }{
		{"2026-07-14", "passed"}, {"2026-08-11", "passed"}, {"2026-09-15", "passed"}, {"2026-10-13", "passed"}, {"2026-11-10", "failed"},
	} {
		add(t.date, "records/backup-restore-tests/"+t.date+".md", md(fmt.Sprintf("date: %q\nsystem: core-ledger\nresult: %s\n", rfc(t.date), t.result), "Restore of the ledger database into the recovery account.\n"))
	}
	// The daily integrity CronJob's output; it did not run for four days in
	// September while its node pool was being replaced.
	for d := day("2026-06-30"); d.Before(day("2026-12-31")); d = d.AddDate(0, 0, 1) {
		if d.After(day("2026-09-07")) && d.Before(day("2026-09-12")) {
			continue
		}
		s := d.Format(time.DateOnly)
		add(s, "records/log-integrity/"+s+".md", md(fmt.Sprintf("date: %q\nresult: passed\nchecked_files: 1440\n", rfc(s)), "sha256 of every audit log object matched its checksum file.\n"))
	}
	add("2026-08-03", "records/key-rotation/2026-08-03.md", md(fmt.Sprintf("date: %q\nkey: \"release-signing\"\nresult: rotated\nperformed_by: \"Platform on-call (Tomás Silva)\"\napproved_by: \"Director of Product Security\"\n", rfc("2026-08-03")), ""))
	add("2026-10-20", "records/backup-restore-tests/2026-10-20-gitops.md", md(fmt.Sprintf("date: %q\nsystem: \"gitops cluster state (etcd snapshot)\"\nresult: passed\n", rfc("2026-10-20")), "Restored the prod cluster's etcd snapshot into the recovery cluster and re-synced from infra-gitops.\n"))
	add("2026-07-01", "records/log-retention/s3-logging.json", `{"LoggingEnabled":{"TargetBucket":"fhb-audit-access-logs","TargetPrefix":"audit/"}}`+"\n")
	add("2026-07-01", "records/log-retention/s3-replication.json", `{"ReplicationConfiguration":{"Role":"arn:aws:iam::111122223333:role/audit-replication","Rules":[{"ID":"to-eu-west-1","Status":"Enabled","Destination":{"Bucket":"arn:aws:s3:::fhb-audit-logs-eu-west-1"}},{"ID":"to-us-west-2","Status":"Enabled","Destination":{"Bucket":"arn:aws:s3:::fhb-audit-logs-us-west-2"}}]}}`+"\n")
	add("2026-07-01", "deploy/k8s/audit-policy.yaml", "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n  - level: Metadata\n    resources:\n      - group: \"\"\n        resources: [\"secrets\", \"configmaps\"]\n  - level: RequestResponse\n    verbs: [\"create\", \"update\", \"patch\", \"delete\"]\n")
	add("2026-07-01", "deploy/monitoring/prometheus-rules.yaml", "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata:\n  name: ledger\nspec:\n  groups:\n    - name: ledger\n      rules:\n        - alert: LedgerPostingLagHigh\n          expr: ledger_posting_lag_seconds > 300\n          labels: {severity: page, team: core-ledger}\n        - alert: PaymentsErrorRateHigh\n          expr: rate(payments_errors_total[5m]) > 0.05\n          labels: {severity: page, team: payments}\n")
	add("2026-07-01", "docs/security/README.md", "# Security architecture\n\nRBAC, signing and audit logging design of the ledger and payments platform.\n")
	add("2026-07-01", ".github/COMPLIANCE_ROADMAP.md", "# Compliance roadmap\n\n- 2026-Q4: GitHub and Kubernetes collectors in evident.\n")
	add("2026-10-22", "records/emergency-changes/2026-10-21-ledger-hotfix.md",
		md(fmt.Sprintf("change: \"core-ledger hotfix for rounding in FX settlement\"\ndate: %q\npost_review_completed: true\n", rfc("2026-10-21")), ""))
	add("2026-11-11", "records/emergency-changes/2026-11-10-payments-hotfix.md",
		md(fmt.Sprintf("change: \"payments-api hotfix disabling a failing fraud rule\"\ndate: %q\npost_review_completed: false\n", rfc("2026-11-10")), ""))
	for _, s := range []struct{ release, date string }{{"payments-api v2.14.0", "2026-08-20"}, {"core-ledger v5.3.0", "2026-10-28"}} {
		add(s.date, "records/security-signoff/"+s.date+".md", md(fmt.Sprintf("release: %q\ndate: %q\napprover: \"Director of Product Security\"\n", s.release, rfc(s.date)), ""))
	}
	add("2026-07-03", "records/cloud-iam/2026-Q3.md", md("period: \"2026-Q3\"\nstanding_admins: 2\njit_enabled: true\nmfa_enforced: true\n", ""))
	add("2026-10-03", "records/cloud-iam/2026-Q4.md", md("period: \"2026-Q4\"\nstanding_admins: 2\njit_enabled: true\nmfa_enforced: true\n", ""))
	add("2026-07-01", "records/kubernetes/secret-readers.yaml", `# Identities approved to read secrets in payments-prod, reviewed each quarter.
approved:
  - serviceaccount:dns-system:bindy-controller
  - serviceaccount:flux-system:kustomize-controller
  - serviceaccount:flux-system:helm-controller
  - group:platform-breakglass
`)
	// The cluster's GitOps folder lives in the config repository too, so
	// its manifests change through the same reviewed pull requests.
	rs = append(rs, reviewRecords()...)
	rs = append(rs, actionPlanRecords()...)
	return append(rs, clusterFiles()...)
}

// writeRecords writes every record written on or before at.
func writeRecords(configDir string, at time.Time) error {
	for _, r := range bankRecords() {
		if r.written.After(at) {
			continue
		}
		full := filepath.Join(configDir, filepath.FromSlash(r.path))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return fmt.Errorf("demo: write record %s: %w", r.path, err)
		}
		if err := os.WriteFile(full, []byte(r.body), 0o644); err != nil {
			return fmt.Errorf("demo: write record %s: %w", r.path, err)
		}
	}
	return nil
}
