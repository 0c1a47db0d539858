package database

import (
	"fmt"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/orbos/orbos/components/boom"
	"github.com/orbos/orbos/stacks"
)

const (
	// OperatorNamespace holds the CloudNativePG operator and its Barman Cloud plugin, which must
	// share it.
	OperatorNamespace = "cnpg-system"
	// BarmanPlugin is the Barman Cloud plugin's name in a Cluster and a ScheduledBackup.
	BarmanPlugin = "barman-cloud.cloudnative-pg.io"
	cnpgAPI      = "postgresql.cnpg.io/v1"
	barmanAPI    = "barmancloud.cnpg.io/v1"
)

// postgres installs the CloudNativePG operator and the Barman Cloud plugin (each its CRDs first,
// as BOOM's tools), the owner's and the superuser's Secrets, and, after the operators, the Cluster,
// its ObjectStore and its ScheduledBackup.
func postgres(ctx *pulumi.Context, args Args, db *Database) error {
	child := pulumi.Parent(db)
	ns, err := corev1.NewNamespace(ctx, args.Name+"-"+OperatorNamespace, &corev1.NamespaceArgs{
		Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(OperatorNamespace), Labels: pulumi.ToStringMap(args.Labels),
			Annotations: pulumi.StringMap{"pulumi.com/patchForce": pulumi.String("true")}},
	}, child)
	if err != nil {
		return err
	}
	operator, err := operatorChart(ctx, args, "cloudnative-pg", args.DB.CloudNativePGChart(), operatorValues(args), child, pulumi.DependsOn([]pulumi.Resource{ns}))
	if err != nil {
		return err
	}
	operators := []pulumi.Resource{operator}
	if args.DB.Backups != nil {
		// The plugin's webhooks take their certificates from cert-manager (BOOM's certificates).
		plugin, err := operatorChart(ctx, args, "barman-cloud", args.DB.BarmanCloudChart(), nil, child, pulumi.DependsOn([]pulumi.Resource{operator}))
		if err != nil {
			return err
		}
		operators = append(operators, plugin)
	}
	owner, err := Password()
	if err != nil {
		return err
	}
	admin, err := Password()
	if err != nil {
		return err
	}
	if db.User, err = generatedSecret(ctx, args.Name+"-owner", args.meta(args.Name+"-owner"), "kubernetes.io/basic-auth",
		map[string]string{"username": args.Owner, "password": owner}, child); err != nil {
		return err
	}
	if db.Admin, err = generatedSecret(ctx, args.Name+"-superuser", args.meta(args.Name+"-superuser"), "kubernetes.io/basic-auth",
		map[string]string{"username": "postgres", "password": admin}, child); err != nil {
		return err
	}
	db.UserSecret, db.AdminSecret = args.Name+"-owner", args.Name+"-superuser"
	after := pulumi.DependsOn(append(operators, db.User, db.Admin))
	// The live cluster: the base name until the first restore, then one per restore (recovery.go).
	clusterName := args.DB.ClusterName(args.Name)
	var deps []pulumi.Resource
	var plugins []any
	if b := args.DB.Backups; b != nil {
		store, err := objectStore(ctx, args, b, child, after)
		if err != nil {
			return err
		}
		deps = append(deps, store)
		plugins = walArchiver(args, clusterName)
	}
	spec := map[string]any{
		"instances": args.DB.Instances,
		"storage":   storage(args.DB.Storage),
		// Zitadel's init creates its schema as the owner; the superuser is for the operator's
		// tasks (kubectl cnpg psql), from its own Secret.
		"enableSuperuserAccess": true,
		"superuserSecret":       map[string]any{"name": args.Name + "-superuser"},
		"bootstrap":             bootstrap(args),
		// One instance per node: a node lost is one replica lost.
		"affinity": map[string]any{"enablePodAntiAffinity": true, "topologyKey": "kubernetes.io/hostname"},
	}
	if r := args.DB.Resources; r != nil {
		spec["resources"] = resources(r)
	}
	if plugins != nil {
		spec["plugins"] = plugins
	}
	if ext := externalClusters(args); ext != nil {
		spec["externalClusters"] = ext
	}
	cluster, err := newCluster(ctx, args, clusterName, spec, child, pulumi.DependsOn(append(append(operators, db.User, db.Admin), deps...)))
	if err != nil {
		return err
	}
	db.Ready = []pulumi.Resource{cluster}
	if err := monitorInstances(ctx, args, cluster, child); err != nil {
		return err
	}
	if b := args.DB.Backups; b != nil {
		sb, err := custom(ctx, args, cnpgAPI, "ScheduledBackup", args.Name+"-daily", map[string]any{
			"schedule":             CNPGSchedule(b.Schedule),
			"cluster":              map[string]any{"name": clusterName},
			"method":               "plugin",
			"pluginConfiguration":  map[string]any{"name": BarmanPlugin},
			"backupOwnerReference": "self",
			// A first backup right away: an ORB is never without one until the first schedule.
			"immediate": true,
		}, child, pulumi.DependsOn([]pulumi.Resource{cluster}))
		if err != nil {
			return err
		}
		db.Ready = append(db.Ready, sb)
	}
	db.Host = fmt.Sprintf("%s-rw.%s.svc", clusterName, args.Namespace)
	db.Port = 5432
	// CloudNativePG serves TLS with its own CA; Zitadel does not verify it (require, not verify-full).
	db.SSLMode = "require"
	return nil
}

// CNPGSchedule turns a cron schedule of five fields into CloudNativePG's six, which start with
// the seconds.
func CNPGSchedule(cron string) string { return "0 " + cron }

// DestinationPath is where the backups go: s3://bucket/path or gs://bucket/path.
func DestinationPath(o stacks.ObjectStore) string {
	scheme := "s3"
	if o.Type == "gcs" {
		scheme = "gs"
	}
	return fmt.Sprintf("%s://%s/%s", scheme, o.Bucket, o.Path)
}

// objectStore is the Barman Cloud plugin's ObjectStore: where WAL and base backups go, with the
// credentials from the stack's secrets and the retention.
func objectStore(ctx *pulumi.Context, args Args, b *stacks.DBBackups, opts ...pulumi.ResourceOption) (pulumi.Resource, error) {
	o := b.ObjectStore
	creds := pulumi.StringMap{}
	config := map[string]any{"destinationPath": DestinationPath(o)}
	name := args.Name + "-backup-credentials"
	ref := func(key string) map[string]any { return map[string]any{"name": name, "key": key} }
	key, err := args.StackSecret(o.CredentialsSecret)
	if err != nil {
		return nil, err
	}
	compression := map[string]any{"compression": "gzip"}
	switch o.Type {
	case "s3":
		id, err := args.StackSecret(o.AccessKeyIDSecret)
		if err != nil {
			return nil, err
		}
		creds["ACCESS_KEY_ID"], creds["ACCESS_SECRET_KEY"] = id, key
		config["s3Credentials"] = map[string]any{"accessKeyId": ref("ACCESS_KEY_ID"), "secretAccessKey": ref("ACCESS_SECRET_KEY")}
		if o.Endpoint != "" {
			config["endpointURL"] = o.Endpoint
		} else {
			// AWS encrypts at rest on request; S3-compatible stores may not know the header.
			compression["encryption"] = "AES256"
		}
	case "gcs":
		creds["credentials.json"] = key
		config["googleCredentials"] = map[string]any{"applicationCredentials": ref("credentials.json")}
	}
	config["wal"], config["data"] = compression, compression
	secret, err := corev1.NewSecret(ctx, name, &corev1.SecretArgs{
		Metadata:   args.meta(name),
		Type:       pulumi.String("Opaque"),
		StringData: pulumi.ToSecret(creds).(pulumi.StringMapOutput),
	}, append(opts, pulumi.AdditionalSecretOutputs([]string{"data", "stringData"}))...)
	if err != nil {
		return nil, err
	}
	return custom(ctx, args, barmanAPI, "ObjectStore", args.Name+"-backups", map[string]any{
		"retentionPolicy": b.Retention,
		"configuration":   config,
	}, append(opts, pulumi.DependsOn([]pulumi.Resource{secret}))...)
}

// custom is a custom resource of the operators' CRDs in the database's namespace.
func custom(ctx *pulumi.Context, args Args, apiVersion, kind, name string, spec map[string]any, opts ...pulumi.ResourceOption) (pulumi.Resource, error) {
	return apiextensions.NewCustomResource(ctx, name, &apiextensions.CustomResourceArgs{
		ApiVersion: pulumi.String(apiVersion), Kind: pulumi.String(kind), Metadata: args.meta(name),
		OtherFields: kubernetes.UntypedArgs{"spec": spec},
	}, opts...)
}

// operatorChart installs an operator's chart as BOOM installs a tool: its CRDs in a step of their
// own (kept when the chart goes), then the rest.
func operatorChart(ctx *pulumi.Context, args Args, name string, chart stacks.Chart, values stacks.Values, opts ...pulumi.ResourceOption) (*boom.Tool, error) {
	return boom.New(ctx, boom.Args{
		Tool:            stacks.NamedTool{Name: name, Tool: stacks.Tool{Enabled: true, Chart: chart, Namespace: OperatorNamespace, Values: values}},
		ChartRepository: args.ChartRepository, RepoDir: args.RepoDir, Orbctl: args.Orbctl, SkipAwait: args.SkipAwait, Labels: args.Labels,
		StackSecret: args.StackSecret,
	}, opts...)
}

func storage(s stacks.Storage) map[string]any {
	out := map[string]any{"size": s.Size}
	if s.StorageClass != "" {
		out["storageClass"] = s.StorageClass
	}
	return out
}

// resources is a container's requests and limits as Kubernetes takes them.
func resources(r *stacks.Resources) map[string]any {
	out := map[string]any{}
	if len(r.Requests) > 0 {
		out["requests"] = toAny(r.Requests)
	}
	if len(r.Limits) > 0 {
		out["limits"] = toAny(r.Limits)
	}
	return out
}

func toAny(m map[string]string) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	return out
}
