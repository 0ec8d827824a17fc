// Package ghapi is the HTTP plumbing the github.* collectors share: the API
// base URL (github.com, GitHub Enterprise Server, the tests' fake), token
// and GitHub App authentication, 100-item pages followed to the end, an
// ETag cache whose 304 answers cost no rate limit, primary and secondary
// rate limits honoured with bounded concurrency, retries with backoff for
// 5xx answers, timeouts and truncated bodies, and a record of every request
// for the evidence's provenance.
//
// The layers are http.RoundTrippers, outermost first: cache (adds
// If-None-Match, turns a 304 into the cached 200) → retry (rate limits,
// backoff, body validation, the concurrency bound) → auth (Authorization
// header) → the caller's transport. go-github decodes above them.
package ghapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	gh "github.com/google/go-github/v60/github"

	"github.com/evident-project/evident/generator/collect"
)

// APIVersion is the REST API version every request asks for, so answers
// keep the shape the collectors decode.
const APIVersion = "2022-11-28"

// PerPage is the page size of every list request: GitHub's maximum.
const PerPage = 100

// DefaultBaseURL is github.com's REST API.
const DefaultBaseURL = "https://api.github.com/"

// Config configures a Client. The zero value talks to api.github.com
// without credentials, cache or retries' test hooks.
type Config struct {
	// BaseURL is the REST API base; "" is api.github.com. A GitHub
	// Enterprise Server host without a path gets /api/v3/.
	BaseURL string
	// Credentials authorise requests; nil sends none.
	Credentials Credentials
	// Transport carries requests; nil is http.DefaultTransport. Tests and
	// the demo pass the fake GitHub's.
	Transport http.RoundTripper
	// Cache keeps ETags and bodies; nil disables conditional requests.
	Cache Store
	// Limiter bounds concurrency and shares rate-limit state; nil gives
	// the client its own, allowing 4 requests in flight.
	Limiter *Limiter
	// Retries is how many times a failed request is retried (5xx,
	// timeout, truncated body); 0 means 3, negative means none.
	Retries int
	// Backoff is the first retry delay, doubled each time; 0 means 500ms.
	Backoff time.Duration
	// MaxWait is the longest rate-limit wait accepted; a longer one fails
	// the request as transient. 0 means 15 minutes.
	MaxWait time.Duration
	// RequestTimeout bounds one attempt, body included; 0 means 60s.
	RequestTimeout time.Duration
	// Sleep waits d or until ctx ends; nil uses a timer. Tests record
	// the waits instead of sleeping through them.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock rate-limit resets are compared with; nil is time.Now.
	Now func() time.Time
	// Logger receives retries and waits (never credentials); nil discards.
	Logger *slog.Logger
}

// Client is one collection's view of the API: it shares the transport,
// cache and limiter with other clients, and records its own requests.
type Client struct {
	gh   *gh.Client
	base *url.URL
	lim  *Limiter
	rec  *recorder
	cfg  Config
}

// ParseBaseURL normalises an API base URL.
func ParseBaseURL(s string) (*url.URL, error) {
	if s == "" {
		s = DefaultBaseURL
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("api url %q: %w", s, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("api url %q: want http(s)://host[/path]", s)
	}
	if u.User != nil {
		return nil, fmt.Errorf("api url: credentials in the url are not accepted; use token_env")
	}
	if (u.Path == "" || u.Path == "/") && u.Host != "api.github.com" {
		u.Path = "/api/v3/"
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	u.RawQuery, u.Fragment = "", ""
	return u, nil
}

// New returns a client. It makes no request.
func New(cfg Config) (*Client, error) {
	base, err := ParseBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	if cfg.Transport == nil {
		cfg.Transport = http.DefaultTransport
	}
	if cfg.Limiter == nil {
		cfg.Limiter = NewLimiter(0)
	}
	switch {
	case cfg.Retries == 0:
		cfg.Retries = 3
	case cfg.Retries < 0:
		cfg.Retries = 0
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 500 * time.Millisecond
	}
	if cfg.MaxWait <= 0 {
		cfg.MaxWait = 15 * time.Minute
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 60 * time.Second
	}
	if cfg.Sleep == nil {
		cfg.Sleep = sleep
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	c := &Client{base: base, lim: cfg.Limiter, rec: &recorder{}, cfg: cfg}
	var rt http.RoundTripper = &authTransport{creds: cfg.Credentials, next: cfg.Transport}
	rt = &retryTransport{c: c, next: rt}
	rt = &cacheTransport{c: c, next: rt}
	c.gh = gh.NewClient(&http.Client{Transport: rt})
	c.gh.BaseURL = base
	c.gh.UserAgent = "evident"
	return c, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// BaseURL is the API base the client talks to.
func (c *Client) BaseURL() string { return c.base.String() }

// readState follows one logical read (a Get, or every page of a List)
// through the transports, which add what they see to it.
type readState struct {
	mu       sync.Mutex
	statuses []int
	etag     string
	retries  int
	waits    int
}

func (s *readState) page(status int, etag string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.statuses) == 0 {
		s.etag = etag
	}
	s.statuses = append(s.statuses, status)
}

type stateKey struct{}

func stateOf(ctx context.Context) *readState {
	s, _ := ctx.Value(stateKey{}).(*readState)
	if s == nil {
		return &readState{}
	}
	return s
}

// recorder keeps one client's reads and counters.
type recorder struct {
	mu    sync.Mutex
	reads []collect.Read

	requests    atomic.Int64 // sent on the wire, retries included
	notModified atomic.Int64 // answered 304 from the cache
	retries     atomic.Int64
	waits       atomic.Int64
}

func (r *recorder) add(method, target string, st *readState, count int, err error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	rd := collect.Read{Method: method, Target: target, ETag: st.etag, Count: count}
	if n := len(st.statuses); n > 1 {
		rd.Pages = n
	}
	hits := 0
	for _, s := range st.statuses {
		if s == http.StatusNotModified {
			hits++
		}
	}
	var ae *AuthError
	switch {
	case errors.As(err, &ae):
		rd.Status = "auth error"
	case err != nil && Status(err) != 0:
		rd.Status = strconv.Itoa(Status(err))
	case err != nil:
		rd.Status = "error"
	case len(st.statuses) > 0 && hits == len(st.statuses):
		// A 304 is GitHub confirming the cached 200: the item records the
		// answer, which is the same either way; what it cost goes to
		// Cost, so an unchanged world gives an unchanged item.
		rd.Status = "200"
	case len(st.statuses) > 0:
		rd.Status = strconv.Itoa(st.statuses[len(st.statuses)-1])
	}
	if st.retries > 0 {
		rd.Status += fmt.Sprintf(" after %d retries", st.retries)
	}
	if st.waits > 0 {
		rd.Status += fmt.Sprintf(" after %d rate-limit waits", st.waits)
	}
	r.mu.Lock()
	r.reads = append(r.reads, rd)
	r.mu.Unlock()
}

// Reads returns every read made so far, sorted so that concurrent fetches
// record the same provenance run after run.
func (c *Client) Reads() []collect.Read {
	c.rec.mu.Lock()
	out := append([]collect.Read(nil), c.rec.reads...)
	c.rec.mu.Unlock()
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Target != out[j].Target {
			return out[i].Target < out[j].Target
		}
		return out[i].Method < out[j].Method
	})
	return out
}

// Stats counts what one client sent.
type Stats struct {
	// Requests went on the wire, retries and 304s included.
	Requests int
	// NotModified were answered 304 and served from the cache.
	NotModified int
	Retries     int
	// Waits are rate-limit pauses.
	Waits int
}

// Stats returns the client's counters.
func (c *Client) Stats() Stats {
	return Stats{
		Requests:    int(c.rec.requests.Load()),
		NotModified: int(c.rec.notModified.Load()),
		Retries:     int(c.rec.retries.Load()),
		Waits:       int(c.rec.waits.Load()),
	}
}

// Rate returns the core budget GitHub last reported to any client sharing
// this client's limiter.
func (c *Client) Rate() (Rate, bool) { return c.lim.Rate("core") }

// Cost is what the collection cost, for the run's manifest: requests on
// the wire, answers served from the ETag cache (304s, free of rate limit),
// retries and rate-limit waits. The core budget GitHub reported left is
// added when it mattered (a wait, or under a tenth left): while collectors
// share a budget it depends on which ran first, so recording it every time
// would make even the manifest of an unchanged world differ by scheduling.
// It is always logged.
func (c *Client) Cost() map[string]int {
	s := c.Stats()
	cost := map[string]int{"requests": s.Requests, "not_modified": s.NotModified, "retries": s.Retries, "rate_limit_waits": s.Waits}
	if r, ok := c.Rate(); ok && r.Remaining >= 0 {
		c.cfg.Logger.Info("github rate limit", "remaining", r.Remaining, "limit", r.Limit, "requests", s.Requests, "not_modified", s.NotModified)
		if s.Waits > 0 || r.Limit > 0 && r.Remaining*10 < r.Limit {
			cost["rate_remaining"], cost["rate_limit"] = r.Remaining, r.Limit
		}
	}
	return cost
}

// Target is how a read is named in provenance: the path relative to the
// API base with its query, without the page number.
func Target(path string, q url.Values) string {
	s := "/" + strings.TrimPrefix(path, "/")
	if len(q) > 0 {
		q2 := url.Values{}
		for k, v := range q {
			if k != "page" {
				q2[k] = v
			}
		}
		if enc := q2.Encode(); enc != "" {
			s += "?" + enc
		}
	}
	return s
}

// Get reads one resource into v.
func (c *Client) Get(ctx context.Context, path string, q url.Values, v any) error {
	target := Target(path, q)
	st := &readState{}
	err := c.get(context.WithValue(ctx, stateKey{}, st), path, q, v, nil)
	n := 0
	if err == nil {
		n = 1
	}
	c.rec.add("GET", target, st, n, err)
	return err
}

// get sends one GET and decodes the answer, turning go-github's errors
// into this package's.
func (c *Client) get(ctx context.Context, path string, q url.Values, v any, next *int) error {
	target := Target(path, q)
	u := strings.TrimPrefix(path, "/")
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := c.gh.NewRequest("GET", u, nil)
	if err != nil {
		return fmt.Errorf("GET %s: %w", target, err)
	}
	resp, err := c.gh.Do(ctx, req, v)
	if err != nil {
		return c.convert(ctx, target, err)
	}
	if next != nil {
		*next = resp.NextPage
	}
	return nil
}

// convert maps go-github and transport errors to HTTPError and
// TransientError, dropping the absolute URL: the host and port are in the
// source description, and a fake's port differs on every run.
func (c *Client) convert(ctx context.Context, target string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var er *gh.ErrorResponse
	var rl *gh.RateLimitError
	var ab *gh.AbuseRateLimitError
	var te *TransientError
	var re *RateLimitError
	var ae *AuthError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te), errors.As(err, &re), errors.As(err, &ae):
		return unwrapURL(err)
	case errors.As(err, &rl):
		return &RateLimitError{Op: "GET " + target, Reason: rl.Message}
	case errors.As(err, &ab):
		return &RateLimitError{Op: "GET " + target, Secondary: true, Reason: ab.Message}
	case errors.As(err, &er):
		status := 0
		if er.Response != nil {
			status = er.Response.StatusCode
		}
		return &HTTPError{Method: "GET", Path: target, Status: status, Message: er.Message}
	case errors.As(err, &se), errors.Is(err, io.ErrUnexpectedEOF):
		return &TransientError{Op: "GET " + target, Reason: "malformed json", Err: err}
	}
	var ute *json.UnmarshalTypeError
	if errors.As(err, &ute) {
		return fmt.Errorf("GET %s: decode: %w", target, err)
	}
	return &TransientError{Op: "GET " + target, Reason: "request failed", Err: unwrapURL(err)}
}

// unwrapURL removes net/url's wrapper, which names the absolute URL.
func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// ListOptions shape one List call.
type ListOptions[T any] struct {
	// Field names the array in a wrapped answer ({"total_count": n,
	// "check_runs": [...]}); "" means the answer is the array.
	Field string
	// Stop, when it returns true for an item, ends paging after the page
	// that holds it (lists sorted newest first stop at the period start).
	Stop func(T) bool
}

// List reads every page of a list endpoint, 100 items a page. A wrapped
// answer whose total_count exceeds what the pages held is a missing page:
// a transient error, never a silently short list.
func List[T any](ctx context.Context, c *Client, path string, q url.Values, opt ListOptions[T]) ([]T, error) {
	tq := url.Values{"per_page": {strconv.Itoa(PerPage)}}
	for k, v := range q {
		tq[k] = v
	}
	target := Target(path, tq)
	st := &readState{}
	ctx = context.WithValue(ctx, stateKey{}, st)
	out, err := list(ctx, c, path, q, opt)
	c.rec.add("GET", target, st, len(out), err)
	if err != nil {
		return nil, err
	}
	if out == nil {
		out = []T{}
	}
	return out, nil
}

func list[T any](ctx context.Context, c *Client, path string, q url.Values, opt ListOptions[T]) ([]T, error) {
	target := Target(path, q)
	var out []T
	total := -1
	stopped := false
	for page, n := 1, 0; page != 0; n++ {
		if n >= 10000 {
			return nil, &TransientError{Op: "GET " + target, Reason: "more than 10000 pages; refusing to follow further"}
		}
		pq := url.Values{}
		for k, v := range q {
			pq[k] = v
		}
		pq.Set("per_page", strconv.Itoa(PerPage))
		if page > 1 {
			pq.Set("page", strconv.Itoa(page))
		}
		var items []T
		next := 0
		if opt.Field == "" {
			if err := c.get(ctx, path, pq, &items, &next); err != nil {
				return nil, err
			}
		} else {
			var raw map[string]json.RawMessage
			if err := c.get(ctx, path, pq, &raw, &next); err != nil {
				return nil, err
			}
			if t, ok := raw["total_count"]; ok {
				if err := json.Unmarshal(t, &total); err != nil {
					return nil, fmt.Errorf("GET %s: decode total_count: %w", target, err)
				}
			}
			arr, ok := raw[opt.Field]
			if !ok {
				return nil, fmt.Errorf("GET %s: answer has no %q list", target, opt.Field)
			}
			if err := json.Unmarshal(arr, &items); err != nil {
				return nil, fmt.Errorf("GET %s: decode %s: %w", target, opt.Field, err)
			}
		}
		out = append(out, items...)
		if opt.Stop != nil {
			for _, it := range items {
				if opt.Stop(it) {
					stopped = true
				}
			}
		}
		if stopped {
			break
		}
		if next != 0 && next <= page {
			return nil, &TransientError{Op: "GET " + target, Reason: fmt.Sprintf("page %d links back to page %d", page, next)}
		}
		page = next
	}
	if !stopped && total >= 0 && len(out) < total {
		return nil, &TransientError{Op: "GET " + target, Reason: fmt.Sprintf("the pages held %d of %d items: a page is missing", len(out), total)}
	}
	return out, nil
}
