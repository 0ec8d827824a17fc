package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/evident-project/evident/generator/collect"
	"github.com/evident-project/evident/generator/pipeline"
)

// verifyOptions select where verification starts and how it reports.
type verifyOptions struct {
	At         string
	Checkpoint string
	Output     string
}

func (o *verifyOptions) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.At, "at", "HEAD", "evidence revision to verify back from: HEAD, a commit, a tag")
	fs.StringVar(&o.Checkpoint, "checkpoint", "", "manifest sha256 the history must contain (overrides integrity.checkpoint)")
	fs.StringVarP(&o.Output, "output", "o", "table", "output format: table or json")
}

func (o *verifyOptions) validate() error {
	if o.Output != "table" && o.Output != "json" {
		return &usageError{fmt.Errorf("--output %q: want table or json", o.Output)}
	}
	return nil
}

func newVerifyCmd(g *globalOptions, reg *collect.Registry) *cobra.Command {
	o := &verifyOptions{}
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Verify the evidence repository's whole history: files, hash chain, signatures, checkpoint, schedule",
		Long: `verify walks every snapshot from --at back to the first and checks that:
  - every file's sha256 and size match the manifest, and no file is unlisted;
  - each manifest links to the one below it (the hash chain is unbroken);
  - each manifest's cosign signature verifies for the trusted key or identity;
  - each commit's signature verifies for the trusted commit keys;
  - the pinned checkpoint manifest is still in the history.
Trust comes from the integrity section of --config (the reviewed config). If
that file does not exist, the keys recorded in the evidence are used and the
report says so. Scheduled runs missing from the history (integrity.schedule)
are listed as findings; they do not fail verification.

Exit codes: 0 every check held; 1 a check failed (each failure names the
commit, the file and what is wrong); 2 usage or config error; 4 the
repository could not be read.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.validate(); err != nil {
				return err
			}
			res, err := pipeline.Verify(cmd.Context(), pipeline.VerifyOptions{
				EvidenceDir: g.Evidence, ConfigPath: g.Config, Rev: o.At,
				Checkpoint: o.Checkpoint, Registry: reg, Now: time.Now(),
			})
			if err != nil {
				return err
			}
			if o.Output == "json" {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				if err := enc.Encode(res); err != nil {
					return err
				}
			} else {
				printVerify(cmd.OutOrStdout(), cmd.ErrOrStderr(), res)
			}
			if !res.OK {
				return &exitError{code: exitFail}
			}
			return nil
		},
	}
	o.addFlags(cmd.Flags())
	return cmd
}

func printVerify(w, stderr io.Writer, r *pipeline.VerifyResult) {
	if r.TrustFromEvidence {
		fmt.Fprintln(stderr, "evident: warning: no reviewed controls.yaml at --config; trusting the keys recorded in the evidence itself, which whoever rewrote the evidence could also have replaced")
	}
	fmt.Fprintf(w, "evidence history: %d snapshots, head %s\n", len(r.Snapshots), short(r.Head))
	fmt.Fprintf(w, "trust: %s\n", describeTrust(r))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tCOMMIT\tSTARTED\tPERIOD\tFILES\tMANIFEST SIGNED BY\tCOMMIT SIGNED BY\tRESULT")
	for _, s := range r.Snapshots {
		result := "ok"
		if n := len(s.Problems); n > 0 {
			result = fmt.Sprintf("%d problem(s)", n)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", s.Sequence, short(s.Commit), s.Started.Format("2006-01-02 15:04"),
			s.Period, s.Files, brief(s.ManifestSigner), brief(s.CommitSigner), result)
	}
	tw.Flush()
	if c := r.Checkpoint; c != nil {
		if c.Found {
			fmt.Fprintf(w, "checkpoint %s: found at snapshot #%d (%s)\n", c.SHA256, c.Sequence, short(c.Commit))
		} else {
			fmt.Fprintf(w, "checkpoint %s: NOT in the history\n", c.SHA256)
		}
	}
	if len(r.Problems) > 0 {
		fmt.Fprintf(w, "\nproblems (%d):\n", len(r.Problems))
		for _, p := range r.Problems {
			fmt.Fprintf(w, "  %s\n", p)
		}
	}
	if r.Integrity.Schedule != "" {
		fmt.Fprintf(w, "\nschedule %q: %d scheduled run(s) missing (a finding, not an integrity failure)\n", r.Integrity.Schedule, len(r.Gaps))
		for _, g := range r.Gaps {
			fmt.Fprintf(w, "  missing run due %s\n", g.Due.Format(time.RFC3339))
		}
	}
	fmt.Fprintf(w, "\nlatest manifest sha256 (pin it as integrity.checkpoint): %s\n", r.LatestManifest)
	if r.OK {
		fmt.Fprintf(w, "verified: every check held for all %d snapshots (%d distinct files hashed)\n", len(r.Snapshots), r.FilesHashed)
	} else {
		fmt.Fprintf(w, "FAILED: %d problem(s)\n", len(r.Problems))
	}
}

func describeTrust(r *pipeline.VerifyResult) string {
	var parts []string
	m := r.Integrity.Manifest
	switch {
	case m.Key != "":
		parts = append(parts, "manifests signed by the cosign key "+m.Key)
	case m.IsKeyless():
		parts = append(parts, "manifests signed keylessly by "+m.Keyless.String())
	default:
		parts = append(parts, "no manifest key or identity declared")
	}
	c := r.Integrity.Commits
	if keys := append(append([]string{}, c.SSHAllowedSigners...), c.PGP...); len(keys) > 0 {
		parts = append(parts, "commits signed by a key in "+strings.Join(keys, ", "))
	} else {
		parts = append(parts, "no commit keys declared")
	}
	return strings.Join(parts, "; ")
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

// brief shortens a signer for the table: long fingerprints are cut to 16
// hex digits and parenthesised key ids dropped; -o json has them whole.
func brief(s string) string {
	if s == "" {
		return "-"
	}
	if i := strings.Index(s, " ("); i > 0 {
		s = s[:i]
	}
	if i := strings.Index(s, "sha256:"); i >= 0 && len(s) > i+7+16 {
		s = s[:i+7+16] + "…"
	}
	return s
}
