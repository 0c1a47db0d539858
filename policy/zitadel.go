package policy

import (
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/policyx"

	"github.com/orbos/orbos/stacks"
)

// RunningMasterkeyEnv carries the SHA-256 of the masterkey the ORB's Zitadel runs with (from the
// last state) to the pack; unset before Zitadel's first run.
const RunningMasterkeyEnv = "ORBOS_RUNNING_ZITADEL_MASTERKEY_SHA256"

// Names of Zitadel's policies.
const (
	BackupsOffCluster  = "zitadel-backups-leave-the-cluster"
	MasterkeyUnchanged = "zitadel-masterkey-unchanged"
	// The same as BackupsOffCluster over what the program renders.
	RenderedBackups = "database-backups-to-object-storage"
)

// Types and names the Zitadel policies read (the pack does not import components, which would
// pull the Kubernetes SDK into it).
const (
	secretType          = "kubernetes:core/v1:Secret"
	scheduledBackupType = "kubernetes:postgresql.cnpg.io/v1:ScheduledBackup"
	objectStoreType     = "kubernetes:barmancloud.cnpg.io/v1:ObjectStore"
	// MasterkeyAnnotation is components/zitadel's MasterkeyHashAnnotation.
	MasterkeyAnnotation = "orbos.io/masterkey-sha256"
)

// inCluster says whether a host is a Service of the cluster itself: a store there keeps the
// backups on the cluster's own volumes.
func inCluster(host string) bool {
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	return strings.HasSuffix(h, ".svc") || strings.Contains(h, ".svc.") || strings.HasSuffix(h, ".cluster.local") || !strings.Contains(h, ".")
}

// zitadelBackupsOffCluster: Zitadel's backups go to object storage outside the cluster (S3 or GCS),
// never to a volume or a store served from the cluster itself, which a lost cluster takes along.
func (o *Input) zitadelBackupsOffCluster() []string {
	if o.Zitadel == nil || !o.Zitadel.Enabled || o.Zitadel.Database.Backups == nil {
		return nil
	}
	s := o.Zitadel.Database.Backups.ObjectStore
	if s.Type != "s3" && s.Type != "gcs" {
		return []string{fmt.Sprintf("Zitadel's backups go to %q: they must leave the cluster, to s3 or gcs object storage", s.Type)}
	}
	if s.Endpoint != "" {
		if u, err := url.Parse(s.Endpoint); err == nil && inCluster(u.Hostname()) {
			return []string{fmt.Sprintf("Zitadel's backups go to %s, a store inside the cluster: a lost cluster takes them along; use object storage outside it", u.Hostname())}
		}
	}
	return nil
}

// renderedBackupInCluster is zitadelBackupsOffCluster over the rendered backup objects: a
// ScheduledBackup takes the Barman Cloud plugin (not volume snapshots, which stay in the cluster),
// an ObjectStore writes to s3:// or gs:// outside the cluster.
func renderedBackupInCluster(r policyx.AnalyzerResource) string {
	switch r.Type {
	case scheduledBackupType:
		if m := at(r.Properties, "spec", "method"); !m.IsString() || m.AsString() != "plugin" {
			return fmt.Sprintf("ScheduledBackup %s does not go through the Barman Cloud plugin to object storage (volume snapshots stay in the cluster)", r.Name)
		}
	case objectStoreType:
		dest := at(r.Properties, "spec", "configuration", "destinationPath")
		if dest.IsComputed() {
			return ""
		}
		if !dest.IsString() || !(strings.HasPrefix(dest.AsString(), "s3://") || strings.HasPrefix(dest.AsString(), "gs://")) {
			return fmt.Sprintf("ObjectStore %s does not write to s3:// or gs:// object storage", r.Name)
		}
		if ep := at(r.Properties, "spec", "configuration", "endpointURL"); ep.IsString() {
			if u, err := url.Parse(ep.AsString()); err == nil && inCluster(u.Hostname()) {
				return fmt.Sprintf("ObjectStore %s writes to %s, a store inside the cluster: a lost cluster takes the backups along", r.Name, u.Hostname())
			}
		}
	}
	return ""
}

// masterkeyChanged refuses a masterkey Secret whose key differs from the one Zitadel runs with:
// Zitadel encrypts its secrets with it, and data encrypted with a lost key is lost.
func masterkeyChanged(running string) func(policyx.AnalyzerResource) string {
	return func(r policyx.AnalyzerResource) string {
		if running == "" || r.Type != secretType {
			return ""
		}
		h := at(r.Properties, "metadata", "annotations", MasterkeyAnnotation)
		if !h.IsString() || h.AsString() == running {
			return ""
		}
		return fmt.Sprintf("Zitadel's masterkey (%s) differs from the one Zitadel runs with: Zitadel encrypts its data with it, and a changed masterkey loses all of it; restore the previous %s from the repository's history",
			stacks.KeyZitadelMasterkey, stacks.KeyZitadelMasterkey)
	}
}

// zitadelPolicies are the resource policies of Zitadel's objects.
func zitadelPolicies() []policyx.Policy {
	return []policyx.Policy{
		resourcePolicy(RenderedBackups, "Database backups go through the Barman Cloud plugin to object storage outside the cluster", renderedBackupInCluster),
		resourcePolicy(MasterkeyUnchanged, "Zitadel's masterkey never changes", masterkeyChanged(os.Getenv(RunningMasterkeyEnv))),
	}
}
