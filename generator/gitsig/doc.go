// Package gitsig signs git commits and verifies their signatures the way git
// does, in-process: go-crypto for OpenPGP, x/crypto/ssh and sshsig for SSH.
// No git, gpg or ssh-keygen is executed, so a verdict does not depend on the
// verifying host's GnuPG trust database or configuration. Two users share it:
// the git.commits collector (generator/collect/gitrepo), which judges the
// commits of a declared repository, and the evidence store, which signs
// every evidence commit and has `evident verify` check them.
//
// A Trust holds the trusted keys (OpenPGP keyrings and SSH allowed_signers
// files); Verify classifies one commit parsed with ParseCommit or
// ReadCommit. SSHSigner and PGPSigner have go-git's signer shape, and
// SignCommit stores their signature where git does.
//
// Statuses map onto git's %G? as: G and U → verified, N → none,
// E → unknown_key, B → bad, X and Y → expired_key, R → revoked_key, and
// "error" is evident's own (git prints N or E). gitrepo's tests build
// repositories with real git, gpg and ssh-keygen and compare commit by
// commit. Where evident deliberately differs from git 2.39 it is because an
// audit of a past period needs the validity of a signature when it was made,
// and a stable answer that does not depend on the verifying machine:
//
//   - PGP key expired after signing: git says Y (gpg reports EXPKEYSIG for any
//     signature by a key that has expired by now). evident says verified,
//     with verified_at_signing true and key_expired_at recorded. A signature
//     made after the key expired is expired_key (git also says Y).
//   - PGP signature expiry (git X) is expired_key with verified_at_signing
//     true: the signer said it should no longer be relied on.
//   - PGP keys are trusted by being in a declared keyring: there is no web of
//     trust, so git's U (good signature, key of unknown trust) for a key in
//     the keyring is verified, like G.
//   - SSH key not in allowed_signers: git 2.39 says U (it falls back to
//     ssh-keygen -Y check-novalidate, "Good signature with ... key"); evident
//     says unknown_key. Likewise a key used outside its valid-after /
//     valid-before window (git U, since no principal matches at that time):
//     evident says expired_key after valid-before, with key_expired_at, and
//     unknown_key before valid-after.
//   - SSH key whose allowed_signers line excludes the "git" namespace
//     (namespaces="file"): git says B; evident says unknown_key, since the
//     signature is good but the key is not trusted for commits.
//   - allowed_signers times without a Z/UTC suffix are read as UTC;
//     ssh-keygen reads them in the verifying machine's local zone (they agree
//     when TZ=UTC). A line ssh-keygen would log and skip is an error here.
//   - Malformed signatures (bad armor, checksum, packets): git says N because
//     gpg finds no signature; evident says error, since the commit does carry
//     a signature header. x509 (gpgsm) signatures are kind x509 with status
//     unknown_key ("x509 verification not supported").
//   - SSH certificates (cert-authority lines) are not validated: unknown_key
//     with a note.
//
// SSH signatures carry no time, so SSH key validity is judged at the
// committer date, as git does with -Overify-time; PGP validity is judged at
// the signature's creation time. Both are claimed by the signer.
package gitsig
