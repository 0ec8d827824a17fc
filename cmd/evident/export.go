package main

import (
	"fmt"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/evident-project/evident/generator/collect"
	"github.com/evident-project/evident/generator/pipeline"
)

// exportOptions select the period to package and where to write it.
type exportOptions struct {
	Period string
	Out    string
	At     string
}

func (o *exportOptions) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Period, "period", "", "audit period to package, e.g. 2026-Q4 (required)")
	fs.StringVar(&o.Out, "out", ".", "folder to write <name>.tar.gz and <name>.zip into")
	fs.StringVar(&o.At, "at", "HEAD", "evidence revision to look for the period's snapshots from")
}

func newExportCmd(g *globalOptions, reg *collect.Registry) *cobra.Command {
	o := &exportOptions{}
	cmd := &cobra.Command{
		Use:   "export --period PERIOD",
		Short: "Write the auditor's evidence package for a period (.tar.gz and .zip)",
		Long: `export packages one audit period for auditors, as it stood at the period's
closing snapshot (its last collection): the period's evidence files, the
manifest, its signature bundle and the trusted keys, every manifest and
signature of the period for the hash chain, the rendered site (readiness
checklist, access review, attestation drafts, findings, samples), an INDEX.md
that maps the evidence auditors request to files, VERIFY.md, and SHA256SUMS
over everything. The archives' bytes depend only on the evidence: exporting
the same period twice gives identical files.`,
		Example: "  evident export --period 2026-Q4 --out ./packages",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.Period == "" {
				return &usageError{fmt.Errorf("--period is required, e.g. --period 2026-Q4")}
			}
			res, err := pipeline.Export(pipeline.ExportOptions{
				EvidenceDir: g.Evidence, Period: o.Period, OutDir: o.Out, Rev: o.At, Registry: reg,
				ConfigPath: g.Config, Log: stderrOf(cmd),
			})
			if err != nil {
				return err
			}
			for _, a := range res.Archives {
				fmt.Fprintln(cmd.OutOrStdout(), a)
			}
			return nil
		},
	}
	o.addFlags(cmd.Flags())
	return cmd
}
