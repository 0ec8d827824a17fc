package main

import (
	"os"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/evident-project/evident/generator/blobsig"
	"github.com/evident-project/evident/generator/collect"
	"github.com/evident-project/evident/generator/pipeline"
)

// collectOptions tune the collector runner and say where the signing
// secrets are. Secrets never come from controls.yaml's reviewed text itself:
// key files are named by flag or environment, passwords only by environment.
type collectOptions struct {
	Parallelism      int
	Timeout          time.Duration
	Retries          int
	Quiet            bool
	SigningKey       string
	CommitSigningKey string
	CacheDir         string
}

func (o *collectOptions) addFlags(fs *pflag.FlagSet) {
	fs.IntVar(&o.Parallelism, "parallelism", 4, "collectors run at once")
	fs.DurationVar(&o.Timeout, "timeout", 5*time.Minute, "longest one collector attempt may run")
	fs.IntVar(&o.Retries, "retries", 2, "extra attempts for transient errors (timeouts, rate limits)")
	fs.BoolVarP(&o.Quiet, "quiet", "q", false, "print no progress")
	fs.StringVar(&o.CacheDir, "cache-dir", "", "where collectors keep ETag caches between runs (env EVIDENT_CACHE_DIR; default .git/evident-cache in the evidence repository); persist it in CI to spare the API rate limit")
	fs.StringVar(&o.SigningKey, "signing-key", "", "cosign private key that signs each manifest (env EVIDENT_SIGNING_KEY, password in COSIGN_PASSWORD; default integrity.manifest.signing_key)")
	fs.StringVar(&o.CommitSigningKey, "commit-signing-key", "", "OpenSSH or OpenPGP private key that signs each evidence commit (env EVIDENT_COMMIT_SIGNING_KEY; default integrity.commits.signing_key)")
}

func (o *collectOptions) pipeline(g *globalOptions, reg *collect.Registry, cmd *cobra.Command) pipeline.CollectOptions {
	opts := pipeline.CollectOptions{
		ConfigPath: g.Config, EvidenceDir: g.Evidence, Period: g.Period, Registry: reg,
		Parallelism: o.Parallelism, Timeout: o.Timeout, Retries: o.Retries,
	}
	if o.Retries == 0 {
		opts.Retries = -1 // the runner reads 0 as "default"
	}
	opts.CacheDir = firstNonEmpty(o.CacheDir, os.Getenv("EVIDENT_CACHE_DIR"))
	opts.SigningKey = firstNonEmpty(o.SigningKey, os.Getenv("EVIDENT_SIGNING_KEY"))
	opts.CommitSigningKey = firstNonEmpty(o.CommitSigningKey, os.Getenv("EVIDENT_COMMIT_SIGNING_KEY"))
	if pw, ok := os.LookupEnv("COSIGN_PASSWORD"); ok {
		opts.SigningPassword = []byte(pw)
	}
	// In GitHub Actions with id-token: write, keyless signing is available;
	// it is used only if controls.yaml declares integrity.manifest.keyless.
	if tok, err := blobsig.GitHubActionsTokenFromEnv(os.Getenv); err == nil {
		opts.Keyless = &blobsig.KeylessOptions{Token: tok}
	}
	if !o.Quiet {
		opts.Log = stderrOf(cmd)
	}
	return opts
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

func newCollectCmd(g *globalOptions, reg *collect.Registry) *cobra.Command {
	o := &collectOptions{}
	cmd := &cobra.Command{
		Use:   "collect",
		Short: "Run every collector and commit the evidence as one snapshot",
		Long: `collect runs the collectors declared in controls.yaml for the period and
commits the result as one snapshot in the evidence repository (created on first
use): one item file per source, manifest.json with every file's sha256 and the
previous manifest's digest, and a copy of the config. A collector that fails is
recorded as such (its controls become unknown). A run that fails or is killed
leaves the evidence repository exactly as it was.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := pipeline.Collect(cmd.Context(), o.pipeline(g, reg, cmd))
			return err
		},
	}
	o.addFlags(cmd.Flags())
	return cmd
}
