package gitsig

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"github.com/hiddeco/sshsig"
	"golang.org/x/crypto/ssh"
)

// sshNamespace is the namespace git signs commits in.
const sshNamespace = "git"

// verifySSH checks an armored SSH signature over payload against the allowed
// signers, at the commit's committer time as git does (-Overify-time).
//
// Order matters for agreement with git: the signature is checked
// cryptographically first, so a tampered commit is bad whether or not its key
// is trusted; only a good signature is then judged by its key.
func (t *sshTrust) verifySSH(armored, payload []byte, at time.Time) Signature {
	out := Signature{Kind: KindSSH}
	sig, err := sshsig.Unarmor(armored)
	if err != nil {
		out.Status, out.Note = StatusError, "malformed ssh signature: "+err.Error()
		return out
	}
	out.Key = ssh.FingerprintSHA256(sig.PublicKey)
	if cert, ok := sig.PublicKey.(*ssh.Certificate); ok {
		// ssh-keygen accepts certificates under cert-authority lines; we do not
		// implement certificate validation, so say so rather than guess.
		out.Key = ssh.FingerprintSHA256(cert.Key)
		out.Status = StatusUnknownKey
		out.Note = "ssh certificate signatures (cert-authority) are not supported"
		return out
	}
	if sig.Namespace != sshNamespace {
		out.Status = StatusBad
		out.Note = fmt.Sprintf("signature namespace is %q, not %q", sig.Namespace, sshNamespace)
		return out
	}
	if err := sshsig.Verify(bytes.NewReader(payload), sig, sig.PublicKey, sig.HashAlgorithm, sshNamespace); err != nil {
		out.Status, out.Note = StatusBad, "signature does not match the commit: "+err.Error()
		if errors.Is(err, sshsig.ErrNamespaceMismatch) {
			out.Note = "signature namespace mismatch"
		}
		return out
	}
	if t == nil {
		out.Status, out.Note = StatusUnknownKey, "no ssh allowed signers declared for this repository"
		return out
	}
	lines := t.byKey[out.Key]
	if len(lines) == 0 {
		out.Status, out.Note = StatusUnknownKey, "key not in allowed signers"
		return out
	}
	// Like ssh-keygen, the first line that allows the key at that time wins;
	// otherwise report the most telling reason from the lines that did not.
	var expired, notYet, namespace *allowedSigner
	for _, l := range lines {
		if !equalKeys(l.key, sig.PublicKey) {
			continue
		}
		switch {
		case l.hasNamespaces && !matchPatternList(sshNamespace, l.namespaces):
			namespace = l
		case !l.validAfter.IsZero() && at.Before(l.validAfter):
			notYet = l
		case !l.validBefore.IsZero() && at.After(l.validBefore):
			if expired == nil || l.validBefore.After(expired.validBefore) {
				expired = l
			}
		default:
			out.Status = StatusVerified
			out.Signer = l.principals[0]
			out.VerifiedAtSigning = true
			return out
		}
	}
	switch {
	case expired != nil:
		out.Status = StatusExpiredKey
		out.KeyExpiredAt = rfc3339(expired.validBefore)
		out.Note = fmt.Sprintf("committed %s, after the key's valid-before %s (%s)", rfc3339(at), rfc3339(expired.validBefore), expired.where)
	case notYet != nil:
		out.Status = StatusUnknownKey
		out.Note = fmt.Sprintf("committed %s, before the key's valid-after %s (%s)", rfc3339(at), rfc3339(notYet.validAfter), notYet.where)
	case namespace != nil:
		out.Status = StatusUnknownKey
		out.Note = fmt.Sprintf("key not allowed for namespace %q by namespaces=%q (%s)", sshNamespace, namespace.namespaces, namespace.where)
	default:
		out.Status, out.Note = StatusUnknownKey, "key not in allowed signers"
	}
	return out
}

// rfc3339 formats t in UTC, to the second.
func rfc3339(t time.Time) string {
	return t.UTC().Format(time.RFC3339)
}
