package gitrepo

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
	c, err := parseCommit([]byte(raw))
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
	if string(c.payload) != wantPayload {
		t.Errorf("payload:\n%q\nwant\n%q", c.payload, wantPayload)
	}
	if want := "-----BEGIN PGP SIGNATURE-----\n\nabc\n-----END PGP SIGNATURE-----\n"; string(c.signature) != want {
		t.Errorf("signature %q, want %q", c.signature, want)
	}
	if len(c.parents) != 2 || c.subject != "Subject line" {
		t.Errorf("parents %v subject %q", c.parents, c.subject)
	}
	if c.author.name != "A U Thor" || c.author.email != "a@example.com" || c.author.when.Unix() != 1791201600 || c.author.when.Location().String() != "UTC" {
		t.Errorf("author %+v", c.author)
	}
	if c.committer.name != "C O Mitter" || c.committer.when.Unix() != 1791205200 {
		t.Errorf("committer %+v", c.committer)
	}
}

func TestParseCommitUnsignedAndErrors(t *testing.T) {
	c, err := parseCommit([]byte("tree t\ncommitter X <x@y> 1 +0000\n\nroot"))
	if err != nil {
		t.Fatal(err)
	}
	if c.signature != nil || len(c.parents) != 0 || c.subject != "root" {
		t.Errorf("unsigned root commit: %+v", c)
	}
	for _, raw := range []string{
		"tree t\nauthor X <x@y> 1 +0000\n\nno committer\n",
		"tree t\ncommitter X x@y 1 +0000\n\nbad ident\n",
		"tree t\ncommitter X <x@y> soon +0000\n\nbad date\n",
	} {
		if _, err := parseCommit([]byte(raw)); err == nil {
			t.Errorf("parse %q: want an error", raw)
		}
	}
}
