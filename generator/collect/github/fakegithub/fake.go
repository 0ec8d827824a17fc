// Package fakegithub is an in-process GitHub REST API for tests,
// benchmarks and the demo: it serves a World (organisations, repositories,
// protection, rulesets, pull requests, reviews, commits, checks, statuses,
// members, 2FA, teams, collaborators, invitations, environments, secrets,
// workflow runs, CODEOWNERS errors) and GitHub's own published example
// responses, paginates with Link headers, answers If-None-Match with 304,
// keeps a rate-limit budget per token, counts every request, and injects
// faults per path (5xx, secondary rate limits, slow answers, truncated JSON).
//
// Paths are served both at the root and under /api/v3, the GitHub
// Enterprise Server prefix; URL returns the latter so clients exercise the
// Enterprise base-URL handling.
package fakegithub

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Viewer is what a token may see.
type Viewer struct {
	Login string
	// RepoAdmin lets the token read classic protection and ruleset bypass
	// actors (GitHub shows them only to repository administrators).
	RepoAdmin bool
	// OrgOwner lets the token read the 2FA requirement, the 2fa_disabled
	// filter, invitations and organisation Actions settings.
	OrgOwner bool
}

// Admin sees everything.
var Admin = Viewer{Login: "evident-bot", RepoAdmin: true, OrgOwner: true}

// FaultKind is a failure the fake can inject.
type FaultKind string

// Fault kinds.
const (
	Fault500       FaultKind = "500"
	Fault502       FaultKind = "502"
	FaultSecondary FaultKind = "secondary"  // 403 secondary rate limit with Retry-After
	FaultPrimary   FaultKind = "primary"    // 403 with X-RateLimit-Remaining: 0
	FaultSlow      FaultKind = "slow"       // waits Delay (or until the client gives up)
	FaultTruncated FaultKind = "truncated"  // 200 with half the JSON body
	FaultShortBody FaultKind = "short_body" // Content-Length larger than the body sent
)

// Fault injects a failure on requests whose path matches.
type Fault struct {
	// Path is matched against the request path without /api/v3; a
	// trailing "*" matches a prefix.
	Path string
	Kind FaultKind
	// Times is how many matching requests fail; 0 means all of them.
	Times int
	// RetryAfter is the Retry-After seconds of FaultSecondary (default 1),
	// or how far X-RateLimit-Reset is of FaultPrimary (default 60).
	RetryAfter int
	// Delay is how long FaultSlow waits (default 10s).
	Delay time.Duration
	hits  int
}

// Counts are the requests the fake received.
type Counts struct {
	Total       int
	NotModified int
	// ByPath counts requests per path (without query).
	ByPath map[string]int
}

// Server is the fake GitHub.
type Server struct {
	mu     sync.Mutex
	world  *World
	raw    map[string][]byte
	tokens map[string]Viewer
	faults []*Fault
	counts Counts
	budget map[string]int
	limit  int
	reset  time.Time
	apps   map[int64]*rsa.PublicKey
	srv    *httptest.Server
	minted int
}

// New returns a fake serving w (nil: an empty world). No token is
// required until AddToken is called.
func New(w *World) *Server {
	if w == nil {
		w = NewWorld()
	}
	return &Server{
		world: w, raw: map[string][]byte{}, tokens: map[string]Viewer{},
		counts: Counts{ByPath: map[string]int{}}, budget: map[string]int{}, limit: 5000,
		reset: time.Now().Add(time.Hour).Truncate(time.Second), apps: map[int64]*rsa.PublicKey{},
	}
}

// Start serves on a local port until Close.
func (s *Server) Start() *Server {
	s.srv = httptest.NewServer(s)
	return s
}

// Close stops the server.
func (s *Server) Close() {
	if s.srv != nil {
		s.srv.Close()
	}
}

// URL is the API base URL, with the Enterprise /api/v3 prefix.
func (s *Server) URL() string { return s.srv.URL + "/api/v3/" }

// Client returns an HTTP client for the started server.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// Transport returns a RoundTripper that serves requests in-process,
// without a listener, for the demo and benchmarks.
func (s *Server) Transport() http.RoundTripper { return roundTripper{s} }

type roundTripper struct{ s *Server }

// RoundTrip serves req with the fake's handler, in-process.
func (rt roundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	rt.s.ServeHTTP(rec, req)
	if err := req.Context().Err(); err != nil {
		return nil, err
	}
	resp := rec.Result()
	resp.Request = req
	return resp, nil
}

// Update changes the world under the server's lock.
func (s *Server) Update(f func(w *World)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s.world)
}

// AddToken accepts token with what it may see. Once a token is added,
// requests without a known token are answered 401.
func (s *Server) AddToken(token string, v Viewer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[token] = v
}

// AddApp accepts JWTs of GitHub App appID signed by pub; the installation
// tokens it mints see everything.
func (s *Server) AddApp(appID int64, pub *rsa.PublicKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.apps[appID] = pub
}

// SetRaw serves body (verbatim) for path, whatever the query: the way the
// tests serve GitHub's published examples.
func (s *Server) SetRaw(path string, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.raw[path] = body
}

// Inject adds a fault.
func (s *Server) Inject(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
}

// ClearFaults removes every fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// Counts returns the requests received so far.
func (s *Server) Counts() Counts {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.counts
	c.ByPath = map[string]int{}
	for k, v := range s.counts.ByPath {
		c.ByPath[k] = v
	}
	return c
}

// ResetCounts zeroes the counters.
func (s *Server) ResetCounts() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts = Counts{ByPath: map[string]int{}}
}

// SetRateLimit sets every token's budget: limit, and what remains.
func (s *Server) SetRateLimit(limit, remaining int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limit = limit
	for k := range s.budget {
		s.budget[k] = remaining
	}
	s.budget[""] = remaining
}

// ServeHTTP counts the request, applies any matching fault, then answers it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.EscapedPath(), "/api/v3")
	if path == "" {
		path = "/"
	}
	s.mu.Lock()
	s.counts.Total++
	s.counts.ByPath[path]++
	f := s.fault(path)
	s.mu.Unlock()
	if f != nil && s.serveFault(w, r, path, f) {
		return
	}
	s.serve(w, r, path)
}

// serve answers a request that no fault took.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, path string) {
	if r.Method == http.MethodPost && strings.HasPrefix(path, "/app/installations/") ||
		r.Method == http.MethodGet && strings.HasPrefix(path, "/orgs/") && strings.HasSuffix(path, "/installation") {
		s.appRoute(w, r, path)
		return
	}
	s.mu.Lock()
	v, tok, ok := s.viewer(r)
	if !ok {
		s.mu.Unlock()
		writeJSON(w, 401, map[string]any{"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}, nil)
		return
	}
	var status int
	var body []byte
	var hdr http.Header
	if raw, ok := s.raw[path]; ok && r.Method == http.MethodGet {
		status, body = 200, raw
	} else {
		status, body, hdr = s.route(r, path, v)
	}
	s.mu.Unlock()

	h := w.Header()
	for k, vs := range hdr {
		h[k] = vs
	}
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-GitHub-Media-Type", "github.v3; format=json")
	if status == 200 {
		sum := sha256.Sum256(body)
		etag := `W/"` + hex.EncodeToString(sum[:16]) + `"`
		h.Set("ETag", etag)
		if inm := r.Header.Get("If-None-Match"); inm != "" && inm == etag {
			s.mu.Lock()
			s.counts.NotModified++
			s.rateHeaders(h, tok, false)
			s.mu.Unlock()
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	s.mu.Lock()
	s.rateHeaders(h, tok, true)
	s.mu.Unlock()
	w.WriteHeader(status)
	w.Write(body)
}

// rateHeaders writes the budget, spending one unless the answer is a 304.
func (s *Server) rateHeaders(h http.Header, tok string, spend bool) {
	rem, ok := s.budget[tok]
	if !ok {
		rem = s.limit
		if r, ok := s.budget[""]; ok {
			rem = r
		}
	}
	if spend && rem > 0 {
		rem--
	}
	s.budget[tok] = rem
	h.Set("X-RateLimit-Limit", strconv.Itoa(s.limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(rem))
	h.Set("X-RateLimit-Used", strconv.Itoa(s.limit-rem))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(s.reset.Unix(), 10))
	h.Set("X-RateLimit-Resource", "core")
}

func (s *Server) viewer(r *http.Request) (Viewer, string, bool) {
	tok := strings.TrimPrefix(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "), "token ")
	if len(s.tokens) == 0 && len(s.apps) == 0 {
		return Admin, tok, true
	}
	v, ok := s.tokens[tok]
	return v, tok, ok
}

func (s *Server) fault(path string) *Fault {
	for _, f := range s.faults {
		match := f.Path == path || (strings.HasSuffix(f.Path, "*") && strings.HasPrefix(path, strings.TrimSuffix(f.Path, "*")))
		if !match || (f.Times > 0 && f.hits >= f.Times) {
			continue
		}
		f.hits++
		c := *f
		return &c
	}
	return nil
}

// serveFault answers with the fault, or reports false when the request
// should then be served normally (a slow answer that finished).
func (s *Server) serveFault(w http.ResponseWriter, r *http.Request, path string, f *Fault) bool {
	switch f.Kind {
	case Fault500:
		writeJSON(w, 500, map[string]any{"message": "Server Error"}, nil)
	case Fault502:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(502)
		w.Write([]byte("<html><body><h1>502 Bad Gateway</h1></body></html>"))
	case FaultSecondary:
		ra := f.RetryAfter
		if ra == 0 {
			ra = 1
		}
		writeJSON(w, 403, map[string]any{
			"message":           "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
			"documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
		}, http.Header{"Retry-After": {strconv.Itoa(ra)}})
	case FaultPrimary:
		secs := f.RetryAfter
		if secs == 0 {
			secs = 60
		}
		reset := time.Now().Add(time.Duration(secs) * time.Second)
		writeJSON(w, 403, map[string]any{
			"message":           "API rate limit exceeded for user ID 1.",
			"documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-rate-limits",
		}, http.Header{"X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Limit": {"5000"}, "X-Ratelimit-Reset": {strconv.FormatInt(reset.Unix(), 10)}})
	case FaultSlow:
		d := f.Delay
		if d == 0 {
			d = 10 * time.Second
		}
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-r.Context().Done():
			return true
		case <-t.C:
		}
		return false
	case FaultTruncated, FaultShortBody:
		rec := httptest.NewRecorder()
		r2 := r.Clone(r.Context())
		r2.Header.Del("If-None-Match")
		s.serve(rec, r2, path)
		body := rec.Body.Bytes()
		half := body[:len(body)/2]
		for k, vs := range rec.Header() {
			w.Header()[k] = vs
		}
		if f.Kind == FaultShortBody {
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		} else {
			w.Header().Set("Content-Length", strconv.Itoa(len(half)))
		}
		w.Header().Del("ETag")
		w.WriteHeader(rec.Code)
		w.Write(half)
	default:
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, status int, v any, hdr http.Header) {
	b, _ := json.Marshal(v)
	for k, vs := range hdr {
		w.Header()[k] = vs
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b)
}

// appJWT checks a GitHub App JWT against the apps added with AddApp.
func (s *Server) appJWT(r *http.Request) (int64, bool) {
	jwt := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return 0, false
	}
	cb, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var claims struct {
		Iss string `json:"iss"`
		Exp int64  `json:"exp"`
	}
	_ = json.Unmarshal(cb, &claims)
	id, _ := strconv.ParseInt(claims.Iss, 10, 64)
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	s.mu.Lock()
	pub := s.apps[id]
	s.mu.Unlock()
	if pub == nil || rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig) != nil || claims.Exp < time.Now().Unix() {
		return 0, false
	}
	return id, true
}

// appRoute serves the two endpoints a GitHub App calls with its JWT:
// finding its installation and minting an installation token.
func (s *Server) appRoute(w http.ResponseWriter, r *http.Request, path string) {
	id, ok := s.appJWT(r)
	if !ok {
		writeJSON(w, 401, map[string]any{"message": "A JSON web token could not be decoded"}, nil)
		return
	}
	if r.Method == http.MethodGet {
		writeJSON(w, 200, map[string]any{"id": id * 10, "app_id": id}, nil)
		return
	}
	s.mu.Lock()
	s.minted++
	tok := fmt.Sprintf("ghs_fakeInstallation%dToken%d", id, s.minted)
	s.tokens[tok] = Admin
	s.mu.Unlock()
	writeJSON(w, 201, map[string]any{"token": tok, "expires_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}, nil)
}

// page slices a list answer by per_page and page and writes Link headers
// the way GitHub does.
func page[T any](r *http.Request, path string, items []T) ([]T, http.Header) {
	q := r.URL.Query()
	per, _ := strconv.Atoi(q.Get("per_page"))
	if per <= 0 {
		per = 30
	}
	if per > 100 {
		per = 100
	}
	p, _ := strconv.Atoi(q.Get("page"))
	if p <= 0 {
		p = 1
	}
	lo, hi := (p-1)*per, p*per
	if lo > len(items) {
		lo = len(items)
	}
	if hi > len(items) {
		hi = len(items)
	}
	h := http.Header{}
	last := (len(items) + per - 1) / per
	if last < 1 {
		last = 1
	}
	link := func(n int, rel string) string {
		q2 := url.Values{}
		for k, v := range q {
			q2[k] = v
		}
		q2.Set("page", strconv.Itoa(n))
		u := url.URL{Scheme: "http", Host: r.Host, Path: "/api/v3" + path, RawQuery: q2.Encode()}
		if r.TLS != nil {
			u.Scheme = "https"
		}
		return fmt.Sprintf(`<%s>; rel="%s"`, u.String(), rel)
	}
	var links []string
	if p < last {
		links = append(links, link(p+1, "next"), link(last, "last"))
	}
	if p > 1 {
		links = append(links, link(1, "first"), link(p-1, "prev"))
	}
	if len(links) > 0 {
		h.Set("Link", strings.Join(links, ", "))
	}
	return items[lo:hi], h
}

// notFound is GitHub's 404 body.
func notFound() (int, []byte, http.Header) {
	return msg(404, "Not Found")
}

func msg(status int, m string) (int, []byte, http.Header) {
	b, _ := json.Marshal(map[string]string{"message": m, "documentation_url": "https://docs.github.com/rest"})
	return status, b, nil
}

func ok(v any, h http.Header) (int, []byte, http.Header) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return 200, b, h
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
