package automation

import (
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
	key, err := zitadel.GenerateMasterkey()
	if err != nil {
		return nil, err
	}
	if err := o.commitGeneratedSecret(stacks.KeyZitadelMasterkey, key, "Zitadel's masterkey", "; it never changes"); err != nil {
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
