package main

import (
	"fmt"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/orbos/orbos/internal/kubeconfig"
)

// mergeDefault stands for --merge without a file: the kubeconfig kubectl uses.
const mergeDefault = "$KUBECONFIG"

func (a *app) kubeconfigCommand() *cobra.Command {
	var file, merge string
	c := &cobra.Command{
		Use:   "kubeconfig [--merge [FILE] | --file PATH]",
		Short: "Print the admin kubeconfig of the cluster orbos made, or merge it into a kubeconfig (mode 0600)",
		Long: `kubeconfig reads the admin kubeconfig of the cluster that orbos made with kubeadm from the ORB's
state (where it lives encrypted) and names its context and cluster after the ORB (the user
NAME-admin). Without flags it prints it to stdout. --merge adds it to a kubeconfig file (by default
the one kubectl uses: the first of $KUBECONFIG, else ~/.kube/config), replacing the ORB's own
entries, keeping every other, and makes the ORB's context the current one. --file writes it alone to
PATH. Files are written with mode 0600.`,
		Example: `  orbctl kubeconfig --merge && kubectl get nodes
  orbctl kubeconfig --merge ~/.kube/orbs
  orbctl kubeconfig > orb.conf
  orbctl kubeconfig --file ~/.kube/orb.conf`,
		// --merge FILE reads as --merge and an argument: take the argument as the file.
		Args: func(cmd *cobra.Command, args []string) error {
			if merge == mergeDefault && len(args) == 1 {
				merge = args[0]
				return nil
			}
			return noArgs(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if file != "" && merge != "" {
				return usageError{fmt.Errorf("--file and --merge exclude each other")}
			}
			orb, err := a.openSnapshot()
			if err != nil {
				return err
			}
			defer orb.Close()
			admin, err := orb.Kubeconfig(cmd.Context())
			if err != nil {
				return err
			}
			cfg, err := kubeconfig.Named([]byte(admin), orb.Name())
			if err != nil {
				return err
			}
			raw, err := kubeconfig.Bytes(cfg)
			if err != nil {
				return err
			}
			target := file
			switch {
			case merge != "":
				if target = merge; target == mergeDefault {
					target = kubeconfig.DefaultFile()
				}
				err = kubeconfig.Merge(target, cfg)
			case file != "":
				err = kubeconfig.WriteFile(file, raw)
			case a.s.Output == outputJSON:
				if raw, err = yaml.YAMLToJSON(raw); err == nil {
					_, err = fmt.Fprintf(a.out, "%s\n", raw)
				}
				return err
			default:
				_, err = a.out.Write(raw)
				return err
			}
			if err != nil {
				return err
			}
			if a.structured() {
				return a.print(map[string]string{"file": target, "context": orb.Name()})
			}
			if merge != "" {
				fmt.Fprintf(a.out, "merged the admin kubeconfig of %s into %s (mode 0600) as the context %s, now the current one\n", orb.Name(), target, orb.Name())
			} else {
				fmt.Fprintf(a.out, "wrote the admin kubeconfig of %s to %s (mode 0600), context %s\n", orb.Name(), target, orb.Name())
			}
			return nil
		},
	}
	c.Flags().StringVar(&file, "file", "", "write the kubeconfig alone to `PATH` (replacing it)")
	c.Flags().StringVar(&merge, "merge", "", "merge the kubeconfig into `FILE` (without one: kubectl's, the first of $KUBECONFIG, else ~/.kube/config)")
	c.Flags().Lookup("merge").NoOptDefVal = mergeDefault
	_ = c.MarkFlagFilename("file")
	_ = c.MarkFlagFilename("merge")
	return c
}
