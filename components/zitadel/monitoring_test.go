package zitadel

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/orbos/orbos/internal/mockengine"
)

const (
	podMonitorT = "kubernetes:monitoring.coreos.com/v1:PodMonitor"
	chartT      = "kubernetes:helm.sh/v4:Chart"
)

func installWithMetrics(t *testing.T, metrics bool) *mockengine.Engine {
	t.Helper()
	m, err := mockengine.Run(t, "demo", func(ctx *pulumi.Context) error {
		_, err := New(ctx, Args{Orb: "demo", Zitadel: spec(), Masterkey: pulumi.ToSecret(pulumi.String(strings.Repeat("k", 32))).(pulumi.StringOutput),
			GatewayNamespace: "envoy-gateway-system", Metrics: metrics,
			StackSecret: func(name string) (pulumi.StringOutput, error) {
				return pulumi.ToSecret(pulumi.String("value-of-" + name)).(pulumi.StringOutput), nil
			}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// With BOOM's metrics tool Zitadel's chart makes its ServiceMonitor (both switches on), the
// CloudNativePG operator's chart its PodMonitor, and the program a PodMonitor of the database's
// instances; without it every switch is off and no monitor is made.
func TestZitadelAndItsDatabaseAreScrapedWithTheMetricsTool(t *testing.T) {
	for _, metrics := range []bool{true, false} {
		m := installWithMetrics(t, metrics)
		r := m.Get(t, releaseT, "zitadel")
		if r.At("values", "metrics", "enabled").BoolValue() != metrics || r.At("values", "metrics", "serviceMonitor", "enabled").BoolValue() != metrics {
			t.Errorf("metrics tool %v: Zitadel's metrics values %v", metrics, r.At("values", "metrics"))
		}
		op := m.Get(t, chartT, "cloudnative-pg")
		if v := op.At("values", "monitoring", "podMonitorEnabled"); !v.IsBool() || v.BoolValue() != metrics {
			t.Errorf("metrics tool %v: the operator's podMonitorEnabled %v", metrics, v)
		}
		if m.Has(podMonitorT, "zitadel-db-instances") != metrics {
			t.Errorf("metrics tool %v: the instances' PodMonitor planned %v", metrics, !metrics)
		}
	}
}
