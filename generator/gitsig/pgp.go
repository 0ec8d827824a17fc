package gitsig

import (
	"bytes"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	pgperrors "github.com/ProtonMail/go-crypto/openpgp/errors"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// pgpKey is one trusted signing key (a primary key or a subkey) with its
// validity worked out once, when the keyring is loaded, so that checking a
// commit is a map lookup and one signature verification.
type pgpKey struct {
	pub *packet.PublicKey
	// fingerprint is the primary key's fingerprint, upper-case hex.
	fingerprint string
	// keyID is this key's id, upper-case hex.
	keyID   string
	created time.Time
	// expires is when the key (or, for a subkey, it or its primary) expires;
	// zero when it never does.
	expires time.Time
	// revocation is the earliest revocation of the key or its primary; nil
	// when not revoked.
	revocation *packet.Signature
	// canSign is false when the key's flags exclude signing.
	canSign bool
}

// pgpTrust is a parsed set of trusted OpenPGP keys.
type pgpTrust struct {
	byID map[uint64][]*pgpKey
}

// readPGPKeyring parses an OpenPGP keyring file: one or more armored public
// key blocks (several blocks concatenated is common), or a binary keyring.
// Keys go-crypto cannot use are skipped and reported.
func readPGPKeyring(data []byte) (ents []*openpgp.Entity, skipped []string, err error) {
	const begin = "-----BEGIN PGP "
	if !bytes.Contains(data, []byte(begin)) {
		return readEntities(bytes.NewReader(data))
	}
	rest := data
	for {
		i := bytes.Index(rest, []byte(begin))
		if i < 0 {
			break
		}
		rest = rest[i:]
		eol := bytes.IndexByte(rest, '\n')
		if eol < 0 {
			return nil, nil, errors.New("truncated armor header")
		}
		header := strings.TrimSpace(string(rest[:eol]))
		typ := strings.TrimSuffix(strings.TrimPrefix(header, "-----BEGIN "), "-----")
		end := []byte("-----END " + typ + "-----")
		j := bytes.Index(rest, end)
		if j < 0 {
			return nil, nil, fmt.Errorf("armor block %q has no end line", typ)
		}
		block := rest[:j+len(end)]
		rest = rest[j+len(end):]
		if typ != openpgp.PublicKeyType && typ != openpgp.PrivateKeyType {
			return nil, nil, fmt.Errorf("armor block %q is not a key block", typ)
		}
		b, err := armor.Decode(bytes.NewReader(block))
		if err != nil {
			return nil, nil, fmt.Errorf("armor: %w", err)
		}
		e, s, err := readEntities(b.Body)
		if err != nil {
			return nil, nil, err
		}
		ents, skipped = append(ents, e...), append(skipped, s...)
	}
	return ents, skipped, nil
}

// readEntities reads every key from a packet stream, skipping (and
// reporting) keys that are unsupported or structurally invalid, as
// openpgp.ReadKeyRing does silently.
func readEntities(r io.Reader) (ents []*openpgp.Entity, skipped []string, err error) {
	packets := packet.NewReader(r)
	for {
		e, err := openpgp.ReadEntity(packets)
		if err == io.EOF {
			return ents, skipped, nil
		}
		if err != nil {
			var ue pgperrors.UnsupportedError
			var se pgperrors.StructuralError
			if !errors.As(err, &ue) && !errors.As(err, &se) {
				return nil, nil, err
			}
			skipped = append(skipped, err.Error())
			if err := skipToNextKey(packets); err == io.EOF {
				return ents, skipped, nil
			} else if err != nil {
				return nil, nil, err
			}
			continue
		}
		ents = append(ents, e)
	}
}

// skipToNextKey drops packets up to the next primary key.
func skipToNextKey(packets *packet.Reader) error {
	for {
		p, err := packets.Next()
		if err != nil {
			var ue pgperrors.UnsupportedError
			if errors.As(err, &ue) {
				continue
			}
			return err
		}
		if pk, ok := p.(*packet.PublicKey); ok && !pk.IsSubkey {
			packets.Unread(p)
			return nil
		}
		if sk, ok := p.(*packet.PrivateKey); ok && !sk.IsSubkey {
			packets.Unread(p)
			return nil
		}
	}
}

// add indexes the signing keys of ents by key id.
func (t *pgpTrust) add(ents []*openpgp.Entity) {
	for _, e := range ents {
		pk := e.PrimaryKey
		fpr := fmt.Sprintf("%X", pk.Fingerprint)
		selfSig, _ := e.PrimarySelfSignature()
		primExp := keyExpiry(pk, selfSig)
		primRev := earliest(e.Revocations)
		primary := &pgpKey{
			pub: pk, fingerprint: fpr, keyID: fmt.Sprintf("%016X", pk.KeyId),
			created: pk.CreationTime, expires: primExp, revocation: primRev,
			canSign: selfSig == nil || !selfSig.FlagsValid || selfSig.FlagSign,
		}
		t.byID[pk.KeyId] = append(t.byID[pk.KeyId], primary)
		for _, sk := range e.Subkeys {
			exp := keyExpiry(sk.PublicKey, sk.Sig)
			if exp.IsZero() || (!primExp.IsZero() && primExp.Before(exp)) {
				exp = primExp
			}
			rev := primRev
			if r := earliest(sk.Revocations); r != nil && (rev == nil || r.CreationTime.Before(rev.CreationTime)) {
				rev = r
			}
			k := &pgpKey{
				pub: sk.PublicKey, fingerprint: fpr, keyID: fmt.Sprintf("%016X", sk.PublicKey.KeyId),
				created: sk.PublicKey.CreationTime, expires: exp, revocation: rev,
				canSign: sk.Sig != nil && (!sk.Sig.FlagsValid || sk.Sig.FlagSign),
			}
			t.byID[sk.PublicKey.KeyId] = append(t.byID[sk.PublicKey.KeyId], k)
		}
	}
}

// keyExpiry is the expiry a self-signature sets on pk; zero when none.
func keyExpiry(pk *packet.PublicKey, sig *packet.Signature) time.Time {
	if sig == nil || sig.KeyLifetimeSecs == nil || *sig.KeyLifetimeSecs == 0 {
		return time.Time{}
	}
	return pk.CreationTime.Add(time.Duration(*sig.KeyLifetimeSecs) * time.Second)
}

func earliest(sigs []*packet.Signature) *packet.Signature {
	var first *packet.Signature
	for _, s := range sigs {
		if first == nil || s.CreationTime.Before(first.CreationTime) {
			first = s
		}
	}
	return first
}

// verifyPGP checks an armored OpenPGP signature over payload against the
// trusted keys. Validity is judged at the signature's creation time; now
// only decides whether to record that the key has since expired.
func (t *pgpTrust) verifyPGP(armored, payload []byte, now time.Time) Signature {
	out := Signature{Kind: KindPGP}
	sig, extra, err := parsePGPSignature(armored)
	if err != nil {
		out.Status, out.Note = StatusError, "malformed pgp signature: "+err.Error()
		return out
	}
	keyID := *sig.IssuerKeyId
	out.Key = fmt.Sprintf("%016X", keyID)
	out.SignedAt = rfc3339(sig.CreationTime)
	if extra > 0 {
		out.Note = fmt.Sprintf("%d further signature packets ignored; ", extra)
	}
	if t == nil {
		out.Status = StatusUnknownKey
		out.Note += "no pgp keyring declared for this repository"
		return out
	}
	candidates := t.byID[keyID]
	if len(candidates) == 0 {
		out.Status = StatusUnknownKey
		out.Note += "issuer key " + out.Key + " is not in the trusted keyring"
		return out
	}
	var key *pgpKey
	var verr error
	for _, k := range candidates {
		h, w, err := signedHash(sig)
		if err != nil {
			out.Status, out.Note = StatusError, out.Note+"signature: "+err.Error()
			return out
		}
		w.Write(payload)
		if verr = k.pub.VerifySignature(h, sig); verr == nil {
			key = k
			break
		}
	}
	if key == nil {
		out.Status = StatusBad
		out.Note += "signature does not match the commit: " + verr.Error()
		return out
	}
	out.Signer = key.fingerprint
	out.Key = key.keyID
	signed := sig.CreationTime
	expiredAtSigning := !key.expires.IsZero() && signed.After(key.expires)
	switch {
	case key.revocation != nil:
		out.Status = StatusRevokedKey
		out.Note += "key revoked " + rfc3339(key.revocation.CreationTime) + revocationReason(key.revocation)
		compromised := key.revocation.RevocationReason != nil && *key.revocation.RevocationReason == packet.KeyCompromised
		out.VerifiedAtSigning = !expiredAtSigning && !compromised && signed.Before(key.revocation.CreationTime)
	case !key.canSign:
		out.Status = StatusUnknownKey
		out.Note += "key " + key.keyID + " is not certified for signing"
	case signed.Before(key.created):
		out.Status = StatusError
		out.Note += "signature is dated before its key was created"
	case expiredAtSigning:
		out.Status = StatusExpiredKey
		out.Note += "signature made " + out.SignedAt + ", after the key expired " + rfc3339(key.expires)
	case sigExpired(sig, now):
		out.Status = StatusExpiredKey
		out.VerifiedAtSigning = true
		out.Note += "signature itself expired " + rfc3339(sig.CreationTime.Add(time.Duration(*sig.SigLifetimeSecs)*time.Second))
	default:
		out.Status = StatusVerified
		out.VerifiedAtSigning = true
	}
	if !key.expires.IsZero() && !now.Before(key.expires) {
		out.KeyExpiredAt = rfc3339(key.expires)
		if out.Status == StatusVerified {
			out.Note += "key expired " + out.KeyExpiredAt + ", after this signature was made; git reports Y (expired key)"
		}
	}
	out.Note = strings.TrimSuffix(out.Note, "; ")
	return out
}

func sigExpired(sig *packet.Signature, now time.Time) bool {
	if sig.SigLifetimeSecs == nil || *sig.SigLifetimeSecs == 0 {
		return false
	}
	return now.After(sig.CreationTime.Add(time.Duration(*sig.SigLifetimeSecs) * time.Second))
}

func revocationReason(sig *packet.Signature) string {
	var parts []string
	if sig.RevocationReason != nil {
		switch *sig.RevocationReason {
		case packet.NoReason:
			parts = append(parts, "no reason specified")
		case packet.KeySuperseded:
			parts = append(parts, "key superseded")
		case packet.KeyCompromised:
			parts = append(parts, "key compromised")
		case packet.KeyRetired:
			parts = append(parts, "key retired")
		default:
			parts = append(parts, fmt.Sprintf("reason %d", *sig.RevocationReason))
		}
	}
	if sig.RevocationReasonText != "" {
		parts = append(parts, fmt.Sprintf("%q", sig.RevocationReasonText))
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ": ") + ")"
}

// parsePGPSignature decodes the armor and reads every packet, so that a
// corrupt checksum or trailing garbage is an error rather than ignored; it
// returns the first signature and how many more there were.
func parsePGPSignature(armored []byte) (*packet.Signature, int, error) {
	block, err := armor.Decode(bytes.NewReader(armored))
	if err != nil {
		return nil, 0, fmt.Errorf("armor: %w", err)
	}
	packets := packet.NewReader(block.Body)
	var first *packet.Signature
	extra := 0
	for {
		p, err := packets.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, 0, err
		}
		s, ok := p.(*packet.Signature)
		if !ok {
			return nil, 0, fmt.Errorf("unexpected %T packet", p)
		}
		if first == nil {
			first = s
		} else {
			extra++
		}
	}
	if first == nil {
		return nil, 0, errors.New("no signature packet")
	}
	if first.IssuerKeyId == nil {
		return nil, 0, errors.New("signature names no issuer key")
	}
	return first, extra, nil
}

// signedHash returns the hash VerifySignature sums and the writer the signed
// data goes through (which canonicalises line endings for text signatures).
func signedHash(sig *packet.Signature) (h hash.Hash, w io.Writer, err error) {
	h, err = sig.PrepareVerify()
	if err != nil {
		return nil, nil, err
	}
	switch sig.SigType {
	case packet.SigTypeBinary:
		return h, h, nil
	case packet.SigTypeText:
		return h, openpgp.NewCanonicalTextHash(h), nil
	}
	return nil, nil, fmt.Errorf("unsupported signature type %#x", sig.SigType)
}
