package database

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/orbos/orbos/internal/chartref"
	"github.com/orbos/orbos/stacks"
)

// schema is the spec's schema of a CRD kept in testdata: a pinned operator without its reference
// fails here.
func schema(t *testing.T, file string) map[string]any {
	t.Helper()
	doc, err := chartref.Read(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	s, err := chartref.Schema(doc)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func specOf(in resource.PropertyMap) map[string]any {
	return map[string]any{"spec": in.Mappable()["spec"]}
}

// The Cluster, ScheduledBackup and ObjectStore orbos makes are what CloudNativePG 1.30.0 and the
// Barman Cloud plugin v0.13.0 define: no field the API server would prune, no value outside their
// enums and patterns, every required field; for S3 with an endpoint, for AWS S3 and for GCS.
func TestPostgresObjectsFitTheOperatorsCRDs(t *testing.T) {
	if stacks.CloudNativePGChart.Version != "0.29.0" || stacks.BarmanCloudChart.Version != "0.7.0" {
		t.Fatalf("the operators' pins moved (%s, %s): copy their CRDs into testdata and update this test",
			stacks.CloudNativePGChart.Version, stacks.BarmanCloudChart.Version)
	}
	cluster, scheduled, store := schema(t, "cnpg-1.30.0-cluster.yaml"), schema(t, "cnpg-1.30.0-scheduledbackup.yaml"),
		schema(t, "barman-cloud-0.13.0-objectstore.yaml")
	aws := backups("s3")
	aws.ObjectStore.Endpoint = ""
	for name, b := range map[string]*stacks.DBBackups{"s3": backups("s3"), "aws": aws, "gcs": backups("gcs")} {
		m, _ := install(t, "demo", stacks.Database{Engine: stacks.EnginePostgres, Instances: 3,
			Storage: stacks.Storage{Size: "20Gi", StorageClass: "fast"}, Resources: &stacks.Resources{Requests: map[string]string{"cpu": "1"}, Limits: map[string]string{"memory": "2Gi"}},
			Backups: b})
		for _, c := range []struct {
			typ, name string
			schema    map[string]any
		}{{clusterT, "zitadel-db", cluster}, {scheduledT, "zitadel-db-daily", scheduled}, {storeT, "zitadel-db-backups", store}} {
			for _, bad := range chartref.UnknownFields(specOf(m.Get(t, c.typ, c.name).Inputs), c.schema) {
				t.Errorf("%s: %s %s: %s", name, c.typ, c.name, bad)
			}
		}
	}
	// The reference refuses what it should: a misspelt plugin field and a method of no enum.
	bad := map[string]any{"spec": map[string]any{"cluster": map[string]any{"name": "x"}, "schedule": "0 0 3 * * *", "method": "barman"}}
	if got := chartref.UnknownFields(bad, scheduled); len(got) != 1 || !strings.Contains(got[0], "spec.method") {
		t.Errorf("a bad ScheduledBackup: %q", got)
	}
}

// The cockroachdb chart's values orbos sets are the chart's (21.0.1), and the schedule Job runs the
// image the chart runs.
func TestCockroachDBValuesAreTheCharts(t *testing.T) {
	if stacks.CockroachDBChart.Version != "21.0.1" {
		t.Fatalf("the cockroachdb pin moved to %s: copy its values.yaml into testdata and update this test", stacks.CockroachDBChart.Version)
	}
	ref, err := chartref.Read(filepath.Join("testdata", "cockroachdb-chart-21.0.1.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	b := backups("s3")
	b.EncryptionSecret = "passphrase"
	m, _ := install(t, "demo", stacks.Database{Engine: stacks.EngineCockroachDB, Instances: 3,
		Storage: stacks.Storage{Size: "20Gi", StorageClass: "fast"}, Resources: &stacks.Resources{Limits: map[string]string{"memory": "4Gi"}}, Backups: b})
	values := m.Get(t, "kubernetes:helm.sh/v3:Release", "zitadel-db").Inputs.Mappable()["values"]
	for _, bad := range chartref.UnknownValues(values, ref) {
		t.Errorf("cockroachdb chart 21.0.1: %s", bad)
	}
	image := ref.(map[string]any)["image"].(map[string]any)
	want := image["repository"].(string) + ":" + image["tag"].(string)
	var found bool
	for _, r := range m.All {
		if r.Type == "kubernetes:batch/v1:Job" && strings.HasPrefix(r.Name, "zitadel-db-backup-schedule-") {
			found = true
			c := r.At("spec", "template", "spec", "containers").ArrayValue()[0].ObjectValue()
			if img := c["image"].StringValue(); img != want {
				t.Errorf("the schedule Job runs %s, the chart %s", img, want)
			}
		}
	}
	if !found {
		t.Error("no schedule Job")
	}
}
