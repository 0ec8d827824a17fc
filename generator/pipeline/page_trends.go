package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"sync"

	"github.com/evident-project/evident/generator/catalog"
	"github.com/evident-project/evident/generator/check"
	"github.com/evident-project/evident/generator/collect"
	"github.com/evident-project/evident/generator/evidence"
	"github.com/evident-project/evident/generator/history"
	"github.com/evident-project/evident/generator/site"
	"github.com/evident-project/evident/generator/version"
)

// trends computes the history pages from every snapshot on the first-parent
// history from the root to the rendered one, each re-checked with its own
// config. A history that cannot be read is not a failed build: the pages
// say why there is no history instead, and show none of it, since a
// partial history would read as the whole one.
func (pc *pageContext) trends(in *site.Input) error {
	entries, err := pc.history()
	if err != nil {
		in.Trends = site.TrendsInput{Error: err.Error()}
		return nil
	}
	in.Trends = site.TrendsInput{Points: history.Points(entries), Steps: history.Timelines(entries)}
	return nil
}

// history is historyEntries, computed once per build: the control pages'
// recent runs and the trend pages both read it.
func (pc *pageContext) history() ([]history.Entry, error) {
	if !pc.histDone {
		pc.hist, pc.histErr = pc.historyEntries()
		pc.histDone = true
	}
	return pc.hist, pc.histErr
}

// historyEntries returns one entry per snapshot, oldest first. Each entry is
// a function of its snapshot pair alone (and of the program reading them),
// so it is kept in the evidence repository's cache: a daily rebuild
// computes only the entry of the new snapshot.
func (pc *pageContext) historyEntries() ([]history.Entry, error) {
	snaps, err := pc.Store.History(pc.Snapshot.Commit, 0)
	if err != nil {
		return nil, fmt.Errorf("read history: %w", err)
	}
	slices.Reverse(snaps)
	cache := cacheFor(pc.Store, pc.CacheDir, "history")
	salt := historySalt(pc.Registry)
	entries := make([]history.Entry, 0, len(snaps))
	var older *evidence.Snapshot
	for _, newer := range snaps {
		var olderSum *history.Summary
		if len(entries) > 0 {
			olderSum = &entries[len(entries)-1].Summary
		}
		key := entryKey(salt, older, newer)
		e, ok := cachedEntry(cache, key, older, newer)
		if !ok {
			if e, err = pc.entry(older, newer, olderSum); err != nil {
				return nil, fmt.Errorf("read history: snapshot #%d (%s): %w", newer.Manifest.Sequence, newer.Commit.String()[:12], err)
			}
			// An entry that cannot be encoded is simply not kept: the
			// next build computes it again.
			if b, err := json.Marshal(e); err == nil {
				cache.Put(key, b)
			}
		}
		entries = append(entries, e)
		older = newer
	}
	return entries, nil
}

// historySalt digests what an entry is computed from besides the two
// commits and history.Schema (both in entryKey): the program that re-checks
// the snapshots (a new evaluator may reach another outcome from the same
// evidence), and what the registry tells the config loader and the
// evaluator about each collector (whether its name is known, its source
// kind, whether this build has it, its parameters): a config naming a
// collector this build lacks does not load, and the source kind decides
// which items a control reads. Collector versions are left out on purpose:
// neither check nor history reads them, and an item written by another
// version is a different blob, hence a different snapshot pair anyway.
func historySalt(reg *collect.Registry) string {
	h := sha256.New()
	fmt.Fprintf(h, "evident %s %s\n", version.String(), version.Revision())
	if reg != nil {
		for _, n := range reg.Names() {
			kind, available, known := reg.Known(n)
			accepted, required, _ := reg.Params(n)
			fmt.Fprintf(h, "collector %q %q %t %t %q %q\n", n, kind, available, known, accepted, required)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// entryKey names the cached entry of the pair (older, newer); older is nil
// for the root snapshot.
func entryKey(salt string, older, newer *evidence.Snapshot) string {
	o := ""
	if older != nil {
		o = older.Commit.String()
	}
	sum := sha256.Sum256([]byte(history.Schema + "\n" + salt + "\n" + o + "\n" + newer.Commit.String()))
	return hex.EncodeToString(sum[:])
}

// cachedEntry reads a kept entry. Anything that does not decode, or decodes
// to an entry of another pair, is a miss.
func cachedEntry(c dirCache, key string, older, newer *evidence.Snapshot) (history.Entry, bool) {
	var e history.Entry
	b, ok := c.Get(key)
	if !ok || json.Unmarshal(b, &e) != nil {
		return history.Entry{}, false
	}
	o := ""
	if older != nil {
		o = older.Commit.String()
	}
	if e.Older != o || e.Summary.Commit != newer.Commit.String() {
		return history.Entry{}, false
	}
	return e, true
}

// entry computes the entry of newer against older (nil for the root), whose
// summary olderSum was computed before it. An item that does not parse is
// said to in words, as check says it; an item git cannot read is an error,
// since the history is then not what was committed. The rendered snapshot
// is re-checked too, although the build has its report, so that a read
// failure in it is caught like any other (see checkSnapshot).
func (pc *pageContext) entry(older, newer *evidence.Snapshot, olderSum *history.Summary) (history.Entry, error) {
	var oldM *evidence.Manifest
	if older != nil {
		oldM = older.Manifest
	}
	newM := newer.Manifest

	figures, compute := history.FigurePlan(oldM, newM, olderSum)
	for _, p := range compute {
		d, err := readDoc(newer, p)
		if err != nil {
			return history.Entry{}, err
		}
		if d.err != nil {
			it, _ := newM.Item(p)
			figures[p] = history.Figures{Collector: it.Collector, Why: d.err.Error()}
			continue
		}
		if f, ok := history.FiguresOf(d.doc); ok {
			figures[p] = f
		}
	}

	cat := pc.Catalog
	if newer.Commit != pc.Snapshot.Commit {
		cat = nil
	}
	rep, checkErr, err := checkSnapshot(newer, cat, pc.Registry)
	if err != nil {
		return history.Entry{}, err
	}
	e := history.Entry{Summary: history.Summarize(history.SnapOf(newer.Commit.String(), newM), rep, checkErr, figures)}
	if older == nil {
		return e, nil
	}
	e.Older = older.Commit.String()

	for _, pp := range history.Pairs(oldM, newM, olderSum, &e.Summary) {
		nd, err := readDoc(newer, pp.New)
		if err != nil {
			return history.Entry{}, err
		}
		var od docOrErr
		if pp.Old != "" {
			if od, err = readDoc(older, pp.Old); err != nil {
				return history.Entry{}, err
			}
		}
		var texts []string
		switch {
		case nd.err != nil:
			texts = []string{"the evidence item cannot be parsed, so what changed in it is not known: " + nd.err.Error()}
		case od.err != nil:
			texts = []string{"the evidence item it is compared with cannot be parsed, so what changed is not known: " + od.err.Error()}
		default:
			texts = history.Describe(od.doc, nd.doc)
		}
		if e.Items == nil {
			e.Items = map[string]history.ItemChange{}
		}
		e.Items[pp.New] = history.ItemChange{OldPath: pp.Old, Texts: texts}
	}
	return e, nil
}

// checkSnapshot re-checks a snapshot with its own config (cat, when the
// caller has it loaded already), as the build checks the rendered one. A
// config that no longer loads is the snapshot's state (checkErr: it could
// not be re-checked), not a failure to read the history. But an item git
// cannot read, which check reports as unknown evidence like any other,
// is returned as err: kept in the cache, that outcome would outlive the
// repository's repair, although the commit says what the item holds.
func checkSnapshot(snap *evidence.Snapshot, cat *catalog.Catalog, reg *collect.Registry) (rep *check.Report, checkErr, err error) {
	if cat == nil {
		if cat, checkErr = check.CatalogOf(snap, reg); checkErr != nil {
			return nil, checkErr, nil
		}
	}
	// check reads items one at a time today; the lock keeps this right
	// should it read them in parallel.
	var mu sync.Mutex
	var readErr error
	read := func(p string) (*evidence.Item, error) {
		it, err := snap.Item(p)
		if err != nil {
			// Item fails alike for bytes git cannot give and for bytes that
			// do not parse; only the first is the repository's fault.
			if _, rerr := snap.ReadFile(p); rerr != nil {
				mu.Lock()
				if readErr == nil {
					readErr = rerr
				}
				mu.Unlock()
			}
		}
		return it, err
	}
	// check.EvaluateSnapshot with the reader above.
	rep, checkErr = check.Evaluate(check.Input{Catalog: cat, Manifest: snap.Manifest, Commit: snap.Commit.String(), ReadItem: read, Collectors: reg})
	if readErr != nil {
		return nil, nil, readErr
	}
	if checkErr != nil {
		return nil, checkErr, nil
	}
	return rep, nil, nil
}

// docOrErr is an item as history reads it: doc when it parsed, err (the
// parse error) when it did not.
type docOrErr struct {
	doc *history.Doc
	err error
}

// readDoc reads and decodes one item of a snapshot; only a failure to read
// the bytes from git is returned as an error.
func readDoc(snap *evidence.Snapshot, p string) (docOrErr, error) {
	b, err := snap.ReadFile(p)
	if err != nil {
		return docOrErr{}, err
	}
	d, err := history.Decode(p, b)
	return docOrErr{doc: d, err: err}, nil
}
