package rbac_test

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"testing"

	"github.com/evident-project/evident/generator/rbac"
	"github.com/evident-project/evident/generator/rbac/rbactest"
)

// evidence is everything the evaluator derives, as evidence would store it.
func evidence(t *testing.T, inv *rbac.Inventory) []byte {
	t.Helper()
	e := rbac.New(inv)
	b, err := json.Marshal(map[string]any{
		"subjects":   e.Subjects(),
		"privileged": e.Privileged(),
		"problems":   e.Problems(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func shuffle[T any](r *rand.Rand, s []T) {
	r.Shuffle(len(s), func(i, j int) { s[i], s[j] = s[j], s[i] })
}

// TestDeterministic: the same inventory listed in another order gives the
// same bytes, duplicates and all; and New does not change its input.
func TestDeterministic(t *testing.T) {
	base := func() *rbac.Inventory {
		inv := rbactest.Synthetic(7, rbactest.Size{Roles: 120, Bindings: 500, Subjects: 200, Namespaces: 6})
		// Two manifests for one name, differing: which is kept must not
		// depend on the order.
		dup := inv.ClusterRoleBindings[5]
		dup.RoleRef.Name = "cluster-admin"
		inv.ClusterRoleBindings = append(inv.ClusterRoleBindings, dup)
		inv.ServiceAccounts = append(inv.ServiceAccounts, inv.ServiceAccounts[0])
		rbac.Aggregate(inv)
		return inv
	}
	inv := base()
	before, _ := json.Marshal(inv)
	want := evidence(t, inv)
	if after, _ := json.Marshal(inv); !bytes.Equal(before, after) {
		t.Fatal("New changed its input")
	}
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 3 {
		inv := base()
		shuffle(r, inv.ClusterRoles)
		shuffle(r, inv.Roles)
		shuffle(r, inv.ClusterRoleBindings)
		shuffle(r, inv.RoleBindings)
		shuffle(r, inv.ServiceAccounts)
		if got := evidence(t, inv); !bytes.Equal(got, want) {
			t.Fatalf("shuffle %d: evidence differs (%d vs %d bytes)", i, len(got), len(want))
		}
	}
	// Aggregating a shuffled inventory gives the same rules too.
	inv = rbactest.Synthetic(7, rbactest.Size{Roles: 120, Bindings: 500, Subjects: 200, Namespaces: 6})
	shuffle(r, inv.ClusterRoles)
	rbac.Aggregate(inv)
	if got := evidence(t, inv); !bytes.Equal(got, evidence(t, func() *rbac.Inventory {
		inv := rbactest.Synthetic(7, rbactest.Size{Roles: 120, Bindings: 500, Subjects: 200, Namespaces: 6})
		rbac.Aggregate(inv)
		return inv
	}())) {
		t.Fatal("Aggregate depends on the order of the ClusterRoles")
	}
}

// TestNewCopies: changing the inventory after New changes no answer.
func TestNewCopies(t *testing.T) {
	inv := &rbac.Inventory{
		ClusterRoles:        []rbac.Role{{Name: "r", Rules: []rbac.Rule{{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"pods"}}}}},
		ClusterRoleBindings: []rbac.Binding{{Name: "b", RoleRef: rbac.RoleRef{Kind: "ClusterRole", Name: "r"}, Subjects: []rbac.Subject{{Kind: "User", Name: "u"}}}},
	}
	e := rbac.New(inv)
	inv.ClusterRoles[0].Rules[0].Verbs[0] = "delete"
	inv.ClusterRoleBindings[0].Subjects[0].Name = "v"
	if !e.Authorize(rbac.Request{User: "u", Verb: "get", Resource: "pods"}).Allowed {
		t.Fatal("the evaluator saw a change to its input")
	}
}

// TestConcurrentUse: one Evaluator answers from many goroutines (run with
// -race).
func TestConcurrentUse(t *testing.T) {
	inv := rbactest.Synthetic(3, rbactest.Size{Roles: 60, Bindings: 200, Subjects: 80, Namespaces: 4})
	rbac.Aggregate(inv)
	e := rbac.New(inv)
	want, _ := json.Marshal(rbac.New(inv).Privileged())
	done := make(chan []byte)
	for i := range 4 {
		go func() {
			if i%2 == 0 {
				e.Subjects()
			}
			e.Authorize(rbac.Request{User: "user-0001@example.com", Groups: []string{"system:authenticated"}, Verb: "get", Resource: "pods", Namespace: "ns-000"})
			b, _ := json.Marshal(e.Privileged())
			done <- b
		}()
	}
	for range 4 {
		if got := <-done; !bytes.Equal(got, want) {
			t.Fatal("concurrent Privileged differs")
		}
	}
}
