package gitsig

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

// allowedSigner is one line of an allowed_signers file (ssh-keygen(1),
// "ALLOWED SIGNERS"): principals, options, key.
type allowedSigner struct {
	// principals are the comma-separated identity patterns, in order.
	principals []string
	// certAuthority marks a CA key: it vouches for certificates, never for
	// signatures made by the key itself.
	certAuthority bool
	// namespaces is the namespaces="..." pattern list; hasNamespaces is false
	// when the option is absent (any namespace).
	namespaces    string
	hasNamespaces bool
	// validAfter and validBefore bound the key's validity; zero is unbounded.
	validAfter, validBefore time.Time
	key                     ssh.PublicKey
	fingerprint             string
	// where is "file:line", for notes.
	where string
}

const sshWhitespace = " \t\r\n"

// parseAllowedSigners parses an allowed_signers file. Unlike ssh-keygen,
// which logs and skips a line it cannot parse, any bad line is an error:
// a trust file that silently drops a key would turn verified commits into
// unknown_key with nobody told why.
func parseAllowedSigners(r io.Reader, name string) ([]allowedSigner, error) {
	var out []allowedSigner
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for n := 1; sc.Scan(); n++ {
		where := fmt.Sprintf("%s:%d", name, n)
		s, ok, err := parseAllowedSignerLine(sc.Text())
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		if ok {
			s.where = where
			out = append(out, s)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return out, nil
}

// parseAllowedSignerLine parses one line; ok is false for blank lines and
// comments. It follows OpenSSH's sshsig.c parse_principals_key_and_options.
func parseAllowedSignerLine(line string) (s allowedSigner, ok bool, err error) {
	line = strings.TrimLeft(line, " \t")
	if line == "" || line[0] == '#' || strings.Trim(line, sshWhitespace) == "" {
		return s, false, nil
	}
	principals, rest, err := nextToken(line)
	if err != nil {
		return s, false, err
	}
	if rest == "" {
		return s, false, errors.New("invalid line: no key")
	}
	for _, p := range strings.Split(principals, ",") {
		if p != "" {
			s.principals = append(s.principals, p)
		}
	}
	if len(s.principals) == 0 {
		return s, false, errors.New("invalid line: empty principals")
	}
	key, kerr := parseKeyField(rest)
	if kerr != nil {
		// Not a key: the field is options, and the key follows.
		opts, after, err := splitOptions(rest)
		if err != nil {
			return s, false, err
		}
		after = strings.TrimLeft(after, " \t")
		if after == "" {
			return s, false, errors.New("missing key")
		}
		if key, err = parseKeyField(after); err != nil {
			return s, false, fmt.Errorf("invalid key: %w", err)
		}
		if err := s.parseOptions(opts); err != nil {
			return s, false, fmt.Errorf("bad options: %w", err)
		}
	}
	s.key = key
	s.fingerprint = ssh.FingerprintSHA256(key)
	return s, true, nil
}

// nextToken splits off the first whitespace-delimited token, honouring one
// pair of double quotes (OpenSSH's strdelimw): `"a b",c x` yields `a b` and
// `,c x`, exactly as ssh-keygen reads it.
func nextToken(s string) (tok, rest string, err error) {
	i := strings.IndexAny(s, sshWhitespace+`"`)
	if i < 0 {
		return s, "", nil
	}
	if s[i] == '"' {
		j := strings.IndexByte(s[i+1:], '"')
		if j < 0 {
			return "", "", errors.New("unmatched quote")
		}
		tok = s[:i] + s[i+1:i+1+j]
		return tok, strings.TrimLeft(s[i+1+j+1:], sshWhitespace), nil
	}
	return s[:i], strings.TrimLeft(s[i+1:], sshWhitespace), nil
}

// splitOptions returns the options field (up to unquoted whitespace) and
// what follows (OpenSSH's sshkey_advance_past_options).
func splitOptions(s string) (opts, rest string, err error) {
	quoted := false
	i := 0
	for ; i < len(s) && (quoted || (s[i] != ' ' && s[i] != '\t')); i++ {
		if s[i] == '\\' && i+1 < len(s) && s[i+1] == '"' {
			i++
		} else if s[i] == '"' {
			quoted = !quoted
		}
	}
	if quoted {
		return "", "", errors.New("invalid options: unterminated quote")
	}
	return s[:i], s[i:], nil
}

// parseKeyField parses "keytype base64 [comment]".
func parseKeyField(s string) (ssh.PublicKey, error) {
	f := strings.Fields(s)
	if len(f) < 2 {
		return nil, errors.New("want key type and base64 key")
	}
	blob, err := base64.StdEncoding.DecodeString(f[1])
	if err != nil {
		return nil, fmt.Errorf("key base64: %w", err)
	}
	key, err := ssh.ParsePublicKey(blob)
	if err != nil {
		return nil, err
	}
	if key.Type() != f[0] {
		return nil, fmt.Errorf("key type %s does not match key data (%s)", f[0], key.Type())
	}
	return key, nil
}

// parseOptions parses the comma-separated options (OpenSSH's
// sshsigopt_parse): names are case-insensitive, values must be quoted,
// unknown or repeated options are errors.
func (s *allowedSigner) parseOptions(opts string) error {
	for opts != "" {
		switch {
		case hasPrefixFold(opts, "cert-authority"):
			s.certAuthority = true
			opts = opts[len("cert-authority"):]
		case hasPrefixFold(opts, "namespaces="):
			if s.hasNamespaces {
				return errors.New(`multiple "namespaces" clauses`)
			}
			v, rest, err := dequote(opts[len("namespaces="):])
			if err != nil {
				return err
			}
			s.namespaces, s.hasNamespaces, opts = v, true, rest
		case hasPrefixFold(opts, "valid-after="):
			if !s.validAfter.IsZero() {
				return errors.New(`multiple "valid-after" clauses`)
			}
			v, rest, err := dequote(opts[len("valid-after="):])
			if err != nil {
				return err
			}
			if s.validAfter, err = parseSSHTime(v); err != nil {
				return fmt.Errorf(`invalid "valid-after" time: %w`, err)
			}
			opts = rest
		case hasPrefixFold(opts, "valid-before="):
			if !s.validBefore.IsZero() {
				return errors.New(`multiple "valid-before" clauses`)
			}
			v, rest, err := dequote(opts[len("valid-before="):])
			if err != nil {
				return err
			}
			if s.validBefore, err = parseSSHTime(v); err != nil {
				return fmt.Errorf(`invalid "valid-before" time: %w`, err)
			}
			opts = rest
		}
		if opts == "" {
			break
		}
		if opts[0] != ',' {
			return fmt.Errorf("unknown key option %q", opts)
		}
		opts = opts[1:]
		if opts == "" {
			return errors.New("unexpected end of options")
		}
	}
	if !s.validAfter.IsZero() && !s.validBefore.IsZero() && !s.validBefore.After(s.validAfter) {
		return errors.New(`"valid-before" time is before "valid-after"`)
	}
	return nil
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// dequote reads a double-quoted value, with \" as an escaped quote
// (OpenSSH's opt_dequote).
func dequote(s string) (value, rest string, err error) {
	if s == "" || s[0] != '"' {
		return "", "", errors.New("missing start quote")
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch {
		case s[i] == '\\' && i+1 < len(s) && s[i+1] == '"':
			b.WriteByte('"')
			i++
		case s[i] == '"':
			return b.String(), s[i+1:], nil
		default:
			b.WriteByte(s[i])
		}
	}
	return "", "", errors.New("missing end quote")
}

// parseSSHTime parses YYYYMMDD[HHMM[SS]] with an optional "Z" or "UTC"
// suffix (OpenSSH's parse_absolute_time). ssh-keygen reads a time without
// the suffix in the local time zone of the machine verifying; evident reads
// it as UTC so the evidence does not depend on where the collector runs.
func parseSSHTime(v string) (time.Time, error) {
	s := v
	switch {
	case len(s) > 1 && (s[len(s)-1] == 'Z' || s[len(s)-1] == 'z'):
		s = s[:len(s)-1]
	case len(s) > 3 && strings.EqualFold(s[len(s)-3:], "UTC"):
		s = s[:len(s)-3]
	}
	var layout string
	switch len(s) {
	case 8:
		layout = "20060102"
	case 12:
		layout = "200601021504"
	case 14:
		layout = "20060102150405"
	default:
		return time.Time{}, fmt.Errorf("%q: want YYYYMMDD[HHMM[SS]][Z]", v)
	}
	t, err := time.ParseInLocation(layout, s, time.UTC)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q: %w", v, err)
	}
	if t.Unix() <= 0 {
		return time.Time{}, fmt.Errorf("%q: not after the epoch", v)
	}
	return t, nil
}

// matchPatternList reports whether s matches the comma-separated pattern
// list (OpenSSH's match_pattern_list): "*" and "?" wildcards, and a "!"
// prefix that rejects on match.
func matchPatternList(s, list string) bool {
	matched := false
	for _, p := range strings.Split(list, ",") {
		neg := strings.HasPrefix(p, "!")
		if neg {
			p = p[1:]
		}
		if matchPattern(s, p) {
			if neg {
				return false
			}
			matched = true
		}
	}
	return matched
}

// matchPattern is a glob match with "*" and "?" only.
func matchPattern(s, p string) bool {
	for len(p) > 0 {
		switch p[0] {
		case '*':
			for len(p) > 0 && p[0] == '*' {
				p = p[1:]
			}
			if p == "" {
				return true
			}
			for i := 0; i <= len(s); i++ {
				if matchPattern(s[i:], p) {
					return true
				}
			}
			return false
		case '?':
			if s == "" {
				return false
			}
		default:
			if s == "" || s[0] != p[0] {
				return false
			}
		}
		s, p = s[1:], p[1:]
	}
	return s == ""
}

// sshTrust indexes allowed signers by key fingerprint, in file order.
type sshTrust struct {
	byKey map[string][]*allowedSigner
	// caKeys are cert-authority lines, by CA key fingerprint.
	caKeys map[string][]*allowedSigner
}

// add indexes signers after those already added, keeping file order.
func (t *sshTrust) add(signers []allowedSigner) {
	for i := range signers {
		s := &signers[i]
		if s.certAuthority {
			t.caKeys[s.fingerprint] = append(t.caKeys[s.fingerprint], s)
		} else {
			t.byKey[s.fingerprint] = append(t.byKey[s.fingerprint], s)
		}
	}
}

// equalKeys compares two public keys by their wire encoding.
func equalKeys(a, b ssh.PublicKey) bool {
	return bytes.Equal(a.Marshal(), b.Marshal())
}
