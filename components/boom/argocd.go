package boom

import (
	"fmt"
	"maps"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/orbos/orbos/stacks"
)

// Argo CD finds its repositories and credential templates as Secrets by this label; the chart's
// own configs.repositories would put the credentials into values, so the program makes them.
const (
	ArgoSecretTypeLabel = "argocd.argoproj.io/secret-type"
	// ArgoPartOfLabel marks the Secrets oidc.config's `$secret:key` references may read.
	ArgoPartOfLabel = "app.kubernetes.io/part-of"
)

// RepositorySecretName and CredentialTemplateSecretName are the names of the Secrets of a
// repository and a credential template (stacks checks that they are valid names).
func RepositorySecretName(name string) string         { return "repo-" + name }
func CredentialTemplateSecretName(name string) string { return "creds-" + name }

// argoCDSecrets makes a Secret per repository and credential template of the reconciling tool. The
// URL and kind are plain; each credential is the stack secret the spec names, a Pulumi secret.
func argoCDSecrets(ctx *pulumi.Context, args Args, opts []pulumi.ResourceOption) ([]*corev1.Secret, error) {
	t := args.Tool
	a := t.ArgoCD
	if a == nil {
		return nil, nil
	}
	var out []*corev1.Secret
	for _, r := range a.Repositories {
		data := pulumi.StringMap{"name": pulumi.String(r.Name), "url": pulumi.String(r.URL), "type": pulumi.String(orDefault(r.Type, "git"))}
		if r.Project != "" {
			data["project"] = pulumi.String(r.Project)
		}
		if err := addCredentials(data, r.Credentials, args.StackSecret); err != nil {
			return nil, fmt.Errorf("BOOM tool %s: repository %s: %w", t.Name, r.Name, err)
		}
		s, err := specSecret(ctx, args, RepositorySecretName(r.Name), map[string]string{ArgoSecretTypeLabel: "repository", ArgoPartOfLabel: "argocd"}, data, opts)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	for _, c := range a.CredentialTemplates {
		data := pulumi.StringMap{"url": pulumi.String(c.URL)}
		if err := addCredentials(data, &c.Credentials, args.StackSecret); err != nil {
			return nil, fmt.Errorf("BOOM tool %s: credential template %s: %w", t.Name, c.Name, err)
		}
		s, err := specSecret(ctx, args, CredentialTemplateSecretName(c.Name), map[string]string{ArgoSecretTypeLabel: "repo-creds", ArgoPartOfLabel: "argocd"}, data, opts)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// addCredentials puts credentials into a repository Secret's keys as Argo CD names them: a token
// is sent as the password.
func addCredentials(data pulumi.StringMap, c *stacks.ArgoCredentials, secret func(string) (pulumi.StringOutput, error)) error {
	if c == nil {
		return nil
	}
	if u := c.EffectiveUsername(); u != "" {
		data["username"] = pulumi.String(u)
	}
	for key, name := range map[string]string{"password": c.PasswordSecret, "sshPrivateKey": c.SSHPrivateKeySecret} {
		if name != "" {
			v, err := stackSecret(secret, name)
			if err != nil {
				return err
			}
			data[key] = v
		}
	}
	if c.TokenSecret != "" {
		v, err := stackSecret(secret, c.TokenSecret)
		if err != nil {
			return err
		}
		data["password"] = v
	}
	return nil
}

func stackSecret(secret func(string) (pulumi.StringOutput, error), name string) (pulumi.StringOutput, error) {
	if secret == nil {
		return pulumi.StringOutput{}, fmt.Errorf("the stack secret %s is named, but the program has no stack secrets", name)
	}
	return secret(name)
}

// specSecret is a Secret in the tool's namespace whose data follows the spec (unlike generated
// Secrets, a change of the spec changes it); every output of its data is a Pulumi secret.
func specSecret(ctx *pulumi.Context, args Args, name string, labels map[string]string, data pulumi.StringMap, opts []pulumi.ResourceOption) (*corev1.Secret, error) {
	t := args.Tool
	all := maps.Clone(args.Labels)
	if all == nil {
		all = map[string]string{}
	}
	maps.Copy(all, labels)
	return corev1.NewSecret(ctx, t.Name+"-"+name, &corev1.SecretArgs{
		Metadata: &metav1.ObjectMetaArgs{
			Name: pulumi.String(name), Namespace: pulumi.String(t.Namespace), Labels: pulumi.ToStringMap(all),
			Annotations: pulumi.StringMap{patchForce: pulumi.String("true")},
		},
		Type:       pulumi.String("Opaque"),
		StringData: data,
	}, append(opts, pulumi.AdditionalSecretOutputs([]string{"data", "stringData"}))...)
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
