package stacks

import (
	"os"
	"time"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

// KubernetesProviderVersion is the kubernetes provider plugin the program needs; it must equal the
// version of the pulumi-kubernetes Go SDK in go.mod.
const KubernetesProviderVersion = "4.25.0"

// SlowProgramEnv, set to a duration, makes the program pause between creating the namespace and
// registering the ConfigMap, so that tests can kill a run in the middle of the engine's work.
const SlowProgramEnv = "ORBOS_TEST_PROGRAM_PAUSE"

// Program is the ORB program. Until ORBITER builds clusters itself, it deploys the ORB's footprint to
// the cluster named by orbos:kubeconfig: a namespace and a ConfigMap carrying the ORB's name and its
// desired versions.
func Program(spec *Spec) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		kubeconfig := config.RequireSecret(ctx, KeyKubeconfig)
		provider, err := kubernetes.NewProvider(ctx, "cluster", &kubernetes.ProviderArgs{
			Kubeconfig: kubeconfig,
			// Update ConfigMaps in place: replacing one deletes it first, and readers would see it missing.
			EnableConfigMapMutable: pulumi.Bool(true),
		})
		if err != nil {
			return err
		}
		k := spec.Kubernetes()
		labels := pulumi.StringMap{
			"app.kubernetes.io/managed-by": pulumi.String("orbos"),
			"orbos.io/orb":                 pulumi.String(spec.Orb),
		}
		ns, err := corev1.NewNamespace(ctx, k.Namespace, &corev1.NamespaceArgs{
			Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(k.Namespace), Labels: labels},
		}, pulumi.Provider(provider))
		if err != nil {
			return err
		}
		nsName := ns.Metadata.Name().Elem()
		if d, err := time.ParseDuration(os.Getenv(SlowProgramEnv)); err == nil {
			nsName = nsName.ApplyT(func(n string) string { time.Sleep(d); return n }).(pulumi.StringOutput)
		}
		data := pulumi.StringMap{
			"orb":               pulumi.String(spec.Orb),
			"kubernetesVersion": pulumi.String(k.Version),
		}
		for _, t := range spec.Tools() {
			data["boom."+t.Name] = pulumi.String(t.Version)
		}
		cm, err := corev1.NewConfigMap(ctx, "orb", &corev1.ConfigMapArgs{
			Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String("orb"), Namespace: nsName, Labels: labels},
			Data:     data,
		}, pulumi.Provider(provider))
		if err != nil {
			return err
		}
		ctx.Export("namespace", nsName)
		ctx.Export("configMap", cm.Metadata.Name())
		ctx.Export("kubernetesVersion", pulumi.String(k.Version))
		return nil
	}
}
