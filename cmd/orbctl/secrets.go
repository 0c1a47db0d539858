package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func (a *app) secretsCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "secrets",
		Short: "List the secrets of the desired state (names only)",
	}
	c.AddCommand(&cobra.Command{
		Use:   "list",
		Short: "List the keys that hold encrypted values; never their values",
		Long: `list names every key of the desired state whose value is encrypted. Read one with
orbctl config get KEY --show-secrets; change one with orbctl config set --secret KEY.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			orb, err := a.open()
			if err != nil {
				return err
			}
			defer orb.Close()
			keys, err := orb.Secrets(a.ctx)
			if err != nil {
				return err
			}
			if a.json() {
				if keys == nil {
					keys = []string{}
				}
				return a.printJSON(keys)
			}
			for _, k := range keys {
				fmt.Fprintln(a.out, k)
			}
			return nil
		},
	})
	return c
}
