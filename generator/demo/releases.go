package demo

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/evident-project/evident/generator/collect"
	"github.com/evident-project/evident/generator/collect/cosign"
	"github.com/evident-project/evident/generator/collect/cosign/cosigntest"
)

// The bank's release registry exists only inside the demo process: the
// cosign collector reaches it through an http.RoundTripper, no port opened.
const (
	releaseRegistryHost = "registry.firstharbor.example"
	releaseKeyPub       = "keys/release-cosign.pub"
)

// releaseArtifact is one image the bank released in the period.
type releaseArtifact struct {
	Name, Image string
}

// releases publishes the bank's two release images: core-ledger signed by the
// release key with SLSA provenance and an SBOM attached, payments-api pushed
// without any signature (the release job's signing step was skipped). It
// returns the registry the demo collects with and the artifacts to declare.
func releases(ctx context.Context, seed int64, configDir string, reg *collect.Registry) (*collect.Registry, []releaseArtifact, error) {
	r := cosigntest.NewRegistry(releaseRegistryHost)
	key := cosigntest.KeyFromSeed(fmt.Sprintf("first-harbor release key %d", seed))
	signer := cosigntest.Signer{Key: key}
	ledger, err := r.PushImage(ctx, "firstharbor/core-ledger", fmt.Sprintf("core-ledger 4.2.0 %d", seed))
	if err != nil {
		return nil, nil, fmt.Errorf("demo: push release image: %w", err)
	}
	if err := r.SignImage(ctx, ledger, signer); err != nil {
		return nil, nil, fmt.Errorf("demo: sign release image: %w", err)
	}
	prov := cosigntest.SLSAProvenance("https://github.com/firstharbor/core-ledger/.github/workflows/release.yml@refs/tags/v4.2.0", "https://github.com/firstharbor/core-ledger")
	if err := r.AttestImage(ctx, ledger, signer, cosigntest.SLSAProvenanceV1, prov); err != nil {
		return nil, nil, fmt.Errorf("demo: attest release image: %w", err)
	}
	sbom := map[string]any{"spdxVersion": "SPDX-2.3", "name": "core-ledger-4.2.0", "packages": []any{}}
	if err := r.AttestImage(ctx, ledger, signer, cosigntest.SPDXDocument, sbom); err != nil {
		return nil, nil, fmt.Errorf("demo: attach SBOM: %w", err)
	}
	payments, err := r.PushImage(ctx, "firstharbor/payments-api", fmt.Sprintf("payments-api 2.7.1 %d", seed))
	if err != nil {
		return nil, nil, fmt.Errorf("demo: push release image: %w", err)
	}
	p := filepath.Join(configDir, filepath.FromSlash(releaseKeyPub))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return nil, nil, fmt.Errorf("demo: %w", err)
	}
	if err := os.WriteFile(p, cosigntest.PublicKeyPEM(key), 0o644); err != nil {
		return nil, nil, fmt.Errorf("demo: %w", err)
	}
	withRegistry := reg.With(cosign.New(cosign.WithTransport(r.Transport())))
	return withRegistry, []releaseArtifact{
		{Name: "core-ledger 4.2.0", Image: ledger.String()},
		{Name: "payments-api 2.7.1", Image: payments.String()},
	}, nil
}

// auditLogBucketScript stands in for `aws s3api get-object-lock-configuration`
// against the bank's audit-log bucket. Read live, the bucket is in GOVERNANCE
// mode — which privileged users can bypass — although the configuration
// export filed under records/ still says COMPLIANCE: the stale-export finding
// the live read exists to catch.
const auditLogBucketScript = `#!/bin/sh
# Demo stand-in for: aws s3api get-object-lock-configuration --bucket "$3" --output json
cat <<'JSON'
{
  "ObjectLockConfiguration": {
    "ObjectLockEnabled": "Enabled",
    "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Years": 7}}
  }
}
JSON
`

const auditLogBucketScriptPath = "tools/aws-s3api.sh"

func writeAuditLogBucketScript(configDir string) error {
	p := filepath.Join(configDir, filepath.FromSlash(auditLogBucketScriptPath))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if err := os.WriteFile(p, []byte(auditLogBucketScript), 0o755); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	return nil
}
