// Package zitadel installs Zitadel: its namespace, its database (package database), the masterkey
// and credentials as Secrets, the zitadel chart as a Helm release, and an HTTPRoute on the ORB's
// Gateway, where TLS ends.
package zitadel

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	helmv3 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v3"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/orbos/orbos/components/boom"
	"github.com/orbos/orbos/components/database"
	"github.com/orbos/orbos/internal/pulumidep"
	"github.com/orbos/orbos/stacks"
)

// Type is the type token of Zitadel's component.
const Type = "orbos:zitadel:Zitadel"

// GatewayName is the ORB's Gateway (BOOM's gateway tool makes it in its namespace).
const GatewayName = "orbos"

// MasterkeyHashAnnotation carries the SHA-256 of the masterkey on its Secret: the policy pack
// compares it with the one that runs, and refuses a change. The key is 32 random characters, so
// its hash reveals nothing.
const MasterkeyHashAnnotation = "orbos.io/masterkey-sha256"

// Args are Zitadel's spec and what it is installed with.
type Args struct {
	Orb     string
	Zitadel *stacks.Zitadel
	// Masterkey is orbos:zitadelMasterkey, a Pulumi secret.
	Masterkey pulumi.StringOutput
	// GatewayNamespace is the namespace of BOOM's gateway tool, where the Gateway is.
	GatewayNamespace string
	Labels           map[string]string
	StackSecret      func(name string) (pulumi.StringOutput, error)
	// ChartRepository is the ORB-wide chart mirror; RepoDir the ORB repository's checkout (local
	// charts); Orbctl the post-renderer of the operators' charts.
	ChartRepository, RepoDir, Orbctl string
	SkipAwait                        bool
	// Metrics says BOOM's metrics tool is on: Zitadel and its database are scraped (monitoring.go).
	Metrics bool
}

// Zitadel is the installed Zitadel.
type Zitadel struct {
	pulumi.ResourceState
	// Recorder names what the component made, for those that come after it (pulumidep.On).
	pulumidep.Recorder
	Database  *database.Database
	Masterkey *corev1.Secret
	Release   *helmv3.Release
	Route     pulumi.Resource
}

// MasterkeyHash is the hex SHA-256 of a masterkey, as the annotation and the policy pack carry it.
func MasterkeyHash(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// New installs Zitadel with its database.
func New(ctx *pulumi.Context, args Args, opts ...pulumi.ResourceOption) (*Zitadel, error) {
	z := args.Zitadel
	out := &Zitadel{}
	if err := ctx.RegisterComponentResource(Type, "zitadel", out, append(slices.Clip(opts), out.Recording(out))...); err != nil {
		return nil, err
	}
	child := pulumi.Parent(out)
	meta := func(name string) *metav1.ObjectMetaArgs {
		return &metav1.ObjectMetaArgs{
			Name: pulumi.String(name), Namespace: pulumi.String(z.Namespace), Labels: pulumi.ToStringMap(args.Labels),
			Annotations: pulumi.StringMap{"pulumi.com/patchForce": pulumi.String("true")},
		}
	}
	ns, err := corev1.NewNamespace(ctx, "zitadel-"+z.Namespace, &corev1.NamespaceArgs{
		Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(z.Namespace), Labels: pulumi.ToStringMap(args.Labels),
			Annotations: pulumi.StringMap{"pulumi.com/patchForce": pulumi.String("true")}},
	}, child)
	if err != nil {
		return nil, err
	}
	inNS := pulumi.DependsOn([]pulumi.Resource{ns})
	out.Database, err = database.New(ctx, database.Args{
		Orb: args.Orb, Name: "zitadel-db", Namespace: z.Namespace, DB: z.Database, Database: "zitadel", Owner: "zitadel",
		Labels: args.Labels, StackSecret: args.StackSecret, ChartRepository: args.ChartRepository, RepoDir: args.RepoDir, Orbctl: args.Orbctl, SkipAwait: args.SkipAwait,
		Metrics: args.Metrics,
	}, child, inNS)
	if err != nil {
		return nil, err
	}
	// The masterkey comes from the desired state, where it outlives the cluster: a cluster made
	// anew from the repository and a restored database need the key that encrypted its data.
	mk := meta(MasterkeySecret)
	mk.Annotations = pulumi.StringMap{
		"pulumi.com/patchForce": pulumi.String("true"),
		MasterkeyHashAnnotation: pulumi.Unsecret(args.Masterkey.ApplyT(MasterkeyHash)).(pulumi.StringOutput),
	}
	out.Masterkey, err = corev1.NewSecret(ctx, MasterkeySecret, &corev1.SecretArgs{
		Metadata: mk, Type: pulumi.String("Opaque"),
		StringData: pulumi.StringMap{"masterkey": args.Masterkey},
	}, child, inNS, pulumi.AdditionalSecretOutputs([]string{"data", "stringData"}))
	if err != nil {
		return nil, err
	}
	deps := append([]pulumi.Resource{out.Masterkey}, out.Database.Ready...)
	if f := z.FirstInstance; f != nil {
		pw, err := database.Password()
		if err != nil {
			return nil, err
		}
		// Zitadel asks for a new password at the first sign-in; the operator reads this one once:
		// kubectl -n zitadel get secret zitadel-admin -o jsonpath='{.data.password}' | base64 -d
		admin, err := corev1.NewSecret(ctx, AdminSecret, &corev1.SecretArgs{
			Metadata: meta(AdminSecret), Type: pulumi.String("Opaque"),
			StringData: pulumi.ToSecret(pulumi.ToStringMap(map[string]string{"username": f.Admin.Username, "password": pw})).(pulumi.StringMapOutput),
		}, child, inNS, pulumi.IgnoreChanges([]string{"stringData", "data"}), pulumi.AdditionalSecretOutputs([]string{"data", "stringData"}))
		if err != nil {
			return nil, err
		}
		deps = append(deps, admin)
	}
	if s := z.SMTP; s != nil && s.PasswordSecret != "" {
		pw, err := args.StackSecret(s.PasswordSecret)
		if err != nil {
			return nil, err
		}
		smtp, err := corev1.NewSecret(ctx, SMTPSecret, &corev1.SecretArgs{
			Metadata: meta(SMTPSecret), Type: pulumi.String("Opaque"),
			StringData: pulumi.StringMap{"password": pw},
		}, child, inNS, pulumi.AdditionalSecretOutputs([]string{"data", "stringData"}))
		if err != nil {
			return nil, err
		}
		deps = append(deps, smtp)
	}
	chart, repo, err := boom.ReleaseChart(z.Chart, args.ChartRepository, args.RepoDir)
	if err != nil {
		return nil, fmt.Errorf("Zitadel's chart: %w", err)
	}
	// A Release, not a rendered Chart: the chart's init Job (database and user) and setup Job
	// (schema migrations, the first instance) are pre-install/pre-upgrade hooks that must finish
	// before the new Deployment starts, and helm.sh/v4:Chart drops hooks (pulumi-kubernetes#3284).
	// A version upgrade thereby runs the chart's migrations before the new pods.
	out.Release, err = helmv3.NewRelease(ctx, "zitadel", &helmv3.ReleaseArgs{
		Chart: pulumi.String(chart), Version: pulumi.String(z.Chart.Version), RepositoryOpts: repo,
		Name: pulumi.String("zitadel"), Namespace: pulumi.String(z.Namespace),
		Values:    pulumi.ToMap(withMonitoring(Values(z, out.Database), args.Metrics)),
		SkipAwait: pulumi.Bool(args.SkipAwait), WaitForJobs: pulumi.Bool(!args.SkipAwait),
		// A failed install or upgrade is rolled back rather than left pending (#2054). Atomic makes
		// Helm wait for every workload whatever SkipAwait says: on a cluster without nodes the
		// install would time out and be rolled back (the hooks' Jobs are waited for either way).
		Atomic: pulumi.Bool(!args.SkipAwait), CleanupOnFail: pulumi.Bool(true), MaxHistory: pulumi.Int(10),
	}, child, pulumi.DependsOn(deps))
	if err != nil {
		return nil, err
	}
	out.Route, err = apiextensions.NewCustomResource(ctx, "zitadel", &apiextensions.CustomResourceArgs{
		ApiVersion: pulumi.String("gateway.networking.k8s.io/v1"), Kind: pulumi.String("HTTPRoute"), Metadata: meta("zitadel"),
		OtherFields: kubernetes.UntypedArgs{"spec": Route(z.ExternalDomain, args.GatewayNamespace, z.Chart.Version)},
	}, child, pulumi.DependsOn([]pulumi.Resource{out.Release}))
	if err != nil {
		return nil, err
	}
	return out, ctx.RegisterResourceOutputs(out, pulumi.Map{
		"chart": pulumi.String(z.Chart.Name), "version": pulumi.String(z.Chart.Version),
		"externalDomain": pulumi.String(z.ExternalDomain), "engine": pulumi.String(z.Database.Engine),
	})
}

// Route is the HTTPRoute's spec: the external domain on the ORB's Gateway (its https listener ends
// TLS), the login UI to its own service where the chart deploys one (chart 9 and later, for
// Zitadel v4), everything else to Zitadel's API and console.
func Route(domain, gatewayNamespace, chartVersion string) map[string]any {
	backend := func(service string, port int) []any {
		return []any{map[string]any{"name": service, "port": port}}
	}
	var rules []any
	if loginUI(chartVersion) {
		rules = append(rules, map[string]any{
			"matches":     []any{map[string]any{"path": map[string]any{"type": "PathPrefix", "value": "/ui/v2/login"}}},
			"backendRefs": backend("zitadel-login", 3000),
		})
	}
	rules = append(rules, map[string]any{
		"matches":     []any{map[string]any{"path": map[string]any{"type": "PathPrefix", "value": "/"}}},
		"backendRefs": backend("zitadel", 8080),
	})
	return map[string]any{
		"parentRefs": []any{map[string]any{"name": GatewayName, "namespace": gatewayNamespace}},
		"hostnames":  []any{domain},
		"rules":      rules,
	}
}
