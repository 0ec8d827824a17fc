package blobsig

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	sgbundle "github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/sign"
	"github.com/sigstore/sigstore-go/pkg/verify"
)

// The Sigstore public-good instance and GitHub Actions' OIDC settings.
const (
	// PublicGoodFulcioURL is the Fulcio CA of the Sigstore public-good instance.
	PublicGoodFulcioURL = "https://fulcio.sigstore.dev"
	// PublicGoodRekorURL is the Rekor log of the Sigstore public-good instance.
	PublicGoodRekorURL = "https://rekor.sigstore.dev"
	// GitHubActionsIssuer is the OIDC issuer Fulcio records for GitHub Actions.
	GitHubActionsIssuer = "https://token.actions.githubusercontent.com"
	// SigstoreAudience is the audience Fulcio requires in OIDC tokens.
	SigstoreAudience = "sigstore"
	// EnvGitHubTokenRequestURL is set by GitHub Actions in jobs with
	// `permissions: id-token: write`.
	EnvGitHubTokenRequestURL = "ACTIONS_ID_TOKEN_REQUEST_URL"
	// EnvGitHubTokenRequestToken authorizes the request to EnvGitHubTokenRequestURL.
	EnvGitHubTokenRequestToken = "ACTIONS_ID_TOKEN_REQUEST_TOKEN"
)

// TokenSource yields the OIDC identity token Fulcio exchanges for a certificate.
type TokenSource interface {
	// Token returns a raw JWT; it is called once per signature because
	// tokens are short-lived.
	Token(ctx context.Context) (string, error)
}

// StaticToken is a token obtained elsewhere (cosign's --identity-token).
type StaticToken string

// Token returns the token itself.
func (t StaticToken) Token(context.Context) (string, error) {
	if t == "" {
		return "", errors.New("empty identity token")
	}
	return string(t), nil
}

// GitHubActionsToken requests an OIDC token from the GitHub Actions runtime.
type GitHubActionsToken struct {
	// RequestURL is ACTIONS_ID_TOKEN_REQUEST_URL.
	RequestURL string
	// RequestToken is ACTIONS_ID_TOKEN_REQUEST_TOKEN.
	RequestToken string
	// Audience is the token's aud claim; empty means SigstoreAudience.
	Audience string
	// Client makes the request; nil means http.DefaultClient.
	Client *http.Client
}

// GitHubActionsTokenFromEnv reads the two variables GitHub Actions sets
// (getenv is usually os.Getenv).
func GitHubActionsTokenFromEnv(getenv func(string) string) (*GitHubActionsToken, error) {
	u, t := getenv(EnvGitHubTokenRequestURL), getenv(EnvGitHubTokenRequestToken)
	if u == "" || t == "" {
		return nil, fmt.Errorf("github actions oidc token: %s and %s are not set: give the job `permissions: id-token: write`", EnvGitHubTokenRequestURL, EnvGitHubTokenRequestToken)
	}
	return &GitHubActionsToken{RequestURL: u, RequestToken: t}, nil
}

// Token asks the runtime for a token with the configured audience.
func (g *GitHubActionsToken) Token(ctx context.Context) (string, error) {
	u, err := url.Parse(g.RequestURL)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return "", fmt.Errorf("github actions oidc token: bad %s %q", EnvGitHubTokenRequestURL, g.RequestURL)
	}
	aud := g.Audience
	if aud == "" {
		aud = SigstoreAudience
	}
	q := u.Query()
	q.Set("audience", aud)
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return "", fmt.Errorf("github actions oidc token: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+g.RequestToken)
	req.Header.Set("Accept", "application/json")
	client := g.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("github actions oidc token: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", fmt.Errorf("github actions oidc token: read response: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("github actions oidc token: %s %s: %s", req.Method, u.Redacted(), strings.TrimSpace(string(body)))
	}
	var payload struct {
		Value string `json:"value"`
	}
	if err := json.Unmarshal(body, &payload); err != nil {
		return "", fmt.Errorf("github actions oidc token: decode response: %w", err)
	}
	if payload.Value == "" {
		return "", errors.New("github actions oidc token: response holds no token")
	}
	return payload.Value, nil
}

// KeylessOptions configure a KeylessSigner.
type KeylessOptions struct {
	// Token supplies the OIDC token; required.
	Token TokenSource
	// FulcioURL is the CA; empty means PublicGoodFulcioURL.
	FulcioURL string
	// RekorURL is the transparency log; empty means PublicGoodRekorURL.
	RekorURL string
	// CertificateProvider replaces the Fulcio client built from FulcioURL
	// (a private CA, or a test double).
	CertificateProvider sign.CertificateProvider
	// TransparencyLog replaces the Rekor client built from RekorURL.
	TransparencyLog sign.Transparency
	// TrustedMaterial, when set, is used to verify each bundle right after
	// signing (certificate chain, SCT, log entry), so evidence is never
	// committed with a bundle an auditor's cosign would reject.
	TrustedMaterial root.TrustedMaterial
}

// KeylessSigner signs with a fresh key per signature, certified by Fulcio
// for the OIDC identity and logged in Rekor.
type KeylessSigner struct {
	token     TokenSource
	ca        sign.CertificateProvider
	tlog      sign.Transparency
	selfCheck *verify.Verifier
}

var _ BlobSigner = (*KeylessSigner)(nil)

// NewKeylessSigner builds a signer; it does not contact anything yet.
func NewKeylessSigner(o KeylessOptions) (*KeylessSigner, error) {
	if o.Token == nil {
		return nil, errors.New("keyless signer: an OIDC token source is required")
	}
	s := &KeylessSigner{token: o.Token, ca: o.CertificateProvider, tlog: o.TransparencyLog}
	if s.ca == nil {
		u := o.FulcioURL
		if u == "" {
			u = PublicGoodFulcioURL
		}
		s.ca = sign.NewFulcio(&sign.FulcioOptions{BaseURL: u, Retries: 2})
	}
	if s.tlog == nil {
		u := o.RekorURL
		if u == "" {
			u = PublicGoodRekorURL
		}
		s.tlog = sign.NewRekor(&sign.RekorOptions{BaseURL: u, Retries: 2})
	}
	if o.TrustedMaterial != nil {
		v, err := verify.NewVerifier(o.TrustedMaterial,
			verify.WithSignedCertificateTimestamps(1),
			verify.WithTransparencyLog(1),
			verify.WithIntegratedTimestamps(1))
		if err != nil {
			return nil, fmt.Errorf("keyless signer: %w", err)
		}
		s.selfCheck = v
	}
	return s, nil
}

// SignBlob gets a token, a certificate and a log entry, and returns the bundle.
func (s *KeylessSigner) SignBlob(ctx context.Context, payload []byte) ([]byte, error) {
	tok, err := s.token.Token(ctx)
	if err != nil {
		return nil, fmt.Errorf("sign blob keyless: %w", err)
	}
	kp, err := sign.NewEphemeralKeypair(nil)
	if err != nil {
		return nil, fmt.Errorf("sign blob keyless: ephemeral key: %w", err)
	}
	pb, err := sign.Bundle(&sign.PlainData{Data: payload}, kp, sign.BundleOptions{
		Context:                    ctx,
		CertificateProvider:        stepCA{s.ca},
		CertificateProviderOptions: &sign.CertificateProviderOptions{IDToken: tok},
		TransparencyLogs:           []sign.Transparency{stepLog{s.tlog}},
	})
	if err != nil {
		return nil, fmt.Errorf("sign blob keyless: %w", err)
	}
	if s.selfCheck != nil {
		if err := s.check(pb, payload); err != nil {
			return nil, fmt.Errorf("sign blob keyless: check new bundle: %w", err)
		}
	}
	out, err := marshalBundle(pb)
	if err != nil {
		return nil, fmt.Errorf("sign blob keyless: %w", err)
	}
	return out, nil
}

func (s *KeylessSigner) check(pb *protobundle.Bundle, payload []byte) error {
	b, err := sgbundle.NewBundle(pb)
	if err != nil {
		return err
	}
	_, err = s.selfCheck.Verify(b, verify.NewPolicy(verify.WithArtifact(bytes.NewReader(payload)), verify.WithoutIdentitiesUnsafe()))
	return err
}

// stepCA and stepLog name the failed step in errors: sign.Bundle does not.
type stepCA struct{ sign.CertificateProvider }

// GetCertificate asks the CA and names Fulcio in any error.
func (c stepCA) GetCertificate(ctx context.Context, kp sign.Keypair, o *sign.CertificateProviderOptions) ([]byte, error) {
	cert, err := c.CertificateProvider.GetCertificate(ctx, kp, o)
	if err != nil {
		return nil, fmt.Errorf("fulcio certificate: %w", err)
	}
	return cert, nil
}

type stepLog struct{ sign.Transparency }

// GetTransparencyLogEntry asks the log and names Rekor in any error.
func (l stepLog) GetTransparencyLogEntry(ctx context.Context, keyOrCertPEM []byte, b *protobundle.Bundle) error {
	if err := l.Transparency.GetTransparencyLogEntry(ctx, keyOrCertPEM, b); err != nil {
		return fmt.Errorf("rekor entry: %w", err)
	}
	return nil
}
