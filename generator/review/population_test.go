package review

import (
	"encoding/json"
	"reflect"
	"testing"
)

func jsonData(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestFromGitHub(t *testing.T) {
	gs, err := FromGitHub("a.json", jsonData(t, `{"org":"acme","privileged":[
		{"login":"bob","scope":"org","permission":"owner","via":"organisation owner"},
		{"login":"alice","scope":"acme/api","permission":"admin","via":"direct"}],
		"members_without_2fa":["carol"]}`))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, g := range gs {
		got = append(got, g.Principal+" | "+g.Access())
	}
	want := []string{"bob | GitHub acme: owner on organisation", "alice | GitHub acme: admin on acme/api", "carol | GitHub acme: member without 2FA on organisation"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("grants = %q, want %q", got, want)
	}
	if _, err := FromGitHub("a.json", jsonData(t, `{"org":"acme"}`)); err == nil {
		t.Error("an item without a privileged list gave a population")
	}
}

func TestFromKube(t *testing.T) {
	gs, platform, err := FromKube("k.json", jsonData(t, `{"cluster":"prod","privileged":{
		"cluster_admin":[
			{"subject":"user:alice","category":"user","via":[{"binding":"ClusterRoleBinding/a","role":"ClusterRole/cluster-admin"}]},
			{"subject":"group:system:masters","category":"system","via":[{"binding":"ClusterRoleBinding/cluster-admin","role":"ClusterRole/cluster-admin"}]}],
		"secret_readers":[
			{"subject":"serviceaccount:app:reader","category":"service_account","via":[{"namespace":"app","binding":"RoleBinding/r","role":"Role/r"}]},
			{"subject":"serviceaccount:kube-system:token-cleaner","category":"service_account","via":[{"namespace":"kube-system","binding":"RoleBinding/t","role":"Role/t"}]}],
		"exec":[{"subject":"user:bob","category":"user","via":[{"binding":"ClusterRoleBinding/e","role":"ClusterRole/e"}]}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, g := range gs {
		got = append(got, g.Principal+" | "+g.Access()+" | "+g.Via)
	}
	want := []string{
		"user:alice | Kubernetes prod: cluster-admin on cluster | ClusterRoleBinding/a → ClusterRole/cluster-admin",
		"serviceaccount:app:reader | Kubernetes prod: read secrets on namespace app | RoleBinding/r → Role/r",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("grants = %q, want %q", got, want)
	}
	if want := []string{"group:system:masters", "serviceaccount:kube-system:token-cleaner"}; !reflect.DeepEqual(platform, want) {
		t.Errorf("platform = %q, want %q", platform, want)
	}
}
