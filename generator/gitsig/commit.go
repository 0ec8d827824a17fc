package gitsig

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// Commit is the part of a commit object that signature checking and the
// evidence need, parsed from the raw object bytes. We parse the bytes
// ourselves rather than use go-git's object.Commit because the signed
// payload must be exactly the object minus its signature header (git's
// parse_buffer_signed_by_header); re-encoding a decoded commit can drop or
// reorder headers go-git does not model and would turn good signatures bad.
type Commit struct {
	// Parents are the parent commit ids, in header order.
	Parents []string
	// Author and Committer are the identity lines.
	Author, Committer Ident
	// Subject is the first line of the message, as valid UTF-8.
	Subject string
	// Signature is the gpgsig header value (continuation lines unfolded);
	// nil when the commit is unsigned.
	Signature []byte
	// Payload is the object without any gpgsig* header: what was signed.
	Payload []byte
}

// Ident is a parsed "Name <email> 1700000000 +0100" line.
type Ident struct {
	// Name and Email are as recorded, as valid UTF-8.
	Name, Email string
	// When is the recorded time, in UTC.
	When time.Time
}

var errNoCommitter = errors.New("commit has no committer")

// ParseCommit parses a raw commit object (the bytes after git's
// "commit <size>\0" header). It mirrors git's parse_buffer_signed_by_header
// for the SHA-1 object format: "gpgsig" is the signature; "gpgsig-sha256"
// (the other format's signature) is dropped from the payload too.
func ParseCommit(raw []byte) (*Commit, error) {
	c := &Commit{}
	payload := make([]byte, 0, len(raw))
	var sig []byte
	inSig, sawSig, otherSig, hasCommitter := false, false, false, false
	var message []byte
	rest := raw
	for len(rest) > 0 {
		line := rest
		next := len(rest)
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			next = i + 1
			line = rest[:next]
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
			break
		}
		if !otherSig {
			payload = append(payload, line...)
			committer, err := c.header(line)
			if err != nil {
				return nil, err
			}
			hasCommitter = hasCommitter || committer
		}
		rest = rest[next:]
	}
	if !hasCommitter {
		return nil, errNoCommitter
	}
	if sawSig {
		c.Signature = sig
	}
	c.Payload = payload
	subject, _, _ := bytes.Cut(message, []byte("\n"))
	c.Subject = strings.ToValidUTF8(strings.TrimRight(string(subject), "\r"), "\uFFFD")
	return c, nil
}

// header records one header line; committer reports a committer line.
func (c *Commit) header(line []byte) (committer bool, err error) {
	key, value, ok := bytes.Cut(bytes.TrimSuffix(line, []byte("\n")), []byte(" "))
	if !ok {
		return false, nil
	}
	switch string(key) {
	case "parent":
		c.Parents = append(c.Parents, string(value))
	case "author":
		c.Author, err = parseIdent(value)
	case "committer":
		c.Committer, err = parseIdent(value)
		committer = true
	}
	return committer, err
}

// parseIdent parses "Name <email> 1700000000 +0100". Like git, it takes the
// last '>' as the end of the email, so names and emails with odd characters
// still parse.
func parseIdent(b []byte) (Ident, error) {
	lt := bytes.IndexByte(b, '<')
	gt := bytes.LastIndexByte(b, '>')
	if lt < 0 || gt < lt {
		return Ident{}, fmt.Errorf("malformed ident %q", b)
	}
	id := Ident{
		Name:  strings.ToValidUTF8(string(bytes.TrimSpace(b[:lt])), "\uFFFD"),
		Email: strings.ToValidUTF8(string(b[lt+1:gt]), "\uFFFD"),
	}
	fields := strings.Fields(string(b[gt+1:]))
	if len(fields) == 0 {
		return id, fmt.Errorf("ident %q has no date", b)
	}
	secs, err := strconv.ParseInt(fields[0], 10, 64)
	if err != nil {
		return id, fmt.Errorf("ident %q: bad timestamp: %w", b, err)
	}
	id.When = time.Unix(secs, 0).UTC()
	return id, nil
}

// ReadCommit reads commit h's raw object from s and parses it. It reads the
// stored bytes rather than decoding through go-git for the reason Commit
// gives.
func ReadCommit(s storer.EncodedObjectStorer, h plumbing.Hash) (*Commit, error) {
	raw, err := readObject(s, h)
	if err != nil {
		return nil, fmt.Errorf("read commit %s: %w", h, err)
	}
	c, err := ParseCommit(raw)
	if err != nil {
		return nil, fmt.Errorf("parse commit %s: %w", h, err)
	}
	return c, nil
}

func readObject(s storer.EncodedObjectStorer, h plumbing.Hash) ([]byte, error) {
	obj, err := s.EncodedObject(plumbing.CommitObject, h)
	if err != nil {
		return nil, err
	}
	r, err := obj.Reader()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	b := make([]byte, obj.Size())
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, err
	}
	return b, nil
}
