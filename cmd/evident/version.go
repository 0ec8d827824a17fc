package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/evident-project/evident/generator/version"
)

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit and build date",
		Args:  noArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			date := version.Date
			if date == "" {
				date = "unknown"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "evident %s (commit %s, built %s)\n", version.String(), version.Revision(), date)
		},
	}
}
