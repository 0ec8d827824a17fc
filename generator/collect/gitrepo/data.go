package gitrepo

import "github.com/evident-project/evident/generator/gitsig"

// Data is the evidence the git.commits collector produces.
type Data struct {
	// Repository identifies what was read.
	Repository Repository `json:"repository"`
	// Period is the audit period id, e.g. "2026-Q4".
	Period string `json:"period"`
	// Commits are the commits in the period, newest committer date first.
	Commits []Commit `json:"commits"`
	// Summary counts the commits by signature outcome.
	Summary Summary `json:"summary"`
}

// Repository identifies the repository and branch read.
type Repository struct {
	// ID is the source id from controls.yaml.
	ID string `json:"id"`
	// Path is the declared local path (as written in config), when local.
	Path string `json:"path,omitempty"`
	// URL is the clone URL, when cloned.
	URL string `json:"url,omitempty"`
	// Branch is the branch walked.
	Branch string `json:"branch"`
	// Head is the commit the branch pointed at.
	Head string `json:"head"`
}

// Commit is one commit and its signature outcome.
type Commit struct {
	// SHA is the commit id.
	SHA string `json:"sha"`
	// Author is who wrote the change.
	Author Person `json:"author"`
	// Committer is who created the commit object.
	Committer Person `json:"committer"`
	// Parents are the parent commit ids; empty for a root commit.
	Parents []string `json:"parents"`
	// Merge is true when the commit has more than one parent.
	Merge bool `json:"merge"`
	// Subject is the first line of the message.
	Subject string `json:"subject"`
	// Signature is the outcome of checking the commit's signature.
	Signature Signature `json:"signature"`
}

// Person is a git identity line.
type Person struct {
	// Name is the name as recorded.
	Name string `json:"name"`
	// Email is the email as recorded.
	Email string `json:"email"`
	// Date is the recorded time, RFC 3339 in UTC.
	Date string `json:"date"`
}

// Signature is the outcome of checking one commit signature: gitsig's, so
// the collector's evidence and `evident verify` describe signatures alike.
type Signature = gitsig.Signature

// Kind is a signature format.
type Kind = gitsig.Kind

// Signature kinds, as gitsig names them.
const (
	// KindNone is an unsigned commit.
	KindNone = gitsig.KindNone
	// KindPGP is an OpenPGP signature.
	KindPGP = gitsig.KindPGP
	// KindSSH is an SSH signature (sshsig).
	KindSSH = gitsig.KindSSH
	// KindX509 is an X.509 (gpgsm, CMS) signature.
	KindX509 = gitsig.KindX509
	// KindUnknown is a signature header in no format git knows.
	KindUnknown = gitsig.KindUnknown
)

// Status is a signature verification outcome.
type Status = gitsig.Status

// Signature statuses, as gitsig names them.
const (
	// StatusNone: the commit is unsigned.
	StatusNone = gitsig.StatusNone
	// StatusVerified: a trusted key made the signature while it was valid.
	StatusVerified = gitsig.StatusVerified
	// StatusUnknownKey: the signing key is not trusted (or cannot be checked).
	StatusUnknownKey = gitsig.StatusUnknownKey
	// StatusBad: the signature does not match the commit.
	StatusBad = gitsig.StatusBad
	// StatusExpiredKey: the signature was made after the key expired (or the
	// signature itself has expired).
	StatusExpiredKey = gitsig.StatusExpiredKey
	// StatusRevokedKey: the signing key has been revoked.
	StatusRevokedKey = gitsig.StatusRevokedKey
	// StatusError: the signature is malformed or could not be processed.
	StatusError = gitsig.StatusError
)

// Statuses lists every status, in display order.
var Statuses = gitsig.Statuses

// Summary counts the commits in the period by signature outcome.
type Summary struct {
	// Commits is the number of commits in the period.
	Commits int `json:"commits"`
	// Merges is the number of merge commits.
	Merges int `json:"merges"`
	// Signed is the number of commits carrying any signature.
	Signed int `json:"signed"`
	// Verified is the number of commits with status verified.
	Verified int `json:"verified"`
	// SignedPct is Signed/Commits in percent, one decimal; 0 without commits.
	SignedPct float64 `json:"signed_pct"`
	// VerifiedPct is Verified/Commits in percent, one decimal; 0 without commits.
	VerifiedPct float64 `json:"verified_pct"`
	// ByStatus counts commits per status; every status is present.
	ByStatus map[Status]int `json:"by_status"`
	// Unsigned lists the shas of unsigned commits.
	Unsigned []string `json:"unsigned"`
	// Unverified lists the shas of every commit whose status is not verified.
	Unverified []string `json:"unverified"`
}
