package automation

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/orbos/orbos/automation/record"
	"github.com/orbos/orbos/internal/sshexec"
	"github.com/orbos/orbos/stacks"
)

// Machine returns how to log in to the static machine id: its address from the desired state, the
// ORB's SSH key, and its host key as pinned in the spec or as the provider trusted it first (from the
// state). A machine whose host key orbos does not know yet is refused: nothing would prove its identity.
func (o *Orb) Machine(ctx context.Context, id string) (sshexec.Target, error) {
	spec, err := o.loadSpec()
	if err != nil {
		return sshexec.Target{}, err
	}
	p := spec.File.Config.Orbiter.Providers
	if p == nil || p.Static == nil {
		return sshexec.Target{}, fmt.Errorf("the ORB %s has no static machines (node exec and ssh reach static machines)", o.name())
	}
	var t *sshexec.Target
	var known []string
	for _, ms := range p.Static.Pools {
		for _, m := range ms {
			known = append(known, m.ID)
			if m.ID == id {
				t = &sshexec.Target{Name: m.ID, Address: m.Address, Port: m.SSHPort, User: m.SSHUser, HostKey: m.HostKey}
			}
		}
	}
	if t == nil {
		return sshexec.Target{}, fmt.Errorf("no static machine %q in the ORB %s (it has: %v)", id, o.name(), known)
	}
	if t.HostKey == "" {
		t.HostKey = stateHostKey(o.Checkout(), o.name(), id)
	}
	if t.HostKey == "" {
		return sshexec.Target{}, fmt.Errorf("machine %s: %w: run `orbctl up` first, or pin it", id, ErrHostKeyUnknown)
	}
	key, err := o.GetConfig(ctx, stacks.KeySSHKey, true)
	if err != nil || key.Value == "" {
		return sshexec.Target{}, fmt.Errorf("the ORB's SSH key %s is not set: %v", stacks.KeySSHKey, err)
	}
	o.redactor.Add(key.Value)
	t.PrivateKey = key.Value
	return *t, nil
}

// ErrHostKeyUnknown means orbos does not know a machine's host key yet.
var ErrHostKeyUnknown = errors.New("its host key is neither pinned in the spec (hostKey) nor known from a run yet")

// stateHostKey finds the host key the provider trusted for machine id in the checkpoint.
func stateHostKey(dir, orb, id string) string {
	cp, err := record.ReadCheckpoint(dir, orb)
	if err != nil {
		return ""
	}
	return cp.HostKey(id)
}

// RequestNode writes a request for one machine into the desired state (orbos:orbiter.nodes.<id>.<what>,
// the time as its value) as one commit, pushed; the next run acts on it.
func (o *Orb) RequestNode(ctx context.Context, id, what string) (string, error) {
	if what != "reboot" && what != "replace" {
		return "", fmt.Errorf("unknown node request %q", what)
	}
	return o.SetConfig(ctx, fmt.Sprintf("%s.nodes.%s.%s", stacks.KeyOrbiter, id, what), time.Now().UTC().Format(time.RFC3339Nano), false)
}
