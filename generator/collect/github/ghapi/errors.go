package ghapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/evident-project/evident/generator/collect"
)

// HTTPError is an answer GitHub gave with an error status. It names the
// request by its path relative to the API base, never by a URL with
// credentials or a host that changes between runs.
type HTTPError struct {
	Method string
	// Path is the request path and query relative to the API base.
	Path   string
	Status int
	// Message is GitHub's "message" field ("Branch not protected", "Not Found").
	Message string
}

// Error names the request, the status and GitHub's message.
func (e *HTTPError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	return fmt.Sprintf("%s %s: %d %s", e.Method, e.Path, e.Status, msg)
}

// TransientError is a failure that may pass on a later run: a timeout, a
// broken connection, a truncated or malformed body, a missing page.
type TransientError struct {
	Op     string
	Reason string
	Err    error
}

// Error names the request and what went wrong.
func (e *TransientError) Error() string {
	s := e.Op + ": " + e.Reason
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying failure.
func (e *TransientError) Unwrap() error { return e.Err }

// RateLimitError is a primary or secondary rate limit that did not clear
// within the wait the client allows.
type RateLimitError struct {
	Op string
	// Secondary is true for an abuse / secondary limit.
	Secondary bool
	// Wait is how long GitHub asked the client to wait.
	Wait time.Duration
	// Reason says why the client stopped waiting.
	Reason string
}

// Error names the request, the limit and why waiting stopped.
func (e *RateLimitError) Error() string {
	kind := "primary"
	if e.Secondary {
		kind = "secondary"
	}
	return fmt.Sprintf("%s: %s rate limit: %s", e.Op, kind, e.Reason)
}

// AuthError is a failure to obtain credentials (an unset token variable, a
// GitHub App token that could not be minted).
type AuthError struct{ Err error }

// Error says authentication failed and why.
func (e *AuthError) Error() string { return "authenticate: " + e.Err.Error() }

// Unwrap returns the credential failure.
func (e *AuthError) Unwrap() error { return e.Err }

// Kind classifies an error from this package for the runner: transient
// errors are retried and, if they persist, make the item incomplete.
func Kind(err error) collect.ErrorKind {
	var he *HTTPError
	var te *TransientError
	var re *RateLimitError
	var ae *AuthError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &re), errors.As(err, &te):
		return collect.KindTransient
	case errors.As(err, &he):
		return statusKind(he.Status)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return collect.KindCanceled
	case errors.As(err, &ae):
		return collect.KindPermission
	}
	return collect.KindInvalid
}

func statusKind(status int) collect.ErrorKind {
	switch {
	case status == http.StatusUnauthorized, status == http.StatusForbidden:
		return collect.KindPermission
	case status == http.StatusNotFound, status == http.StatusGone:
		return collect.KindNotFound
	case status == http.StatusTooManyRequests, status >= 500:
		return collect.KindTransient
	}
	return collect.KindInvalid
}

// Status returns the HTTP status of err, or 0 when it is not an HTTP answer.
func Status(err error) int {
	var he *HTTPError
	if errors.As(err, &he) {
		return he.Status
	}
	return 0
}

// Message returns GitHub's message for an HTTP error, or "".
func Message(err error) string {
	var he *HTTPError
	if errors.As(err, &he) {
		return he.Message
	}
	return ""
}

// Wrap turns err into a typed collector error naming the failed step.
func Wrap(step string, err error) *collect.Error {
	var ce *collect.Error
	if errors.As(err, &ce) {
		return collect.Errorf(ce.Kind, step, err)
	}
	return collect.Errorf(Kind(err), step, err)
}
