package database

import (
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/orbos/orbos/stacks"
)

// BackupTargetSecret names the Secret with CockroachDB's backup destination (key uri, the
// credentials in it) and passphrase (key passphrase, empty without encryptionSecret): orbctl's
// on-demand backup Job reads both from it by reference, so that neither is in a Job's spec.
func BackupTargetSecret(name string) string { return name + "-backup-target" }

// backupTarget writes the Secret BackupTargetSecret from the stack's secrets.
func backupTarget(ctx *pulumi.Context, args Args, b *stacks.DBBackups, opts ...pulumi.ResourceOption) (*corev1.Secret, error) {
	o := b.ObjectStore
	key, err := args.StackSecret(o.CredentialsSecret)
	if err != nil {
		return nil, err
	}
	keyID := pulumi.ToSecret(pulumi.String("")).(pulumi.StringOutput)
	if o.AccessKeyIDSecret != "" {
		if keyID, err = args.StackSecret(o.AccessKeyIDSecret); err != nil {
			return nil, err
		}
	}
	pass := pulumi.ToSecret(pulumi.String("")).(pulumi.StringOutput)
	if b.EncryptionSecret != "" {
		if pass, err = args.StackSecret(b.EncryptionSecret); err != nil {
			return nil, err
		}
	}
	uri := pulumi.All(keyID, key).ApplyT(func(v []any) string { return BackupURI(o, v[0].(string), v[1].(string)) }).(pulumi.StringOutput)
	name := BackupTargetSecret(args.Name)
	return corev1.NewSecret(ctx, name, &corev1.SecretArgs{
		Metadata: args.meta(name), Type: pulumi.String("Opaque"),
		StringData: pulumi.StringMap{"uri": pulumi.ToSecret(uri).(pulumi.StringOutput), "passphrase": pass},
	}, append(opts, pulumi.AdditionalSecretOutputs([]string{"data", "stringData"}))...)
}

// CockroachImage is the cockroach client of the pinned chart's version.
const CockroachImage = "cockroachdb/cockroach:v" + cockroachApp
