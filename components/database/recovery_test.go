package database

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/orbos/orbos/internal/mockengine"
	"github.com/orbos/orbos/stacks"
)

func restored(r *stacks.Restore) stacks.Database {
	return stacks.Database{Engine: stacks.EnginePostgres, Instances: 2, Storage: stacks.Storage{Size: "10Gi"}, Backups: backups("s3"), Restore: r}
}

func installAwaiting(t *testing.T, db stacks.Database, skipAwait bool) (*mockengine.Engine, *Database) {
	t.Helper()
	var out *Database
	m, err := mockengine.Run(t, "demo", func(ctx *pulumi.Context) error {
		var err error
		out, err = New(ctx, Args{Orb: "demo", Name: "zitadel-db", Namespace: "zitadel", DB: db, Database: "zitadel", Owner: "zitadel",
			StackSecret: stackSecret, Orbctl: "orbctl", SkipAwait: skipAwait})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m, out
}

// Before any restore the live cluster is zitadel-db, made by initdb, archiving under its own name,
// retained and awaited until Ready.
func TestClusterBeforeRestore(t *testing.T) {
	m, db := installAwaiting(t, restored(nil), false)
	c := m.Get(t, clusterT, "zitadel-db")
	if !c.RetainOnDelete {
		t.Error("the Cluster is not retained on delete")
	}
	if c.Str("metadata", "annotations", "pulumi.com/waitFor") != "condition=Ready" {
		t.Errorf("waitFor: %v", c.At("metadata", "annotations"))
	}
	if c.Str("spec", "bootstrap", "initdb", "owner") != "zitadel" || !c.At("spec", "bootstrap", "recovery").IsNull() || !c.At("spec", "externalClusters").IsNull() {
		t.Errorf("bootstrap %v, externalClusters %v", c.At("spec", "bootstrap"), c.At("spec", "externalClusters"))
	}
	if p := c.At("spec", "plugins").ArrayValue()[0].ObjectValue()["parameters"].ObjectValue(); p["serverName"].StringValue() != "zitadel-db" {
		t.Errorf("plugin parameters %v", p)
	}
	if db.Host != "zitadel-db-rw.zitadel.svc" {
		t.Errorf("host %s", db.Host)
	}
	// Without nodes nothing becomes ready: no wait.
	m, _ = installAwaiting(t, restored(nil), true)
	if a := m.Get(t, clusterT, "zitadel-db").At("metadata", "annotations"); a.ObjectValue()["pulumi.com/waitFor"].HasValue() {
		t.Errorf("waitFor without nodes: %v", a)
	}
}

// A restore makes a new cluster per generation, bootstrapped by recovery from the previous
// cluster's archive (its serverName) in the same ObjectStore, to the asked target, archiving under
// its own name; the ScheduledBackup and Zitadel's endpoint follow it.
func TestClusterRestored(t *testing.T) {
	for _, c := range []struct {
		name            string
		restore         stacks.Restore
		cluster, server string
		target          map[string]string
	}{
		{"named backup", stacks.Restore{Generation: 1, Backup: "zitadel-db-20261201030000", BackupID: "20261201T030000"}, "zitadel-db-r1", "zitadel-db",
			map[string]string{"backupID": "20261201T030000"}},
		{"latest", stacks.Restore{Generation: 2, Backup: "latest"}, "zitadel-db-r2", "zitadel-db-r1", nil},
		{"point in time", stacks.Restore{Generation: 3, Backup: "latest", ToTime: "2026-12-01T11:00:00+01:00"}, "zitadel-db-r3", "zitadel-db-r2",
			map[string]string{"targetTime": "2026-12-01 10:00:00.000000+00"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := c.restore
			m, db := installAwaiting(t, restored(&r), false)
			if m.Has(clusterT, "zitadel-db") {
				t.Error("the program still has the replaced cluster (it would be deleted; it is retained instead)")
			}
			cl := m.Get(t, clusterT, c.cluster)
			if cl.Str("metadata", "name") != c.cluster || !cl.RetainOnDelete || cl.Str("metadata", "annotations", "pulumi.com/waitFor") != "condition=Ready" {
				t.Errorf("cluster metadata %v, retained %v", cl.At("metadata"), cl.RetainOnDelete)
			}
			rec := cl.At("spec", "bootstrap", "recovery")
			if rec.IsNull() || !cl.At("spec", "bootstrap", "initdb").IsNull() {
				t.Fatalf("bootstrap %v", cl.At("spec", "bootstrap"))
			}
			if cl.Str("spec", "bootstrap", "recovery", "source") != RecoverySource || cl.Str("spec", "bootstrap", "recovery", "owner") != "zitadel" ||
				cl.Str("spec", "bootstrap", "recovery", "secret", "name") != "zitadel-db-owner" {
				t.Errorf("recovery %v", rec)
			}
			target := cl.At("spec", "bootstrap", "recovery", "recoveryTarget")
			if c.target == nil && !target.IsNull() {
				t.Errorf("latest has a target: %v", target)
			}
			for k, v := range c.target {
				if got := cl.Str("spec", "bootstrap", "recovery", "recoveryTarget", k); got != v {
					t.Errorf("recoveryTarget.%s = %q, want %q", k, got, v)
				}
			}
			ext := cl.At("spec", "externalClusters").ArrayValue()[0].ObjectValue()
			plugin := ext["plugin"].ObjectValue()
			params := plugin["parameters"].ObjectValue()
			if ext["name"].StringValue() != RecoverySource || plugin["name"].StringValue() != BarmanPlugin ||
				params["barmanObjectName"].StringValue() != "zitadel-db-backups" || params["serverName"].StringValue() != c.server {
				t.Errorf("externalClusters %v", ext)
			}
			own := cl.At("spec", "plugins").ArrayValue()[0].ObjectValue()["parameters"].ObjectValue()
			if own["serverName"].StringValue() != c.cluster || own["barmanObjectName"].StringValue() != "zitadel-db-backups" {
				t.Errorf("the restored cluster archives as %v", own)
			}
			sb := m.Get(t, scheduledT, "zitadel-db-daily")
			if sb.Str("spec", "cluster", "name") != c.cluster || sb.Str("spec", "schedule") != "0 30 2 * * 1-5" {
				t.Errorf("scheduled backup %v", sb.At("spec"))
			}
			if !sb.DependsOn(clusterT, c.cluster) {
				t.Errorf("the ScheduledBackup does not come after %s", c.cluster)
			}
			if db.Host != c.cluster+"-rw.zitadel.svc" {
				t.Errorf("Zitadel connects to %s", db.Host)
			}
		})
	}
}

// CockroachDB's backup destination and passphrase for orbctl's backup Job: one Secret, both values
// Pulumi secrets, the URI with the stack's credentials.
func TestCockroachBackupTarget(t *testing.T) {
	b := backups("s3")
	b.EncryptionSecret = "passphrase"
	m, _ := install(t, "demo", stacks.Database{Engine: stacks.EngineCockroachDB, Instances: 3, Storage: stacks.Storage{Size: "20Gi"}, Backups: b})
	s := m.Get(t, secretType, "zitadel-db-backup-target")
	if !s.At("stringData", "uri").IsSecret() && !s.At("stringData").IsSecret() {
		t.Errorf("the URI is not a secret: %v", s.At("stringData"))
	}
	if got := s.Str("stringData", "uri"); got != BackupURI(b.ObjectStore, "value-of-store-id", "value-of-store-key") {
		t.Errorf("uri %q", got)
	}
	if s.Str("stringData", "passphrase") != "value-of-passphrase" {
		t.Errorf("passphrase %q", s.Str("stringData", "passphrase"))
	}
}
