package site

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/evident-project/evident/generator/catalog"
	"github.com/evident-project/evident/generator/evidence"
	"github.com/evident-project/evident/generator/evidence/verify"
)

// Verification is what the "Verify this evidence" page shows: the latest
// verification of the history up to the rendered snapshot, what it trusted,
// and the commands an auditor runs to repeat it without evident.
type Verification struct {
	Report    *verify.Report
	Integrity catalog.Integrity
	// TrustFromEvidence is true when trust came from the keys recorded in
	// the snapshot rather than from a reviewed config.
	TrustFromEvidence bool
	// ManifestCommand is the exact cosign command for the manifest, with
	// the published key or identity (blobsig.AuditorCommand).
	ManifestCommand string
	// Error says why the history could not be verified for this build.
	Error string
	// Downloads are further files the commands need, by name (an empty
	// trusted_root.json so cosign runs offline for key-based signatures).
	Downloads map[string][]byte
}

// verifyDir is where the page and its downloads live in the site.
const verifyDir = "verify/"

type trustFile struct {
	Name, Href, SHA256, Role string
}

type verifyView struct {
	page
	V          *Verification
	TrustFiles []trustFile
	Commands   []commandStep
	Failed     []verify.Snapshot
}

type commandStep struct {
	Title, Why, Cmd string
}

// writeVerification writes verify/index.html and the files an auditor
// downloads: the trusted keys, SHA256SUMS of the snapshot and the report.
func (w *writer) writeVerification(in Input, v *Verification, info siteInfo) {
	m := in.Manifest
	view := verifyView{page: page{"Verify this evidence", "../", info}, V: v}
	for _, ref := range m.Trust {
		name := path.Base(ref.Path)
		w.copy(verifyDir+name, in.ReadFile, ref.Path)
		view.TrustFiles = append(view.TrustFiles, trustFile{Name: name, Href: name, SHA256: ref.SHA256, Role: trustRole(v.Integrity, ref.Path)})
	}
	names := make([]string, 0, len(v.Downloads))
	for n := range v.Downloads {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		w.write(verifyDir+n, v.Downloads[n])
		view.TrustFiles = append(view.TrustFiles, trustFile{Name: n, Href: n, SHA256: evidence.SHA256(v.Downloads[n]), Role: "for cosign: trusts no public Sigstore service, so the key alone decides"})
	}
	// SHA256SUMS is derived from the signed manifest, so once the manifest
	// verifies, `sha256sum -c` checks every other file with a standard tool.
	var sums strings.Builder
	refs := m.Files()
	sort.Slice(refs, func(i, j int) bool { return refs[i].Path < refs[j].Path })
	for _, r := range refs {
		fmt.Fprintf(&sums, "%s  %s\n", r.SHA256, r.Path)
	}
	w.write(verifyDir+"SHA256SUMS", []byte(sums.String()))
	if v.Report != nil {
		b, err := evidence.Canonical(v.Report)
		if err != nil && w.err == nil {
			w.err = fmt.Errorf("build site: encode verification report: %w", err)
		}
		w.write(verifyDir+"report.json", b)
		for _, s := range v.Report.Snapshots {
			if len(s.Problems) > 0 {
				view.Failed = append(view.Failed, s)
			}
		}
	}
	view.Commands = auditorCommands(v, info.Commit)
	w.page(verifyDir+"index.html", "layout-verify", view)
}

func auditorCommands(v *Verification, commit string) []commandStep {
	allowed := ""
	for _, f := range v.Integrity.Commits.SSHAllowedSigners {
		allowed = path.Base(f)
	}
	var steps []commandStep
	steps = append(steps, commandStep{
		Title: "Get the evidence at the verified commit",
		Why:   "Work in a fresh clone of the evidence repository; download the files linked on this page beside it.",
		Cmd:   "git clone <evidence repository URL> evidence\ncd evidence\ngit checkout --detach " + commit,
	})
	switch {
	case allowed != "":
		steps = append(steps, commandStep{
			Title: "Check the commit signatures",
			Why:   "Every evidence commit is signed; git checks it against the published allowed_signers file. In the log, G is a good signature from a trusted key; anything else is a failure.",
			Cmd: "git -c gpg.ssh.allowedSignersFile=../" + allowed + " verify-commit " + commit + "\n" +
				"git -c gpg.ssh.allowedSignersFile=../" + allowed + " log --format='%H %G? %GS' " + commit,
		})
	case len(v.Integrity.Commits.PGP) > 0:
		ring := path.Base(v.Integrity.Commits.PGP[0])
		steps = append(steps, commandStep{
			Title: "Check the commit signatures",
			Why:   "Every evidence commit is signed with OpenPGP; import the published keyring into a scratch GnuPG home and let git check each commit. G is a good signature.",
			Cmd: "export GNUPGHOME=$(mktemp -d) && gpg --import ../" + ring + "\n" +
				"git verify-commit " + commit + "\ngit log --format='%H %G? %GS' " + commit,
		})
	}
	if v.ManifestCommand != "" {
		steps = append(steps, commandStep{
			Title: "Check the manifest signature",
			Why:   "manifest.json lists every file with its sha256 and links to the previous manifest; its cosign signature is in manifest.sigstore.json.",
			Cmd:   v.ManifestCommand,
		})
	}
	steps = append(steps, commandStep{
		Title: "Check every file against the manifest",
		Why:   "SHA256SUMS is the manifest's list in sha256sum's format; the second command rebuilds it from the signed manifest itself, so you need not trust this site's copy.",
		Cmd: "sha256sum -c ../SHA256SUMS\n" +
			"jq -r '[.config] + (.trust // []) + .items | .[] | \"\\(.sha256)  \\(.path)\"' manifest.json | sha256sum -c -",
	})
	if v.Report != nil && v.Report.LatestManifest != "" {
		steps = append(steps, commandStep{
			Title: "Pin the checkpoint",
			Why:   "Record this digest in your working papers (and in integrity.checkpoint): a later history that no longer contains it was rewound or rewritten.",
			Cmd:   "sha256sum manifest.json   # expect " + v.Report.LatestManifest,
		})
	}
	return steps
}

func trustRole(in catalog.Integrity, p string) string {
	rel := func(s string) bool { return s != "" && evidence.TrustPath(s) == p }
	switch {
	case rel(in.Manifest.Key):
		return "cosign public key for manifest signatures"
	case rel(in.Manifest.Keyless.TrustedRoot):
		return "sigstore trusted root for keyless manifest signatures"
	}
	for _, f := range in.Commits.SSHAllowedSigners {
		if rel(f) {
			return "allowed_signers for evidence commit signatures (git gpg.ssh.allowedSignersFile)"
		}
	}
	for _, f := range in.Commits.PGP {
		if rel(f) {
			return "OpenPGP keyring for evidence commit signatures"
		}
	}
	return "trusted key"
}
