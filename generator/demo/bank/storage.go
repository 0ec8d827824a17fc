package bank

import (
	"bytes"
	"errors"
	"fmt"
	"slices"

	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/index"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/storage"
	"github.com/go-git/go-git/v5/storage/filesystem"
	"github.com/go-git/go-git/v5/storage/memory"
)

// stagedStorage is an ordinary on-disk repository whose new objects, refs
// and index are held in memory until flush, which writes the objects as one
// packfile. Writing hundreds of commits as loose objects, and re-reading and
// rewriting HEAD, refs and the index file on every step, costs tens of
// thousands of small file operations; on a slow disk that alone took
// several seconds.
type stagedStorage struct {
	memory.ReferenceStorage
	storer.ShallowStorer
	config.ConfigStorer
	storage.ModuleStorer

	fs      *filesystem.Storage
	mem     *memory.Storage
	idx     *index.Index                    // nil until first read; written back by flush
	removed map[plumbing.ReferenceName]bool // refs deleted since the last flush
}

var _ storage.Storer = (*stagedStorage)(nil)

func newStagedStorage(fs *filesystem.Storage) (*stagedStorage, error) {
	s := &stagedStorage{
		ReferenceStorage: memory.ReferenceStorage{},
		ShallowStorer:    fs, ConfigStorer: fs, ModuleStorer: fs,
		fs: fs, mem: memory.NewStorage(), removed: map[plumbing.ReferenceName]bool{},
	}
	refs, err := s.diskRefs()
	if err != nil {
		return nil, err
	}
	for _, r := range refs {
		s.ReferenceStorage[r.Name()] = r
	}
	return s, nil
}

// diskRefs returns HEAD and every ref stored on disk.
func (s *stagedStorage) diskRefs() (map[plumbing.ReferenceName]*plumbing.Reference, error) {
	out := map[plumbing.ReferenceName]*plumbing.Reference{}
	head, err := s.fs.Reference(plumbing.HEAD)
	if err != nil {
		return nil, fmt.Errorf("read HEAD: %w", err)
	}
	out[plumbing.HEAD] = head
	it, err := s.fs.IterReferences()
	if err != nil {
		return nil, fmt.Errorf("read refs: %w", err)
	}
	err = it.ForEach(func(r *plumbing.Reference) error {
		out[r.Name()] = r
		return nil
	})
	return out, err
}

// RemoveReference records the deletion so flush deletes only refs the
// bank removed, never ones someone else added to the repository.
func (s *stagedStorage) RemoveReference(n plumbing.ReferenceName) error {
	s.removed[n] = true
	return s.ReferenceStorage.RemoveReference(n)
}

func (s *stagedStorage) NewEncodedObject() plumbing.EncodedObject { return &plumbing.MemoryObject{} }

func (s *stagedStorage) SetEncodedObject(o plumbing.EncodedObject) (plumbing.Hash, error) {
	return s.mem.SetEncodedObject(o)
}

func (s *stagedStorage) EncodedObject(t plumbing.ObjectType, h plumbing.Hash) (plumbing.EncodedObject, error) {
	o, err := s.mem.EncodedObject(t, h)
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		return s.fs.EncodedObject(t, h)
	}
	return o, err
}

func (s *stagedStorage) HasEncodedObject(h plumbing.Hash) error {
	if err := s.mem.HasEncodedObject(h); err == nil {
		return nil
	}
	return s.fs.HasEncodedObject(h)
}

func (s *stagedStorage) EncodedObjectSize(h plumbing.Hash) (int64, error) {
	if n, err := s.mem.EncodedObjectSize(h); err == nil {
		return n, nil
	}
	return s.fs.EncodedObjectSize(h)
}

// IterEncodedObjects is only used by maintenance commands; staged objects
// are flushed before anything else reads the repository.
func (s *stagedStorage) IterEncodedObjects(t plumbing.ObjectType) (storer.EncodedObjectIter, error) {
	if len(s.mem.Objects) > 0 {
		return nil, errors.New("staged storage: iterate with unflushed objects")
	}
	return s.fs.IterEncodedObjects(t)
}

func (s *stagedStorage) AddAlternate(remote string) error { return s.fs.AddAlternate(remote) }

// Index returns a copy so callers that mutate it without SetIndex cannot
// change the staged index behind go-git's back.
func (s *stagedStorage) Index() (*index.Index, error) {
	if s.idx == nil {
		idx, err := s.fs.Index()
		if err != nil {
			return nil, err
		}
		s.idx = idx
	}
	return copyIndex(s.idx), nil
}

func (s *stagedStorage) SetIndex(idx *index.Index) error {
	s.idx = copyIndex(idx)
	return nil
}

func copyIndex(idx *index.Index) *index.Index {
	c := *idx
	c.Entries = make([]*index.Entry, len(idx.Entries))
	for i, e := range idx.Entries {
		ec := *e
		c.Entries[i] = &ec
	}
	return &c
}

// flush writes staged objects as a packfile and the index to disk.
func (s *stagedStorage) flush() error {
	if len(s.mem.Objects) > 0 {
		hashes := make([]plumbing.Hash, 0, len(s.mem.Objects))
		for h := range s.mem.Objects {
			hashes = append(hashes, h)
		}
		slices.SortFunc(hashes, func(a, b plumbing.Hash) int { return bytes.Compare(a[:], b[:]) })
		w, err := s.fs.PackfileWriter()
		if err != nil {
			return fmt.Errorf("flush objects: %w", err)
		}
		if _, err := packfile.NewEncoder(w, s.mem, false).Encode(hashes, 10); err != nil {
			_ = w.Close()
			return fmt.Errorf("flush objects: encode pack: %w", err)
		}
		if err := w.Close(); err != nil {
			return fmt.Errorf("flush objects: write pack: %w", err)
		}
		s.mem = memory.NewStorage()
	}
	disk, err := s.diskRefs()
	if err != nil {
		return fmt.Errorf("flush refs: %w", err)
	}
	for name, r := range s.ReferenceStorage {
		if d, ok := disk[name]; !ok || d.String() != r.String() {
			if err := s.fs.SetReference(r); err != nil {
				return fmt.Errorf("flush refs: %w", err)
			}
		}
	}
	for name := range s.removed {
		_, onDisk := disk[name]
		if _, kept := s.ReferenceStorage[name]; onDisk && !kept {
			if err := s.fs.RemoveReference(name); err != nil {
				return fmt.Errorf("flush refs: %w", err)
			}
		}
	}
	clear(s.removed)
	if s.idx != nil {
		if err := s.fs.SetIndex(s.idx); err != nil {
			return fmt.Errorf("flush index: %w", err)
		}
	}
	return nil
}
