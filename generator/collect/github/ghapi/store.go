package ghapi

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// Store keeps bytes by key between runs: the ETag cache and the collectors'
// incremental state live in one. A run in CI starts on a fresh machine, so
// the caller chooses where it lives (a configured path, or a folder it
// carries between runs); losing it only makes the next run a full one.
type Store interface {
	// Load returns the bytes saved under key.
	Load(key string) ([]byte, bool)
	// Save replaces the bytes under key.
	Save(key string, b []byte) error
}

// FileStore is a Store in a directory: one file per key, named by the
// sha256 of the key so any key is a safe file name.
type FileStore struct {
	dir string
}

// NewFileStore returns a FileStore rooted at dir, creating it if needed.
func NewFileStore(dir string) (*FileStore, error) {
	if dir == "" {
		return nil, errors.New("github cache: no directory given")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("github cache: %w", err)
	}
	return &FileStore{dir: dir}, nil
}

// Dir is the directory the store writes to.
func (s *FileStore) Dir() string { return s.dir }

func (s *FileStore) path(key string) string {
	sum := sha256.Sum256([]byte(key))
	h := hex.EncodeToString(sum[:])
	return filepath.Join(s.dir, h[:2], h)
}

// Load reads the file for key; a missing or unreadable file is a miss,
// since the cache only ever saves work.
func (s *FileStore) Load(key string) ([]byte, bool) {
	b, err := os.ReadFile(s.path(key))
	if err != nil {
		return nil, false
	}
	return b, true
}

// Save writes the file for key through a temporary file and a rename, so a
// concurrent reader or a crash never sees half an entry.
func (s *FileStore) Save(key string, b []byte) error {
	p := s.path(key)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return fmt.Errorf("github cache: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return fmt.Errorf("github cache: %w", err)
	}
	tmp := f.Name()
	if _, err := f.Write(b); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("github cache: write %s: %w", filepath.Base(p), err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("github cache: write %s: %w", filepath.Base(p), err)
	}
	if err := os.Rename(tmp, p); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("github cache: %w", err)
	}
	return nil
}

// Len counts the entries, for tests and benchmarks.
func (s *FileStore) Len() int {
	n := 0
	_ = filepath.WalkDir(s.dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && filepath.Base(d.Name())[0] != '.' {
			n++
		}
		return nil
	})
	return n
}

// MemStore is a Store in memory: a cache that lasts one process.
type MemStore struct {
	mu sync.Mutex
	m  map[string][]byte
}

// NewMemStore returns an empty MemStore.
func NewMemStore() *MemStore { return &MemStore{m: map[string][]byte{}} }

// Load returns a copy of the bytes under key.
func (s *MemStore) Load(key string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.m[key]
	if !ok {
		return nil, false
	}
	return append([]byte(nil), b...), true
}

// Save keeps a copy of b under key.
func (s *MemStore) Save(key string, b []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[key] = append([]byte(nil), b...)
	return nil
}

// Len counts the entries.
func (s *MemStore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}
