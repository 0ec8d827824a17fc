package demo

import "strings"

// actionPlanRecords are management's action plans for the bank's findings,
// each written some days after the finding first showed. Most findings of
// 2026-Q4 have one; the privileged-activity review plan is past its target
// date by the last run; the bad-signature finding (CM-05) has none yet, as
// an auditor would expect to see somewhere; and the Q3 plans for controls
// fixed since (ER-01, BR-02, PA-02) stay on record as implemented, for the
// auditor's re-test. Most files hold one plan, which lives until its
// finding closes; the Kubernetes team keeps its three in one file.
func actionPlanRecords() []record {
	var rs []record
	add := func(written, path string, lines ...string) {
		rs = append(rs, record{day(written), path, strings.Join(lines, "\n") + "\n"})
	}
	const agree = "response: Management agrees with the observation."

	// Q3 findings, remediated since: each plan is written in progress and
	// later updated to implemented, as the config repository's history shows.
	for _, st := range []struct{ written, status string }{{"2026-08-20", "in_progress"}, {"2026-10-02", "implemented"}} {
		add(st.written, "action-plans/ER-01.yaml",
			"control: ER-01", agree,
			"cause: The 2026-08-16 scheduled evidence run did not start while the runner image was being upgraded, and nobody was alerted.",
			"owner: Head of Platform Engineering",
			"actions:",
			"  - Alert the platform on-call when a scheduled evidence run is missing.",
			"  - Upgrade runner images only outside the collection schedule.",
			"target_date: 2026-09-30",
			"status: "+st.status)
	}
	for _, st := range []struct{ written, status string }{{"2026-09-02", "in_progress"}, {"2026-10-21", "implemented"}} {
		add(st.written, "action-plans/BR-02.yaml",
			"control: BR-02", agree,
			"owner: Head of Platform Engineering",
			"actions:",
			"  - Restore the production cluster's etcd snapshot into the recovery cluster and re-sync from infra-gitops.",
			"target_date: 2026-10-31",
			"status: "+st.status)
	}
	for _, st := range []struct{ written, status string }{{"2026-09-02", "in_progress"}, {"2026-09-26", "implemented"}} {
		add(st.written, "action-plans/PA-02.yaml",
			"control: PA-02", agree,
			"owner: Chief Information Security Officer",
			"actions:",
			"  - Record the secret-access audit query and its result in the Q3 privileged-activity review.",
			"target_date: 2026-09-30",
			"status: "+st.status)
	}

	// Change management and segregation of duties.
	add("2026-08-05", "action-plans/CM-01.yaml",
		"control: CM-01", agree,
		"cause: A contractor laptop could not hold a signing key until a hardware token arrived; exception EX-2026-007 covered this until 2026-10-31 and was not renewed.",
		"owner: Head of Engineering",
		"co_owners: [Director of Product Security]",
		"actions:",
		"  - Issue hardware signing tokens to every contractor before repository access is granted.",
		"  - Enable required signed commits on every protected branch (see CM-09).",
		"target_date: 2026-12-15",
		"status: in_progress")
	add("2026-08-05", "action-plans/CM-02.yaml",
		"control: CM-02", agree,
		"cause: Branch protection on payments-api main does not dismiss stale approvals, and two changes were merged under a relaxed rule during an incident.",
		"owner: Head of Engineering",
		"actions:",
		"  - Require two approvals with stale approvals dismissed on every protected branch, managed as code in infra-gitops.",
		"  - Review the two changes merged with one approval and record the retrospective approvals.",
		"target_date: 2026-12-31",
		"status: in_progress")
	add("2026-08-05", "action-plans/CM-06.yaml",
		"control: CM-06", agree,
		"cause: The classic pull-request bypass let an administrator push a hotfix directly to payments-api main during the Fed outage.",
		"owner: Head of Engineering",
		"co_owners: [Director of Product Security]",
		"actions:",
		"  - Remove the pull-request bypass from payments-api main.",
		"  - Route emergency changes through the expedited review path (CM-08).",
		"target_date: 2026-12-15",
		"status: in_progress")
	add("2026-11-12", "action-plans/CM-08.yaml",
		"control: CM-08", agree,
		"owner: Head of Engineering",
		"actions:",
		"  - Complete the post-implementation review of the 2026-11-10 payments-api hotfix.",
		"  - Open the post-review ticket automatically when an emergency change is merged.",
		"target_date: 2026-11-30",
		"status: open")
	add("2026-08-05", "action-plans/CM-09.yaml",
		"control: CM-09", agree,
		"owner: Head of Engineering",
		"actions:",
		"  - Turn on required signatures on main in core-ledger, payments-api and infra-gitops once every contributor holds a signing key.",
		"target_date: 2026-12-15",
		"status: open")
	add("2026-08-05", "action-plans/SD-01.yaml",
		"control: SD-01", agree,
		"cause: Repository administrators could merge their own pull requests, and the last push did not require a fresh approval.",
		"owner: Head of Engineering",
		"actions:",
		"  - Require approval of the most recent push on every protected branch.",
		"  - Remove merge rights from authors on infra-gitops; merges go through the release manager.",
		"target_date: 2026-12-31",
		"status: in_progress")
	add("2026-08-05", "action-plans/SD-02.yaml",
		"control: SD-02", agree,
		"owner: Head of Engineering",
		"co_owners: [Director of Product Security]",
		"actions:",
		"  - Enforce branch protection for administrators on payments-api main.",
		"  - Remove the platform team's always-bypass from the infra-gitops main ruleset; keep a break-glass role that alerts when used.",
		"target_date: 2026-12-31",
		"status: open")
	add("2026-08-05", "action-plans/CI-01.yaml",
		"control: CI-01", agree,
		"owner: Head of Platform Engineering",
		"actions:",
		"  - Fix the CODEOWNERS errors GitHub reports on payments-api.",
		"  - Assign .github/ to the platform team in every repository's CODEOWNERS.",
		"target_date: 2026-12-15",
		"status: in_progress")
	add("2026-10-20", "action-plans/CI-03.yaml",
		"control: CI-03", agree,
		"cause: The payments-api 2.7.1 release was cut by hand while the signing job was being migrated.",
		"owner: Head of Platform Engineering",
		"actions:",
		"  - Sign and attest payments-api 2.7.1, with its SBOM and provenance.",
		"  - Block promotion of unsigned images with an admission policy.",
		"target_date: 2026-12-31",
		"status: open")

	// Access.
	add("2026-08-05", "action-plans/AC-01.yaml",
		"control: AC-01",
		"response: Management agrees; the verification script moved repositories and the evidence job could not run it.",
		"owner: Head of Platform Engineering",
		"actions:",
		"  - Restore deploy/rbac/verify-rbac.sh in the config repository so the evidence job can run it.",
		"target_date: 2026-12-01",
		"status: in_progress")
	add("2026-08-05", "action-plans/AC-02.yaml",
		"control: AC-02", agree,
		"cause: The DNS controller's ClusterRole grants delete on its custom resources, beyond its approved design.",
		"owner: Head of Platform Engineering",
		"actions:",
		"  - Reduce the bindy-controller ClusterRole to its approved least-privilege design.",
		"target_date: 2026-12-15",
		"status: open")
	add("2026-08-05", "action-plans/AC-03.yaml",
		"control: AC-03", agree,
		"owner: Chief Information Security Officer",
		"actions:",
		"  - Require two-factor authentication for the first-harbor-bank organisation.",
		"  - Remove talvarez until two-factor authentication is enabled.",
		"target_date: 2026-12-01",
		"status: in_progress")
	add("2026-10-20", "action-plans/2026-Q4-kubernetes.yaml",
		"plans:",
		"  - control: K8-01",
		"    "+agree,
		"    cause: An on-call cluster-admin binding made for an incident was never removed.",
		"    owner: Head of Platform Engineering",
		"    actions:",
		"      - Remove ClusterRoleBinding oncall-dokafor.",
		"      - Grant on-call elevation only through the time-bound break-glass group.",
		"    target_date: 2026-12-01",
		"    status: open",
		"  - control: K8-02",
		"    "+agree,
		"    owner: Head of Platform Engineering",
		"    co_owners: [Director of Product Security]",
		"    actions:",
		"      - Narrow the metrics agent's ClusterRole to non-secret resources.",
		"      - Add the remaining secret readers to records/kubernetes/secret-readers.yaml after review, or remove them.",
		"    target_date: 2026-12-15",
		"    status: open",
		"  - control: K8-03",
		"    "+agree,
		"    owner: Head of Platform Engineering",
		"    actions:",
		"      - Switch disallow-host-path to deny, and enforce the restricted Pod Security Standard on the monitoring namespace.",
		"    target_date: 2027-01-31",
		"    status: open")

	// Oversight, logging, retention, operations.
	add("2026-10-20", "action-plans/PA-01.yaml",
		"control: PA-01", agree,
		"cause: The reviewer was on leave and no alternate was named.",
		"owner: Chief Information Security Officer",
		"actions:",
		"  - Complete the Q4 privileged-activity review, including the break-glass use of 2026-11-03.",
		"  - Name an alternate reviewer for every quarter.",
		"target_date: 2026-11-14",
		"status: in_progress")
	add("2026-08-05", "action-plans/PA-03.yaml",
		"control: PA-03",
		"response: Management agrees; GitHub audit-log streaming is not yet licensed.",
		"owner: Director of Product Security",
		"actions:",
		"  - Stream the GitHub audit log to the log store and alert on branch-protection and admin changes.",
		"target_date: 2027-03-31",
		"status: open")
	add("2026-08-05", "action-plans/AL-06.yaml",
		"control: AL-06",
		"response: Management agrees; the object lock is in place (AL-02 evidences its configuration) but the evidence job cannot yet read it live.",
		"owner: Head of Platform Engineering",
		"actions:",
		"  - Grant the evidence job's role s3:GetBucketObjectLockConfiguration on fhb-audit-logs.",
		"target_date: 2026-12-01",
		"status: in_progress")
	add("2026-11-05", "action-plans/ER-03.yaml",
		"control: ER-03", agree,
		"owner: Chief Information Officer",
		"actions:",
		"  - Remove expired exception EX-2026-007 from controls.yaml, or renew it with a new approval.",
		"  - Review every exception's expiry at the quarterly access review.",
		"target_date: 2026-12-15",
		"status: open")
	add("2026-11-12", "action-plans/BR-01.yaml",
		"control: BR-01", agree,
		"cause: The ledger restore of 2026-11-10 failed on a missing KMS grant in the recovery account.",
		"owner: Head of Platform Engineering",
		"actions:",
		"  - Add the KMS grant to the recovery account and retest the core-ledger restore.",
		"target_date: 2026-12-15",
		"status: in_progress")
	add("2026-08-05", "action-plans/SK-01.yaml",
		"control: SK-01",
		"response: Management agrees; gitleaks is not installed on the evidence runner.",
		"owner: Director of Product Security",
		"actions:",
		"  - Install gitleaks on the evidence runner image so the secret scan can run.",
		"target_date: 2026-12-31",
		"status: open")
	return rs
}
