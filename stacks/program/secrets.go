package program

import (
	"errors"
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"

	"github.com/orbos/orbos/stacks"
)

// StackSecret returns the stack secret NAME (orbos:secrets.NAME) as a Pulumi secret. Components
// take it to fill the Kubernetes Secrets their charts read, never chart values.
type StackSecret func(name string) (pulumi.StringOutput, error)

// stackSecrets reads orbos:secrets, decrypted by the engine, once per run.
func stackSecrets(ctx *pulumi.Context) (StackSecret, error) {
	var m map[string]string
	if err := config.TryObject(ctx, stacks.KeySecrets, &m); err != nil && !errors.Is(err, config.ErrMissingVar) {
		return nil, fmt.Errorf("reading %s: %w", stacks.KeySecrets, err)
	}
	return func(name string) (pulumi.StringOutput, error) {
		v, ok := m[name]
		if !ok {
			// Validation refuses a reference to a secret the file does not hold; this is the
			// program run on a spec that skipped it.
			return pulumi.StringOutput{}, fmt.Errorf("%s.%s is not set: set it with `orbctl config set --secret %s.%s --from-file FILE`", stacks.KeySecrets, name, stacks.KeySecrets, name)
		}
		return pulumi.ToSecret(pulumi.String(v)).(pulumi.StringOutput), nil
	}, nil
}
