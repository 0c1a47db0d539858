package boom

import (
	"fmt"
	"slices"
	"strings"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/orbos/orbos/stacks"
)

// The Secrets the program makes from the metrics block's stack secrets, in the metrics tool's
// namespace (the Prometheus operator reads only Secrets beside Prometheus and Alertmanager).
const (
	// RemoteWriteSecret holds the remote-write endpoints' credentials, keys "<i>-username",
	// "<i>-password" and "<i>-token" for the i-th endpoint.
	RemoteWriteSecret = "metrics-remote-write"
	// AlertmanagerSecret holds Alertmanager's whole configuration (key alertmanager.yaml), which
	// carries the receivers' URLs and keys.
	AlertmanagerSecret = "metrics-alertmanager"
)

// metricsSpecValues are the values the metrics block controls, merged over the profile's defaults.
// Credentials are never among them: the values name the Secrets and keys that hold them.
func metricsSpecValues(t stacks.NamedTool) map[string]any {
	m := t.Metrics
	if m == nil {
		return nil
	}
	prom := map[string]any{}
	if m.Retention != "" {
		prom["retention"] = m.Retention
	}
	if m.RetentionSize != "" {
		prom["retentionSize"] = m.RetentionSize
	}
	if s := m.Storage; s != nil {
		claim := map[string]any{}
		if s.Size != "" {
			claim["resources"] = map[string]any{"requests": map[string]any{"storage": s.Size}}
		}
		if s.Class != "" {
			claim["storageClassName"] = s.Class
		}
		prom["storageSpec"] = map[string]any{"volumeClaimTemplate": map[string]any{"spec": claim}}
	}
	if len(m.ExternalLabels) > 0 {
		labels := map[string]any{}
		for k, v := range m.ExternalLabels {
			labels[k] = v
		}
		prom["externalLabels"] = labels
	}
	var remote []any
	for i, rw := range m.RemoteWrite {
		e := map[string]any{"url": rw.URL}
		if rw.Name != "" {
			e["name"] = rw.Name
		}
		ref := func(key string) map[string]any {
			return map[string]any{"name": RemoteWriteSecret, "key": fmt.Sprintf("%d-%s", i, key)}
		}
		if rw.BasicAuth != nil {
			e["basicAuth"] = map[string]any{"username": ref("username"), "password": ref("password")}
		}
		if rw.BearerTokenSecret != "" {
			e["authorization"] = map[string]any{"type": "Bearer", "credentials": ref("token")}
		}
		remote = append(remote, e)
	}
	if len(remote) > 0 {
		prom["remoteWrite"] = remote
	}
	v := map[string]any{"prometheus": map[string]any{"prometheusSpec": prom}}
	if a := m.Alertmanager; a != nil && len(a.Receivers) > 0 {
		// The chart makes no configuration Secret of its own; the operator reads orbos's.
		v["alertmanager"] = map[string]any{"alertmanagerSpec": map[string]any{"useExistingSecret": true, "configSecret": AlertmanagerSecret}}
	}
	return v
}

// metricsSecrets makes the Secrets the metrics block's credentials go into: the remote-write
// credentials and Alertmanager's configuration. Their content is a Pulumi secret (encrypted in the
// state, hidden in previews) and follows the stack secrets when they change.
func metricsSecrets(ctx *pulumi.Context, args Args, opts []pulumi.ResourceOption) ([]*corev1.Secret, error) {
	t := args.Tool
	m := t.Metrics
	if m == nil {
		return nil, nil
	}
	get := args.StackSecret
	if get == nil {
		get = func(name string) (pulumi.StringOutput, error) {
			return pulumi.StringOutput{}, fmt.Errorf("the stack secret %s is not available to this program", name)
		}
	}
	secret := func(name string, data pulumi.StringMapInput) (*corev1.Secret, error) {
		return corev1.NewSecret(ctx, t.Name+"-"+name, &corev1.SecretArgs{
			Metadata: &metav1.ObjectMetaArgs{
				Name: pulumi.String(name), Namespace: pulumi.String(t.Namespace), Labels: pulumi.ToStringMap(args.Labels),
				Annotations: pulumi.StringMap{patchForce: pulumi.String("true")},
			},
			Type:       pulumi.String("Opaque"),
			StringData: pulumi.ToSecret(data).(pulumi.StringMapOutput),
		}, append(slices.Clone(opts), pulumi.AdditionalSecretOutputs([]string{"data", "stringData"}))...)
	}
	// A value read from a file ends with a newline that is no part of a password or token.
	trim := func(o pulumi.StringOutput) pulumi.StringOutput {
		return o.ApplyT(func(v string) string { return strings.TrimSpace(v) }).(pulumi.StringOutput)
	}
	var out []*corev1.Secret
	remote := pulumi.StringMap{}
	for i, rw := range m.RemoteWrite {
		if b := rw.BasicAuth; b != nil {
			pw, err := get(b.PasswordSecret)
			if err != nil {
				return nil, fmt.Errorf("remote write %d: %w", i, err)
			}
			remote[fmt.Sprintf("%d-username", i)] = pulumi.String(b.Username)
			remote[fmt.Sprintf("%d-password", i)] = trim(pw)
		}
		if rw.BearerTokenSecret != "" {
			tok, err := get(rw.BearerTokenSecret)
			if err != nil {
				return nil, fmt.Errorf("remote write %d: %w", i, err)
			}
			remote[fmt.Sprintf("%d-token", i)] = trim(tok)
		}
	}
	if len(remote) > 0 {
		s, err := secret(RemoteWriteSecret, remote)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	if a := m.Alertmanager; a != nil && len(a.Receivers) > 0 {
		names := alertmanagerSecretNames(a)
		values := make([]any, len(names))
		for i, n := range names {
			v, err := get(n)
			if err != nil {
				return nil, fmt.Errorf("Alertmanager: %w", err)
			}
			values[i] = v
		}
		config := pulumi.All(values...).ApplyT(func(vs []any) (string, error) {
			byName := map[string]string{}
			for i, n := range names {
				byName[n] = vs[i].(string)
			}
			return AlertmanagerConfig(a, byName)
		}).(pulumi.StringOutput)
		s, err := secret(AlertmanagerSecret, pulumi.StringMap{"alertmanager.yaml": config})
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}
