package automation

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/orbos/orbos/automation/record"
	"github.com/orbos/orbos/automation/stackconfig"
	"github.com/orbos/orbos/components/static"
	"github.com/orbos/orbos/internal/sshkey"
	"github.com/orbos/orbos/stacks"
)

// loadSpec reads and validates the desired state and registers its secrets for redaction.
func (o *Orb) loadSpec() (*stacks.Spec, error) {
	f, raw, err := o.StackFile()
	if err != nil {
		return nil, err
	}
	spec, err := stacks.Parse(o.name(), raw)
	if err != nil {
		return nil, err
	}
	if err := o.decryptAndLearn(f); err != nil {
		return nil, err
	}
	return spec, nil
}

// loadSpecLearning is loadSpec for a run of the engine: the secrets are decrypted and learned
// beside the run (the passphrase's key derivation takes about as long as the engine takes to
// start, which derives it too), and the redactor holds back everything orbos prints until they
// are known. learned waits for them and says whether they opened.
func (o *Orb) loadSpecLearning() (spec *stacks.Spec, learned func() error, err error) {
	f, raw, err := o.StackFile()
	if err != nil {
		return nil, nil, err
	}
	if spec, err = stacks.Parse(o.name(), raw); err != nil {
		return nil, nil, err
	}
	done := make(chan error, 1)
	o.redactor.Learning(func() { done <- o.decryptAndLearn(f) })
	var once sync.Once
	var result error
	return spec, func() error {
		once.Do(func() { result = <-done })
		return result
	}, nil
}

func (o *Orb) decryptAndLearn(f *stackconfig.File) error {
	c, err := o.crypter(f)
	if err != nil {
		return err
	}
	secrets, err := f.DecryptAll(c)
	if err != nil {
		return err
	}
	o.learnSecrets(f, c, secrets)
	return nil
}

// ensureSSHKey gives an ORB that logs in to machines (GCE, or static machines it makes a cluster of)
// its own SSH key, generated with crypto/rand and stored encrypted in the desired state, as a commit
// of its own. Static machines must authorize its public key, which is printed.
func (o *Orb) ensureSSHKey(spec *stacks.Spec) (*stacks.Spec, error) {
	c := spec.File.Config
	gce := c.Orbiter.Providers != nil && c.Orbiter.Providers.GCE != nil
	if (!gce && !spec.MakesCluster()) || c.SSHKey.IsSet() {
		return spec, nil
	}
	private, public, err := sshkey.Generate("orbos-" + o.name())
	if err != nil {
		return nil, err
	}
	if err := o.commitGeneratedSecret(stacks.KeySSHKey, private, "the ORB's SSH key", ""); err != nil {
		return nil, err
	}
	if !gce {
		o.progressf("the static machines must accept it: add this line to root's ~/.ssh/authorized_keys on each:\n  %s\n", public)
	}
	return o.loadSpec()
}

// commitGeneratedSecret stores value, a secret orbctl just generated, encrypted under key in the
// desired state, says so (what names it, note follows), and commits it on its own.
func (o *Orb) commitGeneratedSecret(key, value, what, note string) error {
	f, _, err := o.StackFile()
	if err != nil {
		return err
	}
	cr, err := o.crypter(f)
	if err != nil {
		return err
	}
	o.redactor.Add(value)
	if err := f.Set(key, value, true, cr); err != nil {
		return err
	}
	raw, err := f.Bytes()
	if err != nil {
		return err
	}
	if err := os.WriteFile(o.stackFilePath(), raw, 0o644); err != nil {
		return fmt.Errorf("writing the desired state: %w", err)
	}
	o.progressf("generated %s (%s, encrypted)%s\n", what, key, note)
	_, err = o.repo.CommitAll(record.Message(fmt.Sprintf("orbos config %s: generate %s", o.name(), what), "", record.Trailers{
		record.KeyOperation: "config", record.KeyKey: key, record.KeyValue: "[secret]",
	}))
	return err
}

// preflight checks, before the engine runs, that every static machine is reachable and presents its
// pinned host key.
func (o *Orb) preflight(ctx context.Context, spec *stacks.Spec) error {
	// Nodes orbos made would all be reset if the spec stopped asking orbos to make the cluster (a
	// kubeconfig added, the control plane or the static provider removed): only destroy does that.
	cp, err := record.ReadCheckpoint(o.Checkout(), o.name())
	if err != nil {
		return err
	}
	if nodes, err := cp.Nodes(); err != nil {
		return err
	} else if len(nodes) > 0 && !spec.MakesCluster() {
		return &stacks.ValidationError{File: stacks.StackFileName(o.name()), Errors: []stacks.FieldError{{Path: "config." + stacks.KeyOrbiter,
			Message: fmt.Sprintf("orbos made this cluster on %d machines, and this spec would reset every one of them (it sets %s, or drops the control plane or the static provider); take the cluster down with `orbctl destroy` instead", len(nodes), stacks.KeyKubeconfig)}}}
	}
	p := spec.File.Config.Orbiter.Providers
	if p == nil || p.Static == nil {
		return nil
	}
	args := static.Args{Static: *p.Static}
	if cp := spec.Kubernetes().ControlPlane; cp != nil {
		args.ControlPlanePool, args.ControlPlaneNodes = cp.Pool, cp.Nodes
	}
	machines := static.Inventory(args)
	o.progressf("checking %d machines over SSH\n", len(machines))
	if err := static.Check(ctx, machines, 10*time.Second); err != nil {
		return fmt.Errorf("preflight: nothing was changed:\n%w", err)
	}
	return nil
}

// RemoteHead returns the commit the remote's branch points at, reading refs only (no fetch).
func (o *Orb) RemoteHead(ctx context.Context) (string, error) {
	return o.repo.RemoteBranchHead(ctx)
}

// DesiredSpec brings the checkout up to the remote and returns its validated desired state and a
// digest of the desired-state file, which changes only when the desired state does (unlike the
// branch head, which every state commit moves).
func (o *Orb) DesiredSpec(ctx context.Context) (*stacks.Spec, string, error) {
	if err := o.Sync(ctx); err != nil {
		return nil, "", err
	}
	raw, err := os.ReadFile(o.stackFilePath())
	if err != nil {
		return nil, "", fmt.Errorf("reading the desired state: %w", err)
	}
	h := sha256.New()
	h.Write(raw)
	// A commit to the trigger file asks for a run without changing the desired state.
	if trigger, err := os.ReadFile(filepath.Join(o.Checkout(), TriggerPath(o.name()))); err == nil {
		h.Write([]byte{0})
		h.Write(trigger)
	}
	spec, err := o.loadSpec()
	return spec, hex.EncodeToString(h.Sum(nil)), err
}

// TriggerPath is the file whose every change makes the reconciler run up.
func TriggerPath(orb string) string { return filepath.Join("trigger", orb) }
