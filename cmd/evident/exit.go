package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/evident-project/evident/generator/catalog"
	"github.com/evident-project/evident/generator/evidence"
)

// Exit codes, documented in `evident --help` and the README.
const (
	exitOK       = 0 // success; for check: every key control passed (or is excepted / not applicable)
	exitFail     = 1 // check: a key control failed; verify: an integrity check failed
	exitUsage    = 2 // usage or config error (file:line:col is printed)
	exitUnknown  = 3 // check: no key control failed, but collection errors left one unknown
	exitInternal = 4 // the run itself failed (I/O, evidence repository); nothing was committed
)

const exitCodesHelp = `Exit codes:
  0  success; for check, every key control passed, is excepted or not applicable
  1  check: at least one key control failed; verify: an integrity check failed
  2  usage or config error (controls.yaml errors name file:line:col)
  3  check: no key control failed, but missing or failed evidence left one unknown
  4  the run failed (I/O, evidence repository); the evidence repository is unchanged`

// exitError carries a chosen exit code through cobra.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return ""
	}
	return e.err.Error()
}
func (e *exitError) Unwrap() error { return e.err }

// usageError marks a bad flag or argument.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// exitCode is the one place errors become exit codes.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintln(stderr, "evident:", ee.err)
		}
		return ee.code
	}
	var list catalog.ErrorList
	var one *catalog.Error
	var ue *usageError
	switch {
	case errors.As(err, &list), errors.As(err, &one):
		fmt.Fprintln(stderr, err)
		return exitUsage
	case errors.As(err, &ue), errors.Is(err, evidence.ErrNoSnapshot):
		fmt.Fprintln(stderr, "evident:", err)
		return exitUsage
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(stderr, "evident: interrupted; nothing was committed")
		return exitInternal
	}
	fmt.Fprintln(stderr, "evident:", err)
	return exitInternal
}
