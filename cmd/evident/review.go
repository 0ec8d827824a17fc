package main

import (
	"fmt"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/evident-project/evident/generator/collect"
	"github.com/evident-project/evident/generator/pipeline"
)

// reviewStartOptions select the period and where its decisions file goes.
type reviewStartOptions struct {
	Period string
	At     string
	Out    string
}

func (o *reviewStartOptions) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Period, "period", "", "audit period to review, e.g. 2026-Q4 (default: the period of the snapshot at --at)")
	fs.StringVar(&o.At, "at", "HEAD", "evidence revision to read the privileged population from")
	fs.StringVar(&o.Out, "out", "", "file to write (default: the access_reviews.decisions glob with the period, e.g. access-reviews/2026-Q4.yaml beside controls.yaml)")
}

func newReviewCmd(g *globalOptions, reg *collect.Registry) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "review",
		Short: "Work with quarterly access reviews",
		Args:  noArgs,
	}
	o := &reviewStartOptions{}
	start := &cobra.Command{
		Use:   "start",
		Short: "Write the period's access-review decisions file, pre-filled with the privileged population",
		Long: `review start writes access-reviews/<period>.yaml in the config repository:
one entry per privileged (principal, access) pair of the period's latest
evidence snapshot (GitHub owners, repository admins and maintainers, members
without 2FA; Kubernetes cluster-admin equivalents, secret readers and those who
can escalate, bind or impersonate), each with an empty decision for a
reviewer to fill in: keep or revoke, reviewer, date, note. The previous
quarter's decision on a pair is shown as a comment beside it.

Run again to refresh the file after a new snapshot: decisions already made
are kept, new pairs are added, pairs no longer present are dropped. Commit the
file; the next run collects it and the access-review page shows completion.`,
		Example: "  evident review start --period 2026-Q4\n  git add access-reviews/2026-Q4.yaml && git commit -m 'access review 2026-Q4'",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			res, err := pipeline.ReviewStart(pipeline.ReviewStartOptions{
				EvidenceDir: g.Evidence, ConfigPath: g.Config, Period: o.Period, Rev: o.At, Out: o.Out, Registry: reg,
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %d privileged pairs from snapshot %s, %d decisions kept\n", res.Path, res.Pairs, res.Commit[:12], res.Kept)
			return nil
		},
	}
	o.addFlags(start.Flags())
	cmd.AddCommand(start)
	return cmd
}
