package history

import (
	"fmt"
	"strings"
	"testing"
)

// doc builds an item the way a collector writes one, with data in the
// shape of the real evidence (see a demo evidence repository's items/).
func doc(t *testing.T, collector, period, data string) *Doc {
	t.Helper()
	b := fmt.Sprintf(`{"schema":"evident.item/v1","collector":%q,"period":%q,"provenance":{"collector":%q,"version":"1","reads":[],"records":{"things":2},"complete":true},"data":%s}`,
		collector, period, collector, data)
	d, err := Decode("items/x/"+period+".json", []byte(b))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

const protection = `{"org":"first-harbor-bank","archived_skipped":[],
"branches":[{"repo":"first-harbor-bank/payments-api","branch":"main","protected":true,"required_approvals":%d,"dismiss_stale_reviews":true,
"enforce_admins":false,"bypass_actors":%s,"required_status_checks":["CodeQL","test"],"protected_by":["classic"],"hidden":[],
"sources":[{"kind":"classic","policy":{"required_approvals":%d}}],"status_check_apps":[{"app_id":1,"context":"test"}]}],
"rulesets":[{"id":3102,"name":"signed commits (trial)","repo":"first-harbor-bank/core-ledger","enforcement":%q,"counted":false,"note":"not counted: enforcement evaluate"}],
"repositories":[{"repo":"first-harbor-bank/payments-api","default_branch":"main"}]}`

func TestDescribe(t *testing.T) {
	tests := []struct {
		name      string
		collector string
		old, new  string
		// oldPeriod differs from "2026-Q4" for the turn of a period.
		oldPeriod string
		want      []string
		notWant   []string
	}{
		{
			name: "branch protection in the auditor's words", collector: "github.branch_protection",
			old: fmt.Sprintf(protection, 2, `[]`, 2, "evaluate"),
			new: fmt.Sprintf(protection, 1, `["user:dokafor (classic pull request bypass)"]`, 1, "active"),
			want: []string{
				"required approvals on payments-api main: 2 → 1",
				"allowed to bypass the rules on payments-api main: added user:dokafor (classic pull request bypass)",
				`enforcement of ruleset 3102 "signed commits (trial)" on core-ledger: evaluate → active`,
			},
			// Each source's policy restates the merged values: saying it
			// twice would read as two changes.
			notWant: []string{"sources", "policy"},
		},
		{
			name: "branch protection turned off and a branch gone", collector: "github.branch_protection",
			old: `{"branches":[{"repo":"o/api","branch":"main","protected":true,"required_approvals":2},{"repo":"o/web","branch":"main","protected":true,"required_approvals":2}]}`,
			new: `{"branches":[{"repo":"o/api","branch":"main","protected":false,"required_approvals":0}]}`,
			want: []string{
				"branch protection on api main: yes → no",
				"required approvals on api main: 2 → 0",
				"protected branch web main no longer reported",
			},
		},
		{
			name: "members, two-factor, privileged access and invitations", collector: "github.access",
			old: `{"members":[{"login":"talvarez","role":"member","two_factor":true,"bot":false},{"login":"old","role":"member","two_factor":true}],
"owners":["hbrooks"],"members_without_2fa":[],
"privileged":[{"login":"hbrooks","permission":"owner","scope":"org","via":"organisation owner"}],
"repositories":[{"repo":"o/infra-gitops","collaborators":[{"login":"dokafor","permission":"write"}],"invitations":[]}],
"teams":[{"slug":"platform","members":["dokafor"],"maintainers":[],"repos":[{"repo":"o/infra-gitops","permission":"write"}]}],
"two_factor_requirement_enabled":false}`,
			new: `{"members":[{"login":"talvarez","role":"owner","two_factor":false,"bot":false},{"login":"new","role":"member","two_factor":true}],
"owners":["hbrooks","talvarez"],"members_without_2fa":["talvarez"],
"privileged":[{"login":"hbrooks","permission":"owner","scope":"org","via":"organisation owner"},{"login":"dokafor","permission":"maintain","scope":"o/infra-gitops","via":"team"}],
"repositories":[{"repo":"o/infra-gitops","collaborators":[{"login":"dokafor","permission":"maintain"}],
"invitations":[{"login":"rkapoor-contractor","permission":"read","inviter":"praman","email":""}]}],
"teams":[{"slug":"platform","members":["dokafor","praman"],"maintainers":[],"repos":[{"repo":"o/infra-gitops","permission":"maintain"}]}],
"two_factor_requirement_enabled":true}`,
			want: []string{
				"role of member talvarez: member → owner",
				"two-factor authentication of talvarez: on → off",
				"member added: new (role member, two-factor authentication on)",
				"member removed: old (was member)",
				"privileged access added: dokafor maintain on infra-gitops (via team)",
				"members of team platform: added praman",
				"team platform: permission on infra-gitops: write → maintain",
				"permission of dokafor on infra-gitops: write → maintain",
				"invitation to infra-gitops pending: rkapoor-contractor (read, invited by praman)",
				"organisation requires two-factor authentication: no → yes",
			},
			// owners and members_without_2fa restate the members' changes.
			notWant: []string{"owners", "members without 2fa"},
		},
		{
			name: "new pull requests: the ones an auditor asks about are named", collector: "github.pulls",
			old: `{"changes":[{"repo":"o/payments-api","number":57,"approvals":2,"bot":false,"author":"a","title":"x","ci_passed":true}],"direct_pushes":[],"summary":{"changes":1}}`,
			new: `{"changes":[{"repo":"o/payments-api","number":57,"approvals":2,"bot":false,"author":"a","title":"x","ci_passed":true},
{"repo":"o/payments-api","number":58,"approvals":2,"bot":false,"author":"b","self_approved":true,"title":"y","ci_passed":true},
{"repo":"o/payments-api","number":59,"approvals":1,"bot":false,"author":"c","merged_by":"c","title":"wire limits <b>","ci_passed":false,"ci_state":"failed"},
{"repo":"o/payments-api","number":60,"approvals":0,"bot":true,"author":"dependabot","title":"bump"}],
"direct_pushes":[{"repo":"o/payments-api","branch":"main","committer":"dokafor","sha":"69ffe171b0aa7a7e83400088850b72683fa5b07c","subject":"hotfix: raise wire review threshold"}],
"summary":{"changes":4}}`,
			want: []string{
				"3 change(s) merged since the previous snapshot: 1 with two or more approvals, 1 by bots",
				"payments-api #58 was approved by its own author b",
				"payments-api #59 merged with 1 approval(s) (author c, merged by c): wire limits <b>",
				"payments-api #59 merged without CI passing (failed)",
				"direct push to payments-api main by dokafor, not through a pull request: 69ffe171b0aa hotfix: raise wire review threshold",
			},
			notWant: []string{"#60", "summary"},
		},
		{
			name: "pull requests at the turn of a period start afresh", collector: "github.pulls", oldPeriod: "2026-Q3",
			old: `{"changes":[{"repo":"o/api","number":1,"approvals":2}],"direct_pushes":[]}`,
			new: `{"changes":[{"repo":"o/api","number":9,"approvals":2}],"direct_pushes":[]}`,
			want: []string{
				"period 2026-Q4 began: compared with items/x/2026-Q3.json of 2026-Q3",
				"1 change(s) merged so far in the new period: 1 with two or more approvals, 0 by bots",
			},
			notWant: []string{"no longer listed"},
		},
		{
			name: "commits: shares, unverified new commits, rewritten history", collector: "git.commits",
			old: `{"repository":{"id":"payments-api","branch":"main","path":"r"},"summary":{"commits":2,"signed":2,"verified":2},
"commits":[{"sha":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","signature":{"status":"verified"}},{"sha":"cccccccccccccccccccccccccccccccccccccccc","signature":{"status":"verified"}}]}`,
			new: `{"repository":{"id":"payments-api","branch":"main","path":"r"},"summary":{"commits":3,"signed":2,"verified":1},
"commits":[{"sha":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","signature":{"status":"verified"}},
{"sha":"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb","author":{"name":"Daniel Okafor"},"subject":"hotfix","signature":{"status":"bad","note":"signature does not match"}},
{"sha":"dddddddddddddddddddddddddddddddddddddddd","author":{"name":"Ana"},"subject":"docs","signature":{"status":"none"}}]}`,
			want: []string{
				"commits on payments-api main in the period: 2 → 3",
				"signed-commit share on payments-api main: 100.0% (2 of 2) → 66.7% (2 of 3)",
				"share of commits with a verified signature on payments-api main: 100.0% (2 of 2) → 33.3% (1 of 3)",
				"1 commit(s) no longer on payments-api main, so its history was rewritten: cccccccccccc",
				"new commit bbbbbbbbbbbb on payments-api main by Daniel Okafor has no verified signature (bad: signature does not match): hotfix",
				"new commit dddddddddddd on payments-api main by Ana has no verified signature (unsigned): docs",
			},
		},
		{
			name: "RBAC: bindings, privileged subjects and checks", collector: "kube.rbac",
			old: `{"cluster":"payments-prod","inventory":{"cluster_role_bindings":[],"roles":[{"name":"r","namespace":"ns","rules":[{"verbs":["get"]}]}]},
"privileged":{"cluster_admin":[]},
"checks":[{"subject":"serviceaccount:evident:evident-collector","verb":"get","resource":"secrets","namespace":"*","allowed":false,"expect":false}],
"subjects":[{"subject":"a"}],"summary":{"subjects":1},"problems":[]}`,
			new: `{"cluster":"payments-prod","inventory":{"cluster_role_bindings":[{"name":"oncall-dokafor","role_ref":{"kind":"ClusterRole","name":"cluster-admin"},"subjects":[{"kind":"User","name":"daniel.okafor@firstharbor.bank"}]}],
"roles":[{"name":"r","namespace":"ns","rules":[{"verbs":["get"]},{"verbs":["list"]}]}]},
"privileged":{"cluster_admin":[{"subject":"user:daniel.okafor@firstharbor.bank","via":[{"binding":"ClusterRoleBinding/oncall-dokafor","role":"ClusterRole/cluster-admin"}]}]},
"checks":[{"subject":"serviceaccount:evident:evident-collector","verb":"get","resource":"secrets","namespace":"*","allowed":true,"expect":false}],
"subjects":[{"subject":"a"},{"subject":"b"}],"summary":{"subjects":2},"problems":[{"object":"x.yaml","message":"unparsable"}]}`,
			want: []string{
				"payments-prod: ClusterRoleBinding oncall-dokafor added: ClusterRole cluster-admin to User daniel.okafor@firstharbor.bank",
				"payments-prod: rules of Role ns/r changed (1 → 2 rules)",
				"payments-prod: now cluster-admin equivalent: user:daniel.okafor@firstharbor.bank (via ClusterRoleBinding/oncall-dokafor of ClusterRole/cluster-admin)",
				"payments-prod: check “serviceaccount:evident:evident-collector get secrets in any namespace”: denied → allowed (expected denied)",
				"payments-prod: problem reading the RBAC objects: x.yaml: unparsable",
			},
			notWant: []string{"subjects", "summary"},
		},
		{
			name: "unknown evidence is compared generically", collector: "github.actions",
			old: `{"environments":[{"repo":"o/api","name":"production","prevent_self_review":true,"required_reviewers":["team:release"],"wait_timer":0}]}`,
			new: `{"environments":[{"repo":"o/api","name":"production","prevent_self_review":false,"required_reviewers":[],"wait_timer":0},{"repo":"o/api","name":"staging"}]}`,
			want: []string{
				"environments › o/api production › prevent self review: true → false",
				"environments › o/api production › required reviewers: removed team:release",
				"environments: added o/api staging",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			op := tt.oldPeriod
			if op == "" {
				op = "2026-Q4"
			}
			got := Describe(doc(t, tt.collector, op, tt.old), doc(t, tt.collector, "2026-Q4", tt.new))
			all := strings.Join(got, "\n")
			for _, w := range tt.want {
				if !contains(got, w) {
					t.Errorf("missing %q in:\n%s", w, all)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(all, w) {
					t.Errorf("should not mention %q:\n%s", w, all)
				}
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

func TestDescribeProvenance(t *testing.T) {
	ok := doc(t, "github.pulls", "2026-Q4", `{"changes":[]}`)
	failed, err := Decode("p", []byte(`{"schema":"evident.item/v1","collector":"github.pulls","period":"2026-Q4","provenance":{"collector":"github.pulls","version":"1","reads":[],"records":{},"complete":false,"error":{"kind":"auth","message":"401 bad credentials"}},"data":null}`))
	if err != nil {
		t.Fatal(err)
	}
	partial := doc(t, "github.pulls", "2026-Q4", `{"changes":[]}`)
	partial.Complete = false
	tests := []struct {
		name     string
		old, new *Doc
		want     []string
	}{
		{"first collected", nil, ok, []string{"first collected: 2 things"}},
		{"first collected but failed", nil, failed, []string{"first collected", "the evidence cannot support a conclusion: 401 bad credentials"}},
		{"collector failed", ok, failed, []string{"the collector failed: 401 bad credentials"}},
		{"collector recovered", failed, ok, []string{"the collector succeeded again (it had failed: 401 bad credentials)"}},
		{"became incomplete", ok, partial, []string{"the evidence became incomplete (provenance.complete is false)"}},
		{"complete again", partial, ok, []string{"the evidence is complete again"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Describe(tt.old, tt.new)
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestGenericDiff(t *testing.T) {
	tests := []struct {
		name     string
		old, new string
		want     []string
	}{
		{"scalar", `{"wait_timer":0}`, `{"wait_timer":30}`, []string{"wait timer: 0 → 30"}},
		{"numbers by value", `{"n":2}`, `{"n":2.0}`, nil},
		{"nested keys in words", `{"a_b":{"c_d":"x"}}`, `{"a_b":{"c_d":"y"}}`, []string{"a b › c d: x → y"}},
		{"key added and removed", `{"a":1}`, `{"b":[1,2]}`, []string{"a: 1 → none", "b: none → [1, 2]"}},
		{"set of strings", `{"s":["a","b","c"]}`, `{"s":["a","c","d","e"]}`, []string{"s: added d, e", "s: removed b"}},
		{"single value replaced", `{"s":["classic"]}`, `{"s":["ruleset 4101"]}`, []string{"s: classic → ruleset 4101"}},
		{"list order ignored for sets", `{"s":["a","b"]}`, `{"s":["b","a"]}`, nil},
		{"elements by identity", `{"l":[{"login":"x","p":"read"},{"login":"y"}]}`, `{"l":[{"login":"x","p":"write"},{"login":"z"}]}`,
			[]string{"l › x › p: read → write", "l: added z", "l: removed y"}},
		{"elements by position", `{"l":[{"v":1},{"v":2}]}`, `{"l":[{"v":1},{"v":3}]}`, []string{"l › #2 › v: 2 → 3"}},
		{"different lengths without identity", `{"l":[{"v":1}]}`, `{"l":[{"v":1},{"v":2}]}`, []string{"l: 1 → 2 entries"}},
		{"digests shortened", `{"head":"589a1b297606c0db10a7779d4d90d29767be25eb"}`, `{"head":"28fad6ba480a18ea6857cad864c105a371254e45"}`, []string{"head: 589a1b297606 → 28fad6ba480a"}},
		{"long text shortened", `{"t":"short"}`, `{"t":"` + strings.Repeat("x", 80) + `"}`, []string{"t: short → " + strings.Repeat("x", 57) + "…"}},
		{"empty string", `{"t":""}`, `{"t":"v"}`, []string{"t: (empty) → v"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Describe(doc(t, "other.kind", "2026-Q4", tt.old), doc(t, "other.kind", "2026-Q4", tt.new))
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestDescribeIsBounded(t *testing.T) {
	var a, b []string
	for i := 0; i < 100; i++ {
		a = append(a, fmt.Sprintf(`"k%03d":%d`, i, i))
		b = append(b, fmt.Sprintf(`"k%03d":%d`, i, i+1))
	}
	got := Describe(doc(t, "other.kind", "2026-Q4", "{"+strings.Join(a, ",")+"}"), doc(t, "other.kind", "2026-Q4", "{"+strings.Join(b, ",")+"}"))
	if len(got) != maxLines+1 || got[0] != "k000: 0 → 1" || got[maxLines] != "… and 70 more change(s); git diff between the two commits shows them all" {
		t.Errorf("got %d lines, last %q", len(got), got[len(got)-1])
	}
}
