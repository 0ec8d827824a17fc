package pipeline

import (
	"os"
	"path/filepath"

	"github.com/evident-project/evident/generator/evidence"
)

// dirCache keeps derived results (verification of one snapshot, say) as
// files under the evidence repository's git directory: beside the history
// they are derived from, outside the tree, so the evidence stays byte for
// byte what was committed, and a fresh clone simply starts without them.
// Every failure to read or write is a miss: the result is then recomputed.
type dirCache struct{ dir string }

// cacheFor is the named cache under root, or under the evidence
// repository's git directory when root is empty.
func cacheFor(store *evidence.Store, root, name string) dirCache {
	if root != "" {
		return dirCache{filepath.Join(root, name)}
	}
	git := filepath.Join(store.Dir(), ".git")
	if fi, err := os.Stat(git); err != nil || !fi.IsDir() {
		git = store.Dir() // a bare repository
	}
	return dirCache{filepath.Join(git, "evident-cache", name)}
}

func (c dirCache) path(key string) string {
	if len(key) < 3 {
		return filepath.Join(c.dir, "_", key)
	}
	return filepath.Join(c.dir, key[:2], key)
}

func (c dirCache) Get(key string) ([]byte, bool) {
	b, err := os.ReadFile(c.path(key))
	return b, err == nil
}

func (c dirCache) Put(key string, value []byte) {
	p := c.path(key)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return
	}
	_, werr := f.Write(value)
	if cerr := f.Close(); werr != nil || cerr != nil {
		os.Remove(f.Name())
		return
	}
	if os.Rename(f.Name(), p) != nil {
		os.Remove(f.Name())
	}
}
