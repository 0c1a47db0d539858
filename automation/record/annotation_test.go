package record

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
)

// The annotation is read from the outputs of a resource of the asked type only.
func TestAnnotation(t *testing.T) {
	with := func(typ, value string) apitype.ResourceV3 {
		return apitype.ResourceV3{Type: tokens.Type("kubernetes:core/v1:" + typ), Outputs: map[string]any{
			"metadata": map[string]any{"annotations": map[string]any{"orbos.io/masterkey-sha256": value}}}}
	}
	if got := (Checkpoint{}).Annotation("kubernetes:core/v1:Secret", "orbos.io/masterkey-sha256"); got != "" {
		t.Errorf("no state: %q", got)
	}
	cp := Checkpoint{&apitype.DeploymentV3{Resources: []apitype.ResourceV3{
		with("ConfigMap", "not-this"), {Type: "kubernetes:core/v1:Secret"}, with("Secret", "abc"),
	}}}
	if got := cp.Annotation("kubernetes:core/v1:Secret", "orbos.io/masterkey-sha256"); got != "abc" {
		t.Errorf("annotation %q", got)
	}
}
