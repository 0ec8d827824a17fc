package main

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/evident-project/evident/generator/collect"
	"github.com/evident-project/evident/generator/pipeline"
)

func newRunCmd(g *globalOptions, reg *collect.Registry) *cobra.Command {
	o := &collectOptions{}
	var packages bool
	cmd := &cobra.Command{
		Use:   "run",
		Short: "collect, then check, then build: the scheduled job",
		Long: `run is what the scheduled CI job runs: collect (one new snapshot), check
(printed as a table) and build (the site). Its exit code is check's.

` + exitCodesHelp,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, err := pipeline.Collect(cmd.Context(), o.pipeline(g, reg, cmd)); err != nil {
				return err
			}
			rep, err := pipeline.Build(pipeline.BuildOptions{EvidenceDir: g.Evidence, SiteDir: g.Site, Registry: reg, Log: stderrOf(cmd), ConfigPath: g.Config, Packages: packages,
				CacheDir: firstNonEmpty(o.CacheDir, os.Getenv("EVIDENT_CACHE_DIR"))})
			if err != nil {
				return err
			}
			if err := printReport(cmd.OutOrStdout(), rep, "table"); err != nil {
				return err
			}
			return reportExit(rep)
		},
	}
	o.addFlags(cmd.Flags())
	cmd.Flags().BoolVar(&packages, "packages", false, "also publish each period's evidence package (evident export) under <site>/packages/")
	return cmd
}
