package catalog

import (
	"fmt"
	"regexp"

	"github.com/robfig/cron/v3"
)

// checkpointPattern is a manifest digest as `evident verify` and the site
// print it: lower-case hex sha256.
var checkpointPattern = regexp.MustCompile(`^[0-9a-f]{64}$`)

// ParseSchedule parses a standard 5-field cron expression (minute hour
// day-of-month month day-of-week, in UTC, as GitHub Actions and Kubernetes
// CronJobs read them) or a descriptor such as "@daily".
func ParseSchedule(s string) (cron.Schedule, error) {
	return cron.ParseStandard(s)
}

func (v *validator) integrity() {
	in := &v.c.Integrity
	pos := v.at(in, Position{Line: 1, Column: 1})
	m := &in.Manifest
	keyless := v.present(&m.Keyless) || m.IsKeyless()
	if m.Key != "" && keyless {
		v.errf(v.at(&m.Keyless, pos), "integrity.manifest sets both key and keyless; trust one: key for a cosign key pair, keyless for a CI identity")
	}
	if m.SigningKey != "" && m.Key == "" {
		v.errf(v.at(&m.SigningKey, pos), "integrity.manifest.signing_key is set but key is not; add key: with the matching public key so verify knows what to trust")
	}
	if keyless {
		k := &m.Keyless
		kpos := v.at(k, pos)
		required(v, &k.Issuer, kpos, "integrity.manifest.keyless.issuer", `set it to the OIDC issuer, e.g. "https://token.actions.githubusercontent.com"`)
		switch {
		case k.Identity == "" && k.IdentityRegexp == "":
			v.errf(kpos, "integrity.manifest.keyless needs identity (the exact certificate subject, e.g. the workflow ref) or identity_regexp")
		case k.Identity != "" && k.IdentityRegexp != "":
			v.errf(v.at(&k.IdentityRegexp, kpos), "integrity.manifest.keyless sets both identity and identity_regexp; keep one")
		case k.IdentityRegexp != "":
			if _, err := regexp.Compile(k.IdentityRegexp); err != nil {
				v.errf(v.at(&k.IdentityRegexp, kpos), "integrity.manifest.keyless.identity_regexp does not compile: %v", err)
			}
		}
	}
	c := &in.Commits
	if c.SigningKey != "" && len(c.PGP) == 0 && len(c.SSHAllowedSigners) == 0 {
		v.errf(v.at(&c.SigningKey, pos), "integrity.commits.signing_key is set but no trusted key is; add ssh_allowed_signers: or pgp: so verify knows what to trust")
	}
	if in.Checkpoint != "" && !checkpointPattern.MatchString(in.Checkpoint) {
		v.errf(v.at(&in.Checkpoint, pos), "integrity.checkpoint %q is not a manifest digest; copy the 64 lower-case hex digits the site's verification page or `evident verify` prints", in.Checkpoint)
	}
	if in.Schedule != "" {
		if _, err := ParseSchedule(in.Schedule); err != nil {
			v.errf(v.at(&in.Schedule, pos), "integrity.schedule %q is not a cron schedule (%v); write 5 fields in UTC, e.g. \"0 6 * * *\" for daily at 06:00", in.Schedule, err)
		}
	}
}

// String names the trusted identity in messages and on the site.
func (k KeylessIdentity) String() string {
	id := k.Identity
	if id == "" {
		id = "~" + k.IdentityRegexp
	}
	return fmt.Sprintf("%s (issuer %s)", id, k.Issuer)
}
