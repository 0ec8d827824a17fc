package ghapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/evident-project/evident/generator/collect"
)

// sleeps records the waits a client asked for instead of sleeping.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeps) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

type item struct {
	ID int `json:"id"`
}

// newClient serves h under /api/v3 (as GitHub Enterprise Server does) and
// returns a client for it with recorded sleeps.
func newClient(t *testing.T, h http.HandlerFunc, mut func(*Config)) (*Client, *sleeps) {
	t.Helper()
	srv := httptest.NewServer(http.StripPrefix("/api/v3", h))
	t.Cleanup(srv.Close)
	sl := &sleeps{}
	cfg := Config{BaseURL: srv.URL, Sleep: sl.sleep, Transport: srv.Client().Transport}
	if mut != nil {
		mut(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c, sl
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b)
}

func TestParseBaseURL(t *testing.T) {
	for in, want := range map[string]string{
		"":                                 "https://api.github.com/",
		"https://api.github.com":           "https://api.github.com/",
		"https://ghe.example.com":          "https://ghe.example.com/api/v3/",
		"https://ghe.example.com/api/v3":   "https://ghe.example.com/api/v3/",
		"http://127.0.0.1:8080/api/v3/":    "http://127.0.0.1:8080/api/v3/",
		"https://ghe.example.com/?x=1#top": "https://ghe.example.com/api/v3/",
	} {
		u, err := ParseBaseURL(in)
		if err != nil {
			t.Errorf("%q: %v", in, err)
			continue
		}
		if u.String() != want {
			t.Errorf("%q → %s, want %s", in, u, want)
		}
	}
	for _, bad := range []string{"ftp://x", "api.github.com", "https://user:secret@ghe.example.com"} {
		if _, err := ParseBaseURL(bad); err == nil {
			t.Errorf("%q accepted", bad)
		} else if strings.Contains(err.Error(), "secret") {
			t.Errorf("error repeats the url's password: %v", err)
		}
	}
}

// pagedHandler serves n items, honouring per_page and page, with Link
// headers as GitHub writes them.
func pagedHandler(t *testing.T, n int, seen *[]string) http.HandlerFunc {
	var mu sync.Mutex
	return func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		*seen = append(*seen, r.URL.RawQuery)
		mu.Unlock()
		per, _ := strconv.Atoi(r.URL.Query().Get("per_page"))
		if per == 0 {
			per = 30
		}
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		if page == 0 {
			page = 1
		}
		var out []item
		for i := (page - 1) * per; i < n && i < page*per; i++ {
			out = append(out, item{ID: i + 1})
		}
		if page*per < n {
			q := r.URL.Query()
			q.Set("page", strconv.Itoa(page+1))
			w.Header().Set("Link", fmt.Sprintf(`<http://%s/api/v3%s?%s>; rel="next"`, r.Host, r.URL.Path, q.Encode()))
		}
		w.Header().Set("ETag", fmt.Sprintf(`W/"p%d-%d"`, page, n))
		writeJSON(w, 200, out)
	}
}

func TestListFollowsEveryPageAt100(t *testing.T) {
	var seen []string
	c, _ := newClient(t, pagedHandler(t, 250, &seen), nil)
	got, err := List[item](context.Background(), c, "repos/acme/api/pulls", url.Values{"state": {"closed"}}, ListOptions[item]{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 250 || got[249].ID != 250 {
		t.Fatalf("got %d items", len(got))
	}
	if len(seen) != 3 {
		t.Fatalf("requests %v, want 3 pages", seen)
	}
	for _, q := range seen {
		if !strings.Contains(q, "per_page=100") {
			t.Errorf("request %q does not ask for 100 per page", q)
		}
	}
	reads := c.Reads()
	if len(reads) != 1 {
		t.Fatalf("reads %+v", reads)
	}
	r := reads[0]
	if r.Method != "GET" || r.Target != "/repos/acme/api/pulls?per_page=100&state=closed" || r.Pages != 3 || r.Count != 250 || r.Status != "200" || r.ETag != `W/"p1-250"` {
		t.Errorf("read %+v", r)
	}
}

func TestListStopsEarly(t *testing.T) {
	var seen []string
	c, _ := newClient(t, pagedHandler(t, 250, &seen), nil)
	got, err := List[item](context.Background(), c, "x", nil, ListOptions[item]{Stop: func(it item) bool { return it.ID == 150 }})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 200 || len(seen) != 2 {
		t.Fatalf("got %d items in %d requests, want 200 in 2", len(got), len(seen))
	}
}

func TestListWrappedMissingPage(t *testing.T) {
	c, _ := newClient(t, func(w http.ResponseWriter, r *http.Request) {
		// GitHub says 250 exist but the pages stop after one.
		writeJSON(w, 200, map[string]any{"total_count": 250, "check_runs": []item{{1}, {2}}})
	}, nil)
	_, err := List[item](context.Background(), c, "repos/a/b/commits/abc/check-runs", nil, ListOptions[item]{Field: "check_runs"})
	var te *TransientError
	if !errors.As(err, &te) || !strings.Contains(err.Error(), "2 of 250") {
		t.Fatalf("err %v, want a missing-page transient error", err)
	}
	if Kind(err) != collect.KindTransient {
		t.Errorf("kind %s", Kind(err))
	}
	if r := c.Reads(); len(r) != 1 || r[0].Status != "error" {
		t.Errorf("reads %+v", r)
	}
}

func TestETagCacheAcrossClients(t *testing.T) {
	var hits, full atomic.Int64
	h := func(w http.ResponseWriter, r *http.Request) {
		page := r.URL.Query().Get("page")
		etag := `"v1-` + page + `"`
		if r.Header.Get("If-None-Match") == etag {
			hits.Add(1)
			w.Header().Set("X-RateLimit-Remaining", "4999")
			w.Header().Set("X-RateLimit-Limit", "5000")
			w.WriteHeader(http.StatusNotModified)
			return
		}
		full.Add(1)
		w.Header().Set("ETag", etag)
		w.Header().Set("X-RateLimit-Remaining", "4990")
		w.Header().Set("X-RateLimit-Limit", "5000")
		if page == "" {
			w.Header().Set("Link", fmt.Sprintf(`<http://%s/api/v3/x?page=2&per_page=100>; rel="next"`, r.Host))
			writeJSON(w, 200, []item{{1}})
			return
		}
		writeJSON(w, 200, []item{{2}})
	}
	store, err := NewFileStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.StripPrefix("/api/v3", http.HandlerFunc(h)))
	defer srv.Close()
	run := func() (*Client, []item) {
		c, err := New(Config{BaseURL: srv.URL, Cache: store})
		if err != nil {
			t.Fatal(err)
		}
		got, err := List[item](context.Background(), c, "x", nil, ListOptions[item]{})
		if err != nil {
			t.Fatal(err)
		}
		return c, got
	}
	c1, a := run()
	c2, b := run()
	if fmt.Sprint(a) != fmt.Sprint(b) || len(b) != 2 {
		t.Fatalf("first %v, rerun %v", a, b)
	}
	if full.Load() != 2 || hits.Load() != 2 {
		t.Fatalf("full answers %d, 304s %d; want 2 and 2", full.Load(), hits.Load())
	}
	if s := c1.Stats(); s.NotModified != 0 || s.Requests != 2 {
		t.Errorf("first run stats %+v", s)
	}
	if s := c2.Stats(); s.NotModified != 2 || s.Requests != 2 {
		t.Errorf("rerun stats %+v", s)
	}
	// The read records the answer (the same as the first run's); the 304s
	// are what it cost.
	if r := c2.Reads()[0]; r.Status != "200" || r.Pages != 2 || r.ETag != `"v1-"` {
		t.Errorf("rerun read %+v", r)
	}
	if n := store.Len(); n != 2 {
		t.Errorf("cache holds %d entries, want 2", n)
	}
	if cost := c2.Cost(); cost["requests"] != 2 || cost["not_modified"] != 2 {
		t.Errorf("cost %v", cost)
	}
}

func TestRetriesServerErrorsWithBackoff(t *testing.T) {
	var n atomic.Int64
	c, sl := newClient(t, func(w http.ResponseWriter, r *http.Request) {
		switch n.Add(1) {
		case 1:
			writeJSON(w, 502, map[string]string{"message": "Bad Gateway"})
		case 2:
			writeJSON(w, 500, map[string]string{"message": "Internal"})
		default:
			writeJSON(w, 200, item{7})
		}
	}, func(c *Config) { c.Backoff = time.Second })
	var got item
	if err := c.Get(context.Background(), "repos/a/b", nil, &got); err != nil {
		t.Fatal(err)
	}
	if got.ID != 7 {
		t.Fatalf("got %+v", got)
	}
	if d := sl.all(); len(d) != 2 || d[0] != time.Second || d[1] != 2*time.Second {
		t.Errorf("backoffs %v, want [1s 2s]", d)
	}
	if r := c.Reads()[0]; r.Status != "200 after 2 retries" {
		t.Errorf("read %+v", r)
	}
}

func TestServerErrorsExhaustRetries(t *testing.T) {
	var n atomic.Int64
	c, _ := newClient(t, func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		writeJSON(w, 500, map[string]string{"message": "boom"})
	}, func(c *Config) { c.Retries = 2 })
	err := c.Get(context.Background(), "repos/a/b", nil, new(item))
	if Kind(err) != collect.KindTransient || Status(err) != 500 {
		t.Fatalf("err %v kind %s", err, Kind(err))
	}
	if n.Load() != 3 {
		t.Errorf("%d attempts, want 3", n.Load())
	}
	if err.Error() != "GET /repos/a/b: 500 boom" {
		t.Errorf("error %q", err)
	}
	if r := c.Reads()[0]; r.Status != "500 after 2 retries" {
		t.Errorf("read %+v", r)
	}
}

func TestTruncatedJSONIsRetriedThenTransient(t *testing.T) {
	var n atomic.Int64
	c, _ := newClient(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 || r.URL.Path == "/always" {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`[{"id": 1}, {"id"`))
			return
		}
		writeJSON(w, 200, []item{{1}, {2}})
	}, nil)
	got, err := List[item](context.Background(), c, "sometimes", nil, ListOptions[item]{})
	if err != nil || len(got) != 2 {
		t.Fatalf("got %v, %v", got, err)
	}
	_, err = List[item](context.Background(), c, "always", nil, ListOptions[item]{})
	if Kind(err) != collect.KindTransient || !strings.Contains(err.Error(), "truncated") {
		t.Fatalf("err %v kind %s", err, Kind(err))
	}
}

func TestShortBodyIsRetried(t *testing.T) {
	var n atomic.Int64
	c, _ := newClient(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if n.Add(1) == 1 {
			// Declares more than it sends: the connection is cut mid-body.
			w.Header().Set("Content-Length", "100")
			w.Write([]byte(`[{"id": 1}`))
			return
		}
		writeJSON(w, 200, []item{{1}})
	}, nil)
	got, err := List[item](context.Background(), c, "x", nil, ListOptions[item]{})
	if err != nil || len(got) != 1 {
		t.Fatalf("got %v, %v", got, err)
	}
	if n.Load() != 2 {
		t.Errorf("%d attempts", n.Load())
	}
}

func TestTimeoutIsRetriedThenTransient(t *testing.T) {
	var n atomic.Int64
	c, _ := newClient(t, func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}, func(c *Config) { c.RequestTimeout = 50 * time.Millisecond; c.Retries = 1 })
	err := c.Get(context.Background(), "slow", nil, new(item))
	if Kind(err) != collect.KindTransient || !strings.Contains(err.Error(), "timed out after 50ms") {
		t.Fatalf("err %v", err)
	}
	if n.Load() != 2 {
		t.Errorf("%d attempts, want 2", n.Load())
	}
}

func TestCanceledContextIsCanceled(t *testing.T) {
	c, _ := newClient(t, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, item{1}) }, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := c.Get(ctx, "x", nil, new(item))
	if Kind(err) != collect.KindCanceled {
		t.Fatalf("err %v kind %s", err, Kind(err))
	}
}

func TestSecondaryRateLimitHonoursRetryAfter(t *testing.T) {
	for _, status := range []int{403, 429} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			var n atomic.Int64
			c, sl := newClient(t, func(w http.ResponseWriter, r *http.Request) {
				if n.Add(1) == 1 {
					w.Header().Set("Retry-After", "7")
					writeJSON(w, status, map[string]string{
						"message":           "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
						"documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
					})
					return
				}
				writeJSON(w, 200, item{1})
			}, nil)
			if err := c.Get(context.Background(), "x", nil, new(item)); err != nil {
				t.Fatal(err)
			}
			if d := sl.all(); len(d) != 1 || d[0] != 7*time.Second {
				t.Errorf("waits %v, want [7s]", d)
			}
			if r := c.Reads()[0]; r.Status != "200 after 1 rate-limit waits" {
				t.Errorf("read %+v", r)
			}
		})
	}
}

func TestSecondaryRateLimitWithoutRetryAfterWaitsAMinute(t *testing.T) {
	var n atomic.Int64
	c, sl := newClient(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			writeJSON(w, 403, map[string]string{"message": "You have exceeded a secondary rate limit."})
			return
		}
		writeJSON(w, 200, item{1})
	}, nil)
	if err := c.Get(context.Background(), "x", nil, new(item)); err != nil {
		t.Fatal(err)
	}
	if d := sl.all(); len(d) != 1 || d[0] != time.Minute {
		t.Errorf("waits %v", d)
	}
}

func TestPrimaryRateLimitWaitsForReset(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	var n atomic.Int64
	c, sl := newClient(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			w.Header().Set("X-RateLimit-Remaining", "0")
			w.Header().Set("X-RateLimit-Limit", "5000")
			w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(now.Add(30*time.Second).Unix(), 10))
			writeJSON(w, 403, map[string]string{"message": "API rate limit exceeded"})
			return
		}
		w.Header().Set("X-RateLimit-Remaining", "4999")
		w.Header().Set("X-RateLimit-Limit", "5000")
		writeJSON(w, 200, item{1})
	}, func(c *Config) { c.Now = func() time.Time { return now } })
	if err := c.Get(context.Background(), "x", nil, new(item)); err != nil {
		t.Fatal(err)
	}
	if d := sl.all(); len(d) != 1 || d[0] != 31*time.Second {
		t.Errorf("waits %v, want [31s]", d)
	}
	if r, _ := c.Rate(); r.Remaining != 4999 || r.Limit != 5000 {
		t.Errorf("rate %+v", r)
	}
	// The collection's cost says how much budget was left and that it waited.
	if cost := c.Cost(); cost["rate_remaining"] != 4999 || cost["rate_limit"] != 5000 || cost["rate_limit_waits"] != 1 {
		t.Errorf("cost %v", cost)
	}
}

func TestPrimaryRateLimitBeyondMaxWaitFails(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	c, sl := newClient(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-RateLimit-Remaining", "0")
		w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(now.Add(time.Hour).Unix(), 10))
		writeJSON(w, 403, map[string]string{"message": "API rate limit exceeded"})
	}, func(c *Config) { c.Now = func() time.Time { return now }; c.MaxWait = time.Minute })
	err := c.Get(context.Background(), "x", nil, new(item))
	var re *RateLimitError
	if !errors.As(err, &re) || Kind(err) != collect.KindTransient {
		t.Fatalf("err %v", err)
	}
	if len(sl.all()) != 0 {
		t.Errorf("waited %v although the reset is beyond the maximum", sl.all())
	}
	// The limiter now knows the budget is gone: the next request does not
	// even go on the wire.
	before := c.Stats().Requests
	err = c.Get(context.Background(), "y", nil, new(item))
	if !errors.As(err, &re) || c.Stats().Requests != before {
		t.Errorf("second request: %v, requests %d → %d", err, before, c.Stats().Requests)
	}
}

func TestConcurrencyIsBounded(t *testing.T) {
	var cur, peak atomic.Int64
	lim := NewLimiter(2)
	c, _ := newClient(t, func(w http.ResponseWriter, r *http.Request) {
		n := cur.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
		cur.Add(-1)
		writeJSON(w, 200, item{1})
	}, func(c *Config) { c.Limiter = lim })
	var wg sync.WaitGroup
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c.Get(context.Background(), "x/"+strconv.Itoa(i), nil, new(item)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if p := peak.Load(); p > 2 || p < 1 {
		t.Errorf("peak concurrency %d, want ≤ 2", p)
	}
	if len(c.Reads()) != 10 {
		t.Errorf("%d reads", len(c.Reads()))
	}
}

func TestErrorKinds(t *testing.T) {
	for status, want := range map[int]collect.ErrorKind{
		401: collect.KindPermission, 403: collect.KindPermission, 404: collect.KindNotFound,
		410: collect.KindNotFound, 422: collect.KindInvalid, 500: collect.KindTransient, 503: collect.KindTransient,
	} {
		c, _ := newClient(t, func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, status, map[string]string{"message": "m"})
		}, func(c *Config) { c.Retries = -1 })
		err := c.Get(context.Background(), "x", nil, new(item))
		if Kind(err) != want || Status(err) != status || Message(err) != "m" {
			t.Errorf("%d: err %v kind %s, want %s", status, err, Kind(err), want)
		}
		if ce := Wrap("collect github x", err); ce.Kind != want || !strings.HasPrefix(ce.Error(), "collect github x: GET /x: ") {
			t.Errorf("%d: wrapped %v", status, ce)
		}
	}
}

// TestTokenNeverLeaks sends a recognisable token through every path that
// produces text — errors, provenance reads, logs, formatting — and looks
// for it.
func TestTokenNeverLeaks(t *testing.T) {
	const secret = "ghp_s3cr3tT0k3nValue0123456789"
	creds, err := TokenFromEnv("EVIDENT_TEST_TOKEN", func(k string) (string, bool) {
		return map[string]string{"EVIDENT_TEST_TOKEN": secret}[k], true
	})
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	var n atomic.Int64
	var sawAuth atomic.Bool
	c, _ := newClient(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "Bearer "+secret {
			sawAuth.Store(true)
		}
		switch r.URL.Path {
		case "/flaky":
			if n.Add(1) == 1 {
				writeJSON(w, 502, map[string]string{"message": "bad gateway"})
				return
			}
			writeJSON(w, 200, item{1})
		case "/denied":
			writeJSON(w, 401, map[string]string{"message": "Bad credentials"})
		default:
			writeJSON(w, 404, map[string]string{"message": "Not Found"})
		}
	}, func(c *Config) {
		c.Credentials = creds
		c.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	var texts []string
	for _, p := range []string{"flaky", "denied", "missing"} {
		if err := c.Get(context.Background(), p, nil, new(item)); err != nil {
			texts = append(texts, err.Error(), fmt.Sprintf("%+v %#v", err, err))
		}
	}
	if !sawAuth.Load() {
		t.Fatal("the server never saw the token: the test proves nothing")
	}
	if len(texts) != 4 {
		t.Fatalf("want two failed requests, got %v", texts)
	}
	reads, _ := json.Marshal(c.Reads())
	texts = append(texts, string(reads), logs.String(), fmt.Sprint(c.Cost()),
		fmt.Sprint(creds), fmt.Sprintf("%v %+v %#v %s", creds, creds, creds, creds))
	if !strings.Contains(logs.String(), "retrying") {
		t.Errorf("no retry was logged: %q", logs.String())
	}
	for _, s := range texts {
		if strings.Contains(s, secret) || strings.Contains(s, secret[4:12]) {
			t.Errorf("token leaked into %q", s)
		}
	}
	if _, err := TokenFromEnv("", func(string) (string, bool) { return "", false }); !errors.Is(err, ErrNoToken) || !strings.Contains(err.Error(), "GITHUB_TOKEN") {
		t.Errorf("unset default variable: %v", err)
	}
}

func TestFileStore(t *testing.T) {
	dir := t.TempDir()
	s, err := NewFileStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Load("k"); ok {
		t.Fatal("empty store has k")
	}
	if err := s.Save("k", []byte("one")); err != nil {
		t.Fatal(err)
	}
	if err := s.Save("k", []byte("two")); err != nil {
		t.Fatal(err)
	}
	s2, _ := NewFileStore(dir)
	if b, ok := s2.Load("k"); !ok || string(b) != "two" {
		t.Fatalf("reopened store: %q %v", b, ok)
	}
	if s2.Len() != 1 {
		t.Errorf("len %d", s2.Len())
	}
	if _, err := NewFileStore(""); err == nil {
		t.Error("empty dir accepted")
	}
}

func TestCostRecordsBudgetWhenLow(t *testing.T) {
	c, _ := newClient(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-RateLimit-Remaining", "312")
		w.Header().Set("X-RateLimit-Limit", "5000")
		writeJSON(w, 200, item{1})
	}, nil)
	if err := c.Get(context.Background(), "x", nil, new(item)); err != nil {
		t.Fatal(err)
	}
	if cost := c.Cost(); cost["rate_remaining"] != 312 || cost["rate_limit"] != 5000 || cost["requests"] != 1 {
		t.Errorf("cost %v", cost)
	}
}
