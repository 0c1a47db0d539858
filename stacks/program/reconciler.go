package program

import (
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	appsv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apps/v1"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	rbacv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/rbac/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/orbos/orbos/components/boom"
	"github.com/orbos/orbos/stacks"
)

// OrbconfigSecret is the Secret `orbctl takeoff` writes the orbconfig into; it never enters the
// ORB's repository or state.
const OrbconfigSecret = "orbconfig"

// ReconcilerName names the reconciler's Deployment and labels its pods (app.kubernetes.io/name).
const ReconcilerName = "orbos-reconciler"

// deployReconciler runs the reconciler in the cluster: a ServiceAccount allowed only to read its
// orbconfig Secret, a Deployment of one non-root, read-only replica, and a Service for its metrics.
func deployReconciler(ctx *pulumi.Context, spec *stacks.Spec, namespace pulumi.StringInput, labels pulumi.StringMap, tools map[string]*boom.Tool, opts ...pulumi.ResourceOption) error {
	r := spec.File.Config.Reconciler
	// The engine does not wait for the reconciler's pod: orbctl takeoff waits for its readiness
	// itself, and a cluster without nodes yet must not stall the run that creates them.
	annotations := pulumi.StringMap{"pulumi.com/patchForce": pulumi.String("true"), "pulumi.com/skipAwait": pulumi.String("true")}
	meta := func(name string) *metav1.ObjectMetaArgs {
		return &metav1.ObjectMetaArgs{Name: pulumi.String(name), Namespace: namespace, Labels: labels, Annotations: annotations}
	}
	sa, err := corev1.NewServiceAccount(ctx, ReconcilerName, &corev1.ServiceAccountArgs{Metadata: meta(ReconcilerName)}, opts...)
	if err != nil {
		return err
	}
	role, err := rbacv1.NewRole(ctx, ReconcilerName, &rbacv1.RoleArgs{
		Metadata: meta(ReconcilerName),
		Rules: rbacv1.PolicyRuleArray{rbacv1.PolicyRuleArgs{
			ApiGroups: pulumi.StringArray{pulumi.String("")}, Resources: pulumi.StringArray{pulumi.String("secrets")},
			ResourceNames: pulumi.StringArray{pulumi.String(OrbconfigSecret)}, Verbs: pulumi.StringArray{pulumi.String("get")},
		}},
	}, opts...)
	if err != nil {
		return err
	}
	if _, err := rbacv1.NewRoleBinding(ctx, ReconcilerName, &rbacv1.RoleBindingArgs{
		Metadata: meta(ReconcilerName),
		RoleRef:  rbacv1.RoleRefArgs{ApiGroup: pulumi.String("rbac.authorization.k8s.io"), Kind: pulumi.String("Role"), Name: role.Metadata.Name().Elem()},
		Subjects: rbacv1.SubjectArray{rbacv1.SubjectArgs{Kind: pulumi.String("ServiceAccount"), Name: sa.Metadata.Name().Elem(), Namespace: namespace}},
	}, opts...); err != nil {
		return err
	}
	selector := pulumi.StringMap{"app.kubernetes.io/name": pulumi.String(ReconcilerName)}
	podLabels := pulumi.StringMap{"app.kubernetes.io/name": pulumi.String(ReconcilerName)}
	for k, v := range labels {
		podLabels[k] = v
	}
	probe := func(path string) *corev1.ProbeArgs {
		return &corev1.ProbeArgs{HttpGet: &corev1.HTTPGetActionArgs{Path: pulumi.String(path), Port: pulumi.Int(9090)}, PeriodSeconds: pulumi.Int(10)}
	}
	if _, err := appsv1.NewDeployment(ctx, ReconcilerName, &appsv1.DeploymentArgs{
		Metadata: meta(ReconcilerName),
		Spec: &appsv1.DeploymentSpecArgs{
			Replicas: pulumi.Int(1),
			// Never two at once; the ORB lock would exclude the second anyway.
			Strategy: &appsv1.DeploymentStrategyArgs{Type: pulumi.String("Recreate")},
			Selector: &metav1.LabelSelectorArgs{MatchLabels: selector},
			Template: &corev1.PodTemplateSpecArgs{
				Metadata: &metav1.ObjectMetaArgs{Labels: podLabels},
				Spec: &corev1.PodSpecArgs{
					ServiceAccountName: sa.Metadata.Name().Elem(),
					// A cluster of control planes only still runs its reconciler.
					Tolerations: corev1.TolerationArray{corev1.TolerationArgs{
						Key: pulumi.String("node-role.kubernetes.io/control-plane"), Operator: pulumi.String("Exists"), Effect: pulumi.String("NoSchedule"),
					}},
					// On SIGTERM (a drain of its node, a new image) a run cancels the engine and still
					// commits and pushes its state: give it the time to.
					TerminationGracePeriodSeconds: pulumi.Int(120),
					SecurityContext: &corev1.PodSecurityContextArgs{
						RunAsNonRoot: pulumi.Bool(true), RunAsUser: pulumi.Int(65532), FsGroup: pulumi.Int(65532),
						SeccompProfile: &corev1.SeccompProfileArgs{Type: pulumi.String("RuntimeDefault")},
					},
					Containers: corev1.ContainerArray{corev1.ContainerArgs{
						Name:           pulumi.String("reconciler"),
						Image:          pulumi.String(r.Image),
						Args:           pulumi.ToStringArray(reconcilerArgs(r)),
						Env:            corev1.EnvVarArray{corev1.EnvVarArgs{Name: pulumi.String("PULUMI_HOME"), Value: pulumi.String("/var/lib/orbos/pulumi")}},
						Ports:          corev1.ContainerPortArray{corev1.ContainerPortArgs{Name: pulumi.String("metrics"), ContainerPort: pulumi.Int(9090)}},
						LivenessProbe:  probe("/healthz"),
						ReadinessProbe: probe("/readyz"),
						Resources: &corev1.ResourceRequirementsArgs{
							Requests: pulumi.StringMap{"cpu": pulumi.String("100m"), "memory": pulumi.String("256Mi")},
							Limits:   pulumi.StringMap{"memory": pulumi.String("1Gi")},
						},
						SecurityContext: &corev1.SecurityContextArgs{
							AllowPrivilegeEscalation: pulumi.Bool(false), ReadOnlyRootFilesystem: pulumi.Bool(true),
							Capabilities: &corev1.CapabilitiesArgs{Drop: pulumi.StringArray{pulumi.String("ALL")}},
						},
						VolumeMounts: corev1.VolumeMountArray{
							corev1.VolumeMountArgs{Name: pulumi.String("orbconfig"), MountPath: pulumi.String("/etc/orbos"), ReadOnly: pulumi.Bool(true)},
							corev1.VolumeMountArgs{Name: pulumi.String("work"), MountPath: pulumi.String("/var/lib/orbos")},
							corev1.VolumeMountArgs{Name: pulumi.String("tmp"), MountPath: pulumi.String("/tmp")},
						},
					}},
					Volumes: corev1.VolumeArray{
						corev1.VolumeArgs{Name: pulumi.String("orbconfig"), Secret: &corev1.SecretVolumeSourceArgs{
							SecretName: pulumi.String(OrbconfigSecret), DefaultMode: pulumi.Int(0o400)}},
						corev1.VolumeArgs{Name: pulumi.String("work"), EmptyDir: &corev1.EmptyDirVolumeSourceArgs{}},
						corev1.VolumeArgs{Name: pulumi.String("tmp"), EmptyDir: &corev1.EmptyDirVolumeSourceArgs{}},
					},
				},
			},
		},
	}, append(opts, pulumi.DependsOn([]pulumi.Resource{sa}))...); err != nil {
		return err
	}
	svc, err := corev1.NewService(ctx, ReconcilerName, &corev1.ServiceArgs{
		Metadata: meta(ReconcilerName),
		Spec: &corev1.ServiceSpecArgs{
			Selector: selector,
			Ports:    corev1.ServicePortArray{corev1.ServicePortArgs{Name: pulumi.String("metrics"), Port: pulumi.Int(9090), TargetPort: pulumi.String("metrics")}},
		},
	}, opts...)
	metrics := tools["metrics"]
	if err != nil || metrics == nil {
		return err
	}
	// BOOM's metrics stack scrapes the reconciler through a ServiceMonitor, once the metrics tool's
	// CRDs are there.
	_, err = apiextensions.NewCustomResource(ctx, ReconcilerName, &apiextensions.CustomResourceArgs{
		ApiVersion: pulumi.String("monitoring.coreos.com/v1"),
		Kind:       pulumi.String("ServiceMonitor"),
		Metadata:   meta(ReconcilerName),
		OtherFields: kubernetes.UntypedArgs{"spec": pulumi.Map{
			"selector":  pulumi.Map{"matchLabels": selector},
			"endpoints": pulumi.Array{pulumi.Map{"port": pulumi.String("metrics"), "interval": pulumi.String("30s")}},
		}},
	}, append(opts, pulumi.DependsOn([]pulumi.Resource{svc, metrics.CRDs}))...)
	return err
}

// reconcilerArgs are the reconciler container's arguments.
func reconcilerArgs(r *stacks.Reconciler) []string {
	args := []string{"reconcile", "--orbconfig", "/etc/orbos/orbconfig", "--orbconfig-from-secret", "--checkout", "/var/lib/orbos/checkout", "--listen", ":9090"}
	if r.Interval != "" {
		args = append(args, "--interval", r.Interval)
	}
	return args
}
