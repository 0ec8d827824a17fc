package cosign

import (
	"net/http"
	"strconv"
	"sync"

	"github.com/evident-project/evident/generator/collect"
)

// readLog records every registry request and file read of one collection.
// Identical reads (the registry ping before each operation, retries that got
// the same answer) are kept once, so the log says what was read, not how
// chatty the client library is.
type readLog struct {
	mu    sync.Mutex
	reads []collect.Read
	seen  map[collect.Read]bool
}

func newReadLog() *readLog { return &readLog{seen: map[collect.Read]bool{}} }

func (l *readLog) add(r collect.Read) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.seen[r] {
		return
	}
	l.seen[r] = true
	l.reads = append(l.reads, r)
}

func (l *readLog) all() []collect.Read {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]collect.Read(nil), l.reads...)
}

// recordingTransport logs each HTTP request (host and path only: queries
// can carry tokens) with its status before handing back the response.
type recordingTransport struct {
	next http.RoundTripper
	log  *readLog
}

func (t recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	r := collect.Read{Method: req.Method, Target: req.URL.Host + req.URL.Path}
	if err != nil {
		r.Status = "unreachable"
	} else {
		r.Status = strconv.Itoa(resp.StatusCode)
	}
	t.log.add(r)
	return resp, err
}
