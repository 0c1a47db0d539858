package automation

import (
	"context"
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/orbos/orbos/automation/record"
)

// Status is status/<orb>.yaml (see record.Status).
type Status = record.Status

// ReadStatus reads status/<orb>.yaml from a checkout; nil when no run has written it yet.
func ReadStatus(dir, orb string) (*Status, error) { return record.ReadStatus(dir, orb) }

func writeStatus(dir string, s *Status, redact func(string) string) error {
	return record.WriteStatus(dir, s, redact)
}

// StatePath is the Pulumi checkpoint of an ORB inside its checkout.
func StatePath(orb string) string { return record.StatePath(orb) }

// Inventory returns the machines recorded in the checkout's state (the stack output "inventory"):
// it needs no cloud access.
func Inventory(dir, orb string) ([]map[string]any, error) {
	cp, err := record.ReadCheckpoint(dir, orb)
	if err != nil {
		return nil, err
	}
	return cp.Inventory(), nil
}

// Kubeconfig returns the admin kubeconfig of the cluster orbos made (the stack output "kubeconfig",
// decrypted with the ORB's passphrase). It never prints it: the caller writes it where asked.
func (o *Orb) Kubeconfig(ctx context.Context) (string, error) {
	ws, err := o.workspace()
	if err != nil {
		return "", err
	}
	defer ws.close()
	s, err := ws.stack(ctx, o.name(), func(*pulumi.Context) error { return nil }, o.Redact)
	if err != nil {
		return "", err
	}
	out, err := s.Outputs(ctx)
	if err != nil {
		return "", fmt.Errorf("reading the ORB's outputs: %s", o.Redact(err.Error()))
	}
	kc, _ := out["kubeconfig"].Value.(string)
	if kc == "" {
		return "", fmt.Errorf("the ORB %s has no kubeconfig output: orbos makes clusters on static machines without an orbos:kubeconfig, after a successful up", o.name())
	}
	return kc, nil
}
