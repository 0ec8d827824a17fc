package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"github.com/evident-project/evident/generator/collect/all"
)

// globalOptions are the flags every command shares. viper layers them:
// flag > EVIDENT_* environment variable > evident.yaml settings file > default.
type globalOptions struct {
	Config   string
	Evidence string
	Site     string
	Period   string
}

func (o *globalOptions) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Config, "config", "controls.yaml", "the controls.yaml to use (env EVIDENT_CONFIG)")
	fs.StringVar(&o.Evidence, "evidence", "./evidence", "the evidence git repository (env EVIDENT_EVIDENCE)")
	fs.StringVar(&o.Site, "site", "./site", "where the static site is built (env EVIDENT_SITE)")
	fs.StringVar(&o.Period, "period", "", "audit period, e.g. 2026-Q4 (env EVIDENT_PERIOD; default: the current fiscal quarter)")
}

// load resolves each option from viper, which sees flags, environment and
// the optional settings file.
func (o *globalOptions) load(v *viper.Viper) {
	o.Config = v.GetString("config")
	o.Evidence = v.GetString("evidence")
	o.Site = v.GetString("site")
	o.Period = v.GetString("period")
}

// settingsFile is the optional settings file read from the working folder.
const settingsFile = "evident.yaml"

func newViper(fs *pflag.FlagSet) (*viper.Viper, error) {
	v := viper.New()
	v.SetEnvPrefix("EVIDENT")
	v.SetEnvKeyReplacer(strings.NewReplacer("-", "_"))
	v.AutomaticEnv()
	if err := v.BindPFlags(fs); err != nil {
		return nil, err
	}
	// Only evident.yaml itself: viper's name search would also take a file
	// called just "evident" — the binary, when run from its own folder.
	if _, err := os.Stat(settingsFile); err == nil {
		v.SetConfigFile(settingsFile)
		if err := v.ReadInConfig(); err != nil {
			return nil, &usageError{fmt.Errorf("read settings file %s: %w", settingsFile, err)}
		}
	}
	return v, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRootCmd(stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	return exitCode(err, stderr)
}

func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	g := &globalOptions{}
	reg := all.Registry()
	root := &cobra.Command{
		Use:   "evident",
		Short: "SOX 404 ITGC evidence: collect, commit, check, publish",
		Long: `evident runs the evidence collectors declared in controls.yaml, commits each
run as one hash-chained snapshot in an evidence git repository, evaluates every
control's assertions against that evidence, and renders a static site for
auditors, control owners and the CFO/CIO.

Typical scheduled job:   evident run
Try it without setup:    evident demo

` + exitCodesHelp,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			v, err := newViper(cmd.Flags())
			if err != nil {
				return err
			}
			g.load(v)
			return nil
		},
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })
	g.addFlags(root.PersistentFlags())
	root.AddCommand(
		newValidateCmd(g, reg),
		newCollectCmd(g, reg),
		newCheckCmd(g, reg),
		newBuildCmd(g, reg),
		newRunCmd(g, reg),
		newVerifyCmd(g, reg),
		newExportCmd(g, reg),
		newReviewCmd(g, reg),
		newDemoCmd(reg),
		newKeysCmd(g),
		newVersionCmd(),
	)
	return root
}

// noArgs rejects positional arguments as a usage error (exit 2).
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return &usageError{fmt.Errorf("%s takes no arguments, got %q", cmd.CommandPath(), args)}
	}
	return nil
}

func stderrOf(cmd *cobra.Command) io.Writer {
	if w := cmd.ErrOrStderr(); w != nil {
		return w
	}
	return os.Stderr
}
