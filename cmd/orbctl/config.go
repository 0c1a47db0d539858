package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

func (a *app) configCommand() *cobra.Command {
	c := group(&cobra.Command{
		Use:   "config",
		Short: "Read and change the desired state (Pulumi.<orb>.yaml)",
		Long: `config reads and changes values of the desired state by key: a config namespace and key,
then a path into it, e.g. orbos:orbiter.kubernetes.version. Every change is validated with the
whole spec first, then committed and pushed as one commit; comments in the file stay.`,
	})
	c.AddCommand(a.configGetCommand(), a.configSetCommand())
	return c
}

func (a *app) configGetCommand() *cobra.Command {
	var reveal bool
	c := &cobra.Command{
		Use:     "get KEY",
		Short:   "Print one value of the desired state",
		Example: "  orbctl config get orbos:orbiter.kubernetes.version\n  orbctl config get orbos:kubeconfig --show-secrets",
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			orb, err := a.openSnapshot()
			if err != nil {
				return err
			}
			defer orb.Close()
			v, err := orb.GetConfig(a.ctx, args[0], reveal)
			if err != nil {
				return err
			}
			if a.structured() {
				return a.print(v)
			}
			fmt.Fprintln(a.out, v.Value)
			return nil
		},
	}
	c.Flags().BoolVar(&reveal, "show-secrets", false, "print secrets in plaintext instead of [secret]")
	return c
}

func (a *app) configSetCommand() *cobra.Command {
	var (
		secret   bool
		fromFile string
	)
	c := &cobra.Command{
		Use:   "set KEY [VALUE]",
		Short: "Change one value of the desired state: validated, committed, pushed",
		Long: `set changes one value. With --secret it is encrypted with the ORB's passphrase before it is
written. The value comes from the argument, from --from-file, or from stdin when neither is given
(so that a secret need not appear in the shell history).`,
		Example: `  orbctl config set orbos:orbiter.kubernetes.version v1.31.5
  orbctl config set --secret orbos:kubeconfig --from-file ~/.kube/config
  kubectl config view --raw --minify | orbctl config set --secret orbos:kubeconfig`,
		Args: rangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			var value string
			switch {
			case len(args) == 2 && fromFile != "":
				return usageError{fmt.Errorf("give the value as an argument or with --from-file, not both")}
			case len(args) == 2:
				value = args[1]
			case fromFile != "":
				b, err := readFlagFile(fromFile)
				if err != nil {
					return err
				}
				value = string(b)
			default:
				b, err := io.ReadAll(a.in)
				if err != nil {
					return fmt.Errorf("reading the value from stdin: %w", err)
				}
				value = string(b)
			}
			orb, err := a.open()
			if err != nil {
				return err
			}
			defer orb.Close()
			commit, err := orb.SetConfig(a.ctx, args[0], value, secret)
			if err != nil {
				return err
			}
			if a.structured() {
				return a.print(map[string]any{"key": args[0], "secret": secret, "commit": commit})
			}
			if commit == "" {
				fmt.Fprintf(a.out, "%s already had that value: no commit\n", args[0])
				return nil
			}
			fmt.Fprintf(a.out, "set %s: commit %.12s pushed; `orbctl up` applies it\n", args[0], commit)
			return nil
		},
	}
	c.Flags().BoolVar(&secret, "secret", false, "encrypt the value")
	c.Flags().StringVar(&fromFile, "from-file", "", "read the value from a file")
	_ = c.MarkFlagFilename("from-file")
	return c
}

func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := cobra.ExactArgs(n)(cmd, args); err != nil {
			return usageError{err}
		}
		return nil
	}
}

func minArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := cobra.MinimumNArgs(n)(cmd, args); err != nil {
			return usageError{err}
		}
		return nil
	}
}

func rangeArgs(min, max int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := cobra.RangeArgs(min, max)(cmd, args); err != nil {
			return usageError{err}
		}
		return nil
	}
}
