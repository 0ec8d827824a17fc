package ghapi

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Rate is the rate-limit budget GitHub last reported for one resource.
type Rate struct {
	// Resource is GitHub's bucket: "core", "search", "graphql"...
	Resource  string
	Limit     int
	Remaining int
	Reset     time.Time
}

// Limiter bounds how many requests are in flight and remembers the rate
// limits GitHub reported, so every collector sharing it pauses together
// when the budget runs out or a secondary limit asks for a pause.
type Limiter struct {
	sem chan struct{}

	mu         sync.Mutex
	rates      map[string]Rate
	pauseUntil time.Time
}

// NewLimiter returns a Limiter allowing n requests in flight (default 4).
// GitHub asks integrators to avoid concurrency to stay clear of secondary
// limits, so keep n small.
func NewLimiter(n int) *Limiter {
	if n <= 0 {
		n = 4
	}
	return &Limiter{sem: make(chan struct{}, n), rates: map[string]Rate{}}
}

func (l *Limiter) acquire(ctx context.Context) error {
	select {
	case l.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (l *Limiter) release() { <-l.sem }

// observe records the budget in a response's headers.
func (l *Limiter) observe(h http.Header) {
	rem := h.Get("X-RateLimit-Remaining")
	if rem == "" {
		return
	}
	r := Rate{Resource: h.Get("X-RateLimit-Resource")}
	if r.Resource == "" {
		r.Resource = "core"
	}
	r.Remaining, _ = strconv.Atoi(rem)
	r.Limit, _ = strconv.Atoi(h.Get("X-RateLimit-Limit"))
	if s, err := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64); err == nil {
		r.Reset = time.Unix(s, 0).UTC()
	}
	l.mu.Lock()
	l.rates[r.Resource] = r
	l.mu.Unlock()
}

// pause stops every request sharing the limiter until t.
func (l *Limiter) pause(t time.Time) {
	l.mu.Lock()
	if t.After(l.pauseUntil) {
		l.pauseUntil = t
	}
	l.mu.Unlock()
}

// due says how long to wait before the next request: a pause asked for by
// a secondary limit, or the reset of an exhausted core budget.
func (l *Limiter) due(now time.Time) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var d time.Duration
	secondary := false
	if l.pauseUntil.After(now) {
		d, secondary = l.pauseUntil.Sub(now), true
	}
	if r, ok := l.rates["core"]; ok && r.Remaining == 0 && r.Reset.After(now) {
		if w := r.Reset.Sub(now) + time.Second; w > d {
			d, secondary = w, false
		}
	}
	return d, secondary
}

// waited clears the state a finished wait was for. Without it, a
// simulated clock that does not move would wait forever.
func (l *Limiter) waited(secondary bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if secondary {
		l.pauseUntil = time.Time{}
		return
	}
	if r, ok := l.rates["core"]; ok && r.Remaining == 0 {
		r.Remaining = -1 // unknown until the next answer
		l.rates["core"] = r
	}
}

// Rate returns the last budget GitHub reported for resource.
func (l *Limiter) Rate(resource string) (Rate, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r, ok := l.rates[resource]
	return r, ok
}
