package review

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// FromGitHub is the privileged GitHub access of one github.access item:
// organisation owners, repository admins and maintainers (the collector's
// privileged list), and members without two-factor authentication, who
// are a privileged risk whatever their role.
func FromGitHub(evidencePath string, data any) ([]Grant, error) {
	var d struct {
		Org        string `json:"org"`
		Privileged []struct {
			Login, Scope, Permission, Via string
		} `json:"privileged"`
		Without2FA []string `json:"members_without_2fa"`
	}
	if err := decode(data, &d); err != nil {
		return nil, fmt.Errorf("read %s: %w", evidencePath, err)
	}
	if d.Privileged == nil {
		return nil, fmt.Errorf("%s holds no privileged list (a collector from before access reviews, or a partial read)", evidencePath)
	}
	system := "GitHub " + d.Org
	var out []Grant
	for _, p := range d.Privileged {
		scope := p.Scope
		if scope == "org" {
			scope = "organisation"
		}
		out = append(out, Grant{Principal: p.Login, System: system, Scope: scope, Right: p.Permission, Via: p.Via, Evidence: evidencePath})
	}
	for _, l := range d.Without2FA {
		out = append(out, Grant{Principal: l, System: system, Scope: "organisation", Right: "member without 2FA", Evidence: evidencePath})
	}
	return out, nil
}

// kubeRights are the Kubernetes rights under review, as the rbac package's
// Privileged fields name them: cluster-admin equivalents, secret readers and
// those who can escalate, bind or impersonate (the rights the seeds name;
// the others, exec or node proxy, are held by the same subjects here and
// tested by the K8 controls).
var kubeRights = []struct{ field, right string }{
	{"cluster_admin", "cluster-admin"},
	{"namespace_admin", "namespace admin"},
	{"secret_readers", "read secrets"},
	{"escalate_bind_impersonate", "escalate, bind or impersonate"},
}

// FromKube is the privileged access of one kube.rbac item. Built-in
// control-plane identities (system:* users and groups, kube-system service
// accounts) are returned in platform, not as grants: the cluster manages them
// and no reviewer can revoke them.
func FromKube(evidencePath string, data any) (grants []Grant, platform []string, err error) {
	var d struct {
		Cluster    string `json:"cluster"`
		Privileged map[string][]struct {
			Subject, Kind, Name, Namespace, Category string
			Via                                      []struct {
				Namespace, Binding, Role string
			}
		} `json:"privileged"`
	}
	if err := decode(data, &d); err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", evidencePath, err)
	}
	if d.Privileged == nil {
		return nil, nil, fmt.Errorf("%s holds no privileged population", evidencePath)
	}
	system := "Kubernetes " + d.Cluster
	seenPlatform := map[string]bool{}
	for _, r := range kubeRights {
		for _, h := range d.Privileged[r.field] {
			if h.Category == "system" || strings.HasPrefix(h.Subject, "serviceaccount:kube-system:") {
				seenPlatform[h.Subject] = true
				continue
			}
			cluster, namespaces, vias := false, map[string]bool{}, map[string]bool{}
			for _, v := range h.Via {
				if v.Namespace == "" {
					cluster = true
				} else {
					namespaces[v.Namespace] = true
				}
				vias[v.Binding+" → "+v.Role] = true
			}
			scope := "cluster"
			if !cluster {
				scope = "namespace " + strings.Join(sortedKeys(namespaces), ", ")
			}
			grants = append(grants, Grant{Principal: h.Subject, System: system, Scope: scope, Right: r.right, Via: strings.Join(sortedKeys(vias), "; "), Evidence: evidencePath})
		}
	}
	return grants, sortedKeys(seenPlatform), nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func decode(data any, v any) error {
	b, err := json.Marshal(data)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}
