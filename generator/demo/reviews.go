package demo

import (
	"fmt"
	"strings"
)

// The bank's privileged access, as the demo's GitHub and cluster evidence
// shows it, in the access names the review page uses.
const (
	ghOwner      = "GitHub first-harbor-bank: owner on organisation"
	ghMaintainIG = "GitHub first-harbor-bank: maintain on first-harbor-bank/infra-gitops"
	gh2FA        = "GitHub first-harbor-bank: member without 2FA on organisation"
	kAdmin       = "Kubernetes payments-prod: cluster-admin on cluster"
	kEscalate    = "Kubernetes payments-prod: escalate, bind or impersonate on cluster"
	kSecrets     = "Kubernetes payments-prod: read secrets on cluster"
	kSecretsDNS  = "Kubernetes payments-prod: read secrets on namespace dns-system"
)

type decision struct{ principal, access, decision, reviewer, date, note string }

// reviewRecords are the bank's access-review decision files. Q3's is
// complete, and revokes praman's maintain access to infra-gitops, which is
// still there in every later snapshot: the loop is not closed, a finding on
// AC-04. Q4's is in progress: Daniel Okafor's standing cluster-admin is
// still undecided, talvarez (no 2FA) too, and Priya Natarajan decided on her
// own owner access, which the page flags.
func reviewRecords() []record {
	common := func(reviewer, date string) []decision {
		return []decision{
			{"fhb-evidence", ghOwner, "keep", reviewer, date, "evidence bot; read-only token scope verified"},
			{"hbrooks", ghOwner, "keep", reviewer, date, "CTO"},
			{"dokafor", ghMaintainIG, "keep", reviewer, date, "platform on-call"},
			{"group:platform-breakglass", kAdmin, "keep", reviewer, date, "break-glass, MFA and ticket"},
			{"group:platform-breakglass", kEscalate, "keep", reviewer, date, "break-glass"},
			{"group:platform-breakglass", kSecrets, "keep", reviewer, date, "break-glass"},
			{"serviceaccount:dns-system:bindy-controller", kSecretsDNS, "keep", reviewer, date, "reads its TSIG keys only"},
			{"serviceaccount:flux-system:helm-controller", kAdmin, "keep", reviewer, date, "GitOps reconciler"},
			{"serviceaccount:flux-system:helm-controller", kEscalate, "keep", reviewer, date, "GitOps reconciler"},
			{"serviceaccount:flux-system:helm-controller", kSecrets, "keep", reviewer, date, "GitOps reconciler"},
			{"serviceaccount:flux-system:kustomize-controller", kAdmin, "keep", reviewer, date, "GitOps reconciler"},
			{"serviceaccount:flux-system:kustomize-controller", kEscalate, "keep", reviewer, date, "GitOps reconciler"},
			{"serviceaccount:flux-system:kustomize-controller", kSecrets, "keep", reviewer, date, "GitOps reconciler"},
			{"serviceaccount:monitoring:metrics-agent", kSecrets, "keep", reviewer, date, "to be narrowed to its namespace (K8-05)"},
		}
	}
	q3 := append(common("pnatarajan", "2026-07-20"),
		decision{"pnatarajan", ghOwner, "keep", "hbrooks", "2026-07-20", "CISO"},
		decision{"praman", ghMaintainIG, "revoke", "pnatarajan", "2026-07-20", "moved to the payments team in June"},
	)
	q4 := append(common("pnatarajan", "2026-10-07"),
		decision{"pnatarajan", ghOwner, "keep", "pnatarajan", "2026-10-07", "CISO"},
		decision{"praman", ghMaintainIG, "revoke", "pnatarajan", "2026-10-07", "revoked in Q3 and still present; ticket SEC-412"},
		decision{"talvarez", gh2FA, "", "", "", "asked to enable 2FA"},
		decision{"user:daniel.okafor@firstharbor.bank", kAdmin, "", "", "", "awaiting the break-glass migration"},
		decision{"user:daniel.okafor@firstharbor.bank", kEscalate, "", "", "", ""},
		decision{"user:daniel.okafor@firstharbor.bank", kSecrets, "", "", "", ""},
	)
	return []record{
		{day("2026-07-20"), "access-reviews/2026-Q3.yaml", decisionsFile("2026-Q3", q3)},
		{day("2026-10-07"), "access-reviews/2026-Q4.yaml", decisionsFile("2026-Q4", q4)},
	}
}

func decisionsFile(period string, ds []decision) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Access review %s, started with `evident review start`.\nperiod: %s\ndecisions:\n", period, period)
	for _, d := range ds {
		fmt.Fprintf(&b, "  - principal: %q\n    access: %q\n    decision: %q\n    reviewer: %q\n    date: %q\n    note: %q\n",
			d.principal, d.access, d.decision, d.reviewer, d.date, d.note)
	}
	return b.String()
}
