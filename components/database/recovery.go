package database

import (
	"fmt"
	"time"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/orbos/orbos/stacks"
)

// RecoverySource names the externalCluster a restored Cluster bootstraps from.
const RecoverySource = "origin"

// previousCluster is the cluster a restore of generation g comes from: the one before it, whose
// WAL and base backups are in the object store under its name (its serverName).
func previousCluster(base string, r *stacks.Restore) string {
	if r.Generation <= 1 {
		return base
	}
	return fmt.Sprintf("%s-r%d", base, r.Generation-1)
}

// bootstrap is the Cluster's bootstrap: initdb for a new database; after a restore, recovery from
// the object store through the Barman Cloud plugin, from the previous cluster's backups, to the
// named backup (its Barman ID), to a point in time, or (latest) to the end of the archived WAL.
// The owner and its Secret stay those of initdb, so that Zitadel's credentials keep working.
func bootstrap(args Args) map[string]any {
	owner := map[string]any{"database": args.Database, "owner": args.Owner, "secret": map[string]any{"name": args.Name + "-owner"}}
	r := args.DB.Restore
	if r == nil {
		return map[string]any{"initdb": owner}
	}
	recovery := map[string]any{"source": RecoverySource}
	for k, v := range owner {
		recovery[k] = v
	}
	target := map[string]any{}
	if r.ToTime != "" {
		// Validated as RFC 3339; PostgreSQL takes it with its zone.
		if t, err := time.Parse(time.RFC3339, r.ToTime); err == nil {
			target["targetTime"] = t.UTC().Format("2006-01-02 15:04:05.000000+00")
		}
	}
	if r.BackupID != "" && r.Backup != "latest" {
		target["backupID"] = r.BackupID
	}
	if len(target) > 0 {
		recovery["recoveryTarget"] = target
	}
	return map[string]any{"recovery": recovery}
}

// externalClusters is where a restored Cluster finds the backups: the same ObjectStore, under the
// previous cluster's serverName.
func externalClusters(args Args) []any {
	r := args.DB.Restore
	if r == nil {
		return nil
	}
	return []any{map[string]any{
		"name": RecoverySource,
		"plugin": map[string]any{"name": BarmanPlugin, "parameters": map[string]any{
			"barmanObjectName": args.Name + "-backups", "serverName": previousCluster(args.Name, r),
		}},
	}}
}

// walArchiver is the Barman Cloud plugin of a Cluster: WAL and base backups into the ObjectStore,
// under the cluster's own name, so that a restored cluster never writes into the archive it was
// restored from.
func walArchiver(args Args, cluster string) []any {
	return []any{map[string]any{
		"name": BarmanPlugin, "isWALArchiver": true,
		"parameters": map[string]any{"barmanObjectName": args.Name + "-backups", "serverName": cluster},
	}}
}

// newCluster makes the live Cluster, named for its generation (its own Pulumi resource, so that a
// restore adds the new one and drops the old one from the program). Every Cluster is retained when
// it stops being the live one: a restore never deletes the data it replaces, which stays until
// removed by hand. Unless nothing can become ready, the engine waits for it to be Ready, so that
// Zitadel, which comes after the database, upgrades to the new cluster only once it serves.
func newCluster(ctx *pulumi.Context, args Args, name string, spec map[string]any, opts ...pulumi.ResourceOption) (pulumi.Resource, error) {
	meta := args.meta(name)
	if !args.SkipAwait {
		meta.Annotations = pulumi.StringMap{"pulumi.com/patchForce": pulumi.String("true"), "pulumi.com/waitFor": pulumi.String("condition=Ready")}
	}
	return apiextensions.NewCustomResource(ctx, name, &apiextensions.CustomResourceArgs{
		ApiVersion: pulumi.String(cnpgAPI), Kind: pulumi.String("Cluster"), Metadata: meta,
		OtherFields: kubernetes.UntypedArgs{"spec": spec},
	}, append(opts, pulumi.RetainOnDelete(true))...)
}
