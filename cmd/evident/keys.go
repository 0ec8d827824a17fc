package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/crypto/ssh"

	"github.com/evident-project/evident/generator/blobsig"
)

// The files `evident keys generate` writes, named as the next steps and
// controls.yaml refer to them.
const (
	cosignKeyFile      = "cosign.key"
	cosignPubFile      = "cosign.pub"
	commitKeyFile      = "evidence-commit-key"
	commitPubFile      = "evidence-commit-key.pub"
	allowedSignersFile = "allowed_signers"
)

// keysGenerateOptions configure `evident keys generate`. The password is not
// a flag: like cosign, evident reads it from COSIGN_PASSWORD only, so it
// never lands in shell history or a process listing.
type keysGenerateOptions struct {
	Dir                string
	Force              bool
	Identity           string
	AllowEmptyPassword bool

	// Password is COSIGN_PASSWORD; PasswordSet tells unset from empty.
	Password    []byte
	PasswordSet bool
}

func (o *keysGenerateOptions) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Dir, "dir", ".", "folder to write the keys to (created if missing)")
	fs.BoolVar(&o.Force, "force", false, "replace key files that already exist")
	fs.StringVar(&o.Identity, "identity", "", "principal of the commit key in allowed_signers: name@domain, or a domain for evident@<domain> (default evident@<hostname>)")
	fs.BoolVar(&o.AllowEmptyPassword, "allow-empty-password", false, "accept an empty COSIGN_PASSWORD (cosign.key is then readable by anyone who has the file)")
}

// principal is the allowed_signers principal for the commit key.
func (o *keysGenerateOptions) principal() (string, error) {
	id := o.Identity
	if id == "" {
		host, err := os.Hostname()
		if err != nil || host == "" {
			return "", &usageError{fmt.Errorf("keys generate: cannot read the hostname (%v): pass --identity", err)}
		}
		id = host
	}
	if !strings.Contains(id, "@") {
		id = "evident@" + id
	}
	// allowed_signers separates principals with commas and fields with spaces.
	if strings.ContainsAny(id, " \t\r\n,\"'") || strings.HasPrefix(id, "@") || strings.HasSuffix(id, "@") {
		return "", &usageError{fmt.Errorf("keys generate: --identity %q is not a usable principal (name@domain, no spaces, commas or quotes)", o.Identity)}
	}
	return id, nil
}

func newKeysCmd(g *globalOptions) *cobra.Command {
	keys := &cobra.Command{
		Use:   "keys",
		Short: "Create the keys that sign evidence",
		Args:  noArgs,
	}
	o := &keysGenerateOptions{}
	gen := &cobra.Command{
		Use:   "generate",
		Short: "Write a cosign key pair for manifests and an SSH key pair for evidence commits",
		Long: `generate writes, into --dir:

  cosign.key, cosign.pub        the key pair that signs each snapshot's manifest.json,
                                exactly as ` + "`cosign generate-key-pair`" + ` writes it (ECDSA P-256,
                                the private key encrypted with COSIGN_PASSWORD), so the
                                cosign CLI can use both files too
  evidence-commit-key(.pub)     an Ed25519 OpenSSH key pair that signs evidence commits
  allowed_signers               the line that lets ` + "`git verify-commit`" + ` trust that key

The password comes from COSIGN_PASSWORD only. An empty one is refused unless
--allow-empty-password is given. Existing files are never replaced without
--force, and either every file is written or none is.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			pw, ok := os.LookupEnv("COSIGN_PASSWORD")
			o.Password, o.PasswordSet = []byte(pw), ok
			return generateKeys(*o, g.Config, cmd.OutOrStdout())
		},
	}
	o.addFlags(gen.Flags())
	keys.AddCommand(gen)
	return keys
}

// generateKeys writes both key pairs and allowed_signers into o.Dir and
// prints what it wrote and what to do with it; configPath is only named in
// the next steps.
func generateKeys(o keysGenerateOptions, configPath string, out io.Writer) error {
	switch {
	case !o.PasswordSet:
		return &usageError{errors.New("keys generate: COSIGN_PASSWORD is not set: export the password that will encrypt cosign.key (CI reads it from the same variable)")}
	case len(o.Password) == 0 && !o.AllowEmptyPassword:
		return &usageError{errors.New("keys generate: COSIGN_PASSWORD is empty: cosign.key would be readable by anyone who gets the file; set a password, or pass --allow-empty-password")}
	}
	principal, err := o.principal()
	if err != nil {
		return err
	}
	path := func(name string) string { return filepath.Join(o.Dir, name) }
	names := []string{cosignKeyFile, cosignPubFile, commitKeyFile, commitPubFile, allowedSignersFile}
	if !o.Force {
		var existing []string
		for _, n := range names {
			if _, err := os.Lstat(path(n)); err == nil {
				existing = append(existing, path(n))
			} else if !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("keys generate: %w", err)
			}
		}
		if len(existing) > 0 {
			return &usageError{fmt.Errorf("keys generate: refusing to overwrite %s: pass --force to replace them", strings.Join(existing, ", "))}
		}
	}

	cosignPriv, cosignPub, err := blobsig.GenerateKeyPair(o.Password)
	if err != nil {
		return fmt.Errorf("keys generate: %w", err)
	}
	commitPriv, commitPub, allowed, err := sshCommitKey(principal)
	if err != nil {
		return fmt.Errorf("keys generate: %w", err)
	}
	fingerprint, err := blobsig.PublicKeyFingerprint(cosignPub)
	if err != nil {
		return fmt.Errorf("keys generate: %w", err)
	}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return fmt.Errorf("keys generate: %w", err)
	}
	// The same modes cosign and ssh-keygen use: private halves for the owner only.
	err = writeAll([]keyFile{
		{path(cosignKeyFile), cosignPriv, 0o600},
		{path(cosignPubFile), cosignPub, 0o644},
		{path(commitKeyFile), commitPriv, 0o600},
		{path(commitPubFile), commitPub, 0o644},
		{path(allowedSignersFile), allowed, 0o644},
	})
	if err != nil {
		return fmt.Errorf("keys generate: %w", err)
	}

	auditor := blobsig.AuditorCommand("manifest.json", blobsig.BundleFileName,
		blobsig.VerifierConfig{PublicKeyPath: path(cosignPubFile), TrustedRootPath: blobsig.TrustedRootFileName})
	fmt.Fprintf(out, `wrote the manifest signing key pair (cosign, %s):
  %-32s private, encrypted with COSIGN_PASSWORD; keep it secret
  %-32s public
wrote the evidence commit signing key pair (SSH Ed25519, %s):
  %-32s private; keep it secret
  %-32s public
  %-32s trusts the commit key for git commits

next steps:
  1. Put the private keys in the CI secret store, never in a repository, and
     point the evidence job at them:
       EVIDENT_SIGNING_KEY=<path of %s>   COSIGN_PASSWORD=<its password>
       EVIDENT_COMMIT_SIGNING_KEY=<path of %s>
  2. Commit the public halves to the config repository and trust them in %s:
       integrity:
         manifest:
           key: %s
         commits:
           ssh_allowed_signers: [%s]
  3. Auditors check a snapshot's manifest with:
       %s
`,
		fingerprint, path(cosignKeyFile), path(cosignPubFile),
		principal, path(commitKeyFile), path(commitPubFile), path(allowedSignersFile),
		cosignKeyFile, commitKeyFile, configPath, path(cosignPubFile), path(allowedSignersFile), auditor)
	return nil
}

// sshCommitKey makes the Ed25519 key git signs evidence commits with
// (gpg.format=ssh), its public line, and its allowed_signers line.
func sshCommitKey(principal string) (private, public, allowedSigners []byte, err error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("ssh commit key: %w", err)
	}
	block, err := ssh.MarshalPrivateKey(priv, principal)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("ssh commit key: %w", err)
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("ssh commit key: %w", err)
	}
	line := strings.TrimSuffix(string(ssh.MarshalAuthorizedKey(sshPub)), "\n")
	return pem.EncodeToMemory(block), []byte(line + " " + principal + "\n"),
		[]byte(fmt.Sprintf("%s namespaces=\"git\" %s\n", principal, line)), nil
}

type keyFile struct {
	path string
	data []byte
	mode os.FileMode
}

// writeAll writes every file to a temporary name first and renames them only
// once all are written, so a failure leaves no half-made key set behind.
func writeAll(files []keyFile) (err error) {
	tmps := make([]string, 0, len(files))
	defer func() {
		if err != nil {
			for _, t := range tmps {
				os.Remove(t)
			}
		}
	}()
	for _, f := range files {
		tmp, err := os.CreateTemp(filepath.Dir(f.path), "."+filepath.Base(f.path)+".tmp-*")
		if err != nil {
			return err
		}
		tmps = append(tmps, tmp.Name())
		// Chmod before writing: a secret is never readable by others, even briefly.
		if err := tmp.Chmod(f.mode); err != nil {
			tmp.Close()
			return err
		}
		if _, err := tmp.Write(f.data); err != nil {
			tmp.Close()
			return err
		}
		if err := tmp.Close(); err != nil {
			return err
		}
	}
	for i, f := range files {
		if err := os.Rename(tmps[i], f.path); err != nil {
			return err
		}
	}
	return nil
}
