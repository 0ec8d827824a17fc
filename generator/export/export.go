// Package export writes the auditor's evidence package: a folder of files
// as a .tar.gz and a .zip whose bytes depend only on the files, never on
// when or where they were written, so two exports of the same period can be
// compared with sha256sum and an auditor can keep the digest in the
// workpapers.
package export

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"
)

// File is one file of the package.
type File struct {
	// Path is slash-separated, relative to the package's top folder.
	Path string
	Data []byte
}

// Package is the files under one top folder, with one timestamp.
type Package struct {
	// Name is the top folder inside the archives, e.g.
	// "evident-first-harbor-bank-2026-Q4".
	Name string
	// Time is every entry's modification time: the closing snapshot's, so
	// the archives are the same bytes whenever they are written.
	Time  time.Time
	Files []File
}

// SumsName is the checksum file every package carries.
const SumsName = "SHA256SUMS"

// Check refuses paths an archive tool would write outside the package or
// that two files share.
func (p *Package) Check() error {
	if p.Name == "" || strings.ContainsAny(p.Name, `/\`) {
		return fmt.Errorf("evidence package: bad folder name %q", p.Name)
	}
	seen := map[string]bool{}
	for _, f := range p.Files {
		c := path.Clean(f.Path)
		if c != f.Path || strings.HasPrefix(c, "../") || c == ".." || path.IsAbs(c) || c == "." {
			return fmt.Errorf("evidence package: file path %q is not a clean relative path", f.Path)
		}
		if seen[c] {
			return fmt.Errorf("evidence package: %s is added twice", c)
		}
		seen[c] = true
	}
	return nil
}

// WithSums returns the files sorted by path with SHA256SUMS added: one
// "<hex>  <path>" line per file, the format `sha256sum -c` reads.
func (p *Package) WithSums() ([]File, error) {
	if err := p.Check(); err != nil {
		return nil, err
	}
	files := append([]File(nil), p.Files...)
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	var sums bytes.Buffer
	for _, f := range files {
		if f.Path == SumsName {
			return nil, fmt.Errorf("evidence package: %s is written by the package itself", SumsName)
		}
		d := sha256.Sum256(f.Data)
		fmt.Fprintf(&sums, "%s  %s\n", hex.EncodeToString(d[:]), f.Path)
	}
	files = append(files, File{Path: SumsName, Data: sums.Bytes()})
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files, nil
}

// dirs lists every parent folder of the files, sorted, so archive tools
// that need folder entries (and permissions on them) get them.
func dirs(files []File) []string {
	set := map[string]bool{}
	for _, f := range files {
		for d := path.Dir(f.Path); d != "."; d = path.Dir(d) {
			set[d] = true
		}
	}
	out := make([]string, 0, len(set))
	for d := range set {
		out = append(out, d)
	}
	sort.Strings(out)
	return out
}

// WriteTarGz writes the package as a gzip-compressed POSIX tar: entries in
// path order, owner 0:0 with no names, mode 0644 (folders 0755), the
// package's time, and a gzip header with no name or time.
func (p *Package) WriteTarGz(w io.Writer) error {
	files, err := p.WithSums()
	if err != nil {
		return err
	}
	gz, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(gz)
	mt := p.Time.UTC().Truncate(time.Second)
	hdr := func(name string, mode int64, typ byte, size int64) *tar.Header {
		return &tar.Header{Name: name, Mode: mode, Typeflag: typ, Size: size, ModTime: mt, Format: tar.FormatPAX}
	}
	if err := tw.WriteHeader(hdr(p.Name+"/", 0o755, tar.TypeDir, 0)); err != nil {
		return fmt.Errorf("write tar: %w", err)
	}
	for _, d := range dirs(files) {
		if err := tw.WriteHeader(hdr(p.Name+"/"+d+"/", 0o755, tar.TypeDir, 0)); err != nil {
			return fmt.Errorf("write tar: %w", err)
		}
	}
	for _, f := range files {
		if err := tw.WriteHeader(hdr(p.Name+"/"+f.Path, 0o644, tar.TypeReg, int64(len(f.Data)))); err != nil {
			return fmt.Errorf("write tar %s: %w", f.Path, err)
		}
		if _, err := tw.Write(f.Data); err != nil {
			return fmt.Errorf("write tar %s: %w", f.Path, err)
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("write tar: %w", err)
	}
	return gz.Close()
}

// WriteZip writes the package as a zip with the same entries, Deflate
// compressed, the package's time in every entry, and no other varying field.
func (p *Package) WriteZip(w io.Writer) error {
	files, err := p.WithSums()
	if err != nil {
		return err
	}
	zw := zip.NewWriter(w)
	mt := p.Time.UTC().Truncate(time.Second)
	add := func(name string, data []byte, dir bool) error {
		h := &zip.FileHeader{Name: name, Method: zip.Deflate, Modified: mt}
		mode := fs.FileMode(0o644)
		if dir {
			h.Method = zip.Store
			mode = fs.ModeDir | 0o755
		}
		h.SetMode(mode)
		fw, err := zw.CreateHeader(h)
		if err != nil {
			return fmt.Errorf("write zip %s: %w", name, err)
		}
		if _, err := fw.Write(data); err != nil {
			return fmt.Errorf("write zip %s: %w", name, err)
		}
		return nil
	}
	if err := add(p.Name+"/", nil, true); err != nil {
		return err
	}
	for _, d := range dirs(files) {
		if err := add(p.Name+"/"+d+"/", nil, true); err != nil {
			return err
		}
	}
	for _, f := range files {
		if err := add(p.Name+"/"+f.Path, f.Data, false); err != nil {
			return err
		}
	}
	return zw.Close()
}
