package export

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"strings"
	"testing"
	"time"
)

func testPackage() *Package {
	return &Package{Name: "evident-acme-2026-Q4", Time: time.Date(2026, 12, 31, 6, 0, 0, 0, time.UTC), Files: []File{
		{Path: "site/index.html", Data: []byte("<h1>site</h1>")},
		{Path: "INDEX.md", Data: []byte("# index\n")},
		{Path: "evidence/items/git/a/commits/2026-Q4.json", Data: []byte(`{"x":1}`)},
	}}
}

func TestArchivesAreReproducible(t *testing.T) {
	var a, b, z1, z2 bytes.Buffer
	p := testPackage()
	if err := p.WriteTarGz(&a); err != nil {
		t.Fatal(err)
	}
	// The same files in another order, written later: the same bytes.
	q := testPackage()
	q.Files[0], q.Files[2] = q.Files[2], q.Files[0]
	if err := q.WriteTarGz(&b); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("two tar.gz exports of the same files differ")
	}
	if err := p.WriteZip(&z1); err != nil {
		t.Fatal(err)
	}
	if err := q.WriteZip(&z2); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(z1.Bytes(), z2.Bytes()) {
		t.Error("two zip exports of the same files differ")
	}
}

func TestTarGzContentsAndSums(t *testing.T) {
	var buf bytes.Buffer
	if err := testPackage().WriteTarGz(&buf); err != nil {
		t.Fatal(err)
	}
	gz, err := gzip.NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if gz.Name != "" || !gz.ModTime.IsZero() {
		t.Errorf("gzip header carries name %q, time %v; both vary between runs", gz.Name, gz.ModTime)
	}
	tr := tar.NewReader(gz)
	got := map[string][]byte{}
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		if h.Uid != 0 || h.Gid != 0 || h.Uname != "" || !h.ModTime.Equal(time.Date(2026, 12, 31, 6, 0, 0, 0, time.UTC)) {
			t.Errorf("%s: owner %d:%d %q, time %v", h.Name, h.Uid, h.Gid, h.Uname, h.ModTime)
		}
		if h.Typeflag == tar.TypeReg {
			got[h.Name], _ = io.ReadAll(tr)
		}
	}
	want := []string{"evident-acme-2026-Q4/", "evident-acme-2026-Q4/evidence/", "evident-acme-2026-Q4/evidence/items/",
		"evident-acme-2026-Q4/evidence/items/git/", "evident-acme-2026-Q4/evidence/items/git/a/",
		"evident-acme-2026-Q4/evidence/items/git/a/commits/", "evident-acme-2026-Q4/site/",
		"evident-acme-2026-Q4/INDEX.md", "evident-acme-2026-Q4/SHA256SUMS",
		"evident-acme-2026-Q4/evidence/items/git/a/commits/2026-Q4.json", "evident-acme-2026-Q4/site/index.html"}
	if strings.Join(names, "\n") != strings.Join(want, "\n") {
		t.Errorf("entries:\n%s\nwant:\n%s", strings.Join(names, "\n"), strings.Join(want, "\n"))
	}
	// Every SHA256SUMS line matches its file, as `sha256sum -c` checks.
	sums := string(got["evident-acme-2026-Q4/SHA256SUMS"])
	lines := strings.Split(strings.TrimSpace(sums), "\n")
	if len(lines) != 3 {
		t.Fatalf("SHA256SUMS has %d lines, want 3:\n%s", len(lines), sums)
	}
	for _, l := range lines {
		sum, name, ok := strings.Cut(l, "  ")
		if !ok {
			t.Fatalf("bad line %q", l)
		}
		d := sha256.Sum256(got["evident-acme-2026-Q4/"+name])
		if hex.EncodeToString(d[:]) != sum {
			t.Errorf("SHA256SUMS: %s does not match %s", sum, name)
		}
	}
}

func TestZipContents(t *testing.T) {
	var buf bytes.Buffer
	if err := testPackage().WriteZip(&buf); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var files int
	for _, f := range zr.File {
		if f.FileInfo().IsDir() {
			continue
		}
		files++
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		if f.Name == "evident-acme-2026-Q4/site/index.html" && string(b) != "<h1>site</h1>" {
			t.Errorf("zip %s = %q", f.Name, b)
		}
	}
	if files != 4 {
		t.Errorf("zip has %d files, want 4 (3 + SHA256SUMS)", files)
	}
}

func TestBadPaths(t *testing.T) {
	for _, p := range []string{"../x", "/etc/passwd", "a/../../b", "", "a//b", SumsName} {
		pk := &Package{Name: "pkg", Files: []File{{Path: p}}}
		if err := pk.WriteTarGz(io.Discard); err == nil {
			t.Errorf("path %q accepted", p)
		}
	}
	dup := &Package{Name: "pkg", Files: []File{{Path: "a"}, {Path: "a"}}}
	if err := dup.WriteZip(io.Discard); err == nil {
		t.Error("a file added twice was accepted")
	}
}
