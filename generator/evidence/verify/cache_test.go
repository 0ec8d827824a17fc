package verify_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/evident-project/evident/generator/evidence"
	"github.com/evident-project/evident/generator/evidence/verify"
)

// mapCache is an in-memory verify.Cache that counts hits.
type mapCache struct {
	m    map[string][]byte
	hits int
}

func (c *mapCache) Get(k string) ([]byte, bool) {
	b, ok := c.m[k]
	if ok {
		c.hits++
	}
	return b, ok
}

func (c *mapCache) Put(k string, v []byte) { c.m[k] = v }

func reportJSON(t *testing.T, rep *verify.Report) string {
	t.Helper()
	r := *rep
	r.FilesHashed = 0 // a cache hit hashes nothing; every other field must match
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// A cached run reports exactly what an uncached one does; a change of trust
// (the salt) or of a commit is a miss, so tampering after a cached run is
// still caught.
func TestCacheGivesTheSameReport(t *testing.T) {
	h := newHistory(t, 4)
	cp := evidence.SHA256(h.files(h.commits[1])[evidence.ManifestPath])
	run := func(c *mapCache, salt string) *verify.Report {
		t.Helper()
		o := h.options(cp)
		o.Cache, o.CacheSalt = c, salt
		rep, err := verify.Run(context.Background(), h.store, o)
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	want := reportJSON(t, h.verify(cp))
	c := &mapCache{m: map[string][]byte{}}
	if got := reportJSON(t, run(c, "trust-a")); got != want || c.hits != 0 {
		t.Fatalf("first cached run: hits=%d, report differs: %v", c.hits, got != want)
	}
	if got := reportJSON(t, run(c, "trust-a")); got != want || c.hits != 4 {
		t.Fatalf("second run: hits=%d (want 4), report differs: %v\n got %s\nwant %s", c.hits, got != want, got, want)
	}
	c.hits = 0
	run(c, "trust-b")
	if c.hits != 0 {
		t.Errorf("changed trust: %d hits, want none", c.hits)
	}

	c.hits = 0
	h.amendHead(func(files map[string][]byte) {
		files[evidence.ManifestPath] = append(files[evidence.ManifestPath], ' ')
	})
	rep := run(c, "trust-a")
	if rep.OK {
		t.Fatal("tampered head verified from the cache")
	}
	if c.hits != 3 {
		t.Errorf("after rewriting the head: %d hits, want the 3 untouched snapshots", c.hits)
	}
}
