// Package gitrepo is the git.commits collector: for one declared repository
// and branch it lists every commit reachable from the branch whose committer
// date is in the audit period, and checks each commit's signature against
// the repository's declared trusted keys (OpenPGP keyring files and SSH
// allowed_signers files). Everything runs in-process with go-git and
// generator/gitsig: no git, gpg or ssh-keygen is executed, so the result
// does not depend on the collector host's GnuPG trust database or
// configuration.
//
// The signature statuses, how they map onto git's %G?, and where evident
// deliberately differs from git are gitsig's and documented there, since
// `evident verify` judges evidence commits by the same rules. This
// package's tests hold gitsig to them against real git, gpg and ssh-keygen:
// they build a repository with every case and compare commit by commit with
// `git log %G?`, each documented deviation pinned so it cannot drift.
//
// The period filter uses committer dates, which the committer claims and
// git uses the same way; the provenance notes say so.
package gitrepo
