package main

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/evident-project/evident/generator/collect"
	"github.com/evident-project/evident/generator/demo"
)

// demoOptions configure the embedded demo.
type demoOptions struct {
	Out   string
	Seed  int64
	Serve bool
	Addr  string
	// Kubeconfig and Context add a live cluster beside the bank's GitOps
	// folder, so the same Kubernetes controls also run against it.
	Kubeconfig string
	Context    string
}

func (o *demoOptions) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Out, "out", "./demo", "folder to build the demo in (replaced)")
	fs.Int64Var(&o.Seed, "seed", 1, "seed for the generated bank; the same seed gives the same evidence bytes")
	fs.BoolVar(&o.Serve, "serve", false, "serve the site on --addr after building it")
	fs.StringVar(&o.Addr, "addr", "127.0.0.1:8404", "address for --serve (loopback by default)")
	fs.StringVar(&o.Kubeconfig, "kubeconfig", "", "also run the Kubernetes controls live against this cluster (read-only: RBAC, admission, SubjectAccessReviews)")
	fs.StringVar(&o.Context, "context", "", "kubeconfig context for --kubeconfig (default: its current context)")
}

func newDemoCmd(reg *collect.Registry) *cobra.Command {
	o := &demoOptions{}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Build a complete demo for a fictional bank, offline",
		Long: `demo needs no token, cluster or network. It generates git repositories for a
fictional bank with two quarters of history (PGP-signed, SSH-signed, unsigned
and badly signed commits, and a key that expires mid-period), the bank's
GitHub organisation (served in-process, consistent with those repositories:
pull requests, reviews, CI, branch protection and rulesets, members and 2FA)
its release registry (one image signed with provenance and an SBOM, one
unsigned) and its production cluster's GitOps folder (RBAC and admission
manifests with the findings an auditor would raise), writes a controls.yaml for them from the default control pack,
runs collect at several simulated dates on the declared schedule (one run
deliberately missed) so the evidence repository has real, signed history,
then checks and builds the site, and prints the path of its index.html.
` + "`evident verify --config <out>/config/controls.yaml --evidence <out>/evidence`" + `
then verifies that history. With --kubeconfig, a live cluster is read
beside the GitOps folder and the Kubernetes controls show both.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			res, err := demo.Build(cmd.Context(), demo.Options{
				Out: o.Out, Seed: o.Seed, Registry: reg, Log: stderrOf(cmd), Kubeconfig: o.Kubeconfig, KubeContext: o.Context,
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "demo config:   %s\ndemo evidence: %s\ndemo site:     %s\n", res.ConfigPath, res.EvidenceDir, res.Index)
			if !o.Serve {
				return nil
			}
			ln, err := net.Listen("tcp", o.Addr)
			if err != nil {
				return &usageError{fmt.Errorf("--addr %s: %w", o.Addr, err)}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "serving http://%s/ (Ctrl-C to stop)\n", ln.Addr())
			srv := &http.Server{Handler: http.FileServer(http.Dir(res.SiteDir)), ReadHeaderTimeout: 10 * time.Second}
			go func() {
				<-cmd.Context().Done()
				srv.Close()
			}()
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		},
	}
	o.addFlags(cmd.Flags())
	return cmd
}
