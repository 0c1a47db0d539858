package provider

import (
	"github.com/pulumi/pulumi/sdk/v3/go/property"

	"github.com/orbos/orbos/internal/redact"
)

// secrets knows every secret this provider process has met: the secret inputs and state the engine
// sent (the ORB's SSH key, file contents such as keepalived's VRRP password, the admin kubeconfig
// and the keys in it) and what it fetched from machines (join tokens, certificate keys). The engine
// starts one provider process per run, so this is the run's redactor on the provider's side: every
// error and message the provider returns passes through it.
var secrets = &redact.Redactor{}

// learnSecrets registers the strings of v that are secret: marked secret themselves, inside a
// secret value, or under a key that always holds one.
func learnSecrets(v property.Value, inSecret bool) {
	inSecret = inSecret || v.Secret()
	switch {
	case v.IsString() && inSecret:
		secrets.AddKubeconfig(v.AsString())
	case v.IsMap():
		for k, e := range v.AsMap().All {
			learnSecrets(e, inSecret || secretKeys[k])
		}
	case v.IsArray():
		for _, e := range v.AsArray().All {
			learnSecrets(e, inSecret)
		}
	}
}
