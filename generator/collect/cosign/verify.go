package cosign

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	cosignlib "github.com/sigstore/cosign/v2/pkg/cosign"
	"github.com/sigstore/cosign/v2/pkg/oci"
	ociremote "github.com/sigstore/cosign/v2/pkg/oci/remote"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"

	"github.com/evident-project/evident/generator/collect"
)

// verifier verifies the artifacts of one collection.
type verifier struct {
	c         *Collector
	t         *trust
	log       *readLog
	base      string
	transport http.RoundTripper
}

// outcome is the verdict on one signature or attestation.
type outcome struct {
	status string
	reason string
	signer *Signer
}

// remoteOpts are the registry options of every request of this collection.
func (v *verifier) remoteOpts(ctx context.Context) []remote.Option {
	opts := []remote.Option{remote.WithContext(ctx), remote.WithTransport(v.transport), remote.WithAuthFromKeychain(v.c.keychain)}
	if v.c.backoff != nil {
		opts = append(opts, remote.WithRetryBackoff(*v.c.backoff))
	}
	return opts
}

// checkOpts returns cosign's options for the declared signer. Without the
// identity, keyless verification still requires a certificate chaining to
// the trusted root: it is how wrong_identity is told from bad_signature.
func (v *verifier) checkOpts(ctx context.Context, claim func(oci.Signature, v1.Hash, map[string]any) error, withIdentity bool) *cosignlib.CheckOpts {
	co := &cosignlib.CheckOpts{
		RegistryClientOpts: []ociremote.Option{ociremote.WithRemoteOptions(v.remoteOpts(ctx)...)},
		ClaimVerifier:      claim,
		Offline:            true,
		MaxWorkers:         1,
	}
	if v.t.mode == "key" {
		co.SigVerifier = v.t.keyVer
		co.IgnoreTlog = true
		return co
	}
	co.TrustedMaterial = v.t.root
	co.IgnoreTlog = v.c.skipTransparency
	co.IgnoreSCT = v.c.skipTransparency
	if withIdentity {
		id := v.t.identity
		co.Identities = []cosignlib.Identity{{Subject: id.Subject, SubjectRegExp: id.SubjectRegexp, Issuer: id.Issuer, IssuerRegExp: id.IssuerRegexp}}
	}
	return co
}

// judge runs check with the declared signer and, when that fails in keyless
// mode, once more without the identity to tell wrong_identity apart.
func (v *verifier) judge(ctx context.Context, check func(withIdentity bool) error, signer func() *Signer) (outcome, error) {
	err := check(true)
	if err == nil {
		return outcome{status: StatusVerified, signer: signer()}, nil
	}
	if cerr := ctx.Err(); cerr != nil {
		return outcome{}, collect.Errorf(collect.KindCanceled, step, cerr)
	}
	if v.t.mode == "keyless" && check(false) == nil {
		s := signer()
		return outcome{status: StatusWrongIdentity, signer: s, reason: fmt.Sprintf("signed by %s (issuer %s), not the declared identity", s.Subject, s.Issuer)}, nil
	}
	reason := "signature does not verify: " + oneLine(err)
	if strings.Contains(err.Error(), "offline verification failed") {
		// cosign's words for a signature without a Rekor bundle to check offline.
		reason += " (no transparency log entry on the signature)"
	}
	if v.t.mode == "key" {
		reason = "signature does not verify with the declared key (made by another key, or the artifact or signature was altered): " + oneLine(err)
	}
	return outcome{status: StatusBadSignature, reason: reason}, nil
}

// signerOfCert names a certificate's subject and OIDC issuer as Fulcio
// encodes them.
func signerOfCert(cert *x509.Certificate) *Signer {
	if cert == nil {
		return &Signer{}
	}
	sum, err := certificate.SummarizeCertificate(cert)
	if err != nil {
		return &Signer{Subject: cert.Subject.String()}
	}
	return &Signer{Subject: sum.SubjectAlternativeName, Issuer: sum.Extensions.Issuer}
}

func (v *verifier) keySigner() *Signer { return &Signer{KeySHA256: v.t.keySHA} }

// signerOf names who made an OCI signature that verified.
func (v *verifier) signerOf(sig oci.Signature) func() *Signer {
	return func() *Signer {
		if v.t.mode == "key" {
			return v.keySigner()
		}
		cert, _ := sig.Cert()
		return signerOfCert(cert)
	}
}

// verifyBundle verifies a sigstore bundle over artifact with sigstore-go,
// configured as cosign verify-blob configures it.
func (v *verifier) verifyBundle(b *bundle.Bundle, artifact []byte, withIdentity bool) (*verify.VerificationResult, error) {
	var (
		tm     root.TrustedMaterial
		vopts  []verify.VerifierOption
		policy []verify.PolicyOption
	)
	if v.t.mode == "key" {
		key := root.NewExpiringKey(v.t.keyVer, time.Time{}, time.Time{})
		tm = root.NewTrustedPublicKeyMaterial(func(string) (root.TimeConstrainedVerifier, error) { return key, nil })
		vopts = append(vopts, verify.WithNoObserverTimestamps())
		policy = append(policy, verify.WithKey())
	} else {
		tm = v.t.root
		if v.c.skipTransparency {
			vopts = append(vopts, verify.WithCurrentTime())
		} else {
			vopts = append(vopts, verify.WithTransparencyLog(1), verify.WithObserverTimestamps(1), verify.WithSignedCertificateTimestamps(1))
		}
		if withIdentity {
			id := v.t.identity
			ci, err := verify.NewShortCertificateIdentity(id.Issuer, id.IssuerRegexp, id.Subject, id.SubjectRegexp)
			if err != nil {
				return nil, err
			}
			policy = append(policy, verify.WithCertificateIdentity(ci))
		} else {
			policy = append(policy, verify.WithoutIdentitiesUnsafe())
		}
	}
	sv, err := verify.NewVerifier(tm, vopts...)
	if err != nil {
		return nil, err
	}
	return sv.Verify(b, verify.NewPolicy(verify.WithArtifact(bytes.NewReader(artifact)), policy...))
}

// signerOfResult names who made a sigstore bundle that verified.
func (v *verifier) signerOfResult(res **verify.VerificationResult) func() *Signer {
	return func() *Signer {
		if v.t.mode == "key" {
			return v.keySigner()
		}
		if *res != nil && (*res).Signature != nil && (*res).Signature.Certificate != nil {
			c := (*res).Signature.Certificate
			return &Signer{Subject: c.SubjectAlternativeName, Issuer: c.Extensions.Issuer}
		}
		return &Signer{}
	}
}

// registryReason explains a registry failure without the request URL,
// which the failed read in the provenance already names.
func registryReason(what string, err error) string {
	var te *transport.Error
	if errors.As(err, &te) {
		if te.StatusCode == http.StatusNotFound {
			return what + ": not found in the registry"
		}
		if te.StatusCode == http.StatusUnauthorized || te.StatusCode == http.StatusForbidden {
			return fmt.Sprintf("%s: access denied by the registry (HTTP %d)", what, te.StatusCode)
		}
		return fmt.Sprintf("%s: registry answered HTTP %d", what, te.StatusCode)
	}
	return what + ": " + oneLine(err)
}

// oneLine flattens a multi-line library error into one line.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

// addSigner appends s to list unless an equal signer is already there.
func addSigner(list []Signer, s *Signer) []Signer {
	if s == nil {
		return list
	}
	for _, x := range list {
		if x == *s {
			return list
		}
	}
	return append(list, *s)
}
