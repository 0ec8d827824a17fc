package gitsig

import (
	"testing"
)

func TestParseCommitPayload(t *testing.T) {
	raw := "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n" +
		"parent 1111111111111111111111111111111111111111\n" +
		"parent 2222222222222222222222222222222222222222\n" +
		"author A U Thor <a@example.com> 1791201600 +0200\n" +
		"committer C O Mitter <c@example.com> 1791205200 -0500\n" +
		"encoding ISO-8859-1\n" +
		"gpgsig -----BEGIN PGP SIGNATURE-----\n" +
		" \n" +
		" abc\n" +
		" -----END PGP SIGNATURE-----\n" +
		"gpgsig-sha256 -----BEGIN PGP SIGNATURE-----\n" +
		" other\n" +
		" -----END PGP SIGNATURE-----\n" +
		"mergetag object 3333333333333333333333333333333333333333\n" +
		" type commit\n" +
		"\n" +
		"Subject line\r\n\nbody\ngpgsig not a header\n"
	c, err := ParseCommit([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	wantPayload := "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n" +
		"parent 1111111111111111111111111111111111111111\n" +
		"parent 2222222222222222222222222222222222222222\n" +
		"author A U Thor <a@example.com> 1791201600 +0200\n" +
		"committer C O Mitter <c@example.com> 1791205200 -0500\n" +
		"encoding ISO-8859-1\n" +
		"mergetag object 3333333333333333333333333333333333333333\n" +
		" type commit\n" +
		"\n" +
		"Subject line\r\n\nbody\ngpgsig not a header\n"
	if string(c.Payload) != wantPayload {
		t.Errorf("payload:\n%q\nwant\n%q", c.Payload, wantPayload)
	}
	if want := "-----BEGIN PGP SIGNATURE-----\n\nabc\n-----END PGP SIGNATURE-----\n"; string(c.Signature) != want {
		t.Errorf("signature %q, want %q", c.Signature, want)
	}
	if len(c.Parents) != 2 || c.Subject != "Subject line" {
		t.Errorf("parents %v subject %q", c.Parents, c.Subject)
	}
	if c.Author.Name != "A U Thor" || c.Author.Email != "a@example.com" || c.Author.When.Unix() != 1791201600 || c.Author.When.Location().String() != "UTC" {
		t.Errorf("author %+v", c.Author)
	}
	if c.Committer.Name != "C O Mitter" || c.Committer.When.Unix() != 1791205200 {
		t.Errorf("committer %+v", c.Committer)
	}
}

func TestParseCommitUnsignedAndErrors(t *testing.T) {
	c, err := ParseCommit([]byte("tree t\ncommitter X <x@y> 1 +0000\n\nroot"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Signature != nil || len(c.Parents) != 0 || c.Subject != "root" {
		t.Errorf("unsigned root commit: %+v", c)
	}
	for _, raw := range []string{
		"tree t\nauthor X <x@y> 1 +0000\n\nno committer\n",
		"tree t\ncommitter X x@y 1 +0000\n\nbad ident\n",
		"tree t\ncommitter X <x@y> soon +0000\n\nbad date\n",
	} {
		if _, err := ParseCommit([]byte(raw)); err == nil {
			t.Errorf("parse %q: want an error", raw)
		}
	}
}
