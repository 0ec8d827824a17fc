package ghapi

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/evident-project/evident/generator/collect"
)

// appServer is a GitHub that checks app JWTs with the app's public key and
// mints numbered installation tokens.
type appServer struct {
	t       *testing.T
	pub     *rsa.PublicKey
	appID   string
	now     func() time.Time
	mints   atomic.Int64
	lookups atomic.Int64
	mu      sync.Mutex
	revoked map[string]bool
}

func (s *appServer) verifyJWT(h string) error {
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		return fmt.Errorf("no bearer")
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return fmt.Errorf("not a jwt")
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return err
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(s.pub, crypto.SHA256, sum[:], sig); err != nil {
		return err
	}
	cb, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var c struct {
		Iat int64  `json:"iat"`
		Exp int64  `json:"exp"`
		Iss string `json:"iss"`
	}
	if err := json.Unmarshal(cb, &c); err != nil {
		return err
	}
	now := s.now().Unix()
	if c.Iss != s.appID || c.Exp-c.Iat > 600 || c.Iat > now || c.Exp < now {
		return fmt.Errorf("bad claims %+v", c)
	}
	return nil
}

func (s *appServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/orgs/acme/installation":
		if err := s.verifyJWT(r.Header.Get("Authorization")); err != nil {
			writeJSON(w, 401, map[string]string{"message": "A JSON web token could not be decoded"})
			return
		}
		s.lookups.Add(1)
		writeJSON(w, 200, map[string]any{"id": 9})
	case r.URL.Path == "/app/installations/9/access_tokens" && r.Method == "POST":
		if err := s.verifyJWT(r.Header.Get("Authorization")); err != nil {
			s.t.Logf("jwt rejected: %v", err)
			writeJSON(w, 401, map[string]string{"message": "A JSON web token could not be decoded"})
			return
		}
		n := s.mints.Add(1)
		writeJSON(w, 201, map[string]any{"token": fmt.Sprintf("ghs_installationSecret%d", n), "expires_at": s.now().Add(time.Hour)})
	default:
		h := r.Header.Get("Authorization")
		s.mu.Lock()
		revoked := s.revoked[h]
		s.mu.Unlock()
		if !strings.HasPrefix(h, "Bearer ghs_installationSecret") || revoked {
			writeJSON(w, 401, map[string]string{"message": "Bad credentials"})
			return
		}
		writeJSON(w, 200, map[string]string{"auth": "ok"})
	}
}

func rsaKeyPEM(t *testing.T) (*rsa.PrivateKey, []byte) {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
}

func TestAppInstallationAuth(t *testing.T) {
	key, keyPEM := rsaKeyPEM(t)
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	as := &appServer{t: t, pub: &key.PublicKey, appID: "42", now: clock, revoked: map[string]bool{}}
	srv := httptest.NewServer(http.StripPrefix("/api/v3", as))
	defer srv.Close()
	creds, err := NewAppInstallation(AppConfig{AppID: 42, Org: "acme", PrivateKeyPEM: keyPEM, BaseURL: srv.URL, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(Config{BaseURL: srv.URL, Credentials: creds, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	get := func() {
		t.Helper()
		var v map[string]string
		if err := c.Get(context.Background(), "repos/acme/api", nil, &v); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 3; i++ {
		get()
	}
	if as.lookups.Load() != 1 || as.mints.Load() != 1 {
		t.Fatalf("lookups %d mints %d, want 1 and 1 for three requests", as.lookups.Load(), as.mints.Load())
	}
	// Near expiry a new token is minted before use.
	mu.Lock()
	now = now.Add(59*time.Minute + 30*time.Second)
	mu.Unlock()
	get()
	if as.mints.Load() != 2 {
		t.Fatalf("mints %d after expiry, want 2", as.mints.Load())
	}
	// A token revoked early: the 401 drops it and the request is retried
	// once with a fresh one.
	as.mu.Lock()
	as.revoked["Bearer ghs_installationSecret2"] = true
	as.mu.Unlock()
	get()
	if as.mints.Load() != 3 {
		t.Fatalf("mints %d after revocation, want 3", as.mints.Load())
	}
	if s := fmt.Sprintf("%v %#v", creds, creds); s != "github app 42 installed on acme &{github app 42 installed on acme}" && strings.Contains(s, "BEGIN") {
		t.Errorf("credential formats as %q", s)
	}
	if strings.Contains(fmt.Sprintf("%v %+v %#v", creds, creds, creds), "ghs_") {
		t.Error("formatting the credential shows the installation token")
	}
}

func TestAppInstallationFailures(t *testing.T) {
	key, keyPEM := rsaKeyPEM(t)
	_, otherPEM := rsaKeyPEM(t)
	as := &appServer{t: t, pub: &key.PublicKey, appID: "42", now: time.Now, revoked: map[string]bool{}}
	srv := httptest.NewServer(http.StripPrefix("/api/v3", as))
	defer srv.Close()

	// Signed with the wrong key: the mint fails as a permission error and
	// the message carries GitHub's text, not any key or token.
	creds, err := NewAppInstallation(AppConfig{AppID: 42, InstallationID: 9, PrivateKeyPEM: otherPEM, BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := New(Config{BaseURL: srv.URL, Credentials: creds})
	err = c.Get(context.Background(), "repos/acme/api", nil, new(map[string]string))
	if Kind(err) != collect.KindPermission {
		t.Fatalf("err %v kind %s", err, Kind(err))
	}
	want := "authenticate: github app 42 installation 9: create installation token: POST /app/installations/9/access_tokens: 401 A JSON web token could not be decoded"
	if err.Error() != want {
		t.Errorf("error\n %q\nwant\n %q", err, want)
	}
	if r := c.Reads(); len(r) != 1 || r[0].Status != "auth error" {
		t.Errorf("reads %+v", r)
	}

	for name, cfg := range map[string]AppConfig{
		"no app id":       {InstallationID: 9, PrivateKeyPEM: keyPEM},
		"no installation": {AppID: 42, PrivateKeyPEM: keyPEM},
		"no key":          {AppID: 42, InstallationID: 9, PrivateKeyPEM: []byte("not pem")},
	} {
		if _, err := NewAppInstallation(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
