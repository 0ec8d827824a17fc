package main

import (
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/evident-project/evident/generator/collect"
	"github.com/evident-project/evident/generator/pipeline"
)

// buildOptions select the snapshot and how much history to show.
type buildOptions struct {
	At       string
	History  int
	Packages bool
	CacheDir string
}

func (o *buildOptions) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.At, "at", "HEAD", "evidence revision to render")
	fs.IntVar(&o.History, "history", 20, "runs shown in each control's history")
	fs.BoolVar(&o.Packages, "packages", false, "also publish each period's evidence package (evident export) under <site>/packages/")
	fs.StringVar(&o.CacheDir, "cache-dir", "", "where verification and history results are kept between builds (env EVIDENT_CACHE_DIR; default .git/evident-cache in the evidence repository); persist it, and the site folder, in CI so a daily build renders only what changed")
}

func newBuildCmd(g *globalOptions, reg *collect.Registry) *cobra.Command {
	o := &buildOptions{}
	cmd := &cobra.Command{
		Use:   "build",
		Short: "Render the static site from the evidence repository",
		Long: `build renders the site into --site from the evidence repository alone: a
dashboard, a page per control with its assertions, evidence and history, the
findings, and an evidence index with every raw file copied byte for byte. The
site loads no network assets and works from file:// or any static host.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := pipeline.Build(pipeline.BuildOptions{
				EvidenceDir: g.Evidence, SiteDir: g.Site, Rev: o.At, Registry: reg, History: o.History, Log: stderrOf(cmd),
				ConfigPath: g.Config, Packages: o.Packages, CacheDir: firstNonEmpty(o.CacheDir, os.Getenv("EVIDENT_CACHE_DIR")),
			})
			return err
		},
	}
	o.addFlags(cmd.Flags())
	return cmd
}
