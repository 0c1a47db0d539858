package program

import (
	"encoding/json"
	"fmt"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/orbos/orbos/components/boom"
	"github.com/orbos/orbos/components/boom/alerts"
	"github.com/orbos/orbos/stacks"
)

// OrbosRules names the PrometheusRule of orbos's own alerts in the ORB's namespace.
const OrbosRules = "orbos"

// CertManagerMonitor names the ServiceMonitor of cert-manager's controller, whose
// certmanager_certificate_expiration_timestamp_seconds the certificate alerts read.
const CertManagerMonitor = "orbos-cert-manager"

// monitorOrbos ships orbos's own monitoring when BOOM's metrics tool is on: its alerting rules
// beside the reconciler (with Zitadel's when it is on: ao), and a ServiceMonitor for cert-manager's metrics when the certificates tool
// is on. Both are custom resources of the metrics tool's CRDs: they come after its CRD step (and
// cert-manager's after cert-manager).
func monitorOrbos(ctx *pulumi.Context, namespace pulumi.StringInput, labels pulumi.StringMap, tools map[string]*boom.Tool, specTools []stacks.NamedTool, ao alerts.Options, opts ...pulumi.ResourceOption) error {
	metrics := tools[stacks.MetricsTool]
	if metrics == nil {
		return nil
	}
	annotations := pulumi.StringMap{"pulumi.com/patchForce": pulumi.String("true")}
	groups, err := untyped(alerts.Groups(ao))
	if err != nil {
		return err
	}
	if _, err := apiextensions.NewCustomResource(ctx, OrbosRules, &apiextensions.CustomResourceArgs{
		ApiVersion:  pulumi.String("monitoring.coreos.com/v1"),
		Kind:        pulumi.String("PrometheusRule"),
		Metadata:    &metav1.ObjectMetaArgs{Name: pulumi.String(OrbosRules), Namespace: namespace, Labels: labels, Annotations: annotations},
		OtherFields: kubernetes.UntypedArgs{"spec": pulumi.Map{"groups": pulumi.ToArray(groups)}},
	}, append(opts, pulumi.DependsOn([]pulumi.Resource{metrics.CRDs}))...); err != nil {
		return err
	}
	certs := tools["certificates"]
	if certs == nil {
		return nil
	}
	var ns string
	for _, t := range specTools {
		if t.Name == "certificates" {
			ns = t.Namespace
		}
	}
	// The chart's Service of the controller's metrics (its release is the tool's name).
	_, err = apiextensions.NewCustomResource(ctx, CertManagerMonitor, &apiextensions.CustomResourceArgs{
		ApiVersion: pulumi.String("monitoring.coreos.com/v1"),
		Kind:       pulumi.String("ServiceMonitor"),
		Metadata:   &metav1.ObjectMetaArgs{Name: pulumi.String(CertManagerMonitor), Namespace: pulumi.String(ns), Labels: labels, Annotations: annotations},
		OtherFields: kubernetes.UntypedArgs{"spec": pulumi.Map{
			"selector": pulumi.Map{"matchLabels": pulumi.StringMap{
				"app.kubernetes.io/name": pulumi.String("cert-manager"), "app.kubernetes.io/instance": pulumi.String("certificates"),
				"app.kubernetes.io/component": pulumi.String("controller"),
			}},
			"endpoints": pulumi.Array{pulumi.Map{"port": pulumi.String("tcp-prometheus-servicemonitor"), "interval": pulumi.String("60s")}},
		}},
	}, append(opts, pulumi.DependsOn([]pulumi.Resource{metrics.CRDs, certs}))...)
	return err
}

// untyped turns rule groups into the plain lists and maps a custom resource's fields are.
func untyped(groups []alerts.Group) ([]any, error) {
	b, err := json.Marshal(groups)
	if err != nil {
		return nil, fmt.Errorf("orbos's alerting rules: %w", err)
	}
	var out []any
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("orbos's alerting rules: %w", err)
	}
	return out, nil
}
