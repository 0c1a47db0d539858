package main

import (
	"github.com/spf13/cobra"

	"github.com/orbos/orbos/stacks"
)

func (a *app) schemaCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of the desired-state file, for editors",
		Long: `schema prints a JSON Schema (draft 2020-12) of Pulumi.<orb>.yaml: every field with its type,
documentation and whether it is required. Point your editor's YAML language server at it:
  # yaml-language-server: $schema=./orbos.schema.json`,
		Example: "  orbctl schema > orbos.schema.json",
		Args:    noArgs,
		RunE:    func(cmd *cobra.Command, args []string) error { return a.print(stacks.JSONSchema()) },
	}
}
