package automation

import (
	"fmt"
	"os"

	"github.com/orbos/orbos/automation/record"
	"github.com/orbos/orbos/components/zitadel"
	"github.com/orbos/orbos/stacks"
)

// ensureZitadelMasterkey gives an ORB with Zitadel its masterkey, generated once with crypto/rand
// and stored encrypted in the desired state, as a commit of its own. It lives there rather than
// only in the cluster: a cluster made anew from the repository, with the database restored from a
// backup, needs the key that encrypted the data. The policy pack refuses any later change.
func (o *Orb) ensureZitadelMasterkey(spec *stacks.Spec) (*stacks.Spec, error) {
	if spec.ZitadelOn() == nil || spec.File.Config.ZitadelMasterkey.IsSet() {
		return spec, nil
	}
	f, _, err := o.StackFile()
	if err != nil {
		return nil, err
	}
	cr, err := o.crypter(f)
	if err != nil {
		return nil, err
	}
	key, err := zitadel.GenerateMasterkey()
	if err != nil {
		return nil, err
	}
	o.redactor.Add(key)
	if err := f.Set(stacks.KeyZitadelMasterkey, key, true, cr); err != nil {
		return nil, err
	}
	raw, err := f.Bytes()
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(o.stackFilePath(), raw, 0o644); err != nil {
		return nil, fmt.Errorf("writing the desired state: %w", err)
	}
	o.progressf("generated Zitadel's masterkey (%s, encrypted); it never changes\n", stacks.KeyZitadelMasterkey)
	if _, err := o.repo.CommitAll(record.Message(fmt.Sprintf("orbos config %s: generate Zitadel's masterkey", o.name()), "", record.Trailers{
		record.KeyOperation: "config", record.KeyKey: stacks.KeyZitadelMasterkey, record.KeyValue: "[secret]",
	})); err != nil {
		return nil, err
	}
	return o.loadSpec()
}

// runningMasterkeyHash is the hash of the masterkey the ORB's Zitadel runs with, from the last
// state ("" before Zitadel's first run): the policy pack compares the desired one with it.
func (o *Orb) runningMasterkeyHash() string {
	cp, err := record.ReadCheckpoint(o.Checkout(), o.name())
	if err != nil {
		return ""
	}
	return cp.Annotation("kubernetes:core/v1:Secret", zitadel.MasterkeyHashAnnotation)
}
