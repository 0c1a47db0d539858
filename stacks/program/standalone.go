package program

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"gopkg.in/yaml.v3"

	"github.com/orbos/orbos/stacks"
)

// RepoEnv names the ORB repository's checkout for a program the Pulumi CLI runs (BOOM's local
// charts and manifests are found there); the working directory when unset.
const RepoEnv = "ORBOS_REPO"

// configKeys are the stack config keys an ORB's desired state may hold.
var configKeys = []string{stacks.KeyOrbiter, stacks.KeyBoom, stacks.KeyZitadel, stacks.KeyNetworking,
	stacks.KeyReconciler, stacks.KeyKubeconfig, stacks.KeySSHKey, stacks.KeySecrets, stacks.KeyZitadelMasterkey, stacks.KeyOriginKey}

// Standalone is the ORB program as the Pulumi CLI runs it (Pulumi.yaml, runtime orbos): it reads
// the desired state from the stack config the engine hands it, validates it as orbctl does, and
// runs the program orbctl runs inline. The secrets stay with the engine: the spec only learns which
// keys hold one, and the program reads their values from the config as it does under orbctl.
func Standalone(ctx *pulumi.Context) error {
	raw, err := stackFileOf(func(key string) (string, bool) { return ctx.GetConfig(key) }, ctx.IsConfigSecret)
	if err != nil {
		return err
	}
	spec, err := stacks.Parse(ctx.Stack(), raw)
	if err != nil {
		return err
	}
	if spec.Runtime.RepoDir = os.Getenv(RepoEnv); spec.Runtime.RepoDir == "" {
		if spec.Runtime.RepoDir, err = os.Getwd(); err != nil {
			return err
		}
	}
	return New(spec)(ctx)
}

// stackFileOf writes the desired-state file that the config values come from: sections as the
// mappings they were, a secret as a secure value whose ciphertext the spec never reads.
func stackFileOf(get func(string) (string, bool), secret func(string) bool) ([]byte, error) {
	cfg := map[string]any{}
	for _, key := range configKeys {
		v, ok := get(key)
		if !ok {
			continue
		}
		if key == stacks.KeySecrets {
			// The spec checks that a reference names an entry: the names, each a secure value.
			var entries map[string]any
			if err := json.Unmarshal([]byte(v), &entries); err != nil {
				return nil, fmt.Errorf("%s: must be a mapping of names to secrets: %w", key, err)
			}
			held := map[string]any{}
			for name := range entries {
				held[name] = map[string]string{"secure": "held by the engine"}
			}
			cfg[key] = held
			continue
		}
		if secret(key) {
			cfg[key] = map[string]string{"secure": "held by the engine"}
			continue
		}
		var section map[string]any
		if err := json.Unmarshal([]byte(v), &section); err != nil {
			return nil, fmt.Errorf("%s: must be a mapping, as orbctl writes it: %w", key, err)
		}
		cfg[key] = section
	}
	// The engine has decrypted the secrets already: the salt only says the file is an ORB's.
	return yaml.Marshal(map[string]any{"encryptionsalt": "held by the engine", "config": cfg})
}
