package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/orbos/orbos/automation"
	"github.com/orbos/orbos/automation/orbconfig"
)

func (a *app) secretsCommand() *cobra.Command {
	c := group(&cobra.Command{
		Use:   "secrets",
		Short: "List the secrets of the desired state (names only)",
	})
	c.AddCommand(&cobra.Command{
		Use:   "list",
		Short: "List the keys that hold encrypted values; never their values",
		Long: `list names every key of the desired state whose value is encrypted. Read one with
orbctl config get KEY --show-secrets; change one with orbctl config set --secret KEY.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			orb, err := a.openSnapshot()
			if err != nil {
				return err
			}
			defer orb.Close()
			keys, err := orb.Secrets(a.ctx)
			if err != nil {
				return err
			}
			if a.structured() {
				if keys == nil {
					keys = []string{}
				}
				return a.print(keys)
			}
			for _, k := range keys {
				fmt.Fprintln(a.out, k)
			}
			return nil
		},
	})
	c.AddCommand(a.secretsRotateCommand())
	return c
}

func (a *app) secretsRotateCommand() *cobra.Command {
	var from string
	c := &cobra.Command{
		Use:   "rotate",
		Short: "Re-encrypt every secret under a new passphrase and rewrite the orbconfig",
		Long: `rotate takes the ORB lock and re-encrypts every secret of the ORB under a new passphrase: the
desired state's (with a new encryptionsalt) and every secret of Pulumi's state, in one commit,
pushed. The new passphrase is 32 random bytes (crypto/rand) unless --passphrase-file names a file
holding it ("-": read it from stdin). The new orbconfig is staged next to the old one (mode 0600)
before the push and renamed over it once the remote has the commit; after takeoff, the in-cluster
orbconfig Secret gets it too and the reconciler restarts with it. A failed push changes nothing.
Copies of the old orbconfig open the ORB's history, never its new commits.`,
		Example: "  orbctl secrets rotate\n  pwgen -s 40 1 | orbctl secrets rotate --passphrase-file -",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			passphrase, err := a.newPassphrase(from)
			if err != nil {
				return err
			}
			cfg, err := orbconfig.Load(a.s.Orbconfig)
			if err != nil {
				return usageError{err}
			}
			// The new orbconfig exists (0600) before the push: never is the remote re-encrypted
			// while the new passphrase lives only in this process.
			staged := a.s.Orbconfig + ".rotating"
			next := *cfg
			next.Passphrase = passphrase
			if err := next.Save(staged); err != nil {
				return err
			}
			orb, err := a.open()
			if err != nil {
				os.Remove(staged)
				return err
			}
			defer orb.Close()
			rot, err := orb.RotatePassphrase(cmd.Context(), passphrase, func(*orbconfig.Config) error {
				return os.Rename(staged, a.s.Orbconfig)
			})
			var unknown *automation.RotationUnknownError
			if errors.As(err, &unknown) {
				return fmt.Errorf("%w; the new orbconfig is kept in %s", err, staged)
			}
			os.Remove(staged)
			if err != nil {
				return err
			}
			if a.structured() {
				return a.print(rot)
			}
			fmt.Fprintf(a.out, "re-encrypted %d secrets of the desired state and %d state files in %.12s; %s now holds the new passphrase\n",
				rot.Secrets, rot.StateFiles, rot.Commit, a.s.Orbconfig)
			if rot.ClusterSecret {
				fmt.Fprintln(a.out, "the in-cluster orbconfig Secret holds it too; the reconciler restarts with it")
			}
			return nil
		},
	}
	c.Flags().StringVar(&from, "passphrase-file", "", `file holding the new passphrase ("-": stdin); default a random one`)
	return c
}

// newPassphrase reads the new passphrase from path ("-": stdin), or makes one with crypto/rand.
func (a *app) newPassphrase(path string) (string, error) {
	var raw []byte
	var err error
	switch path {
	case "":
		return orbconfig.GeneratePassphrase()
	case "-":
		raw, err = io.ReadAll(io.LimitReader(a.in, 4096))
	default:
		raw, err = os.ReadFile(path)
	}
	if err != nil {
		return "", usageError{fmt.Errorf("reading the new passphrase: %w", err)}
	}
	p := strings.TrimRight(string(raw), "\r\n")
	if len(p) < automation.MinPassphraseLength || strings.ContainsAny(p, "\n\x00") {
		return "", usageError{fmt.Errorf("the new passphrase must be one line of at least %d characters", automation.MinPassphraseLength)}
	}
	return p, nil
}
