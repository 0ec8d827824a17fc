package gitrepo

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// rawCommit is the part of a commit object the collector needs, parsed from
// the raw object bytes. We parse the bytes ourselves rather than use
// go-git's object.Commit because the signed payload must be exactly the
// object minus its signature header (git's parse_buffer_signed_by_header);
// re-encoding a decoded commit can drop or reorder headers go-git does not
// model and would turn good signatures bad.
type rawCommit struct {
	parents   []string
	author    ident
	committer ident
	subject   string
	// hasCommitter is false for an object with no committer line.
	hasCommitter bool
	// signature is the gpgsig header value (continuation lines unfolded);
	// nil when the commit is unsigned.
	signature []byte
	// payload is the object without any gpgsig* header: what was signed.
	payload []byte
}

// ident is a parsed "Name <email> 1700000000 +0100" line.
type ident struct {
	name, email string
	when        time.Time
}

var errNoCommitter = errors.New("commit has no committer")

// parseCommit parses a raw commit object. It mirrors git's
// parse_buffer_signed_by_header for the SHA-1 object format: "gpgsig" is the
// signature; "gpgsig-sha256" (the other format's signature) is dropped from
// the payload too.
func parseCommit(raw []byte) (*rawCommit, error) {
	c := &rawCommit{}
	payload := make([]byte, 0, len(raw))
	var sig []byte
	inSig, sawSig, otherSig := false, false, false
	inHeaders := true
	var message []byte
	rest := raw
	for len(rest) > 0 {
		line := rest
		next := len(rest)
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			next = i + 1
			line = rest[:next]
		}
		if !inHeaders {
			break
		}
		isSig := false
		var sigPart []byte
		switch {
		case inSig && line[0] == ' ':
			isSig, sigPart = true, line[1:]
		case bytes.HasPrefix(line, []byte("gpgsig ")):
			isSig, sigPart = true, line[len("gpgsig "):]
			otherSig = false
		case bytes.HasPrefix(line, []byte("gpgsig")):
			otherSig = true
		case otherSig && line[0] != ' ':
			otherSig = false
		}
		if isSig {
			sig = append(sig, sigPart...)
			sawSig, inSig = true, true
			rest = rest[next:]
			continue
		}
		inSig = false
		if line[0] == '\n' {
			// End of headers: the rest is the message, copied whole.
			payload = append(payload, rest...)
			message = rest[1:]
			inHeaders = false
			rest = nil
			break
		}
		if !otherSig {
			payload = append(payload, line...)
			if err := c.header(line); err != nil {
				return nil, err
			}
		}
		rest = rest[next:]
	}
	if !c.hasCommitter {
		return nil, errNoCommitter
	}
	if sawSig {
		c.signature = sig
	}
	c.payload = payload
	subject, _, _ := bytes.Cut(message, []byte("\n"))
	c.subject = strings.ToValidUTF8(strings.TrimRight(string(subject), "\r"), "\uFFFD")
	return c, nil
}

func (c *rawCommit) header(line []byte) error {
	key, value, ok := bytes.Cut(bytes.TrimSuffix(line, []byte("\n")), []byte(" "))
	if !ok {
		return nil
	}
	var err error
	switch string(key) {
	case "parent":
		c.parents = append(c.parents, string(value))
	case "author":
		c.author, err = parseIdent(value)
	case "committer":
		c.committer, err = parseIdent(value)
		c.hasCommitter = true
	}
	return err
}

// parseIdent parses "Name <email> 1700000000 +0100". Like git, it takes the
// last '>' as the end of the email, so names and emails with odd characters
// still parse.
func parseIdent(b []byte) (ident, error) {
	lt := bytes.IndexByte(b, '<')
	gt := bytes.LastIndexByte(b, '>')
	if lt < 0 || gt < lt {
		return ident{}, fmt.Errorf("malformed ident %q", b)
	}
	id := ident{
		name:  strings.ToValidUTF8(string(bytes.TrimSpace(b[:lt])), "\uFFFD"),
		email: strings.ToValidUTF8(string(b[lt+1:gt]), "\uFFFD"),
	}
	fields := strings.Fields(string(b[gt+1:]))
	if len(fields) == 0 {
		return id, fmt.Errorf("ident %q has no date", b)
	}
	secs, err := strconv.ParseInt(fields[0], 10, 64)
	if err != nil {
		return id, fmt.Errorf("ident %q: bad timestamp: %w", b, err)
	}
	id.when = time.Unix(secs, 0).UTC()
	return id, nil
}
