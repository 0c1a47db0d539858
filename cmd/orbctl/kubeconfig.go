package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

func (a *app) kubeconfigCommand() *cobra.Command {
	var file string
	c := &cobra.Command{
		Use:   "kubeconfig --file PATH",
		Short: "Write the admin kubeconfig of the cluster orbos made to a file (mode 0600)",
		Long: `kubeconfig writes the admin kubeconfig of the cluster that orbos made with kubeadm to PATH,
readable only by its owner. The kubeconfig lives encrypted in the ORB's state; it is never printed.`,
		Example: "  orbctl kubeconfig --file ~/.kube/orb.conf\n  KUBECONFIG=~/.kube/orb.conf kubectl get nodes",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if file == "" {
				return usageError{fmt.Errorf("--file is required: the kubeconfig holds credentials and is never printed")}
			}
			orb, err := a.openSynced()
			if err != nil {
				return err
			}
			defer orb.Close()
			kc, err := orb.Kubeconfig(cmd.Context())
			if err != nil {
				return err
			}
			// Create it 0600 from the start, and tighten an existing file before writing.
			f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
			if err != nil {
				return fmt.Errorf("writing the kubeconfig: %w", err)
			}
			if err := f.Chmod(0o600); err != nil {
				f.Close()
				return fmt.Errorf("writing the kubeconfig: %w", err)
			}
			if _, err := f.WriteString(kc); err != nil {
				f.Close()
				return fmt.Errorf("writing the kubeconfig: %w", err)
			}
			if err := f.Close(); err != nil {
				return fmt.Errorf("writing the kubeconfig: %w", err)
			}
			if a.structured() {
				return a.print(map[string]string{"file": file})
			}
			fmt.Fprintf(a.out, "wrote the admin kubeconfig of %s to %s (mode 0600)\n", orb.Name(), file)
			return nil
		},
	}
	c.Flags().StringVar(&file, "file", "", "where to write the kubeconfig")
	return c
}
