// Package database installs Zitadel's database: PostgreSQL through the CloudNativePG operator (a
// Cluster, WAL archiving and base backups to object storage through the Barman Cloud plugin, a
// ScheduledBackup), or CockroachDB in secure mode with certificates made per ORB (for the Zitadel
// v2 line). Operators' charts come first, their custom resources after their CRDs.
package database

import (
	"crypto/rand"
	"fmt"
	"slices"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/orbos/orbos/internal/pulumidep"
	"github.com/orbos/orbos/stacks"
)

// Type is the type token of the database's component.
const Type = "orbos:zitadel:Database"

// Args are the database and what it is installed with.
type Args struct {
	// Orb names the ORB (backups go under its name unless the spec sets a path).
	Orb string
	// Name of the database cluster's objects, e.g. zitadel-db.
	Name      string
	Namespace string
	DB        stacks.Database
	// Database and Owner are the database and the user Zitadel works with.
	Database, Owner string
	// Labels are set on every object the component makes.
	Labels map[string]string
	// StackSecret returns a stack secret (orbos:secrets.NAME) as a Pulumi secret.
	StackSecret func(name string) (pulumi.StringOutput, error)
	// ChartRepository is the ORB-wide chart mirror, "" for none; RepoDir the ORB repository's
	// checkout (local charts); Orbctl is the post-renderer.
	ChartRepository, RepoDir, Orbctl string
	// SkipAwait: the cluster has no nodes, nothing ever becomes ready.
	SkipAwait bool
	// Metrics says BOOM's metrics tool is on: the operator and the instances are scraped
	// (monitoring.go).
	Metrics bool
}

// Database is the installed database: where Zitadel connects, and with which Secrets.
type Database struct {
	pulumi.ResourceState
	// Recorder names what the component made, for those that come after it (pulumidep.On).
	pulumidep.Recorder
	// Host and Port of the read-write endpoint, inside the cluster.
	Host string
	Port int
	// Name is the SQL database Zitadel works in (Args.Database, or after a CockroachDB restore the
	// restored one).
	Name string
	// SSLMode is the libpq sslmode Zitadel connects with.
	SSLMode string
	// User and Admin are Secrets with the keys username and password (the owner and the superuser).
	User, Admin *corev1.Secret
	// UserSecret and AdminSecret are their names.
	UserSecret, AdminSecret string
	// TLS names the Secrets with client certificates, for CockroachDB ("" for PostgreSQL).
	CASecret, UserCertSecret, AdminCertSecret string
	// Ready is what Zitadel must come after: the database's objects.
	Ready []pulumi.Resource
}

// New installs the database of args.DB.Engine.
func New(ctx *pulumi.Context, args Args, opts ...pulumi.ResourceOption) (*Database, error) {
	db := &Database{}
	if err := ctx.RegisterComponentResource(Type, args.Name, db, append(slices.Clip(opts), db.Recording(db))...); err != nil {
		return nil, err
	}
	db.Name = args.Database
	var err error
	switch args.DB.Engine {
	case stacks.EnginePostgres:
		err = postgres(ctx, args, db)
	case stacks.EngineCockroachDB:
		err = cockroachDB(ctx, args, db)
	default:
		err = fmt.Errorf("unknown engine %q", args.DB.Engine)
	}
	if err != nil {
		return nil, fmt.Errorf("Zitadel's database: %w", err)
	}
	return db, ctx.RegisterResourceOutputs(db, pulumi.Map{
		"engine": pulumi.String(args.DB.Engine), "host": pulumi.String(db.Host),
	})
}

// Password returns 32 characters from crypto/rand over letters and digits: safe in a DSN, a YAML
// file and a shell without quoting, about 190 bits.
func Password() (string, error) {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	return randomFrom(alphabet, 32)
}

// randomFrom draws n characters of alphabet uniformly (rand.Int rejects the biased tail).
func randomFrom(alphabet string, n int) (string, error) {
	out := make([]byte, n)
	buf := make([]byte, 1)
	limit := 256 - 256%len(alphabet)
	for i := 0; i < n; {
		if _, err := rand.Read(buf); err != nil {
			return "", fmt.Errorf("generating a secret: %w", err)
		}
		if int(buf[0]) >= limit {
			continue
		}
		out[i] = alphabet[int(buf[0])%len(alphabet)]
		i++
	}
	return string(out), nil
}

// generatedSecret is a Secret whose values the program generated with crypto/rand: it keeps what
// the first run made (later runs generate anew, and the difference is ignored) and every value is
// a Pulumi secret.
func generatedSecret(ctx *pulumi.Context, resName string, meta *metav1.ObjectMetaArgs, typ string, data map[string]string, opts ...pulumi.ResourceOption) (*corev1.Secret, error) {
	return corev1.NewSecret(ctx, resName, &corev1.SecretArgs{
		Metadata:   meta,
		Type:       pulumi.String(typ),
		StringData: pulumi.ToSecret(pulumi.ToStringMap(data)).(pulumi.StringMapOutput),
	}, append(opts,
		// The provider turns stringData into data before diffing: both are ignored, else every
		// run replaced the Secret with new values.
		pulumi.IgnoreChanges([]string{"stringData", "data"}),
		pulumi.AdditionalSecretOutputs([]string{"data", "stringData"}))...)
}

// meta is an object's metadata with the component's labels; orbos owns its fields.
func (a Args) meta(name string) *metav1.ObjectMetaArgs {
	return &metav1.ObjectMetaArgs{
		Name: pulumi.String(name), Namespace: pulumi.String(a.Namespace), Labels: pulumi.ToStringMap(a.Labels),
		Annotations: pulumi.StringMap{"pulumi.com/patchForce": pulumi.String("true")},
	}
}
