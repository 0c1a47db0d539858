package database

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"

	batchv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/batch/v1"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	helmv3 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/orbos/orbos/components/boom"
	"github.com/orbos/orbos/stacks"
)

// ScheduleLabel names the backup schedule orbos keeps in CockroachDB.
const ScheduleLabel = "orbos_zitadel"

// cockroachDB installs CockroachDB in secure mode for the Zitadel v2 line: a CA, node and client
// certificates made here per ORB (not the chart's self-signer, whose CA would live only in the
// cluster), the chart as a Release (its init Job is a hook), and a Job that (re)creates the backup
// schedule. CockroachDB keeps no retention of its own: the bucket's lifecycle rule holds the
// spec's retention.
func cockroachDB(ctx *pulumi.Context, args Args, db *Database) error {
	child := pulumi.Parent(db)
	full := args.Name + "-cockroachdb"
	ns := args.Namespace
	ca, err := NewCA("orbos " + args.Orb + " CockroachDB CA")
	if err != nil {
		return err
	}
	node, err := ca.Issue("node", []string{"localhost", "127.0.0.1",
		full + "-public", full + "-public." + ns, full + "-public." + ns + ".svc", full + "-public." + ns + ".svc.cluster.local",
		"*." + full, "*." + full + "." + ns, "*." + full + "." + ns + ".svc", "*." + full + "." + ns + ".svc.cluster.local"}, true)
	if err != nil {
		return err
	}
	root, err := ca.Issue("root", nil, false)
	if err != nil {
		return err
	}
	user, err := ca.Issue(args.Owner, nil, false)
	if err != nil {
		return err
	}
	// Generated once, all in the same run: later runs make new ones and keep the first.
	var secrets []pulumi.Resource
	for _, s := range []struct {
		name string
		kp   KeyPair
	}{{args.Name + "-node", node}, {args.Name + "-root", root}, {args.Name + "-" + args.Owner, user}} {
		r, err := generatedSecret(ctx, s.name, args.meta(s.name), "kubernetes.io/tls",
			map[string]string{"ca.crt": ca.PEM, "tls.crt": s.kp.Cert, "tls.key": s.kp.Key}, child)
		if err != nil {
			return err
		}
		secrets = append(secrets, r)
	}
	values := map[string]any{
		"statefulset": map[string]any{"replicas": args.DB.Instances},
		"storage":     map[string]any{"persistentVolume": map[string]any{"size": args.DB.Storage.Size}},
		"tls": map[string]any{"enabled": true, "certs": map[string]any{
			"selfSigner": map[string]any{"enabled": false}, "provided": true, "tlsSecret": true,
			"nodeSecret": args.Name + "-node", "clientRootSecret": args.Name + "-root",
		}},
	}
	if c := args.DB.Storage.StorageClass; c != "" {
		values["storage"].(map[string]any)["persistentVolume"].(map[string]any)["storageClass"] = c
	}
	if r := args.DB.Resources; r != nil {
		values["statefulset"].(map[string]any)["resources"] = resources(r)
	}
	c := args.DB.CockroachDBChart()
	chart, repoOpts, err := boom.ReleaseChart(c, args.ChartRepository, args.RepoDir)
	if err != nil {
		return fmt.Errorf("the CockroachDB chart: %w", err)
	}
	release, err := helmv3.NewRelease(ctx, args.Name, &helmv3.ReleaseArgs{
		Chart: pulumi.String(chart), Version: pulumi.String(c.Version), RepositoryOpts: repoOpts,
		Name: pulumi.String(args.Name), Namespace: pulumi.String(ns), Values: pulumi.ToMap(values),
		SkipAwait: pulumi.Bool(args.SkipAwait),
		// Atomic makes Helm wait for every workload, which never runs on a cluster without nodes.
		Atomic: pulumi.Bool(!args.SkipAwait), CleanupOnFail: pulumi.Bool(true), MaxHistory: pulumi.Int(10),
	}, child, pulumi.DependsOn(secrets))
	if err != nil {
		return err
	}
	db.Ready = []pulumi.Resource{release}
	db.Host, db.Port, db.SSLMode = full+"-public."+ns+".svc", 26257, "verify-full"
	// After a restore Zitadel works in the restored database, beside the one it replaced.
	db.Name = args.DB.DatabaseName(args.Database)
	db.CASecret, db.AdminCertSecret, db.UserCertSecret = args.Name+"-root", args.Name+"-root", args.Name+"-"+args.Owner
	if args.DB.Backups != nil || args.DB.LicenseSecret != "" {
		job, err := sqlJob(ctx, args, full, child, pulumi.DependsOn([]pulumi.Resource{release}))
		if err != nil {
			return err
		}
		db.Ready = append(db.Ready, job)
	}
	if b := args.DB.Backups; b != nil {
		target, err := backupTarget(ctx, args, b, child, pulumi.DependsOn([]pulumi.Resource{release}))
		if err != nil {
			return err
		}
		if args.DB.Restore != nil {
			// Validation holds a restore to backups: the Job reads their destination from target.
			job, err := restoreJob(ctx, args, full, db.Name, child, pulumi.DependsOn([]pulumi.Resource{release, target}))
			if err != nil {
				return err
			}
			db.Ready = append(db.Ready, job)
		}
	}
	return nil
}

// sqlString quotes s as an SQL string literal.
func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// BackupURI is the backup destination of CockroachDB, with the credentials as query parameters
// (URL-encoded): the URI is only ever in a Secret.
func BackupURI(o stacks.ObjectStore, keyID, key string) string {
	q := url.Values{}
	scheme := "s3"
	switch o.Type {
	case "s3":
		q.Set("AWS_ACCESS_KEY_ID", keyID)
		q.Set("AWS_SECRET_ACCESS_KEY", key)
		if o.Endpoint != "" {
			q.Set("AWS_ENDPOINT", o.Endpoint)
		}
	case "gcs":
		scheme = "gs"
		q.Set("AUTH", "specified")
		q.Set("CREDENTIALS", b64(key))
	}
	return fmt.Sprintf("%s://%s/%s?%s", scheme, o.Bucket, o.Path, q.Encode())
}

// ScheduleSQL replaces orbos's backup schedule by one from the spec: full backups into the URI on
// the cron, encrypted with the passphrase when there is one.
func ScheduleSQL(cron, uri, passphrase string) string {
	opts := "revision_history"
	if passphrase != "" {
		opts += ", encryption_passphrase = " + sqlString(passphrase)
	}
	return fmt.Sprintf("DROP SCHEDULES WITH s AS (SHOW SCHEDULES) SELECT id FROM s WHERE label = %s;\n"+
		"CREATE SCHEDULE %s FOR BACKUP INTO %s WITH %s RECURRING %s FULL BACKUP ALWAYS WITH SCHEDULE OPTIONS first_run = 'now';\n",
		sqlString(ScheduleLabel), ScheduleLabel, sqlString(uri), opts, sqlString(cron))
}

// LicenseSQL sets CockroachDB's licence key.
func LicenseSQL(key string) string {
	return "SET CLUSTER SETTING enterprise.license = " + sqlString(key) + ";\n"
}

// secretOrEmpty is the stack secret name, or an empty secret for no name.
func secretOrEmpty(args Args, name string) (pulumi.StringOutput, error) {
	if name == "" {
		return pulumi.ToSecret(pulumi.String("")).(pulumi.StringOutput), nil
	}
	return args.StackSecret(name)
}

// sqlJob writes the SQL orbos keeps CockroachDB at (the licence key, then the backup schedule,
// with the credentials) into a Secret and runs it with the root client certificate; the Job's name
// changes with what the SQL is made of, so that a changed spec runs it again.
func sqlJob(ctx *pulumi.Context, args Args, full string, opts ...pulumi.ResourceOption) (pulumi.Resource, error) {
	b := args.DB.Backups
	var o stacks.ObjectStore
	var cron, encryption string
	if b != nil {
		o, cron, encryption = b.ObjectStore, b.Schedule, b.EncryptionSecret
	}
	var secrets []pulumi.StringOutput
	for _, n := range []string{args.DB.LicenseSecret, o.AccessKeyIDSecret, o.CredentialsSecret, encryption} {
		v, err := secretOrEmpty(args, n)
		if err != nil {
			return nil, err
		}
		secrets = append(secrets, v)
	}
	sql := pulumi.All(secrets[0], secrets[1], secrets[2], secrets[3]).ApplyT(func(v []any) string {
		var out string
		if license := v[0].(string); license != "" {
			out += LicenseSQL(license)
		}
		if b != nil {
			out += ScheduleSQL(cron, BackupURI(o, v[1].(string), v[2].(string)), v[3].(string))
		}
		return out
	}).(pulumi.StringOutput)
	// The name is the backup schedule's, which it held before it set the licence too.
	name := args.Name + "-backup-schedule"
	secret, err := corev1.NewSecret(ctx, name, &corev1.SecretArgs{
		Metadata: args.meta(name), Type: pulumi.String("Opaque"),
		StringData: pulumi.StringMap{"schedule.sql": pulumi.ToSecret(sql).(pulumi.StringOutput)},
	}, append(opts, pulumi.AdditionalSecretOutputs([]string{"data", "stringData"}))...)
	if err != nil {
		return nil, err
	}
	made := []string{cron, DestinationPath(o), o.Endpoint, o.AccessKeyIDSecret, o.CredentialsSecret, encryption}
	if args.DB.LicenseSecret != "" {
		made = append(made, args.DB.LicenseSecret)
	}
	sum := sha256.Sum256([]byte(strings.Join(made, "\n")))
	jobName := name + "-" + hex.EncodeToString(sum[:])[:8]
	vol := func(n, secret string) corev1.VolumeArgs {
		return corev1.VolumeArgs{Name: pulumi.String(n), Secret: &corev1.SecretVolumeSourceArgs{SecretName: pulumi.String(secret), DefaultMode: pulumi.Int(0o400)}}
	}
	meta := args.meta(jobName)
	if args.SkipAwait {
		// Without nodes the Job never completes.
		meta.Annotations = pulumi.StringMap{"pulumi.com/patchForce": pulumi.String("true"), "pulumi.com/skipAwait": pulumi.String("true")}
	}
	// The pod template carries the SQL's digest (a Pulumi secret too): a new value of a secret it is
	// made of (the licence key, a store credential, the passphrase) changes the template, which a
	// Job cannot change in place, so the engine replaces the Job and the SQL runs again.
	digest := sql.ApplyT(func(s string) string {
		sum := sha256.Sum256([]byte(s))
		return hex.EncodeToString(sum[:])
	}).(pulumi.StringOutput)
	return batchv1.NewJob(ctx, jobName, &batchv1.JobArgs{
		Metadata: meta,
		Spec: &batchv1.JobSpecArgs{
			BackoffLimit: pulumi.Int(6),
			Template: &corev1.PodTemplateSpecArgs{Metadata: &metav1.ObjectMetaArgs{Annotations: pulumi.StringMap{SQLDigestAnnotation: digest}}, Spec: &corev1.PodSpecArgs{
				RestartPolicy: pulumi.String("OnFailure"),
				Containers: corev1.ContainerArray{corev1.ContainerArgs{
					Name: pulumi.String("schedule"), Image: pulumi.String("cockroachdb/cockroach:v" + cockroachApp),
					// The certificates directory must hold ca.crt, client.root.crt and client.root.key.
					Command: pulumi.ToStringArray([]string{"sh", "-ec",
						"mkdir -p /tmp/certs && cp /root-tls/ca.crt /tmp/certs/ca.crt && cp /root-tls/tls.crt /tmp/certs/client.root.crt && " +
							"cp /root-tls/tls.key /tmp/certs/client.root.key && chmod 0600 /tmp/certs/client.root.key && " +
							"exec cockroach sql --certs-dir=/tmp/certs --host=" + full + "-public --file=/sql/schedule.sql"}),
					VolumeMounts: corev1.VolumeMountArray{
						corev1.VolumeMountArgs{Name: pulumi.String("root-tls"), MountPath: pulumi.String("/root-tls"), ReadOnly: pulumi.Bool(true)},
						corev1.VolumeMountArgs{Name: pulumi.String("sql"), MountPath: pulumi.String("/sql"), ReadOnly: pulumi.Bool(true)},
					},
				}},
				Volumes: corev1.VolumeArray{vol("root-tls", args.Name+"-root"), vol("sql", name)},
			}},
		},
	}, append(opts, pulumi.DependsOn([]pulumi.Resource{secret}))...)
}

// SQLDigestAnnotation is the SQL Job's pod template annotation with the SHA-256 of its SQL.
const SQLDigestAnnotation = "orbos.io/sql-sha256"

// cockroachApp is the CockroachDB version chart 21.0.1 runs.
const cockroachApp = "26.2.1"
