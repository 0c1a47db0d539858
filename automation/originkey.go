package automation

import (
	"github.com/orbos/orbos/components/networking"
	"github.com/orbos/orbos/stacks"
)

// ensureOriginKey gives an ORB with a Cloudflare origin certificate its private key, RSA 2048 from
// crypto/rand, stored encrypted in the desired state as a commit of its own. orbctl makes it, not
// the program, so that every run derives the same certificate request from it (a new key would
// replace the certificate at each up). commitGeneratedSecret teaches it to the redactor.
func (o *Orb) ensureOriginKey(spec *stacks.Spec) (*stacks.Spec, error) {
	if spec.File.Config.Networking.OriginOn() == nil || spec.File.Config.OriginKey.IsSet() {
		return spec, nil
	}
	key, err := networking.GenerateKey()
	if err != nil {
		return nil, err
	}
	if err := o.commitGeneratedSecret(stacks.KeyOriginKey, key, "the origin certificate's key", ""); err != nil {
		return nil, err
	}
	return o.loadSpec()
}
