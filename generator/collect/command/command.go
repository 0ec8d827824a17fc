// Package command is the collector for evidence only a program can produce
// (an RBAC verification script, a cloud CLI query) where no dedicated
// collector exists yet.
package command

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/evident-project/evident/generator/collect"
)

//go:embed def.yml
var defYAML []byte

const (
	maxStdout = 1 << 20
	maxStderr = 64 << 10
)

// Collector runs a declared command.
type Collector struct{ def collect.Def }

// New returns the command collector.
func New() collect.Collector {
	return &Collector{def: collect.MustParseDef(defYAML)}
}

// Def returns the collector's metadata.
func (c *Collector) Def() collect.Def { return c.def }

// Data is the evidence the collector produces.
type Data struct {
	Argv     []string `json:"argv"`
	ExitCode int      `json:"exit_code"`
	Stdout   any      `json:"stdout"`
	Stderr   string   `json:"stderr"`
}

// startError names the program as declared, not its resolved absolute path,
// so the evidence reads the same wherever the config repository is checked out.
func startError(prog string, err error) error {
	var pe *fs.PathError
	var ee *exec.Error
	switch {
	case errors.As(err, &ee):
		err = ee.Err
	case errors.As(err, &pe):
		err = pe.Err
	}
	return fmt.Errorf("cannot start %s: %w", prog, err)
}

// Collect runs the command and records what it printed.
func (c *Collector) Collect(ctx context.Context, req collect.Request) (*collect.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, collect.Errorf(collect.KindCanceled, "collect command", err)
	}
	var argv []string
	raw, _ := req.Params["argv"].([]any)
	for _, a := range raw {
		s, ok := a.(string)
		if !ok {
			argv = nil
			break
		}
		argv = append(argv, s)
	}
	if len(argv) == 0 {
		return nil, collect.Errorf(collect.KindInvalid, "collect command: params.argv", errors.New("want a non-empty list of strings"))
	}
	step := "collect command " + strings.Join(argv, " ")
	timeout := 60 * time.Second
	if s, ok := req.Params["timeout"].(string); ok {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			return nil, collect.Errorf(collect.KindInvalid, step+": params.timeout", fmt.Errorf("%q is not a positive duration such as 30s", s))
		}
		timeout = d
	}
	parse, _ := req.Params["parse"].(string)
	if parse != "" && parse != "text" && parse != "json" {
		return nil, collect.Errorf(collect.KindInvalid, step+": params.parse", fmt.Errorf("%q: want text or json", parse))
	}
	dir := req.BaseDir
	if d, ok := req.Params["dir"].(string); ok && d != "" {
		dir = filepath.Join(req.BaseDir, d)
	}
	prog := argv[0]
	if strings.Contains(prog, "/") && !filepath.IsAbs(prog) {
		prog = filepath.Join(dir, prog)
	}
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(rctx, prog, argv[1:]...)
	cmd.Dir = dir
	cmd.WaitDelay = 2 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	data := Data{Argv: argv}
	var exitErr *exec.ExitError
	switch {
	case ctx.Err() != nil:
		return nil, collect.Errorf(collect.KindCanceled, step, ctx.Err())
	case rctx.Err() != nil:
		return nil, collect.Errorf(collect.KindTransient, step, fmt.Errorf("timed out after %s", timeout))
	case errors.As(err, &exitErr):
		data.ExitCode = exitErr.ExitCode()
	case err != nil:
		return nil, collect.Errorf(collect.KindNotFound, step, startError(argv[0], err))
	}
	out := stdout.Bytes()
	if len(out) > maxStdout {
		out = out[:maxStdout]
	}
	errb := stderr.Bytes()
	if len(errb) > maxStderr {
		errb = errb[:maxStderr]
	}
	data.Stderr = string(errb)
	data.Stdout = string(out)
	if parse == "json" {
		var v any
		if err := json.Unmarshal(out, &v); err != nil {
			return nil, collect.Errorf(collect.KindInvalid, step+": parse stdout as json", err)
		}
		data.Stdout = v
	}
	prov := collect.Provenance{
		Collector: c.def.Name, Version: c.def.Version,
		Source:   map[string]string{"argv": strings.Join(argv, " ")},
		Reads:    []collect.Read{{Method: "exec", Target: strings.Join(argv, " "), Status: fmt.Sprintf("exit %d", data.ExitCode)}},
		Records:  map[string]int{"stdout_bytes": len(out)},
		Complete: len(stdout.Bytes()) <= maxStdout,
	}
	if !prov.Complete {
		prov.Notes = append(prov.Notes, "standard output exceeded 1 MiB and was truncated")
	}
	return &collect.Result{Data: data, Provenance: prov}, nil
}
