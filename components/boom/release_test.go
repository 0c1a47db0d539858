package boom

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// A tool installed as a Helm release is atomic (a failed install rolled back, not left pending)
// on a cluster with nodes; without nodes it is not, because Helm's atomic install waits for every
// workload whatever skipAwait says, and no pod ever runs there.
func TestReleaseIsAtomicOnlyWhereWorkloadsCanBecomeReady(t *testing.T) {
	for _, skipAwait := range []bool{false, true} {
		m := &mocks{}
		err := pulumi.RunErr(func(ctx *pulumi.Context) error {
			_, err := New(ctx, Args{Tool: catalogTool("gateway"), Orbctl: "/usr/local/bin/orbctl", SkipAwait: skipAwait})
			return err
		}, pulumi.WithMocks("orbos", "test", m))
		if err != nil {
			t.Fatal(err)
		}
		r := m.get(t, releaseType, "gateway")
		if atomic := r.inputs["atomic"]; !atomic.IsBool() || atomic.BoolValue() == skipAwait {
			t.Errorf("skipAwait %v: atomic = %v, want %v", skipAwait, atomic, !skipAwait)
		}
		if a := r.inputs["skipAwait"]; !a.IsBool() || a.BoolValue() != skipAwait {
			t.Errorf("skipAwait %v: the release's skipAwait = %v", skipAwait, a)
		}
	}
}
