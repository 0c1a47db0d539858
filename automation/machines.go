package automation

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/orbos/orbos/automation/record"
	"github.com/orbos/orbos/internal/sshexec"
	"github.com/orbos/orbos/stacks"
)

// Machine returns how to log in to the static machine id: its address from the desired state, the
// ORB's SSH key, and its host key as pinned in the spec or as the provider trusted it first (from the
// state). A machine whose host key orbos does not know yet is refused: nothing would prove its identity.
func (o *Orb) Machine(ctx context.Context, id string) (sshexec.Target, error) {
	t, err := o.staticMachine(id)
	if err != nil {
		return sshexec.Target{}, err
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
	return t, nil
}

// HostKeys returns the host key the state pins for machine id (empty before the first run) and the
// one the machine presents now, read without logging in.
func (o *Orb) HostKeys(ctx context.Context, id string) (pinned, presented string, err error) {
	t, err := o.staticMachine(id)
	if err != nil {
		return "", "", err
	}
	pinned = stateHostKey(o.Checkout(), o.name(), id)
	if pinned == "" {
		pinned = t.HostKey
	}
	presented, err = sshexec.ScanHostKey(ctx, t.Address, t.Port, 10*time.Second)
	if err != nil {
		return pinned, "", fmt.Errorf("machine %s: %w", id, err)
	}
	return pinned, presented, nil
}

// staticMachine is the static machine id as the desired state describes it (no private key).
func (o *Orb) staticMachine(id string) (sshexec.Target, error) {
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
	if t.Port == 0 {
		t.Port = 22
	}
	if t.User == "" {
		t.User = "root"
	}
	return *t, nil
}

// ErrHostKeyUnknown means orbos does not know a machine's host key yet.
var ErrHostKeyUnknown = errors.New("its host key is neither pinned in the spec (hostKey) nor known from a run yet")

// stateHostKey finds the host key the state pins for machine id: its orbos:host:Machine resource's.
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

// TrustHostKey writes a trust request for machine id into the desired state
// (orbos:orbiter.nodes.<id>.trust, the SHA256 fingerprint of the key to accept) as one commit,
// pushed: the next run pins the machine's host key anew, if the machine presents that key.
func (o *Orb) TrustHostKey(ctx context.Context, id, fingerprint string) (string, error) {
	if !strings.HasPrefix(fingerprint, "SHA256:") {
		return "", fmt.Errorf("trust %s: %q is not a SHA256 fingerprint", id, fingerprint)
	}
	return o.SetConfig(ctx, fmt.Sprintf("%s.nodes.%s.trust", stacks.KeyOrbiter, id), fingerprint, false)
}
