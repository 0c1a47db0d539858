package program

import (
	"strings"
	"testing"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/orbos/orbos/stacks"
)

// A stack secret reaches a Kubernetes Secret as a Pulumi secret; a name the stack does not hold is
// an error naming how to set it, not an empty credential.
func TestStackSecretsReachSecretsAsSecrets(t *testing.T) {
	var missing error
	prog := func(ctx *pulumi.Context) error {
		secret, err := stackSecrets(ctx)
		if err != nil {
			return err
		}
		token, err := secret("dns-token")
		if err != nil {
			return err
		}
		_, missing = secret("other")
		_, err = corev1.NewSecret(ctx, "dns", &corev1.SecretArgs{StringData: pulumi.StringMap{"token": token}})
		return err
	}
	plan, err := mockPlan(prog, "demo", map[string]string{stacks.KeySecrets: `{"dns-token":"value-that-must-stay-secret"}`}, []string{stacks.KeySecrets})
	if err != nil {
		t.Fatal(err)
	}
	text := FormatPlan(plan)
	if !strings.Contains(text, "stringData = [secret]") || strings.Contains(text, "value-that-must-stay-secret") {
		t.Errorf("the Secret's data is not a Pulumi secret:\n%s", text)
	}
	if missing == nil || !strings.Contains(missing.Error(), "orbctl config set --secret orbos:secrets.other") {
		t.Errorf("a missing stack secret: %v", missing)
	}
}
