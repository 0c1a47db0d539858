package dashboards

import (
	"fmt"
	"slices"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/orbos/orbos/internal/pulumidep"
)

// SetType is the type token of the dashboards' component.
const SetType = "orbos:boom:Dashboards"

// Args are the dashboards to ship and where.
type Args struct {
	// Dashboards are those to ship (Select).
	Dashboards []Dashboard
	// Namespace is the dashboards tool's namespace.
	Namespace string
	// Labels are set on every ConfigMap besides the sidecar's label.
	Labels map[string]string
}

// Set is the dashboards' ConfigMaps.
type Set struct {
	pulumi.ResourceState
	// Recorder names what the component made, for those that come after it (pulumidep.On).
	pulumidep.Recorder
	ConfigMaps []*corev1.ConfigMap
}

// ConfigMapName is the name of a dashboard's ConfigMap.
func ConfigMapName(d Dashboard) string { return "orbos-dashboard-" + d.Name }

// New ships the dashboards as ConfigMaps labelled for Grafana's sidecar; opts carry the provider
// and what they come after (the dashboards tool).
func New(ctx *pulumi.Context, name string, args Args, opts ...pulumi.ResourceOption) (*Set, error) {
	set := &Set{}
	if err := ctx.RegisterComponentResource(SetType, name, set, append(slices.Clip(opts), set.Recording(set))...); err != nil {
		return nil, err
	}
	labels := pulumi.StringMap{Label: pulumi.String(LabelValue)}
	for k, v := range args.Labels {
		labels[k] = pulumi.String(v)
	}
	for _, d := range args.Dashboards {
		raw, err := JSON(d.Name)
		if err != nil {
			return nil, err
		}
		cm, err := corev1.NewConfigMap(ctx, ConfigMapName(d), &corev1.ConfigMapArgs{
			Metadata: &metav1.ObjectMetaArgs{
				Name: pulumi.String(ConfigMapName(d)), Namespace: pulumi.String(args.Namespace), Labels: labels,
				Annotations: pulumi.StringMap{"pulumi.com/patchForce": pulumi.String("true")},
			},
			Data: pulumi.StringMap{d.Name + ".json": pulumi.String(raw)},
		}, pulumi.Parent(set))
		if err != nil {
			return nil, fmt.Errorf("dashboard %s: %w", d.Name, err)
		}
		set.ConfigMaps = append(set.ConfigMaps, cm)
	}
	return set, ctx.RegisterResourceOutputs(set, pulumi.Map{"count": pulumi.Int(len(set.ConfigMaps))})
}
