package database

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/orbos/orbos/internal/mockengine"
	"github.com/orbos/orbos/stacks"
)

const podMonitorT = "kubernetes:monitoring.coreos.com/v1:PodMonitor"

func installMetrics(t *testing.T, db stacks.Database, metrics bool) *mockengine.Engine {
	t.Helper()
	m, err := mockengine.Run(t, "demo", func(ctx *pulumi.Context) error {
		_, err := New(ctx, Args{Orb: "demo", Name: "zitadel-db", Namespace: "zitadel", DB: db, Database: "zitadel", Owner: "zitadel",
			StackSecret: stackSecret, Orbctl: "orbctl", Metrics: metrics})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// With the metrics tool, the instances of the live Cluster are scraped on their metrics port by a
// PodMonitor beside them that selects them by the Cluster's name, after the Cluster; the operator's
// chart makes its own PodMonitor. Without it, neither.
func TestPostgresInstancesAreScrapedWithTheMetricsTool(t *testing.T) {
	db := stacks.Database{Engine: stacks.EnginePostgres, Instances: 2, Storage: stacks.Storage{Size: "10Gi"}}
	m := installMetrics(t, db, true)
	pm := m.Get(t, podMonitorT, "zitadel-db-instances")
	cluster := m.Get(t, clusterT, "zitadel-db")
	if pm.Str("metadata", "namespace") != "zitadel" || pm.Str("metadata", "name") != "zitadel-db" {
		t.Errorf("PodMonitor %s/%s", pm.Str("metadata", "namespace"), pm.Str("metadata", "name"))
	}
	if got, want := pm.Str("spec", "selector", "matchLabels", "cnpg.io/cluster"), cluster.Str("metadata", "name"); got != want {
		t.Errorf("the PodMonitor selects cluster %q, the Cluster is %q", got, want)
	}
	if got := pm.Str("spec", "selector", "matchLabels", "cnpg.io/podRole"); got != "instance" {
		t.Errorf("podRole %q", got)
	}
	ep := pm.At("spec", "podMetricsEndpoints").ArrayValue()
	if len(ep) != 1 || ep[0].ObjectValue()["port"].StringValue() != "metrics" {
		t.Errorf("endpoints %v", ep)
	}
	if !pm.DependsOn(clusterT, "zitadel-db") {
		t.Error("the PodMonitor does not come after the Cluster")
	}
	if !m.Get(t, "kubernetes:helm.sh/v4:Chart", "cloudnative-pg").At("values", "monitoring", "podMonitorEnabled").BoolValue() {
		t.Error("the operator's PodMonitor is off")
	}

	off := installMetrics(t, db, false)
	if off.Has(podMonitorT, "zitadel-db-instances") {
		t.Error("a PodMonitor without the metrics tool")
	}
	if v := off.Get(t, "kubernetes:helm.sh/v4:Chart", "cloudnative-pg").At("values", "monitoring", "podMonitorEnabled"); !v.IsBool() || v.BoolValue() {
		t.Errorf("the operator's podMonitorEnabled without the metrics tool: %v", v)
	}
}

// After a restore the live database is a new Cluster (stacks.Database.ClusterName): the PodMonitor
// keeps its name and selects the new Cluster's pods.
func TestPodMonitorFollowsTheLiveCluster(t *testing.T) {
	db := stacks.Database{Engine: stacks.EnginePostgres, Instances: 1, Storage: stacks.Storage{Size: "10Gi"},
		Restore: &stacks.Restore{Generation: 2, Backup: "latest"}}
	pm := installMetrics(t, db, true).Get(t, podMonitorT, "zitadel-db-instances")
	if got := pm.Str("spec", "selector", "matchLabels", "cnpg.io/cluster"); got != "zitadel-db-r2" {
		t.Errorf("after restore 2 the PodMonitor selects %q", got)
	}
	if pm.Str("metadata", "name") != "zitadel-db" {
		t.Errorf("the PodMonitor is renamed to %q", pm.Str("metadata", "name"))
	}
}
