package database

import (
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/orbos/orbos/stacks"
)

// With BOOM's metrics tool on, PostgreSQL on CloudNativePG is scraped: the operator through its
// chart's PodMonitor (monitoring.podMonitorEnabled), every instance of the live Cluster through a
// PodMonitor the program makes. CloudNativePG deprecates the Cluster's own
// spec.monitoring.enablePodMonitor: the monitor is left to whoever runs Prometheus. Each instance
// serves the cnpg_* metrics the database dashboard reads on its container port named metrics
// (9187, plain HTTP unless the Cluster asks for TLS); its pods carry cnpg.io/cluster with the
// Cluster's name and cnpg.io/podRole: instance (a Job of the Cluster carries the first only).

// MonitorName names the PodMonitor of the database's instances; it stays when a restore makes a
// new Cluster, and selects the live one.
func MonitorName(base string) string { return base }

// operatorValues are the CloudNativePG chart's values for its own PodMonitor.
func operatorValues(args Args) stacks.Values {
	return stacks.Values{"monitoring": map[string]any{"podMonitorEnabled": args.Metrics}}
}

// InstancesMonitor is the PodMonitor's spec for the instances of the Cluster clusterName.
func InstancesMonitor(clusterName string) map[string]any {
	return map[string]any{
		"selector": map[string]any{"matchLabels": map[string]any{
			"cnpg.io/cluster": clusterName,
			"cnpg.io/podRole": "instance",
		}},
		"podMetricsEndpoints": []any{map[string]any{"port": "metrics", "interval": "30s"}},
	}
}

// monitorInstances makes the PodMonitor of the live Cluster's instances when the metrics tool is
// on; cluster is the Cluster it comes after.
func monitorInstances(ctx *pulumi.Context, args Args, cluster pulumi.Resource, opts ...pulumi.ResourceOption) error {
	if !args.Metrics {
		return nil
	}
	_, err := apiextensions.NewCustomResource(ctx, args.Name+"-instances", &apiextensions.CustomResourceArgs{
		ApiVersion: pulumi.String("monitoring.coreos.com/v1"), Kind: pulumi.String("PodMonitor"), Metadata: args.meta(MonitorName(args.Name)),
		OtherFields: kubernetes.UntypedArgs{"spec": InstancesMonitor(args.DB.ClusterName(args.Name))},
	}, append(opts, pulumi.DependsOn([]pulumi.Resource{cluster}))...)
	return err
}
