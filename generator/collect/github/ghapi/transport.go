package ghapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/evident-project/evident/generator/collect"
)

// cacheEntry is what the ETag cache keeps of a 200 answer: enough to
// replay it when GitHub answers 304, including the Link header so that a
// revalidated page still says where the next one is.
type cacheEntry struct {
	ETag        string `json:"etag"`
	Link        string `json:"link,omitempty"`
	ContentType string `json:"content_type,omitempty"`
	Body        []byte `json:"body"`
}

// cacheKey names a request in the cache. It holds no credential: GitHub
// answers 304 only when the body it would send this caller has the cached
// ETag, so an entry can never show a caller more than GitHub would.
func cacheKey(req *http.Request) string {
	return "etag/v1 GET " + req.URL.String() + " accept=" + req.Header.Get("Accept")
}

// cacheTransport makes conditional requests and replays cached bodies for
// 304 answers, which cost no rate limit.
type cacheTransport struct {
	c    *Client
	next http.RoundTripper
}

// RoundTrip sends req conditionally and replays the cached body on a 304.
func (t *cacheTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	st := stateOf(req.Context())
	store := t.c.cfg.Cache
	if store == nil || req.Method != http.MethodGet {
		resp, err := t.next.RoundTrip(req)
		if resp != nil {
			st.page(resp.StatusCode, resp.Header.Get("ETag"))
		}
		return resp, err
	}
	key := cacheKey(req)
	var ent cacheEntry
	have := false
	if b, ok := store.Load(key); ok && json.Unmarshal(b, &ent) == nil && ent.ETag != "" {
		have = true
		req = req.Clone(req.Context())
		req.Header.Set("If-None-Match", ent.ETag)
	}
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	st.page(resp.StatusCode, firstNonEmpty(resp.Header.Get("ETag"), ent.ETag))
	switch {
	case resp.StatusCode == http.StatusNotModified && have:
		t.c.rec.notModified.Add(1)
		resp.Body.Close()
		h := resp.Header.Clone()
		h.Set("ETag", ent.ETag)
		if ent.Link != "" {
			h.Set("Link", ent.Link)
		}
		if ent.ContentType != "" {
			h.Set("Content-Type", ent.ContentType)
		}
		return &http.Response{
			Status: "200 OK", StatusCode: http.StatusOK,
			Proto: resp.Proto, ProtoMajor: resp.ProtoMajor, ProtoMinor: resp.ProtoMinor,
			Header: h, Body: io.NopCloser(bytes.NewReader(ent.Body)),
			ContentLength: int64(len(ent.Body)), Request: req,
		}, nil
	case resp.StatusCode == http.StatusOK && resp.Header.Get("ETag") != "":
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return nil, &TransientError{Op: "GET " + req.URL.Path, Reason: "read body", Err: err}
		}
		resp.Body = io.NopCloser(bytes.NewReader(body))
		b, err := json.Marshal(cacheEntry{
			ETag: resp.Header.Get("ETag"), Link: resp.Header.Get("Link"),
			ContentType: resp.Header.Get("Content-Type"), Body: body,
		})
		if err == nil {
			err = store.Save(key, b)
		}
		if err != nil {
			// The cache only saves work: a full disk must not fail evidence.
			t.c.cfg.Logger.Warn("github etag cache: entry not saved", "path", req.URL.Path, "error", err)
		}
	}
	return resp, nil
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// retryTransport honours rate limits, bounds concurrency, validates
// bodies and retries what may pass on a second try. It reads every body
// whole, so a connection cut mid-body is caught here and retried instead
// of surfacing as a decode error.
type retryTransport struct {
	c    *Client
	next http.RoundTripper
}

const maxRateWaits = 5

// RoundTrip sends req until it succeeds, fails for good, or retries run out.
func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	cfg := t.c.cfg
	st := stateOf(ctx)
	op := req.Method + " " + relPath(t.c, req)
	waits := 0
	for attempt := 0; ; attempt++ {
		if d, secondary := t.c.lim.due(cfg.Now()); d > 0 {
			if d > cfg.MaxWait {
				return nil, &RateLimitError{Op: op, Secondary: secondary, Wait: d,
					Reason: fmt.Sprintf("budget exhausted for %s, longer than the %s this run waits", d.Round(time.Second), cfg.MaxWait)}
			}
			if err := t.wait(ctx, st, op, d, secondary); err != nil {
				return nil, err
			}
		}
		resp, body, err := t.once(req)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			var ae *AuthError
			if errors.As(err, &ae) && Kind(ae.Err) != collect.KindTransient {
				return nil, err
			}
			if attempt < cfg.Retries {
				if err := t.backoff(ctx, st, op, attempt, err.Error()); err != nil {
					return nil, err
				}
				continue
			}
			return nil, err
		}
		t.c.lim.observe(resp.Header)
		if resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusTooManyRequests {
			if d, secondary, ok := rateLimited(resp, body, cfg.Now()); ok {
				if waits >= maxRateWaits || d > cfg.MaxWait {
					return nil, &RateLimitError{Op: op, Secondary: secondary, Wait: d,
						Reason: fmt.Sprintf("still limited after %d waits (next wait %s, at most %s)", waits, d.Round(time.Second), cfg.MaxWait)}
				}
				waits++
				if secondary {
					t.c.lim.pause(cfg.Now().Add(d))
				}
				if err := t.wait(ctx, st, op, d, secondary); err != nil {
					return nil, err
				}
				attempt-- // a rate-limit wait is not a failed attempt
				continue
			}
		}
		if resp.StatusCode >= 500 && attempt < cfg.Retries {
			if err := t.backoff(ctx, st, op, attempt, resp.Status); err != nil {
				return nil, err
			}
			continue
		}
		if resp.StatusCode == http.StatusOK && isJSON(resp.Header) && !json.Valid(body) {
			if attempt < cfg.Retries {
				if err := t.backoff(ctx, st, op, attempt, "malformed or truncated json"); err != nil {
					return nil, err
				}
				continue
			}
			return nil, &TransientError{Op: op, Reason: fmt.Sprintf("malformed or truncated json after %d attempts", attempt+1)}
		}
		resp.Body = io.NopCloser(bytes.NewReader(body))
		resp.ContentLength = int64(len(body))
		return resp, nil
	}
}

// once sends one attempt under the per-request timeout and the
// concurrency bound, and reads the whole body.
func (t *retryTransport) once(req *http.Request) (*http.Response, []byte, error) {
	cfg := t.c.cfg
	parent := req.Context()
	if err := t.c.lim.acquire(parent); err != nil {
		return nil, nil, err
	}
	defer t.c.lim.release()
	ctx, cancel := context.WithTimeout(parent, cfg.RequestTimeout)
	defer cancel()
	t.c.rec.requests.Add(1)
	op := req.Method + " " + relPath(t.c, req)
	resp, err := t.next.RoundTrip(req.Clone(ctx))
	if err != nil {
		return nil, nil, t.failure(parent, ctx, op, err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		if parent.Err() == nil && ctx.Err() == nil {
			return nil, nil, &TransientError{Op: op, Reason: "truncated body", Err: err}
		}
		return nil, nil, t.failure(parent, ctx, op, err)
	}
	if resp.ContentLength >= 0 && int64(len(body)) < resp.ContentLength {
		return nil, nil, &TransientError{Op: op, Reason: fmt.Sprintf("truncated body: %d of %d bytes", len(body), resp.ContentLength)}
	}
	return resp, body, nil
}

func (t *retryTransport) failure(parent, ctx context.Context, op string, err error) error {
	var ae *AuthError
	switch {
	case parent.Err() != nil:
		return parent.Err()
	case errors.As(err, &ae):
		return err
	case ctx.Err() != nil:
		return &TransientError{Op: op, Reason: fmt.Sprintf("timed out after %s", t.c.cfg.RequestTimeout)}
	}
	return &TransientError{Op: op, Reason: "request failed", Err: unwrapURL(err)}
}

func (t *retryTransport) backoff(ctx context.Context, st *readState, op string, attempt int, why string) error {
	d := t.c.cfg.Backoff << attempt
	st.mu.Lock()
	st.retries++
	st.mu.Unlock()
	t.c.rec.retries.Add(1)
	t.c.cfg.Logger.Info("github request failed; retrying", "request", op, "reason", why, "attempt", attempt+1, "backoff", d)
	return t.c.cfg.Sleep(ctx, d)
}

func (t *retryTransport) wait(ctx context.Context, st *readState, op string, d time.Duration, secondary bool) error {
	st.mu.Lock()
	st.waits++
	st.mu.Unlock()
	t.c.rec.waits.Add(1)
	kind := "primary"
	if secondary {
		kind = "secondary"
	}
	t.c.cfg.Logger.Warn("github rate limit; waiting", "request", op, "limit", kind, "wait", d)
	if err := t.c.cfg.Sleep(ctx, d); err != nil {
		return err
	}
	t.c.lim.waited(secondary)
	return nil
}

// rateLimited recognises GitHub's rate-limit answers and how long to wait:
// Retry-After first (secondary limits), then an exhausted budget's
// X-RateLimit-Reset (primary), then the "wait at least a minute" GitHub
// documents for a secondary limit that names no time.
func rateLimited(resp *http.Response, body []byte, now time.Time) (time.Duration, bool, bool) {
	if ra := resp.Header.Get("Retry-After"); ra != "" {
		if s, err := strconv.Atoi(strings.TrimSpace(ra)); err == nil && s >= 0 {
			return time.Duration(s) * time.Second, true, true
		}
		if t, err := http.ParseTime(ra); err == nil {
			return max(t.Sub(now), time.Second), true, true
		}
	}
	if resp.Header.Get("X-RateLimit-Remaining") == "0" {
		if s, err := strconv.ParseInt(resp.Header.Get("X-RateLimit-Reset"), 10, 64); err == nil {
			return max(time.Unix(s, 0).Sub(now)+time.Second, time.Second), false, true
		}
		return time.Minute, false, true
	}
	var e struct {
		Message string `json:"message"`
	}
	_ = json.Unmarshal(body, &e)
	if strings.Contains(strings.ToLower(e.Message), "secondary rate limit") || resp.StatusCode == http.StatusTooManyRequests {
		return time.Minute, true, true
	}
	return 0, false, false
}

func isJSON(h http.Header) bool {
	ct := h.Get("Content-Type")
	return ct == "" || strings.Contains(ct, "json")
}

// relPath names a request by its path under the API base.
func relPath(c *Client, req *http.Request) string {
	p := strings.TrimPrefix(req.URL.EscapedPath(), strings.TrimSuffix(c.base.EscapedPath(), "/"))
	if req.URL.RawQuery != "" {
		p += "?" + req.URL.RawQuery
	}
	return p
}

// authTransport adds the Authorization and API version headers. After a
// 401 it drops the cached credential and tries once more, since a GitHub
// App installation token may expire between being minted and used.
type authTransport struct {
	creds Credentials
	next  http.RoundTripper
}

// RoundTrip sends req with credentials, once more after a 401 if they can be refreshed.
func (t *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	for try := 0; ; try++ {
		r := req.Clone(req.Context())
		r.Header.Set("X-GitHub-Api-Version", APIVersion)
		if t.creds != nil {
			h, err := t.creds.Authorization(req.Context())
			if err != nil {
				return nil, &AuthError{Err: err}
			}
			r.Header.Set("Authorization", h)
		}
		resp, err := t.next.RoundTrip(r)
		if err != nil || resp.StatusCode != http.StatusUnauthorized || t.creds == nil || try > 0 || !t.creds.Invalidate() {
			return resp, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}
