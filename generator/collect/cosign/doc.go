// Package cosign is the cosign.artifacts collector: for each declared release
// artifact (an OCI image in a registry, or a file in the config repository)
// it verifies the artifact's signatures and in-toto attestations against the
// declared signer, with cosign's and sigstore-go's verification code, and
// records one status per artifact.
//
// The statuses are decided per signature and then per artifact, best first:
//
//   - verified: at least one signature verifies against the declared key, or
//     against a certificate that chains to the declared trusted root and names
//     the declared identity; for images the signed payload must also name the
//     image's digest (cosign's claim check), for blobs the signature must be
//     over the file's exact bytes.
//   - wrong_identity: no signature is by the declared signer, but one is
//     cryptographically valid under a certificate from the trusted root for
//     another subject or issuer. Only keyless verification can say this.
//   - bad_signature: signatures are present but none verifies. With a key,
//     a signature made by another key is indistinguishable from an altered
//     artifact or signature (cosign image signatures carry no signer
//     identity), so both are bad_signature and the reason says so; a
//     certificate that does not chain to the trusted root is bad_signature
//     too, since nothing vouches for whom it names.
//   - unsigned: nothing that could be a signature was found (no ".sig" tag
//     for an image; no declared or conventional signature file for a blob).
//   - unreachable: the artifact itself could not be read: the image digest is
//     not in the registry, the registry refused or failed, or the blob file
//     is missing. The failed reads are in the provenance.
//
// A registry that is down is an outcome about that artifact, recorded in the
// data, not a collector failure: the other artifacts are still verified.
// Collector failures are configuration the run cannot work without: bad
// parameters (invalid), a key or trusted root file that does not exist
// (not_found) or does not parse (invalid).
//
// Key mode checks signatures against the key only; transparency log entries
// are not checked, so the signing time is not proven (the provenance notes
// say so). Keyless mode requires a trusted_root and checks everything cosign
// verify checks by default: certificate chain, SCT, transparency log entry
// and identity, offline against that root. Certificate validity without a
// transparency-log time is judged at the collector's clock by cosign itself.
package cosign
