package automation

import (
	"context"
	"crypto/sha256"
	"os"
	"path/filepath"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"

	"github.com/orbos/orbos/automation/stackconfig"
	"github.com/orbos/orbos/automation/statesecrets"
	"github.com/orbos/orbos/components/staticlb"
	"github.com/orbos/orbos/internal/redact"
	"github.com/orbos/orbos/stacks"
)

// Redactor replaces known secret values by "[secret]" in text orbos prints or stores.
type Redactor = redact.Redactor

// learnSecrets registers every secret of the ORB with the run's redactor, which progress, errors,
// the status, commit messages and the reconciler's logs pass through: the passphrase (at Open),
// the desired state's secrets (kubeconfigs with the tokens and keys in them, the SSH key), the
// VRRP password derived from the SSH key, and every value the state marks secret. Secrets that
// only live inside a run on machines (join tokens, certificate keys) are the provider's to mask.
func (o *Orb) learnSecrets(f *stackconfig.File, c config.Decrypter, plaintexts []string) {
	for _, s := range plaintexts {
		o.redactor.AddKubeconfig(s)
	}
	if key, err := f.Get(stacks.KeySSHKey, c); err == nil && key.Value != "" {
		o.redactor.Add(staticlb.AuthPass(key.Value, o.name()))
	}
	o.learnStateSecrets(context.Background())
}

// learnStateSecrets registers the secrets of the checkout's state. A state that does not open is
// left to the engine to complain about.
func (o *Orb) learnStateSecrets(ctx context.Context) {
	raw, err := os.ReadFile(filepath.Join(o.Checkout(), StatePath(o.name())))
	if err != nil {
		return
	}
	d, err := statesecrets.Parse(raw)
	if err != nil {
		return
	}
	plaintexts, _ := d.Plaintexts(ctx, o.stateCrypter)
	for _, s := range plaintexts {
		o.redactor.AddKubeconfig(s)
	}
}

// crypters caches the passphrase crypters by passphrase and salt: each costs a key derivation.
var crypters sync.Map

// stateCrypter opens the state's secrets, whose provider recorded salt.
func (o *Orb) stateCrypter(salt string) (config.Crypter, error) {
	return cachedCrypter(o.opts.Config.Passphrase, salt)
}

func cachedCrypter(passphrase, salt string) (config.Crypter, error) {
	k := sha256.Sum256([]byte(passphrase + "\x00" + salt))
	if c, ok := crypters.Load(k); ok {
		return c.(config.Crypter), nil
	}
	c, err := stackconfig.NewCrypter(passphrase, salt)
	if err != nil {
		return nil, err
	}
	crypters.Store(k, c)
	return c, nil
}

// saveStatus writes the status, redacted.
func (o *Orb) saveStatus(s *Status) error { return writeStatus(o.Checkout(), s, o.Redact) }
