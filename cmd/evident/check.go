package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/evident-project/evident/generator/check"
	"github.com/evident-project/evident/generator/collect"
	"github.com/evident-project/evident/generator/pipeline"
)

// checkOptions select the snapshot and the output format.
type checkOptions struct {
	At     string
	Output string
}

func (o *checkOptions) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.At, "at", "HEAD", "evidence revision to check: HEAD, a commit, HEAD~3, a tag")
	fs.StringVarP(&o.Output, "output", "o", "table", "output format: table or json")
}

func (o *checkOptions) validate() error {
	if o.Output != "table" && o.Output != "json" {
		return &usageError{fmt.Errorf("--output %q: want table or json", o.Output)}
	}
	return nil
}

func newCheckCmd(g *globalOptions, reg *collect.Registry) *cobra.Command {
	o := &checkOptions{}
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Evaluate every control against a snapshot and print the outcomes",
		Long: `check evaluates every assertion against the evidence snapshot at --at, using
the controls.yaml stored in that snapshot, so a past commit re-checks exactly
as it was. Outcomes: pass, fail, unknown (evidence missing, failed or
incomplete: never pass), not_applicable, excepted (a failure covered by an
approved, unexpired exception).

` + exitCodesHelp,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.validate(); err != nil {
				return err
			}
			rep, _, err := pipeline.CheckAt(g.Evidence, o.At, reg)
			if err != nil {
				return err
			}
			if err := printReport(cmd.OutOrStdout(), rep, o.Output); err != nil {
				return err
			}
			return reportExit(rep)
		},
	}
	o.addFlags(cmd.Flags())
	return cmd
}

// reportExit maps a report to the documented exit codes.
func reportExit(rep *check.Report) error {
	switch {
	case rep.Summary.Key[check.Fail] > 0:
		return &exitError{code: exitFail}
	case rep.Summary.Key[check.Unknown] > 0:
		return &exitError{code: exitUnknown}
	}
	return nil
}

func printReport(w io.Writer, rep *check.Report, format string) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	s := rep.Snapshot
	fmt.Fprintf(w, "snapshot #%d %s, period %s, as of %s\n\n", s.Sequence, s.Commit[:12], s.Period, s.AsOf.Format("2006-01-02 15:04 MST"))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CONTROL\tKEY\tOUTCOME\tTITLE\tWHY")
	for _, c := range rep.Controls {
		key := ""
		if c.Key {
			key = "key"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", c.ID, key, c.Outcome, c.Title, clip(c.Reason, 90))
	}
	tw.Flush()
	fmt.Fprintf(w, "\n%d controls: %s\n", rep.Summary.Total, counts(rep.Summary.Controls))
	fmt.Fprintf(w, "%d key controls: %s\n", rep.Summary.KeyTotal, counts(rep.Summary.Key))
	return nil
}

func counts(m map[check.Outcome]int) string {
	var parts []string
	for _, o := range check.Outcomes {
		if m[o] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", m[o], o))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

func clip(s string, n int) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
