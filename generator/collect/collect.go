// Package collect defines the collector interface, the registry that lists
// the collectors this build has, and the runner that executes a catalog's
// evidence declarations with bounded parallelism, timeouts and retries.
//
// Collectors are the only code that touches the outside world; everything
// after collection is a pure function of what they returned.
package collect

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/evident-project/evident/generator/catalog"
	"github.com/evident-project/evident/generator/period"
)

// Collector gathers one kind of raw evidence from one source.
type Collector interface {
	// Def is the collector's embedded metadata (name, version, source kind, params).
	Def() Def
	// Collect gathers the evidence for one request. It must honour ctx,
	// return a *Error for failures, and produce deterministic Data for an
	// unchanged world (no run timestamps, stable ordering).
	Collect(ctx context.Context, req Request) (*Result, error)
}

// Request is what a collector is asked to collect.
type Request struct {
	// Source is the resolved source (*catalog.GitSource, *catalog.GitHubSource,
	// *catalog.KubernetesSource) or nil for collectors that need none.
	Source any
	// SourceID is the source's id, "" when Source is nil.
	SourceID string
	// Params are the evidence declaration's parameters.
	Params map[string]any
	// Period is the audit period being collected.
	Period period.Period
	// Now is the run's clock; collectors use it instead of time.Now so runs
	// can be simulated and re-performed.
	Now time.Time
	// BaseDir is the directory relative paths in config resolve against.
	BaseDir string
	// Catalog is the whole loaded config, for collectors whose parameters
	// live outside their evidence declaration (evident.integrity reads the
	// integrity section).
	Catalog *catalog.Catalog
	// EvidenceDir is the evidence repository this run will commit to, for
	// the collector that verifies its history so far.
	EvidenceDir string
	// CacheDir is where collectors may keep state between runs (HTTP ETag
	// caches, incremental watermarks). It is never evidence: losing it
	// costs requests, not correctness. Empty means keep nothing.
	CacheDir string
}

// Result is a collector's raw output.
type Result struct {
	// Data is the raw evidence, JSON-marshalable.
	Data any
	// Provenance records how Data was obtained.
	Provenance Provenance
	// Cost is what this collection cost (requests on the wire, answers
	// served from an ETag cache, rate budget left). It changes from run to
	// run while the world does not, so it is recorded in the run's
	// manifest, never in the item: an unchanged world gives unchanged items.
	Cost map[string]int
}

// Provenance records where an evidence item came from and how complete it is.
type Provenance struct {
	// Collector is the collector name.
	Collector string `json:"collector"`
	// Version is the collector version.
	Version string `json:"version"`
	// Source describes the source read (URL, path, repo, cluster, branch...).
	Source map[string]string `json:"source,omitempty"`
	// Reads are every read or request made.
	Reads []Read `json:"reads"`
	// Records counts the records in Data, by kind.
	Records map[string]int `json:"records"`
	// Complete is true only when every record in scope was read.
	Complete bool `json:"complete"`
	// Notes say what the evidence cannot show, or what was assumed.
	Notes []string `json:"notes,omitempty"`
	// Error is set when the collector failed; Complete is then false.
	Error *ErrorInfo `json:"error,omitempty"`
}

// Read is one read or request a collector made.
type Read struct {
	// Method is the verb: "GET", "open", "read", "walk", "exec".
	Method string `json:"method"`
	// Target is the path or URL read.
	Target string `json:"target"`
	// Status is the HTTP status or "ok" / an error kind.
	Status string `json:"status,omitempty"`
	// Pages is the number of pages fetched, for paginated reads.
	Pages int `json:"pages,omitempty"`
	// ETag is the response ETag, when the source gives one.
	ETag string `json:"etag,omitempty"`
	// Count is the number of records this read returned.
	Count int `json:"count,omitempty"`
}

// ErrorInfo is the evidence-side record of a collector failure.
type ErrorInfo struct {
	// Kind is the error kind.
	Kind ErrorKind `json:"kind"`
	// Message is the error text.
	Message string `json:"message"`
	// Attempts is how many times the collector ran.
	Attempts int `json:"attempts,omitempty"`
}

// ErrorKind classifies collector failures; the runner retries only Transient.
type ErrorKind string

// Error kinds.
const (
	// KindTransient is a failure that may succeed on retry (timeouts, 5xx, rate limits).
	KindTransient ErrorKind = "transient"
	// KindPermission is a failure caused by missing credentials or permissions.
	KindPermission ErrorKind = "permission"
	// KindNotFound is a source or object that does not exist.
	KindNotFound ErrorKind = "not_found"
	// KindInvalid is a bad parameter or malformed source data.
	KindInvalid ErrorKind = "invalid"
	// KindCanceled is a run canceled or timed out by the runner.
	KindCanceled ErrorKind = "canceled"
	// KindUnavailable is a collector this build does not have yet.
	KindUnavailable ErrorKind = "unavailable"
)

// Error is the typed error every collector returns.
type Error struct {
	Kind ErrorKind
	// Step names what failed, lower-case: "open repository payments-api".
	Step string
	Err  error
}

func (e *Error) Error() string {
	if e.Err == nil {
		return e.Step
	}
	return e.Step + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf builds a typed collector error.
func Errorf(kind ErrorKind, step string, err error) *Error {
	return &Error{Kind: kind, Step: step, Err: err}
}

// KindOf returns the kind of err: its *Error kind, KindCanceled for context
// errors, or KindInvalid for an untyped error (a collector bug we do not retry).
func KindOf(err error) ErrorKind {
	var ce *Error
	if errors.As(err, &ce) {
		return ce.Kind
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return KindCanceled
	}
	return KindInvalid
}

// Def is a collector's metadata, kept in a def.yml beside its code and
// reused in the site.
type Def struct {
	// Name is "<source kind>.<what>", e.g. "git.commits".
	Name string `yaml:"name" json:"name"`
	// Version changes whenever the output shape or semantics change.
	Version string `yaml:"version" json:"version"`
	// SourceKind is "git", "github", "kubernetes" or "" (no source).
	SourceKind string `yaml:"source_kind" json:"source_kind"`
	// Title is a short human name.
	Title string `yaml:"title" json:"title"`
	// Description says what the evidence shows and what it cannot show.
	Description string `yaml:"description" json:"description"`
	// Params documents the accepted parameters.
	Params []ParamDef `yaml:"params" json:"params,omitempty"`
	// Permissions lists what the collector needs on the source.
	Permissions []string `yaml:"permissions" json:"permissions,omitempty"`
	// Output documents the top-level fields of Data.
	Output []FieldDef `yaml:"output" json:"output,omitempty"`
}

// ParamDef documents one collector parameter.
type ParamDef struct {
	Name        string `yaml:"name" json:"name"`
	Type        string `yaml:"type" json:"type"`
	Required    bool   `yaml:"required" json:"required,omitempty"`
	Description string `yaml:"description" json:"description"`
}

// FieldDef documents one output field.
type FieldDef struct {
	Name        string `yaml:"name" json:"name"`
	Type        string `yaml:"type" json:"type"`
	Description string `yaml:"description" json:"description"`
}

// Validate reports what is wrong with a Def.
func (d Def) Validate() error {
	switch {
	case d.Name == "":
		return errors.New("def: name is empty")
	case d.Version == "":
		return fmt.Errorf("def %s: version is empty", d.Name)
	case d.Title == "" || d.Description == "":
		return fmt.Errorf("def %s: title and description are required", d.Name)
	}
	switch d.SourceKind {
	case "", "git", "github", "kubernetes":
	default:
		return fmt.Errorf("def %s: unknown source_kind %q", d.Name, d.SourceKind)
	}
	return nil
}

// SourceKindOf returns the kind name of a catalog source value.
func SourceKindOf(src any) string {
	switch src.(type) {
	case *catalog.GitSource:
		return "git"
	case *catalog.GitHubSource:
		return "github"
	case *catalog.KubernetesSource:
		return "kubernetes"
	}
	return ""
}

// MustParseDef decodes a collector's embedded def.yml strictly and validates
// it. It panics on error: a broken def is a build defect, caught by the
// contract suite before it can ship.
func MustParseDef(b []byte) Def {
	var d Def
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&d); err != nil {
		panic(fmt.Sprintf("collector def.yml: %v", err))
	}
	if err := d.Validate(); err != nil {
		panic(fmt.Sprintf("collector def.yml: %v", err))
	}
	return d
}
