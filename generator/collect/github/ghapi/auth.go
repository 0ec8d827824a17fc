package ghapi

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Credentials authorise requests. Implementations never reveal the secret
// through String, GoString or an error: the token must not reach evidence,
// logs or the site.
type Credentials interface {
	// Authorization returns the value of the Authorization header.
	Authorization(ctx context.Context) (string, error)
	// Invalidate drops a cached token after a 401 and reports whether a
	// retry could be sent with a different one.
	Invalidate() bool
	// String describes the credential without its secret, for provenance.
	String() string
}

// ErrNoToken is returned when the token variable is unset or empty.
var ErrNoToken = errors.New("no github token")

// TokenFromEnv reads a personal access or Actions token from the named
// environment variable through lookup (os.LookupEnv in production).
func TokenFromEnv(name string, lookup func(string) (string, bool)) (Credentials, error) {
	if name == "" {
		name = "GITHUB_TOKEN"
	}
	v, ok := lookup(name)
	v = strings.TrimSpace(v)
	if !ok || v == "" {
		return nil, fmt.Errorf("%w: environment variable %s is empty", ErrNoToken, name)
	}
	return &staticToken{name: name, token: v}, nil
}

// staticToken is a token read once from the environment.
type staticToken struct {
	name  string
	token string
}

// Authorization returns the bearer header for the token.
func (t *staticToken) Authorization(context.Context) (string, error) {
	return "Bearer " + t.token, nil
}

// Invalidate reports false: an environment token cannot be refreshed.
func (t *staticToken) Invalidate() bool { return false }

// String names the variable, never the token.
func (t *staticToken) String() string { return "token from $" + t.name }

// GoString keeps %#v from printing the token.
func (t *staticToken) GoString() string { return t.String() }

// AppConfig configures GitHub App installation authentication.
type AppConfig struct {
	// AppID is the GitHub App's id.
	AppID int64
	// InstallationID is the installation on the organisation; 0 looks it up
	// from Org with the app's JWT.
	InstallationID int64
	// Org is the organisation the app is installed on (used when
	// InstallationID is 0).
	Org string
	// PrivateKeyPEM is the app's RSA private key (PKCS#1 or PKCS#8 PEM).
	PrivateKeyPEM []byte
	// BaseURL is the REST API base URL; default https://api.github.com/.
	BaseURL string
	// Transport carries the token requests; default http.DefaultTransport.
	Transport http.RoundTripper
	// Now is the clock; default time.Now. JWTs carry times, so a simulated
	// clock in tests must stay near the server's.
	Now func() time.Time
}

// appInstallation mints installation tokens from the app's private key and
// caches each until shortly before it expires.
type appInstallation struct {
	cfg  AppConfig
	key  *rsa.PrivateKey
	base *url.URL

	mu      sync.Mutex
	token   string
	expires time.Time
	instID  int64
}

// NewAppInstallation returns Credentials for a GitHub App installation.
func NewAppInstallation(cfg AppConfig) (Credentials, error) {
	if cfg.AppID <= 0 {
		return nil, errors.New("github app: app id is required")
	}
	if cfg.InstallationID <= 0 && cfg.Org == "" {
		return nil, errors.New("github app: installation id or organisation is required")
	}
	key, err := parseRSAKey(cfg.PrivateKeyPEM)
	if err != nil {
		return nil, fmt.Errorf("github app %d: private key: %w", cfg.AppID, err)
	}
	base, err := ParseBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("github app %d: %w", cfg.AppID, err)
	}
	if cfg.Transport == nil {
		cfg.Transport = http.DefaultTransport
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &appInstallation{cfg: cfg, key: key, base: base, instID: cfg.InstallationID}, nil
}

func parseRSAKey(b []byte) (*rsa.PrivateKey, error) {
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, errors.New("no PEM block")
	}
	if k, err := x509.ParsePKCS1PrivateKey(blk.Bytes); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, errors.New("not an RSA private key in PKCS#1 or PKCS#8 form")
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("key is %T, GitHub Apps use RSA", k)
	}
	return rk, nil
}

// String names the app and installation, never the key or token.
func (a *appInstallation) String() string {
	if a.cfg.InstallationID > 0 {
		return fmt.Sprintf("github app %d installation %d", a.cfg.AppID, a.cfg.InstallationID)
	}
	return fmt.Sprintf("github app %d installed on %s", a.cfg.AppID, a.cfg.Org)
}

// GoString keeps %#v from printing the key or token.
func (a *appInstallation) GoString() string { return a.String() }

// Invalidate drops the cached installation token.
func (a *appInstallation) Invalidate() bool {
	a.mu.Lock()
	a.token = ""
	a.mu.Unlock()
	return true
}

// Authorization returns a cached installation token, minting a new one
// when it expires within a minute.
func (a *appInstallation) Authorization(ctx context.Context) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.cfg.Now()
	if a.token != "" && now.Add(time.Minute).Before(a.expires) {
		return "Bearer " + a.token, nil
	}
	jwt, err := a.jwt(now)
	if err != nil {
		return "", fmt.Errorf("%s: sign jwt: %w", a, err)
	}
	if a.instID <= 0 {
		var inst struct {
			ID int64 `json:"id"`
		}
		if err := a.call(ctx, "GET", "orgs/"+url.PathEscape(a.cfg.Org)+"/installation", jwt, http.StatusOK, &inst); err != nil {
			return "", fmt.Errorf("%s: find installation: %w", a, err)
		}
		if inst.ID <= 0 {
			return "", fmt.Errorf("%s: find installation: no installation id in the answer", a)
		}
		a.instID = inst.ID
	}
	var tok struct {
		Token     string    `json:"token"`
		ExpiresAt time.Time `json:"expires_at"`
	}
	if err := a.call(ctx, "POST", "app/installations/"+strconv.FormatInt(a.instID, 10)+"/access_tokens", jwt, http.StatusCreated, &tok); err != nil {
		return "", fmt.Errorf("%s: create installation token: %w", a, err)
	}
	if tok.Token == "" {
		return "", fmt.Errorf("%s: create installation token: empty token", a)
	}
	a.token, a.expires = tok.Token, tok.ExpiresAt
	if a.expires.IsZero() {
		a.expires = now.Add(55 * time.Minute)
	}
	return "Bearer " + a.token, nil
}

// jwt signs the app's RS256 JWT. iat is set a minute back to allow for
// clock drift, and exp well under GitHub's ten-minute maximum.
func (a *appInstallation) jwt(now time.Time) (string, error) {
	enc := base64.RawURLEncoding
	header := enc.EncodeToString([]byte(`{"alg":"RS256","typ":"JWT"}`))
	claims, err := json.Marshal(map[string]any{
		"iat": now.Add(-time.Minute).Unix(),
		"exp": now.Add(9 * time.Minute).Unix(),
		"iss": strconv.FormatInt(a.cfg.AppID, 10),
	})
	if err != nil {
		return "", err
	}
	signing := header + "." + enc.EncodeToString(claims)
	sum := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(rand.Reader, a.key, crypto.SHA256, sum[:])
	if err != nil {
		return "", err
	}
	return signing + "." + enc.EncodeToString(sig), nil
}

// call makes one app-authenticated request. Error texts carry the status
// and GitHub's message only: the body of a token answer holds the secret.
func (a *appInstallation) call(ctx context.Context, method, path, jwt string, want int, v any) error {
	u := a.base.ResolveReference(&url.URL{Path: path})
	req, err := http.NewRequestWithContext(ctx, method, u.String(), http.NoBody)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+jwt)
	req.Header.Set("Accept", "application/vnd.github+json")
	req.Header.Set("X-GitHub-Api-Version", APIVersion)
	resp, err := a.cfg.Transport.RoundTrip(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return &TransientError{Op: method + " /" + path, Reason: "request failed", Err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return &TransientError{Op: method + " /" + path, Reason: "read answer", Err: err}
	}
	if resp.StatusCode != want {
		var e struct {
			Message string `json:"message"`
		}
		_ = json.Unmarshal(body, &e)
		return &HTTPError{Method: method, Path: "/" + path, Status: resp.StatusCode, Message: e.Message}
	}
	if err := json.NewDecoder(bytes.NewReader(body)).Decode(v); err != nil {
		return &TransientError{Op: method + " /" + path, Reason: "malformed json answer"}
	}
	return nil
}
