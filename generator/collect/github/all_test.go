package github

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/evident-project/evident/generator/catalog"
	"github.com/evident-project/evident/generator/collect"
	"github.com/evident-project/evident/generator/collect/github/fakegithub"
)

// everything builds a world every collector has something to read in.
func everything(w *fakegithub.World) {
	pullsWorld(w)
	o := w.Orgs["acme"]
	o.OutsideCollaborators = []string{"vendor-x"}
	o.Repo("api").Collaborators = []*fakegithub.Collaborator{{Login: "vendor-x", Permission: "admin", Outside: true}}
	o.Repo("api").CodeownersPath = "CODEOWNERS"
	o.Repo("api").Environments = []*fakegithub.Environment{{Name: "production", Reviewers: []fakegithub.EnvReviewer{{Type: "User", Name: "alice"}}}}
}

func TestCollectorsAreTheFivePlanned(t *testing.T) {
	var names []string
	for _, c := range Collectors() {
		if err := c.Def().Validate(); err != nil {
			t.Error(err)
		}
		if c.Def().SourceKind != "github" {
			t.Errorf("%s source kind %q", c.Def().Name, c.Def().SourceKind)
		}
		names = append(names, c.Def().Name)
	}
	want := []string{"github.branch_protection", "github.pulls", "github.access", "github.actions", "github.codeowners"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("collectors %v, want %v", names, want)
	}
	reg := collect.NewRegistry()
	for _, c := range Collectors() {
		reg.Register(c)
	}
	for _, n := range want {
		if _, ok := reg.Lookup(n); !ok {
			t.Errorf("%s not registered", n)
		}
	}
}

// TestTokenNeverInEvidence runs every collector — succeeding, seeing
// hidden fields, and failing after retries — with logging on, and looks
// for the token in everything they produce.
func TestTokenNeverInEvidence(t *testing.T) {
	for _, viewer := range []fakegithub.Viewer{fakegithub.Admin, {Login: "reader"}} {
		e := newEnv(t, viewer, everything)
		var logs bytes.Buffer
		opts := append(append([]Option{}, e.opts...), WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
		var texts []string
		for _, c := range Collectors(opts...) {
			res, err := c.Collect(context.Background(), e.request())
			if err != nil {
				t.Fatalf("%s: %v", c.Def().Name, err)
			}
			b, _ := json.Marshal(res)
			texts = append(texts, string(b))
		}
		e.srv.Inject(fakegithub.Fault{Path: "/repos/acme/api*", Kind: fakegithub.Fault502})
		for _, c := range Collectors(opts...) {
			_, err := c.Collect(context.Background(), e.request())
			if err == nil {
				t.Fatalf("%s succeeded through 502s", c.Def().Name)
			}
			texts = append(texts, err.Error(), fmt.Sprintf("%#v", err))
		}
		e.srv.ClearFaults()
		texts = append(texts, logs.String())
		if !strings.Contains(logs.String(), "retrying") {
			t.Error("nothing was logged; the log check proves nothing")
		}
		for _, s := range texts {
			if strings.Contains(s, testToken) || strings.Contains(s, testToken[4:16]) {
				t.Fatalf("token leaked: %.300s", s)
			}
		}
	}
}

func TestAppAuthentication(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, fakegithub.Admin, everything)
	e.srv.AddApp(99, &key.PublicKey)
	req := e.request("api")
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	if err := os.WriteFile(filepath.Join(req.BaseDir, "app.pem"), keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	opts := append(append([]Option{}, e.opts...), WithApp(AppAuth{AppID: 99, PrivateKeyFile: "app.pem"}))
	cs := Collectors(opts...)
	for _, c := range cs[:2] {
		if _, err := c.Collect(context.Background(), req); err != nil {
			t.Fatalf("%s as a GitHub App: %v", c.Def().Name, err)
		}
	}
	// One installation lookup and one token for both collectors.
	if n := e.srv.Counts().ByPath["/app/installations/990/access_tokens"]; n != 1 {
		t.Errorf("%d installation tokens minted for two collectors", n)
	}
	// The app declared on the source in controls.yaml works the same way.
	src := *req.Source.(*catalog.GitHubSource)
	src.App = catalog.GitHubApp{ID: 99, PrivateKeyFile: "app.pem"}
	perSource := req
	perSource.Source = &src
	if _, err := NewAccess(e.opts...).Collect(context.Background(), perSource); err != nil {
		t.Fatalf("with the app declared on the source: %v", err)
	}
	if n := e.srv.Counts().ByPath["/app/installations/990/access_tokens"]; n != 2 {
		t.Errorf("the source's app minted no token of its own (%d in all)", n)
	}
	bad := append(append([]Option{}, e.opts...), WithApp(AppAuth{AppID: 99, PrivateKeyFile: "missing.pem"}))
	_, err = NewPulls(bad...).Collect(context.Background(), req)
	if collect.KindOf(err) != collect.KindPermission || !strings.Contains(err.Error(), "read github app private key missing.pem") ||
		strings.Contains(err.Error(), req.BaseDir) {
		t.Errorf("missing key: %v", err)
	}
}
