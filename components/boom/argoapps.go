package boom

import (
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// InClusterServer is how an Application names the cluster Argo CD runs in.
const InClusterServer = "https://kubernetes.default.svc"

// argoApplications makes the spec's Argo CD Applications in Argo CD's namespace, after the tool's
// CRDs, the chart and the repository Secrets (opts carry those dependencies). An Application carries
// no finalizer: removing it from the spec leaves what it deployed in place.
func argoApplications(ctx *pulumi.Context, args Args, opts []pulumi.ResourceOption) error {
	t := args.Tool
	if t.ArgoCD == nil {
		return nil
	}
	urls := map[string]string{}
	for _, r := range t.ArgoCD.Repositories {
		urls[r.Name] = r.URL
	}
	for _, app := range t.ArgoCD.Applications {
		spec := pulumi.Map{
			"project": pulumi.String(orDefault(app.Project, "default")),
			"source": pulumi.Map{
				"repoURL":        pulumi.String(urls[app.Repository]),
				"path":           pulumi.String(orDefault(app.Path, ".")),
				"targetRevision": pulumi.String(orDefault(app.Revision, "HEAD")),
			},
			"destination": pulumi.Map{"server": pulumi.String(InClusterServer), "namespace": pulumi.String(app.Namespace)},
		}
		if app.Automated {
			spec["syncPolicy"] = pulumi.Map{"automated": pulumi.Map{"prune": pulumi.Bool(true), "selfHeal": pulumi.Bool(true)}}
		}
		if _, err := apiextensions.NewCustomResource(ctx, t.Name+"-app-"+app.Name, &apiextensions.CustomResourceArgs{
			ApiVersion:  pulumi.String("argoproj.io/v1alpha1"),
			Kind:        pulumi.String("Application"),
			Metadata:    &metav1.ObjectMetaArgs{Name: pulumi.String(app.Name), Namespace: pulumi.String(t.Namespace), Labels: pulumi.ToStringMap(args.Labels)},
			OtherFields: kubernetes.UntypedArgs{"spec": spec},
		}, opts...); err != nil {
			return err
		}
	}
	return nil
}
