package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/evident-project/evident/generator/collect"
	"github.com/evident-project/evident/generator/pipeline"
)

func newValidateCmd(g *globalOptions, reg *collect.Registry) *cobra.Command {
	return &cobra.Command{
		Use:   "validate",
		Short: "Check controls.yaml strictly and report every error with file:line:col",
		Long: `validate loads controls.yaml strictly: unknown fields, duplicate ids, CEL
assertions that do not compile or type-check, and references to undeclared
sources or evidence are errors, each naming file:line:col and what to change.
Exit code 2 when the file is invalid.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cat, err := pipeline.LoadCatalog(g.Config, reg)
			if err != nil {
				return err
			}
			unavailable := 0
			for _, c := range cat.Controls {
				for _, ev := range c.Evidence {
					if _, ok := reg.Lookup(ev.Collector); !ok {
						unavailable++
					}
				}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: valid: %d controls, %d exceptions", g.Config, len(cat.Controls), len(cat.Exceptions))
			if unavailable > 0 {
				fmt.Fprintf(cmd.OutOrStdout(), "; %d evidence declarations name collectors this build does not have yet (they will show unknown)", unavailable)
			}
			fmt.Fprintln(cmd.OutOrStdout())
			return nil
		},
	}
}
