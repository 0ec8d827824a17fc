// Package github holds the github.* collectors: branch protection and
// rulesets, merged pull requests with their approvals and CI, the access
// population with 2FA, Actions and environments, and CODEOWNERS. They share
// one HTTP stack (generator/collect/github/ghapi): token or GitHub App
// authentication, 100-item pages, an ETag cache persisted where the caller
// says, rate limits honoured with bounded concurrency, and retries; every
// request is recorded in the item's provenance.
//
// What the token cannot see is never guessed: a hidden field is null and
// the item is marked incomplete, so dependent assertions are unknown.
package github

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/evident-project/evident/generator/catalog"
	"github.com/evident-project/evident/generator/collect"
	"github.com/evident-project/evident/generator/collect/github/ghapi"
)

// Option configures the github collectors.
type Option func(*options)

type options struct {
	transport      http.RoundTripper
	cacheDir       string
	store          ghapi.Store
	now            func() time.Time
	sleep          func(context.Context, time.Duration) error
	env            func(string) (string, bool)
	creds          func(*catalog.GitHubSource) (ghapi.Credentials, error)
	app            *AppAuth
	limiter        *ghapi.Limiter
	concurrency    int
	retries        int
	backoff        time.Duration
	requestTimeout time.Duration
	maxWait        time.Duration
	logger         *slog.Logger
}

// WithTransport sends requests through rt: the fake GitHub's in tests and
// the demo, or a proxying transport.
func WithTransport(rt http.RoundTripper) Option { return func(o *options) { o.transport = rt } }

// WithCacheDir keeps the ETag cache and the incremental pull-request state
// in dir, so a later run (on another machine, if dir is carried over)
// revalidates instead of re-reading.
func WithCacheDir(dir string) Option { return func(o *options) { o.cacheDir = dir } }

// WithStore keeps the cache and state in s (overrides WithCacheDir).
func WithStore(s ghapi.Store) Option { return func(o *options) { o.store = s } }

// WithClock sets the clock rate-limit resets are compared with.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithSleep replaces waiting (rate limits, backoff); tests record waits.
func WithSleep(f func(context.Context, time.Duration) error) Option {
	return func(o *options) { o.sleep = f }
}

// WithEnv reads token variables through lookup instead of os.LookupEnv.
func WithEnv(lookup func(string) (string, bool)) Option { return func(o *options) { o.env = lookup } }

// WithCredentials chooses the credentials for each source, overriding
// the token variable and WithApp.
func WithCredentials(f func(*catalog.GitHubSource) (ghapi.Credentials, error)) Option {
	return func(o *options) { o.creds = f }
}

// AppAuth is a GitHub App installation to authenticate as.
type AppAuth struct {
	AppID int64
	// InstallationID may be 0: it is then looked up from the source's org.
	InstallationID int64
	// PrivateKeyFile is the app's PEM private key.
	PrivateKeyFile string
}

// WithApp authenticates every source as a GitHub App installation instead
// of with a token.
func WithApp(a AppAuth) Option { return func(o *options) { o.app = &a } }

// WithConcurrency bounds the requests in flight across all collectors
// sharing these options (default 4).
func WithConcurrency(n int) Option { return func(o *options) { o.concurrency = n } }

// WithRetries sets how often a failed request is retried and the first
// backoff (doubled each time).
func WithRetries(n int, backoff time.Duration) Option {
	return func(o *options) { o.retries, o.backoff = n, backoff }
}

// WithRequestTimeout bounds one request attempt.
func WithRequestTimeout(d time.Duration) Option { return func(o *options) { o.requestTimeout = d } }

// WithMaxWait is the longest rate-limit wait accepted before the item is
// recorded as incomplete.
func WithMaxWait(d time.Duration) Option { return func(o *options) { o.maxWait = d } }

// WithLogger receives retries and rate-limit waits.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// shared is what collectors built together share: one limiter, so the
// concurrency bound and rate-limit pauses hold across them, one cache, and
// the credentials per source, so a GitHub App token is minted once.
type shared struct {
	opts options

	once   sync.Once
	stores map[string]ghapi.Store // by cache folder, "" for in-memory

	mu    sync.Mutex
	creds map[string]ghapi.Credentials
}

func newShared(opts []Option) *shared {
	s := &shared{creds: map[string]ghapi.Credentials{}}
	for _, o := range opts {
		o(&s.opts)
	}
	if s.opts.limiter == nil {
		s.opts.limiter = ghapi.NewLimiter(s.opts.concurrency)
	}
	if s.opts.env == nil {
		s.opts.env = os.LookupEnv
	}
	return s
}

// cache opens the store once per folder. Without an option or a folder in
// the request the cache lasts the process, which still spares reruns within
// it (the demo, benchmarks).
func (s *shared) cache(reqDir string) (ghapi.Store, error) {
	s.once.Do(func() { s.stores = map[string]ghapi.Store{} })
	s.mu.Lock()
	defer s.mu.Unlock()
	dir := s.opts.cacheDir
	if dir == "" && reqDir != "" {
		dir = filepath.Join(reqDir, "github")
	}
	switch {
	case s.opts.store != nil:
		return s.opts.store, nil
	case s.stores[dir] != nil:
		return s.stores[dir], nil
	case dir != "":
		st, err := ghapi.NewFileStore(dir)
		if err != nil {
			return nil, err
		}
		s.stores[dir] = st
		return st, nil
	default:
		st := ghapi.NewMemStore()
		s.stores[dir] = st
		return st, nil
	}
}

func (s *shared) credentials(src *catalog.GitHubSource, baseDir string) (ghapi.Credentials, error) {
	key := src.ID + " " + src.APIURL
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.creds[key]; ok {
		return c, nil
	}
	var c ghapi.Credentials
	var err error
	switch {
	case s.opts.creds != nil:
		c, err = s.opts.creds(src)
	case s.opts.app != nil || src.App.ID != 0:
		a := s.opts.app
		if src.App.ID != 0 {
			a = &AppAuth{AppID: int64(src.App.ID), InstallationID: int64(src.App.InstallationID), PrivateKeyFile: src.App.PrivateKeyFile}
		}
		path := a.PrivateKeyFile
		if path != "" && baseDir != "" && !filepath.IsAbs(path) {
			path = filepath.Join(baseDir, path)
		}
		var pemBytes []byte
		pemBytes, err = os.ReadFile(path)
		if err != nil {
			// Name the file as configured: an absolute path would make the
			// same failure read differently on every checkout.
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return nil, fmt.Errorf("read github app private key %s: %w", a.PrivateKeyFile, err)
		}
		c, err = ghapi.NewAppInstallation(ghapi.AppConfig{
			AppID: a.AppID, InstallationID: a.InstallationID, Org: src.Org, PrivateKeyPEM: pemBytes,
			BaseURL: src.APIURL, Transport: s.transport(), Now: s.opts.now,
		})
	default:
		c, err = ghapi.TokenFromEnv(src.TokenEnv, s.opts.env)
	}
	if err != nil {
		return nil, err
	}
	s.creds[key] = c
	return c, nil
}

func (s *shared) transport() http.RoundTripper {
	if s.opts.transport != nil {
		return s.opts.transport
	}
	return http.DefaultTransport
}

// client builds one collection's API client.
func (s *shared) client(src *catalog.GitHubSource, baseDir, cacheDir string) (*ghapi.Client, error) {
	store, err := s.cache(cacheDir)
	if err != nil {
		return nil, collect.Errorf(collect.KindInvalid, "open github cache", err)
	}
	creds, err := s.credentials(src, baseDir)
	if err != nil {
		return nil, collect.Errorf(collect.KindPermission, "github credentials", err)
	}
	c, err := ghapi.New(ghapi.Config{
		BaseURL: src.APIURL, Credentials: creds, Transport: s.transport(), Cache: store,
		Limiter: s.opts.limiter, Retries: s.opts.retries, Backoff: s.opts.backoff, MaxWait: s.opts.maxWait,
		RequestTimeout: s.opts.requestTimeout, Sleep: s.opts.sleep, Now: s.opts.now, Logger: s.opts.logger,
	})
	if err != nil {
		return nil, collect.Errorf(collect.KindInvalid, "github api url", err)
	}
	return c, nil
}

// Collectors returns the five github collectors sharing one HTTP stack:
// what generator/collect/all registers.
func Collectors(opts ...Option) []collect.Collector {
	s := newShared(opts)
	return []collect.Collector{
		&BranchProtection{s: s}, &Pulls{s: s}, &Access{s: s}, &Actions{s: s}, &Codeowners{s: s},
	}
}

// NewBranchProtection returns the github.branch_protection collector.
func NewBranchProtection(opts ...Option) collect.Collector {
	return &BranchProtection{s: newShared(opts)}
}

// NewPulls returns the github.pulls collector.
func NewPulls(opts ...Option) collect.Collector { return &Pulls{s: newShared(opts)} }

// NewAccess returns the github.access collector.
func NewAccess(opts ...Option) collect.Collector { return &Access{s: newShared(opts)} }

// NewActions returns the github.actions collector.
func NewActions(opts ...Option) collect.Collector { return &Actions{s: newShared(opts)} }

// NewCodeowners returns the github.codeowners collector.
func NewCodeowners(opts ...Option) collect.Collector { return &Codeowners{s: newShared(opts)} }
