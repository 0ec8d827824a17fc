// Package catalog holds the controls.yaml schema (v1): the organisation, its
// audit periods, the evidence sources, the controls with their evidence and
// assertions, and the exceptions that excuse failures. Loading is strict and
// every error names file:line:col.
package catalog

// Version is the only controls.yaml schema version this build understands.
const Version = 1

// Catalog is a loaded, validated controls.yaml.
type Catalog struct {
	// Version is the schema version; must be 1.
	Version int `yaml:"version" json:"version" jsonschema:"required,enum=1"`
	// Organization names who the controls belong to.
	Organization Organization `yaml:"organization" json:"organization" jsonschema:"required"`
	// Period configures how audit periods are cut.
	Period PeriodModel `yaml:"period,omitempty" json:"period,omitempty"`
	// Sources are the systems evidence is collected from.
	Sources Sources `yaml:"sources,omitempty" json:"sources,omitempty"`
	// Controls are the ITGC controls under test.
	Controls []Control `yaml:"controls" json:"controls" jsonschema:"required,minItems=1"`
	// Exceptions are approved, time-boxed acceptances of a failing control.
	Exceptions []Exception `yaml:"exceptions,omitempty" json:"exceptions,omitempty"`
	// Integrity says how snapshots are signed and what `evident verify` trusts.
	Integrity Integrity `yaml:"integrity,omitempty" json:"integrity,omitempty"`
	// Readiness is the quarterly audit-readiness checklist.
	Readiness []ReadinessSection `yaml:"readiness,omitempty" json:"readiness,omitempty"`
	// AccessReviews says where reviewers' decisions are kept.
	AccessReviews AccessReviews `yaml:"access_reviews,omitempty" json:"access_reviews,omitempty"`
	// Findings classifies findings and locates management's action plans.
	Findings Findings `yaml:"findings,omitempty" json:"findings,omitempty"`
	// Sampling sizes auditor samples by control frequency.
	Sampling Sampling `yaml:"sampling,omitempty" json:"sampling,omitempty"`

	// File is the path the catalog was loaded from (for messages).
	File string `yaml:"-" json:"-"`
	// Digest is the sha256 of the raw config bytes, recorded in each snapshot.
	Digest string `yaml:"-" json:"-"`
	// Raw is the exact bytes the catalog was loaded from.
	Raw []byte `yaml:"-" json:"-"`
}

// Organization identifies the entity whose controls are assessed.
type Organization struct {
	// Name is the organisation's display name.
	Name string `yaml:"name" json:"name" jsonschema:"required,minLength=1"`
	// System names the in-scope system or product, if narrower than the organisation.
	System string `yaml:"system,omitempty" json:"system,omitempty"`
	// Signatories are the officers who sign attestation letters.
	Signatories []Signatory `yaml:"signatories,omitempty" json:"signatories,omitempty"`
}

// Signatory is an officer who signs an attestation (CFO, CIO).
type Signatory struct {
	// Role is the officer's role, e.g. "Chief Financial Officer".
	Role string `yaml:"role" json:"role" jsonschema:"required"`
	// Name is the officer's name.
	Name string `yaml:"name,omitempty" json:"name,omitempty"`
}

// PeriodModel configures fiscal quarters.
type PeriodModel struct {
	// FiscalYearStart is the month (1-12) the fiscal year starts in; default 1.
	FiscalYearStart int `yaml:"fiscal_year_start,omitempty" json:"fiscal_year_start,omitempty" jsonschema:"minimum=1,maximum=12"`
	// Timezone is the IANA zone period boundaries are cut in; default UTC.
	Timezone string `yaml:"timezone,omitempty" json:"timezone,omitempty"`
}

// Sources groups the evidence sources by kind.
type Sources struct {
	// Git are git repositories read with go-git.
	Git []GitSource `yaml:"git,omitempty" json:"git,omitempty"`
	// GitHub are GitHub organisations and repositories.
	GitHub []GitHubSource `yaml:"github,omitempty" json:"github,omitempty"`
	// Kubernetes are clusters or folders of manifests.
	Kubernetes []KubernetesSource `yaml:"kubernetes,omitempty" json:"kubernetes,omitempty"`
}

// GitSource is a git repository, local or cloned.
type GitSource struct {
	// ID names the source in evidence declarations.
	ID string `yaml:"id" json:"id" jsonschema:"required,pattern=^[a-z0-9][a-z0-9._-]*$"`
	// Path is a local repository path, relative to the config file.
	Path string `yaml:"path,omitempty" json:"path,omitempty"`
	// URL is a clone URL; used when Path is empty.
	URL string `yaml:"url,omitempty" json:"url,omitempty"`
	// Branch is the protected branch to read; default "main".
	Branch string `yaml:"branch,omitempty" json:"branch,omitempty"`
	// TrustedKeys are the keys whose signatures count as verified.
	TrustedKeys TrustedKeys `yaml:"trusted_keys,omitempty" json:"trusted_keys,omitempty"`

	// Pos is where this entry starts in the file, for messages.
	Pos Position `yaml:"-" json:"-"`
}

// TrustedKeys lists signing keys trusted for a repository.
type TrustedKeys struct {
	// PGP are armored OpenPGP keyring files.
	PGP []string `yaml:"pgp,omitempty" json:"pgp,omitempty"`
	// SSHAllowedSigners are files in git's gpg.ssh.allowedSignersFile format.
	SSHAllowedSigners []string `yaml:"ssh_allowed_signers,omitempty" json:"ssh_allowed_signers,omitempty"`
}

// GitHubSource is a GitHub organisation and some of its repositories.
type GitHubSource struct {
	// ID names the source in evidence declarations.
	ID string `yaml:"id" json:"id" jsonschema:"required,pattern=^[a-z0-9][a-z0-9._-]*$"`
	// Org is the organisation login.
	Org string `yaml:"org" json:"org" jsonschema:"required"`
	// Repos are repository names in Org; empty means every repository.
	Repos []string `yaml:"repos,omitempty" json:"repos,omitempty"`
	// APIURL is the REST API base URL (GitHub Enterprise Server); default api.github.com.
	APIURL string `yaml:"api_url,omitempty" json:"api_url,omitempty"`
	// TokenEnv is the environment variable holding the token; default GITHUB_TOKEN.
	TokenEnv string `yaml:"token_env,omitempty" json:"token_env,omitempty"`
	// App authenticates as a GitHub App installation instead of a token.
	App GitHubApp `yaml:"app,omitempty" json:"app,omitempty"`

	// Pos is where this entry starts in the file, for messages.
	Pos Position `yaml:"-" json:"-"`
}

// GitHubApp is a GitHub App installation: a higher rate limit than a
// personal token, and permissions granted to the app rather than a person.
type GitHubApp struct {
	// ID is the app's numeric id.
	ID int `yaml:"id,omitempty" json:"id,omitempty"`
	// InstallationID is the installation on the org; 0 means look it up.
	InstallationID int `yaml:"installation_id,omitempty" json:"installation_id,omitempty"`
	// PrivateKeyFile is the app's private key (PEM), relative to the config
	// file; keep it out of the config repository (a CI secret file).
	PrivateKeyFile string `yaml:"private_key_file,omitempty" json:"private_key_file,omitempty"`
}

// KubernetesSource is a live cluster or a folder of manifests (GitOps mode).
type KubernetesSource struct {
	// ID names the source in evidence declarations.
	ID string `yaml:"id" json:"id" jsonschema:"required,pattern=^[a-z0-9][a-z0-9._-]*$"`
	// Kubeconfig is the kubeconfig path; empty means in-cluster or $KUBECONFIG.
	Kubeconfig string `yaml:"kubeconfig,omitempty" json:"kubeconfig,omitempty"`
	// Context is the kubeconfig context.
	Context string `yaml:"context,omitempty" json:"context,omitempty"`
	// Manifests is a folder of manifests, relative to the config file (GitOps mode).
	Manifests string `yaml:"manifests,omitempty" json:"manifests,omitempty"`

	// Pos is where this entry starts in the file, for messages.
	Pos Position `yaml:"-" json:"-"`
}

// Integrity declares how evidence snapshots are signed and what a verifier
// must expect. Signing keys are secrets and normally come from the
// environment (EVIDENT_SIGNING_KEY, EVIDENT_COMMIT_SIGNING_KEY); the trusted
// public halves belong here, reviewed like any other config change.
type Integrity struct {
	// Manifest is how each snapshot's manifest.json is signed with cosign.
	Manifest ManifestSigning `yaml:"manifest,omitempty" json:"manifest,omitempty"`
	// Commits is how evidence commits are signed and which keys are trusted.
	Commits CommitSigning `yaml:"commits,omitempty" json:"commits,omitempty"`
	// Checkpoint pins the sha256 of a manifest that must stay in the history;
	// a history rewound or rewritten past it fails verification.
	Checkpoint string `yaml:"checkpoint,omitempty" json:"checkpoint,omitempty" jsonschema:"pattern=^[0-9a-f]{64}$"`
	// Schedule is the collection job's cron schedule (5 fields, UTC), used
	// to report scheduled runs missing from the history.
	Schedule string `yaml:"schedule,omitempty" json:"schedule,omitempty"`

	// Pos is where this entry starts in the file, for messages.
	Pos Position `yaml:"-" json:"-"`
}

// ManifestSigning configures cosign signatures over manifest.json: a key
// pair, or keyless signing with an OIDC identity (GitHub Actions).
type ManifestSigning struct {
	// Key is the trusted cosign public key file, relative to the config file.
	Key string `yaml:"key,omitempty" json:"key,omitempty"`
	// SigningKey is the cosign private key file (its password comes from
	// COSIGN_PASSWORD); EVIDENT_SIGNING_KEY overrides it.
	SigningKey string `yaml:"signing_key,omitempty" json:"signing_key,omitempty"`
	// Keyless is the identity keyless signatures must carry; exclusive with Key.
	Keyless KeylessIdentity `yaml:"keyless,omitempty" json:"keyless,omitempty"`
}

// IsKeyless reports whether keyless signing is declared.
func (m ManifestSigning) IsKeyless() bool { return m.Keyless != KeylessIdentity{} }

// KeylessIdentity is a Fulcio certificate identity: who signed (subject) and
// which OIDC provider vouched for it (issuer).
type KeylessIdentity struct {
	// Identity is the exact certificate subject, e.g. the workflow ref
	// "https://github.com/acme/evidence/.github/workflows/evidence.yml@refs/heads/main".
	Identity string `yaml:"identity,omitempty" json:"identity,omitempty"`
	// IdentityRegexp matches the subject instead; exclusive with Identity.
	IdentityRegexp string `yaml:"identity_regexp,omitempty" json:"identity_regexp,omitempty"`
	// Issuer is the OIDC issuer, e.g. "https://token.actions.githubusercontent.com".
	Issuer string `yaml:"issuer" json:"issuer" jsonschema:"required"`
	// TrustedRoot is a sigstore trusted_root.json for offline verification;
	// empty means the public-good Sigstore instance.
	TrustedRoot string `yaml:"trusted_root,omitempty" json:"trusted_root,omitempty"`
}

// CommitSigning configures signatures on the evidence repository's commits.
type CommitSigning struct {
	// SigningKey is an OpenSSH or armored OpenPGP private key file;
	// EVIDENT_COMMIT_SIGNING_KEY overrides it.
	SigningKey string `yaml:"signing_key,omitempty" json:"signing_key,omitempty"`
	// PGP are armored OpenPGP public keyring files trusted for evidence commits.
	PGP []string `yaml:"pgp,omitempty" json:"pgp,omitempty"`
	// SSHAllowedSigners are allowed_signers files trusted for evidence commits.
	SSHAllowedSigners []string `yaml:"ssh_allowed_signers,omitempty" json:"ssh_allowed_signers,omitempty"`
}

// Control is one IT general control.
type Control struct {
	// ID is the control's stable identifier, e.g. "CM-01".
	ID string `yaml:"id" json:"id" jsonschema:"required,pattern=^[A-Z][A-Z0-9]*-[0-9A-Z.-]+$"`
	// Title is a short name.
	Title string `yaml:"title" json:"title" jsonschema:"required,minLength=1"`
	// Family is the ITGC family.
	Family Family `yaml:"family" json:"family" jsonschema:"required"`
	// Objective states what the control achieves, in the auditor's words.
	Objective string `yaml:"objective" json:"objective" jsonschema:"required,minLength=1"`
	// Risk states what goes wrong without the control.
	Risk string `yaml:"risk" json:"risk" jsonschema:"required,minLength=1"`
	// Owner is the accountable role or team.
	Owner string `yaml:"owner" json:"owner" jsonschema:"required,minLength=1"`
	// Frequency is how often the control operates.
	Frequency Frequency `yaml:"frequency" json:"frequency" jsonschema:"required"`
	// Key marks a key control (its failure drives the check exit code).
	Key bool `yaml:"key,omitempty" json:"key,omitempty"`
	// Nature is preventive or detective.
	Nature string `yaml:"nature,omitempty" json:"nature,omitempty" jsonschema:"enum=preventive,enum=detective"`
	// References maps the control to seed categories and frameworks.
	References References `yaml:"references,omitempty" json:"references,omitempty"`
	// Evidence declares what is collected for this control.
	Evidence []Evidence `yaml:"evidence,omitempty" json:"evidence,omitempty"`
	// Assertions are CEL expressions over the evidence.
	Assertions []Assertion `yaml:"assertions,omitempty" json:"assertions,omitempty"`
	// NotApplicable, when set, is the reason the control does not apply.
	NotApplicable string `yaml:"not_applicable,omitempty" json:"not_applicable,omitempty"`
	// Population is the records the control's test is performed over, for
	// auditor samples.
	Population *Population `yaml:"population,omitempty" json:"population,omitempty"`
	// Compensating are controls that mitigate this one's failure; a passing
	// compensating control can lower a finding's deficiency class.
	Compensating []string `yaml:"compensating_controls,omitempty" json:"compensating_controls,omitempty"`
	// Recommendation is what the findings page recommends when the control fails.
	Recommendation string `yaml:"recommendation,omitempty" json:"recommendation,omitempty"`

	// Pos is where this entry starts in the file, for messages.
	Pos Position `yaml:"-" json:"-"`
}

// References ties a control to the seed control categories and frameworks.
type References struct {
	// Seeds are seed control references, e.g. "bindy:change-management/two-person-approval".
	Seeds []string `yaml:"seeds,omitempty" json:"seeds,omitempty"`
	// COSO are COSO 2013 principles, e.g. "CC8.1" or "Principle 11".
	COSO []string `yaml:"coso,omitempty" json:"coso,omitempty"`
	// SSDF are NIST SP 800-218 practices, e.g. "PS.1.1".
	SSDF []string `yaml:"ssdf,omitempty" json:"ssdf,omitempty"`
}

// Evidence declares the evidence a control needs: a collector run over zero,
// one or more sources with parameters. Its id is a CEL variable whose value
// depends on how sources are named (Resolve encodes the rule):
//   - source: set: that item's data.
//   - sources: set: a list of the listed items' data, in the listed order.
//   - neither, and the collector reads no source: that one item's data.
//   - neither, and the collector reads a kind of source: a list of the data
//     of every declared source of that kind, in declaration order.
type Evidence struct {
	// ID names the evidence in assertions (a CEL variable).
	ID string `yaml:"id" json:"id" jsonschema:"required,pattern=^[a-z_][a-z0-9_]*$"`
	// Collector is the registered collector name, e.g. "git.commits".
	Collector string `yaml:"collector" json:"collector" jsonschema:"required"`
	// Source is one source id; the CEL variable is that item's data.
	// Exclusive with Sources.
	Source string `yaml:"source,omitempty" json:"source,omitempty"`
	// Sources are several source ids; the CEL variable is a list of their
	// data. Omit both to read every source of the collector's kind.
	Sources []string `yaml:"sources,omitempty" json:"sources,omitempty"`
	// Params are collector parameters.
	Params map[string]any `yaml:"params,omitempty" json:"params,omitempty"`
	// Description says what this evidence shows, for the site.
	Description string `yaml:"description,omitempty" json:"description,omitempty"`

	// Pos is where this entry starts in the file, for messages.
	Pos Position `yaml:"-" json:"-"`
}

// Assertion is a named CEL expression that must be true for the control to pass.
type Assertion struct {
	// Name identifies the assertion within its control.
	Name string `yaml:"name" json:"name" jsonschema:"required,pattern=^[a-z0-9][a-z0-9_-]*$"`
	// Expr is a CEL expression that evaluates to bool.
	Expr string `yaml:"expr" json:"expr" jsonschema:"required,minLength=1"`
	// Failures is an optional CEL expression listing the offending records
	// (strings) shown in the finding when Expr is false.
	Failures string `yaml:"failures,omitempty" json:"failures,omitempty"`
	// When is an optional CEL expression; false makes the assertion not_applicable.
	When string `yaml:"when,omitempty" json:"when,omitempty"`
	// Severity is the finding severity when the assertion fails.
	Severity Severity `yaml:"severity" json:"severity" jsonschema:"required"`
	// Message describes the failure, in the auditor's words.
	Message string `yaml:"message" json:"message" jsonschema:"required,minLength=1"`

	// Pos is where this entry starts in the file, for messages.
	Pos Position `yaml:"-" json:"-"`
}

// Exception is an approved, time-boxed acceptance of a failing control.
type Exception struct {
	// ID identifies the exception.
	ID string `yaml:"id" json:"id" jsonschema:"required"`
	// Control is the control id the exception covers.
	Control string `yaml:"control" json:"control" jsonschema:"required"`
	// Assertion, when set, limits the exception to one assertion.
	Assertion string `yaml:"assertion,omitempty" json:"assertion,omitempty"`
	// Reason is why the failure is accepted.
	Reason string `yaml:"reason" json:"reason" jsonschema:"required,minLength=1"`
	// Approver is who approved the exception.
	Approver string `yaml:"approver" json:"approver" jsonschema:"required,minLength=1"`
	// Approved is the approval date (YYYY-MM-DD).
	Approved string `yaml:"approved,omitempty" json:"approved,omitempty" jsonschema:"format=date"`
	// Expires is the last day the exception excuses a failure (YYYY-MM-DD).
	Expires string `yaml:"expires" json:"expires" jsonschema:"required,format=date"`

	// Pos is where this entry starts in the file, for messages.
	Pos Position `yaml:"-" json:"-"`
}

// Family is an ITGC family.
type Family string

// The ITGC families, as named in the seeds.
const (
	FamilyChangeManagement    Family = "change_management"
	FamilyLogicalAccess       Family = "logical_access"
	FamilyComputerOperations  Family = "computer_operations"
	FamilyProgramDevelopment  Family = "program_development"
	FamilyBackupRecovery      Family = "backup_recovery"
	FamilyPrivilegedActivity  Family = "privileged_activity"
	FamilyAuditLogging        Family = "audit_logging"
	FamilySegregationOfDuties Family = "segregation_of_duties"
	FamilyEvidenceRetention   Family = "evidence_retention"
)

// Families lists every family in display order.
var Families = []Family{
	FamilyChangeManagement, FamilySegregationOfDuties, FamilyLogicalAccess,
	FamilyPrivilegedActivity, FamilyAuditLogging, FamilyEvidenceRetention,
	FamilyComputerOperations, FamilyBackupRecovery, FamilyProgramDevelopment,
}

// Frequency is how often a control operates.
type Frequency string

// Control frequencies.
const (
	FrequencyContinuous Frequency = "continuous"
	FrequencyPerChange  Frequency = "per_change"
	FrequencyDaily      Frequency = "daily"
	FrequencyWeekly     Frequency = "weekly"
	FrequencyMonthly    Frequency = "monthly"
	FrequencyQuarterly  Frequency = "quarterly"
	FrequencySemiannual Frequency = "semiannual"
	FrequencyAnnual     Frequency = "annual"
)

// Frequencies lists every valid frequency.
var Frequencies = []Frequency{FrequencyContinuous, FrequencyPerChange, FrequencyDaily, FrequencyWeekly, FrequencyMonthly, FrequencyQuarterly, FrequencySemiannual, FrequencyAnnual}

// Severity is a finding severity.
type Severity string

// Severities, most severe first.
const (
	SeverityCritical Severity = "critical"
	SeverityHigh     Severity = "high"
	SeverityMedium   Severity = "medium"
	SeverityLow      Severity = "low"
)

// Severities lists every valid severity, most severe first.
var Severities = []Severity{SeverityCritical, SeverityHigh, SeverityMedium, SeverityLow}

// Position is a place in the config file.
type Position struct {
	// Line is 1-based.
	Line int
	// Column is 1-based, counted in characters.
	Column int
}
