package database

import (
	"fmt"
	"strings"
	"time"

	batchv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/batch/v1"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/orbos/orbos/stacks"
)

// CockroachClientPrelude starts a script of the cockroach client with the root client certificate
// (mounted at /root-tls): it copies the certificate where cockroach looks for it and defines q,
// which quotes its argument as an SQL string literal inside the container, so that the backup URI
// and passphrase come from the environment (Secret references), never from a Job's spec.
const CockroachClientPrelude = `set -eu
mkdir -p /tmp/certs
cp /root-tls/ca.crt /tmp/certs/ca.crt
cp /root-tls/tls.crt /tmp/certs/client.root.crt
cp /root-tls/tls.key /tmp/certs/client.root.key
chmod 0600 /tmp/certs/client.root.key
q() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/''/g")"; }
`

// RestoreJobName is the Job that restores generation g: one per restore, never run again.
func RestoreJobName(release string, g int) string { return fmt.Sprintf("%s-restore-r%d", release, g) }

// previousDatabase is the database a restore of generation g takes from the backup: the one that
// was live before it (the schedule backs up the whole cluster, every database in it).
func previousDatabase(base string, r *stacks.Restore) string {
	if r.Generation <= 1 {
		return base
	}
	return fmt.Sprintf("%s_r%d", base, r.Generation-1)
}

// RestoreStatement is the RESTORE of the previous live database from the backup (its subdirectory
// in the collection, or LATEST), to the point in time where asked, into the database of the
// restore's generation. It ends before the collection's URI, which the script appends quoted from
// the environment, and before the options (new_db_name, the passphrase). The backup and time were
// validated at the spec boundary and are quoted as SQL literals all the same.
func RestoreStatement(base string, r *stacks.Restore) string {
	from := "LATEST"
	if r.Backup != "latest" {
		from = sqlString(r.Backup)
	}
	return fmt.Sprintf("RESTORE DATABASE %s FROM %s IN", previousDatabase(base, r), from)
}

// asOf is the AS OF SYSTEM TIME clause of a point-in-time restore (UTC, which CockroachDB takes a
// zone-less timestamp as), or "".
func asOf(r *stacks.Restore) string {
	if r.ToTime == "" {
		return ""
	}
	t, err := time.Parse(time.RFC3339, r.ToTime)
	if err != nil {
		return ""
	}
	return " AS OF SYSTEM TIME " + sqlString(t.UTC().Format("2006-01-02 15:04:05.999999"))
}

// restoreScript restores into db unless db exists already (a Job run again after it restored, or
// a restore finished by hand), then gives it and every object the restore made to Zitadel's user:
// a database RESTORE makes root (who runs it) their owner and drops the backed-up grants.
func restoreScript(host, db, owner string, r *stacks.Restore, base string) string {
	lit := sqlString(db)
	var b strings.Builder
	b.WriteString(CockroachClientPrelude)
	fmt.Fprintf(&b, "sql() { cockroach sql --certs-dir=/tmp/certs --host=%s \"$@\"; }\n", host)
	fmt.Fprintf(&b, "n=$(sql --format=csv --execute=\"SELECT count(*) FROM [SHOW DATABASES] WHERE database_name = %s\" | tail -n 1)\n", lit)
	b.WriteString("if [ \"$n\" = 0 ]; then\n")
	fmt.Fprintf(&b, "  stmt=\"%s $(q \"$BACKUP_URI\")%s WITH new_db_name = %s\"\n", RestoreStatement(base, r), asOf(r), lit)
	b.WriteString("  if [ -n \"${BACKUP_PASSPHRASE:-}\" ]; then stmt=\"$stmt, encryption_passphrase = $(q \"$BACKUP_PASSPHRASE\")\"; fi\n")
	b.WriteString("  sql --execute=\"$stmt\"\n")
	b.WriteString("fi\n")
	fmt.Fprintf(&b, "exec cockroach sql --certs-dir=/tmp/certs --host=%s --database=%s --execute=\"ALTER DATABASE %s OWNER TO %s; GRANT ALL ON DATABASE %s TO %s; REASSIGN OWNED BY root TO %s\"\n",
		host, db, db, owner, db, owner, owner)
	return b.String()
}

// restoreJob restores the backup of args.DB.Restore into the database of its generation, beside
// the one it replaces (which stays: a restore never drops data), with the root client certificate
// and the collection's URI and passphrase by reference to the Secret BackupTargetSecret. Zitadel
// comes after it: the engine waits until the Job completed (unless nothing can run).
func restoreJob(ctx *pulumi.Context, args Args, full, db string, opts ...pulumi.ResourceOption) (pulumi.Resource, error) {
	r := args.DB.Restore
	name := RestoreJobName(args.Name, r.Generation)
	meta := args.meta(name)
	if args.SkipAwait {
		meta.Annotations = pulumi.StringMap{"pulumi.com/patchForce": pulumi.String("true"), "pulumi.com/skipAwait": pulumi.String("true")}
	}
	env := func(n, key string, optional bool) corev1.EnvVarArgs {
		return corev1.EnvVarArgs{Name: pulumi.String(n), ValueFrom: &corev1.EnvVarSourceArgs{SecretKeyRef: &corev1.SecretKeySelectorArgs{
			Name: pulumi.String(BackupTargetSecret(args.Name)), Key: pulumi.String(key), Optional: pulumi.Bool(optional)}}}
	}
	return batchv1.NewJob(ctx, name, &batchv1.JobArgs{
		Metadata: meta,
		Spec: &batchv1.JobSpecArgs{
			// No TTL: the Job is in the program for as long as the restore is the live one.
			BackoffLimit: pulumi.Int(2),
			Template: &corev1.PodTemplateSpecArgs{Spec: &corev1.PodSpecArgs{
				RestartPolicy: pulumi.String("Never"),
				Containers: corev1.ContainerArray{corev1.ContainerArgs{
					Name: pulumi.String("restore"), Image: pulumi.String(CockroachImage),
					Command: pulumi.ToStringArray([]string{"sh", "-c", restoreScript(full+"-public", db, args.Owner, r, args.Database)}),
					Env:     corev1.EnvVarArray{env("BACKUP_URI", "uri", false), env("BACKUP_PASSPHRASE", "passphrase", true)},
					VolumeMounts: corev1.VolumeMountArray{
						corev1.VolumeMountArgs{Name: pulumi.String("root-tls"), MountPath: pulumi.String("/root-tls"), ReadOnly: pulumi.Bool(true)},
					},
				}},
				Volumes: corev1.VolumeArray{corev1.VolumeArgs{Name: pulumi.String("root-tls"), Secret: &corev1.SecretVolumeSourceArgs{
					SecretName: pulumi.String(args.Name + "-root"), DefaultMode: pulumi.Int(0o400)}}},
			}},
		},
	}, opts...)
}
