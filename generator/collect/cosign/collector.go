package cosign

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/evident-project/evident/generator/collect"
)

//go:embed def.yml
var defYAML []byte

// def is parsed once: a broken def.yml is a build defect, caught at start-up.
var def = collect.MustParseDef(defYAML)

// Collector is the cosign.artifacts collector.
type Collector struct {
	transport http.RoundTripper
	keychain  authn.Keychain
	backoff   *remote.Backoff
	// skipTransparency disables tlog and SCT checks; only this package's
	// tests set it, because they have no Rekor or CT log to vouch for
	// their throw-away certificates.
	skipTransparency bool
}

// Option configures a Collector.
type Option func(*Collector)

// WithTransport sends every registry request through rt instead of
// http.DefaultTransport: tests and the demo serve an in-process registry.
func WithTransport(rt http.RoundTripper) Option { return func(c *Collector) { c.transport = rt } }

// WithKeychain sets the registry credentials source (default: the docker
// config of the user running evident, as cosign and crane use).
func WithKeychain(kc authn.Keychain) Option { return func(c *Collector) { c.keychain = kc } }

// WithRetryBackoff sets how registry requests that fail transiently are
// retried (default: go-containerregistry's, about 4s over 3 attempts).
func WithRetryBackoff(b remote.Backoff) Option { return func(c *Collector) { c.backoff = &b } }

// withoutTransparencyChecks turns off transparency log and SCT verification
// for keyless signatures. Unexported on purpose: production keyless
// verification always requires both.
func withoutTransparencyChecks() Option { return func(c *Collector) { c.skipTransparency = true } }

// New returns the cosign.artifacts collector.
func New(opts ...Option) collect.Collector {
	c := &Collector{transport: http.DefaultTransport, keychain: authn.DefaultKeychain}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Def returns the collector's embedded metadata.
func (c *Collector) Def() collect.Def { return def }

// params are the evidence declaration's parameters.
type params struct {
	Key         string          `json:"key"`
	Identity    *identityParam  `json:"identity"`
	TrustedRoot string          `json:"trusted_root"`
	Artifacts   []artifactParam `json:"artifacts"`
}

type identityParam struct {
	Subject       string `json:"subject"`
	SubjectRegexp string `json:"subject_regexp"`
	Issuer        string `json:"issuer"`
	IssuerRegexp  string `json:"issuer_regexp"`
}

type artifactParam struct {
	Name         string   `json:"name"`
	Image        string   `json:"image"`
	Blob         string   `json:"blob"`
	Bundle       string   `json:"bundle"`
	Signature    string   `json:"signature"`
	Attestations []string `json:"attestations"`
}

const step = "collect cosign.artifacts"

// parseParams decodes params strictly (unknown fields are errors) and checks
// everything that does not need the file system.
func parseParams(raw map[string]any) (*params, error) {
	b, err := json.Marshal(raw)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var p params
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("params: %w", err)
	}
	switch {
	case p.Key == "" && p.Identity == nil:
		return nil, errors.New("params: one of key or identity is required")
	case p.Key != "" && p.Identity != nil:
		return nil, errors.New("params: key and identity are exclusive")
	case p.Key != "" && p.TrustedRoot != "":
		return nil, errors.New("params.trusted_root: applies to keyless identity verification only")
	}
	if p.Key != "" {
		if err := relPath(p.Key); err != nil {
			return nil, fmt.Errorf("params.key: %w", err)
		}
	}
	if id := p.Identity; id != nil {
		if (id.Subject == "") == (id.SubjectRegexp == "") {
			return nil, errors.New("params.identity: exactly one of subject or subject_regexp is required")
		}
		if (id.Issuer == "") == (id.IssuerRegexp == "") {
			return nil, errors.New("params.identity: exactly one of issuer or issuer_regexp is required")
		}
		for field, re := range map[string]string{"subject_regexp": id.SubjectRegexp, "issuer_regexp": id.IssuerRegexp} {
			if _, err := regexp.Compile(re); err != nil {
				return nil, fmt.Errorf("params.identity.%s: %w", field, err)
			}
		}
		if p.TrustedRoot == "" {
			return nil, errors.New("params.trusted_root: keyless verification needs a sigstore trusted_root.json; evident does not fetch one at collection time")
		}
		if err := relPath(p.TrustedRoot); err != nil {
			return nil, fmt.Errorf("params.trusted_root: %w", err)
		}
	}
	if len(p.Artifacts) == 0 {
		return nil, errors.New("params.artifacts: want a non-empty list")
	}
	names := map[string]bool{}
	for i, a := range p.Artifacts {
		where := fmt.Sprintf("params.artifacts[%d]", i)
		if a.Name == "" {
			return nil, fmt.Errorf("%s: name is required", where)
		}
		if names[a.Name] {
			return nil, fmt.Errorf("%s: name %q is declared twice", where, a.Name)
		}
		names[a.Name] = true
		where += " (" + a.Name + ")"
		switch {
		case (a.Image == "") == (a.Blob == ""):
			return nil, fmt.Errorf("%s: exactly one of image or blob is required", where)
		case a.Image != "":
			if a.Bundle != "" || a.Signature != "" || len(a.Attestations) > 0 {
				return nil, fmt.Errorf("%s: bundle, signature and attestations apply to blobs; an image's are read from its registry", where)
			}
			if _, err := name.ParseReference(a.Image); err != nil {
				return nil, fmt.Errorf("%s: image: %w", where, err)
			}
		default:
			if a.Bundle != "" && a.Signature != "" {
				return nil, fmt.Errorf("%s: bundle and signature are exclusive", where)
			}
			if a.Signature != "" && p.Key == "" {
				return nil, fmt.Errorf("%s: a bare signature carries no certificate, so keyless verification needs a bundle", where)
			}
			for field, v := range map[string]string{"blob": a.Blob, "bundle": a.Bundle, "signature": a.Signature} {
				if v == "" {
					continue
				}
				if err := relPath(v); err != nil {
					return nil, fmt.Errorf("%s: %s: %w", where, field, err)
				}
			}
			for _, v := range a.Attestations {
				if err := relPath(v); err != nil {
					return nil, fmt.Errorf("%s: attestations: %w", where, err)
				}
			}
		}
	}
	return &p, nil
}

// relPath accepts only paths inside the config folder, so evidence can be
// re-performed from the config repository alone.
func relPath(p string) error {
	c := path.Clean(filepath.ToSlash(p))
	if path.IsAbs(c) || filepath.IsAbs(p) || c == ".." || strings.HasPrefix(c, "../") {
		return fmt.Errorf("%q must be a relative path inside the config folder", p)
	}
	return nil
}

// Collect verifies every declared artifact.
func (c *Collector) Collect(ctx context.Context, req collect.Request) (*collect.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, collect.Errorf(collect.KindCanceled, step, err)
	}
	p, err := parseParams(req.Params)
	if err != nil {
		return nil, collect.Errorf(collect.KindInvalid, step, err)
	}
	log := newReadLog()
	t, err := c.loadTrust(req.BaseDir, p, log)
	if err != nil {
		return nil, err
	}
	data := &Data{Mode: t.mode, Artifacts: make([]Artifact, 0, len(p.Artifacts))}
	prov := collect.Provenance{Collector: def.Name, Version: def.Version, Source: map[string]string{"mode": t.mode}, Records: map[string]int{}}
	if t.mode == "key" {
		data.Key = &KeyInfo{Path: p.Key, SHA256: t.keySHA}
		prov.Source["key"] = p.Key
		prov.Notes = append(prov.Notes, "key signatures are checked against the declared key only: transparency log entries are not checked, so when a signature was made is not proven")
	} else {
		id := p.Identity
		data.Identity = &IdentityInfo{Subject: id.Subject, SubjectRegexp: id.SubjectRegexp, Issuer: id.Issuer, IssuerRegexp: id.IssuerRegexp, TrustedRoot: p.TrustedRoot}
		prov.Source["trusted_root"] = p.TrustedRoot
		if c.skipTransparency {
			prov.Notes = append(prov.Notes, "transparency log and SCT checks were disabled (test configuration): keyless signatures were checked for chain and identity only")
		}
	}

	rt := recordingTransport{next: c.transport, log: log}
	v := &verifier{c: c, t: t, log: log, base: req.BaseDir, transport: rt}
	var unreachable, tags []string
	for _, a := range p.Artifacts {
		if err := ctx.Err(); err != nil {
			return nil, collect.Errorf(collect.KindCanceled, step, err)
		}
		var art Artifact
		if a.Image != "" {
			art, err = v.image(ctx, a)
			if ref, perr := name.ParseReference(a.Image); perr == nil {
				if _, byDigest := ref.(name.Digest); !byDigest {
					tags = append(tags, a.Name)
				}
			}
		} else {
			art, err = v.blob(ctx, a)
		}
		if err != nil {
			return nil, err
		}
		if art.Status == StatusUnreachable {
			unreachable = append(unreachable, a.Name)
		}
		data.Artifacts = append(data.Artifacts, art)
		prov.Records["signatures"] += art.Signatures
		prov.Records["attestations"] += len(art.Attestations)
	}
	data.Summary = summarize(data.Artifacts)
	prov.Reads = log.all()
	prov.Records["artifacts"] = len(data.Artifacts)
	prov.Records["verified"] = data.Summary.ByStatus[StatusVerified]
	// Every declared artifact has an outcome, so the evidence is complete
	// even when an outcome is "unreachable": that is a finding about the
	// artifact, and the failed reads above show what could not be read.
	prov.Complete = true
	if len(unreachable) > 0 {
		prov.Notes = append(prov.Notes, "unreachable artifacts (see the failed reads): "+strings.Join(unreachable, ", "))
	}
	if len(tags) > 0 {
		prov.Notes = append(prov.Notes, "images declared by tag were resolved to a digest at collection time: "+strings.Join(tags, ", "))
	}
	return &collect.Result{Data: data, Provenance: prov}, nil
}

// trust is the parsed expected signer.
type trust struct {
	mode     string
	keyVer   signature.Verifier
	keySHA   string
	root     root.TrustedMaterial
	identity identityParam
}

func (c *Collector) loadTrust(base string, p *params, log *readLog) (*trust, error) {
	if p.Key != "" {
		b, err := readConfigFile(base, p.Key, log)
		if err != nil {
			return nil, fileError("read key", err)
		}
		pub, err := cryptoutils.UnmarshalPEMToPublicKey(b)
		if err != nil {
			return nil, collect.Errorf(collect.KindInvalid, step+": parse key "+p.Key, err)
		}
		ver, err := signature.LoadVerifier(pub, crypto.SHA256)
		if err != nil {
			return nil, collect.Errorf(collect.KindInvalid, step+": load key "+p.Key, err)
		}
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			return nil, collect.Errorf(collect.KindInvalid, step+": encode key "+p.Key, err)
		}
		sum := sha256.Sum256(der)
		return &trust{mode: "key", keyVer: ver, keySHA: hex.EncodeToString(sum[:])}, nil
	}
	b, err := readConfigFile(base, p.TrustedRoot, log)
	if err != nil {
		return nil, fileError("read trusted root", err)
	}
	tr, err := root.NewTrustedRootFromJSON(b)
	if err != nil {
		return nil, collect.Errorf(collect.KindInvalid, step+": parse trusted root "+p.TrustedRoot, err)
	}
	return &trust{mode: "keyless", root: tr, identity: *p.Identity}, nil
}

func fileError(what string, err error) error {
	kind := collect.KindInvalid
	switch {
	case errors.Is(err, fs.ErrNotExist):
		kind = collect.KindNotFound
	case errors.Is(err, fs.ErrPermission):
		kind = collect.KindPermission
	}
	return collect.Errorf(kind, step+": "+what, err)
}

// readConfigFile reads a file named relative to the config folder and logs
// the read; errors name the declared path, not the checkout location.
func readConfigFile(base, rel string, log *readLog) ([]byte, error) {
	b, err := os.ReadFile(filepath.Join(base, filepath.FromSlash(rel)))
	r := collect.Read{Method: "read", Target: rel, Status: "ok"}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		r.Status = string(collect.KindNotFound)
		err = fmt.Errorf("%s: %w", rel, fs.ErrNotExist)
	case errors.Is(err, fs.ErrPermission):
		r.Status = string(collect.KindPermission)
		err = fmt.Errorf("%s: %w", rel, fs.ErrPermission)
	case err != nil:
		r.Status = "error"
	}
	log.add(r)
	return b, err
}
